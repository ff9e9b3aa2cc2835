//! Target triples the compiler accepts.

use std::fmt;

use runtara_codegen::CompilationTarget;

/// A resolved target: the codegen target plus the exact triple passed to rustc.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub kind: CompilationTarget,
    pub triple: String,
}

/// The triple of the machine running the compiler (what `native` means).
pub fn host_triple() -> &'static str {
    env!("RUNTARA_HOST_TRIPLE")
}

impl Target {
    /// Parses `native`, the host triple, `wasm32-wasip2`, `wasm32-wasip1`,
    /// `thumbv7em-none-eabihf` or `wasm32-unknown-unknown`.
    ///
    /// Errors: any other name, with the list of supported ones.
    pub fn parse(name: &str) -> Result<Target, String> {
        let kind = match name {
            "native" => CompilationTarget::Native,
            t if t == host_triple() => CompilationTarget::Native,
            "wasm32-wasip2" => CompilationTarget::Wasip2,
            "wasm32-wasip1" => CompilationTarget::Wasip1,
            "thumbv7em-none-eabihf" => CompilationTarget::Thumbv7em,
            "wasm32-unknown-unknown" => CompilationTarget::WasmJs,
            other => {
                return Err(format!(
                    "unsupported target '{other}'; supported: native ({}), wasm32-wasip2, wasm32-wasip1, thumbv7em-none-eabihf, wasm32-unknown-unknown",
                    host_triple()
                ))
            }
        };
        let triple = if kind == CompilationTarget::Native { host_triple().to_string() } else { name.to_string() };
        Ok(Target { kind, triple })
    }

    /// The host target.
    pub fn native() -> Target {
        Target { kind: CompilationTarget::Native, triple: host_triple().to_string() }
    }

    /// File extension of the artifact (`wasm`, `elf` or none; a browser module is a
    /// directory).
    pub fn extension(&self) -> &'static str {
        match self.kind {
            CompilationTarget::Native | CompilationTarget::WasmJs => "",
            CompilationTarget::Thumbv7em => "elf",
            _ => "wasm",
        }
    }

    /// wasm32-wasip1 or wasm32-wasip2: the artifact is one `.wasm` file run by wasmtime.
    pub fn is_wasm(&self) -> bool {
        matches!(self.kind, CompilationTarget::Wasip1 | CompilationTarget::Wasip2)
    }

    /// wasm32-unknown-unknown: the artifact is a directory with `<name>.wasm`, `<name>.js`
    /// and `<name>.d.ts`.
    pub fn is_browser(&self) -> bool {
        self.kind == CompilationTarget::WasmJs
    }

    /// thumbv7em-none-eabihf: no_std firmware (an ELF, or a staticlib with `--emit staticlib`).
    pub fn is_embedded(&self) -> bool {
        self.kind == CompilationTarget::Thumbv7em
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.triple)
    }
}
