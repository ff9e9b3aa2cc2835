//! `runtara prebuild`: build the prebuilt workflow stdlib ahead of the first compile.

use std::process::ExitCode;

use runtara_compiler::prebuilt;

use crate::args::parse_target;
use crate::error::Result;

/// Build (or refresh) the prebuilt workflow stdlib for a target.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(long, default_value = "native")]
    pub target: String,
}

/// Builds it (progress on stderr) and prints where it is. wasm32-wasip2 and
/// wasm32-unknown-unknown have two: with std and without (for graphs that need nothing std
/// gives).
pub fn run(args: Args) -> Result<ExitCode> {
    let target = parse_target(&args.target)?;
    for t in std::iter::once(target.clone()).chain(target.without_std()) {
        let p = prebuilt::ensure(&t)?;
        eprintln!("runtara: prebuilt stdlib at {}", p.dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn target_parses() {
        let Cmd::Prebuild(a) =
            Cli::try_parse_from(["runtara", "prebuild", "--target", "wasm32-wasip1"]).unwrap().command
        else {
            panic!()
        };
        assert_eq!(a.target, "wasm32-wasip1");
    }
}
