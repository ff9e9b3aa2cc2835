//! `runtara serve-demo DIR`: the browser demo page (`examples/browser/`, built into the
//! binary) plus the compiled wasm32-unknown-unknown modules in `DIR`, on loopback.
//!
//! Routes: `/` and the page's files; `/modules.json` → `[{dir, name, example?}]` for every
//! subdirectory of `DIR` holding one `<name>.js` + `<name>.wasm` (`example` is the
//! subdirectory's `example.json`, used to prefill the input); `/modules/<dir>/…` → the files.

use std::path::{Path, PathBuf};

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

const INDEX: &str = include_str!("../../../examples/browser/index.html");
const SCRIPT: &str = include_str!("../../../examples/browser/demo.js");
const STYLE: &str = include_str!("../../../examples/browser/demo.css");

/// The demo's router over the module directory `dir`.
pub fn router(dir: PathBuf) -> Router {
    let listing = dir.clone();
    Router::new()
        .route("/", get(|| async { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], INDEX) }))
        .route("/demo.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript")], SCRIPT) }))
        .route("/demo.css", get(|| async { ([(header::CONTENT_TYPE, "text/css")], STYLE) }))
        .route("/modules.json", get(move || async move { Json(modules(&listing)).into_response() }))
        .nest_service("/modules", tower_http::services::ServeDir::new(dir))
}

/// The compiled modules under `dir`, sorted by directory name.
pub fn modules(dir: &Path) -> Value {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let sub = entry.path();
        let Some(dir_name) = sub.file_name().and_then(|n| n.to_str()).map(str::to_string) else { continue };
        if let Some((_, name)) = runtara_runner::browser_module(&sub).filter(|_| sub.is_dir()) {
            let example = std::fs::read_to_string(sub.join("example.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok());
            found.push(json!({"dir": dir_name, "name": name, "example": example}));
        }
    }
    found.sort_by(|a, b| a["dir"].as_str().cmp(&b["dir"].as_str()));
    Value::Array(found)
}

/// Serves the demo on `listen` until the process ends.
///
/// Errors: `dir` is not a directory, or the address cannot be bound.
pub async fn serve(listen: &str, dir: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        dir.is_dir(),
        "{} is not a directory of compiled modules (runtara compile --target wasm32-unknown-unknown … -o {}/NAME)",
        dir.display(),
        dir.display()
    );
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!("runtara serve-demo: http://{}/ (modules from {})", listener.local_addr()?, dir.display());
    axum::serve(listener, router(dir.to_path_buf())).await?;
    Ok(())
}
