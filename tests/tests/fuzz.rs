//! The fuzz suite (hardening item 12), on generated graphs (`runtara_e2e::fuzz`):
//!
//! - the parser and the validator never panic, on graphs and on truncated documents;
//! - every graph the validator accepts compiles for native and wasm32-wasip2, both artifacts
//!   run without panicking (a structured failure is fine), and they print the same envelope.
//!
//! The second property is time-boxed: `RUNTARA_FUZZ_SECONDS` (default 90; `cargo xtask fuzz
//! --minutes N` sets it), seeded by `RUNTARA_FUZZ_SEED` (default: the clock; printed). A
//! failing sample is shrunk and written to `<target dir>/fuzz-failures/`; committed into
//! `tests/fuzz/regressions/` it is replayed first on every run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use runtara_compiler::{compile_scenario, CompileError, CompileOptions, Scenario, Target};
use runtara_e2e::cli::workspace_root;
use runtara_e2e::fuzz::{sample, Sample};
use runtara_runner::{run_artifact, Limits, Outcome, RunRequest};
use serde_json::{json, Value};

/// Runs `f` on a thread with a large stack: generating and shrinking nested strategies
/// needs more than a test thread has in debug builds.
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .expect("a thread starts")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

#[test]
fn the_parser_and_validator_never_panic() {
    with_big_stack(|| {
        // Failures are reported with the shrunk graph; no persistence file beside the sources.
        let config = Config { cases: 400, failure_persistence: None, ..Config::default() };
        let catalog = runtara_compiler::catalog::builtin_catalog();
        let result = TestRunner::new(config).run(&(sample(), 0usize..2000), |(s, cut)| {
            let text = s.graph.to_string();
            let mut end = cut.min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            for doc in [text.as_str(), &text[..end]] {
                if let Ok(wf) = runtara_dsl::parse_workflow(doc) {
                    let _ = runtara_dsl::validate(&wf.graph, &catalog);
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    });
}

/// What one sample showed.
enum Verdict {
    /// The parser or validator refused it (fine).
    Rejected,
    /// Compiled and ran on both targets with the same envelope.
    Agreed,
    /// A bug: the message says which property broke.
    Problem(String),
}

const TARGETS: [&str; 2] = ["native", "wasm32-wasip2"];

fn check(s: &Sample, work: &Path) -> Verdict {
    let scenario = Scenario::Text { name: "fuzz.json".into(), json: s.graph.to_string() };
    let mut envelopes = Vec::new();
    for target in TARGETS {
        let mut opts = CompileOptions::new(Target::parse(target).expect("a known target"));
        opts.output = Some(work.join(if target == "native" { "fuzz" } else { "fuzz.wasm" }));
        match compile_scenario(scenario.clone(), &opts) {
            Ok(_) => {}
            Err(CompileError::Parse { .. } | CompileError::Validation { .. }) => return Verdict::Rejected,
            Err(e @ (CompileError::Unsupported { .. } | CompileError::Rustc { .. })) => {
                return Verdict::Problem(format!("the validator accepted it but {target} did not compile: {e}"))
            }
            Err(e) => panic!("the toolchain failed, not the graph: {e}"),
        }
        let req = RunRequest {
            stdin: s.input.to_string().into_bytes(),
            limits: Limits { wall_time: Some(Duration::from_secs(60)), ..Limits::default() },
            ..Default::default()
        };
        let run = run_artifact(opts.output.as_ref().expect("set above"), &req).expect("the artifact starts");
        let stderr = String::from_utf8_lossy(&run.stderr);
        if run.exit_code == 101 || stderr.contains("panicked at") || stderr.contains("wasm trap") {
            return Verdict::Problem(format!("the {target} artifact panicked: {stderr}"));
        }
        envelopes.push(Outcome::from_run(&run).envelope().to_string());
    }
    if envelopes[0] != envelopes[1] {
        return Verdict::Problem(format!("native and wasm32-wasip2 differ:\n  {}\n  {}", envelopes[0], envelopes[1]));
    }
    Verdict::Agreed
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"))
}

/// Shrinks a failing tree (at most `budget` more checks) and returns the smallest failing
/// sample with its message.
fn shrink(
    tree: &mut impl ValueTree<Value = Sample>,
    mut message: String,
    work: &Path,
    budget: usize,
) -> (Sample, String) {
    let mut smallest = tree.current();
    for _ in 0..budget {
        if !tree.simplify() {
            break;
        }
        match check(&tree.current(), work) {
            Verdict::Problem(m) => {
                smallest = tree.current();
                message = m;
            }
            _ => {
                if !tree.complicate() {
                    break;
                }
            }
        }
    }
    (smallest, message)
}

#[test]
fn accepted_graphs_compile_run_and_agree_on_native_and_wasm() {
    // One CI slice runs it (the native one); it compiles for both targets itself.
    if runtara_e2e::tools::can_run("native") {
        with_big_stack(fuzz_compile_and_run);
    }
}

fn fuzz_compile_and_run() {
    let work = tempfile::tempdir().unwrap();
    // Earlier findings first.
    let regressions = workspace_root().join("tests/fuzz/regressions");
    for entry in std::fs::read_dir(&regressions).into_iter().flatten().flatten() {
        if entry.path().extension().is_none_or(|x| x != "json") {
            continue;
        }
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(entry.path()).unwrap()).unwrap();
        let s = Sample { graph: doc["graph"].clone(), input: doc["input"].clone() };
        if let Verdict::Problem(m) = check(&s, work.path()) {
            panic!("regression {}: {m}", entry.path().display());
        }
    }
    let budget =
        Duration::from_secs(std::env::var("RUNTARA_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(90));
    let seed: u64 = std::env::var("RUNTARA_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    });
    eprintln!("fuzz: seed {seed} (RUNTARA_FUZZ_SEED), {} s", budget.as_secs());
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let strategy = sample();
    let (mut generated, mut agreed) = (0, 0);
    let started = Instant::now();
    while started.elapsed() < budget {
        let mut tree = strategy.new_tree(&mut runner).expect("the strategy generates");
        generated += 1;
        match check(&tree.current(), work.path()) {
            Verdict::Rejected => {}
            Verdict::Agreed => agreed += 1,
            Verdict::Problem(message) => {
                let (smallest, message) = shrink(&mut tree, message, work.path(), 40);
                let dir = target_dir().join("fuzz-failures");
                std::fs::create_dir_all(&dir).unwrap();
                let file = dir.join(format!("seed-{seed}-{generated}.json"));
                let doc = json!({"graph": smallest.graph, "input": smallest.input, "problem": message});
                std::fs::write(&file, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
                panic!(
                    "{message}\nminimised sample: {} (copy it into tests/fuzz/regressions/ once fixed)",
                    file.display()
                );
            }
        }
    }
    eprintln!(
        "fuzz: {generated} graphs generated, {agreed} accepted, compiled for both targets and ran with the same result, {} rejected",
        generated - agreed
    );
    assert!(generated > 0, "the time box was too short to try a single graph");
}
