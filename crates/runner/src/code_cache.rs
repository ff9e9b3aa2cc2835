//! Compiled components kept on disk, so a component is compiled by cranelift once, not on
//! every run (issue 18). An entry is wasmtime's serialized form, named by the component's
//! sha256 and the engine's compatibility hash (another wasmtime version or configuration
//! is another name), and stored as `RTCC` + the sha256 of the serialized bytes + the
//! bytes. An entry whose checksum does not match — truncated, corrupted, tampered with —
//! is deleted and the component compiled again: it is never handed to wasmtime.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

const MAGIC: &[u8; 4] = b"RTCC";

/// A directory of compiled components.
#[derive(Debug, Clone)]
pub struct CodeCache {
    dir: PathBuf,
}

/// Where a component came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// An intact cache entry.
    Cache,
    /// Compiled now (no entry, or one that was rejected), and stored.
    Compiled,
}

impl CodeCache {
    /// A cache in `dir` (created when the first entry is written).
    pub fn new(dir: impl Into<PathBuf>) -> CodeCache {
        CodeCache { dir: dir.into() }
    }

    /// The sha256 of `bytes`, hex: the name of a component's entries.
    pub fn hash(bytes: &[u8]) -> String {
        Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The component `wasm` (whose sha256 is `hash`) compiled for `engine`: from an intact
    /// entry, else compiled and stored (a failed store only costs the next run a compile).
    /// Errors: `wasm` is not a component `engine` can compile.
    pub fn component(&self, engine: &Engine, hash: &str, wasm: &[u8]) -> anyhow::Result<(Component, Source)> {
        let entry = self.entry(engine, hash);
        if let Some(serialized) = read_intact(&entry) {
            // SAFETY: the bytes are what `Component::serialize` wrote for an engine of the
            // same compatibility hash (the entry's name), checked against their sha256; a
            // mismatch never gets here. wasmtime checks its own header and version again.
            if let Ok(c) = unsafe { Component::deserialize(engine, &serialized) } {
                // Used now: a size-bounded cache (`runtara run`'s) evicts it later.
                if let Ok(f) = std::fs::File::open(&entry) {
                    let _ = f.set_modified(std::time::SystemTime::now());
                }
                return Ok((c, Source::Cache));
            }
            let _ = std::fs::remove_file(&entry);
        }
        let component = Component::new(engine, wasm)?;
        if let Ok(serialized) = component.serialize() {
            let _ = write_entry(&entry, &serialized);
        }
        Ok((component, Source::Compiled))
    }

    /// The entry of component `hash` for `engine`.
    pub fn entry(&self, engine: &Engine, hash: &str) -> PathBuf {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        self.dir.join(format!("{hash}-{:016x}.cwasm", h.finish()))
    }
}

/// The serialized bytes of an entry whose checksum matches; a damaged entry is deleted.
fn read_intact(entry: &Path) -> Option<Vec<u8>> {
    let bytes = std::fs::read(entry).ok()?;
    let intact = bytes.len() > 36 && &bytes[..4] == MAGIC && Sha256::digest(&bytes[36..]).as_slice() == &bytes[4..36];
    if !intact {
        let _ = std::fs::remove_file(entry);
        return None;
    }
    Some(bytes[36..].to_vec())
}

fn write_entry(entry: &Path, serialized: &[u8]) -> anyhow::Result<()> {
    let dir = entry.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    let mut bytes = Vec::with_capacity(serialized.len() + 36);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&Sha256::digest(serialized));
    bytes.extend_from_slice(serialized);
    std::io::Write::write_all(&mut tmp, &bytes)?;
    tmp.persist(entry).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest component.
    const EMPTY_COMPONENT: &[u8] = &[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    #[test]
    fn a_second_load_hits_and_a_tampered_entry_is_compiled_again() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CodeCache::new(dir.path().join("code"));
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        let engine = Engine::new(&config).unwrap();
        let hash = CodeCache::hash(EMPTY_COMPONENT);
        assert_eq!(cache.component(&engine, &hash, EMPTY_COMPONENT).unwrap().1, Source::Compiled);
        assert_eq!(cache.component(&engine, &hash, EMPTY_COMPONENT).unwrap().1, Source::Cache);
        let entry = cache.entry(&engine, &hash);
        let mut bytes = std::fs::read(&entry).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&entry, &bytes).unwrap();
        assert_eq!(cache.component(&engine, &hash, EMPTY_COMPONENT).unwrap().1, Source::Compiled, "tampered: rejected");
        assert_eq!(cache.component(&engine, &hash, EMPTY_COMPONENT).unwrap().1, Source::Cache, "rewritten intact");
        std::fs::write(&entry, b"RTCC").unwrap();
        assert_eq!(
            cache.component(&engine, &hash, EMPTY_COMPONENT).unwrap().1,
            Source::Compiled,
            "truncated: rejected"
        );
    }
}
