//! `runtara instance ID`: one instance on a core.

use std::process::ExitCode;

use runtara_protocol::wire::InstanceDetail;

use crate::args::{CoreArgs, Format};
use crate::core_client::encode;
use crate::error::{CliError, Result};

/// Show one instance on a core: status, output or error, checkpoints, events.
#[derive(clap::Args, Debug)]
pub struct Args {
    pub id: String,
    #[command(flatten)]
    pub core: CoreArgs,
    /// `human` (default) or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Prints the instance. Errors: 2 without `--core`, 1 when the core refuses (unknown
/// instance) or is unreachable.
pub fn run(args: Args) -> Result<ExitCode> {
    let v = args.core.required()?.get(&format!("instances/{}", encode(&args.id))).map_err(CliError::failed)?;
    if args.format == Format::Json {
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    let i: InstanceDetail = serde_json::from_value(v)
        .map_err(|e| CliError::failed(format!("the core's answer does not fit the protocol: {e}")))?;
    println!("instance {}: {}", args.id, i.status);
    if let Some(output) = i.output.filter(|o| !o.is_null()) {
        println!("output: {output}");
    }
    if let Some(error) = i.error.filter(|e| !e.is_null()) {
        println!("error: {error}");
    }
    for c in i.checkpoints {
        println!("checkpoint {c}");
    }
    for e in i.events {
        println!("event {e}");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn id_is_required() {
        assert!(Cli::try_parse_from(["runtara", "instance"]).is_err());
        let Cmd::Instance(a) = Cli::try_parse_from(["runtara", "instance", "i1", "--format", "json"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!(a.id, "i1");
    }
}
