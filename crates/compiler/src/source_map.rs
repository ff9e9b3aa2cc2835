//! Where a diagnostic's JSON pointer lands in the document's text: the byte span of the
//! value, its 1-based line and column (issue 17: diagnostics that point into the source).
//! jsonc-parser gives the ranges; a pointer that runs past the document lands on the
//! deepest value it reaches.

use std::ops::Range;

use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::common::Ranged;
use jsonc_parser::{parse_to_ast, CollectOptions, ParseOptions};
use runtara_dsl::validate::Diagnostics;

/// Fills `line`, `column` and `span` of every diagnostic whose path lands in `text`.
/// `wrapped`: the document is the `{"executionGraph": …}` wrapper, to which graph pointers
/// are relative. Paths of child workflows (`child:…`) are left alone.
pub fn locate_all(diagnostics: &mut Diagnostics, text: &str, wrapped: bool) {
    let Ok(parsed) = parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()) else { return };
    let Some(root) = parsed.value.as_ref() else { return };
    for d in diagnostics.errors.iter_mut().chain(diagnostics.warnings.iter_mut()) {
        if !(d.path.is_empty() || d.path.starts_with('/')) {
            continue;
        }
        let pointer = if wrapped { format!("/executionGraph{}", d.path) } else { d.path.clone() };
        let span = locate(root, &pointer);
        let (line, column) = line_column(text, span.start);
        (d.line, d.column, d.span) = (Some(line), Some(column), Some(span));
    }
}

/// The span the pointer lands on: the value's, or its key's when the value spans lines
/// (a one-line underline reads better than a whole object).
fn locate(root: &Value<'_>, pointer: &str) -> Range<usize> {
    let mut here = root;
    let mut key_span = None;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        let next = match here {
            Value::Object(o) => o.properties.iter().find(|p| prop_name(&p.name) == token).map(|p| {
                let r = p.name.range();
                (&p.value, Some(r.start..r.end))
            }),
            Value::Array(a) => token.parse::<usize>().ok().and_then(|i| a.elements.get(i)).map(|v| (v, None)),
            _ => None,
        };
        let Some((value, key)) = next else { break };
        here = value;
        key_span = key;
    }
    let r = here.range();
    let multi_line = matches!(here, Value::Object(_) | Value::Array(_));
    match key_span {
        Some(k) if multi_line => k,
        _ => r.start..r.end,
    }
}

fn prop_name(name: &ObjectPropName<'_>) -> String {
    match name {
        ObjectPropName::String(s) => s.value.to_string(),
        ObjectPropName::Word(w) => w.value.to_string(),
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_land_on_values_and_keys() {
        let text = "{\n  \"steps\": {\n    \"a b\": { \"id\": \"x/y\" }\n  },\n  \"entryPoint\": \"nope\"\n}";
        let parsed = parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()).unwrap();
        let root = parsed.value.as_ref().unwrap();
        let span = locate(root, "/entryPoint");
        assert_eq!(&text[span.clone()], "\"nope\"");
        assert_eq!(line_column(text, span.start), (5, 17));
        let id = locate(root, "/steps/a b/id");
        assert_eq!(&text[id], "\"x/y\"");
        assert_eq!(&text[locate(root, "/steps/a b")], "\"a b\"", "an object value: its key");
        assert_eq!(&text[locate(root, "/steps/a b/missing/deeper")], "\"a b\"", "as deep as it goes");
    }
}
