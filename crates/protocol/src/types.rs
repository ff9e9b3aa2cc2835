//! The DSL's closed enumerations.

use serde::{Deserialize, Serialize};

/// Switch case match types (dsl-spec §7.7), written `EQ`, `STARTS_WITH`, … in documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)] // the variants are the spec's operators, named as written
pub enum MatchType {
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Ne,
    StartsWith,
    EndsWith,
    Contains,
    In,
    NotIn,
    IsDefined,
    IsEmpty,
    IsNotEmpty,
    Between,
    Range,
}

impl MatchType {
    /// The variant's Rust name (`"StartsWith"`): generated code names the variant with it.
    pub const fn variant_name(self) -> &'static str {
        match self {
            MatchType::Gt => "Gt",
            MatchType::Gte => "Gte",
            MatchType::Lt => "Lt",
            MatchType::Lte => "Lte",
            MatchType::Eq => "Eq",
            MatchType::Ne => "Ne",
            MatchType::StartsWith => "StartsWith",
            MatchType::EndsWith => "EndsWith",
            MatchType::Contains => "Contains",
            MatchType::In => "In",
            MatchType::NotIn => "NotIn",
            MatchType::IsDefined => "IsDefined",
            MatchType::IsEmpty => "IsEmpty",
            MatchType::IsNotEmpty => "IsNotEmpty",
            MatchType::Between => "Between",
            MatchType::Range => "Range",
        }
    }
}

/// The value type of a schema field (dsl-spec §1.4) and of a capability input (agents.md
/// §5.3), written in lower case. A capability input of any type is `Option::None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)] // the variants are the JSON types plus the spec's two extras
pub enum FieldType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    /// A file reference (a string at run time).
    File,
    /// A connection id (a string at run time).
    Connection,
}

impl FieldType {
    /// The type's name as documents write it (`string`, `integer`, …).
    pub const fn name(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Array => "array",
            FieldType::Object => "object",
            FieldType::File => "file",
            FieldType::Connection => "connection",
        }
    }
}
