//! How a subcommand fails: a message for stderr and the exit code scripts rely on
//! (README "Exit codes": 1 invalid workflow / failed run, 2 usage or unreadable input).

use std::fmt;

use runtara_compiler::CompileError;
use runtara_protocol::exit;

/// A failed subcommand. `main` prints `error: <message>` and exits with `code`.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

/// What every subcommand's `run` returns.
pub type Result<T> = std::result::Result<T, CliError>;

impl CliError {
    /// Exit 2: bad flags, unreadable or unparsable files and input.
    pub fn usage(message: impl Into<String>) -> Self {
        CliError { code: exit::BAD_INPUT, message: message.into() }
    }

    /// Exit 1: the work itself failed (invalid workflow, unreachable server, …).
    pub fn failed(message: impl Into<String>) -> Self {
        CliError { code: exit::FAILED, message: message.into() }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<CompileError> for CliError {
    fn from(e: CompileError) -> Self {
        let code = match e {
            CompileError::Read { .. } | CompileError::Parse { .. } | CompileError::Output(_) => exit::BAD_INPUT,
            _ => exit::FAILED,
        };
        CliError { code, message: e.to_string() }
    }
}
