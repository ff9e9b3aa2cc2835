//! Blocking HTTP/1.1 for the http backend and for capabilities that use the network (the
//! `http` agent, AiAgent's LLM calls, forwarded agents).
//!
//! One call, [`send`], with three implementations chosen by feature: ureq (with rustls) on
//! native hosts (`http`); wasi:http through `wstd` on `wasm32-wasip2` (`wasi-http`), so a
//! component needs nothing beyond standard WASI interfaces (DESIGN §5); and `fetch` in
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
    imp::send(req).map_err(|e| alloc::format!("{} {}: {e}", req.method, req.url))
}

#[cfg(feature = "http")]
mod imp {
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
}

#[cfg(feature = "fetch")]
pub use imp::{fetch_pending, fulfil, reset, take_pending};

#[cfg(feature = "fetch")]
mod imp {
    use super::{Request, Response};
    use alloc::collections::BTreeMap;
    use alloc::string::String;
    use core::cell::RefCell;
    use std::thread_local;

    /// A request's identity: method, URL, headers and body, plus how many identical requests
    /// came before it in this attempt (so repeated polls of one URL stay distinct).
    type Key = (String, usize);

    thread_local! {
        static RESPONSES: RefCell<BTreeMap<Key, Result<Response, String>>> = const { RefCell::new(BTreeMap::new()) };
        static SEEN: RefCell<BTreeMap<String, usize>> = const { RefCell::new(BTreeMap::new()) };
        static PENDING: RefCell<Option<(Key, Request)>> = const { RefCell::new(None) };
    }

    fn fingerprint(req: &Request) -> String {
        alloc::format!("{} {}\n{:?}\n{}", req.method, req.url, req.headers, String::from_utf8_lossy(&req.body))
    }

    /// Sends `req` and waits for the whole response; `Err` names what failed (connect,
    /// timeout, TLS). Non-2xx statuses are responses, not errors.
    pub fn send(req: &Request) -> Result<Response, String> {
        let fp = fingerprint(req);
        let n = SEEN.with(|s| {
            let mut s = s.borrow_mut();
            let n = s.entry(fp.clone()).or_insert(0);
            *n += 1;
            *n
        });
        let key = (fp, n);
        if let Some(r) = RESPONSES.with(|m| m.borrow().get(&key).cloned()) {
            return r;
        }
        PENDING.with(|p| *p.borrow_mut() = Some((key, req.clone())));
        Err("the request is being fetched".into())
    }

    /// Whether the last failed [`send`] is waiting for a fetch.
    pub fn fetch_pending() -> bool {
        PENDING.with(|p| p.borrow().is_some())
    }

    /// The request to fetch, if any; the run that asked for it should stop.
    pub fn take_pending() -> Option<Request> {
        PENDING.with(|p| p.borrow().as_ref().map(|(_, r)| r.clone()))
    }

    /// Records the fetched result of the pending request for the next attempt.
    pub fn fulfil(result: Result<Response, String>) {
        if let Some((key, _)) = PENDING.with(|p| p.borrow_mut().take()) {
            RESPONSES.with(|m| m.borrow_mut().insert(key, result));
        }
    }

    /// Starts a new attempt (`keep_responses`) or a new run (everything forgotten).
    pub fn reset(keep_responses: bool) {
        SEEN.with(|s| s.borrow_mut().clear());
        PENDING.with(|p| *p.borrow_mut() = None);
        if !keep_responses {
            RESPONSES.with(|m| m.borrow_mut().clear());
        }
    }
}

#[cfg(all(feature = "wasi-http", not(feature = "http")))]
mod imp {
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
}

#[cfg(not(any(feature = "http", feature = "wasi-http", feature = "fetch")))]
mod imp {
    use super::{Request, Response};
    use alloc::string::String;

    /// Always `Err`: targets without a network stack.
    pub fn send(_req: &Request) -> Result<Response, String> {
        Err("this target has no network access".into())
    }
}
