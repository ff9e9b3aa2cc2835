//! Reference path tokenisation (dsl-spec §4.2), shared by the validator, codegen and the
//! workflow stdlib (which resolves paths found in data at run time, dsl-spec §3.6). no_std.

#![no_std]

extern crate alloc;

use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Splits a reference path into segments.
///
/// `.` separates segments and empty segments are dropped; `[...]` is one segment whose
/// trimmed body is used as-is, except that a body wrapped in matching `'…'`/`"…"` quotes is
/// an opaque key with the quotes removed. An unterminated `[` takes the rest of the path.
///
/// `steps['my-step'].outputs[0]` → `["steps", "my-step", "outputs", "0"]`.
pub fn tokenize(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => flush(&mut cur, &mut out),
            '[' => {
                flush(&mut cur, &mut out);
                let mut body = String::new();
                for b in chars.by_ref() {
                    if b == ']' {
                        break;
                    }
                    body.push(b);
                }
                let body = body.trim();
                let unquoted = strip_quotes(body).unwrap_or(body);
                if !unquoted.is_empty() || strip_quotes(body).is_some() && !unquoted.is_empty() {
                    out.push(unquoted.to_string());
                }
            }
            _ => cur.push(c),
        }
    }
    flush(&mut cur, &mut out);
    out
}

fn strip_quotes(body: &str) -> Option<&str> {
    for q in ['\'', '"'] {
        if body.len() >= 2 && body.starts_with(q) && body.ends_with(q) {
            return Some(&body[1..body.len() - 1]);
        }
    }
    None
}

fn flush(cur: &mut String, out: &mut Vec<String>) {
    if !cur.is_empty() {
        out.push(core::mem::take(cur));
    }
}

/// Whether a segment is an array index token (`-?[0-9]+`, dsl-spec §4.3).
pub fn is_index_token(seg: &str) -> bool {
    let digits = seg.strip_prefix('-').unwrap_or(seg);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::tokenize;
    use alloc::string::String;
    use alloc::vec::Vec;

    #[test]
    fn grammar_examples_of_the_spec() {
        assert_eq!(tokenize(r#"data["order.id"]"#), ["data", "order.id"]);
        assert_eq!(tokenize("steps.fetch.outputs[0]"), ["steps", "fetch", "outputs", "0"]);
        assert_eq!(tokenize("items[-1]"), ["items", "-1"]);
        assert_eq!(tokenize("foo[bar]"), ["foo", "bar"]);
        assert_eq!(tokenize("steps['my-step'].outputs"), ["steps", "my-step", "outputs"]);
        assert_eq!(tokenize("a..b."), ["a", "b"]);
        assert_eq!(tokenize(""), Vec::<String>::new());
        assert_eq!(tokenize("a[b"), ["a", "b"]);
    }
}
