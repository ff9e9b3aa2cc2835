// Records the host triple (so `--target native` can name it without asking rustc) and the
// compiler's identity: a hash of the sources that decide what a graph compiles to (this
// crate, codegen, dsl, agents' catalogue, path, protocol). The artifact cache keys on it,
// so a changed compiler never reuses an artifact built by the old one.
use std::path::{Path, PathBuf};

fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=RUNTARA_HOST_TRIPLE={target}");
    println!("cargo:rerun-if-changed=build.rs");
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in ["compiler/src", "codegen/src", "dsl/src", "agents/src", "path/src", "protocol/src"] {
        let dir = crates.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        collect(&dir, &mut files);
    }
    files.sort();
    // FNV-1a over paths and contents: no dependencies, stable across builds.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        let rel = f.strip_prefix(&crates).unwrap_or(&f).to_string_lossy().into_owned();
        for b in rel.bytes().chain(std::fs::read(&f).unwrap_or_default()) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    println!("cargo:rustc-env=RUNTARA_COMPILER_ID={hash:016x}");
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}
