//! `runtara serve` end to end: real server processes on loopback (SQLite and PostgreSQL),
//! driven only through the HTTP API and the CLI; workflows compiled by the server and run
//! in-process on wasmtime.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use runtara_e2e::cli::{runtara, workspace_root};
use runtara_e2e::core::databases;
use runtara_e2e::serve::ServeServer;
use runtara_e2e::stub::{Reply, StubServer};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("tests/fixtures/serve").join(name)
}

fn graph(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

const WORKERS: usize = 4;

/// 50 instances charge a stub, sleep 2 s durably, wait for a signal; the server is killed
/// with SIGKILL in the middle and restarted; every instance completes with its output and
/// every charge happened at least once — twice only for instances running at the kill.
#[test]
fn fifty_instances_survive_a_kill_and_complete() {
    let dir = tempfile::tempdir().unwrap();
    for (n, db) in databases(dir.path()).iter().enumerate() {
        fifty_on(db, &dir.path().join(format!("data{n}")));
    }
}

fn fifty_on(db: &str, data: &std::path::Path) {
    let stub = StubServer::start(vec![], Some(Reply { status: 200, body: json!({"charged": true}) }));
    let authority = stub.url.trim_start_matches("http://").to_string();
    let workers = WORKERS.to_string();
    let mut server = ServeServer::start(db, data, &["--workers", &workers, "--yield-after-ms", "500"]);
    let fixture_path = fixture("effect_sleep_wait.json");
    let deployed = runtara(&[
        "deploy",
        fixture_path.to_str().unwrap(),
        "--server",
        &server.url,
        "--workflow-id",
        "charge",
        "--allow-host",
        &authority,
    ]);
    assert!(deployed.status.success(), "deploy: {}\n{}", String::from_utf8_lossy(&deployed.stderr), server.log());
    assert_eq!(String::from_utf8_lossy(&deployed.stdout).trim(), "charge\t1");

    let ids: Vec<String> = (0..50).map(|i| format!("order-{i}")).collect();
    let input = |i: usize| json!({ "order": i, "effectUrl": format!("{}/charge", stub.url) });
    for (i, id) in ids.iter().enumerate().take(49) {
        let (status, answer) = server.api(
            "POST",
            "instances",
            Some(&json!({"workflowId": "charge", "instanceId": id, "input": input(i)})),
        );
        assert_eq!(status, 202, "{answer}");
    }
    let input_file = data.join("input-49.json");
    std::fs::write(&input_file, input(49).to_string()).unwrap();
    let started = runtara(&[
        "start",
        "charge",
        "--input",
        input_file.to_str().unwrap(),
        "--instance",
        "order-49",
        "--server",
        &server.url,
    ]);
    assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
    assert_eq!(String::from_utf8_lossy(&started.stdout).trim(), "order-49");
    // The same instance id twice is one instance.
    let (status, again) = server.api(
        "POST",
        "instances",
        Some(&json!({"workflowId": "charge", "instanceId": "order-0", "input": input(0)})),
    );
    assert_eq!((status, &again["created"]), (202, &json!(false)), "{again}");

    // Kill the server once some instances sleep and others have not run yet.
    let parked = |s: &str| s == "sleeping" || s == "waiting";
    let t = std::time::Instant::now();
    while ids.iter().filter(|id| parked(&server.status(id))).count() < 10 {
        assert!(t.elapsed() < Duration::from_secs(120), "instances never went to sleep\n{}", server.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    server.kill();
    server.restart();

    server.wait_for(&ids, Duration::from_secs(180), |s| s == "waiting");
    for id in &ids {
        let signal = json!({"signal_id": format!("{id}/charge/ask"), "payload": {"approved": true}});
        let (status, answer) = server.api("POST", &format!("instances/{id}/signals"), Some(&signal));
        assert_eq!(status, 200, "{answer}");
    }
    server.wait_for(&ids, Duration::from_secs(180), |s| s == "completed");
    for (i, id) in ids.iter().enumerate() {
        let (_, detail) = server.api("GET", &format!("instances/{id}"), None);
        assert_eq!(detail["output"], json!({"order": i, "charged": 200, "approved": true}), "{id}: {detail}");
    }
    let shown = runtara(&["instance", "order-7", "--server", &server.url, "--format", "json"]);
    let shown: Value = serde_json::from_slice(&shown.stdout).expect("instance --format json prints JSON");
    assert_eq!(shown["status"], "completed");

    // At-least-once: every charge happened; a second one only where the kill cut a run
    // between the request and its checkpoint (at most one per worker).
    let mut charges: HashMap<u64, usize> = HashMap::new();
    for r in stub.requests() {
        *charges.entry(r.body["order"].as_u64().expect("order in the charge")).or_default() += 1;
    }
    assert_eq!(charges.len(), 50, "every order was charged: {charges:?}");
    let repeated = charges.values().filter(|n| **n > 1).count();
    assert!(charges.values().all(|n| *n <= 2) && repeated <= WORKERS, "{charges:?}");
}

/// An infinite While and a guest asking for unbounded memory fail with their limit's
/// code; an ordinary instance next to them completes; the server keeps answering.
#[test]
fn limits_fail_only_their_own_instance() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let server = ServeServer::start(&db, &dir.path().join("data"), &["--workers", "3"]);
    let deploy = |id: &str, file: &str, settings: &str| {
        let (status, answer) =
            server.post_raw(&format!("workflows?workflowId={id}{settings}"), graph(file), "application/json");
        assert_eq!(status, 201, "{id}: {answer}\n{}", server.log());
    };
    deploy("spin", "spin.json", "&fuel=200000000");
    deploy("grow", "grow.json", &format!("&memoryBytes={}", 64 << 20));
    deploy("hello", "hello.json", "");
    for (id, wf) in [("spin-1", "spin"), ("grow-1", "grow"), ("hello-1", "hello")] {
        let body = json!({"workflowId": wf, "instanceId": id, "input": {"name": "Ada"}});
        assert_eq!(server.api("POST", "instances", Some(&body)).0, 202);
    }
    let ids = ["spin-1", "grow-1", "hello-1"].map(String::from);
    server.wait_for(&ids, Duration::from_secs(120), |s| s == "failed" || s == "completed");
    let detail = |id: &str| server.api("GET", &format!("instances/{id}"), None).1;
    assert_eq!(detail("spin-1")["error"]["code"], "CPU_LIMIT_EXCEEDED", "{}", detail("spin-1"));
    assert_eq!(detail("grow-1")["error"]["code"], "MEMORY_LIMIT_EXCEEDED", "{}", detail("grow-1"));
    assert_eq!(detail("hello-1")["output"], json!({"greeting": "Hello, Ada"}), "{}", detail("hello-1"));
    let health = runtara_sdk::net::send(&runtara_sdk::net::Request::new("GET", &format!("{}/health", server.url)));
    assert_eq!(health.map(|r| r.status).ok(), Some(200));
}

/// Bad input gets a 4xx with a JSON error naming the cause, nothing is stored, and the
/// server keeps serving.
#[test]
fn bad_input_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let data = dir.path().join("data");
    let server = ServeServer::start(&db, &data, &["--workers", "1"]);
    let refused = |(status, answer): (u16, Value), want: u16, says: &str| {
        assert_eq!(status, want, "{answer}");
        let msg = answer["error"].as_str().unwrap_or_else(|| panic!("no JSON error: {answer}"));
        assert!(msg.contains(says), "'{msg}' should say '{says}'");
    };
    // A component importing an interface outside the policy.
    let evil = wat::parse_str(r#"(component (import "acme:evil/steal@1.0.0" (instance)))"#).unwrap();
    refused(server.post_raw("workflows?workflowId=evil", evil, "application/wasm"), 422, "acme:evil/steal");
    // A core module is not a component.
    let module = wat::parse_str("(module)").unwrap();
    refused(
        server.post_raw("workflows?workflowId=core", module, "application/wasm"),
        422,
        "not a WebAssembly component",
    );
    // A graph with validation errors: the diagnostics name the step and the rule.
    let broken =
        br#"{"entryPoint": "nowhere", "steps": {"a": {"stepType": "Finish", "id": "a"}}, "executionPlan": []}"#;
    refused(server.post_raw("workflows?workflowId=broken", broken.to_vec(), "application/json"), 422, "nowhere");
    // Not JSON at all.
    refused(
        server.post_raw("workflows?workflowId=text", b"{not json".to_vec(), "application/json"),
        422,
        "invalid JSON",
    );
    refused(
        server.post_raw("workflows?workflowId=bad%20id", graph("hello.json"), "application/json"),
        400,
        "workflowId",
    );
    refused(server.post_raw("workflows", graph("hello.json"), "application/json"), 400, "workflowId is required");
    // Unknown workflows and malformed start requests.
    refused(server.api("POST", "instances", Some(&json!({"workflowId": "nope"}))), 404, "'nope' is not deployed");
    refused(
        server.post_raw("instances", b"{\"workflowId\": ".to_vec(), "application/json"),
        400,
        "invalid request body",
    );
    refused(server.api("POST", "instances", Some(&json!({"workflow": "x"}))), 400, "invalid request body");
    // 50 MB.
    refused(server.post_oversized("workflows?workflowId=big", 50 << 20), 413, "body");

    assert_eq!(server.api("GET", "workflows", None), (200, json!([])), "nothing was recorded");
    let stored: Vec<_> = std::fs::read_dir(data.join("artifacts")).unwrap().collect();
    assert!(stored.is_empty(), "nothing was stored: {stored:?}");
    // The server still works.
    let (status, answer) = server.post_raw("workflows?workflowId=hello", graph("hello.json"), "application/json");
    assert_eq!(status, 201, "{answer}");
    let (status, list) = server.api("GET", "workflows", None);
    assert_eq!((status, list), (200, json!([{"workflowId": "hello", "latestVersion": 1}])));
    let (status, shown) = server.api("GET", "workflows/hello", None);
    assert_eq!((status, &shown["versions"][0]["source"]), (200, &json!("graph")), "{shown}");
    assert_eq!(server.api("DELETE", "workflows/hello", None).0, 200);
    assert_eq!(server.api("GET", "workflows/hello", None).0, 404);
}

/// SIGTERM drains: the running instance is paused at a step boundary, the server exits
/// within the grace period, and after a restart the instance continues and completes.
#[test]
fn sigterm_drains_and_a_restart_continues() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let mut server = ServeServer::start(
        &db,
        &dir.path().join("data"),
        &["--workers", "1", "--yield-after-ms", "60000", "--grace", "20"],
    );
    let (status, answer) = server.post_raw("workflows?workflowId=steps", graph("drain_steps.json"), "application/json");
    assert_eq!(status, 201, "{answer}");
    assert_eq!(server.api("POST", "instances", Some(&json!({"workflowId": "steps", "instanceId": "s1"}))).0, 202);
    // In its worker: `running`, or `sleeping` in a Delay (held there: shorter than
    // --yield-after-ms). Only the start is `running`, too briefly to count on seeing it.
    server.wait_for(&["s1".to_string()], Duration::from_secs(60), |s| s == "running" || s == "sleeping");
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.terminate(Duration::from_secs(30)), "the drain ended the process\n{}", server.log());
    assert!(server.log().contains("drained"), "{}", server.log());
    server.restart();
    server.wait_for(&["s1".to_string()], Duration::from_secs(60), |s| s == "completed");
    let (_, detail) = server.api("GET", "instances/s1", None);
    assert_eq!(detail["output"], json!({"steps": 4}), "{detail}");
}

/// A guest that traps is relaunched with backoff up to the deployment's maximum, then
/// `crashed`; a workflow that reports a failure (even a transient one) is failed at once.
#[test]
fn a_trapping_guest_is_relaunched_then_crashed_and_a_reported_failure_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let server = ServeServer::start(&db, &dir.path().join("data"), &["--workers", "2"]);
    // `wasi:cli/run` whose `run` executes `unreachable`.
    let trap = wat::parse_str(
        r#"(component
             (core module $m (func (export "run") (result i32) unreachable))
             (core instance $i (instantiate $m))
             (func $run (result (result)) (canon lift (core func $i "run")))
             (instance $cli (export "run" (func $run)))
             (export "wasi:cli/run@0.2.0" (instance $cli)))"#,
    )
    .unwrap();
    let (status, answer) = server.post_raw("workflows?workflowId=trap&maxRestarts=2", trap, "application/wasm");
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["source"], "component");
    let (status, answer) = server.post_raw("workflows?workflowId=reject", graph("reject.json"), "application/json");
    assert_eq!(status, 201, "{answer}");
    for (id, wf) in [("t1", "trap"), ("r1", "reject")] {
        assert_eq!(server.api("POST", "instances", Some(&json!({"workflowId": wf, "instanceId": id}))).0, 202);
    }
    let ids = ["t1", "r1"].map(String::from);
    server.wait_for(&ids, Duration::from_secs(60), |s| s == "crashed" || s == "failed");
    let (_, t1) = server.api("GET", "instances/t1", None);
    assert_eq!(
        (t1["status"].as_str(), &t1["error"]["code"], &t1["error"]["attempts"]),
        (Some("crashed"), &json!("CRASHED"), &json!(3)),
        "{t1}"
    );
    let (_, r1) = server.api("GET", "instances/r1", None);
    assert_eq!((r1["status"].as_str(), &r1["error"]["code"]), (Some("failed"), &json!("ORDER_REJECTED")), "{r1}");
    let log = server.log();
    assert_eq!(log.matches("instance t1 crashed").count(), 2, "two relaunches:\n{log}");
    assert!(!log.contains("instance r1 crashed"), "{log}");
}

/// Guest HTTP to a loopback address is refused unless the deployment allows the host.
#[test]
fn egress_to_loopback_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let server = ServeServer::start(&db, &dir.path().join("data"), &["--workers", "2", "--yield-after-ms", "100"]);
    let stub = StubServer::start(vec![], Some(Reply { status: 200, body: json!({}) }));
    let authority = stub.url.trim_start_matches("http://");
    let (status, answer) =
        server.post_raw("workflows?workflowId=closed", graph("effect_sleep_wait.json"), "application/json");
    assert_eq!(status, 201, "{answer}");
    let input = json!({"order": 1, "effectUrl": format!("{}/charge", stub.url)});
    assert_eq!(
        server.api("POST", "instances", Some(&json!({"workflowId": "closed", "instanceId": "e1", "input": input}))).0,
        202
    );
    server.wait_for(&["e1".to_string()], Duration::from_secs(60), |s| s == "failed");
    let (_, e1) = server.api("GET", "instances/e1", None);
    // The agent's request goes through the server's proxy, which refuses it and says why.
    assert_eq!(e1["error"]["code"], "HTTP_REQUEST_FAILED", "{e1}");
    let message = e1["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("not a public address") && message.contains("allowHosts"), "{e1}");
    assert!(stub.requests().is_empty(), "nothing reached the stub");

    let (status, answer) = server.post_raw(
        &format!("workflows?workflowId=closed&allowHosts={authority}"),
        graph("effect_sleep_wait.json"),
        "application/json",
    );
    assert_eq!((status, &answer["version"]), (201, &json!(2)), "{answer}");
    assert_eq!(
        server.api("POST", "instances", Some(&json!({"workflowId": "closed", "instanceId": "e2", "input": input}))).0,
        202
    );
    server.wait_for(&["e2".to_string()], Duration::from_secs(60), |s| s == "sleeping" || s == "waiting");
    assert_eq!(stub.requests().len(), 1, "the allowed host was reached");
}

/// Pause parks a sleeping instance as suspended and resume relaunches it; cancel ends a
/// sleeping one.
#[test]
fn pause_resume_and_cancel_through_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let server = ServeServer::start(&db, &dir.path().join("data"), &["--workers", "2", "--yield-after-ms", "300"]);
    let (status, answer) = server.post_raw("workflows?workflowId=steps", graph("slow_steps.json"), "application/json");
    assert_eq!(status, 201, "{answer}");
    for id in ["p1", "c1"] {
        assert_eq!(server.api("POST", "instances", Some(&json!({"workflowId": "steps", "instanceId": id}))).0, 202);
    }
    let ids = ["p1".to_string(), "c1".to_string()];
    server.wait_for(&ids, Duration::from_secs(60), |s| s == "sleeping");
    let signal = |id: &str, s: &str| {
        let (status, answer) = server.api("POST", &format!("instances/{id}/signals"), Some(&json!({"signal": s})));
        assert_eq!(status, 200, "{answer}");
    };
    signal("p1", "pause");
    signal("c1", "cancel");
    server.wait_for(&ids[..1], Duration::from_secs(30), |s| s == "suspended");
    server.wait_for(&ids[1..], Duration::from_secs(30), |s| s == "cancelled");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(server.status("p1"), "suspended", "a paused instance stays parked past its deadline");
    signal("p1", "resume");
    server.wait_for(&ids[..1], Duration::from_secs(60), |s| s == "completed");
    assert_eq!(server.api("GET", "instances/p1", None).1["output"], json!({"steps": 4}));
    assert_eq!(server.status("c1"), "cancelled");
}

/// Finished instances are removed after `--retain`; instance lists come in pages by id.
#[test]
fn retention_removes_finished_instances_and_lists_are_paginated() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let server = ServeServer::start(&db, &dir.path().join("data"), &["--workers", "2", "--retain", "3s"]);
    let (status, answer) = server.post_raw("workflows?workflowId=hello", graph("hello.json"), "application/json");
    assert_eq!(status, 201, "{answer}");
    let ids: Vec<String> = (0..5).map(|i| format!("h{i}")).collect();
    for id in &ids {
        let body = json!({"workflowId": "hello", "instanceId": id, "input": {"name": id}});
        assert_eq!(server.api("POST", "instances", Some(&body)).0, 202);
    }
    server.wait_for(&ids, Duration::from_secs(60), |s| s == "completed");
    let page = |q: &str| server.api("GET", &format!("instances?{q}"), None).1;
    let ids_of =
        |v: Value| v.as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(ids_of(page("limit=2")), ["h0", "h1"]);
    assert_eq!(ids_of(page("limit=2&after=h1")), ["h2", "h3"]);
    assert_eq!(ids_of(page("limit=2&after=h3")), ["h4"]);
    let listed = runtara(&["instances", "--server", &server.url]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).lines().count(), 5);
    // Three seconds after they finished (looked for every 1.5 s), they are gone.
    let t = std::time::Instant::now();
    while server.api("GET", "instances/h0", None).0 != 404 {
        assert!(t.elapsed() < Duration::from_secs(30), "h0 was never removed\n{}", server.log());
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(page("").as_array().map(Vec::len), Some(0), "every finished instance went");
    assert_eq!(server.api("GET", "instances/h0/checkpoints/hello::done", None).0, 404);
}

/// An event batch sent twice with the same idempotency key (a retried request) is
/// appended once.
#[test]
fn a_retried_event_batch_is_appended_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let server = ServeServer::start(&db, &dir.path().join("data"), &["--workers", "1"]);
    assert_eq!(server.api("POST", "instances/b1/register", Some(&json!({}))).0, 200);
    let batch =
        json!({"events": [{"event": "workflow_log", "n": 1}, {"event": "workflow_log", "n": 2}], "batch": "7-1"});
    for _ in 0..2 {
        assert_eq!(server.api("POST", "instances/b1/events", Some(&batch)).0, 200);
    }
    let other = json!({"events": [{"event": "workflow_log", "n": 3}], "batch": "7-2"});
    assert_eq!(server.api("POST", "instances/b1/events", Some(&other)).0, 200);
    let (_, detail) = server.api("GET", "instances/b1", None);
    let ns: Vec<_> = detail["events"].as_array().unwrap().iter().map(|e| e["n"].clone()).collect();
    assert_eq!(ns, [json!(1), json!(2), json!(3)], "{detail}");
}
