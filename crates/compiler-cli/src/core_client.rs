//! The CLI's client for `runtara serve` / `runtara core serve` (`--server URL --tenant T
//! --token X`), over the
//! same HTTP client the artifacts' http backend uses (`runtara_sdk::net`).

use runtara_protocol::wire::{API_PREFIX, TENANT_HEADER};
use runtara_sdk::net::{self, Request};
use serde_json::Value;

pub use runtara_sdk::net::percent_encode as encode;

/// Where the core is and who asks.
pub struct CoreTarget {
    pub url: String,
    pub tenant: String,
    pub token: Option<String>,
}

impl CoreTarget {
    /// `GET /api/v1/<path>`.
    pub fn get(&self, path: &str) -> Result<Value, String> {
        self.send(Request::new("GET", &self.url(path)))
    }

    /// `POST /api/v1/<path>` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        self.send(Request::new("POST", &self.url(path)).json(body))
    }

    /// `POST /api/v1/<path>` with raw bytes (a component or a graph's text).
    pub fn post_bytes(&self, path: &str, body: Vec<u8>, content_type: &str) -> Result<Value, String> {
        let mut req = Request::new("POST", &self.url(path)).header("content-type", content_type);
        req.body = body;
        self.send(req)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}/{path}", self.url.trim_end_matches('/'))
    }

    /// Adds the tenant and token, sends, and reads the JSON answer; non-2xx is an error
    /// naming the status and the core's message.
    fn send(&self, req: Request) -> Result<Value, String> {
        let mut req = req.header(TENANT_HEADER, &self.tenant);
        if let Some(t) = &self.token {
            req = req.header("authorization", &format!("Bearer {t}"));
        }
        let resp = net::send(&req).map_err(|e| format!("core at {} is unreachable: {e}", self.url))?;
        let text = String::from_utf8_lossy(&resp.body);
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&resp.status) {
            Ok(body)
        } else {
            Err(format!("core answered {}: {}", resp.status, body["error"].as_str().unwrap_or(&text)))
        }
    }
}
