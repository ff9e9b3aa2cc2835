//! `runtara`: the command-line front end of the runtara compiler. A thin layer over
//! [`runtara_compiler`] and [`runtara_runner`].
//!
//! Exit codes: 0 success; 1 the workflow is invalid or failed to compile (or the run
//! failed); 2 usage errors, unreadable or unparsable files; `run` passes the artifact's
//! own codes through (3 suspended, 4 cancelled).

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod core_client;

use core_client::{encode, CoreTarget};
use runtara_compiler::{cache, compile_scenario, load, prebuilt, CompileError, CompileOptions, Scenario, Target};
use runtara_runner::{run_artifact, Outcome, RunRequest, RunStatus};

/// Compile runtara workflow graphs (DSL 3.x JSON) into standalone programs and run them.
#[derive(Parser)]
#[command(
    name = "runtara",
    version,
    about = "Compile runtara workflow graphs (DSL 3.x JSON) into standalone programs and run them."
)]
#[command(after_help = "Targets: native (the host triple), wasm32-wasip2 (a WASI P2 component), wasm32-wasip1,\n\
thumbv7em-none-eabihf (no_std Cortex-M4 firmware; `runtara run` uses qemu-system-arm),\n\
wasm32-unknown-unknown (an ES module + wasm for browsers and Node; `runtara run` uses node).\n\
Exit codes: 0 ok, 1 invalid workflow / failed run, 2 usage or unreadable input, 3 suspended, 4 cancelled.")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Compile a workflow graph into an artifact for a target.
    Compile {
        /// The workflow JSON file (bare graph or {"executionGraph": …} wrapper).
        file: PathBuf,
        /// Target triple: native, the host triple, wasm32-wasip2, wasm32-wasip1 or
        /// thumbv7em-none-eabihf.
        #[arg(long, default_value = "native")]
        target: String,
        #[command(flatten)]
        flags: CompileFlags,
    },
    /// Check a workflow graph against the DSL rules (error codes E001…, warnings W003…).
    Validate {
        file: PathBuf,
        /// `human` (default) or `json`: {"errors":[{code,stepId,path,message}],"warnings":[…]}.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Directory of child workflows, to validate the closure (repeatable).
        #[arg(long = "workflows", value_name = "DIR")]
        workflows: Vec<PathBuf>,
    },
    /// Print the JSON Schema of the workflow document format.
    Schema,
    /// Run an artifact (or a workflow JSON, compiled and cached first).
    Run {
        /// A compiled artifact (native executable, .wasm component/module, firmware .elf, or a
        /// wasm32-unknown-unknown module directory, run in Node) or a workflow .json.
        artifact: PathBuf,
        /// Input JSON file, or `-` for stdin (default: stdin). `{"data":…,"variables":…}` is
        /// the envelope; anything else is the data.
        #[arg(long)]
        input: Option<String>,
        /// `output` (default): the output JSON on stdout; `envelope`: one line
        /// {"status","output"?,"error"?}.
        #[arg(long, value_enum, default_value_t = RunFormat::Output)]
        format: RunFormat,
        /// Target to compile a .json workflow for before running it.
        #[arg(long, default_value = "native")]
        target: String,
        /// Compile a .json workflow with --release.
        #[arg(long)]
        release: bool,
        /// Directory of child workflows for a .json workflow (repeatable).
        #[arg(long = "workflows", value_name = "DIR")]
        workflows: Vec<PathBuf>,
        /// Keep checkpoints in a local SQLite store in DIR (native artifacts): a rerun of the
        /// same instance resumes, returning finished steps' outputs without redoing them.
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// Instance id of the run (with --state-dir or --core; default `default`).
        #[arg(long, value_name = "ID")]
        instance: Option<String>,
        /// Connections for agents and AiAgent steps: a JSON file
        /// {"<id>": {"integrationId": "openai", "parameters": {"baseUrl", "apiKey", "headers"}}}
        /// (passed to the artifact as RUNTARA_CONNECTIONS).
        #[arg(long, value_name = "FILE")]
        connections: Option<PathBuf>,
        #[command(flatten)]
        core: CoreArgs,
    },
    /// Pause, resume or cancel an instance, or deliver a custom signal.
    ///
    /// Works on the instance's local state store (`run --state-dir`). Pause and cancel take
    /// effect at the next step boundary; a custom signal completes the WaitForSignal step
    /// waiting for it.
    Signal {
        /// The instance id (as given to `run --instance`).
        instance: String,
        /// `pause`, `resume` or `cancel` (omit with --custom).
        #[arg(value_enum)]
        action: Option<Control>,
        /// The signal id the WaitForSignal step waits for
        /// (`<instance>/<workflow>/<step>[/[indices]]`, see its `external_input_requested` event).
        #[arg(long = "custom", value_name = "SIGNAL_ID")]
        custom: Option<String>,
        /// The payload JSON.
        #[arg(long, default_value = "null")]
        payload: String,
        /// The local state store of the run (`run --state-dir`).
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
        #[command(flatten)]
        core: CoreArgs,
    },
    /// List the instances of a tenant on a core.
    Instances {
        #[command(flatten)]
        core: CoreArgs,
        /// `human` (default) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Show one instance on a core: status, output or error, checkpoints, events.
    Instance {
        id: String,
        #[command(flatten)]
        core: CoreArgs,
        /// `human` (default) or `json`.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// The state service.
    Core {
        #[command(subcommand)]
        cmd: CoreCmd,
    },
    /// Serve the browser demo page and the wasm32-unknown-unknown modules compiled into
    /// subdirectories of DIR (see examples/browser/README.md).
    ServeDemo {
        /// Directory whose subdirectories hold compiled modules (`-o DIR/NAME`).
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Build (or refresh) the prebuilt workflow stdlib for a target.
    Prebuild {
        #[arg(long, default_value = "native")]
        target: String,
    },
}

/// Where the state service is (`--core URL --tenant T --token X`).
#[derive(Args, Clone)]
struct CoreArgs {
    /// Base URL of `runtara core serve`, e.g. http://127.0.0.1:8003.
    #[arg(long, value_name = "URL")]
    core: Option<String>,
    /// Tenant of the instance (X-Runtara-Tenant-Id).
    #[arg(long, default_value = "default")]
    tenant: String,
    /// Bearer token of the core.
    #[arg(long)]
    token: Option<String>,
}

impl CoreArgs {
    fn target(&self) -> Option<CoreTarget> {
        self.core.clone().map(|url| CoreTarget { url, tenant: self.tenant.clone(), token: self.token.clone() })
    }
}

#[derive(Subcommand)]
enum CoreCmd {
    /// Serve the HTTP/JSON API of instances, checkpoints and signals.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8003")]
        listen: String,
        /// Database: sqlite:PATH (WAL) or postgres://user:password@host/db; tables are
        /// created on start.
        #[arg(long, default_value = "sqlite:runtara-core.sqlite3")]
        db: String,
        /// Require `Authorization: Bearer <token>` on every request.
        #[arg(long)]
        token: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Emit {
    Artifact,
    Rust,
    /// thumbv7em-none-eabihf only: a static library exposing `runtara_run` plus a C header.
    Staticlib,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Control {
    Pause,
    Resume,
    Cancel,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum RunFormat {
    Output,
    Envelope,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Compile { file, target, flags } => cmd_compile(&file, &target, flags),
        Cmd::Validate { file, format, workflows } => cmd_validate(&file, format, &workflows),
        Cmd::Schema => {
            println!("{}", serde_json::to_string_pretty(&runtara_dsl::json_schema()).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Cmd::Run { artifact, input, format, target, release, workflows, state_dir, instance, connections, core } => {
            let mut env = Vec::new();
            // Settings the artifact reads from its environment reach wasm guests too.
            for k in ["RUNTARA_CONNECTIONS", "RUNTARA_AGENT_SERVICE_URL"] {
                if let Ok(v) = std::env::var(k) {
                    env.push((k.to_string(), v));
                }
            }
            if let Some(file) = connections {
                match read_connections(&file) {
                    Ok(table) => env.push(("RUNTARA_CONNECTIONS".to_string(), table)),
                    Err(msg) => {
                        eprintln!("error: {msg}");
                        return ExitCode::from(2);
                    }
                }
            }
            if let Some(url) = &core.core {
                env.push(("RUNTARA_HTTP_URL".to_string(), url.clone()));
                env.push(("RUNTARA_TENANT_ID".to_string(), core.tenant.clone()));
                if let Some(t) = &core.token {
                    env.push(("RUNTARA_TOKEN".to_string(), t.clone()));
                }
            }
            if let Some(d) = state_dir {
                env.push(("RUNTARA_STATE_DIR".to_string(), d.display().to_string()));
            }
            if let Some(i) = instance {
                env.push(("RUNTARA_INSTANCE_ID".to_string(), i));
            }
            cmd_run(&artifact, input, format, &target, release, workflows, env)
        }
        Cmd::Signal { instance, action, custom, payload, state_dir, core } => {
            cmd_signal(&instance, action, custom, &payload, state_dir.as_deref(), core.target())
        }
        Cmd::Instances { core, format } => cmd_instances(core.target(), format),
        Cmd::Instance { id, core, format } => cmd_instance(&id, core.target(), format),
        Cmd::Core { cmd: CoreCmd::Serve { listen, db, token } } => cmd_core_serve(&listen, &db, token),
        Cmd::ServeDemo { dir, listen } => cmd_serve_demo(&listen, &dir),
        Cmd::Prebuild { target } => match parse_target(&target).and_then(|t| prebuilt::ensure(&t).map_err(|e| fail(&e))) {
            Ok(p) => {
                eprintln!("runtara: prebuilt stdlib at {}", p.dir.display());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
    }
}

fn parse_target(name: &str) -> Result<Target, ExitCode> {
    Target::parse(name).map_err(|m| {
        eprintln!("error: {m}");
        ExitCode::from(2)
    })
}

/// Prints a compile error and maps it to an exit code.
fn fail(e: &CompileError) -> ExitCode {
    eprintln!("error: {e}");
    match e {
        CompileError::Read { .. } | CompileError::Parse { .. } | CompileError::Output(_) => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}

/// How to compile (`runtara compile` options).
#[derive(clap::Args)]
struct CompileFlags {
    /// Output path (default: the file stem, `.wasm` for wasm targets, next to the input).
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// `artifact` (default), `rust` (print the generated Rust source) or `staticlib`
    /// (thumbv7em-none-eabihf: a `.a` with `runtara_run` and a `.h`).
    #[arg(long, value_enum, default_value_t = Emit::Artifact)]
    emit: Emit,
    /// Optimise the artifact (size/speed, LTO, stripped) instead of compile speed.
    #[arg(long)]
    release: bool,
    /// Workflow id baked into the artifact (`variables._workflow_id`; default: file stem).
    #[arg(long)]
    workflow_id: Option<String>,
    /// Emit step_debug_start/step_debug_end events (as the wrapper's `trackEvents`).
    #[arg(long)]
    track_events: bool,
    /// Directory of child workflows for EmbedWorkflow steps: DIR/<id>.json or
    /// DIR/<id>/<version>.json (repeatable).
    #[arg(long = "workflows", value_name = "DIR")]
    workflows: Vec<PathBuf>,
    /// Firmware heap in KiB (thumbv7em-none-eabihf; default: 64 + 4 per step).
    #[arg(long)]
    heap_kb: Option<u32>,
    /// wasm32-wasip2: link the http backend so the component can checkpoint to
    /// `runtara core` (`runtara run --core`); the component then imports wasi:http.
    /// Native artifacts always have it; graphs that use the network get it anyway.
    #[arg(long)]
    core_client: bool,
}

/// The connection table of `run --connections FILE` as compact JSON text.
fn read_connections(file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read connections file {}: {e}", file.display()))?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v @ serde_json::Value::Object(_)) => Ok(v.to_string()),
        Ok(_) => Err(format!("{}: the connections file must hold a JSON object keyed by connection id", file.display())),
        Err(e) => Err(format!("{}: not valid JSON: {e}", file.display())),
    }
}

fn cmd_compile(file: &Path, target: &str, flags: CompileFlags) -> ExitCode {
    let CompileFlags { output, emit, release, workflow_id, track_events, workflows, heap_kb, core_client } = flags;
    let target = match parse_target(target) {
        Ok(t) => t,
        Err(c) => return c,
    };
    let mut opts = CompileOptions::new(target);
    opts.output = output.clone();
    opts.release = release;
    opts.workflow_id = workflow_id;
    opts.track_events = track_events;
    opts.workflow_dirs = workflows;
    opts.heap_kb = heap_kb;
    opts.staticlib = matches!(emit, Emit::Staticlib);
    opts.core_client = core_client;
    opts.emit_rust_only = matches!(emit, Emit::Rust);
    match compile_scenario(Scenario::Path(file.to_path_buf()), &opts) {
        Ok(r) => {
            for w in &r.warnings.warnings {
                eprintln!("warning[{}] {}: {}", w.code, w.path, w.message);
            }
            match r.artifact {
                Some(a) => eprintln!("runtara: compiled {} for {} in {:.2}s -> {}", file.display(), r.target, r.duration.as_secs_f64(), a.display()),
                None => match output {
                    Some(o) => {
                        if let Err(e) = std::fs::write(&o, &r.rust_source) {
                            eprintln!("error: cannot write {}: {e}", o.display());
                            return ExitCode::from(2);
                        }
                    }
                    None => print!("{}", r.rust_source),
                },
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn cmd_validate(file: &Path, format: Format, workflows: &[PathBuf]) -> ExitCode {
    let wf = match load(&Scenario::Path(file.to_path_buf())) {
        Ok((_, wf)) => wf,
        Err(e) => return fail(&e),
    };
    let catalog = runtara_compiler::catalog::builtin_catalog();
    let mut d = runtara_dsl::validate(&wf.graph, &catalog);
    let children = match runtara_compiler::children::load_children(&wf.graph, workflows) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let stem = file.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let closure = runtara_dsl::closure::validate_closure(&stem, &wf.graph, &children, &catalog);
    d.errors.extend(closure.errors);
    d.warnings.extend(closure.warnings);
    if format == Format::Json {
        println!("{}", serde_json::to_string(&d).unwrap_or_default());
    } else {
        for (kind, list) in [("error", &d.errors), ("warning", &d.warnings)] {
            for x in list {
                let step = x.step_id.as_deref().map(|s| format!(" step '{s}'")).unwrap_or_default();
                println!("{kind}[{}]{step} at {}: {}\n  hint: {}", x.code, if x.path.is_empty() { "/" } else { &x.path }, x.message, x.hint);
            }
        }
        println!("{}: {} error(s), {} warning(s)", file.display(), d.errors.len(), d.warnings.len());
    }
    if d.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn cmd_serve_demo(listen: &str, dir: &Path) -> ExitCode {
    serve_until_stopped(runtara_compiler::demo::serve(listen, dir))
}

fn cmd_core_serve(listen: &str, db: &str, token: Option<String>) -> ExitCode {
    if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
        eprintln!("error: --db must be sqlite:PATH or a postgres://user:password@host/db URL, got '{db}'");
        return ExitCode::from(2);
    }
    serve_until_stopped(runtara_core::serve(listen, db, token))
}

/// Runs a server future on a tokio runtime; its error is printed and exits 1.
fn serve_until_stopped(server: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| anyhow::anyhow!("cannot start the async runtime: {e}"))
        .and_then(|rt| rt.block_on(server));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn need_core(core: Option<CoreTarget>) -> Result<CoreTarget, ExitCode> {
    core.ok_or_else(|| {
        eprintln!("error: give --core URL (the address of `runtara core serve`)");
        ExitCode::from(2)
    })
}

fn print_or_fail(result: Result<serde_json::Value, String>, format: Format, human: impl Fn(&serde_json::Value)) -> ExitCode {
    match result {
        Ok(v) if format == Format::Json => {
            println!("{v}");
            ExitCode::SUCCESS
        }
        Ok(v) => {
            human(&v);
            ExitCode::SUCCESS
        }
        Err(m) => {
            eprintln!("error: {m}");
            ExitCode::from(1)
        }
    }
}

fn cmd_instances(core: Option<CoreTarget>, format: Format) -> ExitCode {
    let core = match need_core(core) {
        Ok(c) => c,
        Err(code) => return code,
    };
    print_or_fail(core.get("instances"), format, |v| {
        for i in v.as_array().into_iter().flatten() {
            println!("{}\t{}", i["id"].as_str().unwrap_or(""), i["status"].as_str().unwrap_or(""));
        }
    })
}

fn cmd_instance(id: &str, core: Option<CoreTarget>, format: Format) -> ExitCode {
    let core = match need_core(core) {
        Ok(c) => c,
        Err(code) => return code,
    };
    print_or_fail(core.get(&format!("instances/{}", encode(id))), format, |v| {
        println!("instance {id}: {}", v["status"].as_str().unwrap_or("?"));
        if !v["output"].is_null() {
            println!("output: {}", v["output"]);
        }
        if !v["error"].is_null() {
            println!("error: {}", v["error"]);
        }
        for c in v["checkpoints"].as_array().into_iter().flatten() {
            println!("checkpoint {}", c.as_str().unwrap_or(""));
        }
        for e in v["events"].as_array().into_iter().flatten() {
            println!("event {e}");
        }
    })
}

fn cmd_signal(
    instance: &str,
    action: Option<Control>,
    custom: Option<String>,
    payload: &str,
    state_dir: Option<&Path>,
    core: Option<CoreTarget>,
) -> ExitCode {
    use runtara_sdk::local::LocalStore;
    use runtara_sdk::Signal;
    if let Some(core) = core {
        let body = match (action, &custom) {
            (Some(a), None) => serde_json::json!({"signal": match a { Control::Pause => "pause", Control::Resume => "resume", Control::Cancel => "cancel" }}),
            (None, Some(sid)) => match serde_json::from_str::<serde_json::Value>(payload) {
                Ok(p) => serde_json::json!({"signal_id": sid, "payload": p}),
                Err(e) => {
                    eprintln!("error: --payload is not JSON: {e}");
                    return ExitCode::from(2);
                }
            },
            _ => {
                eprintln!("error: give either pause|resume|cancel or --custom SIGNAL_ID");
                return ExitCode::from(2);
            }
        };
        return match core.post(&format!("instances/{}/signals", encode(instance)), &body) {
            Ok(_) => ExitCode::SUCCESS,
            Err(m) => {
                eprintln!("error: {m}");
                ExitCode::from(1)
            }
        };
    }
    let Some(state_dir) = state_dir else {
        eprintln!("error: give --core URL or --state-dir DIR");
        return ExitCode::from(2);
    };
    let sent = match (action, custom) {
        (Some(a), None) => {
            let signal = match a {
                Control::Pause => Signal::Pause,
                Control::Resume => Signal::Resume,
                Control::Cancel => Signal::Cancel,
            };
            LocalStore::open(state_dir, instance).and_then(|mut s| s.send_control(signal))
        }
        (None, Some(signal_id)) => {
            let payload: serde_json::Value = match serde_json::from_str(payload) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!("error: --payload is not JSON: {e}");
                    return ExitCode::from(2);
                }
            };
            LocalStore::open(state_dir, instance).and_then(|mut s| s.send_signal(&signal_id, &payload))
        }
        _ => {
            eprintln!("error: give either pause|resume|cancel or --custom SIGNAL_ID");
            return ExitCode::from(2);
        }
    };
    match sent {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.0);
            ExitCode::from(1)
        }
    }
}

fn read_input(input: Option<String>) -> Result<Vec<u8>, String> {
    match input.as_deref() {
        Some("-") | None => {
            let mut stdin = std::io::stdin();
            if input.is_none() && stdin.is_terminal() {
                return Ok(b"{}".to_vec());
            }
            let mut buf = Vec::new();
            stdin.read_to_end(&mut buf).map_err(|e| format!("cannot read stdin: {e}"))?;
            Ok(buf)
        }
        Some(p) => std::fs::read(p).map_err(|e| format!("cannot read input file {p}: {e}")),
    }
}

fn cmd_run(
    artifact: &Path,
    input: Option<String>,
    format: RunFormat,
    target: &str,
    release: bool,
    workflows: Vec<PathBuf>,
    env: Vec<(String, String)>,
) -> ExitCode {
    let path = if artifact.extension().is_some_and(|e| e == "json") {
        let target = match parse_target(target) {
            Ok(t) => t,
            Err(c) => return c,
        };
        let mut opts = CompileOptions::new(target);
        opts.release = release;
        opts.workflow_dirs = workflows;
        match cache::compile_cached(artifact, &opts) {
            Ok(p) => p,
            Err(e) => return fail(&e),
        }
    } else {
        artifact.to_path_buf()
    };
    let stdin = match read_input(input) {
        Ok(b) => b,
        Err(m) => {
            eprintln!("error: {m}");
            return ExitCode::from(2);
        }
    };
    let run = match run_artifact(&path, &RunRequest { stdin, env }) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let outcome = Outcome::from_run(&run);
    let mut err = std::io::stderr().lock();
    for ev in &outcome.events {
        let _ = writeln!(err, "{ev}");
    }
    for line in &outcome.other_stderr {
        let _ = writeln!(err, "{line}");
    }
    match format {
        RunFormat::Envelope => println!("{}", outcome.envelope()),
        RunFormat::Output => match (&outcome.output, &outcome.error) {
            (Some(o), _) => println!("{o}"),
            (None, Some(e)) => {
                let _ = writeln!(err, "{e}");
            }
            _ => {}
        },
    }
    ExitCode::from(match outcome.status {
        RunStatus::Completed => 0,
        RunStatus::Failed => 1,
        RunStatus::BadInput => 2,
        RunStatus::Suspended => 3,
        RunStatus::Cancelled => 4,
    })
}
