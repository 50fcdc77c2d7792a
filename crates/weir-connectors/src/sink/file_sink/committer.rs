//! [`FileCommitter`]: the commit side of the [`FileSink`](super::FileSink) protocol —
//! renames pending part files to their final names, and after a restart deletes the
//! hidden part files no complete checkpoint names. [`PartCommittable`] is what a writer
//! hands it through the checkpoint.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// The partition time of a bucket directory (its path under the output directory, such as
/// `dt=2024-01-01/hr=10`), epoch milliseconds.
pub type PartitionTimeOf = Arc<dyn Fn(&Path) -> Result<i64, String> + Send + Sync>;

/// When a partition — a bucket directory with parts in it — is committed (Flink's
/// `sink.partition-commit.trigger`).
#[derive(Clone)]
pub enum CommitTrigger {
    /// Once processing time is `delay` past the commit that first made parts of the
    /// partition visible (`process-time`).
    ProcessTime {
        /// `sink.partition-commit.delay`.
        delay: Duration,
    },
    /// Once the watermark — the least over the sink's writers, as of the completed
    /// checkpoint — is past the partition's time plus `delay` (`partition-time`).
    PartitionTime {
        /// `sink.partition-commit.delay`.
        delay: Duration,
        /// The partition's time, from its values.
        time_of: PartitionTimeOf,
    },
}

impl std::fmt::Debug for CommitTrigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommitTrigger::ProcessTime { delay } => write!(f, "ProcessTime({delay:?})"),
            CommitTrigger::PartitionTime { delay, .. } => write!(f, "PartitionTime({delay:?})"),
        }
    }
}

/// Flink's `success-file` partition-commit policy: an empty file written into a partition
/// when its trigger fires — and again when later parts are committed into it.
#[derive(Debug, Clone)]
pub struct PartitionCommit {
    /// When.
    pub trigger: CommitTrigger,
    /// The marker's name (`sink.partition-commit.success-file.name`, default `_SUCCESS`).
    pub success_file: String,
}

impl PartitionCommit {
    /// Whether the committer needs the writers' watermarks and ends: for event time, or to
    /// commit what still waits for its delay when the job ends.
    pub(crate) fn needs_progress(&self) -> bool {
        !matches!(self.trigger, CommitTrigger::ProcessTime { delay } if delay.is_zero())
    }

    /// `_SUCCESS` as soon as a commit makes parts of the partition visible.
    pub fn success_file() -> Self {
        PartitionCommit {
            trigger: CommitTrigger::ProcessTime { delay: Duration::ZERO },
            success_file: "_SUCCESS".into(),
        }
    }
}

/// What a writer tells the committer at each checkpoint besides its parts: its watermark,
/// and whether it has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WriterProgress {
    pub(crate) subtask: usize,
    pub(crate) parallelism: usize,
    pub(crate) watermark: i64,
    pub(crate) finished: bool,
}

/// Marks a [`WriterProgress`] among the committables (a part's bincode starts with a path
/// length, never this).
const PROGRESS_MAGIC: &[u8; 8] = b"weir:wm\0";

impl WriterProgress {
    pub(crate) fn to_bytes(self) -> Vec<u8> {
        let mut bytes = PROGRESS_MAGIC.to_vec();
        bytes.extend(bincode::serialize(&self).expect("progress always serializes"));
        bytes
    }

    fn from_bytes(bytes: &[u8]) -> Option<Result<Self, ConnectorError>> {
        let rest = bytes.strip_prefix(PROGRESS_MAGIC)?;
        Some(
            bincode::deserialize(rest)
                .map_err(|e| ConnectorError::Config(format!("a writer's progress does not decode: {e}"))),
        )
    }
}

/// The partitions waiting for their trigger, and the writers' progress.
#[derive(Debug, Default)]
struct CommitState {
    /// Bucket directory → when a commit first made parts in it visible (epoch ms).
    pending: BTreeMap<PathBuf, i64>,
    /// Each writer's largest watermark reported.
    watermarks: BTreeMap<usize, i64>,
    parallelism: usize,
    finished: BTreeSet<usize>,
}

impl CommitState {
    fn record(&mut self, p: WriterProgress) {
        self.parallelism = p.parallelism;
        let w = self.watermarks.entry(p.subtask).or_insert(i64::MIN);
        *w = (*w).max(p.watermark);
        if p.finished {
            self.finished.insert(p.subtask);
        }
    }

    /// The least watermark over all writers (`i64::MIN` until each has reported).
    fn watermark(&self) -> i64 {
        if self.parallelism == 0 || self.watermarks.len() < self.parallelism {
            return i64::MIN;
        }
        self.watermarks.values().copied().min().unwrap_or(i64::MIN)
    }

    /// Takes the partitions whose trigger has fired at `now` (every one once all writers
    /// have ended, as Flink commits everything at the end of a bounded job).
    fn take_due(&mut self, dir: &Path, trigger: &CommitTrigger, now: i64) -> Result<Vec<PathBuf>, ConnectorError> {
        let ended = self.parallelism > 0 && self.finished.len() >= self.parallelism;
        let watermark = self.watermark();
        let mut due = Vec::new();
        for (bucket, seen) in &self.pending {
            let ready = ended
                || match trigger {
                    CommitTrigger::ProcessTime { delay } => now >= seen.saturating_add(delay.as_millis() as i64),
                    CommitTrigger::PartitionTime { delay, time_of } => {
                        let relative = bucket.strip_prefix(dir).unwrap_or(bucket);
                        let time = time_of(relative).map_err(|message| ConnectorError::Layout {
                            path: bucket.clone(),
                            message: format!("has no partition time: {message}"),
                        })?;
                        watermark > time.saturating_add(delay.as_millis() as i64)
                    }
                };
            if ready {
                due.push(bucket.clone());
            }
        }
        for bucket in &due {
            self.pending.remove(bucket);
        }
        Ok(due)
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
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
    partition_commit: Option<PartitionCommit>,
    state: Arc<Mutex<CommitState>>,
}

impl FileCommitter {
    /// The committer of the sink writing parts named `<prefix>-…<suffix>` into `dir`.
    pub fn new(dir: impl Into<PathBuf>, prefix: impl Into<String>, suffix: impl Into<String>) -> Self {
        FileCommitter {
            dir: dir.into(),
            prefix: prefix.into(),
            suffix: suffix.into(),
            partition_commit: None,
            state: Arc::default(),
        }
    }

    /// Also writes an empty `_SUCCESS` into every bucket directory (not the output directory
    /// itself) that a commit puts parts into — again when a commit is repeated, so a crash
    /// between the renames and the marker leaves no committed bucket without it.
    pub fn with_success_file(self) -> Self {
        self.with_partition_commit(PartitionCommit::success_file())
    }

    /// Writes success files into bucket directories as `commit` says.
    pub fn with_partition_commit(mut self, commit: PartitionCommit) -> Self {
        self.partition_commit = Some(commit);
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
        let mut state = self.state.lock().map_err(|_| ConnectorError::Config("the committer was poisoned".into()))?;
        for bytes in committables {
            if let Some(progress) = WriterProgress::from_bytes(bytes) {
                state.record(progress?);
                continue;
            }
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
        if let Some(commit) = &self.partition_commit {
            let now = now_ms();
            for bucket in buckets {
                state.pending.entry(bucket).or_insert(now);
            }
            for bucket in state.take_due(&self.dir, &commit.trigger, now)? {
                let marker = bucket.join(&commit.success_file);
                File::create(&marker)
                    .and_then(|f| f.sync_all())
                    .map_err(|e| ConnectorError::io("create", &marker, e))?;
                renamed_in.insert(bucket);
            }
        }
        renamed_in.iter().try_for_each(|dir| sync_dir(dir))
    }

    /// After a restart: the partitions with visible parts and no success file wait for
    /// their trigger again (what the crashed run's committer had waiting is not in any
    /// checkpoint; the files say it).
    fn find_uncommitted_partitions(
        &self,
        dir: &Path,
        marker: &str,
        out: &mut Vec<PathBuf>,
    ) -> Result<(), ConnectorError> {
        let entries = match fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(ConnectorError::io("list", dir, e)),
        };
        let (mut has_parts, mut has_marker) = (false, false);
        for entry in entries {
            let entry = entry.map_err(|e| ConnectorError::io("list", dir, e))?;
            let name = entry.file_name();
            let path = dir.join(&name);
            if name.to_str() == Some(marker) {
                has_marker = true;
                continue;
            }
            if name.to_str().is_none_or(|n| n.starts_with(['.', '_'])) {
                continue;
            }
            if entry.file_type().map_err(|e| ConnectorError::io("stat", &path, e))?.is_dir() {
                self.find_uncommitted_partitions(&path, marker, out)?;
            } else {
                has_parts = true;
            }
        }
        if has_parts && !has_marker && dir != self.dir {
            out.push(dir.to_path_buf());
        }
        Ok(())
    }

    /// Deletes every hidden part file of this sink in its directory — in progress or
    /// pending — that `committed` does not name.
    ///
    /// # Errors
    /// A committable that does not decode; the file system's failures.
    pub fn recover_parts(&self, committed: &[Vec<u8>]) -> Result<(), ConnectorError> {
        let mut keep = HashSet::new();
        for bytes in committed.iter().filter(|b| WriterProgress::from_bytes(b).is_none()) {
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
        self.recover_parts(committed)?;
        if let Some(commit) = &self.partition_commit {
            let mut waiting = Vec::new();
            self.find_uncommitted_partitions(&self.dir, &commit.success_file, &mut waiting)?;
            let now = now_ms();
            let mut state = self.state.lock().map_err(|_| "the committer was poisoned")?;
            for bucket in waiting {
                state.pending.entry(bucket).or_insert(now);
            }
        }
        Ok(())
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
