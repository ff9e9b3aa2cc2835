//! wasm32-wasip2 components (feature `wasi-http`): wasi:http's outgoing-handler through the
//! `wasip2` bindings, blocking on its pollables. No async runtime or `http` types: wstd,
//! http, futures-lite, bytes and anyhow were ~70 KB of a 460 KB component (issue 18).

use super::{Request, Response};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme};
use wasip2::io::streams::{InputStream, OutputStream, StreamError};

/// Sends `req` and waits for the whole response; `Err` names what failed (connect,
/// timeout, TLS, as the host's `error-code`). Non-2xx statuses are responses, not errors.
/// `timeout_ms` bounds the wait for the first response byte.
pub fn send(req: &Request) -> Result<Response, String> {
    let (scheme, authority, path) = split_url(&req.url)?;
    let headers: Vec<(String, Vec<u8>)> = req.headers.iter().map(|(k, v)| (k.clone(), v.as_bytes().to_vec())).collect();
    let fields = Fields::from_list(&headers).map_err(|_| "invalid header name or value".to_string())?;
    let request = OutgoingRequest::new(fields);
    let refused = |what: &str| format!("the host refused the {what}");
    request.set_method(&method(&req.method)).map_err(|()| refused("method"))?;
    request.set_scheme(Some(&scheme)).map_err(|()| refused("scheme"))?;
    request.set_authority(Some(authority)).map_err(|()| refused("authority"))?;
    request.set_path_with_query(Some(&path)).map_err(|()| refused("path"))?;
    let body = request.body().map_err(|()| refused("body"))?;
    let options = req.timeout_ms.map(|ms| {
        let options = RequestOptions::new();
        // Nanoseconds; a host that does not support the timeout keeps its own.
        let _ = options.set_first_byte_timeout(Some(ms.saturating_mul(1_000_000)));
        options
    });
    let pending = outgoing_handler::handle(request, options).map_err(describe)?;
    write_body(body, &req.body)?;
    pending.subscribe().block();
    let response = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(e))) => return Err(describe(e)),
        Some(Err(())) | None => return Err("the response was already taken".into()),
    };
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), String::from_utf8_lossy(&v).into_owned()))
        .collect();
    let incoming = response.consume().map_err(|()| "the response body was already taken".to_string())?;
    let body = read_body(&incoming)?;
    Ok(Response { status, headers, body })
}

/// Writes `bytes` in the chunks a blocking write takes (4096 bytes), then finishes the body.
fn write_body(body: OutgoingBody, bytes: &[u8]) -> Result<(), String> {
    {
        let stream = body.write().map_err(|()| "the request body stream was already taken".to_string())?;
        write_all(&stream, bytes).map_err(|e| format!("sending the body: {e}"))?;
        // The stream must be dropped before the body is finished.
    }
    OutgoingBody::finish(body, None).map_err(describe)
}

/// The host's `error-code` in words. Not its `Debug` form: that is 4 KB of a component
/// that otherwise formats none of the 39 variants (issue 18).
fn describe(e: ErrorCode) -> String {
    let text = match e {
        ErrorCode::DnsTimeout => "DNS timed out",
        ErrorCode::DnsError(_) => "DNS lookup failed",
        ErrorCode::DestinationNotFound => "destination not found",
        ErrorCode::DestinationUnavailable => "destination unavailable",
        ErrorCode::DestinationIpProhibited => "destination address prohibited",
        ErrorCode::DestinationIpUnroutable => "destination address unroutable",
        ErrorCode::ConnectionRefused => "connection refused",
        ErrorCode::ConnectionTerminated => "connection terminated",
        ErrorCode::ConnectionTimeout => "connection timed out",
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => "timed out waiting for the response",
        ErrorCode::ConnectionWriteTimeout => "timed out sending the request",
        ErrorCode::TlsProtocolError | ErrorCode::TlsAlertReceived(_) => "TLS handshake failed",
        ErrorCode::TlsCertificateError => "TLS certificate rejected",
        ErrorCode::HttpRequestDenied => "the host denied the request",
        ErrorCode::ConfigurationError => "the host's HTTP configuration refused the request",
        ErrorCode::InternalError(Some(m)) => return format!("the host failed: {m}"),
        _ => "HTTP protocol error",
    };
    text.to_string()
}

/// Reads the whole response body (at most 64 MiB, like the native transport).
fn read_body(incoming: &wasip2::http::types::IncomingBody) -> Result<Vec<u8>, String> {
    const LIMIT: usize = 64 << 20;
    let stream = incoming.stream().map_err(|()| "the response body stream was already taken".to_string())?;
    read_to_end(&stream, LIMIT).map_err(|e| format!("reading the body: {e}"))
}

/// Writes all of `bytes` to `stream`, in the chunks a blocking write takes (4096 bytes).
/// Errors: the stream failed or closed, in words.
pub fn write_all(stream: &OutputStream, bytes: &[u8]) -> Result<(), String> {
    bytes.chunks(4096).try_for_each(|chunk| stream.blocking_write_and_flush(chunk).map_err(stream_error))
}

/// Reads `stream` to its end. Errors: the stream failed, or it held more than `limit` bytes.
pub fn read_to_end(stream: &InputStream, limit: usize) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(StreamError::Closed) => return Ok(bytes),
            Err(e) => return Err(stream_error(e)),
        }
        if bytes.len() > limit {
            return Err(format!("it is over {limit} bytes"));
        }
    }
}

/// A stream error in words (not its `Debug` form, for the reason [`describe`] gives).
fn stream_error(e: StreamError) -> String {
    match e {
        StreamError::Closed => "the connection closed".into(),
        StreamError::LastOperationFailed(e) => e.to_debug_string(),
    }
}

fn method(name: &str) -> Method {
    match name {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_string()),
    }
}

/// `scheme://authority/path?query` → (scheme, authority, path with query; `/` when empty).
/// Errors: not an absolute `http://` or `https://` URL.
fn split_url(url: &str) -> Result<(Scheme, &str, String), String> {
    let (scheme, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (Scheme::Http, rest)
    } else {
        return Err("not an absolute http:// or https:// URL".into());
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() {
        return Err("the URL has no host".into());
    }
    let path = path.split('#').next().unwrap_or("");
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    Ok((scheme, authority, path))
}

/// Milliseconds on the host's monotonic clock (wasi:clocks; for the http backend's retries).
pub fn monotonic_ms() -> u64 {
    wasip2::clocks::monotonic_clock::now() / 1_000_000
}

/// Blocks for `ms` milliseconds (wasi:clocks).
pub fn pause_ms(ms: u64) {
    wasip2::clocks::monotonic_clock::subscribe_duration(ms.saturating_mul(1_000_000)).block();
}

/// The same as [`send`]: this transport leaves TLS to the host.
pub use self::send as send_plain;

/// Whether [`send_plain`] reaches `https://` URLs. wasi:http: the host makes TLS connections.
pub const PLAIN_HTTPS: bool = true;
