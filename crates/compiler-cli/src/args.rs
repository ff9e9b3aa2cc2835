//! Flags and values several subcommands share.

use clap::{Args, ValueEnum};
use runtara_compiler::Target;

use crate::core_client::CoreTarget;
use crate::error::{CliError, Result};

/// Where the state service is (`--core URL --tenant T --token X`).
#[derive(Args, Clone, Debug)]
pub struct CoreArgs {
    /// Base URL of `runtara serve` or `runtara core serve`, e.g. http://127.0.0.1:8003
    /// (`--server` is the same flag; or set RUNTARA_SERVER).
    #[arg(long, value_name = "URL", visible_alias = "server", env = "RUNTARA_SERVER")]
    pub core: Option<String>,
    /// Tenant of the instance (X-Runtara-Tenant-Id).
    #[arg(long, default_value = "default")]
    pub tenant: String,
    /// Bearer token or API key of the core. Prefer the RUNTARA_TOKEN environment variable:
    /// a command line is visible to other users of the machine.
    #[arg(long, env = "RUNTARA_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

impl CoreArgs {
    /// The core to talk to, when `--core` was given.
    pub fn target(&self) -> Option<CoreTarget> {
        self.core.clone().map(|url| CoreTarget { url, tenant: self.tenant.clone(), token: self.token.clone() })
    }

    /// The core to talk to; a usage error without `--core`.
    pub fn required(&self) -> Result<CoreTarget> {
        self.target().ok_or_else(|| {
            CliError::usage(
                "give --server URL (or RUNTARA_SERVER): the address of `runtara serve` or `runtara core serve`",
            )
        })
    }
}

/// `--format human|json` of the inspecting commands.
#[derive(Clone, Copy, ValueEnum, PartialEq, Debug)]
pub enum Format {
    Human,
    Json,
}

/// A `--target` value: `native`, the host triple or a supported triple (usage error else).
pub fn parse_target(name: &str) -> Result<Target> {
    Target::parse(name).map_err(CliError::usage)
}
