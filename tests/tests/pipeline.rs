//! The compile pipeline end to end: real graphs compiled by the `runtara` binary for the
//! native host and wasm32-wasip2, and run for real (process, embedded wasmtime, stock
//! `wasmtime run`).

use std::path::{Path, PathBuf};
use std::process::Command;

use runtara_e2e::cli::{runtara, runtara_stdin, workspace_root};
use serde_json::{json, Value};

const TARGETS: [&str; 2] = ["native", "wasm32-wasip2"];

fn example_01() -> PathBuf {
    workspace_root().join("tests/fixtures/conditional.json")
}

fn compile(file: &Path, target: &str, out: &Path) {
    let o = runtara(&["compile", "--target", target, file.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "compile failed: {}", String::from_utf8_lossy(&o.stderr));
    assert!(out.is_file());
}

fn run_json(artifact: &Path, input: &Value) -> (i32, Value, String) {
    let o = runtara_stdin(&["run", artifact.to_str().unwrap()], input.to_string().as_bytes());
    let stdout = String::from_utf8_lossy(&o.stdout).to_string();
    let v = serde_json::from_str(stdout.trim()).unwrap_or(Value::Null);
    (o.status.code().unwrap_or(-1), v, String::from_utf8_lossy(&o.stderr).to_string())
}

fn artifact_name(target: &str) -> &'static str {
    if target == "native" {
        "wf"
    } else {
        "wf.wasm"
    }
}

#[test]
fn example_01_gives_the_expected_output_on_both_targets() {
    let dir = tempfile::tempdir().unwrap();
    for target in TARGETS {
        let out = dir.path().join(artifact_name(target));
        compile(&example_01(), target, &out);
        let (code, v, err) = run_json(&out, &json!({"amount": 150}));
        assert_eq!((code, &v), (0, &json!({"tier": "high", "amount": 150})), "{target}: {err}");
        let (code, v, err) = run_json(&out, &json!({"amount": 5}));
        assert_eq!((code, &v), (0, &json!({"tier": "low", "amount": 5})), "{target}: {err}");
    }
}

#[test]
fn run_with_input_file_and_envelope_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("wf.wasm");
    compile(&example_01(), "wasm32-wasip2", &out);
    let input = dir.path().join("in.json");
    std::fs::write(&input, r#"{"data": {"amount": 101}, "variables": {}}"#).unwrap();
    let o = runtara(&["run", out.to_str().unwrap(), "--input", input.to_str().unwrap(), "--format", "envelope"]);
    let env: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(env, json!({"status": "completed", "output": {"tier": "high", "amount": 101}}));
}

/// The component needs nothing but standard WASI: stock `wasmtime run -Shttp` (wasi:http:
/// a durable graph's component can checkpoint to a core) prints the same.
/// CI installs wasmtime-cli 48 (`RUNTARA_WASMTIME`); elsewhere a missing one is skipped.
#[test]
fn stock_wasmtime_runs_the_component() {
    let Some(wasmtime) = runtara_e2e::tools::stock_wasmtime() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.wasm");
    compile(&example_01(), "wasm32-wasip2", &out);
    for (amount, tier) in [(150, "high"), (5, "low")] {
        let input = dir.path().join("in.json");
        std::fs::write(&input, json!({"amount": amount}).to_string()).unwrap();
        let o = Command::new(&wasmtime)
            .args(["run", "-Shttp"])
            .arg(&out)
            .stdin(std::fs::File::open(&input).unwrap())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v, json!({"tier": tier, "amount": amount}));
    }
}

#[test]
fn project_examples_give_identical_output_on_both_targets() {
    let dir = tempfile::tempdir().unwrap();
    let examples = workspace_root().join("examples");
    for name in ["order-routing", "data-cleanup", "expense-approval"] {
        let input: Value =
            serde_json::from_str(&std::fs::read_to_string(examples.join(format!("{name}.input.json"))).unwrap())
                .unwrap();
        let mut outputs = Vec::new();
        for target in TARGETS {
            let out = dir.path().join(format!("{name}-{}", artifact_name(target)));
            compile(&examples.join(format!("{name}.json")), target, &out);
            let o = runtara_stdin(&["run", out.to_str().unwrap()], input.to_string().as_bytes());
            assert!(o.status.success(), "{name} on {target}: {}", String::from_utf8_lossy(&o.stderr));
            outputs.push(o.stdout);
        }
        assert_eq!(outputs[0], outputs[1], "{name}: native and wasm32-wasip2 outputs differ");
    }
}

#[test]
fn failed_run_reports_the_structured_error_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let examples = workspace_root().join("examples");
    for target in TARGETS {
        let out = dir.path().join(artifact_name(target));
        compile(&examples.join("expense-approval.json"), target, &out);
        let o = runtara_stdin(
            &["run", out.to_str().unwrap(), "--format", "envelope"],
            br#"{"employee":"eve","amount":10,"receipt":false}"#,
        );
        assert_eq!(o.status.code(), Some(1), "{target}");
        let env: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(env["status"], "failed");
        assert_eq!(env["error"]["code"], "RECEIPT_MISSING");
        assert_eq!(env["error"]["stepId"], "reject");
        assert_eq!(env["error"]["context"], json!({"employee": "eve"}));
    }
}

#[test]
fn bad_input_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for target in TARGETS {
        let out = dir.path().join(artifact_name(target));
        compile(&example_01(), target, &out);
        let o = runtara_stdin(&["run", out.to_str().unwrap()], b"{not json");
        assert_eq!(o.status.code(), Some(2), "{target}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stderr).contains("input is not valid JSON"));
    }
}

/// rustc error codes are `E0` + four digits (`E0425`); ours are `E` + three.
fn has_rustc_code(s: &str) -> bool {
    s.match_indices("error[E").any(|(i, _)| {
        let code: String = s[i + 7..].chars().take_while(|c| c.is_ascii_digit()).collect();
        code.len() == 4
    })
}

/// A compile that must fail: exit code, message fragments, no panic, no artifact.
fn assert_rejected(doc: &str, code: i32, fragments: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.json");
    std::fs::write(&file, doc).unwrap();
    let out = dir.path().join("bad.wasm");
    let o = runtara(&["compile", "--target", "wasm32-wasip2", file.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "missing {f:?} in: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains(" --> ") && !has_rustc_code(&stderr), "raw rustc output leaked: {stderr}");
    assert!(!out.exists(), "an artifact was left behind");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("bad.json")], "temporary files left behind");
}

#[test]
fn malformed_json_is_rejected_with_its_location() {
    assert_rejected("{\n  \"entryPoint\": \"a\",\n  \"steps\": {,\n}", 2, &["bad.json:3:", "invalid JSON"]);
}

#[test]
fn unknown_step_type_is_rejected_with_its_pointer() {
    let doc = r#"{"entryPoint":"a","steps":{"a":{"stepType":"Teleport","id":"a"}}}"#;
    assert_rejected(doc, 2, &["unknown variant `Teleport`", "/steps/a"]);
}

#[test]
fn reference_to_a_missing_step_names_step_code_and_path() {
    let doc = r#"{"entryPoint":"f","steps":{"f":{"stepType":"Finish","id":"f","inputMapping":{
        "x":{"valueType":"reference","value":"steps.ghost.outputs"}}}}}"#;
    assert_rejected(doc, 1, &["E010", "step 'f'", "/steps/f/inputMapping/x/value", "ghost"]);
}

#[test]
fn fan_out_without_merge_is_an_unsupported_graph() {
    let doc = r#"{"entryPoint":"log","steps":{"log":{"stepType":"Log","id":"log","message":"m"},
        "a":{"stepType":"Finish","id":"a"},"b":{"stepType":"Finish","id":"b"}},
        "executionPlan":[{"fromStep":"log","toStep":"a"},{"fromStep":"log","toStep":"b"}]}"#;
    assert_rejected(doc, 1, &["E073", "log"]);
}

/// Step ids, names, messages and variable names holding Rust syntax compile as literals
/// and come back verbatim.
#[test]
fn rust_syntax_in_user_strings_stays_a_literal() {
    let file = workspace_root().join("tests/fixtures/injection.json");
    let dir = tempfile::tempdir().unwrap();
    for target in TARGETS {
        let out = dir.path().join(artifact_name(target));
        compile(&file, target, &out);
        let (code, v, err) = run_json(&out, &json!({}));
        assert_eq!(code, 0, "{target}: {err}");
        assert_eq!(
            v,
            json!({
                "echo": "\"); std::process::exit(3); r#\"",
                "var": "}); std::process::exit(7); {(",
                "lit": "\\\"}; loop {} //",
            })
        );
    }
    let src = runtara(&["compile", "--emit", "rust", file.to_str().unwrap()]);
    let src = String::from_utf8_lossy(&src.stdout);
    assert!(src.contains("fn step_a_panic_exit_0("), "sanitised identifier missing");
}

#[test]
fn validate_reports_json_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"entryPoint":"nope","steps":{"f":{"stepType":"Finish","id":"f"}}}"#).unwrap();
    let o = runtara(&["validate", bad.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["errors"][0]["code"], "E001");
    assert_eq!(v["errors"][0]["path"], "/entryPoint");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("nope"));
    let o = runtara(&["validate", example_01().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    std::fs::write(&bad, "[").unwrap();
    assert_eq!(runtara(&["validate", bad.to_str().unwrap()]).status.code(), Some(2));
    let missing = dir.path().join("missing.json");
    assert_eq!(runtara(&["validate", missing.to_str().unwrap()]).status.code(), Some(2));
}

#[test]
fn schema_is_a_json_schema_of_the_graph() {
    let o = runtara(&["schema"]);
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["title"], "ExecutionGraph");
    assert!(v["required"].as_array().unwrap().contains(&json!("entryPoint")));
    assert!(v.to_string().contains("WaitForSignal"));
}

#[test]
fn release_artifacts_run_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.wasm");
    let o = runtara(&[
        "compile",
        "--release",
        "--target",
        "wasm32-wasip2",
        example_01().to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (code, v, err) = run_json(&out, &json!({"amount": 150}));
    assert_eq!((code, v), (0, json!({"tier": "high", "amount": 150})), "{err}");
}
