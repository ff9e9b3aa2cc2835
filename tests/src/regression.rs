//! The project's own regression suite (`tests/regression/*.json`): graphs, inputs and the
//! expected result envelope of each run, on every target. It needs nothing outside the
//! repository; the shared conformance corpus is an extra gate on top (`conformance.rs`).
//!
//! A case file:
//! ```json
//! { "about": "what it covers",
//!   "graph": "examples/order-routing.json",        // from the workspace root, or inline
//!   "workflows": "tests/fixtures/embed/workflows",  // optional: EmbedWorkflow children
//!   "targets": ["native", "wasm32-wasip2"],         // optional: default all five
//!   "runs": [ { "input": {...}, "expect": {"status": "completed", "output": {...}} } ] }
//! ```
//! `expect` is the `runtara run --format envelope` line. `RUNTARA_BLESS=1` fills it in from
//! the native run (review the diff before committing).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::cli::{runtara_stdin, workspace_root};

/// Every target a case runs on unless it names its own.
pub const ALL_TARGETS: [&str; 5] =
    ["native", "wasm32-wasip2", "wasm32-unknown-unknown", "cloudflare", "thumbv7em-none-eabihf"];

/// One case file.
pub struct RegressionCase {
    pub path: PathBuf,
    pub doc: Value,
}

impl RegressionCase {
    /// The case's name: its file stem.
    pub fn name(&self) -> String {
        self.path.file_stem().unwrap_or_default().to_string_lossy().to_string()
    }

    /// The targets the case runs on.
    pub fn targets(&self) -> Vec<String> {
        match self.doc["targets"].as_array() {
            Some(t) => t.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            None => ALL_TARGETS.iter().map(|t| t.to_string()).collect(),
        }
    }

    /// The graph file to compile (inline graphs are written into `work`).
    pub fn graph_file(&self, work: &Path) -> PathBuf {
        match &self.doc["graph"] {
            Value::String(rel) => workspace_root().join(rel),
            inline => {
                let path = work.join(format!("{}.json", self.name()));
                std::fs::write(&path, serde_json::to_vec_pretty(inline).expect("a graph serialises"))
                    .expect("work dir is writable");
                path
            }
        }
    }

    /// Runs `input` on `target`: the envelope line as printed (raw, for byte comparisons).
    pub fn run(&self, graph: &Path, target: &str, input: &Value) -> String {
        let mut args = vec![
            "run".to_string(),
            graph.display().to_string(),
            "--target".into(),
            target.into(),
            "--format".into(),
            "envelope".into(),
        ];
        if let Some(dir) = self.doc["workflows"].as_str() {
            args.extend(["--workflows".to_string(), workspace_root().join(dir).display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = runtara_stdin(&args, input.to_string().as_bytes());
        let stdout = String::from_utf8_lossy(&o.stdout).trim().to_string();
        if stdout.is_empty() {
            return format!(
                "<no envelope; exit {:?}; stderr: {}>",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).trim()
            );
        }
        stdout
    }
}

/// Every case under `tests/regression/`, sorted by file name.
pub fn load_regression_cases() -> Vec<RegressionCase> {
    crate::cli::json_files("tests/regression").into_iter().map(|(path, doc)| RegressionCase { path, doc }).collect()
}
