//! Connections on `runtara serve --connections FILE`: the server's proxy resolves a step's
//! connection — base URL, API key, extra headers — so the secret reaches the upstream but
//! never the instance; a step naming a connection the server does not hold fails closed,
//! naming it, and nothing is sent.

use std::time::Duration;

use runtara_e2e::cli::workspace_root;
use runtara_e2e::serve::ServeServer;
use runtara_e2e::stub::{Reply, StubServer};
use serde_json::json;

#[test]
fn the_proxy_applies_known_connections_and_refuses_unknown_ones() {
    let dir = tempfile::tempdir().unwrap();
    let stub = StubServer::start(vec![], Some(Reply { status: 200, body: json!({"seen": true}) }));
    let connections = dir.path().join("connections.json");
    let table = json!({"billing": {"integrationId": "api_key", "parameters": {
        "baseUrl": stub.url, "apiKey": "sekret-123", "headers": {"x-account": "acme"}}}});
    std::fs::write(&connections, table.to_string()).unwrap();
    let db = format!("sqlite:{}", dir.path().join("serve.sqlite3").display());
    let server = ServeServer::start(&db, &dir.path().join("data"), &["--connections", connections.to_str().unwrap()]);
    let graph = std::fs::read(workspace_root().join("tests/fixtures/serve/connection_call.json")).unwrap();
    let authority = stub.url.trim_start_matches("http://");
    let (status, answer) =
        server.post_raw(&format!("workflows?workflowId=charge&allowHosts={authority}"), graph, "application/json");
    assert_eq!(status, 201, "{answer}");
    for (id, conn) in [("known", "billing"), ("unknown", "nope")] {
        let start = json!({"workflowId": "charge", "instanceId": id, "input": {"conn": conn}});
        assert_eq!(server.api("POST", "instances", Some(&start)).0, 202);
    }
    let ids = ["known".to_string(), "unknown".to_string()];
    server.wait_for(&ids, Duration::from_secs(60), |s| s == "completed" || s == "failed");

    let (_, known) = server.api("GET", "instances/known", None);
    assert_eq!(known["output"], json!({"charged": 200, "seen": true}), "{known}");
    let requests = stub.requests();
    assert_eq!(requests.len(), 1, "only the known connection's request went out");
    let header = |name: &str| requests[0].headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(requests[0].path, "/charge", "the relative URL was resolved against the connection's baseUrl");
    assert_eq!(header("authorization").as_deref(), Some("Bearer sekret-123"));
    assert_eq!(header("x-account").as_deref(), Some("acme"));

    let (_, unknown) = server.api("GET", "instances/unknown", None);
    assert_eq!(unknown["status"], "failed", "{unknown}");
    let message = unknown["error"].to_string();
    assert!(message.contains("Connection 'nope' not found"), "{unknown}");
    let events = server.api("GET", "instances/known", None).1["events"].to_string();
    assert!(!events.contains("sekret-123"), "the secret never reaches the instance: {events}");
}
