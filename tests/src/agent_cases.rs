//! Capability cases (`tests/agents/<agent>.json`): inputs and expected outputs per
//! capability, compiled into one graph per target and run for real on every target the
//! platform matrix allows.
//!
//! A case file:
//! ```json
//! { "about": "what it covers",
//!   "connectionId": "drop",          // optional: every call uses this connection (a case
//!                                    // may name its own)
//!   "env": {"RUNTARA_MAX_FILE_SIZE": "20"},  // optional: set for `runtara run`
//!   "targets": ["native", "wasm32-wasip2"],   // optional: narrower than the matrix
//!   "cases": [
//!     { "capability": "slugify", "input": {"text": "Crème brûlée"}, "expect": "creme-brulee" },
//!     { "capability": "regex-test", "input": {"pattern": "("}, "error": "INVALID_REGEX" },
//!     { "capability": "file-get-file-info", "input": {"path": "a.txt"},
//!       "pick": ["name", "size"], "expect": {"name": "a.txt", "size": 3} },
//!     { "capability": "get-current-date", "input": {}, "matches": "^\\d{4}-" } ] }
//! ```
//! Each case becomes a one-item Split whose body calls the capability with exactly the
//! case's input fields (references into the item, so nothing is checked at compile time)
//! and finishes with `{output}` — or, through its onError route, `{code, category,
//! message}`. `pick` keeps only some output fields (of each element of an array output) (e.g. leaves out a file's modification
//! time) before comparing; `matches` checks a string output that changes between runs (the
//! current date; a non-string output as JSON text) against a regex — those cases are not compared across targets. Cases run in file order, so later cases see earlier side effects.

use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::cli::{runtara, runtara_command, spawn_with_input};
use crate::tools::can_run;

/// The targets capability cases may run on (the platform matrix's columns).
pub const TARGETS: [&str; 6] =
    ["native", "wasm32-wasip2", "wasm32-wasip1", "wasm32-unknown-unknown", "cloudflare", "thumbv7em-none-eabihf"];

/// One case file.
pub struct CaseFile {
    pub path: PathBuf,
    pub doc: Value,
}

impl CaseFile {
    /// The file's agent: its file stem.
    pub fn agent(&self) -> String {
        self.path.file_stem().unwrap_or_default().to_string_lossy().to_string()
    }

    /// The cases.
    pub fn cases(&self) -> Vec<Value> {
        self.doc["cases"].as_array().cloned().unwrap_or_default()
    }

    /// Indices of the cases whose capability the platform matrix allows on `target` (and,
    /// when the file names `targets`, only on those).
    pub fn runnable_on(&self, target: &str) -> Vec<usize> {
        if let Some(only) = self.doc["targets"].as_array() {
            if !only.iter().any(|t| t == target) {
                return Vec::new();
            }
        }
        let kind = runtara_compiler::Target::parse(target).expect("a known target").kind;
        let agent = self.agent();
        self.cases()
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                let cap = c["capability"].as_str().unwrap_or_default();
                runtara_agents::find(&agent, cap).is_some_and(|m| kind.refusal(m).is_none())
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The graph running cases `which`, and its input.
    pub fn graph(&self, which: &[usize]) -> (Value, Value) {
        let cases = self.cases();
        let (mut steps, mut plan, mut input, mut finish) = (Map::new(), Vec::new(), Map::new(), Map::new());
        for (n, &i) in which.iter().enumerate() {
            let id = format!("case{i}");
            steps.insert(id.clone(), self.case_step(&id, &cases[i]));
            input.insert(id.clone(), json!([cases[i]["input"]]));
            finish.insert(id.clone(), json!({"valueType": "reference", "value": format!("steps.{id}.outputs")}));
            let next = which.get(n + 1).map_or("done".to_string(), |j| format!("case{j}"));
            plan.push(json!({"fromStep": id, "toStep": next}));
        }
        steps.insert("done".into(), json!({"stepType": "Finish", "id": "done", "inputMapping": finish}));
        let entry = which.first().map_or("done".to_string(), |i| format!("case{i}"));
        let graph = json!({"name": format!("{} capability cases", self.agent()), "entryPoint": entry, "steps": steps, "executionPlan": plan});
        (graph, Value::Object(input))
    }

    fn case_step(&self, id: &str, case: &Value) -> Value {
        let reference = |path: String| json!({"valueType": "reference", "value": path});
        let mapping: Map<String, Value> = case["input"]
            .as_object()
            .map(|m| m.keys().map(|k| (k.clone(), reference(format!("data.{k}")))).collect())
            .unwrap_or_default();
        let mut call = json!({"stepType": "Agent", "id": "call", "agentId": self.agent(),
            "capabilityId": case["capability"], "maxRetries": 0, "inputMapping": mapping});
        if let Some(conn) = case.get("connectionId").or(self.doc.get("connectionId")) {
            call["connectionId"] = conn.clone();
        }
        let error_field = |f: &str| reference(format!("steps.__error.{f}"));
        json!({"stepType": "Split", "id": id,
            "config": {"value": reference(format!("data.{id}"))},
            "subgraph": {"name": id, "entryPoint": "call", "steps": {
                "call": call,
                "ok": {"stepType": "Finish", "id": "ok", "inputMapping": {"output": reference("steps.call.outputs".into())}},
                "failed": {"stepType": "Finish", "id": "failed", "inputMapping": {
                    "code": error_field("code"), "category": error_field("category"), "message": error_field("message")}}},
            "executionPlan": [{"fromStep": "call", "toStep": "ok"}, {"fromStep": "call", "toStep": "failed", "label": "onError"}]}})
    }

    /// Compiles and runs cases `which` on `target` with `extra` run flags and `env`: the raw envelope
    /// line, or a description of what went wrong.
    pub fn run(
        &self,
        which: &[usize],
        target: &str,
        work: &Path,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Result<String, String> {
        let (graph, input) = self.graph(which);
        let src = work.join(format!("{}-{target}.json", self.agent()));
        std::fs::write(&src, serde_json::to_vec_pretty(&graph).expect("a graph serialises")).expect("work dir");
        let out = work.join(format!("{}-{target}.artifact", self.agent()));
        let o = runtara(&["compile", "--target", target, src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        if !o.status.success() {
            return Err(format!("compile for {target}: {}", String::from_utf8_lossy(&o.stderr)));
        }
        let mut args = vec!["run", out.to_str().unwrap(), "--format", "envelope"];
        args.extend_from_slice(extra);
        let mut cmd = runtara_command();
        cmd.args(&args);
        for (k, v) in self.doc["env"].as_object().into_iter().flatten() {
            cmd.env(k, v.as_str().unwrap_or_default());
        }
        cmd.envs(env.iter().copied());
        let o = spawn_with_input(cmd, input.to_string().as_bytes()).wait_with_output().expect("runtara finishes");
        let line = String::from_utf8_lossy(&o.stdout).trim().to_string();
        if line.is_empty() {
            return Err(format!(
                "run on {target}: exit {:?}, stderr {}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        Ok(line)
    }

    /// The result of case `i` in `envelope`, `pick` applied: `{output}` or `{code,
    /// category, message}`; `None` when the run did not complete.
    pub fn result(&self, i: usize, envelope: &str) -> Option<Value> {
        let v: Value = serde_json::from_str(envelope).ok()?;
        if v["status"] != "completed" {
            return None;
        }
        let mut got = v["output"][format!("case{i}")][0].clone();
        if let (Some(fields), Some(out)) = (self.cases()[i]["pick"].as_array(), got.get("output")) {
            let pick = |one: &Value| -> Value {
                Value::Object(
                    fields.iter().filter_map(Value::as_str).map(|f| (f.to_string(), one[f].clone())).collect(),
                )
            };
            got["output"] = match out {
                Value::Array(items) => items.iter().map(pick).collect(),
                one => pick(one),
            };
        }
        Some(got)
    }

    /// Checks an envelope of cases `which` against the expectations: one message per case
    /// that differs.
    pub fn check(&self, which: &[usize], target: &str, envelope: &str) -> Vec<String> {
        let cases = self.cases();
        let mut failures = Vec::new();
        for &i in which {
            let case = &cases[i];
            let what =
                format!("{} case {i} ({}) on {target}", self.agent(), case["capability"].as_str().unwrap_or("?"));
            let Some(got) = self.result(i, envelope) else {
                return vec![format!("{what}: the run did not complete: {envelope}")];
            };
            match case.get("error").and_then(Value::as_str) {
                Some(code) => {
                    let structured = got["code"] == code
                        && matches!(got["category"].as_str(), Some("permanent" | "transient"))
                        && got["message"].as_str().is_some_and(|m| !m.is_empty());
                    if !structured {
                        failures.push(format!("{what}: expected error {code} with category and message, got {got}"));
                    }
                }
                None if case.get("matches").is_some() => {
                    let re = regex::Regex::new(case["matches"].as_str().unwrap_or_default()).expect("a valid regex");
                    let text = match &got["output"] {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    if got.get("output").is_none() || !re.is_match(&text) {
                        failures.push(format!("{what}: expected a string matching {}, got {got}", case["matches"]));
                    }
                }
                None if got.get("output") != Some(&case["expect"]) => {
                    failures.push(format!("{what}:\n  expected {}\n  got      {got}", case["expect"]));
                }
                None => {}
            }
        }
        failures
    }
}

/// Runs `file` on every runnable target (each with a fresh workspace directory) and returns
/// what differs from the expectations or between targets.
pub fn run_everywhere(file: &CaseFile, extra: &[&str], env: &[(&str, &str)]) -> Vec<String> {
    let work = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut seen: Vec<(&str, Vec<usize>, String)> = Vec::new();
    for target in TARGETS {
        let which = file.runnable_on(target);
        if which.is_empty() || !can_run(target) {
            continue;
        }
        let workspace = work.path().join(format!("workspace-{target}"));
        std::fs::create_dir_all(&workspace).unwrap();
        let mut args = vec!["--workspace", workspace.to_str().unwrap()];
        args.extend_from_slice(extra);
        let line = match file.run(&which, target, work.path(), &args, env) {
            Ok(line) => line,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        failures.extend(file.check(&which, target, &line));
        for (other, other_which, other_line) in &seen {
            let varies = |i: usize| file.cases()[i].get("matches").is_some();
            for i in which.iter().filter(|i| other_which.contains(i) && !varies(**i)) {
                let (mine, theirs) = (file.result(*i, &line), file.result(*i, other_line));
                if mine != theirs {
                    failures.push(format!(
                        "{} case {i}: {other} and {target} differ:\n  {theirs:?}\n  {mine:?}",
                        file.agent()
                    ));
                }
            }
            let picks = which.iter().any(|&i| file.cases()[i].get("pick").is_some() || varies(i));
            if *other_which == which && !picks && *other_line != line {
                failures.push(format!(
                    "{}: {other} and {target} print different bytes:\n  {other_line}\n  {line}",
                    file.agent()
                ));
            }
        }
        seen.push((target, which, line));
    }
    if seen.is_empty() {
        failures.push(format!("{}: no target could run the cases", file.agent()));
    }
    failures
}

/// Every case file under `tests/agents/`, sorted by name.
pub fn load_case_files() -> Vec<CaseFile> {
    crate::cli::json_files("tests/agents").into_iter().map(|(path, doc)| CaseFile { path, doc }).collect()
}
