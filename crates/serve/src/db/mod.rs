//! runtara serve's own tables, next to the state service's (same database, same rules:
//! text columns, statements both SQLite and PostgreSQL accept, and `$n` placeholders
//! numbered in order of first appearance — SQLite binds them by position of appearance).
//!
//! - `workflows`: one row per deployed version: `(tenant, workflow_id, version)` → the
//!   artifact's sha256, where it came from (`graph` / `component`), the deployment's
//!   limits (JSON), when, and whether it was deleted;
//! - `artifacts`: every deployed component by sha256 (base64 text), so every server that
//!   shares the database can run it (each keeps a copy in its data directory);
//! - `graphs`: the JSON of each version deployed as a graph and the identity its artifact
//!   registers (`GraphIdentity` JSON): other workflows call it as a workflow agent (compiled
//!   into them at their deployment), and instances migrate between versions by them;
//! - `runs`: what the server needs to (re)launch an instance: its workflow version, input,
//!   failed attempts so far, the earliest next launch (`run_after`, ms), whether a drain
//!   paused it, and its claim: the fencing `epoch` (one more at every claim), the `owner`
//!   process and its `lease_until` (ms), which the owner renews; a run whose lease expired
//!   may be claimed by any server. Its status lives in the state service's `instances`.

use anyhow::Context;
use runtara_core::{Store, Tx};

mod deployments;

type R<T> = anyhow::Result<T>;

const MIGRATIONS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS workflows (tenant TEXT NOT NULL, workflow_id TEXT NOT NULL, version TEXT NOT NULL,
         artifact TEXT NOT NULL, source TEXT NOT NULL, settings TEXT NOT NULL, created TEXT NOT NULL, deleted TEXT,
         PRIMARY KEY (tenant, workflow_id, version))",
    "CREATE TABLE IF NOT EXISTS artifacts (sha256 TEXT NOT NULL PRIMARY KEY, wasm TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS graphs (tenant TEXT NOT NULL, workflow_id TEXT NOT NULL, version TEXT NOT NULL,
         graph TEXT NOT NULL, identity TEXT NOT NULL, PRIMARY KEY (tenant, workflow_id, version))",
    // Instances started in debug mode (breakpoints pause them).
    "CREATE TABLE IF NOT EXISTS debug_runs (tenant TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (tenant, id))",
    "CREATE TABLE IF NOT EXISTS runs (tenant TEXT NOT NULL, id TEXT NOT NULL, workflow_id TEXT NOT NULL,
         version TEXT NOT NULL, input TEXT NOT NULL, attempts TEXT NOT NULL, run_after TEXT NOT NULL,
         drained TEXT NOT NULL, epoch TEXT NOT NULL, owner TEXT, lease_until TEXT, PRIMARY KEY (tenant, id))",
];

/// What the scheduler needs to decide about a parked instance.
#[derive(Debug, Clone)]
pub struct Parked {
    pub tenant: String,
    pub id: String,
    /// `pending`, `sleeping`, `waiting` or `suspended`.
    pub status: String,
    /// ms since the epoch: a sleeper's deadline or a waiter's timeout.
    pub wake_at: Option<u64>,
    /// ms since the epoch: no launch before (backoff after a crash).
    pub run_after: u64,
    /// The pending control signal (`pause` / `cancel`).
    pub control: Option<String>,
    /// Whether a custom signal is waiting to be read.
    pub has_signal: bool,
    /// The fencing epoch of its last claim.
    pub epoch: u64,
}

/// A run to launch.
#[derive(Debug, Clone)]
pub struct Run {
    pub tenant: String,
    pub id: String,
    pub workflow_id: String,
    pub version: u32,
    pub input: String,
    pub attempts: u32,
    /// Started in debug mode: breakpoints pause it.
    pub debug: bool,
}

/// Now in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn p(s: impl ToString) -> Option<String> {
    Some(s.to_string())
}

fn num<T: std::str::FromStr>(cell: &Option<String>) -> Option<T> {
    cell.as_deref().and_then(|c| c.trim().parse().ok())
}

/// The server's statements over the shared [`Store`].
#[derive(Clone)]
pub struct Db {
    pub store: Store,
}

impl Db {
    /// Creates the tables. Errors: the database refuses a migration.
    pub fn open(store: Store) -> R<Db> {
        store.migrate(MIGRATIONS)?;
        Ok(Db { store })
    }

    /// Creates instance `id` (status `pending`) unless it exists. Returns the run that
    /// exists afterwards: `(workflow_id, version, created now)`.
    pub fn start(
        &self,
        tenant: &str,
        id: &str,
        workflow_id: &str,
        version: u32,
        input: &str,
        debug: bool,
    ) -> R<(String, u32, bool)> {
        self.store.transaction(|tx| {
            let created = tx.query(
                "INSERT INTO runs (tenant, id, workflow_id, version, input, attempts, run_after, drained, epoch)
                 VALUES ($1, $2, $3, $4, $5, '0', '0', '0', '0') ON CONFLICT (tenant, id) DO NOTHING RETURNING id",
                vec![p(tenant), p(id), p(workflow_id), p(version), p(input)],
            )?;
            if !created.is_empty() {
                if debug {
                    tx.query(
                        "INSERT INTO debug_runs (tenant, id) VALUES ($1, $2) ON CONFLICT (tenant, id) DO NOTHING RETURNING id",
                        vec![p(tenant), p(id)],
                    )?;
                }
                tx.query(
                    "INSERT INTO instances (tenant, id, status) VALUES ($1, $2, 'pending')
                     ON CONFLICT (tenant, id) DO NOTHING RETURNING id",
                    vec![p(tenant), p(id)],
                )?;
                return Ok((workflow_id.to_string(), version, true));
            }
            let row = tx
                .query("SELECT workflow_id, version FROM runs WHERE tenant = $1 AND id = $2", vec![p(tenant), p(id)])?;
            let r = row.into_iter().next().context("a run vanished right after it was found")?;
            Ok((r[0].clone().unwrap_or_default(), num(&r[1]).unwrap_or(0), false))
        })
    }

    /// Instances of this server that need the scheduler now (at most `limit`, earliest due
    /// first): pending ones past their backoff, sleepers past their deadline, waiters with a
    /// signal or past their timeout, resumed ones, and parked ones with a pending pause or
    /// cancel — unless a live claim holds them (a Delay under `--yield-after-ms` sleeps in
    /// its worker with status `sleeping`; its owner carries on at the deadline) — plus
    /// running ones whose owner's lease expired. `now` is ms since the epoch.
    pub fn due(&self, now: u64, limit: usize) -> R<Vec<Parked>> {
        // Times are text (the schema's rule); CAST compares them as numbers on both
        // databases (`CAST($n AS TEXT)` first, so PostgreSQL takes the parameter as text).
        let rows = self.store.query(
            "SELECT r.tenant, r.id, i.status, i.wake_at, r.run_after,
                 (SELECT c.signal FROM control c WHERE c.tenant = r.tenant AND c.instance = r.id),
                 (SELECT MIN(s.signal_id) FROM signals s WHERE s.tenant = r.tenant AND s.instance = r.id), r.epoch
             FROM runs r JOIN instances i ON i.tenant = r.tenant AND i.id = r.id
             WHERE (i.status = 'running' AND CAST(r.lease_until AS BIGINT) < CAST(CAST($1 AS TEXT) AS BIGINT))
             OR i.status IN ('pending', 'sleeping', 'waiting', 'suspended')
             AND (r.owner IS NULL OR CAST(r.lease_until AS BIGINT) < CAST(CAST($1 AS TEXT) AS BIGINT)) AND (
                 EXISTS (SELECT 1 FROM control c WHERE c.tenant = r.tenant AND c.instance = r.id)
                 OR (i.status = 'pending' AND CAST(r.run_after AS BIGINT) <= CAST(CAST($1 AS TEXT) AS BIGINT))
                 OR (i.status IN ('sleeping', 'waiting') AND CAST(i.wake_at AS BIGINT) <= CAST(CAST($1 AS TEXT) AS BIGINT))
                 OR (i.status = 'sleeping' AND i.wake_at IS NULL)
                 OR (i.status = 'waiting' AND EXISTS (SELECT 1 FROM signals s WHERE s.tenant = r.tenant AND s.instance = r.id))
                 OR (i.status = 'suspended' AND NOT EXISTS (SELECT 1 FROM control c WHERE c.tenant = r.tenant AND c.instance = r.id)))
             ORDER BY CAST(COALESCE(i.wake_at, r.run_after) AS BIGINT)
             LIMIT CAST(CAST($2 AS TEXT) AS BIGINT)",
            vec![p(now), p(limit)],
        )?;
        Ok(rows
            .into_iter()
            .map(|r| Parked {
                tenant: r[0].clone().unwrap_or_default(),
                id: r[1].clone().unwrap_or_default(),
                status: r[2].clone().unwrap_or_default(),
                wake_at: num(&r[3]),
                run_after: num(&r[4]).unwrap_or(0),
                control: r[5].clone(),
                has_signal: r[6].is_some(),
                epoch: num(&r[7]).unwrap_or(0),
            })
            .collect())
    }

    /// Claims an instance the scheduler found due in `status` with its run at `epoch`, for
    /// `owner` until `lease_until` (ms), in one transaction: a parked instance moves to
    /// `running` (only one server wins that), the run's epoch becomes `epoch + 1` and the
    /// state service fences the instance at it. `None` (nothing changed) when another
    /// server got there first (PostgreSQL: or holds the run's row now — `SKIP LOCKED`).
    pub fn claim(
        &self,
        tenant: &str,
        id: &str,
        status: &str,
        epoch: u64,
        owner: &str,
        lease_until: u64,
    ) -> R<Option<u64>> {
        let next = epoch + 1;
        let claimed = self.store.transaction(|tx| {
            if !tx.lock_fence(tenant, id)? {
                return Err(ClaimLost.into());
            }
            if status != "running" && !transition(tx, tenant, id, status, "running")? {
                return Err(ClaimLost.into());
            }
            let params = vec![p(next), p(owner), p(lease_until), p(tenant), p(id), p(epoch)];
            let sql = if tx.is_postgres() {
                "UPDATE runs SET epoch = $1, owner = $2, lease_until = $3
                 WHERE tenant = $4 AND id = $5 AND epoch = $6 AND (tenant, id) IN
                     (SELECT tenant, id FROM runs WHERE tenant = $4 AND id = $5 FOR UPDATE SKIP LOCKED)
                 RETURNING epoch"
            } else {
                "UPDATE runs SET epoch = $1, owner = $2, lease_until = $3
                 WHERE tenant = $4 AND id = $5 AND epoch = $6 RETURNING epoch"
            };
            if tx.query(sql, params)?.is_empty() {
                // Rolls the move to `running` back with it.
                return Err(ClaimLost.into());
            }
            tx.fence(tenant, id, &next.to_string())
        });
        match claimed {
            Ok(()) => Ok(Some(next)),
            Err(e) if e.is::<ClaimLost>() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Renews the lease of a run `owner` is running (a run it no longer runs — its launch
    /// ended without releasing the claim — is not renewed, so its lease runs out).
    pub fn renew(&self, tenant: &str, id: &str, owner: &str, lease_until: u64) -> R<()> {
        self.store.query(
            "UPDATE runs SET lease_until = $1 WHERE tenant = $2 AND id = $3 AND owner = $4 RETURNING id",
            vec![p(lease_until), p(tenant), p(id), p(owner)],
        )?;
        Ok(())
    }

    /// Gives up the claim at `epoch` (the launch ended): no lease to renew any more.
    pub fn release(&self, tenant: &str, id: &str, epoch: u64) -> R<()> {
        self.store.query(
            "UPDATE runs SET owner = NULL WHERE tenant = $1 AND id = $2 AND epoch = $3 RETURNING id",
            vec![p(tenant), p(id), p(epoch)],
        )?;
        Ok(())
    }

    /// Moves an instance from `from` to `to` if it is still in `from` (see [`transition`]).
    pub fn transition(&self, tenant: &str, id: &str, from: &str, to: &str) -> R<bool> {
        self.store.session(|tx| transition(tx, tenant, id, from, to))
    }

    /// The tenant's instances with their workflow, version and status, in id order, at
    /// most `limit`: `(id, workflow id, version, status)` (the console's list).
    pub fn runs(&self, tenant: &str, limit: usize) -> R<Vec<(String, String, u32, String)>> {
        let rows = self.store.query(
            "SELECT r.id, r.workflow_id, r.version, i.status FROM runs r
             LEFT JOIN instances i ON i.tenant = r.tenant AND i.id = r.id
             WHERE r.tenant = $1 ORDER BY r.id LIMIT CAST(CAST($2 AS TEXT) AS BIGINT)",
            vec![p(tenant), p(limit)],
        )?;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        Ok(rows.iter().map(|r| (text(&r[0]), text(&r[1]), num(&r[2]).unwrap_or(0), text(&r[3]))).collect())
    }

    /// The run of an instance of this server.
    pub fn run(&self, tenant: &str, id: &str) -> R<Option<Run>> {
        let rows = self.store.query(
            "SELECT workflow_id, version, input, attempts,
                 (SELECT d.id FROM debug_runs d WHERE d.tenant = runs.tenant AND d.id = runs.id)
             FROM runs WHERE tenant = $1 AND id = $2",
            vec![p(tenant), p(id)],
        )?;
        Ok(rows.into_iter().next().map(|r| Run {
            tenant: tenant.to_string(),
            id: id.to_string(),
            workflow_id: r[0].clone().unwrap_or_default(),
            version: num(&r[1]).unwrap_or(0),
            input: r[2].clone().unwrap_or_default(),
            attempts: num(&r[3]).unwrap_or(0),
            debug: r[4].is_some(),
        }))
    }

    /// On start: instances a drain paused get their pause lifted, and — on SQLite, where
    /// one process owns the database — the claims of a process that died are released:
    /// instances it left `running` are pending again, and those sleeping in its workers are
    /// due at their deadline, not when its lease runs out (on PostgreSQL other servers may
    /// be running them: their leases decide). Returns how many were recovered.
    pub fn recover(&self) -> R<usize> {
        let orphans = if self.store.is_postgres() {
            Vec::new()
        } else {
            self.store.transaction(|tx| {
                let held = tx.query(
                    "UPDATE runs SET owner = NULL WHERE owner IS NOT NULL AND EXISTS (SELECT 1 FROM instances i
                         WHERE i.tenant = runs.tenant AND i.id = runs.id AND i.status IN ('running', 'sleeping', 'waiting'))
                     RETURNING id",
                    vec![],
                )?;
                tx.query(
                    "UPDATE instances SET status = 'pending'
                     WHERE status = 'running' AND EXISTS (SELECT 1 FROM runs r WHERE r.tenant = instances.tenant AND r.id = instances.id)
                     RETURNING id",
                    vec![],
                )?;
                Ok(held)
            })?
        };
        let drained =
            self.store.query("UPDATE runs SET drained = '0' WHERE drained = '1' RETURNING tenant, id", vec![])?;
        for r in &drained {
            let (tenant, id) = (r[0].clone().unwrap_or_default(), r[1].clone().unwrap_or_default());
            self.store.transaction(|tx| {
                tx.set_control(&tenant, &id, runtara_protocol::Signal::Resume.as_str())?;
                transition(tx, &tenant, &id, "suspended", "pending").map(|_| ())
            })?;
        }
        Ok(orphans.len() + drained.len())
    }

    /// Removes finished instances older than `cutoff_ms` (state service) and their runs.
    pub fn purge(&self, cutoff_ms: u64) -> R<usize> {
        let n = self.store.purge(cutoff_ms)?;
        if n > 0 {
            self.store.query(
                "DELETE FROM runs WHERE NOT EXISTS (SELECT 1 FROM instances i WHERE i.tenant = runs.tenant AND i.id = runs.id)
                 RETURNING id",
                vec![],
            )?;
            self.store.query(
                "DELETE FROM debug_runs WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.tenant = debug_runs.tenant AND r.id = debug_runs.id)
                 RETURNING id",
                vec![],
            )?;
        }
        Ok(n)
    }

    /// A drain pauses a running instance: it suspends at its next step boundary and is
    /// resumed when the server starts again.
    pub fn drain(&self, tenant: &str, id: &str) -> R<()> {
        self.store.transaction(|tx| {
            tx.query(
                "UPDATE runs SET drained = '1' WHERE tenant = $1 AND id = $2 RETURNING id",
                vec![p(tenant), p(id)],
            )?;
            tx.set_control(tenant, id, runtara_protocol::Signal::Pause.as_str())
        })
    }
}

/// The answer inside [`Db::claim`]'s transaction when another server won: rolls it back.
#[derive(Debug)]
struct ClaimLost;

impl std::fmt::Display for ClaimLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("another server claimed the instance first")
    }
}

impl std::error::Error for ClaimLost {}

/// Moves an instance from `from` to `to` if it is still in `from`; true when it moved (only
/// one caller wins).
pub fn transition(tx: &mut Tx, tenant: &str, id: &str, from: &str, to: &str) -> R<bool> {
    let rows = tx.query(
        "UPDATE instances SET status = $1 WHERE tenant = $2 AND id = $3 AND status = $4 RETURNING id",
        vec![p(to), p(tenant), p(id), p(from)],
    )?;
    Ok(!rows.is_empty())
}

/// After a crash: `attempts` so far, no launch before `run_after` (ms), status pending.
pub fn retry_later(tx: &mut Tx, tenant: &str, id: &str, attempts: u32, run_after: u64) -> R<()> {
    tx.query(
        "UPDATE runs SET attempts = $1, run_after = $2 WHERE tenant = $3 AND id = $4 RETURNING id",
        vec![p(attempts), p(run_after), p(tenant), p(id)],
    )?;
    tx.set_status(tenant, id, "pending")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sleeper is due at its deadline only when no live claim holds it: not while its
    /// owner sleeps in a worker, but once the run released its claim or the lease expired.
    #[test]
    fn a_claimed_sleeper_is_due_only_once_released_or_its_lease_expired() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite:{}", dir.path().join("db.sqlite3").display())).unwrap();
        let db = Db::open(store).unwrap();
        let (t, id) = ("default", "nap");
        db.start(t, id, "wf", 1, "{}", false).unwrap();
        let now = now_ms();
        let due = |at: u64| db.due(at, 10).unwrap().into_iter().map(|p| p.status).collect::<Vec<_>>();
        assert_eq!(due(now), ["pending"]);

        let epoch = db.claim(t, id, "pending", 0, "srv_a", now + 60_000).unwrap().expect("claimed");
        db.store.transaction(|tx| tx.sleep(t, id, &(now - 1).to_string())).unwrap();
        assert!(due(now).is_empty(), "its owner sleeps in a worker");
        db.store.transaction(|tx| tx.set_control(t, id, "cancel")).unwrap();
        assert!(due(now).is_empty(), "its owner's run sees the cancel");
        assert_eq!(due(now + 60_001), ["sleeping"], "the owner's lease expired");

        db.release(t, id, epoch).unwrap();
        assert_eq!(due(now), ["sleeping"], "the run ended, leaving it to the scheduler");
    }

    /// On SQLite a restart releases what the dead process held: its sleeper is due at the
    /// deadline, its running instance pending again, its finished one left alone.
    #[test]
    fn a_restart_on_sqlite_releases_the_claims_of_the_dead_process() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&format!("sqlite:{}", dir.path().join("db.sqlite3").display())).unwrap();
        let db = Db::open(store).unwrap();
        let now = now_ms();
        for id in ["nap", "busy", "done"] {
            db.start("default", id, "wf", 1, "{}", false).unwrap();
            db.claim("default", id, "pending", 0, "srv_dead", now + 60_000).unwrap().expect("claimed");
        }
        db.store.transaction(|tx| tx.sleep("default", "nap", &(now - 1).to_string())).unwrap();
        db.store
            .transaction(|tx| tx.finish("default", "done", "completed", Some(&serde_json::json!({})), None))
            .unwrap();
        assert!(db.due(now, 10).unwrap().is_empty(), "all three are claimed");

        assert_eq!(db.recover().unwrap(), 2);
        let mut due: Vec<_> = db.due(now, 10).unwrap().into_iter().map(|p| (p.id, p.status)).collect();
        due.sort();
        assert_eq!(due, [("busy".to_string(), "pending".to_string()), ("nap".to_string(), "sleeping".to_string())]);
    }
}
