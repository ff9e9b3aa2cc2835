//! A scripted HTTP server on loopback for tests: it answers requests in order from a
//! script (an OpenAI-compatible LLM, an upstream API) and records every request, so tests
//! can count side effects. Built on axum; runs on its own thread until dropped.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::Value;

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, e.g. `/v1/chat/completions`.
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` when it is not JSON).
    pub body: Value,
    /// When it arrived, ms since the Unix epoch.
    pub received_ms: u64,
}

/// One scripted answer: status and JSON body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    /// Delay before every answer.
    latency: std::time::Duration,
    script: Vec<Reply>,
    /// Answer when the script is exhausted (default: 599 with an error body).
    fallback: Option<Reply>,
    requests: Vec<Recorded>,
}

/// The running server. Dropping it stops the server.
pub struct StubServer {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    shared: Arc<Mutex<Shared>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl StubServer {
    /// Starts a server that answers with `script` in order, then with `fallback` for every
    /// further request (or 599 when `None`).
    pub fn start(script: Vec<Reply>, fallback: Option<Reply>) -> StubServer {
        Self::start_slow(script, fallback, std::time::Duration::ZERO)
    }

    /// [`StubServer::start`] with `latency` before every answer (the request is recorded on
    /// arrival).
    pub fn start_slow(script: Vec<Reply>, fallback: Option<Reply>, latency: std::time::Duration) -> StubServer {
        let shared = Arc::new(Mutex::new(Shared {
            latency,
            script: script.into_iter().rev().collect(),
            fallback,
            requests: Vec::new(),
        }));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let url = format!("http://{}", listener.local_addr().expect("bound"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = shared.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
            rt.block_on(async move {
                let app = axum::Router::new().fallback(answer).with_state(state);
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await;
            });
        });
        StubServer { url, shared, stop: Some(stop) }
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().expect("stub state").requests.clone()
    }

    /// Requests received on `path` (path and query).
    pub fn count(&self, path: &str) -> usize {
        self.requests().iter().filter(|r| r.path == path).count()
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

async fn answer(
    State(state): State<Arc<Mutex<Shared>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let (reply, latency) = record(&state, method, uri, headers, body);
    tokio::time::sleep(latency).await;
    (StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), reply.body.to_string())
}

fn record(
    state: &Mutex<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (Reply, std::time::Duration) {
    let mut s = state.lock().expect("stub state");
    s.requests.push(Recorded {
        method: method.to_string(),
        path: uri.path_and_query().map(|p| p.to_string()).unwrap_or_default(),
        headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        received_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
    });
    let reply = s.script.pop().or_else(|| s.fallback.clone()).unwrap_or(Reply {
        status: 599,
        body: serde_json::json!({"error": {"message": "the stub's script is exhausted"}}),
    });
    (reply, s.latency)
}

/// An OpenAI chat-completions answer with `content`.
pub fn llm_text(content: &str) -> Reply {
    Reply {
        status: 200,
        body: serde_json::json!({"choices": [{"message": {"role": "assistant", "content": content}}]}),
    }
}

/// An OpenAI chat-completions answer that calls tool `name` with `args`.
pub fn llm_tool_call(id: &str, name: &str, args: &Value) -> Reply {
    Reply {
        status: 200,
        body: serde_json::json!({"choices": [{"message": {"role": "assistant", "content": null,
            "tool_calls": [{"id": id, "type": "function", "function": {"name": name, "arguments": args.to_string()}}]}}]}),
    }
}
