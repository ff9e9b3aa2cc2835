//! `cargo xtask bench`: compile time with a warm prebuilt stdlib and artifact size.
//!
//! Goals (issue "compile pipeline"): examples/01 compiles in ≤ 1.0 s for wasm32-wasip2 in
//! the default profile, and its `--release` component is ≤ 400 KB.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use runtara_e2e::cli::{conformance_dir, runtara};

const RUNS: usize = 5;

fn compile(file: &str, target: &str, out: &str, release: bool) -> Result<Duration> {
    let mut args = vec!["compile", "--target", target, file, "-o", out];
    if release {
        args.push("--release");
    }
    let start = Instant::now();
    let o = runtara(&args);
    let took = start.elapsed();
    if !o.status.success() {
        bail!("compile failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    Ok(took)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn verdict(ok: bool) -> &'static str {
    if ok { "meets goal" } else { "MISSES goal" }
}

/// Prints the benchmark table.
pub fn run() -> Result<()> {
    let example = conformance_dir().join("graphs/examples/01-conditional.json");
    let file = example.to_str().expect("utf-8 path");
    let dir = tempfile::tempdir()?;
    println!("benchmark: examples/01-conditional.json ({RUNS} runs each, median; prebuilt stdlib warm)");
    for (target, goal) in [("wasm32-wasip2", Some(1.0)), ("native", None)] {
        let out = dir.path().join(format!("a-{target}"));
        let out = out.to_str().expect("utf-8 path");
        compile(file, target, out, false)?; // warm the prebuilt stdlib
        let times = (0..RUNS).map(|_| compile(file, target, out, false)).collect::<Result<Vec<_>>>()?;
        let m = median(times).as_secs_f64();
        match goal {
            Some(g) => println!("compile time, {target}, default profile: {m:.3} s (goal ≤ {g:.1} s: {})", verdict(m <= g)),
            None => println!("compile time, {target}, default profile: {m:.3} s"),
        }
        let rel = dir.path().join(format!("r-{target}"));
        let rel = rel.to_str().expect("utf-8 path");
        let t = compile(file, target, rel, true)?;
        let size = std::fs::metadata(rel)?.len();
        let kb = size as f64 / 1024.0;
        if target == "wasm32-wasip2" {
            println!("artifact size, {target}, --release: {kb:.1} KB (goal ≤ 400 KB: {}); compile {:.3} s", verdict(kb <= 400.0), t.as_secs_f64());
        } else {
            println!("artifact size, {target}, --release: {kb:.1} KB; compile {:.3} s", t.as_secs_f64());
        }
        let dbg = std::fs::metadata(out)?.len() as f64 / 1024.0;
        println!("artifact size, {target}, default profile: {dbg:.1} KB");
    }
    Ok(())
}
