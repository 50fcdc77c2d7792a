//! [`StoredTaskState`]: a task state file of a checkpoint read for a restore without
//! reading its large items.
//!
//! The file is the bincode of a [`TaskState`](crate::snapshot::TaskState) (format 1 or 2,
//! `docs/checkpoints.md`). It is read in pieces of at most
//! [`READ_CHUNK_BYTES`](crate::restored_item::READ_CHUNK_BYTES), field by field, and each
//! item becomes a [`RestoredItem`]:
//!
//! 1. an item of a `KeyGroups` entry larger than [`INLINE_ITEM_BYTES`] (the keyed state
//!    a savepoint holds in full) is passed over: the item is the range it lies in;
//! 2. a `KeyGroupFiles` item is its listing of files, none of them read;
//! 3. anything else is read.
//!
//! So reading every task state of a checkpoint holds, besides small items, no more than
//! one piece of one file, whatever the size of the state.

use std::io::Read;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use weir_checkpoint::{CheckpointStorage, StateHandle};
use weir_core::CheckpointId;

use crate::restored_item::{ChunkReader, ListedFiles, RestoredItem, StoredRange, INLINE_ITEM_BYTES};
use crate::snapshot::{Distribution, OperatorSnapshot, TASK_STATE_WITH_FILES_FORMAT_VERSION};
use crate::task_state_upload::KeyGroupFiles;
use crate::BoxError;

/// A task state as a restore reads it.
#[derive(Debug, Clone)]
pub(crate) struct StoredTaskState {
    /// The task had finished.
    pub(crate) finished: bool,
    /// The chain's operators, head first.
    pub(crate) operators: Vec<StoredOperator>,
}

/// One operator's entries.
#[derive(Debug, Clone)]
pub(crate) struct StoredOperator {
    pub(crate) operator_id: String,
    pub(crate) entries: Vec<StoredEntry>,
}

/// One entry, its items possibly still in storage.
#[derive(Debug, Clone)]
pub(crate) struct StoredEntry {
    pub(crate) name: String,
    pub(crate) distribution: Distribution,
    pub(crate) items: Vec<RestoredItem>,
}

impl StoredTaskState {
    /// Reads `checkpoint`'s task state `handle` from `storage`. The shared files its
    /// listings name may be listed again by the restored job when `reusable`.
    ///
    /// # Errors
    /// Storage failures, a damaged file, or one of a newer format.
    pub(crate) fn read(
        storage: &Arc<dyn CheckpointStorage>,
        checkpoint: CheckpointId,
        handle: &StateHandle,
        reusable: bool,
    ) -> Result<Self, BoxError> {
        let whole =
            StoredRange { storage: storage.clone(), checkpoint, handle: handle.clone(), offset: 0, len: handle.size };
        let mut r = ChunkReader::new(whole);
        let version: u32 = field(&mut r)?;
        if version > TASK_STATE_WITH_FILES_FORMAT_VERSION {
            return Err(format!(
                "task state format {version} is newer than this Weir's ({TASK_STATE_WITH_FILES_FORMAT_VERSION})"
            )
            .into());
        }
        let finished = field(&mut r)?;
        let operators = (0..field::<u64>(&mut r)?)
            .map(|_| {
                let operator_id = field(&mut r)?;
                let entries = (0..field::<u64>(&mut r)?)
                    .map(|_| {
                        let name = field(&mut r)?;
                        let distribution = field(&mut r)?;
                        let items = (0..field::<u64>(&mut r)?)
                            .map(|_| item(&mut r, distribution, storage, checkpoint, handle, reusable))
                            .collect::<Result<_, BoxError>>()?;
                        Ok(StoredEntry { name, distribution, items })
                    })
                    .collect::<Result<_, BoxError>>()?;
                Ok(StoredOperator { operator_id, entries })
            })
            .collect::<Result<_, BoxError>>()?;
        Ok(StoredTaskState { finished, operators })
    }
}

impl From<&OperatorSnapshot> for StoredOperator {
    /// A snapshot held in memory: every item is bytes.
    fn from(snapshot: &OperatorSnapshot) -> Self {
        let entries = snapshot
            .entries
            .iter()
            .map(|e| StoredEntry {
                name: e.name.clone(),
                distribution: e.distribution,
                items: e.items.iter().map(|i| RestoredItem::bytes(i.clone())).collect(),
            })
            .collect();
        StoredOperator { operator_id: snapshot.operator_id.clone(), entries }
    }
}

fn field<T: DeserializeOwned>(r: &mut ChunkReader) -> Result<T, BoxError> {
    bincode::deserialize_from(r).map_err(|e| format!("not a Weir task state: {e}").into())
}

/// Reads one item (see the module documentation).
fn item(
    r: &mut ChunkReader,
    distribution: Distribution,
    storage: &Arc<dyn CheckpointStorage>,
    checkpoint: CheckpointId,
    handle: &StateHandle,
    reusable: bool,
) -> Result<RestoredItem, BoxError> {
    let len: u64 = field(r)?;
    if distribution == Distribution::KeyGroups && len > INLINE_ITEM_BYTES {
        let offset = r.position();
        weir_state::SkipRead::skip(r, len).map_err(|e| format!("not a Weir task state: {e}"))?;
        let range = StoredRange { storage: storage.clone(), checkpoint, handle: handle.clone(), offset, len };
        return Ok(RestoredItem::range(range));
    }
    let mut bytes = Vec::new();
    // Grows as bytes arrive: a damaged length cannot allocate more than the file holds.
    r.by_ref().take(len).read_to_end(&mut bytes)?;
    if bytes.len() as u64 != len {
        return Err("not a Weir task state: it ends early".into());
    }
    if distribution != Distribution::KeyGroupFiles {
        return Ok(RestoredItem::bytes(bytes));
    }
    let listing: KeyGroupFiles =
        bincode::deserialize(&bytes).map_err(|e| format!("an entry does not list key-group files: {e}"))?;
    Ok(RestoredItem::files(ListedFiles { storage: storage.clone(), listing, reusable }))
}

#[cfg(test)]
mod tests {
    use weir_checkpoint::{LocalDirStorage, TaskId};

    use super::*;
    use crate::snapshot::{redistribute_stored, OperatorSnapshot, StateEntry, TaskState};
    use crate::task_state_upload::KeyGroupFile;

    fn entry(name: &str, distribution: Distribution, items: Vec<Vec<u8>>) -> StateEntry {
        StateEntry { name: name.into(), distribution, items }
    }

    #[test]
    fn task_states_read_back_item_by_item_with_large_keyed_items_left_in_storage() {
        let dir = tempfile::tempdir().unwrap();
        let local = LocalDirStorage::new(dir.path()).unwrap();
        let storage: Arc<dyn CheckpointStorage> = Arc::new(local.clone());
        let large: Vec<u8> = (0..3 * INLINE_ITEM_BYTES).map(|i| (i % 249) as u8).collect();
        let listing = KeyGroupFiles {
            header: vec![1, 2],
            files: vec![KeyGroupFile { key_group: 4, path: "shared/c1-x.kg4".into(), size: 3 }],
        };
        let state = TaskState {
            format_version: TASK_STATE_WITH_FILES_FORMAT_VERSION,
            finished: true,
            operators: vec![
                OperatorSnapshot {
                    operator_id: "a".into(),
                    entries: vec![
                        entry("list", Distribution::SplitList, vec![vec![1], vec![2, 3]]),
                        entry("keyed", Distribution::KeyGroups, vec![vec![9; 10], large.clone()]),
                        // A large item that is not keyed state is read whole.
                        entry("union", Distribution::UnionList, vec![large.clone()]),
                    ],
                },
                OperatorSnapshot {
                    operator_id: "b".into(),
                    entries: vec![entry(
                        "files",
                        Distribution::KeyGroupFiles,
                        vec![bincode::serialize(&listing).unwrap()],
                    )],
                },
            ],
        };
        let handle = local.write_task_state(CheckpointId(1), TaskId::new(0, 0), &state.to_bytes().unwrap()).unwrap();
        let stored = StoredTaskState::read(&storage, CheckpointId(1), &handle, true).unwrap();
        assert!(stored.finished);
        let ids: Vec<&str> = stored.operators.iter().map(|o| o.operator_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        let a = &stored.operators[0];
        for (got, want) in a.entries.iter().zip(&state.operators[0].entries) {
            assert_eq!((&got.name, got.distribution), (&want.name, want.distribution));
            let items: Vec<Vec<u8>> = got.items.iter().map(|i| i.read(None).unwrap()).collect();
            assert_eq!(&items, &want.items, "{}", want.name);
        }
        let kinds = |e: &StoredEntry| e.items.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>().join(", ");
        assert!(kinds(&a.entries[1]).contains("v0-0.state, bytes"), "{}", kinds(&a.entries[1]));
        assert!(!kinds(&a.entries[2]).contains("bytes "), "{}", kinds(&a.entries[2]));
        assert!(kinds(&stored.operators[1].entries[0]).contains("1 key-group files"));

        // A listed file that is missing: the entry reads as nothing and the error is kept.
        // Read from a clone kept for `open`: the failure is the reader's too.
        let reader = redistribute_stored(&[&stored.operators[1]], 0, 1);
        let kept = reader.clone();
        assert!(reader.read_error().is_none());
        assert!(kept.keyed("files").is_empty());
        assert!(reader.read_error().unwrap().contains("'files' cannot be read back"), "{:?}", reader.read_error());

        // A newer format is refused as such; a damaged file as damaged.
        let newer = TaskState { format_version: 3, ..state.clone() };
        let handle = local.write_task_state(CheckpointId(2), TaskId::new(0, 0), &newer.to_bytes().unwrap()).unwrap();
        let e = StoredTaskState::read(&storage, CheckpointId(2), &handle, true).unwrap_err();
        assert!(e.to_string().contains("format 3 is newer"), "{e}");
        let bytes = state.to_bytes().unwrap();
        let handle = local.write_task_state(CheckpointId(3), TaskId::new(0, 0), &bytes[..bytes.len() / 2]).unwrap();
        let e = StoredTaskState::read(&storage, CheckpointId(3), &handle, true).unwrap_err();
        assert!(e.to_string().contains("not a Weir task state"), "{e}");
    }
}
