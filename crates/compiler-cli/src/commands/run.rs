//! `runtara run`: run an artifact under the artifact contract (README), compiling a `.json`
//! graph through the cache first. The run's own exit code is passed through.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::ValueEnum;
use runtara_compiler::{cache, CompileOptions};
use runtara_runner::{run_artifact, Limits, Outcome, RunRequest};

use crate::args::{parse_target, CoreArgs};
use crate::error::{CliError, Result};

/// Run an artifact (or a workflow JSON, compiled and cached first).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// A compiled artifact (native executable, .wasm component/module, firmware .elf, a
    /// wasm32-unknown-unknown module directory, run in Node, or a Cloudflare Worker
    /// directory, run under workerd) or a workflow .json.
    pub artifact: PathBuf,
    /// Input JSON file, or `-` for stdin (default: stdin). `{"data":…,"variables":…}` is
    /// the envelope; anything else is the data.
    #[arg(long)]
    pub input: Option<String>,
    /// `output` (default): the output JSON on stdout; `envelope`: one line
    /// {"status","output"?,"error"?}.
    #[arg(long, value_enum, default_value_t = RunFormat::Output)]
    pub format: RunFormat,
    /// Target to compile a .json workflow for before running it.
    #[arg(long, default_value = "native")]
    pub target: String,
    /// Compile a .json workflow with --release.
    #[arg(long)]
    pub release: bool,
    /// Directory of child workflows for a .json workflow (repeatable).
    #[arg(long = "workflows", value_name = "DIR")]
    pub workflows: Vec<PathBuf>,
    /// Keep checkpoints in a local SQLite store in DIR (native artifacts): a rerun of the
    /// same instance resumes, returning finished steps' outputs without redoing them.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Instance id of the run; required with --state-dir or --core (checkpoints belong to
    /// an instance, and rerunning it resumes).
    #[arg(long, value_name = "ID")]
    pub instance: Option<String>,
    /// Connections for agents and AiAgent steps: a JSON file
    /// {"<id>": {"integrationId": "openai", "parameters": {"baseUrl", "apiKey", "headers"}}}
    /// (passed to the artifact as RUNTARA_CONNECTIONS).
    #[arg(long, value_name = "FILE")]
    pub connections: Option<PathBuf>,
    /// The `file` agent's workspace directory: its paths are relative to DIR and cannot
    /// leave it (native artifacts get it as RUNTARA_WORKSPACE_DIR, wasm guests as a preopen
    /// at /workspace). Default: $RUNTARA_WORKSPACE_DIR, else none (the agent then fails with
    /// NO_WORKSPACE).
    #[arg(long, value_name = "DIR", env = "RUNTARA_WORKSPACE_DIR")]
    pub workspace: Option<PathBuf>,
    /// Resume the instance even though its graph changed since it started (the changed
    /// steps' checkpoints must still fit; the new graph is recorded).
    #[arg(long)]
    pub migrate: bool,
    /// Debug mode: pause (exit 3, suspended) before every step with `breakpoint: true`;
    /// running the same instance again goes on past it. Needs a state store (--state-dir
    /// or --core) and a durable graph.
    #[arg(long)]
    pub debug: bool,
    /// Send the agents' HTTP requests (the http agent, AiAgent's model calls) to this proxy
    /// as envelopes `{method, url, headers, body|body_raw, connection_id, timeout_ms}`; it
    /// answers `{status, headers, body}` (sets RUNTARA_HTTP_PROXY_URL; `runtara serve` is
    /// one).
    #[arg(long, value_name = "URL")]
    pub http_proxy: Option<String>,
    /// Cap the linear memory of a wasm32-wasip2 component at BYTES: growing past it traps
    /// and the run fails (other targets: not enforced).
    #[arg(long, value_name = "BYTES")]
    pub max_memory: Option<usize>,
    /// After the run, print what it used on stderr as a JSON line
    /// {"event":"guest_stats","memory_peak_bytes":N,"compiled_code":"cache"|"compiled"}
    /// (the most linear memory the wasm32-wasip2 component had at once, and whether its
    /// compiled code came from the cache; other targets: nothing measured, no line).
    #[arg(long)]
    pub stats: bool,
    /// Stop the run after SECONDS of wall time (native artifacts and Node) and report it
    /// failed with code TIMEOUT. Default: no limit (durable sleeps may take hours).
    #[arg(long, value_name = "SECONDS")]
    pub timeout: Option<f64>,
    /// Serve an HTTP-handler component (`compile --world http`) on ADDR instead of running
    /// once: POST / runs the workflow, POST|GET /instances/{id} a durable instance in the
    /// core given with --core. A Cloudflare Worker directory (`compile --target cloudflare`)
    /// is served by workerd (installed from npm on first use) with the same routes, its
    /// Durable Objects' storage in --state-dir (default: in the cache). Runs until
    /// interrupted.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    #[command(flatten)]
    pub core: CoreArgs,
}

/// `--format` of `run`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Debug)]
pub enum RunFormat {
    Output,
    Envelope,
}

/// Runs the artifact and reports as the contract says: events and other stderr lines on
/// stderr, the output (or envelope) on stdout. Exit: the run's status (0/1/2/3/4); 2 when
/// the artifact cannot be started or the input/connections cannot be read.
pub fn run(args: Args) -> Result<ExitCode> {
    if (args.state_dir.is_some() || args.core.core.is_some()) && args.instance.is_none() && args.listen.is_none() {
        return Err(CliError::usage(
            "a durable run must name its instance: add --instance ID (rerunning the same ID resumes it)",
        ));
    }
    let env = contract_env(&args)?;
    let path = if args.artifact.extension().is_some_and(|e| e == "json") {
        let mut opts = CompileOptions::new(parse_target(&args.target)?);
        opts.release = args.release;
        opts.workflow_dirs = args.workflows;
        // Serving a graph makes it an HTTP-handler component.
        opts.http_world = args.listen.is_some();
        // A native artifact links the stores this run uses, and only those.
        if opts.target.is_native() {
            opts.local_store = args.state_dir.is_some();
            opts.core_tls = args.core.core.as_deref().is_some_and(|u| u.starts_with("https://"));
        }
        cache::compile_cached(&args.artifact, &opts)?
    } else {
        args.artifact.clone()
    };
    let code_cache = runtara_compiler::cache::cache_dir().join("components");
    let tool_cache = runtara_compiler::cache::cache_dir().join("tools");
    if let (Some(addr), true) = (&args.listen, runtara_runner::is_worker_dir(&path)) {
        return serve_worker(&path, addr, args.state_dir.as_deref(), &env, &tool_cache);
    }
    if let Some(addr) = &args.listen {
        let shown = path.display().to_string();
        runtara_runner::serve_component(&path, addr, env, Some(&code_cache), |bound| {
            eprintln!("runtara: serving {shown} on http://{bound} (POST / runs it; POST|GET /instances/ID a durable instance)");
        })
        .map_err(|e| CliError::usage(format!("{e:#}")))?;
        return Ok(ExitCode::SUCCESS);
    }
    let stdin = read_input(args.input.as_deref()).map_err(CliError::usage)?;
    let limits = Limits {
        wall_time: args.timeout.map(Duration::from_secs_f64),
        max_memory_bytes: args.max_memory,
        ..Limits::default()
    };
    // Components are compiled once (Winch, then cranelift for code that runs long) and kept
    // beside the artifact cache.
    let workspace = match &args.workspace {
        Some(dir) => Some(std::fs::canonicalize(dir).map_err(|e| {
            CliError::usage(format!("--workspace {}: {e} (create the directory first)", dir.display()))
        })?),
        None => None,
    };
    let request =
        RunRequest { stdin, env, limits, code_cache: Some(code_cache), tool_cache: Some(tool_cache), workspace };
    let run = run_artifact(&path, &request).map_err(|e| CliError::usage(format!("{e:#}")))?;
    let outcome = Outcome::from_run(&run);
    let mut err = std::io::stderr().lock();
    for line in outcome.events.iter().map(ToString::to_string).chain(outcome.other_stderr.iter().cloned()) {
        let _ = writeln!(err, "{line}");
    }
    if let (true, Some(peak)) = (args.stats, run.memory_peak_bytes) {
        let code = if run.code_cache_hit == Some(true) { "cache" } else { "compiled" };
        let tier = run.code_tier.map(runtara_runner::Tier::as_str);
        let stats = serde_json::json!({"event": "guest_stats", "memory_peak_bytes": peak, "compiled_code": code, "code_tier": tier});
        let _ = writeln!(err, "{stats}");
    }
    match args.format {
        RunFormat::Envelope => println!("{}", outcome.envelope()),
        RunFormat::Output => match (&outcome.output, &outcome.error) {
            (Some(o), _) => println!("{o}"),
            (None, Some(e)) => {
                let _ = writeln!(err, "{e}");
            }
            _ => {}
        },
    }
    // After the result is out: the walk over the cache must not delay it.
    runtara_compiler::cache::evict::evict(&runtara_compiler::cache::cache_dir());
    Ok(ExitCode::from(outcome.status.code()))
}

/// `--listen` for a Cloudflare Worker directory: workerd with the Durable Objects' storage
/// in `--state-dir`, else in the cache, keyed by the directory's path.
fn serve_worker(
    dir: &Path,
    addr: &str,
    state_dir: Option<&Path>,
    env: &[(String, String)],
    tools: &Path,
) -> Result<ExitCode> {
    let state = match state_dir {
        Some(d) => d.to_path_buf(),
        None => {
            let real = std::fs::canonicalize(dir).map_err(|e| CliError::usage(format!("{}: {e}", dir.display())))?;
            let key = runtara_compiler::cache::short_hash(real.to_string_lossy().as_bytes());
            runtara_compiler::cache::cache_dir().join("workerd-state").join(key)
        }
    };
    let shown = dir.display().to_string();
    // Returns only if workerd could not be started (this process becomes workerd).
    let error = runtara_runner::serve_worker(dir, addr, &state, env, tools, |bound| {
        eprintln!(
            "runtara: serving the Worker {shown} under workerd on http://{bound} (POST / runs it; POST|GET /instances/ID a durable instance; Durable Object storage in {})",
            state.display()
        );
    });
    Err(CliError::usage(format!("{error:#}")))
}

/// The `RUNTARA_*` variables of the artifact contract that the flags set.
fn contract_env(args: &Args) -> Result<Vec<(String, String)>> {
    let mut env = Vec::new();
    // Settings the artifact reads from its environment reach wasm guests too.
    for k in ["RUNTARA_CONNECTIONS", "RUNTARA_AGENT_SERVICE_URL", "RUNTARA_MAX_FILE_SIZE", "RUNTARA_MAX_READ_SIZE"] {
        if let Ok(v) = std::env::var(k) {
            env.push((k.to_string(), v));
        }
    }
    if let Some(file) = &args.connections {
        let table = read_connections(file).map_err(CliError::usage)?;
        env.push(("RUNTARA_CONNECTIONS".to_string(), serde_json::Value::Object(table).to_string()));
    }
    if let Some(url) = &args.core.core {
        env.push(("RUNTARA_HTTP_URL".to_string(), url.clone()));
        env.push(("RUNTARA_TENANT_ID".to_string(), args.core.tenant.clone()));
        if let Some(t) = &args.core.token {
            env.push(("RUNTARA_TOKEN".to_string(), t.clone()));
        }
    }
    if let Some(d) = &args.state_dir {
        env.push(("RUNTARA_STATE_DIR".to_string(), d.display().to_string()));
    }
    if let Some(i) = &args.instance {
        env.push(("RUNTARA_INSTANCE_ID".to_string(), i.clone()));
    }
    if args.migrate {
        env.push(("RUNTARA_MIGRATE".to_string(), "1".to_string()));
    }
    if args.debug {
        env.push(("RUNTARA_DEBUG_MODE".to_string(), "1".to_string()));
    }
    if let Some(proxy) = &args.http_proxy {
        env.push(("RUNTARA_HTTP_PROXY_URL".to_string(), proxy.clone()));
    }
    Ok(env)
}

/// The connection table of `--connections FILE` (`run`, `serve`): a JSON object keyed by
/// connection id. Errors: an unreadable file, invalid JSON, not an object.
pub(crate) fn read_connections(file: &Path) -> std::result::Result<serde_json::Map<String, serde_json::Value>, String> {
    let text =
        std::fs::read_to_string(file).map_err(|e| format!("cannot read connections file {}: {e}", file.display()))?;
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(serde_json::Value::Object(table)) => Ok(table),
        Ok(_) => {
            Err(format!("{}: the connections file must hold a JSON object keyed by connection id", file.display()))
        }
        Err(e) => Err(format!("{}: not valid JSON: {e}", file.display())),
    }
}

/// `--input FILE`, `-` or nothing (stdin; `{}` when stdin is a terminal).
fn read_input(input: Option<&str>) -> std::result::Result<Vec<u8>, String> {
    match input {
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

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn core_flags_become_the_contract_environment() {
        let Cmd::Run(a) = Cli::try_parse_from([
            "runtara",
            "run",
            "x.wasm",
            "--core",
            "http://127.0.0.1:1",
            "--tenant",
            "t1",
            "--instance",
            "i9",
            "--format",
            "envelope",
        ])
        .unwrap()
        .command
        else {
            panic!()
        };
        assert_eq!(a.format, super::RunFormat::Envelope);
        let env = super::contract_env(&a).unwrap();
        for (k, v) in
            [("RUNTARA_HTTP_URL", "http://127.0.0.1:1"), ("RUNTARA_TENANT_ID", "t1"), ("RUNTARA_INSTANCE_ID", "i9")]
        {
            assert!(env.contains(&(k.to_string(), v.to_string())), "{k} missing from {env:?}");
        }
    }

    #[test]
    fn a_missing_connections_file_is_a_usage_error() {
        let Cmd::Run(a) =
            Cli::try_parse_from(["runtara", "run", "x.wasm", "--connections", "/nonexistent/c.json"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!(super::contract_env(&a).unwrap_err().code, 2);
    }

    #[test]
    fn a_durable_run_must_name_its_instance() {
        for store in [["--state-dir", "s"], ["--core", "http://127.0.0.1:1"]] {
            let mut argv = vec!["runtara", "run", "x.wasm"];
            argv.extend(store);
            let Cmd::Run(a) = Cli::try_parse_from(argv).unwrap().command else { panic!() };
            let e = super::run(a).unwrap_err();
            assert_eq!(e.code, 2);
            assert!(e.message.contains("--instance"), "{}", e.message);
        }
    }
}
