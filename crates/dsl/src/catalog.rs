//! The agent catalogue the validator checks Agent steps against (dsl-spec §9, E020–E024).
//!
//! The dsl crate does no I/O and knows no agent code: callers (the compiler) fill an
//! [`AgentCatalog`] from the agents crate.

/// Known agents and their capabilities.
#[derive(Debug, Clone, Default)]
pub struct AgentCatalog {
    pub agents: Vec<AgentInfo>,
}

/// One agent module, e.g. `utils`.
#[derive(Debug, Clone)]
pub struct AgentInfo {
    pub id: String,
    pub capabilities: Vec<CapabilityInfo>,
}

/// One capability with its input fields.
#[derive(Debug, Clone)]
pub struct CapabilityInfo {
    pub id: String,
    pub inputs: Vec<InputField>,
    /// Steps must name a connection (E026).
    pub needs_connection: bool,
}

/// One input field of a capability.
#[derive(Debug, Clone)]
pub struct InputField {
    pub name: String,
    pub required: bool,
    /// The type immediate values must have (E023); `None`: any (unchecked).
    pub ty: Option<crate::FieldType>,
    /// Allowed values of a string field (E024); empty = any.
    pub allowed: Vec<String>,
}

/// Agent ids compare case-insensitively with `_` ≡ `-` (dsl-spec §7.2).
pub fn normalize_agent_id(id: &str) -> String {
    id.to_ascii_lowercase().replace('_', "-")
}

impl AgentCatalog {
    /// Looks an agent up by (normalised) id.
    pub fn agent(&self, id: &str) -> Option<&AgentInfo> {
        let want = normalize_agent_id(id);
        self.agents.iter().find(|a| a.id == want)
    }

    /// Looks a capability up; `None` when the agent or the capability is unknown.
    pub fn capability(&self, agent: &str, capability: &str) -> Option<&CapabilityInfo> {
        self.agent(agent)?.capabilities.iter().find(|c| c.id == capability)
    }
}
