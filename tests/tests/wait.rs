//! WaitForSignal (dsl-spec §7.13) with the local state store: a signal delivered by
//! `runtara signal --custom … --state-dir` completes the wait; no signal → WAIT_TIMEOUT on
//! the onError route; a run without a store that can receive signals times out (or fails
//! at once when the wait has no timeout).

use std::time::Duration;

use runtara_e2e::cli::{runtara, runtara_command, runtara_stdin, spawn_with_input, workspace_root};
use runtara_e2e::tools::can_run;
use serde_json::{json, Value};

fn compile(target: &str, out: &std::path::Path) {
    let src = workspace_root().join("tests/fixtures/wait/approval.json");
    let o = runtara(&["compile", "--target", target, src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
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
