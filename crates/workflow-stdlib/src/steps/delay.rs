//! Delay steps (dsl-spec §7.12): durable sleeps.

use crate::failure::Failure;
use crate::runtime::{Ctx, StepInfo};
use crate::scope::Scope;
use alloc::format;
use serde_json::{json, Map, Value};

/// Delay (dsl-spec §7.12): the duration must be a number (floats truncate, negatives are 0).
/// Stores `{…, duration_ms}` (no `outputs`). In a durable step the deadline is
/// checkpointed first (`<checkpoint id>::sleep`), so a process killed during the sleep and
/// relaunched sleeps only for what is left — or not at all once the deadline has passed.
pub fn delay(cx: &mut Ctx, scope: &mut Scope, info: &StepInfo, duration: Value) -> Result<(), Failure> {
    let ms = match &duration {
        Value::Number(n) => n.as_u64().unwrap_or_else(|| n.as_f64().map_or(0, |f| f.max(0.0) as u64)),
        other => {
            return Err(Failure::msg(format!(
                "Delay step '{}': duration_ms must be a number, got: {}",
                info.id,
                crate::value::to_json(other)
            )))
        }
    };
    let now = cx.rt.now_ms();
    let mut deadline = now.saturating_add(ms);
    if info.durable {
        let id = format!("{}::sleep", crate::runtime::checkpoint_id(scope, info.id));
        let stored = cx
            .backend
            .checkpoint(&id, &json!({ "deadline_ms": deadline }))
            .map_err(|e| crate::runtime::store_failure(&id, e))?;
        if let Some(d) = stored.as_ref().and_then(|v| v["deadline_ms"].as_u64()) {
            deadline = d;
        }
        if deadline > now {
            cx.backend.sleeping(deadline).map_err(|e| crate::runtime::store_failure(&id, e))?;
        }
    }
    cx.rt.sleep_until(deadline, info.durable && cx.backend.persists())?;
    if info.durable && deadline > now {
        // Awake again: the instance is running (its status said `sleeping`).
        cx.backend.register(None, false).map_err(|e| crate::runtime::store_failure(info.id, e))?;
    }
    let mut extra = Map::new();
    extra.insert("duration_ms".into(), Value::from(ms));
    scope.store(info.id, info.envelope(extra));
    Ok(())
}
