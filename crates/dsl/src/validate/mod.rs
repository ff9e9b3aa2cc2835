//! Static validation of a workflow graph (dsl-spec §9).
//!
//! Each rule reports a [`Diagnostic`] with the spec's code, the step id, the JSON pointer of
//! the offending value and a one-line hint. Rules recurse into Split/While/onWait subgraphs;
//! pointers are absolute within the document.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Serialize;
use serde_json::Value;

use crate::catalog::AgentCatalog;
use crate::model::*;
use crate::parse::pointer_token;
use crate::path::{is_index_token, tokenize};

mod ai;
mod data;
mod limits;

use data::DataScope;

/// Error or warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding: `code` (`E001`…, `W003`…), the step it concerns, the JSON pointer of the
/// value, a message and a hint saying how to fix it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    pub code: &'static str,
    #[serde(skip)]
    pub severity: Severity,
    pub step_id: Option<String>,
    pub path: String,
    pub message: String,
    pub hint: String,
}

/// All findings of one validation run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Diagnostics {
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

/// Error codes whose situation the runtime defines precisely (a reference resolving to
/// null, a missing child input failing the step with a message; dsl-spec §4.3, §7.6, §8.1):
/// `runtara validate`
/// reports them as errors, but they do not stop a compilation.
pub const RUNTIME_DEFINED: &[&str] = &["E012", "E013", "E051", "E052", "E053", "E054", "E055", "E058", "E059", "E060"];

impl Diagnostics {
    /// True when no error was found (warnings do not count).
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// Moves the [`RUNTIME_DEFINED`] errors to the warnings: the gate a compiler applies.
    pub fn for_compilation(mut self) -> Self {
        let (keep, demote): (Vec<_>, Vec<_>) =
            self.errors.into_iter().partition(|d| !RUNTIME_DEFINED.contains(&d.code));
        self.errors = keep;
        self.warnings.extend(demote.into_iter().map(|mut d| {
            d.severity = Severity::Warning;
            d
        }));
        self
    }

    fn push(&mut self, d: Diagnostic) {
        match d.severity {
            Severity::Error => self.errors.push(d),
            Severity::Warning => self.warnings.push(d),
        }
    }
}

/// Validates a graph against the rules of dsl-spec §9 and the given agent catalogue.
pub fn validate(graph: &ExecutionGraph, catalog: &AgentCatalog) -> Diagnostics {
    let mut out = Diagnostics::default();
    let mut v = Validator { catalog, out: &mut out };
    let vars = data::declared_names(graph, &BTreeSet::new());
    let data = DataScope::of_root(&graph.input_schema);
    v.graph(graph, "", Ctx { in_split: false, in_while: false, vars: &vars, data });
    out
}

/// What references in a graph level may use (dsl-spec §4.4, §9.1 scope rules).
#[derive(Debug, Clone, Copy)]
struct Ctx<'a> {
    in_split: bool,
    in_while: bool,
    /// Variable names available: declared, inherited, `config.variables`.
    vars: &'a BTreeSet<String>,
    /// The schema governing `data.*`.
    data: DataScope<'a>,
}

struct Validator<'a> {
    catalog: &'a AgentCatalog,
    out: &'a mut Diagnostics,
}

fn diag(
    code: &'static str,
    severity: Severity,
    step: Option<&str>,
    path: String,
    message: String,
    hint: &str,
) -> Diagnostic {
    Diagnostic { code, severity, step_id: step.map(str::to_string), path, message, hint: hint.to_string() }
}

const ROOTS: &[&str] = &["data", "variables", "workflow", "steps", "iteration", "loop", "item"];

impl Validator<'_> {
    fn error(&mut self, code: &'static str, step: Option<&str>, path: String, msg: String, hint: &str) {
        self.out.push(diag(code, Severity::Error, step, path, msg, hint));
    }

    fn warn(&mut self, code: &'static str, step: Option<&str>, path: String, msg: String, hint: &str) {
        self.out.push(diag(code, Severity::Warning, step, path, msg, hint));
    }

    fn graph(&mut self, g: &ExecutionGraph, base: &str, ctx: Ctx<'_>) {
        if g.steps.is_empty() {
            self.error(
                "E004",
                None,
                format!("{base}/steps"),
                "the workflow has no steps".into(),
                "add at least one step and point entryPoint at it",
            );
            return;
        }
        if !g.steps.contains_key(&g.entry_point) {
            let msg = if g.entry_point.is_empty() {
                "entryPoint is empty".to_string()
            } else {
                format!("entryPoint '{}' is not a step of this graph", g.entry_point)
            };
            self.error(
                "E001",
                None,
                format!("{base}/entryPoint"),
                msg,
                &format!("set entryPoint to one of: {}", list(g.steps.keys())),
            );
        }
        for (key, step) in &g.steps {
            if key != step.id() {
                self.error(
                    "E014",
                    Some(key),
                    format!("{base}/steps/{}/id", pointer_token(key)),
                    format!("step key '{key}' differs from its id '{}'", step.id()),
                    "make the key in `steps` equal to the step's `id`",
                );
            }
        }
        self.edges(g, base);
        self.ai_edges(g, base);
        self.reachability(g, base);
        self.fanout(g, base);
        let preds = predecessors(g);
        let mut names: BTreeMap<&str, &str> = BTreeMap::new();
        for (id, step) in &g.steps {
            let sp = format!("{base}/steps/{}", pointer_token(id));
            if let Some(name) = step.name() {
                if let Some(first) = names.insert(name, id) {
                    self.error(
                        "E060",
                        Some(id),
                        format!("{sp}/name"),
                        format!("step name '{name}' is also used by step '{first}'"),
                        "give every step a distinct name",
                    );
                }
            }
            self.step(g, step, &sp, ctx, &preds);
        }
        for (i, e) in g.execution_plan.iter().enumerate() {
            if let Some(c) = &e.condition {
                let ep = format!("{base}/executionPlan/{i}/condition");
                let site = Site { step: Some(&e.from_step), graph: g, preds: &preds, ctx, extra: RootsExtra::None };
                self.condition(c, &ep, site);
            }
        }
    }

    fn edges(&mut self, g: &ExecutionGraph, base: &str) {
        let mut defaults: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        let mut guarded: BTreeMap<(&str, &str), bool> = BTreeMap::new();
        let mut priorities: BTreeSet<(&str, &str, i32)> = BTreeSet::new();
        for (i, e) in g.execution_plan.iter().enumerate() {
            let ep = format!("{base}/executionPlan/{i}");
            for (field, id) in [("fromStep", &e.from_step), ("toStep", &e.to_step)] {
                if !g.steps.contains_key(id) {
                    self.error(
                        "E014",
                        Some(id),
                        format!("{ep}/{field}"),
                        format!("edge {field} '{id}' is not a step of this graph"),
                        &format!("use one of: {}", list(g.steps.keys())),
                    );
                }
            }
            let Some(from) = g.steps.get(&e.from_step) else { continue };
            let label = e.label_kind();
            match from {
                Step::Conditional(_) => {
                    if label != "true" && label != "false" {
                        self.error(
                            "E072",
                            Some(&e.from_step),
                            format!("{ep}/label"),
                            format!("Conditional edge has label '{label}'"),
                            "label Conditional edges \"true\" or \"false\"",
                        );
                    } else if e.condition.is_some() || e.priority.is_some() {
                        self.error(
                            "E072",
                            Some(&e.from_step),
                            ep.clone(),
                            "Conditional edges take no condition or priority".into(),
                            "remove `condition` and `priority` from true/false edges",
                        );
                    }
                }
                Step::Finish(_) | Step::Error(_) => {
                    self.error(
                        "E074",
                        Some(&e.from_step),
                        ep.clone(),
                        format!("a {} step cannot have outgoing edges", from.step_type()),
                        "remove the edge; Finish and Error end their graph",
                    );
                }
                Step::Switch(_) | Step::AiAgent(_) => {}
                _ => {
                    let ok = label.is_empty() || (label == "onError" && from.supports_on_error());
                    if !ok {
                        self.error(
                            "E074",
                            Some(&e.from_step),
                            format!("{ep}/label"),
                            format!("a {} step has no '{label}' route", from.step_type()),
                            if label == "onError" {
                                "onError routes exist on Agent, AiAgent, EmbedWorkflow, Split, While and WaitForSignal"
                            } else {
                                "remove the label (normal flow) or use \"onError\""
                            },
                        );
                    }
                }
            }
            let key = (e.from_step.as_str(), label);
            if e.condition.is_some() {
                guarded.insert(key, true);
                let p = e.priority.unwrap_or(0);
                if !priorities.insert((key.0, key.1, p)) {
                    self.error(
                        "E070",
                        Some(&e.from_step),
                        format!("{ep}/priority"),
                        format!("two guarded '{}' edges from '{}' share priority {p}", label, e.from_step),
                        "give guarded edges distinct priorities",
                    );
                }
            } else {
                *defaults.entry(key).or_default() += 1;
            }
        }
        for (i, e) in g.execution_plan.iter().enumerate() {
            if e.label_kind() == "onError"
                && g.execution_plan
                    .iter()
                    .any(|n| n.from_step == e.from_step && n.to_step == e.to_step && n.label_kind().is_empty())
            {
                self.warn(
                    "W040",
                    Some(&e.from_step),
                    format!("{base}/executionPlan/{i}"),
                    format!("'{}' reaches '{}' both normally and on error", e.from_step, e.to_step),
                    "route errors to a dedicated handler step",
                );
            }
        }
        for ((from, label), n) in defaults {
            let conditional = matches!(g.steps.get(from), Some(Step::Conditional(_)));
            let multiple = n > 1 && (conditional || !label.is_empty() || guarded.contains_key(&(from, label)));
            if multiple && !matches!(g.steps.get(from), Some(Step::AiAgent(_))) {
                self.error(
                    "E071",
                    Some(from),
                    base_edges(base),
                    format!("step '{from}' has {n} unguarded '{label}' edges"),
                    "keep exactly one default edge per label; guard the others with a condition",
                );
            }
        }
    }

    fn reachability(&mut self, g: &ExecutionGraph, base: &str) {
        if !g.steps.contains_key(&g.entry_point) {
            return;
        }
        let mut seen = BTreeSet::new();
        let mut queue = VecDeque::from([g.entry_point.as_str()]);
        while let Some(s) = queue.pop_front() {
            if seen.insert(s) {
                for e in g.execution_plan.iter().filter(|e| e.from_step == s) {
                    queue.push_back(&e.to_step);
                }
            }
        }
        for (id, step) in &g.steps {
            if !seen.contains(id.as_str()) {
                let code = if matches!(step, Step::Finish(_)) { "E003" } else { "E002" };
                self.error(
                    code,
                    Some(id),
                    format!("{base}/steps/{}", pointer_token(id)),
                    format!("step '{id}' is not reachable from entryPoint '{}'", g.entry_point),
                    "add an edge to it in executionPlan or remove the step",
                );
            }
        }
    }

    fn fanout(&mut self, g: &ExecutionGraph, base: &str) {
        for (id, step) in &g.steps {
            if matches!(step, Step::Conditional(_) | Step::AiAgent(_)) {
                continue;
            }
            let outs: Vec<&Edge> =
                g.execution_plan.iter().filter(|e| &e.from_step == id && e.label_kind().is_empty()).collect();
            let has_edges = g.execution_plan.iter().any(|e| &e.from_step == id);
            if !has_edges && !matches!(step, Step::Finish(_) | Step::Error(_)) && !g.is_ai_side_target(id) {
                self.warn(
                    "W003",
                    Some(id),
                    format!("{base}/steps/{}", pointer_token(id)),
                    format!("step '{id}' has no outgoing edge; the graph ends here with a null result"),
                    "add an edge to a Finish step",
                );
            }
            if outs.len() < 2 || outs.iter().any(|e| e.condition.is_some()) {
                continue;
            }
            let mut common: Option<BTreeSet<String>> = None;
            for e in &outs {
                let r = reachable_normal(g, &e.to_step);
                common = Some(match common {
                    None => r,
                    Some(c) => c.intersection(&r).cloned().collect(),
                });
            }
            if common.is_some_and(|c| c.is_empty()) {
                self.error(
                    "E073",
                    Some(id),
                    format!("{base}/steps/{}", pointer_token(id)),
                    format!("the fan-out from '{id}' never re-converges"),
                    "join the parallel branches at one common step (e.g. a single Finish)",
                );
            }
        }
    }

    fn step(
        &mut self,
        g: &ExecutionGraph,
        step: &Step,
        sp: &str,
        ctx: Ctx<'_>,
        preds: &BTreeMap<String, BTreeSet<String>>,
    ) {
        let id = step.id();
        self.limits(step, sp);
        let mut mappings: Vec<(String, &MappingValue)> = Vec::new();
        let mut conds: Vec<(String, &Condition, RootsExtra)> = Vec::new();
        let mapping = |m: &Option<InputMapping>, key: &str, acc: &mut Vec<(String, &MappingValue)>| {
            let _ = (m, key, acc);
        };
        let _ = mapping;
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

    /// E023 (an immediate of the wrong JSON type) and E024 (a string outside the field's
    /// allowed values) for one capability input.
    fn immediate_input(&mut self, s: &AgentStep, sp: &str, key: &str, f: &crate::catalog::InputField, value: &Value) {
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
        let fits = match f.ty.as_str() {
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => true,
        };
        if !fits && !value.is_null() {
            self.error(
                "E023",
                Some(&s.id),
                path.clone(),
                format!(
                    "input '{key}' of '{}/{}' must be {} {}, got {}",
                    s.agent_id,
                    s.capability_id,
                    if f.ty.starts_with(['a', 'i', 'o']) { "an" } else { "a" },
                    f.ty,
                    json_type(value)
                ),
                &format!("give '{key}' a {} value (or a reference)", f.ty),
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

    fn agent(&mut self, s: &AgentStep, sp: &str, ai_side: bool) {
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
            report(
                self,
                "E020",
                format!("{sp}/agentId"),
                format!("unknown agent '{}'", s.agent_id),
                &format!("known agents: {known}"),
            );
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

    fn condition(&mut self, c: &Condition, p: &str, site: Site<'_>) {
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

    fn mapping(&mut self, m: &MappingValue, p: &str, site: Site<'_>) {
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
    fn template_references(&mut self, vars: &std::collections::HashSet<String>, p: &str, site: Site<'_>) {
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

    fn reference(&mut self, path: &str, p: &str, site: Site<'_>) {
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
            let upstream = preds.get(owner).is_some_and(|s| s.contains(target.as_str()));
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

/// Where a reference is being checked: the owning step, its graph level and scope.
#[derive(Clone, Copy)]
struct Site<'a> {
    step: Option<&'a str>,
    graph: &'a ExecutionGraph,
    /// Step → the steps with an edge path to it.
    preds: &'a BTreeMap<String, BTreeSet<String>>,
    ctx: Ctx<'a>,
    extra: RootsExtra,
}

/// Extra roots bound by the condition being checked (dsl-spec §8.4).
#[derive(Debug, Clone, Copy)]
enum RootsExtra {
    None,
    Item,
    While,
}

fn base_edges(base: &str) -> String {
    format!("{base}/executionPlan")
}

fn list<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = items.map(String::as_str).collect();
    if v.is_empty() {
        "(none)".into()
    } else {
        v.join(", ")
    }
}

/// Step → every step with an edge path (any labels) leading to it.
fn predecessors(g: &ExecutionGraph) -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for id in g.steps.keys() {
        let mut seen = BTreeSet::new();
        let mut queue: VecDeque<&str> = VecDeque::from([id.as_str()]);
        while let Some(s) = queue.pop_front() {
            for e in g.execution_plan.iter().filter(|e| e.to_step == s) {
                if seen.insert(e.from_step.clone()) {
                    queue.push_back(&e.from_step);
                }
            }
        }
        out.insert(id.clone(), seen);
    }
    out
}

fn reachable_normal(g: &ExecutionGraph, from: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([from.to_string()]);
    while let Some(s) = queue.pop_front() {
        if seen.insert(s.clone()) {
            for e in g.execution_plan.iter().filter(|e| e.from_step == s && e.label_kind() != "onError") {
                queue.push_back(e.to_step.clone());
            }
        }
    }
    seen
}

/// E025: an object-model condition is `{op: <string>, arguments: [...]}`, and arguments that
/// are themselves conditions (objects with `op`) have the same shape.
fn condition_shape_ok(v: &Value) -> bool {
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
fn json_type(v: &Value) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_workflow;

    fn codes(doc: &str) -> Vec<&'static str> {
        let w = parse_workflow(doc).unwrap();
        let d = validate(&w.graph, &AgentCatalog::default());
        d.errors.iter().map(|e| e.code).collect()
    }

    #[test]
    fn typed_inputs_and_connections_are_checked_against_the_catalogue() {
        use crate::catalog::{AgentInfo, CapabilityInfo, InputField};
        let field = |name: &str, ty: &str, allowed: &[&str]| InputField {
            name: name.into(),
            required: false,
            ty: ty.into(),
            allowed: allowed.iter().map(|a| a.to_string()).collect(),
        };
        let catalog = AgentCatalog {
            agents: vec![AgentInfo {
                id: "http".into(),
                capabilities: vec![CapabilityInfo {
                    id: "http-request".into(),
                    inputs: vec![
                        field("url", "string", &[]),
                        field("timeout_ms", "integer", &[]),
                        field("method", "string", &["GET", "POST"]),
                    ],
                    needs_connection: true,
                }],
            }],
        };
        let doc = r#"{"entryPoint":"a","steps":{
            "a":{"stepType":"Agent","id":"a","agentId":"http","capabilityId":"http-request","inputMapping":{
                "url":{"valueType":"immediate","value":42},
                "timeout_ms":{"valueType":"immediate","value":1.5},
                "method":{"valueType":"immediate","value":"FETCH"}}},
            "f":{"stepType":"Finish","id":"f"}},"executionPlan":[{"fromStep":"a","toStep":"f"}]}"#;
        let d = validate(&parse_workflow(doc).unwrap().graph, &catalog);
        let found: Vec<(&str, &str)> = d.errors.iter().map(|e| (e.code, e.path.as_str())).collect();
        assert_eq!(
            found,
            vec![
                ("E026", "/steps/a"),
                ("E024", "/steps/a/inputMapping/method/value"),
                ("E023", "/steps/a/inputMapping/timeout_ms/value"),
                ("E023", "/steps/a/inputMapping/url/value"),
            ]
        );
        assert!(d.errors[3].message.contains("must be a string, got an integer"), "{}", d.errors[3].message);
        assert!(condition_shape_ok(
            &serde_json::json!({"op": "AND", "arguments": [{"op": "EQ", "arguments": ["sku", 1]}]})
        ));
        assert!(!condition_shape_ok(&serde_json::json!({"op": "AND", "arguments": [{"op": 3}]})));
        assert!(!condition_shape_ok(&serde_json::json!({"field": "sku"})));
        assert!(d.errors[1].hint.contains("GET, POST"), "{}", d.errors[1].hint);
    }

    #[test]
    fn unverifiable_template_references_are_w052_warnings() {
        let doc = r#"{"entryPoint":"a","steps":{
            "a":{"stepType":"Finish","id":"a","inputMapping":{
                "t":{"valueType":"template","value":"{{ steps.ghost.outputs }} {{ data.x | upper }}"}}}}}"#;
        let d = validate(&parse_workflow(doc).unwrap().graph, &AgentCatalog::default());
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        let w: Vec<(&str, &str)> = d.warnings.iter().map(|w| (w.code, w.message.as_str())).collect();
        assert!(w.iter().any(|(c, m)| *c == "W052" && m.contains("steps.ghost.outputs")), "{w:?}");
    }

    #[test]
    fn missing_entry_point_is_e001() {
        let c = codes(r#"{"entryPoint":"nope","steps":{"f":{"stepType":"Finish","id":"f"}}}"#);
        assert!(c.contains(&"E001"), "{c:?}");
    }

    #[test]
    fn edge_to_unknown_step_is_e014_and_unreachable_is_e002() {
        let c = codes(
            r#"{"entryPoint":"a","steps":{
            "a":{"stepType":"Log","id":"a","message":"m"},
            "b":{"stepType":"Log","id":"b","message":"m"}},
            "executionPlan":[{"fromStep":"a","toStep":"ghost"}]}"#,
        );
        assert!(c.contains(&"E014") && c.contains(&"E002"), "{c:?}");
    }

    #[test]
    fn reference_to_a_later_step_is_e012_and_unknown_is_e010() {
        let c = codes(
            r#"{"entryPoint":"a","steps":{
            "a":{"stepType":"Log","id":"a","message":"m","context":{"x":{"valueType":"reference","value":"steps.f.outputs"}}},
            "f":{"stepType":"Finish","id":"f","inputMapping":{"y":{"valueType":"reference","value":"steps.zz.outputs"}}}},
            "executionPlan":[{"fromStep":"a","toStep":"f"}]}"#,
        );
        assert!(c.contains(&"E012") && c.contains(&"E010"), "{c:?}");
    }

    #[test]
    fn query_operator_and_bad_labels() {
        let c = codes(
            r#"{"entryPoint":"c","steps":{
            "c":{"stepType":"Conditional","id":"c","condition":{"type":"operation","op":"MATCH","arguments":[]}},
            "t":{"stepType":"Finish","id":"t"},"f":{"stepType":"Finish","id":"f"}},
            "executionPlan":[{"fromStep":"c","toStep":"t","label":"yes"},{"fromStep":"c","toStep":"f","label":"false"}]}"#,
        );
        assert!(c.contains(&"E027") && c.contains(&"E072"), "{c:?}");
    }

    #[test]
    fn two_default_edges_with_guards_are_e071() {
        let c = codes(
            r#"{"entryPoint":"l","steps":{
            "l":{"stepType":"Log","id":"l","message":"m"},
            "a":{"stepType":"Finish","id":"a"},"b":{"stepType":"Finish","id":"b"},"x":{"stepType":"Finish","id":"x"}},
            "executionPlan":[{"fromStep":"l","toStep":"a"},{"fromStep":"l","toStep":"b"},
              {"fromStep":"l","toStep":"x","condition":{"type":"value","valueType":"immediate","value":true}}]}"#,
        );
        assert!(c.contains(&"E071"), "{c:?}");
    }
}

#[cfg(test)]
mod scope_tests {
    use super::*;
    use crate::parse::parse_workflow;

    fn diags(doc: &str) -> Diagnostics {
        validate(&parse_workflow(doc).unwrap().graph, &AgentCatalog::default())
    }

    fn has(d: &Diagnostics, code: &str) -> bool {
        d.errors.iter().chain(&d.warnings).any(|x| x.code == code)
    }

    #[test]
    fn data_references_follow_the_input_schema() {
        let d = diags(
            r#"{"entryPoint":"f","inputSchema":{"o":{"type":"object","properties":{"a":{"type":"string"}}},"n":{"type":"number"}},
          "steps":{"f":{"stepType":"Finish","id":"f","inputMapping":{
            "ok":{"valueType":"reference","value":"data.o.a"},
            "x":{"valueType":"reference","value":"data.nope"},
            "y":{"valueType":"reference","value":"data.o.b"},
            "z":{"valueType":"reference","value":"data.n.deeper"}}}}}"#,
        );
        assert!(has(&d, "E051") && has(&d, "E058") && has(&d, "E059"), "{d:?}");
        assert_eq!(d.errors.len(), 3, "{d:?}");
        let d = diags(
            r#"{"entryPoint":"f","steps":{"f":{"stepType":"Finish","id":"f","inputMapping":{
            "x":{"valueType":"reference","value":"data.a"}}}}}"#,
        );
        assert!(has(&d, "E052"));
    }

    #[test]
    fn variables_must_be_declared_or_built_in() {
        let d = diags(
            r#"{"entryPoint":"f","variables":{"region":{"type":"string","value":"eu"}},
          "steps":{"f":{"stepType":"Finish","id":"f","inputMapping":{
            "a":{"valueType":"reference","value":"variables.region"},
            "b":{"valueType":"reference","value":"variables._instance_id"},
            "c":{"valueType":"reference","value":"variables.zone"}}}}}"#,
        );
        assert_eq!(d.errors.iter().map(|e| e.code).collect::<Vec<_>>(), ["E013"]);
    }

    #[test]
    fn limits_and_closed_outputs() {
        let d = diags(
            r#"{"entryPoint":"a","inputSchema":{"xs":{"type":"array"}},"steps":{
            "a":{"stepType":"Agent","id":"a","agentId":"utils","capabilityId":"x","maxRetries":99,"timeout":5},
            "flt":{"stepType":"Filter","id":"flt","config":{"value":{"valueType":"reference","value":"data.xs"},
               "condition":{"type":"value","valueType":"reference","value":"item"}}},
            "f":{"stepType":"Finish","id":"f","inputMapping":{"x":{"valueType":"reference","value":"steps.flt.outputs.rows"}}}},
            "executionPlan":[{"fromStep":"a","toStep":"flt"},{"fromStep":"flt","toStep":"f"}]}"#,
        );
        assert!(has(&d, "W030") && has(&d, "W071") && has(&d, "E058"), "{d:?}");
    }

    #[test]
    fn ai_agent_edge_rules() {
        let d = diags(
            r#"{"entryPoint":"ai","steps":{
            "ai":{"stepType":"AiAgent","id":"ai","connectionId":"c","config":{
               "systemPrompt":{"valueType":"immediate","value":"s"},"userPrompt":{"valueType":"immediate","value":"u"}}},
            "t":{"stepType":"Agent","id":"t","agentId":"utils","capabilityId":"return-input"},
            "m":{"stepType":"Agent","id":"m","agentId":"utils","capabilityId":"return-input"}},
            "executionPlan":[{"fromStep":"ai","toStep":"t","label":"bad label"},{"fromStep":"ai","toStep":"m","label":"mcp.gh"},
              {"fromStep":"ai","toStep":"t","label":"memory"}]}"#,
        );
        assert!(has(&d, "E111") && has(&d, "E121") && has(&d, "E116"), "{d:?}");
    }
}
