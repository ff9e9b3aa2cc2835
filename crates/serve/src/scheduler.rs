//! The scheduler: one thread that looks at the parked instances every [`TICK`] (or when
//! woken), decides what each needs, claims the ones to launch (`status → running`, a
//! compare-and-set) and hands them to the worker threads; and the drain on shutdown.

use std::collections::HashSet;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::db::{now_ms, Parked};
use crate::Server;

/// How often the parked instances are looked at: bounds how late a wake-up can be.
const TICK: Duration = Duration::from_millis(20);

/// An instance to run: `(tenant, id)`.
pub type Job = (String, String);

/// A claimed launch: the instance and the fencing epoch of the claim.
type Claimed = (String, String, u64);

/// What a parked instance needs now.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Launch,
    Cancel,
    Suspend,
    Nothing,
}

/// Decides for one parked instance at `now` (ms).
fn decide(p: &Parked, now: u64) -> Action {
    let due = |at: Option<u64>| at.is_some_and(|t| t <= now);
    match (p.control.as_deref(), p.status.as_str()) {
        (Some("cancel"), _) => Action::Cancel,
        (Some("pause"), "suspended") => Action::Nothing,
        (Some("pause"), _) => Action::Suspend,
        (_, "pending") if p.run_after <= now => Action::Launch,
        (_, "sleeping") if p.wake_at.is_none() || due(p.wake_at) => Action::Launch,
        (_, "waiting") if p.has_signal || due(p.wake_at) => Action::Launch,
        (_, "suspended") => Action::Launch,
        // Listed only once its owner's lease expired: the owner is gone, take it over.
        (_, "running") => Action::Launch,
        _ => Action::Nothing,
    }
}

#[derive(Default)]
struct State {
    in_flight: HashSet<Job>,
    draining: bool,
}

/// The scheduler's shared state: what runs now, and the signal that wakes the loop.
pub struct Scheduler {
    workers: usize,
    state: Mutex<State>,
    changed: Condvar,
}

impl Scheduler {
    /// A scheduler for `workers` concurrent instances (at least one).
    pub fn new(workers: usize) -> Self {
        Scheduler { workers: workers.max(1), state: Mutex::default(), changed: Condvar::new() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Looks at the parked instances now instead of at the next tick (a start, a signal).
    pub fn wake(&self) {
        self.changed.notify_all();
    }

    /// A worker finished `job`.
    fn done(&self, job: &Job) {
        self.lock().in_flight.remove(job);
        self.changed.notify_all();
    }
}

/// Starts the scheduler thread and the workers.
pub fn start(server: &Arc<Server>) -> anyhow::Result<()> {
    let (tx, rx) = mpsc::channel::<Claimed>();
    let rx = Arc::new(Mutex::new(rx));
    for n in 0..server.scheduler.workers {
        let (server, rx) = (server.clone(), rx.clone());
        std::thread::Builder::new().name(format!("runtara-worker-{n}")).spawn(move || loop {
            let (tenant, id, epoch) = match rx.lock().unwrap_or_else(|e| e.into_inner()).recv() {
                Ok(job) => job,
                Err(_) => return,
            };
            crate::worker::execute(&server, &tenant, &id, epoch);
            server.scheduler.done(&(tenant, id));
        })?;
    }
    let server = server.clone();
    std::thread::Builder::new().name("runtara-scheduler".into()).spawn(move || run(&server, tx))?;
    Ok(())
}

fn run(server: &Server, jobs: mpsc::Sender<Claimed>) {
    let s = &server.scheduler;
    let mut renewed = Instant::now();
    let mut purged = Instant::now();
    loop {
        // Retention: finished instances older than `--retain`, looked for at most every
        // minute (and twice per retention period).
        if let Some(retain) = server.config.retain.filter(|r| purged.elapsed() >= (*r / 2).min(Duration::from_secs(60)))
        {
            purged = Instant::now();
            match server.db.purge(now_ms().saturating_sub(retain.as_millis() as u64)) {
                Ok(0) => {}
                Ok(n) => eprintln!("runtara serve: removed {n} finished instance(s) older than {retain:?}"),
                Err(e) => eprintln!("runtara serve: retention: {e:#}"),
            }
        }
        // The leases of the runs in flight, renewed three times per lease period.
        if renewed.elapsed() >= server.config.lease / 3 {
            renewed = Instant::now();
            let until = now_ms() + server.config.lease.as_millis() as u64;
            let running: Vec<Job> = s.lock().in_flight.iter().cloned().collect();
            for (tenant, id) in running {
                if let Err(e) = server.db.renew(&tenant, &id, &server.owner, until) {
                    eprintln!("runtara serve: cannot renew the lease of {id}: {e:#}");
                }
            }
        }
        {
            let state = s.lock();
            let (state, _) = s.changed.wait_timeout(state, TICK).unwrap_or_else(|e| e.into_inner());
            if state.draining {
                return;
            }
            if state.in_flight.len() >= s.workers {
                continue;
            }
        }
        if let Err(e) = tick(server, &jobs) {
            eprintln!("runtara serve: scheduler: {e:#}");
            std::thread::sleep(TICK * 10);
        }
    }
}

/// One look at the due instances: cancels, suspends, and launches as many as there are
/// free workers, earliest due first.
fn tick(server: &Server, jobs: &mpsc::Sender<Claimed>) -> anyhow::Result<()> {
    let s = &server.scheduler;
    let now = now_ms();
    let (busy, draining) = {
        let state = s.lock();
        (state.in_flight.len(), state.draining)
    };
    if draining {
        return Ok(());
    }
    // Room for every free worker, plus some for pauses and cancels (which take none).
    let limit = s.workers.saturating_sub(busy) + 32;
    for p in server.db.due(now, limit)? {
        let job = (p.tenant.clone(), p.id.clone());
        if s.lock().in_flight.contains(&job) {
            continue;
        }
        match decide(&p, now) {
            Action::Cancel => server.db.store.transaction(|tx| tx.finish(&p.tenant, &p.id, "cancelled", None, None))?,
            Action::Suspend => {
                server.db.transition(&p.tenant, &p.id, &p.status, "suspended")?;
            }
            Action::Launch => {
                let mut state = s.lock();
                if state.draining || state.in_flight.len() >= s.workers {
                    return Ok(());
                }
                // A parked instance moves to running with its claim; a running one whose
                // lease expired is taken over by the claim alone.
                let lease_until = now + server.config.lease.as_millis() as u64;
                let claimed = server.db.claim(&p.tenant, &p.id, &p.status, p.epoch, &server.owner, lease_until)?;
                let Some(epoch) = claimed else { continue };
                state.in_flight.insert(job);
                if jobs.send((p.tenant.clone(), p.id.clone(), epoch)).is_err() {
                    return Ok(());
                }
            }
            Action::Nothing => {}
        }
    }
    Ok(())
}

/// Stops launching, pauses every running instance (each suspends at its next step
/// boundary; the next server start resumes it) and waits up to the grace period for them.
pub fn drain(server: &Server) {
    let s = &server.scheduler;
    let running: Vec<Job> = {
        let mut state = s.lock();
        state.draining = true;
        state.in_flight.iter().cloned().collect()
    };
    s.changed.notify_all();
    eprintln!("runtara serve: draining {} running instance(s) (grace {:?})", running.len(), server.config.grace);
    for (tenant, id) in &running {
        if let Err(e) = server.db.drain(tenant, id) {
            eprintln!("runtara serve: cannot pause {id} for the drain: {e:#}");
        }
    }
    let deadline = Instant::now() + server.config.grace;
    let mut state = s.lock();
    while !state.in_flight.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            eprintln!(
                "runtara serve: {} instance(s) still running after the grace period; they are relaunched on the next start",
                state.in_flight.len()
            );
            return;
        }
        state = s.changed.wait_timeout(state, left).unwrap_or_else(|e| e.into_inner()).0;
    }
    eprintln!("runtara serve: drained");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parked(status: &str, control: Option<&str>) -> Parked {
        Parked {
            tenant: "t".into(),
            id: "i".into(),
            status: status.into(),
            wake_at: None,
            run_after: 0,
            control: control.map(String::from),
            has_signal: false,
            epoch: 0,
        }
    }

    #[test]
    fn decisions() {
        assert_eq!(decide(&parked("pending", None), 5), Action::Launch);
        assert_eq!(decide(&Parked { run_after: 10, ..parked("pending", None) }, 5), Action::Nothing);
        assert_eq!(decide(&Parked { wake_at: Some(10), ..parked("sleeping", None) }, 5), Action::Nothing);
        assert_eq!(decide(&Parked { wake_at: Some(5), ..parked("sleeping", None) }, 5), Action::Launch);
        assert_eq!(decide(&parked("waiting", None), 5), Action::Nothing);
        assert_eq!(decide(&Parked { has_signal: true, ..parked("waiting", None) }, 5), Action::Launch);
        assert_eq!(decide(&Parked { wake_at: Some(1), ..parked("waiting", None) }, 5), Action::Launch);
        assert_eq!(decide(&parked("sleeping", Some("cancel")), 5), Action::Cancel);
        assert_eq!(decide(&parked("sleeping", Some("pause")), 5), Action::Suspend);
        assert_eq!(decide(&parked("suspended", Some("pause")), 5), Action::Nothing);
        assert_eq!(decide(&parked("suspended", None), 5), Action::Launch);
        assert_eq!(decide(&parked("running", None), 5), Action::Launch, "listed when its lease expired");
    }
}
