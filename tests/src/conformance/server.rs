//! Cases of the server's API (`server-api`) on a real `runtara serve` (SQLite, loopback):
//! the corpus's `server_flow` — deploy the children, deploy the graph, start an instance
//! with the input, poll it to its end — with signals discovered from the instance's
//! `external_input_requested` events, and a lifecycle pause while it waits.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::check::{check_instance, check_run};
use super::durable::requested_signal_ids;
use super::{Case, Verdict};
use crate::serve::ServeServer;

/// What a deployed child stands in for in the corpus's graphs (`<EMB_CHILD_ID>`: the id the
/// original script created).
const EMBED_CHILD_ID: (&str, &str) = ("<EMB_CHILD_ID>", "emb-child");

/// How long an instance may take, start to end.
const LIMIT: Duration = Duration::from_secs(120);

/// Runs `case` on a fresh `runtara serve` in `work`; the artifacts are wasm32-wasip2
/// components, so this is that target's run.
pub(super) fn run_on_server(case: &Case, work: &Path) -> Verdict {
    let data = work.join(format!("{}-serve", case.id));
    let _ = std::fs::remove_dir_all(&data);
    let db = format!("sqlite:{}", data.join("serve.sqlite3").display());
    std::fs::create_dir_all(&data).expect("scratch dir is writable");
    let server = ServeServer::start(&db, &data, &[]);
    if let Err(v) = deploy_all(&server, case) {
        return v;
    }
    let workflow = workflow_id(case);
    let start = json!({"workflowId": workflow, "input": substitute(&case.input), "instanceId": "conformance-1"});
    let (status, answer) = server.api("POST", "instances", Some(&start));
    if status != 202 {
        return Verdict::Fail(format!("start answered {status}: {answer}"));
    }
    let detail = match drive(&server, case, "conformance-1") {
        Ok(d) => d,
        Err(v) => return v,
    };
    let envelope = json!({"status": detail["status"], "output": detail["output"], "error": detail["error"]});
    match check_run(&substitute(&case.expect), &envelope) {
        Verdict::Pass => check_instance(&case.side_effects, &detail),
        other => other,
    }
}

/// The id the case's graph is deployed under: the one its harness names, else the case id.
fn workflow_id(case: &Case) -> String {
    case.parent_workflow_id().unwrap_or_else(|| case.id.clone())
}

/// Deploys the children (callees before callers: a deployment binds the workflows it calls)
/// and then the case's graph.
fn deploy_all(server: &ServeServer, case: &Case) -> Result<(), Verdict> {
    let mut pending: Vec<(String, Value)> = case
        .children
        .iter()
        .map(|c| {
            (if c.id == EMBED_CHILD_ID.0 { EMBED_CHILD_ID.1.to_string() } else { c.id.clone() }, substitute(&c.graph))
        })
        .collect();
    while !pending.is_empty() {
        let before = pending.len();
        let mut refusals = Vec::new();
        pending.retain(|(id, graph)| match deploy(server, id, graph) {
            Ok(()) => false,
            Err(why) => {
                refusals.push(why);
                true
            }
        });
        if pending.len() == before {
            return Err(Verdict::Fail(format!("children not deployed: {}", refusals.join("; "))));
        }
    }
    deploy(server, &workflow_id(case), &substitute(&case.graph)).map_err(Verdict::Fail)
}

fn deploy(server: &ServeServer, id: &str, graph: &Value) -> Result<(), String> {
    let body = serde_json::to_vec(graph).expect("graph serialises");
    match server.post_raw(&format!("workflows?workflowId={id}"), body, "application/json") {
        (201, _) => Ok(()),
        (status, answer) => Err(format!("deploying '{id}' answered {status}: {answer}")),
    }
}

/// The corpus's placeholders replaced: `<EMB_CHILD_ID>` by the deployed child's id, `<pid>`
/// (the original script's shell PID, making ids unique) by this process's id.
fn substitute(v: &Value) -> Value {
    let text =
        v.to_string().replace(EMBED_CHILD_ID.0, EMBED_CHILD_ID.1).replace("<pid>", &std::process::id().to_string());
    serde_json::from_str(&text).expect("still JSON")
}

/// Polls the instance to its end: each signal id it asks for gets the next of the case's
/// payloads; a `lifecycle-pause` case is paused once it waits, must then show `suspended`,
/// and is resumed before its signal. Returns the final `GET /instances/{id}`.
fn drive(server: &ServeServer, case: &Case, id: &str) -> Result<Value, Verdict> {
    let payloads = signal_payloads(case);
    let mut pause = case.needs.iter().any(|n| n == "lifecycle-pause");
    let mut answered = 0;
    let started = Instant::now();
    loop {
        let detail = server.api("GET", &format!("instances/{id}"), None).1;
        let status = detail["status"].as_str().unwrap_or_default();
        if matches!(status, "completed" | "failed" | "crashed" | "cancelled") {
            return Ok(detail);
        }
        if started.elapsed() > LIMIT {
            return Err(Verdict::Fail(format!("still {status} after {LIMIT:?}: {detail}\n{}", server.log())));
        }
        let asked = requested_signal_ids(&detail);
        if pause && !asked.is_empty() {
            pause_and_resume(server, id)?;
            pause = false;
            continue;
        }
        if let Some(signal_id) = asked.get(answered) {
            let payload = payloads.get(answered).or(payloads.last()).cloned().unwrap_or(Value::Null);
            let body = json!({"signal_id": signal_id, "payload": payload});
            let (code, answer) = server.api("POST", &format!("instances/{id}/signals"), Some(&body));
            if code != 200 {
                return Err(Verdict::Fail(format!("signal {signal_id} answered {code}: {answer}")));
            }
            answered += 1;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Pauses a waiting instance, checks it suspends (not fails), and resumes it.
fn pause_and_resume(server: &ServeServer, id: &str) -> Result<(), Verdict> {
    let signal = |s: &str| server.api("POST", &format!("instances/{id}/signals"), Some(&json!({"signal": s})));
    signal("pause");
    let started = Instant::now();
    loop {
        match server.status(id).as_str() {
            "suspended" => break,
            s @ ("completed" | "failed" | "crashed" | "cancelled") => {
                return Err(Verdict::Fail(format!("paused while waiting, it ended {s} instead of suspending")))
            }
            _ if started.elapsed() > LIMIT => return Err(Verdict::Fail("a pause never suspended the instance".into())),
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    match signal("resume") {
        (200, _) => Ok(()),
        (code, answer) => Err(Verdict::Fail(format!("resume answered {code}: {answer}"))),
    }
}

/// The payloads the original script posted, in order: the objects its `signal_flow` names
/// (JSON, or the shorthand `{decision:x}`), else the JSON objects of its notes.
fn signal_payloads(case: &Case) -> Vec<Value> {
    let flow = objects(case.harness["signal_flow"].as_str().unwrap_or_default(), true);
    if flow.is_empty() {
        objects(&case.notes, false)
    } else {
        flow
    }
}

/// The `{…}` objects of `text` that are JSON objects, or with `shorthand`, `{key:value, …}`.
fn objects(text: &str, shorthand_too: bool) -> Vec<Value> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else { break };
        let inner = &rest[open..=open + len];
        rest = &rest[open + len + 1..];
        if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(inner) {
            out.push(v);
        } else if let Some(v) = shorthand_too.then(|| shorthand(&inner[1..inner.len() - 1])).flatten() {
            out.push(v);
        }
    }
    out
}

/// `key:value, key:value` as a JSON object of strings; `None` unless every part has a key.
fn shorthand(inner: &str) -> Option<Value> {
    let pairs = inner.split(',').map(|kv| {
        let (k, v) = kv.split_once(':')?;
        let k = k.trim();
        (!k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .then(|| (k.to_string(), Value::String(v.trim().to_string())))
    });
    pairs.collect::<Option<serde_json::Map<_, _>>>().map(Value::Object)
}
