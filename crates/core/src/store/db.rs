//! The connections behind [`super::Store`]: one SQLite connection behind a mutex, or a pool
//! of PostgreSQL sessions (r2d2); statements with text parameters in, text cells out, alone
//! or in one transaction.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;

use super::{Param, Rows, R};

/// PostgreSQL sessions per process. The scheduler, the workers' state writes and the HTTP
/// handlers share them; more only add lock contention on a 2-core database.
const POSTGRES_POOL_SIZE: u32 = 8;

/// How long a statement waits for a free (or re-opened) PostgreSQL session before it fails
/// (the caller retries: the sdk retries a 5xx for a minute).
const POSTGRES_CHECKOUT: Duration = Duration::from_secs(5);

/// Where statements run: a connection, inside a transaction or not.
pub(super) trait Conn {
    /// Runs `sql`; returns the rows (empty for statements without results) and the number
    /// of rows changed (PostgreSQL: rows returned).
    fn run(&mut self, sql: &'static str, params: Vec<Param>) -> R<(Rows, u64)>;
    /// Whether this is PostgreSQL (row locks such as `FOR SHARE` exist).
    fn is_postgres(&self) -> bool;
}

/// The database.
pub(super) enum Db {
    Sqlite(Mutex<rusqlite::Connection>),
    Postgres(r2d2::Pool<PgManager>),
}

impl Db {
    /// Runs `work` on a connection; with `transaction` its statements commit together when
    /// it returns `Ok`, and none of them when it fails. Blocking work, announced to tokio
    /// (see [`blocking`]).
    pub(super) fn with<T: Send>(&self, transaction: bool, work: impl FnOnce(&mut dyn Conn) -> R<T> + Send) -> R<T> {
        blocking(|| match self {
            Db::Sqlite(c) => {
                let c = c.lock().unwrap_or_else(|e| e.into_inner());
                if !transaction {
                    return work(&mut SqliteConn(&c));
                }
                // IMMEDIATE takes the write lock at BEGIN: no upgrade deadlock with another
                // process's reader (a CLI on the same file).
                let tx = rusqlite::Transaction::new_unchecked(&c, rusqlite::TransactionBehavior::Immediate)?;
                let value = work(&mut SqliteConn(&tx))?;
                tx.commit()?;
                Ok(value)
            }
            Db::Postgres(pool) => {
                let mut session = pool.get().context("no PostgreSQL connection")?;
                let PgSession { client, statements } = &mut *session;
                if !transaction {
                    return work(&mut PgConn { client, statements });
                }
                let mut tx = client.transaction()?;
                let value = work(&mut PgConn { client: &mut tx, statements })?;
                tx.commit()?;
                Ok(value)
            }
        })
    }
}

struct SqliteConn<'a>(&'a rusqlite::Connection);

impl Conn for SqliteConn<'_> {
    fn run(&mut self, sql: &'static str, params: Vec<Param>) -> R<(Rows, u64)> {
        let mut stmt = self.0.prepare_cached(sql)?;
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

    fn is_postgres(&self) -> bool {
        false
    }
}

/// A PostgreSQL session of the pool with its prepared statements (a statement is parsed
/// once per session, not at every call: half the round trips).
pub(super) struct PgSession {
    client: postgres::Client,
    statements: HashMap<&'static str, postgres::Statement>,
}

struct PgConn<'a, C> {
    client: &'a mut C,
    statements: &'a mut HashMap<&'static str, postgres::Statement>,
}

impl<C: postgres::GenericClient> Conn for PgConn<'_, C> {
    fn run(&mut self, sql: &'static str, params: Vec<Param>) -> R<(Rows, u64)> {
        let statement = match self.statements.get(sql) {
            Some(s) => s.clone(),
            None => {
                let s = self.client.prepare(sql)?;
                self.statements.insert(sql, s.clone());
                s
            }
        };
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            params.iter().map(|p| p as &(dyn postgres::types::ToSql + Sync)).collect();
        let rows = self.client.query(&statement, &refs)?;
        let n = rows.len() as u64;
        let cells = rows.iter().map(|r| (0..r.len()).map(|i| r.get::<_, Option<String>>(i)).collect()).collect();
        Ok((cells, n))
    }

    fn is_postgres(&self) -> bool {
        true
    }
}

/// Opens PostgreSQL sessions for the pool. A session whose connection broke (the server
/// restarted) is dropped when it comes back to the pool and a new one is opened on demand;
/// the statements in flight when it broke fail, and their callers retry.
pub(super) struct PgManager(postgres::Config);

impl r2d2::ManageConnection for PgManager {
    type Connection = PgSession;
    type Error = postgres::Error;

    fn connect(&self) -> Result<PgSession, postgres::Error> {
        let client = self.0.connect(postgres::NoTls)?;
        Ok(PgSession { client, statements: HashMap::new() })
    }

    fn is_valid(&self, session: &mut PgSession) -> Result<(), postgres::Error> {
        session.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, session: &mut PgSession) -> bool {
        session.client.is_closed()
    }
}

/// Opens the pool. Like SQLite's synchronous=NORMAL, a commit does not wait for its WAL
/// flush (`synchronous_commit=off`): a database crash may lose the last commits (steps then
/// run again, which the at-least-once guarantee allows); nothing is corrupted.
///
/// Errors: a malformed URL; no session could be opened within [`POSTGRES_CHECKOUT`].
pub(super) fn open_postgres(url: &str) -> R<r2d2::Pool<PgManager>> {
    let mut config: postgres::Config = url.parse().context("not a PostgreSQL URL")?;
    let options = format!("{} -c synchronous_commit=off", config.get_options().unwrap_or_default());
    config.options(options.trim());
    r2d2::Pool::builder()
        .max_size(POSTGRES_POOL_SIZE)
        .min_idle(Some(1))
        .test_on_check_out(false)
        .connection_timeout(POSTGRES_CHECKOUT)
        .build(PgManager(config))
        .context("cannot connect to PostgreSQL")
}

/// Runs blocking database work. On a worker thread of a multi-threaded tokio runtime (the
/// HTTP handlers) it is announced with `block_in_place`, so the runtime moves its other
/// tasks to another thread meanwhile; on a current-thread runtime it runs on a thread of
/// its own (the PostgreSQL client may not block inside a runtime).
fn blocking<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(work),
        Ok(_) => std::thread::scope(|s| s.spawn(work).join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
        Err(_) => work(),
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
