//! runtara-serve: the execution environment behind `runtara serve` (DESIGN §2, §6).
//!
//! One process holds the state service's API (`runtara_core`, unchanged), a management API,
//! a scheduler and a pool of workers that run instances as wasm32-wasip2 components
//! in-process (`runtara_runner::GuestHost`). Instances checkpoint to the same process over
//! loopback HTTP, exactly as they would to `runtara core`.
//!
//! | method & path | body → answer |
//! |---|---|
//! | `POST /api/v1/workflows?workflowId=ID[&memoryBytes=&fuel=&wallTimeMs=&maxRestarts=&allowHosts=h1,h2]` | a graph (JSON) or a component (`\0asm…`) → 201 `{workflowId, version, artifact, source}`; 400/422 with `{error}` |
//! | `POST /api/v1/workflows/validate` | a graph → 200 `{valid, errors: [{code, stepId, path, message, hint}], warnings}` (as `runtara validate --format json`); 400 for a body that is no graph |
//! | `GET /api/v1/workflows` | → `[{workflowId, latestVersion}]` |
//! | `GET /api/v1/workflows/{id}` | → `{workflowId, versions: [{version, artifact, source, created, settings}]}` |
//! | `DELETE /api/v1/workflows/{id}` | → `{}`; started instances keep running |
//! | `POST /api/v1/instances` | `{workflowId, version?, input?, instanceId?}` → 202 `{instanceId, workflowId, version, created}` |
//! | `POST /api/v1/proxy` | an agent's request envelope `{method, url, headers?, body? \| body_raw?, timeout_ms?}` (from an instance: `X-Runtara-Instance-Id`) → 200 `{status, headers, body}`; 403 when the deployment's egress policy refuses the destination, 502 when the request fails |
//! | `POST /api/v1/instances/{id}/migrate` | `{toVersion}` → 200 `{instanceId, workflowId, fromVersion, toVersion}`; 409 naming the changed steps whose checkpoints hold results |
//! | `GET /api/v1/workflows/{id}/versions/{v}/graph.svg` | the deployed graph's picture (runtara-draw); 404 for a component |
//! | `GET /api/v1/runs` | → `[{id, workflowId, version, status}]`, the tenant's instances (at most 1,000) |
//! | `GET /api/v1/instances/{id}/run` | → `{workflowId, version, input, debug}` |
//! | `GET /` | the web console (static files; its API calls carry the token) |
//!
//! Every other route under `/api/v1/instances/{id}/…` is the state service's (see `runtara_core`):
//! status, signals (`pause`/`resume`/`cancel` and custom), events.
//!
//! Statuses: `pending` → `running` → `completed` | `failed` | `cancelled` | `crashed`, with
//! `sleeping` (in a durable Delay), `waiting` (a WaitForSignal without its signal) and
//! `suspended` (paused) in between. A Delay up to `--yield-after-ms` sleeps in its worker,
//! still claimed; a longer one, a wait and a suspension leave it, and the scheduler
//! relaunches a sleeper at its deadline, a waiter when its signal (or timeout) arrives, a
//! suspended instance when resumed.

mod api;
mod console;
mod db;
mod deploy;
mod migrate;
mod policy;
mod proxy;
mod scheduler;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use runtara_runner::{GuestHost, HostConfig};

pub use deploy::Settings;
pub use policy::check as check_artifact;

/// Server-wide limits: the defaults of deployments that set none, and the maximum memory.
#[derive(Debug, Clone)]
pub struct ServerLimits {
    /// Linear memory of an instance, bytes (default `RUNTARA_INSTANCE_MEMORY_MAX_BYTES`, else
    /// 256 MiB).
    pub memory_bytes: u64,
    /// The most memory a deployment may ask for, bytes.
    pub max_memory_bytes: u64,
    /// CPU per launch, fuel units (`None`: unlimited).
    pub fuel: Option<u64>,
    /// Wall time per launch (`None`: unlimited).
    pub wall_time: Option<Duration>,
    /// Relaunches after traps before an instance is `crashed`.
    pub max_restarts: u32,
    /// Bytes of stdout and of stderr kept per launch.
    pub max_output_bytes: usize,
}

impl Default for ServerLimits {
    /// 256 MiB (or `RUNTARA_INSTANCE_MEMORY_MAX_BYTES`) of memory, at most 4 GiB;
    /// 20·10⁹ fuel (tens of seconds of CPU); 15 minutes of wall time; 3 restarts; 64 MiB
    /// of output per stream.
    fn default() -> Self {
        let memory = std::env::var("RUNTARA_INSTANCE_MEMORY_MAX_BYTES").ok().and_then(|v| v.trim().parse().ok());
        ServerLimits {
            memory_bytes: memory.unwrap_or(256 << 20),
            max_memory_bytes: memory.unwrap_or(0).max(4 << 30),
            fuel: Some(20_000_000_000),
            wall_time: Some(Duration::from_secs(15 * 60)),
            max_restarts: 3,
            max_output_bytes: 64 << 20,
        }
    }
}

/// The settings of `runtara serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// `host:port` to listen on (port 0: any free port, printed on start).
    pub listen: String,
    /// `sqlite:PATH` or a `postgres://` URL.
    pub db: String,
    /// Artifacts and the compiled-code cache.
    pub data_dir: PathBuf,
    /// Instances run at the same time.
    pub workers: usize,
    /// The bearer token every request (and every instance) must carry.
    pub token: Option<String>,
    pub limits: ServerLimits,
    /// A durable Delay longer than this (ms) leaves its worker; a shorter one sleeps in it.
    /// (A WaitForSignal whose signal has not arrived always leaves.)
    pub yield_after_ms: u64,
    /// How long a drain (SIGTERM) waits for running instances to suspend.
    pub grace: Duration,
    /// Finished instances (with their checkpoints and events) are removed this long after
    /// they finished; `None`: kept.
    pub retain: Option<Duration>,
    /// How long a claim holds without renewal: a server that stops renewing (killed,
    /// paused, cut off) loses its instances to the others after this long.
    pub lease: Duration,
    /// Connections `{"<id>": {"integrationId", "parameters": {"baseUrl", "apiKey",
    /// "headers"}}}` (the format of `runtara run --connections`): the proxy applies their
    /// credentials and refuses requests naming any other connection; instances see only each
    /// one's `integrationId` and `baseUrl`.
    pub connections: serde_json::Map<String, serde_json::Value>,
}

/// Shared state of the running server.
pub struct Server {
    config: ServeConfig,
    db: db::Db,
    host: Arc<GuestHost>,
    /// `http://127.0.0.1:PORT`: where instances reach the state API.
    state_url: String,
    /// This process's name in claims (random per start).
    owner: String,
    /// Answers instances' requests to `state_url` in-process (set once the routes exist).
    local: std::sync::OnceLock<runtara_runner::LocalHandler>,
    scheduler: scheduler::Scheduler,
}

impl Server {
    fn artifacts_dir(&self) -> PathBuf {
        self.config.data_dir.join("artifacts")
    }

    fn artifact_path(&self, hash: &str) -> PathBuf {
        self.artifacts_dir().join(format!("{hash}.wasm"))
    }
}

/// Runs the server until SIGTERM/SIGINT, then drains: no new launches, running instances
/// are paused (they suspend at their next step boundary and resume when a server starts
/// again) and awaited for `grace`.
///
/// Errors: the database, data directory or address cannot be used, or the wasmtime engine
/// cannot be configured.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let store = runtara_core::Store::open(&config.db)?;
    let db = db::Db::open(store.clone())?;
    std::fs::create_dir_all(config.data_dir.join("artifacts"))
        .with_context(|| format!("cannot create {}", config.data_dir.display()))?;
    let host = GuestHost::new(&HostConfig {
        concurrency: config.workers as u32,
        max_memory_bytes: config.limits.max_memory_bytes,
        cache_dir: config.data_dir.join("cache"),
    })?;
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let recovered = db.recover()?;
    let server = Arc::new(Server {
        state_url: format!("http://127.0.0.1:{}", addr.port()),
        owner: owner_name()?,
        local: std::sync::OnceLock::new(),
        scheduler: scheduler::Scheduler::new(config.workers),
        config,
        db,
        host,
    });
    // The console's static files need no token (they hold no data; its API calls do).
    let app = runtara_core::router_with(store, server.config.token.clone(), api::routes(server.clone()))
        .merge(console::routes());
    let _ = server.local.set(in_process(app.clone()));
    scheduler::start(&server)?;
    eprintln!(
        "runtara serve: listening on http://{addr} ({} workers, data in {}; {recovered} instance(s) recovered)",
        server.config.workers,
        server.config.data_dir.display()
    );
    let draining = server.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            let _ = tokio::task::spawn_blocking(move || scheduler::drain(&draining)).await;
        })
        .await?;
    Ok(())
}

/// A random name for this process's claims: `srv_` + 16 hex digits.
fn owner_name() -> anyhow::Result<String> {
    random_id("srv_", 8)
}

/// `prefix` + `bytes` random bytes in hex. Errors: no system randomness.
fn random_id(prefix: &str, bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    getrandom::getrandom(&mut buf).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    Ok(format!("{prefix}{}", buf.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

/// The state API as an in-process handler: instances' requests to this server skip the
/// network but pass the same routes and authentication.
fn in_process(app: axum::Router) -> runtara_runner::LocalHandler {
    use tower::ServiceExt;
    runtara_runner::LocalHandler(Arc::new(move |req: axum::http::Request<axum::body::Bytes>| {
        let app = app.clone();
        Box::pin(async move {
            let response = match app.oneshot(req.map(axum::body::Body::from)).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            let (parts, body) = response.into_parts();
            // Answers are bounded by the state API itself (checkpoints ≤ the body limit).
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
            axum::http::Response::from_parts(parts, bytes)
        })
    }))
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(t) => t,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
