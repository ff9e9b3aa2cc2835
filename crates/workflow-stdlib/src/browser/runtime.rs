//! The workflow runtime and checkpoint backend of one browser run: events to `onEvent`,
//! the clock from `Date.now()`, waits that end the attempt where the host's clock stands
//! still (`replayWaits`), checkpoints in memory between the store's load and save.

use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::RefCell;

use js_sys::{Function, JSON};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use super::aborted;
use crate::failure::Failure;
use crate::runtime::WorkflowRuntime;

/// The waits ([`WorkflowRuntime::wait_ms`]) of the current run.
pub(super) static WAITS: runtara_sdk::Local<Waits> =
    runtara_sdk::Local::new(|| Waits { done: Map::new(), seen: Map::new(), pending: None, starts: Map::new() });

/// Waits are not blocking here: a wait stops the attempt, the run loop awaits a timer, and
/// the replayed attempt finds the wait done. A wait is known by its call site (the step
/// and scope) and how many waits that call site made before it in the attempt (the key
/// `<site>#<n>`).
///
/// Every map here (and the checkpoint [`Entries`]) is a `serde_json::Map`: the module then
/// carries one copy of the B-tree code, the JSON objects', instead of one per key and value
/// type (7 KB; issue 18).
pub(super) struct Waits {
    /// Waits done, by key (values unused).
    pub(super) done: Map<String, Value>,
    /// Waits and clock starts made so far in this attempt, by call site (keys `w…`, `s…`).
    pub(super) seen: Map<String, Value>,
    /// The wait that ended the attempt: its key and length in milliseconds.
    pub(super) pending: Option<(String, u64)>,
    /// The first attempt's `started_ms` readings, by key.
    pub(super) starts: Map<String, Value>,
}

impl Waits {
    /// The key of the next wait (`kind` `w`) or clock start (`s`) at the current call site.
    fn next(&mut self, kind: char) -> String {
        let site = alloc::format!("{kind}{}", runtara_sdk::net::call_site());
        let n = self.seen.get(&site).and_then(Value::as_u64).unwrap_or(0) + 1;
        let key = alloc::format!("{site}#{n}");
        self.seen.insert(site, n.into());
        key
    }
}

/// Events to `onEvent`, the clock from `Date.now()`. Sleeps that cannot wait on a timer
/// (retry backoff, non-durable Delay) spin on the clock.
pub(super) struct BrowserRuntime {
    /// A step of the workflow uses the network (generated `__runtara_workflow_fetches`).
    pub(super) fetches: bool,
    pub(super) on_event: Option<Function>,
    /// The `suspend` option: durable waits end the call.
    pub(super) suspend: bool,
    /// The `debugMode` option.
    pub(super) debug_mode: bool,
    /// The `replayWaits` option.
    pub(super) replay_waits: bool,
}

impl WorkflowRuntime for BrowserRuntime {
    fn fetches(&self) -> bool {
        self.fetches
    }

    fn emit_event(&mut self, event: &Value) {
        if let Some(f) = &self.on_event {
            if let Ok(v) = JSON::parse(&event.to_string()) {
                let _ = f.call1(&JsValue::NULL, &v);
            }
        }
    }

    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    fn sleep_ms(&mut self, ms: u64) {
        let until = js_sys::Date::now() + ms as f64;
        while js_sys::Date::now() < until {}
    }

    fn started_ms(&mut self) -> u64 {
        let now = self.now_ms();
        if !self.replay_waits {
            return now;
        }
        WAITS.with(|w| {
            let mut w = w.borrow_mut();
            let key = w.next('s');
            w.starts.entry(key).or_insert(now.into()).as_u64().unwrap_or(now)
        })
    }

    fn wait_ms(&mut self, ms: u64) -> Result<(), Failure> {
        if !self.replay_waits {
            self.sleep_ms(ms);
            return Ok(());
        }
        if ms == 0 {
            return Ok(());
        }
        let key = WAITS.with(|w| w.borrow_mut().next('w'));
        if WAITS.with(|w| w.borrow().done.contains_key(&key)) {
            return Ok(());
        }
        WAITS.with(|w| w.borrow_mut().pending = Some((key, ms)));
        Err(Failure::fatal(crate::value::object([
            ("code", "NAPPING".into()),
            ("message", "waiting on a timer".into()),
            ("wait_ms", ms.into()),
            ("category", "lifecycle".into()),
            ("severity", "info".into()),
        ])))
    }

    fn sleep_until(&mut self, deadline_ms: u64, persisted: bool) -> Result<(), Failure> {
        let now = self.now_ms();
        if deadline_ms <= now {
            return Ok(());
        }
        if !persisted {
            return self.wait_ms(deadline_ms - now);
        }
        Err(Failure::yielded("SLEEPING", Some(deadline_ms), None))
    }

    fn yield_after_ms(&self) -> Option<u64> {
        self.suspend.then_some(0)
    }

    fn debug_mode(&self) -> bool {
        self.debug_mode
    }
}

/// Checkpoint id → state JSON text (a `Value::String`; see [`Waits`] for why a `Map`).
pub(super) type Entries = Map<String, Value>;

/// Checkpoints of one run: the store's entries loaded before it and written by it, and the
/// ids it wrote (their text is in `entries`: one copy of each state, not two).
#[derive(Default)]
pub(super) struct Checkpoints {
    pub(super) entries: Entries,
    pub(super) writes: Vec<String>,
}

pub(super) struct BrowserBackend {
    /// Checkpoints are kept (some later call or rerun reads them).
    pub(super) keeps: bool,
    pub(super) state: Rc<RefCell<Checkpoints>>,
    pub(super) signal: JsValue,
    pub(super) signals: Option<Map<String, Value>>,
    pub(super) control: Option<Function>,
}

impl runtara_sdk::SdkBackend for BrowserBackend {
    fn persists(&self) -> bool {
        self.keeps
    }

    fn load(&mut self, id: &str) -> Result<Option<Value>, runtara_sdk::SdkError> {
        Ok(self.state.borrow().entries.get(id).and_then(Value::as_str).and_then(|s| serde_json::from_str(s).ok()))
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<Option<Value>, runtara_sdk::SdkError> {
        let mut st = self.state.borrow_mut();
        if let Some(existing) = st.entries.get(id) {
            return Ok(existing.as_str().and_then(|s| serde_json::from_str(s).ok()));
        }
        st.entries.insert(id.to_string(), Value::String(state.to_string()));
        st.writes.push(id.to_string());
        Ok(None)
    }

    fn pending_signal(&mut self) -> Result<Option<runtara_sdk::Signal>, runtara_sdk::SdkError> {
        if aborted(&self.signal) {
            return Ok(Some(runtara_sdk::Signal::Cancel));
        }
        let asked = self.control.as_ref().and_then(|f| f.call0(&JsValue::NULL).ok()).and_then(|v| v.as_string());
        Ok(match asked.as_deref() {
            Some("pause") => Some(runtara_sdk::Signal::Pause),
            Some("cancel") => Some(runtara_sdk::Signal::Cancel),
            _ => None,
        })
    }

    fn receives_signals(&self) -> bool {
        self.signal.is_object() || self.signals.is_some() || self.control.is_some()
    }

    fn custom_signal(&mut self, signal_id: &str) -> Result<Option<Value>, runtara_sdk::SdkError> {
        Ok(self.signals.as_ref().and_then(|s| s.get(signal_id)).cloned())
    }
}
