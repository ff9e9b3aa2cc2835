//! Finding the child workflows of EmbedWorkflow steps (dsl-spec §7.6).
//!
//! `--workflows DIR` (repeatable): `DIR/<childWorkflowId>.json`, or numbered versions as
//! `DIR/<childWorkflowId>/<version>.json` where `latest`/`current` is the highest number.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use runtara_dsl::closure::{child_key, embed_steps, ChildKey, Children};
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
            let (_, wf) = load(&Scenario::Path(path))?;
            queue.push_back(wf.graph.clone());
            children.insert(key, wf.graph);
        }
    }
    Ok(children)
}
