//! Capability cases (`tests/agents/*.json`, see `runtara_e2e::agent_cases`): every case
//! gives its expected output or structured error on every target the platform matrix allows
//! for its capability, and every target prints the same bytes. One test per agent, so they
//! run in parallel. The `sftp` cases need an SSH server: `sftp.rs` runs them.

use runtara_e2e::agent_cases::{load_case_files, run_everywhere};

fn run_agent(agent: &str) {
    let file = load_case_files().into_iter().find(|f| f.agent() == agent).expect("tests/agents/<agent>.json");
    let failures = run_everywhere(&file, &[], &[]);
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn utils() {
    run_agent("utils");
}

#[test]
fn transform() {
    run_agent("transform");
}

#[test]
fn text() {
    run_agent("text");
}

#[test]
fn csv() {
    run_agent("csv");
}

#[test]
fn xml() {
    run_agent("xml");
}

#[test]
fn crypto() {
    run_agent("crypto");
}

#[test]
fn datetime() {
    run_agent("datetime");
}

#[test]
fn compression() {
    run_agent("compression");
}

#[test]
fn xlsx() {
    run_agent("xlsx");
}

#[test]
fn file() {
    run_agent("file");
}
