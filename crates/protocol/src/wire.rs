//! The state-service API between an artifact (the sdk's http backend), the CLI and
//! `runtara core serve`: paths under [`API_PREFIX`]`/instances/{id}/…`, the tenant in
//! [`TENANT_HEADER`], an optional `Authorization: Bearer` token, JSON bodies below. Any
//! non-2xx answer carries an [`ErrorAnswer`].

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Prefix of every API path.
pub const API_PREFIX: &str = "/api/v1";

/// The largest request body either side sends or accepts, in bytes (16 MiB). A checkpoint
/// whose request would be larger fails its step with the fatal `CHECKPOINT_TOO_LARGE`
/// instead of being retried.
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// Header that names the tenant of a request.
pub const TENANT_HEADER: &str = "x-runtara-tenant-id";

/// The fencing epoch of the run that sends a write (`runtara serve` hands each claim a new
/// one as `RUNTARA_EPOCH`): a write whose epoch is not the instance's current one is refused
/// with 409 [`STALE_EPOCH`], so a run that lost its claim cannot change the instance.
pub const EPOCH_HEADER: &str = "x-runtara-epoch";

/// The error text (prefix) of a write refused for a stale epoch.
pub const STALE_EPOCH: &str = "STALE_EPOCH";

/// Any non-2xx answer: what went wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorAnswer {
    /// A message for people.
    pub error: String,
}

/// `POST …/register`: the run starts or resumes. An instance records the graph it started
/// with; a later register with another graph is refused (409, [`crate::GRAPH_CHANGED`]
/// naming the changed steps) unless `migrate` is set, which records the new graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RegisterRequest {
    /// The graph the run executes (absent for older clients: not checked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph: Option<crate::GraphIdentity>,
    /// Resume with a changed graph anyway (an explicit migration).
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub migrate: bool,
}

/// `POST …/checkpoint`: store the envelope of a finished step (first write wins) and carry
/// the events held back since the last request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointRequest {
    /// The deterministic checkpoint id (`<prefix>::<stepId>[::<indices>]`).
    pub checkpoint_id: String,
    /// The step's envelope.
    pub state: Value,
    /// Events to append to the instance's log, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<Value>,
    /// The idempotency key of `events`: a batch whose key was seen is not appended again
    /// (a retried request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
}

/// Answer to [`CheckpointRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointAnswer {
    /// True when this write stored the state; false when a checkpoint with this id existed.
    pub stored: bool,
    /// The stored state (the earlier one when `stored` is false).
    pub state: Value,
    /// The pending control signal (`pause`, `cancel`), saving a separate request.
    #[serde(default)]
    pub signal: Option<String>,
}

/// Answer to `GET …/checkpoints/{checkpoint_id}` (404 when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadAnswer {
    /// The stored state.
    pub state: Value,
}

/// Answer to `GET …/signals`: the pending control signal, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingSignalAnswer {
    /// `pause`, `cancel` or `resume`; none when nothing is pending.
    #[serde(default)]
    pub signal: Option<String>,
}

/// `POST …/signals`: a control signal (`signal`) or a custom one (`signal_id` + `payload`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalRequest {
    /// `pause`, `resume` or `cancel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// The custom signal a WaitForSignal step waits for (`<instance>/<workflow>/<step>…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_id: Option<String>,
    /// The custom signal's payload.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub payload: Value,
}

/// Answer to `GET …/signals/custom?signal_id=…` (404 until it arrives).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomSignalAnswer {
    /// The payload sent with the signal.
    pub payload: Value,
}

/// `POST …/signals/ack`: the custom signal was consumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AckRequest {
    /// The signal id consumed.
    pub signal_id: String,
}

/// `POST …/events`: events to append to the instance's log, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventsRequest {
    /// The events (`{"event": …, …}` objects).
    pub events: Vec<Value>,
    /// The batch's idempotency key (see [`CheckpointRequest::batch`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<String>,
}

/// `POST …/sleep`: the instance sleeps until a deadline (a durable Delay).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SleepRequest {
    /// The deadline, milliseconds since the Unix epoch.
    pub wake_at_ms: u64,
}

/// `POST …/completed`: the run's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompletedRequest {
    /// The output JSON.
    pub output: Value,
}

/// `POST …/failed`: the run's structured error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRequest {
    /// The structured error (`{stepId, code, message, category, severity, …}`).
    pub error: Value,
}

/// `POST …/suspended`: the run stopped at a step boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuspendedRequest {
    /// `suspended` (paused) or `cancelled`.
    pub status: String,
}

/// One row of `GET /instances`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceSummary {
    /// The instance id.
    pub id: String,
    /// `running`, `completed`, `failed`, `suspended`, `cancelled`, …
    pub status: String,
}

/// Answer to `GET …/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceStatus {
    /// The instance id.
    pub id: String,
    /// As in [`InstanceSummary`].
    pub status: String,
    /// When a sleeping instance wakes, milliseconds since the Unix epoch.
    #[serde(default)]
    pub wake_at_ms: Option<u64>,
}

/// Answer to `GET /instances/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceDetail {
    /// The instance id.
    pub id: String,
    /// As in [`InstanceSummary`].
    pub status: String,
    /// The output of a completed run.
    #[serde(default)]
    pub output: Option<Value>,
    /// The structured error of a failed run.
    #[serde(default)]
    pub error: Option<Value>,
    /// Checkpoint ids, in the order they were written.
    #[serde(default)]
    pub checkpoints: Vec<String>,
    /// The event log, in order.
    #[serde(default)]
    pub events: Vec<Value>,
}
