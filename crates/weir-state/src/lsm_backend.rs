//! [`LsmKeyedStateBackend`]: keyed state in an embedded LSM tree on local disk (fjall),
//! for state larger than memory.
//!
//! # Layout
//! One fjall database per backend (a working directory, deleted on drop: durability
//! comes from checkpoints, as with Flink's RocksDB backend), one keyspace (column
//! family) per declared state. Keys start with the **key group as a big-endian `u16`**,
//! so a key group — and a key-group range — is one contiguous scan:
//!
//! ```text
//! whole-value state:  [key group: u16 BE][bincode(key)]                  → bincode(S)
//! map state:          [key group: u16 BE][bincode(key)][bincode(user key)] → bincode(UV)
//! ```
//!
//! bincode encodings of one type are prefix-free, so all user keys of one key are
//! adjacent, and a snapshot can be assembled byte-wise without decoding values.
//!
//! # Memory
//! [`MemoryBudget`] bounds the block cache and each state's memtable; everything else
//! is on disk (and in the OS page cache, which is not the process's memory).
//!
//! # Snapshots
//! 1. **Cut** (on the task thread, O(1)): take a fjall read view (a sequence number) and,
//!    for incremental snapshots, take the set of key groups written since the last cut.
//! 2. **Serialize** (any thread): scan the read view key group by key group into the
//!    [`KeyedStateSnapshot`] format — the same bytes the heap backend writes.
//!
//! Writes after the cut are invisible to the read view, which is what makes step 2
//! safe to run concurrently with processing.
//!
//! For checkpoints, [`LsmKeyedStateBackend::cut_key_groups`] hands out the cut as a
//! [`KeyGroupCut`]: serialized one key group at a time (a checkpoint never holds more
//! than one key group in memory), with the epoch of each key group's last write, so the
//! writer can tell which key groups changed since any earlier cut of the same backend.
//!
//! # Restore
//! [`KeyedStateBackend::restore_key_groups`] takes a snapshot one key group at a time
//! and writes each into the store as it arrives (with the same write backpressure as
//! any write), so restoring state larger than memory stays within the budget. A key group
//! restored from a file of checkpoint storage whose snapshot declared exactly this
//! backend's states keeps that file as its origin until it is next written: the next
//! cut hands it to the checkpoint writer ([`KeyGroupCut::restored_file`]), which lists the
//! file instead of writing the key group again.

use std::any::type_name;
use std::hash::Hash;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use fjall::{Database, Keyspace, KeyspaceCreateOptions, KvSeparationOptions, Readable};
use serde::de::DeserializeOwned;
use serde::Serialize;
use weir_core::KeyGroupRange;

use crate::incremental_snapshot::IncrementalSnapshot;
use crate::key_group_cut::KeyGroupCut;
use crate::key_group_source::{KeyGroupSource, RestoredKeyGroup, StoredKeyGroup};
use crate::snapshot::{KeyGroupSnapshot, KeyedStateSnapshot, StateMeta, SNAPSHOT_FORMAT_VERSION};
use crate::{Key, KeyedStateBackend, StateError, StateId, StateKind, StateValue};

/// How much memory the LSM may use for its own buffers.
///
/// # Example
/// ```
/// use weir_state::MemoryBudget;
/// let b = MemoryBudget::of(16 << 20);
/// assert_eq!(b.cache_bytes + b.memtable_bytes * 2, 16 << 20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryBudget {
    /// The block cache shared by all states (fjall `cache_size`).
    pub cache_bytes: u64,
    /// The memtable (write buffer) size of **each** state (fjall `max_memtable_size`);
    /// a full memtable is sealed and flushed, so a state holds about one active and one
    /// sealed memtable.
    pub memtable_bytes: u64,
}

impl MemoryBudget {
    /// Half of `bytes` for the cache, a quarter for each of a state's active and
    /// sealed memtable: `bytes` in all for one declared state.
    pub fn of(bytes: u64) -> Self {
        MemoryBudget { cache_bytes: bytes / 2, memtable_bytes: bytes / 4 }
    }
}

/// What the LSM backend reports about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LsmMetrics {
    /// Bytes on disk (tables and journal).
    pub disk_bytes: u64,
    /// Bytes in memtables.
    pub write_buffer_bytes: u64,
    /// Bytes in the block cache.
    pub cache_bytes: u64,
}

/// Knows a state's types where the byte-level code needs them.
trait Codec: Send + Sync {
    /// Length of the bincode key at the start of `suffix` (the LSM key after the key
    /// group).
    fn key_len(&self, suffix: &[u8]) -> Result<usize, StateError>;
    /// Calls `entry(key suffix parts, value)` for each LSM entry of one state's snapshot
    /// blob, in order, without holding more than one entry decoded: the blob's bytes are
    /// the entries' bytes, only their boundaries need the types.
    fn for_each_entry(&self, blob: &[u8], entry: EntrySink<'_>) -> Result<(), StateError>;
}

/// Takes one LSM entry: the parts of its key after the key group, and its value.
type EntrySink<'a> = &'a mut dyn FnMut(&[&[u8]], &[u8]) -> Result<(), StateError>;

struct WholeCodec<K, S>(PhantomData<fn() -> (K, S)>);
struct MapCodec<K, UK, UV>(PhantomData<fn() -> K>, PhantomData<fn() -> (UK, UV)>);

fn key_len<K: DeserializeOwned>(suffix: &[u8]) -> Result<usize, StateError> {
    let mut rest = suffix;
    bincode::deserialize_from::<_, K>(&mut rest).map_err(|e| StateError::Store(format!("bad key: {e}")))?;
    Ok(suffix.len() - rest.len())
}

/// Splits the bincode of one `T` off the front of `rest`.
fn take<'a, T: DeserializeOwned>(rest: &mut &'a [u8]) -> Result<&'a [u8], StateError> {
    let bytes = *rest;
    bincode::deserialize_from::<_, T>(&mut *rest)
        .map_err(|e| StateError::Restore(format!("undecodable entry: {e}")))?;
    Ok(&bytes[..bytes.len() - rest.len()])
}

/// Reads a sequence's length off the front of `rest`.
fn count(rest: &mut &[u8]) -> Result<u64, StateError> {
    bincode::deserialize_from(&mut *rest).map_err(|e| StateError::Restore(format!("undecodable entries: {e}")))
}

impl<K: Key, S: StateValue> Codec for WholeCodec<K, S> {
    fn key_len(&self, suffix: &[u8]) -> Result<usize, StateError> {
        key_len::<K>(suffix)
    }
    /// The blob is `Vec<(K, S)>`: each entry is `K`'s bytes then `S`'s.
    fn for_each_entry(&self, mut blob: &[u8], entry: EntrySink<'_>) -> Result<(), StateError> {
        for _ in 0..count(&mut blob)? {
            let key = take::<K>(&mut blob)?;
            entry(&[key], take::<S>(&mut blob)?)?;
        }
        Ok(())
    }
}

impl<K: Key, UK: StateValue + Hash + Eq, UV: StateValue> Codec for MapCodec<K, UK, UV> {
    fn key_len(&self, suffix: &[u8]) -> Result<usize, StateError> {
        key_len::<K>(suffix)
    }
    /// The blob is `Vec<(K, map)>`, each map its length then `(UK, UV)` pairs: an entry's
    /// key is `K`'s bytes then `UK`'s, its value `UV`'s.
    fn for_each_entry(&self, mut blob: &[u8], entry: EntrySink<'_>) -> Result<(), StateError> {
        for _ in 0..count(&mut blob)? {
            let key = take::<K>(&mut blob)?;
            for _ in 0..count(&mut blob)? {
                let user_key = take::<UK>(&mut blob)?;
                entry(&[key, user_key], take::<UV>(&mut blob)?)?;
            }
        }
        Ok(())
    }
}

/// How many bytes of a restored key group are written in one batch, at most (then the
/// restore waits, as any write, for the memtables to fit the budget).
const RESTORE_BATCH_BYTES: usize = 1 << 20;

/// A declared state: what a snapshot needs of it, shareable with the serializing thread.
#[derive(Clone)]
pub(crate) struct LsmState {
    pub(crate) meta: StateMeta,
    keyspace: Keyspace,
    codec: Arc<dyn Codec>,
    per_user_key: bool,
}

/// Keyed state of one subtask in an embedded LSM tree (fjall) on local disk.
///
/// Implements [`KeyedStateBackend`]; the typed handles (`ValueState` and the others)
/// work over it through [`StateBackend`](crate::StateBackend) /
/// [`BackendRef`](crate::BackendRef).
///
/// # Concurrency
/// Owned by the subtask's task thread; the closures of [`Self::snapshot_async`] and
/// [`Self::incremental_snapshot_async`] may run on any thread.
///
/// # Example
/// ```
/// use weir_core::KeyGroupRange;
/// use weir_state::{KeyedStateBackend, LsmKeyedStateBackend, MemoryBudget, StateKind};
/// let dir = tempfile::tempdir().unwrap();
/// let range = KeyGroupRange::for_operator(128, 1, 0);
/// let mut lsm = LsmKeyedStateBackend::<u64>::open(dir.path(), range, MemoryBudget::of(8 << 20)).unwrap();
/// let tags = lsm.register_map::<String, u32>("tags").unwrap();
/// lsm.put_entry(tags, 3, &42, "red".to_string(), 1).unwrap();
/// let serialize = lsm.snapshot_async(); // the cut: cheap, on the task thread
/// lsm.put_entry(tags, 3, &42, "blue".to_string(), 2).unwrap(); // not in the snapshot
/// let snapshot = std::thread::spawn(serialize).join().unwrap().unwrap();
/// assert_eq!(snapshot.key_groups.len(), 1);
/// ```
pub struct LsmKeyedStateBackend<K> {
    range: KeyGroupRange,
    db: Database,
    budget: MemoryBudget,
    states: Vec<LsmState>,
    /// This backend among all opened in the process (epochs of two backends are unrelated).
    id: u64,
    /// Writes now belong to this epoch; each cut ends one.
    epoch: u64,
    /// Per owned key group: the epoch of its last write (0: none).
    written: Vec<u64>,
    /// The next incremental snapshot must be full.
    force_full: bool,
    /// The id and epoch of the last incremental cut.
    last_cut: Option<(u64, u64)>,
    /// Held by every [`KeyGroupCut`] not yet written: more than one holder means a cut
    /// is open.
    open_cuts: Arc<()>,
    /// Bytes written while a cut was open, which its read view may keep in memory.
    written_under_cut: u64,
    /// Per owned key group: the file it was restored from and the epoch of the restore;
    /// valid while the key group's last write is not later.
    restored: Vec<Option<(StoredKeyGroup, u64)>>,
    _key: PhantomData<fn() -> K>,
}

/// Numbers the backends of the process.
static NEXT_BACKEND: AtomicU64 = AtomicU64::new(1);

fn store_err(e: impl std::fmt::Display) -> StateError {
    StateError::Store(e.to_string())
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StateError> {
    bincode::deserialize(bytes).map_err(|e| StateError::Store(format!("undecodable state: {e}")))
}

impl<K: Key> LsmKeyedStateBackend<K> {
    /// Opens a backend owning `range` in the working directory `dir` (created if
    /// missing, deleted when the backend is dropped), within `budget`.
    ///
    /// # Errors
    /// [`StateError::Store`] when the database cannot be opened.
    pub fn open(dir: &Path, range: KeyGroupRange, budget: MemoryBudget) -> Result<Self, StateError> {
        if range.end >= 1 << 16 {
            return Err(StateError::Store(format!("key group {} does not fit the u16 key prefix", range.end)));
        }
        let db = Database::builder(dir)
            .cache_size(budget.cache_bytes)
            .temporary(true)
            .manual_journal_persist(true)
            .open()
            .map_err(store_err)?;
        Ok(LsmKeyedStateBackend {
            range,
            db,
            budget,
            states: Vec::new(),
            id: NEXT_BACKEND.fetch_add(1, Ordering::Relaxed),
            epoch: 1,
            written: vec![0; range.len()],
            force_full: true,
            last_cut: None,
            open_cuts: Arc::new(()),
            written_under_cut: 0,
            restored: vec![None; range.len()],
            _key: PhantomData,
        })
    }

    /// What the store reports about its size.
    ///
    /// # Errors
    /// [`StateError::Store`] when the disk usage cannot be read.
    pub fn metrics(&self) -> Result<LsmMetrics, StateError> {
        Ok(LsmMetrics {
            disk_bytes: self.db.disk_space().map_err(store_err)?,
            write_buffer_bytes: self.db.write_buffer_size(),
            cache_bytes: self.db.cache_size(),
        })
    }

    /// Makes the next incremental snapshot full — call it when an incremental snapshot
    /// was abandoned, so no later one refers to it.
    pub fn reset_incremental(&mut self) {
        self.force_full = true;
    }

    /// The cut of a checkpoint: a read view taken now, serialized key group by key group
    /// on any thread ([`KeyGroupCut::key_group`]), with what a writer needs to reuse
    /// what an earlier cut of this backend already stored ([`KeyGroupCut::changed_since`]).
    pub fn cut_key_groups(&mut self) -> KeyGroupCut {
        let epoch = self.epoch;
        self.epoch += 1;
        if Arc::strong_count(&self.open_cuts) == 1 {
            // What earlier cuts' views held was released with them.
            self.written_under_cut = 0;
        }
        let restored = self
            .restored
            .iter()
            .zip(&self.written)
            .map(|(restored, &written)| restored.as_ref().filter(|(_, at)| written <= *at).map(|(f, _)| f.clone()))
            .collect();
        KeyGroupCut::new(
            (self.db.clone(), self.open_cuts.clone()),
            self.db.snapshot(),
            self.states.clone(),
            self.range,
            (self.id, epoch),
            (self.written.clone(), restored),
        )
    }

    /// Counts every key group as written now: no earlier cut (nor restored file) may
    /// stand in for it.
    fn touch_all(&mut self) {
        let epoch = self.epoch;
        self.written.iter_mut().for_each(|w| *w = epoch);
        self.restored.iter_mut().for_each(|r| *r = None);
        self.force_full = true;
    }

    /// A full snapshot in two steps: the returned closure holds a read view cut now and
    /// serializes it when called, on any thread.
    pub fn snapshot_async(&self) -> impl FnOnce() -> Result<KeyedStateSnapshot, StateError> + Send + 'static {
        let view = self.db.snapshot();
        let states = self.states.clone();
        let range = self.range;
        move || serialize_cut(&view, &states, range.start..=range.end)
    }

    /// An incremental snapshot in two steps (see [`IncrementalSnapshot`] for what is
    /// incremental): the cut happens now, the closure serializes only the key groups
    /// written since the previous cut.
    pub fn incremental_snapshot_async(
        &mut self,
    ) -> impl FnOnce() -> Result<IncrementalSnapshot, StateError> + Send + 'static {
        let view = self.db.snapshot();
        let states = self.states.clone();
        let id = self.last_cut.map_or(1, |(n, _)| n + 1);
        let base = if self.force_full { None } else { self.last_cut };
        let changed: Vec<usize> = match base {
            None => (self.range.start..=self.range.end).collect(),
            Some((_, since)) => {
                (self.range.start..=self.range.end).filter(|kg| self.written[kg - self.range.start] > since).collect()
            }
        };
        let base = base.map(|(id, _)| id);
        self.force_full = false;
        self.last_cut = Some((id, self.epoch));
        self.epoch += 1;
        move || {
            let delta = serialize_cut(&view, &states, changed.iter().copied())?;
            Ok(IncrementalSnapshot { id, base, changed_key_groups: changed, delta })
        }
    }

    fn state(&self, id: StateId) -> &LsmState {
        &self.states[id.0]
    }

    fn lsm_key(&self, key_group: usize, key: &K) -> Result<Vec<u8>, StateError> {
        debug_assert!(self.range.contains(key_group), "key group {key_group} outside {:?}", self.range);
        let mut out = (key_group as u16).to_be_bytes().to_vec();
        bincode::serialize_into(&mut out, key).map_err(store_err)?;
        Ok(out)
    }

    /// Marks `key_group` written (`bytes` of keys and values) and applies backpressure:
    ///
    /// 1. fjall flushes sealed memtables in the background but does not bound how many
    ///    pile up when writes outrun the flushes, so the writer waits here until the
    ///    memtables of all states fit the budget again (an active and a sealed one per
    ///    state);
    /// 2. while a checkpoint's cut is being written, its read view keeps every memtable
    ///    written since in memory, flushed or not (fjall keeps the tree's versions a read
    ///    view may need), so once that much more has been written, the writer waits until
    ///    the cut is written — a write stall, as RocksDB's, instead of memory growing with
    ///    what the task writes during a slow checkpoint.
    fn mark(&mut self, key_group: usize, bytes: usize) {
        self.written[key_group - self.range.start] = self.epoch;
        let limit = self.memtable_limit();
        wait_for_memtables(&self.db, limit);
        if Arc::strong_count(&self.open_cuts) == 1 {
            self.written_under_cut = 0;
            return;
        }
        self.written_under_cut += bytes as u64;
        while self.written_under_cut > limit && Arc::strong_count(&self.open_cuts) > 1 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// The memtable bytes of all states the budget allows: an active and a sealed one each.
    fn memtable_limit(&self) -> u64 {
        2 * self.budget.memtable_bytes * self.states.len().max(1) as u64
    }

    fn register_with(
        &mut self,
        name: &str,
        kind: StateKind,
        value_type: &'static str,
        codec: Arc<dyn Codec>,
        per_user_key: bool,
    ) -> Result<StateId, StateError> {
        if let Some((i, existing)) = self.states.iter().enumerate().find(|(_, s)| s.meta.name == name) {
            if existing.meta.kind == kind && existing.meta.value_type == value_type {
                return Ok(StateId(i));
            }
            return Err(StateError::IncompatibleDeclaration {
                name: name.to_string(),
                existing: format!("{:?} of {}", existing.meta.kind, existing.meta.value_type),
                requested: format!("{kind:?} of {value_type}"),
            });
        }
        let memtable = self.budget.memtable_bytes;
        let keyspace = self
            .db
            .keyspace(&format!("state-{}", self.states.len()), || {
                // Values of 1 KiB and more go to blob files, so compaction moves only keys
                // and pointers instead of rewriting large values again and again. A write
                // is not handed to the OS on its own (the journal is flushed with its
                // buffer): durability comes from checkpoints, not from the journal.
                KeyspaceCreateOptions::default()
                    .max_memtable_size(memtable)
                    .with_kv_separation(Some(KvSeparationOptions::default()))
                    .manual_journal_persist(true)
            })
            .map_err(store_err)?;
        self.states.push(LsmState {
            meta: StateMeta { name: name.to_string(), kind, value_type: value_type.to_string() },
            keyspace,
            codec,
            per_user_key,
        });
        // Earlier cuts lack this state's column.
        self.touch_all();
        Ok(StateId(self.states.len() - 1))
    }

    fn restore_snapshot(&mut self, snapshot: &KeyedStateSnapshot) -> Result<(), StateError> {
        let targets = self.targets(snapshot.format_version, &snapshot.states)?;
        let range = self.range;
        for kg in snapshot.key_groups.iter().filter(|kg| range.contains(kg.key_group)) {
            self.restore_key_group(kg, &targets)?;
        }
        Ok(())
    }

    /// Per state of a snapshot (of `format_version`, declaring `states`), the declared
    /// state it restores into.
    fn targets(&self, format_version: u32, states: &[StateMeta]) -> Result<Vec<usize>, StateError> {
        if format_version > SNAPSHOT_FORMAT_VERSION {
            return Err(StateError::Restore(format!(
                "snapshot format {format_version} is newer than this Weir's ({SNAPSHOT_FORMAT_VERSION})"
            )));
        }
        let mut targets = Vec::with_capacity(states.len());
        for meta in states {
            let target = self.states.iter().position(|s| s.meta.name == meta.name).ok_or_else(|| {
                StateError::Restore(format!(
                    "state '{}' is in the snapshot but not declared by the operator",
                    meta.name
                ))
            })?;
            let declared = &self.states[target].meta;
            if declared.kind != meta.kind || declared.value_type != meta.value_type {
                return Err(StateError::Restore(format!(
                    "state '{}' is {:?} of {} in the snapshot and declared as {:?} of {}",
                    meta.name, meta.kind, meta.value_type, declared.kind, declared.value_type
                )));
            }
            targets.push(target);
        }
        Ok(targets)
    }

    /// Writes one key group's entries (its tables in the order of `targets`), in batches
    /// of at most [`RESTORE_BATCH_BYTES`], waiting after each as any write does: a
    /// restore holds the key group's bytes and one batch, never the key group decoded.
    fn restore_key_group(&mut self, kg: &KeyGroupSnapshot, targets: &[usize]) -> Result<(), StateError> {
        if kg.tables.len() != targets.len() {
            return Err(StateError::Restore(format!(
                "key group {} has {} tables for {} states",
                kg.key_group,
                kg.tables.len(),
                targets.len()
            )));
        }
        let prefix = (kg.key_group as u16).to_be_bytes();
        let (db, limit) = (self.db.clone(), self.memtable_limit());
        let mut batch = db.batch();
        let (mut pending, mut written) = (0, 0);
        for (blob, &target) in kg.tables.iter().zip(targets) {
            let state = &self.states[target];
            let keyspace = &state.keyspace;
            state
                .codec
                .for_each_entry(blob, &mut |parts, value| {
                    let mut key = prefix.to_vec();
                    parts.iter().for_each(|p| key.extend_from_slice(p));
                    pending += key.len() + value.len();
                    batch.insert(keyspace, key, value.to_vec());
                    if pending >= RESTORE_BATCH_BYTES {
                        std::mem::replace(&mut batch, db.batch()).commit().map_err(store_err)?;
                        written += std::mem::take(&mut pending);
                        wait_for_memtables(&db, limit);
                    }
                    Ok(())
                })
                .map_err(|e| {
                    StateError::Restore(format!("state '{}', key group {}: {e}", state.meta.name, kg.key_group))
                })?;
        }
        batch.commit().map_err(store_err)?;
        self.mark(kg.key_group, written + pending);
        Ok(())
    }
}

/// Sorted states: sets of entries per key group kept in the order of their bytes, which
/// is what a timer queue in the store needs ([`LsmTimerService`](crate::LsmTimerService)).
impl<K: Key> LsmKeyedStateBackend<K> {
    /// Declares a **sorted** state: per key group, a set of `E` kept in the order of each
    /// entry's bincode — for an `E` that starts with fixed-width big-endian fields (such
    /// as `u64::to_be_bytes`), in the order of those fields.
    ///
    /// A snapshot holds it as a whole-value state keyed by `E` with `()` values (per key
    /// group the bincode of `Vec<(E, ())>`), so it is checkpointed, restored and rescaled
    /// with the other states.
    ///
    /// # Errors
    /// As [`KeyedStateBackend::register`].
    ///
    /// # Example
    /// ```
    /// use weir_core::KeyGroupRange;
    /// use weir_state::{LsmKeyedStateBackend, MemoryBudget};
    /// let dir = tempfile::tempdir().unwrap();
    /// let mut lsm = LsmKeyedStateBackend::<u64>::open(dir.path(), KeyGroupRange::for_operator(4, 1, 0), MemoryBudget::of(4 << 20)).unwrap();
    /// let due = lsm.register_sorted::<([u8; 8], String)>("due").unwrap();
    /// for (t, what) in [(30u64, "c"), (10, "a"), (20, "b")] {
    ///     lsm.insert_sorted(due, 1, &(t.to_be_bytes(), what.to_string())).unwrap();
    /// }
    /// lsm.remove_sorted(due, 1, &(20u64.to_be_bytes(), "b".to_string())).unwrap();
    /// let order: Vec<String> = lsm.sorted::<([u8; 8], String)>(due, 1, &[], &[]).map(|e| e.unwrap().1).collect();
    /// assert_eq!(order, ["a", "c"]);
    /// ```
    pub fn register_sorted<E: Key>(&mut self, name: &str) -> Result<StateId, StateError> {
        self.register_with(name, StateKind::Value, type_name::<E>(), Arc::new(WholeCodec::<E, ()>(PhantomData)), false)
    }

    fn sorted_key(&self, key_group: usize, entry: &impl Serialize) -> Result<Vec<u8>, StateError> {
        debug_assert!(self.range.contains(key_group), "key group {key_group} outside {:?}", self.range);
        let mut out = (key_group as u16).to_be_bytes().to_vec();
        bincode::serialize_into(&mut out, entry).map_err(store_err)?;
        Ok(out)
    }

    /// Adds `entry` (an `E` of the state, or anything with the same bincode) to
    /// `key_group`'s set of the sorted state `id`; adding it again changes nothing.
    ///
    /// # Errors
    /// [`StateError::Store`] when the store fails.
    pub fn insert_sorted(&mut self, id: StateId, key_group: usize, entry: &impl Serialize) -> Result<(), StateError> {
        let key = self.sorted_key(key_group, entry)?;
        let written = key.len();
        self.state(id).keyspace.insert(key, Vec::new()).map_err(store_err)?;
        self.mark(key_group, written);
        Ok(())
    }

    /// Removes `entry` from `key_group`'s set of the sorted state `id`.
    ///
    /// # Errors
    /// [`StateError::Store`] when the store fails.
    pub fn remove_sorted(&mut self, id: StateId, key_group: usize, entry: &impl Serialize) -> Result<(), StateError> {
        let key = self.sorted_key(key_group, entry)?;
        let written = key.len();
        self.state(id).keyspace.remove(key).map_err(store_err)?;
        self.mark(key_group, written);
        Ok(())
    }

    /// The entries of `key_group`'s set whose bincode starts with `prefix`, in order,
    /// from the first whose bincode is not below `from` (`&[]`: from the first).
    ///
    /// Starting after entries removed earlier, instead of at the prefix, spares reading
    /// past their tombstones.
    pub fn sorted<E: DeserializeOwned>(
        &self,
        id: StateId,
        key_group: usize,
        prefix: &[u8],
        from: &[u8],
    ) -> impl Iterator<Item = Result<E, StateError>> {
        let mut within = (key_group as u16).to_be_bytes().to_vec();
        within.extend_from_slice(prefix);
        let mut lower = (key_group as u16).to_be_bytes().to_vec();
        lower.extend_from_slice(if from > prefix { from } else { prefix });
        self.state(id)
            .keyspace
            .range(lower..)
            .map(|guard| guard.key().map_err(store_err))
            .take_while(move |key| key.as_ref().map_or(true, |k| k.starts_with(&within)))
            .map(|key| decode(&key?[2..]))
    }
}

/// Waits until the memtables of `db` fit `limit`: fjall flushes sealed memtables in the
/// background but does not bound how many pile up when writes outrun the flushes.
fn wait_for_memtables(db: &Database, limit: u64) {
    while db.write_buffer_size() > limit {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Serializes the given key groups of a read view into the heap backend's format:
/// per state, the bincode of `Vec<(key, value)>` — for map states `Vec<(key, map)>` —
/// assembled from the stored bytes without decoding values.
pub(crate) fn serialize_cut(
    view: &fjall::Snapshot,
    states: &[LsmState],
    key_groups: impl Iterator<Item = usize>,
) -> Result<KeyedStateSnapshot, StateError> {
    let mut out = Vec::new();
    for key_group in key_groups {
        let prefix = (key_group as u16).to_be_bytes();
        let tables = states
            .iter()
            .map(|s| {
                let mut blob = vec![0u8; 8];
                let mut count = 0u64;
                // For map states: the current key's bytes and where its entry count goes.
                let mut current: Option<(Vec<u8>, usize, u64)> = None;
                for guard in view.prefix(&s.keyspace, prefix) {
                    let (k, v) = guard.into_inner().map_err(store_err)?;
                    let suffix = &k[2..];
                    if !s.per_user_key {
                        blob.extend_from_slice(suffix);
                        blob.extend_from_slice(&v);
                        count += 1;
                        continue;
                    }
                    let klen = s.codec.key_len(suffix)?;
                    if current.as_ref().is_none_or(|(key, _, _)| key.as_slice() != &suffix[..klen]) {
                        if let Some((_, at, n)) = current.take() {
                            blob[at..at + 8].copy_from_slice(&n.to_le_bytes());
                        }
                        blob.extend_from_slice(&suffix[..klen]);
                        current = Some((suffix[..klen].to_vec(), blob.len(), 0));
                        blob.extend_from_slice(&[0; 8]);
                        count += 1;
                    }
                    blob.extend_from_slice(&suffix[klen..]);
                    blob.extend_from_slice(&v);
                    if let Some((_, _, n)) = current.as_mut() {
                        *n += 1;
                    }
                }
                if let Some((_, at, n)) = current {
                    blob[at..at + 8].copy_from_slice(&n.to_le_bytes());
                }
                blob[..8].copy_from_slice(&count.to_le_bytes());
                Ok(blob)
            })
            .collect::<Result<Vec<_>, StateError>>()?;
        if tables.iter().any(|t| t.as_slice() != crate::backend::EMPTY_BLOB) {
            out.push(KeyGroupSnapshot { key_group, tables });
        }
    }
    Ok(KeyedStateSnapshot {
        format_version: SNAPSHOT_FORMAT_VERSION,
        states: states.iter().map(|s| s.meta.clone()).collect(),
        key_groups: out,
    })
}

impl<K: Key> KeyedStateBackend<K> for LsmKeyedStateBackend<K> {
    fn key_group_range(&self) -> KeyGroupRange {
        self.range
    }

    fn register<S: StateValue>(&mut self, name: &str, kind: StateKind) -> Result<StateId, StateError> {
        self.register_with(name, kind, type_name::<S>(), Arc::new(WholeCodec::<K, S>(PhantomData)), false)
    }

    fn register_map<UK: StateValue + Hash + Eq, UV: StateValue>(&mut self, name: &str) -> Result<StateId, StateError> {
        let codec = Arc::new(MapCodec::<K, UK, UV>(PhantomData, PhantomData));
        // The heap backend's per-key type, so snapshots match.
        self.register_with(name, StateKind::Map, type_name::<std::collections::HashMap<UK, UV>>(), codec, true)
    }

    fn get<S: StateValue>(&self, id: StateId, key_group: usize, key: &K) -> Result<Option<S>, StateError> {
        debug_assert_eq!(self.state(id).meta.value_type, type_name::<S>());
        let value = self.state(id).keyspace.get(self.lsm_key(key_group, key)?).map_err(store_err)?;
        value.map(|v| decode(&v)).transpose()
    }

    fn put<S: StateValue>(&mut self, id: StateId, key_group: usize, key: &K, value: S) -> Result<(), StateError> {
        debug_assert_eq!(self.state(id).meta.value_type, type_name::<S>());
        let bytes = bincode::serialize(&value).map_err(store_err)?;
        let lsm_key = self.lsm_key(key_group, key)?;
        let written = lsm_key.len() + bytes.len();
        self.state(id).keyspace.insert(lsm_key, bytes).map_err(store_err)?;
        self.mark(key_group, written);
        Ok(())
    }

    fn delete<S: StateValue>(&mut self, id: StateId, key_group: usize, key: &K) -> Result<(), StateError> {
        let lsm_key = self.lsm_key(key_group, key)?;
        let state = self.state(id);
        let mut written = lsm_key.len();
        if state.per_user_key {
            let mut batch = self.db.batch();
            for guard in state.keyspace.prefix(&lsm_key) {
                let k = guard.key().map_err(store_err)?;
                written += k.len();
                batch.remove(&state.keyspace, k);
            }
            batch.commit().map_err(store_err)?;
        } else {
            state.keyspace.remove(lsm_key).map_err(store_err)?;
        }
        self.mark(key_group, written);
        Ok(())
    }

    fn get_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: &UK,
    ) -> Result<Option<UV>, StateError> {
        let mut lsm_key = self.lsm_key(key_group, key)?;
        bincode::serialize_into(&mut lsm_key, user_key).map_err(store_err)?;
        let value = self.state(id).keyspace.get(lsm_key).map_err(store_err)?;
        value.map(|v| decode(&v)).transpose()
    }

    fn put_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &mut self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: UK,
        value: UV,
    ) -> Result<(), StateError> {
        let mut lsm_key = self.lsm_key(key_group, key)?;
        bincode::serialize_into(&mut lsm_key, &user_key).map_err(store_err)?;
        let bytes = bincode::serialize(&value).map_err(store_err)?;
        let written = lsm_key.len() + bytes.len();
        self.state(id).keyspace.insert(lsm_key, bytes).map_err(store_err)?;
        self.mark(key_group, written);
        Ok(())
    }

    fn delete_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &mut self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: &UK,
    ) -> Result<(), StateError> {
        let mut lsm_key = self.lsm_key(key_group, key)?;
        bincode::serialize_into(&mut lsm_key, user_key).map_err(store_err)?;
        let written = lsm_key.len();
        self.state(id).keyspace.remove(lsm_key).map_err(store_err)?;
        self.mark(key_group, written);
        Ok(())
    }

    fn entries<UK: StateValue + Hash + Eq, UV: StateValue>(
        &self,
        id: StateId,
        key_group: usize,
        key: &K,
    ) -> Result<Vec<(UK, UV)>, StateError> {
        let prefix = self.lsm_key(key_group, key)?;
        self.state(id)
            .keyspace
            .prefix(&prefix)
            .map(|guard| {
                let (k, v) = guard.into_inner().map_err(store_err)?;
                Ok((decode(&k[prefix.len()..])?, decode(&v)?))
            })
            .collect()
    }

    fn keys(&self, id: StateId, key_group: usize) -> Result<Vec<K>, StateError> {
        let state = self.state(id);
        let mut keys = Vec::new();
        let mut last: Option<Vec<u8>> = None;
        for guard in state.keyspace.prefix((key_group as u16).to_be_bytes()) {
            let k = guard.key().map_err(store_err)?;
            let suffix = &k[2..];
            let klen = if state.per_user_key { state.codec.key_len(suffix)? } else { suffix.len() };
            if last.as_deref() != Some(&suffix[..klen]) {
                keys.push(decode(&suffix[..klen])?);
                last = Some(suffix[..klen].to_vec());
            }
        }
        Ok(keys)
    }

    fn snapshot(&self) -> Result<KeyedStateSnapshot, StateError> {
        self.snapshot_async()()
    }

    fn restore(&mut self, snapshots: &[KeyedStateSnapshot]) -> Result<(), StateError> {
        for snapshot in snapshots {
            self.restore_snapshot(snapshot)?;
        }
        self.touch_all();
        Ok(())
    }

    /// Writes each key group into the store as it arrives (see "Restore" in the module
    /// documentation). A key group read from a file keeps it as its origin when the
    /// snapshot's header is exactly what this backend's cuts write, so the file's bytes
    /// are what a checkpoint of the key group would hold.
    fn restore_key_groups(&mut self, source: &mut dyn KeyGroupSource) -> Result<(), StateError> {
        let header = source.header();
        let targets = self.targets(header.format_version, &header.states)?;
        let same_layout = header.format_version == SNAPSHOT_FORMAT_VERSION
            && header.states.iter().eq(self.states.iter().map(|s| &s.meta));
        let epoch = self.epoch;
        while let Some(RestoredKeyGroup { snapshot, origin }) = source.next_key_group()? {
            if !self.range.contains(snapshot.key_group) {
                continue;
            }
            self.restore_key_group(&snapshot, &targets)?;
            self.restored[snapshot.key_group - self.range.start] =
                origin.filter(|_| same_layout).map(|origin| (origin, epoch));
        }
        // Writes from now on are later than the restore.
        self.epoch += 1;
        self.force_full = true;
        Ok(())
    }

    /// Bytes on disk plus bytes in memtables ([`LsmMetrics`]); on-disk bytes are after
    /// the LSM's own encoding and before compaction drops overwritten versions.
    fn estimated_size_bytes(&self) -> Result<u64, StateError> {
        let m = self.metrics()?;
        Ok(m.disk_bytes + m.write_buffer_bytes)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use weir_core::key_group::assign_to_key_group;

    use super::*;
    use crate::HeapKeyedStateBackend;

    const MAX: usize = 16;

    fn lsm(dir: &tempfile::TempDir, p: usize, i: usize) -> LsmKeyedStateBackend<String> {
        let range = KeyGroupRange::for_operator(MAX, p, i);
        LsmKeyedStateBackend::open(&dir.path().join(format!("{p}-{i}")), range, MemoryBudget::of(4 << 20)).unwrap()
    }

    /// Declares a value, a list and a map state (same ids on every backend).
    fn declare<B: KeyedStateBackend<String>>(b: &mut B) -> (StateId, StateId, StateId) {
        (
            b.register::<u64>("count", StateKind::Value).unwrap(),
            b.register::<Vec<String>>("seen", StateKind::List).unwrap(),
            b.register_map::<u32, i64>("by-hour").unwrap(),
        )
    }

    fn fill<B: KeyedStateBackend<String>>(b: &mut B, keys: &[String]) {
        let (count, seen, by_hour) = declare(b);
        for (i, k) in keys.iter().enumerate() {
            let kg = assign_to_key_group(k, MAX);
            if !b.key_group_range().contains(kg) {
                continue;
            }
            b.put(count, kg, k, i as u64).unwrap();
            b.put(seen, kg, k, vec![k.clone(); i % 3]).unwrap();
            for h in 0..(i % 4) as u32 {
                b.put_entry(by_hour, kg, k, h, -(i as i64)).unwrap();
            }
        }
    }

    type Contents = HashMap<String, (Option<u64>, Option<Vec<String>>, Vec<(u32, i64)>)>;

    fn read<B: KeyedStateBackend<String>>(b: &mut B) -> Contents {
        let (count, seen, by_hour) = declare(b);
        let mut out = HashMap::new();
        let range = b.key_group_range();
        for kg in range.start..=range.end {
            for k in b.keys(count, kg).unwrap() {
                let mut entries = b.entries::<u32, i64>(by_hour, kg, &k).unwrap();
                entries.sort();
                out.insert(k.clone(), (b.get(count, kg, &k).unwrap(), b.get(seen, kg, &k).unwrap(), entries));
            }
        }
        out
    }

    #[test]
    fn snapshots_move_between_heap_and_lsm_at_any_parallelism() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<String> = (0..300).map(|i| format!("k{i}")).collect();
        let mut heap = HeapKeyedStateBackend::<String>::new(KeyGroupRange::for_operator(MAX, 1, 0));
        fill(&mut heap, &keys);
        let expected = read(&mut heap);
        assert_eq!(expected.len(), keys.len());

        // Heap (p = 1) → LSM at p = 2 → heap at p = 3: every key arrives once, intact.
        let mut lsm_snapshots = Vec::new();
        let mut via_lsm = HashMap::new();
        for i in 0..2 {
            let mut b = lsm(&dir, 2, i);
            declare(&mut b);
            b.restore(&[heap.snapshot().unwrap()]).unwrap();
            via_lsm.extend(read(&mut b));
            lsm_snapshots.push(KeyedStateSnapshot::from_bytes(&b.snapshot().unwrap().to_bytes().unwrap()).unwrap());
        }
        assert_eq!(via_lsm, expected);
        let mut back = HashMap::new();
        for i in 0..3 {
            let mut h = HeapKeyedStateBackend::<String>::new(KeyGroupRange::for_operator(MAX, 3, i));
            declare(&mut h);
            h.restore(&lsm_snapshots).unwrap();
            let got = read(&mut h);
            let n = back.len() + got.len();
            back.extend(got);
            assert_eq!(back.len(), n, "a key restored twice");
        }
        assert_eq!(back, expected);

        // A type change is refused, as on the heap.
        let mut wrong = lsm(&dir, 1, 0);
        wrong.register::<String>("count", StateKind::Value).unwrap();
        assert!(wrong.restore(&lsm_snapshots).unwrap_err().to_string().contains("declared as"));
    }

    #[test]
    fn map_entries_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = lsm(&dir, 1, 0);
        let (count, _, by_hour) = declare(&mut b);
        let k = "a".to_string();
        let kg = assign_to_key_group(&k, MAX);
        b.put_entry(by_hour, kg, &k, 1u32, 10i64).unwrap();
        b.put_entry(by_hour, kg, &k, 2u32, 20i64).unwrap();
        assert_eq!(b.get_entry::<u32, i64>(by_hour, kg, &k, &2).unwrap(), Some(20));
        b.delete_entry::<u32, i64>(by_hour, kg, &k, &2).unwrap();
        assert_eq!(b.entries::<u32, i64>(by_hour, kg, &k).unwrap(), vec![(1, 10)]);
        b.delete::<HashMap<u32, i64>>(by_hour, kg, &k).unwrap();
        assert!(b.entries::<u32, i64>(by_hour, kg, &k).unwrap().is_empty());
        b.put(count, kg, &k, 5u64).unwrap();
        b.delete::<u64>(count, kg, &k).unwrap();
        assert_eq!(b.get::<u64>(count, kg, &k).unwrap(), None);
        assert!(b.snapshot().unwrap().key_groups.is_empty());
    }

    /// The pieces of a cut, with the unchanged key groups taken from `base`'s pieces
    /// instead of the store: what an incremental checkpoint stores.
    fn pieces(cut: &KeyGroupCut, base: Option<(&KeyGroupCut, &HashMap<usize, Vec<u8>>)>) -> HashMap<usize, Vec<u8>> {
        let range = cut.range();
        (range.start..=range.end)
            .filter_map(|kg| match base {
                Some((b, chunks)) if !cut.changed_since(b.source(), kg) => chunks.get(&kg).map(|c| (kg, c.clone())),
                _ => cut.key_group(kg).unwrap().map(|c| (kg, c)),
            })
            .collect()
    }

    fn assemble(cut: &KeyGroupCut, chunks: &HashMap<usize, Vec<u8>>) -> KeyedStateSnapshot {
        let mut kgs: Vec<_> = chunks.iter().collect();
        kgs.sort();
        let mut bytes = cut.header().to_vec();
        bytes.extend((kgs.len() as u64).to_le_bytes());
        kgs.iter().for_each(|(_, c)| bytes.extend(c.iter()));
        KeyedStateSnapshot::from_bytes(&bytes).unwrap()
    }

    #[test]
    fn key_group_cuts_reuse_unchanged_key_groups_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = lsm(&dir, 1, 0);
        let keys: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
        fill(&mut b, &keys);
        let (count, _, by_hour) = declare(&mut b);
        let first = b.cut_key_groups();
        let first_pieces = pieces(&first, None);
        assert_eq!(assemble(&first, &first_pieces), b.snapshot().unwrap());
        // A put, a delete of a whole map, and a write after the cut (only in the third).
        let (a, c) = (&keys[3], &keys[4]);
        let (kg_a, kg_c) = (assign_to_key_group(a, MAX), assign_to_key_group(c, MAX));
        b.put(count, kg_a, a, 9_999u64).unwrap();
        let second = b.cut_key_groups();
        b.delete::<HashMap<u32, i64>>(by_hour, kg_c, c).unwrap();
        let changed: Vec<usize> = (0..MAX).filter(|&kg| second.changed_since(first.source(), kg)).collect();
        assert_eq!(changed, vec![kg_a]);
        let second_pieces = pieces(&second, Some((&first, &first_pieces)));
        let third = b.cut_key_groups();
        let third_pieces = pieces(&third, Some((&second, &second_pieces)));
        assert_eq!(assemble(&third, &third_pieces), b.snapshot().unwrap(), "the chain equals a full cut");
        assert!(third.changed_since(first.source(), kg_a), "changes add up over skipped cuts");

        // Another backend's cut, a restore and a new state make everything changed.
        let other_dir = tempfile::tempdir().unwrap();
        let mut other = lsm(&other_dir, 1, 0);
        declare(&mut other);
        other.restore(&[b.snapshot().unwrap()]).unwrap();
        let restored = other.cut_key_groups();
        assert!((0..MAX).all(|kg| restored.changed_since(third.source(), kg)));
        let again = other.cut_key_groups();
        assert!((0..MAX).all(|kg| !again.changed_since(restored.source(), kg)));
        other.register::<u8>("new", StateKind::Value).unwrap();
        let widened = other.cut_key_groups();
        assert!((0..MAX).all(|kg| widened.changed_since(again.source(), kg)));
        assert_eq!(assemble(&widened, &pieces(&widened, None)), other.snapshot().unwrap());
    }

    /// Reads a snapshot's bytes and says each key group lies in `shared/kg<N>`.
    struct FromFiles<'a>(crate::SnapshotReader<&'a [u8]>);

    impl crate::KeyGroupSource for FromFiles<'_> {
        fn header(&self) -> &crate::SnapshotHeader {
            self.0.header()
        }
        fn next_key_group(&mut self) -> Result<Option<RestoredKeyGroup>, StateError> {
            Ok(self.0.next_key_group()?.map(|kg| {
                let path = format!("shared/kg{}", kg.snapshot.key_group);
                RestoredKeyGroup { origin: Some(StoredKeyGroup { path, size: 1 }), ..kg }
            }))
        }
    }

    #[test]
    fn key_groups_restored_one_at_a_time_match_a_whole_restore_and_keep_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<String> = (0..400).map(|i| format!("k{i}")).collect();
        // Two old subtasks' snapshots, as bytes.
        let old: Vec<Vec<u8>> = (0..2)
            .map(|i| {
                let mut b = lsm(&dir, 2, i);
                fill(&mut b, &keys);
                b.snapshot().unwrap().to_bytes().unwrap()
            })
            .collect();
        let whole: Vec<KeyedStateSnapshot> = old.iter().map(|b| KeyedStateSnapshot::from_bytes(b).unwrap()).collect();
        for p in [1, 2, 3] {
            let mut all = HashMap::new();
            for i in 0..p {
                let mut expected = HeapKeyedStateBackend::<String>::new(KeyGroupRange::for_operator(MAX, p, i));
                declare(&mut expected);
                expected.restore(&whole).unwrap();
                let streamed = tempfile::tempdir().unwrap();
                let mut b = lsm(&streamed, p, i);
                declare(&mut b);
                let range = b.key_group_range();
                for bytes in &old {
                    b.restore_key_groups(&mut FromFiles(crate::SnapshotReader::new(&bytes[..], range).unwrap()))
                        .unwrap();
                }
                let got = read(&mut b);
                assert_eq!(got, read(&mut expected), "p={p}, subtask {i}");
                all.extend(got);
                // Every restored key group names its file until it is written again.
                let cut = b.cut_key_groups();
                let with_entries: Vec<usize> =
                    (range.start..=range.end).filter(|&kg| cut.key_group(kg).unwrap().is_some()).collect();
                assert!(!with_entries.is_empty());
                for &kg in &with_entries {
                    assert_eq!(cut.restored_file(kg).map(|f| f.path.clone()), Some(format!("shared/kg{kg}")));
                }
                let (count, _, _) = declare(&mut b);
                let k = keys.iter().find(|k| assign_to_key_group(*k, MAX) == with_entries[0]).unwrap();
                b.put(count, with_entries[0], k, 1u64).unwrap();
                let after = b.cut_key_groups();
                assert_eq!(after.restored_file(with_entries[0]), None, "written since");
                assert!(with_entries[1..].iter().all(|&kg| after.restored_file(kg).is_some()));
                b.register::<u8>("new", StateKind::Value).unwrap();
                assert!((0..MAX).all(|kg| b.cut_key_groups().restored_file(kg).is_none()), "a new state");
            }
            assert_eq!(all.len(), keys.len(), "p={p}: every key once");
        }

        // A snapshot whose states are declared in another order restores, but its files
        // are not what this backend's cuts write: no origin.
        let mut b = lsm(&dir, 1, 0);
        b.register_map::<u32, i64>("by-hour").unwrap();
        declare(&mut b);
        let range = b.key_group_range();
        b.restore_key_groups(&mut FromFiles(crate::SnapshotReader::new(&old[0][..], range).unwrap())).unwrap();
        let cut = b.cut_key_groups();
        assert!((0..MAX).all(|kg| cut.restored_file(kg).is_none()));
        assert!(!read(&mut b).is_empty());
    }

    #[test]
    fn key_groups_larger_than_a_restore_batch_come_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut old = lsm(&dir, 1, 0);
        let blob = old.register::<String>("blob", StateKind::Value).unwrap();
        let tags = old.register_map::<u32, String>("tags").unwrap();
        // About 1.25 MiB per key group, in a value state and a map state.
        for i in 0..4_000u32 {
            let key = format!("k{i}");
            let kg = assign_to_key_group(&key, MAX);
            old.put(blob, kg, &key, key.repeat(1_000 / key.len())).unwrap();
            for t in 0..4 {
                old.put_entry(tags, kg, &key, t, format!("{t}").repeat(1_000)).unwrap();
            }
        }
        let snapshot = old.snapshot().unwrap();
        assert!(snapshot
            .key_groups
            .iter()
            .all(|kg| kg.tables.iter().map(Vec::len).sum::<usize>() > RESTORE_BATCH_BYTES));
        let mut new = lsm(&dir, 2, 1);
        new.register::<String>("blob", StateKind::Value).unwrap();
        new.register_map::<u32, String>("tags").unwrap();
        new.restore(std::slice::from_ref(&snapshot)).unwrap();
        let range = new.key_group_range();
        let owned: Vec<_> = snapshot.key_groups.iter().filter(|kg| range.contains(kg.key_group)).cloned().collect();
        assert_eq!(new.snapshot().unwrap().key_groups, owned);
    }

    #[test]
    fn incremental_snapshots_carry_only_changed_key_groups() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = lsm(&dir, 1, 0);
        let keys: Vec<String> = (0..100).map(|i| format!("k{i}")).collect();
        fill(&mut b, &keys);
        let (count, _, by_hour) = declare(&mut b);

        let first = b.incremental_snapshot_async()().unwrap();
        assert_eq!((first.id, first.base, first.changed_key_groups.len()), (1, None, MAX));
        let full_1 = first.apply_to(None).unwrap();
        assert_eq!(full_1, b.snapshot().unwrap());

        // (writes, expected changed key groups) per following cut.
        let (a, c) = (keys[0].clone(), keys[1].clone());
        let (kg_a, kg_c) = (assign_to_key_group(&a, MAX), assign_to_key_group(&c, MAX));
        let mut base = full_1;
        let mut expected_changed = vec![kg_a];
        b.put(count, kg_a, &a, 1_000u64).unwrap();
        let serialize = b.incremental_snapshot_async();
        // Written after the cut: not in this snapshot, in the next.
        b.delete::<HashMap<u32, i64>>(by_hour, kg_c, &c).unwrap();
        let second = serialize().unwrap();
        assert_eq!((second.id, second.base), (2, Some(1)));
        assert_eq!(second.changed_key_groups, expected_changed);
        base = second.apply_to(Some(&base)).unwrap();
        let third = b.incremental_snapshot_async()().unwrap();
        expected_changed = vec![kg_c];
        assert_eq!((third.base, &third.changed_key_groups), (Some(2), &expected_changed));
        base = third.apply_to(Some(&base)).unwrap();
        assert_eq!(base, b.snapshot().unwrap(), "the chain materializes to the full snapshot");

        // No writes: nothing changed. A new state or a reset forces a full one.
        assert!(b.incremental_snapshot_async()().unwrap().changed_key_groups.is_empty());
        b.reset_incremental();
        assert_eq!(b.incremental_snapshot_async()().unwrap().base, None);
        b.register::<u8>("new", StateKind::Value).unwrap();
        assert_eq!(b.incremental_snapshot_async()().unwrap().base, None);
    }
}
