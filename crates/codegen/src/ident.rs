//! Identifiers derived from user step ids. A step id never becomes a Rust token except
//! through [`Namer::fresh`]: `<prefix>_<slug>`, where the slug keeps only `[a-z0-9_]` and a
//! collision gets a numeric suffix (`step_fetch_2`). Names depend only on the ids that
//! share a slug, so an edit elsewhere in the graph does not rename every later step (and
//! the golden files of generated code show only what changed).

use std::collections::BTreeSet;

use proc_macro2::Ident;
use quote::format_ident;

/// A short snake_case slug of `raw` (`"Fetch-Order!"` → `"fetch_order"`), at most 32 chars.
pub fn slug(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
        if out.len() >= 32 {
            break;
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() {
        "x".into()
    } else {
        out
    }
}

/// Hands out identifiers unique within one generated program.
#[derive(Debug, Default)]
pub struct Namer {
    used: BTreeSet<String>,
}

impl Namer {
    /// `<prefix>_<slug(raw)>`, or with `_2`, `_3`, … appended when that name is taken.
    /// `prefix` is ours (a Rust identifier); `raw` is any user string.
    pub fn fresh(&mut self, prefix: &str, raw: &str) -> Ident {
        let base = format!("{prefix}_{}", slug(raw));
        let mut name = base.clone();
        let mut n = 1;
        while self.used.contains(&name) {
            n += 1;
            name = format!("{base}_{n}");
        }
        self.used.insert(name.clone());
        format_ident!("{}", name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_syntax_in_ids_is_neutralised() {
        let id = Namer::default().fresh("step", r#"a"); std::process::exit(0); //"#);
        assert_eq!(id.to_string(), "step_a_std_process_exit_0");
        assert_eq!(slug("Ünïcode—"), "n_code");
        assert_eq!(slug("!!!"), "x");
    }

    #[test]
    fn collisions_get_a_suffix_and_nothing_else_moves() {
        let mut n = Namer::default();
        let names: Vec<String> =
            ["fetch", "Fetch!", "fetch_2", "other"].iter().map(|r| n.fresh("step", r).to_string()).collect();
        assert_eq!(names, ["step_fetch", "step_fetch_2", "step_fetch_2_2", "step_other"]);
    }
}
