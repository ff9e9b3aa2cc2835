//! Which connection an Agent or AiAgent step names (dsl-spec §7.2, §7.14).

use super::*;

/// The connection a step names; see [`Step::connection`].
#[derive(Debug, Clone, Copy)]
pub enum Connection<'a> {
    /// `connectionRef`: a mapping value evaluated at run time.
    Ref(&'a MappingValue),
    /// `connectionId`: a connection id known at compile time.
    Id(&'a str),
    /// No connection.
    None,
}

impl<'a> Connection<'a> {
    /// `connectionRef` wins over `connectionId`; an empty id and the placeholder `__none__`
    /// mean none (dsl-spec §7.2, §7.14).
    fn of(id: &'a Option<String>, reference: &'a Option<MappingValue>) -> Self {
        match (reference, id.as_deref().filter(|c| !c.is_empty() && *c != "__none__")) {
            (Some(r), _) => Connection::Ref(r),
            (None, Some(c)) => Connection::Id(c),
            (None, None) => Connection::None,
        }
    }
}

impl AgentStep {
    /// The connection the step names (dsl-spec §7.2).
    pub fn connection(&self) -> Connection<'_> {
        Connection::of(&self.connection_id, &self.connection_ref)
    }
}

impl AiAgentStep {
    /// The connection the step names (dsl-spec §7.14).
    pub fn connection(&self) -> Connection<'_> {
        Connection::of(&self.connection_id, &self.connection_ref)
    }
}
