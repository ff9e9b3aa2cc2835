//! `runtara core serve` as a child process on a loopback port, for tests that need the
//! state service: started, killed and restarted on the same port and database; and the
//! databases to run it on — SQLite always, PostgreSQL when `RUNTARA_TEST_POSTGRES_URL` names
//! a server (required in CI; `scripts/start-postgres.sh` starts one).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::cli::{free_loopback_addr, runtara_bin, wait_until_listening};

/// A running core; dropping it kills it.
pub struct CoreServer {
    child: Option<Child>,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    listen: String,
    db: String,
    token: String,
}

/// The environment variable with an admin URL of a PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "RUNTARA_TEST_POSTGRES_URL";

/// `--db` specs to run a state-service test against: a fresh SQLite file in `dir`, and a
/// fresh PostgreSQL database when [`POSTGRES_ENV`] is set. Panics in CI (`CI=true`) when it
/// is not, so the PostgreSQL half never goes silently missing.
pub fn databases(dir: &Path) -> Vec<String> {
    let mut dbs = vec![format!("sqlite:{}", dir.join("core.sqlite3").display())];
    match std::env::var(POSTGRES_ENV) {
        Ok(admin) => dbs.push(fresh_postgres_database(&admin)),
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("{POSTGRES_ENV} is not set; CI runs the state-service tests on PostgreSQL too (scripts/start-postgres.sh)")
        }
        Err(_) => {}
    }
    dbs
}

/// Creates an empty database on the server of `admin` and returns its URL.
fn fresh_postgres_database(admin: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!("runtara_test_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    let mut client =
        postgres::Client::connect(admin, postgres::NoTls).unwrap_or_else(|e| panic!("cannot connect to {admin}: {e}"));
    // One statement per call: CREATE DATABASE cannot run inside a (implicit) transaction.
    for sql in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
        client.batch_execute(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{name}")
}

impl CoreServer {
    /// Starts a core on a free port with database `db` (a `--db` spec, see [`databases`])
    /// and bearer `token`, and waits until it accepts connections.
    pub fn start(db: &str, token: &str) -> CoreServer {
        let listen = free_loopback_addr();
        let mut core =
            CoreServer { child: None, url: format!("http://{listen}"), listen, db: db.into(), token: token.into() };
        core.launch();
        core
    }

    fn launch(&mut self) {
        let child = Command::new(runtara_bin())
            .args(["core", "serve", "--listen", &self.listen, "--db", &self.db])
            .env("RUNTARA_CORE_TOKEN", &self.token)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("runtara core starts");
        self.child = Some(child);
        wait_until_listening(&self.listen, "runtara core");
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
