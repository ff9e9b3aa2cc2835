//! A PostgreSQL restart in the middle of a run: `runtara serve` reconnects, the instances'
//! writes that failed are retried, and every instance finishes. Its own test binary,
//! because the restart cuts every connection of the tests that run beside it. Needs
//! `RUNTARA_TEST_POSTGRES_URL` and the cluster of `scripts/start-postgres.sh`.

use std::process::Command;
use std::time::Duration;

use runtara_e2e::core::{databases, POSTGRES_ENV};
use runtara_e2e::serve::ServeServer;
use runtara_e2e::stub::{Reply, StubServer};
use runtara_e2e::tools::missing;
use serde_json::json;

/// `pg_ctlcluster <version> main restart`, for the cluster `scripts/start-postgres.sh` made.
fn restart_postgres() {
    let versions = std::fs::read_dir("/usr/lib/postgresql").expect("the Debian PostgreSQL packages");
    let mut versions: Vec<String> = versions.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    versions.sort_by_key(|v| v.parse::<u32>().unwrap_or(0));
    let version = versions.last().expect("a PostgreSQL version");
    let status = Command::new("pg_ctlcluster").args([version, "main", "restart"]).status().expect("pg_ctlcluster runs");
    assert!(status.success(), "pg_ctlcluster {version} main restart");
}

#[test]
fn instances_finish_across_a_postgres_restart() {
    if std::env::var(POSTGRES_ENV).is_err() || Command::new("pg_ctlcluster").arg("--help").output().is_err() {
        missing("PostgreSQL with pg_ctlcluster", "run scripts/start-postgres.sh and set RUNTARA_TEST_POSTGRES_URL");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = databases(dir.path()).pop().expect("a PostgreSQL database");
    let stub = StubServer::start_slow(
        vec![],
        Some(Reply { status: 200, body: json!({"ok": true}) }),
        Duration::from_millis(20),
    );
    let authority = stub.url.trim_start_matches("http://");
    let server = ServeServer::start(&db, &dir.path().join("data"), &["--workers", "4", "--lease-secs", "2"]);
    let graph =
        std::fs::read(runtara_e2e::cli::workspace_root().join("tests/fixtures/serve/effect_sleep_wait.json")).unwrap();
    let (status, answer) =
        server.post_raw(&format!("workflows?workflowId=charge&allowHosts={authority}"), graph, "application/json");
    assert_eq!(status, 201, "{answer}");
    let ids: Vec<String> = (0..30).map(|i| format!("r{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        let input = json!({"order": i, "effectUrl": format!("{}/charge", stub.url)});
        let body = json!({"workflowId": "charge", "instanceId": id, "input": input});
        assert_eq!(server.api("POST", "instances", Some(&body)).0, 202);
    }
    while stub.requests().len() < 10 {
        std::thread::sleep(Duration::from_millis(10));
    }
    restart_postgres();
    server.wait_for(&ids, Duration::from_secs(180), |s| s == "waiting");
    for id in &ids {
        let signal = json!({"signal_id": format!("{id}/charge/ask"), "payload": {"approved": true}});
        assert_eq!(server.api("POST", &format!("instances/{id}/signals"), Some(&signal)).0, 200);
    }
    server.wait_for(&ids, Duration::from_secs(180), |s| s == "completed");
    for (i, id) in ids.iter().enumerate() {
        let (_, detail) = server.api("GET", &format!("instances/{id}"), None);
        assert_eq!(detail["output"], json!({"order": i, "charged": 200, "approved": true}), "{detail}");
    }
}
