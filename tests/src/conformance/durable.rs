//! Stateful cases against a real `runtara core` (SQLite) as the harness's instance — or, for
//! `cloudflare`, a Durable Object of the case's Worker (`worker.rs`): signals delivered for
//! real, lifecycle pauses requested while the run is under way, and several runs of one
//! instance (`harness.runs`: a run that suspends, then one that resumes it).

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};

use super::worker::WorkerHost;
use super::{Case, Verdict};
use crate::cli::{runtara, runtara_stdin};
use crate::core::CoreServer;

const TENANT: &str = "conformance";

/// One run of the instance.
#[derive(Debug, Default)]
struct Phase {
    /// Pause the instance once it is under way.
    pause: bool,
    /// The run must end suspended (paused, or stopped at a breakpoint).
    suspends: bool,
    /// Custom signals `{signal id: payload}` delivered before the run.
    signals: Map<String, Value>,
}

/// The runs of `case`: `harness.runs` when given; two when a debug-mode case says its
/// breakpoint checkpoints were left by an earlier run (`preloaded_checkpoints`
/// `breakpoint::…` — here that earlier run leaves them for real); else one.
fn phases(case: &Case) -> Vec<Phase> {
    if let Some(runs) = case.harness["runs"].as_array() {
        return runs
            .iter()
            .map(|r| {
                let pause = r["pause_requested"] == Value::Bool(true);
                let expect = r["expect"].as_str().unwrap_or_default().to_ascii_lowercase();
                Phase {
                    pause,
                    suspends: pause || expect.starts_with("suspend"),
                    signals: r["deliver_signal"].as_object().cloned().unwrap_or_default(),
                }
            })
            .collect();
    }
    let preloaded = case.harness["preloaded_checkpoints"].as_object();
    if debug_mode(case) && preloaded.is_some_and(|m| m.keys().any(|k| k.starts_with("breakpoint::"))) {
        return vec![Phase { suspends: true, ..Phase::default() }, Phase::default()];
    }
    vec![Phase::default()]
}

/// Whether the case runs in debug mode (`harness.env.DEBUG_MODE`).
pub(super) fn debug_mode(case: &Case) -> bool {
    matches!(case.harness["env"]["DEBUG_MODE"].as_str(), Some("true" | "1"))
}

/// Where the harness's instance lives.
enum Host {
    /// A fresh `runtara core`; each run is `runtara run … --core URL --instance ID`.
    Core { core: CoreServer, run_args: Vec<String> },
    /// The case's Cloudflare Worker under workerd; the instance is a Durable Object.
    Worker(WorkerHost),
}

/// The harness's instance: on a fresh core, or a Durable Object of the case's Worker.
pub(super) struct Instance {
    host: Host,
    /// The instance id (`harness.instance_id`, else the case id).
    pub id: String,
}

impl Instance {
    fn cli(core: &CoreServer, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.extend(["--core", &core.url, "--tenant", TENANT, "--token", TENANT]);
        runtara(&all)
    }

    fn signal(&self, signal_id: &str, payload: &Value) {
        match &self.host {
            Host::Core { core, .. } => {
                Self::cli(core, &["signal", &self.id, "--custom", signal_id, "--payload", &payload.to_string()]);
            }
            Host::Worker(w) => w.signal(&self.id, &serde_json::json!({"signal_id": signal_id, "payload": payload})),
        }
    }

    fn control(&self, action: &str) {
        match &self.host {
            Host::Core { core, .. } => {
                Self::cli(core, &["signal", &self.id, action]);
            }
            Host::Worker(w) => w.signal(&self.id, &serde_json::json!({ "signal": action })),
        }
    }

    /// `{status, checkpoints, events, …}`: `runtara instance ID --format json`, or the
    /// Worker's `GET /instances/{id}`.
    pub fn detail(&self) -> Value {
        match &self.host {
            Host::Core { core, .. } => {
                let shown = Self::cli(core, &["instance", &self.id, "--format", "json"]);
                serde_json::from_slice(&shown.stdout).unwrap_or(Value::Null)
            }
            Host::Worker(w) => w.detail(&self.id),
        }
    }

    /// One run of the instance, reported as `runtara run --format envelope` does.
    fn run(&self, input: &[u8]) -> Output {
        match &self.host {
            Host::Core { run_args, .. } => {
                let args: Vec<&str> = run_args.iter().map(String::as_str).collect();
                runtara_stdin(&args, input)
            }
            Host::Worker(w) => w.run(&self.id, input),
        }
    }
}

/// Runs a stateful case: `signals_by_id` before the first run; `custom_signals` to every
/// signal id the run asks for (its `external_input_requested` events reach the core's event
/// log), in order, the last one repeating; then each run of [`phases`] — a pausing run gets
/// its pause once the instance shows a checkpoint or an event, and must end suspended; the
/// next is sent `resume` first. `upstream_hits` counts the requests the case's HTTP stub has
/// seen (a request in flight also means under way). Returns the last run and the instance
/// (for side effects).
pub(super) fn run(
    case: &Case,
    target: &str,
    run_args: &[&str],
    input: &[u8],
    work: &Path,
    upstream_hits: &(dyn Fn() -> usize + Sync),
) -> Result<(Output, Instance), Verdict> {
    let id = case.harness["instance_id"].as_str().unwrap_or(&case.id).to_string();
    let host = if target == "cloudflare" {
        Host::Worker(WorkerHost::start(run_args, work, &case.id))
    } else {
        let db = work.join(format!("{}-core.sqlite3", case.id));
        let _ = std::fs::remove_file(&db);
        let core = CoreServer::start(&format!("sqlite:{}", db.display()), TENANT);
        let mut args: Vec<String> = run_args.iter().map(|a| a.to_string()).collect();
        args.extend(["--core", &core.url, "--instance", &id, "--tenant", TENANT, "--token", TENANT].map(String::from));
        Host::Core { core, run_args: args }
    };
    let instance = Arc::new(Instance { host, id });
    for (signal_id, payload) in case.harness["signals_by_id"].as_object().into_iter().flatten() {
        instance.signal(signal_id, payload);
    }
    let done = Arc::new(AtomicBool::new(false));
    let payloads: Vec<Value> = case.harness["custom_signals"].as_array().cloned().unwrap_or_default();
    let deliverer = (!payloads.is_empty()).then(|| {
        let (done, instance) = (done.clone(), instance.clone());
        std::thread::spawn(move || deliver_on_request(&instance, &payloads, &done))
    });
    let phases = phases(case);
    let mut last = None;
    for (i, phase) in phases.iter().enumerate() {
        if i > 0 {
            instance.control("resume");
        }
        for (signal_id, payload) in &phase.signals {
            instance.signal(signal_id, payload);
        }
        let ran = AtomicBool::new(false);
        let run = std::thread::scope(|scope| {
            if phase.pause {
                scope.spawn(|| pause_once_under_way(&instance, &ran, upstream_hits));
            }
            let run = instance.run(input);
            ran.store(true, Ordering::SeqCst);
            run
        });
        let status = envelope_status(&run);
        if phase.suspends && status != "suspended" {
            done.store(true, Ordering::SeqCst);
            let stderr = String::from_utf8_lossy(&run.stderr);
            return Err(Verdict::Fail(format!(
                "run {} of {}: {status}, expected suspended; {stderr}",
                i + 1,
                phases.len()
            )));
        }
        last = Some(run);
    }
    done.store(true, Ordering::SeqCst);
    if let Some(d) = deliverer {
        let _ = d.join();
    }
    let instance = Arc::try_unwrap(instance).unwrap_or_else(|_| unreachable!("the helper threads have ended"));
    Ok((last.expect("at least one run"), instance))
}

/// The status of a run's `--format envelope` line (`""` without one).
fn envelope_status(run: &Output) -> String {
    let stdout = String::from_utf8_lossy(&run.stdout);
    let env = stdout.lines().rev().find_map(|l| serde_json::from_str::<Value>(l).ok()).unwrap_or(Value::Null);
    env["status"].as_str().unwrap_or_default().to_string()
}

/// Pauses the instance as soon as it is under way — it has a checkpoint or an event, or a
/// request of it reached the upstream — unless the run ends first.
fn pause_once_under_way(instance: &Instance, ran: &AtomicBool, upstream_hits: &(dyn Fn() -> usize + Sync)) {
    while !ran.load(Ordering::SeqCst) {
        let d = instance.detail();
        let busy = |k: &str| d[k].as_array().is_some_and(|a| !a.is_empty());
        if upstream_hits() > 0 || busy("checkpoints") || busy("events") {
            instance.control("pause");
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Answers every signal id the instance asks for with the next of `payloads`.
fn deliver_on_request(instance: &Instance, payloads: &[Value], done: &AtomicBool) {
    let mut delivered = std::collections::BTreeSet::new();
    while !done.load(Ordering::SeqCst) {
        for sid in requested_signal_ids(&instance.detail()) {
            if delivered.insert(sid.clone()) {
                instance.signal(&sid, &payloads[(delivered.len() - 1).min(payloads.len() - 1)]);
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The signal ids of an instance's `external_input_requested` events, in order.
pub(super) fn requested_signal_ids(detail: &Value) -> Vec<String> {
    let events = detail["events"].as_array().into_iter().flatten();
    let asked = events.filter(|e| e["event"] == "external_input_requested");
    asked.filter_map(|e| e["signal_id"].as_str().map(str::to_string)).collect()
}
