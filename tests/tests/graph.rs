//! `runtara graph`: pictures of the example graphs in SVG, Mermaid and DOT name every step
//! and edge of every level; the SVGs, opened in headless Chromium as a person would see
//! them, have every step box on the page and no two boxes overlapping unless one holds the
//! other (a body inside its Split/While); screenshots go to `<target dir>/browser-artifacts`.

use std::path::{Path, PathBuf};

use runtara_e2e::cli::{runtara, workspace_root};
use serde_json::Value;

/// The example graphs, and fixtures with bodies (Split, While, onWait).
fn graphs() -> Vec<PathBuf> {
    let root = workspace_root();
    let mut v: Vec<PathBuf> = ["order-routing", "expense-approval", "data-cleanup"]
        .iter()
        .map(|n| root.join("examples").join(format!("{n}.json")))
        .collect();
    v.extend(["tests/fixtures/split/retry.json", "tests/fixtures/wait/approval.json"].iter().map(|p| root.join(p)));
    v
}

/// Every `(step id, type)` and `(from, to)` edge of the graph and its bodies.
fn steps_and_edges(graph: &Value, steps: &mut Vec<(String, String)>, edges: &mut Vec<(String, String)>) {
    let g = graph.get("executionGraph").unwrap_or(graph);
    for (id, step) in g["steps"].as_object().into_iter().flatten() {
        steps.push((id.clone(), step["stepType"].as_str().unwrap_or_default().to_string()));
        for key in ["subgraph", "onWait"] {
            if step[key].is_object() {
                steps_and_edges(&step[key], steps, edges);
            }
        }
    }
    for e in g["executionPlan"].as_array().into_iter().flatten() {
        edges
            .push((e["fromStep"].as_str().unwrap_or_default().into(), e["toStep"].as_str().unwrap_or_default().into()));
    }
}

fn draw(file: &Path, format: &str) -> String {
    let o = runtara(&["graph", file.to_str().unwrap(), "--format", format]);
    assert!(o.status.success(), "{}: {}", file.display(), String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn every_step_and_edge_is_drawn_in_every_format() {
    for file in graphs() {
        let graph: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let (mut steps, mut edges) = (Vec::new(), Vec::new());
        steps_and_edges(&graph, &mut steps, &mut edges);
        assert!(!steps.is_empty() && !edges.is_empty(), "{}", file.display());
        let svg = draw(&file, "svg");
        for (id, ty) in &steps {
            assert!(svg.contains(&format!(r#"data-step="{id}" data-type="{ty}""#)), "{}: step {id}", file.display());
        }
        for (from, to) in &edges {
            assert!(
                svg.contains(&format!(r#"data-from="{from}" data-to="{to}""#)),
                "{}: edge {from}->{to}",
                file.display()
            );
        }
        let (mermaid, dot) = (draw(&file, "mermaid"), draw(&file, "dot"));
        assert!(mermaid.contains("flowchart TD") && dot.starts_with("digraph workflow {"));
        for (id, _) in &steps {
            assert!(mermaid.contains(&format!("<br/>{id}")), "{}: mermaid lacks {id}", file.display());
            assert!(dot.contains(&format!("\\n{id}")), "{}: dot lacks {id}", file.display());
        }
        assert!(mermaid.matches("-->").count() >= edges.len(), "{}: an arrow per edge", file.display());
    }
}

#[test]
fn output_files_appear_whole_and_bad_input_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.svg");
    let file = &graphs()[0];
    let o = runtara(&["graph", file.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_to_string(&out).unwrap().trim_end().ends_with("</svg>"));
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{ \"steps\": ").unwrap();
    let none = dir.path().join("none.svg");
    let o = runtara(&["graph", bad.to_str().unwrap(), "-o", none.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!none.exists(), "no picture of a document that does not parse");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary files left behind");
}

/// Chromium draws every step box inside the page, and boxes either do not overlap or one
/// holds the other.
#[test]
fn the_pictures_look_right_in_a_browser() {
    if !runtara_e2e::tools::have_chromium() {
        return;
    }
    let artifacts = runtara_e2e::browser::artifacts_dir();
    for file in graphs() {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        // The SVG inline in a page, as a console or a README viewer shows it.
        let svg = draw(&file, "svg");
        std::fs::write(artifacts.join(format!("graph-{name}.svg")), &svg).unwrap();
        let page = artifacts.join(format!("graph-{name}.html"));
        std::fs::write(&page, format!("<!doctype html><html><body style=\"margin:0\">{svg}</body></html>")).unwrap();
        let shot = artifacts.join(format!("graph-{name}.png"));
        let seen = runtara_e2e::browser::chromium(
            "picture",
            &format!("file://{}", page.display()),
            &serde_json::json!({"screenshot": shot.to_str().unwrap()}),
        );
        let boxes: Vec<(String, [f64; 4])> = seen["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                let n = |k: &str| b[k].as_f64().unwrap();
                (b["step"].as_str().unwrap().to_string(), [n("x"), n("y"), n("w"), n("h")])
            })
            .collect();
        let (mut steps, mut edges) = (Vec::new(), Vec::new());
        steps_and_edges(&serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap(), &mut steps, &mut edges);
        assert_eq!(boxes.len(), steps.len(), "{name}: every step is on the page");
        // Parallel edges (a Switch's routes to one step) share one curve.
        edges.sort();
        edges.dedup();
        assert_eq!(seen["edges"].as_u64(), Some(edges.len() as u64), "{name}: every edge is drawn");
        for (i, (a, ra)) in boxes.iter().enumerate() {
            assert!(ra[0] >= 0.0 && ra[1] >= 0.0 && ra[2] > 20.0 && ra[3] > 20.0, "{name}: {a} is visible: {ra:?}");
            for (b, rb) in &boxes[i + 1..] {
                let apart = ra[0] + ra[2] <= rb[0]
                    || rb[0] + rb[2] <= ra[0]
                    || ra[1] + ra[3] <= rb[1]
                    || rb[1] + rb[3] <= ra[1];
                let holds = |o: &[f64; 4], x: &[f64; 4]| {
                    o[0] <= x[0] && o[1] <= x[1] && x[0] + x[2] <= o[0] + o[2] && x[1] + x[3] <= o[1] + o[3]
                };
                assert!(apart || holds(ra, rb) || holds(rb, ra), "{name}: {a} {ra:?} and {b} {rb:?} overlap");
            }
        }
        assert!(std::fs::metadata(&shot).unwrap().len() > 1000, "{name}: a screenshot was taken");
    }
}
