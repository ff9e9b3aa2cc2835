//! Runs `cases.json` of the shared conformance corpus through the CLI (DESIGN §7).
//!
//! Each case is compiled for a target and run with its input; the expectation kinds of the
//! corpus README are checked. Cases whose `needs` the toolchain does not provide yet are
//! reported as unsupported, never passed.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

mod check;
mod durable;
mod run;
mod server;
mod worker;

pub use run::{run_case, run_case_with_output};

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
    "workflow-agent",
    "agent:http",
    "network",
    "mock-http-upstream",
    "memory-limit",
    "lifecycle-pause",
    "debug-mode",
    "server-api",
];

/// Needs that take a state service: such cases run against `runtara core` (native,
/// wasm32-wasip2), with the harness delivering their signals.
const STATEFUL_NEEDS: &[&str] = &["signal", "checkpoint-store", "lifecycle-pause", "debug-mode"];

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
    /// What the original test did, in prose (some setup is only written here).
    pub notes: String,
    /// EmbedWorkflow children and workflows published as agents.
    pub children: Vec<Child>,
    /// Children whose graph file the corpus does not ship.
    pub missing_children: usize,
}

/// A graph a case's graph calls.
#[derive(Debug, Clone)]
pub struct Child {
    /// The `childWorkflowId` an EmbedWorkflow names, or the slug of a published agent.
    pub id: String,
    /// The EmbedWorkflow's resolved version; `None` for an agent.
    pub version: Option<u64>,
    pub graph: Value,
    /// The workflow id a published agent runs under, when the case gives one.
    pub agent_workflow_id: Option<String>,
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
                notes: c["notes"].as_str().unwrap_or_default().to_string(),
                children: c["children"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|ch| ch["kind"] == "embed" || ch["kind"] == "workflow-agent")
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
                        // A workflow published as an agent is found under its slug.
                        let slug = ch["agent_slug"].as_str();
                        let id = slug.or(ch["workflow_id"].as_str())?;
                        Some(Child {
                            id: id.to_string(),
                            version: ch["version_resolved"].as_u64(),
                            graph,
                            agent_workflow_id: slug.and(ch["workflow_id"].as_str()).map(str::to_string),
                        })
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
    /// The workflow id the case's graph ran under in the original harness:
    /// `harness.parent_workflow_id`, else read from the harness's scoped signal ids
    /// (`{instance}/{workflow}/{parent workflow}::{site}::{step}`).
    pub fn parent_workflow_id(&self) -> Option<String> {
        if let Some(wf) = self.harness["parent_workflow_id"].as_str() {
            return Some(wf.to_string());
        }
        let h = &self.harness;
        let runs = h["runs"].as_array().into_iter().flatten().map(|r| &r["deliver_signal"]);
        let keyed = [&h["signals_by_id"], &h["preloaded_checkpoints"]].into_iter().chain(runs);
        keyed.filter_map(Value::as_object).flat_map(|m| m.keys()).find_map(|k| {
            let scoped = k.splitn(3, '/').nth(2)?;
            scoped.split_once("::").map(|(wf, _)| wf.to_string())
        })
    }

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
        match self.expect.get("outcome").and_then(Value::as_str) {
            Some("completed") | Some("failed") | None => None,
            Some("suspended") if self.needs.iter().any(|n| STATEFUL_NEEDS.contains(&n.as_str())) => None,
            Some(other) => Some(format!("outcome '{other}' needs durability")),
        }
    }
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
