//! Graph structure rules (dsl-spec §8, §9.1): edges and their labels, reachability, fan-out and merge points.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::model::*;
use crate::parse::pointer_token;

use super::Validator;

impl Validator<'_> {
    pub(super) fn edges(&mut self, g: &ExecutionGraph, base: &str) {
        let mut defaults: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        let mut guarded: BTreeMap<(&str, &str), bool> = BTreeMap::new();
        let mut priorities: BTreeSet<(&str, &str, i32)> = BTreeSet::new();
        for (i, e) in g.execution_plan.iter().enumerate() {
            let ep = format!("{base}/executionPlan/{i}");
            for (field, id) in [("fromStep", &e.from_step), ("toStep", &e.to_step)] {
                if !g.steps.contains_key(id) {
                    self.error(
                        "E014",
                        Some(id),
                        format!("{ep}/{field}"),
                        format!("edge {field} '{id}' is not a step of this graph"),
                        &format!("use one of: {}", list(g.steps.keys())),
                    );
                }
            }
            let Some(from) = g.steps.get(&e.from_step) else { continue };
            let label = e.label_kind();
            match from {
                Step::Conditional(_) => {
                    if label != "true" && label != "false" {
                        self.error(
                            "E072",
                            Some(&e.from_step),
                            format!("{ep}/label"),
                            format!("Conditional edge has label '{label}'"),
                            "label Conditional edges \"true\" or \"false\"",
                        );
                    } else if e.condition.is_some() || e.priority.is_some() {
                        self.error(
                            "E072",
                            Some(&e.from_step),
                            ep.clone(),
                            "Conditional edges take no condition or priority".into(),
                            "remove `condition` and `priority` from true/false edges",
                        );
                    }
                }
                Step::Finish(_) | Step::Error(_) => {
                    self.error(
                        "E074",
                        Some(&e.from_step),
                        ep.clone(),
                        format!("a {} step cannot have outgoing edges", from.step_type()),
                        "remove the edge; Finish and Error end their graph",
                    );
                }
                Step::Switch(_) | Step::AiAgent(_) => {}
                _ => {
                    let ok = label.is_empty() || (label == EdgeLabel::OnError.as_str() && from.supports_on_error());
                    if !ok {
                        self.error(
                            "E074",
                            Some(&e.from_step),
                            format!("{ep}/label"),
                            format!("a {} step has no '{label}' route", from.step_type()),
                            if label == EdgeLabel::OnError.as_str() {
                                "onError routes exist on Agent, AiAgent, EmbedWorkflow, Split, While and WaitForSignal"
                            } else {
                                "remove the label (normal flow) or use \"onError\""
                            },
                        );
                    }
                }
            }
            let key = (e.from_step.as_str(), label);
            if e.condition.is_some() {
                guarded.insert(key, true);
                let p = e.priority.unwrap_or(0);
                if !priorities.insert((key.0, key.1, p)) {
                    self.error(
                        "E070",
                        Some(&e.from_step),
                        format!("{ep}/priority"),
                        format!("two guarded '{}' edges from '{}' share priority {p}", label, e.from_step),
                        "give guarded edges distinct priorities",
                    );
                }
            } else {
                *defaults.entry(key).or_default() += 1;
            }
        }
        let out = outgoing(g);
        for (i, e) in g.execution_plan.iter().enumerate() {
            if e.label() == EdgeLabel::OnError
                && out
                    .get(e.from_step.as_str())
                    .into_iter()
                    .flatten()
                    .any(|n| n.to_step == e.to_step && n.label_kind().is_empty())
            {
                self.warn(
                    "W040",
                    Some(&e.from_step),
                    format!("{base}/executionPlan/{i}"),
                    format!("'{}' reaches '{}' both normally and on error", e.from_step, e.to_step),
                    "route errors to a dedicated handler step",
                );
            }
        }
        for ((from, label), n) in defaults {
            let conditional = matches!(g.steps.get(from), Some(Step::Conditional(_)));
            let multiple = n > 1 && (conditional || !label.is_empty() || guarded.contains_key(&(from, label)));
            if multiple && !matches!(g.steps.get(from), Some(Step::AiAgent(_))) {
                self.error(
                    "E071",
                    Some(from),
                    base_edges(base),
                    format!("step '{from}' has {n} unguarded '{label}' edges"),
                    "keep exactly one default edge per label; guard the others with a condition",
                );
            }
        }
    }

    pub(super) fn reachability(&mut self, g: &ExecutionGraph, base: &str) {
        if !g.steps.contains_key(&g.entry_point) {
            return;
        }
        let out = outgoing(g);
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([g.entry_point.as_str()]);
        while let Some(s) = queue.pop_front() {
            if seen.insert(s) {
                for e in out.get(s).into_iter().flatten() {
                    queue.push_back(&e.to_step);
                }
            }
        }
        for (id, step) in &g.steps {
            if !seen.contains(id.as_str()) {
                let code = if matches!(step, Step::Finish(_)) { "E003" } else { "E002" };
                self.error(
                    code,
                    Some(id),
                    format!("{base}/steps/{}", pointer_token(id)),
                    format!("step '{id}' is not reachable from entryPoint '{}'", g.entry_point),
                    "add an edge to it in executionPlan or remove the step",
                );
            }
        }
    }

    pub(super) fn fanout(&mut self, g: &ExecutionGraph, base: &str) {
        let out = outgoing(g);
        for (id, step) in &g.steps {
            if matches!(step, Step::Conditional(_) | Step::AiAgent(_)) {
                continue;
            }
            let mine = out.get(id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let outs: Vec<&Edge> = mine.iter().copied().filter(|e| e.label_kind().is_empty()).collect();
            let has_edges = !mine.is_empty();
            if !has_edges && !matches!(step, Step::Finish(_) | Step::Error(_)) && !g.is_ai_side_target(id) {
                self.warn(
                    "W003",
                    Some(id),
                    format!("{base}/steps/{}", pointer_token(id)),
                    format!("step '{id}' has no outgoing edge; the graph ends here with a null result"),
                    "add an edge to a Finish step",
                );
            }
            if outs.len() < 2 || outs.iter().any(|e| e.condition.is_some()) {
                continue;
            }
            let mut common: Option<BTreeSet<String>> = None;
            for e in &outs {
                let r = reachable_normal(&out, &e.to_step);
                common = Some(match common {
                    None => r,
                    Some(c) => c.intersection(&r).cloned().collect(),
                });
            }
            if common.is_some_and(|c| c.is_empty()) {
                self.error(
                    "E073",
                    Some(id),
                    format!("{base}/steps/{}", pointer_token(id)),
                    format!("the fan-out from '{id}' never re-converges"),
                    "join the parallel branches at one common step (e.g. a single Finish)",
                );
            }
        }
    }
}

pub(super) fn base_edges(base: &str) -> String {
    format!("{base}/executionPlan")
}

pub(super) fn list<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = items.map(String::as_str).collect();
    if v.is_empty() {
        "(none)".into()
    } else {
        v.join(", ")
    }
}

/// Which steps have an edge path (any labels) to which, answered on demand from an index
/// of incoming edges: O(steps + edges) memory, where a precomputed ancestor set per step
/// would be quadratic (a 100,000-step chain would need billions of entries).
pub(super) struct Ancestry<'g> {
    incoming: BTreeMap<&'g str, Vec<&'g str>>,
}

impl<'g> Ancestry<'g> {
    /// The index of `g`'s edges.
    pub(super) fn of(g: &'g ExecutionGraph) -> Self {
        let mut incoming: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for e in &g.execution_plan {
            incoming.entry(e.to_step.as_str()).or_default().push(e.from_step.as_str());
        }
        Ancestry { incoming }
    }

    /// Whether `ancestor` has an edge path to `step`: a backward search that stops as soon
    /// as it finds it (references usually name a step a few edges up).
    pub(super) fn precedes(&self, ancestor: &str, step: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<&str> = VecDeque::from([step]);
        while let Some(s) = queue.pop_front() {
            for &from in self.incoming.get(s).into_iter().flatten() {
                if from == ancestor {
                    return true;
                }
                if seen.insert(from) {
                    queue.push_back(from);
                }
            }
        }
        false
    }
}

/// The edges of `g` by source step, in plan order: built once, so per-step edge lookups are
/// logarithmic instead of a scan of the whole plan.
pub(super) fn outgoing(g: &ExecutionGraph) -> BTreeMap<&str, Vec<&Edge>> {
    let mut out: BTreeMap<&str, Vec<&Edge>> = BTreeMap::new();
    for e in &g.execution_plan {
        out.entry(e.from_step.as_str()).or_default().push(e);
    }
    out
}

/// Steps reachable from `from` over normal (not onError) edges, `from` included.
pub(super) fn reachable_normal(out: &BTreeMap<&str, Vec<&Edge>>, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([from]);
    while let Some(s) = queue.pop_front() {
        if seen.insert(s.to_string()) {
            for e in out.get(s).into_iter().flatten().filter(|e| e.label() != EdgeLabel::OnError) {
                queue.push_back(&e.to_step);
            }
        }
    }
    seen
}
