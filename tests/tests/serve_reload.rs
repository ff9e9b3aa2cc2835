//! Hot reload on `runtara serve`: deploying a new version changes what new instances run;
//! parked instances keep the version they started on unless migrated, and a migration whose
//! checkpoints would not fit the new version is refused with the steps named.

use std::time::Duration;

use runtara_e2e::cli::runtara;
use runtara_e2e::core::databases;
use runtara_e2e::serve::ServeServer;
use serde_json::{json, Value};

/// `prep` (checkpointed) → `ask` (waits for a signal) → `done` answering `version` and
/// `prep`'s value: versions differ in `done`'s answer and, when `prep_value` changes, in
/// the checkpointed step.
fn graph(version: u32, prep_value: &str) -> Vec<u8> {
    json!({
        "name": "Hot reload", "entryPoint": "prep",
        "steps": {
            "prep": { "stepType": "Agent", "id": "prep", "agentId": "utils", "capabilityId": "return-input",
                "inputMapping": { "value": { "valueType": "immediate", "value": prep_value } } },
            "ask": { "stepType": "WaitForSignal", "id": "ask", "pollIntervalMs": 50 },
            "done": { "stepType": "Finish", "id": "done", "inputMapping": {
                "version": { "valueType": "immediate", "value": version },
                "prep": { "valueType": "reference", "value": "steps.prep.outputs" },
                "decision": { "valueType": "reference", "value": "steps.ask.outputs.decision" } } }
        },
        "executionPlan": [ { "fromStep": "prep", "toStep": "ask" }, { "fromStep": "ask", "toStep": "done" } ]
    })
    .to_string()
    .into_bytes()
}

fn deploy(server: &ServeServer, version: u32, prep_value: &str) {
    let (status, answer) = server.post_raw("workflows?workflowId=hot", graph(version, prep_value), "application/json");
    assert_eq!((status, &answer["version"]), (201, &json!(version)), "{answer}\n{}", server.log());
}

fn start(server: &ServeServer, id: &str) {
    let (status, answer) = server.api("POST", "instances", Some(&json!({"workflowId": "hot", "instanceId": id})));
    assert_eq!(status, 202, "{answer}");
}

/// Delivers the signal instance `id` waits for (its id is in its `waiting` event).
fn approve(server: &ServeServer, id: &str) {
    let signal_id = format!("{id}/hot/ask");
    let body = json!({"signal_id": signal_id, "payload": {"decision": format!("yes-{id}")}});
    assert_eq!(server.api("POST", &format!("instances/{id}/signals"), Some(&body)).0, 200);
}

fn output(server: &ServeServer, id: &str) -> Value {
    server.api("GET", &format!("instances/{id}"), None).1["output"].clone()
}

#[test]
fn new_versions_reach_new_instances_and_migrations_check_the_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    for (n, db) in databases(dir.path()).iter().enumerate() {
        let server = ServeServer::start(db, &dir.path().join(format!("data{n}")), &["--yield-after-ms", "200"]);
        let waiting = |ids: &[&str]| {
            let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            server.wait_for(&ids, Duration::from_secs(60), |s| s == "waiting");
        };
        deploy(&server, 1, "prepared");
        start(&server, "on-v1");
        start(&server, "moves");
        start(&server, "stays");
        waiting(&["on-v1", "moves", "stays"]);
        // v2 changes only the answer: checkpoints of `prep` still fit.
        deploy(&server, 2, "prepared");
        start(&server, "on-v2");
        waiting(&["on-v2"]);
        // v3 changes `prep`, whose result `stays` has checkpointed.
        deploy(&server, 3, "prepared differently");

        let url = server.url.clone();
        let migrate = |id: &str, to: &str| runtara(&["migrate", id, "--to-version", to, "--server", &url]);
        let refused = migrate("stays", "3");
        let message = String::from_utf8_lossy(&refused.stderr).to_string();
        assert_eq!(refused.status.code(), Some(1), "{db}: {message}");
        assert!(message.contains("GRAPH_CHANGED") && message.contains("prep"), "{db}: {message}");
        let moved = migrate("moves", "2");
        assert!(moved.status.success(), "{db}: {}", String::from_utf8_lossy(&moved.stderr));
        assert_eq!(String::from_utf8_lossy(&moved.stdout).trim(), "moves\t1 -> 2");
        let unknown = migrate("moves", "9");
        assert_eq!(unknown.status.code(), Some(1), "{db}: version 9 does not exist");

        for id in ["on-v1", "moves", "stays", "on-v2"] {
            approve(&server, id);
        }
        let ids: Vec<String> = ["on-v1", "moves", "stays", "on-v2"].iter().map(|s| s.to_string()).collect();
        server.wait_for(&ids, Duration::from_secs(60), |s| s == "completed");
        let expect =
            |version: u32, id: &str| json!({"version": version, "prep": "prepared", "decision": format!("yes-{id}")});
        assert_eq!(output(&server, "on-v1"), expect(1, "on-v1"), "{db}: a parked instance kept v1");
        assert_eq!(output(&server, "stays"), expect(1, "stays"), "{db}: a refused migration changed nothing");
        assert_eq!(output(&server, "moves"), expect(2, "moves"), "{db}: the migrated instance finished on v2");
        assert_eq!(output(&server, "on-v2"), expect(2, "on-v2"), "{db}: a new instance ran the new version");
        let finished = migrate("on-v1", "2");
        assert_eq!(finished.status.code(), Some(1), "{db}: a finished instance does not migrate");
    }
}
