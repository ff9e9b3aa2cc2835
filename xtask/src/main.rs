//! `cargo xtask`: project automation (DESIGN §2).
//!
//! - `cargo xtask prebuild --target T`: build the prebuilt stdlib;
//! - `cargo xtask conformance [--target T]… [--update]`: run the shared corpus through the
//!   CLI and print pass/fail/unsupported per feature and target; `--update` rewrites
//!   `tests/conformance/passing-<target>.txt`;
//! - `cargo xtask bench [--only SECTION]`: compile time, artifact size, durability and
//!   run-time benchmarks (see `bench.rs`; `--only serve` is `bench_serve.rs`);
//! - `cargo xtask fuzz [--minutes N] [--seed S]`: the fuzz suite, longer than in CI;
//! - `cargo xtask ci [--target T | --lint | --state-service]`: what CI runs (`ci.rs`).

mod bench;
mod bench_agents;
mod bench_browser;
mod bench_edge;
mod bench_graph_size;
mod bench_serve;
mod ci;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use runtara_e2e::cli::{runtara, runtara_bin};
use runtara_e2e::conformance::{load_cases, passing_list_path, read_passing, run_case, table, Verdict};

#[derive(Parser)]
#[command(name = "xtask", about = "runtara project automation")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build the prebuilt workflow stdlib for a target.
    Prebuild {
        #[arg(long, default_value = "native")]
        target: String,
    },
    /// Run ../shared/conformance/cases.json through the CLI.
    Conformance {
        /// Targets to run (default: native and wasm32-wasip2).
        #[arg(long)]
        target: Vec<String>,
        /// Rewrite the passing lists from this run.
        #[arg(long)]
        update: bool,
        /// Print each failing case with its reason.
        #[arg(long, short)]
        verbose: bool,
        /// Run only the cases whose id contains this text (repeatable; implies no --update).
        #[arg(long = "case")]
        cases: Vec<String>,
    },
    /// Print compile time, artifact size, durability and run-time benchmarks.
    Bench {
        /// Run one section only: compile, steps, firmware, durability, split, browser, graph,
        /// edge, serve, scale or agents.
        #[arg(long)]
        only: Option<String>,
    },
    /// Run the fuzz suite (tests/tests/fuzz.rs) for a while: generated graphs must parse and
    /// validate without panics, and accepted ones compile, run and agree on native and
    /// wasm32-wasip2.
    Fuzz {
        /// How long the compile-and-run property generates graphs.
        #[arg(long, default_value_t = 10)]
        minutes: u64,
        /// The generator's seed (default: the clock), to replay a run.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Everything CI checks (see `ci.rs`): lint, the no_std build of the workflow logic,
    /// the whole test suite. `--target T` runs one target's slice, `--lint` only the lint.
    Ci {
        /// Only the tests of this target (native, wasm32-wasip2, wasm32-wasip1,
        /// wasm32-unknown-unknown, thumbv7em-none-eabihf) plus the target-independent ones.
        #[arg(long)]
        target: Option<String>,
        /// Only `cargo fmt --check` and `cargo clippy -D warnings`.
        #[arg(long, conflicts_with = "target")]
        lint: bool,
        /// Only the state-service tests, on PostgreSQL (`RUNTARA_TEST_POSTGRES_URL`).
        #[arg(long, conflicts_with_all = ["target", "lint"])]
        state_service: bool,
    },
}

fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::Prebuild { target } => {
            let out = runtara(&["prebuild", "--target", &target]);
            eprint!("{}", String::from_utf8_lossy(&out.stderr));
            if !out.status.success() {
                bail!("prebuild failed");
            }
            Ok(())
        }
        Cmd::Conformance { target, update, verbose, cases } => {
            conformance(target, update && cases.is_empty(), verbose, &cases)
        }
        Cmd::Bench { only } => bench::run(only.as_deref()),
        Cmd::Fuzz { minutes, seed } => fuzz(minutes, seed),
        Cmd::Ci { target, lint, state_service } => ci::run(match (target.as_deref(), lint, state_service) {
            (Some(t), _, _) => ci::Slice::Target(t),
            (None, true, _) => ci::Slice::Lint,
            (None, false, true) => ci::Slice::StateService,
            (None, false, false) => ci::Slice::All,
        }),
    }
}

fn fuzz(minutes: u64, seed: Option<u64>) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = std::process::Command::new(cargo);
    cmd.args(["test", "-p", "runtara-e2e", "--test", "fuzz", "--", "--nocapture"]);
    cmd.env("RUNTARA_FUZZ_SECONDS", (minutes * 60).to_string());
    if let Some(seed) = seed {
        cmd.env("RUNTARA_FUZZ_SEED", seed.to_string());
    }
    eprintln!("xtask: fuzzing for {minutes} min");
    if !cmd.status()?.success() {
        bail!("the fuzz suite found a problem (the minimised sample is under <target dir>/fuzz-failures/)");
    }
    Ok(())
}

fn conformance(targets: Vec<String>, update: bool, verbose: bool, only: &[String]) -> Result<()> {
    let targets = if targets.is_empty() { vec!["native".to_string(), "wasm32-wasip2".to_string()] } else { targets };
    let Some(corpus) = runtara_e2e::tools::conformance_corpus("cargo xtask conformance") else {
        bail!("no conformance corpus: set RUNTARA_CONFORMANCE_DIR or put it at ../shared/conformance");
    };
    let mut cases = load_cases(&corpus);
    if !only.is_empty() {
        cases.retain(|c| only.iter().any(|o| c.id.contains(o.as_str())));
    }
    let work = tempfile::tempdir()?;
    eprintln!("runtara binary: {}", runtara_bin().display());
    let mut regressions = Vec::new();
    for target in &targets {
        let results: Vec<_> = cases.iter().map(|c| (c, run_case(c, target, work.path()))).collect();
        println!("\n== conformance on {target} ==");
        println!("{:<28} {:>5} {:>5} {:>12}", "feature", "pass", "fail", "unsupported");
        for (feature, [p, f, u]) in table(&results) {
            println!("{feature:<28} {p:>5} {f:>5} {u:>12}");
        }
        let passing: Vec<&str> =
            results.iter().filter(|(_, v)| *v == Verdict::Pass).map(|(c, _)| c.id.as_str()).collect();
        for (c, v) in &results {
            if let Verdict::Fail(why) = v {
                if verbose {
                    println!("FAIL {}: {}", c.id, why.chars().take(400).collect::<String>());
                }
            }
        }
        for id in read_passing(target).into_iter().filter(|_| only.is_empty()) {
            if !passing.contains(&id.as_str()) {
                regressions.push(format!("{target}: {id}"));
            }
        }
        if update {
            let path = passing_list_path(target);
            std::fs::create_dir_all(path.parent().expect("has a parent"))?;
            let body = format!(
                "# Conformance cases that pass on {target}; regenerate with `cargo xtask conformance --update`.\n{}\n",
                passing.join("\n")
            );
            std::fs::write(&path, body)?;
            println!("wrote {}", path.display());
        }
    }
    if !regressions.is_empty() {
        bail!("regressions against the passing lists:\n  {}", regressions.join("\n  "));
    }
    Ok(())
}
