//! wasm32-unknown-unknown modules (the browser target's ES module + wasm) in Node, under
//! the same contract as the other artifacts: input on stdin, output JSON on stdout, events
//! and the structured error as JSON lines on stderr, exit 0 / 1 / 2. Checkpoints live in
//! the module's memory store for the one run; `RUNTARA_CONNECTIONS` becomes the
//! `connections` option, `RUNTARA_HTTP_PROXY_URL` the `httpProxy` option.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{RunOutput, RunRequest};

/// The Node script that loads the module and runs it (`run_json`, exact JSON text).
const RUNNER: &str = r#"
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
const [dir, name] = process.argv.slice(2);
const mod = await import(pathToFileURL(`${dir}/${name}.js`).href);
await mod.default({ module_or_path: fs.readFileSync(`${dir}/${name}.wasm`) });
const input = fs.readFileSync(0, 'utf8');
const options = {
  instanceId: process.env.RUNTARA_INSTANCE_ID || undefined,
  store: 'memory',
  onEvent: (e) => process.stderr.write(JSON.stringify(e) + '\n'),
  connections: process.env.RUNTARA_CONNECTIONS ? JSON.parse(process.env.RUNTARA_CONNECTIONS) : undefined,
  httpProxy: process.env.RUNTARA_HTTP_PROXY_URL || undefined,
};
try {
  process.stdout.write((await mod.run_json(input, options)) + '\n');
} catch (e) {
  const payload = e && e.payload ? e.payload : { code: 'JS_ERROR', message: String(e && e.stack || e) };
  process.stderr.write(JSON.stringify(payload) + '\n');
  process.exitCode = payload.code === 'BAD_INPUT' ? 2 : 1;
}
"#;

/// The package directory and module name of a browser artifact: a directory holding
/// exactly one `<name>.js` + `<name>.wasm` pair, or a `<name>.wasm` with its `<name>.js`
/// beside it.
pub fn browser_module(path: &Path) -> Option<(PathBuf, String)> {
    if path.is_dir() {
        let names: Vec<String> = std::fs::read_dir(path)
            .ok()?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|f| f.strip_suffix(".js").map(str::to_string))
            .filter(|n| path.join(format!("{n}.wasm")).is_file())
            .collect();
        return match names.as_slice() {
            [one] => Some((path.to_path_buf(), one.clone())),
            _ => None,
        };
    }
    let name = path.file_stem()?.to_str()?.to_string();
    let dir = path.parent()?.to_path_buf();
    (path.extension()? == "wasm" && dir.join(format!("{name}.js")).is_file()).then_some((dir, name))
}

/// Runs the module `name` in `dir` with Node (`RUNTARA_NODE`, default `node`).
///
/// Errors: Node is missing (the message says how to install it) or cannot start.
pub fn run(dir: &Path, name: &str, req: &RunRequest) -> anyhow::Result<RunOutput> {
    let node = std::env::var("RUNTARA_NODE").unwrap_or_else(|_| "node".into());
    let scratch = tempfile::tempdir()?;
    let script = scratch.path().join("run.mjs");
    std::fs::write(&script, RUNNER)?;
    let dir = std::fs::canonicalize(dir)?;
    let mut cmd = Command::new(&node);
    cmd.arg(&script).arg(&dir).arg(name);
    let child = crate::process::contract_command(cmd, req).spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            anyhow::bail!("{node} is not installed; wasm32-unknown-unknown modules run in Node 18+ (or a browser): install Node.js, or set RUNTARA_NODE")
        }
        Err(e) => return Err(e.into()),
    };
    crate::process::wait_limited(child, req)
}
