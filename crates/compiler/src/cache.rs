//! Cache of compiled artifacts for `runtara run FILE.json` (DESIGN §4): key = graph hash +
//! target + options + prebuilt manifest hash; [`evict`] keeps it under a size budget.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::{compile_scenario, prebuilt, CompileError, CompileOptions, Scenario};

pub mod evict;

/// `RUNTARA_CACHE_DIR`, else `$XDG_CACHE_HOME/runtara` or `~/.cache/runtara`.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("RUNTARA_CACHE_DIR") {
        return PathBuf::from(d);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("runtara")
}

/// The compiler's identity: a hash of the sources that decide generated code (set by
/// `build.rs`), so artifacts cached by another build of runtara are never reused.
pub const COMPILER_ID: &str = env!("RUNTARA_COMPILER_ID");

/// Returns a cached artifact for the scenario file, compiling it on a miss.
///
/// The key covers the graph's bytes, the effective workflow id (`--workflow-id`, else the
/// file stem), the target and options, the children the directories resolve to, the
/// prebuilt stdlib's manifest and [`COMPILER_ID`]. The compile reads the bytes that were
/// hashed, not the file again. Errors: as [`compile_scenario`].
pub fn compile_cached(path: &std::path::Path, opts: &CompileOptions) -> Result<PathBuf, CompileError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CompileError::Read { path: path.to_path_buf(), message: e.to_string() })?;
    let mut opts = opts.clone();
    if opts.workflow_id.is_none() {
        opts.workflow_id = Some(path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default());
    }
    let scenario = Scenario::Text { name: path.display().to_string(), json: text };
    // Any build's manifest names the toolchain and stdlib source; the no_std one (where a
    // target has it) is what most graphs use and the quicker to build on first use.
    let pre = prebuilt::ensure(&opts.target.without_std().unwrap_or_else(|| opts.target.clone()))?;
    let key = cache_key(&scenario, &opts, &pre.manifest_hash(), COMPILER_ID);
    let mut out = cache_dir().join("artifacts").join(format!("{key}-{}", opts.target));
    if !opts.target.extension().is_empty() {
        out.set_extension(opts.target.extension());
    }
    // A module directory appears whole (renamed into place), like a file artifact.
    if out.exists() {
        evict::touch(&out);
        return Ok(out);
    }
    opts.output = Some(out.clone());
    compile_scenario(scenario, &opts)?;
    Ok(out)
}

/// The cache key of one compile (see [`compile_cached`]): 24 hex digits.
fn cache_key(scenario: &Scenario, opts: &CompileOptions, manifest_hash: &str, compiler_id: &str) -> String {
    let mut h = Sha256::new();
    if let Scenario::Text { json, .. } = scenario {
        h.update(json.as_bytes());
    }
    h.update([0]);
    h.update(opts.target.to_string().as_bytes());
    h.update([
        opts.release as u8,
        opts.track_events as u8,
        opts.core_client as u8,
        opts.staticlib as u8,
        opts.http_world as u8,
        opts.stateless as u8,
        opts.core_tls as u8,
        opts.local_store as u8,
    ]);
    h.update(opts.workflow_id.as_deref().unwrap_or("").as_bytes());
    h.update([0]);
    h.update(manifest_hash.as_bytes());
    h.update(compiler_id.as_bytes());
    // Children are part of the program: hash what the directories resolve to.
    if let Ok((_, mut wf)) = crate::load(scenario) {
        crate::children::resolve_published(&mut wf.graph, &opts.workflow_dirs);
        if let Ok(children) = crate::children::load_children(&wf.graph, &opts.workflow_dirs) {
            for (k, g) in children {
                h.update(format!("{k:?}").as_bytes());
                h.update(serde_json::to_vec(&g).unwrap_or_default());
            }
        }
    }
    hex24(&h.finalize())
}

/// 24 hex digits of the SHA-256 of `bytes`: a cache directory name for anything keyed by
/// bytes (e.g. the workerd state of a Worker directory, keyed by its path).
pub fn short_hash(bytes: &[u8]) -> String {
    hex24(&Sha256::digest(bytes))
}

fn hex24(digest: &[u8]) -> String {
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Target;

    fn key(json: &str, workflow_id: &str, compiler_id: &str) -> String {
        let mut opts = CompileOptions::new(Target::parse("wasm32-wasip2").unwrap());
        opts.workflow_id = Some(workflow_id.into());
        let scenario = Scenario::Text { name: "g.json".into(), json: json.into() };
        cache_key(&scenario, &opts, "manifest", compiler_id)
    }

    /// Hardening item 9: the same graph under another name, or compiled by another build
    /// of runtara, is another artifact.
    #[test]
    fn the_key_covers_the_workflow_id_and_the_compiler() {
        let g = r#"{"entryPoint":"f","steps":{"f":{"stepType":"Finish","id":"f"}}}"#;
        assert_eq!(key(g, "a", "c1"), key(g, "a", "c1"));
        assert_ne!(key(g, "a", "c1"), key(g, "b", "c1"));
        assert_ne!(key(g, "a", "c1"), key(g, "a", "c2"));
        assert_ne!(key(g, "a", "c1"), key(&g.replace("\"f\"}}", "\"f\",\"name\":\"x\"}}"), "a", "c1"));
    }
}
