//! A compile never deletes or overwrites what it did not write (hardening item 6): a
//! browser module replaces only a directory that carries runtara's marker and nothing
//! else, `-o .` in a directory of sources is refused, and a file artifact never lands on
//! the input graph or a directory. Refusals are usage errors (exit 2) and leave every file
//! as it was.

use std::path::Path;
use std::process::Output;

use runtara_e2e::cli::{runtara_command, workspace_root};
use runtara_e2e::tools::can_run;

const BROWSER: &str = "wasm32-unknown-unknown";

/// `runtara compile --target T GRAPH -o OUT` run in `cwd`.
fn compile_in(cwd: &Path, target: &str, graph: &str, out: &str) -> Output {
    runtara_command()
        .current_dir(cwd)
        .args(["compile", "--target", target, graph, "-o", out])
        .output()
        .expect("runtara starts")
}

/// A scratch directory holding a copy of a project example as `flow.json`.
fn scratch_with_graph() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(workspace_root().join("examples/order-routing.json")).unwrap();
    std::fs::write(dir.path().join("flow.json"), &text).unwrap();
    (dir, text)
}

fn assert_refused(o: &Output, fragment: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "expected a usage error: {err}");
    assert!(err.contains(fragment), "message should mention {fragment:?}: {err}");
}

#[test]
fn a_directory_with_foreign_files_is_never_emptied() {
    let (dir, _) = scratch_with_graph();
    let out = dir.path().join("pkg");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    let o = compile_in(dir.path(), BROWSER, "flow.json", "pkg");
    assert_refused(&o, "refusing to replace");
    assert_eq!(std::fs::read_to_string(out.join("keep.txt")).unwrap(), "mine");
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 1, "nothing was added either");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no staging directories left behind: {leftovers:?}");
}

#[test]
fn output_dot_in_a_directory_of_sources_is_refused() {
    let (dir, text) = scratch_with_graph();
    let o = compile_in(dir.path(), BROWSER, "flow.json", ".");
    assert_refused(&o, "refusing to replace");
    assert_eq!(std::fs::read_to_string(dir.path().join("flow.json")).unwrap(), text, "the input graph survives");
}

#[test]
fn a_module_directory_is_replaced_but_not_once_someone_adds_a_file() {
    let (dir, _) = scratch_with_graph();
    let out = dir.path().join("pkg");
    // An empty directory holds nothing to lose.
    std::fs::create_dir(&out).unwrap();
    let o = compile_in(dir.path(), BROWSER, "flow.json", "pkg");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let marker = std::fs::read_to_string(out.join(".runtara-module")).unwrap();
    assert!(marker.lines().any(|l| l == "flow.wasm"), "{marker}");
    assert!(out.join("flow.js").is_file());

    // Our own module is replaced in place.
    let o = compile_in(dir.path(), BROWSER, "flow.json", "pkg");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("flow.wasm").is_file());

    // A file the user put beside it makes the directory theirs.
    std::fs::write(out.join("index.html"), "<html>").unwrap();
    let o = compile_in(dir.path(), BROWSER, "flow.json", "pkg");
    assert_refused(&o, "index.html");
    assert_eq!(std::fs::read_to_string(out.join("index.html")).unwrap(), "<html>");
    assert!(out.join("flow.wasm").is_file(), "the old module is untouched");
}

#[test]
fn a_file_artifact_never_replaces_the_input_or_a_directory() {
    let (dir, text) = scratch_with_graph();
    for target in ["native", "wasm32-wasip2"].into_iter().filter(|t| can_run(t)) {
        let o = compile_in(dir.path(), target, "flow.json", "flow.json");
        assert_refused(&o, "is the input graph");
        assert_eq!(std::fs::read_to_string(dir.path().join("flow.json")).unwrap(), text, "{target}");

        std::fs::create_dir_all(dir.path().join("out")).unwrap();
        let o = compile_in(dir.path(), target, "flow.json", "out");
        assert_refused(&o, "is a directory");
    }
}
