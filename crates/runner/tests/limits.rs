//! Hardening item 10: processes `runtara run` starts (native artifacts, Node) see only the
//! artifact contract's environment, and a wall-time or output limit stops them with a
//! structured failure instead of hanging or filling memory. Real processes: `/usr/bin/env`
//! and shell scripts stand in for native artifacts.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use runtara_runner::{run_artifact, Limits, Outcome, RunRequest, RunStatus};

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

#[test]
fn native_artifacts_get_only_the_contract_environment() {
    std::env::set_var("RUNTARA_TEST_KEPT", "yes");
    std::env::set_var("SOME_SECRET_OF_THE_CALLER", "hunter2");
    let req = RunRequest { env: vec![("RUNTARA_INSTANCE_ID".into(), "i1".into())], ..Default::default() };
    let out = run_artifact(Path::new("/usr/bin/env"), &req).unwrap();
    let env = String::from_utf8_lossy(&out.stdout);
    assert!(env.contains("RUNTARA_TEST_KEPT=yes") && env.contains("RUNTARA_INSTANCE_ID=i1"), "{env}");
    assert!(!env.contains("SOME_SECRET_OF_THE_CALLER") && !env.contains("HOME="), "{env}");
}

#[test]
fn a_run_over_its_wall_time_is_stopped_as_a_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let slow = script(dir.path(), "slow", "/bin/sleep 30");
    let req = RunRequest {
        limits: Limits { wall_time: Some(Duration::from_millis(300)), ..Limits::default() },
        ..Default::default()
    };
    let started = Instant::now();
    let outcome = Outcome::from_run(&run_artifact(&slow, &req).unwrap());
    assert!(started.elapsed() < Duration::from_secs(10), "not stopped: {:?}", started.elapsed());
    assert_eq!(outcome.status, RunStatus::Failed);
    assert_eq!(outcome.error.unwrap()["code"], "TIMEOUT");
}

#[test]
fn a_run_over_its_output_limit_is_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let chatty = script(dir.path(), "chatty", "exec /usr/bin/yes");
    let req = RunRequest {
        limits: Limits { wall_time: None, max_output_bytes: 1 << 20, max_memory_bytes: None },
        ..Default::default()
    };
    let out = run_artifact(&chatty, &req).unwrap();
    assert!(out.stdout.is_empty(), "no partial output is passed on");
    let outcome = Outcome::from_run(&out);
    assert_eq!(outcome.error.unwrap()["code"], "OUTPUT_LIMIT_EXCEEDED");
}
