//! Conformance regression gate (DESIGN §7): every case id in
//! `tests/conformance/passing-<target>.txt` must still pass on that target, and a case that
//! passes on several targets must print byte-identical results on all of them (native,
//! wasm32-wasip2 under wasmtime, thumbv7em-none-eabihf firmware under qemu,
//! wasm32-unknown-unknown in Node).

use runtara_e2e::conformance::{load_cases, read_passing, run_case_with_output, Verdict};
use runtara_e2e::tools::{can_run, conformance_corpus};

#[test]
fn passing_cases_still_pass_and_agree_across_targets() {
    let Some(corpus) = conformance_corpus("the conformance gate") else { return };
    let native = read_passing("native");
    let wasm = read_passing("wasm32-wasip2");
    let firmware = read_passing("thumbv7em-none-eabihf");
    let browser = read_passing("wasm32-unknown-unknown");
    assert!(
        !native.is_empty() && !wasm.is_empty() && !firmware.is_empty() && !browser.is_empty(),
        "passing lists are missing"
    );
    let cases = load_cases(&corpus);
    let runnable: std::collections::BTreeMap<&str, bool> =
        ["native", "wasm32-wasip2", "thumbv7em-none-eabihf", "wasm32-unknown-unknown"]
            .into_iter()
            .map(|t| (t, can_run(t)))
            .collect();
    let work = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut ids: Vec<&String> = native.iter().chain(&wasm).chain(&firmware).chain(&browser).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        let Some(case) = cases.iter().find(|c| &c.id == id) else {
            failures.push(format!("{id}: no longer in cases.json"));
            continue;
        };
        let mut outputs = Vec::new();
        let targets = [
            ("native", &native),
            ("wasm32-wasip2", &wasm),
            ("thumbv7em-none-eabihf", &firmware),
            ("wasm32-unknown-unknown", &browser),
        ];
        for (target, list) in targets {
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
    assert!(compared > 40, "only {compared} cases compared across targets");
    assert!(failures.is_empty(), "{} problem(s):\n{}", failures.len(), failures.join("\n"));
}
