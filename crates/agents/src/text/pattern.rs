//! Regular-expression capabilities of the `text` agent (agents.md §5.3) over
//! `regex_automata::meta::Regex` — the `regex` crate's engine and syntax (linear time, no
//! look-around or back-references), available without std. For artifact size it runs the
//! PikeVM only (no lazy DFA) and carries the Unicode tables of case folding, Perl classes
//! (`\w`, `\d`, `\s`), word boundaries and general categories (`\p{L}`); script and
//! binary-property classes (`\p{Greek}`) are `INVALID_REGEX`.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use serde_json::{json, Value};

use super::non_empty;
use crate::error::permanent;
use crate::input::{bool_or, opt_usize, str_or, text};

/// Compiles `pattern`. Errors: `INVALID_REGEX` with the parser's message.
fn compile(pattern: &str, case_insensitive: bool) -> Result<Regex, Value> {
    Regex::builder().syntax(syntax::Config::new().case_insensitive(case_insensitive)).build(pattern).map_err(|e| {
        let detail = e.syntax_error().map_or_else(|| e.to_string(), |s| s.to_string());
        permanent("INVALID_REGEX", format!("invalid regular expression '{pattern}': {detail}"))
    })
}

/// The `pattern` field compiled with the `case_insensitive` flag (default false).
fn pattern(input: &Value) -> Result<Regex, Value> {
    compile(non_empty(input, "pattern")?, bool_or(input, "case_insensitive", false)?)
}

/// `regex-replace`: `{text, pattern, replacement?, global?, case_insensitive?}` → `text` with
/// matches replaced; `replacement` may name groups (`$1`, `${name}`); `global` (default true)
/// replaces every match, else the first. Errors: `INVALID_REGEX`.
pub fn regex_replace(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let re = pattern(input)?;
    let replacement = str_or(input, "replacement", "")?;
    let global = bool_or(input, "global", true)?;
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for caps in re.captures_iter(s) {
        let Some(m) = caps.get_match() else { continue };
        out.push_str(&s[last..m.start()]);
        caps.interpolate_string_into(s, replacement, &mut out);
        last = m.end();
        if !global {
            break;
        }
    }
    out.push_str(&s[last..]);
    Ok(Value::String(out))
}

/// `regex-match`: `{text, pattern, capture_group?, all_matches?, case_insensitive?}` → the
/// first match (or its group `capture_group`, 0 = whole match) as a string, `null` when none;
/// with `all_matches` an array of every match (a group that did not take part is `null`).
/// Errors: `INVALID_REGEX`.
pub fn regex_match(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let re = pattern(input)?;
    let group = opt_usize(input, "capture_group")?.unwrap_or(0);
    let pick = |caps: &regex_automata::util::captures::Captures| {
        caps.get_group(group).map_or(Value::Null, |span| Value::String(s[span.range()].to_string()))
    };
    if bool_or(input, "all_matches", false)? {
        return Ok(Value::Array(re.captures_iter(s).map(|c| pick(&c)).collect()));
    }
    let first = re.captures_iter(s).next().map_or(Value::Null, |c| pick(&c));
    Ok(first)
}

/// `regex-test`: `{text, pattern, case_insensitive?}` → whether `pattern` matches anywhere.
/// Errors: `INVALID_REGEX`.
pub fn regex_test(input: &Value) -> Result<Value, Value> {
    Ok(Value::Bool(pattern(input)?.is_match(text(input)?)))
}

/// `regex-split`: `{text, pattern, limit?, case_insensitive?}` → the parts between matches;
/// `limit` caps the number of parts (the last holds the rest). Errors: `INVALID_REGEX`.
pub fn regex_split(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let re = pattern(input)?;
    let parts: Vec<&str> = match opt_usize(input, "limit")? {
        Some(limit) => re.splitn(s, limit).map(|span| &s[span.range()]).collect(),
        None => re.split(s).map(|span| &s[span.range()]).collect(),
    };
    Ok(json!(parts))
}

/// Every match of a built-in pattern.
fn all<'h>(pattern: &str, s: &'h str) -> Vec<&'h str> {
    let re = compile(pattern, false).expect("built-in patterns compile");
    re.find_iter(s).map(|m| &s[m.range()]).collect()
}

/// `extract-numbers`: `{text, include_decimals?, include_negative?}` (both default true) →
/// the numbers in `text` as JSON numbers, in order (`-3.5`, `42`; thousands separators are
/// not joined).
pub fn extract_numbers(input: &Value) -> Result<Value, Value> {
    let sign = if bool_or(input, "include_negative", true)? { "-?" } else { "" };
    let fraction = if bool_or(input, "include_decimals", true)? { r"(?:\.[0-9]+)?" } else { "" };
    let numbers = all(&format!("{sign}[0-9]+{fraction}"), text(input)?);
    Ok(Value::Array(numbers.into_iter().filter_map(number).collect()))
}

/// A whole number stays an integer in JSON; anything else is a float.
fn number(s: &str) -> Option<Value> {
    match s.parse::<i64>() {
        Ok(n) => Some(Value::from(n)),
        Err(_) => crate::number::parse_f64(s).map(Value::from),
    }
}

/// `extract-emails`: `{text}` → the e-mail addresses (`local@domain.tld`) in `text`.
pub fn extract_emails(input: &Value) -> Result<Value, Value> {
    Ok(json!(all(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", text(input)?)))
}

/// `extract-urls`: `{text}` → the `http(s)://` URLs in `text`, without trailing punctuation
/// (`.,;:!?)`).
pub fn extract_urls(input: &Value) -> Result<Value, Value> {
    let urls = all(r#"https?://[^\s<>"'`]+"#, text(input)?);
    Ok(json!(urls.into_iter().map(|u| u.trim_end_matches(['.', ',', ';', ':', '!', '?', ')'])).collect::<Vec<_>>()))
}

/// `count-occurrences`: `{text, pattern, use_regex?, case_insensitive?}` → the number of
/// non-overlapping occurrences of `pattern` (literal unless `use_regex`). Errors: an empty
/// pattern, `INVALID_REGEX`.
pub fn count_occurrences(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let needle = non_empty(input, "pattern")?;
    let ci = bool_or(input, "case_insensitive", false)?;
    let count = if bool_or(input, "use_regex", false)? {
        compile(needle, ci)?.find_iter(s).count()
    } else if ci {
        s.to_lowercase().matches(needle.to_lowercase().as_str()).count()
    } else {
        s.matches(needle).count()
    };
    Ok(Value::from(count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_capabilities() {
        let r =
            regex_replace(&json!({"text": "2024-03-05", "pattern": r"(\d+)-(\d+)-(\d+)", "replacement": "$3/$2/$1"}));
        assert_eq!(r.unwrap(), "05/03/2024");
        assert_eq!(regex_test(&json!({"text": "x", "pattern": "("})).unwrap_err()["code"], "INVALID_REGEX");
        let m =
            regex_match(&json!({"text": "a1 b22", "pattern": r"[a-z](\d+)", "capture_group": 1, "all_matches": true}));
        assert_eq!(m.unwrap(), json!(["1", "22"]));
        assert_eq!(extract_numbers(&json!({"text": "t -3.5 and 42"})).unwrap(), json!([-3.5, 42]));
        assert_eq!(
            regex_split(&json!({"text": "a, b,c", "pattern": r",\s*", "limit": 2})).unwrap(),
            json!(["a", "b,c"])
        );
        assert_eq!(count_occurrences(&json!({"text": "Aa a", "pattern": "a", "case_insensitive": true})).unwrap(), 3);
    }
}
