//! no_std firmware (and builds without `std`): one thread, no connection table, no network.

use alloc::vec::Vec;
use serde_json::{json, Value};

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

/// Without a connection table the descriptor names the id only.
pub(crate) fn connection_descriptor(id: &str) -> Value {
    json!({"connection_id": id, "integration_id": null, "parameters": {}})
}

/// There is no network; nothing is ever pending.
pub(crate) fn fetch_pending() -> bool {
    false
}
