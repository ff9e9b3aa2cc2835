//! WASI (features `wasi`, `wasi-p2`): one thread, no local store; state lives in
//! `runtara core` (wasi:http on wasm32-wasip2).

use serde_json::Value;

use super::Platform;

/// WASI preview 1 and 2.
pub struct Wasi;

impl Platform for Wasi {
    fn connection_descriptor(id: &str) -> Value {
        crate::agents::connections::descriptor(id)
    }
}
