//! Browsers and Node (feature `wasm-js`): one thread; requests are fetched by the JS entry
//! between attempts of a run, so a step can find its request still pending.

use alloc::vec::Vec;
use serde_json::Value;

use super::{Ctx, Task};
use crate::failure::Failure;

/// No threads: the tasks go back to run in order.
pub(crate) fn execute_threads<I: Iterator<Item = Task>>(
    _cx: &mut Ctx,
    _window: usize,
    tasks: I,
    _stop_on_failure: bool,
) -> Result<Vec<Result<Value, Failure>>, I> {
    Err(tasks)
}

/// The `_connection` descriptor of connection `id` from the connection table.
pub(crate) fn connection_descriptor(id: &str) -> Value {
    crate::agents::connections::descriptor(id)
}

/// Whether a network request of this attempt is waiting for its fetch.
pub(crate) fn fetch_pending() -> bool {
    runtara_sdk::net::fetch_pending()
}

/// Browsers have no threads: Split items run in order.
pub(crate) const HAS_THREADS: bool = false;

/// There is no local store in browsers; checkpoints go to IndexedDB or the caller's store.
pub(crate) fn local_store(
    _dir: &str,
    _instance: &str,
) -> Result<alloc::boxed::Box<dyn runtara_sdk::SdkBackend>, alloc::string::String> {
    Err("RUNTARA_STATE_DIR is available to native artifacts only".into())
}
