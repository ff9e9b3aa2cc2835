//! `runtara`: the command-line front end of the runtara toolchain. A thin layer over
//! [`runtara_compiler`], [`runtara_runner`], [`runtara_core`] and [`runtara_serve`]: one module per subcommand
//! under `commands/`.
//!
//! Exit codes: 0 success; 1 the workflow is invalid or failed to compile (or the run
//! failed); 2 usage errors, unreadable or unparsable files; `run` passes the artifact's
//! own codes through (3 suspended, 4 cancelled).

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod args;
mod commands;
mod core_client;
mod demo;
mod error;
mod server;

use commands::*;

/// Compile runtara workflow graphs (DSL 3.x JSON) into standalone programs and run them.
#[derive(Parser, Debug)]
#[command(
    name = "runtara",
    version,
    about = "Compile runtara workflow graphs (DSL 3.x JSON) into standalone programs and run them."
)]
#[command(after_help = "Targets: native (the host triple), wasm32-wasip2 (a WASI P2 component), wasm32-wasip1,\n\
thumbv7em-none-eabihf (no_std Cortex-M4 firmware; `runtara run` uses qemu-system-arm),\n\
wasm32-unknown-unknown (an ES module + wasm for browsers and Node; `runtara run` uses node),\n\
cloudflare (that module in a Cloudflare Worker with Durable Objects; `runtara run` uses workerd).\n\
Exit codes: 0 ok, 1 invalid workflow / failed run, 2 usage or unreadable input, 3 suspended, 4 cancelled.")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    Compile(compile::Args),
    Validate(validate::Args),
    Graph(graph::Args),
    Schema(schema::Args),
    Run(run::Args),
    Signal(signal::Args),
    Instances(instances::Args),
    Instance(instance::Args),
    Serve(serve::Args),
    Deploy(deploy::Args),
    Start(start::Args),
    Migrate(migrate::Args),
    Core(core::Args),
    Keys(keys::Args),
    ServeDemo(serve_demo::Args),
    Prebuild(prebuild::Args),
    Completions(completions::Args),
    Lsp(lsp::Args),
    Man(completions::ManArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Cmd::Compile(a) => compile::run(a),
        Cmd::Validate(a) => validate::run(a),
        Cmd::Graph(a) => graph::run(a),
        Cmd::Schema(a) => schema::run(a),
        Cmd::Run(a) => run::run(a),
        Cmd::Signal(a) => signal::run(a),
        Cmd::Instances(a) => instances::run(a),
        Cmd::Instance(a) => instance::run(a),
        Cmd::Serve(a) => serve::run(a),
        Cmd::Deploy(a) => deploy::run(a),
        Cmd::Start(a) => start::run(a),
        Cmd::Migrate(a) => migrate::run(a),
        Cmd::Core(a) => core::run(a),
        Cmd::Keys(a) => keys::run(a),
        Cmd::ServeDemo(a) => serve_demo::run(a),
        Cmd::Prebuild(a) => prebuild::run(a),
        Cmd::Completions(a) => completions::run(a, Cli::command()),
        Cmd::Man(a) => completions::man(a, Cli::command()),
        Cmd::Lsp(a) => lsp::run(a),
    };
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        ExitCode::from(e.code)
    })
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
