//! Packaging a wasm32-unknown-unknown build as a browser/Node ES module (DESIGN §5): the JS
//! glue comes from wasm-bindgen used as a library (`wasm-bindgen-cli-support`, the same
//! version as the `wasm-bindgen` the prebuilt stdlib links), so no CLI install is needed.
//!
//! Layout of the output directory: `<name>.wasm`, `<name>.js` (ES module: default export
//! `init`, named export `run`), `<name>.d.ts`, and `snippets/` (the stdlib's IndexedDB glue).

use std::fs;
use std::path::Path;

use crate::CompileError;

/// Runs wasm-bindgen on `wasm` and moves the package into `out_dir` (replacing an older
/// one only once the new one is complete).
///
/// Errors: wasm-bindgen rejects the module (a compiler bug), or the files cannot be written.
/// `release` drops the name and producers sections (function names for stack traces).
pub fn package(wasm: &Path, name: &str, staging: &Path, out_dir: &Path, release: bool) -> Result<(), CompileError> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(wasm)
        .remove_name_section(release)
        .remove_producers_section(release)
        .out_name(name)
        .typescript(true)
        .omit_default_module_path(false)
        .web(true)
        .map_err(|e| CompileError::Artifact(format!("wasm-bindgen: {e:#}")))?;
    bindgen.generate(staging).map_err(|e| CompileError::Artifact(format!("wasm-bindgen: {e:#}")))?;
    let io = |e: std::io::Error| CompileError::Io(format!("cannot write the module into {}: {e}", staging.display()));
    // `<name>.wasm` rather than wasm-bindgen's `<name>_bg.wasm`: the glue loads it by name.
    let bg = format!("{name}_bg.wasm");
    fs::rename(staging.join(&bg), staging.join(format!("{name}.wasm"))).map_err(io)?;
    let _ = fs::rename(staging.join(format!("{bg}.d.ts")), staging.join(format!("{name}.wasm.d.ts")));
    let js_path = staging.join(format!("{name}.js"));
    let js = fs::read_to_string(&js_path).map_err(io)?;
    fs::write(&js_path, js.replace(&format!("'{bg}'"), &format!("'{name}.wasm'"))).map_err(io)?;
    replace_dir(staging, out_dir)
}

/// Moves `from` to `to`; an existing `to` is moved aside first and removed afterwards.
fn replace_dir(from: &Path, to: &Path) -> Result<(), CompileError> {
    let io = |e: std::io::Error| CompileError::Io(format!("cannot move the module to {}: {e}", to.display()));
    if to.exists() {
        if !to.is_dir() {
            return Err(CompileError::Io(format!("{} exists and is not a directory; wasm32-unknown-unknown writes a directory", to.display())));
        }
        let old = to.with_extension("runtara-old");
        let _ = fs::remove_dir_all(&old);
        fs::rename(to, &old).map_err(io)?;
        fs::rename(from, to).map_err(io)?;
        let _ = fs::remove_dir_all(&old);
        return Ok(());
    }
    fs::rename(from, to).map_err(io)
}
