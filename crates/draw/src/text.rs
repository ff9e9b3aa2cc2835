//! Turning a scene into text formats: Graphviz DOT and Mermaid flowcharts. User strings
//! (step ids, names, labels) are escaped for each format; identifiers are the scene's keys.

use crate::scene::{Cluster, Node};

/// The lines of a step's box: type, id, then name and detail when present.
pub(crate) fn lines(n: &Node) -> Vec<String> {
    let mut v = vec![n.step_type.to_string(), n.step_id.clone()];
    v.extend(n.name.clone().filter(|name| name != &n.step_id));
    v.extend(n.detail.clone());
    v
}

/// A DOT double-quoted string's content.
fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Graphviz DOT: one node per step, a `cluster_<key>` per body (linked from its step by a
/// dashed edge), edge labels as drawn.
pub fn dot(title: &str, root: &Cluster) -> String {
    let mut out = String::from("digraph workflow {\n");
    out.push_str(&format!(
        "  graph [rankdir=TB, fontname=\"Helvetica\", label=\"{}\", labelloc=t];\n",
        dot_escape(title)
    ));
    out.push_str("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=10];\n");
    dot_cluster(root, 1, &mut out);
    out.push_str("}\n");
    out
}

fn dot_cluster(c: &Cluster, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    for n in &c.nodes {
        let label = lines(n).iter().map(|l| dot_escape(l)).collect::<Vec<_>>().join("\\n");
        let shape = match n.step_type {
            "Conditional" | "Switch" => ", shape=diamond",
            "Finish" => ", shape=box, peripheries=2",
            _ => "",
        };
        out.push_str(&format!(
            "{pad}{} [label=\"{label}\", fillcolor=\"{}\"{shape}];\n",
            n.key,
            crate::fill(n.step_type)
        ));
        if let Some((which, body)) = &n.body {
            out.push_str(&format!("{pad}subgraph cluster_{} {{\n", n.key));
            out.push_str(&format!(
                "{pad}  label=\"{} {}: {which}\"; style=dashed;\n",
                n.step_type,
                dot_escape(&n.step_id)
            ));
            dot_cluster(body, depth + 1, out);
            out.push_str(&format!("{pad}}}\n"));
            if let Some(first) = body.nodes.first() {
                out.push_str(&format!("{pad}{} -> {} [style=dashed, label=\"{which}\"];\n", n.key, first.key));
            }
        }
    }
    for l in &c.links {
        let label = if l.label.is_empty() { String::new() } else { format!(" [label=\"{}\"]", dot_escape(&l.label)) };
        out.push_str(&format!("{pad}{} -> {}{label};\n", l.from, l.to));
    }
}

/// A Mermaid label's content: quotes and angle brackets as entity codes, lines joined with
/// `<br/>`.
fn mermaid_escape(s: &str) -> String {
    s.replace('&', "#amp;").replace('"', "#quot;").replace('<', "#lt;").replace('>', "#gt;").replace('\n', " ")
}

/// A Mermaid flowchart (top-down): a `subgraph` per body, linked from its step by a dotted
/// edge.
pub fn mermaid(title: &str, root: &Cluster) -> String {
    let mut out = format!("---\ntitle: \"{}\"\n---\nflowchart TD\n", mermaid_escape(title));
    mermaid_cluster(root, 1, &mut out);
    out
}

fn mermaid_cluster(c: &Cluster, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth);
    for n in &c.nodes {
        let label = lines(n).iter().map(|l| mermaid_escape(l)).collect::<Vec<_>>().join("<br/>");
        let (open, close) = match n.step_type {
            "Conditional" | "Switch" => ("{", "}"),
            "Finish" => ("([", "])"),
            _ => ("[", "]"),
        };
        out.push_str(&format!("{pad}{}{open}\"{label}\"{close}\n", n.key));
        if let Some((which, body)) = &n.body {
            let title = mermaid_escape(&format!("{} {}: {which}", n.step_type, n.step_id));
            out.push_str(&format!("{pad}subgraph {}_body[\"{title}\"]\n", n.key));
            mermaid_cluster(body, depth + 1, out);
            out.push_str(&format!("{pad}end\n"));
            if let Some(first) = body.nodes.first() {
                out.push_str(&format!("{pad}{} -.->|{which}| {}\n", n.key, first.key));
            }
        }
    }
    for l in &c.links {
        match l.label.as_str() {
            "" => out.push_str(&format!("{pad}{} --> {}\n", l.from, l.to)),
            label => out.push_str(&format!("{pad}{} -->|\"{}\"| {}\n", l.from, mermaid_escape(label), l.to)),
        }
    }
}
