//! [`FileSink`]: exactly-once part files through two-phase commit (Flink's
//! `FileSink.forRowFormat` / `forBulkFormat` with `OnCheckpointRollingPolicy`).
//!
//! | file | what lives there |
//! |---|---|
//! | [`part_name`] | [`PartName`]: in-progress, pending and final names; the per-run id |
//! | [`writer`] | [`FileSinkWriter`]: encodes, rolls, pre-commits |
//! | [`committer`] | [`FileCommitter`], [`PartCommittable`]: commits and recovers |
//! | [`encoder`] | [`Encoder`], [`JsonLinesEncoder`], [`TextEncoder`] |
//! | [`part_format`] | [`PartFormat`]: row encoders and bulk formats (a header, blocks, a footer) |
//! | [`csv`] | [`CsvEncoder`] |
//!
//! # The on-disk protocol
//! 1. Each writer takes a fresh run id (time, process id, random bits) and, at its first
//!    record, creates `DIR/.part-<run>-<subtask>-<n><suffix>.inprogress` — created new,
//!    never over an existing file.
//! 2. It **rolls** the part when it reaches the maximum size, at every checkpoint barrier
//!    ([`prepare_commit`](weir_runtime::SinkWriter::prepare_commit)) and at the end of
//!    input (`prepare_commit(CheckpointId::FINAL)`): finishes the part (a bulk format
//!    writes what it holds and its footer), writes out, fsyncs the file, renames
//!    it to `DIR/.part-…<suffix>.pending`. The next record opens part `n + 1`.
//! 3. `prepare_commit` fsyncs the directory, then returns one [`PartCommittable`]
//!    (bincode `{pending, final}`) per part rolled since the last call, plus those it
//!    returned before whose pending file still exists (their checkpoint was aborted, or
//!    is not committed yet). The job stores them in the checkpoint.
//! 4. When the checkpoint is complete (or, without checkpointing, when the job has
//!    finished), the [`FileCommitter`] renames each pending file to its final, visible
//!    name `DIR/part-<run>-<subtask>-<n><suffix>` and fsyncs the directory. A committable
//!    whose pending file is gone and whose final file exists was committed already:
//!    committing is idempotent.
//! 5. After a failure the job restores checkpoint *C*, commits *C*'s committables again
//!    (step 4), then [`recover`](weir_runtime::Committer::recover)s: it deletes every
//!    hidden in-progress or pending part file of this sink in `DIR` that *C* does not
//!    name, before any writer starts.
//!
//! **Invariant**: a part file becomes visible only by the rename of a durable pending file
//! that a complete checkpoint (or a finished job) names; every record written after that
//! checkpoint sits in a hidden file that step 5 deletes, while the restored sources
//! replay it into a file with a new name. So the visible files hold exactly the records
//! the restored state has produced: nothing lost, nothing twice.
//!
//! Parts roll at every checkpoint because a closed file is the only kind this sink can
//! commit (Flink's row formats can also resume an in-progress file; this sink cannot).
//!
//! The output directory belongs to one sink: recovery deletes every hidden part file in
//! it with the sink's prefix and suffix. Restoring an older checkpoint than the latest
//! committed one leaves the newer files visible, as in Flink.

pub mod committer;
pub mod csv;
pub mod encoder;
pub mod part_format;
pub mod part_name;
pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use weir_runtime::{BoxError, Committer, Sink, SubtaskInfo};

pub use committer::{CommitTrigger, FileCommitter, PartCommittable, PartitionCommit, PartitionTimeOf};
pub use csv::CsvEncoder;
pub use encoder::{Encoder, JsonLinesEncoder, TextEncoder};
pub use part_format::PartFormat;
pub use part_name::PartName;
pub use writer::FileSinkWriter;

use crate::error::ConnectorError;
use writer::PartLayout;

/// Flink's `DefaultRollingPolicy` part size: 128 MiB.
pub const DEFAULT_MAX_PART_SIZE: u64 = 128 << 20;

/// Writes records as rows into part files in a directory, exactly once: a part becomes
/// visible when the checkpoint that closed it completes (see the [module](self) for the
/// protocol).
///
/// # Example
/// ```
/// use weir_connectors::sink::FileSink;
/// use weir_core::{CheckpointId, StreamRecord};
/// use weir_runtime::{Sink, SinkWriter, SubtaskInfo};
/// let dir = tempfile::tempdir().unwrap();
/// let sink = FileSink::csv(dir.path());
/// let mut writer = Sink::<(i64, &str)>::create_writer(&sink, &SubtaskInfo::single("out")).unwrap();
/// writer.write(&mut vec![StreamRecord::new((1, "a,b"))]).unwrap();
/// let committables = writer.prepare_commit(CheckpointId(1)).unwrap();
/// assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1); // hidden, pending
/// let committer = Sink::<(i64, &str)>::create_committer(&sink).unwrap().unwrap();
/// committer.commit(&committables).unwrap();
/// let part = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
/// assert!(part.file_name().unwrap().to_str().unwrap().starts_with("part-"));
/// assert_eq!(std::fs::read_to_string(part).unwrap(), "1,\"a,b\"\n");
/// ```
#[derive(Debug)]
pub struct FileSink<E> {
    dir: PathBuf,
    encoder: Arc<E>,
    prefix: String,
    suffix: Option<String>,
    max_part_size: u64,
    rollover_interval: Option<Duration>,
    partition_commit: Option<PartitionCommit>,
}

impl<E> Clone for FileSink<E> {
    fn clone(&self) -> Self {
        FileSink {
            dir: self.dir.clone(),
            encoder: self.encoder.clone(),
            prefix: self.prefix.clone(),
            suffix: self.suffix.clone(),
            max_part_size: self.max_part_size,
            rollover_interval: self.rollover_interval,
            partition_commit: self.partition_commit.clone(),
        }
    }
}

impl FileSink<JsonLinesEncoder> {
    /// Each record as a JSON line, into `dir/part-….jsonl`.
    pub fn json_lines(dir: impl Into<PathBuf>) -> Self {
        Self::for_row_format(dir, JsonLinesEncoder)
    }
}

impl FileSink<CsvEncoder> {
    /// Each record as a CSV row with Flink's defaults, into `dir/part-….csv`; for other
    /// options, [`for_row_format`](FileSink::for_row_format) with a [`CsvEncoder`].
    pub fn csv(dir: impl Into<PathBuf>) -> Self {
        Self::for_row_format(dir, CsvEncoder::new())
    }
}

impl FileSink<TextEncoder> {
    /// Each record's `Display` text as a line, into `dir/part-….txt`.
    pub fn text(dir: impl Into<PathBuf>) -> Self {
        Self::for_row_format(dir, TextEncoder)
    }
}

impl<E> FileSink<E> {
    /// Files made by a bulk `format` ([`PartFormat`]: a header, blocks, a footer), into part
    /// files in `dir` (created if missing). Parts roll at every checkpoint, as Flink's bulk
    /// formats do, and also on size and age when those are set.
    pub fn for_bulk_format(dir: impl Into<PathBuf>, format: E) -> Self {
        Self::for_row_format(dir, format)
    }

    /// Rows made by `encoder`, into part files in `dir` (created if missing).
    pub fn for_row_format(dir: impl Into<PathBuf>, encoder: E) -> Self {
        FileSink {
            dir: dir.into(),
            encoder: Arc::new(encoder),
            prefix: "part".into(),
            suffix: None,
            max_part_size: DEFAULT_MAX_PART_SIZE,
            rollover_interval: None,
            partition_commit: None,
        }
    }

    /// Rolls a part at its first write after it has been open for `interval` (Flink's
    /// `rollover-interval`; a part open longer without writes rolls at the next checkpoint,
    /// as every part does).
    pub fn with_rollover_interval(mut self, interval: Duration) -> Self {
        self.rollover_interval = Some(interval);
        self
    }

    /// Writes an empty `_SUCCESS` file into each bucket directory when the committer commits
    /// parts into it (Flink's `success-file` partition-commit policy, process-time trigger,
    /// no delay).
    pub fn with_success_file(self) -> Self {
        self.with_partition_commit(PartitionCommit::success_file())
    }

    /// Writes success files into bucket directories as `commit` says (Flink's partition
    /// commit: a trigger, a delay, the marker's name).
    pub fn with_partition_commit(mut self, commit: PartitionCommit) -> Self {
        self.partition_commit = Some(commit);
        self
    }

    /// Rolls a part once it holds `bytes` (it may exceed them by one record); parts also
    /// roll at every checkpoint.
    pub fn with_max_part_size(mut self, bytes: u64) -> Self {
        self.max_part_size = bytes;
        self
    }

    /// Names parts `<prefix>-…` instead of `part-…` (Flink's `OutputFileConfig`).
    pub fn with_part_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Ends part names with `suffix` instead of the format's (`""` for none).
    pub fn with_part_suffix(mut self, suffix: impl Into<String>) -> Self {
        self.suffix = Some(suffix.into());
        self
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Checks the configuration and makes the directory: absolute, UTF-8, existing.
    fn layout<T>(&self) -> Result<PartLayout, ConnectorError>
    where
        E: PartFormat<T>,
    {
        let suffix = self.suffix.clone().unwrap_or_else(|| self.encoder.default_suffix().to_string());
        let bad_char = |s: &str| s.contains(['/', '\\', '\0']);
        if self.prefix.is_empty() || self.prefix.starts_with('.') || bad_char(&self.prefix) {
            return Err(ConnectorError::Config(format!(
                "part prefix {:?}: it must be non-empty, not start with '.', and hold no path separator",
                self.prefix
            )));
        }
        if bad_char(&suffix) {
            return Err(ConnectorError::Config(format!("part suffix {suffix:?}: it must hold no path separator")));
        }
        let dir = resolve_dir(&self.dir)?;
        Ok(PartLayout {
            dir,
            prefix: self.prefix.clone(),
            suffix,
            max_part_size: self.max_part_size,
            rollover_interval: self.rollover_interval,
        })
    }
}

/// `dir` made absolute (committables outlive the working directory), checked to be UTF-8
/// (committables name it as text) and created if missing.
fn resolve_dir(dir: &Path) -> Result<PathBuf, ConnectorError> {
    if dir.as_os_str().is_empty() {
        return Err(ConnectorError::Config("the file sink's output directory is an empty path".into()));
    }
    let absolute = std::path::absolute(dir).map_err(|e| ConnectorError::io("resolve", dir, e))?;
    if absolute.to_str().is_none() {
        return Err(ConnectorError::Layout {
            path: absolute,
            message: "the file sink's output directory must be valid UTF-8 (checkpoints name its files as text)".into(),
        });
    }
    if absolute.exists() && !absolute.is_dir() {
        return Err(ConnectorError::Layout {
            path: absolute,
            message: "the sink's output path exists and is not a directory".into(),
        });
    }
    std::fs::create_dir_all(&absolute).map_err(|e| ConnectorError::io("create directory", &absolute, e))?;
    Ok(absolute)
}

impl<T: Send + 'static, E: PartFormat<T>> Sink<T> for FileSink<E> {
    type Writer = FileSinkWriter<T, E>;

    fn create_writer(&self, subtask: &SubtaskInfo) -> Result<Self::Writer, BoxError> {
        let layout = Arc::new(self.layout::<T>()?);
        let writer = FileSinkWriter::new(self.encoder.clone(), layout, subtask.index);
        Ok(match &self.partition_commit {
            Some(commit) if commit.needs_progress() => writer.reporting_progress(subtask.parallelism),
            _ => writer,
        })
    }

    fn create_committer(&self) -> Result<Option<Box<dyn Committer>>, BoxError> {
        let layout = self.layout::<T>()?;
        let committer = FileCommitter::new(layout.dir, layout.prefix, layout.suffix);
        Ok(Some(Box::new(match &self.partition_commit {
            Some(commit) => committer.with_partition_commit(commit.clone()),
            None => committer,
        })))
    }
}
