//! `cargo xtask ci`: what CI runs, whole (`.ci/run`) or one slice per job
//! (`.github/workflows/ci.yml`).
//!
//! - lint: `cargo fmt --check`, `cargo clippy --workspace --all-targets -D warnings`;
//! - the no_std build of the stdlib's workflow logic (thumbv7em-none-eabihf);
//! - `cargo test --workspace`, and the stdlib's hosted tests (`--features native`).
//!
//! `--target T` sets `RUNTARA_TEST_TARGETS=T`, which the end-to-end tests read
//! (`runtara_e2e::tools::can_run`) to run only that target's artifacts.

use std::process::Command;

use anyhow::{bail, Result};

const CROSS_TARGETS: [&str; 4] = ["wasm32-wasip2", "wasm32-wasip1", "thumbv7em-none-eabihf", "wasm32-unknown-unknown"];

/// Runs the whole CI (`target` None, `lint` false), one target's slice, or the lint.
pub fn run(target: Option<&str>, lint: bool) -> Result<()> {
    if lint {
        return self::lint();
    }
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
        add_rustup_targets(None);
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
    let mut test = command(&["test", "--workspace"]);
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
