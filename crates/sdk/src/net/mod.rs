//! Blocking HTTP/1.1 for the http backend and for capabilities that use the network (the
//! `http` agent, AiAgent's LLM calls, forwarded agents).
//!
//! One call, [`send`], with one transport per file, each compiled when its feature is on
//! (features are additive) and one selected below: ureq (with rustls) on native hosts
//! (`http`); wasi:http through the `wasip2` bindings on `wasm32-wasip2` (`wasi-http`), so
//! a component needs nothing beyond standard WASI interfaces (DESIGN §5); and `fetch` in
//! browsers and Node (`fetch`), where a synchronous call cannot wait for a promise: `send`
//! answers from the responses fetched so far, else records the request as pending and fails
//! — the browser entry then stops the run, fetches, [`fulfil`]s and runs the workflow again
//! (finished steps come back from their checkpoints).

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// An outgoing request. `timeout_ms` bounds the whole exchange (native) or the wait for the
/// first response byte (wasi:http).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `GET`, `POST`, … (upper case).
    pub method: String,
    /// Absolute `http://` or `https://` URL.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub timeout_ms: Option<u64>,
}

/// A response: any status is a response (4xx/5xx are not errors here).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A request with `method`, `url` and no headers or body.
    pub fn new(method: &str, url: &str) -> Self {
        Request { method: method.into(), url: url.into(), ..Default::default() }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets a JSON body and its content type.
    pub fn json(mut self, body: &serde_json::Value) -> Self {
        self.body = body.to_string().into_bytes();
        self.header("content-type", "application/json")
    }
}

/// Percent-encodes a URL path segment or query component (RFC 3986: unreserved characters
/// stay, every other byte becomes `%XX`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&alloc::format!("%{b:02X}"));
        }
    }
    out
}

/// Sends `req` and reads the whole response.
///
/// Errors: transport failures (connection refused, DNS, TLS, timeout) and malformed URLs,
/// as a message naming the URL.
pub fn send(req: &Request) -> Result<Response, String> {
    transport::send(req).map_err(|e| alloc::format!("{} {}: {e}", req.method, req.url))
}

/// [`send`] without TLS on native hosts (only `http://` URLs), so an artifact that calls
/// only this links no TLS stack; elsewhere the same as [`send`] (wasi:http and fetch leave
/// TLS to the host).
///
/// Errors: as [`send`], and an `https://` URL on a native host.
pub fn send_plain(req: &Request) -> Result<Response, String> {
    let sent = if plain_reaches(&req.url) {
        transport::send_plain(req)
    } else {
        Err("https:// needs TLS, which this artifact was compiled without".into())
    };
    sent.map_err(|e| alloc::format!("{} {}: {e}", req.method, req.url))
}

/// Whether [`send_plain`] reaches `url`: any URL where the host makes TLS connections
/// (wasi:http, fetch), only `http://` ones on native hosts.
pub fn plain_reaches(url: &str) -> bool {
    transport::PLAIN_HTTPS || !url.starts_with("https://")
}

pub mod proxy;

// Each transport is gated once, here, and public; `transport` picks the one [`send`] uses
// when several are enabled (fetch, then native, then wasi:http), so features stay additive.
#[cfg(feature = "fetch")]
pub mod fetch;
#[cfg(feature = "http")]
pub mod native;
#[cfg(not(any(feature = "http", feature = "wasi-http", feature = "fetch")))]
mod none;
#[cfg(feature = "wasi-http")]
pub mod wasi;

#[cfg(feature = "fetch")]
use fetch as transport;
#[cfg(all(feature = "http", not(feature = "fetch")))]
use native as transport;
#[cfg(not(any(feature = "http", feature = "wasi-http", feature = "fetch")))]
use none as transport;
#[cfg(all(feature = "wasi-http", not(any(feature = "http", feature = "fetch"))))]
use wasi as transport;

#[cfg(feature = "fetch")]
pub use fetch::{call_site, fetch_pending, fulfil, reset, set_call_site, take_pending};
