//! runtara-codegen: a validated workflow graph → Rust source (DESIGN §1, §3).
//!
//! - [`plan`] orders each graph level the way the runtime does (dsl-spec §8.1–8.2): regions,
//!   branches, merge points, onError routes;
//! - [`emit`] turns the plan into real control flow: one function per graph level, one per
//!   step, conditions as calls to stdlib comparison helpers over pre-tokenised paths;
//! - [`target`] holds the only per-target part, `main()`.
//!
//! User strings only ever become literals; identifiers come from [`ident::sanitize`].

pub mod emit;
pub mod ident;
pub mod plan;
pub mod target;

use std::fmt;

pub use target::CompilationTarget;

/// Options of one code generation.
#[derive(Debug, Clone)]
pub struct CodegenOptions {
    pub target: CompilationTarget,
    /// The workflow id baked in as `variables._workflow_id`.
    pub workflow_id: String,
    /// Emit `step_debug_start` / `step_debug_end` events (wrapper `trackEvents`).
    pub track_events: bool,
    /// Child graphs of EmbedWorkflow steps, inlined into the artifact (dsl-spec §7.6).
    pub children: runtara_dsl::closure::Children,
    /// Firmware heap in KiB (embedded target; default sized for the workflow).
    pub heap_kb: Option<u32>,
    /// Embedded target: a C-ABI staticlib (`runtara_run`) instead of a firmware ELF.
    pub staticlib: bool,
    /// Link the http backend (`runtara core`, `RUNTARA_HTTP_URL`) on wasm32-wasip2 even for
    /// a graph that is not durable and does not use the network. Native artifacts always
    /// link it; wasm32-wasip2 components of durable graphs too, unless `stateless`.
    pub core_client: bool,
    /// wasm32-wasip2: leave the http backend out of a durable graph that does not use the
    /// network (no wasi:http import; the component cannot checkpoint to a core).
    pub stateless: bool,
    /// Native: let the http backend reach `https://` cores (links rustls; graphs that use
    /// the network link it anyway). Without it the core URL must be `http://`.
    pub core_tls: bool,
    /// Native: link the local SQLite store (`RUNTARA_STATE_DIR`, `runtara run --state-dir`).
    pub local_store: bool,
    /// wasm32-wasip2: export `wasi:http/incoming-handler` (an HTTP-handler component for
    /// `wasmtime serve`, Spin, wasmCloud) instead of running `main` once.
    pub http_world: bool,
}

/// Why a graph cannot be compiled: the step (if any), the JSON pointer, the unsupported
/// feature tag (dsl-spec §9.3 names, e.g. `execution-plan-routing`) and a message.
#[derive(Debug, Clone, PartialEq)]
pub struct CodegenError {
    pub step_id: Option<String>,
    pub pointer: String,
    pub feature: &'static str,
    pub message: String,
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the compiler does not support this graph ({}): {}", self.feature, self.message)?;
        if let Some(s) = &self.step_id {
            write!(f, " [step '{s}']")?;
        }
        if !self.pointer.is_empty() {
            write!(f, " (at {})", self.pointer)?;
        }
        Ok(())
    }
}

impl std::error::Error for CodegenError {}

/// Generates the formatted Rust source of a complete artifact crate root.
///
/// Errors: shapes the planner cannot lower (fan-out without merge, missing Conditional
/// branches, routing Switch without an edge per route, unsupported step types for the
/// target) as [`CodegenError`].
pub fn generate(graph: &runtara_dsl::ExecutionGraph, opts: &CodegenOptions) -> Result<String, CodegenError> {
    let tokens = emit::emit_program(graph, opts)?;
    let file: syn::File = syn::parse2(tokens).map_err(|e| CodegenError {
        step_id: None,
        pointer: String::new(),
        feature: "internal",
        message: format!("generated tokens do not parse as Rust: {e}"),
    })?;
    Ok(space_items(&prettyplease::unparse(&file)))
}

/// The identity an artifact of `graph` compiled with `children` carries (the one its
/// instances register): SHA-256 of the whole closure and of each top-level step, 16 hex
/// digits each (`runtara_protocol::GraphIdentity`, hardening item 7).
pub fn graph_identity(
    graph: &runtara_dsl::ExecutionGraph,
    children: &runtara_dsl::closure::Children,
) -> runtara_protocol::GraphIdentity {
    emit::identity_of(graph, children)
}

/// prettyplease puts top-level items back to back; separate them with a blank line.
fn space_items(src: &str) -> String {
    let mut out = String::with_capacity(src.len() + 256);
    let mut prev = "";
    for line in src.lines() {
        let starts_item = !line.starts_with(' ') && !line.starts_with('}') && !line.starts_with(')');
        let prev_ends_item = prev == "}" || prev == "};" || (prev.ends_with(';') && !prev.starts_with(' '));
        if starts_item && prev_ends_item && !prev.starts_with("#!") && !prev.starts_with("use ") {
            out.push('\n');
        }
        out.push_str(line);
        out.push('\n');
        prev = line;
    }
    out
}
