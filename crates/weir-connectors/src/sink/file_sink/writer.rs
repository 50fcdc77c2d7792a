//! [`FileSinkWriter`]: the write side of the [`FileSink`](super::FileSink) protocol for one
//! subtask — encodes records into an in-progress part file, rolls it to pending on size
//! and at every checkpoint, and hands the pending files out as committables.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use weir_core::{CheckpointId, StreamRecord};
use weir_runtime::{BoxError, SinkWriter};

use super::committer::{sync_dir, PartCommittable};
use super::encoder::Encoder;
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
}

/// The part file being written.
#[derive(Debug)]
struct InProgress {
    name: PartName,
    path: PathBuf,
    file: File,
    /// Bytes in the part, written or buffered.
    size: u64,
}

/// One subtask's writer of a [`FileSink`](super::FileSink).
///
/// # Contract
/// Nothing it writes is visible until its committer commits the committables
/// [`prepare_commit`](SinkWriter::prepare_commit) returned; `flush` only makes data
/// durable. After `prepare_commit(CheckpointId::FINAL)` it takes no more records.
#[derive(Debug)]
pub struct FileSinkWriter<T, E> {
    encoder: Arc<E>,
    layout: Arc<PartLayout>,
    run: String,
    subtask: usize,
    next_counter: u64,
    part: Option<InProgress>,
    buf: Vec<u8>,
    /// Parts rolled to pending since the last `prepare_commit`.
    closed: Vec<PartCommittable>,
    /// Parts handed out as committables and not seen committed yet: offered again at
    /// every checkpoint until their pending file is gone, so that a part of an aborted
    /// checkpoint is committed with a later one.
    outstanding: Vec<PartCommittable>,
    /// A rename in the directory since it was last synced.
    renamed: bool,
    finished: bool,
    _records: PhantomData<fn(T)>,
}

impl<T, E: Encoder<T>> FileSinkWriter<T, E> {
    pub(crate) fn new(encoder: Arc<E>, layout: Arc<PartLayout>, subtask: usize) -> Self {
        FileSinkWriter {
            encoder,
            layout,
            run: new_run_id(),
            subtask,
            next_counter: 0,
            part: None,
            buf: Vec::new(),
            closed: Vec::new(),
            outstanding: Vec::new(),
            renamed: false,
            finished: false,
            _records: PhantomData,
        }
    }

    /// This writer's run id, part of every file name it makes.
    pub fn run_id(&self) -> &str {
        &self.run
    }

    /// The in-progress file, if a part is open.
    pub fn in_progress_path(&self) -> Option<&Path> {
        self.part.as_ref().map(|p| p.path.as_path())
    }

    fn open_part(&mut self) -> Result<&mut InProgress, ConnectorError> {
        if self.part.is_none() {
            let layout = &self.layout;
            let name = PartName::new(&layout.prefix, &self.run, self.subtask, self.next_counter, &layout.suffix);
            let path = layout.dir.join(name.in_progress());
            // create_new: a name is never reused, so never overwrite what an earlier run left.
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| ConnectorError::io("create", &path, e))?;
            self.next_counter += 1;
            self.part = Some(InProgress { name, path, file, size: 0 });
        }
        Ok(self.part.as_mut().expect("opened just above"))
    }

    fn write_out(part: &mut InProgress, buf: &mut Vec<u8>) -> Result<(), ConnectorError> {
        part.file.write_all(buf).map_err(|e| ConnectorError::io("write", &part.path, e))?;
        buf.clear();
        Ok(())
    }

    fn encode_error(&self, e: BoxError) -> ConnectorError {
        let path = self.in_progress_path().unwrap_or(&self.layout.dir);
        let format = self.encoder.format_name();
        ConnectorError::Config(format!("{}: cannot write a record in {format}: {e}", path.display()))
    }

    /// Closes the in-progress part, durably, and renames it to pending.
    fn roll(&mut self) -> Result<(), ConnectorError> {
        let Some(mut part) = self.part.take() else { return Ok(()) };
        Self::write_out(&mut part, &mut self.buf)?;
        part.file.sync_all().map_err(|e| ConnectorError::io("sync", &part.path, e))?;
        drop(part.file);
        let pending = self.layout.dir.join(part.name.pending());
        std::fs::rename(&part.path, &pending).map_err(|e| ConnectorError::io("rename", &part.path, e))?;
        self.renamed = true;
        self.closed.push(PartCommittable { pending, final_path: self.layout.dir.join(part.name.finished()) });
        Ok(())
    }
}

impl<T: Send + 'static, E: Encoder<T>> SinkWriter<T> for FileSinkWriter<T, E> {
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        if self.finished && !batch.is_empty() {
            batch.clear();
            let message = format!("{}: records written after the end of input", self.layout.dir.display());
            return Err(ConnectorError::Config(message).into());
        }
        for record in batch.drain(..) {
            self.open_part()?;
            let start = self.buf.len();
            if let Err(e) = self.encoder.encode(&record.value, &mut self.buf) {
                self.buf.truncate(start);
                return Err(self.encode_error(e).into());
            }
            let part = self.part.as_mut().expect("opened above");
            part.size += (self.buf.len() - start) as u64;
            if part.size >= self.layout.max_part_size {
                self.roll()?;
            } else if self.buf.len() >= WRITE_CHUNK_BYTES {
                Self::write_out(part, &mut self.buf)?;
            }
        }
        Ok(())
    }

    /// Writes out what is buffered; at the end of input also syncs it. The part stays in
    /// progress until `prepare_commit`.
    fn flush(&mut self, end_of_input: bool) -> Result<(), BoxError> {
        if let Some(part) = &mut self.part {
            Self::write_out(part, &mut self.buf)?;
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
        self.roll()?;
        if self.renamed {
            sync_dir(&self.layout.dir)?;
            self.renamed = false;
        }
        // A committed part's pending file has been renamed away; the rest are offered again.
        self.outstanding.retain(|c| c.pending.symlink_metadata().is_ok());
        self.outstanding.append(&mut self.closed);
        if checkpoint == CheckpointId::FINAL {
            self.finished = true;
        }
        Ok(self.outstanding.iter().map(PartCommittable::to_bytes).collect::<Result<_, _>>()?)
    }
}
