//! The hosted artifact contract over Rust's std (DESIGN §5; native, WASI, the HTTP world):
//! the platform calls under [`crate::host`].
//!
//! - input: `--input FILE`, else `RUNTARA_INPUT_PATH`, else stdin; an object with a `data`
//!   key is the envelope `{data, variables}` (dsl-spec §1.5);
//! - completed: output JSON on stdout (or `RUNTARA_OUTPUT_PATH`), exit 0;
//! - events: JSON lines on stderr; errors and exit codes as [`crate::host`] says.

use std::io::{Read, Write};

use serde_json::Value;

use crate::failure::Failure;
pub use crate::host::{execute, Stores, WorkflowMeta};
use crate::host::{non_empty, Host};
use crate::runtime::{Ctx, Current, Platform, WorkflowRuntime};
use crate::scope::Scope;

/// The runtime of hosted targets: events on stderr, the OS clock, blocking sleep; with
/// `RUNTARA_YIELD_AFTER_MS`, longer waits end the run for the host to relaunch it; with
/// `RUNTARA_DEBUG_MODE=1`, breakpoints pause it.
pub struct HostedRuntime {
    yield_after_ms: Option<u64>,
    debug_mode: bool,
}

impl HostedRuntime {
    /// This runtime, leaving its worker for any durable wait longer than `ms` (`None`: never).
    pub fn yielding_after(mut self, ms: Option<u64>) -> Self {
        self.yield_after_ms = ms;
        self
    }

    /// The runtime this process's environment asks for.
    pub fn from_env() -> Self {
        let (yield_after_ms, debug_mode) = crate::host::runtime_settings(env);
        HostedRuntime { yield_after_ms, debug_mode }
    }
}

impl WorkflowRuntime for HostedRuntime {
    fn emit_event(&mut self, event: &Value) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{event}");
    }

    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }

    fn sleep_ms(&mut self, ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }

    fn yield_after_ms(&self) -> Option<u64> {
        self.yield_after_ms
    }

    fn debug_mode(&self) -> bool {
        self.debug_mode
    }

    fn fork(&self) -> Option<Box<dyn WorkflowRuntime + Send>> {
        // Only native builds have threads; WASI and browsers run Split items in order.
        let forked = HostedRuntime { yield_after_ms: self.yield_after_ms, debug_mode: self.debug_mode };
        Current::HAS_THREADS.then(|| Box::new(forked) as Box<dyn WorkflowRuntime + Send>)
    }
}

/// The process environment variable `key`, when set and not empty.
fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().and_then(non_empty)
}

/// The process as a [`Host`].
pub struct Process;

impl Host for Process {
    fn env(&self, key: &str) -> Option<String> {
        env(key)
    }

    fn error_line(&mut self, line: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }

    fn write_output(&mut self, json: &str) -> Result<(), String> {
        let written = match env("RUNTARA_OUTPUT_PATH") {
            Some(p) => std::fs::write(p, json),
            None => {
                let mut out = std::io::stdout().lock();
                writeln!(out, "{json}").and_then(|()| out.flush())
            }
        };
        written.map_err(|e| e.to_string())
    }

    fn runtime(&self) -> Box<dyn WorkflowRuntime> {
        Box::new(HostedRuntime::from_env())
    }
}

/// Builds the root scope with the identity of `RUNTARA_INSTANCE_ID` and
/// `RUNTARA_TENANT_ID` (or `TENANT_ID`); see [`crate::meta::root_scope`].
pub fn root_scope(meta: &WorkflowMeta, input: Value) -> Scope {
    crate::host::root_scope(&Process, meta, input)
}

fn read_input() -> Result<Value, String> {
    let args: Vec<String> = std::env::args().collect();
    let text = match crate::host::input_file(&Process, &args) {
        Some(p) => std::fs::read_to_string(&p).map_err(|e| format!("cannot read input file {p}: {e}"))?,
        None => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).map_err(|e| format!("cannot read stdin: {e}"))?;
            s
        }
    };
    crate::host::parse_input(&text)
}

/// Runs a compiled workflow under the hosted contract and exits the process.
///
/// `stores`: the checkpoint stores the artifact links.
pub fn hosted_main(meta: &WorkflowMeta, run: fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>, stores: Stores) -> ! {
    let code = crate::host::drive(&mut Process, meta, run, stores, read_input());
    std::process::exit(i32::from(code))
}
