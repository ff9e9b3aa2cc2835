//! Failures: the payload a failing step hands outward (dsl-spec §8.5–8.7).

use alloc::string::{String, ToString};
use serde_json::{Map, Value};

/// A step failure. `payload` is a JSON object (structured errors: Error steps, child
/// failures, timeouts) or a JSON string (mapping/reference/coercion errors, Agent failure
/// text). `step_id` is the step the failure came out of.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub payload: Value,
    pub step_id: Option<String>,
    /// Fails the whole workflow: never routed to onError, never aggregated by a Split
    /// (`SPLIT_TIMEOUT`, dsl-spec §7.4).
    pub fatal: bool,
}

impl Failure {
    /// A plain-text failure.
    pub fn msg(message: impl Into<String>) -> Self {
        Failure { payload: Value::String(message.into()), step_id: None, fatal: false }
    }

    /// A structured failure.
    pub fn structured(payload: Value) -> Self {
        Failure { payload, step_id: None, fatal: false }
    }

    /// The run stops at a step boundary because the instance was paused (`SUSPENDED`,
    /// exit 3) or cancelled (`CANCELLED`, exit 4); never handled, never checkpointed.
    pub fn interrupted(code: &str, message: &str) -> Self {
        Failure::fatal(crate::value::object([
            ("code", code.into()),
            ("message", message.into()),
            ("category", "lifecycle".into()),
            ("severity", "info".into()),
        ]))
    }

    /// Whether the run stopped to wait for its host — a sleep (`SLEEPING`), a signal
    /// (`WAITING`), a browser fetch (`FETCH_PENDING`) or a browser wait (`NAPPING`) — and
    /// will run again: the step did not finish, nor fail.
    pub fn is_yield(&self) -> bool {
        self.fatal
            && matches!(
                self.payload.get("code").and_then(Value::as_str),
                Some("SLEEPING" | "WAITING" | "FETCH_PENDING" | "NAPPING")
            )
    }

    /// The run leaves its host until `wake_at_ms` (ms since the epoch) or, for `WAITING`,
    /// until the signal arrives: `{code: SLEEPING|WAITING, message, wake_at_ms?, signal_id?}`.
    pub fn yielded(code: &str, wake_at_ms: Option<u64>, signal_id: Option<&str>) -> Self {
        Failure::fatal(crate::value::object([
            ("code", code.into()),
            ("message", "the instance left its worker until its deadline or signal".into()),
            ("category", "lifecycle".into()),
            ("severity", "info".into()),
            ("wake_at_ms", wake_at_ms.into()),
            ("signal_id", signal_id.into()),
        ]))
    }

    /// `Some("SUSPENDED" | "CANCELLED")` for [`Failure::interrupted`] failures.
    pub fn interruption(&self) -> Option<&str> {
        let code = self.payload.get("code").and_then(Value::as_str)?;
        (self.fatal && matches!(code, "SUSPENDED" | "CANCELLED")).then_some(code)
    }

    /// A structured failure that ends the workflow regardless of handlers.
    pub fn fatal(payload: Value) -> Self {
        Failure { payload, step_id: None, fatal: true }
    }

    /// Whether Split/EmbedWorkflow retries may retry this failure (dsl-spec §8.8): a
    /// payload that is not JSON is retryable; otherwise its category must not be
    /// `permanent`.
    pub fn is_retryable(&self) -> bool {
        if self.fatal {
            return false;
        }
        let obj = match &self.payload {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(v) => v,
                Err(_) => return true,
            },
            other => other.clone(),
        };
        obj.get("category").and_then(Value::as_str) != Some("permanent")
    }

    /// Attributes the failure to `step_id` unless it already names a step.
    pub fn at(mut self, step_id: &str) -> Self {
        if self.step_id.is_none() {
            self.step_id = Some(step_id.to_string());
        }
        self
    }

    /// The payload as text (strings verbatim, objects as compact JSON).
    pub fn text(&self) -> String {
        match &self.payload {
            Value::String(s) => s.clone(),
            other => crate::value::to_json(other),
        }
    }

    /// The error object an onError route sees as `steps.__error` (dsl-spec §8.6): the payload
    /// object; else the JSON object starting at the first `{` of the text; else
    /// `{message, code: null, category: "unknown", severity: "error"}`; `stepId` added if
    /// missing.
    pub fn error_object(&self, owner: &str) -> Value {
        let mut obj = match &self.payload {
            Value::Object(m) => m.clone(),
            other => {
                let text = match other {
                    Value::String(s) => s.clone(),
                    v => v.to_string(),
                };
                embedded_object(&text).unwrap_or_else(|| {
                    let mut m = Map::new();
                    m.insert("message".into(), Value::String(text));
                    m.insert("code".into(), Value::Null);
                    m.insert("category".into(), "unknown".into());
                    m.insert("severity".into(), "error".into());
                    m
                })
            }
        };
        obj.entry("stepId").or_insert_with(|| Value::String(owner.to_string()));
        Value::Object(obj)
    }

    /// The structured error an artifact reports when a run fails (DESIGN §5):
    /// `{stepId, code, message, category, severity, retryable, …}`. Structured payloads keep
    /// all their fields; text payloads become `code: "STEP_FAILED"` with the text as message
    /// (or the capability error embedded in Agent failure text).
    pub fn report(&self) -> Value {
        let mut obj = match &self.payload {
            Value::Object(m) => m.clone(),
            Value::String(s) => {
                let mut m = embedded_object(s).unwrap_or_default();
                m.insert("message".into(), Value::String(s.clone()));
                m
            }
            other => {
                let mut m = Map::new();
                m.insert("message".into(), Value::String(other.to_string()));
                m
            }
        };
        let step = self.step_id.clone().map(Value::String).unwrap_or(Value::Null);
        obj.entry("stepId").or_insert(step);
        obj.entry("code").or_insert_with(|| Value::from("STEP_FAILED"));
        obj.entry("category").or_insert_with(|| Value::from("permanent"));
        obj.entry("severity").or_insert_with(|| Value::from("error"));
        let retryable = obj.get("category").and_then(Value::as_str) == Some("transient");
        obj.entry("retryable").or_insert(Value::Bool(retryable));
        Value::Object(obj)
    }
}

fn embedded_object(text: &str) -> Option<Map<String, Value>> {
    let start = text.find('{')?;
    // `get`, not indexing: a str index links core's char-boundary panic formatting.
    match serde_json::from_str::<Value>(text.get(start..)?) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn agent_failure_text_yields_its_envelope() {
        let f = Failure::msg(r#"Step s failed: Agent http::get: {"code":"X","category":"transient"}"#);
        let e = f.error_object("s");
        assert_eq!(e["code"], "X");
        assert_eq!(e["stepId"], "s");
        assert_eq!(f.report()["retryable"], true);
    }

    #[test]
    fn plain_text_becomes_unknown_category() {
        let e = Failure::msg("boom").error_object("s");
        assert_eq!(
            e,
            json!({"message": "boom", "code": null, "category": "unknown", "severity": "error", "stepId": "s"})
        );
    }
}
