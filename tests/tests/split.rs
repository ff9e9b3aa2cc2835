//! Split semantics that the corpus does not pin down: parallel items on native threads with
//! the same results as sequential wasm, fatal timeouts, whole-Split retries (dsl-spec §7.4).

use std::path::Path;
use std::time::Instant;

use runtara_e2e::cli::{runtara, runtara_stdin, workspace_root};
use runtara_e2e::tools::can_run;
use serde_json::{json, Value};

fn compile(name: &str, target: &str, dir: &Path) -> std::path::PathBuf {
    let src = workspace_root().join(format!("tests/fixtures/split/{name}.json"));
    let out = dir.join(format!("{name}-{target}"));
    let o = runtara(&["compile", "--target", target, src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

fn run(artifact: &Path, input: &Value) -> (Value, String) {
    let o = runtara_stdin(&["run", artifact.to_str().unwrap(), "--format", "envelope"], input.to_string().as_bytes());
    (serde_json::from_slice(&o.stdout).unwrap(), String::from_utf8_lossy(&o.stderr).to_string())
}

#[test]
fn parallel_items_run_concurrently_natively_and_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<Value> = (0..8).map(|n| json!({"n": n})).collect();
    let input = json!({"items": items});
    let expected: Vec<Value> = (0..8).map(|n| json!({"n": n, "doubled": (n * 2) as f64, "index": n})).collect();
    let native = compile("parallel", "native", dir.path());
    let start = Instant::now();
    let (env, err) = run(&native, &input);
    let took = start.elapsed();
    assert_eq!(env["output"]["results"], json!(expected), "{err}");
    // Eight 200 ms sleeps one after another take 1.6 s; on threads they overlap.
    assert!(took.as_millis() < 1200, "items did not run concurrently: {took:?}");
    let wasm = compile("parallel", "wasm32-wasip2", dir.path());
    let (env_wasm, _) = run(&wasm, &input);
    assert_eq!(env_wasm, env, "wasm32-wasip2 (sequential) must give the same result");
}

#[test]
fn split_timeout_fails_the_workflow_past_on_error_and_dont_stop() {
    let dir = tempfile::tempdir().unwrap();
    for target in ["native", "wasm32-wasip2"].into_iter().filter(|t| can_run(t)) {
        let a = compile("timeout", target, dir.path());
        let (env, _) = run(&a, &json!({"items": [1, 2, 3]}));
        assert_eq!(env["status"], "failed", "{target}: {env}");
        assert_eq!(env["error"]["code"], "SPLIT_TIMEOUT");
        assert_eq!(env["error"]["category"], "timeout");
    }
}

#[test]
fn transient_failures_rerun_the_whole_split_max_retries_times() {
    let dir = tempfile::tempdir().unwrap();
    let a = compile("retry", "native", dir.path());
    let (env, stderr) = run(&a, &json!({"items": ["x"]}));
    assert_eq!(env["status"], "failed");
    assert_eq!(env["error"]["code"], "FLAKY");
    let attempts = stderr.lines().filter(|l| l.contains("\"event\":\"workflow_error\"")).count();
    assert_eq!(attempts, 3, "1 run + 2 retries expected:\n{stderr}");
}
