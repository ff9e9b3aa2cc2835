//! runtara-runner: runs compiled artifacts under the artifact contract (DESIGN §5).
//!
//! - [`run_artifact`] picks the engine from the file: a WASI P2 component or P1 module runs
//!   in embedded wasmtime, ARM firmware under `qemu-system-arm -machine mps2-an386`, a
//!   browser module (wasm32-unknown-unknown: a directory with `<name>.js` + `<name>.wasm`)
//!   in Node, a Cloudflare Worker directory under workerd (`workerd.rs`), anything else is
//!   executed as a native process;
//! - [`GuestHost`] runs components in-process for a server: compiled once and cached,
//!   pre-instantiated, pooled, under per-run memory, fuel and wall-time limits, with guest
//!   HTTP under an [`Egress`] policy;
//! - [`Outcome::from_run`] reads the contract back: exit code, output JSON on stdout,
//!   the structured error (last JSON line on stderr without an `event` key), events.

mod code_cache;
mod egress;
mod guest;
mod http_serve;
mod native;
mod node;
mod outcome;
mod process;
mod qemu;
mod wasm;
mod workerd;

pub use code_cache::{CodeCache, Source as CodeSource, Tier};
pub use egress::{is_public, Egress, LocalAnswer, LocalHandler};
pub use guest::{GuestExit, GuestHost, GuestLimits, GuestRun, HostConfig};
pub use http_serve::serve_component;
pub use node::browser_module;
pub use outcome::{Outcome, RunStatus};
pub use workerd::{is_worker_dir, serve_worker};

use std::path::Path;

/// What to hand an artifact.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    /// Bytes on stdin (the input JSON).
    pub stdin: Vec<u8>,
    /// Extra environment variables (`RUNTARA_*`). Native artifacts and Node see only these,
    /// the caller's `RUNTARA_*` variables and `TENANT_ID`.
    pub env: Vec<(String, String)>,
    /// Limits of the run (native artifacts and Node).
    pub limits: Limits,
    /// Keep compiled wasm32-wasip2 components here and reuse them ([`CodeCache`]); `None`:
    /// compile on every run.
    pub code_cache: Option<std::path::PathBuf>,
    /// Where tools fetched on first use are installed (workerd for Cloudflare Worker
    /// directories); `None`: a scratch directory for this run.
    pub tool_cache: Option<std::path::PathBuf>,
    /// The `file` agent's workspace directory: native artifacts get it as
    /// `RUNTARA_WORKSPACE_DIR`; wasm guests get it preopened as [`GUEST_WORKSPACE`].
    /// Browser modules, Workers and firmware have no file system (the compiler refuses the
    /// agent there).
    pub workspace: Option<std::path::PathBuf>,
}

/// The variable naming the workspace directory inside an artifact (the `file` agent's).
pub const WORKSPACE_ENV: &str = "RUNTARA_WORKSPACE_DIR";
/// Where wasm guests see the workspace directory (a WASI preopen).
pub const GUEST_WORKSPACE: &str = "/workspace";

/// What a run may use before it is stopped and reported failed.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Wall time; `None`: unlimited (a durable Delay may legitimately take hours).
    pub wall_time: Option<std::time::Duration>,
    /// Bytes of stdout, and separately of stderr, kept; more fails the run
    /// (`OUTPUT_LIMIT_EXCEEDED`).
    pub max_output_bytes: usize,
    /// Linear memory of a wasm32-wasip2 component, bytes; growing past it traps and the
    /// run fails. `None`: wasmtime's default. Not enforced for other targets.
    pub max_memory_bytes: Option<usize>,
}

impl Default for Limits {
    /// No wall-time limit; 64 MiB of output per stream; no memory limit of our own.
    fn default() -> Self {
        Limits { wall_time: None, max_output_bytes: 64 << 20, max_memory_bytes: None }
    }
}

/// Raw result of one run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// Process exit code (WASI: the exit status; a trap is reported as 1).
    pub exit_code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The most linear memory the guest had at once, bytes (wasm32-wasip2 components; `None`
    /// for other artifacts, whose memory the runner does not see).
    pub memory_peak_bytes: Option<u64>,
    /// Whether a component's compiled code came from the [`CodeCache`] (`Some(true)`) or
    /// was compiled for this run; `None` for other artifacts.
    pub code_cache_hit: Option<bool>,
    /// Which compiler made a component's code; `None` for other artifacts.
    pub code_tier: Option<Tier>,
}

/// The kind of artifact, read from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A WebAssembly component (wasm32-wasip2).
    Component,
    /// A core WebAssembly module (wasm32-wasip1).
    Module,
    /// A 32-bit ARM ELF: firmware for thumbv7em-none-eabihf, run under qemu.
    ArmFirmware,
    /// Anything else: a native executable.
    Native,
}

/// Classifies an artifact by its header: `\0asm` + version 1 is a core module, `\0asm` +
/// the component layer (`0x0d 0x00 0x01 0x00`) is a component, a 32-bit ELF with
/// `e_machine` 40 (ARM) is firmware.
pub fn artifact_kind(bytes: &[u8]) -> ArtifactKind {
    match bytes.get(..8) {
        Some([0, b'a', b's', b'm', 0x0d, 0, 1, 0]) => ArtifactKind::Component,
        Some([0, b'a', b's', b'm', 1, 0, 0, 0]) => ArtifactKind::Module,
        Some([0x7f, b'E', b'L', b'F', 1, ..]) if bytes.get(18..20) == Some(&[40, 0]) => ArtifactKind::ArmFirmware,
        _ => ArtifactKind::Native,
    }
}

/// Runs an artifact to completion.
///
/// Errors: the file cannot be read or started, or the wasm cannot be compiled/instantiated
/// (a trap during the run is an exit code 1, not an error).
pub fn run_artifact(path: &Path, req: &RunRequest) -> anyhow::Result<RunOutput> {
    if is_worker_dir(path) {
        return workerd::run(path, req);
    }
    if let Some((dir, name)) = browser_module(path) {
        return node::run(&dir, &name, req);
    }
    let mut head = [0u8; 20];
    {
        use std::io::Read;
        let mut f =
            std::fs::File::open(path).map_err(|e| anyhow::anyhow!("cannot open artifact {}: {e}", path.display()))?;
        let _ = f.read(&mut head)?;
    }
    match artifact_kind(&head) {
        ArtifactKind::Component => wasm::run_component(path, req),
        ArtifactKind::Module => wasm::run_module(path, req),
        ArtifactKind::ArmFirmware => qemu::run(path, req),
        ArtifactKind::Native => native::run(path, req),
    }
}
