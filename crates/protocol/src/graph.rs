//! The identity of a compiled graph (hardening item 7): a hash of the whole graph (children
//! included) and one per top-level step. An instance records the identity it started with;
//! resuming it with another graph is refused, naming the steps that changed, unless the
//! caller migrates explicitly.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

/// What a run of a compiled graph is: `graph` hashes the whole document (children
/// included); `steps` maps each top-level step id to the hash of its JSON (an
/// EmbedWorkflow step's includes its child), sorted by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct GraphIdentity {
    /// Hex digest of the graph.
    pub graph: String,
    /// `(step id, hex digest)`, sorted by step id.
    pub steps: Vec<(String, String)>,
}

/// How two identities differ, by step id (each list sorted).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphChange {
    /// Steps in both whose JSON differs.
    pub changed: Vec<String>,
    /// Steps only in the new graph.
    pub added: Vec<String>,
    /// Steps only in the recorded graph.
    pub removed: Vec<String>,
}

impl GraphIdentity {
    /// What changed from `recorded` (the identity the instance started with) to `self`;
    /// `None` when the graphs are the same.
    pub fn changes_from(&self, recorded: &GraphIdentity) -> Option<GraphChange> {
        if self.graph == recorded.graph {
            return None;
        }
        let find = |list: &[(String, String)], id: &str| list.iter().find(|(s, _)| s == id).map(|(_, h)| h.clone());
        let mut change = GraphChange::default();
        for (id, hash) in &self.steps {
            match find(&recorded.steps, id) {
                None => change.added.push(id.clone()),
                Some(old) if &old != hash => change.changed.push(id.clone()),
                Some(_) => {}
            }
        }
        change.removed =
            recorded.steps.iter().filter(|(id, _)| find(&self.steps, id).is_none()).map(|(id, _)| id.clone()).collect();
        Some(change)
    }
}

impl GraphChange {
    /// A message for people: what changed, and how to proceed.
    pub fn message(&self) -> String {
        let list = |what: &str, ids: &[String]| {
            if ids.is_empty() {
                None
            } else {
                Some(format!("{what}: {}", ids.join(", ")))
            }
        };
        let parts: Vec<String> =
            [list("changed", &self.changed), list("added", &self.added), list("removed", &self.removed)]
                .into_iter()
                .flatten()
                .collect();
        let what = if parts.is_empty() { String::from("the graph's settings changed") } else { parts.join("; ") };
        format!(
            "{GRAPH_CHANGED}: the instance was started with another version of the graph ({what}); \
             run it with the graph it started with, or migrate it explicitly (runtara run --migrate) if its checkpoints still fit"
        )
    }
}

/// The code of a refused resume: the graph is not the one the instance started with.
pub const GRAPH_CHANGED: &str = "GRAPH_CHANGED";

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn id(graph: &str, steps: &[(&str, &str)]) -> GraphIdentity {
        GraphIdentity {
            graph: graph.into(),
            steps: steps.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        }
    }

    #[test]
    fn changes_name_the_steps() {
        let old = id("g1", &[("a", "1"), ("b", "2"), ("c", "3")]);
        let new = id("g2", &[("a", "1"), ("b", "9"), ("d", "4")]);
        let change = new.changes_from(&old).unwrap();
        assert_eq!(
            (change.changed, change.added, change.removed),
            (vec!["b".into()], vec!["d".into()], vec!["c".into()])
        );
        assert!(new.changes_from(&new.clone()).is_none());
    }
}
