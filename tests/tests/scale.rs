//! Several `runtara serve` processes on one PostgreSQL: claims, leases and fencing. Needs
//! `RUNTARA_TEST_POSTGRES_URL` (SKIPPED without it, a failure in CI).

use std::collections::HashMap;
use std::process::Command;
use std::time::Duration;

use runtara_e2e::core::POSTGRES_ENV;
use runtara_e2e::serve::ServeServer;
use runtara_e2e::stub::{Reply, StubServer};
use runtara_e2e::tools::missing;
use serde_json::{json, Value};

/// A fresh PostgreSQL database for one test, or `None` (SKIPPED) without a server.
fn postgres() -> Option<String> {
    if std::env::var(POSTGRES_ENV).is_err() {
        missing("PostgreSQL", "set RUNTARA_TEST_POSTGRES_URL (scripts/start-postgres.sh starts one)");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    runtara_e2e::core::databases(dir.path()).pop()
}

/// `steps` Agent steps, each POSTing `{id, step}` to `data.url`, then a Finish.
fn effects_graph(steps: usize) -> Value {
    let mut map = serde_json::Map::new();
    let mut plan = Vec::new();
    for i in 0..steps {
        map.insert(
            format!("s{i}"),
            json!({
            "stepType": "Agent", "id": format!("s{i}"), "agentId": "http", "capabilityId": "http-request",
            "inputMapping": {
                "url": { "valueType": "reference", "value": "data.url" },
                "method": { "valueType": "immediate", "value": "POST" },
                "body": { "valueType": "composite", "value": {
                    "id": { "valueType": "reference", "value": "data.id" },
                    "step": { "valueType": "immediate", "value": i } } } } }),
        );
        let to = if i + 1 == steps { "done".to_string() } else { format!("s{}", i + 1) };
        plan.push(json!({ "fromStep": format!("s{i}"), "toStep": to }));
    }
    map.insert(
        "done".into(),
        json!({ "stepType": "Finish", "id": "done", "inputMapping": {
        "id": { "valueType": "reference", "value": "data.id" },
        "last": { "valueType": "reference", "value": format!("steps.s{}.outputs.body", steps - 1) } } }),
    );
    json!({ "name": "Effects", "entryPoint": "s0",
        "inputSchema": { "url": { "type": "string" }, "id": { "type": "string" } },
        "steps": map, "executionPlan": plan })
}

fn deploy(server: &ServeServer, id: &str, graph: &Value, allow: &str) {
    let (status, answer) = server.post_raw(
        &format!("workflows?workflowId={id}&allowHosts={allow}"),
        graph.to_string().into_bytes(),
        "application/json",
    );
    assert_eq!(status, 201, "{answer}\n{}", server.log());
}

/// Three servers share 300 instances of a 10-step workflow; one is killed with SIGKILL
/// mid-run and another restarted. Every instance completes once with its output, and each
/// step's effect happened once, plus at most one repeat for a step a kill interrupted.
#[test]
fn three_servers_share_the_work_and_survive_kills() {
    let Some(db) = postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    let stub = StubServer::start(vec![], Some(Reply { status: 200, body: json!({"ok": true}) }));
    let authority = stub.url.trim_start_matches("http://").to_string();
    let flags = ["--workers", "3", "--lease-secs", "2"];
    let mut servers: Vec<ServeServer> =
        (0..3).map(|n| ServeServer::start(&db, &dir.path().join(format!("s{n}")), &flags)).collect();
    deploy(&servers[0], "effects", &effects_graph(10), &authority);
    let ids: Vec<String> = (0..300).map(|i| format!("e{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let input = json!({"url": format!("{}/effect", stub.url), "id": id});
        let server = &servers[i % 3];
        let (status, answer) =
            server.api("POST", "instances", Some(&json!({"workflowId": "effects", "instanceId": id, "input": input})));
        assert_eq!(status, 202, "{answer}");
    }
    // Mid-run: SIGKILL one server, restart another.
    while stub.requests().len() < 600 {
        std::thread::sleep(Duration::from_millis(20));
    }
    servers[1].kill();
    servers[2].restart();
    servers[0].wait_for(&ids, Duration::from_secs(300), |s| s == "completed");
    for id in &ids {
        let (_, detail) = servers[0].api("GET", &format!("instances/{id}"), None);
        assert_eq!(detail["output"], json!({"id": id, "last": {"ok": true}}), "{detail}");
    }
    let mut effects: HashMap<(String, u64), usize> = HashMap::new();
    for r in stub.requests() {
        let key = (r.body["id"].as_str().unwrap_or_default().to_string(), r.body["step"].as_u64().unwrap_or(99));
        *effects.entry(key).or_default() += 1;
    }
    assert_eq!(effects.len(), 300 * 10, "every step of every instance took effect");
    let repeats: Vec<_> = effects.iter().filter(|(_, n)| **n > 1).collect();
    // Two kills (the SIGKILL and the restart), each interrupting at most one step per worker.
    assert!(effects.values().all(|n| *n <= 3) && repeats.len() <= 2 * 3, "{repeats:?}");
}

/// A server stopped (SIGSTOP) past its lease loses its instance to another; resumed
/// (SIGCONT), its late writes are refused and the output is the live server's.
#[test]
fn a_paused_server_loses_its_claim_and_its_late_writes_are_refused() {
    let Some(db) = postgres() else { return };
    let dir = tempfile::tempdir().unwrap();
    // The first call (the server that will be paused) answers 1, the takeover's answers 2.
    let stub = StubServer::start_slow(
        vec![Reply { status: 200, body: json!({"n": 1}) }, Reply { status: 200, body: json!({"n": 2}) }],
        None,
        Duration::from_secs(3),
    );
    let authority = stub.url.trim_start_matches("http://").to_string();
    let flags = ["--workers", "1", "--lease-secs", "1"];
    let mut a = ServeServer::start(&db, &dir.path().join("a"), &flags);
    deploy(&a, "one", &effects_graph(1), &authority);
    let input = json!({"url": format!("{}/effect", stub.url), "id": "x1"});
    assert_eq!(
        a.api("POST", "instances", Some(&json!({"workflowId": "one", "instanceId": "x1", "input": input}))).0,
        202
    );
    while stub.requests().is_empty() {
        std::thread::sleep(Duration::from_millis(10));
    }
    let pid = a.pid().expect("a runs");
    assert!(Command::new("kill").args(["-STOP", &pid.to_string()]).status().unwrap().success());
    let b = ServeServer::start(&db, &dir.path().join("b"), &flags);
    b.wait_for(&["x1".to_string()], Duration::from_secs(60), |s| s == "completed");
    assert!(Command::new("kill").args(["-CONT", &pid.to_string()]).status().unwrap().success());
    // Give the resumed server time to try its late writes.
    std::thread::sleep(Duration::from_secs(5));
    assert!(a.log().contains("is stale"), "the paused server noticed:\n{}", a.log());
    let (_, detail) = b.api("GET", "instances/x1", None);
    assert_eq!(
        (detail["status"].as_str(), &detail["output"]),
        (Some("completed"), &json!({"id": "x1", "last": {"n": 2}})),
        "{detail}"
    );
    a.kill();
}
