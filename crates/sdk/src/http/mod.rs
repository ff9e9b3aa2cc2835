//! The http backend: the durable protocol against `runtara core serve` (DESIGN §6), with
//! the tenant in `X-Runtara-Tenant-Id` and an optional bearer token. A core that is briefly
//! unreachable is retried with backoff (0.1 s doubling to 2 s, for up to 60 s).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use runtara_protocol::wire::{API_PREFIX, EPOCH_HEADER, MAX_BODY_BYTES, TENANT_HEADER};
use serde_json::Value;

mod wire;

use crate::net::{self, percent_encode as encode};
pub use crate::HttpConfig;
use crate::{GraphIdentity, SdkBackend, SdkError, Signal};

/// The http backend of one instance.
pub struct HttpBackend {
    cfg: HttpConfig,
    /// The pending control signal the last checkpoint answer carried (DESIGN §6: checkpoint
    /// answers carry signals), used once by the next `pending_signal` instead of a request.
    carried: Option<Option<Signal>>,
    /// Events not yet sent: they ride on the next checkpoint, or go in one request before a
    /// signal wait, a sleep or the final report (never one request per event).
    events: Vec<Value>,
    /// Event batches sent so far: with a fencing epoch (one per launch under `runtara
    /// serve`) each batch carries the idempotency key `<epoch>-<n>`, the same for every
    /// retry of its request. Without an epoch batches carry none.
    batches: u64,
    /// The transport: [`net::send`], or [`net::send_plain`] for an artifact without TLS.
    send: fn(&net::Request) -> Result<net::Response, String>,
}

/// Events held back at most (then they are sent on their own).
const EVENT_BATCH: usize = 256;

/// How long an unreachable core is retried, in milliseconds.
const RETRY_FOR_MS: u64 = 60_000;

/// The retry loop's clock: milliseconds on a monotonic clock, and a pause. std's where
/// there is std; without std the backend exists only over wasi:http, whose host has
/// wasi:clocks.
#[cfg(feature = "std")]
mod clock {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// Milliseconds since the first call (a monotonic clock).
    pub fn monotonic_ms() -> u64 {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_millis() as u64
    }

    /// Blocks the thread for `ms` milliseconds.
    pub fn pause_ms(ms: u64) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}
#[cfg(not(feature = "std"))]
use crate::net::wasi as clock;

impl HttpBackend {
    /// A backend for `cfg` (no request is made yet) over [`net::send`]: `http://` and
    /// `https://` core URLs.
    pub fn new(cfg: HttpConfig) -> Self {
        HttpBackend::with_transport(cfg, net::send)
    }

    /// [`HttpBackend::new`] over [`net::send_plain`]: on native hosts the artifact links no
    /// TLS stack.
    ///
    /// Errors: the URL is one [`net::send_plain`] cannot reach (`https://` natively).
    pub fn plain(cfg: HttpConfig) -> Result<Self, SdkError> {
        if !net::plain_reaches(&cfg.url) {
            return Err(SdkError(format!("{} needs TLS, which this artifact does not link", cfg.url)));
        }
        Ok(HttpBackend::with_transport(cfg, net::send_plain))
    }

    // Not `..HttpBackend::new(cfg)`: that would reference `net::send` and link TLS anyway.
    fn with_transport(cfg: HttpConfig, send: fn(&net::Request) -> Result<net::Response, String>) -> Self {
        HttpBackend { cfg, carried: None, events: Vec::new(), batches: 0, send }
    }

    /// The idempotency key of the next event batch (see `batches`).
    fn next_batch(&mut self) -> Option<String> {
        self.batches += 1;
        self.cfg.epoch.as_ref().map(|epoch| format!("{epoch}-{}", self.batches))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{API_PREFIX}/instances/{}/{path}", self.cfg.url.trim_end_matches('/'), encode(&self.cfg.instance))
    }

    /// One request with retries on transport errors and 5xx; `body` is JSON text. Returns
    /// (status, body JSON).
    fn request(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> Result<(u16, Value), SdkError> {
        self.request_to(method, &self.url(path), body)
    }

    /// The instance as the core shows it (`GET /api/v1/instances/{id}`: `{status, output,
    /// error, checkpoints, events}`); `None` when the core does not know it.
    ///
    /// Errors: the core is unreachable or refuses the request.
    pub fn instance(&self) -> Result<Option<Value>, SdkError> {
        let url =
            format!("{}{API_PREFIX}/instances/{}", self.cfg.url.trim_end_matches('/'), encode(&self.cfg.instance));
        match self.request_to("GET", &url, None)? {
            (404, _) => Ok(None),
            answer => self.expect_ok(answer).map(Some),
        }
    }

    fn request_to(&self, method: &str, url: &str, body: Option<Vec<u8>>) -> Result<(u16, Value), SdkError> {
        let mut req = net::Request::new(method, url).header(TENANT_HEADER, &self.cfg.tenant);
        if let Some(t) = &self.cfg.token {
            req = req.header("authorization", &format!("Bearer {t}"));
        }
        if let Some(e) = &self.cfg.epoch {
            req = req.header(EPOCH_HEADER, e);
        }
        if let Some(b) = body {
            req = req.header("content-type", "application/json");
            req.body = b;
        }
        req.timeout_ms = Some(30_000);
        let started = clock::monotonic_ms();
        let elapsed = || clock::monotonic_ms().saturating_sub(started);
        let mut pause_ms = 100;
        loop {
            match (self.send)(&req) {
                Ok(resp) if resp.status < 500 => {
                    // Through `from_str`, as the artifact's input is read: one copy of the parser.
                    let text = core::str::from_utf8(&resp.body).unwrap_or("");
                    return Ok((resp.status, serde_json::from_str(text).unwrap_or(Value::Null)));
                }
                Ok(resp) if elapsed() >= RETRY_FOR_MS => {
                    return Err(SdkError(format!("core answered {} for {}", resp.status, req.url)));
                }
                Err(e) if elapsed() >= RETRY_FOR_MS => return Err(SdkError(format!("core is unreachable: {e}"))),
                _ => {
                    clock::pause_ms(pause_ms);
                    pause_ms = (pause_ms * 2).min(2_000);
                }
            }
        }
    }

    /// Sends the held-back events, if any.
    fn flush_events(&mut self) -> Result<(), SdkError> {
        if self.events.is_empty() {
            return Ok(());
        }
        let events = core::mem::take(&mut self.events);
        let batch = self.next_batch();
        self.post("events", wire::events(events, batch)).map(|_| ())
    }

    /// `POST <path>` with the JSON `body`, expecting a 2xx answer.
    fn post(&self, path: &str, body: Vec<u8>) -> Result<Value, SdkError> {
        let r = self.request("POST", path, Some(body))?;
        self.expect_ok(r)
    }

    /// A 2xx answer's body; otherwise the core's `ErrorAnswer` as the error.
    fn expect_ok(&self, (status, body): (u16, Value)) -> Result<Value, SdkError> {
        if (200..=299).contains(&status) {
            return Ok(body);
        }
        let error = wire::string(&body, "error").unwrap_or_default();
        Err(match status {
            401 => SdkError("the core refused the token (401)".into()),
            // The core's message starts with GRAPH_CHANGED and names the steps.
            409 => SdkError(error),
            413 => SdkError::too_large(0, MAX_BODY_BYTES),
            s => SdkError(format!("core answered {s}: {error}")),
        })
    }
}

impl SdkBackend for HttpBackend {
    fn load(&mut self, id: &str) -> Result<Option<Value>, SdkError> {
        let (status, body) = self.request("GET", &format!("checkpoints/{}", encode(id)), None)?;
        if status == 404 {
            return Ok(None);
        }
        wire::take(&mut self.expect_ok((status, body))?, "state").map(Some)
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<Option<Value>, SdkError> {
        let events = core::mem::take(&mut self.events);
        let batch = if events.is_empty() { None } else { self.next_batch() };
        let body = wire::checkpoint(id, state, events, batch);
        if body.len() > MAX_BODY_BYTES {
            return Err(SdkError::too_large(body.len(), MAX_BODY_BYTES));
        }
        let mut answer = self.post("checkpoint", body)?;
        self.carried = Some(Signal::pending(wire::string(&answer, "signal").as_deref()));
        // Both fields are required of every answer, as the wire type says.
        let stored = answer.get("stored").and_then(Value::as_bool);
        let state = wire::take(&mut answer, "state")?;
        match stored {
            Some(true) => Ok(None),
            Some(false) => Ok(Some(state)),
            None => Err(SdkError("the core's answer does not fit the protocol: it has no `stored`".into())),
        }
    }

    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError> {
        if let Some(carried) = self.carried.take() {
            return Ok(carried);
        }
        let r = self.request("GET", "signals", None)?;
        Ok(Signal::pending(wire::string(&self.expect_ok(r)?, "signal").as_deref()))
    }

    fn event(&mut self, event: &Value) -> Result<(), SdkError> {
        self.events.push(event.clone());
        if self.events.len() >= EVENT_BATCH {
            return self.flush_events();
        }
        Ok(())
    }

    fn sleeping(&mut self, wake_at_ms: u64) -> Result<(), SdkError> {
        self.flush_events()?;
        self.post("sleep", wire::one("wake_at_ms", &wake_at_ms.into())).map(|_| ())
    }

    fn receives_signals(&self) -> bool {
        true
    }

    fn custom_signal(&mut self, signal_id: &str) -> Result<Option<Value>, SdkError> {
        // Whoever delivers the signal may be waiting for this run's events (the request).
        self.flush_events()?;
        let (status, body) = self.request("GET", &format!("signals/custom?signal_id={}", encode(signal_id)), None)?;
        if status == 404 {
            return Ok(None);
        }
        wire::take(&mut self.expect_ok((status, body))?, "payload").map(Some)
    }

    fn register(&mut self, graph: Option<&GraphIdentity>, migrate: bool) -> Result<(), SdkError> {
        self.post("register", wire::register(graph, migrate)).map(|_| ())
    }

    fn report(&mut self, status: &str, payload: &Value) -> Result<(), SdkError> {
        self.flush_events()?;
        let (path, body) = match status {
            "completed" => (status, wire::one("output", payload)),
            "failed" => (status, wire::one("error", payload)),
            other => ("suspended", wire::one("status", &Value::from(other))),
        };
        self.post(path, body).map(|_| ())
    }
}
