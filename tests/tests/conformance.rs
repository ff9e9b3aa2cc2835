//! Conformance regression gate: every case id in `tests/conformance/passing-<target>.txt`
//! must still pass on that target (DESIGN §7).

use runtara_e2e::conformance::{load_cases, read_passing, run_case, Verdict};

fn gate(target: &str) {
    let passing = read_passing(target);
    assert!(!passing.is_empty(), "no passing list for {target}");
    let cases = load_cases();
    let work = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for id in &passing {
        let Some(case) = cases.iter().find(|c| &c.id == id) else {
            failures.push(format!("{id}: no longer in cases.json"));
            continue;
        };
        match run_case(case, target, work.path()) {
            Verdict::Pass => {}
            other => failures.push(format!("{id}: {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{} regression(s) on {target}:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn passing_cases_still_pass_natively() {
    gate("native");
}

#[test]
fn passing_cases_still_pass_on_wasm32_wasip2() {
    gate("wasm32-wasip2");
}
