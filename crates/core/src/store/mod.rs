//! Storage of instances, checkpoints, signals and events, scoped by tenant, in SQLite
//! (default, WAL) or PostgreSQL.
//!
//! Every statement is written once: `$1…$n` placeholders numbered in order of first use
//! (SQLite reads `$N` as a named parameter, PostgreSQL as positional), `ON CONFLICT` for
//! upserts, and text columns only (JSON is stored as text). The two databases differ only in
//! [`Db`], which runs a statement with text parameters and returns text cells.

use runtara_protocol::{GraphChange, GraphIdentity, Signal};
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use serde_json::Value;

mod db;
mod keys;

use db::{open_postgres, open_sqlite, Db};

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
            Db::Postgres(Mutex::new(open_postgres(spec)?))
        } else {
            anyhow::bail!("--db must be sqlite:PATH or a postgres:// URL, got '{spec}'");
        };
        for m in MIGRATIONS {
            db.exec(m, vec![]).with_context(|| format!("migration failed: {m}"))?;
        }
        Ok(Store { db: Arc::new(db) })
    }

    /// Whether the database is PostgreSQL (several servers may share it) rather than SQLite
    /// (one process).
    pub fn is_postgres(&self) -> bool {
        matches!(*self.db, Db::Postgres(_))
    }

    /// Runs statements of another crate's schema (runtara serve's tables) once each, in
    /// order; written like this crate's (`CREATE … IF NOT EXISTS`, text columns).
    pub fn migrate(&self, statements: &[&'static str]) -> R<()> {
        for m in statements {
            self.db.exec(m, vec![]).with_context(|| format!("migration failed: {m}"))?;
        }
        Ok(())
    }

    /// Runs one statement of another crate's schema with text parameters (`$1…$n`, see the
    /// module docs) and returns its rows as text cells (`RETURNING` for what a write
    /// changed).
    pub fn query(&self, sql: &'static str, params: Vec<Option<String>>) -> R<Vec<Vec<Option<String>>>> {
        self.db.rows(sql, params)
    }

    /// Records the graph an instance runs: the first register records it; a later one with
    /// another graph is refused with what changed, unless `migrate` (which records the new
    /// one). `Ok(Err(change))` is the refusal.
    pub fn register_graph(
        &self,
        tenant: &str,
        id: &str,
        graph: &GraphIdentity,
        migrate: bool,
    ) -> R<Result<(), GraphChange>> {
        let rows = self
            .db
            .rows("SELECT identity FROM instance_graphs WHERE tenant = $1 AND instance = $2", vec![p(tenant), p(id)])?;
        let recorded: Option<GraphIdentity> =
            rows.into_iter().next().and_then(|mut r| r.remove(0)).and_then(|t| serde_json::from_str(&t).ok());
        if let Some(change) = recorded.as_ref().and_then(|r| graph.changes_from(r)).filter(|_| !migrate) {
            return Ok(Err(change));
        }
        self.db.exec(
            "INSERT INTO instance_graphs (tenant, instance, identity) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, instance) DO UPDATE SET identity = excluded.identity",
            vec![p(tenant), p(id), Some(serde_json::to_string(graph)?)],
        )?;
        Ok(Ok(()))
    }

    /// Sets the fencing epoch of an instance's current run: from now on only writes carrying
    /// it are accepted (see [`Store::fenced_out`]).
    pub fn fence(&self, tenant: &str, id: &str, epoch: &str) -> R<()> {
        self.db.exec(
            "INSERT INTO fences (tenant, instance, epoch) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, instance) DO UPDATE SET epoch = excluded.epoch",
            vec![p(tenant), p(id), p(epoch)],
        )
    }

    /// Whether a write carrying `epoch` must be refused: the instance is fenced at another
    /// epoch. Writes without an epoch (`runtara run --core`) and unfenced instances pass.
    pub fn fenced_out(&self, tenant: &str, id: &str, epoch: Option<&str>) -> R<bool> {
        let Some(epoch) = epoch else { return Ok(false) };
        let current =
            self.db.cell("SELECT epoch FROM fences WHERE tenant = $1 AND instance = $2", vec![p(tenant), p(id)])?;
        Ok(current.is_some_and(|c| c != epoch))
    }

    /// Marks an instance running (creating it). Like every status write, it leaves a
    /// terminal instance (completed, failed, cancelled, crashed) as it is: terminal states
    /// are final.
    pub fn register(&self, tenant: &str, id: &str) -> R<()> {
        self.db.exec(
            "INSERT INTO instances (tenant, id, status) VALUES ($1, $2, 'running')
             ON CONFLICT (tenant, id) DO UPDATE SET status = 'running', wake_at = NULL
             WHERE instances.status NOT IN ('completed', 'failed', 'cancelled', 'crashed')",
            vec![p(tenant), p(id)],
        )
    }

    /// Sets the final status with its output or error JSON (once: see [`Store::register`]).
    pub fn finish(&self, tenant: &str, id: &str, status: &str, output: Option<&Value>, error: Option<&Value>) -> R<()> {
        self.db.exec(
            "INSERT INTO instances (tenant, id, status, output, error) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant, id) DO UPDATE SET status = excluded.status, output = excluded.output,
                 error = excluded.error, wake_at = NULL
             WHERE instances.status NOT IN ('completed', 'failed', 'cancelled', 'crashed')",
            vec![p(tenant), p(id), p(status), output.map(Value::to_string), error.map(Value::to_string)],
        )?;
        // The first terminal write dates the instance for retention.
        self.db.exec(
            "INSERT INTO finished (tenant, instance, at) SELECT $1, $2, $3 WHERE EXISTS
                 (SELECT 1 FROM instances WHERE tenant = $1 AND id = $2
                  AND status IN ('completed', 'failed', 'cancelled', 'crashed'))
             ON CONFLICT (tenant, instance) DO NOTHING",
            vec![p(tenant), p(id), Some(now_ms().to_string())],
        )
    }

    /// Removes every instance that reached its terminal status before `cutoff_ms` (ms since
    /// the epoch) with its checkpoints, events, signals and graph; returns how many.
    pub fn purge(&self, cutoff_ms: u64) -> R<usize> {
        let old = self.db.rows(
            "SELECT tenant, instance FROM finished WHERE CAST(at AS BIGINT) < CAST(CAST($1 AS TEXT) AS BIGINT)",
            vec![Some(cutoff_ms.to_string())],
        )?;
        for r in &old {
            let params = || vec![r[0].clone(), r[1].clone()];
            self.db.exec("DELETE FROM instances WHERE tenant = $1 AND id = $2", params())?;
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
                self.db.exec(sql, params())?;
            }
        }
        Ok(old.len())
    }

    /// Sets an instance's status, keeping its output, error and `wake_at` (creating it).
    pub fn set_status(&self, tenant: &str, id: &str, status: &str) -> R<()> {
        self.db.exec(
            "INSERT INTO instances (tenant, id, status) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, id) DO UPDATE SET status = excluded.status
             WHERE instances.status NOT IN ('completed', 'failed', 'cancelled', 'crashed')",
            vec![p(tenant), p(id), p(status)],
        )
    }

    /// Records that an instance sleeps until `wake_at` (ms since the epoch, as text).
    pub fn sleep(&self, tenant: &str, id: &str, wake_at: &str) -> R<()> {
        self.db.exec(
            "INSERT INTO instances (tenant, id, status, wake_at) VALUES ($1, $2, 'sleeping', $3)
             ON CONFLICT (tenant, id) DO UPDATE SET status = 'sleeping', wake_at = excluded.wake_at
             WHERE instances.status NOT IN ('completed', 'failed', 'cancelled', 'crashed')",
            vec![p(tenant), p(id), p(wake_at)],
        )
    }

    /// `(status, output, error)` of an instance.
    pub fn instance(&self, tenant: &str, id: &str) -> R<Option<InstanceRow>> {
        let rows = self.db.rows(
            "SELECT status, output, error FROM instances WHERE tenant = $1 AND id = $2",
            vec![p(tenant), p(id)],
        )?;
        Ok(rows.into_iter().next().map(|mut r| {
            let error = r.pop().flatten();
            let output = r.pop().flatten();
            (r.pop().flatten().unwrap_or_default(), output, error)
        }))
    }

    /// The wake time of a sleeping instance.
    pub fn wake_at(&self, tenant: &str, id: &str) -> R<Option<String>> {
        self.db.cell("SELECT wake_at FROM instances WHERE tenant = $1 AND id = $2", vec![p(tenant), p(id)])
    }

    /// A query that touches the database: `Ok` when it answers (readiness probe).
    pub fn ping(&self) -> R<()> {
        self.db.rows("SELECT id FROM instances WHERE tenant = $1 AND id = $2", vec![p(""), p("")]).map(|_| ())
    }

    /// `(id, status)` of a tenant's instances, by id.
    /// At most `limit` of them, with ids after `after` (keyset pagination).
    pub fn instances(&self, tenant: &str, after: &str, limit: usize) -> R<Vec<(String, String)>> {
        let rows = self.db.rows(
            "SELECT id, status FROM instances WHERE tenant = $1 AND id > $2 ORDER BY id
             LIMIT CAST(CAST($3 AS TEXT) AS BIGINT)",
            vec![p(tenant), p(after), Some(limit.to_string())],
        )?;
        Ok(rows.into_iter().map(|mut r| (r.remove(0).unwrap_or_default(), r.remove(0).unwrap_or_default())).collect())
    }

    /// Checkpoint ids of an instance in write order.
    pub fn checkpoint_ids(&self, tenant: &str, id: &str) -> R<Vec<String>> {
        let rows = self.db.rows(
            "SELECT checkpoint_id FROM checkpoints WHERE tenant = $1 AND instance = $2 ORDER BY seq",
            vec![p(tenant), p(id)],
        )?;
        Ok(rows.into_iter().filter_map(|mut r| r.remove(0)).collect())
    }

    /// A stored checkpoint.
    pub fn load(&self, tenant: &str, id: &str, cid: &str) -> R<Option<String>> {
        self.db.cell(
            "SELECT state FROM checkpoints WHERE tenant = $1 AND instance = $2 AND checkpoint_id = $3",
            vec![p(tenant), p(id), p(cid)],
        )
    }

    /// Stores a checkpoint unless present; returns `(stored, state now stored)`.
    pub fn checkpoint(&self, tenant: &str, id: &str, cid: &str, state: &str) -> R<(bool, String)> {
        self.db.exec(
            "INSERT INTO checkpoints (tenant, instance, checkpoint_id, state, seq)
             VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM checkpoints))
             ON CONFLICT (tenant, instance, checkpoint_id) DO NOTHING",
            vec![p(tenant), p(id), p(cid), p(state)],
        )?;
        let now = self.load(tenant, id, cid)?.context("a checkpoint vanished right after it was written")?;
        Ok((now == state, now))
    }

    /// The pending control signal (`pause` / `cancel`).
    pub fn control(&self, tenant: &str, id: &str) -> R<Option<String>> {
        self.db.cell("SELECT signal FROM control WHERE tenant = $1 AND instance = $2", vec![p(tenant), p(id)])
    }

    /// Pause or cancel (cancel sticks), or resume (clears a pause).
    pub fn set_control(&self, tenant: &str, id: &str, signal: &str) -> R<()> {
        if signal == Signal::Resume.as_str() {
            return self.db.exec(
                "DELETE FROM control WHERE tenant = $1 AND instance = $2 AND signal = 'pause'",
                vec![p(tenant), p(id)],
            );
        }
        self.db.exec(
            "INSERT INTO control (tenant, instance, signal) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, instance) DO UPDATE SET signal =
                 CASE WHEN control.signal = 'cancel' THEN 'cancel' ELSE excluded.signal END",
            vec![p(tenant), p(id), p(signal)],
        )
    }

    /// Delivers a custom signal (first delivery wins).
    pub fn send_custom(&self, tenant: &str, id: &str, signal_id: &str, payload: &str) -> R<()> {
        self.db.exec(
            "INSERT INTO signals (tenant, instance, signal_id, payload) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant, instance, signal_id) DO NOTHING",
            vec![p(tenant), p(id), p(signal_id), p(payload)],
        )
    }

    /// A delivered custom signal's payload.
    pub fn custom(&self, tenant: &str, id: &str, signal_id: &str) -> R<Option<String>> {
        self.db.cell(
            "SELECT payload FROM signals WHERE tenant = $1 AND instance = $2 AND signal_id = $3",
            vec![p(tenant), p(id), p(signal_id)],
        )
    }

    /// Consumes a delivered custom signal (it is no longer pending).
    pub fn ack_custom(&self, tenant: &str, id: &str, signal_id: &str) -> R<()> {
        self.db.exec(
            "DELETE FROM signals WHERE tenant = $1 AND instance = $2 AND signal_id = $3",
            vec![p(tenant), p(id), p(signal_id)],
        )
    }

    /// Appends events (JSON text) to an instance's log — unless `batch` (an idempotency key)
    /// was appended before.
    pub fn add_events(&self, tenant: &str, id: &str, events: &[String], batch: Option<&str>) -> R<()> {
        if let Some(batch) = batch {
            let fresh = self.db.rows(
                "INSERT INTO event_batches (tenant, instance, batch) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant, instance, batch) DO NOTHING RETURNING batch",
                vec![p(tenant), p(id), p(batch)],
            )?;
            if fresh.is_empty() {
                return Ok(());
            }
        }
        for e in events {
            self.db.exec(
                "INSERT INTO events (tenant, instance, seq, event)
                 VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE tenant = $1 AND instance = $2), $3)",
                vec![p(tenant), p(id), p(e)],
            )?;
        }
        Ok(())
    }

    /// An instance's events in order, as JSON text.
    pub fn events(&self, tenant: &str, id: &str) -> R<Vec<String>> {
        let rows = self.db.rows(
            "SELECT event FROM events WHERE tenant = $1 AND instance = $2 ORDER BY seq",
            vec![p(tenant), p(id)],
        )?;
        Ok(rows.into_iter().filter_map(|mut r| r.remove(0)).collect())
    }
}
