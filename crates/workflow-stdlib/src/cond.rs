//! Condition operators of the workflow runtime (dsl-spec §5.2).
//!
//! Codegen lowers AND/OR/NOT to Rust `&&`/`||`/`!` and arity rules to constants; these
//! functions implement the binary and unary operators on evaluated argument values.

use alloc::format;
use serde_json::Value;

use crate::failure::Failure;
use crate::value::{loose_eq, to_number};

pub use crate::value::truthy;

fn order(a: &Value, b: &Value, f: fn(f64, f64) -> bool) -> bool {
    matches!((to_number(a), to_number(b)), (Some(x), Some(y)) if f(x, y))
}

/// `GT`: numeric comparison after *to-number*; never compares strings lexically.
pub fn gt(a: &Value, b: &Value) -> bool {
    order(a, b, |x, y| x > y)
}
/// `GTE`.
pub fn gte(a: &Value, b: &Value) -> bool {
    order(a, b, |x, y| x >= y)
}
/// `LT`.
pub fn lt(a: &Value, b: &Value) -> bool {
    order(a, b, |x, y| x < y)
}
/// `LTE`.
pub fn lte(a: &Value, b: &Value) -> bool {
    order(a, b, |x, y| x <= y)
}
/// `EQ`: loose equality.
pub fn eq(a: &Value, b: &Value) -> bool {
    loose_eq(a, b)
}
/// `NE`: not `EQ`.
pub fn ne(a: &Value, b: &Value) -> bool {
    !loose_eq(a, b)
}
/// `STARTS_WITH`: both strings, else false.
pub fn starts_with(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::String(x), Value::String(y)) if x.starts_with(y.as_str()))
}
/// `ENDS_WITH`: both strings, else false.
pub fn ends_with(a: &Value, b: &Value) -> bool {
    matches!((a, b), (Value::String(x), Value::String(y)) if x.ends_with(y.as_str()))
}
/// `CONTAINS`: `a` must be an array with an element loose-equal to `b` (no substrings).
pub fn contains(a: &Value, b: &Value) -> bool {
    a.as_array().is_some_and(|arr| arr.iter().any(|e| loose_eq(e, b)))
}
/// `IN`: `b` must be an array with an element loose-equal to `a`.
pub fn is_in(a: &Value, b: &Value) -> bool {
    contains(b, a)
}
/// `NOT_IN`: negation of `IN` (a non-array `b` gives true).
pub fn not_in(a: &Value, b: &Value) -> bool {
    !is_in(a, b)
}
/// `LENGTH` as a value: string bytes, array elements, object keys, null 0, scalars 1.
pub fn length(a: &Value) -> Value {
    Value::from(match a {
        Value::Null => 0,
        Value::String(s) => s.len(),
        Value::Array(x) => x.len(),
        Value::Object(o) => o.len(),
        _ => 1,
    })
}
/// `IS_DEFINED`: not null (missing paths resolve to null).
pub fn is_defined(a: &Value) -> bool {
    !a.is_null()
}
/// `IS_EMPTY`: null, `""`, `[]`, `{}`.
pub fn is_empty(a: &Value) -> bool {
    match a {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(x) => x.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}
/// `IS_NOT_EMPTY`.
pub fn is_not_empty(a: &Value) -> bool {
    !is_empty(a)
}

/// The failure for object-model query operators in a workflow condition (dsl-spec §5.1).
pub fn query_only(op: &str) -> Result<bool, Failure> {
    Err(Failure::msg(format!(
        "condition operator '{op}' is only valid inside object-model query conditions; the workflow runtime cannot evaluate it"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operator_semantics() {
        assert!(gt(&json!("10"), &json!(9)));
        assert!(!gt(&json!("b"), &json!("a")));
        assert!(eq(&json!("5"), &json!(5.0)));
        assert!(!eq(&json!("true"), &json!(true)));
        assert!(!contains(&json!("haystack"), &json!("hay")));
        assert!(contains(&json!([1, "2"]), &json!(2)));
        assert!(not_in(&json!(1), &json!("x")));
        assert_eq!(length(&json!("é")), json!(2));
        assert!(is_empty(&json!({})) && !is_empty(&json!(0)));
    }
}
