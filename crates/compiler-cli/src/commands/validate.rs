//! `runtara validate`: the DSL rules (dsl-spec §9) over a graph and its children.

use std::path::PathBuf;
use std::process::ExitCode;

use runtara_compiler::{diagnostics, validate_scenario, Scenario};

use crate::args::Format;
use crate::error::Result;

/// Check a workflow graph against the DSL rules (error codes E001…, warnings W003…).
#[derive(clap::Args, Debug)]
pub struct Args {
    pub file: PathBuf,
    /// `human` (default: each finding with the lines of JSON under it, like rustc) or `json`:
    /// {"errors":[{code,stepId,path,message,hint,line,column}],"warnings":[…]}.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Directory of child workflows, to validate the closure (repeatable).
    #[arg(long = "workflows", value_name = "DIR")]
    pub workflows: Vec<PathBuf>,
}

/// Prints the findings; exit 0 without errors, 1 with errors, 2 for an unreadable file.
pub fn run(args: Args) -> Result<ExitCode> {
    let d = validate_scenario(&Scenario::Path(args.file.clone()), &args.workflows)?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&d).unwrap_or_default()),
        Format::Human => {
            // The findings with the JSON under them; the file was just read, so a failure
            // here only loses the snippets.
            let text = std::fs::read_to_string(&args.file).unwrap_or_default();
            print!("{}", diagnostics::render_source(&d, &text, &args.file.display().to_string()));
            println!("{}", diagnostics::summary(&args.file.display().to_string(), &d));
        }
    }
    Ok(if d.is_ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn format_and_workflows_parse() {
        let Cmd::Validate(a) =
            Cli::try_parse_from(["runtara", "validate", "g.json", "--format", "json", "--workflows", "kids"])
                .unwrap()
                .command
        else {
            panic!()
        };
        assert_eq!((a.format, a.workflows.len()), (crate::args::Format::Json, 1));
        assert!(Cli::try_parse_from(["runtara", "validate", "g.json", "--format", "yaml"]).is_err());
    }
}
