//! Connections: what a `connectionId` stands for on this host (dsl-spec §7.2 step 2).
//!
//! The table comes from the environment variable `RUNTARA_CONNECTIONS`, a JSON object
//! `{"<connection id>": {"integrationId": "openai", "parameters": {…}}}` (`runtara run
//! --connections FILE` sets it), or from [`set_table`] (the browser entry's `connections`
//! option, where there is no environment). Parameters the built-in agents understand:
//! `baseUrl` (prefix of relative request URLs; the LLM endpoint, default
//! `https://api.openai.com/v1`), `apiKey` (sent as `Authorization: Bearer …`) and `headers`
//! (an object of extra request headers). Secrets stay here: step inputs only see the
//! descriptor without parameters.

use alloc::string::{String, ToString};
use serde_json::{json, Value};

use runtara_sdk::net::Request;

/// The environment variable holding the connection table.
pub const ENV: &str = "RUNTARA_CONNECTIONS";

std::thread_local! {
    static TABLE: core::cell::RefCell<Option<Value>> = const { core::cell::RefCell::new(None) };
}

/// Sets the connection table for this thread (it wins over `RUNTARA_CONNECTIONS`); `None`
/// goes back to the environment.
pub fn set_table(table: Option<Value>) {
    TABLE.with(|t| *t.borrow_mut() = table);
}

/// The configured connection `id`: `{integrationId, parameters}`, or `None` when the table
/// is unset, not JSON, or lacks the id.
pub fn lookup(id: &str) -> Option<Value> {
    if let Some(found) = TABLE.with(|t| t.borrow().as_ref().map(|table| table.get(id).cloned())) {
        return found;
    }
    let table: Value = serde_json::from_str(&std::env::var(ENV).ok()?).ok()?;
    table.get(id).cloned()
}

/// The table as instances behind a credential-holding proxy see it (`runtara serve`): each
/// connection's `integrationId` and `baseUrl` (needed to build request URLs), no secrets.
pub fn without_secrets(table: &serde_json::Map<String, Value>) -> Value {
    let public = table.iter().map(|(id, c)| {
        let mut parameters = serde_json::Map::new();
        if let Some(base) = param(c, "baseUrl") {
            parameters.insert("baseUrl".into(), Value::String(base.to_string()));
        }
        (id.clone(), json!({"integrationId": c.get("integrationId"), "parameters": parameters}))
    });
    Value::Object(public.collect())
}

/// The descriptor injected into Agent inputs as `_connection` (dsl-spec §7.2): no secrets.
pub fn descriptor(id: &str) -> Value {
    let integration = lookup(id).and_then(|c| c.get("integrationId").cloned()).unwrap_or(Value::Null);
    json!({"connection_id": id, "integration_id": integration, "parameters": {}})
}

/// A string parameter of connection `conn`.
pub fn param<'a>(conn: &'a Value, name: &str) -> Option<&'a str> {
    conn.get("parameters")?.get(name)?.as_str()
}

/// `url` against the connection's `baseUrl` when `url` is relative.
pub fn resolve_url(conn: Option<&Value>, url: &str) -> String {
    match conn.and_then(|c| param(c, "baseUrl")) {
        Some(base) if !url.contains("://") => {
            alloc::format!("{}/{}", base.trim_end_matches('/'), url.trim_start_matches('/'))
        }
        _ => url.to_string(),
    }
}

/// Adds the connection's credentials and extra headers to `req`.
pub fn authorize(conn: Option<&Value>, mut req: Request) -> Request {
    let Some(conn) = conn else { return req };
    if let Some(key) = param(conn, "apiKey") {
        req = req.header("authorization", &alloc::format!("Bearer {key}"));
    }
    if let Some(Value::Object(h)) = conn.get("parameters").and_then(|p| p.get("headers")) {
        for (k, v) in h {
            let v = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
            req = req.header(k, &v);
        }
    }
    req
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_secrets_keeps_integration_and_base_url_only() {
        let table = json!({"c": {"integrationId": "openai", "parameters": {
            "baseUrl": "https://llm.example/v1", "apiKey": "sk-1", "headers": {"x-k": "v"}}}});
        let public = without_secrets(table.as_object().unwrap());
        assert_eq!(
            public,
            json!({"c": {"integrationId": "openai", "parameters": {"baseUrl": "https://llm.example/v1"}}})
        );
    }
}
