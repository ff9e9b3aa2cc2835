//! Keeps the caches `runtara run` fills — compiled artifacts (`artifacts/`) and compiled
//! components (`components/`) — under a size budget: after a run, the entries used least
//! recently (last written or hit, [`touch`]) go first. Tools and Worker state in the cache
//! directory are never touched, and neither are names starting with `.` (a compile or a
//! write in progress).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The environment variable with the budget in MiB (default [`DEFAULT_MAX_MB`]).
pub const MAX_MB_ENV: &str = "RUNTARA_CACHE_MAX_MB";

/// The default budget of `artifacts/` + `components/`, MiB.
pub const DEFAULT_MAX_MB: u64 = 2048;

/// The directories under the cache root whose entries may be evicted.
const EVICTABLE: [&str; 2] = ["artifacts", "components"];

/// Marks `entry` (a file or a module directory) as used now, so eviction keeps it longer.
/// A failure is ignored: it only makes the entry look older.
pub fn touch(entry: &Path) {
    if let Ok(f) = std::fs::File::open(entry) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// Evicts from the cache under `root` ([`super::cache_dir`]) until `artifacts/` and
/// `components/` together hold at most the budget (`RUNTARA_CACHE_MAX_MB`, default 2 GiB).
/// Returns the bytes removed; entries that cannot be removed are skipped.
pub fn evict(root: &Path) -> u64 {
    let max_mb = std::env::var(MAX_MB_ENV).ok().and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(DEFAULT_MAX_MB);
    let dirs: Vec<PathBuf> = EVICTABLE.iter().map(|d| root.join(d)).collect();
    evict_to(&dirs, max_mb.saturating_mul(1 << 20))
}

/// Removes the least recently used entries of `dirs` until they hold at most `budget` bytes.
fn evict_to(dirs: &[PathBuf], budget: u64) -> u64 {
    let mut entries: Vec<(SystemTime, u64, PathBuf)> = dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flat_map(|rd| rd.flatten())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            Some((used, size_of(&e.path()), e.path()))
        })
        .collect();
    let mut total: u64 = entries.iter().map(|(_, size, _)| size).sum();
    entries.sort();
    let mut removed = 0;
    for (_, size, path) in entries {
        if total <= budget {
            break;
        }
        let gone = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        if gone.is_ok() {
            total -= size;
            removed += size;
        }
    }
    removed
}

/// The bytes of a file, or of every file under a directory.
fn size_of(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            std::fs::read_dir(path).map(|rd| rd.flatten().map(|e| size_of(&e.path())).sum()).unwrap_or(0)
        }
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn entry(path: &Path, bytes: usize, age_s: u64) {
        std::fs::write(path, vec![0u8; bytes]).unwrap();
        let f = std::fs::File::options().write(true).open(path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(age_s)).unwrap();
    }

    #[test]
    fn the_least_recently_used_entries_go_first_until_the_budget_holds() {
        let root = tempfile::tempdir().unwrap();
        let (artifacts, components) = (root.path().join("artifacts"), root.path().join("components"));
        std::fs::create_dir_all(&artifacts).unwrap();
        std::fs::create_dir_all(&components).unwrap();
        entry(&artifacts.join("old"), 1000, 300);
        entry(&components.join("older"), 1000, 400);
        entry(&artifacts.join("new"), 1000, 10);
        entry(&components.join("used"), 1000, 500);
        touch(&components.join("used"));
        // A write in progress and a tool are never evicted.
        entry(&artifacts.join(".runtara-build-x"), 5000, 900);
        std::fs::create_dir_all(root.path().join("tools")).unwrap();
        entry(&root.path().join("tools/workerd"), 5000, 900);

        let dirs = [artifacts.clone(), components.clone()];
        assert_eq!(evict_to(&dirs, 2000), 2000, "down to the budget: the two oldest entries");
        assert!(!components.join("older").exists() && !artifacts.join("old").exists());
        assert!(artifacts.join("new").exists() && components.join("used").exists(), "a touched entry is kept");
        assert!(artifacts.join(".runtara-build-x").exists() && root.path().join("tools/workerd").exists());
        assert_eq!(evict_to(&dirs, u64::MAX), 0, "within the budget nothing goes");
    }
}
