//! Binaryen's `wasm-opt -Oz` as a post-pass of `--release` wasm32-wasip1 modules and
//! wasm32-wasip2 components, when it is installed. It is optional: without it, or when it
//! fails, the artifact stays as rustc left it, with a note on stderr. Binaryen reads core
//! modules only, so a component's main core module is taken out, optimised and put back
//! (the component names the module's imports and exports, which wasm-opt keeps). Browser
//! modules are left alone: Debian's Binaryen (108) retypes wasm-bindgen's externref table,
//! which then fails to initialise in Node (it gained 6 %).

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

/// Optimises the core module or component at `artifact` in place with `wasm-opt -Oz`
/// (`RUNTARA_WASM_OPT`, else `wasm-opt` on `PATH`). Returns the sizes before and after in
/// bytes, or `None` when the pass did not run: not installed, turned off, or it failed or
/// produced something wasmparser rejects (then the artifact is unchanged and stderr says
/// why).
pub fn optimise(artifact: &Path) -> Option<(u64, u64)> {
    let binary = match std::env::var(WASM_OPT_ENV) {
        Ok(v) if v == "off" => return None,
        Ok(v) if !v.is_empty() => v,
        _ => "wasm-opt".to_string(),
    };
    let bytes = std::fs::read(artifact).ok()?;
    if !wasmparser::Parser::is_component(&bytes) {
        return optimise_with(&binary, artifact);
    }
    let section = main_module(&bytes)?;
    let module = artifact.with_extension("core.wasm");
    std::fs::write(&module, &bytes[section.module.clone()]).ok()?;
    let optimised = optimise_with(&binary, &module).and_then(|_| std::fs::read(&module).ok());
    let _ = std::fs::remove_file(&module);
    let component = section.replaced(&bytes, &optimised?);
    let outcome = validate(&component).and_then(|()| std::fs::write(artifact, &component).map_err(|e| e.to_string()));
    match outcome {
        Ok(()) => Some((bytes.len() as u64, component.len() as u64)),
        Err(why) => {
            eprintln!("runtara: note: the component is not size-optimised by wasm-opt: {why}");
            None
        }
    }
}

/// Where a component keeps a core module: its section header and the module's bytes.
struct ModuleSection {
    header: std::ops::Range<usize>,
    module: std::ops::Range<usize>,
}

impl ModuleSection {
    /// `component` with this section's module replaced by `module`.
    fn replaced(&self, component: &[u8], module: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(component.len());
        out.extend_from_slice(&component[..self.header.start]);
        out.push(CORE_MODULE_SECTION);
        leb128(&mut out, module.len());
        out.extend_from_slice(module);
        out.extend_from_slice(&component[self.module.end..]);
        out
    }
}

/// The component section id of a core module.
const CORE_MODULE_SECTION: u8 = 1;

/// The largest core module of `component` (the program; the others are the adapter's shims).
fn main_module(component: &[u8]) -> Option<ModuleSection> {
    let mut best: Option<std::ops::Range<usize>> = None;
    for payload in wasmparser::Parser::new(0).parse_all(component) {
        if let Ok(wasmparser::Payload::ModuleSection { unchecked_range, .. }) = payload {
            if best.as_ref().is_none_or(|b| b.len() < unchecked_range.len()) {
                best = Some(unchecked_range);
            }
        }
    }
    let module = best?;
    // The header before it: the section id and the module's length as an unsigned LEB128.
    let mut header = vec![CORE_MODULE_SECTION];
    leb128(&mut header, module.len());
    let start = module.start.checked_sub(header.len())?;
    (component[start..module.start] == header[..]).then_some(ModuleSection { header: start..module.start, module })
}

fn leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
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
    validate(&bytes)?;
    std::fs::rename(optimised, module).map_err(|e| e.to_string())
}

fn validate(wasm: &[u8]) -> Result<(), String> {
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(wasm)
        .map(|_| ())
        .map_err(|e| format!("its output is not valid WebAssembly: {e}"))
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
