//! Reference, mapping and condition rules (dsl-spec §4, §8.4, §9.1): roots, scopes, step order, templates.

use serde_json::Value;

use crate::model::*;
use crate::parse::pointer_token;
use crate::path::{is_index_token, tokenize};

use super::structure::list;
use super::{RootsExtra, Site, Validator, ROOTS};

impl Validator<'_> {
    pub(super) fn condition(&mut self, c: &Condition, p: &str, site: Site<'_>) {
        let step = site.step;
        match c {
            Condition::Value(m) => self.mapping(m, p, site),
            Condition::Operation { op, arguments } => {
                if op.is_query_only() {
                    self.error(
                        "E027",
                        step,
                        format!("{p}/op"),
                        format!("operator {} only works in object-model queries", op.as_str()),
                        "use EQ/CONTAINS/… in workflow conditions",
                    );
                }
                for (i, a) in arguments.iter().enumerate() {
                    let ap = format!("{p}/arguments/{i}");
                    match a {
                        ConditionArgument::Condition(c) => self.condition(c, &ap, site),
                        ConditionArgument::Value(m) => self.mapping(m, &ap, site),
                    }
                }
            }
        }
    }

    pub(super) fn mapping(&mut self, m: &MappingValue, p: &str, site: Site<'_>) {
        let step = site.step;
        match m {
            MappingValue::Reference { value, .. } => self.reference(value, &format!("{p}/value"), site),
            MappingValue::Immediate { .. } => {}
            MappingValue::Template { value } => {
                let env = minijinja::Environment::new();
                match env.template_from_str(value) {
                    Err(e) => self.error(
                        "E011",
                        step,
                        format!("{p}/value"),
                        format!("template syntax error: {e}"),
                        "fix the minijinja template syntax",
                    ),
                    Ok(t) => self.template_references(&t.undeclared_variables(true), &format!("{p}/value"), site),
                }
            }
            MappingValue::Composite { value } => match value.entries() {
                Ok(CompositeEntries::Object(entries)) => {
                    for (k, v) in &entries {
                        let cp = format!("{p}/value/{}", pointer_token(k));
                        self.mapping(v, &cp, site);
                    }
                }
                Ok(CompositeEntries::Array(entries)) => {
                    for (i, v) in entries.iter().enumerate() {
                        self.mapping(v, &format!("{p}/value/{i}"), site);
                    }
                }
                Err(e) => self.error(
                    "E011",
                    step,
                    format!("{p}/value"),
                    format!("invalid composite entry: {e}"),
                    "every composite entry must be a {\"valueType\": …} descriptor",
                ),
            },
        }
    }

    /// W052: the static `data.*` / `variables.*` / `steps.*` references of a template that the
    /// reference rules cannot verify (they would be errors as plain references) — warnings,
    /// since a template renders what it finds (dsl-spec §3.3).
    pub(super) fn template_references(&mut self, vars: &std::collections::HashSet<String>, p: &str, site: Site<'_>) {
        let mut paths: Vec<&String> = vars
            .iter()
            .filter(|v| v.starts_with("data.") || v.starts_with("variables.") || v.starts_with("steps."))
            .collect();
        paths.sort();
        for path in paths {
            let before = self.out.errors.len();
            self.reference(path, p, site);
            for d in self.out.errors.split_off(before) {
                self.warn(
                    "W052",
                    site.step,
                    d.path,
                    format!("template reference '{path}' cannot be verified: {}", d.message),
                    &d.hint,
                );
            }
        }
    }

    pub(super) fn reference(&mut self, path: &str, p: &str, site: Site<'_>) {
        let Site { step, graph: g, preds, ctx, extra } = site;
        if path.contains("..") {
            self.error(
                "E011",
                step,
                p.to_string(),
                format!("reference '{path}' contains '..'"),
                "remove the empty path segment",
            );
        }
        let segs = tokenize(path);
        let Some(root) = segs.first() else { return };
        let root = root.as_str();
        if root == "__error" {
            self.warn(
                "W053",
                step,
                p.to_string(),
                format!("'{path}' uses the bare __error root"),
                "write steps.__error.… instead",
            );
            return;
        }
        if root == "error" {
            return;
        }
        if !ROOTS.contains(&root) {
            self.error(
                "E126",
                step,
                p.to_string(),
                format!("reference '{path}' starts with unknown root '{root}'"),
                "start references with data, variables, steps, workflow, iteration, loop or item",
            );
            return;
        }
        let in_scope = match root {
            "item" => ctx.in_split || matches!(extra, RootsExtra::Item),
            "loop" => ctx.in_while || matches!(extra, RootsExtra::While),
            "iteration" => ctx.in_split || ctx.in_while || matches!(extra, RootsExtra::While),
            _ => true,
        };
        if !in_scope {
            self.error("E127", step, p.to_string(),
                format!("'{root}' is not available here ('{path}')"),
                "item exists in Split bodies and Filter conditions; loop in While bodies and conditions; iteration in Split/While bodies");
        }
        if root == "iteration" {
            if let Some(x) = segs.get(1) {
                if !["index", "indices", "item"].contains(&x.as_str()) {
                    self.error(
                        "E011",
                        step,
                        p.to_string(),
                        format!("iteration has no field '{x}'"),
                        "use iteration.index, iteration.indices or iteration.item",
                    );
                }
            }
        }
        if root == "workflow" {
            let ok = segs.get(1).map(String::as_str) == Some("inputs")
                && matches!(segs.get(2).map(String::as_str), Some("data") | Some("variables"));
            if !ok {
                self.error(
                    "E011",
                    step,
                    p.to_string(),
                    format!("'{path}' is not a workflow input path"),
                    "use workflow.inputs.data… or workflow.inputs.variables…",
                );
            } else if segs[2] == "variables" {
                self.variable_ref(&segs[3..], path, p, step, ctx, "E053");
            } else {
                self.data_ref(&segs[3..], path, p, step, ctx);
            }
        }
        if root == "data" {
            self.data_ref(&segs[1..], path, p, step, ctx);
        }
        if root == "variables" {
            self.variable_ref(&segs[1..], path, p, step, ctx, "E013");
        }
        if root == "steps" {
            let Some(target) = segs.get(1) else { return };
            if target == "__error" {
                return;
            }
            if !g.steps.contains_key(target) {
                self.error(
                    "E010",
                    step,
                    p.to_string(),
                    format!("reference '{path}' names step '{target}', which is not in this graph"),
                    &format!("reference one of: {}", list(g.steps.keys())),
                );
                return;
            }
            let Some(owner) = step else { return };
            if owner == target {
                self.warn(
                    "W050",
                    step,
                    p.to_string(),
                    format!("step '{owner}' references its own output"),
                    "reference an upstream step instead",
                );
                return;
            }
            let upstream = preds.precedes(target.as_str(), owner);
            if !upstream {
                self.error(
                    "E012",
                    step,
                    p.to_string(),
                    format!("step '{owner}' reads '{path}' but '{target}' does not run before it"),
                    &format!("add an edge path from '{target}' to '{owner}', or read another step"),
                );
            }
            self.closed_output(g, target, &segs, path, p, step);
            if let (Some(Step::Split(_)), Some(field)) = (g.steps.get(target), segs.get(3)) {
                if segs.get(2).map(String::as_str) == Some("outputs") && !is_index_token(field) {
                    self.error(
                        "E059",
                        step,
                        p.to_string(),
                        format!("'{path}': Split outputs are an array with no field '{field}'"),
                        &format!("address an element by index, e.g. steps.{target}.outputs.0"),
                    );
                }
            }
        }
    }
}

/// E025: an object-model condition is `{op: <string>, arguments: [...]}`, and arguments that
/// are themselves conditions (objects with `op`) have the same shape.
pub(super) fn condition_shape_ok(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => {
            let op_ok = m.get("op").is_some_and(Value::is_string);
            let args = m.get("arguments").and_then(Value::as_array);
            op_ok && args.is_some_and(|a| a.iter().filter(|x| x.get("op").is_some()).all(condition_shape_ok))
        }
        _ => false,
    }
}

/// The JSON type name of a value, for messages.
pub(super) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
