//! Child processes under limits: the artifact contract's environment only, a wall-time
//! limit and a cap on captured output. A run that breaks a limit is killed and reported as
//! a failed run with a structured error (`TIMEOUT`, `OUTPUT_LIMIT_EXCEEDED`), like any
//! other failure of the workflow.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{RunOutput, RunRequest};

/// Environment variables a child keeps besides `RUNTARA_*` and the request's own.
const KEPT_ENV: [&str; 1] = ["TENANT_ID"];

/// Prepares `cmd` for the contract: a cleared environment plus the caller's `RUNTARA_*`
/// variables (and `TENANT_ID`, the spec's fallback tenant), then the request's variables,
/// and piped standard streams.
pub fn contract_command(mut cmd: Command, req: &RunRequest) -> Command {
    cmd.env_clear();
    for (k, v) in std::env::vars_os() {
        let name = k.to_string_lossy();
        if name.starts_with("RUNTARA_") || KEPT_ENV.contains(&name.as_ref()) {
            cmd.env(&k, &v);
        }
    }
    cmd.envs(req.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // Under a wall-time limit the child gets its own process group, so the limit stops
    // whatever it started too. Without one it stays in ours, so Ctrl-C reaches it.
    #[cfg(unix)]
    if req.limits.wall_time.is_some() {
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    }
    cmd
}

/// Kills `child` and, when it leads its own process group, the group.
fn kill_all(child: &mut Child, own_group: bool) {
    #[cfg(unix)]
    if own_group {
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
    }
    let _ = own_group;
    let _ = child.kill();
    let _ = child.wait();
}

/// Feeds the request's stdin to `child` and waits for it within `req.limits`.
///
/// Errors: waiting for the process fails.
pub fn wait_limited(mut child: Child, req: &RunRequest) -> anyhow::Result<RunOutput> {
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = req.stdin.clone();
    // Write on a thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let over = Arc::new(AtomicBool::new(false));
    let cap = req.limits.max_output_bytes;
    let stdout = capture(child.stdout.take().expect("stdout is piped"), cap, over.clone());
    let stderr = capture(child.stderr.take().expect("stderr is piped"), cap, over.clone());
    let started = Instant::now();
    let mut broke = None;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if over.load(Ordering::SeqCst) {
            broke = Some(("OUTPUT_LIMIT_EXCEEDED", format!("the run wrote more than {cap} bytes of output")));
        } else if req.limits.wall_time.is_some_and(|t| started.elapsed() >= t) {
            let secs = req.limits.wall_time.unwrap_or_default().as_secs_f64();
            broke = Some(("TIMEOUT", format!("the run took longer than its {secs} s limit")));
        }
        if broke.is_some() {
            kill_all(&mut child, req.limits.wall_time.is_some());
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = writer.join();
    let stdout = stdout.join().unwrap_or_default();
    let mut stderr = stderr.join().unwrap_or_default();
    // The child may have died of the closed pipe before the loop saw the limit.
    if over.load(Ordering::SeqCst) && broke.is_none() {
        broke = Some(("OUTPUT_LIMIT_EXCEEDED", format!("the run wrote more than {cap} bytes of output")));
    }
    match (status, broke) {
        (Some(status), None) => Ok(RunOutput { exit_code: status.code().unwrap_or(1), stdout, stderr }),
        (_, Some((code, message))) => {
            let category = if code == "TIMEOUT" { "timeout" } else { "permanent" };
            let error = serde_json::json!({
                "code": code, "message": message, "category": category, "severity": "error", "retryable": false,
            });
            stderr.extend_from_slice(format!("\n{error}\n").as_bytes());
            Ok(RunOutput { exit_code: 1, stdout: Vec::new(), stderr })
        }
        (None, None) => unreachable!("the loop ends with a status or a broken limit"),
    }
}

/// Reads `stream` on a thread, keeping at most `cap` bytes; sets `over` when there is more.
fn capture(
    mut stream: impl Read + Send + 'static,
    cap: usize,
    over: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) if kept.len() + n > cap => {
                    over.store(true, Ordering::SeqCst);
                    break;
                }
                Ok(n) => kept.extend_from_slice(&buf[..n]),
            }
        }
        kept
    })
}
