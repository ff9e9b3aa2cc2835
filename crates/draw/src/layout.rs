//! A layered (top-down) layout of one graph level, recursive for bodies: a Split or While
//! box is sized to hold its own laid-out body. layout-rs and other Rust Graphviz ports do
//! not lay out nested clusters, which every Split/While needs, so this is ours: ranks by
//! longest path over the forward edges (back edges — loops — are drawn around the side),
//! one barycenter pass to order each rank, then coordinates. Linear in nodes + edges per
//! level, apart from sorting within a rank.

use crate::scene::Cluster;

/// Width of one character of the 12 px sans-serif label font, px (an average; boxes get a
/// margin for wide glyphs).
pub const CHAR_W: f64 = 7.2;
/// Height of one label line, px.
pub const LINE_H: f64 = 15.0;
/// Padding inside a box, px.
pub const PAD: f64 = 10.0;
const H_GAP: f64 = 36.0;
/// Vertical room between ranks (edge labels sit in it), px.
const V_GAP: f64 = 44.0;

/// A laid-out level: its size and, per node (scene order), its box and its body's layout.
#[derive(Debug, Clone)]
pub struct Laid {
    pub w: f64,
    pub h: f64,
    /// `(x, y, w, h)` of each node's box, top-left origin, relative to this level.
    pub boxes: Vec<(f64, f64, f64, f64)>,
    pub bodies: Vec<Option<Laid>>,
    /// Rank of each node (0 = top).
    pub rank: Vec<usize>,
    /// Width of the lane on the left where edges that skip ranks run (0 when none do).
    pub left_lane: f64,
}

/// Horizontal distance between two edges that run down the left lane, px.
pub const LANE_STEP: f64 = 12.0;

/// Lays out `c`; `text_lines(i)` are the label lines of node `i`.
pub fn lay_out(c: &Cluster) -> Laid {
    let n = c.nodes.len();
    let index = |key: &str| c.nodes.iter().position(|x| x.key == key);
    let edges: Vec<(usize, usize)> = c.links.iter().filter_map(|l| Some((index(&l.from)?, index(&l.to)?))).collect();
    let bodies: Vec<Option<Laid>> = c.nodes.iter().map(|x| x.body.as_ref().map(|(_, b)| lay_out(b))).collect();
    let sizes: Vec<(f64, f64)> = c
        .nodes
        .iter()
        .zip(&bodies)
        .map(|(node, body)| {
            let lines = crate::text::lines(node);
            let text_w = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * CHAR_W;
            let head_h = lines.len() as f64 * LINE_H + 2.0 * PAD;
            match body {
                Some(b) => ((text_w + 2.0 * PAD).max(b.w + 2.0 * PAD), head_h + b.h + PAD),
                None => ((text_w + 2.0 * PAD).max(80.0), head_h),
            }
        })
        .collect();
    let rank = ranks(n, &edges);
    let layers = order_layers(n, &edges, &rank);
    let mut boxes = vec![(0.0, 0.0, 0.0, 0.0); n];
    let widths: Vec<f64> = layers
        .iter()
        .map(|l| l.iter().map(|&i| sizes[i].0).sum::<f64>() + H_GAP * l.len().saturating_sub(1) as f64)
        .collect();
    // Back edges run down the right side, edges that skip ranks down a lane on the left
    // (one track per source–target pair): leave room for both.
    let side = if edges.iter().any(|&(a, b)| rank[b] <= rank[a]) { 60.0 } else { 0.0 };
    let mut skipping: Vec<(usize, usize)> = edges.iter().copied().filter(|&(a, b)| rank[b] > rank[a] + 1).collect();
    skipping.sort_unstable();
    skipping.dedup();
    // The lane also holds the labels of those edges, right-aligned against their track.
    let label_w = skipping
        .iter()
        .map(|&(a, b)| {
            let labels = c.links.iter().filter(|l| index(&l.from) == Some(a) && index(&l.to) == Some(b));
            let chars: usize = labels.map(|l| l.label.chars().count() + 2).sum();
            chars as f64 * CHAR_W * 0.95
        })
        .fold(0.0, f64::max);
    let left_lane = if skipping.is_empty() { 0.0 } else { label_w + 24.0 + LANE_STEP * skipping.len() as f64 };
    let w = widths.iter().cloned().fold(0.0, f64::max) + side + left_lane;
    let mut y = 0.0;
    for (layer, width) in layers.iter().zip(&widths) {
        let mut x = left_lane + (w - side - left_lane - width) / 2.0;
        let h = layer.iter().map(|&i| sizes[i].1).fold(0.0, f64::max);
        for &i in layer {
            boxes[i] = (x, y, sizes[i].0, sizes[i].1);
            x += sizes[i].0 + H_GAP;
        }
        y += h + V_GAP;
    }
    Laid { w: w.max(1.0), h: (y - V_GAP).max(1.0), boxes, bodies, rank, left_lane }
}

/// Longest-path ranks over the forward edges: an edge that closes a cycle (found by an
/// iterative depth-first search from node 0, then from every unvisited node) is ignored.
fn ranks(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut out_edges = vec![Vec::new(); n];
    for (k, &(a, b)) in edges.iter().enumerate() {
        out_edges[a].push((b, k));
    }
    // 0 unvisited, 1 on the stack, 2 done.
    let mut state = vec![0u8; n];
    let mut back = vec![false; edges.len()];
    let mut finish_order = Vec::with_capacity(n);
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&(w, k)) = out_edges[v].get(*next) {
                *next += 1;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => back[k] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                finish_order.push(v);
                stack.pop();
            }
        }
    }
    let mut rank = vec![0usize; n];
    // Reverse finishing order is a topological order of the forward edges.
    for &v in finish_order.iter().rev() {
        for &(w, k) in &out_edges[v] {
            if !back[k] && w != v {
                rank[w] = rank[w].max(rank[v] + 1);
            }
        }
    }
    rank
}

/// Nodes per rank, each rank ordered by the mean position of its predecessors in the rank
/// above (ties: scene order).
fn order_layers(n: usize, edges: &[(usize, usize)], rank: &[usize]) -> Vec<Vec<usize>> {
    let depth = rank.iter().copied().max().map_or(0, |m| m + 1);
    let mut layers = vec![Vec::new(); depth];
    for (i, &r) in rank.iter().enumerate().take(n) {
        layers[r].push(i);
    }
    let mut preds = vec![Vec::new(); n];
    for &(a, b) in edges {
        if rank[a] + 1 == rank[b] {
            preds[b].push(a);
        }
    }
    let mut pos = vec![0.0; n];
    for layer in layers.iter_mut() {
        let key = |i: usize| -> f64 {
            if preds[i].is_empty() {
                i as f64 * 1e-6
            } else {
                preds[i].iter().map(|&p| pos[p]).sum::<f64>() / preds[i].len() as f64 + i as f64 * 1e-6
            }
        };
        let keys: Vec<(f64, usize)> = layer.iter().map(|&i| (key(i), i)).collect();
        let mut sorted = keys;
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        *layer = sorted.into_iter().map(|(_, i)| i).collect();
        for (p, &i) in layer.iter().enumerate() {
            pos[i] = p as f64;
        }
    }
    layers
}
