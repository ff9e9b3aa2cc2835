//! Checkpoint-as-memo with the local SQLite store (`--state-dir`, native): a workflow killed
//! with SIGKILL at random points and relaunched finishes with the output of an
//! uninterrupted run, and no step that finished before a kill runs again (at-least-once
//! only for the step in flight).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use runtara_e2e::cli::{runtara, spawn_with_input};
use serde_json::{json, Value};

const STEPS: usize = 20;

/// `STEPS` Agent steps, each sleeping 30 ms (`utils/delay-in-ms`) and then passing a
/// running total on.
fn workflow() -> Value {
    let mut steps = serde_json::Map::new();
    let mut plan = Vec::new();
    for i in 0..STEPS {
        let prev = if i == 0 { "data.start".to_string() } else { format!("steps.s{}.outputs", i - 1) };
        steps.insert(
            format!("w{i}"),
            json!({"stepType": "Agent", "id": format!("w{i}"), "agentId": "utils",
            "capabilityId": "delay-in-ms", "inputMapping": {"delay_value": {"valueType": "immediate", "value": 30}}}),
        );
        steps.insert(
            format!("s{i}"),
            json!({"stepType": "Agent", "id": format!("s{i}"), "agentId": "utils",
            "capabilityId": "calculate", "inputMapping": {
                "expression": {"valueType": "immediate", "value": format!("t + {i}")},
                "variables": {"valueType": "composite", "value": {"t": {"valueType": "reference", "value": prev}}}}}),
        );
        plan.push(json!({"fromStep": format!("w{i}"), "toStep": format!("s{i}")}));
        let next = if i + 1 == STEPS { "done".to_string() } else { format!("w{}", i + 1) };
        plan.push(json!({"fromStep": format!("s{i}"), "toStep": next}));
    }
    steps.insert(
        "done".into(),
        json!({"stepType": "Finish", "id": "done", "inputMapping": {
        "total": {"valueType": "reference", "value": format!("steps.s{}.outputs", STEPS - 1)}}}),
    );
    json!({"name": "crash test", "entryPoint": "w0", "inputSchema": {"start": {"type": "number"}},
        "steps": steps, "executionPlan": plan})
}

/// [`workflow`] compiled natively with step events and the local store into `dir`.
fn compile_workflow(dir: &Path) -> std::path::PathBuf {
    let src = dir.join("chain.json");
    std::fs::write(&src, serde_json::to_vec(&workflow()).unwrap()).unwrap();
    let artifact = dir.join("chain");
    runtara_e2e::cli::compile(&src, "native", &artifact, &["--track-events", "--local-store"]);
    artifact
}

struct Launch {
    killed: bool,
    started: Vec<String>,
    stdout: String,
}

/// Starts the artifact on the local store of `state` as `instance`, input `{"start": 1}`.
fn spawn(artifact: &Path, state: &Path, instance: &str) -> std::process::Child {
    let mut cmd = Command::new(artifact);
    cmd.env("RUNTARA_STATE_DIR", state).env("RUNTARA_INSTANCE_ID", instance);
    spawn_with_input(cmd, br#"{"start": 1}"#)
}

fn launch(artifact: &Path, state: &Path, instance: &str, kill_after: Option<Duration>) -> Launch {
    let mut child = spawn(artifact, state, instance);
    let mut killed = false;
    if let Some(after) = kill_after {
        std::thread::sleep(after);
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed = true;
        }
    }
    let out = child.wait_with_output().unwrap();
    let started = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "step_debug_start")
        .filter_map(|e| e["step_id"].as_str().map(str::to_string))
        .collect();
    Launch { killed, started, stdout: String::from_utf8_lossy(&out.stdout).trim().to_string() }
}

#[test]
fn sigkilled_runs_resume_without_redoing_finished_steps() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = compile_workflow(dir.path());

    let state = dir.path().join("state");
    let reference = launch(&artifact, &state, "uninterrupted", None);
    let expected = reference.stdout.clone();
    assert_eq!(serde_json::from_str::<Value>(&expected).unwrap(), json!({"total": 191.0}));

    // A cheap deterministic sequence of kill delays (10–150 ms) instead of a rand dependency.
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next_delay = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        Duration::from_millis(10 + seed % 140)
    };
    let mut kills = 0;
    let mut instance_no = 0;
    while kills < 50 {
        instance_no += 1;
        let instance = format!("crash-{instance_no}");
        let mut launches = Vec::new();
        loop {
            let l = launch(&artifact, &state, &instance, Some(next_delay()));
            let done = !l.killed;
            kills += usize::from(l.killed);
            launches.push(l);
            if done {
                break;
            }
            assert!(launches.len() < 200, "no progress across relaunches");
        }
        assert_eq!(launches.last().unwrap().stdout, expected, "instance {instance}");
        // Each step runs once, plus once more for every launch killed while it was in flight.
        let mut runs: BTreeMap<&str, usize> = BTreeMap::new();
        let mut in_flight: BTreeMap<&str, usize> = BTreeMap::new();
        for l in &launches {
            for s in &l.started {
                *runs.entry(s).or_default() += 1;
            }
            if let (true, Some(last)) = (l.killed, l.started.last()) {
                *in_flight.entry(last).or_default() += 1;
            }
        }
        assert_eq!(runs.len(), 2 * STEPS + 1, "every step ran: {runs:?}");
        for (step, n) in &runs {
            let allowed = 1 + in_flight.get(step).copied().unwrap_or(0);
            assert!(*n <= allowed, "step {step} ran {n} times, allowed {allowed} (instance {instance})");
        }
    }
}

/// A durable Delay keeps its deadline: killed mid-sleep and relaunched after the deadline,
/// the run goes straight on.
#[test]
fn durable_sleep_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("sleep.json");
    std::fs::write(&src, r#"{"entryPoint":"nap","steps":{
        "nap":{"stepType":"Delay","id":"nap","durationMs":{"valueType":"immediate","value":1500}},
        "done":{"stepType":"Finish","id":"done","inputMapping":{"slept":{"valueType":"reference","value":"steps.nap.duration_ms"}}}},
        "executionPlan":[{"fromStep":"nap","toStep":"done"}]}"#).unwrap();
    let artifact = dir.path().join("sleep");
    runtara_e2e::cli::compile(&src, "native", &artifact, &["--local-store"]);
    let state = dir.path().join("state");
    let first = launch(&artifact, &state, "nap", Some(Duration::from_millis(300)));
    assert!(first.killed, "the first launch must be killed during the sleep");
    std::thread::sleep(Duration::from_millis(1400)); // past the stored deadline
    let started = std::time::Instant::now();
    let second = launch(&artifact, &state, "nap", None);
    assert_eq!(second.stdout, r#"{"slept":1500}"#);
    assert!(started.elapsed() < Duration::from_millis(1000), "slept again: {:?}", started.elapsed());
}

fn signal(state: &Path, instance: &str, action: &str) {
    let o = runtara(&["signal", instance, action, "--state-dir", state.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Pause stops the run at the next step boundary (exit 3, status suspended); after resume
/// a rerun finishes without redoing finished steps; cancel stops it with exit 4.
#[test]
fn pause_resume_and_cancel_act_at_step_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = compile_workflow(dir.path());
    let state = dir.path().join("state");
    let run = |instance: &str| spawn(&artifact, &state, instance);

    let paused = run("p1");
    std::thread::sleep(Duration::from_millis(200));
    signal(&state, "p1", "pause");
    let out = paused.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
    let first_starts = String::from_utf8_lossy(&out.stderr).matches("step_debug_start").count();
    assert!(first_starts > 0 && first_starts < 2 * STEPS, "paused mid-way: {first_starts} steps started");
    // Still paused: a relaunch stops again at once.
    let again = run("p1").wait_with_output().unwrap();
    assert_eq!(again.status.code(), Some(3));
    signal(&state, "p1", "resume");
    let done = run("p1").wait_with_output().unwrap();
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert_eq!(String::from_utf8_lossy(&done.stdout).trim(), r#"{"total":191.0}"#);
    let second_starts = String::from_utf8_lossy(&done.stderr).matches("step_debug_start").count();
    // Steps that finished before the pause are restored, not rerun (the Finish step is new).
    assert!(first_starts + second_starts <= 2 * STEPS + 2, "{first_starts} + {second_starts} starts");

    let cancelled = run("c1");
    std::thread::sleep(Duration::from_millis(150));
    signal(&state, "c1", "cancel");
    let out = cancelled.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains(r#""code":"CANCELLED""#));
}

/// Hardening item 7: an artifact run against a store without an instance id refuses to
/// start (exit 2, `INSTANCE_ID_REQUIRED`) instead of sharing a `default` instance.
#[test]
fn a_run_against_a_store_must_name_its_instance() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("tiers");
    let src = runtara_e2e::cli::workspace_root().join("tests/fixtures/conditional.json");
    runtara_e2e::cli::compile(&src, "native", &artifact, &[]);
    let mut cmd = std::process::Command::new(&artifact);
    cmd.env("RUNTARA_STATE_DIR", dir.path().join("state")).env_remove("RUNTARA_INSTANCE_ID");
    let out = runtara_e2e::cli::spawn_with_input(cmd, br#"{"amount": 5}"#).wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("INSTANCE_ID_REQUIRED"), "{stderr}");
    assert!(!dir.path().join("state").exists(), "nothing was written");
}

/// A native artifact links only the stores it was compiled with (issue 18: SQLite and TLS
/// are most of its size): without `--local-store` a state directory is refused, and without
/// `--core-tls` an `https://` core, each at once and naming the flag; nothing is written.
#[test]
fn a_store_the_artifact_does_not_link_is_refused_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("tiers");
    let src = runtara_e2e::cli::workspace_root().join("tests/fixtures/conditional.json");
    runtara_e2e::cli::compile(&src, "native", &artifact, &[]);
    let state = dir.path().join("state");
    let stores = [
        ("RUNTARA_STATE_DIR", state.to_str().unwrap(), "--local-store"),
        ("RUNTARA_HTTP_URL", "https://127.0.0.1:9", "--core-tls"),
    ];
    for (var, value, flag) in stores {
        let mut cmd = std::process::Command::new(&artifact);
        cmd.env(var, value).env("RUNTARA_INSTANCE_ID", "i1");
        let started = std::time::Instant::now();
        let out = runtara_e2e::cli::spawn_with_input(cmd, br#"{"amount": 5}"#).wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{var}: {stderr}");
        assert!(stderr.contains("STATE_STORE_UNAVAILABLE") && stderr.contains(flag), "{var}: {stderr}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{var}: refused at once, not retried");
        assert!(out.stdout.is_empty(), "{var}: the workflow did not run");
    }
    assert!(!state.exists(), "nothing was written");
}

/// Hardening item 7: an instance records the graph it started with; resuming it with an
/// edited graph is refused naming the changed step, and `--migrate` resumes it anyway — on
/// the local store and on `runtara core` (SQLite and PostgreSQL).
#[test]
fn resuming_an_instance_with_another_graph_is_refused_unless_migrated() {
    use runtara_e2e::cli::runtara_stdin;
    use runtara_e2e::core::{databases, CoreServer};
    let dir = tempfile::tempdir().unwrap();
    let first = r#"{"entryPoint":"price","steps":{
        "price":{"stepType":"Agent","id":"price","agentId":"utils","capabilityId":"return-input",
                 "inputMapping":{"value":{"valueType":"immediate","value":1}}},
        "done":{"stepType":"Finish","id":"done","inputMapping":{"p":{"valueType":"reference","value":"steps.price.outputs"}}}},
        "executionPlan":[{"fromStep":"price","toStep":"done"}]}"#;
    let second = first.replace(r#""value":1}"#, r#""value":2}"#);
    let mut artifacts = Vec::new();
    for (name, graph) in [("v1", first.to_string()), ("v2", second)] {
        let src = dir.path().join(format!("{name}.json"));
        std::fs::write(&src, graph).unwrap();
        let out = dir.path().join(name);
        // One workflow id for both versions, as a redeploy would have.
        runtara_e2e::cli::compile(&src, "native", &out, &["--workflow-id", "pricing", "--local-store"]);
        artifacts.push(out);
    }
    let state = dir.path().join("state");
    let mut stores = vec![vec!["--state-dir".to_string(), state.display().to_string()]];
    let cores: Vec<CoreServer> = databases(dir.path()).iter().map(|db| CoreServer::start(db, "s3cret")).collect();
    for core in &cores {
        stores.push(["--core", &core.url, "--tenant", "acme", "--token", "s3cret"].map(String::from).to_vec());
    }
    for store in stores {
        let run = |artifact: &std::path::Path, extra: &[&str]| {
            let mut args = vec!["run", artifact.to_str().unwrap(), "--instance", "quote-1"];
            args.extend(store.iter().map(String::as_str));
            args.extend(extra);
            runtara_stdin(&args, b"{}")
        };
        let o = run(&artifacts[0], &[]);
        assert!(o.status.success(), "{store:?}: {}", String::from_utf8_lossy(&o.stderr));
        let o = run(&artifacts[1], &[]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{store:?}: {stderr}");
        assert!(stderr.contains("GRAPH_CHANGED") && stderr.contains("changed: price"), "{store:?}: {stderr}");
        let o = run(&artifacts[1], &["--migrate"]);
        assert!(o.status.success(), "{store:?}: {}", String::from_utf8_lossy(&o.stderr));
        // The first run's checkpoint of `price` is reused: migration keeps what was done.
        assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), r#"{"p":1}"#, "{store:?}");
    }
}
