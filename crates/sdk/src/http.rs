//! The http backend: the durable protocol against `runtara core serve` (DESIGN §6), with
//! the tenant in `X-Runtara-Tenant-Id` and an optional bearer token. A core that is briefly
//! unreachable is retried with backoff (0.1 s doubling to 2 s, for up to 60 s).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use runtara_protocol::wire::{
    CheckpointAnswer, CheckpointRequest, CompletedRequest, CustomSignalAnswer, ErrorAnswer, EventsRequest,
    FailedRequest, LoadAnswer, PendingSignalAnswer, RegisterRequest, SleepRequest, SuspendedRequest, API_PREFIX,
    EPOCH_HEADER, MAX_BODY_BYTES, TENANT_HEADER,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

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

    pub fn monotonic_ms() -> u64 {
        static START: OnceLock<Instant> = OnceLock::new();
        START.get_or_init(Instant::now).elapsed().as_millis() as u64
    }

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
        let body = EventsRequest { events: core::mem::take(&mut self.events), batch: self.next_batch() };
        self.post::<Value>("events", &body).map(|_| ())
    }

    /// `POST <path>` with the wire message `body`, expecting a 2xx answer of type `T`.
    fn post<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize) -> Result<T, SdkError> {
        self.post_json(path, encode_json(body)?)
    }

    /// `POST <path>` with a body already encoded as JSON (serialised once, see `checkpoint`).
    fn post_json<T: DeserializeOwned>(&self, path: &str, body: Vec<u8>) -> Result<T, SdkError> {
        let r = self.request("POST", path, Some(body))?;
        self.expect_ok(r)
    }

    /// A 2xx answer as the wire message `T`; otherwise the core's [`ErrorAnswer`].
    fn expect_ok<T: DeserializeOwned>(&self, (status, body): (u16, Value)) -> Result<T, SdkError> {
        match status {
            200..=299 => serde_json::from_value(body)
                .map_err(|e| SdkError(format!("the core's answer does not fit the protocol: {e}"))),
            401 => Err(SdkError("the core refused the token (401)".into())),
            // The core's message starts with GRAPH_CHANGED and names the steps.
            409 => Err(SdkError(serde_json::from_value::<ErrorAnswer>(body).map(|a| a.error).unwrap_or_default())),
            413 => Err(SdkError::too_large(0, MAX_BODY_BYTES)),
            s => {
                let error = serde_json::from_value::<ErrorAnswer>(body).map(|a| a.error).unwrap_or_default();
                Err(SdkError(format!("core answered {s}: {error}")))
            }
        }
    }
}

/// A wire message as JSON text.
fn encode_json(body: &impl Serialize) -> Result<Vec<u8>, SdkError> {
    serde_json::to_vec(body).map_err(|e| SdkError(format!("cannot encode the request: {e}")))
}

impl SdkBackend for HttpBackend {
    fn load(&mut self, id: &str) -> Result<Option<Value>, SdkError> {
        let (status, body) = self.request("GET", &format!("checkpoints/{}", encode(id)), None)?;
        if status == 404 {
            return Ok(None);
        }
        Ok(Some(self.expect_ok::<LoadAnswer>((status, body))?.state))
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<Option<Value>, SdkError> {
        let events = core::mem::take(&mut self.events);
        let batch = if events.is_empty() { None } else { self.next_batch() };
        let body =
            encode_json(&CheckpointRequest { checkpoint_id: id.to_string(), state: state.clone(), events, batch })?;
        if body.len() > MAX_BODY_BYTES {
            return Err(SdkError::too_large(body.len(), MAX_BODY_BYTES));
        }
        let answer: CheckpointAnswer = self.post_json("checkpoint", body)?;
        self.carried = Some(Signal::pending(answer.signal.as_deref()));
        Ok(if answer.stored { None } else { Some(answer.state) })
    }

    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError> {
        if let Some(carried) = self.carried.take() {
            return Ok(carried);
        }
        let r = self.request("GET", "signals", None)?;
        Ok(Signal::pending(self.expect_ok::<PendingSignalAnswer>(r)?.signal.as_deref()))
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
        self.post::<Value>("sleep", &SleepRequest { wake_at_ms }).map(|_| ())
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
        Ok(Some(self.expect_ok::<CustomSignalAnswer>((status, body))?.payload))
    }

    fn register(&mut self, graph: Option<&GraphIdentity>, migrate: bool) -> Result<(), SdkError> {
        self.post::<Value>("register", &RegisterRequest { graph: graph.cloned(), migrate }).map(|_| ())
    }

    fn report(&mut self, status: &str, payload: &Value) -> Result<(), SdkError> {
        self.flush_events()?;
        let sent: Result<Value, SdkError> = match status {
            "completed" => self.post("completed", &CompletedRequest { output: payload.clone() }),
            "failed" => self.post("failed", &FailedRequest { error: payload.clone() }),
            other => self.post("suspended", &SuspendedRequest { status: other.to_string() }),
        };
        sent.map(|_| ())
    }
}
