//! Finding the child workflows of EmbedWorkflow steps (dsl-spec §7.6) and of Agent steps
//! that call a workflow published as an agent ([`runtara_dsl::workflow_agents`]).
//!
//! `--workflows DIR` (repeatable): `DIR/<childWorkflowId>.json`, or numbered versions as
//! `DIR/<childWorkflowId>/<version>.json` where `latest`/`current` is the highest number. A
//! published workflow is found the same way under its agent slug.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use runtara_dsl::closure::{child_key, embed_steps, ChildKey, Children};
use runtara_dsl::workflow_agents::resolve_workflow_agents;
use runtara_dsl::ExecutionGraph;

use crate::{load, CompileError, Scenario};

/// Child workflow ids name files, so they must be plain names (no separators, no `..`).
fn safe_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The file of one child, if any directory has it.
pub fn find_child(dirs: &[PathBuf], key: &ChildKey) -> Option<PathBuf> {
    let (id, version) = key;
    if !safe_id(id) {
        return None;
    }
    for dir in dirs {
        let versions = dir.join(id);
        if version == "latest" {
            if let Some(best) = highest_version(&versions) {
                return Some(best);
            }
        } else {
            let exact = versions.join(format!("{version}.json"));
            if exact.is_file() {
                return Some(exact);
            }
        }
        let plain = dir.join(format!("{id}.json"));
        if plain.is_file() {
            return Some(plain);
        }
    }
    None
}

fn highest_version(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let n: u64 = p.file_stem()?.to_str()?.parse().ok()?;
            (p.extension()? == "json").then_some((n, p))
        })
        .max_by_key(|(n, _)| *n)
        .map(|(_, p)| p)
}

/// Turns the Agent steps of `graph` that call a workflow published as an agent into
/// EmbedWorkflow steps of it: `capabilityId: "run"`, an `agentId` that is no built-in agent,
/// and a graph of that name in `dirs`. An unknown agent without such a graph is left for the
/// validator to report.
pub fn resolve_published(graph: &mut ExecutionGraph, dirs: &[PathBuf]) {
    if dirs.is_empty() {
        return;
    }
    let catalog = crate::catalog::builtin_catalog();
    // A published document may name the workflow id it runs under (wrapper `workflowId`);
    // otherwise that is its slug.
    let workflow_id_of = |slug: &str| {
        if catalog.agent(slug).is_some() {
            return None;
        }
        let path = find_child(dirs, &(slug.to_string(), "latest".to_string()))?;
        let own = load(&Scenario::Path(path)).ok().and_then(|(_, wf)| wf.workflow_id);
        Some(own.unwrap_or_else(|| slug.to_string()))
    };
    resolve_workflow_agents(graph, &workflow_id_of);
}

/// Loads every child reachable from `root` (transitively). Children that cannot be found
/// are left out; closure validation reports them as E124.
///
/// Errors: a child file that does not parse.
pub fn load_children(root: &ExecutionGraph, dirs: &[PathBuf]) -> Result<Children, CompileError> {
    let mut children = Children::new();
    let mut queue: VecDeque<ExecutionGraph> = VecDeque::from([root.clone()]);
    while let Some(g) = queue.pop_front() {
        for (step, _) in embed_steps(&g) {
            let key = child_key(step);
            if children.contains_key(&key) {
                continue;
            }
            let Some(path) = find_child(dirs, &key) else { continue };
            let (_, mut wf) = load(&Scenario::Path(path))?;
            resolve_published(&mut wf.graph, dirs);
            queue.push_back(wf.graph.clone());
            children.insert(key, wf.graph);
        }
    }
    Ok(children)
}
