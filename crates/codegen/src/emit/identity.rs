//! The graph identity baked into an artifact (`runtara_protocol::GraphIdentity`): SHA-256
//! of the graph's JSON with its children, and of each top-level step's JSON (an
//! EmbedWorkflow step's with its child), 16 hex digits each.

use runtara_dsl::closure::{child_key, Children};
use runtara_dsl::{ExecutionGraph, Step};
use runtara_protocol::GraphIdentity;
use sha2::{Digest, Sha256};

/// The identity of `graph` compiled with `children`.
pub(crate) fn of(graph: &ExecutionGraph, children: &Children) -> GraphIdentity {
    let mut whole = Sha256::new();
    whole.update(json(graph));
    for (key, child) in children {
        whole.update(format!("{key:?}"));
        whole.update(json(child));
    }
    let steps = graph
        .steps
        .iter()
        .map(|(id, step)| {
            let mut h = Sha256::new();
            h.update(json(step));
            if let Step::EmbedWorkflow(e) = step {
                if let Some(child) = children.get(&child_key(e)) {
                    h.update(json(child));
                }
            }
            (id.clone(), hex(h))
        })
        .collect();
    GraphIdentity { graph: hex(whole), steps }
}

fn json(v: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn hex(h: Sha256) -> String {
    h.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}
