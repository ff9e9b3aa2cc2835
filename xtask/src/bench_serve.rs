//! `cargo xtask bench --only serve`: the execution environment, measured on release builds
//! (a debug xtask rebuilds itself and `runtara` with `--release` and runs again).
//!
//! Goals: (a) ≥ 500 completed instances/s of a 10-step workflow started through the API
//! (SQLite); (b) instantiating a cached component ≤ 50 µs; (c) wake-up lateness p50/p99 of
//! 200 durable sleepers (goal p99 ≤ 100 ms).
//!
//! `--only scale` (needs `RUNTARA_TEST_POSTGRES_URL`): completed instances/s with 1, 2 and
//! 3 servers on one PostgreSQL, and how long another server takes to take over an instance
//! after its server is killed (goal ≤ 2× the lease).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use runtara_e2e::cli::workspace_root;
use runtara_e2e::serve::ServeServer;
use runtara_e2e::stub::{Reply, StubServer};
use serde_json::{json, Value};

use crate::bench::{chain_workflow, verdict};

/// Runs the section, on release builds.
pub fn serve() -> Result<()> {
    if !crate::bench_serve::released() {
        return rerun_released("serve");
    }
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let data = dir.path().join("data");
    let server = ServeServer::start(&db, &data, &["--workers", "4", "--yield-after-ms", "500"]);
    let artifact = throughput(&server)?;
    instantiate(&data, &artifact)?;
    lateness(&server)?;
    Ok(())
}

/// Whether this is a release xtask driving a release runtara (`RUNTARA_BIN`, set by
/// [`rerun_released`]): a release xtask run by `cargo run --release` would otherwise build
/// and time the debug runtara (its core server, its wasmtime).
pub(crate) fn released() -> bool {
    !cfg!(debug_assertions) && std::env::var_os("RUNTARA_BIN").is_some()
}

/// Builds xtask and runtara with `--release` and runs `section` with them.
pub(crate) fn rerun_released(section: &str) -> Result<()> {
    let root = workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root.join("target"));
    eprintln!("xtask: building runtara and xtask with --release for the {section} benchmark");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = std::process::Command::new(&cargo)
        .current_dir(&root)
        .args(["build", "--release", "-p", "runtara-cli", "-p", "xtask"])
        .status()?;
    if !built.success() {
        bail!("the release build failed");
    }
    let status = std::process::Command::new(target.join("release/xtask"))
        .args(["bench", "--only", section])
        .env("RUNTARA_BIN", target.join("release/runtara"))
        .status()?;
    if !status.success() {
        bail!("the release {section} benchmark failed");
    }
    Ok(())
}

fn deploy(server: &ServeServer, id: &str, graph: &Value, settings: &str) -> Result<String> {
    let (status, answer) = server.post_raw(
        &format!("workflows?workflowId={id}{settings}"),
        graph.to_string().into_bytes(),
        "application/json",
    );
    if status != 201 {
        bail!("deploying {id}: {status} {answer}\n{}", server.log());
    }
    Ok(answer["artifact"].as_str().unwrap_or_default().to_string())
}

/// Starts `n` instances of `workflow` as fast as the API takes them; returns their ids.
fn start(server: &ServeServer, workflow: &str, n: usize, input: impl Fn(usize) -> Value) -> Result<Vec<String>> {
    (0..n)
        .map(|i| {
            let id = format!("{workflow}-{i}");
            let body = json!({"workflowId": workflow, "instanceId": id, "input": input(i)});
            match server.api("POST", "instances", Some(&body)) {
                (202, _) => Ok(id),
                (status, answer) => bail!("start {id}: {status} {answer}"),
            }
        })
        .collect()
}

/// Waits until the server lists `n` instances as completed.
fn wait_completed(server: &ServeServer, n: usize, limit: Duration) -> Result<()> {
    let started = Instant::now();
    loop {
        let (_, list) = server.api("GET", "instances", None);
        let done = list.as_array().map_or(0, |l| l.iter().filter(|i| i["status"] == "completed").count());
        if done >= n {
            return Ok(());
        }
        if started.elapsed() > limit {
            bail!("only {done} of {n} instances completed in {limit:?}\n{}", server.log());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// (a) Completed instances per second of a 10-step workflow started through the API.
fn throughput(server: &ServeServer) -> Result<String> {
    let artifact = deploy(server, "chain", &chain_workflow(10), "")?;
    let n = 500;
    let t = Instant::now();
    start(server, "chain", n, |i| json!({"seed": i}))?;
    wait_completed(server, n, Duration::from_secs(600))?;
    let rate = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "serve: {n} instances of a 10-step workflow started through the API and completed (SQLite): {rate:.0}/s (goal ≥ 500/s: {})",
        verdict(rate >= 500.0)
    );
    Ok(artifact)
}

/// (b) Instantiating a cached, pre-instantiated component (no run).
fn instantiate(data: &std::path::Path, artifact: &str) -> Result<()> {
    let host = runtara_runner::GuestHost::new(&runtara_runner::HostConfig {
        concurrency: 4,
        max_memory_bytes: 256 << 20,
        cache_dir: data.join("cache"),
    })?;
    host.prepare(artifact, &data.join("artifacts").join(format!("{artifact}.wasm")))
        .context("the deployed artifact loads")?;
    for _ in 0..50 {
        host.instantiate_only(artifact)?;
    }
    let mut times: Vec<Duration> = (0..1000)
        .map(|_| {
            let t = Instant::now();
            host.instantiate_only(artifact).map(|_| t.elapsed())
        })
        .collect::<Result<_>>()?;
    times.sort();
    let p50 = times[times.len() / 2].as_secs_f64() * 1e6;
    println!("serve: instantiate a cached component: p50 {p50:.1} µs (goal ≤ 50 µs: {})", verdict(p50 <= 50.0));
    Ok(())
}

/// (c) How late 200 sleepers (2 s durable Delay, off their workers) run again: the time a
/// stub receives their first request after the sleep minus the checkpointed deadline.
fn lateness(server: &ServeServer) -> Result<()> {
    let stub = StubServer::start(vec![], Some(Reply { status: 200, body: json!({}) }));
    let authority = stub.url.trim_start_matches("http://");
    let graph = json!({
        "name": "Sleeper", "entryPoint": "nap",
        "inputSchema": { "url": { "type": "string" }, "id": { "type": "string" } },
        "steps": {
            "nap": { "stepType": "Delay", "id": "nap", "durationMs": { "valueType": "immediate", "value": 2000 } },
            "ping": { "stepType": "Agent", "id": "ping", "agentId": "http", "capabilityId": "http-request",
                "inputMapping": { "url": { "valueType": "reference", "value": "data.url" },
                    "method": { "valueType": "immediate", "value": "POST" },
                    "body": { "valueType": "composite", "value": { "id": { "valueType": "reference", "value": "data.id" } } } } },
            "done": { "stepType": "Finish", "id": "done" } },
        "executionPlan": [ { "fromStep": "nap", "toStep": "ping" }, { "fromStep": "ping", "toStep": "done" } ]
    });
    deploy(server, "sleeper", &graph, &format!("&allowHosts={authority}"))?;
    let n = 200;
    let ids =
        start(server, "sleeper", n, |i| json!({"url": format!("{}/woke", stub.url), "id": format!("sleeper-{i}")}))?;
    wait_completed(server, n + 500, Duration::from_secs(300))?;
    let mut late = Vec::new();
    for r in stub.requests() {
        let id = r.body["id"].as_str().unwrap_or_default();
        let (_, cp) = server.api("GET", &format!("instances/{id}/checkpoints/sleeper::nap::sleep"), None);
        let deadline = cp["state"]["deadline_ms"].as_u64().with_context(|| format!("{id}: no deadline: {cp}"))?;
        late.push(r.received_ms.saturating_sub(deadline));
    }
    if late.len() != ids.len() {
        bail!("{} of {} sleepers woke", late.len(), ids.len());
    }
    late.sort();
    let (p50, p99) = (late[late.len() / 2], late[late.len() * 99 / 100]);
    println!(
        "serve: wake-up lateness of {n} sleepers: p50 {p50} ms, p99 {p99} ms (goal p99 ≤ 100 ms: {})",
        verdict(p99 <= 100)
    );
    Ok(())
}

/// Completed instances/s with 1, 2 and 3 servers on one PostgreSQL, and the takeover time
/// after a SIGKILL.
pub fn scale() -> Result<()> {
    if !crate::bench_serve::released() {
        return rerun_released("scale");
    }
    if std::env::var(runtara_e2e::core::POSTGRES_ENV).is_err() {
        println!("scale: SKIPPED: set {} (scripts/start-postgres.sh starts a server)", runtara_e2e::core::POSTGRES_ENV);
        return Ok(());
    }
    let flags = ["--workers", "4", "--lease-secs", "2"];
    for n in 1..=3usize {
        let dir = tempfile::tempdir()?;
        let db = runtara_e2e::core::databases(dir.path()).pop().context("a PostgreSQL database")?;
        let data = |i: usize| dir.path().join(format!("s{i}"));
        let mut servers = vec![ServeServer::start(&db, &data(0), &flags)];
        deploy(&servers[0], "chain", &chain_workflow(10), "")?;
        // Steady state: one instance compiles the component, and every further server
        // starts with that server's cache (compiling costs seconds of a core on each).
        let warm_up = json!({"workflowId": "chain", "instanceId": "warm-up", "input": {"seed": 0}});
        servers[0].api("POST", "instances", Some(&warm_up));
        wait_completed(&servers[0], 1, Duration::from_secs(120))?;
        for i in 1..n {
            copy_dir(&data(0), &data(i))?;
            servers.push(ServeServer::start(&db, &data(i), &flags));
        }
        let count = 300;
        let t = Instant::now();
        start(&servers[0], "chain", count, |i| json!({"seed": i}))?;
        wait_completed(&servers[0], count + 1, Duration::from_secs(600))?;
        let rate = count as f64 / t.elapsed().as_secs_f64();
        println!("scale: {n} server(s) on PostgreSQL, {count} instances of a 10-step workflow: {rate:.0} completed/s");
    }
    takeover(&flags)
}

/// Copies the files of `from` (a server's data directory: artifacts and compiled code)
/// into `to`.
fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Kills the server running an instance (its only step waits on a slow stub) and times
/// how long until another server's run of it reaches the stub.
fn takeover(flags: &[&str]) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let db = runtara_e2e::core::databases(dir.path()).pop().context("a PostgreSQL database")?;
    let stub = StubServer::start_slow(vec![], Some(Reply { status: 200, body: json!({}) }), Duration::from_secs(30));
    let authority = stub.url.trim_start_matches("http://");
    let graph = json!({
        "name": "Slow call", "entryPoint": "call",
        "inputSchema": { "url": { "type": "string" } },
        "steps": {
            "call": { "stepType": "Agent", "id": "call", "agentId": "http", "capabilityId": "http-request",
                "inputMapping": { "url": { "valueType": "reference", "value": "data.url" },
                    "timeout_ms": { "valueType": "immediate", "value": 60000 } } },
            "done": { "stepType": "Finish", "id": "done" } },
        "executionPlan": [ { "fromStep": "call", "toStep": "done" } ]
    });
    let mut first = ServeServer::start(&db, &dir.path().join("a"), flags);
    deploy(&first, "slow", &graph, &format!("&allowHosts={authority}"))?;
    start(&first, "slow", 1, |_| json!({"url": format!("{}/slow", stub.url)}))?;
    let waited = Instant::now();
    while stub.requests().is_empty() {
        if waited.elapsed() > Duration::from_secs(60) {
            bail!("the instance never started\n{}", first.log());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let _second = ServeServer::start(&db, &dir.path().join("b"), flags);
    let killed = Instant::now();
    first.kill();
    while stub.requests().len() < 2 {
        if killed.elapsed() > Duration::from_secs(60) {
            bail!("no server took the instance over");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = killed.elapsed().as_secs_f64();
    println!("scale: takeover after a SIGKILL with a 2 s lease: {took:.2} s (goal ≤ 4 s: {})", verdict(took <= 4.0));
    Ok(())
}
