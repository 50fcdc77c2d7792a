//! How a task's acknowledged state reaches checkpoint storage, on a writer thread.
//!
//! Most of a task state is small and written as one [`TaskState`] file. Keyed state of
//! the embedded backend arrives as a cut ([`DeferredCut`]) and is written **key group
//! by key group**, so no more than one key group's bytes are in memory at a time:
//!
//! | checkpoint | each key group with entries goes to | the task state holds |
//! |---|---|---|
//! | full (`incremental` off) | `chk-N/v<vertex>-<subtask>.o<op>.e<entry>.kg<g>` | a [`KeyGroupFiles`] listing (format 2) |
//! | incremental | `shared/cN-v<vertex>-<subtask>.o<op>.e<entry>.kg<g>`, **only if changed** since the last completed checkpoint (or since the restore, for the file it was restored from); otherwise the earlier file is listed again | a [`KeyGroupFiles`] listing (format 2); the manifest lists every `shared/` file |
//! | savepoint | nowhere else: each key group is serialized twice, once for its size and once straight into the task state file | the full `KeyedStateSnapshot` bytes (format 1, self-contained) |
//!
//! On restore the listings are read back key group by key group when the operator asks
//! ([`crate::restored_item`]), so redistribution by key group and both backends work as
//! with any checkpoint.
//!
//! Invariant: the listing of checkpoint *N* names, for every key group with entries at
//! cut *N*, a file holding exactly that key group at cut *N*: written now, or written by
//! an earlier checkpoint of the same backend whose cut had the key group in the same
//! state (no write in between, [`KeyGroupCut::changed_since`](weir_state::KeyGroupCut::changed_since)),
//! or the file the key group was restored from, with no write since the restore.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use weir_checkpoint::shared_files::{checkpoint_path, parse_path, shared_path, StateFileArea};
use weir_checkpoint::{AbortReason, CheckpointKind, CheckpointStorage, StateHandle, TaskId};
use weir_core::CheckpointId;

use crate::snapshot::{
    DeferredCut, Distribution, ItemIndex, PendingTaskState, TaskState, TASK_STATE_FORMAT_VERSION,
    TASK_STATE_WITH_FILES_FORMAT_VERSION,
};
use crate::BoxError;

/// Keyed state stored one file per key group: the item of a
/// [`Distribution::KeyGroupFiles`] entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGroupFiles {
    /// The snapshot's bytes before its key groups (format version, declared states).
    pub header: Vec<u8>,
    /// The key groups with entries, ascending.
    pub files: Vec<KeyGroupFile>,
}

/// One key group's chunk: the bincode of its `KeyGroupSnapshot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGroupFile {
    /// The key group.
    pub key_group: usize,
    /// Where it lies, relative to the storage's root (`shared/…` or `chk-N/…`).
    pub path: String,
    /// Its size in bytes, checked when it is read back.
    pub size: u64,
}

/// An operator's keyed entry: (operator id, entry name).
pub(crate) type EntryKey = (String, String);

/// What an incremental checkpoint stored of one keyed entry, which a later checkpoint
/// of the same task may refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredCut {
    /// The backend and epoch of the cut ([`weir_state::KeyGroupCut::source`]).
    pub(crate) source: (u64, u64),
    /// Its key groups with entries, each in a shared file.
    pub(crate) files: BTreeMap<usize, KeyGroupFile>,
}

/// Per keyed entry of a task, the cut a checkpoint may build on.
pub(crate) type Bases = HashMap<EntryKey, Arc<StoredCut>>;

/// A task state in storage.
#[derive(Debug)]
pub(crate) struct Uploaded {
    /// Where it lies, with the shared files it refers to.
    pub(crate) handle: StateHandle,
    /// The shared files written for it (none of them referred to by anything else yet).
    pub(crate) written: Vec<String>,
    /// The cuts it stored in shared files, for later checkpoints to build on.
    pub(crate) stored: Vec<(EntryKey, StoredCut)>,
    /// Bytes written for it: the state file and the key groups' files written now.
    pub(crate) bytes: u64,
}

/// Writes `task`'s state for `checkpoint` (of `kind`) to `storage`: deferred items are
/// serialized, cuts written key group by key group, building on `bases` when the cut is
/// incremental. A failure leaves no shared file behind (the checkpoint's own files go with
/// it when it is discarded).
///
/// A finished task's state ([`store_final`]) already lists its files: a checkpoint refers
/// to them, a savepoint copies them in, so that it stays self-contained.
///
/// # Errors
/// [`AbortReason::SnapshotFailed`] when the state cannot be serialized,
/// [`AbortReason::StorageFailed`] when it cannot be written.
pub(crate) fn upload(
    storage: &dyn CheckpointStorage,
    checkpoint: CheckpointId,
    kind: CheckpointKind,
    task: TaskId,
    state: PendingTaskState,
    bases: &Bases,
) -> Result<Uploaded, AbortReason> {
    let snapshot_failed = |e: BoxError| AbortReason::SnapshotFailed(format!("task {task}: {e}"));
    let (mut state, cuts) = state.complete_but_cuts().map_err(snapshot_failed)?;
    if kind == CheckpointKind::Savepoint {
        return upload_whole(storage, checkpoint, task, &state, cuts);
    }
    let mut written = Vec::new();
    let place = Place::Checkpoint(checkpoint);
    let result = write_cuts(storage, task, &state, cuts, bases, place, &mut written).and_then(|cuts| {
        let shared = list_in(&mut state, cuts.listings).map_err(snapshot_failed)?;
        let bytes = state.to_bytes().map_err(snapshot_failed)?;
        let mut handle = storage.write_task_state(checkpoint, task, &bytes).map_err(storage_failed)?;
        handle.shared = shared;
        Ok(Uploaded { bytes: handle.size + cuts.bytes, handle, written: Vec::new(), stored: cuts.stored })
    });
    let only_shared = |p: &String| matches!(parse_path(p), Ok(StateFileArea::Shared(_)));
    match result {
        Ok(uploaded) => Ok(Uploaded { written: written.into_iter().filter(only_shared).collect(), ..uploaded }),
        Err(reason) => {
            for path in written.iter().filter(|p| only_shared(p)) {
                // Best effort: one left behind is an orphan, deleted when a job next starts.
                let _ = storage.delete_file(path);
            }
            Err(reason)
        }
    }
}

/// Writes `state` with every cut and listing in full into its one state file (format 1,
/// self-contained: a savepoint). Each cut's key groups are serialized twice, once to
/// learn their sizes (the file states each entry's length before its bytes) and once
/// into the file, so that nothing but the state file is written and no more than one
/// key group is in memory.
fn upload_whole(
    storage: &dyn CheckpointStorage,
    checkpoint: CheckpointId,
    task: TaskId,
    state: &TaskState,
    cuts: Vec<(ItemIndex, DeferredCut)>,
) -> Result<Uploaded, AbortReason> {
    let snapshot_failed = |e: BoxError| AbortReason::SnapshotFailed(format!("task {task}: {e}"));
    let mut wholes = BTreeMap::new();
    for (at, DeferredCut { cut, .. }) in cuts {
        let range = cut.range();
        let mut sizes = Vec::new();
        for key_group in range.start..=range.end {
            let chunk = cut.key_group(key_group).map_err(|e| snapshot_failed(e.into()))?;
            sizes.extend(chunk.map(|c| (key_group, c.len() as u64)));
        }
        wholes.insert(at, Whole::Cut { cut, sizes });
    }
    for (at, listing) in listed_in(state).map_err(snapshot_failed)? {
        wholes.insert(at, Whole::Files(listing));
    }
    let handle = storage
        .write_task_state_with(checkpoint, task, &mut |out| write_whole(out, state, &wholes, storage))
        .map_err(storage_failed)?;
    Ok(Uploaded { bytes: handle.size, handle, written: Vec::new(), stored: Vec::new() })
}

/// A finished task's final state, with its cuts written to the shared area once: what
/// it acknowledges every later checkpoint with (listing the files, format 2), and the
/// shared files it refers to, which must be kept while the job runs.
///
/// # Errors
/// As [`upload`].
pub(crate) fn store_final(
    storage: &dyn CheckpointStorage,
    task: TaskId,
    state: PendingTaskState,
) -> Result<(TaskState, Vec<String>), AbortReason> {
    let snapshot_failed = |e: BoxError| AbortReason::SnapshotFailed(format!("task {task}: {e}"));
    let (mut state, cuts) = state.complete_but_cuts().map_err(snapshot_failed)?;
    let mut written = Vec::new();
    let result = write_cuts(storage, task, &state, cuts, &Bases::new(), Place::Final(epoch_ms()), &mut written)
        .and_then(|cuts| list_in(&mut state, cuts.listings).map_err(snapshot_failed));
    match result {
        Ok(files) => Ok((state, files)),
        Err(reason) => {
            for path in &written {
                let _ = storage.delete_file(path);
            }
            Err(reason)
        }
    }
}

fn epoch_ms() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

fn storage_failed(e: weir_checkpoint::CheckpointError) -> AbortReason {
    AbortReason::StorageFailed(e.to_string())
}

/// Where the key groups' files of a cut go.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// `shared/cN-…` if the cut is incremental, else `chk-N/…`.
    Checkpoint(CheckpointId),
    /// `shared/fMS-…`: a finished task's, which every later checkpoint refers to.
    Final(u128),
}

/// A keyed entry's item given in full in a self-contained state file.
enum Whole {
    /// A cut, with the size of each key group that has entries.
    Cut { cut: weir_state::KeyGroupCut, sizes: Vec<(usize, u64)> },
    /// Files listed by a finished task's final state.
    Files(KeyGroupFiles),
}

/// What [`write_cuts`] stored.
struct WrittenCuts {
    /// Per item of a cut, its files.
    listings: BTreeMap<ItemIndex, KeyGroupFiles>,
    /// The cuts stored in shared files that later checkpoints may build on.
    stored: Vec<(EntryKey, StoredCut)>,
    /// Bytes of the files written now.
    bytes: u64,
}

/// Writes the key groups of `cuts` as files at `place` (one key group in memory at a
/// time), reusing the files of `bases` for key groups unchanged since — and, in an
/// incremental checkpoint, the file a key group was restored from while it is unchanged
/// since the restore ([`weir_state::KeyGroupCut::restored_file`]); `written` collects
/// every file written.
fn write_cuts(
    storage: &dyn CheckpointStorage,
    task: TaskId,
    state: &TaskState,
    cuts: Vec<(ItemIndex, DeferredCut)>,
    bases: &Bases,
    place: Place,
    written: &mut Vec<String>,
) -> Result<WrittenCuts, AbortReason> {
    let snapshot_failed = |e: weir_state::StateError| AbortReason::SnapshotFailed(format!("task {task}: {e}"));
    let mut out = WrittenCuts { listings: BTreeMap::new(), stored: Vec::new(), bytes: 0 };
    for (at, DeferredCut { cut, incremental }) in cuts {
        let (op, entry) = (&state.operators[at.0], &state.operators[at.0].entries[at.1]);
        let key: EntryKey = (op.operator_id.clone(), entry.name.clone());
        let incremental = incremental && matches!(place, Place::Checkpoint(_));
        let base = if incremental { bases.get(&key) } else { None };
        let mut files = Vec::new();
        let range = cut.range();
        for key_group in range.start..=range.end {
            if let Some(base) = base.filter(|b| !cut.changed_since(b.source, key_group)) {
                files.extend(base.files.get(&key_group).cloned());
                continue;
            }
            if let Some(restored) = cut.restored_file(key_group).filter(|_| incremental) {
                files.push(KeyGroupFile { key_group, path: restored.path.clone(), size: restored.size });
                continue;
            }
            let Some(chunk) = cut.key_group(key_group).map_err(snapshot_failed)? else { continue };
            let name = format!("v{}-{}.o{}.e{}.kg{key_group}", task.vertex.0, task.subtask.0, at.0, at.1);
            let path = match place {
                Place::Checkpoint(id) if incremental => shared_path(&format!("c{}-{name}", id.0)),
                Place::Checkpoint(id) => checkpoint_path(id, &name),
                Place::Final(ms) => shared_path(&format!("f{ms}-{name}")),
            };
            let size = storage.write_file(&path, &mut |o| o.write_all(&chunk)).map_err(storage_failed)?;
            written.push(path.clone());
            out.bytes += size;
            files.push(KeyGroupFile { key_group, path, size });
        }
        if incremental {
            let by_key_group = files.iter().map(|f| (f.key_group, f.clone())).collect();
            out.stored.push((key, StoredCut { source: cut.source(), files: by_key_group }));
        }
        out.listings.insert(at, KeyGroupFiles { header: cut.header().to_vec(), files });
    }
    Ok(out)
}

/// Puts `listings` into `state` as [`Distribution::KeyGroupFiles`] entries (format 2);
/// returns every shared file `state` refers to, its earlier listings included.
fn list_in(state: &mut TaskState, listings: BTreeMap<ItemIndex, KeyGroupFiles>) -> Result<Vec<String>, BoxError> {
    for ((op, entry, item), listing) in listings {
        let entry = &mut state.operators[op].entries[entry];
        entry.distribution = Distribution::KeyGroupFiles;
        entry.items[item] = bincode::serialize(&listing)?;
    }
    let listed = listed_in(state)?;
    if !listed.is_empty() {
        state.format_version = TASK_STATE_WITH_FILES_FORMAT_VERSION;
    }
    let mut shared = Vec::new();
    for (_, listing) in listed {
        let files = listing.files.into_iter().map(|f| f.path);
        shared.extend(files.filter(|p| matches!(parse_path(p), Ok(StateFileArea::Shared(_)))));
    }
    shared.sort();
    shared.dedup();
    Ok(shared)
}

/// The listings of `state`'s [`Distribution::KeyGroupFiles`] entries.
fn listed_in(state: &TaskState) -> Result<Vec<(ItemIndex, KeyGroupFiles)>, BoxError> {
    let mut out = Vec::new();
    for (o, op) in state.operators.iter().enumerate() {
        for (e, entry) in op.entries.iter().enumerate() {
            if entry.distribution != Distribution::KeyGroupFiles {
                continue;
            }
            for (i, item) in entry.items.iter().enumerate() {
                let listing: KeyGroupFiles = bincode::deserialize(item)
                    .map_err(|e| format!("entry '{}' does not list key-group files: {e}", entry.name))?;
                out.push(((o, e, i), listing));
            }
        }
    }
    Ok(out)
}

/// Streams the bincode of `state` (format 1) with the keyed entries of `wholes` (as
/// `KeyGroups`) given in full: each as the `KeyedStateSnapshot` bytes its key groups make
/// up, one key group at a time. Byte for byte what `TaskState::to_bytes` gives for the
/// state held in memory.
fn write_whole(
    out: &mut dyn Write,
    state: &TaskState,
    wholes: &BTreeMap<ItemIndex, Whole>,
    storage: &dyn CheckpointStorage,
) -> std::io::Result<()> {
    fn put<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> std::io::Result<()> {
        bincode::serialize_into(out, value).map_err(std::io::Error::other)
    }
    put(out, &TASK_STATE_FORMAT_VERSION)?;
    put(out, &state.finished)?;
    put(out, &(state.operators.len() as u64))?;
    for (o, op) in state.operators.iter().enumerate() {
        put(out, &op.operator_id)?;
        put(out, &(op.entries.len() as u64))?;
        for (e, entry) in op.entries.iter().enumerate() {
            put(out, &entry.name)?;
            // Every listing is given in full here.
            let distribution = match entry.distribution {
                Distribution::KeyGroupFiles => Distribution::KeyGroups,
                other => other,
            };
            put(out, &distribution)?;
            put(out, &(entry.items.len() as u64))?;
            for (i, item) in entry.items.iter().enumerate() {
                match wholes.get(&(o, e, i)) {
                    None => put(out, item)?,
                    Some(Whole::Files(listing)) => {
                        let chunks: u64 = listing.files.iter().map(|f| f.size).sum();
                        put(out, &(listing.header.len() as u64 + 8 + chunks))?;
                        out.write_all(&listing.header)?;
                        put(out, &(listing.files.len() as u64))?;
                        for f in &listing.files {
                            out.write_all(&storage.read_file(&f.path, f.size).map_err(std::io::Error::other)?)?;
                        }
                    }
                    Some(Whole::Cut { cut, sizes }) => {
                        let chunks: u64 = sizes.iter().map(|(_, size)| size).sum();
                        put(out, &(cut.header().len() as u64 + 8 + chunks))?;
                        out.write_all(cut.header())?;
                        put(out, &(sizes.len() as u64))?;
                        for &(key_group, size) in sizes {
                            let chunk = cut.key_group(key_group).map_err(std::io::Error::other)?.unwrap_or_default();
                            if chunk.len() as u64 != size {
                                // A read view does not change: this is a bug, not bad luck.
                                return Err(std::io::Error::other(format!(
                                    "key group {key_group} changed between two reads of one cut"
                                )));
                            }
                            out.write_all(&chunk)?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use weir_checkpoint::LocalDirStorage;
    use weir_core::key_group::assign_to_key_group;
    use weir_core::KeyGroupRange;
    use weir_state::{KeyedStateBackend, KeyedStateSnapshot, LsmKeyedStateBackend, MemoryBudget, StateKind};

    use super::*;
    use crate::snapshot::OperatorStateWriter;
    use crate::stored_task_state::StoredTaskState;

    const MAX: usize = 32;
    const TASK: TaskId = TaskId::new(3, 0);

    struct Fixture {
        _dirs: (tempfile::TempDir, tempfile::TempDir),
        storage: LocalDirStorage,
        lsm: LsmKeyedStateBackend<String>,
    }

    fn fixture() -> Fixture {
        let (work, ck) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let range = KeyGroupRange::for_operator(MAX, 1, 0);
        let mut lsm = LsmKeyedStateBackend::open(work.path(), range, MemoryBudget::of(4 << 20)).unwrap();
        let n = lsm.register::<u64>("n", StateKind::Value).unwrap();
        for i in 0..5_000u64 {
            let key = format!("key-{i}");
            lsm.put(n, assign_to_key_group(&key, MAX), &key, i).unwrap();
        }
        Fixture { storage: LocalDirStorage::new(ck.path()).unwrap(), lsm, _dirs: (work, ck) }
    }

    /// A task state of one operator: the LSM's cut and a list entry.
    fn pending(lsm: &mut LsmKeyedStateBackend<String>, incremental: bool) -> PendingTaskState {
        let mut w = OperatorStateWriter::new(CheckpointId(0));
        w.list("offsets", vec![vec![1, 2]]);
        w.keyed_cut("keyed-state", lsm.cut_key_groups(), incremental);
        let mut p = PendingTaskState::default();
        p.push_operator("op", w);
        p
    }

    /// Reads the task state back as a restore does: the keyed blob as a snapshot.
    fn restored_snapshot(f: &Fixture, checkpoint: u64, handle: &StateHandle) -> KeyedStateSnapshot {
        let storage: Arc<dyn CheckpointStorage> = Arc::new(f.storage.clone());
        let state = StoredTaskState::read(&storage, CheckpointId(checkpoint), handle, false).unwrap();
        let op = &state.operators[0];
        assert_eq!(op.entries[0].items[0].read(None).unwrap(), vec![1, 2]);
        KeyedStateSnapshot::from_bytes(&op.entries[1].items[0].read(None).unwrap()).unwrap()
    }

    fn bases(uploaded: &Uploaded) -> Bases {
        uploaded.stored.iter().map(|(k, c)| (k.clone(), Arc::new(c.clone()))).collect()
    }

    #[test]
    fn incremental_checkpoints_write_only_changed_key_groups_and_restore_whole() {
        let mut f = fixture();
        let cp = CheckpointKind::Checkpoint;
        let first = upload(&f.storage, CheckpointId(1), cp, TASK, pending(&mut f.lsm, true), &Bases::new()).unwrap();
        assert_eq!(first.written.len(), MAX, "every key group has keys: all written");
        let mut written = first.written.clone();
        written.sort();
        assert_eq!(first.handle.shared, written);
        assert_eq!(restored_snapshot(&f, 1, &first.handle), f.lsm.snapshot().unwrap());

        let key = "key-7".to_string();
        let n = f.lsm.register::<u64>("n", StateKind::Value).unwrap();
        f.lsm.put(n, assign_to_key_group(&key, MAX), &key, 7_000u64).unwrap();
        let second = upload(&f.storage, CheckpointId(2), cp, TASK, pending(&mut f.lsm, true), &bases(&first)).unwrap();
        assert_eq!(second.written.len(), 1, "one key group changed");
        assert_eq!(second.handle.shared.len(), MAX, "and refers to the others");
        assert!(second.bytes * 10 < first.bytes, "{} vs {}", second.bytes, first.bytes);
        assert_eq!(restored_snapshot(&f, 2, &second.handle), f.lsm.snapshot().unwrap());
    }

    #[test]
    fn the_first_checkpoint_after_a_restore_lists_the_files_restored_from() {
        let mut f = fixture();
        let cp = CheckpointKind::Checkpoint;
        let first = upload(&f.storage, CheckpointId(1), cp, TASK, pending(&mut f.lsm, true), &Bases::new()).unwrap();
        let storage: Arc<dyn CheckpointStorage> = Arc::new(f.storage.clone());
        for (reusable, incremental) in [(true, true), (false, true), (true, false)] {
            // A new backend (a restarted job) restores checkpoint 1 and changes one key.
            let state = StoredTaskState::read(&storage, CheckpointId(1), &first.handle, reusable).unwrap();
            let work = tempfile::tempdir().unwrap();
            let range = KeyGroupRange::for_operator(MAX, 1, 0);
            let mut lsm = LsmKeyedStateBackend::<String>::open(work.path(), range, MemoryBudget::of(4 << 20)).unwrap();
            let n = lsm.register::<u64>("n", StateKind::Value).unwrap();
            let item = &state.operators[0].entries[1].items[0];
            lsm.restore_key_groups(&mut *item.key_groups(range).unwrap()).unwrap();
            let key = "key-7".to_string();
            lsm.put(n, assign_to_key_group(&key, MAX), &key, 7_000u64).unwrap();

            // Nothing to build on from the registry: only what the restore left.
            let id = CheckpointId(2);
            let next = upload(&f.storage, id, cp, TASK, pending(&mut lsm, incremental), &Bases::new()).unwrap();
            let what = format!("reusable {reusable}, incremental {incremental}");
            let restored: Vec<&String> = next.handle.shared.iter().filter(|p| p.starts_with("shared/c1-")).collect();
            if reusable && incremental {
                assert_eq!(next.written.len(), 1, "{what}: only the changed key group is written");
                assert_eq!((restored.len(), next.handle.shared.len()), (MAX - 1, MAX), "{what}: the others are listed");
                assert!(next.bytes * 10 < first.bytes, "{what}: {} vs {}", next.bytes, first.bytes);
            } else {
                assert!(restored.is_empty(), "{what}: no file of the restored checkpoint is listed");
                assert!(next.bytes * 10 > first.bytes * 9, "{what}: written in full");
            }
            assert_eq!(restored_snapshot(&f, 2, &next.handle), lsm.snapshot().unwrap(), "{what}");
            f.storage.delete(id).unwrap();
            for file in &next.written {
                f.storage.delete_file(file).unwrap();
            }
        }
    }

    #[test]
    fn full_checkpoints_keep_their_files_and_savepoints_hold_everything() {
        let mut f = fixture();
        let full = upload(
            &f.storage,
            CheckpointId(1),
            CheckpointKind::Checkpoint,
            TASK,
            pending(&mut f.lsm, false),
            &Bases::new(),
        )
        .unwrap();
        assert!(full.written.is_empty() && full.handle.shared.is_empty(), "own files, in chk-1/");
        assert_eq!(restored_snapshot(&f, 1, &full.handle), f.lsm.snapshot().unwrap());

        // A savepoint is one self-contained file in format 1, exactly the in-memory bytes.
        let expected = pending(&mut f.lsm, true).complete().unwrap().to_bytes().unwrap();
        let sp = upload(
            &f.storage,
            CheckpointId(2),
            CheckpointKind::Savepoint,
            TASK,
            pending(&mut f.lsm, true),
            &Bases::new(),
        )
        .unwrap();
        let bytes = f.storage.read_task_state(CheckpointId(2), &sp.handle).unwrap();
        assert_eq!(bytes, expected);
        let files: Vec<_> = std::fs::read_dir(f.storage.checkpoint_dir(CheckpointId(2))).unwrap().collect();
        assert_eq!(files.len(), 1, "only the task state file is left");
        assert!(f.storage.list_shared().unwrap().is_empty());
    }

    #[test]
    fn a_finished_task_is_written_once_and_copied_into_savepoints() {
        let mut f = fixture();
        let expected = pending(&mut f.lsm, true).complete().unwrap();
        let (listing, files) = store_final(&f.storage, TASK, pending(&mut f.lsm, true)).unwrap();
        assert_eq!(files.len(), MAX, "every key group in the shared area");
        assert!(files.iter().all(|p| p.starts_with("shared/f")), "{files:?}");
        // Later checkpoints list the same files and write no key group again.
        let cp = CheckpointKind::Checkpoint;
        let again = PendingTaskState::new(listing.clone());
        let ack = upload(&f.storage, CheckpointId(5), cp, TASK, again, &Bases::new()).unwrap();
        assert_eq!((ack.handle.shared.clone(), ack.written.len()), (files, 0));
        assert_eq!(restored_snapshot(&f, 5, &ack.handle), f.lsm.snapshot().unwrap());
        // A savepoint copies them in: self-contained, format 1, the bytes held in memory.
        let sp = CheckpointKind::Savepoint;
        let ack = upload(&f.storage, CheckpointId(6), sp, TASK, PendingTaskState::new(listing), &Bases::new()).unwrap();
        assert!(ack.handle.shared.is_empty());
        let bytes = f.storage.read_task_state(CheckpointId(6), &ack.handle).unwrap();
        assert_eq!(bytes, expected.to_bytes().unwrap());
    }

    #[test]
    fn a_failed_upload_leaves_no_shared_file() {
        let mut f = fixture();
        let mut w = OperatorStateWriter::new(CheckpointId(1));
        w.keyed_cut("keyed-state", f.lsm.cut_key_groups(), true);
        w.keyed_async("broken", Box::new(|| Err("refuses to serialize".into())));
        let mut p = PendingTaskState::default();
        p.push_operator("op", w);
        let e = upload(&f.storage, CheckpointId(1), CheckpointKind::Checkpoint, TASK, p, &Bases::new()).unwrap_err();
        assert!(e.to_string().contains("refuses to serialize"), "{e}");
        assert!(f.storage.list_shared().unwrap().is_empty());
    }
}
