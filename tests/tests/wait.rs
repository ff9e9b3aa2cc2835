//! WaitForSignal (dsl-spec §7.13) with the local state store: a signal delivered by
//! `runtara signal --custom … --state-dir` completes the wait; no signal → WAIT_TIMEOUT on
//! the onError route; a run without a store that can receive signals times out (or fails
//! at once when the wait has no timeout); a pause suspends a waiting run; a workflow
//! published as an agent waits under its own workflow id.

use std::time::Duration;

use runtara_e2e::cli::{runtara, runtara_command, runtara_stdin, spawn_with_input, workspace_root};
use runtara_e2e::tools::can_run;
use serde_json::{json, Value};

/// The approval graph for `target`; native artifacts link the local store (`--state-dir`).
fn compile(target: &str, out: &std::path::Path) {
    let extra: &[&str] = if target == "native" { &["--local-store"] } else { &[] };
    runtara_e2e::cli::compile(&workspace_root().join("tests/fixtures/wait/approval.json"), target, out, extra);
}

#[test]
fn a_delivered_signal_completes_the_wait() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("approval");
    compile("native", &artifact);
    let state = dir.path().join("state");
    let mut cmd = runtara_command();
    cmd.args(["run", artifact.to_str().unwrap(), "--state-dir", state.to_str().unwrap(), "--instance", "ord-7"]);
    let child = spawn_with_input(cmd, br#"{"orderId": "A-7", "timeoutMs": 20000}"#);
    std::thread::sleep(Duration::from_millis(300));
    let signal = "ord-7/approval/ask";
    let o = runtara(&[
        "signal",
        "ord-7",
        "--custom",
        signal,
        "--payload",
        r#"{"approved": true}"#,
        "--state-dir",
        state.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v, json!({"approved": true, "signal": signal}));
    assert!(
        stderr.contains(r#""event":"external_input_requested""#)
            && stderr.contains(r#""action_key":"manager_approval""#),
        "{stderr}"
    );
    assert!(stderr.contains(r#""signal":"ord-7/approval/ask""#), "onWait saw the signal id: {stderr}");
}

#[test]
fn no_signal_times_out_to_the_on_error_route_on_every_hosted_target() {
    let dir = tempfile::tempdir().unwrap();
    for target in ["native", "wasm32-wasip2"].into_iter().filter(|t| can_run(t)) {
        let artifact = dir.path().join(format!("approval-{target}"));
        compile(target, &artifact);
        let o = runtara_stdin(&["run", artifact.to_str().unwrap()], br#"{"orderId": "A-8", "timeoutMs": 120}"#);
        let v: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        assert_eq!(v["code"], "WAIT_TIMEOUT", "{target}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(
            v["message"].as_str().unwrap().contains("timed out after 120ms waiting for signal 'unknown/approval/ask'"),
            "{v}"
        );
    }
}

#[test]
fn waiting_forever_without_a_state_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("approval");
    compile("native", &artifact);
    let o = runtara_stdin(&["run", artifact.to_str().unwrap(), "--format", "envelope"], br#"{"orderId": "A-9"}"#);
    let env: Value = serde_json::from_slice(&o.stdout).unwrap();
    // The refusal is an ordinary step failure, so the onError route handles it.
    assert_eq!(env["status"], "completed", "{env}");
    assert_eq!(env["output"]["code"], Value::Null);
    assert!(env["output"]["message"].as_str().unwrap().contains("no state store that can receive it"), "{env}");
}

/// A pause reaches a run that waits for a signal: it stops suspended (exit 3) instead of
/// waiting on; after `resume` the rerun of the instance waits again and its signal
/// completes it.
#[test]
fn a_pause_suspends_a_waiting_run_and_a_resumed_rerun_gets_its_signal() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("approval");
    compile("native", &artifact);
    let state = dir.path().join("state");
    let state = state.to_str().unwrap();
    let run = || {
        let mut cmd = runtara_command();
        cmd.args(["run", artifact.to_str().unwrap(), "--state-dir", state, "--instance", "ord-9"]);
        spawn_with_input(cmd, br#"{"orderId": "A-9", "timeoutMs": 60000}"#)
    };
    let control = |args: &[&str]| {
        let mut all = vec!["signal", "ord-9"];
        all.extend_from_slice(args);
        all.extend(["--state-dir", state]);
        let o = runtara(&all);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let waiting = run();
    std::thread::sleep(Duration::from_millis(500));
    control(&["pause"]);
    let first = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(3), "a paused wait suspends: {stderr}");
    assert!(stderr.contains("SUSPENDED"), "{stderr}");

    control(&["resume"]);
    let rerun = run();
    std::thread::sleep(Duration::from_millis(500));
    control(&["--custom", "ord-9/approval/ask", "--payload", r#"{"approved": false}"#]);
    let second = rerun.wait_with_output().unwrap();
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    let v: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(v, json!({"approved": false, "signal": "ord-9/approval/ask"}));
}

/// A workflow published as an agent (wrapper `workflowId`) waits under its own workflow id
/// and the call site: `<instance>/approver-wf/shop::first::ask`, then `…::second::ask`.
#[test]
fn a_published_agent_waits_under_its_own_workflow_id_per_call_site() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = workspace_root().join("tests/fixtures/wait");
    let (parent, published) = (fixtures.join("agent_parent.json"), fixtures.join("published"));
    let artifact = dir.path().join("shop");
    let extra = ["--workflows", published.to_str().unwrap(), "--workflow-id", "shop", "--local-store"];
    runtara_e2e::cli::compile(&parent, "native", &artifact, &extra);
    let state = dir.path().join("state");
    let state = state.to_str().unwrap();
    for (site, ok) in [("first", true), ("second", false)] {
        let id = format!("s1/approver-wf/shop::{site}::ask");
        let payload = json!({ "ok": ok }).to_string();
        let o = runtara(&["signal", "s1", "--custom", &id, "--payload", &payload, "--state-dir", state]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let args = ["run", artifact.to_str().unwrap(), "--state-dir", state, "--instance", "s1"];
    let out = runtara_stdin(&args, b"{}");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap(), json!({"first": true, "second": false}));
}
