use runtara_dsl::parse_workflow;

use super::*;

/// A Conditional with both routes, a Split whose body loops, an error route, and names
/// with markup characters.
const GRAPH: &str = r#"{
  "name": "Orders <\"&'>",
  "entryPoint": "check",
  "steps": {
    "check": { "stepType": "Conditional", "id": "check", "condition": { "type": "operation", "op": "EQ", "arguments": [ { "valueType": "immediate", "value": 1 }, { "valueType": "immediate", "value": 1 } ] } },
    "each": { "stepType": "Split", "id": "each", "name": "Per line <b>", "config": { "value": { "valueType": "reference", "value": "data.items" } },
      "subgraph": { "entryPoint": "fetch", "steps": {
        "fetch": { "stepType": "Agent", "id": "fetch", "agentId": "http", "capabilityId": "http-request" },
        "retry": { "stepType": "Delay", "id": "retry", "durationMs": { "valueType": "immediate", "value": 10 } },
        "done": { "stepType": "Finish", "id": "done" } },
        "executionPlan": [ { "fromStep": "fetch", "toStep": "done" }, { "fromStep": "fetch", "toStep": "retry", "label": "onError" },
                           { "fromStep": "retry", "toStep": "fetch" } ] } },
    "skip": { "stepType": "Finish", "id": "skip" },
    "out": { "stepType": "Finish", "id": "out" }
  },
  "executionPlan": [
    { "fromStep": "check", "toStep": "each", "label": "true" },
    { "fromStep": "check", "toStep": "skip", "label": "false" },
    { "fromStep": "each", "toStep": "out" }
  ]
}"#;

fn graph() -> runtara_dsl::ExecutionGraph {
    parse_workflow(GRAPH).expect("the test graph parses").graph
}

#[test]
fn svg_has_every_step_and_edge_and_escapes_user_text() {
    let svg = draw(&graph(), "x", Format::Svg);
    for id in ["check", "each", "skip", "out", "fetch", "retry", "done"] {
        assert!(svg.contains(&format!(r#"data-step="{id}""#)), "step {id} missing");
    }
    for (from, to) in [("check", "each"), ("check", "skip"), ("each", "out"), ("fetch", "done"), ("retry", "fetch")] {
        assert!(svg.contains(&format!(r#"data-from="{from}" data-to="{to}""#)), "edge {from}->{to} missing");
    }
    assert!(svg.contains(">onError</text>") && svg.contains(">true</text>") && svg.contains(">false</text>"));
    assert!(svg.contains("Orders &lt;&quot;&amp;&apos;&gt;") && svg.contains("Per line &lt;b&gt;"));
    assert!(!svg.contains("<b>"), "user markup never becomes SVG markup");
}

#[test]
fn boxes_of_one_level_never_overlap_and_bodies_fit_their_box() {
    fn check(c: &Cluster, laid: &layout::Laid) {
        for (i, a) in laid.boxes.iter().enumerate() {
            for b in &laid.boxes[i + 1..] {
                let apart = a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
            assert!(a.0 >= 0.0 && a.1 >= 0.0 && a.0 + a.2 <= laid.w + 0.01 && a.1 + a.3 <= laid.h + 0.01);
        }
        for ((n, body), bx) in c.nodes.iter().zip(&laid.bodies).zip(&laid.boxes) {
            if let (Some((_, sub)), Some(b)) = (&n.body, body) {
                assert!(b.w <= bx.2 && b.h <= bx.3, "the body of {} fits inside its box", n.step_id);
                check(sub, b);
            }
        }
    }
    let scene = Cluster::of(&graph(), "n");
    let laid = layout::lay_out(&scene);
    check(&scene, &laid);
    // Ranks follow the plan: check above each and skip, each above out; the loop back to
    // fetch does not push fetch below retry.
    assert!(laid.rank[0] < laid.rank[1] && laid.rank[1] < laid.rank[3]);
    let body = laid.bodies[1].as_ref().unwrap();
    assert_eq!(body.rank[0], 0, "fetch stays at the top of the loop");
}

#[test]
fn mermaid_and_dot_name_every_step_and_label() {
    let m = draw(&graph(), "x", Format::Mermaid);
    assert!(m.starts_with("---\ntitle: \"Orders #lt;#quot;#amp;'#gt;\"\n---\nflowchart TD\n"), "{m}");
    assert!(m.contains("n0 -->|\"true\"| n1") && m.contains("subgraph n1_body[\"Split each: subgraph\"]"), "{m}");
    assert!(m.contains("n1 -.->|subgraph| n1_0") && m.contains("n1_0 -->|\"onError\"| n1_"), "{m}");
    let d = draw(&graph(), "x", Format::Dot);
    assert!(d.starts_with("digraph workflow {") && d.trim_end().ends_with('}'), "{d}");
    assert!(d.contains(r#"label="Orders <\"&'>""#) && d.contains("subgraph cluster_n1 {"), "{d}");
    assert!(d.contains("n0 -> n1 [label=\"true\"];") && d.contains("shape=diamond"), "{d}");
}

#[test]
fn a_long_chain_is_laid_out_top_down() {
    let steps: Vec<String> =
        (0..500).map(|i| format!(r#""s{i}": {{"stepType": "Log", "id": "s{i}", "message": "m"}}"#)).collect();
    let plan: Vec<String> = (0..499).map(|i| format!(r#"{{"fromStep": "s{i}", "toStep": "s{}"}}"#, i + 1)).collect();
    let text =
        format!(r#"{{"entryPoint": "s0", "steps": {{{}}}, "executionPlan": [{}]}}"#, steps.join(","), plan.join(","));
    let g = parse_workflow(&text).unwrap().graph;
    let laid = layout::lay_out(&Cluster::of(&g, "n"));
    assert_eq!(laid.rank.iter().max(), Some(&499));
    assert_eq!(draw(&g, "chain", Format::Svg).matches(r#"class="step""#).count(), 500);
}
