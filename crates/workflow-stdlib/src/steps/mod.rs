//! Step semantics and envelopes (dsl-spec §7), one module per step kind. Generated code
//! evaluates a step's mappings and hands the values to these functions; what several kinds
//! share (retry backoff, onError routing, edge guards, the graph-function type) is here.

use serde_json::Value;

use crate::failure::Failure;
use crate::runtime::Ctx;
use crate::scope::Scope;

mod agent;
mod delay;
mod embed;
mod error;
mod filter;
mod finish;
mod group_by;
mod log;
mod split;
mod switch;
mod wait;
mod while_loop;

pub use agent::*;
pub use delay::*;
pub use embed::*;
pub use error::*;
pub use filter::*;
pub use finish::*;
pub use group_by::*;
pub use log::*;
pub use split::*;
pub use switch::*;
pub use wait::*;
pub use while_loop::*;

/// Cap of one Split/EmbedWorkflow retry backoff, milliseconds (dsl-spec §8.8).
const RETRY_CAP_MS: u64 = runtara_protocol::defaults::RETRY_BACKOFF_CAP_MS;

/// Exponential backoff: `base × 2^doublings`, capped at `cap` milliseconds (dsl-spec §8.8).
fn backoff_ms(base: u64, doublings: u32, cap: u64) -> u64 {
    base.saturating_mul(1u64 << doublings.min(32)).min(cap)
}

/// Routes a failure to an onError handler (dsl-spec §8.6): the error object goes to
/// `steps.__error`, `steps.error` and the roots `__error`, `error`. Returns false for fatal
/// failures, which no handler may catch.
pub fn enter_error(scope: &mut Scope, failure: &Failure, owner: &str) -> bool {
    if failure.fatal {
        return false;
    }
    let obj = failure.error_object(owner);
    scope.steps.insert("__error".into(), obj.clone());
    scope.steps.insert("error".into(), obj.clone());
    scope.bindings.insert("__error".into(), obj.clone());
    scope.bindings.insert("error".into(), obj);
    true
}

/// A graph-level body: Split/While subgraphs are compiled to functions of this type.
pub type GraphFn = fn(&mut Ctx, &mut Scope) -> Result<Value, Failure>;

/// Attributes a failed edge-guard evaluation to the step that owns the edge (dsl-spec §8.2).
pub fn guard(step_id: &str, condition: impl FnOnce() -> Result<bool, Failure>) -> Result<bool, Failure> {
    condition().map_err(|f| f.at(step_id))
}
