//! Switch steps (dsl-spec §7.7): value and routing switches.

use crate::cond;
use crate::runtime::StepInfo;
use crate::scope::Scope;
use alloc::vec::Vec;
use serde_json::{Map, Value};

/// Switch match types (dsl-spec §7.7), shared with the DSL model.
pub use runtara_protocol::MatchType;

/// One Switch case with its literal `match` and `output` JSON.
pub struct SwitchCase {
    pub match_type: MatchType,
    pub match_value: Value,
    pub output: Value,
    pub route: Option<&'static str>,
}

/// Whether a case matches the switch value `v` (dsl-spec §7.7).
pub fn case_matches(case: &SwitchCase, v: &Value) -> bool {
    let m = &case.match_value;
    match case.match_type {
        MatchType::Gt => cond::gt(v, m),
        MatchType::Gte => cond::gte(v, m),
        MatchType::Lt => cond::lt(v, m),
        MatchType::Lte => cond::lte(v, m),
        MatchType::Eq if m.is_array() => cond::is_in(v, m),
        MatchType::Eq => cond::eq(v, m),
        MatchType::Ne => cond::ne(v, m),
        MatchType::StartsWith => cond::starts_with(v, m),
        MatchType::EndsWith => cond::ends_with(v, m),
        MatchType::Contains => cond::contains(v, m),
        MatchType::In => cond::is_in(v, m),
        MatchType::NotIn => cond::not_in(v, m),
        MatchType::IsDefined => cond::is_defined(v),
        MatchType::IsEmpty => cond::is_empty(v),
        MatchType::IsNotEmpty => cond::is_not_empty(v),
        MatchType::Between => match m.as_array() {
            Some(b) if b.len() >= 2 => cond::gte(v, &b[0]) && cond::lte(v, &b[1]),
            _ => false,
        },
        MatchType::Range => match m.as_object() {
            Some(o) => {
                let check = |k: &str, f: fn(&Value, &Value) -> bool| o.get(k).is_none_or(|b| f(v, b));
                check("gte", cond::gte) && check("gt", cond::gt) && check("lte", cond::lte) && check("lt", cond::lt)
            }
            None => true,
        },
    }
}

/// Switch (dsl-spec §7.7): the first matching case wins, else `default` (or `{}`) with route
/// `"default"`. Stores the envelope (with `route` for routing switches) and returns the route.
pub fn switch(
    scope: &mut Scope,
    info: &StepInfo,
    value: Value,
    cases: &[SwitchCase],
    default: Value,
    routing: bool,
) -> &'static str {
    let (output, route) = match cases.iter().find(|c| case_matches(c, &value)) {
        Some(c) => (c.output.clone(), c.route.unwrap_or("default")),
        None => (default, "default"),
    };
    let output = resolve_switch_output(scope, output);
    let mut extra = Map::new();
    extra.insert("outputs".into(), output);
    if routing {
        extra.insert("route".into(), route.into());
    }
    scope.store(info.id, info.envelope(extra));
    route
}

/// Switch output processing: `{valueType, value}` objects resolve (references by a plain
/// dot walk with negative indices, no defaults); everything else is kept (dsl-spec §7.7).
fn resolve_switch_output(scope: &Scope, v: Value) -> Value {
    match v {
        Value::Object(m) if m.contains_key("valueType") && m.contains_key("value") => {
            match m.get("valueType").and_then(Value::as_str) {
                Some("reference") => {
                    let path = m.get("value").and_then(Value::as_str).unwrap_or("");
                    let segs: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
                    match scope.resolve(path, &segs) {
                        crate::scope::Resolved::Found(v) => v,
                        _ => Value::Null,
                    }
                }
                Some("immediate") => m.get("value").cloned().unwrap_or(Value::Null),
                _ => Value::Object(m.into_iter().map(|(k, v)| (k, resolve_switch_output(scope, v))).collect()),
            }
        }
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, resolve_switch_output(scope, v))).collect()),
        Value::Array(a) => Value::Array(a.into_iter().map(|v| resolve_switch_output(scope, v)).collect()),
        other => other,
    }
}
