//! The egress policy of guest HTTP (wasi:http outgoing requests): public addresses are
//! allowed; loopback, private, link-local (cloud metadata), shared and unique-local
//! addresses are refused unless the host or address is on the allowlist.
//!
//! The check resolves the host and inspects every address before the request is sent;
//! the connection then resolves again, so a name that changes its answer in between
//! (DNS rebinding) is not covered — allowlist by address where that matters.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// Which destinations a guest may reach beyond the public internet.
#[derive(Debug, Clone, Default)]
pub struct Egress {
    /// Entries `host`, `host:port` or an IP address (`127.0.0.1`, `[::1]:8080`); a request
    /// whose host (or host:port) matches one is allowed whatever it resolves to.
    pub allow: Vec<String>,
    /// Requests to this `host:port` are answered in-process by the handler instead of over
    /// the network (runtara serve's own state API: same routes, no sockets).
    pub local: Option<(String, LocalHandler)>,
}

/// The future a [`LocalHandler`] returns.
pub type LocalAnswer = Pin<Box<dyn Future<Output = http::Response<Bytes>> + Send>>;

/// Answers a request (whole body read) in-process.
#[derive(Clone)]
pub struct LocalHandler(pub Arc<dyn Fn(http::Request<Bytes>) -> LocalAnswer + Send + Sync>);

impl std::fmt::Debug for LocalHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalHandler")
    }
}

impl Egress {
    /// Whether the URI authority `host` / `port` is on the allowlist.
    fn allows(&self, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allow
            .iter()
            .map(|e| split_entry(e.trim()))
            .any(|(h, p)| h.eq_ignore_ascii_case(host) && p.is_none_or(|p| p == port))
    }
}

impl Egress {
    /// The same policy for a request the host makes on a guest's behalf (runtara serve's
    /// HTTP proxy): `Ok` when `url`'s host is allowlisted or resolves to public addresses
    /// only. Blocking (resolves the name).
    ///
    /// Errors: a URL without an http(s) host, a name that does not resolve, a non-public
    /// address — each as a message naming the destination.
    pub fn check(&self, url: &str) -> Result<(), String> {
        let uri: http::Uri = url.parse().map_err(|e| format!("'{url}' is not a URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(format!("'{url}' is not an http:// or https:// URL")),
        };
        let host = uri.host().ok_or_else(|| format!("'{url}' names no host"))?;
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        if self.allows(host, port) {
            return Ok(());
        }
        use std::net::ToSocketAddrs;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addrs: Vec<_> = (bare, port).to_socket_addrs().map_err(|e| format!("{host}: {e}"))?.collect();
        match addrs.iter().find(|a| !is_public(a.ip())) {
            _ if addrs.is_empty() => Err(format!("{host} does not resolve")),
            Some(a) => Err(format!(
                "egress to {host}:{port} ({}) is refused: not a public address; allow it with the deployment's allowHosts",
                a.ip()
            )),
            None => Ok(()),
        }
    }
}

/// An allowlist entry as `(host, port?)`: `host`, `host:port`, `v6`, `[v6]`, `[v6]:port`.
fn split_entry(entry: &str) -> (&str, Option<u16>) {
    if let Some(rest) = entry.strip_prefix('[') {
        let (host, tail) = rest.split_once(']').unwrap_or((rest, ""));
        return (host, tail.strip_prefix(':').and_then(|p| p.parse().ok()));
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, port.parse().ok()),
        _ => (entry, None),
    }
}

/// Whether `ip` is on the public internet: not loopback, private (RFC 1918), shared
/// (100.64/10), link-local (169.254/16, where cloud metadata lives; fe80::/10),
/// unique-local (fc00::/7), unspecified, broadcast or documentation.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || (a == 100 && (64..128).contains(&b))
                || a == 0)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// The wasi:http hooks of one run: the policy check, then wasmtime's default sender.
pub(crate) struct EgressHooks {
    policy: Egress,
}

impl EgressHooks {
    pub(crate) fn new(policy: Egress) -> Self {
        EgressHooks { policy }
    }
}

type Sent = wasmtime_wasi_http::Result<(http::Response<WasiBody>, Box<dyn Future<Output = Result<(), Error>> + Send>)>;

impl WasiHttpHooks for EgressHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = Sent> + Send> {
        let host = request.uri().host().unwrap_or_default().to_string();
        let https = request.uri().scheme() == Some(&http::uri::Scheme::HTTPS);
        let port = request.uri().port_u16().unwrap_or(if https { 443 } else { 80 });
        if let Some((_, handler)) =
            self.policy.local.as_ref().filter(|(authority, _)| *authority == format!("{host}:{port}"))
        {
            return Box::new(answer_locally(handler.clone(), request, fut));
        }
        let allowed = self.policy.allows(&host, port);
        Box::new(async move {
            if !allowed {
                let addrs = tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port))
                    .await
                    .map_err(|_| Error::DestinationNotFound)?;
                let mut any = false;
                for addr in addrs {
                    any = true;
                    if !is_public(addr.ip()) {
                        return Err(Error::HttpRequestDenied);
                    }
                }
                if !any {
                    return Err(Error::DestinationNotFound);
                }
            }
            // `fut` reports response-body errors; the default sender has its own.
            drop(fut);
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Box<dyn Future<Output = _> + Send>))
        })
    }
}

/// Reads the guest's request body and hands the request to `handler`.
async fn answer_locally(
    handler: LocalHandler,
    request: http::Request<WasiBody>,
    fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
) -> Sent {
    drop(fut);
    let (parts, body) = request.into_parts();
    let body = body.collect().await?.to_bytes();
    let response = (handler.0)(http::Request::from_parts(parts, body)).await;
    let response = response.map(|b| Full::new(b).map_err(|never| match never {}).boxed_unsync());
    Ok((response, Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_metadata_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn allowlist_matches_host_and_optional_port() {
        let e =
            Egress { allow: vec!["127.0.0.1:8080".into(), "api.example.com".into(), "[::1]:9000".into()], local: None };
        assert!(e.allows("127.0.0.1", 8080));
        assert!(!e.allows("127.0.0.1", 8081));
        assert!(e.allows("API.example.com", 443));
        assert!(e.allows("[::1]", 9000));
        assert!(!e.allows("::1", 9001));
        assert!(!e.allows("example.com", 443));
    }
}
