//! `cargo xtask bench --only steps` (issue 18 item 8): how validation and compilation scale
//! with the graph. Generated chains and fan-outs of 100, 1,000 and 10,000 steps:
//! `runtara validate` time and peak memory (goal: 10,000 steps in ≤ 1 s, linear); the
//! compile time of a 1,000-step chain against a 100-step one (goal ≤ 10×); a generated
//! 100-step workflow compiles in ≤ 2 s (default profile).

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use runtara_e2e::cli::runtara_command;
use serde_json::{json, Map, Value};

use crate::bench::{chain_workflow, verdict};

/// A Switch-free fan-out: one Log step whose `n - 2` outgoing edges lead to Log steps that
/// all lead to one Finish (every step reachable, every edge checked).
fn fan_out_workflow(n: usize) -> Value {
    let mut steps = Map::new();
    let mut plan = Vec::new();
    steps.insert("start".into(), json!({"stepType": "Log", "id": "start", "message": "start"}));
    for i in 0..n - 2 {
        let id = format!("leaf{i}");
        steps.insert(id.clone(), json!({"stepType": "Log", "id": id, "message": format!("leaf {i}")}));
        plan.push(json!({"fromStep": "start", "toStep": id}));
        plan.push(json!({"fromStep": id, "toStep": "done"}));
    }
    steps.insert("done".into(), json!({"stepType": "Finish", "id": "done", "inputMapping": {}}));
    json!({"name": format!("{n}-step fan-out"), "entryPoint": "start", "steps": steps, "executionPlan": plan})
}

/// Runs `runtara <args>` to its end: wall time and the process's peak resident memory.
fn measured(args: &[&str]) -> Result<(Duration, u64)> {
    let start = Instant::now();
    let child = runtara_command().args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for the child we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: plain FFI call with valid pointers to the locals above.
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    let took = start.elapsed();
    if pid < 0 {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) > 1 {
        bail!("runtara {} failed (status {status})", args.join(" "));
    }
    Ok((took, usage.ru_maxrss as u64 * 1024))
}

/// Prints the section.
pub fn steps() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    for (shape, make) in [("chain", chain_workflow as fn(usize) -> Value), ("fan-out", fan_out_workflow)] {
        let mut per_step = Vec::new();
        for n in [100usize, 1_000, 10_000] {
            let file = path(&format!("{shape}-{n}.json"));
            std::fs::write(&file, serde_json::to_vec(&make(n))?)?;
            let (t, peak) = measured(&["validate", &file])?;
            let secs = t.as_secs_f64();
            per_step.push(secs / n as f64);
            let goal = if n == 10_000 { format!(" (goal ≤ 1 s: {})", verdict(secs <= 1.0)) } else { String::new() };
            println!(
                "runtara validate, {n}-step {shape}: {secs:.3} s{goal}, peak memory {:.1} MB",
                peak as f64 / 1048576.0
            );
        }
        let growth = per_step[2] / per_step[0];
        println!("  time per step, 10,000 vs 100 steps: {growth:.1}× (linear ≈ 1×)");
    }
    let mut compile_times = Vec::new();
    for n in [100usize, 1_000] {
        let file = path(&format!("chain-{n}.json"));
        let out = path(&format!("chain-{n}.bin"));
        let times: Vec<(Duration, u64)> =
            (0..3).map(|_| measured(&["compile", "--target", "native", &file, "-o", &out])).collect::<Result<_>>()?;
        let mut sorted: Vec<Duration> = times.iter().map(|t| t.0).collect();
        sorted.sort();
        let peak = times.iter().map(|t| t.1).max().unwrap_or(0);
        let m = sorted[1].as_secs_f64();
        compile_times.push(m);
        let goal = if n == 100 { format!(" (goal ≤ 2.0 s: {})", verdict(m <= 2.0)) } else { String::new() };
        println!(
            "compile time, generated {n}-step chain, native, default profile: {m:.3} s{goal}, peak memory {:.1} MB",
            peak as f64 / 1048576.0
        );
    }
    let ratio = compile_times[1] / compile_times[0];
    println!("compile time, 1,000 vs 100 steps: {ratio:.1}× (goal ≤ 10×: {})", verdict(ratio <= 10.0));
    Ok(())
}
