//! `runtara migrate INSTANCE --to-version N`: move a parked instance of `runtara serve` to
//! another version of its workflow (hot reload).

use std::process::ExitCode;

use serde_json::json;

use crate::args::{CoreArgs, Format};
use crate::error::{CliError, Result};

/// Move a parked instance to another deployed version of its workflow (hot reload)
///
/// Only a pending, sleeping, waiting or paused instance moves. The server refuses (naming
/// the steps) when a step whose results the instance has checkpointed changed in that
/// version; the instance then finishes on the version it started on.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The instance id.
    pub instance_id: String,
    /// The version of its workflow to continue on.
    #[arg(long, value_name = "N")]
    pub to_version: u32,
    #[command(flatten)]
    pub core: CoreArgs,
    /// `human` (default: `INSTANCE<TAB>FROM -> TO`) or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Migrates. Errors: 2 without `--server`; 1 when the server refuses (unknown instance or
/// version, a running or finished instance, changed checkpointed steps) or is unreachable.
pub fn run(args: Args) -> Result<ExitCode> {
    let server = args.core.required()?;
    let path = format!("instances/{}/migrate", args.instance_id);
    let answer = server.post(&path, &json!({ "toVersion": args.to_version })).map_err(CliError::failed)?;
    match args.format {
        Format::Json => println!("{answer}"),
        Format::Human => println!("{}\t{} -> {}", args.instance_id, answer["fromVersion"], answer["toVersion"]),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn flags() {
        let cli =
            Cli::try_parse_from(["runtara", "migrate", "i1", "--to-version", "3", "--server", "http://x"]).unwrap();
        let Cmd::Migrate(a) = cli.command else { panic!("not migrate") };
        assert_eq!((a.instance_id.as_str(), a.to_version), ("i1", 3));
        assert!(Cli::try_parse_from(["runtara", "migrate", "i1"]).is_err(), "--to-version is required");
    }
}
