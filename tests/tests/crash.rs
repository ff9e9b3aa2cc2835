//! Crash safety against the real state service (issue: durable execution): a workflow of
//! 20 `http` Agent steps, each POSTing to a counting server on loopback, checkpoints to
//! `runtara core` and is SIGKILLed at random points, then relaunched until it completes —
//! natively and as a wasm32-wasip2 component (wasi:http). The output equals an uninterrupted
//! run and every step's side effect happened once, plus at most one repeat per kill (the
//! step in flight: at-least-once). A core killed and restarted mid-run is retried through.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use runtara_e2e::cli::{runtara, runtara_bin, spawn_with_input, workspace_root};
use runtara_e2e::core::{databases, CoreServer};
use runtara_e2e::stub::{Reply, StubServer};
use runtara_e2e::tools::can_run;
use serde_json::{json, Value};

const STEPS: usize = 20;
const TOKEN: &str = "crash-token";

/// `STEPS` http steps; step i POSTs to `/effect/<instance>/<i>` and the next step reads the
/// running total the server does not know about (computed from step outputs).
fn workflow() -> Value {
    let mut steps = serde_json::Map::new();
    let mut plan = Vec::new();
    for i in 0..STEPS {
        let prev = if i == 0 { "data.start".to_string() } else { format!("steps.h{}.outputs.body.n", i - 1) };
        steps.insert(
            format!("h{i}"),
            json!({"stepType": "Agent", "id": format!("h{i}"), "agentId": "http",
            "capabilityId": "http-request", "connectionId": "effects", "inputMapping": {
                "method": {"valueType": "immediate", "value": "POST"},
                "url": {"valueType": "template", "value": format!("/effect/{{{{ variables._instance_id }}}}/{i}")},
                "body": {"valueType": "composite", "value": {"prev": {"valueType": "reference", "value": prev}}}}}),
        );
        let next = if i + 1 == STEPS { "done".to_string() } else { format!("h{}", i + 1) };
        plan.push(json!({"fromStep": format!("h{i}"), "toStep": next}));
    }
    steps.insert(
        "done".into(),
        json!({"stepType": "Finish", "id": "done", "inputMapping": {
        "last": {"valueType": "reference", "value": format!("steps.h{}.outputs.body.n", STEPS - 1)},
        "status": {"valueType": "reference", "value": format!("steps.h{}.outputs.status_code", STEPS - 1)}}}),
    );
    json!({"name": "crash test", "entryPoint": "h0", "inputSchema": {"start": {"type": "number"}},
        "steps": steps, "executionPlan": plan})
}

struct Setup {
    _dir: tempfile::TempDir,
    artifact: PathBuf,
    connections: PathBuf,
    effects: StubServer,
    core: CoreServer,
}

fn setup(target: &str, postgres: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("crash.json");
    std::fs::write(&src, serde_json::to_vec(&workflow()).unwrap()).unwrap();
    let artifact = dir.path().join(if target == "native" { "crash" } else { "crash.wasm" });
    let o = runtara(&["compile", "--target", target, src.to_str().unwrap(), "-o", artifact.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Every effect answers {"n": 7} after 15 ms, so kills land mid-request as well.
    let effects =
        StubServer::start_slow(vec![], Some(Reply { status: 200, body: json!({"n": 7}) }), Duration::from_millis(15));
    let connections = dir.path().join("connections.json");
    let table = json!({"effects": {"integrationId": "http", "parameters": {"baseUrl": effects.url}}});
    std::fs::write(&connections, table.to_string()).unwrap();
    let dbs = databases(dir.path());
    let db = if postgres { dbs.last().unwrap() } else { &dbs[0] };
    let core = CoreServer::start(db, TOKEN);
    Setup { artifact, connections, effects, core, _dir: dir }
}

/// Launches one run of `instance`: native artifacts directly (so SIGKILL hits the workflow
/// process), components through `runtara run` (wasmtime in that process).
fn spawn(s: &Setup, instance: &str) -> Child {
    let table = std::fs::read_to_string(&s.connections).unwrap();
    let mut cmd = if s.artifact.extension().is_some_and(|e| e == "wasm") {
        let mut c = Command::new(runtara_bin());
        c.env("RUNTARA_SOURCE_DIR", workspace_root()).arg("run").arg(&s.artifact).args([
            "--core",
            &s.core.url,
            "--instance",
            instance,
            "--tenant",
            "acme",
            "--token",
            TOKEN,
        ]);
        c
    } else {
        let mut c = Command::new(&s.artifact);
        c.env("RUNTARA_HTTP_URL", &s.core.url)
            .env("RUNTARA_INSTANCE_ID", instance)
            .env("RUNTARA_TENANT_ID", "acme")
            .env("RUNTARA_TOKEN", TOKEN);
        c
    };
    cmd.env("RUNTARA_CONNECTIONS", table);
    spawn_with_input(cmd, br#"{"start": 1}"#)
}

/// Runs `instance` to completion, SIGKILLing it after each delay of `kills`; returns the
/// output and how many launches were actually killed.
fn run_with_kills(s: &Setup, instance: &str, kills: &mut dyn FnMut() -> Option<Duration>) -> (Value, usize) {
    let mut killed = 0;
    for _ in 0..200 {
        let mut child = spawn(s, instance);
        if let Some(after) = kills() {
            std::thread::sleep(after);
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                child.wait().unwrap();
                killed += 1;
                continue;
            }
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{instance}: {}", String::from_utf8_lossy(&out.stderr));
        return (serde_json::from_slice(&out.stdout).unwrap(), killed);
    }
    panic!("{instance}: no progress across 200 launches");
}

/// Effects per step of `instance`.
fn effects_of(s: &Setup, instance: &str) -> BTreeMap<usize, usize> {
    let prefix = format!("/effect/{instance}/");
    let mut counts = BTreeMap::new();
    for r in s.effects.requests() {
        if let Some(i) = r.path.strip_prefix(&prefix).and_then(|i| i.parse().ok()) {
            *counts.entry(i).or_default() += 1;
        }
    }
    counts
}

fn crash_test(target: &str) {
    if !can_run(target) {
        return;
    }
    let dbs = databases(tempfile::tempdir().unwrap().path()).len();
    for postgres in [false, true].into_iter().take(dbs) {
        crash_test_on(target, postgres);
    }
}

fn crash_test_on(target: &str, postgres: bool) {
    let s = setup(target, postgres);
    let (expected, _) = run_with_kills(&s, "reference", &mut || None);
    assert_eq!(expected, json!({"last": 7, "status": 200}));
    assert!(effects_of(&s, "reference").values().all(|n| *n == 1));

    // Deterministic pseudo-random kill delays (xorshift), 20–400 ms; wasm runs start slower.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let span = if target == "native" { 250 } else { 400 };
    let mut total_kills = 0;
    let mut instance_no = 0;
    while total_kills < 50 {
        instance_no += 1;
        let instance = format!("{target}-{instance_no}");
        let mut launches = 0;
        let (out, killed) = run_with_kills(&s, &instance, &mut || {
            launches += 1;
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // After a few kills let the run finish, so every instance completes.
            (launches <= 4).then(|| Duration::from_millis(20 + seed % span))
        });
        total_kills += killed;
        assert_eq!(out, expected, "{instance}");
        let counts = effects_of(&s, &instance);
        assert_eq!(counts.len(), STEPS, "{instance}: every step's effect happened: {counts:?}");
        let repeats: usize = counts.values().map(|n| n - 1).sum();
        assert!(repeats <= killed, "{instance}: {repeats} repeated effects for {killed} kills: {counts:?}");
    }
}

#[test]
fn native_runs_survive_sigkill_with_effects_once() {
    crash_test("native");
}

#[test]
fn wasip2_runs_survive_sigkill_with_effects_once() {
    crash_test("wasm32-wasip2");
}

/// The core dies mid-run and comes back on the same port and database: the artifact's
/// http backend retries and the run completes with every effect once. On SQLite and, when
/// configured, PostgreSQL.
#[test]
fn runs_retry_through_a_core_restart() {
    let with_postgres = databases(tempfile::tempdir().unwrap().path()).len() > 1;
    let mut runs = vec![("native", false), ("wasm32-wasip2", false)];
    if with_postgres {
        runs.extend([("native", true), ("wasm32-wasip2", true)]);
    }
    for (target, postgres) in runs.into_iter().filter(|(t, _)| can_run(t)) {
        let mut s = setup(target, postgres);
        let child = spawn(&s, "restart");
        // Wait until a few steps are done, then take the core away for a second.
        while effects_of(&s, "restart").len() < 3 {
            std::thread::sleep(Duration::from_millis(10));
        }
        s.core.kill();
        std::thread::sleep(Duration::from_secs(1));
        s.core.restart();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{target}: {}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(serde_json::from_slice::<Value>(&out.stdout).unwrap(), json!({"last": 7, "status": 200}));
        let counts = effects_of(&s, "restart");
        assert_eq!(counts.len(), STEPS, "{target}: {counts:?}");
        assert!(counts.values().all(|n| *n == 1), "{target}: {counts:?}");
        let status = runtara(&[
            "instance",
            "restart",
            "--core",
            &s.core.url,
            "--tenant",
            "acme",
            "--token",
            TOKEN,
            "--format",
            "json",
        ]);
        let v: Value = serde_json::from_slice(&status.stdout).unwrap_or(Value::Null);
        assert_eq!(v["status"], "completed", "{target}: {}", String::from_utf8_lossy(&status.stderr));
    }
}
