//! Conformance regression gate (DESIGN §7): every case id in
//! `tests/conformance/passing-<target>.txt` must still pass on that target, and a case that
//! passes on several targets must print byte-identical results on all of them (native,
//! wasm32-wasip2 under wasmtime, thumbv7em-none-eabihf firmware under qemu,
//! wasm32-unknown-unknown in Node, the Cloudflare Worker under workerd).

use runtara_e2e::conformance::{load_cases, read_passing, run_case_with_output, Verdict};
use runtara_e2e::tools::{can_run, conformance_corpus};

/// Every target with a passing list, in the order their outputs are compared.
const TARGETS: [&str; 5] = ["native", "wasm32-wasip2", "thumbv7em-none-eabihf", "wasm32-unknown-unknown", "cloudflare"];

#[test]
fn passing_cases_still_pass_and_agree_across_targets() {
    let Some(corpus) = conformance_corpus("the conformance gate") else { return };
    let lists: Vec<(&str, Vec<String>)> = TARGETS.into_iter().map(|t| (t, read_passing(t))).collect();
    if let Some((t, _)) = lists.iter().find(|(_, l)| l.is_empty()) {
        panic!("the passing list of {t} is missing");
    }
    let cases = load_cases(&corpus);
    let runnable: std::collections::BTreeMap<&str, bool> = TARGETS.into_iter().map(|t| (t, can_run(t))).collect();
    let work = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut ids: Vec<&String> = lists.iter().flat_map(|(_, l)| l).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let Some(case) = cases.iter().find(|c| &c.id == id) else {
            failures.push(format!("{id}: no longer in cases.json"));
            continue;
        };
        let mut outputs = Vec::new();
        for (target, list) in &lists {
            if !list.contains(id) || !runnable[target] {
                continue;
            }
            let (verdict, out) = run_case_with_output(case, target, work.path());
            if verdict != Verdict::Pass {
                failures.push(format!("{id} on {target}: {verdict:?}"));
            }
            outputs.extend(out);
        }
        if let [first, rest @ ..] = outputs.as_slice() {
            compared += usize::from(!rest.is_empty());
            for other in rest {
                if other != first {
                    failures.push(format!("{id}: targets differ:\n  {first}\n  {other}"));
                }
            }
        }
    }
    // With one target selected (`cargo xtask ci --target T`) there is nothing to compare.
    if runnable.values().filter(|r| **r).count() > 1 {
        assert!(compared > 40, "only {compared} cases compared across targets");
    }
    assert!(failures.is_empty(), "{} problem(s):\n{}", failures.len(), failures.join("\n"));
}
