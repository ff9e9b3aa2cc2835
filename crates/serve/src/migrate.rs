//! Hot reload: an instance runs the version it started on until it is migrated to another
//! (`POST /api/v1/instances/{id}/migrate`, `runtara migrate`). A migration is allowed only
//! while the instance is parked (pending, sleeping, waiting, paused) and when its
//! checkpoints still fit the new version: no step whose results are checkpointed changed or
//! disappeared (the top-level step hashes of the two versions' graph identities).

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use runtara_dsl::ExecutionGraph;
use runtara_protocol::GraphIdentity;
use serde::Serialize;

use crate::deploy::{internal, Refusal};
use crate::Server;

/// What a migration did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Migrated {
    pub instance_id: String,
    pub workflow_id: String,
    pub from_version: u32,
    pub to_version: u32,
}

/// Migrates instance `id` of `tenant` to version `to` of its workflow.
///
/// Errors: 404 for an unknown instance or version; 409 when the instance is running or
/// finished, when a version was deployed as a component (its graph is unknown), or when
/// checkpointed steps changed (the message names them); 500 for storage.
pub fn migrate(server: &Server, tenant: &str, id: &str, to: u32) -> Result<Migrated, Refusal> {
    let db = &server.db;
    let run =
        db.run(tenant, id).map_err(internal)?.ok_or((StatusCode::NOT_FOUND, format!("instance {id} not found")))?;
    let done = Migrated {
        instance_id: id.into(),
        workflow_id: run.workflow_id.clone(),
        from_version: run.version,
        to_version: to,
    };
    if run.version == to {
        return Ok(done);
    }
    let wf = &run.workflow_id;
    if !db.versions(tenant, wf).map_err(internal)?.iter().any(|v| v.version == to) {
        return Err((StatusCode::NOT_FOUND, format!("workflow {wf} has no live version {to}")));
    }
    let graph_of = |v: u32| {
        db.graph(tenant, wf, v).map_err(internal)?.ok_or((
            StatusCode::CONFLICT,
            format!("version {v} of {wf} was deployed as a component: without its graph, runtara cannot check that the checkpoints fit"),
        ))
    };
    let ((old_graph, old_identity), (_, new_identity)) = (graph_of(run.version)?, graph_of(to)?);
    let parse_identity = |t: &str| serde_json::from_str::<GraphIdentity>(t).map_err(internal);
    let (old_identity, new_identity) = (parse_identity(&old_identity)?, parse_identity(&new_identity)?);
    let old = runtara_dsl::parse_workflow(&old_graph).map_err(|e| internal(e.message))?;
    let checkpoints = db.store.session(|tx| tx.checkpoint_ids(tenant, id)).map_err(internal)?;
    if let Some(change) = new_identity.changes_from(&old_identity) {
        let moved: BTreeSet<&str> = change.changed.iter().chain(&change.removed).map(String::as_str).collect();
        let owners = top_level_steps(&old.graph);
        let unfit: BTreeSet<&str> = checkpoints
            .iter()
            .filter_map(|c| checkpointed_step(c, &owners, &[wf, id]))
            .filter(|s| moved.contains(s))
            .collect();
        if !unfit.is_empty() {
            let steps: Vec<&str> = unfit.into_iter().collect();
            return Err((
                StatusCode::CONFLICT,
                format!(
                    "GRAPH_CHANGED: instance {id} cannot move from version {} to {to} of {wf}: its checkpoints hold results of steps that changed in version {to}: {}; let it finish on version {}, or deploy a version that keeps those steps as they were",
                    run.version,
                    steps.join(", "),
                    run.version
                ),
            ));
        }
    }
    let identity = serde_json::to_string(&new_identity).map_err(internal)?;
    if !db.migrate(tenant, id, run.version, to, &identity).map_err(internal)? {
        return Err((
            StatusCode::CONFLICT,
            format!("instance {id} is running or finished; only a pending, sleeping, waiting or paused instance can migrate (pause it first)"),
        ));
    }
    Ok(done)
}

/// Every step id of `graph`, subgraphs included, mapped to the top-level step it belongs
/// to (the unit of the graph identity).
fn top_level_steps(graph: &ExecutionGraph) -> BTreeMap<String, String> {
    fn walk(g: &ExecutionGraph, top: &str, out: &mut BTreeMap<String, String>) {
        for (id, step) in &g.steps {
            out.insert(id.clone(), top.to_string());
            for (_, sub) in step.subgraphs() {
                walk(sub, top, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    for (id, step) in &graph.steps {
        out.insert(id.clone(), id.clone());
        for (_, sub) in step.subgraphs() {
            walk(sub, id, &mut out);
        }
    }
    out
}

/// The top-level step a checkpoint id belongs to: its first part that names a step
/// (`<workflow>::<step>[::i_j]`, `<workflow>::<site>[i]__<site>::<step>`,
/// `<instance>/<workflow>/<step>::wait`), skipping the workflow and instance ids.
fn checkpointed_step<'a>(checkpoint: &str, owners: &'a BTreeMap<String, String>, skip: &[&str]) -> Option<&'a str> {
    checkpoint
        .split("::")
        .flat_map(|p| p.split("__"))
        .flat_map(|p| p.split('/'))
        .map(|t| t.split('[').next().unwrap_or(t))
        .filter(|t| !skip.contains(t))
        .find_map(|t| owners.get(t).map(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_map_to_their_top_level_step() {
        let owners: BTreeMap<String, String> =
            [("prep", "prep"), ("each", "each"), ("inner", "each"), ("call_relay", "call_relay")]
                .into_iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
        let find = |c: &str| checkpointed_step(c, &owners, &["wf", "i1"]);
        assert_eq!(find("wf::prep"), Some("prep"));
        assert_eq!(find("wf::inner::0_1"), Some("each"));
        assert_eq!(find("wf::call_relay[2]__call_stamp::nap"), Some("call_relay"));
        assert_eq!(find("i1/wf/prep::wait"), Some("prep"));
        assert_eq!(find("wf::unknown"), None);
    }
}
