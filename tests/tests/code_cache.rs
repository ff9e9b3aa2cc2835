//! `runtara run` keeps each wasm32-wasip2 component's compiled code (issue 18): the second
//! run of the same component loads it instead of compiling; an entry that was tampered
//! with is rejected and compiled again, with the same output. A new component is compiled
//! by Winch; a run long enough for optimising to pay has it recompiled by cranelift.

use runtara_e2e::cli::{compile, guest_stats, runtara_command, spawn_with_input, workspace_root};
use runtara_e2e::tools::can_run;

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
        let (code, tier, output) = run_with_stats(&cache, &artifact, br#"{"amount": 250}"#);
        assert_eq!(tier, "baseline", "a short run keeps Winch's code");
        (code, output)
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

#[test]
fn a_run_that_takes_long_has_its_code_optimized_for_the_next() {
    if !can_run("wasm32-wasip2") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let artifact = dir.path().join("slow.wasm");
    // A durable sleep of 600 ms: the guest runs past what a cranelift compile of this
    // component costs (0.15 s for 0.5 MB; `runner::wasm::promote_after`).
    let graph = dir.path().join("slow.json");
    let src = std::fs::read_to_string(workspace_root().join("tests/fixtures/ai/workflows/slow_echo.json")).unwrap();
    std::fs::write(&graph, src.replace(r#""value": 50 }"#, r#""value": 600 }"#)).unwrap();
    compile(&graph, "wasm32-wasip2", &artifact, &[]);
    let input = br#"{"value": 7}"#;
    let (code, tier, output) = run_with_stats(&cache, &artifact, input);
    assert_eq!((code.as_str(), tier.as_str()), ("compiled", "baseline"), "a new component gets Winch's code");
    assert_eq!(run_with_stats(&cache, &artifact, input), ("cache".into(), "optimized".into(), output));
    let entries = std::fs::read_dir(cache.join("components")).unwrap().count();
    assert_eq!(entries, 1, "the Winch entry was replaced");
}

/// `runtara run ARTIFACT --stats` in `cache`: (`compiled_code`, `code_tier`, stdout).
fn run_with_stats(cache: &std::path::Path, artifact: &std::path::Path, input: &[u8]) -> (String, String, String) {
    let mut cmd = runtara_command();
    cmd.env("RUNTARA_CACHE_DIR", cache).args(["run", artifact.to_str().unwrap(), "--stats"]);
    let out = spawn_with_input(cmd, input).wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let stats = guest_stats(&stderr);
    let field = |name: &str| {
        stats.as_ref().and_then(|s| s[name].as_str().map(str::to_string)).unwrap_or_else(|| panic!("{stderr}"))
    };
    (field("compiled_code"), field("code_tier"), String::from_utf8_lossy(&out.stdout).to_string())
}
