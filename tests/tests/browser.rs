//! The browser target (wasm32-unknown-unknown) for real: modules compiled by the CLI run in
//! Node (the JS API: results, structured errors, events, AbortSignal; network capabilities
//! over fetch are in `network.rs`) and in headless
//! Chromium (the passing conformance cases give the outputs they give in Node; a page
//! reload during a durable Delay resumes without redoing finished steps; the demo page,
//! screenshotted into `target/browser-artifacts/`).

use std::path::Path;
use std::process::Command;

use runtara_e2e::browser::{chromium, DemoServer};
use runtara_e2e::cli::{runtara, runtara_stdin, workspace_root};
use runtara_e2e::conformance::{load_cases, read_passing};
use runtara_e2e::tools::{can_run, conformance_corpus, have_chromium};
use serde_json::{json, Value};

const TARGET: &str = "wasm32-unknown-unknown";

fn compile(src: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["compile", "--target", TARGET, src.to_str().unwrap(), "-o", out.to_str().unwrap()];
    args.extend(extra);
    let o = runtara(&args);
    assert!(o.status.success(), "{}: {}", src.display(), String::from_utf8_lossy(&o.stderr));
}

#[test]
fn the_module_layout_and_js_api_in_node() {
    if !can_run(TARGET) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("approval");
    compile(&workspace_root().join("examples/expense-approval.json"), &pkg, &["--track-events"]);
    for f in ["expense-approval.wasm", "expense-approval.js", "expense-approval.d.ts"] {
        assert!(pkg.join(f).is_file(), "{f} missing");
    }
    let dts = std::fs::read_to_string(pkg.join("expense-approval.d.ts")).unwrap();
    assert!(dts.contains("export function run(input: any, options: RunOptions): Promise<any>;"), "{dts}");
    assert!(dts.contains("signal?: AbortSignal;"), "{dts}");

    let script = dir.path().join("api.mjs");
    std::fs::write(&script, r#"
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
const [dir] = process.argv.slice(2);
const mod = await import(pathToFileURL(`${dir}/expense-approval.js`).href);
await mod.default({ module_or_path: fs.readFileSync(`${dir}/expense-approval.wasm`) });
const events = [];
const out = await mod.run({ employee: 'ada', amount: 1200, receipt: true }, { onEvent: (e) => events.push(e.event + ':' + (e.step_id ?? '')) });
let failure = null;
try { await mod.run({ employee: 'bob' }, {}); } catch (e) {
  failure = { isError: e instanceof Error, message: e.message, code: e.code, stepId: e.stepId, severity: e.severity, payloadCode: e.payload.code };
}
const controller = new AbortController();
controller.abort();
let cancelled = null;
try { await mod.run({ employee: 'ada', amount: 1 }, { signal: controller.signal }); } catch (e) { cancelled = e.code; }
console.log(JSON.stringify({ out, events, failure, cancelled }));
"#).unwrap();
    let o = Command::new("node").arg(&script).arg(&pkg).output().expect("node runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["out"], json!({"decision": "escalated", "employee": "ada", "over": {"by": 1200}}));
    let events: Vec<&str> = v["events"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(events.contains(&"step_debug_start:policy") && events.contains(&"workflow_log:audit"), "{events:?}");
    assert_eq!(
        v["failure"],
        json!({"isError": true, "message": "Expenses need a receipt", "code": "RECEIPT_MISSING",
        "stepId": "reject", "severity": "warning", "payloadCode": "RECEIPT_MISSING"})
    );
    assert_eq!(v["cancelled"], "CANCELLED");

    // `runtara run` runs the module in Node with the artifact contract, exact JSON text.
    let o = runtara_stdin(&["run", pkg.to_str().unwrap()], br#"{"employee": "ada", "amount": 1200, "receipt": true}"#);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        r#"{"decision":"escalated","employee":"ada","over":{"by":1200.0}}"#
    );
}

/// Every passing conformance case with a run result gives, in Chromium, the output (or
/// error) it gives in Node — which the conformance gate holds byte-identical to native.
#[test]
fn passing_cases_give_the_same_results_in_chromium() {
    let Some(corpus) = conformance_corpus("chromium vs node on the corpus") else { return };
    if !have_chromium() {
        return;
    }
    let passing = read_passing(TARGET);
    let cases: Vec<_> = load_cases(&corpus)
        .into_iter()
        .filter(|c| passing.contains(&c.id) && c.children.is_empty())
        // Cases whose upstream is a harness stub (an HTTP proxy, an LLM) run in Node only.
        .filter(|c| !c.needs.iter().any(|n| n == "mock-http-upstream" || n == "llm-stub"))
        .filter(|c| ["output", "output_fields", "error", "outcome"].iter().any(|k| c.expect.get(*k).is_some()))
        .collect();
    assert!(cases.len() > 40, "only {} runnable cases", cases.len());
    let dir = tempfile::tempdir().unwrap();
    let mut expected = Vec::new();
    let mut specs = Vec::new();
    for c in &cases {
        let src = dir.path().join(format!("{}.json", c.id));
        std::fs::write(&src, serde_json::to_vec(&c.graph).unwrap()).unwrap();
        let pkg = dir.path().join("modules").join(&c.id);
        compile(&src, &pkg, &[]);
        let run =
            runtara_stdin(&["run", pkg.to_str().unwrap(), "--format", "envelope"], c.input.to_string().as_bytes());
        let envelope: Value = serde_json::from_slice(&run.stdout)
            .unwrap_or_else(|_| panic!("{}: {}", c.id, String::from_utf8_lossy(&run.stderr)));
        expected.push(envelope);
        specs.push(json!({"dir": c.id, "name": c.id, "input": c.input}));
    }
    let server = DemoServer::start(&dir.path().join("modules"));
    let results = chromium("cases", &server.url, &json!({"cases": specs}));
    let mut differ = Vec::new();
    for ((c, node), browser) in cases.iter().zip(&expected).zip(results.as_array().unwrap()) {
        let same = match (node["status"].as_str(), browser["ok"].as_bool()) {
            (Some("completed"), Some(true)) => {
                serde_json::from_str::<Value>(browser["output"].as_str().unwrap()).ok() == Some(node["output"].clone())
            }
            (Some("failed"), Some(false)) => browser["error"] == node["error"],
            _ => false,
        };
        if !same {
            differ.push(format!("{}: node {node} / chromium {browser}", c.id));
        }
    }
    assert!(differ.is_empty(), "{} of {} cases differ:\n{}", differ.len(), cases.len(), differ.join("\n"));
    eprintln!("chromium agreed with node on {} cases", cases.len());
}

#[test]
fn a_page_reload_during_a_durable_delay_resumes_without_redoing_steps() {
    if !have_chromium() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let modules = dir.path().join("modules");
    compile(&workspace_root().join("tests/fixtures/browser/reload.json"), &modules.join("reload"), &["--track-events"]);
    let server = DemoServer::start(&modules);
    let r = chromium("reload", &server.url, &json!({"dir": "reload", "name": "reload", "reloadAfterMs": 900}));
    let output: Value = serde_json::from_str(r["output"].as_str().unwrap()).unwrap();
    assert_eq!(output, json!({"first": "side effect done", "waited": 2500}));
    let starts: Vec<&str> = r["starts"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    // Before the reload: first, wait. After: the Agent step is restored from IndexedDB, the
    // Delay resumes with its stored deadline (no second full wait), then done.
    assert_eq!(starts.iter().filter(|s| **s == "first").count(), 1, "the Agent step ran again: {starts:?}");
    assert_eq!(starts.last(), Some(&"done"), "{starts:?}");
    let elapsed = r["elapsedMs"].as_u64().unwrap();
    assert!((2400..2500 + 900 + 1500).contains(&elapsed), "the Delay restarted instead of resuming: {elapsed} ms");
}

#[test]
fn the_demo_page_runs_a_workflow_and_is_screenshotted() {
    if !have_chromium() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let modules = dir.path().join("modules");
    let pkg = modules.join("expense-approval");
    compile(&workspace_root().join("examples/expense-approval.json"), &pkg, &["--track-events"]);
    std::fs::copy(workspace_root().join("examples/expense-approval.input.json"), pkg.join("example.json")).unwrap();
    let server = DemoServer::start(&modules);
    let shot = runtara_e2e::browser::artifacts_dir().join("demo.png");
    let _ = std::fs::remove_file(&shot);
    let r = chromium("demo", &server.url, &json!({"name": "expense-approval", "screenshot": shot}));
    assert_eq!(r["status"], "completed", "{r}");
    assert_eq!(r["output"], json!({"decision": "escalated", "employee": "ada", "over": {"by": 1200}}));
    let events: Vec<&str> = r["events"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(events.iter().any(|e| e.starts_with("step_debug_end") && e.contains("policy")), "{events:?}");
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "not a real screenshot ({} bytes)", png.len());
}
