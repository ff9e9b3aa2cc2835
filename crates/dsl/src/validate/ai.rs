//! AiAgent edge rules (dsl-spec §7.14, §9.1 E110–E116, E120–E123; W072).

use std::collections::BTreeSet;

use super::Validator;
use crate::model::{EdgeLabel, ExecutionGraph, Step};
use crate::parse::pointer_token;

impl Validator<'_> {
    pub(super) fn ai_edges(&mut self, g: &ExecutionGraph, base: &str) {
        for (id, step) in &g.steps {
            let Step::AiAgent(ai) = step else { continue };
            let sp = format!("{base}/steps/{}", pointer_token(id));
            let id = Some(id.as_str());
            let mut labels = BTreeSet::new();
            let mut mcp = BTreeSet::new();
            let mut memory_edges = 0;
            for (i, e) in g.execution_plan.iter().enumerate().filter(|(_, e)| Some(e.from_step.as_str()) == id) {
                let ep = format!("{base}/executionPlan/{i}");
                let label = e.label_kind();
                if label.is_empty() || label == EdgeLabel::OnError.as_str() {
                    continue;
                }
                if !labels.insert(label.to_string()) {
                    self.error(
                        "E110",
                        id,
                        format!("{ep}/label"),
                        format!("label '{label}' is used twice"),
                        "give every tool edge a distinct label",
                    );
                }
                let target = g.steps.get(&e.to_step);
                if label == "memory" {
                    memory_edges += 1;
                    if !matches!(target, Some(Step::Agent(_)) | None) {
                        self.error(
                            "E114",
                            id,
                            format!("{ep}/toStep"),
                            "the memory edge must point at an Agent step".into(),
                            "point the memory edge at a memory-provider Agent step",
                        );
                    }
                } else if let Some(suffix) = label.strip_prefix("mcp.") {
                    if suffix.is_empty() {
                        self.error(
                            "E122",
                            id,
                            format!("{ep}/label"),
                            "mcp edge label has no toolset name".into(),
                            "label it mcp.<toolset>",
                        );
                    } else if !mcp.insert(suffix.to_string()) {
                        self.error(
                            "E123",
                            id,
                            format!("{ep}/label"),
                            format!("mcp toolset '{suffix}' is used twice"),
                            "use one edge per toolset",
                        );
                    }
                    match target {
                        Some(Step::Agent(a)) if a.agent_id.eq_ignore_ascii_case("mcp") => {}
                        Some(Step::Agent(_)) => self.error(
                            "E121",
                            id,
                            format!("{ep}/toStep"),
                            format!("mcp edge '{label}' targets an Agent whose agentId is not 'mcp'"),
                            "point mcp edges at Agent steps with agentId \"mcp\"",
                        ),
                        Some(_) => self.error(
                            "E120",
                            id,
                            format!("{ep}/toStep"),
                            format!("mcp edge '{label}' must target an Agent step"),
                            "point mcp edges at Agent steps with agentId \"mcp\"",
                        ),
                        None => {}
                    }
                } else {
                    if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        self.error(
                            "E111",
                            id,
                            format!("{ep}/label"),
                            format!("tool label '{label}' is not [A-Za-z0-9_]+"),
                            "rename the tool with letters, digits and underscores",
                        );
                    }
                    if let Some(Step::WaitForSignal(w)) = target {
                        if w.on_wait.is_some() {
                            self.warn(
                                "W072",
                                Some(&e.to_step),
                                format!("{ep}/toStep"),
                                format!("onWait of '{}' is ignored when it is an AiAgent tool", e.to_step),
                                "remove onWait from the tool target",
                            );
                        }
                    }
                }
            }
            if memory_edges > 1 {
                self.error("E113", id, sp.clone(), "more than one memory edge".into(), "keep one memory edge");
            }
            let has_memory_config = ai.config.as_ref().is_some_and(|c| c.memory.is_some());
            if has_memory_config && memory_edges == 0 {
                self.error(
                    "E115",
                    id,
                    format!("{sp}/config/memory"),
                    "config.memory is set but no memory edge exists".into(),
                    "add an edge labelled \"memory\" to the memory Agent step",
                );
            }
            if !has_memory_config && memory_edges > 0 {
                self.error(
                    "E116",
                    id,
                    sp.clone(),
                    "a memory edge exists but config.memory is not set".into(),
                    "set config.memory.conversationId",
                );
            }
        }
    }
}
