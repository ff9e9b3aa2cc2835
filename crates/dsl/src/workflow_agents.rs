//! Workflows published as agents: an Agent step `{agentId: <slug>, capabilityId: "run"}`
//! whose agent is a workflow rather than a built-in agent runs that workflow inline, like
//! an EmbedWorkflow of its latest version (dsl-spec §7.6): the child's output becomes
//! `steps.<id>.outputs`, its checkpoints, sleeps and signals are namespaced by the call site
//! (`<workflow>::<step>[i]`, nested sites joined by `__`), and the parent waits durably.
//!
//! The caller decides which slugs are workflows (it knows where graphs are published); this
//! pass rewrites the graph before validation and code generation see it.

use crate::model::{ChildVersion, EmbedWorkflowStep, ExecutionGraph, Step};

/// The capability a published workflow answers to.
pub const RUN_CAPABILITY: &str = "run";

/// Rewrites every Agent step of `graph` (subgraphs included) whose `capabilityId` is
/// [`RUN_CAPABILITY`] and whose `agentId` is a slug `workflow_id_of` knows into an
/// EmbedWorkflow step of that workflow's latest version, keeping its id, name, breakpoint,
/// input mapping, retries, timeout and durability. `workflow_id_of(slug)` is the id the
/// published workflow runs under (its signal ids are `<instance>/<that id>/<site>::<step>`).
/// Returns how many steps it rewrote.
pub fn resolve_workflow_agents(graph: &mut ExecutionGraph, workflow_id_of: &dyn Fn(&str) -> Option<String>) -> usize {
    let mut rewritten = 0;
    for step in graph.steps.values_mut() {
        for sub in step.subgraphs_mut() {
            rewritten += resolve_workflow_agents(sub, workflow_id_of);
        }
        let Step::Agent(a) = step else { continue };
        if a.capability_id != RUN_CAPABILITY {
            continue;
        }
        let Some(workflow_id) = workflow_id_of(&a.agent_id) else { continue };
        *step = Step::EmbedWorkflow(EmbedWorkflowStep {
            id: a.id.clone(),
            name: a.name.clone(),
            breakpoint: a.breakpoint,
            child_workflow_id: a.agent_id.clone(),
            child_version: ChildVersion::Name("latest".into()),
            input_mapping: a.input_mapping.take(),
            max_retries: a.max_retries,
            retry_delay: a.retry_delay,
            timeout: a.timeout,
            durable: a.durable,
            agent_workflow_id: Some(workflow_id),
        });
        rewritten += 1;
    }
    rewritten
}
