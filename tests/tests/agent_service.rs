//! The forwarded agents (`object-model`, `mcp`): every capability reaches the agent service
//! as `POST $RUNTARA_AGENT_SERVICE_URL/<agent>/<capability>` with the step input, and its
//! answer `{success, output | error}` becomes the step's output or structured error. The
//! service here is an echo on loopback: it answers with the request it got, or with an
//! error envelope when the input carries `"fail": true`.

use axum::extract::Path;
use axum::routing::post;
use axum::{Json, Router};
use runtara_e2e::agent_cases::{load_case_files, run_everywhere};
use serde_json::{json, Value};

async fn echo(Path((agent, capability)): Path<(String, String)>, Json(input): Json<Value>) -> Json<Value> {
    if input["fail"] == true {
        return Json(json!({"success": false, "error": {"code": "NOT_FOUND", "message": "no such instance",
            "category": "permanent", "severity": "error", "retryable": false}}));
    }
    Json(json!({"success": true, "output": {"agent": agent, "capability": capability, "input": input}}))
}

/// Starts the echo service on a free loopback port; it lives as long as the test process.
fn start_echo() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let app = Router::new().route("/agents/{agent}/{capability}", post(echo));
            axum::serve(tokio::net::TcpListener::from_std(listener).unwrap(), app).await.unwrap();
        });
    });
    format!("http://{addr}/agents")
}

fn run_forwarded(agent: &str) {
    let url = start_echo();
    let file = load_case_files().into_iter().find(|f| f.agent() == agent).expect("tests/agents/<agent>.json");
    let failures = run_everywhere(&file, &[], &[("RUNTARA_AGENT_SERVICE_URL", &url)]);
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn object_model_capabilities_reach_the_agent_service() {
    run_forwarded("object-model");
}

#[test]
fn mcp_capabilities_reach_the_agent_service() {
    run_forwarded("mcp");
}
