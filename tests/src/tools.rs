//! External tools the end-to-end tests drive (qemu-system-arm, node, chromium with
//! playwright-core, arm-none-eabi-gcc, a wasmtime CLI) and the optional conformance corpus.
//!
//! Policy (ARCHITECTURE "Tests"): a test whose tool is missing prints `SKIPPED: …` with the
//! fix and returns; under `CI=true` a missing tool fails the test instead, because
//! `.ci/run` installs every tool the README lists.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::cli::workspace_root;

/// True under `CI=true` (or any non-empty `CI` other than `false`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// Reports a missing tool: fails under CI, else prints `SKIPPED: <what>: <fix>`.
pub fn missing(what: &str, fix: &str) {
    assert!(!in_ci(), "CI must provide {what}: {fix}");
    eprintln!("SKIPPED: {what} is missing: {fix}");
}

/// Whether `program --version` starts; reports it missing otherwise.
pub fn have_program(program: &str, fix: &str) -> bool {
    let ok = Command::new(program).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if !ok {
        missing(program, fix);
    }
    ok
}

/// The stock wasmtime CLI: `RUNTARA_WASMTIME` (`.ci/run` installs wasmtime-cli 48 and sets
/// it), else `wasmtime` on the PATH.
pub fn wasmtime_program() -> String {
    std::env::var("RUNTARA_WASMTIME").unwrap_or_else(|_| "wasmtime".into())
}

/// [`wasmtime_program`] when it starts; `None` (reported missing) otherwise.
pub fn stock_wasmtime() -> Option<String> {
    let wasmtime = wasmtime_program();
    let fix = "install wasmtime-cli 48 (`cargo install wasmtime-cli@48.0.8`) and set RUNTARA_WASMTIME";
    have_program(&wasmtime, fix).then_some(wasmtime)
}

/// Whether a test should run `target`'s artifacts: the target is selected
/// (`RUNTARA_TEST_TARGETS`, a comma list set by `cargo xtask ci --target T`; all when unset)
/// and the program `runtara run` uses for it is there (qemu-system-arm for firmware, node
/// for browser modules, npm to install workerd for Cloudflare Workers; reported missing
/// otherwise).
pub fn can_run(target: &str) -> bool {
    if let Ok(selected) = std::env::var("RUNTARA_TEST_TARGETS") {
        if !selected.split(',').any(|t| t.trim() == target) {
            return false;
        }
    }
    match target {
        "thumbv7em-none-eabihf" => {
            let qemu = std::env::var("RUNTARA_QEMU").unwrap_or_else(|_| "qemu-system-arm".into());
            have_program(&qemu, "apt-get install qemu-system-arm")
        }
        "wasm32-unknown-unknown" => {
            let node = std::env::var("RUNTARA_NODE").unwrap_or_else(|_| "node".into());
            have_program(&node, "install Node 18+")
        }
        // `runtara run` installs workerd from the npm registry on first use.
        "cloudflare" => {
            std::env::var_os("RUNTARA_WORKERD").is_some()
                || have_program(
                    &std::env::var("RUNTARA_NPM").unwrap_or_else(|_| "npm".into()),
                    "install Node 18+ with npm",
                )
        }
        _ => true,
    }
}

/// Headless Chromium driven by playwright-core (`npm ci --prefix tests/browser`, which
/// `cargo xtask ci` runs) and Debian's `chromium` (or `RUNTARA_CHROMIUM`).
pub fn have_chromium() -> bool {
    if !can_run("wasm32-unknown-unknown") {
        return false;
    }
    if !workspace_root().join("tests/browser/node_modules/playwright-core").is_dir() {
        missing("playwright-core", "run `npm ci --prefix tests/browser` (cargo xtask ci does)");
        return false;
    }
    let chromium = std::env::var("RUNTARA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        missing(&chromium, "install Debian's `chromium` package or set RUNTARA_CHROMIUM");
        return false;
    }
    true
}

/// The shared conformance corpus, an optional extra gate: `RUNTARA_CONFORMANCE_DIR` (which
/// must then hold `cases.json`), else `../shared/conformance` beside the checkout. `None`
/// (with a `SKIPPED` line naming `test`) when neither exists — also under CI, since the
/// corpus is not part of the project; `.ci/run` sets the variable when it finds one.
pub fn conformance_corpus(test: &str) -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("RUNTARA_CONFORMANCE_DIR") {
        let d = PathBuf::from(d);
        assert!(d.join("cases.json").is_file(), "RUNTARA_CONFORMANCE_DIR={} has no cases.json", d.display());
        return Some(d);
    }
    let beside = workspace_root().join("../shared/conformance");
    if beside.join("cases.json").is_file() {
        return Some(beside);
    }
    eprintln!("SKIPPED: {test}: the conformance corpus is not present (set RUNTARA_CONFORMANCE_DIR or put it at ../shared/conformance)");
    None
}
