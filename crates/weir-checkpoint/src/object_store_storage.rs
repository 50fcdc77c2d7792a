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
//! 1. Each task's state (and each state file) is put as one object; an object store's put
//!    is atomic (a reader sees all of an object or none) and durable when it returns. A
//!    file larger than one part ([`ObjectStoreStorage::with_part_size`], 8 MiB by
//!    default) is sent as a **multipart upload**, one part at a time, so an upload holds
//!    no more than one part in memory whatever the file's size; the object appears only
//!    when the upload is completed, as atomically as a put, and a failed write aborts it.
//! 2. The manifest is put last, only after every task's put returned.
//!
//! Invariant: `_metadata` exists only when everything it names exists, and it is never
//! seen partly written. Deletion removes `_metadata` first, then the rest.

use std::sync::Arc;

use std::io::Write;

use futures::executor::block_on;
use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{MultipartUpload, ObjectStore, PutPayload};

use crate::shared_files::{parse_path, StateFileArea, SHARED_DIR};
use crate::storage::WriteFn;
use crate::{CheckpointError, CheckpointId, CheckpointStorage, Manifest, StateHandle, StoredCheckpoint, TaskId};

const MANIFEST: &str = "_metadata";
const DIR_PREFIX: &str = "chk-";

/// The size of a multipart upload's parts unless set otherwise: above the 5 MiB most
/// stores (S3, GCS) require of every part but the last.
pub const DEFAULT_PART_SIZE: usize = 8 << 20;

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
    part_size: usize,
}

impl ObjectStoreStorage {
    /// Storage in `store` under `prefix` (`""` for the root).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: &str) -> Self {
        ObjectStoreStorage { store, prefix: Path::from(prefix), part_size: DEFAULT_PART_SIZE }
    }

    /// Files larger than `bytes` are uploaded in parts of `bytes` (at least 1; S3 and
    /// GCS refuse parts under 5 MiB but the last): the most an upload holds in memory.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weir_checkpoint::ObjectStoreStorage;
    /// let storage = ObjectStoreStorage::new(Arc::new(object_store::memory::InMemory::new()), "jobs/q5")
    ///     .with_part_size(16 << 20);
    /// assert_eq!(storage.part_size(), 16 << 20);
    /// ```
    pub fn with_part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes.max(1);
        self
    }

    /// The size of an upload's parts.
    pub fn part_size(&self) -> usize {
        self.part_size
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

    /// Where `checkpoint`'s task state `state` lies: a plain object name is required.
    fn task_state_path(&self, checkpoint: CheckpointId, state: &StateHandle) -> Result<Path, CheckpointError> {
        let plain = !state.file.is_empty() && !state.file.contains(['/', '\\']) && state.file != MANIFEST;
        if !plain {
            return Err(CheckpointError::CorruptManifest {
                checkpoint,
                detail: format!("state file name {:?} is not a plain object name", state.file),
            });
        }
        Ok(self.checkpoint_path(checkpoint).child(state.file.as_str()))
    }

    /// Where the state file `path` lies.
    fn state_file_path(&self, path: &str) -> Result<Path, CheckpointError> {
        Ok(match parse_path(path)? {
            StateFileArea::Shared(name) => self.prefix.child(SHARED_DIR).child(name),
            StateFileArea::Checkpoint(id, name) => self.checkpoint_path(id).child(name),
        })
    }

    /// Puts what `write` produces as one object: with one put when it fits a part, else
    /// as a multipart upload of one part at a time (see the module documentation).
    fn put_streamed(&self, path: &Path, write: WriteFn<'_>) -> Result<u64, CheckpointError> {
        let mut out = PartWriter { storage: self, path, part: Vec::new(), upload: None, size: 0 };
        if let Err(e) = write(&mut out) {
            out.abort();
            return Err(CheckpointError::Io { context: format!("write {path}"), source: e });
        }
        out.finish()
    }

    fn get(&self, path: &Path) -> Result<Option<Vec<u8>>, CheckpointError> {
        match block_on(async { self.store.get(path).await?.bytes().await }) {
            Ok(bytes) => Ok(Some(bytes.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.failed("read", path, e)),
        }
    }
}

/// Collects a file's bytes into parts: the first full part starts a multipart upload,
/// each full part is sent before more is collected.
struct PartWriter<'a> {
    storage: &'a ObjectStoreStorage,
    path: &'a Path,
    part: Vec<u8>,
    upload: Option<Box<dyn MultipartUpload>>,
    size: u64,
}

impl PartWriter<'_> {
    /// Sends the collected part (starting the upload if this is the first).
    fn send_part(&mut self) -> Result<(), object_store::Error> {
        let part = std::mem::take(&mut self.part);
        let upload = match &mut self.upload {
            Some(upload) => upload,
            None => self.upload.insert(block_on(self.storage.store.put_multipart(self.path))?),
        };
        block_on(upload.put_part(PutPayload::from(part)))
    }

    /// Stores the file: one put, or the last part and the upload's completion.
    fn finish(mut self) -> Result<u64, CheckpointError> {
        let (storage, path) = (self.storage, self.path);
        let Some(_) = self.upload else {
            let part = std::mem::take(&mut self.part);
            block_on(storage.store.put(path, PutPayload::from(part))).map_err(|e| storage.failed("write", path, e))?;
            return Ok(self.size);
        };
        let sent = if self.part.is_empty() { Ok(()) } else { self.send_part() };
        let completed = sent.and_then(|()| match &mut self.upload {
            Some(upload) => block_on(upload.complete()).map(|_| ()),
            None => Ok(()),
        });
        if let Err(e) = completed {
            self.abort();
            return Err(storage.failed("write", path, e));
        }
        Ok(self.size)
    }

    /// Gives up the upload, if one was started (best effort: a store that keeps the
    /// parts of an unfinished upload needs a lifecycle rule for the rest).
    fn abort(mut self) {
        if let Some(mut upload) = self.upload.take() {
            let _ = block_on(upload.abort());
        }
    }
}

impl Write for PartWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = self.storage.part_size - self.part.len();
        let n = buf.len().min(room);
        if self.part.capacity() == 0 {
            self.part.reserve_exact(self.storage.part_size.min(1 << 20).max(n));
        }
        self.part.extend_from_slice(&buf[..n]);
        self.size += n as u64;
        if self.part.len() == self.storage.part_size {
            self.send_part().map_err(|e| std::io::Error::other(format!("upload a part of {}: {e}", self.path)))?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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
        let path = self.task_state_path(checkpoint, state)?;
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

    fn read_task_state_range(
        &self,
        checkpoint: CheckpointId,
        state: &StateHandle,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>, CheckpointError> {
        let path = self.task_state_path(checkpoint, state)?;
        let end = crate::storage::checked_range(&state.file, state.size, offset, len)?;
        if len == 0 {
            return Ok(Vec::new());
        }
        match block_on(self.store.get_range(&path, offset..end)) {
            Ok(bytes) if bytes.len() as u64 == len => Ok(bytes.to_vec()),
            // A shorter object than the manifest records.
            Ok(bytes) => Err(CheckpointError::CorruptState {
                path: path.to_string().into(),
                expected: state.size,
                actual: offset + bytes.len() as u64,
            }),
            Err(object_store::Error::NotFound { .. }) => Err(CheckpointError::CorruptManifest {
                checkpoint,
                detail: format!("it names {path}, which does not exist"),
            }),
            Err(e) => Err(self.failed("read", &path, e)),
        }
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
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    use futures::stream::BoxStream;
    use object_store::{
        GetOptions, GetResult, ListResult, ObjectMeta, PutMultipartOptions, PutOptions, PutResult, UploadPart,
    };

    use super::*;
    use crate::{CheckpointBarrier, CheckpointKind, CheckpointMode, TaskSnapshot};

    /// What a [`Counting`] store saw.
    #[derive(Debug, Default)]
    struct Seen {
        puts: AtomicUsize,
        uploads: AtomicUsize,
        aborted: AtomicUsize,
        /// The size of every part, in the order sent.
        parts: Mutex<Vec<usize>>,
    }

    /// An object store that passes everything on to `inner` and counts puts and the parts
    /// of multipart uploads.
    #[derive(Debug)]
    struct Counting {
        inner: Arc<dyn ObjectStore>,
        seen: Arc<Seen>,
    }

    impl std::fmt::Display for Counting {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Counting({})", self.inner)
        }
    }

    #[derive(Debug)]
    struct CountingUpload {
        inner: Box<dyn MultipartUpload>,
        seen: Arc<Seen>,
    }

    #[async_trait::async_trait]
    impl MultipartUpload for CountingUpload {
        fn put_part(&mut self, data: PutPayload) -> UploadPart {
            self.seen.parts.lock().unwrap().push(data.content_length());
            self.inner.put_part(data)
        }
        async fn complete(&mut self) -> object_store::Result<PutResult> {
            self.inner.complete().await
        }
        async fn abort(&mut self) -> object_store::Result<()> {
            self.seen.aborted.fetch_add(1, Ordering::SeqCst);
            self.inner.abort().await
        }
    }

    #[async_trait::async_trait]
    impl ObjectStore for Counting {
        async fn put_opts(
            &self,
            location: &Path,
            payload: PutPayload,
            opts: PutOptions,
        ) -> object_store::Result<PutResult> {
            self.seen.puts.fetch_add(1, Ordering::SeqCst);
            self.inner.put_opts(location, payload, opts).await
        }
        async fn put_multipart_opts(
            &self,
            location: &Path,
            opts: PutMultipartOptions,
        ) -> object_store::Result<Box<dyn MultipartUpload>> {
            self.seen.uploads.fetch_add(1, Ordering::SeqCst);
            let inner = self.inner.put_multipart_opts(location, opts).await?;
            Ok(Box::new(CountingUpload { inner, seen: self.seen.clone() }))
        }
        async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
            self.inner.get_opts(location, options).await
        }
        async fn delete(&self, location: &Path) -> object_store::Result<()> {
            self.inner.delete(location).await
        }
        fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
            self.inner.list(prefix)
        }
        async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
            self.inner.list_with_delimiter(prefix).await
        }
        async fn copy(&self, from: &Path, to: &Path) -> object_store::Result<()> {
            self.inner.copy(from, to).await
        }
        async fn copy_if_not_exists(&self, from: &Path, to: &Path) -> object_store::Result<()> {
            self.inner.copy_if_not_exists(from, to).await
        }
    }

    #[test]
    fn large_files_are_uploaded_in_parts_and_read_back_equal() {
        const PART: usize = 64 << 10;
        let dir = tempfile::tempdir().unwrap();
        let local: Arc<dyn ObjectStore> =
            Arc::new(object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap());
        for (name, inner) in
            [("memory", Arc::new(object_store::memory::InMemory::new()) as Arc<dyn ObjectStore>), ("local", local)]
        {
            let seen = Arc::new(Seen::default());
            let store = Arc::new(Counting { inner, seen: seen.clone() });
            let s = ObjectStoreStorage::new(store, "job").with_part_size(PART);
            // 3.5 parts, written in pieces that do not line up with the parts.
            let bytes: Vec<u8> = (0..PART * 7 / 2).map(|i| (i % 253) as u8).collect();
            let size =
                s.write_file("shared/big", &mut |out| bytes.chunks(10_007).try_for_each(|c| out.write_all(c))).unwrap();
            assert_eq!(size, bytes.len() as u64, "{name}");
            assert_eq!(seen.uploads.load(Ordering::SeqCst), 1, "{name}: one multipart upload");
            assert_eq!(*seen.parts.lock().unwrap(), vec![PART, PART, PART, PART / 2], "{name}: in parts");
            assert_eq!(seen.puts.load(Ordering::SeqCst), 0, "{name}: no whole put");
            assert_eq!(s.read_file("shared/big", size).unwrap(), bytes, "{name}: reads back equal");

            // A task state as large, read back whole and by ranges.
            let handle = s.write_task_state(CheckpointId(3), TaskId::new(1, 0), &bytes).unwrap();
            assert_eq!(seen.uploads.load(Ordering::SeqCst), 2, "{name}");
            assert_eq!(s.read_task_state(CheckpointId(3), &handle).unwrap(), bytes, "{name}");
            let range = s.read_task_state_range(CheckpointId(3), &handle, PART as u64 - 5, 10).unwrap();
            assert_eq!(range, &bytes[PART - 5..PART + 5], "{name}: a range across two parts");
            let e = s.read_task_state_range(CheckpointId(3), &handle, size - 1, 2).unwrap_err();
            assert!(matches!(e, CheckpointError::OutOfRange { .. }), "{name}: {e}");

            // A small file is one put; exactly one part is a multipart upload of one part.
            s.write_file("shared/small", &mut |out| out.write_all(b"abc")).unwrap();
            assert_eq!(seen.puts.load(Ordering::SeqCst), 1, "{name}");
            s.write_file("shared/one", &mut |out| out.write_all(&bytes[..PART])).unwrap();
            assert_eq!(seen.uploads.load(Ordering::SeqCst), 3, "{name}");
            assert_eq!(s.read_file("shared/one", PART as u64).unwrap(), &bytes[..PART], "{name}");

            // A write that fails after two parts aborts the upload and leaves no object.
            let failed = s.write_file("shared/failed", &mut |out| {
                out.write_all(&bytes[..PART * 5 / 2])?;
                Err(std::io::Error::other("the serializer failed"))
            });
            assert!(failed.unwrap_err().to_string().contains("the serializer failed"), "{name}");
            assert_eq!(seen.aborted.load(Ordering::SeqCst), 1, "{name}");
            assert!(!s.list_shared().unwrap().contains(&"shared/failed".to_string()), "{name}");
            assert!(s.read_file("shared/failed", 1).is_err(), "{name}");
        }
    }

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
