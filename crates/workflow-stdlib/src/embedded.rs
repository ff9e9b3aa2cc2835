//! The firmware contract for thumbv7em-none-eabihf (DESIGN §5, embedded).
//!
//! - [`firmware_main`]: the input JSON is read from the host file `runtara-input.json`
//!   over semihosting (missing → `{}`); the output JSON goes to semihosting stdout; a
//!   failure prints the structured error as one JSON line on stderr; the program exits
//!   through semihosting (success or failure — semihosting carries no other codes).
//! - [`run_buffer`]: the C-ABI entry for linking into existing firmware
//!   (`runtara_run(input, len, out, cap)`), returning the DESIGN §5 exit codes.
//! - Checkpoints (DESIGN §6) go to a RAM store that lives as long as the firmware runs, or
//!   to the `save`/`load` callbacks registered with [`set_checkpoint_store`]
//!   (`runtara_set_checkpoint_store`), so firmware can keep them in flash: a rerun of
//!   `runtara_run` then returns stored step outputs without redoing their side effects.
//!
//! Events go to semihosting stderr as JSON lines (at exit, `firmware_stats` carries
//! `heap_peak_bytes`); the clock is semihosting `SYS_CLOCK` (centiseconds since start),
//! which Delay steps busy-wait on.

use core::alloc::{GlobalAlloc, Layout};
use core::fmt::Write as _;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use core::cell::{Cell, RefCell};

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use cortex_m_semihosting::{debug, hio, syscall};
use critical_section::Mutex;
use embedded_alloc::LlffHeap as Heap;
use runtara_sdk::{MemoryStore, SdkBackend, SdkError, Signal};
use serde_json::Value;

use crate::failure::Failure;

// Linked for its side effect: the single-core critical-section implementation. (The
// firmware's generated `main` links cortex-m-rt itself, so staticlibs stay free of a reset
// handler.)
extern crate cortex_m as _;
use crate::meta::{root_scope, WorkflowMeta};
use crate::runtime::{Ctx, WorkflowRuntime};
use crate::scope::Scope;

#[global_allocator]
static HEAP: PeakTracking = PeakTracking { heap: Heap::empty(), used: AtomicUsize::new(0), peak: AtomicUsize::new(0) };
static HEAP_READY: AtomicBool = AtomicBool::new(false);

/// The heap, with the high-water mark of bytes in use (reported as `heap_peak_bytes`).
struct PeakTracking {
    heap: Heap,
    used: AtomicUsize,
    peak: AtomicUsize,
}

// SAFETY: delegates to the heap; the counters are bookkeeping only.
unsafe impl GlobalAlloc for PeakTracking {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { self.heap.alloc(layout) };
        if !p.is_null() {
            let now = self.used.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            self.peak.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        self.used.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { self.heap.dealloc(ptr, layout) }
    }
}

/// The most heap bytes in use at once so far.
pub fn heap_peak_bytes() -> usize {
    HEAP.peak.load(Ordering::Relaxed)
}

/// The host file the firmware reads its input from (relative to the emulator's cwd).
pub const INPUT_FILE: &str = "runtara-input.json";

/// `runtara_run` result: completed (output JSON in the buffer).
pub const RUN_COMPLETED: i32 = runtara_protocol::exit::COMPLETED as i32;
/// `runtara_run` result: failed (the structured error JSON is in the buffer).
pub const RUN_FAILED: i32 = runtara_protocol::exit::FAILED as i32;
/// `runtara_run` result: the input is not JSON (a message is in the buffer).
pub const RUN_BAD_INPUT: i32 = runtara_protocol::exit::BAD_INPUT as i32;

fn init_heap(memory: &'static mut [MaybeUninit<u8>]) {
    if !HEAP_READY.swap(true, Ordering::SeqCst) {
        // SAFETY: called once (guarded above) with memory no one else uses.
        unsafe { HEAP.heap.init(memory.as_mut_ptr() as usize, memory.len()) }
    }
}

/// Events on semihosting stderr, clock and sleep on `SYS_CLOCK`.
pub struct EmbeddedRuntime;

impl WorkflowRuntime for EmbeddedRuntime {
    fn emit_event(&mut self, event: &Value) {
        if let Ok(mut err) = hio::hstderr() {
            let _ = writeln!(err, "{event}");
        }
    }

    fn now_ms(&self) -> u64 {
        // SAFETY: SYS_CLOCK takes no arguments.
        let cs = unsafe { syscall!(CLOCK) } as isize;
        if cs < 0 {
            0
        } else {
            cs as u64 * 10
        }
    }

    fn sleep_ms(&mut self, ms: u64) {
        let until = self.now_ms() + ms;
        while self.now_ms() < until {}
    }
}

/// `save(key, key_len, value, value_len) -> 0 on success`.
pub type SaveFn = unsafe extern "C" fn(*const u8, usize, *const u8, usize) -> i32;
/// `load(key, key_len, out, cap) -> length`, `-1` when absent, `-N` when `N` bytes are needed.
pub type LoadFn = unsafe extern "C" fn(*const u8, usize, *mut u8, usize) -> i32;

static RAM_STORE: Mutex<RefCell<MemoryStore>> = Mutex::new(RefCell::new(MemoryStore::new()));
static CALLBACKS: Mutex<Cell<Option<(SaveFn, LoadFn)>>> = Mutex::new(Cell::new(None));

/// Registers the firmware's checkpoint callbacks (replacing the RAM store).
pub fn set_checkpoint_store(save: SaveFn, load: LoadFn) {
    critical_section::with(|cs| CALLBACKS.borrow(cs).set(Some((save, load))));
}

/// The RAM store shared by every run of this firmware.
struct RamBackend;

impl SdkBackend for RamBackend {
    fn load(&mut self, id: &str) -> Result<Option<Value>, SdkError> {
        critical_section::with(|cs| RAM_STORE.borrow(cs).borrow_mut().load(id))
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<Option<Value>, SdkError> {
        critical_section::with(|cs| RAM_STORE.borrow(cs).borrow_mut().checkpoint(id, state))
    }

    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError> {
        Ok(None)
    }
}

/// Checkpoints through the firmware's C callbacks; values are JSON text.
struct CallbackBackend {
    save: SaveFn,
    load: LoadFn,
}

impl SdkBackend for CallbackBackend {
    fn load(&mut self, id: &str) -> Result<Option<Value>, SdkError> {
        let mut buf = alloc::vec![0u8; 1024];
        loop {
            // SAFETY: the callback contract: key and buffer are valid for the given lengths.
            let n = unsafe { (self.load)(id.as_ptr(), id.len(), buf.as_mut_ptr(), buf.len()) };
            match n {
                -1 => return Ok(None),
                n if n < -1 => buf.resize((-n) as usize, 0),
                n => {
                    let text = &buf[..(n as usize).min(buf.len())];
                    return serde_json::from_slice(text)
                        .map(Some)
                        .map_err(|e| SdkError(alloc::format!("stored checkpoint '{id}' is not JSON: {e}")));
                }
            }
        }
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<Option<Value>, SdkError> {
        if let Some(existing) = self.load(id)? {
            return Ok(Some(existing));
        }
        let text = state.to_string();
        // SAFETY: key and value are valid for the given lengths during the call.
        let rc = unsafe { (self.save)(id.as_ptr(), id.len(), text.as_ptr(), text.len()) };
        if rc != 0 {
            return Err(SdkError(alloc::format!("the save callback returned {rc}")));
        }
        Ok(None)
    }

    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError> {
        Ok(None)
    }
}

fn backend() -> Box<dyn SdkBackend> {
    match critical_section::with(|cs| CALLBACKS.borrow(cs).get()) {
        Some((save, load)) => Box::new(CallbackBackend { save, load }),
        None => Box::new(RamBackend),
    }
}

fn read_input() -> Vec<u8> {
    let name = "runtara-input.json\0";
    // SAFETY: the name is NUL-terminated; mode 0 is "r"; the length excludes the NUL.
    let fd = unsafe { syscall!(OPEN, name.as_ptr(), 0, name.len() - 1) } as isize;
    if fd < 0 {
        return b"{}".to_vec();
    }
    // SAFETY: fd is an open semihosting handle.
    let len = unsafe { syscall!(FLEN, fd) } as isize;
    let mut buf = alloc::vec![0u8; len.max(0) as usize];
    // SAFETY: buf has `len` bytes; READ returns the number of bytes NOT read.
    let missing = unsafe { syscall!(READ, fd, buf.as_mut_ptr(), buf.len()) };
    buf.truncate(buf.len().saturating_sub(missing));
    // SAFETY: fd is open.
    unsafe { syscall!(CLOSE, fd) };
    buf
}

/// Runs a workflow as firmware and exits through semihosting.
pub fn firmware_main(
    meta: &WorkflowMeta,
    run: fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>,
    heap: &'static mut [MaybeUninit<u8>],
) -> ! {
    init_heap(heap);
    let input = read_input();
    let mut out = String::new();
    let code = execute(meta, run, &input, &mut out);
    let stream = if code == RUN_COMPLETED { hio::hstdout() } else { hio::hstderr() };
    if let Ok(mut s) = stream {
        let _ = writeln!(s, "{out}");
    }
    let stats = [("event", "firmware_stats".into()), ("heap_peak_bytes", heap_peak_bytes().into())];
    EmbeddedRuntime.emit_event(&crate::value::object(stats));
    debug::exit(if code == RUN_COMPLETED { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    #[allow(clippy::empty_loop)]
    loop {}
}

/// The C-ABI entry: runs the workflow on `input` and writes the output JSON (completed) or
/// the structured error JSON (failed) into `out`. Returns [`RUN_COMPLETED`],
/// [`RUN_FAILED`], [`RUN_BAD_INPUT`], or the negated byte count needed when `out` is too
/// small.
pub fn run_buffer(
    meta: &WorkflowMeta,
    run: fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>,
    heap: &'static mut [MaybeUninit<u8>],
    input: &[u8],
    out: &mut [u8],
) -> i32 {
    init_heap(heap);
    let mut text = String::new();
    let code = execute(meta, run, input, &mut text);
    if text.len() > out.len() {
        return -(text.len().min(i32::MAX as usize) as i32);
    }
    out[..text.len()].copy_from_slice(text.as_bytes());
    if text.len() < out.len() {
        out[text.len()] = 0;
    }
    code
}

fn execute(
    meta: &WorkflowMeta,
    run: fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>,
    input: &[u8],
    out: &mut String,
) -> i32 {
    let input: Value = if input.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        match serde_json::from_slice(input) {
            Ok(v) => v,
            Err(e) => {
                let msg = alloc::format!("input is not valid JSON: {e}");
                *out = crate::value::object([("code", "BAD_INPUT".into()), ("message", msg.into())]).to_string();
                return RUN_BAD_INPUT;
            }
        }
    };
    let mut scope = root_scope(meta, input, None, None);
    let mut cx = Ctx::with_backend(Box::new(EmbeddedRuntime), backend(), meta.track_events);
    match run(&mut cx, &mut scope) {
        Ok(v) => {
            *out = v.to_string();
            RUN_COMPLETED
        }
        Err(f) => {
            *out = f.report().to_string();
            RUN_FAILED
        }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    if let Ok(mut err) = hio::hstderr() {
        let _ = writeln!(err, "{{\"code\":\"PANIC\",\"message\":\"{}\"}}", info.message().as_str().unwrap_or("panic"));
    }
    debug::exit(debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}
