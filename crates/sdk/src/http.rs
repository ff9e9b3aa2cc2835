//! The http backend: the durable protocol against `runtara core serve` (DESIGN §6), with
//! the tenant in `X-Runtara-Tenant-Id` and an optional bearer token. A core that is briefly
//! unreachable is retried with backoff (0.1 s doubling to 2 s, for up to 60 s).

use std::time::Duration;

use serde_json::{json, Value};

use crate::{SdkBackend, SdkError, Signal};

/// Where to find the core and who we are.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Base URL, e.g. `http://127.0.0.1:8003`.
    pub url: String,
    pub instance: String,
    pub tenant: String,
    pub token: Option<String>,
}

/// The http backend of one instance.
pub struct HttpBackend {
    cfg: HttpConfig,
    agent: ureq::Agent,
}

const RETRY_FOR: Duration = Duration::from_secs(60);

impl HttpBackend {
    /// A backend for `cfg` (no request is made yet).
    pub fn new(cfg: HttpConfig) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        HttpBackend { cfg, agent: ureq::Agent::new_with_config(config) }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/instances/{}/{path}", self.cfg.url.trim_end_matches('/'), encode(&self.cfg.instance))
    }

    /// One request with retries on transport errors and 5xx; returns (status, body JSON).
    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> Result<(u16, Value), SdkError> {
        let url = self.url(path);
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let result = match body {
                Some(b) => self.authorize(self.agent.post(&url)).header("content-type", "application/json").send(b.to_string()),
                None if method == "GET" => self.authorize(self.agent.get(&url)).call(),
                None => self.authorize(self.agent.post(&url)).send(""),
            };
            match result {
                Ok(mut resp) if resp.status().as_u16() < 500 => {
                    let status = resp.status().as_u16();
                    let text = resp.body_mut().read_to_string().map_err(|e| SdkError(format!("core response: {e}")))?;
                    return Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)));
                }
                Ok(resp) if started.elapsed() >= RETRY_FOR => {
                    return Err(SdkError(format!("core answered {} for {url}", resp.status())));
                }
                Err(e) if started.elapsed() >= RETRY_FOR => return Err(SdkError(format!("core at {url} is unreachable: {e}"))),
                _ => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
    }

    /// Tenant and bearer token on a request.
    fn authorize<B>(&self, r: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        let r = r.header("x-runtara-tenant-id", &self.cfg.tenant);
        match &self.cfg.token {
            Some(t) => r.header("authorization", &format!("Bearer {t}")),
            None => r,
        }
    }

    fn expect_ok(&self, (status, body): (u16, Value)) -> Result<Value, SdkError> {
        match status {
            200..=299 => Ok(body),
            401 => Err(SdkError("the core refused the token (401)".into())),
            s => Err(SdkError(format!("core answered {s}: {}", body["error"].as_str().unwrap_or("")))),
        }
    }
}

/// Percent-encodes a path segment (ids may hold `/`, `:` and the like).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl SdkBackend for HttpBackend {
    fn load(&mut self, id: &str) -> Result<Option<Value>, SdkError> {
        let (status, body) = self.request("GET", &format!("checkpoints/{}", encode(id)), None)?;
        if status == 404 {
            return Ok(None);
        }
        Ok(Some(self.expect_ok((status, body))?["state"].clone()))
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<Option<Value>, SdkError> {
        let r = self.request("POST", "checkpoint", Some(&json!({"checkpoint_id": id, "state": state})))?;
        let body = self.expect_ok(r)?;
        Ok(if body["stored"] == true { None } else { Some(body["state"].clone()) })
    }

    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError> {
        let r = self.request("GET", "signals", None)?;
        Ok(Signal::pending(self.expect_ok(r)?["signal"].as_str()))
    }

    fn receives_signals(&self) -> bool {
        true
    }

    fn custom_signal(&mut self, signal_id: &str) -> Result<Option<Value>, SdkError> {
        let (status, body) = self.request("GET", &format!("signals/custom?signal_id={}", encode(signal_id)), None)?;
        if status == 404 {
            return Ok(None);
        }
        Ok(Some(self.expect_ok((status, body))?["payload"].clone()))
    }

    fn register(&mut self) -> Result<(), SdkError> {
        let r = self.request("POST", "register", None)?;
        self.expect_ok(r).map(|_| ())
    }

    fn report(&mut self, status: &str, payload: &Value) -> Result<(), SdkError> {
        let (path, body) = match status {
            "completed" => ("completed", json!({"output": payload})),
            "failed" => ("failed", json!({"error": payload})),
            other => ("suspended", json!({"status": other})),
        };
        let r = self.request("POST", path, Some(&body))?;
        self.expect_ok(r).map(|_| ())
    }
}
