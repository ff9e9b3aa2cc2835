//! The hosted artifact contract (DESIGN §5) apart from the platform calls: which checkpoint
//! store the environment selects, registering, running and reporting an instance, and the
//! exit codes. Both hosted entries drive it: [`crate::entry`] over Rust's std (native,
//! WASI, the HTTP world) and [`crate::component`] over WASI Preview 2 without std.
//!
//! - durable state: `RUNTARA_HTTP_URL` (+ `RUNTARA_INSTANCE_ID`, `RUNTARA_TENANT_ID`,
//!   `RUNTARA_TOKEN`, `RUNTARA_EPOCH`) checkpoints to runtara core, `RUNTARA_STATE_DIR` to
//!   the local SQLite store (native, `--local-store`); otherwise the run is stateless;
//! - completed: the output JSON written out, exit 0; failed: the structured error as one
//!   JSON line on stderr, exit 1; bad input: exit 2; suspended: exit 3; cancelled: exit 4.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use serde_json::Value;

use crate::failure::Failure;
pub use crate::meta::WorkflowMeta;
use crate::runtime::{Ctx, Current, Platform, WorkflowRuntime};
use crate::scope::Scope;
use crate::value::object;
use runtara_protocol::exit;

/// What a hosted entry provides: its environment, its error stream, where output goes and
/// the runtime of the run.
pub trait Host {
    /// The environment variable `key` when set and not empty.
    fn env(&self, key: &str) -> Option<String>;
    /// Writes one line (no newline in `line`) on stderr.
    fn error_line(&mut self, line: &str);
    /// Writes the output JSON text (stdout, or `RUNTARA_OUTPUT_PATH`). Errors: a message.
    fn write_output(&mut self, json: &str) -> Result<(), String>;
    /// The runtime of the run (events, clock, sleep).
    fn runtime(&self) -> Box<dyn WorkflowRuntime>;
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

/// Builds the root scope with the identity of `RUNTARA_INSTANCE_ID` and
/// `RUNTARA_TENANT_ID` (or `TENANT_ID`); see [`crate::meta::root_scope`].
pub fn root_scope(host: &impl Host, meta: &WorkflowMeta, input: Value) -> Scope {
    let tenant = host.env("RUNTARA_TENANT_ID").or_else(|| host.env("TENANT_ID"));
    crate::meta::root_scope(meta, input, host.env("RUNTARA_INSTANCE_ID"), tenant)
}

/// A run against a store (`RUNTARA_HTTP_URL`, `RUNTARA_STATE_DIR`) must name its instance
/// (`RUNTARA_INSTANCE_ID`): unrelated runs must never share, and resume, one default
/// instance's checkpoints. Errors: the message saying so.
fn instance_named(host: &impl Host) -> Result<(), String> {
    let set = |k: &str| host.env(k).is_some();
    match ["RUNTARA_HTTP_URL", "RUNTARA_STATE_DIR"].into_iter().find(|k| set(k)) {
        Some(var) if !set("RUNTARA_INSTANCE_ID") => Err(format!(
            "{var} is set but RUNTARA_INSTANCE_ID is not: a durable run must name its instance (runtara run --instance ID)"
        )),
        _ => Ok(()),
    }
}

/// The checkpoint backend the environment selects among the linked `stores` (see the
/// module docs); the instance is named (see [`instance_named`]).
fn backend(host: &impl Host, stores: Stores) -> Result<Box<dyn runtara_sdk::SdkBackend>, String> {
    let instance = host.env("RUNTARA_INSTANCE_ID").unwrap_or_default();
    if let Some(url) = host.env("RUNTARA_HTTP_URL") {
        let Some(make) = stores.core else {
            return Err("RUNTARA_HTTP_URL is set, but this artifact was compiled without the http backend; recompile with `runtara compile --core-client`".into());
        };
        return make(runtara_sdk::HttpConfig {
            url,
            instance,
            tenant: host.env("RUNTARA_TENANT_ID").unwrap_or_else(|| "default".into()),
            token: host.env("RUNTARA_TOKEN"),
            epoch: host.env("RUNTARA_EPOCH"),
        });
    }
    match (host.env("RUNTARA_STATE_DIR"), stores.local) {
        (Some(dir), Some(open)) => open(&dir, &instance),
        (Some(_), None) => Err("RUNTARA_STATE_DIR is set, but this artifact has no local store: compile it for the native target with `runtara compile --local-store`, or checkpoint to runtara core (`runtara run --core URL`)".into()),
        (None, _) => Ok(Box::new(runtara_sdk::Stateless)),
    }
}

/// The input file of a run: the argument after `--input` among `args`, else
/// `RUNTARA_INPUT_PATH`; `None` (or `-`) means stdin.
pub fn input_file(host: &impl Host, args: &[String]) -> Option<String> {
    let from_arg = args.iter().position(|a| a == "--input").and_then(|i| args.get(i + 1)).cloned();
    from_arg.or_else(|| host.env("RUNTARA_INPUT_PATH")).filter(|p| p != "-")
}

/// The input of a run from its text: blank is `{}`. Errors: the text is not JSON.
pub fn parse_input(text: &str) -> Result<Value, String> {
    if text.trim().is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    serde_json::from_str(text).map_err(|e| format!("input is not valid JSON: {e}"))
}

/// `{"code", "message"}` as one line on stderr.
fn error_line(host: &mut impl Host, code: &str, message: String) {
    host.error_line(&object([("code", code.into()), ("message", message.into())]).to_string());
}

/// Runs a compiled workflow on `input` (`Err`: why the input is unusable) under the hosted
/// contract of `host` and returns the exit code (`runtara_protocol::exit`).
pub fn drive(
    host: &mut impl Host,
    meta: &WorkflowMeta,
    run: fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>,
    stores: Stores,
    input: Result<Value, String>,
) -> u8 {
    let input = match input {
        Ok(v) => v,
        Err(msg) => {
            error_line(host, "BAD_INPUT", msg);
            return exit::BAD_INPUT;
        }
    };
    let scope = root_scope(host, meta, input);
    if let Err(message) = instance_named(host) {
        error_line(host, "INSTANCE_ID_REQUIRED", message);
        return exit::BAD_INPUT;
    }
    let backend = match backend(host, stores) {
        Ok(b) => b,
        Err(msg) => {
            error_line(host, "STATE_STORE_UNAVAILABLE", msg);
            return exit::FAILED;
        }
    };
    let migrate = host.env("RUNTARA_MIGRATE").is_some_and(|v| v != "0");
    let result = match execute(meta, run, host.runtime(), backend, scope, migrate) {
        Ok(result) => result,
        Err((code, message)) => {
            error_line(host, code, message);
            return exit::FAILED;
        }
    };
    match result {
        Ok(out) => match host.write_output(&out.to_string()) {
            Ok(()) => exit::COMPLETED,
            Err(e) => {
                error_line(host, "OUTPUT_WRITE_FAILED", e);
                exit::FAILED
            }
        },
        Err(f) => {
            // The report line also carries suspension/cancellation for hosts (WASI P2)
            // whose exit status is only success or failure.
            host.error_line(&f.report().to_string());
            match f.interruption() {
                Some("SUSPENDED") => exit::SUSPENDED,
                _ if f.is_yield() => exit::SUSPENDED,
                Some(_) => exit::CANCELLED,
                None => exit::FAILED,
            }
        }
    }
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
        cx.emit("report_failed", object([("message", e.0.into())]));
    }
    Ok(result)
}

/// `RUNTARA_YIELD_AFTER_MS` and `RUNTARA_DEBUG_MODE` of `env`: (waits longer than this end
/// the run, breakpoints pause it).
pub fn runtime_settings(env: impl Fn(&str) -> Option<String>) -> (Option<u64>, bool) {
    let yield_after_ms = env("RUNTARA_YIELD_AFTER_MS").and_then(|v| v.trim().parse().ok());
    let debug_mode = env("RUNTARA_DEBUG_MODE").is_some_and(|v| matches!(v.trim(), "1" | "true"));
    (yield_after_ms, debug_mode)
}

/// `s`, unless it is empty (environment variables set to "" count as unset).
pub fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}
