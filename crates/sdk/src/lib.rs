//! runtara-sdk: the durable-protocol client (DESIGN §6).
//!
//! [`SdkBackend`] is what the workflow runtime talks to for checkpoints and signals
//! (checkpoint-as-memo: a step whose checkpoint exists is not run again). Backends so far:
//! [`Stateless`] (nothing stored), [`MemoryStore`] (a map in RAM — the embedded target's
//! store), with the `local` feature [`local::LocalStore`] (a SQLite file; native) and with
//! the `http` (native) or `wasi-http` (wasm32-wasip2) feature [`http::HttpBackend`]
//! (`runtara core serve`). [`net`] is the blocking HTTP client under it, shared with the
//! network capabilities. The browser backend is not built yet.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(any(feature = "std", feature = "wasi-http"))]
pub mod http;
#[cfg(feature = "local")]
pub mod local;
pub mod net;
pub mod single_thread;

pub use single_thread::Local;

use alloc::collections::BTreeMap;
use alloc::string::String;
use serde_json::Value;

/// The identity of the graph a run executes (hardening item 7).
pub use runtara_protocol::GraphIdentity;
/// A control signal (DESIGN §6), shared with the state service and the CLI.
pub use runtara_protocol::Signal;

/// Where the http backend finds `runtara core` and who the run is (DESIGN §5:
/// `RUNTARA_HTTP_URL`, `RUNTARA_INSTANCE_ID`, `RUNTARA_TENANT_ID`, `RUNTARA_TOKEN`).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Base URL, e.g. `http://127.0.0.1:8003`.
    pub url: String,
    pub instance: String,
    pub tenant: String,
    pub token: Option<String>,
    /// The run's fencing epoch (`RUNTARA_EPOCH`), sent with every request
    /// (`runtara_protocol::wire::EPOCH_HEADER`).
    pub epoch: Option<String>,
}

/// Error of a backend call, with a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdkError(pub String);

impl SdkError {
    /// The code a too-large checkpoint's message starts with.
    pub const TOO_LARGE: &'static str = "CHECKPOINT_TOO_LARGE";

    /// A checkpoint the store cannot take because of its size (`bytes` over `limit`).
    pub fn too_large(bytes: usize, limit: usize) -> Self {
        SdkError(alloc::format!("{}: the checkpoint is {bytes} bytes; the limit is {limit} bytes", Self::TOO_LARGE))
    }

    /// Whether this is [`SdkError::too_large`]: retrying cannot help.
    pub fn is_too_large(&self) -> bool {
        self.0.starts_with(Self::TOO_LARGE)
    }
}

/// The durable-state protocol seen from a running workflow.
pub trait SdkBackend {
    /// The state stored under `checkpoint_id`, if any.
    fn load(&mut self, checkpoint_id: &str) -> Result<Option<Value>, SdkError>;
    /// Stores `state` under `checkpoint_id` unless present; returns the stored state when
    /// it was already there (checkpoint-as-memo, first write wins), else `None`.
    fn checkpoint(&mut self, checkpoint_id: &str, state: &Value) -> Result<Option<Value>, SdkError>;
    /// Pending control signal, if any.
    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError>;
    /// Whether checkpoints are kept at all (false for [`Stateless`], which lets the runtime
    /// skip computing checkpoint ids).
    fn persists(&self) -> bool {
        true
    }
    /// Whether custom signals can reach this run (WaitForSignal, dsl-spec §7.13).
    fn receives_signals(&self) -> bool {
        false
    }
    /// The payload of custom signal `signal_id`, if it has been delivered.
    fn custom_signal(&mut self, _signal_id: &str) -> Result<Option<Value>, SdkError> {
        Ok(None)
    }
    /// Announces the run (status `running`), at the start executing `graph` (`None` when
    /// it is running again after a durable sleep: nothing to check). A store that recorded
    /// another graph for this instance refuses with a `GRAPH_CHANGED` error naming the
    /// changed steps, unless `migrate` (which records the new graph).
    fn register(&mut self, _graph: Option<&GraphIdentity>, _migrate: bool) -> Result<(), SdkError> {
        Ok(())
    }
    /// Records one event of the run (`{"event": name, …}`); stores without an event log
    /// ignore it.
    fn event(&mut self, _event: &Value) -> Result<(), SdkError> {
        Ok(())
    }
    /// Announces a durable sleep until `wake_at_ms` (ms since the epoch).
    fn sleeping(&mut self, _wake_at_ms: u64) -> Result<(), SdkError> {
        Ok(())
    }
    /// Reports how the run ended: `completed` (payload = output), `failed` (payload =
    /// error), `suspended` or `cancelled`.
    fn report(&mut self, _status: &str, _payload: &Value) -> Result<(), SdkError> {
        Ok(())
    }
}

/// No durable state: nothing is stored, nothing is pending.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stateless;

impl SdkBackend for Stateless {
    fn load(&mut self, _id: &str) -> Result<Option<Value>, SdkError> {
        Ok(None)
    }

    fn persists(&self) -> bool {
        false
    }

    fn checkpoint(&mut self, _id: &str, _state: &Value) -> Result<Option<Value>, SdkError> {
        Ok(None)
    }

    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError> {
        Ok(None)
    }
}

/// Checkpoints in a map (RAM): first write wins.
#[derive(Debug, Default, Clone)]
pub struct MemoryStore {
    entries: BTreeMap<String, Value>,
}

impl MemoryStore {
    /// An empty store.
    pub const fn new() -> Self {
        MemoryStore { entries: BTreeMap::new() }
    }

    /// Number of stored checkpoints.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl SdkBackend for MemoryStore {
    fn load(&mut self, id: &str) -> Result<Option<Value>, SdkError> {
        Ok(self.entries.get(id).cloned())
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<Option<Value>, SdkError> {
        if let Some(existing) = self.entries.get(id) {
            return Ok(Some(existing.clone()));
        }
        self.entries.insert(String::from(id), state.clone());
        Ok(None)
    }

    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn memory_store_is_first_write_wins() {
        let mut s = MemoryStore::new();
        assert_eq!(s.load("a").unwrap(), None);
        assert_eq!(s.checkpoint("a", &json!(1)).unwrap(), None);
        assert_eq!(s.checkpoint("a", &json!(2)).unwrap(), Some(json!(1)));
        assert_eq!(s.load("a").unwrap(), Some(json!(1)));
    }
}
