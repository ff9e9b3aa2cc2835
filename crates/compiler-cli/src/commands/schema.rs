//! `runtara schema`: the JSON Schema of the document format (from the dsl model).

use std::process::ExitCode;

use crate::error::Result;

/// Print the JSON Schema of the workflow document format.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Prints the schema, pretty, on stdout.
pub fn run(_: Args) -> Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(&runtara_dsl::json_schema()).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn takes_no_arguments() {
        assert!(matches!(Cli::try_parse_from(["runtara", "schema"]).unwrap().command, Cmd::Schema(_)));
        assert!(Cli::try_parse_from(["runtara", "schema", "x"]).is_err());
    }
}
