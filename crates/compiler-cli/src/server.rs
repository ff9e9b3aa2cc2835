//! Running a server future (the state service, the demo) on a tokio runtime.

use std::process::ExitCode;

use crate::error::{CliError, Result};

/// Blocks on `server` until it ends; its error exits 1 with the error chain.
pub fn serve_until_stopped(server: impl std::future::Future<Output = anyhow::Result<()>>) -> Result<ExitCode> {
    let rt =
        tokio::runtime::Runtime::new().map_err(|e| CliError::failed(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(server).map_err(|e| CliError::failed(format!("{e:#}")))?;
    Ok(ExitCode::SUCCESS)
}
