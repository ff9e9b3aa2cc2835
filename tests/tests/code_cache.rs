//! `runtara run` keeps each wasm32-wasip2 component's compiled code (issue 18): the second
//! run of the same component loads it instead of compiling; an entry that was tampered
//! with is rejected and compiled again, with the same output; a changed component is
//! another entry.

use runtara_e2e::cli::{compile, runtara_command, spawn_with_input, workspace_root};
use runtara_e2e::tools::can_run;
use serde_json::Value;

#[test]
fn the_second_run_reuses_compiled_code_and_a_tampered_entry_is_rejected() {
    if !can_run("wasm32-wasip2") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let artifact = dir.path().join("conditional.wasm");
    let src = workspace_root().join("tests/fixtures/conditional.json");
    compile(&src, "wasm32-wasip2", &artifact, &[]);
    let run = || -> (String, String) {
        let mut cmd = runtara_command();
        cmd.env("RUNTARA_CACHE_DIR", &cache).args(["run", artifact.to_str().unwrap(), "--stats"]);
        let out = spawn_with_input(cmd, br#"{"amount": 250}"#).wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{stderr}");
        let stats =
            stderr.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).find(|v| v["event"] == "guest_stats");
        let code =
            stats.and_then(|s| s["compiled_code"].as_str().map(str::to_string)).unwrap_or_else(|| panic!("{stderr}"));
        (code, String::from_utf8_lossy(&out.stdout).to_string())
    };
    let (first, output) = run();
    assert_eq!(first, "compiled");
    assert_eq!(run(), ("cache".to_string(), output.clone()), "the second run loads the compiled code");
    let entries: Vec<_> = std::fs::read_dir(cache.join("components")).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let mut bytes = std::fs::read(&entries[0]).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x5a;
    std::fs::write(&entries[0], &bytes).unwrap();
    assert_eq!(run(), ("compiled".to_string(), output.clone()), "a tampered entry is never loaded");
    assert_eq!(run(), ("cache".to_string(), output), "and is replaced by an intact one");
}
