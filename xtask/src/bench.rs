//! `cargo xtask bench`: compile time with a warm prebuilt stdlib, artifact sizes, run and
//! checkpoint costs, each printed with its goal and ✔ (meets it) or ✘ (misses it).
//!
//! Goals (issue 18, examples/01 = `tests/fixtures/conditional.json`, `--release`): the
//! wasm32-wasip2 component ≤ 120 KB with the core client, the browser `.wasm` ≤ 120 KB,
//! firmware flash ≤ 64 KB, the native executable ≤ 1.5 MB; `runtara run G.json` with an
//! empty cache ≤ 0.3 s to the first result; `runtara run x.wasm` ≤ 3× the native artifact;
//! a native `--release` compile ≤ 5 s; the Split of 100,000 items within 1.2× (native),
//! 1.5× (wasmtime), 2.5× (Node) of a hand-written program; a checkpoint round trip p50 ≤
//! 0.3 ms; validation linear (10,000 steps ≤ 1 s) and compile time of 1,000 steps ≤ 10×
//! that of 100 (`bench_graph_size.rs`). Older goals: a default-profile compile ≤ 1.0 s.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use runtara_e2e::cli::{runtara, workspace_root};

const RUNS: usize = 5;

pub(crate) fn compile(file: &str, target: &str, out: &str, release: bool) -> Result<Duration> {
    compile_with(file, target, out, release, &[])
}

/// `runtara compile --target TARGET FILE -o OUT [--release] EXTRA…`: how long it took.
/// Errors: the compile fails (its stderr is quoted).
pub(crate) fn compile_with(file: &str, target: &str, out: &str, release: bool, extra: &[&str]) -> Result<Duration> {
    let mut args = vec!["compile", "--target", target, file, "-o", out];
    if release {
        args.push("--release");
    }
    args.extend_from_slice(extra);
    let start = Instant::now();
    let o = runtara(&args);
    let took = start.elapsed();
    if !o.status.success() {
        bail!("compile failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    Ok(took)
}

pub(crate) fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub(crate) fn verdict(ok: bool) -> &'static str {
    if ok {
        "✔"
    } else {
        "✘"
    }
}

/// Prints the benchmark table; `only` picks one section (`compile`, `steps`, `firmware`,
/// `durability`, `split`, `browser`, `graph`, `edge`, `serve`, `scale`).
pub fn run(only: Option<&str>) -> Result<()> {
    type Section = (&'static str, fn() -> Result<()>);
    let sections: [Section; 11] = [
        ("compile", compile_and_size),
        ("steps", crate::bench_graph_size::steps),
        ("firmware", firmware),
        ("durability", durability),
        ("split", split_vs_handwritten),
        ("browser", crate::bench_browser::browser),
        ("graph", graph_picture),
        ("edge", crate::bench_edge::edge),
        ("serve", crate::bench_serve::serve),
        ("scale", crate::bench_serve::scale),
        ("agents", crate::bench_agents::agents),
    ];
    if let Some(name) = only {
        if !sections.iter().any(|(n, _)| *n == name) {
            bail!("unknown section '{name}'; sections: compile, steps, firmware, durability, split, browser, graph, edge, serve, scale, agents");
        }
    }
    for (name, section) in sections {
        if only.is_none_or(|o| o == name) {
            section()?;
        }
    }
    Ok(())
}

/// Compile time and artifact size of examples/01 (wasm32-wasip2 and native), time to the
/// first result and the run overhead of a component, on release builds of runtara (a debug
/// xtask rebuilds itself).
fn compile_and_size() -> Result<()> {
    if !crate::bench_serve::released() {
        return crate::bench_serve::rerun_released("compile");
    }
    let example = workspace_root().join("tests/fixtures/conditional.json");
    let file = example.to_str().expect("utf-8 path");
    let dir = tempfile::tempdir()?;
    println!(
        "benchmark: examples/01 (tests/fixtures/conditional.json) ({RUNS} runs each, median; prebuilt stdlib warm)"
    );
    for (target, goal) in [("wasm32-wasip2", Some(1.0)), ("native", None)] {
        let out = dir.path().join(format!("a-{target}"));
        let out = out.to_str().expect("utf-8 path");
        compile(file, target, out, false)?; // warm the prebuilt stdlib
        let times = (0..RUNS).map(|_| compile(file, target, out, false)).collect::<Result<Vec<_>>>()?;
        let m = median(times).as_secs_f64();
        match goal {
            Some(g) => {
                println!("compile time, {target}, default profile: {m:.3} s (goal ≤ {g:.1} s: {})", verdict(m <= g))
            }
            None => println!("compile time, {target}, default profile: {m:.3} s"),
        }
        let rel = dir.path().join(format!("r-{target}"));
        let rel = rel.to_str().expect("utf-8 path");
        let t = compile(file, target, rel, true)?.as_secs_f64();
        let kb = std::fs::metadata(rel)?.len() as f64 / 1024.0;
        let goal_kb = if target == "native" { 1536.0 } else { 120.0 };
        println!("artifact size, {target}, --release: {kb:.1} KB (goal ≤ {goal_kb} KB: {})", verdict(kb <= goal_kb));
        match target {
            "native" => println!("compile time, {target}, --release: {t:.3} s (goal ≤ 5 s: {})", verdict(t <= 5.0)),
            _ => println!("compile time, {target}, --release: {t:.3} s"),
        }
        let dbg = std::fs::metadata(out)?.len() as f64 / 1024.0;
        println!("artifact size, {target}, default profile: {dbg:.1} KB");
    }
    first_result(file)?;
    run_overhead(file, dir.path())
}

/// `runtara run examples/01.json --target T` with an empty cache (compile, and for a
/// component its cranelift compile, then the run), whole processes, median of 3.
fn first_result(file: &str) -> Result<()> {
    for target in ["native", "wasm32-wasip2"] {
        let mut times = Vec::new();
        for _ in 0..3 {
            let cache = tempfile::tempdir()?;
            let start = Instant::now();
            let o = runtara_e2e::cli::runtara_command()
                .env("RUNTARA_CACHE_DIR", cache.path())
                .args(["run", file, "--target", target])
                .stdin(std::process::Stdio::null())
                .output()?;
            times.push(start.elapsed());
            if !o.status.success() {
                bail!("runtara run --target {target} failed: {}", String::from_utf8_lossy(&o.stderr));
            }
        }
        let m = median(times).as_secs_f64();
        println!(
            "time to first result, runtara run examples/01 --target {target}, empty cache: {m:.3} s (goal ≤ 0.3 s: {})",
            verdict(m <= 0.3)
        );
    }
    Ok(())
}

/// `runtara run` of examples/01's `--release` component against its native artifact, whole
/// processes, the component's compiled code cached by a first run (issue 18: goal ≤ 3×).
fn run_overhead(file: &str, dir: &std::path::Path) -> Result<()> {
    let input = dir.join("in.json");
    std::fs::write(&input, r#"{"amount": 5}"#)?;
    let mut medians = Vec::new();
    for target in ["wasm32-wasip2", "native"] {
        let out = dir.join(format!("overhead-{target}"));
        let out = out.to_str().expect("utf-8 path");
        compile(file, target, out, true)?;
        let run = || {
            let start = Instant::now();
            let o = runtara(&["run", out, "--input", input.to_str().expect("utf-8 path")]);
            (start.elapsed(), o.status.success())
        };
        if !run().1 {
            bail!("runtara run {out} failed");
        }
        medians.push(median((0..9).map(|_| run().0).collect()).as_secs_f64());
    }
    let ratio = medians[0] / medians[1];
    println!(
        "runtara run, one small run (compiled code cached): wasm32-wasip2 {:.1} ms vs native {:.1} ms = {ratio:.1}× (goal ≤ 3×: {})",
        medians[0] * 1000.0,
        medians[1] * 1000.0,
        verdict(ratio <= 3.0)
    );
    Ok(())
}

/// A linear workflow of `n` steps: `n - 1` Agent steps each reading the previous one, then
/// a Finish.
pub(crate) fn chain_workflow(n: usize) -> serde_json::Value {
    let mut steps = serde_json::Map::new();
    let mut plan = Vec::new();
    for i in 0..n - 1 {
        let prev = if i == 0 { "data.seed".to_string() } else { format!("steps.s{}.outputs.next", i - 1) };
        steps.insert(
            format!("s{i}"),
            serde_json::json!({
            "stepType": "Agent", "id": format!("s{i}"), "agentId": "utils", "capabilityId": "return-input",
            "inputMapping": { "value": { "valueType": "composite", "value": {
                "next": { "valueType": "reference", "value": prev },
                "index": { "valueType": "immediate", "value": i } } } } }),
        );
        let to = if i + 2 == n { "done".to_string() } else { format!("s{}", i + 1) };
        plan.push(serde_json::json!({ "fromStep": format!("s{i}"), "toStep": to }));
    }
    steps.insert(
        "done".into(),
        serde_json::json!({ "stepType": "Finish", "id": "done", "inputMapping": {
        "last": { "valueType": "reference", "value": format!("steps.s{}.outputs", n - 2) } } }),
    );
    serde_json::json!({ "name": format!("{n}-step chain"), "entryPoint": "s0",
        "inputSchema": { "seed": { "type": "number" } }, "steps": steps, "executionPlan": plan })
}

/// `runtara graph` of a generated 500-step workflow to SVG, the whole command (goal ≤ 1 s).
fn graph_picture() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("chain500.json");
    std::fs::write(&file, serde_json::to_vec(&chain_workflow(500))?)?;
    let out = dir.path().join("chain500.svg");
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let o = runtara(&["graph", file.to_str().expect("utf-8 path"), "-o", out.to_str().expect("utf-8 path")]);
        times.push(start.elapsed());
        if !o.status.success() {
            bail!("runtara graph failed: {}", String::from_utf8_lossy(&o.stderr));
        }
    }
    let t = median(times).as_secs_f64();
    println!("runtara graph, 500-step workflow to SVG: {t:.3} s (goal ≤ 1 s: {})", verdict(t <= 1.0));
    Ok(())
}

pub(crate) fn run_native(path: &std::path::Path, input: &[u8]) -> Result<(Duration, Vec<u8>)> {
    use std::io::Write;
    let start = Instant::now();
    let mut child = std::process::Command::new(path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output()?;
    let _ = writer.join();
    if !out.status.success() {
        bail!("{} failed", path.display());
    }
    Ok((start.elapsed(), out.stdout))
}

pub(crate) fn run_wasm(path: &std::path::Path, input: &[u8]) -> Result<(Duration, Vec<u8>)> {
    // Components run as `runtara run` runs them: compiled once, from the code cache after.
    let code_cache = Some(std::env::temp_dir().join("runtara-bench-code-cache"));
    let start = Instant::now();
    let req = runtara_runner::RunRequest { stdin: input.to_vec(), code_cache, ..Default::default() };
    let out = runtara_runner::run_artifact(path, &req)?;
    if out.exit_code != 0 {
        bail!("{} failed: {}", path.display(), String::from_utf8_lossy(&out.stderr));
    }
    Ok((start.elapsed(), out.stdout))
}

/// A Split over 100,000 items doing map-fields, against a hand-written Rust program doing
/// the same work (goals: ≤ 1.2× natively, ≤ 1.5× on wasmtime). Both are `--release`
/// builds against the same prebuilt stdlib; outputs must be byte-identical.
pub fn split_vs_handwritten() -> Result<()> {
    use runtara_compiler::{prebuilt, rustc, Target};
    let root = workspace_root();
    let dir = tempfile::tempdir()?;
    let items: Vec<serde_json::Value> = (0..100_000)
        .map(|i| serde_json::json!({"name": format!("item-{i}"), "value": i, "extra": [i, i + 1]}))
        .collect();
    let input = serde_json::to_vec(&serde_json::json!({ "items": items }))?;
    let wf = root.join("xtask/bench/split-map-fields.json");
    for (target, goal) in [("native", 1.2), ("wasm32-wasip2", 1.5)] {
        let t = Target::parse(target).map_err(anyhow::Error::msg)?;
        let ext = if t.is_wasm() { ".wasm" } else { "" };
        let workflow = dir.path().join(format!("split{ext}"));
        compile(wf.to_str().expect("utf-8"), target, workflow.to_str().expect("utf-8"), true)?;
        let baseline = dir.path().join(format!("baseline{ext}"));
        let pre = prebuilt::ensure(&t)?;
        rustc::compile(&root.join("xtask/bench/split_baseline.rs"), &baseline, "split_baseline", &t, &pre, true)?;
        let run = |p: &std::path::Path| if t.is_wasm() { run_wasm(p, &input) } else { run_native(p, &input) };
        // Warm-up: a component's first runs compile it (Winch, then cranelift).
        for _ in 0..2 {
            run(&workflow)?;
            run(&baseline)?;
        }
        let (mut tw, mut tb) = (Vec::new(), Vec::new());
        let (mut ow, mut ob) = (Vec::new(), Vec::new());
        for _ in 0..7 {
            let (d, o) = run(&workflow)?;
            tw.push(d);
            ow = o;
            let (d, o) = run(&baseline)?;
            tb.push(d);
            ob = o;
        }
        if ow != ob {
            bail!("{target}: workflow and baseline outputs differ");
        }
        let (w, b) = (median(tw).as_secs_f64(), median(tb).as_secs_f64());
        let ratio = w / b;
        println!("Split 100k map-fields, {target}: workflow {w:.3} s, hand-written {b:.3} s, ratio {ratio:.2}× (goal ≤ {goal}×: {})", verdict(ratio <= goal));
    }
    Ok(())
}

/// `.text + .rodata` bytes of an ELF.
pub(crate) fn flash_bytes(elf: &std::path::Path) -> Result<u64> {
    use object::{Object, ObjectSection};
    let data = std::fs::read(elf)?;
    let file = object::File::parse(&*data)?;
    Ok(file.sections().filter(|s| matches!(s.name(), Ok(".text") | Ok(".rodata"))).map(|s| s.size()).sum())
}

/// Flash and peak heap of firmware (thumbv7em-none-eabihf, `--release`) for examples/01
/// and a generated 20-step workflow (goal: ≤ 64 KB flash for examples/01).
pub fn firmware() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let chain = dir.path().join("chain20.json");
    std::fs::write(&chain, serde_json::to_vec_pretty(&chain_workflow(20))?)?;
    let example = workspace_root().join("tests/fixtures/conditional.json");
    for (name, file, input, goal) in [
        ("examples/01", example, r#"{"amount": 150}"#, Some(64.0)),
        ("20-step workflow", chain, r#"{"seed": 7}"#, None),
    ] {
        let elf = dir.path().join("fw.elf");
        compile(file.to_str().expect("utf-8"), "thumbv7em-none-eabihf", elf.to_str().expect("utf-8"), true)?;
        let kb = flash_bytes(&elf)? as f64 / 1024.0;
        let run = runtara_runner::run_artifact(
            &elf,
            &runtara_runner::RunRequest { stdin: input.as_bytes().to_vec(), ..Default::default() },
        )?;
        let outcome = runtara_runner::Outcome::from_run(&run);
        let peak = outcome
            .events
            .iter()
            .find(|e| e["event"] == "firmware_stats")
            .and_then(|e| e["heap_peak_bytes"].as_u64())
            .unwrap_or(0);
        let goal = match goal {
            Some(g) => format!(" (goal ≤ {g} KB: {})", verdict(kb <= g)),
            None => String::new(),
        };
        println!("firmware {name}, thumbv7em-none-eabihf --release: flash (.text+.rodata) {kb:.1} KB{goal}, peak heap {:.1} KB, status {}", peak as f64 / 1024.0, outcome.status.as_str());
    }
    Ok(())
}

/// The bench's core token.
const TOKEN: &str = "bench";

fn timed_run(artifact: &std::path::Path, core: &str, instance: &str) -> Result<Duration> {
    let start = Instant::now();
    let out = std::process::Command::new(artifact)
        .env("RUNTARA_HTTP_URL", core)
        .env("RUNTARA_TOKEN", TOKEN)
        .env("RUNTARA_INSTANCE_ID", instance)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    if !out.success() {
        bail!("{} failed", artifact.display());
    }
    Ok(start.elapsed())
}

/// Checkpoint round trip to a local core (goal p50 ≤ 0.3 ms, SQLite), checkpoint cost of a
/// 1,000-step vs a 100-step workflow (goal ratio ≤ 12×), resume of a finished 100-step
/// instance (goal ≤ 50 ms).
pub fn durability() -> Result<()> {
    use runtara_sdk::SdkBackend;
    if !crate::bench_serve::released() {
        return crate::bench_serve::rerun_released("durability");
    }
    let dir = tempfile::tempdir()?;
    let core =
        runtara_e2e::core::CoreServer::start(&format!("sqlite:{}", dir.path().join("core.sqlite3").display()), TOKEN);
    let mut backend = runtara_sdk::http::HttpBackend::new(runtara_sdk::http::HttpConfig {
        url: core.url.clone(),
        instance: "bench".into(),
        tenant: "bench".into(),
        token: Some(TOKEN.into()),
        epoch: None,
    });
    let state = serde_json::json!({"outputs": {"value": 42, "text": "checkpoint"}});
    let mut times: Vec<Duration> = (0..300)
        .map(|i| {
            let t = Instant::now();
            backend.checkpoint(&format!("wf::step{i}"), &state).map(|_| t.elapsed())
        })
        .collect::<Result<_, _>>()
        .map_err(|e| anyhow::anyhow!(e.0))?;
    times.sort();
    let p50 = times[times.len() / 2].as_secs_f64() * 1000.0;
    println!(
        "checkpoint round trip to a local core (SQLite): p50 {p50:.2} ms (goal ≤ 0.3 ms: {})",
        verdict(p50 <= 0.3)
    );

    let mut totals = Vec::new();
    for n in [100usize, 1000] {
        let file = dir.path().join(format!("chain{n}.json"));
        std::fs::write(&file, serde_json::to_vec(&chain_workflow(n))?)?;
        let artifact = dir.path().join(format!("chain{n}"));
        compile(file.to_str().expect("utf-8"), "native", artifact.to_str().expect("utf-8"), true)?;
        let with_core = timed_run(&artifact, &core.url, &format!("fresh-{n}"))?;
        totals.push((n, with_core, artifact));
    }
    let ratio = totals[1].1.as_secs_f64() / totals[0].1.as_secs_f64();
    println!(
        "checkpointed run: 100 steps {:.1} ms, 1000 steps {:.1} ms, ratio {ratio:.1}× (goal ≤ 12×: {})",
        totals[0].1.as_secs_f64() * 1000.0,
        totals[1].1.as_secs_f64() * 1000.0,
        verdict(ratio <= 12.0)
    );
    let resume = (0..5).map(|_| timed_run(&totals[0].2, &core.url, "fresh-100")).collect::<Result<Vec<_>>>()?;
    let m = median(resume).as_secs_f64() * 1000.0;
    println!(
        "resume of a finished 100-step instance (all steps restored): {m:.1} ms (goal ≤ 50 ms: {})",
        verdict(m <= 50.0)
    );
    Ok(())
}
