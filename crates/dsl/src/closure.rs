//! Workflow closures: a root graph plus the child graphs its EmbedWorkflow steps name
//! (dsl-spec §7.6, §9.1 E054–E056, E124, E125).
//!
//! The caller loads the children (this crate does no I/O) and hands them over keyed by
//! [`ChildKey`].

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::AgentCatalog;
use crate::model::{ChildVersion, EmbedWorkflowStep, ExecutionGraph, Step};
use crate::parse::pointer_token;
use crate::validate::{validate, Diagnostic, Diagnostics, Severity};

/// `(childWorkflowId, version)`; version is `"latest"` (also for `"current"`) or a number.
pub type ChildKey = (String, String);

/// Children by key.
pub type Children = BTreeMap<ChildKey, ExecutionGraph>;

/// The key an EmbedWorkflow step refers to.
pub fn child_key(step: &EmbedWorkflowStep) -> ChildKey {
    let version = match &step.child_version {
        ChildVersion::Number(n) => n.to_string(),
        ChildVersion::Name(_) => "latest".to_string(),
    };
    (step.child_workflow_id.clone(), version)
}

/// Every EmbedWorkflow step of a graph (recursing into Split/While/onWait subgraphs) with
/// its JSON pointer.
pub fn embed_steps(graph: &ExecutionGraph) -> Vec<(&EmbedWorkflowStep, String)> {
    let mut out = Vec::new();
    collect(graph, "", &mut out);
    out
}

fn collect<'g>(g: &'g ExecutionGraph, base: &str, out: &mut Vec<(&'g EmbedWorkflowStep, String)>) {
    for (id, step) in &g.steps {
        let sp = format!("{base}/steps/{}", pointer_token(id));
        if let Step::EmbedWorkflow(e) = step {
            out.push((e, sp.clone()));
        }
        for (key, sub) in step.subgraphs() {
            collect(sub, &format!("{sp}/{key}"), out);
        }
    }
}

fn error(code: &'static str, step: &str, path: String, message: String, hint: &str) -> Diagnostic {
    crate::validate::diag(code, Severity::Error, Some(step), path, message, hint)
}

/// Validates the closure: every child present (E124), no cycles (E056), unique embed step
/// ids (E125), child input schemas honoured (E054, E055), and each child's own rules
/// (its diagnostics carry the path prefix `child:<id>@<version>`).
pub fn validate_closure(
    root_id: &str,
    root: &ExecutionGraph,
    children: &Children,
    catalog: &AgentCatalog,
) -> Diagnostics {
    let mut out = Diagnostics::default();
    let mut seen_ids: BTreeMap<String, String> = BTreeMap::new();
    let mut visited = BTreeSet::new();
    walk(root, "", children, catalog, &mut vec![root_id.to_string()], &mut visited, &mut seen_ids, &mut out);
    out
}

#[allow(clippy::too_many_arguments)]
fn walk(
    graph: &ExecutionGraph,
    prefix: &str,
    children: &Children,
    catalog: &AgentCatalog,
    stack: &mut Vec<String>,
    visited: &mut BTreeSet<ChildKey>,
    seen_ids: &mut BTreeMap<String, String>,
    out: &mut Diagnostics,
) {
    for (step, ptr) in embed_steps(graph) {
        let path = format!("{prefix}{ptr}");
        if let Some(first) = seen_ids.insert(step.id.clone(), path.clone()) {
            out.errors.push(error(
                "E125",
                &step.id,
                path.clone(),
                format!("EmbedWorkflow step id '{}' is also used at {first}", step.id),
                "give every EmbedWorkflow step in the parent/child closure a distinct id",
            ));
        }
        let key = child_key(step);
        let Some(child) = children.get(&key) else {
            out.errors.push(error(
                "E124",
                &step.id,
                format!("{path}/childWorkflowId"),
                format!("child workflow '{}' (version {}) was not found", key.0, key.1),
                "pass the directory holding <childWorkflowId>.json with --workflows DIR",
            ));
            continue;
        };
        if stack.contains(&key.0) {
            out.errors.push(error(
                "E056",
                &step.id,
                format!("{path}/childWorkflowId"),
                format!("workflows embed each other in a cycle: {} → {}", stack.join(" → "), key.0),
                "break the cycle; a workflow cannot embed itself directly or indirectly",
            ));
            continue;
        }
        let given: BTreeSet<&str> =
            step.input_mapping.iter().flatten().map(|(k, _)| k.split('.').next().unwrap_or(k)).collect();
        if !given.is_empty() && child.input_schema.is_empty() {
            out.errors.push(error(
                "E054",
                &step.id,
                format!("{path}/inputMapping"),
                format!("child workflow '{}' declares no inputSchema but is passed inputs", key.0),
                "declare the child's inputs in its inputSchema",
            ));
        }
        let missing: Vec<&str> = child
            .input_schema
            .iter()
            .filter(|(name, f)| f.required && !given.contains(name.as_str()))
            .map(|(name, _)| name.as_str())
            .collect();
        if !missing.is_empty() {
            out.errors.push(error(
                "E055",
                &step.id,
                format!("{path}/inputMapping"),
                format!(
                    "child workflow '{}' requires input(s) {} that the mapping does not provide",
                    key.0,
                    missing.join(", ")
                ),
                &format!("add {} to the inputMapping", missing.join(", ")),
            ));
        }
        if visited.insert(key.clone()) {
            let child_prefix = format!("child:{}@{}", key.0, key.1);
            let own = validate(child, catalog).for_compilation();
            for mut d in own.errors {
                d.path = format!("{child_prefix}{}", d.path);
                out.errors.push(d);
            }
            for mut d in own.warnings {
                d.path = format!("{child_prefix}{}", d.path);
                out.warnings.push(d);
            }
            stack.push(key.0.clone());
            walk(child, &child_prefix, children, catalog, stack, visited, seen_ids, out);
            stack.pop();
        }
    }
}
