//! Mapping values and conditions → Rust expressions (dsl-spec §3, §5).
//!
//! Every expression is evaluated inside a step body where `scope: &Scope` (or `&mut Scope`)
//! is in scope and `?` propagates a `Failure`.

use std::collections::BTreeSet;

use proc_macro2::{Literal, TokenStream};
use quote::quote;
use runtara_dsl::path::tokenize;
use runtara_dsl::{CompositeEntries, Condition, ConditionArgument, ConditionOp, InputMapping, MappingValue, TypeHint};
use serde_json::Value;

/// A JSON literal as an expression of type `Value`, built directly (no parsing at run time).
pub fn json_lit(v: &Value) -> TokenStream {
    match v {
        Value::Null => quote!(Value::Null),
        Value::Bool(b) => quote!(Value::Bool(#b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let l = Literal::i64_suffixed(i);
                quote!(Value::from(#l))
            } else if let Some(u) = n.as_u64() {
                let l = Literal::u64_suffixed(u);
                quote!(Value::from(#l))
            } else {
                let l = Literal::f64_suffixed(n.as_f64().unwrap_or(0.0));
                quote!(Value::from(#l))
            }
        }
        Value::String(s) => quote!(Value::from(#s)),
        Value::Array(items) => {
            let items = items.iter().map(json_lit);
            quote!(composite_array([#(#items),*]))
        }
        Value::Object(m) => {
            let entries = m.iter().map(|(k, v)| {
                let v = json_lit(v);
                quote!((#k, #v))
            });
            quote!(composite_object([#(#entries),*]))
        }
    }
}

/// `Some(x)` / `None` as tokens.
pub fn opt<T: quote::ToTokens>(v: Option<T>) -> TokenStream {
    match v {
        Some(x) => quote!(Some(#x)),
        None => quote!(None),
    }
}

/// The segments of a reference path as a `&[&str]` expression.
pub fn segments(path: &str) -> TokenStream {
    let segs = tokenize(path);
    quote!(&[#(#segs),*])
}

/// A mapping value as a `Value` expression (may use `?`).
pub fn mapping_value(m: &MappingValue, hosted: bool) -> Result<TokenStream, String> {
    mapping_value_taking(m, hosted, &BTreeSet::new())
}

/// [`mapping_value`] where references to the paths in `take` move their value out of the
/// scope instead of cloning it (see [`finish_mapping`]).
fn mapping_value_taking(m: &MappingValue, hosted: bool, take: &BTreeSet<String>) -> Result<TokenStream, String> {
    Ok(match m {
        MappingValue::Reference { value, type_hint, default } => {
            let segs = segments(value);
            let hint = match type_hint {
                None | Some(TypeHint::Json) | Some(TypeHint::File) => quote!(Hint::None),
                Some(TypeHint::String) => quote!(Hint::String),
                Some(TypeHint::Integer) => quote!(Hint::Integer),
                Some(TypeHint::Number) => quote!(Hint::Number),
                Some(TypeHint::Boolean) => quote!(Hint::Boolean),
            };
            let default = opt(default.as_ref().map(json_lit));
            if take.contains(value) {
                quote!(take_reference(scope, #value, #segs, #hint, #default)?)
            } else {
                quote!(reference(scope, #value, #segs, #hint, #default)?)
            }
        }
        MappingValue::Immediate { value } => json_lit(value),
        MappingValue::Template { value } => {
            if !hosted {
                return Err("templates (minijinja) need std, which thumbv7em-none-eabihf lacks; use a reference or composite value".into());
            }
            quote!(template(scope, #value)?)
        }
        MappingValue::Composite { value } => match value.entries()? {
            CompositeEntries::Object(entries) => {
                let items = entries
                    .iter()
                    .map(|(k, v)| {
                        let v = mapping_value_taking(v, hosted, take)?;
                        Ok(quote!((#k, #v)))
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                quote!(composite_object([#(#items),*]))
            }
            CompositeEntries::Array(entries) => {
                let items = entries
                    .iter()
                    .map(|v| mapping_value_taking(v, hosted, take))
                    .collect::<Result<Vec<_>, String>>()?;
                quote!(composite_array([#(#items),*]))
            }
        },
    })
}

/// A Finish step's input mapping. The graph ends with the Finish and its scope is dropped
/// right after (every graph level runs in a scope of its own), so a `steps.*` path that
/// the mapping reads exactly once — and that no other read path contains or extends — is
/// moved out of the scope instead of cloned: a Finish that returns a large Split result
/// does not copy it. Templates read the whole scope, so a mapping with one takes nothing.
pub fn finish_mapping(m: Option<&InputMapping>, hosted: bool) -> Result<TokenStream, String> {
    let mut paths = Vec::new();
    let mut templates = false;
    for (_, v) in m.into_iter().flatten() {
        collect_paths(v, &mut paths, &mut templates);
    }
    let mut take = BTreeSet::new();
    if !templates {
        let segs: Vec<Vec<String>> = paths.iter().map(|p| tokenize(p)).collect();
        for (i, p) in paths.iter().enumerate() {
            let overlaps = segs.iter().enumerate().any(|(j, o)| {
                let n = o.len().min(segs[i].len());
                j != i && o[..n] == segs[i][..n]
            });
            if segs[i].first().map(String::as_str) == Some("steps") && segs[i].len() > 1 && !overlaps {
                take.insert(p.clone());
            }
        }
    }
    let items = m
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let v = mapping_value_taking(v, hosted, &take)?;
            Ok(quote!((#k, #v)))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(quote!(input_mapping([#(#items),*])))
}

/// Reference paths of a mapping value (composites included); notes templates.
fn collect_paths(m: &MappingValue, out: &mut Vec<String>, templates: &mut bool) {
    match m {
        MappingValue::Reference { value, .. } => out.push(value.clone()),
        MappingValue::Template { .. } => *templates = true,
        MappingValue::Immediate { .. } => {}
        MappingValue::Composite { value } => match value.entries() {
            Ok(CompositeEntries::Object(entries)) => entries.iter().for_each(|(_, v)| collect_paths(v, out, templates)),
            Ok(CompositeEntries::Array(entries)) => entries.iter().for_each(|v| collect_paths(v, out, templates)),
            Err(_) => *templates = true,
        },
    }
}

/// An input mapping (dsl-spec §3.6) as a `Value` expression; absent → `{}`.
pub fn input_mapping(m: Option<&InputMapping>, hosted: bool) -> Result<TokenStream, String> {
    let items = m
        .into_iter()
        .flatten()
        .map(|(k, v)| {
            let v = mapping_value(v, hosted)?;
            Ok(quote!((#k, #v)))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(quote!(input_mapping([#(#items),*])))
}

/// A condition as a `bool` expression (dsl-spec §5.2, top-level / "as boolean").
pub fn condition(c: &Condition, hosted: bool) -> Result<TokenStream, String> {
    match c {
        Condition::Value(m) => {
            let v = mapping_value(m, hosted)?;
            Ok(quote!(cond::truthy(&#v)))
        }
        Condition::Operation { op, arguments } => operation(*op, arguments, hosted),
    }
}

fn arg_bool(a: &ConditionArgument, hosted: bool) -> Result<TokenStream, String> {
    match a {
        ConditionArgument::Condition(c) => condition(c, hosted),
        ConditionArgument::Value(m) => {
            let v = mapping_value(m, hosted)?;
            Ok(quote!(cond::truthy(&#v)))
        }
    }
}

fn arg_value(a: &ConditionArgument, hosted: bool) -> Result<TokenStream, String> {
    match a {
        ConditionArgument::Condition(c) => match &**c {
            Condition::Operation { op: ConditionOp::Length, arguments } => length(arguments, hosted),
            Condition::Value(m) => mapping_value(m, hosted),
            other => {
                let b = condition(other, hosted)?;
                Ok(quote!(Value::Bool(#b)))
            }
        },
        ConditionArgument::Value(m) => mapping_value(m, hosted),
    }
}

fn length(args: &[ConditionArgument], hosted: bool) -> Result<TokenStream, String> {
    match args.first() {
        Some(a) => {
            let v = arg_value(a, hosted)?;
            Ok(quote!(cond::length(&#v)))
        }
        None => Ok(quote!(Value::from(0u64))),
    }
}

fn operation(op: ConditionOp, args: &[ConditionArgument], hosted: bool) -> Result<TokenStream, String> {
    use ConditionOp::*;
    let binary = |f: TokenStream| -> Result<TokenStream, String> {
        if args.len() < 2 {
            return Ok(quote!(false));
        }
        let a = arg_value(&args[0], hosted)?;
        let b = arg_value(&args[1], hosted)?;
        Ok(quote!(#f(&#a, &#b)))
    };
    let unary = |f: TokenStream, none: bool| -> Result<TokenStream, String> {
        match args.first() {
            Some(a) => {
                let a = arg_value(a, hosted)?;
                Ok(quote!(#f(&#a)))
            }
            None => Ok(quote!(#none)),
        }
    };
    match op {
        And | Or => {
            let parts = args.iter().map(|a| arg_bool(a, hosted)).collect::<Result<Vec<_>, _>>()?;
            Ok(match (op, parts.is_empty()) {
                (And, true) => quote!(true),
                (Or, true) => quote!(false),
                (And, false) => quote!((#(#parts)&&*)),
                _ => quote!((#(#parts)||*)),
            })
        }
        Not => match args.first() {
            Some(a) => {
                let a = arg_bool(a, hosted)?;
                Ok(quote!(!(#a)))
            }
            None => Ok(quote!(true)),
        },
        Gt => binary(quote!(cond::gt)),
        Gte => binary(quote!(cond::gte)),
        Lt => binary(quote!(cond::lt)),
        Lte => binary(quote!(cond::lte)),
        Eq => binary(quote!(cond::eq)),
        Ne => binary(quote!(cond::ne)),
        StartsWith => binary(quote!(cond::starts_with)),
        EndsWith => binary(quote!(cond::ends_with)),
        Contains => binary(quote!(cond::contains)),
        In => binary(quote!(cond::is_in)),
        NotIn => binary(quote!(cond::not_in)),
        Length => {
            let l = length(args, hosted)?;
            Ok(quote!(cond::truthy(&#l)))
        }
        IsDefined => unary(quote!(cond::is_defined), false),
        IsEmpty => unary(quote!(cond::is_empty), true),
        IsNotEmpty => unary(quote!(cond::is_not_empty), false),
        SimilarityGte | Match | CosineDistanceLte | L2DistanceLte => {
            let name = op.as_str();
            Ok(quote!(cond::query_only(#name)?))
        }
    }
}
