//! The artifact policy: what a component must be before the server stores it.
//!
//! 1. A valid WebAssembly component (not a core module).
//! 2. Its own imports are only interfaces the runner provides: `wasi:cli`, `wasi:io`,
//!    `wasi:clocks`, `wasi:random`, `wasi:filesystem` (no directories are preopened),
//!    `wasi:sockets` (no address is permitted) and `wasi:http/types` +
//!    `wasi:http/outgoing-handler` (under the egress policy).
//! 3. Every linear memory and table inside it starts within the server's limits and declares
//!    no maximum above them (memories: `--max-memory-mb`; tables: [`MAX_TABLE_ELEMENTS`]).

use wasmparser::{Parser, Payload, TypeRef};

/// The largest table a guest may declare, in elements.
pub const MAX_TABLE_ELEMENTS: u64 = 1 << 20;

/// Interface prefixes a component may import.
const ALLOWED_IMPORTS: &[&str] = &[
    "wasi:cli/",
    "wasi:io/",
    "wasi:clocks/",
    "wasi:random/",
    "wasi:filesystem/",
    "wasi:sockets/",
    "wasi:http/types@",
    "wasi:http/outgoing-handler@",
];

/// Checks `bytes` against the policy; `Err` says which rule it breaks.
pub fn check(bytes: &[u8], max_memory_bytes: u64) -> Result<(), String> {
    if !Parser::is_component(bytes) {
        return Err("the artifact is not a WebAssembly component (compile it with --target wasm32-wasip2)".into());
    }
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(bytes)
        .map_err(|e| format!("the component is not valid WebAssembly: {e}"))?;
    let page = 65536u64;
    let memory = |initial: u64, maximum: Option<u64>| -> Result<(), String> {
        if initial * page > max_memory_bytes || maximum.is_some_and(|m| m * page > max_memory_bytes) {
            return Err(format!(
                "a linear memory of the component may grow to {} bytes (initial {} pages, maximum {:?}); this server allows {max_memory_bytes} bytes",
                maximum.unwrap_or(initial) * page,
                initial,
                maximum
            ));
        }
        Ok(())
    };
    let table = |initial: u64, maximum: Option<u64>| -> Result<(), String> {
        if initial > MAX_TABLE_ELEMENTS || maximum.is_some_and(|m| m > MAX_TABLE_ELEMENTS) {
            return Err(format!("a table of the component declares more than {MAX_TABLE_ELEMENTS} elements"));
        }
        Ok(())
    };
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| e.to_string())?;
        match payload {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            // Nested modules import from their siblings; only the outer imports reach the host.
            Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    let name = import.map_err(|e| e.to_string())?.name.0;
                    if !ALLOWED_IMPORTS.iter().any(|p| name.starts_with(p)) {
                        return Err(format!(
                            "the component imports '{name}', which this server does not provide (allowed: {})",
                            ALLOWED_IMPORTS.join(", ")
                        ));
                    }
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader {
                    let m = m.map_err(|e| e.to_string())?;
                    memory(m.initial, m.maximum)?;
                }
            }
            Payload::TableSection(reader) => {
                for t in reader {
                    let t = t.map_err(|e| e.to_string())?;
                    table(t.ty.initial, t.ty.maximum)?;
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader {
                    match import.map_err(|e| e.to_string())?.ty {
                        TypeRef::Memory(m) => memory(m.initial, m.maximum)?,
                        TypeRef::Table(t) => table(t.initial, t.maximum)?,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_core_module_is_refused() {
        let module = [0, b'a', b's', b'm', 1, 0, 0, 0];
        assert!(check(&module, 1 << 30).unwrap_err().contains("not a WebAssembly component"));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(check(b"hello", 1 << 30).is_err());
    }
}
