//! Rendering validation findings for people (dsl-spec §9): one place for the format that
//! `runtara validate` prints and compile errors carry.
//!
//! One finding renders as
//! `error[E010] step 'route' at /steps/route/inputMapping/x: message` followed by an
//! indented `hint: …` line; the step part is left out when the finding has no step, and an
//! empty JSON pointer is shown as `/`. With the document's text, [`render_source`] shows
//! each located finding like rustc does: the file, line and column, the lines of JSON under
//! it with the value underlined, and the hint as `help:`.

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

/// Every error, then every warning, each with the lines of `text` (the document named
/// `origin`) under its value when it was located (`line`/`span` set, see
/// [`crate::source_map`]); unlocated ones as [`render_one`].
pub fn render_source(diagnostics: &Diagnostics, text: &str, origin: &str) -> String {
    use annotate_snippets::{Level, Renderer, Snippet};
    let mut out = String::new();
    for (kind, level, list) in
        [("error", Level::Error, &diagnostics.errors), ("warning", Level::Warning, &diagnostics.warnings)]
    {
        for d in list {
            let Some(span) = d.span.clone().filter(|s| s.end <= text.len()) else {
                let _ = writeln!(out, "{}", render_one(kind, d, ""));
                continue;
            };
            let title = match &d.step_id {
                Some(step) => format!("step '{step}': {}", d.message),
                None => d.message.clone(),
            };
            let label = if d.path.is_empty() { "/".to_string() } else { d.path.clone() };
            let message = level
                .title(&title)
                .id(d.code)
                .snippet(Snippet::source(text).origin(origin).fold(true).annotation(level.span(span).label(&label)))
                .footer(Level::Help.title(&d.hint));
            let _ = writeln!(out, "{}\n", Renderer::plain().render(message));
        }
    }
    out
}
