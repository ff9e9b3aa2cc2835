//! SQLite storage of instances, checkpoints and signals, scoped by tenant.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

/// A shared handle to the database.
#[derive(Clone)]
pub struct Store {
    db: Arc<Mutex<Connection>>,
}

type R<T> = rusqlite::Result<T>;

/// `(status, output JSON, error JSON)` of an instance.
pub type InstanceRow = (String, Option<String>, Option<String>);

impl Store {
    /// Opens (creating) the database at `path` in WAL mode.
    pub fn open(path: &Path) -> anyhow::Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS instances (tenant TEXT NOT NULL, id TEXT NOT NULL, status TEXT NOT NULL,
                 output TEXT, error TEXT, PRIMARY KEY (tenant, id));
             CREATE TABLE IF NOT EXISTS checkpoints (tenant TEXT NOT NULL, instance TEXT NOT NULL,
                 checkpoint_id TEXT NOT NULL, state TEXT NOT NULL, seq INTEGER NOT NULL,
                 PRIMARY KEY (tenant, instance, checkpoint_id));
             CREATE TABLE IF NOT EXISTS control (tenant TEXT NOT NULL, instance TEXT NOT NULL, signal TEXT NOT NULL,
                 PRIMARY KEY (tenant, instance));
             CREATE TABLE IF NOT EXISTS signals (tenant TEXT NOT NULL, instance TEXT NOT NULL, signal_id TEXT NOT NULL,
                 payload TEXT NOT NULL, PRIMARY KEY (tenant, instance, signal_id));",
        )?;
        Ok(Store { db: Arc::new(Mutex::new(db)) })
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> R<T>) -> R<T> {
        let db = self.db.lock().unwrap_or_else(|e| e.into_inner());
        f(&db)
    }

    /// Marks an instance running (creating it).
    pub fn register(&self, tenant: &str, id: &str) -> R<()> {
        self.with(|db| {
            db.execute(
                "INSERT INTO instances (tenant, id, status) VALUES (?1, ?2, 'running')
                 ON CONFLICT(tenant, id) DO UPDATE SET status = 'running'",
                params![tenant, id],
            )
            .map(|_| ())
        })
    }

    /// Sets the final status with its output or error JSON.
    pub fn finish(&self, tenant: &str, id: &str, status: &str, output: Option<&Value>, error: Option<&Value>) -> R<()> {
        self.with(|db| {
            db.execute(
                "INSERT INTO instances (tenant, id, status, output, error) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(tenant, id) DO UPDATE SET status = ?3, output = ?4, error = ?5",
                params![tenant, id, status, output.map(Value::to_string), error.map(Value::to_string)],
            )
            .map(|_| ())
        })
    }

    /// `(status, output, error)` of an instance.
    pub fn instance(&self, tenant: &str, id: &str) -> R<Option<InstanceRow>> {
        self.with(|db| {
            db.query_row(
                "SELECT status, output, error FROM instances WHERE tenant = ?1 AND id = ?2",
                params![tenant, id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
    }

    /// `(id, status)` of a tenant's instances.
    pub fn instances(&self, tenant: &str) -> R<Vec<(String, String)>> {
        self.with(|db| {
            let mut q = db.prepare("SELECT id, status FROM instances WHERE tenant = ?1 ORDER BY id")?;
            let rows = q.query_map(params![tenant], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })
    }

    /// Checkpoint ids of an instance in write order.
    pub fn checkpoint_ids(&self, tenant: &str, id: &str) -> R<Vec<String>> {
        self.with(|db| {
            let mut q = db.prepare("SELECT checkpoint_id FROM checkpoints WHERE tenant = ?1 AND instance = ?2 ORDER BY seq")?;
            let rows = q.query_map(params![tenant, id], |r| r.get(0))?;
            rows.collect()
        })
    }

    /// A stored checkpoint.
    pub fn load(&self, tenant: &str, id: &str, cid: &str) -> R<Option<String>> {
        self.with(|db| {
            db.query_row(
                "SELECT state FROM checkpoints WHERE tenant = ?1 AND instance = ?2 AND checkpoint_id = ?3",
                params![tenant, id, cid],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Stores a checkpoint unless present; returns `(stored, state now stored)`.
    pub fn checkpoint(&self, tenant: &str, id: &str, cid: &str, state: &str) -> R<(bool, String)> {
        self.with(|db| {
            let n = db.execute(
                "INSERT OR IGNORE INTO checkpoints (tenant, instance, checkpoint_id, state, seq)
                 VALUES (?1, ?2, ?3, ?4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM checkpoints))",
                params![tenant, id, cid, state],
            )?;
            let now: String = db.query_row(
                "SELECT state FROM checkpoints WHERE tenant = ?1 AND instance = ?2 AND checkpoint_id = ?3",
                params![tenant, id, cid],
                |r| r.get(0),
            )?;
            Ok((n == 1, now))
        })
    }

    /// The pending control signal (`pause` / `cancel`).
    pub fn control(&self, tenant: &str, id: &str) -> R<Option<String>> {
        self.with(|db| {
            db.query_row("SELECT signal FROM control WHERE tenant = ?1 AND instance = ?2", params![tenant, id], |r| r.get(0))
                .optional()
        })
    }

    /// Pause or cancel (cancel sticks), or resume (clears a pause).
    pub fn set_control(&self, tenant: &str, id: &str, signal: &str) -> R<()> {
        self.with(|db| {
            if signal == "resume" {
                db.execute("DELETE FROM control WHERE tenant = ?1 AND instance = ?2 AND signal = 'pause'", params![tenant, id])?;
            } else {
                db.execute(
                    "INSERT INTO control (tenant, instance, signal) VALUES (?1, ?2, ?3)
                     ON CONFLICT(tenant, instance) DO UPDATE SET signal = CASE WHEN signal = 'cancel' THEN 'cancel' ELSE ?3 END",
                    params![tenant, id, signal],
                )?;
            }
            Ok(())
        })
    }

    /// Delivers a custom signal (first delivery wins).
    pub fn send_custom(&self, tenant: &str, id: &str, signal_id: &str, payload: &str) -> R<()> {
        self.with(|db| {
            db.execute(
                "INSERT OR IGNORE INTO signals (tenant, instance, signal_id, payload) VALUES (?1, ?2, ?3, ?4)",
                params![tenant, id, signal_id, payload],
            )
            .map(|_| ())
        })
    }

    /// A delivered custom signal's payload.
    pub fn custom(&self, tenant: &str, id: &str, signal_id: &str) -> R<Option<String>> {
        self.with(|db| {
            db.query_row(
                "SELECT payload FROM signals WHERE tenant = ?1 AND instance = ?2 AND signal_id = ?3",
                params![tenant, id, signal_id],
                |r| r.get(0),
            )
            .optional()
        })
    }
}
