//! [`StateBackendConfig`]: which keyed-state backend a job's keyed operators use, set
//! with Flink's option names.
//!
//! | option | values | default |
//! |---|---|---|
//! | `state.backend.type` | `hashmap` (heap), `embedded` or `fjall` (the embedded LSM) | `hashmap` |
//! | `state.backend.fjall.memory` | a size: `64mb`, `16 MiB`, `1g`, bytes | `64mb` |
//! | `state.backend.fjall.localdir` | a directory for the working files | the system temp dir |
//! | `execution.checkpointing.incremental` | `true`/`false`: checkpoints of the embedded backend store only the key groups changed since the last completed one | `false` |
//!
//! The memory budget bounds each keyed operator subtask's LSM: its block cache and the
//! write buffers of its states ([`MemoryBudget`]); the rest of the state is on disk.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use weir_core::KeyGroupRange;

use crate::{HeapKeyedStateBackend, Key, LsmKeyedStateBackend, MemoryBudget, StateBackend, StateError};

/// Which backend keyed state lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StateBackendKind {
    /// Hash maps on the heap (`hashmap`).
    #[default]
    HashMap,
    /// The embedded LSM on local disk (`embedded`, also accepted as `fjall`).
    Embedded,
}

/// How a job keeps its keyed state.
///
/// # Example
/// ```
/// use weir_state::{StateBackendConfig, StateBackendKind};
/// let config = StateBackendConfig::from_options([
///     ("state.backend.type", "fjall"),
///     ("state.backend.fjall.memory", "16 MiB"),
///     ("execution.checkpointing.incremental", "true"),
/// ])
/// .unwrap();
/// assert_eq!(config.kind, StateBackendKind::Embedded);
/// assert_eq!(config.memory_bytes, 16 << 20);
/// assert!(config.incremental);
/// let e = StateBackendConfig::from_options([("state.backend.type", "rocksdb")]).unwrap_err();
/// assert!(e.contains("hashmap, embedded or fjall"), "{e}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateBackendConfig {
    /// The backend.
    pub kind: StateBackendKind,
    /// The embedded backend's memory budget per keyed operator subtask, in bytes.
    pub memory_bytes: u64,
    /// Where the embedded backend keeps its working files (deleted when the job ends;
    /// durability comes from checkpoints; those a killed process left are deleted by the
    /// next process that opens a backend here). `None`: the system temp directory.
    pub local_dir: Option<PathBuf>,
    /// Flink's `execution.checkpointing.incremental`: checkpoints of the embedded backend
    /// write only the key groups changed since the last completed checkpoint and refer to
    /// the files earlier checkpoints wrote for the rest (the heap backend's checkpoints,
    /// and every savepoint, stay full).
    pub incremental: bool,
}

impl Default for StateBackendConfig {
    fn default() -> Self {
        StateBackendConfig {
            kind: StateBackendKind::HashMap,
            memory_bytes: 64 << 20,
            local_dir: None,
            incremental: false,
        }
    }
}

/// Makes every working directory of this process distinct.
static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

/// The base directories this process has already cleaned of dead processes' leftovers.
static CLEANED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Removes the working directories (`weir-state-<pid>-…`) that processes no longer
/// running left in `base` — a process killed with `kill -9` cannot remove its own.
/// Once per base directory and process; best effort (another process may race us).
fn remove_leftovers(base: &Path) {
    let mut cleaned = CLEANED.lock().unwrap_or_else(|p| p.into_inner());
    if cleaned.iter().any(|b| b == base) {
        return;
    }
    cleaned.push(base.to_path_buf());
    let Ok(entries) = std::fs::read_dir(base) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("weir-state-")).and_then(|r| r.split('-').next())
        else {
            continue;
        };
        let Ok(pid) = pid.parse::<u32>() else { continue };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Whether process `pid` runs (on Linux, by `/proc`; elsewhere assumed, so nothing is removed).
fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

impl StateBackendConfig {
    /// The embedded backend with a memory budget of `memory_bytes` per operator subtask.
    pub fn embedded(memory_bytes: u64) -> Self {
        StateBackendConfig { kind: StateBackendKind::Embedded, memory_bytes, ..StateBackendConfig::default() }
    }

    /// A configuration from `(option, value)` pairs (see the module docs).
    ///
    /// # Errors
    /// As [`Self::set`].
    pub fn from_options<'a>(options: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self, String> {
        let mut config = StateBackendConfig::default();
        for (key, value) in options {
            config.set(key, value)?;
        }
        Ok(config)
    }

    /// Whether `key` is an option this configuration reads.
    pub fn knows(key: &str) -> bool {
        matches!(
            key,
            "state.backend.type"
                | "state.backend.fjall.memory"
                | "state.backend.fjall.localdir"
                | "execution.checkpointing.incremental"
        )
    }

    /// Sets one option.
    ///
    /// # Errors
    /// A message naming the option and the values it takes, for an unknown option or a
    /// bad value.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        match key {
            "state.backend.type" => {
                self.kind = match value.to_ascii_lowercase().as_str() {
                    "hashmap" | "heap" => StateBackendKind::HashMap,
                    "embedded" | "fjall" => StateBackendKind::Embedded,
                    other => {
                        return Err(format!(
                            "state.backend.type: unknown backend '{other}'; use hashmap, embedded or fjall"
                        ))
                    }
                }
            }
            "state.backend.fjall.memory" => {
                self.memory_bytes = parse_memory(value).map_err(|e| format!("state.backend.fjall.memory: {e}"))?;
            }
            "state.backend.fjall.localdir" => self.local_dir = Some(PathBuf::from(value)),
            "execution.checkpointing.incremental" => {
                self.incremental = match value.to_ascii_lowercase().as_str() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(format!("execution.checkpointing.incremental: '{other}' is not true or false"))
                    }
                }
            }
            other => return Err(format!("unknown state backend option '{other}'")),
        }
        Ok(())
    }

    /// A backend for the key groups of `range`; `owner` names the subtask (it becomes
    /// part of the embedded backend's working directory name).
    ///
    /// # Errors
    /// [`StateError::Store`] when the embedded backend cannot open its directory.
    pub fn create<K: Key>(&self, range: KeyGroupRange, owner: &str) -> Result<StateBackend<K>, StateError> {
        match self.kind {
            StateBackendKind::HashMap => Ok(StateBackend::Heap(HeapKeyedStateBackend::new(range))),
            StateBackendKind::Embedded => {
                let base = self.local_dir.clone().unwrap_or_else(std::env::temp_dir);
                remove_leftovers(&base);
                let owner: String =
                    owner.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).take(40).collect();
                let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
                let dir = base.join(format!("weir-state-{}-{n}-{owner}", std::process::id()));
                let backend =
                    LsmKeyedStateBackend::open(&dir, range, MemoryBudget::of(self.memory_bytes)).map_err(|e| {
                        StateError::Store(format!("cannot open the embedded state in {}: {e}", dir.display()))
                    })?;
                Ok(StateBackend::Embedded(backend))
            }
        }
    }
}

/// Flink's memory sizes: a number with an optional unit (`b`, `k`/`kb`/`kib`, `m`/`mb`/
/// `mib`, `g`/`gb`/`gib`, any case, spaces allowed); units are powers of 1024, as in Flink.
fn parse_memory(text: &str) -> Result<u64, String> {
    let digits = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let number: u64 = text[..digits].parse().map_err(|_| format!("'{text}' is not a size such as 64mb"))?;
    let unit = text[digits..].trim().to_ascii_lowercase();
    let shift = match unit.as_str() {
        "" | "b" | "bytes" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => return Err(format!("unknown unit '{other}' in '{text}'; use b, kb, mb or gb")),
    };
    number.checked_shl(shift).filter(|n| n >> shift == number).ok_or_else(|| format!("'{text}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_parse_as_flink_does() {
        let cases = [
            ("1024", Ok(1024)),
            ("64mb", Ok(64 << 20)),
            ("16 MiB", Ok(16 << 20)),
            ("2g", Ok(2 << 30)),
            ("8 KB", Ok(8 << 10)),
            ("", Err("not a size")),
            ("12 parsecs", Err("unknown unit 'parsecs'")),
            ("mb", Err("not a size")),
        ];
        for (text, expected) in cases {
            match (parse_memory(text), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{text}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{text}: {got}"),
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn bad_options_are_refused_by_name() {
        let mut c = StateBackendConfig::default();
        assert!(c.set("state.backend.type", "rocksdb").unwrap_err().contains("state.backend.type"));
        assert!(c.set("state.backend.fjall.memory", "lots").unwrap_err().contains("state.backend.fjall.memory"));
        assert!(c.set("execution.checkpointing.incremental", "yes").unwrap_err().contains("true or false"));
        assert!(c.set("state.backend.nope", "1").unwrap_err().contains("unknown state backend option"));
        assert_eq!(c, StateBackendConfig::default(), "a refused value changes nothing");
    }

    #[test]
    fn create_gives_the_configured_backend_and_reports_a_bad_directory() {
        let range = KeyGroupRange::for_operator(128, 1, 0);
        let heap = StateBackendConfig::default().create::<u32>(range, "op").unwrap();
        assert_eq!(heap.kind_name(), "hashmap");
        let dir = tempfile::tempdir().unwrap();
        let mut config = StateBackendConfig::embedded(8 << 20);
        config.local_dir = Some(dir.path().to_path_buf());
        let lsm = config.create::<u32>(range, "op (1/2)").unwrap();
        assert_eq!(lsm.kind_name(), "embedded");
        // What a killed process left is removed by the next one; a live one's stays.
        let dead = dir.path().join("weir-state-4000000000-0-op");
        std::fs::create_dir_all(&dead).unwrap();
        let other = tempfile::tempdir().unwrap();
        let (dead_there, alive_there) = (
            other.path().join("weir-state-4000000000-0-op"),
            other.path().join(format!("weir-state-{}-999-op", std::process::id())),
        );
        std::fs::create_dir_all(&dead_there).unwrap();
        std::fs::create_dir_all(&alive_there).unwrap();
        let mut elsewhere = config.clone();
        elsewhere.local_dir = Some(other.path().to_path_buf());
        let _lsm2 = elsewhere.create::<u32>(range, "op").unwrap();
        assert!(!dead_there.exists(), "a dead process's directory is removed");
        assert!(alive_there.exists(), "a running process's directory stays");
        assert!(dead.exists(), "{} was cleaned before the leftover appeared: once per process", dir.path().display());
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").unwrap();
        config.local_dir = Some(file);
        let e = config.create::<u32>(range, "op").err().expect("a file is no directory").to_string();
        assert!(e.contains("cannot open the embedded state"), "{e}");
    }
}
