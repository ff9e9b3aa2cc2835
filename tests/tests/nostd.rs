//! The no_std builds of wasm32-wasip2 and wasm32-unknown-unknown (issue 18): a graph that
//! needs nothing std gives is built `#![no_std]`, any other graph with std; the no_std
//! component keeps the hosted contract's files (through WASI preopens) and its errors.

use std::path::Path;
use std::process::Command;

use runtara_e2e::cli::{runtara, workspace_root};
use serde_json::{json, Value};

/// The generated source's first line for `graph` on `target`.
fn first_line(graph: &Path, target: &str) -> String {
    let o = runtara(&["compile", "--emit", "rust", "--target", target, graph.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or_default().to_string()
}

#[test]
fn graphs_that_need_nothing_std_gives_are_built_without_it() {
    let dir = tempfile::tempdir().unwrap();
    // An agent that needs no connection, given one: the descriptor comes from the std
    // build's connection table, so the graph is built with std.
    let connection = dir.path().join("connection.json");
    let doc = json!({
        "name": "A connection on an agent that needs none",
        "entryPoint": "noop",
        "steps": {
            "noop": {"stepType": "Agent", "id": "noop", "agentId": "utils", "capabilityId": "do-nothing",
                     "connectionId": "db", "inputMapping": {}},
            "done": {"stepType": "Finish", "id": "done", "inputMapping": {}}
        },
        "executionPlan": [{"fromStep": "noop", "toStep": "done"}]
    });
    std::fs::write(&connection, doc.to_string()).unwrap();
    let plain = workspace_root().join("tests/fixtures/conditional.json");
    // A template mapping (minijinja needs std).
    let template = workspace_root().join("examples/order-routing.json");
    for target in ["wasm32-wasip2", "wasm32-unknown-unknown"] {
        assert_eq!(first_line(&plain, target), "#![no_std]", "{target}");
        for graph in [&template, &connection] {
            assert_ne!(first_line(graph, target), "#![no_std]", "{target}: {}", graph.display());
        }
    }
    // Targets with one build are untouched.
    assert_ne!(first_line(&plain, "wasm32-wasip1"), "#![no_std]");
    assert_ne!(first_line(&plain, "native"), "#![no_std]");
}

/// Stock `wasmtime run` with a preopened directory: `--input FILE` and
/// `RUNTARA_OUTPUT_PATH` resolve through the preopens (absolute and relative paths), and a
/// file outside them is a bad-input error that names it.
#[test]
fn the_no_std_component_reads_and_writes_files_through_preopens() {
    let Some(wasmtime) = runtara_e2e::tools::stock_wasmtime() else { return };
    let dir = tempfile::tempdir().unwrap();
    let component = dir.path().join("wf.wasm");
    let plain = workspace_root().join("tests/fixtures/conditional.json");
    let o =
        runtara(&["compile", "--target", "wasm32-wasip2", plain.to_str().unwrap(), "-o", component.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("in.json"), json!({"amount": 150}).to_string()).unwrap();
    let run = |mount: &str, input: &str, output: &str| {
        Command::new(&wasmtime)
            .args(["run", "-Shttp", "--dir", &format!("{}::{mount}", data.display())])
            .args(["--env", &format!("RUNTARA_OUTPUT_PATH={output}")])
            .arg(&component)
            .args(["--input", input])
            .output()
            .unwrap()
    };
    for (mount, input, output, written) in
        [("/data", "/data/in.json", "/data/out.json", "out.json"), (".", "in.json", "./rel.json", "rel.json")]
    {
        let o = run(mount, input, output);
        assert!(o.status.success(), "{mount}: {}", String::from_utf8_lossy(&o.stderr));
        let out: Value = serde_json::from_str(&std::fs::read_to_string(data.join(written)).unwrap()).unwrap();
        assert_eq!(out, json!({"tier": "high", "amount": 150}), "{mount}");
    }
    let o = run("/data", "/elsewhere/in.json", "/data/x.json");
    assert!(!o.status.success());
    let error: Value = serde_json::from_slice(o.stderr.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(error["code"], "BAD_INPUT");
    assert!(error["message"].as_str().unwrap().contains("/elsewhere/in.json"), "{error}");
}
