//! Locating and invoking the `runtara` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The workspace root (where `Cargo.toml` of the workspace lives).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("workspace root exists")
}

/// Every `.json` file directly in `dir` (relative to the workspace root), sorted by name,
/// parsed. Panics naming the file that is not JSON.
pub fn json_files(dir: &str) -> Vec<(PathBuf, serde_json::Value)> {
    let dir = workspace_root().join(dir);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("the file is readable");
            let doc = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, doc)
        })
        .collect()
}

/// The `runtara` binary: `RUNTARA_BIN`, else `cargo build`-ed (a no-op when fresh) into the
/// current target dir, so tests never run a stale compiler.
pub fn runtara_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("RUNTARA_BIN") {
            return PathBuf::from(p);
        }
        let target_dir =
            std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| workspace_root().join("target"));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(workspace_root())
            .args(["build", "--quiet", "-p", "runtara-cli", "--bin", "runtara"])
            .env("CARGO_TARGET_DIR", &target_dir)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the runtara binary failed");
        target_dir.join("debug/runtara")
    })
}

/// A `runtara` command that uses this checkout's stdlib sources, whatever checkout the
/// binary was built from (target dirs are shared between clones in CI).
pub fn runtara_command() -> Command {
    let mut c = Command::new(runtara_bin());
    c.env("RUNTARA_SOURCE_DIR", workspace_root());
    c
}

/// Runs `runtara <args>` and returns its output.
pub fn runtara(args: &[&str]) -> Output {
    runtara_command().args(args).output().expect("runtara starts")
}

/// `runtara compile --target TARGET SRC -o OUT EXTRA…`; panics with the compiler's stderr
/// when it fails.
pub fn compile(src: &Path, target: &str, out: &Path, extra: &[&str]) {
    let (src_s, out_s) = (src.to_str().expect("utf-8 path"), out.to_str().expect("utf-8 path"));
    let mut args = vec!["compile", "--target", target, src_s, "-o", out_s];
    args.extend_from_slice(extra);
    let o = runtara(&args);
    assert!(o.status.success(), "compile {} for {target}: {}", src.display(), String::from_utf8_lossy(&o.stderr));
}

/// The `guest_stats` event `runtara run --stats` writes on stderr (`{event, memory_peak_bytes,
/// compiled_code, code_tier}`), if there is one.
pub fn guest_stats(stderr: &str) -> Option<serde_json::Value> {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["event"] == "guest_stats")
}

/// Runs `runtara <args>` with `stdin` bytes.
pub fn runtara_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = runtara_command();
    cmd.args(args);
    spawn_with_input(cmd, stdin).wait_with_output().expect("runtara finishes")
}

/// Spawns `cmd` with piped stdin/stdout/stderr, writes `stdin` and closes it.
pub fn spawn_with_input(mut cmd: Command, stdin: &[u8]) -> std::process::Child {
    use std::io::Write;
    use std::process::Stdio;
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the process starts");
    child.stdin.take().expect("stdin is piped").write_all(stdin).expect("stdin takes the input");
    child
}

/// A free `127.0.0.1:<port>` to start a server on.
pub fn free_loopback_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback").local_addr().expect("bound").port();
    format!("127.0.0.1:{port}")
}

/// Waits (up to 20 s) until something accepts connections on `addr`; panics naming `what`.
pub fn wait_until_listening(addr: &str, what: &str) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{what} did not start on {addr}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
