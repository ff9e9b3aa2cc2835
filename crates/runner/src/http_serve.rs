//! Serving an HTTP-handler component (`runtara compile --world http`) the way a WASI HTTP
//! host does — `runtara run ARTIFACT --listen ADDR` — so it can be tried without another
//! tool: one instance per request (pre-instantiated once), the component's answer sent back
//! as it streams. Follows wasmtime-wasi-http's embedding example (hyper http1 + tokio).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use hyper::server::conn::http1;
use wasmtime::component::Linker;
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;
use wasmtime_wasi_http::p2::bindings::ProxyPre;
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::WasiHttpView;

use crate::code_cache::CodeCache;
use crate::guest::MemoryLimiter;
use crate::wasm::Host;

struct Handler {
    pre: ProxyPre<Host>,
    env: Vec<(String, String)>,
}

/// Serves the component at `path` on `addr` until the process ends; `env` is every
/// instance's environment (`RUNTARA_HTTP_URL`… for durable instances); `code_cache` keeps
/// its compiled code ([`CodeCache`]). `ready` is called with the bound address.
///
/// Errors: the file is not a component exporting `wasi:http/incoming-handler` (compile it
/// with `--world http`), or the address cannot be bound.
pub fn serve_component(
    path: &Path,
    addr: &str,
    env: Vec<(String, String)>,
    code_cache: Option<&Path>,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    let engine = Engine::new(&config)?;
    let bytes = std::fs::read(path)?;
    let component = match code_cache {
        Some(dir) => CodeCache::new(dir).component(&engine, &CodeCache::hash(&bytes), &bytes)?.0,
        None => wasmtime::component::Component::new(&engine, &bytes)?,
    };
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    let pre = ProxyPre::new(linker.instantiate_pre(&component)?).map_err(|e| {
        anyhow::anyhow!("{} is not an HTTP-handler component (compile it with --world http): {e}", path.display())
    })?;
    let handler = Arc::new(Handler { pre, env });
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        ready(listener.local_addr()?);
        loop {
            let (client, _) = listener.accept().await?;
            let handler = handler.clone();
            tokio::task::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let handler = handler.clone();
                    async move { handler.handle(req).await }
                });
                let _ = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(client), service).await;
            });
        }
    })
}

impl Handler {
    async fn handle(
        &self,
        req: hyper::Request<hyper::body::Incoming>,
    ) -> anyhow::Result<hyper::Response<HyperOutgoingBody>> {
        let mut wasi = WasiCtxBuilder::new();
        wasi.inherit_stderr();
        for (k, v) in &self.env {
            wasi.env(k, v);
        }
        // No limiter is installed: the listen server caps no memory.
        let state = Host::new(wasi.build(), MemoryLimiter::new(usize::MAX));
        let mut store = Store::new(self.pre.engine(), state);
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let req = store.data_mut().http().new_incoming_request(Scheme::Http, req)?;
        let out = store.data_mut().http().new_response_outparam(sender)?;
        let pre = self.pre.clone();
        // The instance runs in its own task: it may go on streaming after the head is sent.
        let task = tokio::task::spawn(async move {
            let proxy = pre.instantiate_async(&mut store).await?;
            proxy.wasi_http_incoming_handler().call_handle(store, req, out).await
        });
        match receiver.await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => {
                let why = match task.await {
                    Ok(Ok(())) => anyhow::anyhow!("the component never set a response"),
                    Ok(Err(e)) => anyhow::anyhow!("the component trapped: {e}"),
                    Err(e) => anyhow::anyhow!("the request task failed: {e}"),
                };
                Err(why)
            }
        }
    }
}
