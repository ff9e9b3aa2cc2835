//! Native artifacts run as child processes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::{RunOutput, RunRequest};

/// Spawns the executable with the input on stdin and collects its streams.
pub fn run(path: &Path, req: &RunRequest) -> anyhow::Result<RunOutput> {
    let mut child = Command::new(path)
        .envs(req.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot start {}: {e}", path.display()))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = req.stdin.clone();
    // Write on a thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output()?;
    let _ = writer.join();
    Ok(RunOutput { exit_code: out.status.code().unwrap_or(1), stdout: out.stdout, stderr: out.stderr })
}
