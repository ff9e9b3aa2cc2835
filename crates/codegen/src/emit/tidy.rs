//! Post-processing of emitted tokens that keeps generated code warning-free.

use proc_macro2::{Group, TokenStream, TokenTree};

/// Step bodies are closures `|cx, scope| …` passed last to `run_step`; a body that does not
/// use a parameter gets it renamed `_cx` / `_scope`, so generated code has no unused-variable
/// warnings and needs no blanket `#![allow]`. (The closure is the last token run of its
/// group, so "the rest of the group" is exactly its body.)
pub(super) fn underscore_unused_params(ts: TokenStream) -> TokenStream {
    fn is_punct(t: &TokenTree, c: char) -> bool {
        matches!(t, TokenTree::Punct(p) if p.as_char() == c)
    }
    fn is_ident(t: &TokenTree, name: &str) -> bool {
        matches!(t, TokenTree::Ident(i) if i == name)
    }
    fn mentions(tokens: &[TokenTree], name: &str) -> bool {
        tokens.iter().any(|t| match t {
            TokenTree::Group(g) => mentions(&g.stream().into_iter().collect::<Vec<_>>(), name),
            t => is_ident(t, name),
        })
    }
    let tokens: Vec<TokenTree> = ts.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let header = &tokens[i..tokens.len().min(i + 5)];
        if header.len() == 5
            && is_punct(&header[0], '|')
            && is_ident(&header[1], "cx")
            && is_punct(&header[2], ',')
            && is_ident(&header[3], "scope")
            && is_punct(&header[4], '|')
        {
            let body = &tokens[i + 5..];
            out.push(header[0].clone());
            for (k, name) in [(1, "cx"), (3, "scope")] {
                out.push(if mentions(body, name) {
                    header[k].clone()
                } else {
                    quote::format_ident!("_{}", name).into()
                });
                if k == 1 {
                    out.push(header[2].clone());
                }
            }
            out.push(header[4].clone());
            i += 5;
            continue;
        }
        out.push(match &tokens[i] {
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), underscore_unused_params(g.stream()));
                inner.set_span(g.span());
                inner.into()
            }
            t => t.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}
