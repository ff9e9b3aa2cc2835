//! Native hosts (feature `http`): ureq with rustls, one pooled agent per timeout.

use super::{Request, Response};
use std::collections::HashMap;
use std::string::{String, ToString};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// One agent (connection pool) per timeout, so repeated calls reuse their connections.
fn agent(timeout_ms: u64) -> ureq::Agent {
    static AGENTS: OnceLock<Mutex<HashMap<u64, ureq::Agent>>> = OnceLock::new();
    let mut agents = AGENTS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    agents
        .entry(timeout_ms)
        .or_insert_with(|| {
            let config = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_millis(timeout_ms)))
                .build();
            ureq::Agent::new_with_config(config)
        })
        .clone()
}

/// Sends `req` and waits for the whole response; `Err` names what failed (connect,
/// timeout, TLS). Non-2xx statuses are responses, not errors.
pub fn send(req: &Request) -> Result<Response, String> {
    let agent = agent(req.timeout_ms.unwrap_or(300_000));
    let mut builder = ureq::http::Request::builder().method(req.method.as_str()).uri(req.url.as_str());
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let request = builder.body(req.body.clone()).map_err(|e| e.to_string())?;
    let mut resp = agent.run(request).map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = resp.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(|e| e.to_string())?;
    Ok(Response { status, headers, body })
}
