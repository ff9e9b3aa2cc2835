//! SVG of a scene laid out by [`crate::layout`]: a box per step (type, id, name, detail),
//! bodies inside their Split/While/WaitForSignal box, edges as curves with their labels;
//! back edges (loops) curve around the right side. Every step is a `<g class="step"
//! data-step="<id>" data-type="<type>">` and every edge a `<g class="edge" data-from
//! data-to>`, so pages and tests can find and colour them.

use std::fmt::Write;

use crate::layout::{lay_out, Laid, LINE_H, PAD};
use crate::scene::Cluster;

const MARGIN: f64 = 16.0;
const TITLE_H: f64 = 28.0;

/// XML text and attribute content.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The picture of `root` with `title` above it.
pub fn svg(title: &str, root: &Cluster) -> String {
    let laid = lay_out(root);
    let (w, h) = (laid.w + 2.0 * MARGIN, laid.h + 2.0 * MARGIN + TITLE_H);
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="Helvetica, Arial, sans-serif" font-size="12">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>
<style>.step rect{{stroke:#475569;stroke-width:1}} .edge path{{fill:none;stroke:#475569;stroke-width:1.2}} .edge text{{fill:#334155;font-size:11px}} .body{{fill:#ffffff;fill-opacity:.6;stroke:#94a3b8;stroke-dasharray:4 3}}</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="{MARGIN}" y="{:.0}" font-size="15" font-weight="bold">{}</text>
"##,
        MARGIN + 14.0,
        xml_escape(title)
    );
    level(root, &laid, MARGIN, MARGIN + TITLE_H, &mut out);
    out.push_str("</svg>\n");
    out
}

/// Draws one level with its origin at `(ox, oy)`: edges first (under the boxes), then boxes.
fn level(c: &Cluster, laid: &Laid, ox: f64, oy: f64, out: &mut String) {
    let index = |key: &str| c.nodes.iter().position(|n| n.key == key);
    // Parallel edges (a Switch's routes to one step) are one curve with their labels joined.
    let mut pairs: Vec<(usize, usize, Vec<&str>)> = Vec::new();
    for l in &c.links {
        let (Some(a), Some(b)) = (index(&l.from), index(&l.to)) else { continue };
        match pairs.iter_mut().find(|p| (p.0, p.1) == (a, b)) {
            Some(p) => p.2.push(&l.label),
            None => pairs.push((a, b, vec![&l.label])),
        }
    }
    let mut lanes = 0.0;
    for (a, b, labels) in pairs {
        let label = labels.iter().filter(|l| !l.is_empty()).copied().collect::<Vec<_>>().join(", ");
        let (ax, ay, aw, ah) = laid.boxes[a];
        let (bx, by, bw, bh) = laid.boxes[b];
        let (path, lx, ly) = if laid.rank[b] > laid.rank[a] + 1 {
            // Skips ranks: down the left lane, so it crosses no box in between.
            let lane = ox + laid.left_lane - 16.0 - lanes;
            lanes += crate::layout::LANE_STEP;
            let (x1, y1, x2, y2) = (ox + ax, oy + ay + ah / 2.0, ox + bx, oy + by + bh / 2.0);
            (
                format!("M{x1:.1},{y1:.1} C{lane:.1},{y1:.1} {lane:.1},{y1:.1} {lane:.1},{:.1} L{lane:.1},{:.1} C{lane:.1},{y2:.1} {lane:.1},{y2:.1} {x2:.1},{y2:.1}", y1 + 20.0, y2 - 20.0),
                lane,
                (y1 + y2) / 2.0,
            )
        } else if laid.rank[b] > laid.rank[a] {
            let (x1, y1, x2, y2) = (ox + ax + aw / 2.0, oy + ay + ah, ox + bx + bw / 2.0, oy + by);
            let dy = (y2 - y1) / 2.0;
            (
                format!("M{x1:.1},{y1:.1} C{x1:.1},{:.1} {x2:.1},{:.1} {x2:.1},{y2:.1}", y1 + dy, y2 - dy),
                (x1 + x2) / 2.0,
                y1 + dy,
            )
        } else {
            // A loop back up (or sideways): around the right side.
            let (x1, y1, x2, y2) = (ox + ax + aw, oy + ay + ah / 2.0, ox + bx + bw, oy + by + bh / 2.0);
            let bulge = x1.max(x2) + 50.0;
            (
                format!("M{x1:.1},{y1:.1} C{bulge:.1},{y1:.1} {bulge:.1},{y2:.1} {x2:.1},{y2:.1}"),
                bulge - 8.0,
                (y1 + y2) / 2.0,
            )
        };
        let _ = write!(
            out,
            r#"<g class="edge" data-from="{}" data-to="{}"><path d="{path}" marker-end="url(#arrow)"/>"#,
            xml_escape(&c.nodes[a].step_id),
            xml_escape(&c.nodes[b].step_id)
        );
        if !label.is_empty() {
            // Labels of edges down the left lane sit left of their track.
            let (x, anchor) = if laid.rank[b] > laid.rank[a] + 1 { (lx - 4.0, "end") } else { (lx + 4.0, "start") };
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
                ly + 4.0,
                xml_escape(&label)
            );
        }
        out.push_str("</g>\n");
    }
    for (i, n) in c.nodes.iter().enumerate() {
        let (x, y, w, h) = laid.boxes[i];
        let (x, y) = (ox + x, oy + y);
        let stroke = if n.entry { r#" stroke-width="2""# } else { "" };
        let _ = write!(
            out,
            r#"<g class="step" id="step-{}" data-step="{}" data-type="{}"><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="6" fill="{}"{stroke}/>"#,
            n.key,
            xml_escape(&n.step_id),
            n.step_type,
            crate::fill(n.step_type)
        );
        for (k, line) in crate::text::lines(n).iter().enumerate() {
            let weight = if k == 1 { r#" font-weight="bold""# } else { "" };
            let size = if k == 0 { r##" font-size="10" fill="#475569""## } else { "" };
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}"{weight}{size}>{}</text>"#,
                x + PAD,
                y + PAD + LINE_H * (k as f64 + 1.0) - 4.0,
                xml_escape(line)
            );
        }
        out.push_str("</g>\n");
        if let (Some((_, body)), Some(b)) = (&n.body, &laid.bodies[i]) {
            let head = crate::text::lines(n).len() as f64 * LINE_H + 2.0 * PAD;
            let (bx, by) = (x + (w - b.w) / 2.0, y + head);
            let _ = writeln!(
                out,
                r#"<rect class="body" x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="4"/>"#,
                bx - 4.0,
                by - 4.0,
                b.w + 8.0,
                b.h + 8.0
            );
            level(body, b, bx, by, out);
        }
    }
}
