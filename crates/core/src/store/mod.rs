//! Storage of instances, checkpoints, signals and events, scoped by tenant, in SQLite
//! (default, WAL) or PostgreSQL.
//!
//! Every statement is written once: `$1…$n` placeholders numbered in order of first use
//! (SQLite reads `$N` as a named parameter, PostgreSQL as positional), `ON CONFLICT` for
//! upserts, and text columns only (JSON is stored as text). The two databases differ only in
//! [`Db`], which runs a statement with text parameters and returns text cells.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;

mod db;
mod keys;
mod tx;

use db::{open_postgres, open_sqlite, Db};
pub use tx::Tx;

/// The schema; both databases accept it as is. `seq` orders checkpoints and events.
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS instances (tenant TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL,
         output TEXT, error TEXT, wake_at TEXT, PRIMARY KEY (tenant, id))",
    "CREATE TABLE IF NOT EXISTS checkpoints (tenant TEXT NOT NULL, instance TEXT NOT NULL,
         checkpoint_id TEXT NOT NULL, state TEXT NOT NULL, seq BIGINT NOT NULL,
         PRIMARY KEY (tenant, instance, checkpoint_id))",
    "CREATE TABLE IF NOT EXISTS control (tenant TEXT NOT NULL, instance TEXT NOT NULL, signal TEXT NOT NULL,
         PRIMARY KEY (tenant, instance))",
    "CREATE TABLE IF NOT EXISTS signals (tenant TEXT NOT NULL, instance TEXT NOT NULL, signal_id TEXT NOT NULL,
         payload TEXT NOT NULL, PRIMARY KEY (tenant, instance, signal_id))",
    "CREATE TABLE IF NOT EXISTS events (tenant TEXT NOT NULL, instance TEXT NOT NULL, seq BIGINT NOT NULL,
         event TEXT NOT NULL, PRIMARY KEY (tenant, instance, seq))",
    // The graph identity an instance started with (JSON of runtara_protocol::GraphIdentity).
    "CREATE TABLE IF NOT EXISTS instance_graphs (tenant TEXT NOT NULL, instance TEXT NOT NULL,
         identity TEXT NOT NULL, PRIMARY KEY (tenant, instance))",
    // Per-tenant API keys: only the SHA-256 of a key is stored; `revoked` is a timestamp.
    "CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT NOT NULL PRIMARY KEY, tenant TEXT NOT NULL,
         key_hash TEXT NOT NULL, created TEXT NOT NULL, revoked TEXT)",
    // The fencing epoch of an instance's current run (runtara serve sets it at every claim).
    "CREATE TABLE IF NOT EXISTS fences (tenant TEXT NOT NULL, instance TEXT NOT NULL, epoch TEXT NOT NULL,
         PRIMARY KEY (tenant, instance))",
    // The next checkpoint's `seq` is MAX(seq) + 1: an index keeps that O(log n) per write,
    // so checkpoint cost stays linear in steps (DESIGN §6).
    "CREATE INDEX IF NOT EXISTS checkpoints_seq ON checkpoints (seq)",
    // Idempotency keys of the event batches appended (a retried POST appends nothing).
    "CREATE TABLE IF NOT EXISTS event_batches (tenant TEXT NOT NULL, instance TEXT NOT NULL, batch TEXT NOT NULL,
         PRIMARY KEY (tenant, instance, batch))",
    // When an instance reached its terminal status (ms), for retention.
    "CREATE TABLE IF NOT EXISTS finished (tenant TEXT NOT NULL, instance TEXT NOT NULL, at TEXT NOT NULL,
         PRIMARY KEY (tenant, instance))",
];

/// A statement parameter: text or SQL NULL.
type Param = Option<String>;
/// Result rows as text cells.
type Rows = Vec<Vec<Option<String>>>;
type R<T> = anyhow::Result<T>;

/// `(key_id, tenant, created, revoked)` of an API key; times are Unix seconds.
pub type KeyRow = (String, String, String, Option<String>);

/// `(status, output JSON, error JSON)` of an instance.
pub type InstanceRow = (String, Option<String>, Option<String>);

/// Now in ms since the Unix epoch.
fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

fn p(s: &str) -> Param {
    Some(s.to_string())
}

/// A shared handle to the database.
#[derive(Clone)]
pub struct Store {
    db: Arc<Db>,
}

impl Store {
    /// Opens (creating and migrating) the database `spec`: `sqlite:PATH` (WAL) or a
    /// `postgres://user:password@host/db` URL.
    ///
    /// Errors: an unknown scheme, a file or server that cannot be opened, a failed migration.
    pub fn open(spec: &str) -> R<Store> {
        let db = if let Some(path) = spec.strip_prefix("sqlite:") {
            Db::Sqlite(Mutex::new(open_sqlite(Path::new(path))?))
        } else if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            Db::Postgres(open_postgres(spec)?)
        } else {
            anyhow::bail!("--db must be sqlite:PATH or a postgres:// URL, got '{spec}'");
        };
        let store = Store { db: Arc::new(db) };
        store.migrate(MIGRATIONS)?;
        Ok(store)
    }

    /// Whether the database is PostgreSQL (several servers may share it) rather than SQLite
    /// (one process).
    pub fn is_postgres(&self) -> bool {
        matches!(*self.db, Db::Postgres(_))
    }

    /// Runs statements of another crate's schema (runtara serve's tables) once each, in
    /// order; written like this crate's (`CREATE … IF NOT EXISTS`, text columns).
    pub fn migrate(&self, statements: &[&'static str]) -> R<()> {
        self.session(|tx| {
            for m in statements {
                tx.exec(m, vec![]).with_context(|| format!("migration failed: {m}"))?;
            }
            Ok(())
        })
    }

    /// Runs one statement of another crate's schema with text parameters (`$1…$n`, see the
    /// module docs) and returns its rows as text cells (`RETURNING` for what a write
    /// changed).
    pub fn query(&self, sql: &'static str, params: Vec<Option<String>>) -> R<Vec<Vec<Option<String>>>> {
        self.session(|tx| tx.query(sql, params))
    }

    /// Runs `work` on a connection of the pool; each of its statements commits on its own.
    ///
    /// Errors: whatever `work` returns; no connection (PostgreSQL down for 5 s).
    pub fn session<T: Send>(&self, work: impl FnOnce(&mut Tx) -> R<T> + Send) -> R<T> {
        self.db.with(false, |c| work(&mut Tx::new(c)))
    }

    /// Runs `work` in one transaction: its statements commit together when it returns
    /// `Ok`, none of them when it fails (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: READ
    /// COMMITTED).
    pub fn transaction<T: Send>(&self, work: impl FnOnce(&mut Tx) -> R<T> + Send) -> R<T> {
        self.db.with(true, |c| work(&mut Tx::new(c)))
    }

    /// Runs the writes of one run of an instance in one transaction, unless `epoch` is
    /// stale ([`Tx::fenced_out`]): then nothing is written and the answer is `Ok(Err(StaleEpoch))`.
    pub fn fenced<T: Send>(
        &self,
        tenant: &str,
        id: &str,
        epoch: Option<&str>,
        work: impl FnOnce(&mut Tx) -> R<T> + Send,
    ) -> R<Result<T, StaleEpoch>> {
        self.transaction(|tx| if tx.fenced_out(tenant, id, epoch)? { Ok(Err(StaleEpoch)) } else { work(tx).map(Ok) })
    }

    /// A query that touches the database: `Ok` when it answers (readiness probe).
    pub fn ping(&self) -> R<()> {
        self.query("SELECT id FROM instances WHERE tenant = $1 AND id = $2", vec![p(""), p("")]).map(|_| ())
    }

    /// Removes every instance that reached its terminal status before `cutoff_ms` (ms since
    /// the epoch) with its checkpoints, events, signals and graph; returns how many.
    pub fn purge(&self, cutoff_ms: u64) -> R<usize> {
        let old = self.query(
            "SELECT tenant, instance FROM finished WHERE CAST(at AS BIGINT) < CAST(CAST($1 AS TEXT) AS BIGINT)",
            vec![Some(cutoff_ms.to_string())],
        )?;
        for r in &old {
            let params = || vec![r[0].clone(), r[1].clone()];
            self.transaction(|tx| {
                tx.exec("DELETE FROM instances WHERE tenant = $1 AND id = $2", params())?;
                for sql in [
                    "DELETE FROM checkpoints WHERE tenant = $1 AND instance = $2",
                    "DELETE FROM events WHERE tenant = $1 AND instance = $2",
                    "DELETE FROM event_batches WHERE tenant = $1 AND instance = $2",
                    "DELETE FROM signals WHERE tenant = $1 AND instance = $2",
                    "DELETE FROM control WHERE tenant = $1 AND instance = $2",
                    "DELETE FROM instance_graphs WHERE tenant = $1 AND instance = $2",
                    "DELETE FROM fences WHERE tenant = $1 AND instance = $2",
                    "DELETE FROM finished WHERE tenant = $1 AND instance = $2",
                ] {
                    tx.exec(sql, params())?;
                }
                Ok(())
            })?;
        }
        Ok(old.len())
    }
}

/// The answer of [`Store::fenced`] for a write whose run lost its claim: another run of the
/// instance holds a newer epoch (the API answers 409 `STALE_EPOCH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaleEpoch;
