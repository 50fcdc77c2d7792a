//! What a task stores in a checkpoint, and how it is handed back on restore.
//!
//! A task's state is one [`TaskState`]: per operator of its chain, named entries of bytes
//! that the operator wrote itself (the runtime never looks inside). Each entry says how
//! it is **redistributed** when a job resumes at another parallelism ([`Distribution`],
//! Flink's keyed state, operator list state and union list state), so rescaling needs no
//! help from the operator:
//!
//! | distribution | written by a subtask | handed to each restoring subtask |
//! |---|---|---|
//! | [`Distribution::KeyGroups`] | one blob holding its key groups | every old subtask's blob; it keeps the key groups it owns |
//! | [`Distribution::SplitList`] | a list of items | an even share (round robin) of all items |
//! | [`Distribution::UnionList`] | a list of items | all items of all old subtasks |
//! | [`Distribution::KeyGroupFiles`] | keyed state as one file per key group ([`crate::task_state_upload`]) | as `KeyGroups`: the files of its key groups, read when it restores ([`crate::restored_item`]) |
//!
//! Operators are matched by their stable id: the user's `uid`, or one derived from the
//! vertex's position and name (stable when the same program runs again).
//!
//! The encoding is bincode of [`TaskState`]; the format is versioned
//! ([`TASK_STATE_FORMAT_VERSION`]) and described in `docs/checkpoints.md`.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use weir_core::{CheckpointId, KeyGroupRange};
use weir_state::KeyGroupCut;

use crate::restored_item::RestoredItem;
use crate::stored_task_state::StoredOperator;
use crate::BoxError;

/// The format version of a [`TaskState`] that holds all its bytes itself (savepoints
/// always; checkpoints without keyed state of the embedded backend).
pub const TASK_STATE_FORMAT_VERSION: u32 = 1;

/// The format version of a [`TaskState`] with [`Distribution::KeyGroupFiles`] entries,
/// which refer to other files of checkpoint storage; the newest this Weir reads.
pub const TASK_STATE_WITH_FILES_FORMAT_VERSION: u32 = 2;

/// The name of the entry in which a two-phase-commit sink leaves what the job must
/// commit when the checkpoint completes.
pub const COMMITTABLES: &str = "__committables";

/// How an entry is split among the subtasks of a job resumed at another parallelism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Distribution {
    /// Keyed state: each restoring subtask gets every old blob and keeps its key groups.
    KeyGroups,
    /// Operator list state: the items are dealt round robin to the restoring subtasks.
    SplitList,
    /// Union list state: every restoring subtask gets every item.
    UnionList,
    /// Keyed state stored as files, one per key group: the only item is a
    /// [`KeyGroupFiles`](crate::task_state_upload::KeyGroupFiles) naming them (format
    /// version 2 and later). A restoring subtask reads the files of its key groups when it
    /// restores: one at a time, or as one `KeyGroups` blob of them.
    KeyGroupFiles,
}

/// One named piece of an operator's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateEntry {
    /// The name the operator wrote it under.
    pub name: String,
    /// How it is redistributed.
    pub distribution: Distribution,
    /// The items (one blob for keyed state).
    pub items: Vec<Vec<u8>>,
}

/// The state of one operator of a chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorSnapshot {
    /// The operator's stable id.
    pub operator_id: String,
    /// Its entries.
    pub entries: Vec<StateEntry>,
}

/// Everything one task (one subtask of a chain) stores in a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskState {
    /// [`TASK_STATE_FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The task had reached the end of its input: on restore it does not run again.
    pub finished: bool,
    /// The chain's operators, head first.
    pub operators: Vec<OperatorSnapshot>,
}

impl TaskState {
    /// The state as bytes.
    ///
    /// # Errors
    /// Never in practice; the encoder's error.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BoxError> {
        Ok(bincode::serialize(self)?)
    }

    /// State read back from bytes.
    ///
    /// # Errors
    /// Bytes that are not a task state, or one of a newer format.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BoxError> {
        let state: TaskState = bincode::deserialize(bytes).map_err(|e| format!("not a Weir task state: {e}"))?;
        if state.format_version > TASK_STATE_WITH_FILES_FORMAT_VERSION {
            return Err(format!(
                "task state format {} is newer than this Weir's ({TASK_STATE_WITH_FILES_FORMAT_VERSION})",
                state.format_version
            )
            .into());
        }
        Ok(state)
    }

    /// The committables every operator of the task left for the job to commit.
    pub fn committables(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.operators.iter().flat_map(|op| {
            op.entries
                .iter()
                .filter(|e| e.name == COMMITTABLES)
                .flat_map(move |e| e.items.iter().map(move |i| (op.operator_id.as_str(), i.as_slice())))
        })
    }
}

/// Work that turns a cut of state into an entry's bytes, run off the task thread (see
/// [`OperatorStateWriter::keyed_async`]).
pub type DeferredBytes = Box<dyn FnOnce() -> Result<Vec<u8>, BoxError> + Send>;

/// The embedded backend's keyed state at a barrier, written key group by key group off
/// the task thread ([`OperatorStateWriter::keyed_cut`]).
pub struct DeferredCut {
    /// The cut.
    pub cut: KeyGroupCut,
    /// Whether a checkpoint may refer to key groups an earlier checkpoint stored
    /// (`execution.checkpointing.incremental`).
    pub incremental: bool,
}

impl DeferredCut {
    /// The bytes of the whole cut, in memory: its header, the number of key groups with
    /// entries and their chunks — a `KeyedStateSnapshot`.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn to_bytes(&self) -> Result<Vec<u8>, BoxError> {
        let range = self.cut.range();
        let mut chunks = Vec::new();
        for key_group in range.start..=range.end {
            chunks.extend(self.cut.key_group(key_group)?);
        }
        let mut bytes = self.cut.header().to_vec();
        bytes.extend((chunks.len() as u64).to_le_bytes());
        chunks.iter().for_each(|c| bytes.extend(c));
        Ok(bytes)
    }
}

/// Where in a task state a deferred item goes: (operator, entry, item) indices.
pub type ItemIndex = (usize, usize, usize);

/// Where an operator writes its state at a checkpoint barrier.
///
/// # Example
/// ```
/// use weir_core::CheckpointId;
/// use weir_runtime::snapshot::{Distribution, OperatorStateWriter};
/// let mut w = OperatorStateWriter::new(CheckpointId(3));
/// w.keyed("counts", vec![1, 2, 3]);
/// w.list("offsets", vec![vec![7]]);
/// let entries = w.into_entries();
/// assert_eq!(entries[0].distribution, Distribution::KeyGroups);
/// assert_eq!(entries[1].items, vec![vec![7]]);
/// ```
pub struct OperatorStateWriter {
    checkpoint: CheckpointId,
    entries: Vec<StateEntry>,
    /// Items still to be serialized: (entry index, item index, work).
    deferred: Vec<(usize, usize, DeferredBytes)>,
    /// Keyed entries still to be written key group by key group: (entry index, cut).
    cuts: Vec<(usize, DeferredCut)>,
    /// Whether what is written is stored (see [`Self::stores_state`]).
    stores_state: bool,
}

impl std::fmt::Debug for OperatorStateWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperatorStateWriter")
            .field("checkpoint", &self.checkpoint)
            .field("entries", &self.entries)
            .field("deferred", &self.deferred.len())
            .field("cuts", &self.cuts.len())
            .finish()
    }
}

impl OperatorStateWriter {
    /// A writer for `checkpoint`.
    pub fn new(checkpoint: CheckpointId) -> Self {
        OperatorStateWriter {
            checkpoint,
            entries: Vec::new(),
            deferred: Vec::new(),
            cuts: Vec::new(),
            stores_state: true,
        }
    }

    /// A writer for the final snapshot of a task of a job that does not checkpoint: only
    /// its committables are used ([`Self::stores_state`] is false).
    pub fn committables_only() -> Self {
        OperatorStateWriter { stores_state: false, ..OperatorStateWriter::new(CheckpointId::FINAL) }
    }

    /// Whether the state written here is stored. It is not at the end of a job without
    /// checkpoints, where only committables matter: an operator with large state should
    /// then skip serializing it (writing it anyway is correct, only wasted work).
    pub fn stores_state(&self) -> bool {
        self.stores_state
    }

    /// Keyed state of the embedded backend, written by the job key group by key group,
    /// off the task thread: a checkpoint stores one file per key group (and with
    /// `incremental`, only the key groups changed since the last completed checkpoint,
    /// referring to the earlier files for the rest); a savepoint stores the bytes of a
    /// full `KeyedStateSnapshot`, as [`Self::keyed`] would. Restore sees the same blob
    /// either way. An entry of this name must not be written otherwise.
    ///
    /// # Contract
    /// As [`Self::keyed_async`]: the cut is the state at the barrier; an error reading it
    /// declines the checkpoint.
    pub fn keyed_cut(&mut self, name: &str, cut: KeyGroupCut, incremental: bool) {
        self.put(name, Distribution::KeyGroups, vec![Vec::new()]);
        let entry = self.entries.iter().position(|e| e.name == name).expect("put just above");
        assert_eq!(self.entries[entry].items.len(), 1, "entry '{name}' written twice");
        self.cuts.push((entry, DeferredCut { cut, incremental }));
    }

    /// Keyed state as [`Self::keyed`], serialized later, off the task thread: the
    /// operator takes a cheap cut of its state (a copy-on-write view, a read view of a
    /// store) and hands over the work that turns it into bytes. The task goes on
    /// processing while the job serializes and writes it.
    ///
    /// # Contract
    /// `serialize` must not see changes made after this call: the checkpoint is the
    /// state at the barrier. An error from it declines the checkpoint.
    ///
    /// # Example
    /// ```
    /// use weir_core::CheckpointId;
    /// use weir_runtime::snapshot::{OperatorSnapshot, OperatorStateWriter, PendingTaskState};
    /// let mut w = OperatorStateWriter::new(CheckpointId(3));
    /// let cut = vec![1u8, 2, 3]; // a frozen copy the operator no longer changes
    /// w.keyed_async("counts", Box::new(move || Ok(cut)));
    /// let mut task = PendingTaskState::default();
    /// task.push_operator("op", w);
    /// assert!(!task.is_complete());
    /// let state = task.complete().unwrap();
    /// assert_eq!(state.operators[0].entries[0].items, vec![vec![1, 2, 3]]);
    /// ```
    pub fn keyed_async(&mut self, name: &str, serialize: DeferredBytes) {
        self.put(name, Distribution::KeyGroups, vec![Vec::new()]);
        let entry = self.entries.iter().position(|e| e.name == name).expect("put just above");
        let item = self.entries[entry].items.len() - 1;
        self.deferred.push((entry, item, serialize));
    }

    /// The checkpoint being taken.
    pub fn checkpoint_id(&self) -> CheckpointId {
        self.checkpoint
    }

    /// Keyed state of this subtask's key groups, in a form any subtask can read its own
    /// key groups from (for example a `KeyedStateSnapshot`).
    pub fn keyed(&mut self, name: &str, blob: Vec<u8>) {
        self.put(name, Distribution::KeyGroups, vec![blob]);
    }

    /// Operator list state: items dealt to the subtasks on restore.
    pub fn list(&mut self, name: &str, items: Vec<Vec<u8>>) {
        self.put(name, Distribution::SplitList, items);
    }

    /// Union list state: every subtask gets all items on restore.
    pub fn union(&mut self, name: &str, items: Vec<Vec<u8>>) {
        self.put(name, Distribution::UnionList, items);
    }

    /// What a two-phase-commit sink asks the job to commit when this checkpoint completes.
    pub fn committables(&mut self, items: Vec<Vec<u8>>) {
        self.put(COMMITTABLES, Distribution::UnionList, items);
    }

    fn put(&mut self, name: &str, distribution: Distribution, items: Vec<Vec<u8>>) {
        match self.entries.iter_mut().find(|e| e.name == name) {
            Some(e) => e.items.extend(items),
            None => self.entries.push(StateEntry { name: name.to_string(), distribution, items }),
        }
    }

    /// The entries written.
    ///
    /// # Panics
    /// If an entry is still to be serialized ([`Self::keyed_async`]): use
    /// [`Self::complete_entries`], or hand the writer to
    /// [`PendingTaskState::push_operator`] to serialize it elsewhere.
    pub fn into_entries(self) -> Vec<StateEntry> {
        assert!(
            self.deferred.is_empty() && self.cuts.is_empty(),
            "deferred entries are completed by complete_entries or a PendingTaskState"
        );
        self.entries
    }

    /// The entries written, serializing the deferred ones here, on the calling thread.
    ///
    /// # Errors
    /// The first error of the deferred work.
    pub fn complete_entries(mut self) -> Result<Vec<StateEntry>, BoxError> {
        for (entry, item, work) in self.deferred {
            self.entries[entry].items[item] = work()?;
        }
        for (entry, cut) in self.cuts {
            self.entries[entry].items[0] = cut.to_bytes()?;
        }
        Ok(self.entries)
    }
}

/// A task's snapshot as its chain took it at a barrier: the [`TaskState`] with the items
/// operators left to serialize off the task thread ([`OperatorStateWriter::keyed_async`]).
/// [`Self::complete`] runs that work — on whichever thread calls it.
pub struct PendingTaskState {
    state: TaskState,
    /// (operator index, entry index, item index, work).
    deferred: Vec<(usize, usize, usize, DeferredBytes)>,
    /// Keyed entries to write key group by key group: (operator index, entry index, cut).
    cuts: Vec<(usize, usize, DeferredCut)>,
    /// False when only the committables will be used (the end of a job without checkpoints).
    stores_state: bool,
}

impl std::fmt::Debug for PendingTaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingTaskState")
            .field("state", &self.state)
            .field("deferred", &self.deferred.len())
            .field("cuts", &self.cuts.len())
            .finish()
    }
}

impl Default for PendingTaskState {
    /// An empty snapshot of the current format.
    fn default() -> Self {
        PendingTaskState::new(TaskState {
            format_version: TASK_STATE_FORMAT_VERSION,
            finished: false,
            operators: Vec::new(),
        })
    }
}

impl PendingTaskState {
    /// A snapshot starting from `state` (already complete).
    pub fn new(state: TaskState) -> Self {
        PendingTaskState { state, deferred: Vec::new(), cuts: Vec::new(), stores_state: true }
    }

    /// Only the committables of this snapshot will be used: operators are asked to skip
    /// their state ([`OperatorStateWriter::stores_state`]).
    pub fn set_committables_only(&mut self) {
        self.stores_state = false;
    }

    /// Whether the state in this snapshot is stored.
    pub fn stores_state(&self) -> bool {
        self.stores_state
    }

    /// Adds an operator's complete state.
    pub fn push(&mut self, operator: OperatorSnapshot) {
        self.state.operators.push(operator);
    }

    /// Adds what an operator wrote, keeping its deferred items for [`Self::complete`].
    pub fn push_operator(&mut self, operator_id: &str, writer: OperatorStateWriter) {
        let index = self.state.operators.len();
        self.deferred.extend(writer.deferred.into_iter().map(|(entry, item, work)| (index, entry, item, work)));
        self.cuts.extend(writer.cuts.into_iter().map(|(entry, cut)| (index, entry, cut)));
        self.state.operators.push(OperatorSnapshot { operator_id: operator_id.to_string(), entries: writer.entries });
    }

    /// Marks the task as finished (its state is what it leaves in every later checkpoint).
    pub fn set_finished(&mut self) {
        self.state.finished = true;
    }

    /// Whether nothing is left to serialize.
    pub fn is_complete(&self) -> bool {
        self.deferred.is_empty() && self.cuts.is_empty()
    }

    /// The committables in the snapshot (they are never deferred).
    pub fn committables(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.state.committables()
    }

    /// The state without running the deferred work: deferred items stay empty. For a
    /// state that will not be stored, when only its committables matter.
    pub fn without_deferred(self) -> TaskState {
        self.state
    }

    /// Runs the deferred work and returns the whole state.
    ///
    /// # Errors
    /// The first error of the deferred work.
    pub fn complete(self) -> Result<TaskState, BoxError> {
        let (mut state, cuts) = self.complete_but_cuts()?;
        for ((operator, entry, item), cut) in cuts {
            state.operators[operator].entries[entry].items[item] = cut.to_bytes()?;
        }
        Ok(state)
    }

    /// Runs the deferred work now, on this thread, but for the cuts to write key group by
    /// key group, which stay for whoever stores the state.
    ///
    /// # Errors
    /// The first error of the deferred work.
    pub fn complete_deferred(mut self) -> Result<PendingTaskState, BoxError> {
        for (operator, entry, item, work) in std::mem::take(&mut self.deferred) {
            self.state.operators[operator].entries[entry].items[item] = work()?;
        }
        Ok(self)
    }

    /// Runs the deferred work but for the cuts to write key group by key group, which
    /// are returned with where their bytes belong (the item is left empty).
    ///
    /// # Errors
    /// The first error of the deferred work.
    pub fn complete_but_cuts(mut self) -> Result<(TaskState, Vec<(ItemIndex, DeferredCut)>), BoxError> {
        for (operator, entry, item, work) in self.deferred {
            self.state.operators[operator].entries[entry].items[item] = work()?;
        }
        let cuts = self.cuts.into_iter().map(|(operator, entry, cut)| ((operator, entry, 0), cut)).collect();
        Ok((self.state, cuts))
    }
}

/// An operator's restored state, already redistributed for its new subtask.
///
/// Items may still lie in checkpoint storage ([`RestoredItem`]): [`Self::keyed`] and
/// [`Self::list`] read an entry's items when it is first asked for; [`Self::keyed_items`]
/// hands them over unread, to an operator that restores keyed state key group by key
/// group. A read that fails gives no items; the error is kept ([`Self::read_error`]) and
/// fails the restore once the operator has taken its state (in `initialize_state`, or
/// in `open` from a clone of the reader kept until then: clones share what was read and
/// the error).
#[derive(Debug, Clone, Default)]
pub struct OperatorStateReader {
    entries: BTreeMap<String, ReaderEntry>,
    restored: bool,
    /// The key groups of the restoring subtask, when known.
    key_groups: Option<KeyGroupRange>,
    failed: Arc<OnceLock<String>>,
}

#[derive(Debug, Clone, Default)]
struct ReaderEntry {
    items: Vec<RestoredItem>,
    /// The items' bytes, once read.
    bytes: Arc<OnceLock<Vec<Vec<u8>>>>,
}

impl OperatorStateReader {
    /// Nothing to restore (a fresh start).
    pub fn empty() -> Self {
        OperatorStateReader::default()
    }

    /// Restored entries (name → items for this subtask).
    pub fn new(entries: BTreeMap<String, Vec<Vec<u8>>>) -> Self {
        let entries = entries
            .into_iter()
            .map(|(name, items)| (name, ReaderEntry { items: Vec::new(), bytes: Arc::new(OnceLock::from(items)) }))
            .collect();
        OperatorStateReader { entries, restored: true, key_groups: None, failed: Arc::default() }
    }

    /// Restored entries whose items may still lie in storage.
    pub(crate) fn from_items(entries: BTreeMap<String, Vec<RestoredItem>>) -> Self {
        let entries =
            entries.into_iter().map(|(name, items)| (name, ReaderEntry { items, bytes: Arc::default() })).collect();
        OperatorStateReader { entries, restored: true, key_groups: None, failed: Arc::default() }
    }

    /// Says which key groups the restoring subtask owns: keyed state stored as a file per
    /// key group is then read (by [`Self::keyed`]) for those key groups only.
    pub fn with_key_groups(mut self, range: KeyGroupRange) -> Self {
        self.key_groups = Some(range);
        self
    }

    /// Whether the job resumed from a checkpoint or savepoint (even if this operator had
    /// no state in it).
    pub fn is_restored(&self) -> bool {
        self.restored
    }

    /// The blobs of the keyed entry `name`: one per old subtask.
    pub fn keyed(&self, name: &str) -> &[Vec<u8>] {
        self.items(name)
    }

    /// The items of the keyed entry `name`, one per old subtask, without reading them:
    /// for keyed state restored one key group at a time ([`RestoredItem::key_groups`]).
    pub fn keyed_items(&self, name: &str) -> Vec<RestoredItem> {
        let Some(entry) = self.entries.get(name) else { return Vec::new() };
        match entry.bytes.get() {
            Some(bytes) if entry.items.is_empty() => bytes.iter().map(|b| RestoredItem::bytes(b.clone())).collect(),
            _ => entry.items.clone(),
        }
    }

    /// This subtask's items of the list or union entry `name`.
    pub fn list(&self, name: &str) -> &[Vec<u8>] {
        self.items(name)
    }

    fn items(&self, name: &str) -> &[Vec<u8>] {
        let Some(entry) = self.entries.get(name) else { return &[] };
        entry.bytes.get_or_init(|| {
            let read = entry.items.iter().map(|i| i.read(self.key_groups)).collect::<Result<Vec<_>, _>>();
            read.unwrap_or_else(|e| {
                let _ = self.failed.set(format!("state entry '{name}' cannot be read back: {e}"));
                Vec::new()
            })
        })
    }

    /// The first failure to read an entry back from storage, if any.
    pub fn read_error(&self) -> Option<&str> {
        self.failed.get().map(String::as_str)
    }

    /// The names of the restored entries.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

/// Redistributes the snapshots one operator left in every old subtask for subtask `index`
/// of `parallelism` new ones.
pub fn redistribute(old: &[&OperatorSnapshot], index: usize, parallelism: usize) -> OperatorStateReader {
    let old: Vec<StoredOperator> = old.iter().map(|s| StoredOperator::from(*s)).collect();
    redistribute_stored(&old.iter().collect::<Vec<_>>(), index, parallelism)
}

/// As [`redistribute`], over snapshots whose items may still lie in storage.
pub(crate) fn redistribute_stored(old: &[&StoredOperator], index: usize, parallelism: usize) -> OperatorStateReader {
    let mut entries: BTreeMap<String, Vec<RestoredItem>> = BTreeMap::new();
    let mut dealt: BTreeMap<String, usize> = BTreeMap::new();
    for snapshot in old {
        for e in &snapshot.entries {
            let slot = entries.entry(e.name.clone()).or_default();
            match e.distribution {
                // A key-group file listing read from storage is read back as a `KeyGroups`
                // blob (`RestoredItem::read`); one handed over as bytes stays a listing.
                Distribution::KeyGroups | Distribution::KeyGroupFiles | Distribution::UnionList => {
                    slot.extend(e.items.iter().cloned())
                }
                Distribution::SplitList => {
                    let n = dealt.entry(e.name.clone()).or_default();
                    for item in &e.items {
                        if *n % parallelism == index {
                            slot.push(item.clone());
                        }
                        *n += 1;
                    }
                }
            }
        }
    }
    OperatorStateReader::from_items(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(id: &str, entries: Vec<StateEntry>) -> OperatorSnapshot {
        OperatorSnapshot { operator_id: id.into(), entries }
    }

    fn entry(name: &str, distribution: Distribution, items: &[u8]) -> StateEntry {
        StateEntry { name: name.into(), distribution, items: items.iter().map(|&i| vec![i]).collect() }
    }

    #[test]
    fn each_distribution_deals_items_as_flink_does() {
        let a = snapshot(
            "op",
            vec![
                entry("k", Distribution::KeyGroups, &[1]),
                entry("l", Distribution::SplitList, &[1, 2, 3]),
                entry("u", Distribution::UnionList, &[9]),
            ],
        );
        let b = snapshot(
            "op",
            vec![
                entry("k", Distribution::KeyGroups, &[2]),
                entry("l", Distribution::SplitList, &[4]),
                entry("u", Distribution::UnionList, &[8]),
            ],
        );
        let r0 = redistribute(&[&a, &b], 0, 3);
        let r2 = redistribute(&[&a, &b], 2, 3);
        assert_eq!(r0.keyed("k"), &[vec![1], vec![2]]);
        assert_eq!(r0.list("l"), &[vec![1], vec![4]]);
        assert_eq!(r2.list("l"), &[vec![3]]);
        assert_eq!(r2.list("u"), &[vec![9], vec![8]]);
        assert!(r2.list("missing").is_empty() && r2.is_restored());
        // Every list item lands in exactly one subtask.
        let all: usize = (0..3).map(|i| redistribute(&[&a, &b], i, 3).list("l").len()).sum();
        assert_eq!(all, 4);
    }

    #[test]
    fn task_state_round_trips_and_refuses_garbage() {
        let mut state = TaskState { format_version: TASK_STATE_FORMAT_VERSION, finished: false, operators: vec![] };
        let mut w = OperatorStateWriter::new(CheckpointId(1));
        w.committables(vec![b"part-0".to_vec()]);
        state.operators.push(OperatorSnapshot { operator_id: "sink".into(), entries: w.into_entries() });
        let back = TaskState::from_bytes(&state.to_bytes().unwrap()).unwrap();
        assert_eq!(back, state);
        assert_eq!(back.committables().collect::<Vec<_>>(), vec![("sink", &b"part-0"[..])]);
        assert!(TaskState::from_bytes(b"\x01").unwrap_err().to_string().contains("not a Weir task state"));
        state.format_version = 99;
        let err = TaskState::from_bytes(&state.to_bytes().unwrap()).unwrap_err();
        assert!(err.to_string().contains("newer"), "{err}");
    }
}
