//! Components run in-process for a server (`runtara serve`): one engine with the pooling
//! allocator, each artifact compiled by cranelift once (kept serialized on disk, keyed by
//! its hash and the engine's compatibility hash) and pre-instantiated once, and limits per
//! run — linear memory (a [`ResourceLimiter`]), CPU (fuel), wall time (epoch ticks) and
//! output bytes. A guest that hits a limit ends *its* run with [`GuestExit::Limit`].
//!
//! Guest HTTP (wasi:http outgoing) goes through the [`Egress`] policy (see `egress.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store, Trap};
use wasmtime_wasi::p2::bindings::sync::CommandPre;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::egress::{Egress, EgressHooks};
use crate::RunOutput;

/// How often the epoch advances: the wall-time limit's resolution.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// The epoch deadline of a run without a wall-time limit: wasmtime adds it to the current
/// epoch, so `u64::MAX` would wrap into the past (this is about a billion years of ticks).
const NO_DEADLINE: u64 = u64::MAX / 4;

/// What the engine is sized for: how many guests run at once and the most memory any may use.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Guests that run at the same time (the server's workers); pooling slots are sized for it.
    pub concurrency: u32,
    /// The largest linear memory any guest may have, in bytes (per-run limits are below it).
    pub max_memory_bytes: u64,
    /// Where compiled artifacts are kept (`<hash>-<engine>.cwasm`).
    pub cache_dir: PathBuf,
}

/// The limits of one run.
#[derive(Debug, Clone)]
pub struct GuestLimits {
    /// Linear memory in bytes (`MEMORY_LIMIT_EXCEEDED` beyond it).
    pub memory_bytes: u64,
    /// Fuel (about one unit per wasm instruction; `CPU_LIMIT_EXCEEDED` when spent); `None`:
    /// unlimited.
    pub fuel: Option<u64>,
    /// Wall time of the run (`TIMEOUT`); `None`: unlimited. Time blocked in host calls
    /// (a short sleep, an HTTP request) counts once the guest runs again.
    pub wall_time: Option<Duration>,
    /// Bytes kept of stdout and of stderr each (`OUTPUT_LIMIT_EXCEEDED` beyond it).
    pub max_output_bytes: usize,
}

/// One run: stdin bytes, the environment, limits and the egress policy.
#[derive(Debug, Clone)]
pub struct GuestRun {
    pub stdin: Vec<u8>,
    pub env: Vec<(String, String)>,
    pub limits: GuestLimits,
    pub egress: Egress,
}

/// How a run ended.
#[derive(Debug)]
pub enum GuestExit {
    /// The guest exited (its code: 0 or 1 from `wasi:cli/run`, or an explicit exit).
    Exited(RunOutput),
    /// The guest hit a limit: `code` is `MEMORY_LIMIT_EXCEEDED`, `CPU_LIMIT_EXCEEDED`,
    /// `TIMEOUT` or `OUTPUT_LIMIT_EXCEEDED`.
    Limit { code: &'static str, message: String, output: RunOutput },
    /// The guest trapped (a bug, an abort): may succeed when relaunched.
    Trapped { message: String, output: RunOutput },
}

/// A compiled, pre-instantiated artifact.
type Prepared = CommandPre<Guest>;

/// The engine, its linker and the artifacts prepared so far. Share it (`Arc`) between
/// worker threads; [`GuestHost::run`] blocks its thread for the whole run.
pub struct GuestHost {
    engine: Engine,
    linker: Linker<Guest>,
    cache_dir: PathBuf,
    prepared: Mutex<HashMap<String, Prepared>>,
}

/// Per-run host state.
struct Guest {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    hooks: EgressHooks,
    table: ResourceTable,
    limiter: MemoryLimiter,
}

impl WasiView for Guest {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl WasiHttpView for Guest {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.hooks }
    }
}

/// Refuses growth beyond the run's memory limit and remembers that it did.
/// Caps linear memory (and tables at 1M elements); `exceeded` records a refused growth.
pub(crate) struct MemoryLimiter {
    pub(crate) max_bytes: usize,
    pub(crate) exceeded: bool,
    /// The largest size any linear memory was allowed to reach, bytes.
    pub(crate) peak_bytes: usize,
}

impl MemoryLimiter {
    /// A limiter refusing growth past `max_bytes`.
    pub(crate) fn new(max_bytes: usize) -> MemoryLimiter {
        MemoryLimiter { max_bytes, exceeded: false, peak_bytes: 0 }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.max_bytes {
            self.exceeded = true;
            let limit = self.max_bytes;
            return Err(wasmtime::Error::msg(format!(
                "linear memory of {desired} bytes is over the limit of {limit} bytes"
            )));
        }
        self.peak_bytes = self.peak_bytes.max(desired);
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

impl GuestHost {
    /// Builds the engine (pooling allocator, fuel, epoch interruption) and starts the epoch
    /// ticker thread. Errors: the engine configuration is refused (e.g. no virtual memory for
    /// the pool), the cache directory cannot be created.
    pub fn new(config: &HostConfig) -> anyhow::Result<Arc<GuestHost>> {
        std::fs::create_dir_all(&config.cache_dir)
            .with_context(|| format!("cannot create {}", config.cache_dir.display()))?;
        let mut pool = PoolingAllocationConfig::new();
        // A rustc-built component has a handful of core instances, one memory and one table
        // per instance; room for twice the concurrency covers slots being torn down.
        let slots = config.concurrency.max(1) * 2;
        pool.total_component_instances(slots)
            .total_core_instances(slots * 8)
            .total_memories(slots * 2)
            .total_tables(slots * 8)
            .max_memory_size(usize::try_from(config.max_memory_bytes).unwrap_or(usize::MAX));
        let mut wasm = Config::new();
        wasm.wasm_component_model(true)
            .consume_fuel(true)
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine =
            Engine::new(&wasm).map_err(|e| anyhow::anyhow!("the wasmtime engine configuration was refused: {e:#}"))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
        let ticker = engine.weak();
        std::thread::Builder::new().name("runtara-epoch".into()).spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })?;
        Ok(Arc::new(GuestHost { engine, linker, cache_dir: config.cache_dir.clone(), prepared: Mutex::default() }))
    }

    /// Compiles (or loads from the cache) and pre-instantiates the component `wasm` known by
    /// its sha256 `hash`. Cheap when already prepared. Errors: not a component, or one
    /// whose imports the linker does not provide.
    pub fn prepare(&self, hash: &str, wasm: &Path) -> anyhow::Result<()> {
        if self.lock().contains_key(hash) {
            return Ok(());
        }
        let bytes = std::fs::read(wasm)?;
        let (component, _) = crate::code_cache::CodeCache::new(&self.cache_dir)
            .component(&self.engine, hash, &bytes)
            .map_err(|e| anyhow::anyhow!("{} is not a loadable component: {e}", wasm.display()))?;
        let pre = CommandPre::new(self.linker.instantiate_pre(&component)?)?;
        self.lock().insert(hash.to_string(), pre);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Prepared>> {
        self.prepared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Instantiates the prepared artifact `hash` in a fresh store and drops it without
    /// running it: what every launch pays before the guest starts (benchmarks).
    pub fn instantiate_only(&self, hash: &str) -> anyhow::Result<()> {
        let pre = self.prepared(hash)?;
        let unlimited = GuestLimits { memory_bytes: u64::MAX, fuel: None, wall_time: None, max_output_bytes: 0 };
        let mut store = self.store(WasiCtxBuilder::new().build(), Egress::default(), &unlimited)?;
        pre.instantiate(&mut store)?;
        Ok(())
    }

    fn prepared(&self, hash: &str) -> anyhow::Result<Prepared> {
        self.lock().get(hash).cloned().with_context(|| format!("artifact {hash} is not prepared"))
    }

    /// A store for one run: the guest's WASI context, its egress policy, and the memory,
    /// fuel and wall-time limits of `limits`.
    fn store(&self, wasi: WasiCtx, egress: Egress, limits: &GuestLimits) -> anyhow::Result<Store<Guest>> {
        let limiter = MemoryLimiter::new(usize::try_from(limits.memory_bytes).unwrap_or(usize::MAX));
        let guest = Guest {
            wasi,
            http: WasiHttpCtx::new(),
            hooks: EgressHooks::new(egress),
            table: ResourceTable::new(),
            limiter,
        };
        let mut store = Store::new(&self.engine, guest);
        store.limiter(|g| &mut g.limiter);
        store.set_fuel(limits.fuel.unwrap_or(u64::MAX))?;
        let ticks = limits.wall_time.map_or(NO_DEADLINE, |t| (t.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64);
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        Ok(store)
    }

    /// Runs the prepared artifact `hash` to its end. Errors: `hash` was not prepared, or
    /// instantiation failed (pool exhausted); a trap or a limit is a [`GuestExit`].
    pub fn run(&self, hash: &str, run: GuestRun) -> anyhow::Result<GuestExit> {
        let pre = self.prepared(hash)?;
        let cap = run.limits.max_output_bytes.max(1);
        let (stdout, stderr) = (MemoryOutputPipe::new(cap), MemoryOutputPipe::new(cap));
        let mut wasi = WasiCtxBuilder::new();
        wasi.stdin(MemoryInputPipe::new(run.stdin)).stdout(stdout.clone()).stderr(stderr.clone()).args(&["workflow"]);
        for (k, v) in &run.env {
            wasi.env(k, v);
        }
        let mut store = self.store(wasi.build(), run.egress, &run.limits)?;
        let result = pre.instantiate(&mut store).and_then(|command| command.wasi_cli_run().call_run(&mut store));
        let out = |extra: &str| {
            let mut err = stderr.contents().to_vec();
            err.extend_from_slice(extra.as_bytes());
            RunOutput {
                exit_code: 1,
                stdout: stdout.contents().to_vec(),
                stderr: err,
                memory_peak_bytes: None,
                code_cache_hit: None,
                code_tier: None,
            }
        };
        let overflow = stdout.contents().len() >= cap || stderr.contents().len() >= cap;
        let error = match result {
            Ok(Ok(())) if !overflow => return Ok(GuestExit::Exited(RunOutput { exit_code: 0, ..out("") })),
            Ok(Err(())) if !overflow => return Ok(GuestExit::Exited(out(""))),
            Ok(_) => None,
            Err(e) => Some(e),
        };
        if let Some(I32Exit(code)) = error.as_ref().and_then(|e| e.downcast_ref::<I32Exit>()) {
            if !overflow {
                return Ok(GuestExit::Exited(RunOutput { exit_code: *code, ..out("") }));
            }
        }
        let trap = error.as_ref().and_then(|e| e.downcast_ref::<Trap>()).copied();
        let text = error.as_ref().map(|e| format!("{e:#}")).unwrap_or_default();
        let limit = |code, message: String| Ok(GuestExit::Limit { code, message, output: out("") });
        if store.data().limiter.exceeded {
            return limit(
                "MEMORY_LIMIT_EXCEEDED",
                format!("the instance exceeded its memory limit of {} bytes", run.limits.memory_bytes),
            );
        }
        match trap {
            Some(Trap::OutOfFuel) => limit("CPU_LIMIT_EXCEEDED", "the instance used up its CPU budget (fuel)".into()),
            Some(Trap::Interrupt) => limit(
                "TIMEOUT",
                format!(
                    "the instance ran longer than its wall-time limit of {:?}",
                    run.limits.wall_time.unwrap_or_default()
                ),
            ),
            _ if overflow => {
                limit("OUTPUT_LIMIT_EXCEEDED", format!("the instance wrote more than {cap} bytes to stdout or stderr"))
            }
            _ => Ok(GuestExit::Trapped {
                message: format!("wasm trap: {text}"),
                output: out(&format!("wasm trap: {text}\n")),
            }),
        }
    }
}
