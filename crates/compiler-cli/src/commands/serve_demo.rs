//! `runtara serve-demo DIR`: the browser demo page plus compiled modules (`crate::demo`).

use std::path::PathBuf;
use std::process::ExitCode;

use crate::error::Result;

/// Serve the browser demo page and the wasm32-unknown-unknown modules compiled into
/// subdirectories of DIR (see examples/browser/README.md).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory whose subdirectories hold compiled modules (`-o DIR/NAME`).
    pub dir: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

/// Serves until the process is stopped. Errors: 1 when DIR is not a directory or the
/// address cannot be bound.
pub fn run(args: Args) -> Result<ExitCode> {
    crate::server::serve_until_stopped(crate::demo::serve(&args.listen, &args.dir))
}

#[cfg(test)]
mod tests {
    use crate::{Cli, Cmd};
    use clap::Parser;

    #[test]
    fn listen_defaults_to_loopback() {
        let Cmd::ServeDemo(a) = Cli::try_parse_from(["runtara", "serve-demo", "pkgs"]).unwrap().command else {
            panic!()
        };
        assert_eq!(a.listen, "127.0.0.1:8080");
    }
}
