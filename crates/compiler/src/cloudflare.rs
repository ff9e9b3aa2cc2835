//! `--target cloudflare` (issue 16): the wasm32-unknown-unknown package plus a Cloudflare
//! Worker around it. `worker.js` (an ES module, `cloudflare/worker.js` with the module name
//! filled in) answers the HTTP surface of `--world http` components and keeps each durable
//! instance in a Durable Object (`idFromName(instanceId)`, SQLite-backed storage, an alarm
//! for a durable Delay); `wrangler.toml` deploys it as is (`npx wrangler deploy`).

use std::fs;
use std::path::Path;

use crate::CompileError;

/// The Worker's source; `__RUNTARA_MODULE__` stands for the module name.
const WORKER_JS: &str = include_str!("cloudflare/worker.js");

/// The date the Worker is written against (`compatibility_date`).
pub const COMPATIBILITY_DATE: &str = "2025-01-01";

/// Durable Object class and binding names the Worker and `wrangler.toml` share.
pub const DURABLE_OBJECT_CLASS: &str = "WorkflowInstance";
/// See [`DURABLE_OBJECT_CLASS`].
pub const DURABLE_OBJECT_BINDING: &str = "INSTANCES";

/// Adds `worker.js` and `wrangler.toml` to the package in `staging`, whose module is
/// `<name>.js` + `<name>.wasm`. Errors: the files cannot be written.
pub fn add_worker(staging: &Path, name: &str) -> Result<(), CompileError> {
    let io = |e: std::io::Error| CompileError::Io(format!("cannot write the Worker into {}: {e}", staging.display()));
    fs::write(staging.join("worker.js"), WORKER_JS.replace("__RUNTARA_MODULE__", name)).map_err(io)?;
    fs::write(staging.join("wrangler.toml"), wrangler_toml(name)).map_err(io)
}

/// `wrangler.toml` for a Worker named after the module (lowercase letters, digits and `-`).
fn wrangler_toml(name: &str) -> String {
    let mut worker: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    worker = worker.trim_matches('-').chars().take(63).collect();
    if worker.is_empty() {
        worker = "runtara-workflow".into();
    }
    format!(
        r#"# Written by runtara compile --target cloudflare. Deploy with `npx wrangler deploy`;
# connections for network agents: `npx wrangler secret put RUNTARA_CONNECTIONS` (JSON).
name = "{worker}"
main = "worker.js"
compatibility_date = "{COMPATIBILITY_DATE}"

[[durable_objects.bindings]]
name = "{DURABLE_OBJECT_BINDING}"
class_name = "{DURABLE_OBJECT_CLASS}"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["{DURABLE_OBJECT_CLASS}"]
"#
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn worker_names_are_lowercase_words() {
        assert!(super::wrangler_toml("01_Order Flow").contains("name = \"01-order-flow\""));
        assert!(super::wrangler_toml("__").contains("name = \"runtara-workflow\""));
    }
}
