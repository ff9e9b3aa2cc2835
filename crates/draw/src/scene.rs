//! What a picture shows, independent of the format: the steps of one graph level as boxes,
//! the edges of its `executionPlan` with their labels, and the bodies of Split, While and
//! WaitForSignal `onWait` as nested clusters (dsl-spec §2, §7).

use runtara_dsl::{ExecutionGraph, Step};

/// One graph level: its steps in a stable order (entry point first, then as the plan reaches
/// them, then the rest by id) and its edges in plan order.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
}

/// One step.
#[derive(Debug, Clone)]
pub struct Node {
    /// Unique across the whole picture and safe as an identifier in every format:
    /// `n<i>` at the top level, `<parent key>_<i>` inside a body.
    pub key: String,
    /// The step id (user text: escape it for the format).
    pub step_id: String,
    pub step_type: &'static str,
    pub name: Option<String>,
    /// A second line: the agent and capability, the child workflow, the delay…
    pub detail: Option<String>,
    /// The body drawn inside the box (Split/While `subgraph`, WaitForSignal `onWait`).
    pub body: Option<(&'static str, Cluster)>,
    /// Whether the step is the entry point of its level.
    pub entry: bool,
}

/// One edge of the plan, between keys of the same level.
#[derive(Debug, Clone)]
pub struct Link {
    pub from: String,
    pub to: String,
    /// The label as drawn: the edge label (`true`, `onError`, a switch route…), `if …` for
    /// a condition, `#p` for a priority; empty for normal flow.
    pub label: String,
}

impl Cluster {
    /// The scene of `graph`; `prefix` makes the keys of a body unique.
    pub fn of(graph: &ExecutionGraph, prefix: &str) -> Cluster {
        let order = order(graph);
        let key_of = |id: &str| order.iter().position(|s| s == id).map(|i| format!("{prefix}{i}"));
        let nodes = order
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let step = &graph.steps[id];
                let key = format!("{prefix}{i}");
                let body = step
                    .subgraphs()
                    .into_iter()
                    .next()
                    .map(|(which, sub)| (which, Cluster::of(sub, &format!("{key}_"))));
                Node {
                    step_id: id.clone(),
                    step_type: step.step_type(),
                    name: step.name().map(str::to_string),
                    detail: detail(step),
                    body,
                    entry: *id == graph.entry_point,
                    key,
                }
            })
            .collect();
        let links = graph
            .execution_plan
            .iter()
            .filter_map(|e| {
                let mut label = match e.label_kind() {
                    "" => String::new(),
                    l => l.to_string(),
                };
                if e.condition.is_some() {
                    label = if label.is_empty() { "if …".into() } else { format!("{label} (if …)") };
                }
                if let Some(p) = e.priority {
                    label = format!("{label} #{p}").trim().to_string();
                }
                Some(Link { from: key_of(&e.from_step)?, to: key_of(&e.to_step)?, label })
            })
            .collect();
        Cluster { nodes, links }
    }

    /// Every node of this level and of the bodies inside it.
    pub fn all_nodes(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        for n in &self.nodes {
            out.push(n);
            if let Some((_, body)) = &n.body {
                out.extend(body.all_nodes());
            }
        }
        out
    }
}

/// Step ids: the entry point, then breadth-first along the plan, then the unreachable ones
/// by id — so the picture reads top-down from where the run starts.
fn order(graph: &ExecutionGraph) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    let mut queue = std::collections::VecDeque::new();
    if graph.steps.contains_key(&graph.entry_point) {
        queue.push_back(graph.entry_point.clone());
    }
    let mut out_edges: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for e in &graph.execution_plan {
        out_edges.entry(&e.from_step).or_default().push(&e.to_step);
    }
    let ids = graph.steps.keys().cloned();
    loop {
        while let Some(id) = queue.pop_front() {
            if !graph.steps.contains_key(&id) || !seen.insert(id.clone()) {
                continue;
            }
            for next in out_edges.get(id.as_str()).into_iter().flatten() {
                queue.push_back(next.to_string());
            }
            out.push(id);
        }
        match ids.clone().find(|id| !seen.contains(id)) {
            Some(id) => queue.push_back(id),
            None => return out,
        }
    }
}

/// The second line of a step's box.
fn detail(step: &Step) -> Option<String> {
    match step {
        Step::Agent(a) => Some(format!("{}.{}", a.agent_id, a.capability_id)),
        Step::EmbedWorkflow(e) => Some(format!("→ {}", e.child_workflow_id)),
        Step::AiAgent(_) => Some("model + tools".into()),
        _ => None,
    }
}
