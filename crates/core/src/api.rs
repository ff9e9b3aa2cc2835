//! The HTTP routes (see the crate docs for the table).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use runtara_protocol::wire::{
    AckRequest, CheckpointAnswer, CheckpointRequest, CompletedRequest, CustomSignalAnswer, ErrorAnswer, EventsRequest,
    FailedRequest, InstanceDetail, InstanceStatus, InstanceSummary, LoadAnswer, PendingSignalAnswer, RegisterRequest,
    SignalRequest, SleepRequest, SuspendedRequest, EPOCH_HEADER, MAX_BODY_BYTES, STALE_EPOCH, TENANT_HEADER,
};
use runtara_protocol::Signal;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::store::{StaleEpoch, Store, Tx};

#[derive(Clone)]
struct App {
    store: Store,
    token: Option<Arc<str>>,
}

/// An API error: status plus `{"error": message}`.
struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorAnswer { error: self.1 })).into_response()
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

/// A handler's answer: the typed body of `runtara_protocol::wire`, or an [`ApiError`].
type Answer<T = Value> = Result<Json<T>, ApiError>;

/// An empty JSON object, the answer of writes that return nothing.
fn done() -> Answer {
    Ok(Json(json!({})))
}

/// The request body as the wire message `T`; a body that does not fit is a 400 naming why.
fn body<T: DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| bad_request(&format!("invalid request body: {e}")))
}

/// The tenant of a request that passed authentication (the `X-Runtara-Tenant-Id` header,
/// which the auth layer settles: the API key's tenant, the header sent, or `default`).
pub fn tenant(h: &HeaderMap) -> String {
    h.get(TENANT_HEADER).and_then(|v| v.to_str().ok()).filter(|t| !t.is_empty()).unwrap_or("default").to_string()
}

/// Runs the writes of one request in one transaction, refused when the run that sent it
/// lost its claim: its `X-Runtara-Epoch` is not the instance's current fencing epoch (409
/// `STALE_EPOCH`, nothing written). `work` gets the transaction and the tenant.
fn write<T: Send>(
    app: &App,
    h: &HeaderMap,
    id: &str,
    work: impl FnOnce(&mut Tx, &str) -> anyhow::Result<T> + Send,
) -> Result<T, ApiError> {
    let (t, epoch) = (tenant(h), h.get(EPOCH_HEADER).and_then(|v| v.to_str().ok()));
    app.store.fenced(&t, id, epoch, |tx| work(tx, &t))?.map_err(|StaleEpoch| {
        ApiError(
            StatusCode::CONFLICT,
            format!(
                "{STALE_EPOCH}: epoch {} of instance {id} is no longer current; another run owns it",
                epoch.unwrap_or("")
            ),
        )
    })
}

/// Runs the reads of one request (a connection, no transaction) with the tenant.
fn read<T: Send>(
    app: &App,
    h: &HeaderMap,
    work: impl FnOnce(&mut Tx, &str) -> anyhow::Result<T> + Send,
) -> Result<T, ApiError> {
    let t = tenant(h);
    Ok(app.store.session(|tx| work(tx, &t))?)
}

fn not_found(what: &str) -> ApiError {
    ApiError(StatusCode::NOT_FOUND, format!("{what} not found"))
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// Authenticates a request and settles its tenant, which handlers then read from the
/// tenant header:
/// - the header, when sent, must be a non-empty printable-ASCII id (else 400);
/// - once the database holds API keys (`runtara keys create`), every request needs a live
///   key as `Authorization: Bearer KEY` (else 401), the tenant is the key's, and a header
///   naming another tenant is a 403;
/// - without keys, the configured shared token (if any) is required and the header picks
///   the tenant (`default` when absent).
async fn auth(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let refuse = |status, msg: &str| ApiError(status, msg.into()).into_response();
    let header = match req.headers().get(TENANT_HEADER) {
        None => None,
        Some(v) => match v.to_str() {
            Ok(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic()) => Some(t.to_string()),
            _ => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "the X-Runtara-Tenant-Id header must be a non-empty, printable ASCII tenant id",
                )
            }
        },
    };
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let keyed = match app.store.has_keys() {
        Ok(k) => k,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let tenant = if keyed {
        let Some(secret) = bearer else {
            return refuse(StatusCode::UNAUTHORIZED, "an API key is required: Authorization: Bearer KEY");
        };
        let key_tenant = match app.store.key_tenant(&secret) {
            Ok(Some(t)) => t,
            Ok(None) => return refuse(StatusCode::UNAUTHORIZED, "unknown or revoked API key"),
            Err(e) => return ApiError::from(e).into_response(),
        };
        match header {
            Some(h) if h != key_tenant => return refuse(StatusCode::FORBIDDEN, "this API key is for another tenant"),
            _ => key_tenant,
        }
    } else {
        if let Some(token) = &app.token {
            if !bearer.is_some_and(|given| same_secret(&given, token)) {
                return refuse(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
            }
        }
        header.unwrap_or_else(|| "default".into())
    };
    match axum::http::HeaderValue::from_str(&tenant) {
        Ok(v) => {
            req.headers_mut().insert(TENANT_HEADER, v);
        }
        Err(_) => return refuse(StatusCode::BAD_REQUEST, "the tenant id is not a valid header value"),
    }
    next.run(req).await
}

/// Compares a presented secret with the configured one in time that does not depend on
/// where they differ (both are hashed first, so lengths do not leak either).
fn same_secret(given: &str, expected: &str) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    Sha256::digest(given.as_bytes()).ct_eq(&Sha256::digest(expected.as_bytes())).into()
}

/// The API router over `store`; with `token`, every request must carry it.
pub fn router(store: Store, token: Option<String>) -> Router {
    router_with(store, token, Router::new())
}

/// [`router`] plus `extra` routes (runtara serve's management API) behind the same
/// authentication: their handlers read the settled tenant with [`tenant`].
pub fn router_with(store: Store, token: Option<String>, extra: Router) -> Router {
    let app = App { store, token: token.map(Arc::from) };
    let probes = Router::new().route("/health", get(health)).route("/ready", get(ready)).with_state(app.clone());
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
        .with_state(app.clone())
        .merge(extra)
        .layer(middleware::from_fn_with_state(app, auth))
        // Probes answer without a token (merged after the auth layer, which wraps only the
        // routes before it) and say nothing about tenants.
        .merge(probes)
        // The limit the sdk checks before sending (a larger body is a 413).
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// Liveness: the process serves HTTP.
async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers; 503 with the reason otherwise.
async fn ready(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    app.store.ping().map_err(|e| ApiError(StatusCode::SERVICE_UNAVAILABLE, format!("database: {e:#}")))?;
    Ok(Json(json!({ "status": "ready" })))
}

/// Lists are pages of at most this many instances (`?limit=` asks for fewer).
const PAGE: usize = 1000;

/// `?after=ID&limit=N`: the instances with ids after `after`, by id, at most `limit`
/// (≤ 1000, the default); ask again with the last id for the next page.
async fn list(
    State(app): State<App>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Answer<Vec<InstanceSummary>> {
    let limit = match q.get("limit") {
        Some(l) => l.parse::<usize>().map_err(|_| bad_request("limit must be a number"))?.min(PAGE),
        None => PAGE,
    };
    let after = q.get("after").map(String::as_str).unwrap_or("");
    let rows = read(&app, &h, |tx, t| tx.instances(t, after, limit))?;
    Ok(Json(rows.into_iter().map(|(id, status)| InstanceSummary { id, status }).collect()))
}

async fn inspect(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> Answer<InstanceDetail> {
    let (row, checkpoints, events) =
        read(&app, &h, |tx, t| Ok((tx.instance(t, &id)?, tx.checkpoint_ids(t, &id)?, tx.events(t, &id)?)))?;
    let (status, output, error) = row.ok_or_else(|| not_found("instance"))?;
    let events: Vec<Value> = events.iter().map(|e| parse(e)).collect();
    let (output, error) = (output.as_deref().map(parse), error.as_deref().map(parse));
    Ok(Json(InstanceDetail { id, status, output, error, checkpoints, events }))
}

async fn status(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> Answer<InstanceStatus> {
    let (row, wake_at) = read(&app, &h, |tx, t| Ok((tx.instance(t, &id)?, tx.wake_at(t, &id)?)))?;
    let (status, _, _) = row.ok_or_else(|| not_found("instance"))?;
    let wake_at_ms = wake_at.and_then(|w| w.parse::<u64>().ok());
    Ok(Json(InstanceStatus { id, status, wake_at_ms }))
}

/// Takes `{events: [...], batch?}` ([`EventsRequest`]) or, for older clients, one event
/// object; a batch key seen before appends nothing (a retried request).
async fn events(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(raw): Json<Value>) -> Answer {
    let (list, batch) = match raw.get("events") {
        Some(_) => {
            let req = body::<EventsRequest>(raw)?;
            (req.events.iter().map(Value::to_string).collect(), req.batch)
        }
        None if raw.is_object() => (vec![raw.to_string()], None),
        None => return Err(bad_request("send {events: [...]} or one event object")),
    };
    write(&app, &h, &id, |tx, t| tx.add_events(t, &id, &list, batch.as_deref()))?;
    done()
}

async fn sleep(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(raw): Json<Value>) -> Answer {
    let req: SleepRequest = body(raw)?;
    write(&app, &h, &id, |tx, t| tx.sleep(t, &id, &req.wake_at_ms.to_string()))?;
    done()
}

async fn ack(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(raw): Json<Value>) -> Answer {
    let req: AckRequest = body(raw)?;
    write(&app, &h, &id, |tx, t| tx.ack_custom(t, &id, &req.signal_id))?;
    done()
}

/// Takes a [`RegisterRequest`] (or no body, from older clients: nothing to check); a graph
/// other than the one the instance started with is a 409 naming the changed steps.
async fn register(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, raw: axum::body::Bytes) -> Answer {
    let req: RegisterRequest = if raw.is_empty() {
        RegisterRequest::default()
    } else {
        serde_json::from_slice(&raw).map_err(|e| bad_request(&format!("invalid request body: {e}")))?
    };
    let refused = write(&app, &h, &id, |tx, t| {
        if let Some(graph) = &req.graph {
            if let Err(change) = tx.register_graph(t, &id, graph, req.migrate)? {
                return Ok(Some(change));
            }
        }
        tx.register(t, &id).map(|_| None)
    })?;
    match refused {
        Some(change) => Err(ApiError(StatusCode::CONFLICT, change.message())),
        None => done(),
    }
}

async fn checkpoint(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
    Json(raw): Json<Value>,
) -> Answer<CheckpointAnswer> {
    let req: CheckpointRequest = body(raw)?;
    let events: Vec<String> = req.events.iter().map(Value::to_string).collect();
    let (stored, state, signal) = write(&app, &h, &id, |tx, t| {
        if !events.is_empty() {
            tx.add_events(t, &id, &events, req.batch.as_deref())?;
        }
        let (stored, state) = tx.checkpoint(t, &id, &req.checkpoint_id, &req.state.to_string())?;
        Ok((stored, state, tx.control(t, &id)?))
    })?;
    Ok(Json(CheckpointAnswer { stored, state: parse(&state), signal }))
}

async fn load(State(app): State<App>, h: HeaderMap, Path((id, cid)): Path<(String, String)>) -> Answer<LoadAnswer> {
    let state = read(&app, &h, |tx, t| tx.load(t, &id, &cid))?.ok_or_else(|| not_found("checkpoint"))?;
    Ok(Json(LoadAnswer { state: parse(&state) }))
}

async fn pending(State(app): State<App>, h: HeaderMap, Path(id): Path<String>) -> Answer<PendingSignalAnswer> {
    Ok(Json(PendingSignalAnswer { signal: read(&app, &h, |tx, t| tx.control(t, &id))? }))
}

async fn signal(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(raw): Json<Value>) -> Answer {
    let req: SignalRequest = body(raw)?;
    match (req.signal.as_deref().and_then(Signal::parse), req.signal_id.as_deref()) {
        (Some(s), _) => read(&app, &h, |tx, t| tx.set_control(t, &id, s.as_str()))?,
        (_, Some(sid)) => read(&app, &h, |tx, t| tx.send_custom(t, &id, sid, &req.payload.to_string()))?,
        _ => return Err(bad_request("send {signal: pause|resume|cancel} or {signal_id, payload}")),
    }
    done()
}

async fn custom(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Answer<CustomSignalAnswer> {
    let sid = q.get("signal_id").ok_or_else(|| bad_request("signal_id is required"))?;
    let payload = read(&app, &h, |tx, t| tx.custom(t, &id, sid))?.ok_or_else(|| not_found("signal"))?;
    Ok(Json(CustomSignalAnswer { payload: parse(&payload) }))
}

async fn completed(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(raw): Json<Value>) -> Answer {
    let req: CompletedRequest = body(raw)?;
    write(&app, &h, &id, |tx, t| tx.finish(t, &id, "completed", Some(&req.output), None))?;
    done()
}

async fn failed(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(raw): Json<Value>) -> Answer {
    let req: FailedRequest = body(raw)?;
    write(&app, &h, &id, |tx, t| tx.finish(t, &id, "failed", None, Some(&req.error)))?;
    done()
}

async fn suspended(State(app): State<App>, h: HeaderMap, Path(id): Path<String>, Json(raw): Json<Value>) -> Answer {
    let req: SuspendedRequest = body(raw)?;
    write(&app, &h, &id, |tx, t| match req.status.as_str() {
        // Waiting for a custom signal: keeps the timeout's wake_at (sent with `sleep`).
        "waiting" => tx.set_status(t, &id, "waiting"),
        "cancelled" => tx.finish(t, &id, "cancelled", None, None),
        _ => tx.finish(t, &id, "suspended", None, None),
    })?;
    done()
}
