//! `cargo xtask bench --only agents` (issue 15): what each agent costs in artifact size.
//! examples/01 (which calls no agent) is the baseline on wasm32-wasip2, native and firmware
//! (`--release`); then a one-step workflow per agent on wasm32-wasip2 `--release` (its size
//! over the baseline is what the agent's libraries add), and one workflow calling one
//! capability of each.

use anyhow::Result;
use serde_json::{json, Map, Value};

use crate::bench::compile;

/// One representative capability per agent, the one pulling in its biggest library, with
/// its required inputs.
const CALLS: [(&str, &str, &[&str]); 8] = [
    ("text", "regex-replace", &["text", "pattern"]),
    ("csv", "from-csv", &["data"]),
    ("xml", "from-xml", &["data"]),
    ("crypto", "hmac", &["data", "secret"]),
    ("datetime", "format-date", &["date", "timezone"]),
    ("compression", "extract-archive", &["archive"]),
    ("xlsx", "from-xlsx", &["data"]),
    ("file", "file-read-file", &["path"]),
];

/// A workflow calling `calls` one after another, inputs taken from `data`.
fn workflow(calls: &[(&str, &str, &[&str])]) -> Value {
    let mut steps = Map::new();
    let mut plan = Vec::new();
    for (i, (agent, cap, inputs)) in calls.iter().enumerate() {
        let mapping: Map<String, Value> = inputs
            .iter()
            .map(|f| (f.to_string(), json!({"valueType": "reference", "value": format!("data.{f}")})))
            .collect();
        let id = format!("s{i}");
        steps.insert(
            id.clone(),
            json!({"stepType": "Agent", "id": id, "agentId": agent, "capabilityId": cap, "inputMapping": mapping}),
        );
        let next = if i + 1 == calls.len() { "done".to_string() } else { format!("s{}", i + 1) };
        plan.push(json!({"fromStep": id, "toStep": next}));
    }
    steps.insert("done".into(), json!({"stepType": "Finish", "id": "done"}));
    json!({"name": "agent sizes", "entryPoint": "s0", "steps": steps, "executionPlan": plan})
}

fn size_kb(file: &std::path::Path, target: &str, dir: &std::path::Path) -> Result<f64> {
    let out = dir.join(format!("out-{target}"));
    compile(file.to_str().expect("utf-8"), target, out.to_str().expect("utf-8"), true)?;
    let bytes = match target {
        "thumbv7em-none-eabihf" => crate::bench::flash_bytes(&out)?,
        _ => std::fs::metadata(&out)?.len(),
    };
    Ok(bytes as f64 / 1024.0)
}

/// Prints the size table.
pub fn agents() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let example = runtara_e2e::cli::workspace_root().join("tests/fixtures/conditional.json");
    println!("agent sizes (--release; firmware: flash .text+.rodata)");
    for target in ["wasm32-wasip2", "native", "thumbv7em-none-eabihf"] {
        println!("examples/01 (no agents), {target}: {:.1} KB", size_kb(&example, target, dir.path())?);
    }
    let none = dir.path().join("none.json");
    std::fs::write(&none, workflow(&[("utils", "do-nothing", &[])]).to_string())?;
    let base = size_kb(&none, "wasm32-wasip2", dir.path())?;
    println!("one utils/do-nothing step, wasm32-wasip2: {base:.1} KB (the baseline below)");
    for call in CALLS {
        let file = dir.path().join(format!("{}.json", call.0));
        std::fs::write(&file, workflow(&[call]).to_string())?;
        let kb = size_kb(&file, "wasm32-wasip2", dir.path())?;
        println!("{}/{}, wasm32-wasip2: {kb:.1} KB (+{:.1} KB)", call.0, call.1, kb - base);
    }
    let all = dir.path().join("all.json");
    std::fs::write(&all, workflow(&CALLS).to_string())?;
    let kb = size_kb(&all, "wasm32-wasip2", dir.path())?;
    println!("one capability of each of the {} agents, wasm32-wasip2: {kb:.1} KB (+{:.1} KB)", CALLS.len(), kb - base);
    Ok(())
}
