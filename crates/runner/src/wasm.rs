//! wasm32-wasip2 components and wasm32-wasip1 modules in embedded wasmtime, with stdin,
//! stdout and stderr as memory pipes and the `RUNTARA_*` environment. Components also get
//! wasi:http (outgoing requests), which the http backend and network capabilities use.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use wasmtime::component::{Component, Linker as ComponentLinker, ResourceTable};
use wasmtime::{Config, Linker, Module, Store};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::code_cache::{CodeCache, Loaded, Source as CodeSource, Tier, TieredEngines};
use crate::{RunOutput, RunRequest};

/// Output pipes hold at most this many bytes (64 MiB).
const PIPE_CAPACITY: usize = 64 << 20;

/// How long a run's guest must take before its Winch code is replaced by cranelift's: about
/// what that compile costs (0.3 µs per byte of component here: 0.15 s for examples/01's 0.5 MB
/// debug component), at least 100 ms. A run as long as the compile it saves would pay for
/// it; shorter runs keep the Winch code.
fn promote_after(component_bytes: usize) -> Duration {
    Duration::from_nanos(300 * component_bytes as u64).max(Duration::from_millis(100))
}

fn engines() -> &'static TieredEngines {
    static ENGINES: OnceLock<TieredEngines> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let mut config = Config::new();
        config.wasm_component_model(true);
        TieredEngines::new(&mut config).expect("the default wasmtime config is valid")
    })
}

/// What one component instance holds: its WASI and wasi:http contexts, their resource
/// table and its memory limiter (for `runtara run` and the `--listen` server alike).
pub(crate) struct Host {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    limits: crate::guest::MemoryLimiter,
}

impl Host {
    /// A fresh instance state over `wasi`, growth capped by `limits` once installed.
    pub(crate) fn new(wasi: WasiCtx, limits: crate::guest::MemoryLimiter) -> Host {
        Host { wasi, http: WasiHttpCtx::new(), table: ResourceTable::new(), limits }
    }
}

impl WasiHttpView for Host {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: Default::default() }
    }
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

fn build_ctx(path: &Path, req: &RunRequest) -> anyhow::Result<(WasiCtxBuilder, MemoryOutputPipe, MemoryOutputPipe)> {
    let stdout = MemoryOutputPipe::new(PIPE_CAPACITY);
    let stderr = MemoryOutputPipe::new(PIPE_CAPACITY);
    let mut b = WasiCtxBuilder::new();
    b.stdin(MemoryInputPipe::new(req.stdin.clone()))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .args(&[path.file_name().and_then(|n| n.to_str()).unwrap_or("workflow")]);
    for (k, v) in &req.env {
        b.env(k, v);
    }
    if let Some(dir) = &req.workspace {
        b.preopened_dir(dir, crate::GUEST_WORKSPACE, FsPerms::ReadWrite)
            .map_err(|e| anyhow::anyhow!("workspace {}: {e}", dir.display()))?;
        b.env(crate::WORKSPACE_ENV, crate::GUEST_WORKSPACE);
    }
    Ok((b, stdout, stderr))
}

fn exit_code(result: anyhow::Result<()>) -> anyhow::Result<i32> {
    match result {
        Ok(()) => Ok(0),
        Err(e) => match e.downcast_ref::<I32Exit>() {
            Some(I32Exit(code)) => Ok(*code),
            None => Err(e),
        },
    }
}

/// Runs a WASI P2 component's `wasi:cli/run`. With a code cache, a component the cache has
/// not seen is compiled by Winch and promoted to cranelift after a run of at least
/// [`promote_after`]; without one, cranelift compiles it for this run.
pub fn run_component(path: &Path, req: &RunRequest) -> anyhow::Result<RunOutput> {
    let engines = engines();
    let not_loadable =
        |e: &dyn std::fmt::Display| anyhow::anyhow!("{} is not a loadable component: {e}", path.display());
    let (loaded, cache) = match &req.code_cache {
        Some(dir) => {
            let bytes = std::fs::read(path)?;
            let cache = CodeCache::new(dir);
            let hash = CodeCache::hash(&bytes);
            (cache.tiered(engines, &hash, &bytes).map_err(|e| not_loadable(&e))?, Some((cache, hash, bytes)))
        }
        None => {
            let component = Component::from_file(&engines.optimized, path).map_err(|e| not_loadable(&e))?;
            (Loaded { component, source: CodeSource::Compiled, tier: Tier::Optimized }, None)
        }
    };
    let engine = engines.get(loaded.tier);
    let component = loaded.component;
    let mut linker = ComponentLinker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)?;
    let (mut b, stdout, stderr) = build_ctx(path, req)?;
    let limits = crate::guest::MemoryLimiter::new(req.limits.max_memory_bytes.unwrap_or(usize::MAX));
    let host = Host::new(b.build(), limits);
    let mut store = Store::new(engine, host);
    store.limiter(|h| &mut h.limits);
    let command = Command::instantiate(&mut store, &component, &linker)?;
    let started = Instant::now();
    let ran = command.wasi_cli_run().call_run(&mut store);
    if let (Tier::Baseline, Some((cache, hash, bytes))) = (loaded.tier, &cache) {
        if started.elapsed() >= promote_after(bytes.len()) {
            // A failed promotion leaves the Winch entry: the next long run tries again.
            let _ = cache.promote(engines, hash, bytes);
        }
    }
    let code = |out: RunOutput| RunOutput {
        code_cache_hit: cache.as_ref().map(|_| loaded.source == CodeSource::Cache),
        code_tier: Some(loaded.tier),
        ..out
    };
    let result = match ran {
        Ok(Ok(())) => Ok(()),
        Ok(Err(())) => return Ok(code(output(1, &stdout, &stderr, None))),
        Err(e) => Err(anyhow::Error::from(e)),
    };
    if result.is_err() && store.data().limits.exceeded {
        let max = store.data().limits.max_bytes;
        let error = serde_json::json!({
            "code": "MEMORY_LIMIT_EXCEEDED", "category": "limit", "severity": "error",
            "message": format!("the component's linear memory would grow past the limit of {max} bytes (--max-memory)"),
        });
        return Ok(code(output(1, &stdout, &stderr, Some(format!("{error}\n")))));
    }
    let peak = store.data().limits.peak_bytes as u64;
    Ok(RunOutput { memory_peak_bytes: Some(peak), ..code(finish(result, &stdout, &stderr)) })
}

/// Runs a WASI P1 module's `_start`.
pub fn run_module(path: &Path, req: &RunRequest) -> anyhow::Result<RunOutput> {
    let engine = &engines().optimized;
    let module = Module::from_file(engine, path)
        .map_err(|e| anyhow::anyhow!("{} is not a loadable module: {e}", path.display()))?;
    let mut linker: Linker<wasmtime_wasi::p1::WasiP1Ctx> = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |t| t)?;
    let (mut b, stdout, stderr) = build_ctx(path, req)?;
    let mut store = Store::new(engine, b.build_p1());
    let instance = linker.instantiate(&mut store, &module)?;
    let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
    Ok(finish(start.call(&mut store, ()).map_err(anyhow::Error::from), &stdout, &stderr))
}

/// The run's output: an explicit exit gives its code; a trap is exit 1 with the trap
/// appended to stderr.
fn finish(result: anyhow::Result<()>, stdout: &MemoryOutputPipe, stderr: &MemoryOutputPipe) -> RunOutput {
    match exit_code(result) {
        Ok(code) => output(code, stdout, stderr, None),
        Err(trap) => output(1, stdout, stderr, Some(format!("wasm trap: {trap}\n"))),
    }
}

fn output(exit_code: i32, stdout: &MemoryOutputPipe, stderr: &MemoryOutputPipe, extra: Option<String>) -> RunOutput {
    let mut err = stderr.contents().to_vec();
    err.extend_from_slice(extra.unwrap_or_default().as_bytes());
    RunOutput {
        exit_code,
        stdout: stdout.contents().to_vec(),
        stderr: err,
        memory_peak_bytes: None,
        code_cache_hit: None,
        code_tier: None,
    }
}
