//! Compiled components kept on disk, so a component is compiled once, not on every run
//! (issue 18). An entry is wasmtime's serialized form, named by the component's sha256 and
//! the engine's compatibility hash (another wasmtime version, configuration or compiler is
//! another name), and stored as `RTCC` + the sha256 of the serialized bytes + the bytes.
//! An entry whose checksum does not match — truncated, corrupted, tampered with — is
//! deleted and the component compiled again: it is never handed to wasmtime.
//!
//! [`CodeCache::tiered`] compiles a component it has not seen with the baseline compiler
//! (Winch: a third of cranelift's time, slower code) and [`CodeCache::promote`] recompiles
//! it with cranelift once a run has shown the code runs long enough for that to pay.

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

/// Which compiler made a component's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Winch, wasmtime's baseline compiler: fast to compile, slower code.
    Baseline,
    /// Cranelift, wasmtime's optimising compiler.
    Optimized,
}

impl Tier {
    /// `"baseline"` or `"optimized"` (the `code_tier` of `runtara run --stats`).
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Baseline => "baseline",
            Tier::Optimized => "optimized",
        }
    }
}

/// The two engines of a tiered cache, alike but for the compiler.
pub struct TieredEngines {
    /// Winch.
    pub baseline: Engine,
    /// Cranelift.
    pub optimized: Engine,
}

impl TieredEngines {
    /// Both engines from one configuration (`config`'s compiler strategy is overridden).
    /// Errors: a configuration wasmtime refuses.
    pub fn new(config: &mut wasmtime::Config) -> anyhow::Result<TieredEngines> {
        let optimized = Engine::new(config.strategy(wasmtime::Strategy::Cranelift))?;
        let baseline = Engine::new(config.strategy(wasmtime::Strategy::Winch))?;
        Ok(TieredEngines { baseline, optimized })
    }

    /// The engine of `tier`: a component runs in a store of the engine that compiled it.
    pub fn get(&self, tier: Tier) -> &Engine {
        match tier {
            Tier::Baseline => &self.baseline,
            Tier::Optimized => &self.optimized,
        }
    }
}

/// A component loaded by [`CodeCache::tiered`].
pub struct Loaded {
    /// The compiled component, of the engine of `tier`.
    pub component: Component,
    /// From the cache or compiled now.
    pub source: Source,
    /// Which compiler made it.
    pub tier: Tier,
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
        match self.load(engine, hash) {
            Some(c) => Ok((c, Source::Cache)),
            None => Ok((self.compile(engine, hash, wasm)?, Source::Compiled)),
        }
    }

    /// The component `wasm` (sha256 `hash`): cranelift's code when the cache has it, else
    /// Winch's, compiling it with Winch when the cache has neither (with cranelift when Winch
    /// cannot: it lacks some proposals). Errors: as [`CodeCache::component`].
    pub fn tiered(&self, engines: &TieredEngines, hash: &str, wasm: &[u8]) -> anyhow::Result<Loaded> {
        for tier in [Tier::Optimized, Tier::Baseline] {
            if let Some(component) = self.load(engines.get(tier), hash) {
                return Ok(Loaded { component, source: Source::Cache, tier });
            }
        }
        let (component, tier) = match self.compile(&engines.baseline, hash, wasm) {
            Ok(component) => (component, Tier::Baseline),
            Err(_) => (self.compile(&engines.optimized, hash, wasm)?, Tier::Optimized),
        };
        Ok(Loaded { component, source: Source::Compiled, tier })
    }

    /// Compiles `wasm` with cranelift and stores it in place of its Winch entry, so later
    /// runs get the optimised code. Errors: as [`CodeCache::component`].
    pub fn promote(&self, engines: &TieredEngines, hash: &str, wasm: &[u8]) -> anyhow::Result<()> {
        self.compile(&engines.optimized, hash, wasm)?;
        let _ = std::fs::remove_file(self.entry(&engines.baseline, hash));
        Ok(())
    }

    /// The entry of `hash` for `engine` when it is intact and wasmtime accepts it (a
    /// rejected entry is deleted).
    fn load(&self, engine: &Engine, hash: &str) -> Option<Component> {
        let entry = self.entry(engine, hash);
        let serialized = read_intact(&entry)?;
        // SAFETY: the bytes are what `Component::serialize` wrote for an engine of the
        // same compatibility hash (the entry's name), checked against their sha256; a
        // mismatch never gets here. wasmtime checks its own header and version again.
        match unsafe { Component::deserialize(engine, &serialized) } {
            Ok(c) => {
                // Used now: a size-bounded cache (`runtara run`'s) evicts it later.
                if let Ok(f) = std::fs::File::open(&entry) {
                    let _ = f.set_modified(std::time::SystemTime::now());
                }
                Some(c)
            }
            Err(_) => {
                let _ = std::fs::remove_file(&entry);
                None
            }
        }
    }

    /// Compiles `wasm` for `engine` and stores it (a failed store only costs the next run
    /// a compile).
    fn compile(&self, engine: &Engine, hash: &str, wasm: &[u8]) -> anyhow::Result<Component> {
        let component = Component::new(engine, wasm)?;
        if let Ok(serialized) = component.serialize() {
            let _ = write_entry(&self.entry(engine, hash), &serialized);
        }
        Ok(component)
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

    #[test]
    fn a_new_component_gets_winch_code_until_it_is_promoted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CodeCache::new(dir.path());
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true);
        let engines = TieredEngines::new(&mut config).unwrap();
        let (baseline, optimized) = (&engines.baseline, &engines.optimized);
        assert_ne!(cache.entry(baseline, "h"), cache.entry(optimized, "h"), "each compiler has entries of its own");
        let tier = |c: &CodeCache| {
            let l = c.tiered(&engines, "h", EMPTY_COMPONENT).unwrap();
            (l.source, l.tier)
        };
        assert_eq!(tier(&cache), (Source::Compiled, Tier::Baseline));
        assert_eq!(tier(&cache), (Source::Cache, Tier::Baseline));
        cache.promote(&engines, "h", EMPTY_COMPONENT).unwrap();
        assert!(!cache.entry(baseline, "h").exists(), "the Winch entry is replaced");
        assert_eq!(tier(&cache), (Source::Cache, Tier::Optimized));
    }
}
