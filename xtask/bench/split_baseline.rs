// Hand-written baseline for the Split benchmark: the same work as
// `split-map-fields` without the workflow runtime — read the items, map two fields of
// each, print `{"results": [...]}`.
use std::io::Read;

use runtara_workflow_stdlib::serde_json::{self, json, Map, Value};

fn main() {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).expect("stdin");
    let input: Value = serde_json::from_str(&text).expect("json");
    let items = input["items"].as_array().cloned().unwrap_or_default();
    let mut results = Vec::with_capacity(items.len());
    for item in &items {
        let mut out = Map::new();
        out.insert("label".into(), item.get("name").cloned().unwrap_or(Value::Null));
        out.insert("processed".into(), item.get("value").cloned().unwrap_or(Value::Null));
        results.push(json!({ "out": out }));
    }
    println!("{}", json!({ "results": results }));
}
