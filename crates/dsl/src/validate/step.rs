//! Per-step rules (dsl-spec §7, §9.1): each step type's required fields and settings, recursing into subgraphs.

use crate::model::*;
use crate::parse::pointer_token;

use super::data::{self, DataScope};
use super::structure::Ancestry;
use super::{Ctx, RootsExtra, Site, Validator};

impl Validator<'_> {
    pub(super) fn step(&mut self, g: &ExecutionGraph, step: &Step, sp: &str, ctx: Ctx<'_>, preds: &Ancestry<'_>) {
        let id = step.id();
        self.limits(step, sp);
        if let Some(piece) = runtara_protocol::checkpoint::reserved_piece(id) {
            self.error(
                "E075",
                Some(id),
                sp.to_string(),
                format!("step id '{id}' contains '{piece}', which runtara uses to build checkpoint ids; it could collide with another step's checkpoints"),
                "rename the step without '::', '.turn.', '.tool.' or '.memory' (and update the edges and references)",
            );
        }
        let mut mappings: Vec<(String, &MappingValue)> = Vec::new();
        let mut conds: Vec<(String, &Condition, RootsExtra)> = Vec::new();
        fn add<'m>(acc: &mut Vec<(String, &'m MappingValue)>, m: &'m Option<InputMapping>, at: String) {
            if let Some(m) = m {
                for (k, v) in m {
                    acc.push((format!("{at}/{}", pointer_token(k)), v));
                }
            }
        }
        match step {
            Step::Finish(s) => {
                add(&mut mappings, &s.input_mapping, format!("{sp}/inputMapping"));
                for (k, v) in s.input_mapping.iter().flatten() {
                    let kp = format!("{sp}/inputMapping/{}", pointer_token(k));
                    if k.trim().is_empty() {
                        self.error(
                            "E117",
                            Some(id),
                            kp.clone(),
                            "Finish output has a blank name".into(),
                            "name every Finish output",
                        );
                    }
                    let blank = match v {
                        MappingValue::Reference { value, .. } | MappingValue::Template { value } => {
                            value.trim().is_empty()
                        }
                        MappingValue::Immediate { value } => value.as_str().is_some_and(|s| s.trim().is_empty()),
                        MappingValue::Composite { .. } => false,
                    };
                    if blank {
                        self.error(
                            "E118",
                            Some(id),
                            kp,
                            format!("Finish output '{k}' has no source"),
                            "give the output a reference path, template or value",
                        );
                    }
                }
            }
            Step::Agent(s) => {
                add(&mut mappings, &s.input_mapping, format!("{sp}/inputMapping"));
                if let Some(c) = &s.connection_ref {
                    mappings.push((format!("{sp}/connectionRef"), c));
                }
                // Tools, memory and MCP providers of an AiAgent get their input at run time.
                let ai_side = g.is_ai_side_target(id);
                self.agent(s, sp, ai_side);
            }
            Step::Conditional(s) => {
                // A missing true/false edge is a compile-gate error (dsl-spec §9.3), not E072.
                conds.push((format!("{sp}/condition"), &s.condition, RootsExtra::None));
            }
            Step::Split(s) => {
                if let Some(c) = &s.config {
                    mappings.push((format!("{sp}/config/value"), &c.value));
                    add(&mut mappings, &c.variables, format!("{sp}/config/variables"));
                }
                let extra = s.config.as_ref().and_then(|c| c.variables.as_ref());
                let vars = data::with_mapping_keys(ctx.vars, extra);
                let data = DataScope::of_split(s.input_schema.as_ref());
                let sub = Ctx { in_split: true, vars: &vars, data, ..ctx };
                self.graph(&s.subgraph, &format!("{sp}/subgraph"), sub);
            }
            Step::While(s) => {
                conds.push((format!("{sp}/condition"), &s.condition, RootsExtra::While));
                if let Some(c) = &s.config {
                    add(&mut mappings, &c.variables, format!("{sp}/config/variables"));
                }
                let extra = s.config.as_ref().and_then(|c| c.variables.as_ref());
                let vars = data::with_mapping_keys(ctx.vars, extra);
                self.graph(&s.subgraph, &format!("{sp}/subgraph"), Ctx { in_while: true, vars: &vars, ..ctx });
            }
            Step::Switch(s) => {
                if let Some(c) = &s.config {
                    mappings.push((format!("{sp}/config/value"), &c.value));
                }
            }
            Step::EmbedWorkflow(s) => {
                add(&mut mappings, &s.input_mapping, format!("{sp}/inputMapping"));
                let bad = match &s.child_version {
                    ChildVersion::Number(n) => *n < 1,
                    ChildVersion::Name(n) => !n.eq_ignore_ascii_case("latest") && !n.eq_ignore_ascii_case("current"),
                };
                if bad {
                    self.error(
                        "E050",
                        Some(id),
                        format!("{sp}/childVersion"),
                        "childVersion must be \"latest\", \"current\" or an integer ≥ 1".into(),
                        "set childVersion to \"latest\" or a published version number",
                    );
                }
            }
            Step::Log(s) => add(&mut mappings, &s.context, format!("{sp}/context")),
            Step::Error(s) => add(&mut mappings, &s.context, format!("{sp}/context")),
            Step::Filter(s) => {
                mappings.push((format!("{sp}/config/value"), &s.config.value));
                conds.push((format!("{sp}/config/condition"), &s.config.condition, RootsExtra::Item));
            }
            Step::GroupBy(s) => mappings.push((format!("{sp}/config/value"), &s.config.value)),
            Step::Delay(s) => mappings.push((format!("{sp}/durationMs"), &s.duration_ms)),
            Step::WaitForSignal(s) => {
                if let Some(t) = &s.timeout_ms {
                    mappings.push((format!("{sp}/timeoutMs"), t));
                }
                if let Some(a) = &s.action {
                    add(&mut mappings, &a.correlation, format!("{sp}/action/correlation"));
                    add(&mut mappings, &a.context, format!("{sp}/action/context"));
                }
                if let Some(w) = &s.on_wait {
                    let vars = data::declared_names(w, ctx.vars);
                    let data = DataScope::of_root(&w.input_schema);
                    self.graph(w, &format!("{sp}/onWait"), Ctx { vars: &vars, data, ..ctx });
                }
            }
            Step::AiAgent(s) => {
                if s.connection_id.as_deref().is_none_or(|c| c.is_empty()) && s.connection_ref.is_none() {
                    self.error(
                        "E112",
                        Some(id),
                        sp.to_string(),
                        "AiAgent step has no connection".into(),
                        "set connectionId (or connectionRef) to the LLM connection",
                    );
                }
                if let Some(c) = &s.config {
                    mappings.push((format!("{sp}/config/systemPrompt"), &c.system_prompt));
                    mappings.push((format!("{sp}/config/userPrompt"), &c.user_prompt));
                }
            }
        }
        for (p, m) in mappings {
            self.mapping(m, &p, Site { step: Some(id), graph: g, preds, ctx, extra: RootsExtra::None });
        }
        for (p, c, extra) in conds {
            self.condition(c, &p, Site { step: Some(id), graph: g, preds, ctx, extra });
        }
    }
}
