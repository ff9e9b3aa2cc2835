//! Native artifacts run as child processes under the contract's environment and limits
//! (`process.rs`).

use std::path::Path;
use std::process::Command;

use crate::process::{contract_command, wait_limited};
use crate::{RunOutput, RunRequest};

/// Spawns the executable with the input on stdin and collects its streams.
///
/// Errors: the executable cannot be started.
pub fn run(path: &Path, req: &RunRequest) -> anyhow::Result<RunOutput> {
    let child = contract_command(Command::new(path), req)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", path.display()))?;
    wait_limited(child, req)
}
