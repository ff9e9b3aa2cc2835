//! The CLI's client for `runtara core serve` (`--core URL --tenant T --token X`).

use serde_json::Value;

/// Where the core is and who asks.
pub struct CoreTarget {
    pub url: String,
    pub tenant: String,
    pub token: Option<String>,
}

impl CoreTarget {
    fn agent() -> ureq::Agent {
        ureq::Agent::new_with_config(ureq::Agent::config_builder().http_status_as_error(false).build())
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.url.trim_end_matches('/'))
    }

    fn finish(&self, resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Value, String> {
        let mut resp = resp.map_err(|e| format!("core at {} is unreachable: {e}", self.url))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(format!("core answered {status}: {}", body["error"].as_str().unwrap_or(&text)))
        }
    }

    /// `GET /api/v1/<path>`.
    pub fn get(&self, path: &str) -> Result<Value, String> {
        let mut r = Self::agent().get(&self.url(path)).header("x-runtara-tenant-id", &self.tenant);
        if let Some(t) = &self.token {
            r = r.header("authorization", &format!("Bearer {t}"));
        }
        self.finish(r.call())
    }

    /// `POST /api/v1/<path>` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> Result<Value, String> {
        let mut r = Self::agent()
            .post(&self.url(path))
            .header("x-runtara-tenant-id", &self.tenant)
            .header("content-type", "application/json");
        if let Some(t) = &self.token {
            r = r.header("authorization", &format!("Bearer {t}"));
        }
        self.finish(r.send(body.to_string()))
    }
}

/// Percent-encodes an instance id for a path segment.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
