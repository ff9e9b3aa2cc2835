//! EmbedWorkflow: children found with `--workflows DIR`, compiled into the same artifact,
//! run on native and wasm32-wasip2 (dsl-spec §7.6).

use std::path::PathBuf;

use runtara_e2e::cli::{runtara, runtara_stdin, workspace_root};
use runtara_e2e::tools::can_run;
use serde_json::{json, Value};

fn fixtures() -> PathBuf {
    workspace_root().join("tests/fixtures/embed")
}

/// Compiles `parent.json` with its children in `workflows/` for `target` into `out`.
fn compile(target: &str, out: &std::path::Path) {
    compile_with(&fixtures().join("parent.json"), &fixtures().join("workflows"), target, out);
}

/// Compiles `graph` for `target` into `out`, finding children in `workflows`.
fn compile_with(graph: &std::path::Path, workflows: &std::path::Path, target: &str, out: &std::path::Path) {
    let (graph, out, workflows) = (graph.to_str().unwrap(), out.to_str().unwrap(), workflows.to_str().unwrap());
    let o = runtara(&["compile", "--target", target, graph, "-o", out, "--workflows", workflows]);
    assert!(o.status.success(), "{target}: {}", String::from_utf8_lossy(&o.stderr));
}

fn run(out: &std::path::Path, input: Value) -> Value {
    let o = runtara_stdin(&["run", out.to_str().unwrap(), "--format", "envelope"], input.to_string().as_bytes());
    serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)))
}

#[test]
fn child_and_grandchild_run_inside_the_parent_artifact() {
    let dir = tempfile::tempdir().unwrap();
    for target in ["native", "wasm32-wasip2"].into_iter().filter(|t| can_run(t)) {
        let out = dir.path().join(format!("parent-{target}"));
        compile(target, &out);
        let env = run(&out, json!({"sku": "A-1"}));
        // latest = version 2; the grandchild sees its own variables, not the parent's.
        assert_eq!(
            env,
            json!({"status": "completed", "output": {"price": "42", "currency": "EUR", "child": "pricing"}}),
            "{target}"
        );
    }
}

#[test]
fn child_failure_reaches_the_parent_on_error_route_with_child_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("parent.wasm");
    compile("wasm32-wasip2", &out);
    let env = run(&out, json!({"sku": "bad"}));
    assert_eq!(
        env["output"],
        json!({"handled": true, "code": "CHILD_WORKFLOW_FAILED", "childCode": "NO_PRICE",
        "childStep": "no_price", "message": "Child workflow pricing failed"})
    );
}

#[test]
fn missing_required_child_input_fails_with_the_field_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("parent");
    compile("native", &out);
    // The onError route catches it; the error object carries the message.
    let o = runtara_stdin(&["run", out.to_str().unwrap(), "--format", "envelope"], b"{}");
    let env: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(env["status"], "completed");
    assert_eq!(env["output"]["handled"], true);
    assert_eq!(env["output"]["code"], Value::Null);
    let msg = env["output"]["message"].as_str().unwrap();
    assert!(msg.contains("missing required inputs for child workflow 'pricing'") && msg.contains("- sku"), "{msg}");
}

#[test]
fn missing_child_is_e124_and_no_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let parent = fixtures().join("parent.json");
    let o = runtara(&["compile", parent.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("E124") && err.contains("pricing") && err.contains("--workflows"), "{err}");
    assert!(!out.exists());
}

#[test]
fn embedding_cycles_are_e056() {
    let a = fixtures().join("cycle/a.json");
    let dir = fixtures().join("cycle");
    let o = runtara(&["validate", a.to_str().unwrap(), "--workflows", dir.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = v["errors"].as_array().unwrap().iter().filter_map(|e| e["code"].as_str()).collect();
    assert!(codes.contains(&"E056"), "{v}");
}

/// A workflow published as an agent (`{agentId: "greet", capabilityId: "run"}`, found as
/// `published/greet.json`) runs inline at every Split item, with the same output on native
/// and wasm32-wasip2; without `--workflows` the call is E020 naming the step and the fix.
#[test]
fn a_workflow_published_as_an_agent_runs_inline_on_every_target() {
    let dir = tempfile::tempdir().unwrap();
    let parent = fixtures().join("agent_parent.json");
    let published = fixtures().join("published");
    let expected = json!({"status": "completed", "output": {"all": [
        {"greeting": {"echo": "ada", "from": "greet"}}, {"greeting": {"echo": "bo", "from": "greet"}}]}});
    for target in ["native", "wasm32-wasip2"].into_iter().filter(|t| can_run(t)) {
        let out = dir.path().join(format!("agents-{target}"));
        compile_with(&parent, &published, target, &out);
        assert_eq!(run(&out, json!({"names": ["ada", "bo"]})), expected, "{target}");
    }
    let o = runtara(&["validate", parent.to_str().unwrap()]);
    let report = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{report}");
    assert!(report.contains("E020") && report.contains("'call'") && report.contains("greet.json"), "{report}");
}
