//! One module per subcommand: each has an `Args` struct (clap) and
//! `run(Args) -> Result<ExitCode>` calling one library operation.

pub mod compile;
pub mod completions;
pub mod core;
pub mod deploy;
pub mod graph;
pub mod instance;
pub mod instances;
pub mod keys;
pub mod lsp;
pub mod migrate;
pub mod prebuild;
pub mod run;
pub mod schema;
pub mod serve;
pub mod serve_demo;
pub mod signal;
pub mod start;
pub mod validate;
