//! Reading the artifact contract back from a finished run (DESIGN §5).

use serde_json::{json, Value};

use crate::RunOutput;

pub use runtara_protocol::exit::RunStatus;

/// A run interpreted: status, output (completed), structured error (failed), events.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: RunStatus,
    pub exit_code: i32,
    pub output: Option<Value>,
    pub error: Option<Value>,
    /// Every stderr JSON line with an `event` key, in order.
    pub events: Vec<Value>,
    /// stderr lines that are not JSON (diagnostics of a crashed artifact).
    pub other_stderr: Vec<String>,
}

impl Outcome {
    /// Interprets a finished run. WASI P2 can only report exit status 0 or 1, so the code
    /// of the structured error line (`BAD_INPUT`) refines a non-zero status.
    pub fn from_run(run: &RunOutput) -> Outcome {
        let stderr = String::from_utf8_lossy(&run.stderr);
        let mut events = Vec::new();
        let mut error = None;
        let mut other = Vec::new();
        for line in stderr.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<Value>(line) {
                Ok(v) if v.get("event").is_some() => events.push(v),
                Ok(v) if v.is_object() => error = Some(v),
                _ => other.push(line.to_string()),
            }
        }
        let code_of =
            |e: &Option<Value>| e.as_ref().and_then(|e| e.get("code")).and_then(Value::as_str).map(str::to_string);
        let status = match (RunStatus::from_code(run.exit_code), RunStatus::from_error_code(code_of(&error).as_deref()))
        {
            (RunStatus::Failed, refined) => refined,
            (RunStatus::Suspended, yielded @ (RunStatus::Sleeping | RunStatus::Waiting)) => yielded,
            (status, _) => status,
        };
        let output = if status == RunStatus::Completed {
            let text = String::from_utf8_lossy(&run.stdout);
            serde_json::from_str(text.trim()).ok()
        } else {
            None
        };
        if status == RunStatus::Failed && error.is_none() {
            error = Some(json!({
                "code": "ARTIFACT_CRASHED",
                "message": format!("the artifact exited with code {} without a structured error", run.exit_code),
                "category": "permanent", "severity": "error",
                "stderr": other.join("\n"),
            }));
        }
        Outcome { status, exit_code: run.exit_code, output, error, events, other_stderr: other }
    }

    /// `{"status", "output"?, "error"?}` — the `--format envelope` line.
    pub fn envelope(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("status".into(), self.status.as_str().into());
        if let Some(o) = &self.output {
            m.insert("output".into(), o.clone());
        }
        if let Some(e) = &self.error {
            m.insert("error".into(), e.clone());
        }
        Value::Object(m)
    }
}
