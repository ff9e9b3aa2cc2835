//! `cargo xtask bench --only browser`: the browser module's size, what wasm-opt gains, and
//! the Split benchmark under Node (issue 18).

use anyhow::{bail, Result};
use runtara_e2e::cli::workspace_root;

use crate::bench::{compile, median, run_native, run_wasm, verdict};

/// wasm32-unknown-unknown: the `.wasm` size of examples/01 with `--release` (goal ≤ 120 KB
/// before gzip) and the Split benchmark in Node against the hand-written program natively
/// (goal ≤ 2.5×; the workflow's own native time is printed beside it).
pub fn browser() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let example = workspace_root().join("tests/fixtures/conditional.json");
    let pkg = dir.path().join("example");
    compile(example.to_str().expect("utf-8"), "wasm32-unknown-unknown", pkg.to_str().expect("utf-8"), true)?;
    let kb = std::fs::metadata(pkg.join("conditional.wasm"))?.len() as f64 / 1024.0;
    println!("browser module, examples/01 --release: .wasm {kb:.1} KB (goal ≤ 120 KB: {})", verdict(kb <= 120.0));
    wasm_opt_gain(&example, dir.path())?;

    let wf = workspace_root().join("xtask/bench/split-map-fields.json");
    let items: Vec<serde_json::Value> = (0..100_000)
        .map(|i| serde_json::json!({"name": format!("item-{i}"), "value": i, "extra": [i, i + 1]}))
        .collect();
    let input = serde_json::to_vec(&serde_json::json!({ "items": items }))?;
    let web = dir.path().join("split-web");
    compile(wf.to_str().expect("utf-8"), "wasm32-unknown-unknown", web.to_str().expect("utf-8"), true)?;
    let native = dir.path().join("split-native");
    compile(wf.to_str().expect("utf-8"), "native", native.to_str().expect("utf-8"), true)?;
    // The goal is against the hand-written program (issue 18), natively.
    let baseline = dir.path().join("split-baseline");
    let host = runtara_compiler::Target::parse("native").map_err(anyhow::Error::msg)?;
    let pre = runtara_compiler::prebuilt::ensure(&host)?;
    let source = workspace_root().join("xtask/bench/split_baseline.rs");
    runtara_compiler::rustc::compile(&source, &baseline, "split_baseline", &host, &pre, true)?;
    let runs: [(&std::path::Path, bool); 3] = [(&web, true), (&native, false), (&baseline, false)];
    let run =
        |(path, wasm): (&std::path::Path, bool)| if wasm { run_wasm(path, &input) } else { run_native(path, &input) };
    // Warm-up (the page cache, Node's compile cache), then interleaved runs.
    let mut outputs = Vec::new();
    for r in runs {
        outputs.push(run(r)?.1);
    }
    if outputs.iter().any(|o| *o != outputs[0]) {
        bail!("Split benchmark: Node, native and hand-written outputs differ");
    }
    let mut times = [Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..5 {
        for (t, r) in times.iter_mut().zip(runs) {
            t.push(run(r)?.0);
        }
    }
    let [w, n, b] = times.map(|t| median(t).as_secs_f64());
    let ratio = w / b;
    println!(
        "Split 100k map-fields, Node (wasm32-unknown-unknown) {w:.3} s vs hand-written (native) {b:.3} s: {ratio:.2}× (goal ≤ 2.5×: {}); the workflow natively {n:.3} s",
        verdict(ratio <= 2.5)
    );
    Ok(())
}

/// What Binaryen's `wasm-opt -Oz` post-pass gains on examples/01's wasm32-wasip1 module and
/// wasm32-wasip2 component,
/// compiled with and without it (`RUNTARA_WASM_OPT=off`); says so when wasm-opt is not
/// installed.
fn wasm_opt_gain(example: &std::path::Path, dir: &std::path::Path) -> Result<()> {
    let installed = std::process::Command::new("wasm-opt").arg("--version").output().is_ok_and(|o| o.status.success());
    if !installed {
        println!("wasm-opt -Oz post-pass: not measured (install Binaryen: apt-get install binaryen)");
        return Ok(());
    }
    for target in ["wasm32-wasip1", "wasm32-wasip2"] {
        let mut sizes = Vec::new();
        for setting in ["off", "wasm-opt"] {
            let out = dir.join(format!("gain-{target}-{setting}"));
            let o = runtara_e2e::cli::runtara_command()
                .env(runtara_compiler::wasm_opt::WASM_OPT_ENV, setting)
                .args(["compile", "--release", "--target", target])
                .arg(example)
                .arg("-o")
                .arg(&out)
                .output()?;
            if !o.status.success() {
                bail!("compile failed: {}", String::from_utf8_lossy(&o.stderr));
            }
            sizes.push(std::fs::metadata(out)?.len() as f64 / 1024.0);
        }
        let (without, with) = (sizes[0], sizes[1]);
        println!(
            "wasm-opt -Oz post-pass, examples/01 {target}: {without:.1} KB -> {with:.1} KB ({:+.1} %)",
            (with / without - 1.0) * 100.0
        );
    }
    Ok(())
}
