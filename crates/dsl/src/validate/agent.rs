//! Agent step rules (dsl-spec §7.2, §9.1 E020–E026): the capability exists in the catalogue, required and typed inputs, allowed values, connections.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::model::*;
use crate::parse::pointer_token;

use super::references::{condition_shape_ok, json_type};
use super::structure::list;
use super::Validator;

impl Validator<'_> {
    /// E023 (an immediate of the wrong JSON type) and E024 (a string outside the field's
    /// allowed values) for one capability input.
    pub(super) fn immediate_input(
        &mut self,
        s: &AgentStep,
        sp: &str,
        key: &str,
        f: &crate::catalog::InputField,
        value: &Value,
    ) {
        let path = format!("{sp}/inputMapping/{}/value", pointer_token(key));
        if key == "condition"
            && crate::catalog::normalize_agent_id(&s.agent_id) == "object-model"
            && !condition_shape_ok(value)
        {
            self.error("E025", Some(&s.id), path.clone(),
                format!("the condition given to '{}/{}' is not a condition object", s.agent_id, s.capability_id),
                "write {\"op\": \"EQ\" | \"AND\" | …, \"arguments\": [...]}, nesting conditions inside AND/OR/NOT arguments");
            return;
        }
        let fits = match f.ty {
            Some(FieldType::String) => value.is_string(),
            Some(FieldType::Integer) => value.is_i64() || value.is_u64(),
            Some(FieldType::Number) => value.is_number(),
            Some(FieldType::Boolean) => value.is_boolean(),
            Some(FieldType::Array) => value.is_array(),
            Some(FieldType::Object) => value.is_object(),
            Some(FieldType::File | FieldType::Connection) | None => true,
        };
        if let (false, Some(ty)) = (fits || value.is_null(), f.ty) {
            self.error(
                "E023",
                Some(&s.id),
                path.clone(),
                format!(
                    "input '{key}' of '{}/{}' must be {} {}, got {}",
                    s.agent_id,
                    s.capability_id,
                    if ty.name().starts_with(['a', 'i', 'o']) { "an" } else { "a" },
                    ty.name(),
                    json_type(value)
                ),
                &format!("give '{key}' a {} value (or a reference)", ty.name()),
            );
            return;
        }
        if let (false, Some(text)) = (f.allowed.is_empty(), value.as_str()) {
            if !f.allowed.iter().any(|a| a == text) {
                self.error(
                    "E024",
                    Some(&s.id),
                    path,
                    format!(
                        "input '{key}' of '{}/{}' is '{text}', which is not one of its values",
                        s.agent_id, s.capability_id
                    ),
                    &format!("use one of: {}", f.allowed.join(", ")),
                );
            }
        }
    }

    pub(super) fn agent(&mut self, s: &AgentStep, sp: &str, ai_side: bool) {
        // A tool of an AiAgent that does not exist fails when the model calls it, and the
        // model sees the error (dsl-spec §7.14): reported, but not fatal.
        let report = |v: &mut Self, code, path: String, msg: String, hint: &str| {
            if ai_side {
                v.warn(code, Some(&s.id), path, format!("{msg} (an AiAgent tool: calls fail at run time)"), hint)
            } else {
                v.error(code, Some(&s.id), path, msg, hint)
            }
        };
        let Some(agent) = self.catalog.agent(&s.agent_id) else {
            let known = list(self.catalog.agents.iter().map(|a| &a.id));
            let hint = if s.capability_id == crate::workflow_agents::RUN_CAPABILITY {
                format!(
                    "known agents: {known}; to call a workflow published as an agent, give its graph as '{0}.json' in a --workflows DIR (runtara serve: deploy workflow '{0}' first)",
                    s.agent_id
                )
            } else {
                format!("known agents: {known}")
            };
            report(self, "E020", format!("{sp}/agentId"), format!("unknown agent '{}'", s.agent_id), &hint);
            return;
        };
        let Some(cap) = agent.capabilities.iter().find(|c| c.id == s.capability_id) else {
            let known = list(agent.capabilities.iter().map(|c| &c.id));
            report(
                self,
                "E021",
                format!("{sp}/capabilityId"),
                format!("agent '{}' has no capability '{}'", agent.id, s.capability_id),
                &format!("capabilities of '{}': {known}", agent.id),
            );
            return;
        };
        let given: BTreeSet<&str> =
            s.input_mapping.iter().flatten().map(|(k, _)| k.split('.').next().unwrap_or(k)).collect();
        let has_connection =
            s.connection_id.as_deref().is_some_and(|c| !c.is_empty() && c != "__none__") || s.connection_ref.is_some();
        if cap.needs_connection && !has_connection && !ai_side {
            self.error(
                "E026",
                Some(&s.id),
                sp.to_string(),
                format!("capability '{}/{}' needs a connection", agent.id, cap.id),
                "set connectionId (or connectionRef) on the step",
            );
        }
        for f in cap.inputs.iter().filter(|f| f.required && !ai_side) {
            if !given.contains(f.name.as_str()) {
                self.error(
                    "E022",
                    Some(&s.id),
                    format!("{sp}/inputMapping"),
                    format!("capability '{}/{}' needs input '{}'", agent.id, cap.id, f.name),
                    &format!("add \"{}\" to inputMapping", f.name),
                );
            }
        }
        for (k, v) in s.input_mapping.iter().flatten() {
            let (Some(f), MappingValue::Immediate { value, .. }) = (cap.inputs.iter().find(|f| &f.name == k), v) else {
                continue;
            };
            self.immediate_input(s, sp, k, f, value);
        }
        for k in &given {
            if !k.starts_with('_') && !cap.inputs.iter().any(|f| f.name == *k) {
                self.warn(
                    "W020",
                    Some(&s.id),
                    format!("{sp}/inputMapping/{}", pointer_token(k)),
                    format!("capability '{}/{}' has no input '{k}'", agent.id, cap.id),
                    &format!("known inputs: {}", list(cap.inputs.iter().map(|f| &f.name))),
                );
            }
        }
    }
}
