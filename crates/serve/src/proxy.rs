//! The HTTP proxy of runtara serve (`POST /api/v1/proxy`): instances' agents send their
//! requests here as envelopes (`runtara_sdk::net::proxy`, agents.md §5.1) instead of going
//! out themselves. The server applies the connection the envelope names (its base URL and
//! credentials, from `--connections`; an unknown one is refused), then the egress policy of
//! the instance's deployment (public addresses, plus its `allowHosts`), makes the request and
//! answers `{status, headers, body}`.

use axum::http::StatusCode;
use runtara_agents::connections;
use runtara_runner::Egress;
use runtara_sdk::net::{self, Request};
use serde_json::{json, Value};

use crate::deploy::{Refusal, Settings};
use crate::Server;

/// The path instances reach the proxy at (`RUNTARA_HTTP_PROXY_URL` = state URL + this).
pub const PROXY_PATH: &str = "/api/v1/proxy";

/// Makes the request of `envelope` (`{method, url, headers?, body? | body_raw?,
/// timeout_ms?}`) for `instance` of `tenant` and answers its envelope; a status of any kind
/// is an answer.
///
/// Errors: 400 for an envelope without method or URL; 404 when it names a connection this
/// server does not hold; 403 when the deployment's egress policy refuses the destination;
/// 502 when the request fails (connection, DNS, timeout).
pub fn forward(server: &Server, tenant: &str, instance: Option<&str>, envelope: &Value) -> Result<Value, Refusal> {
    let (Some(method), Some(url)) = (envelope["method"].as_str(), envelope["url"].as_str()) else {
        return Err((StatusCode::BAD_REQUEST, "the envelope needs method and url".into()));
    };
    let connection = match envelope["connection_id"].as_str() {
        Some(id) => Some(server.config.connections.get(id).ok_or_else(|| {
            let fix = "add it to the connections file of `runtara serve --connections FILE`";
            (StatusCode::NOT_FOUND, format!("Connection '{id}' not found: this server holds no such connection; {fix}"))
        })?),
        None => None,
    };
    let url = connections::resolve_url(connection, url);
    egress(server, tenant, instance).check(&url).map_err(|e| (StatusCode::FORBIDDEN, e))?;
    let mut req = Request::new(&method.to_ascii_uppercase(), &url);
    for (k, v) in envelope["headers"].as_object().into_iter().flatten() {
        req = req.header(k, v.as_str().unwrap_or_default());
    }
    req = connections::authorize(connection, req);
    match (&envelope["body"], &envelope["body_raw"]) {
        (Value::Null, Value::String(raw)) => req.body = raw.clone().into_bytes(),
        (Value::Null, _) => {}
        (body, _) => {
            req.body = body.to_string().into_bytes();
            if !req.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type")) {
                req = req.header("content-type", "application/json");
            }
        }
    }
    req.timeout_ms = envelope["timeout_ms"].as_u64();
    let resp = net::send(&req).map_err(|e| (StatusCode::BAD_GATEWAY, e))?;
    let headers: serde_json::Map<String, Value> =
        resp.headers.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let body = serde_json::from_slice::<Value>(&resp.body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&resp.body).into_owned()));
    Ok(json!({"status": resp.status, "headers": headers, "body": body}))
}

/// The egress policy of `instance`'s deployment; without an instance, public addresses only.
fn egress(server: &Server, tenant: &str, instance: Option<&str>) -> Egress {
    let settings = instance
        .and_then(|id| server.db.run(tenant, id).ok().flatten())
        .and_then(|run| server.db.version(tenant, &run.workflow_id, run.version).ok().flatten())
        .and_then(|v| serde_json::from_str::<Settings>(&v.settings).ok())
        .unwrap_or_default();
    Egress { allow: settings.allow_hosts, local: None }
}
