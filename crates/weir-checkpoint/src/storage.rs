//! The boundary between checkpointing and where checkpoints are kept: a small trait a
//! local directory implements today and an object store (S3-compatible, through
//! `object_store`) implements the same way.

use crate::{CheckpointError, CheckpointId, CheckpointKind, Manifest, StateHandle, TaskId};

/// What streams a file's bytes into storage (an I/O error of its own aborts the write).
pub type WriteFn<'a> = &'a mut dyn FnMut(&mut dyn std::io::Write) -> std::io::Result<()>;

/// A completed checkpoint found in storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Its id.
    pub id: CheckpointId,
    /// Checkpoint or savepoint.
    pub kind: CheckpointKind,
}

/// Where checkpoints are kept: task state blobs, and one manifest per checkpoint.
///
/// # Contract
///
/// - A checkpoint is *completed* in storage exactly when its manifest is. Writing the
///   manifest is the commit: it is atomic (a reader sees no manifest or the whole one) and
///   durable when `write_manifest` returns, and it is only written after every blob it
///   names is durable. So a crash at any moment leaves each checkpoint either completed
///   and readable, or without a manifest — ignored, never restored from.
/// - `list_completed` and `latest_completed` ignore checkpoints without a manifest and
///   skip manifests damaged outside Weir ([`CheckpointError::CorruptManifest`]).
/// - `delete` removes the manifest first, so an interrupted delete leaves a checkpoint
///   that is no longer completed rather than a completed one with missing files. It is
///   idempotent.
/// - Writing a blob overwrites one of the same checkpoint and task (a retried upload).
/// - Besides one state file per task, a checkpoint may consist of **state files** named
///   relative to the storage's root ([`crate::shared_files`]): `chk-<id>/NAME`, owned by
///   that checkpoint and deleted with it, and `shared/NAME`, which later checkpoints may
///   refer to as well (incremental checkpoints). `delete` never touches `shared/`; a shared
///   file is removed with [`Self::delete_file`] once no retained manifest lists it
///   ([`crate::shared_files::discard_unreferenced`]).
/// - Files are written by streaming ([`Self::write_file`], [`Self::write_task_state_with`]),
///   so a state larger than memory never needs to be held as one buffer.
///
/// # Errors
///
/// I/O failures are [`CheckpointError::Io`] (external, retryable); a file shorter or
/// longer than its manifest says is [`CheckpointError::CorruptState`]; reading a
/// checkpoint that is not completed is [`CheckpointError::NotFound`].
///
/// # Concurrency
///
/// Called from several threads at once (tasks upload their state in parallel, the
/// coordinator writes manifests and deletes), hence `Send + Sync`. Calls for different
/// checkpoints are independent; for one checkpoint the caller orders them: blobs, then
/// the manifest, then (eventually) the delete.
///
/// # Example
///
/// ```
/// use weir_checkpoint::{CheckpointBarrier, CheckpointId, CheckpointMode, CheckpointStorage, LocalDirStorage, Manifest, TaskId, TaskSnapshot};
/// let dir = std::env::temp_dir().join(format!("weir-storage-doctest-{}", std::process::id()));
/// let storage = LocalDirStorage::new(&dir)?;
/// let barrier = CheckpointBarrier::new(CheckpointId(1), 0, CheckpointMode::AlignedExactlyOnce);
/// let task = TaskId::new(0, 0);
/// let state = storage.write_task_state(barrier.id, task, b"offsets")?;
/// assert!(storage.latest_completed()?.is_none()); // not completed before the manifest
/// storage.write_manifest(&Manifest::new(&barrier, vec![TaskSnapshot { task, state }]))?;
/// let latest = storage.latest_completed()?.expect("completed now");
/// assert_eq!(storage.read_task_state(latest.checkpoint, &latest.tasks[0].state)?, b"offsets");
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), weir_checkpoint::CheckpointError>(())
/// ```
pub trait CheckpointStorage: Send + Sync {
    /// Stores `task`'s snapshot for `checkpoint` as `write` produces it, durably, and
    /// says where it lies.
    fn write_task_state_with(
        &self,
        checkpoint: CheckpointId,
        task: TaskId,
        write: WriteFn<'_>,
    ) -> Result<StateHandle, CheckpointError>;

    /// Stores `task`'s snapshot for `checkpoint`, durably, and says where it lies.
    fn write_task_state(
        &self,
        checkpoint: CheckpointId,
        task: TaskId,
        bytes: &[u8],
    ) -> Result<StateHandle, CheckpointError> {
        self.write_task_state_with(checkpoint, task, &mut |out| out.write_all(bytes))
    }

    /// Writes the state file `path` (`shared/NAME` or `chk-<id>/NAME`) as `write`
    /// produces it, durably (also its name), and returns its size. Overwrites a file of
    /// the same name.
    fn write_file(&self, path: &str, write: WriteFn<'_>) -> Result<u64, CheckpointError>;

    /// The state file `path`, checked against `size`.
    fn read_file(&self, path: &str, size: u64) -> Result<Vec<u8>, CheckpointError>;

    /// Removes the state file `path`; removing a missing one is fine.
    fn delete_file(&self, path: &str) -> Result<(), CheckpointError>;

    /// Every file in the shared area, as `shared/NAME`.
    fn list_shared(&self) -> Result<Vec<String>, CheckpointError>;

    /// Commits the checkpoint: writes its manifest atomically and durably.
    fn write_manifest(&self, manifest: &Manifest) -> Result<(), CheckpointError>;

    /// Every completed checkpoint and savepoint, oldest first.
    fn list_completed(&self) -> Result<Vec<StoredCheckpoint>, CheckpointError>;

    /// The manifest of completed checkpoint `checkpoint`.
    fn read_manifest(&self, checkpoint: CheckpointId) -> Result<Manifest, CheckpointError>;

    /// A task's snapshot, checked against the size the manifest records.
    fn read_task_state(&self, checkpoint: CheckpointId, state: &StateHandle) -> Result<Vec<u8>, CheckpointError>;

    /// `len` bytes of a task's snapshot from `offset`, without reading the rest: how a
    /// restore reads a state file larger than memory piece by piece. The default reads
    /// the whole file and keeps the range; both built-in storages read only the range.
    ///
    /// # Errors
    /// As [`Self::read_task_state`]; a range beyond the size the manifest records is
    /// [`CheckpointError::OutOfRange`].
    fn read_task_state_range(
        &self,
        checkpoint: CheckpointId,
        state: &StateHandle,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>, CheckpointError> {
        let bytes = self.read_task_state(checkpoint, state)?;
        let end = checked_range(&state.file, state.size, offset, len)?;
        Ok(bytes[offset as usize..end as usize].to_vec())
    }

    /// Where this storage keeps its files, as a name two storages share exactly when
    /// they are the same place (a local directory's canonical path); `None` when that
    /// cannot be told (then only the same storage object is the same place). A job
    /// restored from a checkpoint of its own storage lists the restored checkpoint's
    /// shared files again instead of writing them (see `docs/checkpoints.md`).
    fn location(&self) -> Option<String> {
        None
    }

    /// Removes a checkpoint, completed or not, manifest first.
    fn delete(&self, checkpoint: CheckpointId) -> Result<(), CheckpointError>;

    /// The restore point: the manifest of the newest completed checkpoint (savepoints
    /// excluded — they belong to the user, as in Flink), if any.
    fn latest_completed(&self) -> Result<Option<Manifest>, CheckpointError> {
        for stored in self.list_completed()?.into_iter().rev() {
            if stored.kind != CheckpointKind::Checkpoint {
                continue;
            }
            match self.read_manifest(stored.id) {
                Ok(manifest) => return Ok(Some(manifest)),
                // Deleted or damaged since it was listed: the next older one is the restore point.
                Err(CheckpointError::NotFound(_) | CheckpointError::CorruptManifest { .. }) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}

/// The end of the range `offset..offset + len` of `file`, refused when it reaches beyond
/// `size`.
pub(crate) fn checked_range(file: &str, size: u64, offset: u64, len: u64) -> Result<u64, CheckpointError> {
    match offset.checked_add(len) {
        Some(end) if end <= size => Ok(end),
        _ => Err(CheckpointError::OutOfRange { path: file.into(), size, offset, end: offset.saturating_add(len) }),
    }
}

/// The checkpoint a directory (or object prefix) named `chk-<id>` holds.
pub(crate) fn checkpoint_of_dir(name: &str) -> Option<CheckpointId> {
    name.strip_prefix("chk-").and_then(|n| n.parse().ok()).map(CheckpointId)
}

/// Of the checkpoints `ids`, those whose manifest reads back, oldest first: what both
/// storages answer to [`CheckpointStorage::list_completed`].
pub(crate) fn completed_among(
    storage: &impl CheckpointStorage,
    ids: impl IntoIterator<Item = CheckpointId>,
) -> Result<Vec<StoredCheckpoint>, CheckpointError> {
    let mut completed = Vec::new();
    for id in ids {
        match storage.read_manifest(id) {
            Ok(manifest) => completed.push(StoredCheckpoint { id, kind: manifest.kind }),
            Err(CheckpointError::NotFound(_) | CheckpointError::CorruptManifest { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    completed.sort_by_key(|c| c.id);
    Ok(completed)
}
