//! The http backend's request bodies and answers, as JSON text and [`Value`] fields
//! rather than through the wire types' serde derives (`runtara_protocol::wire`): a
//! component then carries one JSON writer and one reader (`Value`'s) instead of a
//! serializer and deserializer per message type, ~10 KB of a no_std component (issue 18).
//! Tests check every body against its wire type's serde form, which `runtara core` reads,
//! and every answer against the wire type the core writes.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use serde_json::Value;

use crate::{GraphIdentity, SdkError};

/// A JSON object written field by field. Field names are the wire's ASCII identifiers.
pub(super) struct Body(String);

impl Body {
    /// `{`.
    pub(super) fn new() -> Self {
        Body(String::from("{"))
    }

    /// Adds `"name": value`.
    pub(super) fn field(mut self, name: &str, value: &Value) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        let _ = write!(self.0, "\"{name}\":{value}");
        self
    }

    /// Adds `"name": value` when there is one (the wire's `skip_serializing_if`).
    pub(super) fn field_if(self, name: &str, value: Option<&Value>) -> Self {
        match value {
            Some(v) => self.field(name, v),
            None => self,
        }
    }

    /// The finished body.
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.0.push('}');
        self.0.into_bytes()
    }
}

/// `RegisterRequest { graph, migrate }`.
pub(super) fn register(graph: Option<&GraphIdentity>, migrate: bool) -> Vec<u8> {
    let graph = graph.map(|g| {
        let steps = g
            .steps
            .iter()
            .map(|(id, hash)| Value::from(alloc::vec![Value::from(id.as_str()), Value::from(hash.as_str())]));
        let mut m = serde_json::Map::new();
        m.insert("graph".into(), g.graph.as_str().into());
        m.insert("steps".into(), Value::Array(steps.collect()));
        Value::Object(m)
    });
    Body::new().field_if("graph", graph.as_ref()).field_if("migrate", migrate.then_some(&Value::Bool(true))).finish()
}

/// `CheckpointRequest { checkpoint_id, state, events, batch }`.
pub(super) fn checkpoint(id: &str, state: &Value, events: Vec<Value>, batch: Option<String>) -> Vec<u8> {
    let events = (!events.is_empty()).then_some(Value::Array(events));
    Body::new()
        .field("checkpoint_id", &Value::from(id))
        .field("state", state)
        .field_if("events", events.as_ref())
        .field_if("batch", batch.map(Value::from).as_ref())
        .finish()
}

/// `EventsRequest { events, batch }`.
pub(super) fn events(events: Vec<Value>, batch: Option<String>) -> Vec<u8> {
    Body::new().field("events", &Value::Array(events)).field_if("batch", batch.map(Value::from).as_ref()).finish()
}

/// A one-field body: `SleepRequest`, `CompletedRequest`, `FailedRequest`,
/// `SuspendedRequest`.
pub(super) fn one(name: &str, value: &Value) -> Vec<u8> {
    Body::new().field(name, value).finish()
}

/// Field `name` of an answer. Errors: the answer lacks it (it does not fit the protocol).
pub(super) fn take(answer: &mut Value, name: &str) -> Result<Value, SdkError> {
    answer
        .get_mut(name)
        .map(Value::take)
        .ok_or_else(|| SdkError(format!("the core's answer does not fit the protocol: it has no `{name}`")))
}

/// Optional string field `name` of an answer (`signal`, `error`).
pub(super) fn string(answer: &Value, name: &str) -> Option<String> {
    answer.get(name).and_then(Value::as_str).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use runtara_protocol::wire::{
        CheckpointAnswer, CheckpointRequest, CompletedRequest, EventsRequest, RegisterRequest, SleepRequest,
    };
    use serde_json::json;

    fn parsed(body: Vec<u8>) -> Value {
        serde_json::from_slice(&body).expect("the body is JSON")
    }

    #[test]
    fn bodies_are_the_wire_types_serde_form() {
        let identity = GraphIdentity { graph: "g1".into(), steps: alloc::vec![("a".into(), "h\"1".into())] };
        for (graph, migrate) in [(None, false), (Some(identity), true)] {
            let serde = serde_json::to_value(RegisterRequest { graph: graph.clone(), migrate }).unwrap();
            assert_eq!(parsed(register(graph.as_ref(), migrate)), serde);
        }
        let state = json!({"out": [1, 2.5, "x\n"], "n": null});
        for (events, batch) in [(alloc::vec![], None), (alloc::vec![json!({"event": "e"})], Some("7-1".to_string()))] {
            let serde = serde_json::to_value(CheckpointRequest {
                checkpoint_id: "step/\"q\"".into(),
                state: state.clone(),
                events: events.clone(),
                batch: batch.clone(),
            })
            .unwrap();
            assert_eq!(parsed(checkpoint("step/\"q\"", &state, events.clone(), batch.clone())), serde);
            let serde = serde_json::to_value(EventsRequest { events: events.clone(), batch: batch.clone() }).unwrap();
            assert_eq!(parsed(super::events(events, batch)), serde);
        }
        let serde = serde_json::to_value(SleepRequest { wake_at_ms: 1_700_000_000_123 }).unwrap();
        assert_eq!(parsed(one("wake_at_ms", &1_700_000_000_123u64.into())), serde);
        let serde = serde_json::to_value(CompletedRequest { output: state.clone() }).unwrap();
        assert_eq!(parsed(one("output", &state)), serde);
    }

    #[test]
    fn answers_are_read_as_the_core_writes_them() {
        let answer = CheckpointAnswer { stored: false, state: json!({"x": 1}), signal: Some("pause".into()) };
        let mut v = serde_json::to_value(&answer).unwrap();
        assert_eq!(v["stored"].as_bool(), Some(false));
        assert_eq!(string(&v, "signal").as_deref(), Some("pause"));
        assert_eq!(take(&mut v, "state").unwrap(), json!({"x": 1}));
        let err = take(&mut json!({}), "state").unwrap_err();
        assert!(err.0.contains("no `state`"), "{}", err.0);
    }
}
