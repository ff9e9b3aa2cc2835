//! `runtara core serve` as a child process on a loopback port, for tests that need the
//! state service: started, killed and restarted on the same port and database.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cli::runtara_bin;

/// A running core; dropping it kills it.
pub struct CoreServer {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    listen: String,
    db: PathBuf,
    token: String,
}

impl CoreServer {
    /// Starts a core on a free port with the SQLite database `db` and bearer `token`, and
    /// waits until it accepts connections.
    pub fn start(db: &Path, token: &str) -> CoreServer {
        let port = TcpListener::bind("127.0.0.1:0").expect("bind loopback").local_addr().expect("bound").port();
        let listen = format!("127.0.0.1:{port}");
        let mut core = CoreServer { child: None, url: format!("http://{listen}"), listen, db: db.to_path_buf(), token: token.into() };
        core.launch();
        core
    }

    fn launch(&mut self) {
        let child = Command::new(runtara_bin())
            .args(["core", "serve", "--listen", &self.listen, "--db", &format!("sqlite:{}", self.db.display()), "--token", &self.token])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runtara core starts");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(&self.listen).is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "the core did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the core (SIGKILL) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the core again on the same port and database.
    pub fn restart(&mut self) {
        self.kill();
        self.launch();
    }
}

impl Drop for CoreServer {
    fn drop(&mut self) {
        self.kill();
    }
}
