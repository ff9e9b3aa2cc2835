//! Binaryen's `wasm-opt -Oz` as a post-pass of `--release` wasm32-wasip1 modules, when it is
//! installed. It is optional: without it, or when it fails, the module stays as rustc left
//! it, with a note on stderr. Components (wasm32-wasip2) are left alone — Binaryen reads core
//! modules only — and so are browser modules: Debian's Binaryen (108) retypes
//! wasm-bindgen's externref table, which then fails to initialise in Node (it gained 6 %).

use std::path::Path;
use std::process::Command;

/// The environment variable naming the `wasm-opt` binary; `off` skips the pass.
pub const WASM_OPT_ENV: &str = "RUNTARA_WASM_OPT";

/// The proposals rustc's wasm32 targets use by default (Rust ≥ 1.82), which Binaryen must be
/// told about; without them it refuses the module (it validates against the MVP).
const FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Optimises the core module at `module` in place with `wasm-opt -Oz` (`RUNTARA_WASM_OPT`,
/// else `wasm-opt` on `PATH`). Returns the sizes before and after in bytes, or `None` when
/// the pass did not run: not installed, turned off, or it failed or produced a module
/// wasmparser rejects (then the module is unchanged and stderr says why).
pub fn optimise(module: &Path) -> Option<(u64, u64)> {
    match std::env::var(WASM_OPT_ENV) {
        Ok(v) if v == "off" => None,
        Ok(v) if !v.is_empty() => optimise_with(&v, module),
        _ => optimise_with("wasm-opt", module),
    }
}

fn optimise_with(binary: &str, module: &Path) -> Option<(u64, u64)> {
    let before = std::fs::metadata(module).ok()?.len();
    let optimised = module.with_extension("opt.wasm");
    let ran = Command::new(binary).arg("-Oz").args(FEATURES).arg(module).arg("-o").arg(&optimised).output();
    let outcome = match ran {
        // Not installed: the pass is optional, so say nothing.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => Err(format!("cannot run {binary}: {e}")),
        Ok(o) if !o.status.success() => Err(format!("{binary} failed: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Ok(_) => accept(&optimised, module),
    };
    match outcome {
        Ok(()) => Some((before, std::fs::metadata(module).ok()?.len())),
        Err(why) => {
            let _ = std::fs::remove_file(&optimised);
            eprintln!("runtara: note: the module is not size-optimised by wasm-opt: {why}");
            None
        }
    }
}

/// Replaces `module` with `optimised` when wasmparser accepts it.
fn accept(optimised: &Path, module: &Path) -> Result<(), String> {
    let bytes = std::fs::read(optimised).map_err(|e| e.to_string())?;
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&bytes)
        .map_err(|e| format!("its output is not valid WebAssembly: {e}"))?;
    std::fs::rename(optimised, module).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The empty module.
    const EMPTY: &[u8] = b"\0asm\x01\0\0\0";

    #[test]
    fn without_wasm_opt_the_module_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("m.wasm");
        std::fs::write(&module, EMPTY).unwrap();
        assert_eq!(optimise_with(dir.path().join("no-such-wasm-opt").to_str().unwrap(), &module), None);
        assert_eq!(std::fs::read(&module).unwrap(), EMPTY);
    }

    #[test]
    fn a_failing_wasm_opt_leaves_the_module_alone() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("m.wasm");
        std::fs::write(&module, EMPTY).unwrap();
        // `false` exits 1 whatever it is given.
        assert_eq!(optimise_with("false", &module), None);
        assert_eq!(std::fs::read(&module).unwrap(), EMPTY);
        assert!(!module.with_extension("opt.wasm").exists());
    }
}
