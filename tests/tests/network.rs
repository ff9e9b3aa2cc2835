//! Capabilities that use the network, run for real against a scripted server on loopback:
//! AiAgent (an OpenAI-compatible LLM: single shot, structured output, the tool loop) and the
//! `http` agent, on native, wasm32-wasip2 (wasi:http), wasm32-unknown-unknown in Node
//! (fetch) and the Cloudflare Worker under workerd (whose clock stands still while code runs,
//! so a retry backoff must not spin), with byte-identical outputs.
//! Plus the compile-time side: no network on firmware; wasi:http imported by components of
//! durable graphs (to checkpoint to a core) and of graphs that use the network, not by
//! `--stateless` ones.

use std::path::{Path, PathBuf};

use runtara_e2e::cli::{runtara, runtara_stdin, workspace_root};
use runtara_e2e::stub::{llm_text, llm_tool_call, Reply, StubServer};
use runtara_e2e::tools::can_run;
use serde_json::{json, Value};

const TARGETS: [&str; 4] = ["native", "wasm32-wasip2", "wasm32-unknown-unknown", "cloudflare"];

fn compile(fixture: &str, target: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!("{}-{target}", fixture.replace(['/', '.'], "-")));
    runtara_e2e::cli::compile(&workspace_root().join("tests/fixtures").join(fixture), target, &out, &[]);
    out
}

/// Writes a connection table in `dir` where `id` is an OpenAI-style connection at
/// `base_url` with key `sk-test`; returns its path.
fn connections(dir: &Path, id: &str, base_url: &str) -> PathBuf {
    let table = json!({id: {"integrationId": "openai", "parameters": {"baseUrl": base_url, "apiKey": "sk-test"}}});
    let file = dir.join("connections.json");
    std::fs::write(&file, table.to_string()).unwrap();
    file
}

/// Runs `artifact` with a connection table naming `server` as `id`.
fn run(
    artifact: &Path,
    dir: &Path,
    id: &str,
    server: &StubServer,
    base_path: &str,
    input: &Value,
) -> std::process::Output {
    let file = connections(dir, id, &format!("{}{base_path}", server.url));
    runtara_stdin(
        &["run", artifact.to_str().unwrap(), "--connections", file.to_str().unwrap()],
        input.to_string().as_bytes(),
    )
}

/// An LLM that first calls the `echo` tool with `{"value": 42}`, then answers "loop finished".
fn echo_then_answer_llm() -> StubServer {
    StubServer::start(vec![llm_tool_call("call_1", "echo", &json!({"value": 42})), llm_text("loop finished")], None)
}

#[test]
fn ai_tool_loop_calls_the_tool_and_feeds_the_result_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for target in TARGETS.into_iter().filter(|t| can_run(t)) {
        let artifact = compile("ai/tool_loop.json", target, dir.path());
        let llm = echo_then_answer_llm();
        let o = run(&artifact, dir.path(), "llm", &llm, "/v1", &json!({"question": "echo 42"}));
        assert!(o.status.success(), "{target}: {}", String::from_utf8_lossy(&o.stderr));
        let out: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(out, json!({"answer": "loop finished", "turns": 2, "tool": "echo", "toolResult": 42}), "{target}");

        let reqs = llm.requests();
        assert_eq!(reqs.len(), 2, "{target}: one request per turn");
        assert!(reqs.iter().all(|r| r.path == "/v1/chat/completions" && r.method == "POST"));
        assert!(
            reqs[0].headers.contains(&("authorization".into(), "Bearer sk-test".into())),
            "{target}: {:?}",
            reqs[0].headers
        );
        let first = &reqs[0].body;
        assert_eq!(first["model"], "gpt-4o-mini");
        assert_eq!(first["messages"][1], json!({"role": "user", "content": "echo 42"}));
        assert_eq!(first["tools"][0]["function"]["name"], "echo");
        assert_eq!(first["tools"][0]["function"]["description"], "Echo a value back");
        // Turn 2 carries the assistant's tool call and the tool's result.
        let second = reqs[1].body["messages"].as_array().unwrap();
        assert_eq!(second.last().unwrap(), &json!({"role": "tool", "tool_call_id": "call_1", "content": "42"}));
        outputs.push(o.stdout);
    }
    assert!(outputs.iter().all(|o| o == &outputs[0]), "outputs differ across targets: {outputs:?}");
}

/// A tool whose child workflow sleeps durably: where the run leaves its host for the sleep
/// (the browser module, the Worker) the sleep must stop the run — never reach the model as
/// the tool's error — and the model sees the child's output once it ran.
#[test]
fn ai_tool_whose_child_sleeps_gives_the_model_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let workflows = workspace_root().join("tests/fixtures/ai/workflows");
    for target in TARGETS.into_iter().filter(|t| can_run(t)) {
        let artifact = dir.path().join(format!("sleeping-tool-{target}"));
        let src = workspace_root().join("tests/fixtures/ai/sleeping_tool.json");
        runtara_e2e::cli::compile(&src, target, &artifact, &["--workflows", workflows.to_str().unwrap()]);
        let llm = echo_then_answer_llm();
        let o = run(&artifact, dir.path(), "llm", &llm, "/v1", &json!({"question": "echo 42"}));
        assert!(o.status.success(), "{target}: {}", String::from_utf8_lossy(&o.stderr));
        let out: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(out["toolResult"], json!({"value": 42}), "{target}: {out}");
        assert_eq!(llm.requests().len(), 2, "{target}: one request per turn");
    }
}

#[test]
fn ai_structured_output_is_parsed_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    for target in TARGETS.into_iter().filter(|t| can_run(t)) {
        let artifact = compile("ai/structured.json", target, dir.path());
        let llm = StubServer::start(vec![llm_text(r#"{"sentiment": "positive", "confidence": 0.87}"#)], None);
        let o = run(&artifact, dir.path(), "llm", &llm, "", &json!({"text": "great"}));
        assert!(o.status.success(), "{target}: {}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            serde_json::from_slice::<Value>(&o.stdout).unwrap(),
            json!({"result": {"sentiment": "positive", "confidence": 0.87}})
        );
        let format = &llm.requests()[0].body["response_format"];
        assert_eq!(format["json_schema"]["schema"]["required"], json!(["confidence", "sentiment"]), "{target}");

        // A schema violation fails the step; the onError route sees the code.
        let llm = StubServer::start(vec![llm_text(r#"{"sentiment": "ecstatic"}"#)], None);
        let o = run(&artifact, dir.path(), "llm", &llm, "", &json!({"text": "great"}));
        assert_eq!(
            serde_json::from_slice::<Value>(&o.stdout).unwrap(),
            json!({"code": "AI_STRUCTURED_OUTPUT_SCHEMA_MISMATCH"}),
            "{target}"
        );

        // A provider outage is a step failure too (no retries by default).
        let llm = StubServer::start(
            vec![Reply { status: 500, body: json!({"error": {"message": "provider outage"}}) }],
            None,
        );
        let o = run(&artifact, dir.path(), "llm", &llm, "", &json!({"text": "great"}));
        assert_eq!(
            serde_json::from_slice::<Value>(&o.stdout).unwrap(),
            json!({"code": "AI_COMPLETION_FAILED"}),
            "{target}"
        );
        assert_eq!(llm.requests().len(), 1);
    }
}

#[test]
fn ai_without_a_configured_connection_fails_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = compile("ai/tool_loop.json", "native", dir.path());
    let o = runtara_stdin(&["run", artifact.to_str().unwrap()], br#"{"question": "hi"}"#);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("connection 'llm' is not configured") && err.contains("--connections"), "{err}");
}

#[test]
fn http_agent_sends_the_request_and_routes_failures() {
    let dir = tempfile::tempdir().unwrap();
    for target in TARGETS.into_iter().filter(|t| can_run(t)) {
        let artifact = compile("ai/http_call.json", target, dir.path());
        let api = StubServer::start(vec![Reply { status: 201, body: json!({"id": "o-1"}) }], None);
        let o = run(&artifact, dir.path(), "api", &api, "/api", &json!({"order": {"sku": "x", "qty": 2}}));
        assert!(o.status.success(), "{target}: {}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            serde_json::from_slice::<Value>(&o.stdout).unwrap(),
            json!({"status": 201, "id": "o-1"}),
            "{target}"
        );
        let r = &api.requests()[0];
        assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/api/orders?q=a%20b"));
        assert_eq!(r.body, json!({"sku": "x", "qty": 2}));
        assert!(r.headers.contains(&("authorization".into(), "Bearer sk-test".into())));

        // 503 is retryable: maxRetries 1 → two attempts, then the onError route.
        let down = Reply { status: 503, body: json!({"error": "down"}) };
        let api = StubServer::start(vec![], Some(down));
        let o = run(&artifact, dir.path(), "api", &api, "", &json!({"order": {}}));
        assert!(o.status.success(), "{target}: {}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            serde_json::from_slice::<Value>(&o.stdout).unwrap(),
            json!({"handled": true, "status": 503}),
            "{target}"
        );
        assert_eq!(api.requests().len(), 2, "{target}");
    }
}

#[test]
fn durability_and_network_use_decide_the_wasi_http_import_and_firmware_rejects_it() {
    let dir = tempfile::tempdir().unwrap();
    let imports_http = |p: &Path| std::fs::read(p).unwrap().windows(9).any(|w| w == b"wasi:http");
    assert!(imports_http(&compile("ai/http_call.json", "wasm32-wasip2", dir.path())));
    let durable = compile("injection.json", "wasm32-wasip2", dir.path());
    assert!(imports_http(&durable), "a durable graph's component can checkpoint to a core");
    let stateless = dir.path().join("stateless.wasm");
    let src = workspace_root().join("tests/fixtures/injection.json");
    runtara_e2e::cli::compile(&src, "wasm32-wasip2", &stateless, &["--stateless"]);
    assert!(!imports_http(&stateless), "--stateless leaves wasi:http out of a graph without network use");

    let out = dir.path().join("fw.elf");
    let src = workspace_root().join("tests/fixtures/ai/http_call.json");
    let o =
        runtara(&["compile", "--target", "thumbv7em-none-eabihf", src.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("step 'call'") && err.contains("network"), "{err}");
    assert!(!out.exists());
}

/// With `--http-proxy URL` the http agent does not reach its host: it POSTs the request as
/// an envelope to the proxy, whose answer `{status, headers, body}` is the response — on
/// every target with a network (the browser module takes it as its `httpProxy` option, the
/// Worker from its `RUNTARA_HTTP_PROXY_URL` binding).
#[test]
fn http_agent_goes_through_the_proxy_when_one_is_set() {
    let dir = tempfile::tempdir().unwrap();
    for target in TARGETS.into_iter().filter(|t| can_run(t)) {
        let artifact = compile("ai/http_call.json", target, dir.path());
        let answer =
            json!({"status": 201, "headers": {"content-type": "application/json"}, "body": {"id": "via-proxy"}});
        let proxy = StubServer::start(vec![], Some(Reply { status: 200, body: answer }));
        // The connection names a host nobody listens on: only the proxy can answer.
        let file = connections(dir.path(), "api", "http://127.0.0.1:9/api");
        let proxy_url = format!("{}/proxy", proxy.url);
        let args =
            ["run", artifact.to_str().unwrap(), "--connections", file.to_str().unwrap(), "--http-proxy", &proxy_url];
        let o = runtara_stdin(&args, json!({"order": {"sku": "x", "qty": 2}}).to_string().as_bytes());
        assert!(o.status.success(), "{target}: {}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(
            serde_json::from_slice::<Value>(&o.stdout).unwrap(),
            json!({"status": 201, "id": "via-proxy"}),
            "{target}"
        );
        let sent = &proxy.requests()[0];
        assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", "/proxy"), "{target}");
        let envelope = &sent.body;
        assert_eq!(envelope["method"], "POST", "{target}: {envelope}");
        assert_eq!(envelope["url"], "http://127.0.0.1:9/api/orders?q=a%20b", "{target}: {envelope}");
        assert_eq!(envelope["body"], json!({"sku": "x", "qty": 2}), "{target}: {envelope}");
        assert_eq!(envelope["connection_id"], "api", "{target}: {envelope}");
        assert_eq!(envelope["headers"]["authorization"], "Bearer sk-test", "{target}: {envelope}");
    }
}

/// Identical requests of different steps are each sent: on the browser target, a step
/// restored from its checkpoint in a later attempt must not hand its response to the next
/// step's identical request (responses belong to their call site).
#[test]
fn identical_posts_of_split_items_are_each_sent_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for target in TARGETS.into_iter().filter(|t| can_run(t)) {
        let artifact = compile("split/identical_posts.json", target, dir.path());
        let api = StubServer::start(vec![], Some(Reply { status: 201, body: json!({"ok": true}) }));
        let input = json!({"items": [1, 2, 3, 4, 5, 6], "url": format!("{}/charge", api.url)});
        let o = runtara_stdin(&["run", artifact.to_str().unwrap()], input.to_string().as_bytes());
        assert!(o.status.success(), "{target}: {}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(api.count("/charge"), 6, "{target}: one POST per item");
        outputs.push((target, o.stdout));
    }
    for (target, out) in &outputs[1..] {
        assert_eq!(out, &outputs[0].1, "{target} and {} differ", outputs[0].0);
    }
}
