//! The `http` agent: `http-request` (agents.md §5.3, dsl-spec §9 catalogue).
//!
//! Input `{url*, method?, headers?, query_parameters?, body?, body_type?, response_type?,
//! timeout_ms?, fail_on_error?, connection_id?}`; output `{status_code, headers, body,
//! success}`. A relative `url` is joined to the connection's `baseUrl`, and the connection's
//! credentials are added (see [`crate::connections`]).
//!
//! Errors (agents.md §5.1 envelopes): transport failures are `HTTP_REQUEST_FAILED`
//! (transient, retryable); with `fail_on_error` (default true) a 429 is
//! `HTTP_RATE_LIMITED` (with `retryAfterMs` from `Retry-After`), other 5xx `HTTP_ERROR`
//! transient, 4xx `HTTP_ERROR` permanent; `attributes` carry `status_code` and `body`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde_json::{json, Map, Value};

use crate::connections;
use crate::error::invalid_input;
use runtara_sdk::net::{self, percent_encode as encode, Request};

/// `http-request`.
pub fn http_request(input: &Value) -> Result<Value, Value> {
    let url =
        input.get("url").and_then(Value::as_str).ok_or_else(|| invalid_input("http-request needs a string 'url'"))?;
    let conn = input.get("connection_id").and_then(Value::as_str).and_then(connections::lookup);
    let mut url = connections::resolve_url(conn.as_ref(), url);
    if let Some(Value::Object(q)) = input.get("query_parameters") {
        let pairs: Vec<String> = q.iter().map(|(k, v)| alloc::format!("{}={}", encode(k), encode(&text(v)))).collect();
        if !pairs.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&pairs.join("&"));
        }
    }
    let method = input.get("method").and_then(Value::as_str).unwrap_or("GET").to_ascii_uppercase();
    let mut req = connections::authorize(conn.as_ref(), Request::new(&method, &url));
    if let Some(Value::Object(h)) = input.get("headers") {
        for (k, v) in h {
            req = req.header(k, &text(v));
        }
    }
    req = with_body(req, input.get("body"), input.get("body_type").and_then(Value::as_str));
    req.timeout_ms = input.get("timeout_ms").and_then(Value::as_u64);
    let connection_id = input.get("connection_id").and_then(Value::as_str);
    let resp = net::proxy::send_external(&req, connection_id)
        .map_err(|e| crate::error::transient("HTTP_REQUEST_FAILED", e))?;
    let body = response_body(&resp.body, input.get("response_type").and_then(Value::as_str));
    let success = (200..300).contains(&resp.status);
    let fail_on_error = input.get("fail_on_error").and_then(Value::as_bool).unwrap_or(true);
    if fail_on_error && resp.status >= 400 {
        return Err(status_error(resp.status, &resp.headers, body));
    }
    let headers: Map<String, Value> = resp.headers.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    Ok(json!({"status_code": resp.status, "headers": headers, "body": body, "success": success}))
}

fn status_error(status: u16, headers: &[(String, String)], body: Value) -> Value {
    let retry_after = headers
        .iter()
        .find(|(k, _)| k == "retry-after")
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .map(|s| s * 1000);
    let (code, transient) = match status {
        429 => ("HTTP_RATE_LIMITED", true),
        500.. => ("HTTP_ERROR", true),
        _ => ("HTTP_ERROR", false),
    };
    let mut e = json!({
        "code": code,
        "message": alloc::format!("HTTP request failed with status {status}"),
        "category": if transient { "transient" } else { "permanent" },
        "severity": "error",
        "retryable": transient,
        "attributes": {"status_code": status, "body": body},
    });
    if let Some(ms) = retry_after {
        e["retryAfterMs"] = ms.into();
    }
    e
}

/// Encodes `body` by `body_type` (`json` default for non-strings, `text`, `form`).
fn with_body(req: Request, body: Option<&Value>, body_type: Option<&str>) -> Request {
    match (body, body_type) {
        (None | Some(Value::Null), _) => req,
        (Some(Value::Object(m)), Some("form")) => {
            let pairs: Vec<String> =
                m.iter().map(|(k, v)| alloc::format!("{}={}", encode(k), encode(&text(v)))).collect();
            let mut r = req.header("content-type", "application/x-www-form-urlencoded");
            r.body = pairs.join("&").into_bytes();
            r
        }
        (Some(Value::String(s)), t) if t != Some("json") => {
            let mut r = req.header("content-type", "text/plain; charset=utf-8");
            r.body = s.clone().into_bytes();
            r
        }
        (Some(v), _) => req.json(v),
    }
}

/// The response body by `response_type`: `text`, `json`, or (default) JSON when it parses,
/// else text.
fn response_body(bytes: &[u8], response_type: Option<&str>) -> Value {
    let as_text = || Value::String(String::from_utf8_lossy(bytes).into_owned());
    match response_type {
        Some("text") => as_text(),
        _ if bytes.is_empty() => Value::Null,
        _ => serde_json::from_slice(bytes).unwrap_or_else(|_| as_text()),
    }
}

/// A value as header/query text: strings as is, others as JSON.
fn text(v: &Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())
}
