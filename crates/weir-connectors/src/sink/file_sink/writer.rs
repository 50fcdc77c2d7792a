//! [`FileSinkWriter`]: the write side of the [`FileSink`](super::FileSink) protocol for one
//! subtask — encodes records into an in-progress part file per bucket (subdirectory), rolls
//! it to pending (finishing it, for bulk formats) on size, on age and at every checkpoint,
//! and hands the pending files out as committables.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir_core::{CheckpointId, StreamRecord, Watermark};
use weir_runtime::{BoxError, SinkWriter};

use super::committer::{sync_dir, PartCommittable, WriterProgress};
use super::part_format::PartFormat;
use super::part_name::{new_run_id, PartName};
use crate::error::ConnectorError;

/// Buffered bytes that trigger a write to the file.
const WRITE_CHUNK_BYTES: usize = 1 << 20;

/// Where and how a writer names its part files.
#[derive(Debug, Clone)]
pub(crate) struct PartLayout {
    /// The output directory, absolute, UTF-8, existing.
    pub(crate) dir: PathBuf,
    pub(crate) prefix: String,
    pub(crate) suffix: String,
    pub(crate) max_part_size: u64,
    /// A part older than this rolls at its next write (Flink's `rollover-interval`).
    pub(crate) rollover_interval: Option<Duration>,
}

/// The part file being written, with its format's state `S`.
#[derive(Debug)]
struct InProgress<S> {
    name: PartName,
    /// The directory of the part: the output directory or a bucket under it.
    dir: PathBuf,
    path: PathBuf,
    file: File,
    /// Bytes encoded and not yet written to the file.
    buf: Vec<u8>,
    /// Bytes in the part, written or buffered.
    size: u64,
    opened: Instant,
    /// The format's state; taken when the part finishes.
    state: Option<S>,
}

/// One subtask's writer of a [`FileSink`](super::FileSink).
///
/// # Contract
/// Nothing it writes is visible until its committer commits the committables
/// [`prepare_commit`](SinkWriter::prepare_commit) returned; `flush` only makes data
/// durable. After `prepare_commit(CheckpointId::FINAL)` it takes no more records.
#[derive(Debug)]
pub struct FileSinkWriter<T, E: PartFormat<T>> {
    encoder: Arc<E>,
    layout: Arc<PartLayout>,
    run: String,
    subtask: usize,
    next_counter: u64,
    /// The open part of each bucket.
    parts: BTreeMap<String, InProgress<E::Part>>,
    /// Parts rolled to pending since the last `prepare_commit`.
    closed: Vec<PartCommittable>,
    /// Parts handed out as committables and not seen committed yet: offered again at
    /// every checkpoint until their pending file is gone, so that a part of an aborted
    /// checkpoint is committed with a later one.
    outstanding: Vec<PartCommittable>,
    /// Directories with a rename since they were last synced.
    renamed: BTreeSet<PathBuf>,
    finished: bool,
    /// With partition commits: the job's parallelism, for the progress handed to the
    /// committer at every checkpoint.
    reports_to: Option<usize>,
    watermark: i64,
    _records: PhantomData<fn(T)>,
}

impl<T, E: PartFormat<T>> FileSinkWriter<T, E> {
    pub(crate) fn new(encoder: Arc<E>, layout: Arc<PartLayout>, subtask: usize) -> Self {
        FileSinkWriter {
            encoder,
            layout,
            run: new_run_id(),
            subtask,
            next_counter: 0,
            parts: BTreeMap::new(),
            closed: Vec::new(),
            outstanding: Vec::new(),
            renamed: BTreeSet::new(),
            finished: false,
            reports_to: None,
            watermark: i64::MIN,
            _records: PhantomData,
        }
    }

    /// Hands the committer this writer's watermark with its parts at every checkpoint (for
    /// partition commits); `parallelism` is the number of writers.
    pub(crate) fn reporting_progress(mut self, parallelism: usize) -> Self {
        self.reports_to = Some(parallelism);
        self
    }

    /// This writer's run id, part of every file name it makes.
    pub fn run_id(&self) -> &str {
        &self.run
    }

    /// The in-progress file, if a part is open (the first bucket's when there are several).
    pub fn in_progress_path(&self) -> Option<&Path> {
        self.parts.values().next().map(|p| p.path.as_path())
    }

    /// The directory of `bucket`, checked to stay under the output directory.
    fn bucket_dir(&self, bucket: &str) -> Result<PathBuf, ConnectorError> {
        if bucket.is_empty() {
            return Ok(self.layout.dir.clone());
        }
        let escapes = bucket.split('/').any(|p| p.is_empty() || p == "." || p == ".." || p.starts_with(['.', '_']));
        if escapes || bucket.contains(['\\', '\0']) {
            return Err(ConnectorError::Config(format!(
                "{}: bucket {bucket:?} must be a relative path of visible names (no '.', '..', empty, hidden parts)",
                self.layout.dir.display()
            )));
        }
        Ok(self.layout.dir.join(bucket))
    }

    fn open_part(&mut self, bucket: &str) -> Result<&mut InProgress<E::Part>, BoxError> {
        if !self.parts.contains_key(bucket) {
            let dir = self.bucket_dir(bucket)?;
            if !bucket.is_empty() {
                std::fs::create_dir_all(&dir).map_err(|e| ConnectorError::io("create directory", &dir, e))?;
            }
            let layout = &self.layout;
            let name = PartName::new(&layout.prefix, &self.run, self.subtask, self.next_counter, &layout.suffix);
            let path = dir.join(name.in_progress());
            // create_new: a name is never reused, so never overwrite what an earlier run left.
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| ConnectorError::io("create", &path, e))?;
            self.next_counter += 1;
            let mut buf = Vec::new();
            let state = self.encoder.open(&mut buf).map_err(|e| self.encode_error(bucket, e))?;
            let size = buf.len() as u64;
            let part = InProgress { name, dir, path, file, buf, size, opened: Instant::now(), state: Some(state) };
            self.parts.insert(bucket.to_string(), part);
        }
        Ok(self.parts.get_mut(bucket).expect("opened just above"))
    }

    fn write_out(part: &mut InProgress<E::Part>) -> Result<(), ConnectorError> {
        part.file.write_all(&part.buf).map_err(|e| ConnectorError::io("write", &part.path, e))?;
        part.buf.clear();
        Ok(())
    }

    fn encode_error(&self, bucket: &str, e: BoxError) -> ConnectorError {
        let path = self.parts.get(bucket).map(|p| p.path.as_path()).unwrap_or(&self.layout.dir);
        let format = self.encoder.format_name();
        ConnectorError::Config(format!("{}: cannot write a record in {format}: {e}", path.display()))
    }

    /// Finishes the in-progress part of `bucket`, closes it durably, and renames it to pending.
    fn roll(&mut self, bucket: &str) -> Result<(), BoxError> {
        let Some(mut part) = self.parts.remove(bucket) else { return Ok(()) };
        let state = part.state.take().expect("a part finishes once, when it is removed");
        if let Err(e) = self.encoder.finish(state, &mut part.buf) {
            let (path, format) = (part.path.display(), self.encoder.format_name());
            return Err(ConnectorError::Config(format!("{path}: cannot finish the {format} part: {e}")).into());
        }
        Self::write_out(&mut part)?;
        part.file.sync_all().map_err(|e| ConnectorError::io("sync", &part.path, e))?;
        drop(part.file);
        let pending = part.dir.join(part.name.pending());
        std::fs::rename(&part.path, &pending).map_err(|e| ConnectorError::io("rename", &part.path, e))?;
        self.closed.push(PartCommittable { pending, final_path: part.dir.join(part.name.finished()) });
        self.renamed.insert(part.dir);
        Ok(())
    }

    /// Rolls every open part.
    fn roll_all(&mut self) -> Result<(), BoxError> {
        let buckets: Vec<String> = self.parts.keys().cloned().collect();
        buckets.iter().try_for_each(|b| self.roll(b))
    }
}

impl<T: Send + 'static, E: PartFormat<T>> SinkWriter<T> for FileSinkWriter<T, E> {
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        if self.finished && !batch.is_empty() {
            batch.clear();
            let message = format!("{}: records written after the end of input", self.layout.dir.display());
            return Err(ConnectorError::Config(message).into());
        }
        for record in batch.drain(..) {
            let bucket = self.encoder.bucket(&record.value);
            let rollover = self.layout.rollover_interval;
            if rollover.is_some_and(|r| self.parts.get(&bucket).is_some_and(|p| p.opened.elapsed() >= r)) {
                self.roll(&bucket)?;
            }
            let (encoder, max_part_size) = (self.encoder.clone(), self.layout.max_part_size);
            let part = self.open_part(&bucket)?;
            let start = part.buf.len();
            let state = part.state.as_mut().expect("an open part has its state");
            if let Err(e) = encoder.write(state, &record.value, &mut part.buf) {
                part.buf.truncate(start);
                return Err(self.encode_error(&bucket, e).into());
            }
            part.size += (part.buf.len() - start) as u64;
            if part.size >= max_part_size {
                self.roll(&bucket)?;
            } else if part.buf.len() >= WRITE_CHUNK_BYTES {
                Self::write_out(part)?;
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark) -> Result<(), BoxError> {
        self.watermark = self.watermark.max(watermark.0);
        Ok(())
    }

    /// Writes out what is buffered; at the end of input also syncs it. The part stays in
    /// progress until `prepare_commit`.
    fn flush(&mut self, end_of_input: bool) -> Result<(), BoxError> {
        for part in self.parts.values_mut() {
            Self::write_out(part)?;
            if end_of_input {
                part.file.sync_data().map_err(|e| ConnectorError::io("sync", &part.path, e))?;
            }
        }
        Ok(())
    }

    fn prepare_commit(&mut self, checkpoint: CheckpointId) -> Result<Vec<Vec<u8>>, BoxError> {
        if self.finished {
            return Ok(Vec::new());
        }
        self.roll_all()?;
        for dir in std::mem::take(&mut self.renamed) {
            sync_dir(&dir)?;
        }
        // A committed part's pending file has been renamed away; the rest are offered again.
        self.outstanding.retain(|c| c.pending.symlink_metadata().is_ok());
        self.outstanding.append(&mut self.closed);
        if checkpoint == CheckpointId::FINAL {
            self.finished = true;
        }
        let mut committables: Vec<Vec<u8>> =
            self.outstanding.iter().map(PartCommittable::to_bytes).collect::<Result<_, _>>()?;
        if let Some(parallelism) = self.reports_to {
            let progress = WriterProgress {
                subtask: self.subtask,
                parallelism,
                watermark: self.watermark,
                finished: self.finished,
            };
            committables.push(progress.to_bytes());
        }
        Ok(committables)
    }
}
