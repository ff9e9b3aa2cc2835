//! Issue 18: Binaryen's `wasm-opt -Oz` runs after a `--release` wasm32-wasip1 or
//! wasm32-wasip2 compile when it is installed; the module (or the component's core module)
//! gets smaller and still gives the same output.

use runtara_e2e::cli::{runtara_command, runtara_stdin, workspace_root};
use runtara_e2e::tools::{can_run, have_program};

#[test]
fn wasm_opt_shrinks_a_release_module_that_still_runs_the_same() {
    shrinks_and_runs_the_same("wasm32-wasip1");
}

#[test]
fn wasm_opt_shrinks_a_release_component_that_still_runs_the_same() {
    shrinks_and_runs_the_same("wasm32-wasip2");
}

fn shrinks_and_runs_the_same(target: &str) {
    if !can_run(target) || !have_program("wasm-opt", "apt-get install binaryen") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let graph = workspace_root().join("tests/fixtures/conditional.json");
    let mut sizes = Vec::new();
    for setting in ["off", "wasm-opt"] {
        let out = dir.path().join(format!("{setting}.wasm"));
        let o = runtara_command()
            .env("RUNTARA_WASM_OPT", setting)
            .args(["compile", "--release", "--target", target])
            .arg(&graph)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains("not size-optimised"),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let run = runtara_stdin(&["run", out.to_str().unwrap()], br#"{"amount": 150}"#);
        assert!(run.status.success(), "{setting}: {}", String::from_utf8_lossy(&run.stderr));
        assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), r#"{"amount":150,"tier":"high"}"#, "{setting}");
        sizes.push(std::fs::metadata(&out).unwrap().len());
    }
    assert!(sizes[1] < sizes[0], "{target}: wasm-opt made the artifact smaller: {sizes:?}");
}
