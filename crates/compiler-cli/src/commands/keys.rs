//! `runtara keys`: per-tenant API keys of the state service, managed on its database.

use std::process::ExitCode;

use clap::Subcommand;
use runtara_core::Store;

use crate::error::{CliError, Result};

/// Create, list and revoke the state service's per-tenant API keys.
///
/// Once a database holds a key, `runtara core serve` on it requires a live key on every
/// request (`Authorization: Bearer KEY`, `--token KEY` or RUNTARA_TOKEN for clients and
/// artifacts), and a key reaches only its own tenant.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: KeysCmd,
    /// The state service's database: sqlite:PATH or a postgres:// URL.
    #[arg(long, global = true, default_value = "sqlite:runtara-core.sqlite3")]
    pub db: String,
}

/// Subcommands of `keys`.
#[derive(Subcommand, Debug)]
pub enum KeysCmd {
    /// Create a key for a tenant; prints `KEY_ID<TAB>SECRET` once (only a hash is stored).
    Create {
        /// The tenant the key may act for.
        #[arg(long)]
        tenant: String,
    },
    /// List keys (`KEY_ID<TAB>TENANT<TAB>live|revoked`); secrets are never shown.
    List,
    /// Revoke a key by id; requests with it get 401 from then on.
    Revoke {
        /// The id `create` printed (`key_…`).
        key_id: String,
    },
}

/// Runs the subcommand. Errors: 2 for an empty or non-ASCII tenant, an unknown key id; 1
/// when the database cannot be opened.
pub fn run(args: Args) -> Result<ExitCode> {
    let store = Store::open(&args.db).map_err(|e| CliError::failed(format!("{e:#}")))?;
    match args.cmd {
        KeysCmd::Create { tenant } => {
            if tenant.is_empty() || !tenant.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(CliError::usage("--tenant must be a non-empty, printable ASCII id"));
            }
            let (id, secret) = store.create_key(&tenant).map_err(|e| CliError::failed(format!("{e:#}")))?;
            println!("{id}\t{secret}");
            eprintln!("runtara: key {id} for tenant {tenant}; store the secret now, it is not shown again");
        }
        KeysCmd::List => {
            for (id, tenant, _created, revoked) in store.keys().map_err(|e| CliError::failed(format!("{e:#}")))? {
                println!("{id}\t{tenant}\t{}", if revoked.is_some() { "revoked" } else { "live" });
            }
        }
        KeysCmd::Revoke { key_id } => {
            if !store.revoke_key(&key_id).map_err(|e| CliError::failed(format!("{e:#}")))? {
                return Err(CliError::usage(format!("no live key {key_id}; `runtara keys list` shows them")));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn create_list_revoke_parse() {
        let Cmd::Keys(a) =
            Cli::try_parse_from(["runtara", "keys", "create", "--tenant", "acme", "--db", "sqlite:x"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!(a.db, "sqlite:x");
        assert!(Cli::try_parse_from(["runtara", "keys", "revoke"]).is_err(), "revoke needs a key id");
        assert!(Cli::try_parse_from(["runtara", "keys", "list"]).is_ok());
    }
}
