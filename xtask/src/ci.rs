//! `cargo xtask ci`: what CI runs, whole (`.ci/run`) or one slice per job
//! (`.github/workflows/ci.yml`).
//!
//! - lint: `cargo fmt --check`, `cargo clippy --workspace --all-targets -D warnings`;
//! - the no_std build of the stdlib's workflow logic (thumbv7em-none-eabihf);
//! - `cargo test --workspace`, and the stdlib's hosted tests (`--features native`).
//!
//! `--state-service` runs only the state-service tests (on PostgreSQL). `--target T` sets `RUNTARA_TEST_TARGETS=T`, which the end-to-end tests read
//! (`runtara_e2e::tools::can_run`) to run only that target's artifacts.

use std::process::Command;

use anyhow::{bail, Result};

const CROSS_TARGETS: [&str; 4] = ["wasm32-wasip2", "wasm32-wasip1", "thumbv7em-none-eabihf", "wasm32-unknown-unknown"];

/// What one CI run covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slice<'a> {
    /// Lint, the no_std build and every test.
    All,
    /// The tests of one target (plus the target-independent ones).
    Target(&'a str),
    /// Only the lint.
    Lint,
    /// Only the state-service tests, which need `RUNTARA_TEST_POSTGRES_URL`.
    StateService,
}

/// Runs the CI slice.
pub fn run(slice: Slice<'_>) -> Result<()> {
    let target = match slice {
        Slice::Lint => return self::lint(),
        Slice::StateService => {
            if std::env::var_os("RUNTARA_TEST_POSTGRES_URL").is_none() {
                bail!("the state-service slice runs on PostgreSQL: set RUNTARA_TEST_POSTGRES_URL (scripts/start-postgres.sh)");
            }
            return cargo(&["test", "-p", "runtara-e2e", "--test", "core", "--test", "crash"]);
        }
        Slice::Target(t) => Some(t),
        Slice::All => None,
    };
    if let Some(t) = target {
        let known = t == "native" || CROSS_TARGETS.contains(&t);
        if !known {
            bail!("unknown target '{t}': native, {}", CROSS_TARGETS.join(", "));
        }
    }
    add_rustup_targets(target);
    if target.is_none_or(|t| t == "wasm32-unknown-unknown") {
        install_browser_driver()?;
    }
    if target.is_none() {
        self::lint()?;
    }
    if target.is_none_or(|t| t == "thumbv7em-none-eabihf") {
        // The workflow logic of the stdlib is no_std + alloc (DESIGN §3).
        cargo(&[
            "build",
            "-p",
            "runtara-workflow-stdlib",
            "--target",
            "thumbv7em-none-eabihf",
            "--features",
            "embedded",
        ])?;
    }
    // Every test binary runs even after one fails, so a CI log names all the failures.
    let mut test = command(&["test", "--workspace", "--no-fail-fast"]);
    if let Some(t) = target {
        test.env("RUNTARA_TEST_TARGETS", t);
    }
    status(test, "cargo test --workspace")?;
    // Hosted-only parts of the stdlib (templates, entry) are behind the `native` feature.
    cargo(&["test", "-p", "runtara-workflow-stdlib", "--features", "native"])
}

/// The stdlib's platform features and the target each is built for (its code differs per
/// platform only in `runtime/<platform>.rs`, but every one must build warning-free).
const STDLIB_PLATFORMS: [(&str, &str); 5] = [
    ("native", ""),
    ("wasi", "wasm32-wasip1"),
    ("wasi-p2", "wasm32-wasip2"),
    ("wasm-js", "wasm32-unknown-unknown"),
    ("embedded", "thumbv7em-none-eabihf"),
];

fn lint() -> Result<()> {
    add_rustup_targets(None);
    cargo(&["fmt", "--all", "--check"])?;
    cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"])?;
    for (feature, target) in STDLIB_PLATFORMS {
        let mut args = vec!["clippy", "-p", "runtara-workflow-stdlib", "--features", feature];
        if !target.is_empty() {
            args.extend(["--target", target]);
        }
        args.extend(["--", "-D", "warnings"]);
        cargo(&args)?;
    }
    Ok(())
}

fn add_rustup_targets(target: Option<&str>) {
    let targets: Vec<&str> = match target {
        Some("native") => return,
        Some(t) => vec![t],
        None => CROSS_TARGETS.to_vec(),
    };
    let ok = Command::new("rustup").args(["target", "add"]).args(&targets).status().is_ok_and(|s| s.success());
    if !ok {
        eprintln!("xtask: rustup target add failed; continuing (the compiler adds targets on demand)");
    }
}

/// playwright-core drives Debian's chromium in the browser-target tests (no browser
/// download). Without npm the browser tests say they were skipped (or fail under CI).
fn install_browser_driver() -> Result<()> {
    let dir = runtara_e2e::browser::driver_dir();
    if dir.join("node_modules/playwright-core").is_dir() {
        return Ok(());
    }
    if Command::new("npm").arg("--version").output().is_err() {
        runtara_e2e::tools::missing("npm", "install Node 18+ with npm");
        return Ok(());
    }
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund", "--prefix"]).arg(&dir);
    status(npm, "npm ci --prefix tests/browser")
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.args(args);
    c
}

fn cargo(args: &[&str]) -> Result<()> {
    status(command(args), &format!("cargo {}", args.join(" ")))
}

fn status(mut cmd: Command, what: &str) -> Result<()> {
    eprintln!("xtask: {what}");
    if !cmd.status()?.success() {
        bail!("{what} failed");
    }
    Ok(())
}
