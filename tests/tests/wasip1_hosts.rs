//! wasm32-wasip1 modules run on more than wasmtime (issue 16): under Node's `node:wasi`
//! (Node 20, preview1) the module reads its input on stdin and prints the same output as
//! the native artifact.

use std::process::Command;

use runtara_e2e::cli::{compile, runtara_stdin, workspace_root};
use runtara_e2e::tools::{can_run, have_program};

/// Runs a WASI preview1 module under `node:wasi`: stdin, stdout and stderr are the
/// process's; the exit code is the module's.
const NODE_WASI: &str = r#"
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
const wasi = new WASI({ version: 'preview1', args: ['workflow'], env: {}, stdin: 0, stdout: 1, stderr: 2, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(process.argv[2]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
"#;

#[test]
fn a_wasip1_module_runs_under_node_wasi_like_the_native_artifact() {
    if !can_run("wasm32-wasip1") || !have_program("node", "install Node 20 (Debian's nodejs)") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = workspace_root().join("tests/fixtures/conditional.json");
    let module = dir.path().join("tier.wasm");
    compile(&src, "wasm32-wasip1", &module, &[]);
    let script = dir.path().join("run.mjs");
    std::fs::write(&script, NODE_WASI).unwrap();
    for input in [r#"{"amount": 250}"#, r#"{"amount": 3}"#] {
        let file = dir.path().join("in.json");
        std::fs::write(&file, input).unwrap();
        let o = Command::new("node")
            .arg("--no-warnings")
            .arg(&script)
            .arg(&module)
            .stdin(std::fs::File::open(&file).unwrap())
            .output()
            .unwrap();
        assert!(o.status.success(), "node: {}", String::from_utf8_lossy(&o.stderr));
        let native = runtara_stdin(&["run", src.to_str().unwrap(), "--target", "native"], input.as_bytes());
        assert!(native.status.success(), "{}", String::from_utf8_lossy(&native.stderr));
        assert_eq!(String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&native.stdout), "{input}");
    }
}
