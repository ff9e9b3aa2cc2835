//! Runs `cases.json` of the shared conformance corpus through the CLI (DESIGN §7).
//!
//! Each case is compiled for a target and run with its input; the expectation kinds of the
//! corpus README are checked. Cases whose `needs` the toolchain does not provide yet are
//! reported as unsupported, never passed.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::cli::{runtara, runtara_stdin};

/// What the toolchain provides, in the vocabulary of the corpus `needs`.
pub const SUPPORTED_NEEDS: &[&str] = &[
    "agent:utils",
    "agent:transform",
    "agent-catalog",
    "validator",
    "compiler",
    "delay",
    "events",
    "child-workflow",
    "signal",
    "checkpoint-store",
    "ai",
    "llm-stub",
    "connection-service",
];

/// Needs that take a state service: such cases run against `runtara core` (native,
/// wasm32-wasip2), with the harness delivering their signals.
const STATEFUL_NEEDS: &[&str] = &["signal", "checkpoint-store"];

/// One case of `cases.json`, with its graph resolved to JSON.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub graph: Value,
    pub input: Value,
    pub expect: Value,
    pub features: Vec<String>,
    pub needs: Vec<String>,
    pub confidence: String,
    pub side_effects: Value,
    pub harness: Value,
    /// `(workflow_id, version, graph)` of EmbedWorkflow children.
    pub children: Vec<(String, Option<u64>, Value)>,
    /// Children whose graph file the corpus does not ship.
    pub missing_children: usize,
}

/// The result of one case on one target.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Pass,
    Fail(String),
    Unsupported(String),
}

/// Loads every case of the corpus in `dir` (see `tools::conformance_corpus`); graph files
/// are read from `graphs/`, placeholders expanded.
pub fn load_cases(dir: &Path) -> Vec<Case> {
    let text = std::fs::read_to_string(dir.join("cases.json")).expect("cases.json is readable");
    let raw: Vec<Value> = serde_json::from_str(&text).expect("cases.json is JSON");
    raw.into_iter()
        .map(|c| {
            let graph = match (&c["graph"]["file"], &c["graph"]["inline"]) {
                (Value::String(f), _) => {
                    let t = std::fs::read_to_string(dir.join("graphs").join(f)).expect("graph file is readable");
                    serde_json::from_str(&t).expect("graph file is JSON")
                }
                (_, inline) => expand_placeholders(inline),
            };
            let strings = |k: &str| -> Vec<String> {
                c[k].as_array().into_iter().flatten().filter_map(|v| v.as_str().map(str::to_string)).collect()
            };
            Case {
                id: c["id"].as_str().unwrap_or("").to_string(),
                graph,
                input: c["input"].clone(),
                expect: c["expect"].clone(),
                features: strings("features"),
                needs: strings("needs"),
                confidence: c["confidence"].as_str().unwrap_or("").to_string(),
                side_effects: c["side_effects"].clone(),
                harness: c["harness"].clone(),
                children: c["children"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|ch| ch["kind"] == "embed")
                    .filter_map(|ch| {
                        let graph = match (&ch["file"], &ch["graph"]["inline"]) {
                            // Paths name the original repository; the corpus keeps the basename.
                            (Value::String(f), _) => {
                                let base = Path::new(f).file_name()?.to_owned();
                                let t = std::fs::read_to_string(dir.join("graphs/fixtures").join(base)).ok()?;
                                serde_json::from_str(&t).ok()?
                            }
                            (_, Value::Object(_)) => expand_placeholders(&ch["graph"]["inline"]),
                            _ => return None,
                        };
                        Some((ch["workflow_id"].as_str()?.to_string(), ch["version_resolved"].as_u64(), graph))
                    })
                    .collect(),
                missing_children: c["children"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|ch| ch["kind"] == "embed" && ch["file"].is_string())
                    .filter(|ch| {
                        let f = ch["file"].as_str().unwrap_or("");
                        let base = Path::new(f).file_name().unwrap_or_default();
                        !dir.join("graphs/fixtures").join(base).is_file()
                    })
                    .count(),
            }
        })
        .collect()
}

/// `"<<A_x_N>>"` stands for `"a"` repeated N times.
fn expand_placeholders(v: &Value) -> Value {
    match v {
        Value::String(s) if s.starts_with("<<A_x_") && s.ends_with(">>") => {
            let n: usize = s[6..s.len() - 2].parse().unwrap_or(0);
            Value::String("a".repeat(n))
        }
        Value::Array(a) => Value::Array(a.iter().map(expand_placeholders).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), expand_placeholders(v))).collect()),
        other => other.clone(),
    }
}

impl Case {
    /// Why the case cannot run here, if it cannot.
    pub fn unsupported_reason(&self) -> Option<String> {
        let missing: Vec<&str> =
            self.needs.iter().map(String::as_str).filter(|n| !SUPPORTED_NEEDS.contains(n)).collect();
        if !missing.is_empty() {
            return Some(format!("needs {}", missing.join(", ")));
        }
        if self.missing_children > 0 {
            return Some("a child graph file is missing from the corpus".into());
        }
        if self.expect.get("resource").is_some() {
            return Some("resource bounds are not measured".into());
        }
        match self.expect.get("outcome").and_then(Value::as_str) {
            Some("completed") | Some("failed") | None => None,
            Some(other) => Some(format!("outcome '{other}' needs durability")),
        }
    }
}

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
    for (id, version, graph) in &case.children {
        let path = match version {
            Some(v) => children_dir.join(id).join(format!("{v}.json")),
            None => children_dir.join(format!("{id}.json")),
        };
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("scratch dir is writable");
        std::fs::write(&path, serde_json::to_vec_pretty(graph).expect("graph serialises"))
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
    let stateful = case.needs.iter().any(|n| STATEFUL_NEEDS.contains(&n.as_str()));
    if stateful && !matches!(target, "native" | "wasm32-wasip2") {
        return Verdict::Unsupported(format!("needs a state service, which {target} runs do not have here"));
    }
    let out_path = work.join(format!("{}-{}.out", case.id, target));
    let out = out_path.to_str().expect("utf-8 path");
    let _ = std::fs::remove_file(&out_path);
    let mut args: Vec<String> = ["compile", "--target", target, f, "-o", out].iter().map(|s| s.to_string()).collect();
    if case.harness["track_events"] == Value::Bool(true) {
        args.push("--track-events".into());
    }
    if stateful {
        args.push("--core-client".into());
    }
    if let Some(wf) = case.harness["parent_workflow_id"].as_str() {
        args.extend(["--workflow-id".to_string(), wf.to_string()]);
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
    let run_args: Vec<&str> = run_args.iter().map(String::as_str).collect();
    let run = if stateful { run_with_core(case, &run_args, &input, work) } else { runtara_stdin(&run_args, &input) };
    if let (Some(llm), Some(n)) = (&llm, case.side_effects["llm_request_count"].as_u64()) {
        if llm.requests().len() as u64 != n {
            return Verdict::Fail(format!("{} LLM requests, expected {n}", llm.requests().len()));
        }
    }
    let stdout = String::from_utf8_lossy(&run.stdout);
    let Some(env) = stdout.lines().rev().find_map(|l| serde_json::from_str::<Value>(l).ok()) else {
        return Verdict::Fail(format!("no envelope; stderr: {}", String::from_utf8_lossy(&run.stderr)));
    };
    *envelope = Some(stdout.trim().to_string());
    let verdict = check_run(e, &env);
    if verdict != Verdict::Pass || !case.needs.iter().any(|n| n == "events") {
        return verdict;
    }
    // Workflow events only: artifact-level reports (firmware_stats) are not the workflow's.
    let events: Vec<Value> = String::from_utf8_lossy(&run.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("event").is_some_and(|e| e != "firmware_stats"))
        .collect();
    check_events(&case.side_effects, &events)
}

/// The scripted LLM of an `llm-stub` case (`harness.llm_script`: OpenAI chat-completions
/// answers in order, then 599) as every connection the graph names, passed to the run with
/// `--connections`.
fn llm_stub(case: &Case, work: &Path, run_args: &mut Vec<String>) -> crate::stub::StubServer {
    use crate::stub::{Reply, StubServer};
    let script = case.harness["llm_script"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| Reply { status: r["status"].as_u64().unwrap_or(200) as u16, body: r["body"].clone() })
        .collect();
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

/// Runs a stateful case against a fresh `runtara core` (SQLite) as the harness's instance,
/// delivering its signals for real: `signals_by_id` before the run, and `custom_signals`
/// to every signal id the run asks for (its `external_input_requested` events reach the
/// core's event log), in order, the last one repeating.
fn run_with_core(case: &Case, run_args: &[&str], input: &[u8], work: &Path) -> std::process::Output {
    let db = work.join(format!("{}-core.sqlite3", case.id));
    let _ = std::fs::remove_file(&db);
    let core = crate::core::CoreServer::start(&format!("sqlite:{}", db.display()), "conformance");
    let instance = case.harness["instance_id"].as_str().unwrap_or(&case.id).to_string();
    let cli = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--core", &core.url, "--tenant", "conformance", "--token", "conformance"]);
        runtara(&all)
    };
    for (id, payload) in case.harness["signals_by_id"].as_object().into_iter().flatten() {
        cli(&["signal", &instance, "--custom", id, "--payload", &payload.to_string()]);
    }
    let payloads: Vec<Value> = case.harness["custom_signals"].as_array().cloned().unwrap_or_default();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let deliverer = (!payloads.is_empty()).then(|| {
        let (done, url, instance) = (done.clone(), core.url.clone(), instance.clone());
        std::thread::spawn(move || {
            let mut delivered = std::collections::BTreeSet::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let o = runtara(&[
                    "instance",
                    &instance,
                    "--format",
                    "json",
                    "--core",
                    &url,
                    "--tenant",
                    "conformance",
                    "--token",
                    "conformance",
                ]);
                let events =
                    serde_json::from_slice::<Value>(&o.stdout).map(|v| v["events"].clone()).unwrap_or(Value::Null);
                for e in events.as_array().into_iter().flatten().filter(|e| e["event"] == "external_input_requested") {
                    let Some(sid) = e["signal_id"].as_str() else { continue };
                    if delivered.insert(sid.to_string()) {
                        let payload = &payloads[(delivered.len() - 1).min(payloads.len() - 1)];
                        runtara(&[
                            "signal",
                            &instance,
                            "--custom",
                            sid,
                            "--payload",
                            &payload.to_string(),
                            "--core",
                            &url,
                            "--tenant",
                            "conformance",
                            "--token",
                            "conformance",
                        ]);
                    }
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        })
    });
    let mut args = run_args.to_vec();
    args.extend(["--core", &core.url, "--instance", &instance, "--tenant", "conformance", "--token", "conformance"]);
    let run = runtara_stdin(&args, input);
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    if let Some(d) = deliverer {
        let _ = d.join();
    }
    run
}

/// Checks `side_effects.events` (subtype = our `event` name, JSON-pointer fields).
fn check_events(side: &Value, events: &[Value]) -> Verdict {
    if let Some(n) = side.get("events_exact_count").and_then(Value::as_u64) {
        if events.len() as u64 != n {
            return Verdict::Fail(format!("{} events, expected {n}: {events:?}", events.len()));
        }
    }
    for want in side.get("events").and_then(Value::as_array).into_iter().flatten() {
        let subtype = want.get("subtype").and_then(Value::as_str);
        let matches = |ev: &Value| {
            subtype.is_none_or(|s| ev["event"] == s)
                && want
                    .get("match")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .all(|(p, v)| ev.pointer(p) == Some(v))
        };
        let found = match want.get("index").and_then(Value::as_u64) {
            Some(i) => events.get(i as usize).filter(|ev| matches(ev)),
            None => events.iter().find(|ev| matches(ev)),
        };
        let Some(ev) = found else {
            return Verdict::Fail(format!("no event like {want}"));
        };
        for (p, v) in want.get("fields").and_then(Value::as_object).into_iter().flatten() {
            if ev.pointer(p).unwrap_or(&Value::Null) != v {
                return Verdict::Fail(format!("event {p}: {:?} != expected {v}", ev.pointer(p)));
            }
        }
    }
    Verdict::Pass
}

fn check_run(e: &Value, env: &Value) -> Verdict {
    let status = env["status"].as_str().unwrap_or("");
    let output = &env["output"];
    let error = &env["error"];
    if let Some(expected) = e.get("output") {
        if status != "completed" {
            return Verdict::Fail(format!("status {status}, error {error}"));
        }
        if output != expected {
            return Verdict::Fail(format!("output {output} != expected {expected}"));
        }
        return Verdict::Pass;
    }
    if let Some(fields) = e.get("output_fields").and_then(Value::as_object) {
        if status != "completed" {
            return Verdict::Fail(format!("status {status}, error {error}"));
        }
        for (ptr, want) in fields {
            if !ptr.starts_with('/') {
                continue;
            }
            let got = output.pointer(ptr).unwrap_or(&Value::Null);
            if got != want {
                return Verdict::Fail(format!("{ptr}: {got} != expected {want}"));
            }
        }
        return Verdict::Pass;
    }
    if let Some(spec) = e.get("error") {
        if status != "failed" {
            return Verdict::Fail(format!("status {status}, expected failed; output {output}"));
        }
        let text = error.to_string();
        if let Some(fields) = spec.get("fields").and_then(Value::as_object) {
            for (k, want) in fields {
                if &error[k] != want {
                    return Verdict::Fail(format!("error.{k}: {} != expected {want}", error[k]));
                }
            }
        }
        if let Some(exact) = spec.get("exact") {
            let ok = match exact {
                Value::String(s) => error["message"].as_str() == Some(s),
                Value::Object(o) => o.iter().all(|(k, v)| &error[k] == v),
                other => error == other,
            };
            if !ok {
                return Verdict::Fail(format!("error {error} != exact {exact}"));
            }
        }
        let subs = |k: &str| -> Vec<String> {
            spec.get(k)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        for s in subs("message_contains").iter().chain(subs("attributes_contain").iter()) {
            if !text.contains(s.as_str()) {
                return Verdict::Fail(format!("error lacks '{s}': {text}"));
            }
        }
        let any = subs("message_contains_any");
        if !any.is_empty() && !any.iter().any(|s| text.contains(s.as_str())) {
            return Verdict::Fail(format!("error contains none of {any:?}: {text}"));
        }
        return Verdict::Pass;
    }
    if let Some(outcome) = e.get("outcome").and_then(Value::as_str) {
        return if outcome == status {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("status {status}, expected {outcome}; error {error}"))
        };
    }
    Verdict::Unsupported("unknown expectation kind".into())
}

fn check_validation(case: &Case, file: &str, extra: &[String]) -> Verdict {
    let mut args = vec!["validate", file, "--format", "json"];
    args.extend(extra.iter().map(String::as_str));
    let out = runtara(&args);
    let code = out.status.code().unwrap_or(-1);
    let e = &case.expect;
    if case.confidence == "derived-stale" {
        // The codes no longer exist: score only as "rejected".
        return if code != 0 { Verdict::Pass } else { Verdict::Fail("accepted, expected rejection".into()) };
    }
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let codes = |k: &str| -> Vec<String> {
        report[k].as_array().into_iter().flatten().filter_map(|d| d["code"].as_str().map(str::to_string)).collect()
    };
    let (errors, warnings) = (codes("errors"), codes("warnings"));
    if let Some(want) = e.get("validation_error").and_then(Value::as_str) {
        return if errors.iter().any(|c| c == want) {
            Verdict::Pass
        } else {
            Verdict::Fail(format!(
                "expected {want}, got errors {errors:?} (exit {code}): {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        };
    }
    if let Some(want) = e.get("validation_warning").and_then(Value::as_str) {
        return if warnings.iter().any(|c| c == want) {
            Verdict::Pass
        } else {
            Verdict::Fail(format!("expected warning {want}, got {warnings:?}"))
        };
    }
    if let Some(ok) = e.get("validation_ok") {
        if code == 2 {
            return Verdict::Fail(format!("does not parse: {}", String::from_utf8_lossy(&out.stderr)));
        }
        for kind in ok.get("absent_error_kinds").and_then(Value::as_array).into_iter().flatten() {
            let k = kind.as_str().unwrap_or("");
            if let Some(c) = k.split('(').nth(1).map(|s| s.trim_end_matches(')')) {
                if errors.iter().any(|e| e == c) {
                    return Verdict::Fail(format!("unexpected {c}"));
                }
            }
        }
        for p in ok.get("absent_error_codes_prefix").and_then(Value::as_array).into_iter().flatten() {
            let p = p.as_str().unwrap_or("");
            if let Some(c) = errors.iter().find(|e| e.starts_with(p)) {
                return Verdict::Fail(format!("unexpected {c}"));
            }
        }
        return Verdict::Pass;
    }
    Verdict::Unsupported("unknown validation expectation".into())
}

/// Pass/fail/unsupported counts per feature.
pub fn table(results: &[(&Case, Verdict)]) -> BTreeMap<String, [usize; 3]> {
    let mut t: BTreeMap<String, [usize; 3]> = BTreeMap::new();
    for (case, v) in results {
        let slot = match v {
            Verdict::Pass => 0,
            Verdict::Fail(_) => 1,
            Verdict::Unsupported(_) => 2,
        };
        for f in case.features.iter().map(String::as_str).chain(["(all)"]) {
            t.entry(f.to_string()).or_default()[slot] += 1;
        }
    }
    t
}

/// `tests/conformance/passing-<target>.txt`: ids that must keep passing.
pub fn passing_list_path(target: &str) -> std::path::PathBuf {
    crate::cli::workspace_root().join("tests/conformance").join(format!("passing-{target}.txt"))
}

/// Reads a passing list (one id per line, `#` comments).
pub fn read_passing(target: &str) -> Vec<String> {
    std::fs::read_to_string(passing_list_path(target))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}
