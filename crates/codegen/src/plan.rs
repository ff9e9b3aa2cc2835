//! Ordering a graph level the way the runtime does (dsl-spec §2.2, §8.1, §8.2).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use runtara_dsl::{Edge, EdgeLabel, ExecutionGraph, Step};

/// One graph level with its edges in deterministic order (dsl-spec §2.2).
pub struct GraphView<'g> {
    pub graph: &'g ExecutionGraph,
    /// Edges sorted by (fromStep, label, rank, declaration index, toStep); rank is
    /// −priority for guarded edges and +∞ for unguarded ones.
    pub edges: Vec<&'g Edge>,
}

impl<'g> GraphView<'g> {
    /// The view of `graph` with its edges in evaluation order (dsl-spec §8.2).
    pub fn new(graph: &'g ExecutionGraph) -> Self {
        let mut idx: Vec<(usize, &Edge)> = graph.execution_plan.iter().enumerate().collect();
        idx.sort_by(|(ia, a), (ib, b)| {
            let rank = |e: &Edge| match e.condition {
                Some(_) => -(i64::from(e.priority.unwrap_or(0))),
                None => i64::MAX,
            };
            (a.from_step.as_str(), a.label_kind(), rank(a), *ia, a.to_step.as_str()).cmp(&(
                b.from_step.as_str(),
                b.label_kind(),
                rank(b),
                *ib,
                b.to_step.as_str(),
            ))
        });
        GraphView { graph, edges: idx.into_iter().map(|(_, e)| e).collect() }
    }

    /// The step with id `id` at this level, if any.
    pub fn step(&self, id: &str) -> Option<&'g Step> {
        self.graph.steps.get(id)
    }

    /// The edges out of `from`: one contiguous run of the sorted edges, found by binary
    /// search (a scan of every edge per lookup made long graphs quadratic to compile).
    fn edges_out_of(&self, from: &str) -> &[&'g Edge] {
        let start = self.edges.partition_point(|e| e.from_step.as_str() < from);
        let len = self.edges[start..].partition_point(|e| e.from_step == from);
        &self.edges[start..start + len]
    }

    /// Outgoing edges of `from` with the given label kind (`""` = normal flow).
    pub fn out(&self, from: &str, label: &str) -> Vec<&'g Edge> {
        self.edges_out_of(from).iter().copied().filter(|e| e.label_kind() == label).collect()
    }

    /// Every outgoing edge of `from`.
    pub fn all_out(&self, from: &str) -> Vec<&'g Edge> {
        self.edges_out_of(from).to_vec()
    }

    /// Whether a routing Switch (some case has `route`).
    pub fn is_routing_switch(&self, id: &str) -> bool {
        match self.step(id) {
            Some(Step::Switch(s)) => s.config.as_ref().is_some_and(|c| c.cases.iter().any(|c| c.route.is_some())),
            _ => false,
        }
    }

    /// A branching step: Conditional, routing Switch, or any guarded normal edge (§8.1).
    pub fn is_branching(&self, id: &str) -> bool {
        matches!(self.step(id), Some(Step::Conditional(_)))
            || self.is_routing_switch(id)
            || self.out(id, "").iter().any(|e| e.condition.is_some())
    }

    /// Normal-flow successors in edge order.
    pub fn normal_succs(&self, id: &str) -> Vec<&'g str> {
        self.out(id, "").into_iter().map(|e| e.to_step.as_str()).collect()
    }

    /// "Control successors" for merge detection: branching steps → all non-onError edges;
    /// Finish/Error → none; others → normal edges (§8.2).
    fn control_succs(&self, id: &str) -> Vec<&'g str> {
        match self.step(id) {
            Some(Step::Finish(_)) | Some(Step::Error(_)) | None => Vec::new(),
            _ if self.is_branching(id) => self
                .all_out(id)
                .into_iter()
                .filter(|e| e.label() != EdgeLabel::OnError)
                .map(|e| e.to_step.as_str())
                .collect(),
            _ => self.normal_succs(id),
        }
    }

    fn reachable(&self, from: &str) -> (Vec<&'g str>, BTreeSet<&'g str>) {
        let mut order = Vec::new();
        let mut seen = BTreeSet::new();
        let Some((key, _)) = self.graph.steps.get_key_value(from) else {
            return (order, seen);
        };
        let mut q = VecDeque::from([key.as_str()]);
        while let Some(s) = q.pop_front() {
            if seen.insert(s) {
                order.push(s);
                q.extend(self.control_succs(s));
            }
        }
        (order, seen)
    }

    /// The merge point of branch targets: the first step in BFS order from the first target
    /// reachable from every target (§8.2). Fewer than two targets → none.
    pub fn merge_point(&self, targets: &[&str]) -> Option<&'g str> {
        if targets.len() < 2 {
            return None;
        }
        let (order, _) = self.reachable(targets[0]);
        let sets: Vec<BTreeSet<&str>> = targets[1..].iter().map(|t| self.reachable(t).1).collect();
        order.into_iter().find(|s| sets.iter().all(|set| set.contains(s)))
    }

    /// The linear order of the region rooted at `root` (§8.1): BFS discovery over normal
    /// edges without expanding branching steps or entering `stops`, then Kahn's algorithm.
    pub fn region(&self, root: &'g str, stops: &BTreeSet<&'g str>) -> Vec<&'g str> {
        let mut discovered: Vec<&str> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut q = VecDeque::from([root]);
        while let Some(s) = q.pop_front() {
            if stops.contains(s) || !seen.insert(s) || self.step(s).is_none() {
                continue;
            }
            discovered.push(s);
            if !self.is_branching(s) {
                q.extend(self.normal_succs(s));
            }
        }
        let set: BTreeSet<&str> = discovered.iter().copied().collect();
        let mut indeg: BTreeMap<&str, usize> = discovered.iter().map(|s| (*s, 0)).collect();
        for s in &discovered {
            if self.is_branching(s) {
                continue;
            }
            for t in self.normal_succs(s) {
                if set.contains(t) {
                    *indeg.get_mut(t).expect("discovered") += 1;
                }
            }
        }
        let mut order = Vec::new();
        let mut emitted = BTreeSet::new();
        let mut q = VecDeque::from([root]);
        while let Some(s) = q.pop_front() {
            if !set.contains(s) || !emitted.insert(s) {
                continue;
            }
            order.push(s);
            if self.is_branching(s) {
                continue;
            }
            for t in self.normal_succs(s) {
                if let Some(d) = indeg.get_mut(t) {
                    *d = d.saturating_sub(1);
                    if *d == 0 {
                        q.push_back(t);
                    }
                }
            }
        }
        for s in discovered {
            if !emitted.contains(s) {
                order.push(s);
            }
        }
        order
    }

    /// Whether the normal-flow graph has a cycle reachable from `root` (rejected, §8.1).
    pub fn has_normal_cycle(&self) -> Option<&'g str> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            Active,
            Done,
        }
        fn visit<'g>(v: &GraphView<'g>, s: &'g str, marks: &mut BTreeMap<&'g str, Mark>) -> Option<&'g str> {
            match marks.get(s) {
                Some(Mark::Active) => return Some(s),
                Some(Mark::Done) => return None,
                None => {}
            }
            marks.insert(s, Mark::Active);
            let succs: Vec<&str> = v
                .all_out(s)
                .into_iter()
                .filter(|e| e.label() != EdgeLabel::OnError)
                .map(|e| e.to_step.as_str())
                .collect();
            for t in succs {
                if let Some(c) = visit(v, t, marks) {
                    return Some(c);
                }
            }
            marks.insert(s, Mark::Done);
            None
        }
        let mut marks = BTreeMap::new();
        for id in self.graph.steps.keys() {
            if let Some(c) = visit(self, id, &mut marks) {
                return Some(c);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &str)]) -> ExecutionGraph {
        let mut steps = serde_json::Map::new();
        for (a, b) in edges {
            for s in [a, b] {
                let ty = if *s == "f" { "Finish" } else { "Log" };
                steps.insert(s.to_string(), serde_json::json!({"stepType": ty, "id": s, "message": "m"}));
                if ty == "Finish" {
                    steps[*s].as_object_mut().unwrap().remove("message");
                }
            }
        }
        let plan: Vec<_> = edges.iter().map(|(a, b)| serde_json::json!({"fromStep": a, "toStep": b})).collect();
        serde_json::from_value(serde_json::json!({"entryPoint": edges[0].0, "steps": steps, "executionPlan": plan}))
            .unwrap()
    }

    #[test]
    fn fan_out_is_interleaved_breadth_first() {
        let g = graph(&[("g", "l"), ("g", "r"), ("l", "x"), ("r", "f"), ("x", "f")]);
        let v = GraphView::new(&g);
        assert_eq!(v.region("g", &BTreeSet::new()), ["g", "l", "r", "x", "f"]);
    }
}
