//! `runtara start WORKFLOW_ID`: start an instance of a deployed workflow on `runtara serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{json, Value};

use crate::args::{CoreArgs, Format};
use crate::error::{CliError, Result};

/// Start an instance of a deployed workflow; prints its id (the server runs it).
#[derive(clap::Args, Debug)]
pub struct Args {
    pub workflow_id: String,
    /// The version to run (default: the latest).
    #[arg(long)]
    pub version: Option<u32>,
    /// The input JSON file (`{data, variables}` or the data itself; default: `{}`).
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// The instance id (default: a new random one). Starting the same id twice starts one
    /// instance.
    #[arg(long = "instance", value_name = "ID")]
    pub instance_id: Option<String>,
    /// Debug mode: the instance pauses (status `suspended`) before every step with
    /// `breakpoint: true`; `runtara signal ID resume` goes on.
    #[arg(long)]
    pub debug: bool,
    #[command(flatten)]
    pub core: CoreArgs,
    /// `human` (default: the instance id) or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Starts the instance. Errors: 2 for an unreadable or non-JSON input or no `--server`, 1
/// when the server refuses (unknown workflow) or is unreachable.
pub fn run(args: Args) -> Result<ExitCode> {
    let server = args.core.required()?;
    let input: Value = match &args.input {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::usage(format!("cannot read --input {}: {e}", path.display())))?;
            serde_json::from_str(&text)
                .map_err(|e| CliError::usage(format!("--input {} is not JSON: {e}", path.display())))?
        }
        None => json!({}),
    };
    let mut body = json!({ "workflowId": args.workflow_id, "input": input });
    if let Some(v) = args.version {
        body["version"] = v.into();
    }
    if let Some(id) = &args.instance_id {
        body["instanceId"] = id.clone().into();
    }
    if args.debug {
        body["debug"] = true.into();
    }
    let answer = server.post("instances", &body).map_err(CliError::failed)?;
    match args.format {
        Format::Json => println!("{answer}"),
        Format::Human => println!("{}", answer["instanceId"].as_str().unwrap_or_default()),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn flags() {
        let Cmd::Start(a) = Cli::try_parse_from([
            "runtara",
            "start",
            "w",
            "--version",
            "2",
            "--instance",
            "i1",
            "--server",
            "http://x",
        ])
        .unwrap()
        .command
        else {
            panic!()
        };
        assert_eq!(
            (a.version, a.instance_id.as_deref(), a.core.core.as_deref()),
            (Some(2), Some("i1"), Some("http://x"))
        );
        assert!(Cli::try_parse_from(["runtara", "start"]).is_err(), "the workflow id is required");
    }
}
