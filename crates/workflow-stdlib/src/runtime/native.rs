//! Native hosts (feature `native`): threads for parallel Split items, the local SQLite
//! store, mimalloc.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use serde_json::Value;

use super::{Ctx, Platform, Task};
use crate::failure::Failure;

/// Workflow code allocates per step and per Split item, and glibc's allocator spent a third
/// of a Split benchmark run (`cargo xtask bench --only split`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Native hosts.
pub struct Native;

impl Platform for Native {
    const HAS_THREADS: bool = true;

    /// Threads start without durable state: parallel Split items are not checkpointed
    /// individually (the Split's own envelope is).
    fn execute_threads<I: Iterator<Item = Task>>(
        cx: &mut Ctx,
        window: usize,
        tasks: I,
        stop_on_failure: bool,
    ) -> Result<Vec<Result<Value, Failure>>, I> {
        if window <= 1 || cx.rt.fork().is_none() {
            return Err(tasks);
        }
        let mut out = Vec::new();
        let mut pending = tasks.peekable();
        while pending.peek().is_some() {
            let batch: Vec<Task> = pending.by_ref().take(window).collect();
            let results: Vec<Result<Value, Failure>> = std::thread::scope(|s| {
                let handles: Vec<_> = batch
                    .into_iter()
                    .map(|task| {
                        let rt = cx.rt.fork().expect("checked above");
                        let track_events = cx.track_events;
                        s.spawn(move || task(&mut Ctx::new(rt, track_events)))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|_| Err(Failure::msg("a Split item panicked"))))
                    .collect()
            });
            let failed = results.iter().any(Result::is_err);
            out.extend(results);
            if failed && stop_on_failure {
                break;
            }
        }
        Ok(out)
    }

    fn connection_descriptor(id: &str) -> Value {
        crate::agents::connections::descriptor(id)
    }

    fn local_store(dir: &str, instance: &str) -> Result<Box<dyn runtara_sdk::SdkBackend>, String> {
        runtara_sdk::local::LocalStore::open(std::path::Path::new(dir), instance)
            .map(|s| Box::new(s) as Box<dyn runtara_sdk::SdkBackend>)
            .map_err(|e| e.0)
    }
}
