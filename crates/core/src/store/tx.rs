//! Statements on instances, checkpoints, signals and events, run on one connection —
//! alone or in one transaction (see [`super::Store::transaction`]).

use anyhow::Context;
use runtara_protocol::{GraphChange, GraphIdentity, Signal};
use serde_json::Value;

use super::db::Conn;
use super::{now_ms, p, InstanceRow, Param, Rows, R};

/// A connection lent by [`super::Store`]: inside [`super::Store::transaction`] its
/// statements commit together, inside [`super::Store::session`] each on its own.
pub struct Tx<'c> {
    conn: &'c mut dyn Conn,
}

impl<'c> Tx<'c> {
    pub(super) fn new(conn: &'c mut dyn Conn) -> Self {
        Tx { conn }
    }

    /// Runs one statement of another crate's schema with text parameters (`$1…$n`, see the
    /// store's module docs) and returns its rows as text cells (`RETURNING` for what a
    /// write changed).
    pub fn query(&mut self, sql: &'static str, params: Vec<Param>) -> R<Rows> {
        Ok(self.conn.run(sql, params)?.0)
    }

    /// Whether this is PostgreSQL (several servers may share it; row locks exist).
    pub fn is_postgres(&self) -> bool {
        self.conn.is_postgres()
    }

    /// The first cell of the first row.
    pub(super) fn cell(&mut self, sql: &'static str, params: Vec<Param>) -> R<Option<String>> {
        Ok(self.query(sql, params)?.into_iter().next().and_then(|r| r.into_iter().next().flatten()))
    }

    pub(super) fn exec(&mut self, sql: &'static str, params: Vec<Param>) -> R<()> {
        self.conn.run(sql, params).map(|_| ())
    }

    /// Records the graph an instance runs: the first register records it; a later one with
    /// another graph is refused with what changed, unless `migrate` (which records the new
    /// one). `Ok(Err(change))` is the refusal.
    pub fn register_graph(
        &mut self,
        tenant: &str,
        id: &str,
        graph: &GraphIdentity,
        migrate: bool,
    ) -> R<Result<(), GraphChange>> {
        let rows = self.query(
            "SELECT identity FROM instance_graphs WHERE tenant = $1 AND instance = $2",
            vec![p(tenant), p(id)],
        )?;
        let recorded: Option<GraphIdentity> =
            rows.into_iter().next().and_then(|mut r| r.remove(0)).and_then(|t| serde_json::from_str(&t).ok());
        if let Some(change) = recorded.as_ref().and_then(|r| graph.changes_from(r)).filter(|_| !migrate) {
            return Ok(Err(change));
        }
        self.exec(
            "INSERT INTO instance_graphs (tenant, instance, identity) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, instance) DO UPDATE SET identity = excluded.identity",
            vec![p(tenant), p(id), Some(serde_json::to_string(graph)?)],
        )?;
        Ok(Ok(()))
    }

    /// Sets the fencing epoch of an instance's current run: from now on only writes carrying
    /// it are accepted (see [`Store::fenced_out`]).
    pub fn fence(&mut self, tenant: &str, id: &str, epoch: &str) -> R<()> {
        self.exec(
            "INSERT INTO fences (tenant, instance, epoch) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, instance) DO UPDATE SET epoch = excluded.epoch",
            vec![p(tenant), p(id), p(epoch)],
        )
    }

    /// Whether a write carrying `epoch` must be refused: the instance is fenced at another
    /// epoch. Writes without an epoch (`runtara run --core`) and unfenced instances pass.
    /// On PostgreSQL the fence row stays share-locked until this transaction ends, so a
    /// claim (which moves the fence) waits for the write instead of racing it.
    pub fn fenced_out(&mut self, tenant: &str, id: &str, epoch: Option<&str>) -> R<bool> {
        let Some(epoch) = epoch else { return Ok(false) };
        let sql = if self.conn.is_postgres() {
            "SELECT epoch FROM fences WHERE tenant = $1 AND instance = $2 FOR SHARE"
        } else {
            "SELECT epoch FROM fences WHERE tenant = $1 AND instance = $2"
        };
        let current = self.cell(sql, vec![p(tenant), p(id)])?;
        Ok(current.is_some_and(|c| c != epoch))
    }

    /// Locks the instance's fence row until this transaction ends, unless another
    /// transaction holds it (a fenced write in flight, another server's claim): then
    /// `false` at once, and the caller gives up (PostgreSQL; SQLite runs one write
    /// transaction at a time anyway). A claim takes it first, so claims and fenced writes
    /// lock rows in one order — fence, instance, run — and never deadlock.
    pub fn lock_fence(&mut self, tenant: &str, id: &str) -> R<bool> {
        if !self.conn.is_postgres() {
            return Ok(true);
        }
        let sql = "SELECT epoch FROM fences WHERE tenant = $1 AND instance = $2 FOR UPDATE NOWAIT";
        match self.exec(sql, vec![p(tenant), p(id)]) {
            Ok(()) => Ok(true),
            Err(e) if is_lock_not_available(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Marks an instance running (creating it). Like every status write, it leaves a
    /// terminal instance (completed, failed, cancelled, crashed) as it is: terminal states
    /// are final.
    pub fn register(&mut self, tenant: &str, id: &str) -> R<()> {
        self.exec(
            "INSERT INTO instances (tenant, id, status) VALUES ($1, $2, 'running')
             ON CONFLICT (tenant, id) DO UPDATE SET status = 'running', wake_at = NULL
             WHERE instances.status NOT IN ('completed', 'failed', 'cancelled', 'crashed')",
            vec![p(tenant), p(id)],
        )
    }

    /// Sets the final status with its output or error JSON (once: see [`Store::register`]).
    pub fn finish(
        &mut self,
        tenant: &str,
        id: &str,
        status: &str,
        output: Option<&Value>,
        error: Option<&Value>,
    ) -> R<()> {
        self.exec(
            "INSERT INTO instances (tenant, id, status, output, error) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant, id) DO UPDATE SET status = excluded.status, output = excluded.output,
                 error = excluded.error, wake_at = NULL
             WHERE instances.status NOT IN ('completed', 'failed', 'cancelled', 'crashed')",
            vec![p(tenant), p(id), p(status), output.map(Value::to_string), error.map(Value::to_string)],
        )?;
        // The first terminal write dates the instance for retention.
        self.exec(
            "INSERT INTO finished (tenant, instance, at) SELECT $1, $2, $3 WHERE EXISTS
                 (SELECT 1 FROM instances WHERE tenant = $1 AND id = $2
                  AND status IN ('completed', 'failed', 'cancelled', 'crashed'))
             ON CONFLICT (tenant, instance) DO NOTHING",
            vec![p(tenant), p(id), Some(now_ms().to_string())],
        )
    }

    /// Sets an instance's status, keeping its output, error and `wake_at` (creating it).
    pub fn set_status(&mut self, tenant: &str, id: &str, status: &str) -> R<()> {
        self.exec(
            "INSERT INTO instances (tenant, id, status) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, id) DO UPDATE SET status = excluded.status
             WHERE instances.status NOT IN ('completed', 'failed', 'cancelled', 'crashed')",
            vec![p(tenant), p(id), p(status)],
        )
    }

    /// Records that an instance sleeps until `wake_at` (ms since the epoch, as text).
    pub fn sleep(&mut self, tenant: &str, id: &str, wake_at: &str) -> R<()> {
        self.exec(
            "INSERT INTO instances (tenant, id, status, wake_at) VALUES ($1, $2, 'sleeping', $3)
             ON CONFLICT (tenant, id) DO UPDATE SET status = 'sleeping', wake_at = excluded.wake_at
             WHERE instances.status NOT IN ('completed', 'failed', 'cancelled', 'crashed')",
            vec![p(tenant), p(id), p(wake_at)],
        )
    }

    /// `(status, output, error)` of an instance.
    pub fn instance(&mut self, tenant: &str, id: &str) -> R<Option<InstanceRow>> {
        let rows = self.query(
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
    pub fn wake_at(&mut self, tenant: &str, id: &str) -> R<Option<String>> {
        self.cell("SELECT wake_at FROM instances WHERE tenant = $1 AND id = $2", vec![p(tenant), p(id)])
    }

    /// `(id, status)` of a tenant's instances, by id.
    /// At most `limit` of them, with ids after `after` (keyset pagination).
    pub fn instances(&mut self, tenant: &str, after: &str, limit: usize) -> R<Vec<(String, String)>> {
        let rows = self.query(
            "SELECT id, status FROM instances WHERE tenant = $1 AND id > $2 ORDER BY id
             LIMIT CAST(CAST($3 AS TEXT) AS BIGINT)",
            vec![p(tenant), p(after), Some(limit.to_string())],
        )?;
        Ok(rows.into_iter().map(|mut r| (r.remove(0).unwrap_or_default(), r.remove(0).unwrap_or_default())).collect())
    }

    /// Checkpoint ids of an instance in write order.
    pub fn checkpoint_ids(&mut self, tenant: &str, id: &str) -> R<Vec<String>> {
        let rows = self.query(
            "SELECT checkpoint_id FROM checkpoints WHERE tenant = $1 AND instance = $2 ORDER BY seq",
            vec![p(tenant), p(id)],
        )?;
        Ok(rows.into_iter().filter_map(|mut r| r.remove(0)).collect())
    }

    /// A stored checkpoint.
    pub fn load(&mut self, tenant: &str, id: &str, cid: &str) -> R<Option<String>> {
        self.cell(
            "SELECT state FROM checkpoints WHERE tenant = $1 AND instance = $2 AND checkpoint_id = $3",
            vec![p(tenant), p(id), p(cid)],
        )
    }

    /// Stores a checkpoint unless present; returns `(stored, state now stored)`.
    pub fn checkpoint(&mut self, tenant: &str, id: &str, cid: &str, state: &str) -> R<(bool, String)> {
        self.exec(
            "INSERT INTO checkpoints (tenant, instance, checkpoint_id, state, seq)
             VALUES ($1, $2, $3, $4, (SELECT COALESCE(MAX(seq), 0) + 1 FROM checkpoints))
             ON CONFLICT (tenant, instance, checkpoint_id) DO NOTHING",
            vec![p(tenant), p(id), p(cid), p(state)],
        )?;
        let now = self.load(tenant, id, cid)?.context("a checkpoint vanished right after it was written")?;
        Ok((now == state, now))
    }

    /// The pending control signal (`pause` / `cancel`).
    pub fn control(&mut self, tenant: &str, id: &str) -> R<Option<String>> {
        self.cell("SELECT signal FROM control WHERE tenant = $1 AND instance = $2", vec![p(tenant), p(id)])
    }

    /// Pause or cancel (cancel sticks), or resume (clears a pause).
    pub fn set_control(&mut self, tenant: &str, id: &str, signal: &str) -> R<()> {
        if signal == Signal::Resume.as_str() {
            return self.exec(
                "DELETE FROM control WHERE tenant = $1 AND instance = $2 AND signal = 'pause'",
                vec![p(tenant), p(id)],
            );
        }
        self.exec(
            "INSERT INTO control (tenant, instance, signal) VALUES ($1, $2, $3)
             ON CONFLICT (tenant, instance) DO UPDATE SET signal =
                 CASE WHEN control.signal = 'cancel' THEN 'cancel' ELSE excluded.signal END",
            vec![p(tenant), p(id), p(signal)],
        )
    }

    /// Delivers a custom signal (first delivery wins).
    pub fn send_custom(&mut self, tenant: &str, id: &str, signal_id: &str, payload: &str) -> R<()> {
        self.exec(
            "INSERT INTO signals (tenant, instance, signal_id, payload) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant, instance, signal_id) DO NOTHING",
            vec![p(tenant), p(id), p(signal_id), p(payload)],
        )
    }

    /// A delivered custom signal's payload.
    pub fn custom(&mut self, tenant: &str, id: &str, signal_id: &str) -> R<Option<String>> {
        self.cell(
            "SELECT payload FROM signals WHERE tenant = $1 AND instance = $2 AND signal_id = $3",
            vec![p(tenant), p(id), p(signal_id)],
        )
    }

    /// Consumes a delivered custom signal (it is no longer pending).
    pub fn ack_custom(&mut self, tenant: &str, id: &str, signal_id: &str) -> R<()> {
        self.exec(
            "DELETE FROM signals WHERE tenant = $1 AND instance = $2 AND signal_id = $3",
            vec![p(tenant), p(id), p(signal_id)],
        )
    }

    /// Appends events (JSON text) to an instance's log — unless `batch` (an idempotency key)
    /// was appended before.
    pub fn add_events(&mut self, tenant: &str, id: &str, events: &[String], batch: Option<&str>) -> R<()> {
        if let Some(batch) = batch {
            let fresh = self.query(
                "INSERT INTO event_batches (tenant, instance, batch) VALUES ($1, $2, $3)
                 ON CONFLICT (tenant, instance, batch) DO NOTHING RETURNING batch",
                vec![p(tenant), p(id), p(batch)],
            )?;
            if fresh.is_empty() {
                return Ok(());
            }
        }
        for e in events {
            self.exec(
                "INSERT INTO events (tenant, instance, seq, event)
                 VALUES ($1, $2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE tenant = $1 AND instance = $2), $3)",
                vec![p(tenant), p(id), p(e)],
            )?;
        }
        Ok(())
    }

    /// An instance's events in order, as JSON text.
    pub fn events(&mut self, tenant: &str, id: &str) -> R<Vec<String>> {
        let rows = self.query(
            "SELECT event FROM events WHERE tenant = $1 AND instance = $2 ORDER BY seq",
            vec![p(tenant), p(id)],
        )?;
        Ok(rows.into_iter().filter_map(|mut r| r.remove(0)).collect())
    }
}

/// Whether PostgreSQL refused a `NOWAIT` lock because another transaction holds the row.
fn is_lock_not_available(e: &anyhow::Error) -> bool {
    e.downcast_ref::<postgres::Error>().and_then(postgres::Error::code)
        == Some(&postgres::error::SqlState::LOCK_NOT_AVAILABLE)
}
