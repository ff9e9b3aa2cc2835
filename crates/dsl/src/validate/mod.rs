//! Static validation of a workflow graph (dsl-spec §9).
//!
//! Each rule reports a [`Diagnostic`] with the spec's code, the step id, the JSON pointer of
//! the offending value and a one-line hint. Rules recurse into Split/While/onWait subgraphs;
//! pointers are absolute within the document.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::catalog::AgentCatalog;
use crate::model::*;
use crate::parse::pointer_token;

mod agent;
mod ai;
mod data;
mod limits;
mod references;
mod step;
mod structure;
#[cfg(test)]
mod tests;

use data::DataScope;
use structure::{list, Ancestry};

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
    /// 1-based line and column of the value in the document, when the caller had its text
    /// (`runtara_compiler::validate_scenario` fills them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// Byte range of the value in the document, with `line`/`column`.
    #[serde(skip)]
    pub span: Option<std::ops::Range<usize>>,
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

/// The most steps one workflow may hold, subgraphs included (E128). Validation is linear,
/// but code generation is not yet (issue 18): larger graphs are split into child workflows.
pub const MAX_STEPS: usize = 10_000;

/// Validates a graph against the rules of dsl-spec §9 and the given agent catalogue.
pub fn validate(graph: &ExecutionGraph, catalog: &AgentCatalog) -> Diagnostics {
    let mut out = Diagnostics::default();
    let mut v = Validator { catalog, out: &mut out };
    let steps = count_steps(graph);
    if steps > MAX_STEPS {
        v.error(
            "E128",
            None,
            "/steps".into(),
            format!("the workflow has {steps} steps; runtara compiles at most {MAX_STEPS} per workflow"),
            "move parts of it into child workflows (EmbedWorkflow steps)",
        );
        return out;
    }
    let vars = data::declared_names(graph, &BTreeSet::new());
    let data = DataScope::of_root(&graph.input_schema);
    v.graph(graph, "", Ctx { in_split: false, in_while: false, vars: &vars, data });
    out
}

/// Steps of `graph` and all its subgraphs, counted without recursion (nesting is bounded by
/// the parser, but a count should not depend on it).
fn count_steps(graph: &ExecutionGraph) -> usize {
    let mut count = 0;
    let mut stack = vec![graph];
    while let Some(g) = stack.pop() {
        count += g.steps.len();
        stack.extend(g.steps.values().flat_map(|s| s.subgraphs()).map(|(_, sub)| sub));
    }
    count
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

pub(crate) fn diag(
    code: &'static str,
    severity: Severity,
    step: Option<&str>,
    path: String,
    message: String,
    hint: &str,
) -> Diagnostic {
    Diagnostic {
        code,
        severity,
        step_id: step.map(str::to_string),
        path,
        message,
        hint: hint.to_string(),
        line: None,
        column: None,
        span: None,
    }
}

/// The reference roots (dsl-spec §4.4).
const ROOTS: [&str; 7] = runtara_protocol::roots::ALL;

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
        let preds = Ancestry::of(g);
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
}

/// Where a reference is being checked: the owning step, its graph level and scope.
#[derive(Clone, Copy)]
struct Site<'a> {
    step: Option<&'a str>,
    graph: &'a ExecutionGraph,
    /// Which steps have an edge path to which.
    preds: &'a Ancestry<'a>,
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
