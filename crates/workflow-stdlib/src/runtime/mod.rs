//! The platform seam: [`WorkflowRuntime`] (events, clock, sleep) and the per-run [`Ctx`]
//! generated code threads through every step (DESIGN §3).

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{Map, Value};

mod events;
pub use events::{debug_end, debug_start, scope_ids, DebugStep, EventTracker, TRACK_EVENTS};

// Target glue (ARCHITECTURE "cfg policy"): one file per platform, gated once here, each
// a unit type implementing [`Platform`]; the rest of the stdlib calls `Current::…` and has
// no `#[cfg]` of its own.
#[cfg(all(feature = "wasm-js", not(feature = "native")))]
mod browser;
#[cfg(all(feature = "wasm-js-nostd", not(feature = "std")))]
mod browser_nostd;
#[cfg(not(any(feature = "std", feature = "wasm-js-nostd")))]
mod embedded;
#[cfg(feature = "native")]
mod native;
#[cfg(all(feature = "std", not(any(feature = "native", feature = "wasm-js"))))]
mod wasi;

/// The platform this build is for.
#[cfg(all(feature = "wasm-js", not(feature = "native")))]
pub type Current = browser::Browser;
/// The platform this build is for.
#[cfg(all(feature = "wasm-js-nostd", not(feature = "std")))]
pub type Current = browser_nostd::Browser;
/// The platform this build is for.
#[cfg(not(any(feature = "std", feature = "wasm-js-nostd")))]
pub type Current = embedded::Embedded;
/// The platform this build is for.
#[cfg(feature = "native")]
pub type Current = native::Native;
/// The platform this build is for.
#[cfg(all(feature = "std", not(any(feature = "native", feature = "wasm-js"))))]
pub type Current = wasi::Wasi;

/// What differs between platforms. The defaults are the portable behaviour: one thread, no
/// network wait, no connection table, no local store.
pub trait Platform {
    /// Whether the hosted runtime can fork itself onto threads.
    const HAS_THREADS: bool = false;

    /// Runs `tasks` up to `window` at a time on threads, in task order; gives the tasks back
    /// (to run in order) when the platform or runtime cannot.
    fn execute_threads<I: Iterator<Item = Task>>(
        _cx: &mut Ctx,
        _window: usize,
        tasks: I,
        _stop_on_failure: bool,
    ) -> Result<Vec<Result<Value, Failure>>, I> {
        Err(tasks)
    }

    /// The `_connection` descriptor of connection `id` (dsl-spec §7.2 step 2; no secrets).
    fn connection_descriptor(id: &str) -> Value {
        serde_json::json!({"connection_id": id, "integration_id": null, "parameters": {}})
    }

    /// Sets what network agents use on hosts without an environment (the browser module's
    /// `connections` and `httpProxy` options; elsewhere `RUNTARA_CONNECTIONS` and
    /// `RUNTARA_HTTP_PROXY_URL` are read): the connection table and the agents' HTTP proxy.
    fn set_network(_connections: Option<Value>, _http_proxy: Option<String>) {}

    /// Whether a network request of this attempt is waiting for the host to fetch it.
    fn fetch_pending() -> bool {
        false
    }

    /// Whether fetched responses are kept per call site ([`Platform::set_call_site`]).
    const FETCHES_BY_CALL_SITE: bool = false;

    /// Sets the call site of the network requests that follow; returns the previous one.
    fn set_call_site(site: String) -> String {
        site
    }

    /// The local SQLite store of `RUNTARA_STATE_DIR` for `instance`.
    fn local_store(_dir: &str, _instance: &str) -> Result<Box<dyn runtara_sdk::SdkBackend>, String> {
        Err("RUNTARA_STATE_DIR (the local SQLite store) is available to native artifacts only; use runtara core (--core URL)".into())
    }
}

use crate::failure::Failure;
use crate::scope::Scope;

/// What a target provides to running workflow code.
///
/// Hosted targets write events as JSON lines on stderr and sleep on the OS clock; the
/// embedded target supplies its own. `execute_parallel` and checkpoint hooks arrive with the
/// semantics and durability work.
pub trait WorkflowRuntime {
    /// Emits one event object (`{"event": <name>, …}`), e.g. `workflow_log`.
    fn emit_event(&mut self, event: &Value);
    /// Milliseconds since the Unix epoch (0 when the target has no clock).
    fn now_ms(&self) -> u64;
    /// Blocks for `ms` milliseconds.
    fn sleep_ms(&mut self, ms: u64);
    /// The time an elapsed-time limit counts from (a While's or Split's `timeout`, a
    /// WaitForSignal's): [`WorkflowRuntime::now_ms`]; a runtime that replays attempts after
    /// its waits ([`WorkflowRuntime::wait_ms`]) answers with the first attempt's reading.
    fn started_ms(&mut self) -> u64 {
        self.now_ms()
    }
    /// A wait of workflow logic that is not checkpointed — a retry backoff, a poll interval.
    /// Runtimes that cannot block (the browser module, where workerd's clock stands still
    /// while code runs) stop the run with the fatal `NAPPING` failure instead and replay it
    /// after the wait, which then returns at once. Default: [`WorkflowRuntime::sleep_ms`].
    fn wait_ms(&mut self, ms: u64) -> Result<(), Failure> {
        self.sleep_ms(ms);
        Ok(())
    }
    /// Waits until `deadline_ms` (ms since the epoch) for a Delay; `persisted` when the
    /// deadline is checkpointed. A persisted wait longer than
    /// [`WorkflowRuntime::yield_after_ms`] fails instead with the fatal `SLEEPING` failure
    /// carrying `wake_at_ms`, and the host runs the workflow again after the deadline
    /// (DESIGN §6: resume = run again from the top); so do runtimes that must not block
    /// (the browser). Default: that, else [`WorkflowRuntime::sleep_ms`].
    fn sleep_until(&mut self, deadline_ms: u64, persisted: bool) -> Result<(), Failure> {
        let left = deadline_ms.saturating_sub(self.now_ms());
        if persisted && self.yield_after_ms().is_some_and(|after| left > after) {
            return Err(Failure::yielded("SLEEPING", Some(deadline_ms), None));
        }
        self.sleep_ms(left);
        Ok(())
    }
    /// `Some(ms)`: the host relaunches instances, so waits end the run instead of blocking
    /// it — a durable Delay longer than `ms` with the fatal `SLEEPING` failure, a
    /// WaitForSignal whose signal has not arrived (whatever its timeout) with `WAITING`; the
    /// host relaunches the instance at the deadline or when the signal arrives (`runtara
    /// serve` sets `RUNTARA_YIELD_AFTER_MS`). `None`: block in place.
    fn yield_after_ms(&self) -> Option<u64> {
        None
    }
    /// Whether the workflow can make network requests (false lets a platform that keeps
    /// fetched responses per call site skip naming the call sites).
    fn fetches(&self) -> bool {
        true
    }

    /// Whether breakpoints pause the run (debug mode, `RUNTARA_DEBUG_MODE=1` on hosted
    /// targets; dsl-spec §7).
    fn debug_mode(&self) -> bool {
        false
    }
    /// A runtime for another thread, on targets that run Split items in parallel
    /// (native); `None` means items run sequentially.
    fn fork(&self) -> Option<Box<dyn WorkflowRuntime + Send>> {
        None
    }
}

/// One unit of parallel work: a Split item run against its own context.
pub type Task = Box<dyn FnOnce(&mut Ctx) -> Result<Value, Failure> + Send>;

/// Static facts about one step, emitted by codegen as a `const`.
#[derive(Debug, Clone, Copy)]
pub struct StepInfo {
    pub id: &'static str,
    /// Checkpoint the step's envelope (Agent, Split, EmbedWorkflow, Delay in durable
    /// graphs; dsl-spec §8.10).
    pub durable: bool,
    /// Display name; envelopes default it to `"Unnamed"` (dsl-spec §7.0).
    pub name: Option<&'static str>,
    pub step_type: &'static str,
    /// The authored input mapping as JSON text, for `step_debug_start` (emitted only when
    /// the workflow tracks events).
    pub input_mapping: Option<&'static str>,
}

impl StepInfo {
    /// The envelope `stepName`: the name, or `"Unnamed"` (`"Finish"` for Finish steps).
    pub fn display_name(&self) -> &'static str {
        self.name.unwrap_or(if self.step_type == "Finish" { "Finish" } else { "Unnamed" })
    }

    /// `{stepId, stepName, stepType}` plus `extra` (dsl-spec §7.0).
    pub fn envelope(&self, extra: Map<alloc::string::String, Value>) -> Value {
        let mut m = extra;
        // `extra`'s own fields win, as when it was merged over these.
        for (k, v) in [("stepId", self.id), ("stepName", self.display_name()), ("stepType", self.step_type)] {
            m.entry(k).or_insert_with(|| v.into());
        }
        Value::Object(m)
    }

    /// The envelope with `outputs` only.
    pub fn envelope_outputs(&self, outputs: Value) -> Value {
        let mut m = Map::new();
        m.insert("outputs".into(), outputs);
        self.envelope(m)
    }
}

/// Per-run context: the platform runtime, the checkpoint backend and workflow-wide
/// settings.
pub struct Ctx {
    pub rt: Box<dyn WorkflowRuntime>,
    /// Where checkpoints go (DESIGN §6).
    pub backend: Box<dyn runtara_sdk::SdkBackend>,
    /// Emits `step_debug_start` / `step_debug_end` (wrapper `trackEvents`, dsl-spec §8.11)
    /// when set.
    pub track_events: Option<&'static EventTracker>,
    /// A fatal failure (a yield, pause, cancel, store failure) of an AiAgent tool's child,
    /// held across the tool interface — which carries only an error payload — so the run
    /// stops instead of showing it to the model ([`Ctx::hold`], [`Ctx::take_held`]).
    held: Option<Failure>,
}

impl Ctx {
    /// A context over `rt` without durable state.
    pub fn new(rt: Box<dyn WorkflowRuntime>, track_events: Option<&'static EventTracker>) -> Self {
        Ctx { rt, backend: Box::new(runtara_sdk::Stateless), track_events, held: None }
    }

    /// A context over `rt` checkpointing to `backend`.
    pub fn with_backend(
        rt: Box<dyn WorkflowRuntime>,
        backend: Box<dyn runtara_sdk::SdkBackend>,
        track_events: Option<&'static EventTracker>,
    ) -> Self {
        Ctx { rt, backend, track_events, held: None }
    }

    /// Keeps `failure` when it is fatal (it must end the run, not become a tool result);
    /// returns its payload either way.
    pub fn hold(&mut self, failure: Failure) -> Value {
        let payload = failure.payload.clone();
        if failure.fatal {
            self.held = Some(failure);
        }
        payload
    }

    /// The failure [`Ctx::hold`] kept, if any (taking it).
    pub fn take_held(&mut self) -> Option<Failure> {
        self.held.take()
    }

    /// Runs `tasks` and returns their results in task order (DESIGN §3
    /// `execute_parallel`). With a runtime that can [`fork`](WorkflowRuntime::fork) and the
    /// `native` feature, up to `window` tasks run at once on threads; otherwise in order.
    /// `stop_on_failure`: no task starts after a window that had a failure (the sequential
    /// semantics of a fail-fast Split); the results then end early.
    /// Tasks are pulled from the iterator as they are started, so a long Split never holds
    /// more than `window` items' scopes at once.
    pub fn execute_parallel(
        &mut self,
        window: usize,
        tasks: impl Iterator<Item = Task>,
        stop_on_failure: bool,
    ) -> Vec<Result<Value, Failure>> {
        let tasks = match Current::execute_threads(self, window, tasks, stop_on_failure) {
            Ok(results) => return results,
            Err(tasks) => tasks,
        };
        let mut out = Vec::new();
        for t in tasks {
            let r = t(self);
            let failed = r.is_err();
            out.push(r);
            if failed && stop_on_failure {
                break;
            }
        }
        out
    }

    /// Emits event `name` with the fields of `data` (an object): to the runtime (stderr on
    /// hosted targets) and to the state store's event log. A store that cannot take the
    /// event does not fail the step; the runtime still has it.
    pub fn emit(&mut self, name: &str, data: Value) {
        let mut m = Map::new();
        m.insert("event".into(), Value::String(name.to_string()));
        if let Value::Object(d) = data {
            m.extend(d);
        }
        let event = Value::Object(m);
        self.rt.emit_event(&event);
        let _ = self.backend.event(&event);
    }
}

/// Runs one step body: debug events around it (when tracked) and failures attributed to the
/// step id.
pub fn run_step<T>(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    body: impl FnOnce(&mut Ctx, &mut Scope) -> Result<T, Failure>,
) -> Result<T, Failure> {
    step_boundary(cx, info)?;
    traced(cx, scope, info, body)
}

/// The step with its place: the scope, loop indices and child prefix it runs in.
fn call_site(scope: &Scope, info: &StepInfo) -> String {
    let var = |k: &str| scope.variables.get(k).map(Value::to_string).unwrap_or_default();
    alloc::format!("{}|{}|{}|{}", var("_cache_key_prefix"), var("_scope_id"), var("_loop_indices"), info.id)
}

/// The step body with failures attributed to the step and, when tracked, debug events; its
/// network requests are the step's own ([`Platform::set_call_site`]).
fn traced<T>(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    body: impl FnOnce(&mut Ctx, &mut Scope) -> Result<T, Failure>,
) -> Result<T, Failure> {
    if !Current::FETCHES_BY_CALL_SITE || !cx.rt.fetches() {
        return traced_here(cx, scope, info, body);
    }
    let previous = Current::set_call_site(call_site(scope, info));
    let result = traced_here(cx, scope, info, body);
    Current::set_call_site(previous);
    result
}

fn traced_here<T>(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    body: impl FnOnce(&mut Ctx, &mut Scope) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let Some(events) = cx.track_events else {
        return body(cx, scope).map_err(|f| f.at(info.id));
    };
    let started = cx.rt.now_ms();
    let step = DebugStep { id: info.id, name: info.name, step_type: info.step_type };
    (events.start)(cx, scope, &step, started, info.input_mapping);
    let result = body(cx, scope).map_err(|f| f.at(info.id));
    (events.step_end)(cx, scope, &step, started, result.as_ref().err());
    result
}

/// Honours pause and cancel at a step boundary (DESIGN §6: signals are pulled).
fn step_boundary(cx: &mut Ctx, info: &StepInfo) -> Result<(), Failure> {
    honour_lifecycle(cx).map_err(|f| f.at(info.id))
}

/// Stops the run with `SUSPENDED` when the instance was paused, `CANCELLED` when it was
/// cancelled: at step boundaries, and while a step waits for a signal. Only backends that
/// can receive signals are asked.
pub fn honour_lifecycle(cx: &mut Ctx) -> Result<(), Failure> {
    if !cx.backend.receives_signals() {
        return Ok(());
    }
    match cx.backend.pending_signal() {
        Ok(Some(runtara_sdk::Signal::Pause)) => Err(Failure::interrupted("SUSPENDED", "the instance was paused")),
        Ok(Some(runtara_sdk::Signal::Cancel)) => Err(Failure::interrupted("CANCELLED", "the instance was cancelled")),
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::msg(alloc::format!("signal store failed: {}", e.0))),
    }
}

/// The breakpoint before step `info` (dsl-spec §7, §8.10), which generated code calls
/// first in the step functions of steps with `breakpoint: true` in durable graphs. In debug
/// mode with a persisting backend, the first run that reaches it checkpoints
/// `breakpoint::<stepId>[::i_j]` = `"breakpoint_hit"`, emits `breakpoint_hit` and suspends
/// (exit 3, the failure's `breakpoint` names the checkpoint); a resumed run finds the
/// checkpoint and goes on. Otherwise nothing: a breakpoint never changes results.
pub fn breakpoint(cx: &mut Ctx, scope: &Scope, info: &StepInfo) -> Result<(), Failure> {
    if !cx.rt.debug_mode() || !cx.backend.persists() {
        return Ok(());
    }
    let id = alloc::format!("breakpoint::{}{}", info.id, loop_suffix(scope));
    let store_error = |e| store_failure(&id, e).at(info.id);
    if cx.backend.load(&id).map_err(store_error)?.is_some() {
        return Ok(());
    }
    cx.backend.checkpoint(&id, &Value::String("breakpoint_hit".into())).map_err(store_error)?;
    let at = cx.rt.now_ms();
    let event = crate::value::object([
        ("step_id", info.id.into()),
        ("step_type", info.step_type.into()),
        ("checkpoint_id", id.as_str().into()),
        ("timestamp_ms", at.into()),
    ]);
    cx.emit("breakpoint_hit", event);
    let message = alloc::format!("paused at the breakpoint before step '{}'; resume the instance to go on", info.id);
    Err(Failure::fatal(crate::value::object([
        ("code", "SUSPENDED".into()),
        ("message", message.into()),
        ("category", "lifecycle".into()),
        ("severity", "info".into()),
        ("breakpoint", id.into()),
    ]))
    .at(info.id))
}

/// Runs a checkpointed step (checkpoint-as-memo, DESIGN §6): when the backend holds the
/// step's envelope under its checkpoint id, the envelope is restored and the body does not
/// run; otherwise pause/cancel are honoured, the body runs and its envelope is checkpointed. Failures are never
/// checkpointed. Non-durable steps just run.
pub fn run_durable_step(
    cx: &mut Ctx,
    scope: &mut Scope,
    info: &StepInfo,
    body: impl FnOnce(&mut Ctx, &mut Scope) -> Result<(), Failure>,
) -> Result<(), Failure> {
    if !info.durable || !cx.backend.persists() {
        return run_step(cx, scope, info, body);
    }
    let id = checkpoint_id(scope, info.id);
    let store_error = |e| store_failure(&id, e).at(info.id);
    if let Some(envelope) = cx.backend.load(&id).map_err(store_error)? {
        // A restored step runs nothing, so pause/cancel wait for the first step that does.
        scope.store(info.id, envelope);
        return Ok(());
    }
    step_boundary(cx, info)?;
    traced(cx, scope, info, body)?;
    if let Some(envelope) = scope.steps.get(info.id) {
        // First write wins: when another run of this instance checkpointed the step first,
        // this run continues with that result, never its own (DESIGN §6).
        if let Some(winner) = cx.backend.checkpoint(&id, envelope).map_err(store_error)? {
            scope.store(info.id, winner);
        }
    }
    Ok(())
}

/// The failure of a checkpoint store call for checkpoint `id`: fatal, so no onError route,
/// retry or Split can catch it after the step's side effect happened — the run stops with
/// the store's error (`CHECKPOINT_TOO_LARGE` when the state is over the store's limit,
/// else `CHECKPOINT_STORE_FAILED`), and a rerun resumes from the last checkpoint.
pub fn store_failure(id: &str, e: runtara_sdk::SdkError) -> Failure {
    let code = if e.is_too_large() { runtara_sdk::SdkError::TOO_LARGE } else { "CHECKPOINT_STORE_FAILED" };
    Failure::fatal(crate::value::object([
        ("code", code.into()),
        ("message", alloc::format!("checkpoint store failed for '{id}': {}", e.0).into()),
        ("category", "permanent".into()),
        ("severity", "error".into()),
    ]))
}

/// The deterministic checkpoint id of a step: `<prefix>::<stepId>`, plus `::<scope id>`
/// inside a Split or While iteration, where the prefix is `_cache_key_prefix` inside
/// children, else `_workflow_id` (dsl-spec §8.10).
///
/// Departure from §8.10's `::i_j` suffix: the scope id (`sc_<loop>_<i>`, nested
/// `<parent>_<loop>_<i>`) names the enclosing loops as well as the indices, so body steps
/// with the same id in two different Splits no longer share (and replay) one checkpoint.
pub fn checkpoint_id(scope: &Scope, step_id: &str) -> alloc::string::String {
    let prefix = scope
        .variables
        .get("_cache_key_prefix")
        .or_else(|| scope.variables.get("_workflow_id"))
        .and_then(Value::as_str)
        .unwrap_or("root");
    alloc::format!("{prefix}::{step_id}{}", loop_suffix(scope))
}

/// `::<scope id>` inside Split/While iterations (the loops and indices), or nothing at the
/// top of a graph.
fn loop_suffix(scope: &Scope) -> alloc::string::String {
    let in_loop = scope.variables.get("_loop_indices").and_then(Value::as_array).is_some_and(|a| !a.is_empty());
    match scope.variables.get("_scope_id").and_then(Value::as_str) {
        Some(id) if in_loop => alloc::format!("::{id}"),
        _ => alloc::string::String::new(),
    }
}
