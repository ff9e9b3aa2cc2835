//! wasm32-wasip2 components (feature `wasi-http`): wasi:http outgoing-handler through wstd.

use super::{Request, Response};
use std::string::{String, ToString};
use std::vec::Vec;

/// Sends `req` and waits for the whole response; `Err` names what failed (connect,
/// timeout, TLS). Non-2xx statuses are responses, not errors.
pub fn send(req: &Request) -> Result<Response, String> {
    let mut builder = wstd::http::Request::builder().method(req.method.as_str()).uri(req.url.as_str());
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let request = builder.body(wstd::http::Body::from(req.body.clone())).map_err(|e| e.to_string())?;
    let mut client = wstd::http::Client::new();
    if let Some(ms) = req.timeout_ms {
        client.set_first_byte_timeout(wstd::time::Duration::from_millis(ms));
    }
    wstd::runtime::block_on(async move {
        let resp = client.send(request).await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let mut body = resp.into_body();
        let bytes = body.contents().await.map_err(|e| e.to_string())?.to_vec();
        Ok(Response { status, headers, body: bytes })
    })
}

/// The same as [`send`]: this transport leaves TLS to the host.
pub use self::send as send_plain;

/// Whether [`send_plain`] reaches `https://` URLs. wasi:http: the host makes TLS connections.
pub const PLAIN_HTTPS: bool = true;
