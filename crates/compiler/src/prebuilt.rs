//! The prebuilt workflow stdlib per target (DESIGN §4).
//!
//! `stdlib-prebuilt/<name>/` (the triple; `wasm32-wasip2-nostd` for the no_std component
//! build, [`Target::prebuilt_name`]) holds a snapshot of the stdlib's target rlibs (`deps/`) and
//! host proc-macro libraries (`host-deps/`) plus `manifest.json`. It is built with ONE cargo
//! invocation on first use and rebuilt whenever the manifest is stale (other rustc, changed
//! stdlib source, other features).

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::target::Target;
use crate::CompileError;

/// Memory layout of the Cortex-M4 board runtara targets by default: qemu's `mps2-an386`
/// (4 MiB code SRAM at 0x0, 4 MiB data SRAM at 0x2000_0000).
const MEMORY_X: &str =
    "MEMORY\n{\n  FLASH : ORIGIN = 0x00000000, LENGTH = 4M\n  RAM : ORIGIN = 0x20000000, LENGTH = 4M\n}\n";

/// Name of the stdlib crate as generated code refers to it.
pub const STDLIB_CRATE: &str = "runtara_workflow_stdlib";

/// `manifest.json` of one prebuilt target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// `rustc -vV` of the toolchain that built the snapshot.
    pub rustc: String,
    pub target: String,
    pub features: Vec<String>,
    /// SHA-256 of the stdlib, agents and sdk sources and the lockfile.
    pub source_hash: String,
    /// `--extern` entries: crate name → rlib path relative to the target dir.
    pub externs: Vec<(String, String)>,
    /// Embedded target: directory (relative) holding cortex-m-rt's `link.x` and our
    /// `memory.x`.
    #[serde(default)]
    pub link_dir: Option<String>,
}

/// A ready prebuilt stdlib for one target. While a `Prebuilt` (or a clone) is alive it
/// holds a shared lock on the target's lock file, so a concurrent rebuild (which takes the
/// lock exclusively) cannot replace the files rustc is reading.
#[derive(Debug, Clone)]
pub struct Prebuilt {
    /// `<prebuilt root>/<triple>`.
    pub dir: PathBuf,
    /// What the directory holds.
    pub manifest: Manifest,
    _reading: std::sync::Arc<fs::File>,
}

impl Prebuilt {
    /// `-L dependency=` directories: target rlibs and host proc-macro libraries.
    pub fn dependency_dirs(&self) -> [PathBuf; 2] {
        [self.dir.join("deps"), self.dir.join("host-deps")]
    }

    /// `--extern` arguments with absolute paths.
    pub fn externs(&self) -> Vec<(String, PathBuf)> {
        self.manifest.externs.iter().map(|(n, p)| (n.clone(), self.dir.join(p))).collect()
    }

    /// The linker-script directory (embedded target).
    pub fn link_dir(&self) -> Option<PathBuf> {
        self.manifest.link_dir.as_ref().map(|d| self.dir.join(d))
    }

    /// A short hash of the manifest, part of artifact cache keys.
    pub fn manifest_hash(&self) -> String {
        let text = serde_json::to_string(&self.manifest).unwrap_or_default();
        hex(&Sha256::digest(text.as_bytes()))[..16].to_string()
    }
}

/// Where the stdlib sources live: `RUNTARA_SOURCE_DIR`, else the workspace this compiler
/// was built from.
pub fn source_root() -> PathBuf {
    std::env::var_os("RUNTARA_SOURCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_default())
}

/// Where snapshots live: `RUNTARA_PREBUILT_DIR`, else `<source root>/stdlib-prebuilt`.
pub fn prebuilt_root() -> PathBuf {
    std::env::var_os("RUNTARA_PREBUILT_DIR").map(PathBuf::from).unwrap_or_else(|| source_root().join("stdlib-prebuilt"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `rustc -vV`.
pub fn rustc_version() -> Result<String, CompileError> {
    let out = Command::new(rustc())
        .arg("-vV")
        .output()
        .map_err(|e| CompileError::Toolchain(format!("cannot run rustc: {e}; install Rust with rustup")))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The rustc to use (`RUNTARA_RUSTC`, else `rustc` on PATH).
pub fn rustc() -> String {
    std::env::var("RUNTARA_RUSTC").unwrap_or_else(|_| "rustc".into())
}

/// The stdlib and every workspace crate it depends on: a change to any of them makes the
/// prebuilt stdlib stale (a test checks the list against `cargo metadata`).
pub const STDLIB_SOURCES: [&str; 5] =
    ["crates/workflow-stdlib", "crates/agents", "crates/sdk", "crates/path", "crates/protocol"];

/// The flags the prebuilt rlibs of `target` are compiled with (part of the source hash):
/// bitcode, so `--release` artifacts can use LTO (DESIGN §4); `panic=abort`, as every
/// artifact is linked — without landing pads and unwind tables a native artifact is ~15 %
/// smaller (wasm and firmware targets abort already); and on wasm and firmware
/// `opt-level=z` instead of cargo's 3: fat LTO starts from this already-optimised bitcode,
/// and O3's inlining made examples/01 10–20 % bigger (browser 237 → 191 KB).
pub fn prebuilt_rustflags(target: &Target) -> Vec<&'static str> {
    let mut flags = vec!["-Cembed-bitcode=yes", "-Cpanic=abort"];
    if !target.is_native() {
        flags.push("-Copt-level=z");
    }
    flags
}

fn source_hash(root: &Path, rustflags: &[&str]) -> String {
    let mut files = Vec::new();
    for krate in STDLIB_SOURCES {
        collect(&root.join(krate), &mut files);
    }
    files.push(root.join("Cargo.lock"));
    files.push(root.join("Cargo.toml"));
    files.sort();
    let mut h = Sha256::new();
    h.update(rustflags.join(" ").as_bytes());
    for f in files {
        h.update(f.strip_prefix(root).unwrap_or(&f).to_string_lossy().as_bytes());
        h.update(fs::read(&f).unwrap_or_default());
    }
    hex(&h.finalize())
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs" || x == "toml") {
            out.push(p);
        }
    }
}

/// Makes sure the rustup target is installed: runs `rustup target add` when rustup is there,
/// else says which command to run.
fn ensure_rust_target(triple: &str) -> Result<(), CompileError> {
    let sysroot = Command::new(rustc()).args(["--print", "sysroot"]).output();
    if let Ok(out) = sysroot {
        let root = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if root.join("lib/rustlib").join(triple).join("lib").is_dir() {
            return Ok(());
        }
    }
    eprintln!("runtara: the Rust standard library for {triple} is missing; running `rustup target add {triple}`");
    let status = Command::new("rustup").args(["target", "add", triple]).status();
    match status {
        Ok(s) if s.success() => Ok(()),
        _ => Err(CompileError::Toolchain(format!(
            "the Rust standard library for {triple} is not installed; run `rustup target add {triple}`"
        ))),
    }
}

/// Returns the prebuilt stdlib for `target`, building it first when missing or stale.
/// Progress goes to stderr. Readers share the target's lock file and a rebuild takes it
/// exclusively, so parallel compiles wait for a rebuild instead of racing it, and a rebuild
/// waits until no compile is reading the old files.
///
/// Errors: the lock file cannot be created or locked, the toolchain or target is missing,
/// or the stdlib fails to build.
pub fn ensure(target: &Target) -> Result<Prebuilt, CompileError> {
    let root = prebuilt_root();
    let name = target.prebuilt_name();
    let dir = root.join(&name);
    fs::create_dir_all(&root).map_err(|e| CompileError::Io(format!("cannot create {}: {e}", root.display())))?;
    let lock_path = root.join(format!("{name}.lock"));
    let open_lock = || {
        fs::File::create(&lock_path)
            .map_err(|e| CompileError::Io(format!("cannot create lock file in {}: {e}", root.display())))
    };
    let lock_err = |e: std::io::Error| CompileError::Io(format!("cannot lock the prebuilt stdlib: {e}"));

    let src = source_root();
    let features = vec![target.kind.stdlib_feature().to_string()];
    let wanted_rustc = rustc_version()?;
    let has_source = src.join("crates/workflow-stdlib/Cargo.toml").is_file();
    let wanted_hash = if has_source { source_hash(&src, &prebuilt_rustflags(target)) } else { String::new() };
    let fresh = || -> Option<Manifest> {
        let m = serde_json::from_str::<Manifest>(&fs::read_to_string(dir.join("manifest.json")).ok()?).ok()?;
        let ok = m.rustc == wanted_rustc
            && m.features == features
            && (!has_source || m.source_hash == wanted_hash)
            && m.externs.iter().all(|(_, p)| dir.join(p).is_file());
        ok.then_some(m)
    };
    loop {
        let reading = open_lock()?;
        reading.lock_shared().map_err(lock_err)?;
        if let Some(manifest) = fresh() {
            return Ok(Prebuilt { dir, manifest, _reading: std::sync::Arc::new(reading) });
        }
        drop(reading);
        // Rebuild under the exclusive lock, unless another process did it meanwhile; then
        // take the shared lock again and check.
        let writing = open_lock()?;
        writing.lock().map_err(lock_err)?;
        if fresh().is_none() {
            if dir.join("manifest.json").is_file() {
                eprintln!(
                    "runtara: the prebuilt stdlib {name} is stale (toolchain or stdlib source changed); rebuilding"
                );
            }
            if !has_source {
                return Err(CompileError::Toolchain(format!(
                    "no prebuilt stdlib for {} in {} and no stdlib source at {}; set RUNTARA_SOURCE_DIR to a runtara checkout",
                    target.triple,
                    dir.display(),
                    src.display()
                )));
            }
            ensure_rust_target(&target.triple)?;
            build(&src, &root, &dir, target, &features, wanted_rustc.clone(), wanted_hash.clone())?;
        }
    }
}

fn build(
    src: &Path,
    root: &Path,
    dir: &Path,
    target: &Target,
    features: &[String],
    rustc: String,
    source_hash: String,
) -> Result<Manifest, CompileError> {
    let name = target.prebuilt_name();
    eprintln!("runtara: building the prebuilt stdlib {name} (first use; this takes a minute)");
    // Builds with and without std must not share cargo's uplifted stdlib rlib.
    let build_dir = if name == target.triple { root.join(".build") } else { root.join(format!(".build-{name}")) };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(src)
        .args(["build", "--release", "--locked", "-p", "runtara-workflow-stdlib", "--target", &target.triple])
        .args(["--features", &features.join(",")])
        .args(["--message-format", "json-render-diagnostics"])
        .env("CARGO_TARGET_DIR", &build_dir)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTC_WRAPPER")
        .env("CARGO_ENCODED_RUSTFLAGS", prebuilt_rustflags(target).join("\x1f"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd.spawn().map_err(|e| CompileError::Toolchain(format!("cannot run cargo: {e}")))?;
    let mut rlib = None;
    let mut rt_rlib = None;
    let mut rt_out_dir = None;
    let reader = BufReader::new(child.stdout.take().expect("stdout is piped"));
    for line in reader.lines().map_while(Result::ok) {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
        if msg["reason"] == "build-script-executed"
            && msg["package_id"].as_str().is_some_and(|p| p.contains("cortex-m-rt"))
        {
            rt_out_dir = msg["out_dir"].as_str().map(PathBuf::from);
        }
        if msg["reason"] == "compiler-artifact" {
            let name = msg["target"]["name"].as_str().unwrap_or("");
            let rlib_of = |msg: &serde_json::Value| {
                msg["filenames"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str())
                    .find(|f| f.ends_with(".rlib"))
                    .map(PathBuf::from)
            };
            if name == STDLIB_CRATE {
                rlib = rlib_of(&msg);
            } else if name == "cortex_m_rt" {
                rt_rlib = rlib_of(&msg);
            }
        }
    }
    let status = child.wait().map_err(|e| CompileError::Toolchain(format!("cargo failed: {e}")))?;
    if !status.success() {
        return Err(CompileError::Toolchain(format!(
            "building the stdlib for {} failed (see cargo output above)",
            target.triple
        )));
    }
    let rlib = rlib.ok_or_else(|| CompileError::Toolchain("cargo did not report the stdlib rlib".into()))?;

    // Snapshot into a fresh directory, then swap it in, so a failure never leaves a half copy.
    let staging = root.join(format!(".staging-{name}"));
    let _ = fs::remove_dir_all(&staging);
    let io = |e: std::io::Error| CompileError::Io(format!("cannot snapshot the prebuilt stdlib: {e}"));
    copy_dir(&build_dir.join(&target.triple).join("release/deps"), &staging.join("deps")).map_err(io)?;
    copy_dir(&build_dir.join("release/deps"), &staging.join("host-deps")).map_err(io)?;
    let file = rlib.file_name().expect("rlib has a name").to_string_lossy().to_string();
    // cargo reports the uplifted copy (no hash in the name); keep it beside its deps.
    fs::copy(&rlib, staging.join("deps").join(&file)).map_err(io)?;
    let link_dir = match rt_out_dir {
        Some(out) if target.is_embedded() => {
            let link = staging.join("link");
            fs::create_dir_all(&link).map_err(io)?;
            fs::copy(out.join("link.x"), link.join("link.x")).map_err(io)?;
            fs::write(link.join("memory.x"), MEMORY_X).map_err(io)?;
            Some("link".to_string())
        }
        _ => None,
    };
    let mut externs = vec![(STDLIB_CRATE.to_string(), format!("deps/{file}"))];
    if let (Some(rt), true) = (rt_rlib, target.is_embedded()) {
        // Firmware `main` links the reset handler and vector table from cortex-m-rt.
        let name = rt.file_name().expect("rlib has a name").to_string_lossy().to_string();
        externs.push(("cortex_m_rt".to_string(), format!("deps/{name}")));
    }
    let manifest =
        Manifest { rustc, target: target.triple.clone(), features: features.to_vec(), source_hash, externs, link_dir };
    let mut f = fs::File::create(staging.join("manifest.json")).map_err(io)?;
    f.write_all(serde_json::to_string_pretty(&manifest).unwrap_or_default().as_bytes()).map_err(io)?;
    let _ = fs::remove_dir_all(dir);
    fs::rename(&staging, dir).map_err(io)?;
    eprintln!("runtara: prebuilt stdlib {name} ready in {}", dir.display());
    Ok(manifest)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    if !from.is_dir() {
        return Ok(());
    }
    for e in fs::read_dir(from)? {
        let e = e?;
        if e.file_type()?.is_file() {
            fs::copy(e.path(), to.join(e.file_name()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// A compile holds the prebuilt stdlib shared while it reads it: a rebuild (exclusive)
    /// cannot start until the `Prebuilt` is gone (hardening item 9).
    #[test]
    fn a_rebuild_waits_for_readers() {
        let dir = tempfile::tempdir().unwrap();
        let triple = "x-test-none";
        std::fs::create_dir_all(dir.path().join(triple)).unwrap();
        // A manifest that is fresh for whatever toolchain runs the test.
        let rustc = super::rustc_version().unwrap();
        let manifest = super::Manifest {
            rustc,
            target: triple.into(),
            features: vec!["native".into()],
            source_hash: String::new(),
            externs: vec![],
            link_dir: None,
        };
        std::fs::write(dir.path().join(triple).join("manifest.json"), serde_json::to_string(&manifest).unwrap())
            .unwrap();
        std::env::set_var("RUNTARA_PREBUILT_DIR", dir.path());
        std::env::set_var("RUNTARA_SOURCE_DIR", dir.path()); // no stdlib source: never rebuilt
        let target = crate::Target {
            kind: runtara_codegen::CompilationTarget::Native,
            triple: triple.into(),
            cloudflare: false,
        };
        let prebuilt = super::ensure(&target).unwrap();
        let lock = std::fs::File::open(dir.path().join(format!("{triple}.lock"))).unwrap();
        assert!(lock.try_lock().is_err(), "a writer got the lock while a compile was reading");
        drop(prebuilt);
        assert!(lock.try_lock().is_ok(), "the lock is free once the compile is done");
    }

    /// Every workspace crate in the stdlib's dependency closure (all features) is hashed.
    #[test]
    fn the_source_hash_covers_the_stdlib_closure() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let meta = cargo_metadata::MetadataCommand::new().current_dir(&root).no_deps().exec().unwrap();
        let by_name: std::collections::BTreeMap<_, _> = meta.packages.iter().map(|p| (p.name.to_string(), p)).collect();
        let mut closure = BTreeSet::new();
        let mut todo = vec!["runtara-workflow-stdlib".to_string()];
        while let Some(name) = todo.pop() {
            let Some(pkg) = by_name.get(&name) else { continue };
            let dir = pkg.manifest_path.parent().unwrap().strip_prefix(&meta.workspace_root).unwrap().to_string();
            if closure.insert(dir) {
                todo.extend(pkg.dependencies.iter().filter(|d| d.path.is_some()).map(|d| d.name.clone()));
            }
        }
        let listed: BTreeSet<String> = super::STDLIB_SOURCES.iter().map(|s| s.to_string()).collect();
        assert_eq!(listed, closure);
    }
}
