//! `runtara serve` as a child process on a loopback port: started, killed with SIGKILL,
//! restarted on the same port, database and data directory, stopped with SIGTERM; and a
//! small JSON client for its API.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use runtara_sdk::net::{self, Request};
use serde_json::Value;

use crate::cli::{free_loopback_addr, runtara_bin, wait_until_listening};

/// A running server; dropping it kills it. Its stderr goes to `<data dir>/serve.log`.
pub struct ServeServer {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    listen: String,
    db: String,
    data_dir: PathBuf,
    extra: Vec<String>,
}

impl ServeServer {
    /// Starts `runtara serve` with database `db` (a `--db` spec), data in `data_dir` and
    /// `extra` flags, and waits until it accepts connections. The prebuilt stdlib is the
    /// test run's (`RUNTARA_PREBUILT_DIR` is inherited).
    pub fn start(db: &str, data_dir: &Path, extra: &[&str]) -> ServeServer {
        let listen = free_loopback_addr();
        let mut s = ServeServer {
            child: None,
            url: format!("http://{listen}"),
            listen,
            db: db.into(),
            data_dir: data_dir.into(),
            extra: extra.iter().map(|s| s.to_string()).collect(),
        };
        s.launch();
        s
    }

    fn launch(&mut self) {
        std::fs::create_dir_all(&self.data_dir).expect("data dir");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.data_dir.join("serve.log"))
            .expect("serve.log opens");
        let child = Command::new(runtara_bin())
            .args(["serve", "--listen", &self.listen, "--db", &self.db, "--data-dir"])
            .arg(&self.data_dir)
            .args(&self.extra)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("runtara serve starts");
        self.child = Some(child);
        wait_until_listening(&self.listen, "runtara serve");
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// The server's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("serve.log")).unwrap_or_default()
    }

    /// Kills the server (SIGKILL: no drain) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends SIGTERM and waits (up to `limit`) for the drain to end the process; returns
    /// whether it exited in time.
    pub fn terminate(&mut self, limit: Duration) -> bool {
        let Some(mut c) = self.child.take() else { return true };
        let _ = Command::new("kill").args(["-TERM", &c.id().to_string()]).status();
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(_)) = c.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
        false
    }

    /// Starts the server again on the same port, database and data directory.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }

    /// `METHOD /api/v1/<path>` with an optional JSON body: `(status, JSON answer)`.
    pub fn api(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let mut req = Request::new(method, &format!("{}/api/v1/{path}", self.url));
        if let Some(b) = body {
            req = req.json(b);
        }
        self.send(req)
    }

    /// `POST /api/v1/<path>` with raw bytes.
    pub fn post_raw(&self, path: &str, body: Vec<u8>, content_type: &str) -> (u16, Value) {
        let mut req = Request::new("POST", &format!("{}/api/v1/{path}", self.url)).header("content-type", content_type);
        req.body = body;
        self.send(req)
    }

    /// `POST /api/v1/<path>` announcing a `len`-byte body and waiting for the answer before
    /// sending it (a server that refuses by the announced length answers at once; sending
    /// data it will not read would make it reset the connection): `(status, JSON answer)`.
    pub fn post_oversized(&self, path: &str, len: usize) -> (u16, Value) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&self.listen).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let head = format!(
            "POST /api/v1/{path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n",
            self.listen
        );
        s.write_all(head.as_bytes()).unwrap();
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer);
        let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, serde_json::from_str(body.trim()).unwrap_or(Value::Null))
    }

    fn send(&self, req: Request) -> (u16, Value) {
        let resp = net::send(&req).unwrap_or_else(|e| panic!("{} {}: {e}\n{}", req.method, req.url, self.log()));
        (resp.status, serde_json::from_slice(&resp.body).unwrap_or(Value::Null))
    }

    /// The status of an instance (`""` when unknown).
    pub fn status(&self, id: &str) -> String {
        self.api("GET", &format!("instances/{id}/status"), None).1["status"].as_str().unwrap_or_default().to_string()
    }

    /// Waits (up to `limit`) until `done(status)` holds for every id; panics with the
    /// statuses and the server log otherwise.
    pub fn wait_for(&self, ids: &[String], limit: Duration, done: impl Fn(&str) -> bool) {
        let started = Instant::now();
        loop {
            let statuses: Vec<String> = ids.iter().map(|id| self.status(id)).collect();
            if statuses.iter().all(|s| done(s)) {
                return;
            }
            if started.elapsed() > limit {
                panic!("instances did not get there in {limit:?}: {statuses:?}\n--- server log ---\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for ServeServer {
    fn drop(&mut self) {
        self.kill();
    }
}
