//! `runtara core serve`: the state service (crate runtara-core) on a tokio runtime.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::error::Result;

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
    crate::server::check_db(&db)?;
    let token = crate::server::credentials(&listen, &db, token_file.as_deref(), insecure)?;
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
