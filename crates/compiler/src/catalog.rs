//! The agent catalogue for validation, filled from runtara-agents.

use runtara_dsl::catalog::{AgentCatalog, AgentInfo, CapabilityInfo, InputField};

/// Every built-in agent and capability, grouped by agent (agents.md §5.3).
pub fn builtin_catalog() -> AgentCatalog {
    let mut agents: Vec<AgentInfo> = Vec::new();
    for cap in runtara_agents::CATALOG {
        let info = CapabilityInfo {
            id: cap.id.to_string(),
            inputs: cap
                .inputs
                .iter()
                .map(|f| InputField {
                    name: f.name.to_string(),
                    required: f.required,
                    ty: f.ty,
                    allowed: f.allowed.iter().map(|a| a.to_string()).collect(),
                })
                .collect(),
            needs_connection: cap.needs_connection,
        };
        match agents.iter_mut().find(|a| a.id == cap.agent) {
            Some(a) => a.capabilities.push(info),
            None => agents.push(AgentInfo { id: cap.agent.to_string(), capabilities: vec![info] }),
        }
    }
    AgentCatalog { agents }
}
