//! Cloudflare Worker directories (`runtara compile --target cloudflare`) under workerd,
//! Cloudflare's open-source Workers runtime, installed from the npm registry (`workerd`) into
//! the tool cache on first use. [`run`] starts it for one stateless request (the artifact
//! contract: input on stdin, output on stdout, events and the error on stderr);
//! [`serve_worker`] keeps it serving (`runtara run DIR --listen ADDR`) with the Durable
//! Objects' storage (SQLite files and alarms) on disk, so instances survive a restart.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::{RunOutput, RunRequest};

/// The workerd release installed from npm (its compatibility dates reach 2026-11-17; the
/// Worker is written against 2025-01-01).
pub const WORKERD_VERSION: &str = "1.20261117.1";

/// Whether `path` is a Worker directory: `worker.js` and `wrangler.toml` beside the module.
pub fn is_worker_dir(path: &Path) -> bool {
    path.join("worker.js").is_file() && path.join("wrangler.toml").is_file()
}

/// The workerd binary: `RUNTARA_WORKERD`, else `<tools>/workerd-<version>`, installed there
/// with `npm install` (`RUNTARA_NPM`, default `npm`) on first use, with a progress line.
///
/// Errors: npm is missing or the install fails (the message says what to do).
pub fn workerd_binary(tools: &Path) -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("RUNTARA_WORKERD") {
        return Ok(PathBuf::from(path));
    }
    let prefix = tools.join(format!("workerd-{WORKERD_VERSION}"));
    let binary = prefix.join("node_modules/.bin/workerd");
    if binary.is_file() {
        return Ok(binary);
    }
    // Parallel first uses wait for one install instead of racing in one prefix.
    std::fs::create_dir_all(tools).with_context(|| format!("cannot create {}", tools.display()))?;
    let lock = std::fs::File::create(tools.join(format!("workerd-{WORKERD_VERSION}.lock")))?;
    lock.lock()?;
    if binary.is_file() {
        return Ok(binary);
    }
    eprintln!(
        "runtara: installing workerd {WORKERD_VERSION} from the npm registry into {} (first use)",
        prefix.display()
    );
    std::fs::create_dir_all(&prefix).with_context(|| format!("cannot create {}", prefix.display()))?;
    let npm = std::env::var("RUNTARA_NPM").unwrap_or_else(|_| "npm".into());
    let status = Command::new(&npm)
        .args(["install", "--no-audit", "--no-fund", "--no-save", "--prefix"])
        .arg(&prefix)
        .arg(format!("workerd@{WORKERD_VERSION}"))
        .stdout(Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() && binary.is_file() => Ok(binary),
        Ok(s) => bail!("`{npm} install workerd@{WORKERD_VERSION}` failed ({s}); install it yourself and set RUNTARA_WORKERD to its bin/workerd"),
        Err(e) => bail!("cannot run {npm} ({e}): Worker directories run under workerd from the npm registry; install Node.js (npm), or set RUNTARA_WORKERD"),
    }
}

/// A running workerd serving one Worker directory; killed on drop.
pub struct Workerd {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
    log: PathBuf,
}

impl Workerd {
    /// Starts workerd for the Worker in `dir` on `addr` (`host:port`), with the Durable
    /// Objects' storage in `state` (created if absent) and `env` as text bindings (only
    /// `RUNTARA_CONNECTIONS` and `RUNTARA_HTTP_PROXY_URL` are read by the Worker). Waits
    /// until it accepts connections.
    ///
    /// Errors: `dir` is not a Worker directory, workerd cannot be installed or started, or
    /// it exits before listening (its log is quoted).
    pub fn start(dir: &Path, addr: &str, state: &Path, env: &[(String, String)], tools: &Path) -> anyhow::Result<Self> {
        let (mut cmd, addr) = command(dir, addr, state, env, tools)?;
        let log = state.join("workerd.log");
        let binary = cmd.get_program().to_os_string();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log)?)
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.to_string_lossy()))?;
        let mut workerd = Workerd { child, addr, log };
        workerd.wait_listening()?;
        Ok(workerd)
    }

    fn wait_listening(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if TcpStream::connect_timeout(&self.addr, Duration::from_millis(100)).is_ok() {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("workerd exited ({status}) before listening on {}:\n{}", self.addr, self.log_text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        bail!("workerd did not listen on {} within 30 s:\n{}", self.addr, self.log_text())
    }

    /// What workerd printed so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Workerd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The workerd command serving the Worker in `dir` on `addr` (see [`Workerd::start`]), with
/// its configuration and the Durable Objects' storage written into `state`.
fn command(
    dir: &Path,
    addr: &str,
    state: &Path,
    env: &[(String, String)],
    tools: &Path,
) -> anyhow::Result<(Command, SocketAddr)> {
    let binary = workerd_binary(tools)?;
    let dir = std::fs::canonicalize(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    let storage = state.join("durable-objects");
    std::fs::create_dir_all(&storage).with_context(|| format!("cannot create {}", storage.display()))?;
    let addr: SocketAddr = addr.parse().with_context(|| format!("workerd listens on host:port, not {addr}"))?;
    // capnp embeds only paths relative to the config file: the Worker is linked beside it.
    let link = state.join("worker");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&dir, &link).with_context(|| format!("cannot link {}", link.display()))?;
    let config = state.join("workerd.capnp");
    std::fs::write(&config, config_text(&storage, addr, env, &dir)?)?;
    let mut cmd = Command::new(binary);
    cmd.arg("serve").arg(config);
    Ok((cmd, addr))
}

/// The workerd configuration (Cap'n Proto text) for the Worker in `dir`: every module file
/// of the directory, one Durable Object namespace with SQLite storage in `storage`, outbound
/// fetches to any address (a local tool: the workflow's own requests), `env` as text bindings.
fn config_text(storage: &Path, addr: SocketAddr, env: &[(String, String)], dir: &Path) -> anyhow::Result<String> {
    let mut modules = vec![module("worker.js")];
    let mut files = Vec::new();
    list_modules(dir, "", &mut files)?;
    for f in files.iter().filter(|f| f.as_str() != "worker.js") {
        modules.push(module(f));
    }
    // The binding and class names `runtara compile --target cloudflare` writes.
    let bindings: Vec<String> =
        std::iter::once("(name = \"INSTANCES\", durableObjectNamespace = \"WorkflowInstance\")".to_string())
            .chain(env.iter().map(|(k, v)| format!("(name = {}, text = {})", capnp_str(k), capnp_str(v))))
            .collect();
    Ok(format!(
        r#"using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "storage", disk = (path = {storage}, writable = true)),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = {addr}, http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    {modules}
  ],
  compatibilityDate = "2025-01-01",
  durableObjectNamespaces = [(className = "WorkflowInstance", uniqueKey = "runtara-workflow-instance", enableSql = true)],
  durableObjectStorage = (localDisk = "storage"),
  bindings = [{bindings}],
);
"#,
        storage = capnp_str(&storage.display().to_string()),
        addr = capnp_str(&addr.to_string()),
        modules = modules.join(",\n    "),
        bindings = bindings.join(", "),
    ))
}

/// One `modules` entry: `.wasm` files as compiled modules, `.js` as ES modules, embedded
/// through the `worker` link beside the config.
fn module(rel: &str) -> String {
    let kind = if rel.ends_with(".wasm") { "wasm" } else { "esModule" };
    format!("(name = {}, {kind} = embed {})", capnp_str(rel), capnp_str(&format!("worker/{rel}")))
}

/// The `.js` and `.wasm` files under `dir`, as `/`-separated relative paths, sorted.
fn list_modules(dir: &Path, rel: &str, out: &mut Vec<String>) -> anyhow::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir.join(rel))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        if e.file_type()?.is_dir() {
            list_modules(dir, &path, out)?;
        } else if (name.ends_with(".js") || name.ends_with(".wasm")) && !name.ends_with(".d.ts") {
            out.push(path);
        }
    }
    Ok(())
}

/// A Cap'n Proto text literal.
fn capnp_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Serves the Worker in `dir` on `addr`, Durable Object storage in `state`: this process
/// becomes workerd (exec), so stopping it stops the server. `ready` is called just before.
///
/// Errors: as [`Workerd::start`]; `exec` fails.
pub fn serve_worker(
    dir: &Path,
    addr: &str,
    state: &Path,
    env: &[(String, String)],
    tools: &Path,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Error {
    use std::os::unix::process::CommandExt;
    match command(dir, addr, state, env, tools) {
        Ok((mut cmd, addr)) => {
            ready(addr);
            anyhow::Error::from(cmd.exec()).context("cannot start workerd")
        }
        Err(e) => e,
    }
}

/// One stateless run of the Worker in `dir` (`POST /`), under the artifact contract.
///
/// Errors: workerd cannot be started or does not answer.
pub fn run(dir: &Path, req: &RunRequest) -> anyhow::Result<RunOutput> {
    let scratch = tempfile::tempdir()?;
    let tools = req.tool_cache.clone().unwrap_or_else(|| scratch.path().join("tools"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let workerd = Workerd::start(dir, &format!("127.0.0.1:{port}"), scratch.path(), &req.env, &tools)?;
    let config = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(req.limits.wall_time).build();
    let agent = ureq::Agent::new_with_config(config);
    let mut response = agent
        .post(format!("http://{}/", workerd.addr))
        .header("x-runtara-events", "1")
        .send(&req.stdin[..])
        .with_context(|| format!("the Worker did not answer:\n{}", workerd.log_text()))?;
    let status = response.status().as_u16();
    let mut body = String::new();
    response.body_mut().as_reader().read_to_string(&mut body)?;
    // Events as JSON lines, then the output (200) or the structured error.
    let (events, result) = body.rsplit_once('\n').unwrap_or(("", &body));
    let mut stderr = events.as_bytes().to_vec();
    if !events.is_empty() {
        stderr.push(b'\n');
    }
    let mut stdout = Vec::new();
    let exit_code = match status {
        200 => {
            stdout = format!("{result}\n").into_bytes();
            0
        }
        _ => {
            stderr.extend_from_slice(format!("{result}\n").as_bytes());
            if status == 400 {
                2
            } else {
                1
            }
        }
    };
    Ok(RunOutput { exit_code, stdout, stderr, memory_peak_bytes: None, code_cache_hit: None, code_tier: None })
}

#[cfg(test)]
mod tests {
    #[test]
    fn capnp_strings_escape_quotes_backslashes_and_controls() {
        assert_eq!(super::capnp_str("a\"b\\c\nd"), "\"a\\\"b\\\\c\\x0ad\"");
    }
}
