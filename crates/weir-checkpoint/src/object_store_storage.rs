//! [`CheckpointStorage`] on any object store (`object_store`): S3, GCS, Azure, or the
//! local file system and memory, which are what this build includes and tests. Build
//! the store with `object_store`'s own builders (enable its `aws`, `gcp` or `azure`
//! feature in your binary) and hand it over as `Arc<dyn ObjectStore>`.
//!
//! Layout, as [`LocalDirStorage`](crate::LocalDirStorage), under a prefix:
//!
//! ```text
//! PREFIX/chk-7/v1-0.state      task v1#0's snapshot
//! PREFIX/chk-7/_metadata       the manifest: present = completed
//! ```
//!
//! # Commit protocol
//!
//! 1. Each task's state is put as one object; an object store's put is atomic (a reader
//!    sees all of an object or none) and durable when it returns.
//! 2. The manifest is put last, only after every task's put returned.
//!
//! Invariant: `_metadata` exists only when everything it names exists, and it is never
//! seen partly written. Deletion removes `_metadata` first, then the rest.

use std::sync::Arc;

use futures::executor::block_on;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};

use crate::shared_files::{parse_path, StateFileArea, SHARED_DIR};
use crate::storage::WriteFn;
use crate::{CheckpointError, CheckpointId, CheckpointStorage, Manifest, StateHandle, StoredCheckpoint, TaskId};

const MANIFEST: &str = "_metadata";
const DIR_PREFIX: &str = "chk-";

/// Checkpoints as objects under one prefix of an object store.
///
/// ```
/// use std::sync::Arc;
/// use weir_checkpoint::{CheckpointStorage, ObjectStoreStorage};
/// let storage = ObjectStoreStorage::new(Arc::new(object_store::memory::InMemory::new()), "jobs/q5");
/// assert!(storage.list_completed()?.is_empty());
/// # Ok::<(), weir_checkpoint::CheckpointError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ObjectStoreStorage {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
}

impl ObjectStoreStorage {
    /// Storage in `store` under `prefix` (`""` for the root).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Self {
        ObjectStoreStorage { store, prefix: Path::from(prefix) }
    }

    fn checkpoint_path(&self, checkpoint: CheckpointId) -> Path {
        self.prefix.child(format!("{DIR_PREFIX}{}", checkpoint.0))
    }

    fn failed(&self, what: &str, path: &Path, e: object_store::Error) -> CheckpointError {
        CheckpointError::Io {
            context: format!("{what} {path} in {}", self.store),
            source: std::io::Error::other(e.to_string()),
        }
    }

    /// Where the state file `path` lies.
    fn state_file_path(&self, path: &str) -> Result<Path, CheckpointError> {
        Ok(match parse_path(path)? {
            StateFileArea::Shared(name) => self.prefix.child(SHARED_DIR).child(name),
            StateFileArea::Checkpoint(id, name) => self.checkpoint_path(id).child(name),
        })
    }

    /// Puts what `write` produces as one object. It is collected in memory first: an
    /// object's put is atomic only whole (a multipart upload would bound the memory to
    /// one part; state files are one key group's chunk, so small).
    fn put_streamed(&self, path: &Path, write: WriteFn<'_>) -> Result<u64, CheckpointError> {
        let mut bytes = Vec::new();
        write(&mut bytes).map_err(|e| CheckpointError::Io { context: format!("write {path}"), source: e })?;
        let size = bytes.len() as u64;
        block_on(self.store.put(path, PutPayload::from(bytes))).map_err(|e| self.failed("write", path, e))?;
        Ok(size)
    }

    fn get(&self, path: &Path) -> Result<Option<Vec<u8>>, CheckpointError> {
        match block_on(async { self.store.get(path).await?.bytes().await }) {
            Ok(bytes) => Ok(Some(bytes.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.failed("read", path, e)),
        }
    }
}

impl CheckpointStorage for ObjectStoreStorage {
    fn write_task_state_with(
        &self,
        checkpoint: CheckpointId,
        task: TaskId,
        write: WriteFn<'_>,
    ) -> Result<StateHandle, CheckpointError> {
        let file = format!("v{}-{}.state", task.vertex.0, task.subtask.0);
        let path = self.checkpoint_path(checkpoint).child(file.as_str());
        let size = self.put_streamed(&path, write)?;
        Ok(StateHandle::new(file, size))
    }

    fn write_file(&self, path: &str, write: WriteFn<'_>) -> Result<u64, CheckpointError> {
        let path = self.state_file_path(path)?;
        self.put_streamed(&path, write)
    }

    fn read_file(&self, path: &str, size: u64) -> Result<Vec<u8>, CheckpointError> {
        let location = self.state_file_path(path)?;
        let bytes = self.get(&location)?.ok_or_else(|| CheckpointError::Io {
            context: format!("read {location}"),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such object"),
        })?;
        if bytes.len() as u64 != size {
            return Err(CheckpointError::CorruptState {
                path: location.to_string().into(),
                expected: size,
                actual: bytes.len() as u64,
            });
        }
        Ok(bytes)
    }

    fn delete_file(&self, path: &str) -> Result<(), CheckpointError> {
        let location = self.state_file_path(path)?;
        match block_on(self.store.delete(&location)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed("delete", &location, e)),
        }
    }

    fn list_shared(&self) -> Result<Vec<String>, CheckpointError> {
        let dir = self.prefix.child(SHARED_DIR);
        let objects: Vec<Path> = block_on(self.store.list(Some(&dir)).map_ok(|m| m.location).try_collect())
            .map_err(|e| self.failed("list", &dir, e))?;
        Ok(objects.iter().filter_map(|p| p.filename()).map(crate::shared_files::shared_path).collect())
    }

    fn write_manifest(&self, manifest: &Manifest) -> Result<(), CheckpointError> {
        let path = self.checkpoint_path(manifest.checkpoint).child(MANIFEST);
        block_on(self.store.put(&path, PutPayload::from(manifest.to_json())))
            .map_err(|e| self.failed("write", &path, e))?;
        Ok(())
    }

    fn list_completed(&self) -> Result<Vec<StoredCheckpoint>, CheckpointError> {
        let listing = block_on(self.store.list_with_delimiter(Some(&self.prefix)))
            .map_err(|e| self.failed("list", &self.prefix, e))?;
        let ids =
            listing.common_prefixes.iter().filter_map(|dir| dir.filename().and_then(crate::storage::checkpoint_of_dir));
        crate::storage::completed_among(self, ids)
    }

    fn read_manifest(&self, checkpoint: CheckpointId) -> Result<Manifest, CheckpointError> {
        let path = self.checkpoint_path(checkpoint).child(MANIFEST);
        match self.get(&path)? {
            Some(bytes) => Manifest::from_json(checkpoint, &bytes),
            None => Err(CheckpointError::NotFound(checkpoint)),
        }
    }

    fn read_task_state(&self, checkpoint: CheckpointId, state: &StateHandle) -> Result<Vec<u8>, CheckpointError> {
        let plain = !state.file.is_empty() && !state.file.contains(['/', '\\']) && state.file != MANIFEST;
        if !plain {
            return Err(CheckpointError::CorruptManifest {
                checkpoint,
                detail: format!("state file name {:?} is not a plain object name", state.file),
            });
        }
        let path = self.checkpoint_path(checkpoint).child(state.file.as_str());
        let bytes = self.get(&path)?.ok_or_else(|| CheckpointError::CorruptManifest {
            checkpoint,
            detail: format!("it names {path}, which does not exist"),
        })?;
        if bytes.len() as u64 != state.size {
            return Err(CheckpointError::CorruptState {
                path: path.to_string().into(),
                expected: state.size,
                actual: bytes.len() as u64,
            });
        }
        Ok(bytes)
    }

    fn delete(&self, checkpoint: CheckpointId) -> Result<(), CheckpointError> {
        let dir = self.checkpoint_path(checkpoint);
        let manifest = dir.child(MANIFEST);
        match block_on(self.store.delete(&manifest)) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(self.failed("delete", &manifest, e)),
        }
        let objects: Vec<Path> = block_on(self.store.list(Some(&dir)).map_ok(|m| m.location).try_collect())
            .map_err(|e| self.failed("list", &dir, e))?;
        for path in objects {
            match block_on(self.store.delete(&path)) {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.failed("delete", &path, e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckpointBarrier, CheckpointKind, CheckpointMode, TaskSnapshot};

    fn stores() -> Vec<(&'static str, ObjectStoreStorage, tempfile::TempDir)> {
        let dir = tempfile::tempdir().unwrap();
        let local = object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap();
        vec![
            (
                "memory",
                ObjectStoreStorage::new(Arc::new(object_store::memory::InMemory::new()), "job"),
                tempfile::tempdir().unwrap(),
            ),
            ("local", ObjectStoreStorage::new(Arc::new(local), "job"), dir),
        ]
    }

    #[test]
    fn a_checkpoint_is_complete_only_with_its_manifest_and_deletes_cleanly() {
        for (name, s, _dir) in stores() {
            let task = TaskId::new(1, 0);
            let handle = s.write_task_state(CheckpointId(1), task, b"state-1").unwrap();
            assert!(s.list_completed().unwrap().is_empty(), "{name}: no manifest, not complete");
            let barrier = CheckpointBarrier::new(CheckpointId(1), 5, CheckpointMode::AlignedExactlyOnce);
            s.write_manifest(&Manifest::new(&barrier, vec![TaskSnapshot { task, state: handle.clone() }])).unwrap();
            let sp = CheckpointBarrier::savepoint(CheckpointId(2), 6);
            let h2 = s.write_task_state(CheckpointId(2), task, b"sp").unwrap();
            s.write_manifest(&Manifest::new(&sp, vec![TaskSnapshot { task, state: h2 }])).unwrap();
            let listed = s.list_completed().unwrap();
            assert_eq!(
                listed.iter().map(|c| (c.id.0, c.kind)).collect::<Vec<_>>(),
                vec![(1, CheckpointKind::Checkpoint), (2, CheckpointKind::Savepoint)],
                "{name}"
            );
            assert_eq!(
                s.latest_completed().unwrap().unwrap().checkpoint,
                CheckpointId(1),
                "{name}: savepoints are not restore points"
            );
            assert_eq!(s.read_task_state(CheckpointId(1), &handle).unwrap(), b"state-1");
            let wrong = StateHandle { size: 3, ..handle.clone() };
            assert!(
                matches!(s.read_task_state(CheckpointId(1), &wrong), Err(CheckpointError::CorruptState { .. })),
                "{name}"
            );
            let escape = StateHandle::new("../x", 1);
            assert!(s.read_task_state(CheckpointId(1), &escape).is_err(), "{name}");
            s.write_file("shared/a", &mut |out| out.write_all(b"abc")).unwrap();
            assert_eq!(s.list_shared().unwrap(), vec!["shared/a".to_string()], "{name}");
            assert_eq!(s.read_file("shared/a", 3).unwrap(), b"abc", "{name}");
            assert!(s.read_file("shared/a", 4).is_err(), "{name}");
            s.delete(CheckpointId(1)).unwrap();
            assert_eq!(s.list_shared().unwrap().len(), 1, "{name}: deleting a checkpoint keeps shared files");
            s.delete_file("shared/a").unwrap();
            s.delete_file("shared/a").unwrap();
            assert!(s.list_shared().unwrap().is_empty(), "{name}");
            s.delete(CheckpointId(1)).unwrap(); // twice is fine
            assert!(matches!(s.read_manifest(CheckpointId(1)), Err(CheckpointError::NotFound(_))), "{name}");
            assert_eq!(s.list_completed().unwrap().len(), 1, "{name}");
        }
    }
}
