//! The state service for real: `runtara core serve` on loopback with a SQLite database and
//! a PostgreSQL one (see `runtara_e2e::core::databases`), artifacts checkpointing to it over
//! HTTP (DESIGN §6), tenants isolated, the token enforced, pause honoured, custom signals
//! delivered to WaitForSignal on native and wasm32-wasip2.

use std::path::Path;

use runtara_e2e::cli::{runtara, runtara_command, runtara_stdin, spawn_with_input, workspace_root};
use runtara_e2e::core::{databases, CoreServer};
use runtara_e2e::tools::can_run;
use serde_json::Value;

fn cli(core: &CoreServer, tenant: &str, token: &str, args: &[&str]) -> std::process::Output {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--core", &core.url, "--tenant", tenant, "--token", token]);
    runtara(&all)
}

#[test]
fn artifacts_checkpoint_to_the_core_and_tenants_are_isolated() {
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()) {
        checkpoints_tenants_token_and_pause(dir.path(), &db);
    }
}

fn checkpoints_tenants_token_and_pause(dir: &Path, db: &str) {
    let core = CoreServer::start(db, "s3cret");
    let src = workspace_root().join("examples/expense-approval.json");
    let artifact = dir.join("approval");
    let o = runtara(&["compile", "--track-events", src.to_str().unwrap(), "-o", artifact.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let input = br#"{"employee": "ada", "amount": 1200, "receipt": true}"#;
    let run = |instance: &str| {
        let args = [
            "run",
            artifact.to_str().unwrap(),
            "--instance",
            instance,
            "--core",
            &core.url,
            "--tenant",
            "acme",
            "--token",
            "s3cret",
        ];
        runtara_stdin(&args, input)
    };

    let first = run("ord-1");
    assert!(first.status.success(), "{db}: {}", String::from_utf8_lossy(&first.stderr));
    assert!(String::from_utf8_lossy(&first.stderr).contains(r#""step_id":"policy""#));
    let o = cli(&core, "acme", "s3cret", &["instance", "ord-1", "--format", "json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], "completed");
    assert_eq!(v["output"]["decision"], "escalated");
    assert_eq!(v["checkpoints"], serde_json::json!(["expense-approval::policy"]), "{db}");
    // The run's events went to the core's event log too, in order.
    let events: Vec<&str> = v["events"].as_array().unwrap().iter().filter_map(|e| e["step_id"].as_str()).collect();
    assert_eq!(events.first(), Some(&"policy"), "{db}: {v}");
    assert!(v["events"].as_array().unwrap().iter().all(|e| e["event"].is_string()));

    // A rerun of the same instance restores the Agent step instead of running it.
    let again = run("ord-1");
    assert_eq!(again.stdout, first.stdout);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!stderr.contains(r#""step_type":"Agent""#), "the Agent step ran again: {stderr}");

    // Another tenant sees nothing.
    let o = cli(&core, "globex", "s3cret", &["instance", "ord-1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("404"));
    let o = cli(&core, "globex", "s3cret", &["instances", "--format", "json"]);
    assert_eq!(serde_json::from_slice::<Value>(&o.stdout).unwrap(), serde_json::json!([]));

    // Without the token: 401.
    let o = cli(&core, "acme", "wrong", &["instances"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("401"));

    // Pause before the run: it stops at the first step boundary, exit 3, status suspended.
    let o = cli(&core, "acme", "s3cret", &["signal", "ord-2", "pause"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let paused = run("ord-2");
    assert_eq!(paused.status.code(), Some(3), "{}", String::from_utf8_lossy(&paused.stderr));
    let o = cli(&core, "acme", "s3cret", &["instance", "ord-2", "--format", "json"]);
    assert_eq!(serde_json::from_slice::<Value>(&o.stdout).unwrap()["status"], "suspended");
    assert!(cli(&core, "acme", "s3cret", &["signal", "ord-2", "resume"]).status.success());
    assert!(run("ord-2").status.success());
}

#[test]
fn custom_signals_reach_waiting_runs_on_both_targets() {
    let dir = tempfile::tempdir().unwrap();
    let src = workspace_root().join("tests/fixtures/wait/approval.json");
    for db in databases(dir.path()) {
        let core = CoreServer::start(&db, "s3cret");
        for target in ["native", "wasm32-wasip2"].into_iter().filter(|t| can_run(t)) {
            let artifact = dir.path().join(format!("approval-{target}"));
            let o = runtara(&[
                "compile",
                "--core-client",
                "--target",
                target,
                src.to_str().unwrap(),
                "-o",
                artifact.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let instance = format!("wait-{target}");
            let mut cmd = runtara_command();
            cmd.args([
                "run",
                artifact.to_str().unwrap(),
                "--instance",
                &instance,
                "--core",
                &core.url,
                "--tenant",
                "acme",
                "--token",
                "s3cret",
            ]);
            let child = spawn_with_input(cmd, br#"{"orderId": "A-9", "timeoutMs": 30000}"#);
            std::thread::sleep(std::time::Duration::from_millis(500));
            let signal = format!("{instance}/approval/ask");
            let o = cli(
                &core,
                "acme",
                "s3cret",
                &["signal", &instance, "--custom", &signal, "--payload", r#"{"approved": false}"#],
            );
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{db} {target}: {}", String::from_utf8_lossy(&out.stderr));
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v, serde_json::json!({"approved": false, "signal": signal}), "{db} {target}");
            let o = cli(&core, "acme", "s3cret", &["instance", &instance, "--format", "json"]);
            assert_eq!(serde_json::from_slice::<Value>(&o.stdout).unwrap()["status"], "completed", "{db} {target}");
        }
    }
}

/// Probes for orchestrators: `/health` and `/ready` answer without the token, on both
/// databases; the API itself still needs it.
#[test]
fn health_and_readiness_probes_answer_without_a_token() {
    use runtara_sdk::net::{send, Request};
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()) {
        let core = CoreServer::start(&db, "s3cret");
        for (path, status) in [("/health", "ok"), ("/ready", "ready")] {
            let r = send(&Request::new("GET", &format!("{}{path}", core.url))).unwrap();
            let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            assert_eq!((r.status, body["status"].as_str()), (200, Some(status)), "{db} {path}");
        }
        let r = send(&Request::new("GET", &format!("{}/api/v1/instances", core.url))).unwrap();
        assert_eq!(r.status, 401, "{db}: the API still needs the token");
    }
}

/// Hardening items 3 and 4: a checkpoint over the shared body limit stops the run with the
/// fatal `CHECKPOINT_TOO_LARGE` — the step's onError route is not taken (the side effect
/// already happened) — and the core itself refuses larger bodies with 413.
#[test]
fn an_oversized_checkpoint_is_fatal_and_the_core_limits_bodies() {
    use runtara_protocol::wire::MAX_BODY_BYTES;
    use runtara_sdk::net::{send, Request};
    let dir = tempfile::tempdir().unwrap();
    let db = databases(dir.path()).remove(0);
    let core = CoreServer::start(&db, "s3cret");
    let graph = dir.path().join("big.json");
    std::fs::write(
        &graph,
        r#"{"entryPoint":"echo","steps":{
        "echo":{"stepType":"Agent","id":"echo","agentId":"utils","capabilityId":"return-input",
                "inputMapping":{"value":{"valueType":"reference","value":"data.blob"}}},
        "done":{"stepType":"Finish","id":"done"},
        "caught":{"stepType":"Finish","id":"caught","inputMapping":{"caught":{"valueType":"immediate","value":true}}}},
        "executionPlan":[{"fromStep":"echo","toStep":"done"},{"fromStep":"echo","toStep":"caught","label":"onError"}]}"#,
    )
    .unwrap();
    let artifact = dir.path().join("big");
    let o = runtara(&["compile", graph.to_str().unwrap(), "-o", artifact.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let input = serde_json::json!({"blob": "x".repeat(MAX_BODY_BYTES + 1)}).to_string();
    let args = ["run", artifact.to_str().unwrap(), "--format", "envelope", "--instance", "big-1", "--core", &core.url];
    let mut all = args.to_vec();
    all.extend(["--tenant", "acme", "--token", "s3cret"]);
    let o = runtara_stdin(&all, input.as_bytes());
    let envelope: Value = serde_json::from_slice(&o.stdout).unwrap_or(Value::Null);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(envelope["status"], "failed", "{envelope}");
    assert_eq!(envelope["error"]["code"], "CHECKPOINT_TOO_LARGE", "{envelope}");

    let body = vec![b' '; MAX_BODY_BYTES + 1];
    let mut req = Request::new("POST", &format!("{}/api/v1/instances/raw/checkpoint", core.url))
        .header("authorization", "Bearer s3cret")
        .header("content-type", "application/json");
    req.body = body;
    assert_eq!(send(&req).unwrap().status, 413);
}

/// Hardening item 1: once the database holds per-tenant API keys, every request needs a
/// live key, a key reaches only its tenant (403 for another), revoked keys are 401, and a
/// tenant id that is empty or not ASCII is a 400 — on SQLite and PostgreSQL.
#[test]
fn api_keys_bind_requests_to_their_tenant() {
    use runtara_sdk::net::{send, Request};
    let dir = tempfile::tempdir().unwrap();
    for db in databases(dir.path()) {
        let create = |tenant: &str| {
            let o = runtara(&["keys", "create", "--tenant", tenant, "--db", &db]);
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            let line = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let (id, secret) = line.split_once('\t').expect("KEY_ID<TAB>SECRET");
            (id.to_string(), secret.to_string())
        };
        let (acme_id, acme) = create("acme");
        let (_, globex) = create("globex");
        let core = CoreServer::start(&db, "shared-token-no-longer-enough");
        let get = |key: Option<&str>, tenant: Option<&str>| {
            let mut req = Request::new("GET", &format!("{}/api/v1/instances", core.url));
            if let Some(k) = key {
                req = req.header("authorization", &format!("Bearer {k}"));
            }
            if let Some(t) = tenant {
                req = req.header("x-runtara-tenant-id", t);
            }
            send(&req).unwrap().status
        };
        assert_eq!(get(None, Some("acme")), 401, "{db}: a key is required");
        assert_eq!(
            get(Some("shared-token-no-longer-enough"), Some("acme")),
            401,
            "{db}: the shared token is not a key"
        );
        assert_eq!(get(Some(&acme), Some("acme")), 200, "{db}");
        assert_eq!(get(Some(&acme), None), 200, "{db}: the key's tenant by default");
        assert_eq!(get(Some(&acme), Some("globex")), 403, "{db}: another tenant");
        assert_eq!(get(Some(&globex), Some("globex")), 200, "{db}");
        assert_eq!(get(Some(&acme), Some("")), 400, "{db}: empty tenant");
        let o = runtara(&["keys", "list", "--db", &db]);
        let list = String::from_utf8_lossy(&o.stdout).to_string();
        assert!(list.contains(&format!("{acme_id}\tacme\tlive")) && !list.contains(&acme), "{db}: {list}");
        assert!(runtara(&["keys", "revoke", &acme_id, "--db", &db]).status.success());
        assert_eq!(get(Some(&acme), Some("acme")), 401, "{db}: revoked");
        // An artifact reaches the core with its key as RUNTARA_TOKEN.
        let src = workspace_root().join("tests/fixtures/conditional.json");
        let args = [
            "run",
            src.to_str().unwrap(),
            "--instance",
            "k1",
            "--core",
            &core.url,
            "--tenant",
            "globex",
            "--token",
            &globex,
        ];
        let o = runtara_stdin(&args, br#"{"amount": 500}"#);
        assert!(o.status.success(), "{db}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

/// Hardening item 2: `core serve --tls-cert/--tls-key` serves HTTPS (rustls); checked with
/// curl trusting a self-signed certificate made by openssl, and plain HTTP is not answered.
#[test]
fn the_core_serves_https() {
    use runtara_e2e::tools::have_program;
    if !have_program("openssl", "apt-get install openssl") || !have_program("curl", "apt-get install curl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let o = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let listen = runtara_e2e::cli::free_loopback_addr();
    let db = format!("sqlite:{}", dir.path().join("core.sqlite3").display());
    let mut server = runtara_command()
        .args(["core", "serve", "--listen", &listen, "--db", &db, "--tls-cert"])
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    runtara_e2e::cli::wait_until_listening(&listen, "runtara core (TLS)");
    let curl = |url: String| {
        std::process::Command::new("curl")
            .args(["-sS", "--max-time", "5", "--cacert"])
            .arg(&cert)
            .arg(url)
            .output()
            .unwrap()
    };
    let o = curl(format!("https://{listen}/health"));
    let body = String::from_utf8_lossy(&o.stdout).to_string();
    let plain = curl(format!("http://{listen}/health"));
    let _ = server.kill();
    let _ = server.wait();
    assert!(body.contains("\"ok\""), "https /health: {body} {}", String::from_utf8_lossy(&o.stderr));
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("\"ok\""), "plain HTTP must not be served");
}
