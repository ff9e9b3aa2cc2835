//! Running a server future (the state service, runtara serve, the demo) on a tokio
//! runtime, and the credential checks the servers share.

use std::process::ExitCode;

use crate::error::{CliError, Result};

/// Blocks on `server` until it ends; its error exits 1 with the error chain.
pub fn serve_until_stopped(server: impl std::future::Future<Output = anyhow::Result<()>>) -> Result<ExitCode> {
    let rt =
        tokio::runtime::Runtime::new().map_err(|e| CliError::failed(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(server).map_err(|e| CliError::failed(format!("{e:#}")))?;
    Ok(ExitCode::SUCCESS)
}

/// The shared token of a server: read from `token_file` (trailing newline ignored), else
/// `RUNTARA_CORE_TOKEN`. Refuses (usage error) to listen on a non-loopback address without
/// credentials — a token or API keys in `db` — unless `insecure`.
pub fn credentials(
    listen: &str,
    db: &str,
    token_file: Option<&std::path::Path>,
    insecure: bool,
) -> Result<Option<String>> {
    let token = match token_file {
        Some(file) => Some(
            std::fs::read_to_string(file)
                .map_err(|e| CliError::usage(format!("cannot read --token-file {}: {e}", file.display())))?
                .trim_end_matches(['\n', '\r'])
                .to_string(),
        ),
        None => std::env::var("RUNTARA_CORE_TOKEN").ok(),
    }
    .filter(|t| !t.is_empty());
    let loopback = listen
        .parse::<std::net::SocketAddr>()
        .map(|a| a.ip().is_loopback())
        .unwrap_or_else(|_| listen.starts_with("localhost:"));
    // Credentials: the shared token, or API keys in the database (`runtara keys`).
    // (A SQLite file that does not exist yet holds no keys; do not create it to find out.)
    let has_keys = || {
        let missing = db.strip_prefix("sqlite:").is_some_and(|path| !std::path::Path::new(path).exists());
        !missing && runtara_core::Store::open(db).and_then(|s| s.has_keys()).unwrap_or(false)
    };
    if !loopback && token.is_none() && !insecure && !has_keys() {
        return Err(CliError::usage(format!(
            "refusing to serve {listen} without credentials: anyone who can reach it could read and write every tenant. \
             Create API keys (runtara keys create --tenant T --db DB), give --token-file FILE (or RUNTARA_CORE_TOKEN), \
             listen on 127.0.0.1, or pass --insecure"
        )));
    }
    Ok(token)
}

/// Checks a `--db` value: `sqlite:PATH` or a PostgreSQL URL (usage error else).
pub fn check_db(db: &str) -> Result<()> {
    if db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://") {
        return Ok(());
    }
    Err(CliError::usage(format!("--db must be sqlite:PATH or a postgres://user:password@host/db URL, got '{db}'")))
}
