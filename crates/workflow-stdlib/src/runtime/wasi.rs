//! WASI (features `wasi`, `wasi-p2`): one thread, no local store; state lives in
//! `runtara core` (wasi:http on wasm32-wasip2).

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use serde_json::Value;

use super::{Ctx, Task};
use crate::failure::Failure;

/// WASI has no threads: Split items run in order.
pub(crate) const HAS_THREADS: bool = false;

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

/// wasi:http requests block; nothing is ever pending.
pub(crate) fn fetch_pending() -> bool {
    false
}

/// There is no local store on WASI.
pub(crate) fn local_store(_dir: &str, _instance: &str) -> Result<Box<dyn runtara_sdk::SdkBackend>, String> {
    Err("RUNTARA_STATE_DIR (the local SQLite store) is available to native artifacts only; use runtara core (--core URL)".into())
}
