//! `data.*` and `variables.*` references against schemas and declarations
//! (dsl-spec §9.1 E013, E051–E053, E058, E059; warnings W051, W080).

use std::collections::BTreeSet;

use super::{Ctx, Validator};
use crate::model::{ExecutionGraph, FieldType, InputMapping, Schema, SchemaField, Step};
use crate::path::is_index_token;

/// Variables every scope has (dsl-spec §1.3, §7.4–7.6, §7.13).
const BUILTIN_VARIABLES: &[&str] = &[
    "_workflow_id",
    "_instance_id",
    "_tenant_id",
    "_index",
    "_item",
    "_loop",
    "_loop_indices",
    "_previousOutputs",
    "_scope_id",
    "_parent_scope_id",
    "_signal_id",
    "_cache_key_prefix",
];

/// The schema that governs `data.*` in a graph level.
#[derive(Debug, Clone, Copy)]
pub(super) enum DataScope<'a> {
    Schema(&'a Schema),
    /// Root or onWait graph without an inputSchema: any `data.*` is E052.
    Missing,
    /// Split body without an inputSchema: W080.
    Unverified,
}

impl<'a> DataScope<'a> {
    pub(super) fn of_root(schema: &'a Schema) -> Self {
        if schema.is_empty() {
            DataScope::Missing
        } else {
            DataScope::Schema(schema)
        }
    }

    pub(super) fn of_split(schema: Option<&'a Schema>) -> Self {
        match schema {
            Some(s) if !s.is_empty() => DataScope::Schema(s),
            _ => DataScope::Unverified,
        }
    }
}

/// Names declared by `graph.variables` plus the inherited ones.
pub(super) fn declared_names(graph: &ExecutionGraph, inherited: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = inherited.clone();
    out.extend(graph.variables.keys().cloned());
    out
}

/// Inherited names plus the keys of a `config.variables` mapping.
pub(super) fn with_mapping_keys(inherited: &BTreeSet<String>, m: Option<&InputMapping>) -> BTreeSet<String> {
    let mut out = inherited.clone();
    out.extend(m.into_iter().flatten().map(|(k, _)| k.split('.').next().unwrap_or(k).to_string()));
    out
}

impl Validator<'_> {
    pub(super) fn data_ref(&mut self, rest: &[String], path: &str, p: &str, step: Option<&str>, ctx: Ctx<'_>) {
        let Some(field) = rest.first() else { return };
        match ctx.data {
            DataScope::Missing => self.error(
                "E052",
                step,
                p.to_string(),
                format!("'{path}' reads data, but the graph declares no inputSchema"),
                "declare the input fields in inputSchema",
            ),
            DataScope::Unverified => self.warn(
                "W080",
                step,
                p.to_string(),
                format!("'{path}' cannot be checked: the Split declares no inputSchema"),
                "declare the item fields in the Split's inputSchema",
            ),
            DataScope::Schema(schema) => match schema.get(field) {
                None => self.error(
                    "E051",
                    step,
                    p.to_string(),
                    format!("'{path}': field '{field}' is not in the inputSchema"),
                    &format!("declared fields: {}", schema.keys().cloned().collect::<Vec<_>>().join(", ")),
                ),
                Some(f) => self.schema_walk(f, &rest[1..], path, p, step),
            },
        }
    }

    fn schema_walk(&mut self, field: &SchemaField, rest: &[String], path: &str, p: &str, step: Option<&str>) {
        let Some(seg) = rest.first() else { return };
        match field.field_type {
            FieldType::Array => {
                if !is_index_token(seg) {
                    self.error(
                        "E059",
                        step,
                        p.to_string(),
                        format!("'{path}': '{seg}' is a named key into an array"),
                        "address array elements by index (e.g. .0)",
                    );
                } else if let Some(items) = &field.items {
                    self.schema_walk(items, &rest[1..], path, p, step);
                }
            }
            FieldType::Object => match &field.properties {
                None => self.warn(
                    "W051",
                    step,
                    p.to_string(),
                    format!("'{path}' goes below an object schema without properties"),
                    "declare `properties` to have the path checked",
                ),
                Some(props) => match props.get(seg) {
                    None => self.error(
                        "E058",
                        step,
                        p.to_string(),
                        format!("'{path}': '{seg}' is not a property of the object"),
                        &format!("known properties: {}", props.keys().cloned().collect::<Vec<_>>().join(", ")),
                    ),
                    Some(f) => self.schema_walk(f, &rest[1..], path, p, step),
                },
            },
            FieldType::File | FieldType::Connection => {}
            _ => self.error(
                "E059",
                step,
                p.to_string(),
                format!("'{path}' descends into a {:?} field", field.field_type),
                "a scalar field has no members; reference the field itself",
            ),
        }
    }

    pub(super) fn variable_ref(
        &mut self,
        rest: &[String],
        path: &str,
        p: &str,
        step: Option<&str>,
        ctx: Ctx<'_>,
        code: &'static str,
    ) {
        let Some(name) = rest.first() else { return };
        if BUILTIN_VARIABLES.contains(&name.as_str()) || ctx.vars.contains(name) {
            return;
        }
        let known: Vec<&str> = ctx.vars.iter().map(String::as_str).collect();
        self.error(
            code,
            step,
            p.to_string(),
            format!("'{path}': variable '{name}' is not declared"),
            &format!(
                "declare it in `variables` (known: {})",
                if known.is_empty() { "none".into() } else { known.join(", ") }
            ),
        );
    }

    /// Step outputs with a fixed shape (dsl-spec §9.1 E058).
    pub(super) fn closed_output(
        &mut self,
        g: &ExecutionGraph,
        target: &str,
        segs: &[String],
        path: &str,
        p: &str,
        step: Option<&str>,
    ) {
        if segs.get(2).map(String::as_str) != Some("outputs") {
            return;
        }
        let Some(field) = segs.get(3) else { return };
        let fields: &[&str] = match g.steps.get(target) {
            Some(Step::Filter(_)) => &["items", "count"],
            Some(Step::While(_)) => &["iterations", "outputs"],
            Some(Step::GroupBy(_)) => &["groups", "counts", "total_groups"],
            _ => return,
        };
        if !fields.contains(&field.as_str()) {
            self.error(
                "E058",
                step,
                p.to_string(),
                format!("'{path}': step '{target}' outputs have no field '{field}'"),
                &format!("its outputs are {{{}}}", fields.join(", ")),
            );
        }
    }
}
