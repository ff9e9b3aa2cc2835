//! The browser and Node entry (wasm32-unknown-unknown, feature `wasm-js`; DESIGN §5).
//!
//! JS calls `await run(input, options)`; the result is the workflow output, a failure
//! rejects with an `Error` whose own fields are the structured error (`code`, `stepId`,
//! `category`, …, and `payload` with all of it). `options` (all optional):
//! - `instanceId` (string): checkpoints are kept per instance, so a run of the same instance
//!   after a page reload resumes where it stopped; without one every call is a new instance
//!   whose checkpoints live in the call only (no later call can resume it, so the store is
//!   not used);
//! - `store`: `"indexeddb"` (default where `indexedDB` exists), `"memory"` (default
//!   elsewhere, e.g. Node: kept for the life of the module), or an object
//!   `{load(instanceId) → Promise<[[checkpointId, stateJson]]>, save(instanceId,
//!   checkpointId, stateJson) → Promise}`;
//! - `signal`: an `AbortSignal`; aborting cancels the run at its next step boundary or
//!   sleep (rejects with code `CANCELLED`);
//! - `onEvent`: a function receiving every event object (`workflow_log`,
//!   `step_debug_start`/`step_debug_end` when compiled with `--track-events`, …);
//! - `connections`: the connection table for network agents and AiAgent steps (the JSON of
//!   `runtara run --connections`);
//! - `suspend` (boolean): a durable Delay or a WaitForSignal whose signal is not there yet
//!   ends the call instead of waiting in it: `run` rejects with code `SLEEPING`
//!   (`wake_at_ms`) or `WAITING` (`signal_id`, and `wake_at_ms` when it has a timeout),
//!   category `lifecycle`, once the checkpoints are saved; calling again with the same
//!   instance and store continues. A host that keeps its own timers uses it (the Cloudflare
//!   Worker's Durable Object turns the deadline into an alarm);
//! - `signals`: the custom signals delivered so far (`{signalId: payload}`, dsl-spec §7.13),
//!   which WaitForSignal steps read;
//! - `control`: a function polled at step boundaries that returns `"pause"` (the run stops
//!   with code `SUSPENDED`), `"cancel"` (code `CANCELLED`) or nothing;
//! - `httpProxy`: the URL of the host's HTTP proxy for agents (`RUNTARA_HTTP_PROXY_URL` of
//!   the other targets, agents.md §5.1);
//! - `debugMode` (boolean): stop at steps with `breakpoint: true` (code `SUSPENDED`; the
//!   next call goes on past it), as `runtara run --debug` does (dsl-spec §8.10);
//! - `replayWaits` (boolean): a wait that is not checkpointed (a retry backoff, a poll, a
//!   non-durable Delay) ends the attempt, the loop awaits a timer and replays the run, which
//!   finds the wait done — for hosts whose clock stands still while code runs (workerd,
//!   where spinning on `Date.now()` never ends); elapsed-time limits (a While's `timeout`)
//!   count from the first attempt's clock. Default: spin on the clock.
//!
//! Network calls use `fetch`: a step that needs a response stops the run
//! (`FETCH_PENDING`), this loop fetches, and the workflow runs again with the response in
//! hand — checkpointed steps are not redone, so a durable graph pays one fetch per request.
//!
//! The workflow code is synchronous; a durable Delay does not block the page: the run stops
//! with its deadline checkpointed, this loop awaits a timer, and the workflow runs again
//! from the top, restoring finished steps from their checkpoints (DESIGN §6). Checkpoint
//! writes of a run reach the store before the loop sleeps or answers.

mod runtime;
mod store;

#[global_allocator]
static HEAP: crate::wasm_heap::Heap = crate::wasm_heap::Heap::new(true);

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;

use js_sys::{Function, Reflect, JSON};
use serde_json::{Map, Value};

use crate::value::object;
use wasm_bindgen::prelude::*;

use crate::failure::Failure;
use crate::meta::WorkflowMeta;
use crate::runtime::{Ctx, Current, Platform};
use crate::scope::Scope;
use runtime::{BrowserBackend, BrowserRuntime, Checkpoints, Entries, WAITS};
use store::{do_fetch, has_indexeddb, sleep, Store};

extern "Rust" {
    // Defined by the generated crate (codegen `target::browser_main`).
    fn __runtara_workflow_meta() -> &'static WorkflowMeta;
    fn __runtara_workflow_run(cx: &mut Ctx, scope: &mut Scope) -> Result<Value, Failure>;
    fn __runtara_workflow_fetches() -> bool;
    fn __runtara_workflow_waits() -> bool;
}

/// The parsed `options` argument.
struct Options {
    instance: String,
    /// `instanceId` was given: checkpoints go to the store, for a later call to resume.
    resumable: bool,
    store: Store,
    signal: JsValue,
    on_event: Option<Function>,
    connections: Option<Value>,
    suspend: bool,
    signals: Option<Map<String, Value>>,
    control: Option<Function>,
    http_proxy: Option<String>,
    debug_mode: bool,
    replay_waits: bool,
}

impl Options {
    fn parse(o: &JsValue) -> Result<Options, JsValue> {
        let get = |k: &str| if o.is_object() { Reflect::get(o, &k.into()) } else { Ok(JsValue::UNDEFINED) };
        let given = get("instanceId")?.as_string();
        let resumable = given.is_some();
        let instance = given.unwrap_or_else(fresh_instance_id);
        let store = match get("store")? {
            s if s.is_object() => Store::Custom(s),
            s => match s.as_string().as_deref() {
                Some("memory") => Store::Memory,
                Some("indexeddb") => Store::IndexedDb,
                None if has_indexeddb() => Store::IndexedDb,
                None => Store::Memory,
                Some(other) => {
                    return Err(js_error(&object([
                        ("code", "BAD_OPTIONS".into()),
                        (
                            "message",
                            alloc::format!("unknown store '{other}'; use \"indexeddb\", \"memory\" or {{load, save}}")
                                .into(),
                        ),
                    ])))
                }
            },
        };
        let on_event = get("onEvent")?.dyn_into::<Function>().ok();
        let from_js = |v: JsValue| -> Result<Option<Value>, JsValue> {
            Ok(match v.is_object() {
                true => serde_json::from_str(&JSON::stringify(&v)?.as_string().unwrap_or_default()).ok(),
                false => None,
            })
        };
        let connections = from_js(get("connections")?)?;
        let signals = match from_js(get("signals")?)? {
            Some(Value::Object(m)) => Some(m),
            _ => None,
        };
        Ok(Options {
            instance,
            resumable,
            store,
            signal: get("signal")?,
            on_event,
            connections,
            suspend: get("suspend")?.as_bool().unwrap_or(false),
            signals,
            control: get("control")?.dyn_into::<Function>().ok(),
            http_proxy: get("httpProxy")?.as_string(),
            debug_mode: get("debugMode")?.as_bool().unwrap_or(false),
            replay_waits: get("replayWaits")?.as_bool().unwrap_or(false),
        })
    }

    fn aborted(&self) -> bool {
        aborted(&self.signal)
    }
}

/// A new instance id (`run-<ms>-<random>`) for calls that name none.
fn fresh_instance_id() -> String {
    alloc::format!("run-{}-{}", js_sys::Date::now() as u64, (js_sys::Math::random() * 1e9) as u64)
}

fn aborted(signal: &JsValue) -> bool {
    signal.is_object() && Reflect::get(signal, &"aborted".into()).ok().and_then(|v| v.as_bool()).unwrap_or(false)
}

#[wasm_bindgen(typescript_custom_section)]
const RUN_OPTIONS: &str = r#"
/** Options of `run` (all optional). */
export interface RunOptions {
  /** Checkpoints are kept per instance: rerunning an instance resumes it. Default: a new instance per call. */
  instanceId?: string;
  /** Where checkpoints live: "indexeddb" (default in browsers), "memory" (default elsewhere) or your own. */
  store?: "indexeddb" | "memory" | {
    load(instanceId: string): Promise<[string, string][]>;
    save(instanceId: string, checkpointId: string, stateJson: string): Promise<void>;
  };
  /** Aborting cancels the run at its next step boundary or sleep (code CANCELLED). */
  signal?: AbortSignal;
  /** Receives every event object (workflow_log, step_debug_start/step_debug_end, …). */
  onEvent?: (event: any) => void;
  /** Connections for network agents and AiAgent: {"<id>": {integrationId, parameters: {baseUrl, apiKey, headers}}}. */
  connections?: Record<string, { integrationId?: string; parameters?: Record<string, any> }>;
  /** Durable waits end the call: it rejects with code SLEEPING (wake_at_ms) or WAITING (signal_id); call again to continue. */
  suspend?: boolean;
  /** Custom signals delivered so far, by signal id (read by WaitForSignal steps). */
  signals?: Record<string, any>;
  /** Polled at step boundaries: "pause" stops the run (SUSPENDED), "cancel" cancels it (CANCELLED). */
  control?: () => "pause" | "cancel" | undefined | null;
  /** The host's HTTP proxy for agents' requests (as RUNTARA_HTTP_PROXY_URL elsewhere). */
  httpProxy?: string;
  /** Stop at steps with `breakpoint: true` (code SUSPENDED); the next call goes on past it. */
  debugMode?: boolean;
  /** Waits that are not checkpointed end the attempt and are replayed instead of spinning (hosts whose clock stands still while code runs, e.g. workerd). */
  replayWaits?: boolean;
}
"#;

/// Runs the compiled workflow on `input` (any JSON value; `{data, variables}` is the
/// envelope). Resolves to the output; rejects with an `Error` carrying the structured error.
#[wasm_bindgen]
pub async fn run(
    input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RunOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let text =
        if input.is_undefined() { "{}".to_string() } else { JSON::stringify(&input)?.as_string().unwrap_or_default() };
    let out = run_text(text, options).await?;
    JSON::parse(&out)
}

/// [`run`] on JSON text: the input and the resolved output are JSON text, exactly as the
/// workflow produced it (numbers keep their form, e.g. `1.0`), which is what `runtara run`
/// and byte-for-byte comparisons across targets use.
#[wasm_bindgen]
pub async fn run_json(
    input: String,
    #[wasm_bindgen(unchecked_param_type = "RunOptions")] options: JsValue,
) -> Result<String, JsValue> {
    run_text(input, options).await
}

/// The run loop behind both exports, boxed so its state machine exists once in the module.
fn run_text(
    input: String,
    options: JsValue,
) -> core::pin::Pin<Box<dyn core::future::Future<Output = Result<String, JsValue>>>> {
    Box::pin(run_loop(input, options))
}

async fn run_loop(input: String, options: JsValue) -> Result<String, JsValue> {
    let opts = Options::parse(&options)?;
    // SAFETY: the generated crate defines both symbols with these signatures.
    let meta = unsafe { __runtara_workflow_meta() };
    let input: Value = if input.trim().is_empty() {
        Value::Object(Default::default())
    } else {
        serde_json::from_str(&input).map_err(|e| {
            let message = alloc::format!("input is not valid JSON: {e}");
            let fields =
                [("code", "BAD_INPUT"), ("message", &message), ("category", "permanent"), ("severity", "error")];
            js_error(&object(fields.map(|(k, v)| (k, v.into()))))
        })?
    };
    Current::set_network(opts.connections.clone(), opts.http_proxy.clone());
    // SAFETY: as above.
    let (fetches, waits) = unsafe { (__runtara_workflow_fetches(), __runtara_workflow_waits()) };
    // Without fetches the request maps stay empty: not resetting them leaves their code out
    // (`fetches` is a constant after LTO).
    if fetches {
        runtara_sdk::net::reset(false);
    }
    WAITS.with(|w| {
        let mut w = w.borrow_mut();
        w.done.clear();
        w.starts.clear();
    });
    // A call's own checkpoints, across its reruns, when no store keeps them.
    let mut own = Entries::new();
    // Checkpoints are read back by a later call of the instance or by a rerun of this one
    // (after a fetch, sleep, signal wait, replayed wait or breakpoint); with neither, keeping
    // them is only cost — a 100,000-item Split would hold 100,000 of them.
    // The loop goes round again only after a fetch, a sleep or a replayed wait.
    let reruns = fetches || waits || opts.replay_waits;
    let read_back = reruns || opts.resumable || opts.debug_mode;
    let mut input = Some(input);
    loop {
        if fetches {
            runtara_sdk::net::reset(true);
        }
        WAITS.with(|w| {
            let mut w = w.borrow_mut();
            w.seen.clear();
            w.pending = None;
        });
        if opts.aborted() {
            return Err(js_error(&object([
                ("code", "CANCELLED".into()),
                ("message", "the run was aborted".into()),
                ("category", "lifecycle".into()),
            ])));
        }
        let entries = match opts.resumable {
            true => opts.store.load(&opts.instance).await?,
            false => core::mem::take(&mut own),
        };
        let state = Rc::new(RefCell::new(Checkpoints { entries, writes: Vec::new() }));
        let backend = BrowserBackend {
            keeps: read_back,
            state: state.clone(),
            signal: opts.signal.clone(),
            signals: opts.signals.clone(),
            control: opts.control.clone(),
        };
        let runtime = BrowserRuntime {
            fetches,
            on_event: opts.on_event.clone(),
            suspend: opts.suspend,
            debug_mode: opts.debug_mode,
            replay_waits: opts.replay_waits,
        };
        let mut cx = Ctx::with_backend(Box::new(runtime), Box::new(backend), meta.track_events);
        let data = if reruns { input.clone() } else { input.take() }.unwrap_or_default();
        let mut scope = crate::meta::root_scope(meta, data, Some(opts.instance.clone()), None);
        // SAFETY: as above.
        let result = unsafe { __runtara_workflow_run(&mut cx, &mut scope) };
        let (writes, mut entries) = {
            let mut st = state.borrow_mut();
            (core::mem::take(&mut st.writes), core::mem::take(&mut st.entries))
        };
        if opts.resumable {
            for id in writes {
                let text = match entries.remove(&id) {
                    Some(Value::String(text)) => text,
                    _ => String::new(),
                };
                opts.store.save(&opts.instance, id, text).await?;
            }
        } else {
            own = entries;
        }
        let failure = match result {
            Ok(out) => return Ok(out.to_string()),
            Err(f) => f,
        };
        match failure.payload.get("code").and_then(Value::as_str) {
            Some("SLEEPING" | "WAITING") if opts.suspend && failure.is_yield() => {
                return Err(js_error(&failure.report()))
            }
            Some("SLEEPING") if failure.fatal => {
                let wake = failure.payload["wake_at_ms"].as_f64().unwrap_or(0.0);
                sleep((wake - js_sys::Date::now()).max(0.0), opts.signal.clone()).await;
            }
            Some("NAPPING") if failure.fatal => match WAITS.with(|w| w.borrow_mut().pending.take()) {
                Some((key, ms)) => {
                    sleep(ms as f64, opts.signal.clone()).await;
                    WAITS.with(|w| w.borrow_mut().done.insert(key, Value::Null));
                }
                None => return Err(js_error(&failure.report())),
            },
            Some("FETCH_PENDING") if failure.fatal => match runtara_sdk::net::take_pending() {
                Some(req) => runtara_sdk::net::fulfil(fetch(&req).await),
                None => return Err(js_error(&failure.report())),
            },
            _ => return Err(js_error(&failure.report())),
        }
    }
}

/// Performs `req` with the JS `fetch`; transport failures are `Err(message)`.
async fn fetch(req: &runtara_sdk::net::Request) -> Result<runtara_sdk::net::Response, String> {
    let headers = js_sys::Array::new();
    for (k, v) in &req.headers {
        headers.push(&js_sys::Array::of2(&k.as_str().into(), &v.as_str().into()));
    }
    let answer = do_fetch(&req.method, &req.url, headers.into(), &req.body, req.timeout_ms.unwrap_or(0) as f64)
        .await
        .map_err(|e| js_sys::Error::from(e).message().as_string().unwrap_or_else(|| "fetch failed".into()))?;
    let answer = js_sys::Array::from(&answer);
    let status = answer.get(0).as_f64().unwrap_or(0.0) as u16;
    let headers = js_sys::Array::from(&answer.get(1))
        .iter()
        .filter_map(|pair| {
            let pair = js_sys::Array::from(&pair);
            Some((pair.get(0).as_string()?.to_ascii_lowercase(), pair.get(1).as_string()?))
        })
        .collect();
    let body = js_sys::Uint8Array::new(&answer.get(2)).to_vec();
    Ok(runtara_sdk::net::Response { status, headers, body })
}

/// An `Error` with `message`, every field of `report` as its own property, `payload`, and
/// `payloadJson` (the report as the JSON text the other targets print, numbers as written).
fn js_error(report: &Value) -> JsValue {
    let err = js_sys::Error::new(report["message"].as_str().unwrap_or("the workflow failed"));
    if let Value::Object(m) = report {
        for (k, v) in m {
            if k != "message" {
                if let Ok(js) = JSON::parse(&v.to_string()) {
                    let _ = Reflect::set(&err, &k.as_str().into(), &js);
                }
            }
        }
    }
    let text = report.to_string();
    if let Ok(p) = JSON::parse(&text) {
        let _ = Reflect::set(&err, &"payload".into(), &p);
    }
    let _ = Reflect::set(&err, &"payloadJson".into(), &text.into());
    err.into()
}
