//! The hosted artifact contract (DESIGN §5): where input comes from, where output goes,
//! and the exit codes.
//!
//! - input: `--input FILE`, else `RUNTARA_INPUT_PATH`, else stdin; an object with a `data`
//!   key is the envelope `{data, variables}` (dsl-spec §1.5);
//! - completed: output JSON on stdout (or `RUNTARA_OUTPUT_PATH`), exit 0;
//! - failed: the structured error as one JSON line on stderr, exit 1;
//! - bad input: a message on stderr, exit 2; suspended: exit 3; cancelled: exit 4.
//! - events: JSON lines on stderr;
//! - durable state: `RUNTARA_HTTP_URL` (+ `RUNTARA_INSTANCE_ID`) checkpoints to runtara core,
//!   `RUNTARA_STATE_DIR` to the local SQLite store (native, `--local-store`); otherwise the
//!   run is stateless.

use std::io::{Read, Write};

use serde_json::{Map, Value};

use crate::failure::Failure;
use crate::runtime::{Ctx, WorkflowRuntime};
use crate::runtime::{Current, Platform};
use crate::scope::Scope;
use runtara_protocol::exit;

// Exit codes of the artifact contract (`runtara_protocol::exit`), as `process::exit` takes them.
const EXIT_COMPLETED: i32 = exit::COMPLETED as i32;
const EXIT_FAILED: i32 = exit::FAILED as i32;
const EXIT_BAD_INPUT: i32 = exit::BAD_INPUT as i32;
const EXIT_SUSPENDED: i32 = exit::SUSPENDED as i32;
const EXIT_CANCELLED: i32 = exit::CANCELLED as i32;

pub use crate::meta::WorkflowMeta;

/// The runtime of hosted targets: events on stderr, the OS clock, blocking sleep; with
/// `RUNTARA_YIELD_AFTER_MS`, longer waits end the run for the host to relaunch it; with
/// `RUNTARA_DEBUG_MODE=1`, breakpoints pause it.
pub struct HostedRuntime {
    yield_after_ms: Option<u64>,
    debug_mode: bool,
}

impl HostedRuntime {
    /// This runtime, leaving its worker for any durable wait longer than `ms` (`None`: never).
    pub fn yielding_after(mut self, ms: Option<u64>) -> Self {
        self.yield_after_ms = ms;
        self
    }

    /// The runtime this process's environment asks for.
    pub fn from_env() -> Self {
        let yield_after_ms = std::env::var("RUNTARA_YIELD_AFTER_MS").ok().and_then(|v| v.trim().parse().ok());
        let debug_mode = std::env::var("RUNTARA_DEBUG_MODE").is_ok_and(|v| matches!(v.trim(), "1" | "true"));
        HostedRuntime { yield_after_ms, debug_mode }
    }
}

impl WorkflowRuntime for HostedRuntime {
    fn emit_event(&mut self, event: &Value) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{event}");
    }

    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }

    fn sleep_ms(&mut self, ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }

    fn sleep_until(&mut self, deadline_ms: u64, persisted: bool) -> Result<(), Failure> {
        let left = deadline_ms.saturating_sub(self.now_ms());
        if persisted && self.yield_after_ms.is_some_and(|after| left > after) {
            return Err(Failure::yielded("SLEEPING", Some(deadline_ms), None));
        }
        self.sleep_ms(left);
        Ok(())
    }

    fn yield_after_ms(&self) -> Option<u64> {
        self.yield_after_ms
    }

    fn debug_mode(&self) -> bool {
        self.debug_mode
    }

    fn fork(&self) -> Option<Box<dyn WorkflowRuntime + Send>> {
        // Only native builds have threads; WASI and browsers run Split items in order.
        let forked = HostedRuntime { yield_after_ms: self.yield_after_ms, debug_mode: self.debug_mode };
        Current::HAS_THREADS.then(|| Box::new(forked) as Box<dyn WorkflowRuntime + Send>)
    }
}

/// Builds the root scope with the identity of `RUNTARA_INSTANCE_ID` and
/// `RUNTARA_TENANT_ID` (or `TENANT_ID`); see [`crate::meta::root_scope`].
pub fn root_scope(meta: &WorkflowMeta, input: Value) -> Scope {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let tenant = env("RUNTARA_TENANT_ID").or_else(|| env("TENANT_ID"));
    crate::meta::root_scope(meta, input, env("RUNTARA_INSTANCE_ID"), tenant)
}

fn read_input() -> Result<Value, String> {
    let args: Vec<String> = std::env::args().collect();
    let from_arg = args.iter().position(|a| a == "--input").and_then(|i| args.get(i + 1)).cloned();
    let path = from_arg.or_else(|| std::env::var("RUNTARA_INPUT_PATH").ok().filter(|p| !p.is_empty()));
    let text = match path {
        Some(p) if p != "-" => std::fs::read_to_string(&p).map_err(|e| format!("cannot read input file {p}: {e}"))?,
        _ => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| format!("cannot read stdin: {e}"))?;
            s
        }
    };
    if text.trim().is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_str(&text).map_err(|e| format!("input is not valid JSON: {e}"))
}

fn write_output(v: &Value) -> std::io::Result<()> {
    let text = serde_json::to_string(v).unwrap_or_default();
    match std::env::var("RUNTARA_OUTPUT_PATH").ok().filter(|p| !p.is_empty()) {
        Some(p) => std::fs::write(p, text),
        None => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{text}")?;
            out.flush()
        }
    }
}

/// The checkpoint stores an artifact links; generated `main` names them, and what it does
/// not name is not in the artifact (the linker drops it): the http backend (`runtara core`,
/// `RUNTARA_HTTP_URL`) and the local SQLite store (`RUNTARA_STATE_DIR`, native only, ~1.5 MB).
#[derive(Clone, Copy, Default)]
pub struct Stores {
    /// [`core_client`] or [`core_client_tls`]: always on native, on wasm32-wasip2 for durable
    /// graphs, graphs that use the network and `runtara compile --core-client`.
    pub core: Option<CoreClient>,
    /// [`local_store`]: native artifacts compiled with `--local-store`.
    pub local: Option<LocalStore>,
}

/// Makes the http backend of one instance. Errors: the URL needs what the artifact lacks.
pub type CoreClient = fn(runtara_sdk::HttpConfig) -> Result<Box<dyn runtara_sdk::SdkBackend>, String>;

/// Opens the local store in a directory for an instance. Errors: the store cannot be opened.
pub type LocalStore = fn(&str, &str) -> Result<Box<dyn runtara_sdk::SdkBackend>, String>;

/// The http backend without a TLS stack of its own: `http://` core URLs on native hosts
/// (any URL on wasm32-wasip2, where the host makes TLS connections).
///
/// Errors: an `https://` URL on native, naming `--core-tls`.
pub fn core_client(cfg: runtara_sdk::HttpConfig) -> Result<Box<dyn runtara_sdk::SdkBackend>, String> {
    match runtara_sdk::http::HttpBackend::plain(cfg) {
        Ok(b) => Ok(Box::new(b)),
        Err(e) => Err(format!("RUNTARA_HTTP_URL: {}; recompile with `runtara compile --core-tls`", e.0)),
    }
}

/// The http backend with TLS (rustls natively): `http://` and `https://` core URLs.
pub fn core_client_tls(cfg: runtara_sdk::HttpConfig) -> Result<Box<dyn runtara_sdk::SdkBackend>, String> {
    Ok(Box::new(runtara_sdk::http::HttpBackend::new(cfg)))
}

/// The local SQLite store of `dir` for `instance` (native; elsewhere an error saying so).
pub fn local_store(dir: &str, instance: &str) -> Result<Box<dyn runtara_sdk::SdkBackend>, String> {
    Current::local_store(dir, instance)
}

/// A run against a store (`RUNTARA_HTTP_URL`, `RUNTARA_STATE_DIR`) must name its instance
/// (`RUNTARA_INSTANCE_ID`): unrelated runs must never share, and resume, one default
/// instance's checkpoints. Errors: the message saying so.
fn instance_named() -> Result<(), String> {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty());
    match ["RUNTARA_HTTP_URL", "RUNTARA_STATE_DIR"].into_iter().find(|k| set(k)) {
        Some(var) if !set("RUNTARA_INSTANCE_ID") => Err(format!(
            "{var} is set but RUNTARA_INSTANCE_ID is not: a durable run must name its instance (runtara run --instance ID)"
        )),
        _ => Ok(()),
    }
}

/// The checkpoint backend the environment selects among the linked `stores`:
/// `RUNTARA_HTTP_URL` (+ `RUNTARA_INSTANCE_ID`, `RUNTARA_TENANT_ID`, `RUNTARA_TOKEN`) → the
/// http backend; `RUNTARA_STATE_DIR` → the local SQLite store; else none. The instance is
/// named (see [`instance_named`]).
fn backend(stores: Stores) -> Result<Box<dyn runtara_sdk::SdkBackend>, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let instance = env("RUNTARA_INSTANCE_ID").unwrap_or_default();
    if let Some(url) = env("RUNTARA_HTTP_URL") {
        let Some(make) = stores.core else {
            return Err("RUNTARA_HTTP_URL is set, but this artifact was compiled without the http backend; recompile with `runtara compile --core-client`".into());
        };
        return make(runtara_sdk::HttpConfig {
            url,
            instance,
            tenant: env("RUNTARA_TENANT_ID").unwrap_or_else(|| "default".into()),
            token: env("RUNTARA_TOKEN"),
            epoch: env("RUNTARA_EPOCH"),
        });
    }
    match (env("RUNTARA_STATE_DIR"), stores.local) {
        (Some(dir), Some(open)) => open(&dir, &instance),
        (Some(_), None) => Err("RUNTARA_STATE_DIR is set, but this artifact has no local store: compile it for the native target with `runtara compile --local-store`, or checkpoint to runtara core (`runtara run --core URL`)".into()),
        (None, _) => Ok(Box::new(runtara_sdk::Stateless)),
    }
}

/// Runs a compiled workflow under the hosted contract and exits the process.
///
/// `stores`: the checkpoint stores the artifact links.
pub fn hosted_main(meta: &WorkflowMeta, run: fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>, stores: Stores) -> ! {
    let input = match read_input() {
        Ok(v) => v,
        Err(msg) => {
            eprintln!("{}", serde_json::json!({"code": "BAD_INPUT", "message": msg}));
            std::process::exit(EXIT_BAD_INPUT);
        }
    };
    let scope = root_scope(meta, input);
    if let Err(message) = instance_named() {
        eprintln!("{}", serde_json::json!({"code": "INSTANCE_ID_REQUIRED", "message": message}));
        std::process::exit(EXIT_BAD_INPUT);
    }
    let backend = match backend(stores) {
        Ok(b) => b,
        Err(msg) => {
            eprintln!("{}", serde_json::json!({"code": "STATE_STORE_UNAVAILABLE", "message": msg}));
            std::process::exit(EXIT_FAILED);
        }
    };
    let migrate = std::env::var("RUNTARA_MIGRATE").is_ok_and(|v| !v.is_empty() && v != "0");
    let result = match execute(meta, run, Box::new(HostedRuntime::from_env()), backend, scope, migrate) {
        Ok(result) => result,
        Err((code, message)) => {
            eprintln!("{}", serde_json::json!({"code": code, "message": message}));
            std::process::exit(EXIT_FAILED);
        }
    };
    let code = match result {
        Ok(out) => match write_output(&out) {
            Ok(()) => EXIT_COMPLETED,
            Err(e) => {
                eprintln!("{}", serde_json::json!({"code": "OUTPUT_WRITE_FAILED", "message": e.to_string()}));
                EXIT_FAILED
            }
        },
        Err(f) => {
            // The report line also carries suspension/cancellation for hosts (WASI P2)
            // whose exit status is only success or failure.
            eprintln!("{}", f.report());
            match f.interruption() {
                Some("SUSPENDED") => EXIT_SUSPENDED,
                _ if f.is_yield() => EXIT_SUSPENDED,
                Some(_) => EXIT_CANCELLED,
                None => EXIT_FAILED,
            }
        }
    };
    std::process::exit(code)
}

/// Runs the workflow in `scope` with `runtime` and `backend`: registers the instance with
/// the graph's identity (`migrate`: accept a changed graph), runs it and reports how it
/// ended to the backend (a yield was reported by the step itself). The outer error is
/// `(code, message)` when the instance could not be registered (`GRAPH_CHANGED`,
/// `STATE_STORE_UNAVAILABLE`); the inner result is the run's.
pub fn execute(
    meta: &WorkflowMeta,
    run: fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>,
    runtime: Box<dyn WorkflowRuntime>,
    backend: Box<dyn runtara_sdk::SdkBackend>,
    mut scope: Scope,
    migrate: bool,
) -> Result<Result<Value, Failure>, (&'static str, String)> {
    let mut cx = Ctx::with_backend(runtime, backend, meta.track_events);
    if let Err(e) = cx.backend.register(Some(&meta.identity()), migrate) {
        let code =
            if e.0.starts_with(runtara_protocol::GRAPH_CHANGED) { "GRAPH_CHANGED" } else { "STATE_STORE_UNAVAILABLE" };
        return Err((code, e.0));
    }
    let result = run(&mut cx, &mut scope);
    let reported = match &result {
        Ok(out) => cx.backend.report("completed", out),
        // The store already knows: the step reported `sleeping` / `waiting` before yielding.
        Err(f) if f.is_yield() => Ok(()),
        Err(f) => match f.interruption() {
            Some("SUSPENDED") => cx.backend.report("suspended", &Value::Null),
            Some(_) => cx.backend.report("cancelled", &Value::Null),
            None => cx.backend.report("failed", &f.report()),
        },
    };
    if let Err(e) = reported {
        cx.emit("report_failed", serde_json::json!({"message": e.0}));
    }
    Ok(result)
}
