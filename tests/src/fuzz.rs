//! Generated workflow graphs for the fuzz suite (hardening item 12): proptest strategies for
//! graphs that should be valid (chains of every portable step kind, with branches, loops and
//! references good and bad) and for subtly broken variants of them, plus the inputs to run
//! them with. `tests/tests/fuzz.rs` checks the properties; `cargo xtask fuzz` runs it longer.

use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// A graph document and an input to run it with.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The workflow document.
    pub graph: Value,
    /// The input JSON.
    pub input: Value,
}

fn scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i32>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        "[a-z\"'{}:;!. \\\\]{0,8}".prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        Just(Value::Null),
    ]
    .boxed()
}

fn reference() -> BoxedStrategy<String> {
    prop::sample::select(vec![
        "data.x",
        "data.s",
        "data.items",
        "data.items.0.n",
        "data.items.-1.k",
        "data.missing.deep",
        "variables.v",
        "variables._workflow_id",
        "steps.s0.outputs",
        "steps.s1.outputs.items",
        "steps.s2.outputs.count",
        "steps.nope.outputs",
    ])
    .prop_map(str::to_string)
    .boxed()
}

/// A mapping value (dsl-spec §3): an immediate, or a reference with or without a default.
fn mapping() -> BoxedStrategy<Value> {
    prop_oneof![
        scalar().prop_map(|v| json!({"valueType": "immediate", "value": v})),
        reference().prop_map(|p| json!({"valueType": "reference", "value": p})),
        (reference(), scalar()).prop_map(|(p, d)| json!({"valueType": "reference", "value": p, "default": d})),
        (reference(), prop::sample::select(vec!["string", "number", "integer", "boolean"]))
            .prop_map(|(p, t)| json!({"valueType": "reference", "value": p, "type": t, "default": 0})),
    ]
    .boxed()
}

/// A binary comparison over two mapping values.
fn comparison() -> BoxedStrategy<Value> {
    (prop::sample::select(vec!["EQ", "NE", "GT", "GTE", "LT", "LTE", "CONTAINS", "STARTS_WITH"]), mapping(), mapping())
        .prop_map(|(op, a, b)| json!({"type": "operation", "op": op, "arguments": [a, b]}))
        .boxed()
}

/// A condition (dsl-spec §5.1) over mapping values.
fn condition() -> BoxedStrategy<Value> {
    let unary = (prop::sample::select(vec!["IS_EMPTY", "IS_NOT_EMPTY", "IS_DEFINED"]), mapping())
        .prop_map(|(op, a)| json!({"type": "operation", "op": op, "arguments": [a]}));
    let and =
        (comparison(), comparison()).prop_map(|(a, b)| json!({"type": "operation", "op": "AND", "arguments": [a, b]}));
    prop_oneof![comparison(), unary, and].boxed()
}

/// One step of the chain, given its id; Conditionals are wired by [`graph`].
fn step(id: String) -> BoxedStrategy<Value> {
    let log = (mapping(), "[a-z \"]{0,6}").prop_map({
        let id = id.clone();
        move |(m, msg)| json!({"stepType": "Log", "id": id, "message": msg, "context": {"k": m}})
    });
    let agent = mapping().prop_map({
        let id = id.clone();
        move |m| json!({"stepType": "Agent", "id": id, "agentId": "utils", "capabilityId": "return-input", "inputMapping": {"value": m}})
    });
    let filter = (mapping(), condition()).prop_map({
        let id = id.clone();
        move |(v, c)| json!({"stepType": "Filter", "id": id, "config": {"value": v, "condition": c}})
    });
    let group = mapping().prop_map({
        let id = id.clone();
        move |v| json!({"stepType": "GroupBy", "id": id, "config": {"value": v, "key": "k"}})
    });
    let switch =
        (mapping(), prop::sample::select(vec!["EQ", "GT", "LT", "CONTAINS", "IS_EMPTY"]), scalar(), scalar(), scalar())
            .prop_map({
                let id = id.clone();
                move |(v, mt, m, out, def)| {
                    json!({"stepType": "Switch", "id": id, "config": {"value": v,
                    "cases": [{"matchType": mt, "match": m, "output": out}], "default": def}})
                }
            });
    let conditional = condition().prop_map({
        let id = id.clone();
        move |c| json!({"stepType": "Conditional", "id": id, "condition": c})
    });
    let delay = (0u32..3).prop_map({
        let id = id.clone();
        move |ms| json!({"stepType": "Delay", "id": id, "durationMs": {"valueType": "immediate", "value": ms}})
    });
    let split = (any::<bool>(), mapping()).prop_map({
        let id = id.clone();
        move |(dont_stop, m)| {
            json!({"stepType": "Split", "id": id,
                "config": {"value": {"valueType": "reference", "value": "data.items", "default": []}, "dontStopOnFailed": dont_stop},
                "subgraph": {"entryPoint": "b", "steps": {"b": {"stepType": "Finish", "id": "b", "inputMapping": {"v": m}}}}})
        }
    });
    let while_loop = (0u32..4, 0u32..4).prop_map(move |(limit, max)| {
        json!({"stepType": "While", "id": id,
            "condition": {"type": "operation", "op": "LT", "arguments": [
                {"valueType": "reference", "value": "loop.index"}, {"valueType": "immediate", "value": limit}]},
            "config": {"maxIterations": max},
            "subgraph": {"entryPoint": "t", "steps": {"t": {"stepType": "Log", "id": "t", "message": "tick"}}}})
    });
    prop_oneof![log, agent, filter, group, switch, conditional, delay, split, while_loop].boxed()
}

/// A graph that should be valid: a chain `s0 → s1 → … → end` (a Conditional's false branch
/// goes to a Finish or an Error of its own), a Finish mapping a few values.
pub fn graph() -> BoxedStrategy<Value> {
    (1usize..7)
        .prop_flat_map(|n| {
            let steps: Vec<_> = (0..n).map(|i| step(format!("s{i}"))).collect();
            (steps, prop::collection::vec(mapping(), 1..3), any::<bool>())
        })
        .prop_map(|(steps, outputs, error_branch)| {
            let mut map = Map::new();
            let mut plan = Vec::new();
            let n = steps.len();
            for (i, s) in steps.into_iter().enumerate() {
                let id = format!("s{i}");
                let next = if i + 1 < n { format!("s{}", i + 1) } else { "end".into() };
                if s["stepType"] == "Conditional" {
                    let other = format!("{id}_else");
                    let other_step = if error_branch {
                        json!({"stepType": "Error", "id": other, "code": "FUZZ", "message": "branch", "category": "permanent"})
                    } else {
                        json!({"stepType": "Finish", "id": other, "inputMapping": {"branch": {"valueType": "immediate", "value": id}}})
                    };
                    map.insert(other.clone(), other_step);
                    plan.push(json!({"fromStep": id, "toStep": next, "label": "true"}));
                    plan.push(json!({"fromStep": id, "toStep": other, "label": "false"}));
                } else {
                    plan.push(json!({"fromStep": id, "toStep": next}));
                }
                map.insert(id, s);
            }
            let out: Map<String, Value> = outputs.into_iter().enumerate().map(|(i, m)| (format!("o{i}"), m)).collect();
            map.insert("end".into(), json!({"stepType": "Finish", "id": "end", "inputMapping": out}));
            json!({"name": "fuzz", "entryPoint": "s0", "durable": false,
                   "variables": {"v": {"type": "number", "value": 3}},
                   "steps": map, "executionPlan": plan})
        }).boxed()
}

/// One small edit that may break a graph: a removed step, an edge to a missing step, a
/// duplicated edge, an unknown step type or operator, a lost entry point.
fn break_graph(mut g: Value, which: usize, pick: usize) -> Value {
    let ids: Vec<String> = g["steps"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    let id = ids.get(pick % ids.len().max(1)).cloned().unwrap_or_default();
    match which % 6 {
        0 => {
            g["steps"].as_object_mut().map(|m| m.remove(&id));
        }
        1 => {
            if let Some(plan) = g["executionPlan"].as_array_mut() {
                plan.push(json!({"fromStep": id, "toStep": "ghost"}));
            }
        }
        2 => {
            if let Some(plan) = g["executionPlan"].as_array_mut() {
                if let Some(first) = plan.first().cloned() {
                    plan.push(first);
                }
            }
        }
        3 => g["steps"][&id]["stepType"] = json!("Teleport"),
        4 => g["steps"][&id]["condition"] = json!({"type": "operation", "op": "NOPE", "arguments": []}),
        _ => g["entryPoint"] = json!("nowhere"),
    }
    g
}

/// The input documents run with: numbers, strings, and items with `n` and `k`.
pub fn input() -> BoxedStrategy<Value> {
    let item = (any::<i16>(), prop::sample::select(vec!["a", "b"])).prop_map(|(n, k)| json!({"n": n, "k": k}));
    (scalar(), "[a-z\"{} ]{0,6}", prop::collection::vec(item, 0..4))
        .prop_map(|(x, s, items)| json!({"x": x, "s": s, "items": items}))
        .boxed()
}

/// Samples: mostly graphs that should be valid, some with one breaking edit.
pub fn sample() -> BoxedStrategy<Sample> {
    (graph(), input(), 0usize..10, any::<usize>())
        .prop_map(|(g, input, which, pick)| {
            let graph = if which < 7 { g } else { break_graph(g, which + pick, pick) };
            Sample { graph, input }
        })
        .boxed()
}
