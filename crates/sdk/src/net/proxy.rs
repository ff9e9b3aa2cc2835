//! The host's HTTP proxy for agents (`RUNTARA_HTTP_PROXY_URL`, agents.md §5.1): when it is
//! set, an agent's request is not sent by the guest but POSTed to the proxy as the envelope
//! `{method, url, headers, body | body_raw, connection_id, timeout_ms}`; the proxy applies
//! its egress policy and credentials, makes the request and answers `{status, headers,
//! body}`. `runtara serve` sets it for its instances; without it requests go out directly.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{json, Map, Value};

use super::{send, Request, Response};

/// The environment variable naming the proxy's URL.
pub const PROXY_ENV: &str = "RUNTARA_HTTP_PROXY_URL";

/// Sends an agent's request (the `http` agent, AiAgent's model calls): through the proxy
/// when [`PROXY_ENV`] is set, else directly ([`send`]). `connection_id` names the
/// connection whose credentials the proxy may inject.
///
/// Errors: transport failures, a proxy that does not answer 200 with an envelope.
pub fn send_external(req: &Request, connection_id: Option<&str>) -> Result<Response, String> {
    match env(PROXY_ENV).filter(|u| !u.trim().is_empty()) {
        Some(proxy) => via_proxy(&proxy, req, connection_id),
        None => send(req),
    }
}

#[cfg(feature = "std")]
std::thread_local! {
    /// The proxy URL a host without an environment gave ([`set_url`]).
    static URL: core::cell::RefCell<Option<String>> = const { core::cell::RefCell::new(None) };
}

/// Sets the proxy URL for hosts whose guests have no environment to read [`PROXY_ENV`] from
/// (the browser module's `httpProxy` option, which the Cloudflare Worker fills from its
/// `RUNTARA_HTTP_PROXY_URL` binding); `None` clears it.
#[cfg(feature = "std")]
pub fn set_url(url: Option<String>) {
    URL.with(|u| *u.borrow_mut() = url);
}

/// A non-empty environment variable (none without `std`); the proxy's URL may also come
/// from [`set_url`].
#[cfg(feature = "std")]
fn env(name: &str) -> Option<String> {
    let set = if name == PROXY_ENV { URL.with(|u| u.borrow().clone()) } else { None };
    set.or_else(|| std::env::var(name).ok()).filter(|v| !v.is_empty())
}

#[cfg(not(feature = "std"))]
fn env(_name: &str) -> Option<String> {
    None
}

/// The envelope of `req` for the proxy.
pub fn envelope(req: &Request, connection_id: Option<&str>) -> Value {
    let headers: Map<String, Value> =
        req.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), Value::String(v.clone()))).collect();
    let mut e = json!({
        "method": req.method, "url": req.url, "headers": headers,
        "connection_id": connection_id, "timeout_ms": req.timeout_ms,
    });
    if !req.body.is_empty() {
        let is_json = req.headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("content-type") && v.contains("json"));
        match serde_json::from_slice::<Value>(&req.body) {
            Ok(v) if is_json => e["body"] = v,
            _ => e["body_raw"] = Value::String(String::from_utf8_lossy(&req.body).into_owned()),
        }
    }
    e
}

/// The response an answer envelope `{status, headers, body}` stands for: a string body is
/// sent as is, any other JSON as its text.
///
/// Errors: an answer without a numeric `status`.
pub fn response(answer: &Value) -> Result<Response, String> {
    let status = answer["status"].as_u64().ok_or("the HTTP proxy's answer has no numeric status")? as u16;
    let headers: Vec<(String, String)> = answer["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
        .collect();
    let body = match &answer["body"] {
        Value::Null => Vec::new(),
        Value::String(s) => s.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    };
    Ok(Response { status, headers, body })
}

fn via_proxy(proxy: &str, req: &Request, connection_id: Option<&str>) -> Result<Response, String> {
    let mut call = Request::new("POST", proxy).json(&envelope(req, connection_id));
    // The proxy needs the guest's own timeout plus its round trip.
    call.timeout_ms = req.timeout_ms.map(|t| t.saturating_add(10_000));
    for (header, var) in
        [("x-runtara-tenant-id", "RUNTARA_TENANT_ID"), ("x-runtara-instance-id", "RUNTARA_INSTANCE_ID")]
    {
        if let Some(v) = env(var) {
            call = call.header(header, &v);
        }
    }
    if let Some(token) = env("RUNTARA_TOKEN") {
        call = call.header("authorization", &alloc::format!("Bearer {token}"));
    }
    let answer = send(&call)?;
    if answer.status != 200 {
        // The proxy's refusal (`{"error": "…"}`) is the reason the step reports.
        let reason = serde_json::from_slice::<Value>(&answer.body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| String::from_utf8_lossy(&answer.body).into_owned());
        return Err(alloc::format!("the HTTP proxy {proxy} refused the request ({}): {reason}", answer.status));
    }
    let v: Value =
        serde_json::from_slice(&answer.body).map_err(|e| alloc::format!("the HTTP proxy's answer is not JSON: {e}"))?;
    response(&v)
}
