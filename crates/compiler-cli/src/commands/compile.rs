//! `runtara compile`: one graph into one artifact (or its Rust source) for one target.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use runtara_compiler::{compile_scenario, CompileOptions, Scenario};

use crate::args::parse_target;
use crate::error::{CliError, Result};

/// Compile a workflow graph into an artifact for a target.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The workflow JSON file (bare graph or {"executionGraph": …} wrapper).
    pub file: PathBuf,
    /// Target triple: native, the host triple, wasm32-wasip2, wasm32-wasip1,
    /// thumbv7em-none-eabihf or wasm32-unknown-unknown; or `cloudflare` (a Worker with a
    /// Durable Object per instance, around a wasm32-unknown-unknown module).
    #[arg(long, default_value = "native")]
    pub target: String,
    /// Output path (default: the file stem, `.wasm` for wasm targets, next to the input).
    /// wasm32-unknown-unknown and cloudflare write a directory: a new or empty one, or a
    /// module directory runtara wrote before (it never replaces a directory holding other
    /// files).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// `artifact` (default), `rust` (print the generated Rust source) or `staticlib`
    /// (thumbv7em-none-eabihf: a `.a` with `runtara_run` and a `.h`).
    #[arg(long, value_enum, default_value_t = Emit::Artifact)]
    pub emit: Emit,
    /// Optimise the artifact (size/speed, LTO, stripped) instead of compile speed.
    #[arg(long)]
    pub release: bool,
    /// Workflow id baked into the artifact (`variables._workflow_id`; default: file stem).
    #[arg(long)]
    pub workflow_id: Option<String>,
    /// Emit step_debug_start/step_debug_end events (as the wrapper's `trackEvents`).
    #[arg(long)]
    pub track_events: bool,
    /// Directory of child workflows for EmbedWorkflow steps: DIR/<id>.json or
    /// DIR/<id>/<version>.json (repeatable).
    #[arg(long = "workflows", value_name = "DIR")]
    pub workflows: Vec<PathBuf>,
    /// Firmware heap in KiB (thumbv7em-none-eabihf; default: 64 + 4 per step).
    #[arg(long)]
    pub heap_kb: Option<u32>,
    /// wasm32-wasip2: link the http backend so the component can checkpoint to
    /// `runtara core` (`runtara run --core`) even when the graph says `durable: false`.
    /// Durable graphs (the default) and graphs that use the network always get it; native
    /// artifacts too.
    #[arg(long)]
    pub core_client: bool,
    /// wasm32-wasip2: leave the http backend out of a durable graph that does not use the
    /// network: no wasi:http import (stock `wasmtime run` without -Shttp), but the component
    /// cannot checkpoint to a core.
    #[arg(long, conflicts_with = "core_client")]
    pub stateless: bool,
    /// native: let the artifact checkpoint to an `https://` runtara core (links rustls,
    /// ~1 MB). Without it the core URL must be `http://`; graphs that use the network
    /// have TLS anyway.
    #[arg(long)]
    pub core_tls: bool,
    /// native: link the local SQLite checkpoint store (~1.5 MB), so the artifact runs
    /// durably without a server: `RUNTARA_STATE_DIR` / `runtara run --state-dir DIR`.
    #[arg(long)]
    pub local_store: bool,
    /// wasm32-wasip2: `command` (default, runs once with wasi:cli/run) or `http` (exports
    /// wasi:http/incoming-handler for `wasmtime serve -Scli`, Spin, wasmCloud: POST / runs
    /// the workflow, POST|GET /instances/{id} a durable instance in runtara core).
    #[arg(long, value_enum, default_value_t = World::Command)]
    pub world: World,
}

/// `--world` of `compile`.
#[derive(Clone, Copy, ValueEnum, Debug, PartialEq)]
pub enum World {
    Command,
    Http,
}

/// What `compile` writes.
#[derive(Clone, Copy, ValueEnum, Debug, PartialEq)]
pub enum Emit {
    Artifact,
    Rust,
    /// thumbv7em-none-eabihf only: a static library exposing `runtara_run` plus a C header.
    Staticlib,
}

/// Compiles `args.file`; warnings and the artifact path go to stderr, `--emit rust` source
/// to stdout or `-o`. Errors: the compile error with its exit code (1 invalid graph or
/// toolchain failure, 2 unreadable input or unusable output path).
pub fn run(args: Args) -> Result<ExitCode> {
    let mut opts = CompileOptions::new(parse_target(&args.target)?);
    opts.output = args.output.clone();
    opts.release = args.release;
    opts.workflow_id = args.workflow_id;
    opts.track_events = args.track_events;
    opts.workflow_dirs = args.workflows;
    opts.heap_kb = args.heap_kb;
    opts.staticlib = args.emit == Emit::Staticlib;
    opts.core_client = args.core_client;
    opts.stateless = args.stateless;
    opts.core_tls = args.core_tls;
    opts.local_store = args.local_store;
    opts.http_world = args.world == World::Http;
    opts.emit_rust_only = args.emit == Emit::Rust;
    let result = compile_scenario(Scenario::Path(args.file.clone()), &opts)?;
    for w in &result.warnings.warnings {
        eprintln!("warning[{}] {}: {}", w.code, w.path, w.message);
    }
    match (result.artifact, args.output) {
        (Some(a), _) => eprintln!(
            "runtara: compiled {} for {} in {:.2}s -> {}",
            args.file.display(),
            result.target,
            result.duration.as_secs_f64(),
            a.display()
        ),
        (None, Some(o)) => std::fs::write(&o, &result.rust_source)
            .map_err(|e| CliError::usage(format!("cannot write {}: {e}", o.display())))?,
        (None, None) => print!("{}", result.rust_source),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn flags_parse_into_args() {
        let cli = Cli::try_parse_from([
            "runtara",
            "compile",
            "--target",
            "wasm32-wasip2",
            "g.json",
            "-o",
            "x.wasm",
            "--emit",
            "rust",
            "--workflows",
            "a",
            "--workflows",
            "b",
        ])
        .unwrap();
        let Cmd::Compile(a) = cli.command else { panic!("not compile") };
        assert_eq!((a.target.as_str(), a.emit, a.workflows.len()), ("wasm32-wasip2", super::Emit::Rust, 2));
        assert_eq!(a.output.unwrap().to_str(), Some("x.wasm"));
    }

    #[test]
    fn target_defaults_to_native_and_a_file_is_required() {
        let Cmd::Compile(a) = Cli::try_parse_from(["runtara", "compile", "g.json"]).unwrap().command else { panic!() };
        assert_eq!(a.target, "native");
        assert!(Cli::try_parse_from(["runtara", "compile"]).is_err());
        assert!(Cli::try_parse_from(["runtara", "compile", "g.json", "--emit", "elf"]).is_err());
    }
}
