//! The `wasi:http/proxy` world of wasm32-wasip2 artifacts (`runtara compile --world http`,
//! issue 16): the component exports `wasi:http/incoming-handler`, so a WASI HTTP host
//! (`wasmtime serve -Scli`, Spin, wasmCloud) instantiates it per request.
//!
//! - `POST /` with the input (a JSON object; `{data, variables}` is the envelope): a
//!   stateless run; 200 with the output, or the structured error with the status of its
//!   category (400 bad input, 422 permanent/validation, 429 limit, 503 transient, 504
//!   timeout, 500 otherwise).
//! - `POST /instances/{id}`: a durable instance whose checkpoints live in `runtara core`
//!   (`RUNTARA_HTTP_URL`, `RUNTARA_TENANT_ID`, `RUNTARA_TOKEN` from the host, e.g.
//!   `wasmtime serve --env`). The first request's input is checkpointed; a durable Delay or
//!   a WaitForSignal that is not ready answers 202 `{status: sleeping|waiting, wake_at_ms?,
//!   signal_id?}` and the next request for the id continues from the checkpoints.
//! - `GET /instances/{id}`: the instance as the core shows it.

use serde_json::{json, Value};
pub use wasip2;
pub use wasip2::exports::http::incoming_handler::Guest;
use wasip2::http::types::{Fields, Method, OutgoingBody, OutgoingResponse};
pub use wasip2::http::types::{IncomingRequest, ResponseOutparam};

use crate::entry::{execute, root_scope, HostedRuntime, WorkflowMeta};
use crate::failure::Failure;
use crate::runtime::Ctx;
use crate::scope::Scope;

/// The workflow function generated code passes.
pub type Run = fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>;

/// The most input a request may carry, bytes.
const MAX_INPUT_BYTES: usize = 16 << 20;

/// Answers one request (see the module docs); generated code calls it from its
/// `incoming-handler` export.
pub fn handle(meta: &WorkflowMeta, run: Run, request: IncomingRequest, out: ResponseOutparam) {
    let (status, body) = respond(meta, run, &request);
    drop(request);
    let headers = Fields::new();
    let _ = headers.set("content-type", &[b"application/json".to_vec()]);
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(status);
    let Ok(outgoing) = response.body() else { return };
    ResponseOutparam::set(out, Ok(response));
    if let Ok(stream) = outgoing.write() {
        let text = body.to_string();
        // blocking_write_and_flush takes at most 4096 bytes per call.
        for chunk in text.as_bytes().chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(outgoing, None);
}

fn respond(meta: &WorkflowMeta, run: Run, request: &IncomingRequest) -> (u16, Value) {
    let path = request.path_with_query().unwrap_or_default();
    let path = path.split('?').next().unwrap_or("").trim_end_matches('/').to_string();
    let instance = path.strip_prefix("/instances/").filter(|id| valid_id(id)).map(str::to_string);
    match (request.method(), path.as_str(), instance) {
        (Method::Post, "", None) => match read_input(request) {
            Ok(input) => stateless(meta, run, input),
            Err(message) => bad_input(message),
        },
        (Method::Post, _, Some(id)) => match read_input(request) {
            Ok(input) => durable(meta, run, &id, input),
            Err(message) => bad_input(message),
        },
        (Method::Get, _, Some(id)) => match core(&id).and_then(|c| c.instance().map_err(|e| e.0)) {
            Ok(Some(detail)) => (200, detail),
            Ok(None) => (404, json!({"code": "NOT_FOUND", "message": format!("no instance '{id}'")})),
            Err(message) => (503, json!({"code": "STATE_STORE_UNAVAILABLE", "message": message})),
        },
        _ => (
            404,
            json!({"code": "NOT_FOUND", "message": "POST / runs the workflow; POST /instances/{id} runs or continues a durable instance; GET /instances/{id} shows it (id: 1-128 of A-Z a-z 0-9 . _ -)"}),
        ),
    }
}

fn valid_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn bad_input(message: String) -> (u16, Value) {
    (400, json!({"code": "BAD_INPUT", "message": message, "category": "permanent", "severity": "error"}))
}

/// The request body as JSON (`{}` when empty). Errors: unreadable, too large, not JSON.
fn read_input(request: &IncomingRequest) -> Result<Value, String> {
    let body = request.consume().map_err(|_| "the request body cannot be read".to_string())?;
    let stream = body.stream().map_err(|_| "the request body cannot be read".to_string())?;
    let mut bytes = Vec::new();
    while let Ok(chunk) = stream.blocking_read(65536) {
        bytes.extend(chunk);
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(format!("the input is over {MAX_INPUT_BYTES} bytes"));
        }
    }
    drop(stream);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(&bytes).map_err(|e| format!("input is not valid JSON: {e}"))
}

fn stateless(meta: &WorkflowMeta, run: Run, input: Value) -> (u16, Value) {
    let runtime = Box::new(HostedRuntime::from_env().yielding_after(None));
    let scope = root_scope(meta, input);
    match execute(meta, run, runtime, Box::new(runtara_sdk::Stateless), scope, false) {
        Ok(Ok(output)) => (200, output),
        Ok(Err(failure)) => failed(&failure),
        Err((code, message)) => (500, json!({"code": code, "message": message})),
    }
}

/// The http backend of instance `id` from the host's environment.
fn core(id: &str) -> Result<runtara_sdk::http::HttpBackend, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let url = env("RUNTARA_HTTP_URL").ok_or("durable instances need RUNTARA_HTTP_URL (a runtara core) in the host's environment, e.g. wasmtime serve --env RUNTARA_HTTP_URL=http://127.0.0.1:8003")?;
    Ok(runtara_sdk::http::HttpBackend::new(runtara_sdk::HttpConfig {
        url,
        instance: id.to_string(),
        tenant: env("RUNTARA_TENANT_ID").unwrap_or_else(|| "default".into()),
        token: env("RUNTARA_TOKEN"),
        epoch: None,
    }))
}

fn durable(meta: &WorkflowMeta, run: Run, id: &str, input: Value) -> (u16, Value) {
    let mut backend = match core(id) {
        Ok(b) => b,
        Err(message) => return (503, json!({"code": "STATE_STORE_UNAVAILABLE", "message": message})),
    };
    // The first request's input is the instance's: later requests continue with it.
    let input = match runtara_sdk::SdkBackend::checkpoint(&mut backend, "http::input", &input) {
        Ok(stored) => stored.unwrap_or(input),
        Err(e) => return (503, json!({"code": "STATE_STORE_UNAVAILABLE", "message": e.0})),
    };
    let mut scope = root_scope(meta, input);
    scope.variables.insert("_instance_id".into(), Value::String(id.to_string()));
    // Any durable wait leaves the request: the host calls again.
    let runtime = Box::new(HostedRuntime::from_env().yielding_after(Some(0)));
    match execute(meta, run, runtime, Box::new(backend), scope, false) {
        Ok(Ok(output)) => (200, output),
        Ok(Err(f)) if f.is_yield() => {
            let status = if f.payload["code"] == "SLEEPING" { "sleeping" } else { "waiting" };
            let mut body = json!({"status": status, "instanceId": id});
            for k in ["wake_at_ms", "signal_id"] {
                if !f.payload[k].is_null() {
                    body[k] = f.payload[k].clone();
                }
            }
            (202, body)
        }
        Ok(Err(f)) => match f.interruption() {
            Some(_) => (
                409,
                json!({"status": if f.interruption() == Some("SUSPENDED") { "suspended" } else { "cancelled" }, "error": f.report()}),
            ),
            None => failed(&f),
        },
        Err((code, message)) => (503, json!({"code": code, "message": message})),
    }
}

/// The structured error with the HTTP status of its category.
fn failed(f: &Failure) -> (u16, Value) {
    let report = f.report();
    let status = match report["category"].as_str() {
        Some("permanent" | "validation") => 422,
        Some("limit") => 429,
        Some("transient") => 503,
        Some("timeout") => 504,
        _ => 500,
    };
    (status, report)
}
