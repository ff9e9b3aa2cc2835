//! HTTP-handler components (`runtara compile --world http`, issue 16) under stock
//! `wasmtime serve -Scli` (wasmtime-cli 48, `RUNTARA_WASMTIME`) and under `runtara run
//! --listen`: 200 concurrent stateless requests all answered right; failures answered with
//! the status of their category; a durable instance in `runtara core` that sleeps (202),
//! survives a restart of the host, waits for a signal (202), and completes with its one
//! side effect done once.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use runtara_e2e::cli::{free_loopback_addr, runtara, runtara_bin, wait_until_listening, workspace_root};
use runtara_e2e::core::CoreServer;
use runtara_e2e::http_host::assert_concurrent_tiers;
use runtara_e2e::stub::{Reply, StubServer};
use runtara_sdk::net::{self, Request};
use serde_json::{json, Value};

/// A WASI HTTP host: stock `wasmtime serve`, or `runtara run --listen`.
#[derive(Clone)]
enum Host {
    Wasmtime(String),
    Runtara,
}

/// `component` served by `host` on a free port; killed when dropped.
struct Serve(Child, String);

impl Serve {
    /// `env`: the durable instances' `RUNTARA_HTTP_URL`, `RUNTARA_TENANT_ID`, `RUNTARA_TOKEN`.
    fn start(host: &Host, component: &std::path::Path, env: &[(&str, &str)]) -> Serve {
        let addr = free_loopback_addr();
        let mut cmd = match host {
            Host::Wasmtime(wasmtime) => {
                let mut cmd = Command::new(wasmtime);
                cmd.args(["serve", "-Scli", "--addr", &addr]);
                for (k, v) in env {
                    cmd.arg("--env").arg(format!("{k}={v}"));
                }
                cmd.arg(component);
                cmd
            }
            Host::Runtara => {
                let mut cmd = Command::new(runtara_bin());
                cmd.arg("run").arg(component).args(["--listen", &addr]);
                let flags =
                    [("RUNTARA_HTTP_URL", "--core"), ("RUNTARA_TENANT_ID", "--tenant"), ("RUNTARA_TOKEN", "--token")];
                for (k, v) in env {
                    let flag = flags.iter().find(|(var, _)| var == k).map(|(_, f)| *f).expect("a known variable");
                    cmd.args([flag, v]);
                }
                cmd
            }
        };
        let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("the host starts");
        wait_until_listening(&addr, "the HTTP host");
        Serve(child, format!("http://{addr}"))
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = Request::new(method, &format!("{}{path}", self.1));
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.timeout_ms = Some(60_000);
        let resp = net::send(&req).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        (resp.status, serde_json::from_slice(&resp.body).unwrap_or(Value::Null))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `runtara run --listen`, and stock `wasmtime serve` when it is installed.
fn hosts() -> Vec<Host> {
    if !runtara_e2e::tools::can_run("wasm32-wasip2") {
        return Vec::new();
    }
    let stock = runtara_e2e::tools::stock_wasmtime().map(Host::Wasmtime);
    std::iter::once(Host::Runtara).chain(stock).collect()
}

fn compile_http(graph: &str, out: &std::path::Path) {
    runtara_e2e::cli::compile(&workspace_root().join(graph), "wasm32-wasip2", out, &["--world", "http"]);
}

#[test]
fn stateless_requests_are_answered_concurrently_with_statuses_by_category() {
    for host in hosts() {
        stateless_on(&host);
    }
}

fn stateless_on(host: &Host) {
    let dir = tempfile::tempdir().unwrap();
    let component = dir.path().join("tier.wasm");
    compile_http("tests/fixtures/conditional.json", &component);
    let serve = Serve::start(host, &component, &[]);
    assert_concurrent_tiers(|input| serve.call("POST", "/", Some(input)));
    let mut bad = Request::new("POST", &format!("{}/", serve.1));
    bad.body = b"{not json".to_vec();
    let resp = net::send(&bad).unwrap();
    assert_eq!(resp.status, 400, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(serve.call("GET", "/nowhere", None).0, 404);

    let rejecting = dir.path().join("reject.wasm");
    compile_http("tests/fixtures/serve/reject.json", &rejecting);
    let serve = Serve::start(host, &rejecting, &[]);
    let (status, body) = serve.call("POST", "/", Some(json!({})));
    assert_eq!((status, &body["code"]), (503, &json!("ORDER_REJECTED")), "a transient failure is a 503: {body}");
}

#[test]
fn a_durable_instance_sleeps_survives_a_restart_waits_and_completes() {
    for host in hosts() {
        durable_on(&host);
    }
}

fn durable_on(host: &Host) {
    let dir = tempfile::tempdir().unwrap();
    let component = dir.path().join("order.wasm");
    compile_http("tests/fixtures/serve/effect_sleep_wait.json", &component);
    let core = CoreServer::start(&format!("sqlite:{}", dir.path().join("core.sqlite3").display()), "edge");
    let stub = StubServer::start(vec![], Some(Reply { status: 200, body: json!({"charged": true}) }));
    let env = [("RUNTARA_HTTP_URL", core.url.as_str()), ("RUNTARA_TENANT_ID", "edge"), ("RUNTARA_TOKEN", "edge")];
    let serve = Serve::start(host, &component, &env);
    let input = json!({"order": 7, "effectUrl": format!("{}/charge", stub.url)});
    let (status, slept) = serve.call("POST", "/instances/order-7", Some(input));
    assert_eq!((status, &slept["status"]), (202, &json!("sleeping")), "{slept}");
    let wake_at = slept["wake_at_ms"].as_u64().expect("a wake-up time");

    drop(serve);
    let serve = Serve::start(host, &component, &env);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    std::thread::sleep(Duration::from_millis(wake_at.saturating_sub(now) + 100));
    let (status, waiting) = serve.call("POST", "/instances/order-7", None);
    assert_eq!((status, &waiting["status"]), (202, &json!("waiting")), "{waiting}");
    let signal_id = waiting["signal_id"].as_str().expect("the signal it waits for");
    let o = runtara(&[
        "signal",
        "order-7",
        "--custom",
        signal_id,
        "--payload",
        r#"{"approved": true}"#,
        "--core",
        &core.url,
        "--tenant",
        "edge",
        "--token",
        "edge",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (status, done) = serve.call("POST", "/instances/order-7", None);
    assert_eq!((status, done), (200, json!({"order": 7, "charged": 200, "approved": true})));
    assert_eq!(stub.count("/charge"), 1, "the charge ran once over three requests and a restart");
    let (status, detail) = serve.call("GET", "/instances/order-7", None);
    assert_eq!((status, &detail["status"]), (200, &json!("completed")), "{detail}");
}
