//! A Cloudflare Worker directory served by workerd through `runtara run DIR --listen ADDR
//! --state-dir STATE` (the process becomes workerd), for tests that call its HTTP surface.

use std::path::Path;
use std::process::{Child, Stdio};

use runtara_sdk::net::{self, Request};
use serde_json::Value;

use crate::cli::{free_loopback_addr, runtara_command, wait_until_listening};

/// The running Worker; killed (workerd with it) when dropped.
pub struct WorkerServer {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl WorkerServer {
    /// Serves `worker` on a free loopback port, Durable Object storage in `state`; `extra`
    /// are more `runtara run` flags (`--connections`, `--http-proxy`, `--debug`). Waits
    /// until it listens.
    pub fn start(worker: &Path, state: &Path, extra: &[&str]) -> WorkerServer {
        let addr = free_loopback_addr();
        let child = runtara_command()
            .arg("run")
            .arg(worker)
            .args(extra)
            .args(["--listen", &addr, "--state-dir"])
            .arg(state)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runtara starts");
        wait_until_listening(&addr, "workerd");
        WorkerServer { child, url: format!("http://{addr}") }
    }

    /// `method path` with `body`: the status and the body text (status 0 and the error
    /// when the request fails).
    pub fn call_raw(&self, method: &str, path: &str, body: Vec<u8>) -> (u16, String) {
        let mut req = Request::new(method, &format!("{}{path}", self.url));
        req.body = body;
        req.timeout_ms = Some(120_000);
        match net::send(&req) {
            Ok(r) => (r.status, String::from_utf8_lossy(&r.body).into_owned()),
            Err(e) => (0, e),
        }
    }

    /// `method path` with an optional JSON body: the status and the JSON answer (`null`
    /// when it is not JSON).
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let (status, text) = self.call_raw(method, path, bytes);
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

impl Drop for WorkerServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
