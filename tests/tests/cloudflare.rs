//! `runtara compile --target cloudflare` (issue 16) under workerd from the npm registry,
//! started by `runtara run DIR --listen` on loopback with on-disk Durable Object storage:
//! 200 concurrent stateless requests answered right and failures with their category's
//! status; a durable Delay completes through the object's alarm without any request, across
//! a restart of workerd in the middle of the sleep; a WaitForSignal completes when the signal
//! is posted and times out through the alarm; pause holds a sleeping instance past its
//! deadline until resume; cancel ends a waiting instance for good.

use std::path::Path;
use std::time::{Duration, Instant};

use runtara_e2e::cli::{compile, workspace_root};
use runtara_e2e::http_host::assert_concurrent_tiers;
use runtara_e2e::stub::{Reply, StubServer};
use runtara_e2e::workerd::WorkerServer;
use serde_json::{json, Value};

/// Whether workerd can be used here: npm installs it on first use.
fn available() -> bool {
    runtara_e2e::tools::can_run("cloudflare")
}

fn compile_worker(graph: &str, out: &Path) {
    compile(&workspace_root().join(graph), "cloudflare", out, &[]);
}

/// Polls `done` every 50 ms for up to `secs`; panics with `what` when it never holds.
fn eventually(secs: u64, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(secs), "{what} within {secs} s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn stateless_requests_are_answered_concurrently_with_statuses_by_category() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let worker = dir.path().join("tier");
    compile_worker("tests/fixtures/conditional.json", &worker);
    for file in ["worker.js", "wrangler.toml", "conditional.js", "conditional.wasm"] {
        assert!(worker.join(file).is_file(), "the Worker directory holds {file}");
    }
    let wrangler = std::fs::read_to_string(worker.join("wrangler.toml")).unwrap();
    assert!(wrangler.contains("new_sqlite_classes = [\"WorkflowInstance\"]"), "{wrangler}");
    let serve = WorkerServer::start(&worker, &dir.path().join("state"), &[]);
    assert_concurrent_tiers(|input| serve.call("POST", "/", Some(input)));
    let (status, body) = serve.call_raw("POST", "/", b"{not json".to_vec());
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!((status, &body["code"]), (400, &json!("BAD_INPUT")), "{body}");
    assert_eq!(serve.call("GET", "/nowhere", None).0, 404);

    let rejecting = dir.path().join("reject");
    compile_worker("tests/fixtures/serve/reject.json", &rejecting);
    let serve = WorkerServer::start(&rejecting, &dir.path().join("state-reject"), &[]);
    let (status, body) = serve.call("POST", "/", Some(json!({})));
    assert_eq!((status, &body["code"]), (503, &json!("ORDER_REJECTED")), "a transient failure is a 503: {body}");
}

#[test]
fn a_durable_delay_completes_through_its_alarm_across_a_restart_without_requests() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let worker = dir.path().join("order");
    compile_worker("tests/fixtures/serve/sleep_then_effect.json", &worker);
    let state = dir.path().join("state");
    let stub = StubServer::start(vec![], Some(Reply { status: 200, body: json!({"charged": true}) }));
    let serve = WorkerServer::start(&worker, &state, &[]);
    let input = json!({"order": 7, "effectUrl": format!("{}/charge", stub.url)});
    let (status, slept) = serve.call("POST", "/instances/order-7", Some(input));
    assert_eq!((status, &slept["status"]), (202, &json!("sleeping")), "{slept}");
    assert!(slept["wake_at_ms"].as_u64().is_some(), "{slept}");
    assert_eq!(stub.count("/charge"), 0, "the charge comes after the delay");

    // workerd is killed in the middle of the sleep; the restarted one keeps the alarm.
    drop(serve);
    let serve = WorkerServer::start(&worker, &state, &[]);
    eventually(15, "the alarm completes the instance", || {
        serve.call("GET", "/instances/order-7", None).1["status"] == "completed"
    });
    let (status, detail) = serve.call("GET", "/instances/order-7", None);
    assert_eq!((status, &detail["status"]), (200, &json!("completed")), "{detail}");
    assert_eq!(detail["output"], json!({"order": 7, "charged": 200}));
    assert!(detail["checkpoints"].as_array().is_some_and(|c| c.len() >= 2), "{detail}");
    let (status, again) = serve.call("POST", "/instances/order-7", None);
    assert_eq!((status, again), (200, json!({"order": 7, "charged": 200})), "a finished instance answers its output");
    assert_eq!(stub.count("/charge"), 1, "the charge ran once");
}

#[test]
fn signals_pause_resume_and_cancel_reach_the_durable_object() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let approval = dir.path().join("approval");
    compile_worker("tests/fixtures/wait/approval.json", &approval);
    let serve = WorkerServer::start(&approval, &dir.path().join("state"), &[]);

    // A WaitForSignal completes when its signal is posted.
    let (status, waiting) = serve.call("POST", "/instances/a-1", Some(json!({"orderId": "A-1"})));
    assert_eq!((status, &waiting["status"]), (202, &json!("waiting")), "{waiting}");
    let signal_id = waiting["signal_id"].as_str().expect("the signal it waits for").to_string();
    assert!(signal_id.starts_with("a-1/"), "{signal_id}");
    let signal = json!({"signal_id": signal_id, "payload": {"approved": true}});
    let (status, done) = serve.call("POST", "/instances/a-1/signals", Some(signal));
    assert_eq!((status, done), (200, json!({"approved": true, "signal": signal_id})));

    // Its timeout is an alarm too: it expires with no request.
    let (status, waiting) = serve.call("POST", "/instances/a-2", Some(json!({"orderId": "A-2", "timeoutMs": 1000})));
    assert_eq!((status, &waiting["status"]), (202, &json!("waiting")), "{waiting}");
    eventually(10, "the wait times out", || serve.call("GET", "/instances/a-2", None).1["status"] == "completed");
    let (_, detail) = serve.call("GET", "/instances/a-2", None);
    assert_eq!(detail["output"]["code"], "WAIT_TIMEOUT", "{detail}");

    // Cancel ends a waiting instance for good; a late signal does not revive it.
    let (status, _) = serve.call("POST", "/instances/a-3", Some(json!({"orderId": "A-3"})));
    assert_eq!(status, 202);
    let (status, cancelled) = serve.call("POST", "/instances/a-3/signals", Some(json!({"signal": "cancel"})));
    assert_eq!((status, &cancelled["status"]), (200, &json!("cancelled")), "{cancelled}");
    let (status, late) = serve.call("POST", "/instances/a-3/signals", Some(json!({"signal_id": "x", "payload": 1})));
    assert_eq!((status, &late["status"]), (409, &json!("cancelled")), "{late}");
    let (status, again) = serve.call("POST", "/instances/a-3", None);
    assert_eq!((status, &again["status"], &again["error"]["code"]), (409, &json!("cancelled"), &json!("CANCELLED")));

    // Pause holds a sleeping instance past its deadline; resume runs it on.
    let worker = dir.path().join("order");
    compile_worker("tests/fixtures/serve/sleep_then_effect.json", &worker);
    let stub = StubServer::start(vec![], Some(Reply { status: 200, body: json!({"charged": true}) }));
    let serve = WorkerServer::start(&worker, &dir.path().join("state-order"), &[]);
    let input = json!({"order": 8, "effectUrl": format!("{}/charge", stub.url)});
    assert_eq!(serve.call("POST", "/instances/p-1", Some(input)).0, 202);
    let (status, paused) = serve.call("POST", "/instances/p-1/signals", Some(json!({"signal": "pause"})));
    assert_eq!((status, &paused["status"]), (200, &json!("suspended")), "{paused}");
    std::thread::sleep(Duration::from_millis(3000));
    assert_eq!(stub.count("/charge"), 0, "a paused instance does not wake");
    assert_eq!(serve.call("GET", "/instances/p-1", None).1["status"], "suspended");
    let (status, done) = serve.call("POST", "/instances/p-1/signals", Some(json!({"signal": "resume"})));
    assert_eq!((status, done), (200, json!({"order": 8, "charged": 200})));
    assert_eq!(stub.count("/charge"), 1);
}
