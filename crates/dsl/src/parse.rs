//! Parsing a workflow document with located errors (dsl-spec §1.1).

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::{ExecutionGraph, WorkflowWrapper};

/// A parsed workflow document: the graph plus the wrapper options (dsl-spec §1.1).
#[derive(Debug, Clone)]
pub struct Workflow {
    pub graph: ExecutionGraph,
    /// `trackEvents` of the wrapper: emit `step_debug_start` / `step_debug_end` events.
    pub track_events: bool,
    /// `memoryTier` of the wrapper (`S`, `M`, `L`, `XL`), if given.
    pub memory_tier: Option<String>,
    /// Whether the document used the `{"executionGraph": …}` wrapper.
    pub wrapped: bool,
    /// `workflowId` of the wrapper: the id a workflow published as an agent runs under.
    pub workflow_id: Option<String>,
}

/// Why a document could not be parsed: a message, its 1-based line and column, and the
/// JSON pointer of the value that was being read (`""` for the document root).
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub message: String,
    pub line: usize,
    pub column: usize,
    pub pointer: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)?;
        if !self.pointer.is_empty() {
            write!(f, " (at {})", self.pointer)?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// The largest document accepted, in bytes (16 MiB): far beyond any real graph, small
/// enough that parsing cannot exhaust memory.
pub const MAX_DOCUMENT_BYTES: usize = 16 << 20;

/// Parses a workflow document: a bare graph or the `executionGraph` wrapper.
///
/// Errors: a document over [`MAX_DOCUMENT_BYTES`], invalid JSON, nesting deeper than
/// serde_json's limit (128), a key that appears twice in one object (the JSON would mean
/// only the last one), a missing required field, an unknown step type, an unknown key on a
/// closed object (steps, mapping values, configs) — each with line:column and pointer.
pub fn parse_workflow(text: &str) -> Result<Workflow, ParseError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(ParseError {
            message: format!("the document is {} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes (16 MiB)", text.len()),
            line: 1,
            column: 1,
            pointer: String::new(),
        });
    }
    let raw: Value = serde_json::from_str(text).map_err(|e| ParseError {
        message: format!("invalid JSON: {}", strip_location(&e.to_string())),
        line: e.line(),
        column: e.column(),
        pointer: String::new(),
    })?;
    located::<crate::unique::UniqueKeys>(text)?;
    let Some(obj) = raw.as_object() else {
        return Err(ParseError {
            message: "a workflow document must be a JSON object".into(),
            line: 1,
            column: 1,
            pointer: String::new(),
        });
    };
    if obj.contains_key("executionGraph") {
        let w: WorkflowWrapper = located(text)?;
        let mut graph = w.execution_graph;
        if graph.durable.is_none() && w.durable == Some(false) {
            graph.durable = Some(false);
        }
        Ok(Workflow {
            graph,
            track_events: w.track_events.unwrap_or(false),
            memory_tier: w.memory_tier,
            wrapped: true,
            workflow_id: w.workflow_id,
        })
    } else {
        Ok(Workflow {
            graph: located(text)?,
            track_events: false,
            memory_tier: None,
            wrapped: false,
            workflow_id: None,
        })
    }
}

fn located<T: DeserializeOwned>(text: &str) -> Result<T, ParseError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let pointer = pointer_of(e.path());
        let inner = e.into_inner();
        ParseError { message: strip_location(&inner.to_string()), line: inner.line(), column: inner.column(), pointer }
    })
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// serde_json appends " at line X column Y"; we report the location separately.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Escapes one JSON-pointer token (RFC 6901).
pub fn pointer_token(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_and_wrapped_documents_parse() {
        let bare = r#"{"entryPoint":"f","steps":{"f":{"stepType":"Finish","id":"f"}}}"#;
        assert!(!parse_workflow(bare).unwrap().wrapped);
        let wrapped = format!(r#"{{"executionGraph":{bare},"trackEvents":true}}"#);
        let w = parse_workflow(&wrapped).unwrap();
        assert!(w.wrapped && w.track_events);
    }

    #[test]
    fn unknown_step_field_is_located() {
        let doc =
            "{\"entryPoint\":\"f\",\n\"steps\":{\"f\":{\"stepType\":\"Finish\",\"id\":\"f\",\"outputMapping\":{}}}}";
        let e = parse_workflow(doc).unwrap_err();
        assert!(e.message.contains("outputMapping"), "{e}");
        assert_eq!(e.pointer, "/steps/f");
        assert_eq!(e.line, 2);
    }

    #[test]
    fn malformed_json_reports_line_and_column() {
        let e = parse_workflow("{\n  \"entryPoint\": ,\n}").unwrap_err();
        assert_eq!((e.line, e.column), (2, 17));
        assert!(e.message.starts_with("invalid JSON"));
    }

    #[test]
    fn lowercase_operator_is_rejected() {
        let doc = r#"{"entryPoint":"c","steps":{"c":{"stepType":"Conditional","id":"c",
          "condition":{"type":"operation","op":"eq","arguments":[]}}}}"#;
        let e = parse_workflow(doc).unwrap_err();
        assert!(e.message.contains("eq"), "{e}");
    }

    #[test]
    fn null_entry_point_reads_as_empty() {
        let w = parse_workflow(r#"{"entryPoint":null,"steps":{}}"#).unwrap();
        assert_eq!(w.graph.entry_point, "");
    }

    #[test]
    fn a_key_twice_in_one_object_is_an_error_with_its_location() {
        let doc = "{\"entryPoint\":\"f\",\"steps\":{\n\"f\":{\"stepType\":\"Finish\",\"id\":\"f\"},\n\"f\":{\"stepType\":\"Log\",\"id\":\"f\",\"message\":\"x\"}}}";
        let e = parse_workflow(doc).unwrap_err();
        assert!(e.message.contains("\"f\" appears twice"), "{e}");
        assert_eq!((e.line, e.pointer.as_str()), (3, "/steps"), "{e}");
        let nested = r#"{"entryPoint":"f","steps":{"f":{"stepType":"Finish","id":"f","inputMapping":{
            "a":{"valueType":"immediate","value":1},"a":{"valueType":"immediate","value":2}}}}}"#;
        let e = parse_workflow(nested).unwrap_err();
        assert_eq!(e.pointer, "/steps/f/inputMapping", "{e}");
        // The same key in different objects is fine.
        let ok = r#"{"entryPoint":"f","steps":{"f":{"stepType":"Finish","id":"f","inputMapping":{"id":{"valueType":"immediate","value":{"id":1}}}}}}"#;
        assert!(parse_workflow(ok).is_ok());
    }

    #[test]
    fn oversized_and_deeply_nested_documents_are_errors_not_crashes() {
        let big = format!("{{\"entryPoint\":\"f\",\"pad\":\"{}\"}}", "x".repeat(MAX_DOCUMENT_BYTES));
        assert!(parse_workflow(&big).unwrap_err().message.contains("the limit is"));
        // 10,000 Split bodies nested in each other: serde_json stops at depth 128 with a
        // located error instead of overflowing the stack.
        let open = r#"{"entryPoint":"s","steps":{"s":{"stepType":"Split","id":"s","config":{"value":{"valueType":"reference","value":"data"}},"subgraph":"#;
        let inner = r#"{"entryPoint":"f","steps":{"f":{"stepType":"Finish","id":"f"}}}"#;
        let doc = format!("{}{inner}{}", open.repeat(10_000), "}}}".repeat(10_000));
        let e = parse_workflow(&doc).unwrap_err();
        assert!(e.message.contains("recursion limit"), "{e}");
    }
}
