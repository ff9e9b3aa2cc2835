//! Rendering validation findings for people (dsl-spec §9): one place for the format that
//! `runtara validate` prints and compile errors carry.
//!
//! One finding renders as
//! `error[E010] step 'route' at /steps/route/inputMapping/x: message` followed by an
//! indented `hint: …` line; the step part is left out when the finding has no step, and an
//! empty JSON pointer is shown as `/`.

use std::fmt::Write;

use runtara_dsl::{Diagnostic, Diagnostics};

/// One finding, `kind` being `error` or `warning`, every line prefixed with `indent`.
pub fn render_one(kind: &str, d: &Diagnostic, indent: &str) -> String {
    let step = d.step_id.as_deref().map(|s| format!(" step '{s}'")).unwrap_or_default();
    let path = if d.path.is_empty() { "/" } else { &d.path };
    format!("{indent}{kind}[{}]{step} at {path}: {}\n{indent}  hint: {}", d.code, d.message, d.hint)
}

/// Every error, then every warning, one finding after another (no summary line).
pub fn render(diagnostics: &Diagnostics, indent: &str) -> String {
    let mut out = String::new();
    for (kind, list) in [("error", &diagnostics.errors), ("warning", &diagnostics.warnings)] {
        for d in list {
            let _ = writeln!(out, "{}", render_one(kind, d, indent));
        }
    }
    out
}

/// `FILE: N error(s), M warning(s)`.
pub fn summary(file: &str, diagnostics: &Diagnostics) -> String {
    format!("{file}: {} error(s), {} warning(s)", diagnostics.errors.len(), diagnostics.warnings.len())
}
