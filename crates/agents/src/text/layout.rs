//! Layout capabilities of the `text` agent (agents.md §5.3): lines, padding, truncation,
//! word wrap and similarity. Widths count chars.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde_json::Value;

use crate::error::invalid_input;
use crate::input::{bool_or, opt_usize, str_or, text};

/// `collapse-expand-lines`: `{text, mode?, separator?}`. `collapse` (default): the non-blank
/// lines, trimmed, joined with `separator` (default one space). `expand`: the parts between
/// `separator`s (default `,`), trimmed, non-empty, one per line. Errors: an unknown mode.
pub fn collapse_expand_lines(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let out = match str_or(input, "mode", "collapse")? {
        "collapse" => {
            let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
            lines.join(str_or(input, "separator", " ")?)
        }
        "expand" => {
            let sep = str_or(input, "separator", ",")?;
            if sep.is_empty() {
                return Err(invalid_input("'separator' must not be empty"));
            }
            let parts: Vec<&str> = s.split(sep).map(str::trim).filter(|p| !p.is_empty()).collect();
            parts.join("\n")
        }
        other => return Err(invalid_input(format!("unknown mode '{other}'; use collapse or expand"))),
    };
    Ok(Value::String(out))
}

/// `pad-text`: `{text, length, pad_char?, direction?}` → `text` padded with `pad_char`
/// (default a space; one char) to `length` chars: `left`, `right` (default) or `both`
/// (extra char on the right). Longer text is returned as is. Errors: a `pad_char` that is
/// not one char, an unknown direction.
pub fn pad_text(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let length = opt_usize(input, "length")?.unwrap_or(0);
    let mut pad = str_or(input, "pad_char", " ")?.chars();
    let (Some(pad), None) = (pad.next(), pad.next()) else {
        return Err(invalid_input("'pad_char' must be exactly one character"));
    };
    let missing = length.saturating_sub(s.chars().count());
    let (left, right) = match str_or(input, "direction", "right")? {
        "left" => (missing, 0),
        "right" => (0, missing),
        "both" => (missing / 2, missing - missing / 2),
        other => return Err(invalid_input(format!("unknown direction '{other}'; use left, right or both"))),
    };
    let fill = |n: usize| core::iter::repeat_n(pad, n);
    Ok(Value::String(fill(left).chain(s.chars()).chain(fill(right)).collect()))
}

/// `truncate-text`: `{text, max_length, suffix?, word_boundary?}` → `text` unchanged when it
/// has at most `max_length` chars, else cut so that it plus `suffix` (default `...`) has at
/// most `max_length` chars; `word_boundary` cuts back to the last whitespace (when there is
/// one). Errors: a missing `max_length`.
pub fn truncate_text(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let max = opt_usize(input, "max_length")?.ok_or_else(|| invalid_input("missing integer field 'max_length'"))?;
    if s.chars().count() <= max {
        return Ok(Value::String(s.into()));
    }
    let suffix = str_or(input, "suffix", "...")?;
    let keep = max.saturating_sub(suffix.chars().count());
    let mut cut: String = s.chars().take(keep).collect();
    let at_boundary = s.chars().nth(keep).is_some_and(char::is_whitespace);
    if bool_or(input, "word_boundary", false)? && !at_boundary {
        if let Some(at) = cut.rfind(char::is_whitespace) {
            cut.truncate(at);
        }
        cut.truncate(cut.trim_end().len());
    }
    Ok(Value::String(cut + suffix))
}

/// `wrap-text`: `{text, width?, preserve_newlines?}` → greedy word wrap at `width` chars
/// (default 80; a longer word gets a line of its own). With `preserve_newlines` (default
/// true) each input line wraps on its own, else the text is one paragraph. Errors: width 0.
pub fn wrap_text(input: &Value) -> Result<Value, Value> {
    let s = text(input)?;
    let width = opt_usize(input, "width")?.unwrap_or(80);
    if width == 0 {
        return Err(invalid_input("'width' must be at least 1"));
    }
    let paragraphs: Vec<&str> =
        if bool_or(input, "preserve_newlines", true)? { s.lines().collect() } else { Vec::from([s]) };
    let wrapped: Vec<String> = paragraphs.into_iter().map(|p| wrap(p, width)).collect();
    Ok(Value::String(wrapped.join("\n")))
}

fn wrap(paragraph: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in paragraph.split_whitespace() {
        let len = word.chars().count();
        if line_len > 0 && line_len + 1 + len > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
    }
    out
}

/// `compare-text`: `{text_a, text_b, mode?, ngram_n?}` → `{mode, similarity}` (0–1, rounded
/// to 6 places) and, for `levenshtein` (default), `distance` (edits). Modes (`strsim`):
/// `levenshtein` (1 − distance / longer length), `jaro_winkler`, `sorensen_dice` (bigrams),
/// `ngram` (Jaccard index of the char `ngram_n`-grams, default 2), `exact`. Errors: an
/// unknown mode, `ngram_n` 0.
#[cfg(feature = "hosted")]
pub fn compare_text(input: &Value) -> Result<Value, Value> {
    let a = str_or(input, "text_a", "")?;
    let b = str_or(input, "text_b", "")?;
    let mode = str_or(input, "mode", "levenshtein")?;
    let mut out = serde_json::json!({"mode": mode});
    let similarity = match mode {
        "levenshtein" => {
            let distance = strsim::levenshtein(a, b);
            out["distance"] = Value::from(distance);
            strsim::normalized_levenshtein(a, b)
        }
        "jaro_winkler" => strsim::jaro_winkler(a, b),
        "sorensen_dice" => strsim::sorensen_dice(a, b),
        "exact" => f64::from(u8::from(a == b)),
        "ngram" => {
            let n = opt_usize(input, "ngram_n")?.unwrap_or(2);
            if n == 0 {
                return Err(invalid_input("'ngram_n' must be at least 1"));
            }
            jaccard(&ngrams(a, n), &ngrams(b, n))
        }
        other => {
            return Err(invalid_input(format!(
                "unknown mode '{other}'; use levenshtein, jaro_winkler, sorensen_dice, ngram or exact"
            )))
        }
    };
    out["similarity"] = Value::from((similarity * 1e6).round() / 1e6);
    Ok(out)
}

#[cfg(feature = "hosted")]
fn ngrams(s: &str, n: usize) -> std::collections::BTreeSet<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.windows(n).map(|w| w.iter().collect()).collect()
}

#[cfg(feature = "hosted")]
fn jaccard(a: &std::collections::BTreeSet<String>, b: &std::collections::BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 {
        return 1.0;
    }
    a.intersection(b).count() as f64 / union as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    #[cfg(feature = "hosted")]
    fn layout() {
        assert_eq!(pad_text(&json!({"text": "7", "length": 3, "pad_char": "0", "direction": "left"})).unwrap(), "007");
        let t = truncate_text(&json!({"text": "the quick brown fox", "max_length": 12, "word_boundary": true}));
        assert_eq!(t.unwrap(), "the quick...");
        assert_eq!(wrap_text(&json!({"text": "aa bb cc dd", "width": 5})).unwrap(), "aa bb\ncc dd");
        let c = compare_text(&json!({"text_a": "kitten", "text_b": "sitting"})).unwrap();
        assert_eq!(c["distance"], 3);
    }
}
