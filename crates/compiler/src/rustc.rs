//! Driving rustc on generated source against the prebuilt stdlib (DESIGN §4).

use std::path::Path;
use std::process::Command;

use runtara_codegen::CompilationTarget;

use crate::prebuilt::{rustc, Prebuilt};
use crate::target::Target;
use crate::CompileError;

/// How to build: profile, crate kind, lint level.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildFlags {
    /// Optimised, stripped, and on wasm and firmware size optimised with fat LTO (else
    /// `opt-level=0`).
    pub release: bool,
    /// A C-ABI static library (embedded target) instead of a program.
    pub staticlib: bool,
    /// `-D warnings`: the golden-file test builds generated code this way, so the emitters
    /// keep it warning-free. Ordinary compiles ignore warnings.
    pub deny_warnings: bool,
}

/// Compiles `main_rs` into `out` for `target`. Debug: `opt-level=0` (wasm without DWARF);
/// release: optimised and stripped, with fat LTO except on native (see below).
///
/// Errors: rustc cannot start, or reports errors (the first error message is returned;
/// generated code that fails to compile is a compiler bug, reported as such).
pub fn compile(
    main_rs: &Path,
    out: &Path,
    crate_name: &str,
    target: &Target,
    prebuilt: &Prebuilt,
    release: bool,
) -> Result<(), CompileError> {
    compile_with(main_rs, out, crate_name, target, prebuilt, BuildFlags { release, ..BuildFlags::default() })
}

/// [`compile`] with every [`BuildFlags`] choice.
pub fn compile_with(
    main_rs: &Path,
    out: &Path,
    crate_name: &str,
    target: &Target,
    prebuilt: &Prebuilt,
    flags: BuildFlags,
) -> Result<(), CompileError> {
    let BuildFlags { release, staticlib, deny_warnings } = flags;
    let mut cmd = Command::new(rustc());
    // A no_std component has no `main`: it exports wasi:cli/run as a library would.
    let library = target.is_browser() || target.kind == CompilationTarget::Wasip2NoStd;
    let crate_type = match (staticlib, library) {
        (true, _) => "staticlib",
        (false, true) => "cdylib",
        (false, false) => "bin",
    };
    cmd.arg(main_rs)
        .args(["--edition", "2021", "--crate-type", crate_type, "--crate-name", crate_name])
        .args(["--target", &target.triple])
        .args(["--error-format", "json"])
        .args(if deny_warnings { &["-D", "warnings"][..] } else { &[] })
        .args(["-C", "codegen-units=1", "-C", "debuginfo=0"])
        // As the prebuilt stdlib (`prebuilt::prebuilt_rustflags`).
        .args(["-C", "panic=abort"])
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    // Off native the size goals rule (issue 18): `z` made a component 1.9 KB smaller than
    // `s` and the Split 100k benchmark on wasm32-wasip2 no slower (1.31× vs 1.30×).
    let size_level = if target.is_native() { "opt-level=s" } else { "opt-level=z" };
    if release {
        // wasm-bindgen reads its custom sections from the module, so keep them there.
        let strip = if target.is_browser() { "strip=debuginfo" } else { "strip=symbols" };
        // Natively fat LTO took ~10 s (LLVM reads the bitcode of every linked crate) for
        // ~25 % less size; the linker's section GC keeps the artifact small enough without.
        let lto = if target.is_native() { "lto=off" } else { "lto=fat" };
        cmd.args(["-C", size_level, "-C", lto, "-C", strip]);
    } else {
        cmd.args(["-C", "opt-level=0"]);
        // The stdlib's and std's DWARF (the generated code has none) made a component 3 MB
        // instead of 0.5, which the linker writes and wasmtime reads on every first run;
        // traps still name functions (the name section stays).
        if target.is_wasm() {
            cmd.args(["-C", "strip=debuginfo"]);
        }
    }
    if target.kind == CompilationTarget::Wasip2NoStd {
        // memcpy, memcmp and friends: without std, nothing else links wasi-libc's.
        cmd.args(["-C", "link-arg=-lc"]);
    }
    if let (Some(link), false) = (prebuilt.link_dir(), staticlib) {
        cmd.arg("-L").arg(format!("native={}", link.display()));
        cmd.args(["-C", "link-arg=-Tlink.x"]);
    }
    for d in prebuilt.dependency_dirs() {
        cmd.arg("-L").arg(format!("dependency={}", d.display()));
    }
    for (name, path) in prebuilt.externs() {
        cmd.arg("--extern").arg(format!("{name}={}", path.display()));
    }
    cmd.arg("-o").arg(out);
    let output = cmd
        .output()
        .map_err(|e| CompileError::Toolchain(format!("cannot run rustc: {e}; install Rust with rustup")))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut messages = Vec::new();
    let mut rendered = String::new();
    for line in stderr.lines() {
        if let Ok(d) = serde_json::from_str::<serde_json::Value>(line) {
            rendered.push_str(d["rendered"].as_str().unwrap_or(""));
            if d["level"] == "error" {
                messages.push(d["message"].as_str().unwrap_or("").to_string());
            }
        } else if !line.trim().is_empty() {
            messages.push(line.to_string());
        }
    }
    Err(CompileError::Rustc {
        summary: messages.first().cloned().unwrap_or_else(|| "rustc failed".into()),
        error_count: messages.len(),
        rendered,
    })
}
