//! Pictures of a workflow graph (issue 17): [`draw`] renders an
//! [`ExecutionGraph`](runtara_dsl::ExecutionGraph) as SVG (our own layered layout — no
//! Graphviz needed), a Mermaid flowchart (for READMEs) or Graphviz DOT. Steps show their
//! type, id, name and agent/child; edges their labels (`true`/`false`, `onError`, switch
//! routes, `if …` for conditions, `#p` for priorities); Split/While bodies and `onWait`
//! graphs are nested clusters; EmbedWorkflow children are one box naming the child.

mod layout;
mod scene;
mod svg;
mod text;

pub use scene::{Cluster, Link, Node};

/// The output formats of `runtara graph --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A standalone SVG document.
    Svg,
    /// A Mermaid `flowchart TD` with a front-matter title.
    Mermaid,
    /// A Graphviz `digraph`.
    Dot,
}

/// The picture of `graph` in `format`; the title is the graph's `name`, else `fallback`.
pub fn draw(graph: &runtara_dsl::ExecutionGraph, fallback: &str, format: Format) -> String {
    let title = graph.name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or(fallback);
    let scene = Cluster::of(graph, "n");
    match format {
        Format::Svg => svg::svg(title, &scene),
        Format::Mermaid => text::mermaid(title, &scene),
        Format::Dot => text::dot(title, &scene),
    }
}

/// The fill colour of a step type's box (the same in every format).
pub(crate) fn fill(step_type: &str) -> &'static str {
    match step_type {
        "Agent" => "#dbeafe",
        "AiAgent" => "#ede9fe",
        "Conditional" | "Switch" => "#fef3c7",
        "Split" | "While" => "#dcfce7",
        "Finish" => "#e5e7eb",
        "Error" => "#fee2e2",
        "Delay" | "WaitForSignal" => "#fce7f3",
        "EmbedWorkflow" => "#e0f2fe",
        _ => "#f1f5f9",
    }
}

#[cfg(test)]
mod tests;
