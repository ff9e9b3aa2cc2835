//! The local backend: checkpoints in a SQLite file under `RUNTARA_STATE_DIR`, keyed by
//! instance id (DESIGN §6). One writer per instance; WAL lets readers inspect it.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use crate::{GraphIdentity, SdkBackend, SdkError, Signal};

/// File name of the store inside the state directory.
pub const DB_FILE: &str = "runtara-state.sqlite3";

/// Checkpoints of one instance in `<dir>/runtara-state.sqlite3`.
pub struct LocalStore {
    db: Connection,
    instance: String,
}

fn err(e: impl core::fmt::Display) -> SdkError {
    SdkError(alloc::format!("local state store: {e}"))
}

impl LocalStore {
    /// Opens (creating as needed) the store in `dir` for `instance`.
    ///
    /// Errors: the directory or database cannot be created or opened.
    pub fn open(dir: &Path, instance: &str) -> Result<Self, SdkError> {
        std::fs::create_dir_all(dir).map_err(err)?;
        let db = Connection::open(dir.join(DB_FILE)).map_err(err)?;
        db.busy_timeout(std::time::Duration::from_secs(5)).map_err(err)?;
        db.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS checkpoints (
                 instance_id TEXT NOT NULL,
                 checkpoint_id TEXT NOT NULL,
                 state TEXT NOT NULL,
                 created_at_ms INTEGER NOT NULL,
                 PRIMARY KEY (instance_id, checkpoint_id));
             CREATE TABLE IF NOT EXISTS control (
                 instance_id TEXT PRIMARY KEY,
                 signal TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS signals (
                 instance_id TEXT NOT NULL,
                 signal_id TEXT NOT NULL,
                 payload TEXT NOT NULL,
                 created_at_ms INTEGER NOT NULL,
                 PRIMARY KEY (instance_id, signal_id));
             CREATE TABLE IF NOT EXISTS graphs (
                 instance_id TEXT PRIMARY KEY,
                 identity TEXT NOT NULL)",
        )
        .map_err(err)?;
        Ok(LocalStore { db, instance: instance.into() })
    }
}

impl LocalStore {
    /// The JSON text `sql` selects for this instance (`?1`) and `key` (`?2`), parsed.
    fn json(&self, sql: &str, key: &str) -> Result<Option<Value>, SdkError> {
        let text: Option<String> =
            self.db.query_row(sql, params![self.instance, key], |r| r.get(0)).optional().map_err(err)?;
        text.map(|t| serde_json::from_str(&t).map_err(err)).transpose()
    }
}

impl SdkBackend for LocalStore {
    fn register(&mut self, graph: Option<&GraphIdentity>, migrate: bool) -> Result<(), SdkError> {
        let Some(graph) = graph else { return Ok(()) };
        let recorded: Option<String> = self
            .db
            .query_row("SELECT identity FROM graphs WHERE instance_id = ?1", params![self.instance], |r| r.get(0))
            .optional()
            .map_err(err)?;
        let recorded: Option<GraphIdentity> = recorded.and_then(|t| serde_json::from_str(&t).ok());
        if let Some(change) = recorded.as_ref().and_then(|r| graph.changes_from(r)).filter(|_| !migrate) {
            return Err(SdkError(change.message()));
        }
        let text = serde_json::to_string(graph).map_err(err)?;
        self.db
            .execute(
                "INSERT INTO graphs (instance_id, identity) VALUES (?1, ?2)
                 ON CONFLICT(instance_id) DO UPDATE SET identity = excluded.identity",
                params![self.instance, text],
            )
            .map_err(err)?;
        Ok(())
    }

    fn load(&mut self, id: &str) -> Result<Option<Value>, SdkError> {
        self.json("SELECT state FROM checkpoints WHERE instance_id = ?1 AND checkpoint_id = ?2", id)
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<Option<Value>, SdkError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let inserted = self
            .db
            .execute(
                "INSERT OR IGNORE INTO checkpoints (instance_id, checkpoint_id, state, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![self.instance, id, state.to_string(), now],
            )
            .map_err(err)?;
        if inserted == 1 {
            Ok(None)
        } else {
            self.load(id)
        }
    }

    fn pending_signal(&mut self) -> Result<Option<Signal>, SdkError> {
        let text: Option<String> = self
            .db
            .query_row("SELECT signal FROM control WHERE instance_id = ?1", params![self.instance], |r| r.get(0))
            .optional()
            .map_err(err)?;
        Ok(Signal::pending(text.as_deref()))
    }

    fn receives_signals(&self) -> bool {
        true
    }

    fn custom_signal(&mut self, signal_id: &str) -> Result<Option<Value>, SdkError> {
        self.json("SELECT payload FROM signals WHERE instance_id = ?1 AND signal_id = ?2", signal_id)
    }
}

impl LocalStore {
    /// Sets the instance's control state: pause or cancel take effect at the next step
    /// boundary; resume clears a pause (rerun the instance to continue).
    pub fn send_control(&mut self, signal: Signal) -> Result<(), SdkError> {
        match signal {
            Signal::Resume => self
                .db
                .execute("DELETE FROM control WHERE instance_id = ?1 AND signal = 'pause'", params![self.instance]),
            Signal::Pause | Signal::Cancel => self.db.execute(
                "INSERT INTO control (instance_id, signal) VALUES (?1, ?2)
                 ON CONFLICT(instance_id) DO UPDATE SET signal = CASE WHEN signal = 'cancel' THEN 'cancel' ELSE excluded.signal END",
                params![self.instance, signal.as_str()],
            ),
        }
        .map_err(err)?;
        Ok(())
    }

    /// Delivers custom signal `signal_id` with `payload` to this instance (first delivery
    /// wins). Used by `runtara signal --state-dir`.
    pub fn send_signal(&mut self, signal_id: &str, payload: &Value) -> Result<(), SdkError> {
        self.db
            .execute(
                "INSERT OR IGNORE INTO signals (instance_id, signal_id, payload, created_at_ms) VALUES (?1, ?2, ?3, 0)",
                params![self.instance, signal_id, payload.to_string()],
            )
            .map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn survives_reopening_and_is_first_write_wins() {
        let dir = std::env::temp_dir().join(alloc::format!("runtara-local-{}", std::process::id()));
        let mut a = LocalStore::open(&dir, "i1").unwrap();
        assert_eq!(a.checkpoint("s", &json!({"x": 1})).unwrap(), None);
        drop(a);
        let mut b = LocalStore::open(&dir, "i1").unwrap();
        assert_eq!(b.load("s").unwrap(), Some(json!({"x": 1})));
        assert_eq!(b.checkpoint("s", &json!(2)).unwrap(), Some(json!({"x": 1})));
        let mut other = LocalStore::open(&dir, "i2").unwrap();
        assert_eq!(other.load("s").unwrap(), None);
        let _ = std::fs::remove_dir_all(dir);
    }
}
