//! Child processes under limits: the artifact contract's environment only, a wall-time
//! limit and a cap on captured output. A run that breaks a limit is killed and reported as
//! a failed run with a structured error (`TIMEOUT`, `OUTPUT_LIMIT_EXCEEDED`), like any
//! other failure of the workflow.

use std::io::{Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Instant;

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
    if let Some(dir) = &req.workspace {
        cmd.env(crate::WORKSPACE_ENV, dir);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // Under a wall-time limit the child gets its own process group, so the limit stops
    // whatever it started too. Without one it stays in ours, so Ctrl-C reaches it.
    #[cfg(unix)]
    if req.limits.wall_time.is_some() {
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    }
    cmd
}

/// What the threads watching a child report.
enum Event {
    /// The child ended (after a kill, too).
    Exited(std::io::Result<ExitStatus>),
    /// A stream passed the output cap.
    Overflow,
}

/// Kills process `pid` and, when it leads its own process group, the group.
fn kill(pid: u32, own_group: bool) {
    #[cfg(unix)]
    {
        let target = if own_group { format!("-{pid}") } else { pid.to_string() };
        let _ = Command::new("kill").args(["-KILL", "--", &target]).status();
    }
    let _ = (pid, own_group);
}

/// Feeds the request's stdin to `child` and waits for it within `req.limits`. Nothing
/// polls: the exit, an output overflow and the deadline arrive on one channel.
///
/// Errors: waiting for the process fails.
pub fn wait_limited(mut child: Child, req: &RunRequest) -> anyhow::Result<RunOutput> {
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = req.stdin.clone();
    // Write on a thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let (tx, rx) = mpsc::channel();
    let cap = req.limits.max_output_bytes;
    let stdout = capture(child.stdout.take().expect("stdout is piped"), cap, tx.clone());
    let stderr = capture(child.stderr.take().expect("stderr is piped"), cap, tx.clone());
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(Event::Exited(child.wait()));
    });
    let own_group = req.limits.wall_time.is_some();
    let mut deadline = req.limits.wall_time.map(|t| Instant::now() + t);
    let mut broke = None;
    let status = loop {
        let event = match deadline {
            Some(d) => rx.recv_timeout(d.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        match event {
            Ok(Event::Exited(status)) => break status?,
            Ok(Event::Overflow) => {
                if broke.is_none() {
                    broke = Some(overflow(cap));
                    kill(pid, own_group);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let secs = req.limits.wall_time.unwrap_or_default().as_secs_f64();
                broke = Some(("TIMEOUT", format!("the run took longer than its {secs} s limit")));
                kill(pid, own_group);
                deadline = None; // now wait for the exit the kill causes
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => anyhow::bail!("lost track of process {pid}"),
        }
    };
    let _ = writer.join();
    let (stdout, out_over) = stdout.join().unwrap_or_default();
    let (mut stderr, err_over) = stderr.join().unwrap_or_default();
    // The child may have died of the closed pipe before its overflow was reported.
    if (out_over || err_over) && broke.is_none() {
        broke = Some(overflow(cap));
    }
    let Some((code, message)) = broke else {
        return Ok(RunOutput {
            exit_code: status.code().unwrap_or(1),
            stdout,
            stderr,
            memory_peak_bytes: None,
            code_cache_hit: None,
            code_tier: None,
        });
    };
    let category = if code == "TIMEOUT" { "timeout" } else { "permanent" };
    let error = serde_json::json!({
        "code": code, "message": message, "category": category, "severity": "error", "retryable": false,
    });
    stderr.extend_from_slice(format!("\n{error}\n").as_bytes());
    Ok(RunOutput {
        exit_code: 1,
        stdout: Vec::new(),
        stderr,
        memory_peak_bytes: None,
        code_cache_hit: None,
        code_tier: None,
    })
}

fn overflow(cap: usize) -> (&'static str, String) {
    ("OUTPUT_LIMIT_EXCEEDED", format!("the run wrote more than {cap} bytes of output"))
}

/// Reads `stream` on a thread, keeping at most `cap` bytes; reports [`Event::Overflow`] and
/// stops reading when there is more. Joins to the bytes kept and whether it overflowed.
fn capture(
    mut stream: impl Read + Send + 'static,
    cap: usize,
    events: mpsc::Sender<Event>,
) -> std::thread::JoinHandle<(Vec<u8>, bool)> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return (kept, false),
                Ok(n) if kept.len() + n > cap => {
                    let _ = events.send(Event::Overflow);
                    return (kept, true);
                }
                Ok(n) => kept.extend_from_slice(&buf[..n]),
            }
        }
    })
}
