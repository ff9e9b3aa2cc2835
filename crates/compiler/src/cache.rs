//! Cache of compiled artifacts for `runtara run FILE.json` (DESIGN §4): key = graph hash +
//! target + options + prebuilt manifest hash.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::{compile_scenario, prebuilt, CompileError, CompileOptions, Scenario};

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

/// Returns a cached artifact for the scenario file, compiling it on a miss.
pub fn compile_cached(path: &std::path::Path, opts: &CompileOptions) -> Result<PathBuf, CompileError> {
    let text =
        std::fs::read(path).map_err(|e| CompileError::Read { path: path.to_path_buf(), message: e.to_string() })?;
    let pre = prebuilt::ensure(&opts.target)?;
    let mut h = Sha256::new();
    h.update(&text);
    h.update(opts.target.triple.as_bytes());
    h.update([opts.release as u8, opts.track_events as u8, opts.core_client as u8]);
    h.update(opts.workflow_id.as_deref().unwrap_or("").as_bytes());
    h.update(pre.manifest_hash().as_bytes());
    // Children are part of the program: hash what the directories resolve to.
    if let Ok((_, wf)) = crate::load(&Scenario::Path(path.to_path_buf())) {
        if let Ok(children) = crate::children::load_children(&wf.graph, &opts.workflow_dirs) {
            for (k, g) in children {
                h.update(format!("{k:?}").as_bytes());
                h.update(serde_json::to_vec(&g).unwrap_or_default());
            }
        }
    }
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    let key: String = h.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect();
    let mut out = cache_dir().join("artifacts").join(format!("{key}-{}", opts.target.triple));
    if !opts.target.extension().is_empty() {
        out.set_extension(opts.target.extension());
    }
    if out.is_file() {
        return Ok(out);
    }
    let mut o = opts.clone();
    o.output = Some(out.clone());
    if o.workflow_id.is_none() {
        o.workflow_id = path.file_stem().map(|s| s.to_string_lossy().to_string());
    }
    compile_scenario(Scenario::Path(path.to_path_buf()), &o)?;
    Ok(out)
}
