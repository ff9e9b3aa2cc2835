//! thumbv7em-none-eabihf firmware under `qemu-system-arm -machine mps2-an386` with
//! semihosting: the input is the host file `runtara-input.json` in qemu's working
//! directory, output and errors are semihosting stdout/stderr, the exit status is
//! semihosting's (0 or 1).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{RunOutput, RunRequest};

/// How long firmware may run before it is killed (`RUNTARA_QEMU_TIMEOUT`, seconds).
fn timeout() -> Duration {
    let secs = std::env::var("RUNTARA_QEMU_TIMEOUT").ok().and_then(|s| s.parse().ok()).unwrap_or(120);
    Duration::from_secs(secs)
}

/// Runs firmware to completion.
///
/// Errors: qemu is not installed (the message says how to install it) or cannot start.
pub fn run(path: &Path, req: &RunRequest) -> anyhow::Result<RunOutput> {
    let qemu = std::env::var("RUNTARA_QEMU").unwrap_or_else(|_| "qemu-system-arm".into());
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("runtara-input.json"), &req.stdin)?;
    let kernel = std::fs::canonicalize(path)?;
    let child = Command::new(&qemu)
        .args(["-cpu", "cortex-m4", "-machine", "mps2-an386", "-nographic", "-monitor", "none", "-serial", "none"])
        .args(["-semihosting-config", "enable=on,target=native"])
        .arg("-kernel")
        .arg(&kernel)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => anyhow::bail!(
            "{qemu} is not installed; firmware runs under qemu: install it with `apt-get install qemu-system-arm` (Debian/Ubuntu) or `brew install qemu` (macOS)"
        ),
        Err(e) => anyhow::bail!("cannot start {qemu}: {e}"),
    };
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let limit = timeout();
    let watchdog = std::thread::spawn(move || {
        if rx.recv_timeout(limit).is_err() {
            // Still running after the limit: stop it (the run then reports a failure).
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    });
    let out = child.wait_with_output()?;
    let _ = tx.send(());
    let _ = watchdog.join();
    Ok(RunOutput {
        exit_code: out.status.code().unwrap_or(1),
        stdout: out.stdout,
        stderr: out.stderr,
        memory_peak_bytes: None,
        code_cache_hit: None,
        code_tier: None,
    })
}
