//! The HTTP routes (see the crate docs for the table).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::store::Store;

#[derive(Clone)]
struct App {
    store: Store,
    token: Option<Arc<str>>,
}

/// An API error: status plus `{"error": message}`.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("storage: {e:#}"))
    }
}

fn bad_request(msg: &str) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, msg.into())
}

type Answer = Result<Json<Value>, ApiError>;

fn tenant(h: &HeaderMap) -> String {
    h.get("x-runtara-tenant-id")
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.is_empty())
        .unwrap_or("default")
        .to_string()
}

fn not_found(what: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("{what} not found"))
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

async fn auth(State(app): State<App>, req: Request, next: Next) -> Response {
    if let Some(token) = &app.token {
        let ok = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.strip_prefix("Bearer ") == Some(token));
        if !ok {
            return ApiError(StatusCode::UNAUTHORIZED, "missing or wrong bearer token".into()).into_response();
        }
    }
    next.run(req).await
}

/// The API router over `store`; with `token`, every request must carry it.
pub fn router(store: Store, token: Option<String>) -> Router {
    let app = App { store, token: token.map(Arc::from) };
    Router::new()
        .route("/api/v1/instances", get(list))
        .route("/api/v1/instances/{id}", get(inspect))
        .route("/api/v1/instances/{id}/status", get(status))
        .route("/api/v1/instances/{id}/register", post(register))
        .route("/api/v1/instances/{id}/checkpoint", post(checkpoint))
        .route("/api/v1/instances/{id}/checkpoints/{cid}", get(load))
        .route("/api/v1/instances/{id}/signals", get(pending).post(signal))
        .route("/api/v1/instances/{id}/signals/custom", get(custom))
        .route("/api/v1/instances/{id}/signals/ack", post(ack))
        .route("/api/v1/instances/{id}/events", post(events))
        .route("/api/v1/instances/{id}/sleep", post(sleep))
        .route("/api/v1/instances/{id}/completed", post(completed))
        .route("/api/v1/instances/{id}/failed", post(failed))
        .route("/api/v1/instances/{id}/suspended", post(suspended))
        .layer(middleware::from_fn_with_state(app.clone(), auth))
        .with_state(app)
}

async fn list(State(app): State<App>, h: HeaderMap) -> Answer {
    let rows = app.store.instances(&tenant(&h))?;
    Ok(Json(Value::Array(rows.into_iter().map(|(id, status)| json!({"id": id, "status": status})).collect())))
}

async fn inspect(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    let t = tenant(&h);
    let (status, output, error) = app.store.instance(&t, &id)?.ok_or_else(|| not_found("instance"))?;
    let checkpoints = app.store.checkpoint_ids(&t, &id)?;
    let events: Vec<Value> = app.store.events(&t, &id)?.iter().map(|e| parse(e)).collect();
    Ok(Json(json!({
        "id": id, "status": status, "output": output.as_deref().map(parse), "error": error.as_deref().map(parse),
        "checkpoints": checkpoints, "events": events,
    })))
}

async fn status(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    let t = tenant(&h);
    let (status, _, _) = app.store.instance(&t, &id)?.ok_or_else(|| not_found("instance"))?;
    let wake_at = app.store.wake_at(&t, &id)?.and_then(|w| w.parse::<u64>().ok());
    Ok(Json(json!({ "id": id, "status": status, "wake_at_ms": wake_at })))
}

async fn events(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Answer {
    let list = match body.get("events") {
        Some(Value::Array(a)) => a.iter().map(Value::to_string).collect(),
        _ if body.is_object() => vec![body.to_string()],
        _ => return Err(bad_request("send {events: [...]} or one event object")),
    };
    app.store.add_events(&tenant(&h), &id, &list)?;
    Ok(Json(json!({})))
}

async fn sleep(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Answer {
    let wake = body["wake_at_ms"].as_u64().ok_or_else(|| bad_request("wake_at_ms (ms since the epoch) is required"))?;
    app.store.sleep(&tenant(&h), &id, &wake.to_string())?;
    Ok(Json(json!({})))
}

async fn ack(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Answer {
    let sid = body["signal_id"].as_str().ok_or_else(|| bad_request("signal_id is required"))?;
    app.store.ack_custom(&tenant(&h), &id, sid)?;
    Ok(Json(json!({})))
}

async fn register(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    app.store.register(&tenant(&h), &id)?;
    Ok(Json(json!({})))
}

async fn checkpoint(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Answer {
    let t = tenant(&h);
    let cid = body["checkpoint_id"].as_str().ok_or_else(|| bad_request("checkpoint_id is required"))?;
    if let Some(events) = body["events"].as_array() {
        app.store.add_events(&t, &id, &events.iter().map(Value::to_string).collect::<Vec<_>>())?;
    }
    let (stored, state) = app.store.checkpoint(&t, &id, cid, &body["state"].to_string())?;
    let signal = app.store.control(&t, &id)?;
    Ok(Json(json!({ "stored": stored, "state": parse(&state), "signal": signal })))
}

async fn load(State(app): State<App>, h: HeaderMap, Path((id, cid)): Path<(String, String)>) -> Answer {
    let state = app.store.load(&tenant(&h), &id, &cid)?.ok_or_else(|| not_found("checkpoint"))?;
    Ok(Json(json!({ "state": parse(&state) })))
}

async fn pending(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    Ok(Json(json!({ "signal": app.store.control(&tenant(&h), &id)? })))
}

async fn signal(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Answer {
    let t = tenant(&h);
    match (body["signal"].as_str(), body["signal_id"].as_str()) {
        (Some(s @ ("pause" | "resume" | "cancel")), _) => app.store.set_control(&t, &id, s)?,
        (_, Some(sid)) => app.store.send_custom(&t, &id, sid, &body["payload"].to_string())?,
        _ => return Err(bad_request("send {signal: pause|resume|cancel} or {signal_id, payload}")),
    }
    Ok(Json(json!({})))
}

async fn custom(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let sid = q.get("signal_id").ok_or_else(|| bad_request("signal_id is required"))?;
    let payload = app.store.custom(&tenant(&h), &id, sid)?.ok_or_else(|| not_found("signal"))?;
    Ok(Json(json!({ "payload": parse(&payload) })))
}

async fn completed(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Answer {
    app.store.finish(&tenant(&h), &id, "completed", Some(&body["output"]), None)?;
    Ok(Json(json!({})))
}

async fn failed(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Answer {
    app.store.finish(&tenant(&h), &id, "failed", None, Some(&body["error"]))?;
    Ok(Json(json!({})))
}

async fn suspended(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(body): Json<Value>) -> Answer {
    let status = if body["status"] == "cancelled" { "cancelled" } else { "suspended" };
    app.store.finish(&tenant(&h), &id, status, None, None)?;
    Ok(Json(json!({})))
}
