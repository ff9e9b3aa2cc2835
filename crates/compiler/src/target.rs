//! Target triples the compiler accepts.

use std::fmt;

use runtara_codegen::CompilationTarget;

/// A resolved target: the codegen target plus the exact triple passed to rustc.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub kind: CompilationTarget,
    pub triple: String,
    /// `--target cloudflare`: a wasm32-unknown-unknown build packaged as a Cloudflare
    /// Worker with a Durable Object per instance (issue 16; `cloudflare.rs`).
    pub cloudflare: bool,
}

/// The triple of the machine running the compiler (what `native` means).
pub fn host_triple() -> &'static str {
    env!("RUNTARA_HOST_TRIPLE")
}

impl Target {
    /// Parses `native`, the host triple, `wasm32-wasip2`, `wasm32-wasip1`,
    /// `thumbv7em-none-eabihf`, `wasm32-unknown-unknown` or `cloudflare` (not a triple: a
    /// wasm32-unknown-unknown module inside a Worker).
    ///
    /// Errors: any other name, with the list of supported ones.
    pub fn parse(name: &str) -> Result<Target, String> {
        if name == "cloudflare" {
            let triple = "wasm32-unknown-unknown".to_string();
            return Ok(Target { kind: CompilationTarget::WasmJs, triple, cloudflare: true });
        }
        let kind = match name {
            "native" => CompilationTarget::Native,
            t if t == host_triple() => CompilationTarget::Native,
            "wasm32-wasip2" => CompilationTarget::Wasip2,
            "wasm32-wasip1" => CompilationTarget::Wasip1,
            "thumbv7em-none-eabihf" => CompilationTarget::Thumbv7em,
            "wasm32-unknown-unknown" => CompilationTarget::WasmJs,
            other => {
                return Err(format!(
                    "unsupported target '{other}'; supported: native ({}), wasm32-wasip2, wasm32-wasip1, thumbv7em-none-eabihf, wasm32-unknown-unknown, cloudflare",
                    host_triple()
                ))
            }
        };
        let triple = if kind == CompilationTarget::Native { host_triple().to_string() } else { name.to_string() };
        Ok(Target { kind, triple, cloudflare: false })
    }

    /// The host target.
    pub fn native() -> Target {
        Target { kind: CompilationTarget::Native, triple: host_triple().to_string(), cloudflare: false }
    }

    /// File extension of the artifact (`wasm`, `elf` or none; a browser module is a
    /// directory).
    pub fn extension(&self) -> &'static str {
        match self.kind.with_std() {
            CompilationTarget::Native | CompilationTarget::WasmJs => "",
            CompilationTarget::Thumbv7em => "elf",
            _ => "wasm",
        }
    }

    /// The host: the artifact is an executable of this machine.
    pub fn is_native(&self) -> bool {
        self.kind == CompilationTarget::Native
    }

    /// wasm32-wasip1 or wasm32-wasip2: the artifact is one `.wasm` file run by wasmtime.
    pub fn is_wasm(&self) -> bool {
        matches!(self.kind.with_std(), CompilationTarget::Wasip1 | CompilationTarget::Wasip2)
    }

    /// wasm32-wasip2 (with or without std): the artifact is a component.
    pub fn is_component(&self) -> bool {
        self.kind.with_std() == CompilationTarget::Wasip2
    }

    /// This target built without std, for wasm32-wasip2 and wasm32-unknown-unknown (see
    /// [`CompilationTarget::without_std`]); `None` for every other target.
    pub fn without_std(&self) -> Option<Target> {
        self.kind.without_std().map(|kind| Target { kind, ..self.clone() })
    }

    /// The name of this target's prebuilt stdlib: the triple, with `-nostd` for a no_std
    /// build of a target that also has a std one (built beside it).
    pub fn prebuilt_name(&self) -> String {
        match self.kind.is_nostd_build() {
            true => format!("{}-nostd", self.triple),
            false => self.triple.clone(),
        }
    }

    /// wasm32-unknown-unknown (and `cloudflare`): the artifact is a directory with
    /// `<name>.wasm`, `<name>.js` and `<name>.d.ts` (plus `worker.js` and `wrangler.toml`
    /// for `cloudflare`).
    pub fn is_browser(&self) -> bool {
        self.kind.with_std() == CompilationTarget::WasmJs
    }

    /// thumbv7em-none-eabihf: no_std firmware (an ELF, or a staticlib with `--emit staticlib`).
    pub fn is_embedded(&self) -> bool {
        self.kind == CompilationTarget::Thumbv7em
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.cloudflare { "cloudflare" } else { &self.triple })
    }
}
