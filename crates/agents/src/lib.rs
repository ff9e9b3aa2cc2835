//! runtara-agents: the built-in capabilities, by agent id and capability id.
//!
//! Each capability is a plain function `fn(&Value) -> Result<Value, Value>`: the input is the
//! step's evaluated `inputMapping`, the output goes to `steps.<id>.outputs`, and an error is
//! the capability error envelope `{code, message, category, severity, retryable,
//! attributes?}` (dsl-spec §7.2, agents.md §5.1). [`CATALOG`] lists them with their input
//! fields for the validator and codegen. Generated code calls the functions directly
//! (`agents::utils::return_input`), so unused capabilities are dropped by the linker.
//!
//! no_std + alloc; capabilities that need a clock or randomness exist with the `std` feature
//! only, and their catalogue entries say so (`needs_std`). Capabilities that use the network
//! (`http`, and the service-backed `object-model` and `mcp` of [`remote`]) also say
//! `needs_network`: they go through `runtara_sdk::net` (ureq natively, wasi:http on
//! wasm32-wasip2).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "std")]
pub mod connections;
pub mod crypto;
pub mod dates;
pub mod error;
#[cfg(feature = "std")]
pub mod http;
#[cfg(feature = "std")]
pub mod remote;
#[cfg(feature = "std")]
pub use remote::{mcp, object_model};
pub mod jsonpath;
pub mod transform;
pub mod utils;

use serde_json::Value;

/// A capability implementation.
pub type CapabilityFn = fn(&Value) -> Result<Value, Value>;

/// The value type of a capability input (dsl-spec §9 E023), shared with the DSL's schema
/// fields; an input of any type has `ty: None`.
pub use runtara_protocol::FieldType;

/// One input field of a capability.
#[derive(Debug, Clone, Copy)]
pub struct FieldMeta {
    /// JSON name of the field.
    pub name: &'static str,
    pub required: bool,
    /// Checked against immediate values (E023); `None`: any type.
    pub ty: Option<FieldType>,
    /// Allowed values of a string field (E024); empty = any.
    pub allowed: &'static [&'static str],
}

impl FieldMeta {
    const fn of(self, ty: FieldType) -> Self {
        FieldMeta { ty: Some(ty), ..self }
    }
    const fn one_of(self, allowed: &'static [&'static str]) -> Self {
        FieldMeta { ty: Some(FieldType::String), allowed, ..self }
    }
}

/// Catalogue entry of one capability.
#[derive(Debug, Clone, Copy)]
pub struct CapabilityMeta {
    /// Agent id, kebab-case (`utils`).
    pub agent: &'static str,
    /// Capability id (`return-input`).
    pub id: &'static str,
    pub inputs: &'static [FieldMeta],
    /// Uses retry defaults 5 / 2000 ms (dsl-spec §7.2).
    pub rate_limited: bool,
    /// Needs a hosted target (clock, randomness); rejected for the embedded target.
    pub needs_std: bool,
    /// Uses the network; rejected for targets without it (firmware, wasm32-wasip1).
    pub needs_network: bool,
    /// Needs a connection: the step must set `connectionId` or `connectionRef` (E026).
    pub needs_connection: bool,
}

const fn req(name: &'static str) -> FieldMeta {
    FieldMeta { name, required: true, ty: None, allowed: &[] }
}
const fn opt(name: &'static str) -> FieldMeta {
    FieldMeta { name, required: false, ty: None, allowed: &[] }
}
use FieldType::{Array as A, Boolean as B, Integer as I, Object as O, String as S};
const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const fn cap(agent: &'static str, id: &'static str, inputs: &'static [FieldMeta]) -> CapabilityMeta {
    CapabilityMeta {
        agent,
        id,
        inputs,
        rate_limited: false,
        needs_std: false,
        needs_network: false,
        needs_connection: false,
    }
}
const fn cap_std(agent: &'static str, id: &'static str, inputs: &'static [FieldMeta]) -> CapabilityMeta {
    CapabilityMeta {
        agent,
        id,
        inputs,
        rate_limited: false,
        needs_std: true,
        needs_network: false,
        needs_connection: false,
    }
}
const fn cap_net(agent: &'static str, id: &'static str, inputs: &'static [FieldMeta]) -> CapabilityMeta {
    CapabilityMeta {
        agent,
        id,
        inputs,
        rate_limited: false,
        needs_std: true,
        needs_network: true,
        needs_connection: false,
    }
}
const fn cap_conn(agent: &'static str, id: &'static str, inputs: &'static [FieldMeta]) -> CapabilityMeta {
    CapabilityMeta { needs_connection: true, ..cap_net(agent, id, inputs) }
}

/// Output formats of the `crypto` capabilities.
const FORMATS: &[&str] = &["hex", "base64"];

/// Every built-in capability (agents.md §5.3: the `utils`, `transform`, `crypto` and `http`
/// sets, and the forwarded `object-model` and `mcp` capabilities).
pub static CATALOG: &[CapabilityMeta] = &[
    cap("utils", "return-input", &[req("value")]),
    cap("utils", "return-input-string", &[req("value")]),
    cap("utils", "do-nothing", &[]),
    cap_std("utils", "random-double", &[]),
    cap_std("utils", "random-array", &[opt("size").of(I)]),
    cap(
        "utils",
        "calculate",
        &[req("expression").of(S), opt("variables").of(O), opt("enable_rounding").of(B), opt("decimal_places").of(I)],
    ),
    cap_std("utils", "get-current-iso-datetime", &[]),
    cap_std("utils", "get-current-unix-timestamp", &[]),
    cap_std("utils", "get-current-formatted-datetime", &[req("format").of(S)]),
    cap_std("utils", "delay-in-ms", &[req("delay_value").of(I)]),
    cap("utils", "format-date-from-iso", &[req("iso_date").of(S), req("target_format").of(S)]),
    cap("utils", "iso-to-unix-timestamp", &[req("iso_date").of(S)]),
    cap_std(
        "utils",
        "country-name-to-iso-code",
        &[req("country_name").of(S), opt("code_type").one_of(&["alpha2", "alpha3", "numeric"])],
    ),
    cap("transform", "extract", &[req("value"), req("property_path").of(S)]),
    cap("transform", "get-value-by-path", &[opt("value"), opt("property_path")]),
    cap("transform", "set-value-by-path", &[opt("target"), opt("property_path"), opt("value")]),
    cap("transform", "select-first", &[opt("value")]),
    cap(
        "transform",
        "coalesce",
        &[req("values").of(A), opt("treat_empty_string_as_null").of(B), opt("treat_zero_as_null").of(B)],
    ),
    cap("transform", "from-json-string", &[opt("value")]),
    cap("transform", "to-json-string", &[opt("value")]),
    cap("transform", "map-fields", &[req("source_data"), req("mappings").of(O)]),
    cap("transform", "group-by", &[req("value"), req("key").of(S), opt("as_map").of(B)]),
    cap("transform", "append", &[opt("array"), opt("item")]),
    cap("transform", "flat-map", &[opt("value"), opt("property_path")]),
    cap("transform", "array-length", &[opt("value")]),
    cap("transform", "ensure-array", &[opt("value")]),
    cap("transform", "sort", &[opt("value"), opt("property_path").of(S), opt("ascending").of(B)]),
    cap(
        "transform",
        "filter-non-values",
        &[
            req("value"),
            opt("property_path"),
            opt("filter_empty_strings"),
            opt("filter_null_values"),
            opt("filter_blank_strings"),
            opt("filter_zero_values"),
        ],
    ),
    cap("transform", "filter", &[opt("value"), req("property_path"), req("match_values"), opt("match_condition")]),
    cap(
        "crypto",
        "hash",
        &[
            req("data"),
            opt("algorithm").one_of(&["sha256", "sha512", "sha1", "md5"]),
            opt("output_format").one_of(FORMATS),
        ],
    ),
    cap(
        "crypto",
        "hmac",
        &[
            req("data"),
            req("secret").of(S),
            opt("algorithm").one_of(&["hmac-sha256", "hmac-sha512"]),
            opt("output_format").one_of(FORMATS),
        ],
    ),
    cap_net(
        "http",
        "http-request",
        &[
            req("url").of(S),
            opt("method").one_of(HTTP_METHODS),
            opt("headers").of(O),
            opt("query_parameters").of(O),
            opt("body"),
            opt("body_type").one_of(&["json", "text", "form"]),
            opt("response_type").one_of(&["json", "text"]),
            opt("timeout_ms").of(I),
            opt("fail_on_error").of(B),
        ],
    ),
    cap_net("object-model", "load-memory", &[req("conversation_id")]),
    cap_net("object-model", "save-memory", &[req("conversation_id"), req("messages")]),
    cap_net("object-model", "create-instance", &[req("schema_name"), req("data")]),
    cap_net(
        "object-model",
        "query-instances",
        &[req("schema_name"), opt("filters"), opt("condition"), opt("orderBy"), opt("limit"), opt("offset")],
    ),
    cap_net("object-model", "check-instance-exists", &[req("schema_name"), req("filters")]),
    cap_net("object-model", "update-instance", &[req("schema_name"), req("instance_id"), req("data")]),
    cap_net("object-model", "delete-instance", &[req("schema_name"), req("instance_id")]),
    cap_conn("object-model", "query-sql", &[req("sql").of(S), opt("params").of(A), opt("resultSchema").of(O)]),
    cap_conn("object-model", "execute-sql", &[req("sql").of(S), opt("params").of(A)]),
    cap_net("mcp", "mcp-tool-search", &[opt("query").of(S), opt("limit").of(I)]),
    cap_net("mcp", "mcp-tool-invoke", &[req("tool_name").of(S), opt("args").of(O)]),
];

/// Finds a catalogue entry; `agent` is compared case-insensitively with `_` ≡ `-`.
pub fn find(agent: &str, capability: &str) -> Option<&'static CapabilityMeta> {
    CATALOG.iter().find(|c| {
        c.id == capability
            && c.agent.len() == agent.len()
            && c.agent.bytes().zip(agent.bytes()).all(|(a, b)| {
                let b = if b == b'_' { b'-' } else { b.to_ascii_lowercase() };
                a == b
            })
    })
}
