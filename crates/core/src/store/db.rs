//! The one database connection behind [`super::Store`]: SQLite behind a mutex, or
//! PostgreSQL's blocking client on a thread of its own; statements with text parameters in,
//! text cells out.

use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;

use anyhow::Context;

use super::{Param, Rows, R};

/// A job for the PostgreSQL thread.
type PgJob = Box<dyn FnOnce(&mut postgres::Client) + Send>;

/// One database connection.
pub(super) enum Db {
    Sqlite(Mutex<rusqlite::Connection>),
    /// The blocking `postgres` client runs its own runtime, so it lives on a thread of its
    /// own and statements are sent to it (never inside the server's tokio runtime).
    Postgres(Mutex<mpsc::Sender<PgJob>>),
}

impl Db {
    /// Runs `sql`; returns the rows (empty for statements without results) and the number of
    /// rows changed.
    pub(super) fn run(&self, sql: &'static str, params: Vec<Param>) -> R<(Rows, u64)> {
        blocking(|| self.run_here(sql, params))
    }

    fn run_here(&self, sql: &'static str, params: Vec<Param>) -> R<(Rows, u64)> {
        match self {
            Db::Sqlite(c) => {
                let c = c.lock().unwrap_or_else(|e| e.into_inner());
                let mut stmt = c.prepare_cached(sql)?;
                let cols = stmt.column_count();
                let mut rows = Vec::new();
                if cols == 0 {
                    let n = stmt.execute(rusqlite::params_from_iter(params.iter()))?;
                    return Ok((rows, n as u64));
                }
                let mut q = stmt.query(rusqlite::params_from_iter(params.iter()))?;
                while let Some(r) = q.next()? {
                    rows.push((0..cols).map(|i| r.get::<_, Option<String>>(i)).collect::<Result<_, _>>()?);
                }
                Ok((rows, 0))
            }
            Db::Postgres(tx) => {
                let (reply, answer) = mpsc::channel();
                let job: PgJob = Box::new(move |client| {
                    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                        params.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect();
                    let result = client.query(sql, &refs).map(|rows| {
                        let n = rows.len() as u64;
                        let cells = rows
                            .iter()
                            .map(|r| (0..r.len()).map(|i| r.get::<_, Option<String>>(i)).collect())
                            .collect();
                        (cells, n)
                    });
                    let _ = reply.send(result.map_err(anyhow::Error::from));
                });
                tx.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .send(job)
                    .map_err(|_| anyhow::anyhow!("the PostgreSQL connection thread stopped"))?;
                answer.recv().context("the PostgreSQL connection thread stopped")?
            }
        }
    }

    pub(super) fn rows(&self, sql: &'static str, params: Vec<Param>) -> R<Rows> {
        Ok(self.run(sql, params)?.0)
    }

    /// The first cell of the first row.
    pub(super) fn cell(&self, sql: &'static str, params: Vec<Param>) -> R<Option<String>> {
        Ok(self.rows(sql, params)?.into_iter().next().and_then(|r| r.into_iter().next().flatten()))
    }

    pub(super) fn exec(&self, sql: &'static str, params: Vec<Param>) -> R<()> {
        self.run(sql, params).map(|_| ())
    }
}

/// One PostgreSQL session. Like SQLite's synchronous=NORMAL, a commit does not wait for its
/// WAL flush: a database crash may lose the last commits (steps then run again, which the
/// at-least-once guarantee allows); nothing is corrupted.
fn connect_postgres(url: &str) -> Result<postgres::Client, postgres::Error> {
    let mut client = postgres::Client::connect(url, postgres::NoTls)?;
    client.batch_execute("SET synchronous_commit TO OFF")?;
    Ok(client)
}

/// Runs blocking database work. On a worker thread of a multi-threaded tokio runtime (the
/// HTTP handlers) it is announced with `block_in_place`, so the runtime moves its other
/// tasks to another thread meanwhile instead of stalling them behind the database.
fn blocking<T>(work: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(work),
        _ => work(),
    }
}

pub(super) fn open_sqlite(path: &Path) -> R<rusqlite::Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let db = rusqlite::Connection::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    // In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process
    // loses nothing, a power loss may lose the last commits — a step then runs again, which
    // the at-least-once guarantee allows. FULL cost an fsync per checkpoint.
    db.pragma_update(None, "synchronous", "NORMAL")?;
    db.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(db)
}

/// Connects to PostgreSQL and starts the connection's thread. A connection that broke (the
/// server restarted) is opened again before the next statement; the statements in flight
/// when it broke fail, and their callers retry (the sdk retries a 5xx for a minute).
pub(super) fn open_postgres(url: &str) -> R<mpsc::Sender<PgJob>> {
    let (tx, rx) = mpsc::channel::<PgJob>();
    let (ready_tx, ready) = mpsc::channel();
    let url = url.to_string();
    std::thread::spawn(move || {
        let mut client = match connect_postgres(&url) {
            Ok(c) => {
                let _ = ready_tx.send(Ok(()));
                c
            }
            Err(e) => {
                let _ = ready_tx.send(Err(e));
                return;
            }
        };
        for job in rx {
            if client.is_closed() {
                match connect_postgres(&url) {
                    Ok(c) => client = c,
                    Err(e) => eprintln!("runtara: PostgreSQL is unreachable, retrying with the next statement: {e}"),
                }
            }
            job(&mut client);
        }
    });
    ready.recv().context("the PostgreSQL connection thread stopped")?.context("cannot connect to PostgreSQL")?;
    Ok(tx)
}
