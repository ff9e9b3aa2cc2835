//! Stateful cases through the Cloudflare Worker (`--target cloudflare`): the case's Worker
//! served by workerd (`runtara run DIR --listen`, Durable Object storage on disk), the
//! harness's instance a Durable Object driven over the Worker's HTTP surface — `POST
//! /instances/{id}` runs it, `POST …/signals` delivers signals, pause, resume and cancel,
//! `GET` shows its checkpoints, events and result.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Output};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::workerd::WorkerServer;

/// How long one run may stay sleeping or waiting before the harness gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// The case's Worker under workerd, driven as the harness's instance host.
pub(super) struct WorkerHost(WorkerServer);

impl WorkerHost {
    /// Serves the Worker `run_args[1]` with the flags of `run_args` that set its bindings
    /// (`--connections`, `--http-proxy`, `--debug`), its storage under `work`.
    pub fn start(run_args: &[&str], work: &Path, case_id: &str) -> WorkerHost {
        let state = work.join(format!("{case_id}-workerd"));
        let _ = std::fs::remove_dir_all(&state);
        let flags: Vec<&str> =
            run_args[2..].iter().copied().filter(|a| !matches!(*a, "--format" | "envelope")).collect();
        WorkerHost(WorkerServer::start(Path::new(run_args[1]), &state, &flags))
    }

    /// Delivers `{signal: action}` or `{signal_id, payload}` to instance `id`.
    pub fn signal(&self, id: &str, body: &Value) {
        self.0.call_raw("POST", &format!("/instances/{id}/signals"), body.to_string().into_bytes());
    }

    /// `GET /instances/{id}`: `{status, checkpoints, events, output | error, …}`.
    pub fn detail(&self, id: &str) -> Value {
        serde_json::from_str(&self.0.call_raw("GET", &format!("/instances/{id}"), Vec::new()).1).unwrap_or(Value::Null)
    }

    /// Runs instance `id` as `runtara run --format envelope` would report it: `POST
    /// /instances/{id}`, then, while it sleeps or waits, its status until it settles
    /// (alarms and signals move it on). Stdout: the envelope line; stderr: its events.
    pub fn run(&self, id: &str, input: &[u8]) -> Output {
        let (status, body) = self.0.call_raw("POST", &format!("/instances/{id}"), input.to_vec());
        let answered: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let envelope = match status {
            200 => json!({"status": "completed", "output": answered}),
            202 => self.settle(id),
            409 => stopped(&answered),
            _ => json!({"status": "failed", "error": answered}),
        };
        let detail = self.detail(id);
        let events: Vec<String> = detail["events"].as_array().into_iter().flatten().map(|e| format!("{e}\n")).collect();
        let code = match envelope["status"].as_str() {
            Some("completed") => 0,
            Some("suspended") => 3,
            Some("cancelled") => 4,
            _ => 1,
        };
        Output {
            status: ExitStatus::from_raw(code << 8),
            stdout: format!("{envelope}\n").into_bytes(),
            stderr: events.concat().into_bytes(),
        }
    }

    /// The envelope of an instance that answered 202, once it is no longer sleeping,
    /// waiting or running (at most [`RUN_LIMIT`]).
    fn settle(&self, id: &str) -> Value {
        let started = Instant::now();
        loop {
            let d = self.detail(id);
            match d["status"].as_str().unwrap_or_default() {
                "completed" => return json!({"status": "completed", "output": d["output"]}),
                "failed" | "cancelled" => return json!({"status": d["status"], "error": d["error"]}),
                "suspended" => return stopped(&d),
                _ if started.elapsed() > RUN_LIMIT => return json!({"status": d["status"]}),
                _ => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

/// The envelope of an instance that stopped (`suspended` or `cancelled`), with its error
/// when the Worker recorded one, as `runtara run --format envelope` prints it.
fn stopped(answer: &Value) -> Value {
    let mut envelope = json!({"status": answer["status"]});
    if !answer["error"].is_null() {
        envelope["error"] = answer["error"].clone();
    }
    envelope
}
