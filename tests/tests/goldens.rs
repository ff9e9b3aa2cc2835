//! The golden files of generated code (`crates/codegen/tests/expanded/`) build for their
//! target with warnings denied: the emitters produce clean Rust, not code that needs a
//! blanket `#![allow]` (layout issue, item 2).

use std::path::PathBuf;

use runtara_compiler::rustc::{compile_with, BuildFlags};
use runtara_compiler::{prebuilt, Target};
use runtara_e2e::cli::workspace_root;

#[test]
fn every_golden_builds_with_warnings_denied() {
    let dir = workspace_root().join("crates/codegen/tests/expanded");
    let mut goldens: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    goldens.sort();
    let work = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    let mut built = 0;
    for path in goldens {
        let source = std::fs::read_to_string(&path).unwrap();
        if source.starts_with("// error:") {
            continue; // the target refuses this graph; the golden is the message
        }
        // `<graph>.<target>.rs`
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (graph, rest) = name.split_once('.').unwrap();
        let triple = rest.trim_end_matches(".rs");
        // `wasm32-wasip2-nostd`: the no_std component build of wasm32-wasip2.
        let target = match triple.strip_suffix("-nostd") {
            Some(t) => Target::parse(t).unwrap().without_std().expect("only wasm32-wasip2 has a no_std build"),
            None => Target::parse(triple).unwrap(),
        };
        let pre = prebuilt::ensure(&target).unwrap_or_else(|e| panic!("prebuilt stdlib for {triple}: {e}"));
        let out = work.path().join(format!("{graph}-{triple}.out"));
        let flags = BuildFlags { deny_warnings: true, ..BuildFlags::default() };
        match compile_with(&path, &out, &format!("golden_{graph}"), &target, &pre, flags) {
            Ok(()) => built += 1,
            Err(runtara_compiler::CompileError::Rustc { rendered, .. }) => {
                failures.push(format!("{name}:\n{rendered}"))
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "goldens that do not build warning-free:\n{}", failures.join("\n"));
    assert!(built >= 15, "only {built} goldens were built");
}
