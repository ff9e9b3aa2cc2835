//! The project's own regression suite (`tests/regression/*.json`, see
//! `runtara_e2e::regression`): every case's runs give their expected envelope on every
//! target the case names, and all targets print byte-identical envelopes. Needs nothing
//! outside the repository; targets whose runner (qemu, node) is missing are skipped
//! outside CI.

use std::collections::BTreeMap;

use runtara_e2e::regression::load_regression_cases;
use runtara_e2e::tools::can_run;
use serde_json::Value;

#[test]
fn every_case_gives_its_expected_envelope_on_every_target() {
    let bless = std::env::var_os("RUNTARA_BLESS").is_some();
    let work = tempfile::tempdir().unwrap();
    let mut runnable = BTreeMap::new();
    let mut failures = Vec::new();
    let cases = load_regression_cases();
    assert!(cases.len() >= 10, "only {} regression cases", cases.len());
    for mut case in cases {
        let graph = case.graph_file(work.path());
        let name = case.name();
        let runs = case.doc["runs"].as_array().cloned().unwrap_or_default();
        assert!(!runs.is_empty(), "{name}: no runs");
        for (i, run) in runs.iter().enumerate() {
            let mut first: Option<(String, String)> = None;
            for target in case.targets() {
                if !*runnable.entry(target.clone()).or_insert_with(|| can_run(&target)) {
                    continue;
                }
                let line = case.run(&graph, &target, &run["input"]);
                if bless && first.is_none() {
                    let blessed: Value =
                        serde_json::from_str(&line).unwrap_or_else(|_| panic!("{name} run {i}: {line}"));
                    case.doc["runs"][i]["expect"] = blessed;
                } else {
                    let got: Value = serde_json::from_str(&line).unwrap_or(Value::String(line.clone()));
                    if got != run["expect"] {
                        failures.push(format!(
                            "{name} run {i} on {target}:\n  expected {}\n  got      {line}",
                            run["expect"]
                        ));
                    }
                }
                match &first {
                    None => first = Some((target.clone(), line)),
                    Some((t, l)) if *l != line => {
                        failures.push(format!("{name} run {i}: {t} and {target} differ:\n  {l}\n  {line}"))
                    }
                    Some(_) => {}
                }
            }
        }
        if bless {
            std::fs::write(&case.path, serde_json::to_string_pretty(&case.doc).unwrap() + "\n").unwrap();
        }
    }
    assert!(failures.is_empty(), "{} regression(s):\n{}", failures.len(), failures.join("\n"));
}
