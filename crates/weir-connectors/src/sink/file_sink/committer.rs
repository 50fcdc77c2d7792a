//! [`FileCommitter`]: the commit side of the [`FileSink`](super::FileSink) protocol —
//! renames pending part files to their final names, and after a restart deletes the
//! hidden part files no complete checkpoint names. [`PartCommittable`] is what a writer
//! hands it through the checkpoint.

use std::collections::{BTreeSet, HashSet};
use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use weir_runtime::{BoxError, Committer};

use super::part_name::hidden_state;
use crate::error::ConnectorError;

/// One pending part file and the name it becomes visible under: a committable of the
/// [`FileSink`](super::FileSink), stored in checkpoints as bincode.
///
/// ```
/// use weir_connectors::sink::PartCommittable;
/// let c = PartCommittable { pending: "/out/.part-r-0-0.csv.pending".into(), final_path: "/out/part-r-0-0.csv".into() };
/// assert_eq!(PartCommittable::from_bytes(&c.to_bytes().unwrap()).unwrap(), c);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartCommittable {
    /// The closed, durable, hidden file.
    pub pending: PathBuf,
    /// Its visible name once committed: in the same directory, `pending`'s name without
    /// the leading `.` and the trailing `.pending`.
    pub final_path: PathBuf,
}

impl PartCommittable {
    /// The committable's bytes.
    ///
    /// # Errors
    /// [`ConnectorError::Layout`] when a path is not UTF-8.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ConnectorError> {
        bincode::serialize(self).map_err(|e| ConnectorError::Layout {
            path: self.pending.clone(),
            message: format!("cannot be named in a checkpoint: {e}"),
        })
    }

    /// Reads a committable back.
    ///
    /// # Errors
    /// [`ConnectorError::Config`] when `bytes` are not a file sink's committable, and
    /// [`ConnectorError::Layout`] when its two paths do not belong together (a pending file
    /// is only ever renamed to its own final name).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ConnectorError> {
        let committable: PartCommittable = bincode::deserialize(bytes).map_err(|e| {
            ConnectorError::Config(format!("a committable does not decode as a file sink's part file: {e}"))
        })?;
        committable.check()?;
        Ok(committable)
    }

    fn check(&self) -> Result<(), ConnectorError> {
        let final_name = self.final_path.file_name().filter(|n| !n.is_empty());
        let expected = final_name.map(|n| {
            let mut hidden = OsString::from(".");
            hidden.push(n);
            hidden.push(".pending");
            self.final_path.with_file_name(hidden)
        });
        if expected.as_deref() == Some(self.pending.as_path()) {
            return Ok(());
        }
        Err(ConnectorError::Layout {
            path: self.pending.clone(),
            message: format!(
                "is not the pending part file of {}; a committable names `DIR/.NAME.pending` and `DIR/NAME`",
                self.final_path.display()
            ),
        })
    }
}

/// Makes the renames (and deletions) in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), ConnectorError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| ConnectorError::io("sync directory", dir, e))
}

/// Commits and recovers a [`FileSink`](super::FileSink)'s part files in one directory.
///
/// ```
/// use weir_connectors::sink::{FileCommitter, PartCommittable};
/// use weir_runtime::Committer;
/// let dir = tempfile::tempdir().unwrap();
/// let pending = dir.path().join(".part-r-0-0.txt.pending");
/// std::fs::write(&pending, "a\n").unwrap();
/// let c = PartCommittable { pending, final_path: dir.path().join("part-r-0-0.txt") };
/// let committer = FileCommitter::new(dir.path(), "part", ".txt");
/// committer.commit(&[c.to_bytes().unwrap()]).unwrap();
/// committer.commit(&[c.to_bytes().unwrap()]).unwrap(); // again: nothing to do
/// assert_eq!(std::fs::read_to_string(dir.path().join("part-r-0-0.txt")).unwrap(), "a\n");
/// ```
#[derive(Debug, Clone)]
pub struct FileCommitter {
    dir: PathBuf,
    prefix: String,
    suffix: String,
    success_file: bool,
}

impl FileCommitter {
    /// The committer of the sink writing parts named `<prefix>-…<suffix>` into `dir`.
    pub fn new(dir: impl Into<PathBuf>, prefix: impl Into<String>, suffix: impl Into<String>) -> Self {
        FileCommitter { dir: dir.into(), prefix: prefix.into(), suffix: suffix.into(), success_file: false }
    }

    /// Also writes an empty `_SUCCESS` into every bucket directory (not the output directory
    /// itself) that a commit puts parts into — again when a commit is repeated, so a crash
    /// between the renames and the marker leaves no committed bucket without it.
    pub fn with_success_file(mut self) -> Self {
        self.success_file = true;
        self
    }

    /// Renames each pending file to its final name; one whose pending file is gone and
    /// whose final file exists was committed before. Then syncs the directories.
    ///
    /// # Errors
    /// A committable that does not decode, or whose files are both missing (its output
    /// was deleted); the file system's failures.
    pub fn commit_parts(&self, committables: &[Vec<u8>]) -> Result<(), ConnectorError> {
        let mut renamed_in = BTreeSet::new();
        let mut buckets = BTreeSet::new();
        for bytes in committables {
            let c = PartCommittable::from_bytes(bytes)?;
            if let Some(parent) = c.final_path.parent().filter(|p| *p != self.dir) {
                buckets.insert(parent.to_path_buf());
            }
            match fs::rename(&c.pending, &c.final_path) {
                Ok(()) => {
                    renamed_in.insert(c.final_path.parent().unwrap_or(Path::new(".")).to_path_buf());
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    if fs::symlink_metadata(&c.final_path).is_err() {
                        return Err(ConnectorError::Layout {
                            path: c.pending,
                            message: format!(
                                "cannot be committed: neither it nor its final name {} exists (deleted before its commit?)",
                                c.final_path.display()
                            ),
                        });
                    }
                }
                Err(e) => return Err(ConnectorError::io("rename", &c.pending, e)),
            }
        }
        if self.success_file {
            for bucket in &buckets {
                let marker = bucket.join("_SUCCESS");
                File::create(&marker)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| ConnectorError::io("create", &marker, e))?;
                renamed_in.insert(bucket.clone());
            }
        }
        renamed_in.iter().try_for_each(|dir| sync_dir(dir))
    }

    /// Deletes every hidden part file of this sink in its directory — in progress or
    /// pending — that `committed` does not name.
    ///
    /// # Errors
    /// A committable that does not decode; the file system's failures.
    pub fn recover_parts(&self, committed: &[Vec<u8>]) -> Result<(), ConnectorError> {
        let mut keep = HashSet::new();
        for bytes in committed {
            if let Some(name) = PartCommittable::from_bytes(bytes)?.pending.file_name() {
                keep.insert(name.to_os_string());
            }
        }
        self.delete_uncommitted(&self.dir, &keep)
    }

    /// Deletes this sink's hidden part files in `dir` and its visible subdirectories (the
    /// buckets) that `keep` does not name.
    fn delete_uncommitted(&self, dir: &Path, keep: &HashSet<OsString>) -> Result<(), ConnectorError> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(ConnectorError::io("list", dir, e)),
        };
        let mut deleted = false;
        for entry in entries {
            let entry = entry.map_err(|e| ConnectorError::io("list", dir, e))?;
            let name = entry.file_name();
            let path = dir.join(&name);
            let visible = name.to_str().is_some_and(|n| !n.starts_with(['.', '_']));
            if visible && entry.file_type().map_err(|e| ConnectorError::io("stat", &path, e))?.is_dir() {
                self.delete_uncommitted(&path, keep)?;
                continue;
            }
            let ours = name.to_str().is_some_and(|n| hidden_state(n, &self.prefix, &self.suffix).is_some());
            if !ours || keep.contains(&name) {
                continue;
            }
            match fs::remove_file(&path) {
                Ok(()) => deleted = true,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(ConnectorError::io("delete", &path, e)),
            }
        }
        if deleted {
            sync_dir(dir)?;
        }
        Ok(())
    }
}

impl Committer for FileCommitter {
    fn commit(&self, committables: &[Vec<u8>]) -> Result<(), BoxError> {
        Ok(self.commit_parts(committables)?)
    }

    fn recover(&self, committed: &[Vec<u8>]) -> Result<(), BoxError> {
        Ok(self.recover_parts(committed)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committables_must_pair_a_pending_file_with_its_final_name() {
        let ok = |pending: &str, final_path: &str| {
            PartCommittable { pending: pending.into(), final_path: final_path.into() }.check().is_ok()
        };
        assert!(ok("/o/.p-r-0-0.csv.pending", "/o/p-r-0-0.csv"));
        assert!(ok(".p-r-0-0.pending", "p-r-0-0"));
        assert!(!ok("/o/.p-r-0-0.csv.pending", "/x/p-r-0-0.csv"), "another directory");
        assert!(!ok("/o/.p-r-0-0.csv.inprogress", "/o/p-r-0-0.csv"), "not pending");
        assert!(!ok("/o/secret", "/o/p-r-0-0.csv"), "any file");
        assert!(!ok("/..pending", "/"), "no final name");
    }

    #[test]
    fn garbage_does_not_decode() {
        let err = PartCommittable::from_bytes(b"\x01\x02").unwrap_err();
        assert!(err.to_string().contains("does not decode"), "{err}");
    }
}
