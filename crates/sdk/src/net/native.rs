//! Native hosts (feature `http`): ureq, one pooled agent per timeout and TLS choice.
//!
//! [`send`] speaks `http://` and `https://` (rustls); [`send_plain`] only `http://`, through an
//! agent built from ureq's TCP connector alone, so an artifact that calls only it (the core
//! client without `--core-tls`) links no TLS stack — rustls and ring are ~1 MB.

use super::{Request, Response};
use std::collections::HashMap;
use std::string::{String, ToString};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

type Agents = OnceLock<Mutex<HashMap<u64, ureq::Agent>>>;

/// The agent (connection pool) of `pool` for `timeout_ms`, made by `make` on first use, so
/// repeated calls reuse their connections.
fn agent(pool: &'static Agents, timeout_ms: u64, make: fn(ureq::config::Config) -> ureq::Agent) -> ureq::Agent {
    let mut agents = pool.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    agents
        .entry(timeout_ms)
        .or_insert_with(|| {
            let config = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_millis(timeout_ms)))
                .build();
            make(config)
        })
        .clone()
}

/// Sends `req` (`http://` or `https://`) and waits for the whole response; `Err` names what
/// failed (connect, timeout, TLS). Non-2xx statuses are responses, not errors.
pub fn send(req: &Request) -> Result<Response, String> {
    use ureq::unversioned::transport::DefaultConnector;
    static POOL: Agents = OnceLock::new();
    let full = |config| ureq::Agent::with_parts(config, DefaultConnector::new(), LiteralFirst::default());
    exchange(agent(&POOL, req.timeout_ms.unwrap_or(300_000), full), req)
}

/// [`send`] without TLS (`super::send_plain` refuses `https://` URLs before this).
pub fn send_plain(req: &Request) -> Result<Response, String> {
    use ureq::unversioned::transport::TcpConnector;
    static POOL: Agents = OnceLock::new();
    let plain = |config| ureq::Agent::with_parts(config, TcpConnector::default(), LiteralFirst::default());
    exchange(agent(&POOL, req.timeout_ms.unwrap_or(300_000), plain), req)
}

/// ureq's resolver, except that an IP-literal host is used as it is: with a timeout, ureq
/// resolves every request — pooled connection or not — on a thread of its own, which was
/// most of a checkpoint's round trip to a core on 127.0.0.1 (~0.3 of 0.5 ms).
#[derive(Debug, Default)]
struct LiteralFirst(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for LiteralFirst {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let default_port = if uri.scheme_str() == Some("https") { 443 } else { 80 };
        let literal = uri.host().and_then(|h| h.trim_start_matches('[').trim_end_matches(']').parse().ok());
        match literal {
            Some(ip) => {
                let mut addrs = self.empty();
                addrs.push(std::net::SocketAddr::new(ip, uri.port_u16().unwrap_or(default_port)));
                Ok(addrs)
            }
            None => self.0.resolve(uri, config, timeout),
        }
    }
}

/// One exchange of `req` over `agent`.
fn exchange(agent: ureq::Agent, req: &Request) -> Result<Response, String> {
    let mut builder = ureq::http::Request::builder().method(req.method.as_str()).uri(req.url.as_str());
    for (k, v) in &req.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    let request = builder.body(req.body.clone()).map_err(|e| e.to_string())?;
    let mut resp = agent.run(request).map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let body = resp.body_mut().with_config().limit(64 << 20).read_to_vec().map_err(|e| e.to_string())?;
    Ok(Response { status, headers, body })
}

/// Whether [`send_plain`] reaches `https://` URLs. ureq: [`send_plain`] has no TLS stack.
pub const PLAIN_HTTPS: bool = false;
