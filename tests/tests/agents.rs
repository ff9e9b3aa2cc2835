//! Agent capabilities compiled into artifacts and run on every target, plus the compile-time
//! rejection of capabilities the firmware cannot provide.

use runtara_e2e::cli::{runtara, runtara_stdin, workspace_root};
use serde_json::{json, Value};

#[test]
fn portable_capabilities_agree_on_every_target() {
    let src = workspace_root().join("tests/fixtures/agents/portable.json");
    let dir = tempfile::tempdir().unwrap();
    let input = json!({"at": "2024-03-05T10:20:30+02:00", "rows": [
        {"email": "a@x", "plan": "pro"}, {"email": "", "plan": "pro"}, {"plan": "free"}, {"email": "b@x", "plan": "free"}]});
    for target in ["native", "wasm32-wasip2", "thumbv7em-none-eabihf"] {
        if !runtara_e2e::tools::can_run(target) {
            continue;
        }
        let out = dir.path().join(format!("a-{target}"));
        let o = runtara(&["compile", "--target", target, src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert!(o.status.success(), "{target}: {}", String::from_utf8_lossy(&o.stderr));
        let r = runtara_stdin(&["run", out.to_str().unwrap()], input.to_string().as_bytes());
        let v: Value = serde_json::from_slice(&r.stdout).unwrap_or(Value::Null);
        assert_eq!(
            v,
            json!({"day": "2024/03/05", "epoch": 1709626830, "kept": 2, "pro": [{"email": "a@x", "plan": "pro"}]}),
            "{target}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
    }
}

#[test]
fn clock_capabilities_are_rejected_for_firmware() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("now.json");
    std::fs::write(
        &src,
        r#"{"entryPoint":"now","steps":{
        "now":{"stepType":"Agent","id":"now","agentId":"utils","capabilityId":"get-current-iso-datetime"},
        "f":{"stepType":"Finish","id":"f"}},"executionPlan":[{"fromStep":"now","toStep":"f"}]}"#,
    )
    .unwrap();
    let out = dir.path().join("now.elf");
    let o =
        runtara(&["compile", "--target", "thumbv7em-none-eabihf", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("step 'now'") && err.contains("thumbv7em-none-eabihf"), "{err}");
    let o = runtara(&["compile", "--target", "native", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
