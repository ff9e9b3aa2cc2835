//! Structural check of wasm artifacts with wasmparser (DESIGN §1): a component for
//! wasm32-wasip2, a module for wasm32-wasip1, importing only standard WASI interfaces.

use std::path::Path;

use wasmparser::{Parser, Payload};

use crate::target::Target;
use crate::CompileError;

/// Validates the artifact and its imports.
pub fn wasm_artifact(path: &Path, target: &Target) -> Result<(), CompileError> {
    let bytes = std::fs::read(path).map_err(|e| CompileError::Io(e.to_string()))?;
    let want_component = target.is_component();
    if Parser::is_component(&bytes) != want_component {
        return Err(CompileError::Artifact(format!(
            "rustc produced a {} for {target}, expected a {}",
            if want_component { "core module" } else { "component" },
            if want_component { "component" } else { "core module" }
        )));
    }
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&bytes)
        .map_err(|e| CompileError::Artifact(format!("the artifact is not valid WebAssembly: {e}")))?;
    // Only the outermost component's imports matter; nested modules/components (the WASI
    // adapter) import from their siblings.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(&bytes) {
        let payload = payload.map_err(|e| CompileError::Artifact(e.to_string()))?;
        match &payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > 0 {
            continue;
        }
        if let Payload::ComponentImportSection(reader) = payload {
            for import in reader {
                let import = import.map_err(|e| CompileError::Artifact(e.to_string()))?;
                let name = import.name.0;
                if !name.starts_with("wasi:") {
                    return Err(CompileError::Artifact(format!(
                        "the component imports '{name}', which is not a standard WASI interface"
                    )));
                }
            }
        }
    }
    Ok(())
}
