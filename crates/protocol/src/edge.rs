//! What an `executionPlan` edge label means (dsl-spec §2, §8.2, §8.5, §7.14).

/// A label, classified. Labels outside the fixed set are Switch routes or AiAgent tool
/// names ([`EdgeLabel::Named`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeLabel<'a> {
    /// No label (or `""`): normal flow.
    Normal,
    /// `true`: the Conditional's true branch.
    True,
    /// `false`: the Conditional's false branch.
    False,
    /// `onError`: the route taken when the step fails.
    OnError,
    /// `next`: an AiAgent's normal flow, spelled out.
    Next,
    /// `memory`: an AiAgent's memory provider.
    Memory,
    /// A Switch route or an AiAgent tool name.
    Named(&'a str),
}

impl<'a> EdgeLabel<'a> {
    /// Classifies the label as written (`None` and `""` are normal flow).
    pub fn parse(label: Option<&'a str>) -> Self {
        match label.unwrap_or("") {
            "" => EdgeLabel::Normal,
            "true" => EdgeLabel::True,
            "false" => EdgeLabel::False,
            "onError" => EdgeLabel::OnError,
            "next" => EdgeLabel::Next,
            "memory" => EdgeLabel::Memory,
            other => EdgeLabel::Named(other),
        }
    }

    /// The label as documents write it (`""` for normal flow).
    pub fn as_str(self) -> &'a str {
        match self {
            EdgeLabel::Normal => "",
            EdgeLabel::True => "true",
            EdgeLabel::False => "false",
            EdgeLabel::OnError => "onError",
            EdgeLabel::Next => "next",
            EdgeLabel::Memory => "memory",
            EdgeLabel::Named(s) => s,
        }
    }

    /// Normal flow: no label, `""` or `next` (dsl-spec §2.1).
    pub fn is_normal(self) -> bool {
        matches!(self, EdgeLabel::Normal | EdgeLabel::Next)
    }

    /// Whether an AiAgent edge with this label is a tool: anything but normal flow,
    /// `onError` and `memory` (dsl-spec §7.14).
    pub fn is_tool(self) -> bool {
        !matches!(self, EdgeLabel::Normal | EdgeLabel::Next | EdgeLabel::OnError | EdgeLabel::Memory)
    }
}
