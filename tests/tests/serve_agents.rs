//! Workflows calling workflows on `runtara serve`: a graph deployed to the server is an
//! agent the tenant's later graphs call (`{agentId: <workflowId>, capabilityId: "run"}`);
//! the call is compiled into the caller and runs durably inside its instance.

use std::time::{Duration, Instant};

use runtara_e2e::cli::workspace_root;
use runtara_e2e::core::databases;
use runtara_e2e::serve::ServeServer;
use runtara_e2e::stub::{Reply, StubServer};
use serde_json::{json, Value};

const LEVELS: [&str; 3] = ["parent", "child", "grandchild"];

fn deploy(server: &ServeServer, id: &str, allow: &str) {
    let graph = std::fs::read(workspace_root().join("tests/fixtures/serve/agents").join(format!("{id}.json"))).unwrap();
    let (status, answer) =
        server.post_raw(&format!("workflows?workflowId={id}&allowHosts={allow}"), graph, "application/json");
    assert_eq!(status, 201, "deploy {id}: {answer}\n{}", server.log());
}

/// The effects the stub saw per `(level, value)`.
fn effects(stub: &StubServer, level: &str, value: u64) -> usize {
    stub.requests().iter().filter(|r| r.body["level"] == level && r.body["value"] == value).count()
}

/// parent → child → grandchild, each recording an effect, then napping 1.5 s durably, then
/// calling the next level. The server is killed (SIGKILL) and restarted while each level
/// naps; every instance completes with the whole chain's output, and each level's effect
/// ran once, twice at most when a kill hit it before its checkpoint.
#[test]
fn a_three_deep_chain_of_workflow_agents_survives_a_kill_at_every_level() {
    let dir = tempfile::tempdir().unwrap();
    for (n, db) in databases(dir.path()).iter().enumerate() {
        let stub = StubServer::start(vec![], Some(Reply { status: 200, body: json!({"ok": true}) }));
        let authority = stub.url.trim_start_matches("http://").to_string();
        // Long naps stay inside the guest, so a kill interrupts running instances.
        let flags = ["--workers", "4", "--yield-after-ms", "60000"];
        let mut server = ServeServer::start(db, &dir.path().join(format!("data{n}")), &flags);
        for id in ["stamp", "relay", "top"] {
            deploy(&server, id, &authority);
        }
        let ids: Vec<String> = (0..3).map(|i| format!("chain-{i}")).collect();
        for (i, id) in ids.iter().enumerate() {
            let body = json!({"workflowId": "top", "instanceId": id, "input": {"url": stub.url, "value": i}});
            assert_eq!(server.api("POST", "instances", Some(&body)).0, 202);
        }
        for level in LEVELS {
            let t = Instant::now();
            while (0..3).any(|i| effects(&stub, level, i) == 0) {
                assert!(t.elapsed() < Duration::from_secs(120), "{db}: {level} never ran\n{}", server.log());
                std::thread::sleep(Duration::from_millis(20));
            }
            server.kill();
            server.restart();
        }
        server.wait_for(&ids, Duration::from_secs(120), |s| s == "completed");
        for (i, id) in ids.iter().enumerate() {
            let output = server.api("GET", &format!("instances/{id}"), None).1["output"].clone();
            let leaf = json!({"level": "grandchild", "value": i});
            let expected =
                json!({"level": "parent", "value": i, "inner": {"level": "child", "value": i, "inner": leaf}});
            assert_eq!(output, expected, "{db}: {id}");
            for level in LEVELS {
                let n = effects(&stub, level, i as u64);
                assert!((1..=2).contains(&n), "{db}: {id}: the {level} effect ran {n} times");
            }
        }
    }
}

/// A call of a workflow that is not deployed is refused at deployment with the validator's
/// message naming the step, and `POST /workflows/validate` reports it as `runtara validate`
/// does; deploying the callee first makes the same graph valid and deployable.
#[test]
fn calling_an_undeployed_workflow_is_refused_at_deployment_and_validation() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("db.sqlite3").display());
    let server = ServeServer::start(&db, &dir.path().join("data"), &[]);
    let graph = std::fs::read(workspace_root().join("tests/fixtures/serve/agents/relay.json")).unwrap();
    let validate = |body: Vec<u8>| server.post_raw("workflows/validate", body, "application/json");
    let (status, findings) = validate(graph.clone());
    assert_eq!((status, &findings["valid"]), (200, &json!(false)), "{findings}");
    assert_eq!(
        (&findings["errors"][0]["code"], &findings["errors"][0]["stepId"]),
        (&json!("E020"), &json!("call_stamp")),
        "the same finding as runtara validate: {findings}"
    );
    let (status, answer) = server.post_raw("workflows?workflowId=relay", graph.clone(), "application/json");
    assert_eq!(status, 422, "{answer}");
    let message = answer.to_string();
    assert!(message.contains("call_stamp") && message.contains("stamp"), "{message}");
    assert_eq!(validate(b"{not json".to_vec()).0, 400);
    deploy(&server, "stamp", "127.0.0.1");
    let (status, findings) = validate(graph.clone());
    assert_eq!((status, &findings["valid"], &findings["errors"]), (200, &json!(true), &json!([])), "{findings}");
    let (status, answer): (u16, Value) = server.post_raw("workflows?workflowId=relay", graph, "application/json");
    assert_eq!(status, 201, "{answer}");
}
