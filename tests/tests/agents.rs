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

/// Every catalogue entry compiles to a call of an existing function (one native artifact
/// calling all of them), and has a test: a case in `tests/agents/<agent>.json`, or a graph
/// under `tests/` or `examples/` that calls it.
#[test]
fn every_catalogue_entry_maps_to_a_function_and_has_a_test() {
    let mut tested = std::collections::BTreeSet::new();
    for file in runtara_e2e::agent_cases::load_case_files() {
        for case in file.cases() {
            tested.insert((file.agent(), case["capability"].as_str().unwrap_or_default().to_string()));
        }
    }
    let mut pending = vec![workspace_root().join("tests"), workspace_root().join("examples")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                collect_calls(&serde_json::from_str(&text).unwrap_or(Value::Null), &mut tested);
            }
        }
    }
    let untested: Vec<String> = runtara_agents::CATALOG
        .iter()
        .filter(|c| !tested.contains(&(c.agent.to_string(), c.id.to_string())))
        .map(|c| format!("{}/{}", c.agent, c.id))
        .collect();
    assert!(untested.is_empty(), "capabilities without a test: {untested:?}");

    let mut steps = serde_json::Map::new();
    let mut plan = Vec::new();
    for (i, c) in runtara_agents::CATALOG.iter().enumerate() {
        let inputs: serde_json::Map<String, Value> = c
            .inputs
            .iter()
            .filter(|f| f.required)
            .map(|f| (f.name.to_string(), json!({"valueType": "reference", "value": format!("data.{}", f.name)})))
            .collect();
        let mut step = json!({"stepType": "Agent", "id": format!("s{i}"), "agentId": c.agent, "capabilityId": c.id, "inputMapping": inputs});
        if c.needs_connection {
            step["connectionId"] = json!("conn");
        }
        steps.insert(format!("s{i}"), step);
        let next = if i + 1 == runtara_agents::CATALOG.len() { "done".to_string() } else { format!("s{}", i + 1) };
        plan.push(json!({"fromStep": format!("s{i}"), "toStep": next}));
    }
    steps.insert("done".into(), json!({"stepType": "Finish", "id": "done"}));
    let graph = json!({"entryPoint": "s0", "steps": steps, "executionPlan": plan});
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("all.json");
    std::fs::write(&src, graph.to_string()).unwrap();
    let out = dir.path().join("all");
    let o = runtara(&["compile", "--target", "native", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn collect_calls(v: &Value, found: &mut std::collections::BTreeSet<(String, String)>) {
    match v {
        Value::Object(m) => {
            if let (Some(a), Some(c)) =
                (m.get("agentId").and_then(Value::as_str), m.get("capabilityId").and_then(Value::as_str))
            {
                found.insert((a.to_string(), c.to_string()));
            }
            m.values().for_each(|x| collect_calls(x, found));
        }
        Value::Array(items) => items.iter().for_each(|x| collect_calls(x, found)),
        _ => {}
    }
}

/// The README's platform matrix is what the compiler enforces: each row's cells (✔ / —)
/// match, for every capability the row covers, whether the target refuses it.
#[test]
fn the_readme_platform_matrix_is_what_the_compiler_enforces() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    let section = readme.split("\n## Agents").nth(1).expect("README has an Agents section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| `")).collect();
    let columns = [
        vec!["native"],
        vec!["wasm32-wasip2"],
        vec!["wasm32-wasip1"],
        vec!["wasm32-unknown-unknown", "cloudflare"],
        vec!["thumbv7em-none-eabihf"],
    ];
    // Capabilities named in a row of their own; the agent's plain row covers the rest.
    let named: Vec<(String, String)> = rows
        .iter()
        .filter_map(|r| r.split('|').nth(1)?.split_once(':'))
        .flat_map(|(agent, caps)| {
            let agent = agent.trim().trim_matches('`').to_string();
            caps.split(',').map(move |c| (agent.clone(), c.trim().trim_matches('`').to_string()))
        })
        .collect();
    let mut covered = std::collections::BTreeSet::new();
    for row in &rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let (agent, caps) = match cells[1].split_once(':') {
            Some((a, c)) => (a.trim_matches('`'), Some(c)),
            None => (cells[1].trim_matches('`'), None),
        };
        let members: Vec<&runtara_agents::CapabilityMeta> = runtara_agents::CATALOG
            .iter()
            .filter(|c| c.agent == agent)
            .filter(|c| match caps {
                Some(list) => list.split(',').any(|x| x.trim().trim_matches('`') == c.id),
                None => !named.contains(&(c.agent.to_string(), c.id.to_string())),
            })
            .collect();
        assert!(!members.is_empty(), "README row covers no capability: {row}");
        for (col, targets) in columns.iter().enumerate() {
            let allowed = cells[2 + col] == "✔";
            for target in targets {
                let kind = runtara_compiler::Target::parse(target).unwrap().kind;
                for c in &members {
                    assert_eq!(
                        kind.refusal(c).is_none(),
                        allowed,
                        "{}/{} on {target}: README says {}",
                        c.agent,
                        c.id,
                        cells[2 + col]
                    );
                    covered.insert((c.agent, c.id));
                }
            }
        }
    }
    let missing: Vec<_> =
        runtara_agents::CATALOG.iter().filter(|c| !covered.contains(&(c.agent, c.id))).map(|c| c.id).collect();
    assert!(missing.is_empty(), "capabilities missing from the README matrix: {missing:?}");
}

/// A capability the target lacks is a compile error naming the step, the capability, the
/// target and where it can run; exit code 1 and no artifact.
#[test]
fn capabilities_a_target_lacks_are_refused_at_compile_time() {
    let dir = tempfile::tempdir().unwrap();
    for (agent, cap, target, able) in [
        ("file", "file-read-file", "wasm32-unknown-unknown", "native, wasm32-wasip2, wasm32-wasip1"),
        ("sftp", "sftp-list-files", "wasm32-wasip2", "native"),
        ("compression", "list-archive", "thumbv7em-none-eabihf", "wasm32-unknown-unknown"),
    ] {
        let src = dir.path().join(format!("{cap}.json"));
        let graph = json!({"entryPoint": "call", "steps": {
            "call": {"stepType": "Agent", "id": "call", "agentId": agent, "capabilityId": cap, "connectionId": "c",
                "inputMapping": {"path": {"valueType": "immediate", "value": "x"}, "archive": {"valueType": "immediate", "value": "x"}}},
            "f": {"stepType": "Finish", "id": "f"}}, "executionPlan": [{"fromStep": "call", "toStep": "f"}]});
        std::fs::write(&src, graph.to_string()).unwrap();
        let out = dir.path().join(format!("{cap}.out"));
        let o = runtara(&["compile", "--target", target, src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(
            err.contains("step 'call'")
                && err.contains(&format!("{agent}/{cap}"))
                && err.contains(target)
                && err.contains(able),
            "{err}"
        );
        assert!(!out.exists(), "no artifact for a refused graph");
    }
}

/// A symlink inside the workspace that points outside it is refused: natively by the
/// agent's own check (`PATH_OUTSIDE_WORKSPACE`), on WASI by the preopen (wasmtime does not
/// follow it out), so the secret beside the workspace is never read.
#[test]
fn symlinks_out_of_the_workspace_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (workspace, outside) = (dir.path().join("ws"), dir.path().join("outside"));
    std::fs::create_dir_all(&workspace).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "top secret").unwrap();
    std::os::unix::fs::symlink(&outside, workspace.join("link")).unwrap();
    let src = dir.path().join("read.json");
    std::fs::write(
        &src,
        json!({"entryPoint": "read", "steps": {
            "read": {"stepType": "Agent", "id": "read", "agentId": "file", "capabilityId": "file-read-file", "maxRetries": 0,
                "inputMapping": {"path": {"valueType": "immediate", "value": "link/secret.txt"}}},
            "f": {"stepType": "Finish", "id": "f", "inputMapping": {"content": {"valueType": "reference", "value": "steps.read.outputs.content"}}},
            "refused": {"stepType": "Finish", "id": "refused", "inputMapping": {"code": {"valueType": "reference", "value": "steps.__error.code"}}}},
            "executionPlan": [{"fromStep": "read", "toStep": "f"}, {"fromStep": "read", "toStep": "refused", "label": "onError"}]})
        .to_string(),
    )
    .unwrap();
    for target in ["native", "wasm32-wasip2"] {
        let o = runtara_stdin(
            &["run", src.to_str().unwrap(), "--target", target, "--workspace", workspace.to_str().unwrap()],
            b"{}",
        );
        let out: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
        assert!(
            out["code"].is_string() && out.get("content").is_none(),
            "{target}: {out} {}",
            String::from_utf8_lossy(&o.stderr)
        );
        if target == "native" {
            assert_eq!(out["code"], "PATH_OUTSIDE_WORKSPACE", "{out}");
        }
    }
}
