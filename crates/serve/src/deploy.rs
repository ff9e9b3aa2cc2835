//! Deployments: a graph (compiled here for wasm32-wasip2 with `compile_scenario`) or an
//! already compiled component, checked against the artifact policy, stored
//! content-addressed (in the database, for every server sharing it, and as
//! `<data dir>/artifacts/<sha256>.wasm`) and recorded as the next version of
//! `(tenant, workflowId)`. Nothing is stored unless every check passed.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use runtara_compiler::{compile_scenario, CompileError, CompileOptions, Scenario, Target};
use runtara_protocol::GraphIdentity;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Server;

/// A deployment's own limits and egress allowlist; `None` takes the server's default.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Linear memory per instance, bytes (at most the server's `--max-memory-mb`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// CPU budget per launch, in fuel units (about one per wasm instruction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// Wall time per launch, ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wall_time_ms: Option<u64>,
    /// Relaunches after a trap before the instance is marked `crashed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_restarts: Option<u32>,
    /// Hosts (`host`, `host:port`, an address) guest HTTP may reach besides public ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow_hosts: Vec<String>,
}

/// What a deployment recorded.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployed {
    pub workflow_id: String,
    pub version: u32,
    /// sha256 of the component, hex.
    pub artifact: String,
    /// `graph` or `component`.
    pub source: &'static str,
}

/// A refused deployment: the HTTP status and why.
pub type Refusal = (StatusCode, String);

/// Checks a workflow id: 1–128 characters of `A-Z a-z 0-9 . _ -`.
pub fn check_workflow_id(id: &str) -> Result<(), Refusal> {
    let ok = !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err((StatusCode::BAD_REQUEST, format!("workflowId '{id}' must be 1-128 characters of A-Z a-z 0-9 . _ -")))
    }
}

/// Deploys `body` — a component (`\0asm` header) or a graph's JSON — as the next version of
/// `workflow_id`. Blocking (a graph is compiled; a component is compiled by cranelift).
///
/// Errors: 400 for a bad id, 422 for a graph that does not compile (with the validator's
/// diagnostics) or a component the policy refuses, 500 for a toolchain or storage failure.
pub fn deploy(
    server: &Server,
    tenant: &str,
    workflow_id: &str,
    body: &[u8],
    settings: Settings,
) -> Result<Deployed, Refusal> {
    check_workflow_id(workflow_id)?;
    let limits = &server.config.limits;
    if settings.memory_bytes.is_some_and(|m| m > limits.max_memory_bytes) {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("memoryBytes is over this server's maximum of {} bytes", limits.max_memory_bytes),
        ));
    }
    let scratch = tempfile::tempdir_in(server.artifacts_dir()).map_err(internal)?;
    let (wasm, identity) = if body.starts_with(b"\0asm") {
        let path = scratch.path().join("upload.wasm");
        std::fs::write(&path, body).map_err(internal)?;
        (path, None)
    } else {
        let published = publish_graphs(server, tenant, scratch.path())?;
        let (path, identity) = compile_graph(scratch.path(), workflow_id, body, published)?;
        (path, Some(serde_json::to_string(&identity).map_err(internal)?))
    };
    let source = if identity.is_some() { "graph" } else { "component" };
    let bytes = std::fs::read(&wasm).map_err(internal)?;
    crate::policy::check(&bytes, limits.max_memory_bytes).map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e))?;
    let hash: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    server
        .host
        .prepare(&hash, &wasm)
        .map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, format!("the component cannot be instantiated here: {e:#}")))?;
    server.db.put_artifact(&hash, &bytes).map_err(|e| internal(format!("{e:#}")))?;
    let stored = server.artifact_path(&hash);
    if !stored.exists() {
        std::fs::rename(&wasm, &stored).map_err(internal)?;
    }
    let settings_json = serde_json::to_string(&settings).map_err(internal)?;
    let version = server
        .db
        .add_version(
            tenant,
            workflow_id,
            &hash,
            source,
            &settings_json,
            identity.as_deref().map(|i| (std::str::from_utf8(body).unwrap_or_default(), i)),
        )
        .map_err(|e| internal(format!("{e:#}")))?;
    Ok(Deployed { workflow_id: workflow_id.to_string(), version, artifact: hash, source })
}

/// Writes the tenant's live graphs as `<dir>/published/<workflowId>/<version>.json`, the
/// layout of `--workflows DIR`: an Agent step `{agentId: <workflowId>, capabilityId: "run"}`
/// or an EmbedWorkflow step of a graph deployed here calls the latest of them (as it is at
/// this deployment: the call is compiled in). Returns the directory.
pub(crate) fn publish_graphs(server: &Server, tenant: &str, dir: &Path) -> Result<PathBuf, Refusal> {
    let published = dir.join("published");
    for (id, version, graph) in server.db.published_graphs(tenant).map_err(|e| internal(format!("{e:#}")))? {
        let versions = published.join(&id);
        std::fs::create_dir_all(&versions).map_err(internal)?;
        std::fs::write(versions.join(format!("{version}.json")), graph).map_err(internal)?;
    }
    Ok(published)
}

/// Compiles a graph for wasm32-wasip2 with the http backend linked (instances checkpoint to
/// this server), its calls of other workflows resolved in `published`. Validation and
/// parse errors are 422s carrying the compiler's message.
fn compile_graph(
    dir: &Path,
    workflow_id: &str,
    body: &[u8],
    published: PathBuf,
) -> Result<(PathBuf, GraphIdentity), Refusal> {
    let json = std::str::from_utf8(body)
        .map_err(|_| (StatusCode::BAD_REQUEST, "the body is neither a component nor UTF-8 JSON".to_string()))?;
    let target = Target::parse("wasm32-wasip2").map_err(internal)?;
    let mut opts = CompileOptions::new(target);
    opts.core_client = true;
    opts.workflow_id = Some(workflow_id.to_string());
    opts.workflow_dirs = vec![published];
    opts.output = Some(dir.join("workflow.wasm"));
    let scenario = Scenario::Text { name: format!("{workflow_id}.json"), json: json.to_string() };
    match compile_scenario(scenario, &opts) {
        Ok(done) => Ok((done.artifact.ok_or_else(|| internal("the compiler produced no artifact"))?, done.identity)),
        Err(e @ (CompileError::Parse { .. } | CompileError::Validation { .. } | CompileError::Unsupported { .. })) => {
            Err((StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))
        }
        Err(e) => Err(internal(e.to_string())),
    }
}

/// A 500 refusal with `e` (and, for an `anyhow` error, its causes).
pub(crate) fn internal(e: impl std::fmt::Display) -> Refusal {
    (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}"))
}

/// Validates a graph as a deployment would (the tenant's deployed graphs are the workflows
/// it may call) without compiling or storing anything: `runtara validate --format json`'s
/// answer `{errors: [{code, stepId, path, message, hint}], warnings: […]}` plus `valid`.
///
/// Errors: 400 for a body that is not a graph (not UTF-8, not JSON, not the DSL's shape —
/// with line, column and pointer); 500 for storage.
pub fn validate(server: &Server, tenant: &str, body: &[u8]) -> Result<serde_json::Value, Refusal> {
    let json =
        std::str::from_utf8(body).map_err(|_| (StatusCode::BAD_REQUEST, "the body is not UTF-8 JSON".to_string()))?;
    let scratch = tempfile::tempdir_in(server.artifacts_dir()).map_err(internal)?;
    let published = publish_graphs(server, tenant, scratch.path())?;
    let scenario = Scenario::Text { name: "graph.json".into(), json: json.to_string() };
    match runtara_compiler::validate_scenario(&scenario, &[published]) {
        Ok(d) => {
            let mut answer = serde_json::to_value(&d).map_err(internal)?;
            answer["valid"] = d.is_ok().into();
            Ok(answer)
        }
        Err(e @ CompileError::Parse { .. }) => Err((StatusCode::BAD_REQUEST, e.to_string())),
        Err(e) => Err(internal(e.to_string())),
    }
}
