//! `runtara core serve`: the state service (crate runtara-core) on a tokio runtime.

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
        /// Require `Authorization: Bearer <token>` on every request.
        #[arg(long)]
        token: Option<String>,
    },
}

/// Serves until the process is stopped. Errors: 2 for a `--db` that is neither SQLite nor
/// PostgreSQL, 1 when the address cannot be bound or the database cannot be opened.
pub fn run(args: Args) -> Result<ExitCode> {
    let CoreCmd::Serve { listen, db, token } = args.cmd;
    if !(db.starts_with("sqlite:") || db.starts_with("postgres://") || db.starts_with("postgresql://")) {
        return Err(CliError::usage(format!(
            "--db must be sqlite:PATH or a postgres://user:password@host/db URL, got '{db}'"
        )));
    }
    crate::server::serve_until_stopped(runtara_core::serve(&listen, &db, token))
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn a_database_that_is_not_sqlite_or_postgres_is_a_usage_error() {
        let Cmd::Core(a) = Cli::try_parse_from(["runtara", "core", "serve", "--db", "mysql://x"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!(super::run(a).unwrap_err().code, 2);
    }
}
