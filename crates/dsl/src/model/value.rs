//! Value descriptors and conditions (dsl-spec §3, §5).

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// A value descriptor (`valueType`, dsl-spec §3). Unknown keys are rejected.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "valueType", rename_all = "lowercase", deny_unknown_fields)]
pub enum MappingValue {
    /// A reference path with optional coercion hint and default (§3.1).
    Reference {
        value: String,
        #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
        type_hint: Option<TypeHint>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<Value>,
    },
    /// A literal (§3.2); an absent `value` is `null`.
    Immediate {
        #[serde(default)]
        value: Value,
    },
    /// Nested mapping values (§3.3).
    Composite { value: CompositeValue },
    /// A minijinja template rendered to a string (§3.4, §6).
    Template { value: String },
}

/// The body of a composite value: an object or an array of mapping values (§3.3).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CompositeValue {
    Object(serde_json::Map<String, Value>),
    Array(Vec<Value>),
}

impl CompositeValue {
    /// The nested mapping values, parsed. Composite children are kept as raw JSON during
    /// deserialisation (serde cannot otherwise tell an object from an array here).
    pub fn entries(&self) -> Result<CompositeEntries, String> {
        let parse = |v: &Value| serde_json::from_value::<MappingValue>(v.clone()).map_err(|e| e.to_string());
        Ok(match self {
            CompositeValue::Object(m) => CompositeEntries::Object(
                m.iter().map(|(k, v)| Ok((k.clone(), parse(v)?))).collect::<Result<_, String>>()?,
            ),
            CompositeValue::Array(a) => CompositeEntries::Array(a.iter().map(parse).collect::<Result<_, String>>()?),
        })
    }
}

/// Parsed composite children, in declaration order.
#[derive(Debug, Clone)]
pub enum CompositeEntries {
    Object(Vec<(String, MappingValue)>),
    Array(Vec<MappingValue>),
}

/// Coercion hint on a reference (dsl-spec §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TypeHint {
    String,
    Integer,
    Number,
    Boolean,
    Json,
    File,
}

/// A condition expression (dsl-spec §5.1), tagged by `type`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Condition {
    Operation {
        op: ConditionOp,
        #[serde(default)]
        arguments: Vec<ConditionArgument>,
    },
    /// A mapping value evaluated for truthiness.
    Value(MappingValue),
}

/// One argument of an operation: a nested condition or a plain mapping value (§5.1).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ConditionArgument {
    Condition(Box<Condition>),
    Value(MappingValue),
}

impl<'de> Deserialize<'de> for ConditionArgument {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let raw = Value::deserialize(d)?;
        let is_condition = matches!(raw.get("type").and_then(Value::as_str), Some("operation") | Some("value"));
        if is_condition {
            serde_json::from_value(raw).map(|c| ConditionArgument::Condition(Box::new(c)))
        } else {
            serde_json::from_value(raw).map(ConditionArgument::Value)
        }
        .map_err(D::Error::custom)
    }
}

/// Condition operators, upper-case exactly (dsl-spec §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConditionOp {
    And,
    Or,
    Not,
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
    Length,
    IsDefined,
    IsEmpty,
    IsNotEmpty,
    SimilarityGte,
    Match,
    CosineDistanceLte,
    L2DistanceLte,
}

impl ConditionOp {
    /// Object-model query operators the workflow runtime cannot evaluate (§5.1, E027).
    pub fn is_query_only(self) -> bool {
        matches!(
            self,
            ConditionOp::SimilarityGte
                | ConditionOp::Match
                | ConditionOp::CosineDistanceLte
                | ConditionOp::L2DistanceLte
        )
    }

    /// The JSON spelling, e.g. `"STARTS_WITH"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionOp::And => "AND",
            ConditionOp::Or => "OR",
            ConditionOp::Not => "NOT",
            ConditionOp::Gt => "GT",
            ConditionOp::Gte => "GTE",
            ConditionOp::Lt => "LT",
            ConditionOp::Lte => "LTE",
            ConditionOp::Eq => "EQ",
            ConditionOp::Ne => "NE",
            ConditionOp::StartsWith => "STARTS_WITH",
            ConditionOp::EndsWith => "ENDS_WITH",
            ConditionOp::Contains => "CONTAINS",
            ConditionOp::In => "IN",
            ConditionOp::NotIn => "NOT_IN",
            ConditionOp::Length => "LENGTH",
            ConditionOp::IsDefined => "IS_DEFINED",
            ConditionOp::IsEmpty => "IS_EMPTY",
            ConditionOp::IsNotEmpty => "IS_NOT_EMPTY",
            ConditionOp::SimilarityGte => "SIMILARITY_GTE",
            ConditionOp::Match => "MATCH",
            ConditionOp::CosineDistanceLte => "COSINE_DISTANCE_LTE",
            ConditionOp::L2DistanceLte => "L2_DISTANCE_LTE",
        }
    }
}
