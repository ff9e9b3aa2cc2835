//! `runtara core serve`: the state service (crate runtara-core) on a tokio runtime.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::error::{CliError, Result};

/// The state service.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: CoreCmd,
}

/// Subcommands of `core`.
#[derive(Subcommand, Debug)]
pub enum CoreCmd {
    /// Serve the HTTP/JSON API of instances, checkpoints and signals.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8003")]
        listen: String,
        /// Database: sqlite:PATH (WAL) or postgres://user:password@host/db; tables are
        /// created on start.
        #[arg(long, default_value = "sqlite:runtara-core.sqlite3")]
        db: String,
        /// Require `Authorization: Bearer <token>` on every request, the token read from
        /// FILE (trailing newline ignored). Or set RUNTARA_CORE_TOKEN. Secrets never go on
        /// the command line, where other users can read them.
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// Serve HTTPS with this certificate chain (PEM; with --tls-key).
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key of --tls-cert (PEM).
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Listen on a non-loopback address without a token (anyone who can reach the
        /// port can then read and write every tenant's instances).
        #[arg(long)]
        insecure: bool,
    },
}

/// Serves until the process is stopped. Errors: 2 for a `--db` that is neither SQLite nor
/// PostgreSQL, 1 when the address cannot be bound or the database cannot be opened.
pub fn run(args: Args) -> Result<ExitCode> {
    let CoreCmd::Serve { listen, db, token_file, tls_cert, tls_key, insecure } = args.cmd;
    if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
        return Err(CliError::usage(format!(
            "--db must be sqlite:PATH or a postgres://user:password@host/db URL, got '{db}'"
        )));
    }
    let token = match token_file {
        Some(file) => Some(
            std::fs::read_to_string(&file)
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
        !missing && runtara_core::Store::open(&db).and_then(|s| s.has_keys()).unwrap_or(false)
    };
    if !loopback && token.is_none() && !insecure && !has_keys() {
        return Err(CliError::usage(format!(
            "refusing to serve {listen} without credentials: anyone who can reach it could read and write every tenant. \
             Create API keys (runtara keys create --tenant T --db DB), give --token-file FILE (or RUNTARA_CORE_TOKEN), \
             listen on 127.0.0.1, or pass --insecure"
        )));
    }
    let tls = tls_cert.zip(tls_key).map(|(cert, key)| runtara_core::Tls { cert, key });
    crate::server::serve_until_stopped(runtara_core::serve(&listen, &db, token, tls))
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn a_public_address_without_a_token_is_refused() {
        let Cmd::Core(a) =
            Cli::try_parse_from(["runtara", "core", "serve", "--listen", "0.0.0.0:8003"]).unwrap().command
        else {
            panic!()
        };
        let e = super::run(a).unwrap_err();
        assert_eq!(e.code, 2);
        assert!(e.message.contains("--insecure"), "{}", e.message);
        assert!(Cli::try_parse_from(["runtara", "core", "serve", "--token", "s3cret"]).is_err(), "no secrets on argv");
    }

    #[test]
    fn a_database_that_is_not_sqlite_or_postgres_is_a_usage_error() {
        let Cmd::Core(a) = Cli::try_parse_from(["runtara", "core", "serve", "--db", "mysql://x"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!(super::run(a).unwrap_err().code, 2);
    }
}
