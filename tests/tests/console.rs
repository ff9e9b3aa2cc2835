//! The web console of `runtara serve`, used in headless Chromium like a person would: the
//! workflow list, starting an instance from the page, its steps turning done and its wait
//! turning waiting, the signal sent from the form, the completed instance, the instance
//! list and a failed instance with its failed step. Screenshots of each page go to
//! `<target dir>/browser-artifacts/console-*.png`.

use std::time::Duration;

use runtara_e2e::cli::workspace_root;
use runtara_e2e::serve::ServeServer;
use serde_json::json;

#[test]
fn the_console_starts_watches_and_signals_an_instance() {
    if !runtara_e2e::tools::have_chromium() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let server = ServeServer::start(&db, &dir.path().join("data"), &["--yield-after-ms", "300"]);
    let graph = std::fs::read(workspace_root().join("tests/fixtures/serve/console.json")).unwrap();
    let (status, answer) = server.post_raw("workflows?workflowId=refund", graph, "application/json");
    assert_eq!(status, 201, "{answer}");
    let refused = json!({"workflowId": "refund", "instanceId": "refused-1", "input": {"amount": 9, "fail": true}});
    assert_eq!(server.api("POST", "instances", Some(&refused)).0, 202);
    server.wait_for(&["refused-1".to_string()], Duration::from_secs(60), |s| s == "failed");

    let shots = runtara_e2e::browser::artifacts_dir();
    let seen = runtara_e2e::browser::chromium(
        "console",
        &format!("{}/", server.url),
        &json!({"workflow": "refund", "input": {"amount": 42}, "payload": {"approved": true},
                "failed": "refused-1", "shots": shots.to_str().unwrap()}),
    );
    let class = |which: &str, step: &str| seen[which]["states"][step].as_str().unwrap_or_default().to_string();
    assert!(seen["waiting"]["status"].as_str().is_some_and(|s| s == "running" || s == "waiting"), "{seen}");
    assert!(
        class("waiting", "record").contains("state-done") && class("waiting", "approve").contains("state-waiting"),
        "{seen}"
    );
    assert_eq!(seen["completed"]["output"], json!({"amount": 42, "approved": true}), "{seen}");
    for step in ["record", "approve", "done"] {
        assert!(class("completed", step).contains("state-done"), "{step}: {seen}");
    }
    assert!(class("completed", "refuse").contains("state-skipped"), "{seen}");
    let listed = seen["listed"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "both instances are listed: {seen}");
    assert!(listed.iter().any(|r| r.as_str().unwrap().contains("refused-1") && r.as_str().unwrap().contains("failed")));
    assert!(class("failure", "refuse").contains("state-failed"), "{seen}");
    assert_eq!(seen["failure"]["error"]["code"], "REFUSED", "{seen}");
    for page in ["workflows", "instance-waiting", "instance-completed", "instances", "instance-failed"] {
        let shot = shots.join(format!("console-{page}.png"));
        assert!(std::fs::metadata(&shot).map(|m| m.len() > 1000).unwrap_or(false), "{page} was screenshotted");
    }
}
