//! `runtara run --max-memory BYTES` caps a wasm32-wasip2 component's linear memory: a run
//! that needs more fails with `MEMORY_LIMIT_EXCEEDED` (not a crash), one that fits completes.

use runtara_e2e::cli::{guest_stats, runtara_stdin, workspace_root};
use runtara_e2e::tools::can_run;
use serde_json::{json, Value};

#[test]
fn a_component_over_its_memory_cap_fails_with_the_limit_code() {
    if !can_run("wasm32-wasip2") {
        return;
    }
    let graph = workspace_root().join("tests/fixtures/random_array.json");
    let run = |size: u64, cap: Option<&str>| -> Value {
        let mut args = vec!["run", graph.to_str().unwrap(), "--target", "wasm32-wasip2", "--format", "envelope"];
        if let Some(cap) = cap {
            args.extend(["--max-memory", cap]);
        }
        let o = runtara_stdin(&args, json!({"size": size}).to_string().as_bytes());
        serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&o.stderr)))
    };
    let cap = "33554432";
    assert_eq!(run(1000, Some(cap)), json!({"status": "completed", "output": {"made": true}}));
    let over = run(3_000_000, Some(cap));
    assert_eq!(
        (&over["status"], &over["error"]["code"]),
        (&json!("failed"), &json!("MEMORY_LIMIT_EXCEEDED")),
        "{over}"
    );
    assert!(over["error"]["message"].as_str().unwrap_or_default().contains(cap), "{over}");
    assert_eq!(run(3_000_000, None)["status"], "completed", "without a cap the same run fits");
}

/// `--stats` reports the component's memory peak: more data, a higher peak, and under the
/// cap the run had.
#[test]
fn stats_report_the_guest_memory_peak() {
    if !can_run("wasm32-wasip2") {
        return;
    }
    let graph = workspace_root().join("tests/fixtures/random_array.json");
    let peak = |size: u64| -> u64 {
        let args =
            ["run", graph.to_str().unwrap(), "--target", "wasm32-wasip2", "--stats", "--max-memory", "268435456"];
        let o = runtara_stdin(&args, json!({"size": size}).to_string().as_bytes());
        let stderr = String::from_utf8_lossy(&o.stderr);
        guest_stats(&stderr)
            .and_then(|s| s["memory_peak_bytes"].as_u64())
            .unwrap_or_else(|| panic!("no guest_stats line: {stderr}"))
    };
    let (small, large) = (peak(1000), peak(3_000_000));
    assert!(small > 0 && small < large, "peaks {small} and {large}");
    assert!(large < 268_435_456, "the peak {large} stays under the cap");
}
