//! `runtara completions SHELL` and `runtara man`: shell completion scripts (clap_complete)
//! and roff man pages (clap_mangen) generated from the same clap definitions as `--help`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap_complete::Shell;

use crate::error::{CliError, Result};

/// Print a completion script for SHELL.
///
/// Bash: `runtara completions bash > ~/.local/share/bash-completion/completions/runtara`;
/// zsh: `runtara completions zsh > "${fpath[1]}/_runtara"`; fish: `runtara completions
/// fish > ~/.config/fish/completions/runtara.fish`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Writes the script to stdout. Exit 0.
pub fn run(args: Args, mut cli: clap::Command) -> Result<ExitCode> {
    clap_complete::generate(args.shell, &mut cli, "runtara", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}

/// Print the man page runtara(1), or write one page per subcommand into a directory.
///
/// `runtara man | man -l -` reads it; `runtara man --dir /usr/local/share/man/man1` installs
/// runtara.1 and runtara-<command>.1.
#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write runtara.1 and runtara-<command>.1 here instead of printing runtara.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Prints or writes the pages. Exit 0; 2 when the directory cannot be written.
pub fn man(args: ManArgs, cli: clap::Command) -> Result<ExitCode> {
    let Some(dir) = args.dir else {
        clap_mangen::Man::new(cli).render(&mut std::io::stdout()).map_err(|e| CliError::usage(e.to_string()))?;
        return Ok(ExitCode::SUCCESS);
    };
    let cannot = |e: std::io::Error| CliError::usage(format!("cannot write man pages to {}: {e}", dir.display()));
    std::fs::create_dir_all(&dir).map_err(cannot)?;
    clap_mangen::generate_to(cli, &dir).map_err(cannot)?;
    Ok(ExitCode::SUCCESS)
}
