//! [`RestoredItem`]: one item of a restored state entry — its bytes, or where they lie in
//! checkpoint storage until someone reads them.
//!
//! A restore must not read a checkpoint's state into memory before the operator that
//! owns it asks: the embedded backend's keyed state may be far larger than memory. So a
//! restored item is one of three things:
//!
//! | item | what it is | read |
//! |---|---|---|
//! | bytes | a small item of a task state file | already in memory |
//! | a range of a task state file | a large item (above [`INLINE_ITEM_BYTES`]), e.g. a savepoint's keyed state | in pieces, when asked |
//! | a key-group file listing | keyed state a checkpoint stored as one file per key group ([`KeyGroupFiles`]) | file by file, when asked |
//!
//! An operator that restores keyed state one key group at a time reads an item with
//! [`RestoredItem::key_groups`]: only the key groups it owns are read, one at a time (a
//! range is read in pieces of at most [`READ_CHUNK_BYTES`] and the key groups of other
//! subtasks are passed over unread). An operator that wants an item's bytes gets them
//! through [`OperatorStateReader`](crate::snapshot::OperatorStateReader), which reads
//! them then.

use std::io::{self, Read};
use std::sync::Arc;

use weir_checkpoint::shared_files::{parse_path, StateFileArea};
use weir_checkpoint::{CheckpointStorage, StateHandle};
use weir_core::{CheckpointId, KeyGroupRange};
use weir_state::{
    KeyGroupSnapshot, KeyGroupSource, RestoredKeyGroup, SkipRead, SnapshotHeader, SnapshotReader, StateError,
    StoredKeyGroup,
};

use crate::task_state_upload::KeyGroupFiles;
use crate::BoxError;

/// Items of a task state file larger than this stay in storage until read.
pub const INLINE_ITEM_BYTES: u64 = 1 << 20;

/// The most a range of a task state file is read in at once.
pub const READ_CHUNK_BYTES: u64 = 1 << 20;

/// The least a range of a task state file is read in at once: what reading a key
/// group's lengths costs when the key group itself is passed over.
const MIN_READ_BYTES: u64 = 64 << 10;

/// One item of a restored entry (see the module documentation).
#[derive(Clone)]
pub struct RestoredItem(Item);

#[derive(Clone)]
enum Item {
    Bytes(Arc<Vec<u8>>),
    Range(StoredRange),
    Files(Arc<ListedFiles>),
}

impl std::fmt::Debug for RestoredItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Item::Bytes(b) => write!(f, "RestoredItem({} bytes)", b.len()),
            Item::Range(r) => write!(f, "RestoredItem({}, bytes {}..+{})", r.handle.file, r.offset, r.len),
            Item::Files(l) => write!(f, "RestoredItem({} key-group files)", l.listing.files.len()),
        }
    }
}

/// A range of a task state file in storage.
#[derive(Clone)]
pub(crate) struct StoredRange {
    pub(crate) storage: Arc<dyn CheckpointStorage>,
    pub(crate) checkpoint: CheckpointId,
    pub(crate) handle: StateHandle,
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

/// Keyed state stored as a file per key group.
pub(crate) struct ListedFiles {
    pub(crate) storage: Arc<dyn CheckpointStorage>,
    pub(crate) listing: KeyGroupFiles,
    /// Whether a job restored from it may list its shared files again: it checkpoints
    /// into the storage they lie in.
    pub(crate) reusable: bool,
}

impl RestoredItem {
    /// An item held in memory.
    pub fn bytes(bytes: Vec<u8>) -> Self {
        RestoredItem(Item::Bytes(Arc::new(bytes)))
    }

    pub(crate) fn range(range: StoredRange) -> Self {
        RestoredItem(Item::Range(range))
    }

    pub(crate) fn files(files: ListedFiles) -> Self {
        RestoredItem(Item::Files(Arc::new(files)))
    }

    /// The item's bytes, read now if they are still in storage. A key-group file
    /// listing becomes the bytes of a `KeyedStateSnapshot`; with `key_groups`, of those
    /// key groups only (a subtask never needs the others).
    ///
    /// # Errors
    /// When storage fails or a file is damaged.
    pub fn read(&self, key_groups: Option<KeyGroupRange>) -> Result<Vec<u8>, BoxError> {
        match &self.0 {
            Item::Bytes(b) => Ok(b.as_ref().clone()),
            Item::Range(r) => Ok(r.storage.read_task_state_range(r.checkpoint, &r.handle, r.offset, r.len)?),
            Item::Files(l) => {
                let files: Vec<_> =
                    l.listing.files.iter().filter(|f| key_groups.is_none_or(|r| r.contains(f.key_group))).collect();
                let mut bytes = l.listing.header.clone();
                bytes.extend((files.len() as u64).to_le_bytes());
                for f in files {
                    bytes.extend(l.storage.read_file(&f.path, f.size)?);
                }
                Ok(bytes)
            }
        }
    }

    /// The key groups in `range` of the keyed state snapshot this item holds, read one at
    /// a time: a range of a state file in pieces, skipping the other key groups; a
    /// listing file by file. Key groups read from a shared file of the job's own
    /// checkpoint storage name that file ([`RestoredKeyGroup::origin`]).
    ///
    /// # Errors
    /// [`StateError::Restore`] when the item is not a keyed state snapshot,
    /// [`StateError::Store`] when storage fails.
    pub fn key_groups(&self, range: KeyGroupRange) -> Result<Box<dyn KeyGroupSource + '_>, StateError> {
        Ok(match &self.0 {
            Item::Bytes(b) => Box::new(SnapshotReader::new(&b[..], range)?),
            Item::Range(r) => Box::new(SnapshotReader::new(ChunkReader::new(r.clone()), range)?),
            Item::Files(l) => {
                let header = SnapshotHeader::read_from(&mut &l.listing.header[..])?;
                Box::new(FileSource { files: l, header, next: 0, range })
            }
        })
    }
}

/// Reads a [`StoredRange`] in pieces of at most [`READ_CHUNK_BYTES`], as large as the
/// read asks for but at least [`MIN_READ_BYTES`]; passing over bytes reads nothing.
pub(crate) struct ChunkReader {
    range: StoredRange,
    /// Offset of the next byte not in `buffer`, relative to the range.
    at: u64,
    buffer: Vec<u8>,
    /// Bytes of `buffer` already read.
    taken: usize,
}

impl ChunkReader {
    pub(crate) fn new(range: StoredRange) -> Self {
        ChunkReader { range, at: 0, buffer: Vec::new(), taken: 0 }
    }

    /// The offset of the next byte to read, relative to the range.
    pub(crate) fn position(&self) -> u64 {
        self.at - (self.buffer.len() - self.taken) as u64
    }
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.taken == self.buffer.len() {
            let want = (out.len() as u64).clamp(MIN_READ_BYTES, READ_CHUNK_BYTES);
            let len = want.min(self.range.len - self.at);
            if len == 0 || out.is_empty() {
                return Ok(0);
            }
            let r = &self.range;
            self.buffer = r
                .storage
                .read_task_state_range(r.checkpoint, &r.handle, r.offset + self.at, len)
                .map_err(io::Error::other)?;
            self.at += len;
            self.taken = 0;
        }
        let n = out.len().min(self.buffer.len() - self.taken);
        out[..n].copy_from_slice(&self.buffer[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

impl SkipRead for ChunkReader {
    fn skip(&mut self, n: u64) -> io::Result<()> {
        let buffered = (self.buffer.len() - self.taken) as u64;
        if n <= buffered {
            self.taken += n as usize;
            return Ok(());
        }
        let beyond = n - buffered;
        if beyond > self.range.len - self.at {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.at += beyond;
        self.buffer.clear();
        self.taken = 0;
        Ok(())
    }
}

/// The key groups of a listing in a range, file by file.
struct FileSource<'a> {
    files: &'a ListedFiles,
    header: SnapshotHeader,
    next: usize,
    range: KeyGroupRange,
}

impl KeyGroupSource for FileSource<'_> {
    fn header(&self) -> &SnapshotHeader {
        &self.header
    }

    fn next_key_group(&mut self) -> Result<Option<RestoredKeyGroup>, StateError> {
        let files = &self.files.listing.files;
        while let Some(f) = files.get(self.next) {
            self.next += 1;
            if !self.range.contains(f.key_group) {
                continue;
            }
            let bytes = self
                .files
                .storage
                .read_file(&f.path, f.size)
                .map_err(|e| StateError::Store(format!("key group {}: {e}", f.key_group)))?;
            let snapshot: KeyGroupSnapshot = bincode::deserialize(&bytes)
                .map_err(|e| StateError::Restore(format!("{} is not a key group: {e}", f.path)))?;
            if snapshot.key_group != f.key_group {
                return Err(StateError::Restore(format!(
                    "{} holds key group {}, its listing says {}",
                    f.path, snapshot.key_group, f.key_group
                )));
            }
            let shared = matches!(parse_path(&f.path), Ok(StateFileArea::Shared(_)));
            let origin = (self.files.reusable && shared).then(|| StoredKeyGroup { path: f.path.clone(), size: f.size });
            return Ok(Some(RestoredKeyGroup { snapshot, origin }));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use weir_checkpoint::{CheckpointError, CheckpointKind, LocalDirStorage, Manifest, StoredCheckpoint, TaskId};
    use weir_core::key_group::assign_to_key_group;
    use weir_state::{KeyedStateBackend, KeyedStateSnapshot, LsmKeyedStateBackend, MemoryBudget, StateKind};

    use super::*;
    use crate::snapshot::{OperatorStateWriter, PendingTaskState};
    use crate::stored_task_state::StoredTaskState;
    use crate::task_state_upload::{upload, Bases};

    const MAX: usize = 32;
    const TASK: TaskId = TaskId::new(2, 0);

    /// Local storage that counts what is read from it.
    #[derive(Debug)]
    struct Counting {
        inner: LocalDirStorage,
        /// Bytes read by range, the largest range, and files read.
        read: AtomicU64,
        largest: AtomicU64,
        files: AtomicU64,
    }

    impl Counting {
        fn new(dir: &std::path::Path) -> Arc<Self> {
            let inner = LocalDirStorage::new(dir).unwrap();
            Arc::new(Counting { inner, read: AtomicU64::new(0), largest: AtomicU64::new(0), files: AtomicU64::new(0) })
        }

        /// (bytes read by range, largest range, files read) since the last call.
        fn take(&self) -> (u64, u64, u64) {
            let t = |a: &AtomicU64| a.swap(0, Ordering::SeqCst);
            (t(&self.read), t(&self.largest), t(&self.files))
        }
    }

    impl CheckpointStorage for Counting {
        fn write_task_state_with(
            &self,
            checkpoint: CheckpointId,
            task: TaskId,
            write: weir_checkpoint::WriteFn<'_>,
        ) -> Result<StateHandle, CheckpointError> {
            self.inner.write_task_state_with(checkpoint, task, write)
        }
        fn write_file(&self, path: &str, write: weir_checkpoint::WriteFn<'_>) -> Result<u64, CheckpointError> {
            self.inner.write_file(path, write)
        }
        fn read_file(&self, path: &str, size: u64) -> Result<Vec<u8>, CheckpointError> {
            self.files.fetch_add(1, Ordering::SeqCst);
            self.inner.read_file(path, size)
        }
        fn delete_file(&self, path: &str) -> Result<(), CheckpointError> {
            self.inner.delete_file(path)
        }
        fn list_shared(&self) -> Result<Vec<String>, CheckpointError> {
            self.inner.list_shared()
        }
        fn write_manifest(&self, manifest: &Manifest) -> Result<(), CheckpointError> {
            self.inner.write_manifest(manifest)
        }
        fn list_completed(&self) -> Result<Vec<StoredCheckpoint>, CheckpointError> {
            self.inner.list_completed()
        }
        fn read_manifest(&self, checkpoint: CheckpointId) -> Result<Manifest, CheckpointError> {
            self.inner.read_manifest(checkpoint)
        }
        fn read_task_state(&self, _: CheckpointId, _: &StateHandle) -> Result<Vec<u8>, CheckpointError> {
            panic!("a restore reads task states by ranges");
        }
        fn read_task_state_range(
            &self,
            checkpoint: CheckpointId,
            state: &StateHandle,
            offset: u64,
            len: u64,
        ) -> Result<Vec<u8>, CheckpointError> {
            self.read.fetch_add(len, Ordering::SeqCst);
            self.largest.fetch_max(len, Ordering::SeqCst);
            self.inner.read_task_state_range(checkpoint, state, offset, len)
        }
        fn delete(&self, checkpoint: CheckpointId) -> Result<(), CheckpointError> {
            self.inner.delete(checkpoint)
        }
    }

    /// An embedded backend holding `keys` keys of `payload` bytes each, over `MAX` key groups.
    fn filled(dir: &std::path::Path, keys: u64, payload: usize) -> LsmKeyedStateBackend<u64> {
        let range = KeyGroupRange::for_operator(MAX, 1, 0);
        let mut lsm = LsmKeyedStateBackend::open(dir, range, MemoryBudget::of(4 << 20)).unwrap();
        let id = lsm.register::<String>("payload", StateKind::Value).unwrap();
        for key in 0..keys {
            lsm.put(id, assign_to_key_group(&key, MAX), &key, key.to_string().repeat(payload / 4)).unwrap();
        }
        lsm
    }

    /// Uploads `lsm`'s cut as the only entry of a task state, as `kind`.
    fn store(
        lsm: &mut LsmKeyedStateBackend<u64>,
        storage: &dyn CheckpointStorage,
        id: u64,
        kind: CheckpointKind,
    ) -> StateHandle {
        let mut w = OperatorStateWriter::new(CheckpointId(id));
        w.keyed_cut("keyed-state", lsm.cut_key_groups(), true);
        let mut task = PendingTaskState::default();
        task.push_operator("op", w);
        upload(storage, CheckpointId(id), kind, TASK, task, &Bases::new()).unwrap().handle
    }

    /// Restores `item`'s key groups of `range` into a fresh embedded backend.
    fn restore(item: &RestoredItem, range: KeyGroupRange, dir: &std::path::Path) -> LsmKeyedStateBackend<u64> {
        let mut lsm = LsmKeyedStateBackend::open(dir, range, MemoryBudget::of(4 << 20)).unwrap();
        lsm.register::<String>("payload", StateKind::Value).unwrap();
        lsm.restore_key_groups(&mut *item.key_groups(range).unwrap()).unwrap();
        lsm
    }

    /// `snapshot` without the key groups outside `range`.
    fn only(snapshot: &KeyedStateSnapshot, range: KeyGroupRange) -> KeyedStateSnapshot {
        let key_groups = snapshot.key_groups.iter().filter(|kg| range.contains(kg.key_group)).cloned().collect();
        KeyedStateSnapshot { key_groups, ..snapshot.clone() }
    }

    #[test]
    fn a_savepoint_is_read_in_pieces_and_only_for_the_restoring_subtasks_key_groups() {
        let (work, ck) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        // About 15 MiB of state: 32 key groups of about 480 KiB.
        let mut lsm = filled(&work.path().join("old"), 4_000, 4 << 10);
        let whole = lsm.snapshot().unwrap();
        let counting = Counting::new(ck.path());
        let handle = store(&mut lsm, counting.as_ref(), 1, CheckpointKind::Savepoint);
        assert!(handle.size > 12 << 20, "{} bytes", handle.size);
        let storage: Arc<dyn CheckpointStorage> = counting.clone();

        let state = StoredTaskState::read(&storage, CheckpointId(1), &handle, false).unwrap();
        let (read, largest, _) = counting.take();
        assert!(
            read < 1 << 20 && largest <= READ_CHUNK_BYTES,
            "the task state was read without its keyed state: {read} bytes"
        );
        let item = &state.operators[0].entries[0].items[0];
        assert!(matches!(item.0, Item::Range(_)), "{item:?}");

        for i in 0..4 {
            let range = KeyGroupRange::for_operator(MAX, 4, i);
            let mut restored = restore(item, range, &work.path().join(format!("new-{i}")));
            assert_eq!(restored.snapshot().unwrap(), only(&whole, range), "subtask {i} of 4");
            let (read, largest, _) = counting.take();
            assert!(largest <= READ_CHUNK_BYTES, "no read larger than a chunk: {largest}");
            assert!(read < handle.size / 2, "subtask {i} read {read} of {} bytes", handle.size);
            let cut = restored.cut_key_groups();
            assert!(
                (range.start..=range.end).all(|kg| cut.restored_file(kg).is_none()),
                "a savepoint is no file to list"
            );
        }
        // Read whole, as an operator that wants the bytes does.
        assert_eq!(KeyedStateSnapshot::from_bytes(&item.read(None).unwrap()).unwrap(), whole);
    }

    #[test]
    fn a_listing_is_read_file_by_file_for_the_restoring_subtasks_key_groups() {
        let (work, ck) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut lsm = filled(&work.path().join("old"), 2_000, 64);
        let whole = lsm.snapshot().unwrap();
        let counting = Counting::new(ck.path());
        let handle = store(&mut lsm, counting.as_ref(), 1, CheckpointKind::Checkpoint);
        let storage: Arc<dyn CheckpointStorage> = counting.clone();
        for reusable in [true, false] {
            let state = StoredTaskState::read(&storage, CheckpointId(1), &handle, reusable).unwrap();
            let item = &state.operators[0].entries[0].items[0];
            assert!(matches!(item.0, Item::Files(_)), "{item:?}");
            counting.take();
            let range = KeyGroupRange::for_operator(MAX, 3, 1);
            let mut restored = restore(item, range, &work.path().join(format!("new-{reusable}")));
            assert_eq!(restored.snapshot().unwrap(), only(&whole, range));
            assert_eq!(counting.take().2, range.len() as u64, "one file per owned key group, no other");
            let cut = restored.cut_key_groups();
            for kg in range.start..=range.end {
                let file = cut.restored_file(kg).map(|f| f.path.clone());
                match reusable {
                    true => assert_eq!(file, Some(format!("shared/c1-v2-0.o0.e0.kg{kg}"))),
                    false => assert_eq!(file, None, "another storage's files are never listed"),
                }
            }
            // Read as bytes for a range: a snapshot of those key groups only.
            let bytes = item.read(Some(range)).unwrap();
            assert_eq!(KeyedStateSnapshot::from_bytes(&bytes).unwrap(), only(&whole, range));
        }

        // A listed file that is gone fails the restore, naming the key group and the file.
        let state = StoredTaskState::read(&storage, CheckpointId(1), &handle, true).unwrap();
        counting.delete_file("shared/c1-v2-0.o0.e0.kg5").unwrap();
        let range = KeyGroupRange::for_operator(MAX, 1, 0);
        let mut source = state.operators[0].entries[0].items[0].key_groups(range).unwrap();
        let e = std::iter::from_fn(|| source.next_key_group().transpose()).find_map(Result::err).unwrap();
        assert!(matches!(&e, StateError::Store(m) if m.contains("key group 5") && m.contains("kg5")), "{e}");
    }
}
