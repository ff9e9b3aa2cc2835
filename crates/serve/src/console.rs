//! The web console of `runtara serve` at `/` (issue 17): deployed workflows with their graph
//! pictures, instances filterable by status and workflow, and an instance page — the graph
//! coloured by step state, the event timeline, input, output or error, checkpoints, and
//! signal / pause / resume / cancel buttons, refreshed every second while the instance runs.
//! Static files compiled into the binary; the page calls the same API with the same token
//! (kept in the browser's localStorage), so the files themselves need none.

use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const INDEX: &str = include_str!("console/index.html");
const SCRIPT: &str = include_str!("console/app.js");
const STYLE: &str = include_str!("console/app.css");

/// `/`, `/console/app.js`, `/console/app.css`.
pub fn routes() -> Router {
    let file = |content_type: &'static str, body: &'static str| {
        get(
            move || async move { ([("content-type", content_type), ("cache-control", "no-cache")], body).into_response() },
        )
    };
    Router::new()
        .route("/", file("text/html; charset=utf-8", INDEX))
        .route("/console/app.js", file("text/javascript; charset=utf-8", SCRIPT))
        .route("/console/app.css", file("text/css; charset=utf-8", STYLE))
}
