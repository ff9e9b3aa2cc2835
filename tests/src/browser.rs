//! Browser-target test helpers: `runtara serve-demo` as a child process, and headless
//! Chromium scenarios (`tests/browser/chromium.mjs`, playwright-core driving Debian's
//! `chromium`).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::cli::{free_loopback_addr, runtara_bin, wait_until_listening, workspace_root};

/// A running `runtara serve-demo`; dropping it stops it.
pub struct DemoServer {
    child: Child,
    /// `http://127.0.0.1:<port>/`.
    pub url: String,
}

impl DemoServer {
    /// Serves `dir` (subdirectories = compiled modules) on a free loopback port.
    pub fn start(dir: &Path) -> DemoServer {
        let listen = free_loopback_addr();
        let child = Command::new(runtara_bin())
            .args(["serve-demo", dir.to_str().expect("utf-8 path"), "--listen", &listen])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runtara serve-demo starts");
        wait_until_listening(&listen, "runtara serve-demo");
        DemoServer { child, url: format!("http://{listen}/") }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `<target dir>/browser-artifacts`, created: where tests keep their screenshots.
pub fn artifacts_dir() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).expect("the target dir is writable");
    dir
}

/// `tests/browser/` (the driver script and its node_modules).
pub fn driver_dir() -> PathBuf {
    workspace_root().join("tests/browser")
}

/// Runs a Chromium scenario against `url` and returns its JSON result.
///
/// Panics with the fix when playwright-core is not installed (`npm ci --prefix
/// tests/browser`, which `cargo xtask ci` runs) or chromium is missing.
pub fn chromium(scenario: &str, url: &str, arg: &Value) -> Value {
    let dir = driver_dir();
    assert!(
        dir.join("node_modules/playwright-core").is_dir(),
        "playwright-core is not installed: run `npm ci --prefix tests/browser` (cargo xtask ci does)"
    );
    let chromium = std::env::var("RUNTARA_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: install Debian's `chromium` package or set RUNTARA_CHROMIUM"
    );
    let out = Command::new(std::env::var("RUNTARA_NODE").unwrap_or_else(|_| "node".into()))
        .arg(dir.join("chromium.mjs"))
        .args([scenario, url, &arg.to_string()])
        .env("RUNTARA_CHROMIUM", &chromium)
        .output()
        .expect("node starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "chromium {scenario} failed: {}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("chromium {scenario}: not JSON ({e}): {stdout}"))
}
