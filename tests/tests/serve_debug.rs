//! Debug mode on `runtara serve` (dsl-spec §7 breakpoints): an instance started with
//! `debug` pauses before a step with `breakpoint: true` — checkpoint
//! `breakpoint::<step>`, event `breakpoint_hit`, status `suspended` — stays there until it is
//! resumed, then finishes with the output a run without debug mode gives.

use std::time::Duration;

use runtara_e2e::cli::{runtara, workspace_root};
use runtara_e2e::core::databases;
use runtara_e2e::serve::ServeServer;
use serde_json::json;

#[test]
fn a_breakpoint_pauses_a_debug_instance_until_it_is_resumed() {
    let dir = tempfile::tempdir().unwrap();
    for (n, db) in databases(dir.path()).iter().enumerate() {
        let server = ServeServer::start(db, &dir.path().join(format!("data{n}")), &[]);
        let graph = std::fs::read(workspace_root().join("tests/fixtures/serve/breakpoint.json")).unwrap();
        let (status, answer) = server.post_raw("workflows?workflowId=bp", graph, "application/json");
        assert_eq!(status, 201, "{answer}");
        let started = runtara(&["start", "bp", "--instance", "dbg", "--debug", "--server", &server.url]);
        assert!(started.status.success(), "{}", String::from_utf8_lossy(&started.stderr));
        let plain = json!({"workflowId": "bp", "instanceId": "plain"});
        assert_eq!(server.api("POST", "instances", Some(&plain)).0, 202);

        let (dbg, plain) = (["dbg".to_string()], ["plain".to_string()]);
        server.wait_for(&plain, Duration::from_secs(60), |s| s == "completed");
        server.wait_for(&dbg, Duration::from_secs(60), |s| s == "suspended");
        let detail = server.api("GET", "instances/dbg", None).1;
        assert!(detail["checkpoints"].as_array().unwrap().contains(&json!("breakpoint::note")), "{db}: {detail}");
        let hit = detail["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "breakpoint_hit" && e["step_id"] == "note");
        assert!(hit, "{db}: no breakpoint_hit event: {detail}");
        std::thread::sleep(Duration::from_millis(1000));
        assert_eq!(server.status("dbg"), "suspended", "{db}: a breakpoint holds until resumed");

        let resume = server.api("POST", "instances/dbg/signals", Some(&json!({"signal": "resume"})));
        assert_eq!(resume.0, 200, "{}", resume.1);
        server.wait_for(&dbg, Duration::from_secs(60), |s| s == "completed");
        let output = |id: &str| server.api("GET", &format!("instances/{id}"), None).1["output"].clone();
        assert_eq!(output("dbg"), json!({"first": "one"}), "{db}");
        assert_eq!(output("dbg"), output("plain"), "{db}: a breakpoint never changes results");
    }
}

/// The same breakpoint through `runtara run --debug` on a native artifact with a local
/// state store: exit 3 with the breakpoint named, then the rerun of the instance goes on;
/// without `--debug` the breakpoint does nothing.
#[test]
fn run_debug_pauses_at_a_breakpoint_and_a_rerun_goes_on() {
    use runtara_e2e::cli::runtara_stdin;
    let dir = tempfile::tempdir().unwrap();
    let graph = workspace_root().join("tests/fixtures/serve/breakpoint.json");
    let state = dir.path().join("state");
    let args = ["run", graph.to_str().unwrap(), "--state-dir", state.to_str().unwrap(), "--instance", "b1", "--debug"];
    let first = runtara_stdin(&args, b"{}");
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("breakpoint_hit") && stderr.contains("breakpoint::note"), "{stderr}");
    let second = runtara_stdin(&args, b"{}");
    assert_eq!(second.status.code(), Some(0), "{}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(String::from_utf8_lossy(&second.stdout).trim(), r#"{"first":"one"}"#);
    let plain = ["run", graph.to_str().unwrap(), "--state-dir", state.to_str().unwrap(), "--instance", "b2"];
    let plain = runtara_stdin(&plain, b"{}");
    assert_eq!(plain.status.code(), Some(0), "{}", String::from_utf8_lossy(&plain.stderr));
}
