//! [`CheckpointStorage`] on a local (or mounted) directory, the default.
//!
//! Layout, one directory per checkpoint:
//!
//! ```text
//! DIR/chk-7/v1-0.state      task v1#0's snapshot
//! DIR/chk-7/v2-3.state      task v2#3's snapshot
//! DIR/chk-7/_metadata       the manifest (JSON): present = completed
//! DIR/chk-7/v1-0.o0.e0.kg3  a state file owned by checkpoint 7 (a key group's chunk)
//! DIR/shared/…              state files later checkpoints may refer to (see `shared_files`)
//! ```
//!
//! # Commit protocol
//!
//! 1. Each task writes its blob into `chk-<id>/` and fsyncs it (and the new directory
//!    entry) before it acknowledges.
//! 2. The manifest is written to `chk-<id>/_metadata.tmp` and fsynced.
//! 3. `chk-<id>/` (and the root) is fsynced, so every blob, the temporary manifest and
//!    the checkpoint directory itself have durable names.
//! 4. `_metadata.tmp` is renamed to `_metadata` — atomic on POSIX file systems — and the
//!    directory is fsynced again, making the rename durable before success is reported.
//!
//! Invariant: `_metadata` exists only after everything it names is durable, and it is
//! never seen partly written. A crash before step 4 leaves at most a `_metadata.tmp` (never
//! read); after it, a completed checkpoint. Deletion removes `_metadata` first (and
//! fsyncs), so it runs the same argument backwards.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::shared_files::{parse_path, StateFileArea, SHARED_DIR};
use crate::storage::WriteFn;
use crate::{CheckpointError, CheckpointId, CheckpointStorage, Manifest, StateHandle, StoredCheckpoint, TaskId};

const MANIFEST: &str = "_metadata";
const MANIFEST_TMP: &str = "_metadata.tmp";
const DIR_PREFIX: &str = "chk-";

/// Checkpoints as directories under one root directory.
///
/// ```
/// use weir_checkpoint::{CheckpointStorage, LocalDirStorage};
/// let dir = std::env::temp_dir().join(format!("weir-local-doctest-{}", std::process::id()));
/// let storage = LocalDirStorage::new(&dir)?;
/// assert!(storage.list_completed()?.is_empty());
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), weir_checkpoint::CheckpointError>(())
/// ```
#[derive(Debug, Clone)]
pub struct LocalDirStorage {
    root: PathBuf,
}

impl LocalDirStorage {
    /// Storage under `root`, created if missing.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::Io`] if `root` cannot be created.
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, CheckpointError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(io_error("create the checkpoint directory", &root))?;
        Ok(LocalDirStorage { root })
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory of `checkpoint`.
    pub fn checkpoint_dir(&self, checkpoint: CheckpointId) -> PathBuf {
        self.root.join(format!("{DIR_PREFIX}{}", checkpoint.0))
    }

    fn ensure_checkpoint_dir(&self, checkpoint: CheckpointId) -> Result<PathBuf, CheckpointError> {
        self.ensure_dir(self.checkpoint_dir(checkpoint))
    }

    fn ensure_dir(&self, dir: PathBuf) -> Result<PathBuf, CheckpointError> {
        if !dir.is_dir() {
            fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
            sync_dir(&self.root)?;
        }
        Ok(dir)
    }
}

fn io_error<'a>(what: &'a str, path: &'a Path) -> impl FnOnce(io::Error) -> CheckpointError + 'a {
    move |source| CheckpointError::Io { context: format!("{what} {}", path.display()), source }
}

fn sync_dir(dir: &Path) -> Result<(), CheckpointError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_error("fsync directory", dir))
}

fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), CheckpointError> {
    stream_durably(path, &mut |out| out.write_all(bytes)).map(|_| ())
}

/// Writes `path` as `write` produces it (buffered, never all in memory) and fsyncs it;
/// returns its size. A failed write leaves no file behind.
fn stream_durably(path: &Path, write: WriteFn<'_>) -> Result<u64, CheckpointError> {
    let file = File::create(path).map_err(io_error("create", path))?;
    let mut out = CountingWriter { inner: BufWriter::with_capacity(1 << 16, file), written: 0 };
    let result = write(&mut out).and_then(|()| out.inner.flush());
    if let Err(e) = result {
        let _ = fs::remove_file(path);
        return Err(io_error("write", path)(e));
    }
    let written = out.written;
    let file = out.inner.into_inner().map_err(|e| io_error("write", path)(e.into_error()))?;
    file.sync_all().map_err(io_error("fsync", path))?;
    Ok(written)
}

/// Counts the bytes that pass through.
struct CountingWriter<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A task's file name: `v<vertex>-<subtask>.state`.
fn state_file(task: TaskId) -> String {
    format!("v{}-{}.state", task.vertex.0, task.subtask.0)
}

impl LocalDirStorage {
    /// Where `checkpoint`'s task state `state` lies. The name comes from a file on disk:
    /// it must never point outside the checkpoint.
    fn task_state_path(&self, checkpoint: CheckpointId, state: &StateHandle) -> Result<PathBuf, CheckpointError> {
        let plain = !state.file.is_empty()
            && !state.file.contains(['/', '\\'])
            && state.file != "."
            && state.file != ".."
            && state.file != MANIFEST;
        if !plain {
            return Err(CheckpointError::CorruptManifest {
                checkpoint,
                detail: format!("state file name {:?} is not a plain file name", state.file),
            });
        }
        Ok(self.checkpoint_dir(checkpoint).join(&state.file))
    }

    /// Where the state file `path` lies, its directory created.
    fn state_file_path(&self, path: &str) -> Result<PathBuf, CheckpointError> {
        let (dir, name) = match parse_path(path)? {
            StateFileArea::Shared(name) => (self.root.join(SHARED_DIR), name),
            StateFileArea::Checkpoint(id, name) => (self.checkpoint_dir(id), name),
        };
        Ok(dir.join(name))
    }
}

impl CheckpointStorage for LocalDirStorage {
    fn write_task_state_with(
        &self,
        checkpoint: CheckpointId,
        task: TaskId,
        write: WriteFn<'_>,
    ) -> Result<StateHandle, CheckpointError> {
        let dir = self.ensure_checkpoint_dir(checkpoint)?;
        let file = state_file(task);
        let size = stream_durably(&dir.join(&file), write)?;
        Ok(StateHandle::new(file, size))
    }

    fn write_file(&self, path: &str, write: WriteFn<'_>) -> Result<u64, CheckpointError> {
        let path = self.state_file_path(path)?;
        let dir = self.ensure_dir(path.parent().expect("a state file lies in a directory").to_path_buf())?;
        let size = stream_durably(&path, write)?;
        sync_dir(&dir)?;
        Ok(size)
    }

    fn read_file(&self, path: &str, size: u64) -> Result<Vec<u8>, CheckpointError> {
        let path = self.state_file_path(path)?;
        let bytes = fs::read(&path).map_err(io_error("read", &path))?;
        if bytes.len() as u64 != size {
            return Err(CheckpointError::CorruptState { path, expected: size, actual: bytes.len() as u64 });
        }
        Ok(bytes)
    }

    fn delete_file(&self, path: &str) -> Result<(), CheckpointError> {
        let path = self.state_file_path(path)?;
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &path)(e)),
        }
    }

    fn list_shared(&self) -> Result<Vec<String>, CheckpointError> {
        let dir = self.root.join(SHARED_DIR);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("list", &dir)(e)),
        };
        let mut files = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("list", &dir))?;
            if let Some(name) = entry.file_name().to_str() {
                files.push(crate::shared_files::shared_path(name));
            }
        }
        Ok(files)
    }

    fn write_manifest(&self, manifest: &Manifest) -> Result<(), CheckpointError> {
        let dir = self.ensure_checkpoint_dir(manifest.checkpoint)?;
        let tmp = dir.join(MANIFEST_TMP);
        let target = dir.join(MANIFEST);
        write_durably(&tmp, &manifest.to_json())?;
        sync_dir(&dir)?;
        sync_dir(&self.root)?;
        fs::rename(&tmp, &target).map_err(io_error("rename the manifest into", &target))?;
        sync_dir(&dir)
    }

    fn list_completed(&self) -> Result<Vec<StoredCheckpoint>, CheckpointError> {
        let entries = fs::read_dir(&self.root).map_err(io_error("list", &self.root))?;
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("list", &self.root))?;
            ids.extend(entry.file_name().to_str().and_then(crate::storage::checkpoint_of_dir));
        }
        crate::storage::completed_among(self, ids)
    }

    fn read_manifest(&self, checkpoint: CheckpointId) -> Result<Manifest, CheckpointError> {
        let path = self.checkpoint_dir(checkpoint).join(MANIFEST);
        match fs::read(&path) {
            Ok(bytes) => Manifest::from_json(checkpoint, &bytes),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(CheckpointError::NotFound(checkpoint)),
            Err(e) => Err(io_error("read", &path)(e)),
        }
    }

    fn read_task_state(&self, checkpoint: CheckpointId, state: &StateHandle) -> Result<Vec<u8>, CheckpointError> {
        let path = self.task_state_path(checkpoint, state)?;
        let bytes = fs::read(&path).map_err(io_error("read", &path))?;
        if bytes.len() as u64 != state.size {
            return Err(CheckpointError::CorruptState { path, expected: state.size, actual: bytes.len() as u64 });
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
        crate::storage::checked_range(&state.file, state.size, offset, len)?;
        let mut file = File::open(&path).map_err(io_error("open", &path))?;
        let actual = file.metadata().map_err(io_error("read", &path))?.len();
        if actual != state.size {
            return Err(CheckpointError::CorruptState { path, expected: state.size, actual });
        }
        file.seek(SeekFrom::Start(offset)).map_err(io_error("read", &path))?;
        let mut bytes = vec![0; len as usize];
        file.read_exact(&mut bytes).map_err(io_error("read", &path))?;
        Ok(bytes)
    }

    fn location(&self) -> Option<String> {
        let root = fs::canonicalize(&self.root).unwrap_or_else(|_| self.root.clone());
        Some(format!("file://{}", root.display()))
    }

    fn delete(&self, checkpoint: CheckpointId) -> Result<(), CheckpointError> {
        let dir = self.checkpoint_dir(checkpoint);
        let manifest = dir.join(MANIFEST);
        match fs::remove_file(&manifest) {
            Ok(()) => sync_dir(&dir)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("remove", &manifest)(e)),
        }
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error("remove", &dir)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckpointBarrier, CheckpointKind, CheckpointMode, TaskSnapshot};

    const TASKS: [TaskId; 2] = [TaskId::new(1, 0), TaskId::new(2, 1)];

    fn barrier(id: u64, kind: CheckpointKind) -> CheckpointBarrier {
        match kind {
            CheckpointKind::Checkpoint => CheckpointBarrier::new(CheckpointId(id), id, CheckpointMode::Unaligned),
            CheckpointKind::Savepoint => CheckpointBarrier::savepoint(CheckpointId(id), id),
        }
    }

    /// Writes every task's blob for checkpoint `id`; commits it if `commit`.
    fn checkpoint(s: &LocalDirStorage, id: u64, kind: CheckpointKind, commit: bool) -> Manifest {
        let b = barrier(id, kind);
        let tasks = TASKS
            .iter()
            .map(|&task| {
                let state = s.write_task_state(b.id, task, format!("{id}:{task}").as_bytes()).expect("write blob");
                TaskSnapshot { task, state }
            })
            .collect();
        let m = Manifest::new(&b, tasks);
        if commit {
            s.write_manifest(&m).expect("write manifest");
        }
        m
    }

    fn ids(s: &LocalDirStorage) -> Vec<u64> {
        s.list_completed().expect("list").iter().map(|c| c.id.0).collect()
    }

    fn latest(s: &LocalDirStorage) -> Option<u64> {
        s.latest_completed().expect("latest").map(|m| m.checkpoint.0)
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = LocalDirStorage::new(dir.path().join("nested")).expect("storage");
        let written = checkpoint(&s, 1, CheckpointKind::Checkpoint, true);
        let read = s.latest_completed().expect("latest").expect("one completed");
        assert_eq!(read, written);
        for t in &read.tasks {
            assert_eq!(s.read_task_state(read.checkpoint, &t.state).expect("read"), format!("1:{}", t.task).as_bytes());
        }
        assert!(!s.checkpoint_dir(CheckpointId(1)).join(MANIFEST_TMP).exists(), "the temporary name is gone");
    }

    /// Each case leaves checkpoint 1 completed, then damages checkpoint 2 the way a crash
    /// (or an outside hand) would; checkpoint 1 must remain the restore point.
    #[test]
    fn a_crash_at_any_moment_leaves_the_old_checkpoint_usable() {
        type Damage = fn(&LocalDirStorage, &Manifest);
        let cases: Vec<(&str, Damage)> = vec![
            ("crash before any blob: empty directory", |s, m| {
                fs::create_dir_all(s.checkpoint_dir(m.checkpoint)).expect("mkdir");
            }),
            ("crash after the blobs, before the manifest", |_, _| {}),
            ("crash while writing the temporary manifest", |s, m| {
                let json = m.to_json();
                fs::write(s.checkpoint_dir(m.checkpoint).join(MANIFEST_TMP), &json[..json.len() / 3]).expect("write");
            }),
            ("crash after the temporary manifest, before the rename", |s, m| {
                fs::write(s.checkpoint_dir(m.checkpoint).join(MANIFEST_TMP), m.to_json()).expect("write");
            }),
            ("crash in the middle of deleting: manifest gone, blobs left", |s, m| {
                s.write_manifest(m).expect("commit");
                fs::remove_file(s.checkpoint_dir(m.checkpoint).join(MANIFEST)).expect("rm");
            }),
            ("manifest damaged outside Weir", |s, m| {
                fs::write(s.checkpoint_dir(m.checkpoint).join(MANIFEST), b"{\"format_ver").expect("write");
            }),
        ];
        for (name, damage) in cases {
            let dir = tempfile::tempdir().expect("tempdir");
            let s = LocalDirStorage::new(dir.path()).expect("storage");
            checkpoint(&s, 1, CheckpointKind::Checkpoint, true);
            let second = checkpoint(&s, 2, CheckpointKind::Checkpoint, false);
            damage(&s, &second);
            assert_eq!(ids(&s), vec![1], "{name}");
            assert_eq!(latest(&s), Some(1), "{name}");
            assert!(s.read_manifest(CheckpointId(2)).is_err(), "{name}");
            // And the interrupted checkpoint can still be completed or cleaned up afterwards.
            s.write_manifest(&second).expect("retry commit");
            assert_eq!(latest(&s), Some(2), "{name}: completed on retry");
            s.delete(CheckpointId(2)).expect("delete");
            assert_eq!(latest(&s), Some(1), "{name}: after delete");
        }
    }

    #[test]
    fn damaged_state_files_are_detected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = LocalDirStorage::new(dir.path()).expect("storage");
        let m = checkpoint(&s, 1, CheckpointKind::Checkpoint, true);
        let handle = &m.tasks[0].state;
        let path = s.checkpoint_dir(m.checkpoint).join(&handle.file);
        fs::write(&path, b"1:").expect("truncate");
        let e = s.read_task_state(m.checkpoint, handle).expect_err("truncated");
        assert!(
            matches!(e, CheckpointError::CorruptState { expected, actual: 2, .. } if expected == handle.size),
            "{e}"
        );
        for bad in ["../chk-1/v1-0.state", "/etc/passwd", "..", "", MANIFEST] {
            let h = StateHandle::new(bad, 0);
            let e = s.read_task_state(m.checkpoint, &h).expect_err(bad);
            assert!(matches!(e, CheckpointError::CorruptManifest { .. }), "{bad}: {e}");
        }
        fs::remove_file(&path).expect("rm");
        assert!(matches!(s.read_task_state(m.checkpoint, handle), Err(CheckpointError::Io { .. })));
    }

    #[test]
    fn ranges_of_a_state_file_are_read_alone_and_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = LocalDirStorage::new(dir.path()).expect("storage");
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let handle = s.write_task_state(CheckpointId(1), TASKS[0], &bytes).expect("write");
        for (offset, len) in [(0, 0), (0, 10_000), (4_321, 1_000), (9_999, 1)] {
            let got = s.read_task_state_range(CheckpointId(1), &handle, offset, len).expect("range");
            assert_eq!(got, &bytes[offset as usize..(offset + len) as usize], "{offset}+{len}");
        }
        let e = s.read_task_state_range(CheckpointId(1), &handle, 9_999, 2).expect_err("beyond the end");
        assert!(matches!(e, CheckpointError::OutOfRange { size: 10_000, end: 10_001, .. }), "{e}");
        // A file of another size than the manifest's is damaged, whatever range is read.
        let shorter = StateHandle { size: 9_000, ..handle.clone() };
        let e = s.read_task_state_range(CheckpointId(1), &shorter, 0, 10).expect_err("other size");
        assert!(matches!(e, CheckpointError::CorruptState { actual: 10_000, .. }), "{e}");
        let e = s.read_task_state_range(CheckpointId(1), &StateHandle::new("../x", 5), 0, 1).expect_err("escape");
        assert!(matches!(e, CheckpointError::CorruptManifest { .. }), "{e}");
        // The same directory under two names is one location; another directory is not.
        let again = LocalDirStorage::new(dir.path().join(".")).expect("storage");
        let other = LocalDirStorage::new(dir.path().join("other")).expect("storage");
        assert_eq!(s.location(), again.location());
        assert_ne!(s.location(), other.location());
    }

    #[test]
    fn listing_retention_and_savepoints() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = LocalDirStorage::new(dir.path()).expect("storage");
        assert_eq!(latest(&s), None);
        fs::create_dir_all(dir.path().join("not-a-checkpoint")).expect("mkdir");
        fs::create_dir_all(dir.path().join("chk-x")).expect("mkdir");
        for id in 1..=4 {
            checkpoint(&s, id, CheckpointKind::Checkpoint, true);
        }
        checkpoint(&s, 5, CheckpointKind::Savepoint, true);
        checkpoint(&s, 10, CheckpointKind::Checkpoint, true); // ids sort numerically, not as text
        assert_eq!(ids(&s), vec![1, 2, 3, 4, 5, 10]);
        assert_eq!(latest(&s), Some(10));
        // Retention as the coordinator applies it: discard the oldest beyond 2 checkpoints.
        for id in [1, 2, 3, 4] {
            s.delete(CheckpointId(id)).expect("delete");
        }
        s.delete(CheckpointId(4)).expect("delete is idempotent");
        s.delete(CheckpointId(99)).expect("deleting nothing is fine");
        assert_eq!(ids(&s), vec![5, 10]);
        assert!(!s.checkpoint_dir(CheckpointId(1)).exists());
        // A savepoint is never the restore point.
        s.delete(CheckpointId(10)).expect("delete");
        assert_eq!(ids(&s), vec![5]);
        assert_eq!(latest(&s), None);
        assert!(matches!(s.read_manifest(CheckpointId(10)), Err(CheckpointError::NotFound(_))));
    }

    #[test]
    fn a_manifest_from_a_newer_weir_is_an_error_not_a_skip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = LocalDirStorage::new(dir.path()).expect("storage");
        let m = checkpoint(&s, 1, CheckpointKind::Checkpoint, true);
        let json =
            String::from_utf8(m.to_json()).expect("utf-8").replace("\"format_version\": 1", "\"format_version\": 9");
        fs::write(s.checkpoint_dir(m.checkpoint).join(MANIFEST), json).expect("write");
        let e = s.latest_completed().expect_err("newer format");
        assert!(matches!(e, CheckpointError::UnsupportedFormat { version: 9, .. }), "{e}");
    }
}
