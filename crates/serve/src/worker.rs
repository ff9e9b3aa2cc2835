//! One launch of an instance: its component runs in this thread under the deployment's
//! limits, checkpointing to this server; then its end is recorded. A workflow that reports
//! a failure is failed (never retried here); a guest that traps is relaunched with
//! exponential backoff up to the deployment's maximum, then marked `crashed`; a guest over
//! a limit fails with the limit's code.

use std::time::Duration;

use runtara_runner::{Egress, GuestExit, GuestLimits, GuestRun, Outcome, RunStatus};
use serde_json::{json, Value};

use runtara_core::Tx;

use crate::db::{now_ms, retry_later, transition, Run};
use crate::deploy::Settings;
use crate::Server;

/// The first relaunch waits this long; each further one twice as long, at most [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Runs instance `id` of `tenant` once, under the claim at `epoch`, and records how it
/// ended — unless another server took the instance over meanwhile (then that server
/// records it).
pub fn execute(server: &Server, tenant: &str, id: &str, epoch: u64) {
    let result = launch(server, tenant, id, epoch);
    if let Err(e) = server.db.release(tenant, id, epoch) {
        eprintln!("runtara serve: instance {id}: cannot release its claim: {e:#}");
    }
    if let Err(e) = result {
        // The server failed around the run (storage, a missing artifact): counted like a
        // crash, so a passing fault is retried and a lasting one ends as `crashed`. When
        // even that cannot be recorded, the instance's lease runs out and it is relaunched.
        eprintln!("runtara serve: instance {id} (tenant {tenant}): {e:#}");
        let recorded = server.db.run(tenant, id).and_then(|run| match run {
            Some(run) => {
                let max = server.config.limits.max_restarts;
                fenced(server, &run, epoch, |tx| crashed(tx, &run, &format!("server error: {e:#}"), max))
            }
            None => Ok(()),
        });
        if let Err(e) = recorded {
            eprintln!("runtara serve: instance {id}: left for its lease to expire: {e:#}");
        }
    }
}

fn launch(server: &Server, tenant: &str, id: &str, epoch: u64) -> anyhow::Result<()> {
    let run = server.db.run(tenant, id)?.ok_or_else(|| anyhow::anyhow!("no run recorded"))?;
    let version = server
        .db
        .version(tenant, &run.workflow_id, run.version)?
        .ok_or_else(|| anyhow::anyhow!("workflow {} v{} is not deployed", run.workflow_id, run.version))?;
    let settings: Settings = serde_json::from_str(&version.settings).unwrap_or_default();
    local_copy(server, &version.artifact)?;
    server.host.prepare(&version.artifact, &server.artifact_path(&version.artifact))?;
    let guest = GuestRun {
        stdin: run.input.clone().into_bytes(),
        env: environment(server, &run, epoch),
        limits: limits(server, &settings),
        egress: Egress {
            allow: allowlist(server, &settings),
            local: server.local.get().map(|h| (server.state_url.trim_start_matches("http://").to_string(), h.clone())),
        },
    };
    let max_restarts = settings.max_restarts.unwrap_or(server.config.limits.max_restarts);
    let exit = server.host.run(&version.artifact, guest);
    fenced(server, &run, epoch, |tx| match exit {
        Ok(GuestExit::Exited(output)) => record(tx, &run, &Outcome::from_run(&output), max_restarts),
        Ok(GuestExit::Limit { code, message, .. }) => {
            let error = json!({"code": code, "message": message, "category": "limit", "severity": "error"});
            tx.finish(tenant, id, "failed", None, Some(&error))
        }
        Ok(GuestExit::Trapped { message, .. }) => crashed(tx, &run, &message, max_restarts),
        Err(e) => crashed(tx, &run, &format!("{e:#}"), max_restarts),
    })
}

/// Records how a launch under the claim at `epoch` ended, in one transaction — unless
/// another server took the instance over meanwhile (its fence moved): then that server
/// records it and this launch's end is dropped.
fn fenced(
    server: &Server,
    run: &Run,
    epoch: u64,
    work: impl FnOnce(&mut Tx) -> anyhow::Result<()> + Send,
) -> anyhow::Result<()> {
    let recorded = server.db.store.fenced(&run.tenant, &run.id, Some(&epoch.to_string()), work)?;
    if recorded.is_err() {
        eprintln!(
            "runtara serve: instance {}: another server took it over (epoch {epoch} is stale); not recording this launch",
            run.id
        );
    }
    Ok(())
}

/// Makes sure this server has the artifact in its data directory: a deployment made through
/// another server sharing the database is fetched from it.
fn local_copy(server: &Server, hash: &str) -> anyhow::Result<()> {
    let path = server.artifact_path(hash);
    if path.exists() {
        return Ok(());
    }
    let bytes = server.db.artifact(hash)?.ok_or_else(|| anyhow::anyhow!("artifact {hash} is not in the database"))?;
    let mut tmp = tempfile::NamedTempFile::new_in(server.artifacts_dir())?;
    std::io::Write::write_all(&mut tmp, &bytes)?;
    tmp.persist(&path).map_err(|e| e.error)?;
    Ok(())
}

/// The contract's environment: this server's state API, the instance, and when to yield.
fn environment(server: &Server, run: &Run, epoch: u64) -> Vec<(String, String)> {
    let mut env = vec![
        ("RUNTARA_EPOCH".to_string(), epoch.to_string()),
        ("RUNTARA_HTTP_URL".to_string(), server.state_url.clone()),
        ("RUNTARA_INSTANCE_ID".to_string(), run.id.clone()),
        ("RUNTARA_TENANT_ID".to_string(), run.tenant.clone()),
        ("RUNTARA_YIELD_AFTER_MS".to_string(), server.config.yield_after_ms.to_string()),
        // Agents' requests go through this server, which applies the egress policy.
        ("RUNTARA_HTTP_PROXY_URL".to_string(), format!("{}{}", server.state_url, crate::proxy::PROXY_PATH)),
    ];
    if let Some(token) = &server.config.token {
        env.push(("RUNTARA_TOKEN".to_string(), token.clone()));
    }
    if run.debug {
        env.push(("RUNTARA_DEBUG_MODE".to_string(), "1".to_string()));
    }
    if !server.config.connections.is_empty() {
        // Secrets stay with the proxy; the guest needs only ids, integrations and base URLs.
        let public = runtara_agents::connections::without_secrets(&server.config.connections);
        env.push((runtara_agents::connections::ENV.to_string(), public.to_string()));
    }
    env
}

fn limits(server: &Server, settings: &Settings) -> GuestLimits {
    let defaults = &server.config.limits;
    GuestLimits {
        memory_bytes: settings.memory_bytes.unwrap_or(defaults.memory_bytes).min(defaults.max_memory_bytes),
        fuel: settings.fuel.or(defaults.fuel),
        wall_time: settings.wall_time_ms.map(Duration::from_millis).or(defaults.wall_time),
        max_output_bytes: defaults.max_output_bytes,
    }
}

/// The deployment's hosts plus this server's own state API (loopback is otherwise refused).
fn allowlist(server: &Server, settings: &Settings) -> Vec<String> {
    let mut allow = settings.allow_hosts.clone();
    allow.push(server.state_url.trim_start_matches("http://").to_string());
    allow
}

/// Records a run that exited. The guest reported its own end to the state API; this makes
/// the status certain even when that report was lost.
fn record(tx: &mut Tx, run: &Run, outcome: &Outcome, max_restarts: u32) -> anyhow::Result<()> {
    let (tenant, id) = (&run.tenant, &run.id);
    let wake_at = || outcome.error.as_ref().and_then(|e| e.get("wake_at_ms")).and_then(Value::as_u64);
    match outcome.status {
        RunStatus::Completed => tx.finish(tenant, id, "completed", outcome.output.as_ref(), None),
        RunStatus::Sleeping => tx.sleep(tenant, id, &wake_at().unwrap_or(0).to_string()),
        RunStatus::Waiting => {
            if let Some(at) = wake_at() {
                tx.sleep(tenant, id, &at.to_string())?;
            }
            transition(tx, tenant, id, "sleeping", "waiting")?;
            transition(tx, tenant, id, "running", "waiting").map(|_| ())
        }
        RunStatus::Suspended => {
            // A breakpoint holds the instance until it is resumed, like a pause.
            if outcome.error.as_ref().is_some_and(|e| e.get("breakpoint").is_some()) {
                tx.set_control(tenant, id, runtara_protocol::Signal::Pause.as_str())?;
            }
            transition(tx, tenant, id, "running", "suspended").map(|_| ())
        }
        RunStatus::Cancelled => tx.finish(tenant, id, "cancelled", None, None),
        RunStatus::Failed | RunStatus::BadInput => {
            let crashed_artifact =
                outcome.error.as_ref().and_then(|e| e.get("code")).and_then(Value::as_str) == Some("ARTIFACT_CRASHED");
            if crashed_artifact {
                let detail = outcome.other_stderr.join("\n");
                return crashed(tx, run, &detail, max_restarts);
            }
            tx.finish(tenant, id, "failed", None, outcome.error.as_ref())
        }
    }
}

/// A guest that trapped: relaunched after a backoff, or `crashed` after `max_restarts`.
fn crashed(tx: &mut Tx, run: &Run, message: &str, max_restarts: u32) -> anyhow::Result<()> {
    let attempts = run.attempts + 1;
    if attempts > max_restarts {
        let error = json!({
            "code": "CRASHED", "category": "permanent", "severity": "error", "attempts": attempts,
            "message": format!("the instance crashed {attempts} time(s); last: {message}"),
        });
        return tx.finish(&run.tenant, &run.id, "crashed", None, Some(&error));
    }
    let backoff = FIRST_BACKOFF.saturating_mul(1 << (attempts - 1).min(16)).min(MAX_BACKOFF);
    eprintln!("runtara serve: instance {} crashed (attempt {attempts}), relaunching in {backoff:?}: {message}", run.id);
    retry_later(tx, &run.tenant, &run.id, attempts, now_ms() + backoff.as_millis() as u64)
}
