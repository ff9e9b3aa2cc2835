//! Golden files of generated code: every graph under `tests/graphs/` generated for every
//! [`CompilationTarget`] (no_std builds as `<triple>-nostd`), compared with `tests/expanded/<graph>.<target>.rs`. A graph the
//! target cannot take (templates on firmware, the network on wasm32-wasip1) has the
//! compiler's message as its golden instead.
//!
//! After a deliberate change to the emitters, refresh them with
//! `UPDATE_EXPECT=1 cargo test -p runtara-codegen --test expanded` and review the diff.
//! (Anchor: wasmtime's `component-macro/tests/expanded.rs`.)

use std::path::{Path, PathBuf};

use runtara_codegen::{generate, CodegenOptions, CompilationTarget};
use runtara_dsl::closure::{child_key, embed_steps, Children};

fn graphs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/graphs")
}

fn parse(path: &Path) -> runtara_dsl::Workflow {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    runtara_dsl::parse_workflow(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The children the graph embeds, read from `tests/graphs/children/<id>.json`.
fn children(graph: &runtara_dsl::ExecutionGraph) -> Children {
    embed_steps(graph)
        .into_iter()
        .map(|(step, _)| {
            (child_key(step), parse(&graphs_dir().join(format!("children/{}.json", step.child_workflow_id))).graph)
        })
        .collect()
}

/// The generated source, or `// error: <message>` when the target refuses the graph.
fn expand(wf: &runtara_dsl::Workflow, stem: &str, target: CompilationTarget) -> String {
    let opts = CodegenOptions {
        target,
        workflow_id: stem.to_string(),
        track_events: false,
        children: children(&wf.graph),
        heap_kb: None,
        staticlib: false,
        core_client: false,
        stateless: false,
        core_tls: false,
        local_store: false,
        http_world: false,
    };
    match generate(&wf.graph, &opts) {
        Ok(src) => src,
        Err(e) => format!("// error: {e}\n"),
    }
}

#[test]
fn generated_code_matches_the_goldens_on_every_target() {
    let mut graphs: Vec<PathBuf> = std::fs::read_dir(graphs_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    graphs.sort();
    assert!(graphs.len() >= 4, "the golden graphs are missing from {}", graphs_dir().display());
    for path in graphs {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let wf = parse(&path);
        // The no_std builds (wasm32-wasip2, wasm32-unknown-unknown) have goldens of their own.
        let nostd = CompilationTarget::ALL.into_iter().filter_map(CompilationTarget::without_std);
        for target in CompilationTarget::ALL.into_iter().chain(nostd) {
            let name = match target.is_nostd_build() {
                true => format!("{}-nostd", target.name()),
                false => target.name().to_string(),
            };
            let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/expanded/{stem}.{name}.rs"));
            expect_test::expect_file![golden].assert_eq(&expand(&wf, &stem, target));
        }
    }
}

/// Together the goldens exercise every step type, onError routes, subgraphs, children and
/// AiAgent tools: a golden set that stops covering one of them fails here.
#[test]
fn the_golden_graphs_cover_every_step_type() {
    let mut seen = std::collections::BTreeSet::new();
    fn walk(g: &runtara_dsl::ExecutionGraph, seen: &mut std::collections::BTreeSet<String>) {
        for step in g.steps.values() {
            seen.insert(step.step_type().to_string());
            for (_, sub) in step.subgraphs() {
                walk(sub, seen);
            }
        }
        if g.execution_plan.iter().any(|e| e.label.as_deref() == Some("onError")) {
            seen.insert("onError".into());
        }
    }
    for entry in std::fs::read_dir(graphs_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            walk(&parse(&path).graph, &mut seen);
        }
    }
    for kind in [
        "Agent",
        "Conditional",
        "Split",
        "Switch",
        "While",
        "Filter",
        "GroupBy",
        "Log",
        "Error",
        "Delay",
        "WaitForSignal",
        "EmbedWorkflow",
        "Finish",
        "AiAgent",
        "onError",
    ] {
        assert!(seen.contains(kind), "no golden graph uses {kind}; seen {seen:?}");
    }
}
