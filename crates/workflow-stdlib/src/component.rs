//! The no_std wasm32-wasip2 component (feature `wasi-p2-nostd`; DESIGN §5): the hosted
//! contract of [`crate::host`] over WASI Preview 2 itself, without Rust's std. std's panic
//! and formatting machinery, its I/O layer and wasi-libc were half of a component's code
//! (issue 18), and a graph that uses no template, AiAgent, network, file, clock or random
//! capability needs none of them: the compiler builds such graphs against this feature.
//!
//! - input: `--input FILE` (an argument), else `RUNTARA_INPUT_PATH`, else stdin; files are
//!   found through the preopened directories, as wasi-libc finds them;
//! - output: stdout, or the file `RUNTARA_OUTPUT_PATH`; events and errors: JSON lines on
//!   stderr;
//! - exit: wasi:cli/run's `ok` for completed, `error` otherwise (WASI P2 carries no other
//!   codes; the error line says suspended or cancelled, as from std components).
//!
//! Generated code exports `wasi:cli/run` with `wasip2::cli::command::export!`, calling
//! [`run_main`].

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use runtara_sdk::net::wasi::{read_to_end, write_all};
use serde_json::Value;
use wasip2::cli::environment;
use wasip2::filesystem::types::{Descriptor, DescriptorFlags, OpenFlags, PathFlags};

pub use wasip2;

use crate::failure::Failure;
use crate::host::{non_empty, Host, Stores, WorkflowMeta};
use crate::runtime::{Ctx, WorkflowRuntime};
use crate::scope::Scope;

#[global_allocator]
static HEAP: crate::wasm_heap::Heap = crate::wasm_heap::Heap::new(false);

/// A panic is a bug: say so on stderr and trap. The message is not read: then fat LTO
/// drops every panic site's formatting (core's `fmt` machinery, ~10 KB), which is what this
/// build leaves out.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    let line = b"{\"code\":\"PANIC\",\"message\":\"the workflow panicked: a bug in runtara\"}\n";
    let _ = write_all(&wasip2::cli::stderr::get_stderr(), line);
    core::arch::wasm32::unreachable()
}

/// The canonical ABI's allocator (component model): the host allocates the lists and
/// strings it hands over (environment, stdin chunks, HTTP bodies) through it. std
/// components get it from std.
///
/// # Safety
/// The canonical ABI's contract: `old` was returned by this function with `old_len` and
/// `align`, or `old_len` is 0.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(old: *mut u8, old_len: usize, align: usize, new_len: usize) -> *mut u8 {
    use alloc::alloc::{alloc, handle_alloc_error, realloc, Layout};
    if new_len == 0 {
        return align as *mut u8;
    }
    // SAFETY: align is a power of two (the ABI's) and the sizes are nonzero.
    let layout = unsafe { Layout::from_size_align_unchecked(new_len, align) };
    // SAFETY: per this function's contract.
    let p = unsafe {
        if old_len == 0 {
            alloc(layout)
        } else {
            realloc(old, Layout::from_size_align_unchecked(old_len, align), new_len)
        }
    };
    if p.is_null() {
        handle_alloc_error(layout);
    }
    p
}

/// `path` opened through the preopened directory that contains it: the longest preopen
/// whose name is a prefix of it, `.` (or `/`) for relative paths. Errors: no preopen holds
/// it, or the host refuses to open it.
fn open(path: &str, write: bool) -> Result<Descriptor, String> {
    let relative = path.trim_start_matches("./");
    let mut best: Option<(usize, Descriptor, String)> = None;
    for (dir, name) in wasip2::filesystem::preopens::get_directories() {
        let name = name.trim_end_matches('/');
        let rest = match name {
            "" if path.starts_with('/') => Some(&path[1..]),
            "." if !path.starts_with('/') => Some(relative),
            _ => path.strip_prefix(name).and_then(|r| r.strip_prefix('/')),
        };
        if let Some(rest) = rest {
            if best.as_ref().is_none_or(|(len, ..)| name.len() > *len) {
                best = Some((name.len(), dir, rest.to_string()));
            }
        }
    }
    let (_, dir, rest) = best.ok_or_else(|| format!("{path} is in no directory the host shared (wasmtime --dir)"))?;
    let (open_flags, flags) = match write {
        true => (OpenFlags::CREATE | OpenFlags::TRUNCATE, DescriptorFlags::WRITE),
        false => (OpenFlags::empty(), DescriptorFlags::READ),
    };
    dir.open_at(PathFlags::SYMLINK_FOLLOW, &rest, open_flags, flags).map_err(|e| format!("{path}: {}", e.name()))
}

/// The environment as the host passed it.
struct Wasi {
    env: Vec<(String, String)>,
}

impl Host for Wasi {
    fn env(&self, key: &str) -> Option<String> {
        self.env.iter().find(|(k, _)| k == key).and_then(|(_, v)| non_empty(v.clone()))
    }

    fn error_line(&mut self, line: &str) {
        // Nowhere is left to report a failed write of an error.
        let _ = write_all(&wasip2::cli::stderr::get_stderr(), format!("{line}\n").as_bytes());
    }

    fn write_output(&mut self, json: &str) -> Result<(), String> {
        let Some(path) = self.env("RUNTARA_OUTPUT_PATH") else {
            return write_all(&wasip2::cli::stdout::get_stdout(), format!("{json}\n").as_bytes())
                .map_err(|e| format!("cannot write stdout: {e}"));
        };
        let file = open(&path, true)?;
        let stream = file.write_via_stream(0).map_err(|e| format!("{path}: {}", e.name()))?;
        write_all(&stream, json.as_bytes()).map_err(|e| format!("cannot write {path}: {e}"))
    }

    fn runtime(&self) -> Box<dyn WorkflowRuntime> {
        let (yield_after_ms, debug_mode) = crate::host::runtime_settings(|k| self.env(k));
        Box::new(ComponentRuntime { yield_after_ms, debug_mode })
    }
}

impl Wasi {
    /// The input JSON (see the module docs); an empty input is `{}`.
    fn read_input(&self) -> Result<Value, String> {
        let bytes = match crate::host::input_file(self, &environment::get_arguments()) {
            Some(p) => {
                let file = open(&p, false).map_err(|e| format!("cannot read input file {e}"))?;
                let stream =
                    file.read_via_stream(0).map_err(|e| format!("cannot read input file {p}: {}", e.name()))?;
                read_to_end(&stream, usize::MAX).map_err(|e| format!("cannot read input file {p}: {e}"))?
            }
            None => read_to_end(&wasip2::cli::stdin::get_stdin(), usize::MAX)
                .map_err(|e| format!("cannot read stdin: {e}"))?,
        };
        // Text, then `from_str`, as the http backend reads answers: one copy of the parser.
        let text = core::str::from_utf8(&bytes).map_err(|_| "input is not valid JSON: it is not UTF-8".to_string())?;
        crate::host::parse_input(text)
    }
}

/// Events on stderr, wasi:clocks for the clock and sleeps; `RUNTARA_YIELD_AFTER_MS` and
/// `RUNTARA_DEBUG_MODE` as on std targets ([`crate::entry::HostedRuntime`]).
struct ComponentRuntime {
    yield_after_ms: Option<u64>,
    debug_mode: bool,
}

impl WorkflowRuntime for ComponentRuntime {
    fn emit_event(&mut self, event: &Value) {
        let _ = write_all(&wasip2::cli::stderr::get_stderr(), format!("{event}\n").as_bytes());
    }

    fn now_ms(&self) -> u64 {
        let now = wasip2::clocks::wall_clock::now();
        now.seconds * 1000 + u64::from(now.nanoseconds / 1_000_000)
    }

    fn sleep_ms(&mut self, ms: u64) {
        runtara_sdk::net::wasi::pause_ms(ms);
    }

    fn yield_after_ms(&self) -> Option<u64> {
        self.yield_after_ms
    }

    fn debug_mode(&self) -> bool {
        self.debug_mode
    }
}

/// Runs a compiled workflow under the hosted contract (`wasi:cli/run`'s `run`): `Ok` when
/// it completed, `Err` otherwise (the reason is on stderr): wasi:cli/run's own `result`.
#[allow(clippy::result_unit_err)]
pub fn run_main(
    meta: &WorkflowMeta,
    run: fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>,
    stores: Stores,
) -> Result<(), ()> {
    let mut host = Wasi { env: environment::get_environment() };
    let input = host.read_input();
    match crate::host::drive(&mut host, meta, run, stores, input) {
        runtara_protocol::exit::COMPLETED => Ok(()),
        _ => Err(()),
    }
}
