//! The `sftp` agent (agents.md §5.3, native artifacts only): files on an SSH server over
//! SFTP with `russh` + `russh-sftp` (pure Rust, ring crypto), driven by a current-thread
//! tokio runtime per call. The server comes from the step's connection (`connectionId` →
//! `RUNTARA_CONNECTIONS`), parameters `{host, port? (22), username, password? | privateKey?
//! (OpenSSH PEM), passphrase?, hostKeyFingerprint? ("SHA256:…"), timeoutMs? (30000)}`.
//! Without `hostKeyFingerprint` any host key is accepted — pin it in production.

use std::sync::Arc;
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg};
use russh_sftp::client::SftpSession;
use serde_json::{json, Value};

use crate::error::{invalid_input, permanent, transient};
use crate::input::{base64_or_file, req_str, str_or, to_base64};

/// Connection parameters of one server.
struct Server {
    host: String,
    port: u16,
    username: String,
    password: Option<String>,
    private_key: Option<String>,
    passphrase: Option<String>,
    fingerprint: Option<String>,
    timeout: Duration,
}

fn server(input: &Value) -> Result<Server, Value> {
    let id = input
        .get("connection_id")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_input("the sftp agent needs a connection: set the step's connectionId"))?;
    let conn = crate::connections::lookup(id).ok_or_else(|| {
        permanent("CONNECTION_NOT_FOUND", format!("no connection '{id}' (RUNTARA_CONNECTIONS / --connections)"))
    })?;
    let p = &conn["parameters"];
    let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_string);
    let server = Server {
        host: text("host").ok_or_else(|| invalid_input(format!("connection '{id}' lacks parameters.host")))?,
        port: p.get("port").and_then(Value::as_u64).and_then(|n| u16::try_from(n).ok()).unwrap_or(22),
        username: text("username")
            .ok_or_else(|| invalid_input(format!("connection '{id}' lacks parameters.username")))?,
        password: text("password"),
        private_key: text("privateKey"),
        passphrase: text("passphrase"),
        fingerprint: text("hostKeyFingerprint"),
        timeout: Duration::from_millis(p.get("timeoutMs").and_then(Value::as_u64).unwrap_or(30_000)),
    };
    if server.password.is_none() && server.private_key.is_none() {
        return Err(invalid_input(format!("connection '{id}' needs parameters.password or parameters.privateKey")));
    }
    Ok(server)
}

/// Checks the server's host key against the pinned fingerprint, if any.
struct HostKey(Option<String>);

impl client::Handler for HostKey {
    type Error = russh::Error;

    async fn check_server_key(&mut self, key: &russh::keys::PublicKey) -> Result<bool, Self::Error> {
        Ok(self.0.as_ref().is_none_or(|want| key.fingerprint(HashAlg::Sha256).to_string() == *want))
    }
}

async fn open(s: &Server) -> Result<(Handle<HostKey>, SftpSession), Value> {
    let unreachable = |e: russh::Error| match e {
        russh::Error::UnknownKey => permanent(
            "HOST_KEY_MISMATCH",
            format!("{}:{} presented a host key other than hostKeyFingerprint {:?}", s.host, s.port, s.fingerprint),
        ),
        e => transient("SFTP_CONNECTION_FAILED", format!("{}:{}: {e}", s.host, s.port)),
    };
    let config = Arc::new(client::Config { inactivity_timeout: Some(s.timeout), ..Default::default() });
    let mut session = client::connect(config, (s.host.as_str(), s.port), HostKey(s.fingerprint.clone()))
        .await
        .map_err(unreachable)?;
    let auth = match (&s.private_key, &s.password) {
        (Some(pem), _) => {
            let key = russh::keys::decode_secret_key(pem, s.passphrase.as_deref())
                .map_err(|e| invalid_input(format!("privateKey is not a usable OpenSSH key: {e}")))?;
            let hash = session.best_supported_rsa_hash().await.map_err(unreachable)?.flatten();
            session.authenticate_publickey(&s.username, PrivateKeyWithHashAlg::new(Arc::new(key), hash)).await
        }
        (None, Some(password)) => session.authenticate_password(&s.username, password).await,
        (None, None) => unreachable!("server() requires a password or a key"),
    }
    .map_err(unreachable)?;
    if !auth.success() {
        return Err(permanent(
            "SFTP_AUTH_FAILED",
            format!("{}@{}:{} refused the credentials", s.username, s.host, s.port),
        ));
    }
    let channel = session.channel_open_session().await.map_err(unreachable)?;
    channel.request_subsystem(true, "sftp").await.map_err(unreachable)?;
    let sftp = SftpSession::new(channel.into_stream())
        .await
        .map_err(|e| transient("SFTP_CONNECTION_FAILED", format!("sftp subsystem: {e}")))?;
    Ok((session, sftp))
}

fn sftp_error(path: &str, e: russh_sftp::client::error::Error) -> Value {
    let text = e.to_string();
    let code = if text.contains("No such file") { "FILE_NOT_FOUND" } else { "SFTP_ERROR" };
    permanent(code, format!("{path}: {text}"))
}

/// Runs `f` against the step's server on a fresh current-thread runtime, within the
/// connection's timeout.
fn with_sftp<F>(input: &Value, f: impl FnOnce(SftpSession) -> F) -> Result<Value, Value>
where
    F: std::future::Future<Output = Result<Value, Value>>,
{
    let server = server(input)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| permanent("SFTP_ERROR", format!("no async runtime: {e}")))?;
    runtime.block_on(async {
        let work = async {
            let (session, sftp) = open(&server).await?;
            let out = f(sftp).await;
            let _ = session.disconnect(russh::Disconnect::ByApplication, "", "en").await;
            out
        };
        tokio::time::timeout(server.timeout, work).await.unwrap_or_else(|_| {
            Err(transient(
                "SFTP_TIMEOUT",
                format!("{}:{} did not answer within {:?}", server.host, server.port, server.timeout),
            ))
        })
    })
}

/// `sftp-list-files`: `{path}` → `[{name, path, size, isDirectory, modified?}]` of the
/// directory (without `.` and `..`), sorted by name; `modified` is unix seconds. Errors:
/// `FILE_NOT_FOUND`, `SFTP_AUTH_FAILED`, `SFTP_CONNECTION_FAILED` (transient).
pub fn sftp_list_files(input: &Value) -> Result<Value, Value> {
    let path = req_str(input, "path")?.to_string();
    with_sftp(input, |sftp| async move {
        let dir = sftp.read_dir(path.as_str()).await.map_err(|e| sftp_error(&path, e))?;
        let mut files: Vec<Value> = dir
            .filter(|e| e.file_name() != "." && e.file_name() != "..")
            .map(|e| {
                let meta = e.metadata();
                let name = e.file_name();
                let full = format!("{}/{}", path.trim_end_matches('/'), name);
                json!({"name": name, "path": full, "size": meta.len(), "isDirectory": meta.is_dir(), "modified": meta.mtime})
            })
            .collect();
        files.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        Ok(Value::Array(files))
    })
}

/// `sftp-download-file`: `{path, response_format?}` → the file's content: UTF-8 text
/// (`text`, default) or base64 (`base64`). Errors: `FILE_NOT_FOUND`, `INVALID_ENCODING`.
pub fn sftp_download_file(input: &Value) -> Result<Value, Value> {
    let path = req_str(input, "path")?.to_string();
    let base64 = match str_or(input, "response_format", "text")? {
        "text" => false,
        "base64" => true,
        other => return Err(invalid_input(format!("unknown response_format '{other}'; use text or base64"))),
    };
    with_sftp(input, |sftp| async move {
        let data = sftp.read(path.as_str()).await.map_err(|e| sftp_error(&path, e))?;
        if base64 {
            return Ok(Value::String(to_base64(&data)));
        }
        String::from_utf8(data).map(Value::String).map_err(|_| {
            permanent("INVALID_ENCODING", format!("{path} is not UTF-8 text; use response_format: base64"))
        })
    })
}

/// `sftp-upload-file`: `{path, content, content_format?}` → the number of bytes written;
/// `content` is text (`text`, default) or base64 / FileData (`base64`). The file is created
/// or truncated. Errors: `SFTP_ERROR` (e.g. a missing directory), bad base64.
pub fn sftp_upload_file(input: &Value) -> Result<Value, Value> {
    let path = req_str(input, "path")?.to_string();
    let data = match str_or(input, "content_format", "text")? {
        "text" => req_str(input, "content")?.as_bytes().to_vec(),
        "base64" => base64_or_file(input, "content")?,
        other => return Err(invalid_input(format!("unknown content_format '{other}'; use text or base64"))),
    };
    with_sftp(input, |sftp| async move {
        use tokio::io::AsyncWriteExt;
        let mut file = sftp.create(path.as_str()).await.map_err(|e| sftp_error(&path, e))?;
        let written = async {
            file.write_all(&data).await?;
            file.shutdown().await
        };
        written.await.map_err(|e| permanent("SFTP_ERROR", format!("{path}: {e}")))?;
        Ok(Value::from(data.len()))
    })
}

/// `sftp-delete-file`: `{path}` → `{success: true, path}`. Errors: `FILE_NOT_FOUND`.
pub fn sftp_delete_file(input: &Value) -> Result<Value, Value> {
    let path = req_str(input, "path")?.to_string();
    with_sftp(input, |sftp| async move {
        sftp.remove_file(path.as_str()).await.map_err(|e| sftp_error(&path, e))?;
        Ok(json!({"success": true, "path": path}))
    })
}
