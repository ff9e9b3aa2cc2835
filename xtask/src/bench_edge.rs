//! `cargo xtask bench --only edge` (issue 16): the HTTP-handler component of examples/01
//! (`--world http --release`) under stock `wasmtime serve -Scli` (`RUNTARA_WASMTIME`) and
//! under `runtara run --listen`, and its Cloudflare Worker (`--target cloudflare --release`)
//! under workerd (`runtara run DIR --listen`, which becomes workerd): stateless requests/s
//! with 8 concurrent clients, and the cold start — from starting the host to the first
//! answer, compiled code already cached by one earlier start (workerd compiles the module on
//! every start). Release builds (a debug xtask rebuilds itself).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use runtara_e2e::cli::{free_loopback_addr, runtara_bin, workspace_root};
use runtara_sdk::net::{self, Request};
use serde_json::json;

/// How a host is started on an address.
type Launcher<'a> = Box<dyn Fn(&str) -> Command + 'a>;

const CLIENTS: usize = 8;
const REQUESTS_PER_CLIENT: usize = 250;

/// Runs the section, on release builds.
pub fn edge() -> Result<()> {
    if !crate::bench_serve::released() {
        return crate::bench_serve::rerun_released("edge");
    }
    let dir = tempfile::tempdir()?;
    let component = dir.path().join("tier.wasm");
    let worker = dir.path().join("tier-worker");
    compile(&component, "wasm32-wasip2", &["--world", "http"])?;
    compile(&worker, "cloudflare", &[])?;
    println!(
        "edge: examples/01 as an HTTP-handler component ({} bytes) and as a Cloudflare Worker ({} bytes of .wasm), {CLIENTS} clients × {REQUESTS_PER_CLIENT} requests",
        std::fs::metadata(&component)?.len(),
        std::fs::metadata(worker.join("conditional.wasm"))?.len()
    );
    let state = dir.path().join("workerd-state");
    let wasmtime = runtara_e2e::tools::wasmtime_program();
    let hosts: [(&str, Launcher); 3] = [
        (
            "wasmtime serve",
            Box::new(|addr: &str| {
                let mut c = Command::new(&wasmtime);
                c.args(["serve", "-Scli", "--addr", addr]).arg(&component);
                c
            }),
        ),
        (
            "runtara run --listen",
            Box::new(|addr: &str| {
                let mut c = Command::new(runtara_bin());
                c.arg("run").arg(&component).args(["--listen", addr]);
                c
            }),
        ),
        (
            "workerd (runtara run WORKER --listen)",
            Box::new(|addr: &str| {
                let mut c = Command::new(runtara_bin());
                c.arg("run").arg(&worker).args(["--listen", addr, "--state-dir"]).arg(&state);
                c
            }),
        ),
    ];
    for (name, command) in &hosts {
        // The first start compiles (and, for runtara, caches); the measured one is warm.
        let Ok(first) = Host::start(command) else {
            println!(
                "{name}: not available (wasmtime serve: set RUNTARA_WASMTIME to wasmtime-cli 48; workerd: needs npm)"
            );
            continue;
        };
        drop(first);
        let started = Instant::now();
        let host = Host::start(command)?;
        let cold = started.elapsed();
        let rps = throughput(&host.url)?;
        println!("{name}: {rps:.0} requests/s; cold start to first answer {:.0} ms", cold.as_secs_f64() * 1000.0);
    }
    Ok(())
}

/// Compiles examples/01 (`tests/fixtures/conditional.json`) for `target` with `--release`
/// and `extra` flags to `out`.
fn compile(out: &std::path::Path, target: &str, extra: &[&str]) -> Result<()> {
    let src = workspace_root().join("tests/fixtures/conditional.json");
    let (src, out) = (src.to_str().expect("utf-8 path"), out.to_str().expect("utf-8 path"));
    crate::bench::compile_with(src, target, out, true, extra).map(|_| ())
}

struct Host {
    child: Child,
    url: String,
}

impl Host {
    /// Starts a host and waits for its first answer (at most 60 s).
    fn start(command: &dyn Fn(&str) -> Command) -> Result<Host> {
        let addr = free_loopback_addr();
        let child = command(&addr).stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
        let host = Host { child, url: format!("http://{addr}/") };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if call(&host.url, 1).is_ok() {
                return Ok(host);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        bail!("the host did not answer on {addr}")
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn call(url: &str, amount: usize) -> Result<()> {
    let resp = net::send(&Request::new("POST", url).json(&json!({ "amount": amount }))).map_err(anyhow::Error::msg)?;
    if resp.status != 200 {
        bail!("answered {}", resp.status);
    }
    Ok(())
}

/// Requests per second of `CLIENTS` threads each sending `REQUESTS_PER_CLIENT` requests.
fn throughput(url: &str) -> Result<f64> {
    let started = Instant::now();
    let failures: usize = std::thread::scope(|s| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| s.spawn(move || (0..REQUESTS_PER_CLIENT).filter(|i| call(url, c * 1000 + i).is_err()).count()))
            .collect();
        clients.into_iter().map(|c| c.join().unwrap_or(REQUESTS_PER_CLIENT)).sum()
    });
    if failures > 0 {
        bail!("{failures} requests failed");
    }
    Ok((CLIENTS * REQUESTS_PER_CLIENT) as f64 / started.elapsed().as_secs_f64())
}
