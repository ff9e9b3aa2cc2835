//! The LLM endpoint of one AiAgent step: OpenAI-compatible chat completions over the step's connection.

use crate::agents::connections;
use crate::failure::Failure;
use crate::runtime::StepInfo;
use alloc::format;
use alloc::string::String;
use runtara_sdk::net::{self, Request};
use serde_json::{json, Map, Value};

use super::*;

/// Default LLM endpoint when the connection has no `baseUrl`.
pub(super) const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// The LLM endpoint of one step.
pub(super) struct Llm {
    step: &'static str,
    connection_id: String,
    connection: Value,
    url: String,
    model: Value,
    temperature: Value,
    max_tokens: Value,
    timeout_ms: u64,
}

impl Llm {
    pub(super) fn connect(info: &StepInfo, inputs: &AiInputs, cfg: &AiConfig) -> Result<Llm, Failure> {
        let id = match &inputs.connection {
            Value::String(s) if !s.is_empty() && s != "__none__" => s.clone(),
            other => {
                return Err(Failure::msg(format!(
                    "AiAgent step '{}' has no usable connection (got {}); set connectionId or connectionRef to an LLM connection",
                    info.id,
                    crate::value::to_json(other)
                )))
            }
        };
        let connection = connections::lookup(&id).ok_or_else(|| {
            Failure::msg(format!(
                "AiAgent step '{}': connection '{id}' is not configured; pass it with `runtara run --connections FILE` (or {}) as {{\"{id}\": {{\"integrationId\": \"openai\", \"parameters\": {{\"baseUrl\": …, \"apiKey\": …}}}}}}",
                info.id,
                connections::ENV
            ))
        })?;
        let base = connections::param(&connection, "baseUrl").unwrap_or(DEFAULT_BASE_URL);
        let model = match &inputs.model {
            Value::Null => connections::param(&connection, "model").map_or(Value::Null, |m| Value::String(m.into())),
            m => m.clone(),
        };
        Ok(Llm {
            step: info.id,
            connection_id: id.clone(),
            url: format!("{}/chat/completions", base.trim_end_matches('/')),
            connection,
            model,
            temperature: inputs.temperature.clone(),
            max_tokens: inputs.max_tokens.clone(),
            timeout_ms: cfg.turn_timeout_ms,
        })
    }

    /// A chat-completions request body.
    pub(super) fn body(&self, messages: &[Value], tools: Option<&[Value]>, schema: Option<&str>) -> Value {
        let mut b = Map::new();
        if !self.model.is_null() {
            b.insert("model".into(), self.model.clone());
        }
        b.insert("messages".into(), Value::Array(messages.to_vec()));
        if !self.temperature.is_null() {
            b.insert("temperature".into(), self.temperature.clone());
        }
        if !self.max_tokens.is_null() {
            b.insert("max_tokens".into(), self.max_tokens.clone());
        }
        if let Some(t) = tools.filter(|t| !t.is_empty()) {
            b.insert("tools".into(), Value::Array(t.to_vec()));
        }
        if let Some(s) = schema {
            let schema = json_schema(&crate::mapping::lit(s));
            b.insert(
                "response_format".into(),
                json!({"type": "json_schema", "json_schema": {"name": "output", "schema": schema}}),
            );
        }
        Value::Object(b)
    }

    /// POSTs `body`; returns `choices[0].message`. Failures carry `code`.
    pub(super) fn complete(&self, body: &Value, code: &str) -> Result<Value, Failure> {
        let mut req = connections::authorize(Some(&self.connection), Request::new("POST", &self.url).json(body));
        req.timeout_ms = Some(self.timeout_ms);
        let fail = |message: String, transient: bool| {
            Failure::structured(json!({"code": code, "message": message,
                "category": if transient { "transient" } else { "permanent" }, "severity": "error", "stepId": self.step}))
        };
        let resp = match net::proxy::send_external(&req, Some(&self.connection_id)) {
            Ok(r) => r,
            Err(e) => {
                crate::steps::fetch_pending()?;
                return Err(fail(format!("{code}: LLM request failed: {e}"), true));
            }
        };
        let answer: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
        if !(200..300).contains(&resp.status) {
            let detail = answer["error"]["message"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| String::from_utf8_lossy(&resp.body).into_owned());
            return Err(fail(
                format!("{code}: LLM provider answered {}: {detail}", resp.status),
                resp.status >= 500 || resp.status == 429,
            ));
        }
        answer["choices"][0]
            .get("message")
            .cloned()
            .ok_or_else(|| fail(format!("{code}: LLM answer has no choices[0].message"), false))
    }
}
