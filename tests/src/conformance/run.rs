//! Running one case: compile for the target, run with its input (against a real core for
//! stateful cases, a scripted LLM for `llm-stub` cases), then check the expectations.

use std::path::Path;

use serde_json::Value;

use super::check::{check_events, check_instance, check_resource, check_run, check_validation};
use super::durable;
use super::*;
use crate::cli::{runtara, runtara_stdin};

/// Runs one case for `target` in the scratch directory `work`.
pub fn run_case(case: &Case, target: &str, work: &Path) -> Verdict {
    run_case_with_output(case, target, work).0
}

/// Like [`run_case`], also returning the artifact's raw `--format envelope` line when the
/// case ran an artifact (for cross-target byte comparisons).
pub fn run_case_with_output(case: &Case, target: &str, work: &Path) -> (Verdict, Option<String>) {
    let mut envelope = None;
    let v = run_inner(case, target, work, &mut envelope);
    (v, envelope)
}

fn run_inner(case: &Case, target: &str, work: &Path, envelope: &mut Option<String>) -> Verdict {
    if let Some(r) = case.unsupported_reason() {
        return Verdict::Unsupported(r);
    }
    let file = work.join(format!("{}.json", case.id));
    std::fs::write(&file, serde_json::to_vec_pretty(&case.graph).expect("graph serialises"))
        .expect("scratch dir is writable");
    let f = file.to_str().expect("utf-8 path");
    let children_dir = work.join(format!("{}-children", case.id));
    for child in &case.children {
        let path = match child.version {
            Some(v) => children_dir.join(&child.id).join(format!("{v}.json")),
            None => children_dir.join(format!("{}.json", child.id)),
        };
        // A published agent's own workflow id travels in the wrapper (`workflowId`).
        let document = match &child.agent_workflow_id {
            Some(wf) => serde_json::json!({"executionGraph": child.graph, "workflowId": wf}),
            None => child.graph.clone(),
        };
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("scratch dir is writable");
        std::fs::write(&path, serde_json::to_vec_pretty(&document).expect("graph serialises"))
            .expect("scratch dir is writable");
    }
    let children_arg = children_dir.to_str().expect("utf-8 path").to_string();
    let with_children = |mut args: Vec<&'static str>| -> Vec<String> {
        let mut v: Vec<String> = args.drain(..).map(str::to_string).collect();
        if !case.children.is_empty() {
            v.push("--workflows".into());
            v.push(children_arg.clone());
        }
        v
    };
    let e = &case.expect;
    if e.get("validation_ok").is_some() || e.get("validation_error").is_some() || e.get("validation_warning").is_some()
    {
        return check_validation(case, f, &with_children(Vec::new()));
    }
    if case.needs.iter().any(|n| n == "server-api") {
        return match target {
            "wasm32-wasip2" => super::server::run_on_server(case, work),
            _ => {
                Verdict::Unsupported(format!("runs on runtara serve, whose instances are wasm32-wasip2, not {target}"))
            }
        };
    }
    let stateful = case.needs.iter().any(|n| STATEFUL_NEEDS.contains(&n.as_str()));
    if stateful && !matches!(target, "native" | "wasm32-wasip2" | "cloudflare") {
        return Verdict::Unsupported(format!("needs a state service, which {target} runs do not have here"));
    }
    let out_path = work.join(format!("{}-{}.out", case.id, target));
    let out = out_path.to_str().expect("utf-8 path");
    let _ = std::fs::remove_file(&out_path);
    let mut args: Vec<String> = ["compile", "--target", target, f, "-o", out].iter().map(|s| s.to_string()).collect();
    if case.harness["track_events"] == Value::Bool(true) {
        args.push("--track-events".into());
    }
    if stateful && target != "cloudflare" {
        args.push("--core-client".into());
    }
    if let Some(wf) = case.parent_workflow_id() {
        args.extend(["--workflow-id".to_string(), wf]);
    }
    args.extend(with_children(Vec::new()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let compiled = runtara(&args);
    let stderr = String::from_utf8_lossy(&compiled.stderr).to_string();
    if let Some(ce) = e.get("compile_error") {
        if compiled.status.success() {
            return Verdict::Fail("compiled, expected a compile error".into());
        }
        if out_path.exists() {
            return Verdict::Fail("a failed compile left an artifact".into());
        }
        for s in ce.get("message_contains").and_then(Value::as_array).into_iter().flatten() {
            let s = s.as_str().unwrap_or("");
            if !stderr.contains(s) {
                return Verdict::Fail(format!("compile error lacks '{s}': {stderr}"));
            }
        }
        return Verdict::Pass;
    }
    if !compiled.status.success() {
        if stderr.contains(&format!("which {target} lacks"))
            || stderr.contains(&format!("which {target} artifacts lack"))
        {
            return Verdict::Unsupported(format!("needs what {target} lacks (rejected at compile time)"));
        }
        return Verdict::Fail(format!("compile failed: {}", stderr.trim()));
    }
    if e.get("compile_ok").is_some() {
        return Verdict::Pass;
    }
    let input = serde_json::to_vec(&case.input).expect("input serialises");
    let mut run_args: Vec<String> = ["run", out, "--format", "envelope"].iter().map(|s| s.to_string()).collect();
    let llm = case.needs.iter().any(|n| n == "llm-stub").then(|| llm_stub(case, work, &mut run_args));
    let upstream = proxy_stub(case, &mut run_args);
    if let Some(cap) = case.harness["env"]["RUNTARA_INSTANCE_MEMORY_MAX_BYTES"].as_str() {
        if target != "wasm32-wasip2" {
            return Verdict::Unsupported(format!("memory caps are enforced for wasm32-wasip2 runs only, not {target}"));
        }
        run_args.extend(["--max-memory".to_string(), cap.to_string()]);
    }
    if e.get("resource").is_some() {
        if target != "wasm32-wasip2" {
            return Verdict::Unsupported(format!("guest memory is measured for wasm32-wasip2 runs only, not {target}"));
        }
        run_args.push("--stats".into());
    }
    if durable::debug_mode(case) {
        run_args.push("--debug".into());
    }
    let run_args: Vec<&str> = run_args.iter().map(String::as_str).collect();
    let (run, instance) = if stateful {
        let hits = || upstream.as_ref().map_or(0, |u| u.requests().len());
        match durable::run(case, target, &run_args, &input, work, &hits) {
            Ok((run, instance)) => (run, Some(instance)),
            Err(verdict) => return verdict,
        }
    } else {
        (runtara_stdin(&run_args, &input), None)
    };
    if let (Some(llm), Some(n)) = (&llm, case.side_effects["llm_request_count"].as_u64()) {
        if llm.requests().len() as u64 != n {
            return Verdict::Fail(format!("{} LLM requests, expected {n}", llm.requests().len()));
        }
    }
    if let (Some(upstream), Some(n)) = (&upstream, case.side_effects["upstream_request_count"].as_u64()) {
        if upstream.requests().len() as u64 != n {
            return Verdict::Fail(format!("{} upstream requests, expected {n}", upstream.requests().len()));
        }
    }
    if let Some(bounds) = e.get("resource") {
        return check_resource(bounds, &String::from_utf8_lossy(&run.stderr));
    }
    let stdout = String::from_utf8_lossy(&run.stdout);
    let Some(env) = stdout.lines().rev().find_map(|l| serde_json::from_str::<Value>(l).ok()) else {
        return Verdict::Fail(format!("no envelope; stderr: {}", String::from_utf8_lossy(&run.stderr)));
    };
    *envelope = Some(stdout.trim().to_string());
    let verdict = check_run(e, &env);
    if verdict != Verdict::Pass {
        return verdict;
    }
    if let Some(instance) = instance {
        let verdict = check_instance(&case.side_effects, &instance.detail());
        if verdict != Verdict::Pass {
            return verdict;
        }
    }
    if !case.needs.iter().any(|n| n == "events") {
        return verdict;
    }
    // Workflow events only: artifact-level reports (firmware_stats) are not the workflow's.
    let events: Vec<Value> = String::from_utf8_lossy(&run.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("event").is_some_and(|e| e != "firmware_stats" && e != "guest_stats"))
        .collect();
    check_events(&case.side_effects, &events)
}

/// The HTTP proxy of a `mock-http-upstream` case, passed to the run with `--http-proxy`:
/// `harness.http_proxy_mock` answers every request `200 {ok: true}` after ~400 ms;
/// `harness.http_proxy_stub` answers the first four 429 (`retry-after-ms`), then 200.
fn proxy_stub(case: &Case, run_args: &mut Vec<String>) -> Option<crate::stub::StubServer> {
    use crate::stub::{Reply, StubServer};
    let envelope = |status: u16, headers: Value, body: Value| Reply {
        status: 200,
        body: serde_json::json!({"status": status, "headers": headers, "body": body}),
    };
    let ok = || envelope(200, serde_json::json!({"content-type": "application/json"}), serde_json::json!({"ok": true}));
    let stub = if case.harness.get("http_proxy_mock").is_some() {
        StubServer::start_slow(vec![], Some(ok()), std::time::Duration::from_millis(400))
    } else if let Some(text) = case.harness["http_proxy_stub"].as_str() {
        let wait = text.split("retry-after-ms:\"").nth(1).and_then(|t| t.split('"').next()).unwrap_or("50");
        let limited =
            envelope(429, serde_json::json!({"retry-after-ms": wait}), serde_json::json!({"error": "rate limited"}));
        StubServer::start(vec![limited.clone(), limited.clone(), limited.clone(), limited], Some(ok()))
    } else {
        return None;
    };
    run_args.extend(["--http-proxy".to_string(), format!("{}/proxy", stub.url)]);
    Some(stub)
}

/// The scripted LLM of an `llm-stub` case (`harness.llm_script`: OpenAI chat-completions
/// answers in order, then 599) as every connection the graph names, passed to the run with
/// `--connections`.
fn llm_stub(case: &Case, work: &Path, run_args: &mut Vec<String>) -> crate::stub::StubServer {
    use crate::stub::{Reply, StubServer};
    let mut script: Vec<Reply> = case.harness["llm_script"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| Reply { status: r["status"].as_u64().unwrap_or(200) as u16, body: r["body"].clone() })
        .collect();
    if let Some(generator) = case.harness["llm_script_generator"].as_str() {
        script.extend(generated_script(generator));
    }
    let stub = StubServer::start(script, None);
    let mut ids = std::collections::BTreeSet::from(["conn-1".to_string()]);
    collect_connection_ids(&case.graph, &mut ids);
    let table: serde_json::Map<String, Value> = ids
        .into_iter()
        .map(|id| {
            (id, serde_json::json!({"integrationId": "openai", "parameters": {"baseUrl": format!("{}/v1", stub.url)}}))
        })
        .collect();
    let file = work.join(format!("{}-connections.json", case.id));
    std::fs::write(&file, Value::Object(table).to_string()).expect("scratch dir is writable");
    run_args.extend(["--connections".to_string(), file.to_string_lossy().into_owned()]);
    stub
}

/// The script `N x tool_call('NAME', '{"KEY": "C"*LEN}') then ok('TEXT')` (the corpus's one
/// generator): N tool calls whose argument is LEN copies of C, then a text answer.
fn generated_script(generator: &str) -> Vec<crate::stub::Reply> {
    use crate::stub::{llm_text, llm_tool_call};
    let parse = || -> Option<Vec<crate::stub::Reply>> {
        let (n, rest) = generator.split_once(" x tool_call('")?;
        let (name, rest) = rest.split_once("', '{\"")?;
        let (key, rest) = rest.split_once("\": \"")?;
        let (fill, rest) = rest.split_once("\"*")?;
        let (len, rest) = rest.split_once('}')?;
        let text = rest.split_once("ok('")?.1.strip_suffix("')")?;
        let args = serde_json::json!({ key: fill.repeat(len.trim().parse().ok()?) });
        let calls = (0..n.trim().parse::<usize>().ok()?).map(|i| llm_tool_call(&format!("call_{i}"), name, &args));
        Some(calls.chain([llm_text(text)]).collect())
    };
    parse().unwrap_or_else(|| panic!("unknown llm_script_generator: {generator}"))
}

fn collect_connection_ids(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                match (k.as_str(), x) {
                    ("connectionId", Value::String(id)) => {
                        out.insert(id.clone());
                    }
                    _ => collect_connection_ids(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_connection_ids(x, out)),
        _ => {}
    }
}
