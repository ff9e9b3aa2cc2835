//! `runtara instances`: the instances of a tenant on a core.

use std::process::ExitCode;

use runtara_protocol::wire::InstanceSummary;

use crate::args::{CoreArgs, Format};
use crate::core_client::encode;
use crate::error::{CliError, Result};

/// List the instances of a tenant on a core.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    pub core: CoreArgs,
    /// `human` (default: `ID<TAB>STATUS` lines) or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Prints the list. Errors: 2 without `--core`, 1 when the core refuses or is unreachable.
pub fn run(args: Args) -> Result<ExitCode> {
    let core = args.core.required()?;
    // The list comes in pages of up to 1000, by id.
    let mut all = Vec::new();
    loop {
        let after = all.last().and_then(|i: &serde_json::Value| i["id"].as_str()).unwrap_or_default().to_string();
        let page = core.get(&format!("instances?limit=1000&after={}", encode(&after))).map_err(CliError::failed)?;
        let page = page.as_array().cloned().unwrap_or_default();
        let more = page.len() == 1000;
        all.extend(page);
        if !more {
            break;
        }
    }
    let list = serde_json::Value::Array(all);
    match args.format {
        Format::Json => println!("{list}"),
        Format::Human => {
            let rows: Vec<InstanceSummary> = serde_json::from_value(list)
                .map_err(|e| CliError::failed(format!("the core's instance list does not fit the protocol: {e}")))?;
            for i in rows {
                println!("{}\t{}", i.id, i.status);
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
    fn without_core_is_a_usage_error() {
        let Cmd::Instances(a) = Cli::try_parse_from(["runtara", "instances", "--tenant", "t"]).unwrap().command else {
            panic!()
        };
        assert_eq!(a.core.tenant, "t");
        assert_eq!(super::run(a).unwrap_err().code, 2);
    }
}
