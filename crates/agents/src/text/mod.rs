//! The `text` agent (agents.md §5.3, 29 capabilities): string clean-up and case, splitting,
//! regular expressions (`regex-automata`, the engine of the `regex` crate, which runs without
//! std), encodings (`encoding_rs`, `chardetng`), layout (pad, truncate, wrap) and templates
//! (minijinja, hosted targets only). Most inputs are optional; a missing `text` is `""`.
//! Lengths and positions count Unicode scalar values (chars), never bytes.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{json, Value};

use crate::error::invalid_input;
use crate::input::{opt_str, req_str, str_or, text};

mod encoding;
mod layout;
mod pattern;

pub use encoding::{as_byte_array, detect_encoding, from_base64, hash_text, to_base64};
pub(crate) use encoding::{decode, encode};
#[cfg(feature = "hosted")]
pub use layout::compare_text;
pub use layout::{collapse_expand_lines, pad_text, truncate_text, wrap_text};
pub use pattern::{
    count_occurrences, extract_emails, extract_numbers, extract_urls, regex_match, regex_replace, regex_split,
    regex_test,
};

/// `render-template`: `{text, context?}` → the minijinja rendering of `text` with `context`
/// (an object) as its variables. Errors: `TEMPLATE_ERROR` for a syntax or render error.
#[cfg(feature = "hosted")]
pub fn render_template(input: &Value) -> Result<Value, Value> {
    let source = text(input)?;
    let context = crate::input::field(input, "context").cloned().unwrap_or(json!({}));
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
    env.render_str(source, context)
        .map(Value::String)
        .map_err(|e| crate::error::permanent("TEMPLATE_ERROR", format!("template error: {e}")))
}

/// `trim-normalize`: `{text}` → `text` without leading and trailing whitespace, every inner
/// run of whitespace (newlines included) one space.
pub fn trim_normalize(input: &Value) -> Result<Value, Value> {
    Ok(Value::String(text(input)?.split_whitespace().collect::<Vec<_>>().join(" ")))
}

/// `case-conversion`: `{text, format?}` → `text` in `format`: `lowercase` (default),
/// `uppercase`, `titlecase` (each word capitalised), `sentencecase`, `camelcase`,
/// `pascalcase`, `snakecase`, `kebabcase` (the `case` suffix may be left off). Words of the
/// last four are the runs of letters and digits, split also at lower→upper changes.
/// Errors: an unknown format.
pub fn case_conversion(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let format = str_or(input, "format", "lowercase")?.to_ascii_lowercase();
    let out = match format.trim_end_matches("case") {
        "lower" => s.to_lowercase(),
        "upper" => s.to_uppercase(),
        "title" => map_words_in_place(s, capitalise),
        "sentence" => capitalise(&s.to_lowercase()),
        "camel" => join_words(s, "", |i, w| if i == 0 { w.to_lowercase() } else { capitalise(w) }),
        "pascal" => join_words(s, "", |_, w| capitalise(w)),
        "snake" => join_words(s, "_", |_, w| w.to_lowercase()),
        "kebab" => join_words(s, "-", |_, w| w.to_lowercase()),
        _ => {
            return Err(invalid_input(format!(
                "unknown format '{format}'; use lowercase, uppercase, titlecase, sentencecase, camelcase, pascalcase, snakecase or kebabcase"
            )))
        }
    };
    Ok(Value::String(out))
}

/// The first char upper-cased, the rest lower-cased.
fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    }
}

/// Each whitespace-separated word through `f`, whitespace kept as it was.
fn map_words_in_place(s: &str, f: fn(&str) -> String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut word = String::new();
    for c in s.chars() {
        if c.is_whitespace() {
            out.push_str(&f(&word));
            word.clear();
            out.push(c);
        } else {
            word.push(c);
        }
    }
    out + &f(&word)
}

/// The words of `s` (alphanumeric runs, split at lower→upper changes) through `f`, joined.
fn join_words(s: &str, sep: &str, f: impl Fn(usize, &str) -> String) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut prev_lower = false;
    for c in s.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(core::mem::take(&mut current));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !current.is_empty() {
            words.push(core::mem::take(&mut current));
        }
        prev_lower = c.is_lowercase() || c.is_numeric();
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words.iter().enumerate().map(|(i, w)| f(i, w)).collect::<Vec<_>>().join(sep)
}

/// `find-replace`: `{text, pattern, replacement?}` → `text` with every occurrence of the
/// literal `pattern` replaced (default replacement `""`). Errors: a missing or empty pattern.
pub fn find_replace(input: &Value) -> Result<Value, Value> {
    let pattern = non_empty(input, "pattern")?;
    Ok(Value::String(text(input)?.replace(pattern, str_or(input, "replacement", "")?)))
}

fn non_empty<'a>(input: &'a Value, name: &str) -> Result<&'a str, Value> {
    match req_str(input, name)? {
        "" => Err(invalid_input(format!("'{name}' must not be empty"))),
        s => Ok(s),
    }
}

/// `extract-first-line`: `{text}` → the text before the first line break (`\n` or `\r\n`).
pub fn extract_first_line(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let line = s.split('\n').next().unwrap_or("");
    Ok(Value::String(line.strip_suffix('\r').unwrap_or(line).to_owned()))
}

/// `extract-first-word`: `{text}` → the first whitespace-separated word, `""` when none.
pub fn extract_first_word(input: &Value) -> Result<Value, Value> {
    Ok(Value::String(text(input)?.split_whitespace().next().unwrap_or("").to_owned()))
}

/// `split`: `{text, delimiter?}` → the parts between occurrences of `delimiter` (default
/// `,`), as they are; an empty text gives `[]`. Errors: an empty delimiter.
pub fn split(input: &Value) -> Result<Value, Value> {
    Ok(json!(parts(input)?))
}

fn parts(input: &Value) -> Result<Vec<&str>, Value> {
    let s = text(input)?;
    let delimiter = str_or(input, "delimiter", ",")?;
    if delimiter.is_empty() {
        return Err(invalid_input("'delimiter' must not be empty"));
    }
    Ok(if s.is_empty() { Vec::new() } else { s.split(delimiter).collect() })
}

/// `split-join`: `{text, delimiter?, join_delimiter?}` → the parts of [`split`] (default
/// delimiter `,`), each trimmed, empty ones dropped, joined with `join_delimiter` (default
/// `\n`).
pub fn split_join(input: &Value) -> Result<Value, Value> {
    let join = str_or(input, "join_delimiter", "\n")?;
    let kept: Vec<&str> = parts(input)?.into_iter().map(str::trim).filter(|p| !p.is_empty()).collect();
    Ok(Value::String(kept.join(join)))
}

/// `remove-characters`: `{text, pattern}` → `text` without any of the characters in
/// `pattern` (a set of characters, not a regex). Errors: a missing or empty pattern.
pub fn remove_characters(input: &Value) -> Result<Value, Value> {
    let set = non_empty(input, "pattern")?;
    Ok(Value::String(text(input)?.chars().filter(|c| !set.contains(*c)).collect()))
}

/// `substring-extraction`: `{text, start_delimiter?, end_delimiter?}` → the text after the
/// first `start_delimiter` (absent: from the start) up to the next `end_delimiter` (absent:
/// to the end); `null` when a given delimiter does not occur.
pub fn substring_extraction(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let rest = match opt_str(input, "start_delimiter")? {
        Some(start) if !start.is_empty() => match s.find(start) {
            Some(at) => &s[at + start.len()..],
            None => return Ok(Value::Null),
        },
        _ => s,
    };
    let found = match opt_str(input, "end_delimiter")? {
        Some(end) if !end.is_empty() => match rest.find(end) {
            Some(at) => &rest[..at],
            None => return Ok(Value::Null),
        },
        _ => rest,
    };
    Ok(Value::String(found.to_string()))
}

/// `slugify`: `{text, separator?}` → a URL slug: transliterated to ASCII (`deunicode`:
/// `Crème brûlée` → `creme-brulee`), lower-cased, every run of other characters one
/// `separator` (default `-`), none at either end.
pub fn slugify(input: &Value) -> Result<Value, Value> {
    let separator = str_or(input, "separator", "-")?;
    let ascii = deunicode::deunicode(text(input)?).to_ascii_lowercase();
    let words: Vec<&str> = ascii.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).collect();
    Ok(Value::String(words.join(separator)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_and_slugs() {
        let conv = |s: &str, f: &str| case_conversion(&json!({"text": s, "format": f})).unwrap();
        assert_eq!(conv("hello wORLD  again", "titlecase"), "Hello World  Again");
        assert_eq!(conv("userID from-API", "snake"), "user_id_from_api");
        assert_eq!(conv("order total_amount", "camelcase"), "orderTotalAmount");
        assert_eq!(conv("order total", "pascal"), "OrderTotal");
        assert!(case_conversion(&json!({"text": "x", "format": "shouty"})).is_err());
        assert_eq!(slugify(&json!({"text": "  Crème Brûlée: 2 ways! "})).unwrap(), "creme-brulee-2-ways");
        assert_eq!(split(&json!({"text": ""})).unwrap(), json!([]));
        assert_eq!(
            substring_extraction(&json!({"text": "a [b] c", "start_delimiter": "[", "end_delimiter": "]"})).unwrap(),
            "b"
        );
    }
}
