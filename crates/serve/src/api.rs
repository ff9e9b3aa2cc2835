//! The management API (see the crate docs for the table): deployments and starting
//! instances. Every answer is JSON; every refusal is `{error}` with a 4xx naming the cause.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use runtara_core::tenant;
use runtara_protocol::wire::MAX_BODY_BYTES;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::deploy::{self, Settings};
use crate::Server;

type App = Arc<Server>;

/// A refusal: status plus `{"error": message}`.
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

impl From<deploy::Refusal> for ApiError {
    fn from((status, message): deploy::Refusal) -> Self {
        ApiError(status, message)
    }
}

type Answer = Result<Response, ApiError>;

/// Runs blocking work of a handler (compiling, the database, outgoing HTTP) off the async
/// threads; a refusal passes through, a panic is a 500 naming `what` stopped.
async fn blocking<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> Result<T, deploy::Refusal> + Send + 'static,
) -> Result<T, ApiError> {
    let done = tokio::task::spawn_blocking(work).await;
    Ok(done.map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("{what} stopped: {e}")))??)
}

/// The request body, refused with a JSON 413 as soon as its announced length is over the
/// limit (before any of it is read) or once it grows past it.
async fn read_body(h: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let too_large = |n: String| {
        ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body ({n}) is over the limit of {MAX_BODY_BYTES} bytes"),
        )
    };
    let announced = h.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(n) = announced.filter(|n| *n > MAX_BODY_BYTES as u64) {
        return Err(too_large(format!("{n} bytes")));
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| too_large("unbounded".into()))
}

/// The management routes over `server` (authenticated by the state service's layer).
pub fn routes(server: App) -> Router {
    Router::new()
        .route("/api/v1/workflows", post(create_workflow).get(list_workflows))
        .route("/api/v1/workflows/{id}", get(show_workflow).delete(delete_workflow))
        .route("/api/v1/workflows/validate", post(validate_workflow))
        .route("/api/v1/instances", post(start_instance))
        .route("/api/v1/instances/{id}/migrate", post(migrate_instance))
        .route("/api/v1/instances/{id}/run", get(show_run))
        .route("/api/v1/runs", get(list_runs))
        .route("/api/v1/workflows/{id}/versions/{version}/graph.svg", get(graph_picture))
        .route(crate::proxy::PROXY_PATH, post(proxy_request))
        .with_state(server)
}

/// `?workflowId=ID&memoryBytes=&fuel=&wallTimeMs=&maxRestarts=&allowHosts=a,b`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DeployQuery {
    workflow_id: Option<String>,
    memory_bytes: Option<u64>,
    fuel: Option<u64>,
    wall_time_ms: Option<u64>,
    max_restarts: Option<u32>,
    allow_hosts: Option<String>,
}

async fn create_workflow(
    State(server): State<App>,
    h: HeaderMap,
    query: Result<Query<DeployQuery>, axum::extract::rejection::QueryRejection>,
    body: Body,
) -> Answer {
    let Query(q) = query.map_err(|e| ApiError(StatusCode::BAD_REQUEST, e.body_text()))?;
    let body = read_body(&h, body).await?;
    let workflow_id = q.workflow_id.ok_or_else(|| {
        ApiError(StatusCode::BAD_REQUEST, "workflowId is required: POST /api/v1/workflows?workflowId=ID".into())
    })?;
    let settings = Settings {
        memory_bytes: q.memory_bytes,
        fuel: q.fuel,
        wall_time_ms: q.wall_time_ms,
        max_restarts: q.max_restarts,
        allow_hosts: q
            .allow_hosts
            .map(|a| a.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
            .unwrap_or_default(),
    };
    let t = tenant(&h);
    let deployed =
        blocking("the deployment", move || deploy::deploy(&server, &t, &workflow_id, &body, settings)).await?;
    Ok((StatusCode::CREATED, Json(deployed)).into_response())
}

/// `POST /api/v1/workflows/validate` with a graph: the validator's findings, as `runtara
/// validate --format json` gives them, plus `valid` (see [`deploy::validate`]).
async fn validate_workflow(State(server): State<App>, h: HeaderMap, body: Body) -> Answer {
    let body = read_body(&h, body).await?;
    let t = tenant(&h);
    let answer = blocking("the validation", move || deploy::validate(&server, &t, &body)).await?;
    Ok(Json(answer).into_response())
}

async fn list_workflows(State(server): State<App>, h: HeaderMap) -> Answer {
    let t = tenant(&h);
    let mut out = Vec::new();
    for id in server.db.workflow_ids(&t)? {
        let latest = server.db.versions(&t, &id)?.last().map(|v| v.version);
        out.push(json!({ "workflowId": id, "latestVersion": latest }));
    }
    Ok(Json(out).into_response())
}

async fn show_workflow(State(server): State<App>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    let versions = server.db.versions(&tenant(&h), &id)?;
    if versions.is_empty() {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("workflow '{id}' is not deployed")));
    }
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({
                "version": v.version, "artifact": v.artifact, "source": v.source, "created": v.created,
                "settings": serde_json::from_str::<Value>(&v.settings).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(Json(json!({ "workflowId": id, "versions": versions })).into_response())
}

/// `GET /api/v1/workflows/{id}/versions/{v}/graph.svg`: the picture of a deployed graph
/// (runtara-draw); 404 for a component deployment, which has no graph.
async fn graph_picture(State(server): State<App>, h: HeaderMap, Path((id, version)): Path<(String, u32)>) -> Answer {
    let not_found = || ApiError(StatusCode::NOT_FOUND, format!("workflow '{id}' version {version} has no graph"));
    let (graph, _) = server.db.graph(&tenant(&h), &id, version)?.ok_or_else(not_found)?;
    let wf = runtara_dsl::parse_workflow(&graph).map_err(|_| not_found())?;
    let svg = runtara_draw::draw(&wf.graph, &id, runtara_draw::Format::Svg);
    Ok(([("content-type", "image/svg+xml")], svg).into_response())
}

/// `GET /api/v1/runs`: `[{id, workflowId, version, status}]`, the tenant's instances of
/// deployed workflows in id order (at most 1,000).
async fn list_runs(State(server): State<App>, h: HeaderMap) -> Answer {
    let runs = server.db.runs(&tenant(&h), 1000)?;
    let rows: Vec<Value> = runs
        .into_iter()
        .map(|(id, workflow, version, status)| json!({"id": id, "workflowId": workflow, "version": version, "status": status}))
        .collect();
    Ok(Json(rows).into_response())
}

/// `GET /api/v1/instances/{id}/run`: `{workflowId, version, input, debug}` of an instance.
async fn show_run(State(server): State<App>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    let run = server
        .db
        .run(&tenant(&h), &id)?
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no instance '{id}'")))?;
    let input = serde_json::from_str::<Value>(&run.input).unwrap_or(Value::String(run.input.clone()));
    Ok(Json(json!({"workflowId": run.workflow_id, "version": run.version, "input": input, "debug": run.debug}))
        .into_response())
}

async fn delete_workflow(State(server): State<App>, h: HeaderMap, Path(id): Path<String>) -> Answer {
    if !server.db.delete_workflow(&tenant(&h), &id)? {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("workflow '{id}' is not deployed")));
    }
    Ok(Json(json!({})).into_response())
}

/// `POST /api/v1/instances` body.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StartRequest {
    workflow_id: String,
    version: Option<u32>,
    #[serde(default)]
    input: Value,
    instance_id: Option<String>,
    /// Debug mode: the instance pauses before every step with `breakpoint: true`.
    #[serde(default)]
    debug: bool,
}

async fn start_instance(State(server): State<App>, h: HeaderMap, body: Body) -> Answer {
    let body = read_body(&h, body).await?;
    let req: StartRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError(
            StatusCode::BAD_REQUEST,
            format!("invalid request body: {e}; expected {{workflowId, version?, input?, instanceId?, debug?}}"),
        )
    })?;
    let t = tenant(&h);
    let versions = server.db.versions(&t, &req.workflow_id)?;
    let version = match req.version {
        Some(v) => versions.iter().find(|d| d.version == v),
        None => versions.last(),
    }
    .ok_or_else(|| {
        let which = req.version.map(|v| format!(" version {v}")).unwrap_or_default();
        ApiError(StatusCode::NOT_FOUND, format!("workflow '{}'{which} is not deployed", req.workflow_id))
    })?;
    let id = match req.instance_id {
        Some(id) => {
            check_instance_id(&id)?;
            id
        }
        None => new_instance_id()?,
    };
    let input = req.input.to_string();
    let (workflow_id, version, created) =
        server.db.start(&t, &id, &req.workflow_id, version.version, &input, req.debug)?;
    server.scheduler.wake();
    let answer = json!({ "instanceId": id, "workflowId": workflow_id, "version": version, "created": created });
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// Instance ids appear in URLs and signal ids: 1–128 characters of `A-Z a-z 0-9 . _ -`.
fn check_instance_id(id: &str) -> Result<(), ApiError> {
    deploy::check_workflow_id(id).map_err(|_| {
        ApiError(StatusCode::BAD_REQUEST, format!("instanceId '{id}' must be 1-128 characters of A-Z a-z 0-9 . _ -"))
    })
}

/// A fresh random instance id: `inst_` + 24 hex digits.
fn new_instance_id() -> Result<String, ApiError> {
    crate::random_id("inst_", 12).map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))
}

/// `POST /api/v1/instances/{id}/migrate` with `{"toVersion": N}`: moves a parked instance to
/// version N of its workflow when its checkpoints fit ([`crate::migrate`]); 200 with
/// `{instanceId, workflowId, fromVersion, toVersion}`.
async fn migrate_instance(State(server): State<App>, h: HeaderMap, Path(id): Path<String>, body: Body) -> Answer {
    let raw = read_body(&h, body).await?;
    let req: MigrateRequest = serde_json::from_slice(&raw)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("send {{\"toVersion\": N}}: {e}")))?;
    let tenant = tenant(&h);
    let done =
        blocking("the migration", move || crate::migrate::migrate(&server, &tenant, &id, req.to_version)).await?;
    Ok(Json(done).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MigrateRequest {
    to_version: u32,
}

/// `POST /api/v1/proxy`: an instance's agent request, made by the server under the
/// deployment's egress policy ([`crate::proxy::forward`]).
async fn proxy_request(State(server): State<App>, h: HeaderMap, body: Body) -> Answer {
    let raw = read_body(&h, body).await?;
    let envelope: Value = serde_json::from_slice(&raw)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("the proxy takes a JSON envelope: {e}")))?;
    let tenant = tenant(&h);
    let instance = h.get("x-runtara-instance-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    let answer = blocking("the proxied request", move || {
        crate::proxy::forward(&server, &tenant, instance.as_deref(), &envelope)
    })
    .await?;
    Ok(Json(answer).into_response())
}
