//! Identifiers derived from user step ids. A step id never becomes a Rust token except
//! through [`sanitize`]: `step_<n>_<slug>`, where `n` is unique in the program and the slug
//! keeps only `[a-z0-9_]`.

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

/// `<prefix>_<n>_<slug>` as an identifier.
pub fn sanitize(prefix: &str, n: usize, raw: &str) -> Ident {
    format_ident!("{}_{}_{}", prefix, n, slug(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_syntax_in_ids_is_neutralised() {
        let id = sanitize("step", 3, r#"a"); std::process::exit(0); //"#);
        assert_eq!(id.to_string(), "step_3_a_std_process_exit_0");
        assert_eq!(slug("Ünïcode—"), "n_code");
        assert_eq!(slug("!!!"), "x");
    }
}
