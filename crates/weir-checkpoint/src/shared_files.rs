//! State files outside a task's state file, and when a shared one may be deleted.
//!
//! A task state may refer to files by a path relative to the storage's root (Flink keeps
//! the same split between `chk-N/` and `shared/`):
//!
//! ```text
//! chk-7/v1-0.o0.e0.kg12      owned by checkpoint 7: deleted with it
//! shared/c7-v1-0.o0.e0.kg12  shared: checkpoint 7 wrote it, 8 and 9 may refer to it too
//! ```
//!
//! # Which shared files are deleted
//!
//! The references are never counted in memory: a manifest lists the shared files each
//! task's state refers to ([`StateHandle::shared`](crate::StateHandle::shared)), so the
//! set of files in use is read from the retained manifests whenever it is needed.
//!
//! 1. When a completed checkpoint is discarded (subsumed beyond the retained count), the
//!    shared files its manifest lists are the candidates; first the checkpoint is deleted
//!    (manifest first), then each candidate that no remaining manifest lists and no
//!    checkpoint still being written refers to is deleted ([`discard_unreferenced`]).
//! 2. A file written for a checkpoint that never completes is listed by no manifest: the
//!    runtime deletes it when it hears of the abort, and whatever a crash leaves behind is
//!    deleted when the next job starts on the same storage ([`discard_orphans`]) — before
//!    it writes any checkpoint, so nothing in flight can be mistaken for an orphan.
//!
//! Invariant: a shared file listed by a completed checkpoint's manifest is deleted only
//! after that manifest is gone. A crash at any moment therefore leaves every completed
//! checkpoint whole; at worst it leaves unreferenced files, removed by step 2.

use std::collections::BTreeSet;

use crate::storage::checkpoint_of_dir;
use crate::{CheckpointError, CheckpointId, CheckpointStorage};

/// The directory of files later checkpoints may refer to.
pub const SHARED_DIR: &str = "shared";

/// Where a state file lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateFileArea<'a> {
    /// `shared/NAME`.
    Shared(&'a str),
    /// `chk-<id>/NAME`: owned by checkpoint `id`.
    Checkpoint(CheckpointId, &'a str),
}

/// `path` split into its area and file name, refusing anything else (a path read from
/// storage must never point outside it).
///
/// # Errors
/// [`CheckpointError::BadStatePath`] for any other shape.
///
/// # Example
/// ```
/// use weir_checkpoint::shared_files::{parse_path, StateFileArea};
/// use weir_checkpoint::CheckpointId;
/// assert_eq!(parse_path("shared/a").unwrap(), StateFileArea::Shared("a"));
/// assert_eq!(parse_path("chk-7/b").unwrap(), StateFileArea::Checkpoint(CheckpointId(7), "b"));
/// assert!(parse_path("../etc/passwd").is_err());
/// ```
pub fn parse_path(path: &str) -> Result<StateFileArea<'_>, CheckpointError> {
    let bad = || CheckpointError::BadStatePath { path: path.to_string() };
    let (dir, name) = path.split_once('/').ok_or_else(bad)?;
    let plain =
        !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != ".." && !name.starts_with('_');
    if !plain {
        return Err(bad());
    }
    if dir == SHARED_DIR {
        return Ok(StateFileArea::Shared(name));
    }
    checkpoint_of_dir(dir).map(|id| StateFileArea::Checkpoint(id, name)).ok_or_else(bad)
}

/// The shared file `name`: `shared/<name>`.
pub fn shared_path(name: &str) -> String {
    format!("{SHARED_DIR}/{name}")
}

/// The file `name` owned by `checkpoint`: `chk-<id>/<name>`.
pub fn checkpoint_path(checkpoint: CheckpointId, name: &str) -> String {
    format!("chk-{}/{name}", checkpoint.0)
}

/// Every shared file some completed checkpoint or savepoint in `storage` lists.
///
/// # Errors
/// Listing or reading a manifest failed.
pub fn referenced(storage: &dyn CheckpointStorage) -> Result<BTreeSet<String>, CheckpointError> {
    let mut files = BTreeSet::new();
    for stored in storage.list_completed()? {
        match storage.read_manifest(stored.id) {
            Ok(m) => files.extend(m.tasks.into_iter().flat_map(|t| t.state.shared)),
            // Deleted since it was listed: it protects nothing any more.
            Err(CheckpointError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(files)
}

/// Deletes those `candidates` that no completed checkpoint lists and that are not in
/// `in_use` (referred to by checkpoints still being written); returns how many.
///
/// # Errors
/// Reading the manifests or deleting failed; nothing referenced is ever deleted.
pub fn discard_unreferenced(
    storage: &dyn CheckpointStorage,
    candidates: impl IntoIterator<Item = String>,
    in_use: &BTreeSet<String>,
) -> Result<usize, CheckpointError> {
    let candidates: BTreeSet<String> = candidates.into_iter().filter(|c| !in_use.contains(c)).collect();
    if candidates.is_empty() {
        return Ok(0);
    }
    let referenced = referenced(storage)?;
    let mut deleted = 0;
    for file in candidates.difference(&referenced) {
        storage.delete_file(file)?;
        deleted += 1;
    }
    Ok(deleted)
}

/// Deletes every shared file no completed checkpoint lists: what a crash left behind.
/// Call it only while no checkpoint is being written to `storage`.
///
/// # Errors
/// Listing, reading the manifests or deleting failed.
pub fn discard_orphans(storage: &dyn CheckpointStorage) -> Result<usize, CheckpointError> {
    let files = storage.list_shared()?;
    discard_unreferenced(storage, files, &BTreeSet::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckpointBarrier, CheckpointMode, LocalDirStorage, Manifest, TaskId, TaskSnapshot};

    #[test]
    fn paths() {
        let cases: Vec<(&str, Option<StateFileArea>)> = vec![
            ("shared/c1-v0-0.kg3", Some(StateFileArea::Shared("c1-v0-0.kg3"))),
            ("chk-12/x", Some(StateFileArea::Checkpoint(CheckpointId(12), "x"))),
            ("shared/", None),
            ("shared/a/b", None),
            ("shared/..", None),
            ("shared/_metadata", None),
            ("chk-x/a", None),
            ("other/a", None),
            ("a", None),
            ("/etc/passwd", None),
        ];
        for (path, want) in cases {
            assert_eq!(parse_path(path).ok(), want, "{path}");
        }
    }

    /// Commits checkpoint `id` whose one task refers to `shared`.
    fn commit(s: &LocalDirStorage, id: u64, shared: &[&str]) {
        let b = CheckpointBarrier::new(CheckpointId(id), id, CheckpointMode::AlignedExactlyOnce);
        let task = TaskId::new(0, 0);
        let mut state = s.write_task_state(b.id, task, b"x").unwrap();
        state.shared = shared.iter().map(|f| shared_path(f)).collect();
        s.write_manifest(&Manifest::new(&b, vec![TaskSnapshot { task, state }])).unwrap();
    }

    fn write(s: &LocalDirStorage, name: &str) {
        s.write_file(&shared_path(name), &mut |out| out.write_all(name.as_bytes())).unwrap();
    }

    fn left(s: &LocalDirStorage) -> Vec<String> {
        let mut files = s.list_shared().unwrap();
        files.sort();
        files
    }

    #[test]
    fn only_files_no_retained_checkpoint_lists_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalDirStorage::new(dir.path()).unwrap();
        for f in ["a", "b", "c", "d", "orphan"] {
            write(&s, f);
        }
        commit(&s, 1, &["a", "b"]);
        commit(&s, 2, &["a", "c"]); // reuses a, b replaced by c
                                    // Checkpoint 3 is being written: it refers to c and to a new file d.
        let in_use: BTreeSet<String> = [shared_path("c"), shared_path("d")].into();
        // Checkpoint 1 is subsumed: delete it, then its files nobody else needs.
        let candidates = s.read_manifest(CheckpointId(1)).unwrap().tasks[0].state.shared.clone();
        s.delete(CheckpointId(1)).unwrap();
        assert_eq!(discard_unreferenced(&s, candidates, &in_use).unwrap(), 1);
        assert_eq!(left(&s), ["shared/a", "shared/c", "shared/d", "shared/orphan"]);
        // A crash happened; on start the orphans go, every referenced file stays.
        assert_eq!(discard_orphans(&s).unwrap(), 2);
        assert_eq!(left(&s), ["shared/a", "shared/c"]);
        assert_eq!(s.read_file("shared/a", 1).unwrap(), b"a");
        // A crash between deleting a manifest and its files: the files are orphans.
        s.delete(CheckpointId(2)).unwrap();
        assert_eq!(discard_orphans(&s).unwrap(), 2);
        assert!(left(&s).is_empty());
    }

    #[test]
    fn state_files_round_trip_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let s = LocalDirStorage::new(dir.path()).unwrap();
        let own = checkpoint_path(CheckpointId(4), "chunk");
        let size = s.write_file(&own, &mut |out| out.write_all(b"12345")).unwrap();
        assert_eq!(size, 5);
        assert_eq!(s.read_file(&own, 5).unwrap(), b"12345");
        assert!(matches!(s.read_file(&own, 4), Err(CheckpointError::CorruptState { .. })));
        assert!(matches!(s.read_file("../chunk", 5), Err(CheckpointError::BadStatePath { .. })));
        s.delete(CheckpointId(4)).unwrap();
        assert!(s.read_file(&own, 5).is_err(), "a checkpoint's own files go with it");
        s.delete_file(&own).unwrap();
        let failed = s.write_file("shared/f", &mut |_| Err(std::io::Error::other("serializer failed")));
        assert!(failed.unwrap_err().to_string().contains("serializer failed"));
    }
}
