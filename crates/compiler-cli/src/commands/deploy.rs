//! `runtara deploy FILE`: deploy a graph (the server compiles it) or a compiled
//! wasm32-wasip2 component to `runtara serve`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::args::{CoreArgs, Format};
use crate::core_client::encode;
use crate::error::{CliError, Result};

/// Deploy a workflow graph (JSON) or a component (.wasm) as the next version of a workflow.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The graph (`.json`) or component (`.wasm`, compiled with --target wasm32-wasip2 --core-client).
    pub file: PathBuf,
    /// The workflow id (default: the file name without its extension).
    #[arg(long)]
    pub workflow_id: Option<String>,
    /// Linear memory per instance, MiB (default: the server's).
    #[arg(long)]
    pub memory_mb: Option<u64>,
    /// CPU budget per launch, fuel units (default: the server's).
    #[arg(long)]
    pub fuel: Option<u64>,
    /// Wall time per launch, ms (default: the server's).
    #[arg(long)]
    pub wall_time_ms: Option<u64>,
    /// Relaunches after a trap before the instance is crashed (default: the server's).
    #[arg(long)]
    pub max_restarts: Option<u32>,
    /// A host (`host`, `host:port`, an address) guest HTTP may reach besides public
    /// addresses; repeat for more. Loopback and private addresses are refused otherwise.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    #[command(flatten)]
    pub core: CoreArgs,
    /// `human` (default: `WORKFLOW_ID<TAB>VERSION`) or `json`.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Deploys and prints the workflow id and version. Errors: 2 for an unreadable file or no
/// `--server`, 1 when the server refuses (invalid graph, artifact policy) or is unreachable.
pub fn run(args: Args) -> Result<ExitCode> {
    let server = args.core.required()?;
    let body =
        std::fs::read(&args.file).map_err(|e| CliError::usage(format!("cannot read {}: {e}", args.file.display())))?;
    let workflow_id = match &args.workflow_id {
        Some(id) => id.clone(),
        None => args.file.file_stem().and_then(|s| s.to_str()).unwrap_or("workflow").to_string(),
    };
    let mut query = format!("workflows?workflowId={}", encode(&workflow_id));
    let settings = [
        ("memoryBytes", args.memory_mb.map(|m| m << 20)),
        ("fuel", args.fuel),
        ("wallTimeMs", args.wall_time_ms),
        ("maxRestarts", args.max_restarts.map(u64::from)),
    ];
    for (name, value) in settings {
        if let Some(v) = value {
            query.push_str(&format!("&{name}={v}"));
        }
    }
    if !args.allow_hosts.is_empty() {
        query.push_str(&format!("&allowHosts={}", encode(&args.allow_hosts.join(","))));
    }
    let content_type = if body.starts_with(b"\0asm") { "application/wasm" } else { "application/json" };
    let answer = server.post_bytes(&query, body, content_type).map_err(CliError::failed)?;
    match args.format {
        Format::Json => println!("{answer}"),
        Format::Human => println!("{}\t{}", answer["workflowId"].as_str().unwrap_or(&workflow_id), answer["version"]),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn flags() {
        let Cmd::Deploy(a) = Cli::try_parse_from([
            "runtara",
            "deploy",
            "g.json",
            "--workflow-id",
            "w",
            "--allow-host",
            "127.0.0.1:9",
            "--allow-host",
            "x",
        ])
        .unwrap()
        .command
        else {
            panic!()
        };
        assert_eq!(a.allow_hosts, ["127.0.0.1:9", "x"]);
        assert!(Cli::try_parse_from(["runtara", "deploy"]).is_err(), "the file is required");
    }
}
