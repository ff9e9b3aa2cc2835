//! `cargo xtask bench --only steps` (issue 18 item 8): how validation and compilation scale
//! with the graph. Generated chains and fan-outs of 100, 1,000 and 10,000 steps:
//! `runtara validate` time and peak memory (goal: 10,000 steps in ≤ 1 s, linear); the
//! compile time of a 1,000-step chain against a 100-step one (goal ≤ 10×); a generated
//! 100-step workflow compiles in ≤ 2 s (default profile). Release builds of runtara.

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

/// Runs `runtara <args>` to its end: wall time and the process's peak resident memory
/// (`VmHWM` of `/proc/<pid>/status`, read every 2 ms: the high-water mark of its own address
/// space — `wait4`'s `ru_maxrss` would count this process's memory, which the child carries
/// through fork and exec).
fn measured(args: &[&str]) -> Result<(Duration, u64)> {
    let start = Instant::now();
    let mut child = runtara_command().args(args).stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        let hwm = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        });
        peak_kb = peak_kb.max(hwm.unwrap_or(0));
        std::thread::sleep(Duration::from_millis(2));
    };
    if status.code().is_none_or(|c| c > 1) {
        bail!("runtara {} failed ({status})", args.join(" "));
    }
    Ok((start.elapsed(), peak_kb * 1024))
}

/// The median time (and the largest peak) of three runs.
fn median_of_three(args: &[&str]) -> Result<(Duration, u64)> {
    let mut runs: Vec<(Duration, u64)> = (0..3).map(|_| measured(args)).collect::<Result<_>>()?;
    let peak = runs.iter().map(|r| r.1).max().unwrap_or(0);
    runs.sort();
    Ok((runs[1].0, peak))
}

/// Prints the section, on release builds (a debug xtask rebuilds itself).
pub fn steps() -> Result<()> {
    if !crate::bench_serve::released() {
        return crate::bench_serve::rerun_released("steps");
    }
    let dir = tempfile::tempdir()?;
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    measured(&["--version"])?; // a first start pays for loading the binary
    for (shape, make) in [("chain", chain_workflow as fn(usize) -> Value), ("fan-out", fan_out_workflow)] {
        let mut per_step = Vec::new();
        for n in [100usize, 1_000, 10_000] {
            let file = path(&format!("{shape}-{n}.json"));
            std::fs::write(&file, serde_json::to_vec(&make(n))?)?;
            let (t, peak) = median_of_three(&["validate", &file])?;
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
        let (t, peak) = median_of_three(&["compile", "--target", "native", &file, "-o", &out])?;
        let m = t.as_secs_f64();
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
