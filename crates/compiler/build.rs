// Records the host triple so `--target native` can name it without asking rustc.
fn main() {
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=RUNTARA_HOST_TRIPLE={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
