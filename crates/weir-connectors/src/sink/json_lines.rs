//! [`JsonLinesSink`]: each record as one JSON object per line, in a directory of part
//! files (one per subtask, `part-<subtask>-0.jsonl`; see [`part_file`](super::part_file)) —
//! the form the peers' `canon_nexmark.py` reads.

use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::Serialize;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Sink, SinkWriter, SubtaskInfo};

use super::part_file::PartFileWriter;

/// Writes records as JSON lines into `DIR/part-<subtask>-0.jsonl`.
///
/// ```
/// use weir_connectors::JsonLinesSink;
/// use weir_core::StreamRecord;
/// use weir_runtime::{Sink, SinkWriter, SubtaskInfo};
/// #[derive(serde::Serialize)]
/// struct Row { auction: i64, price: i64 }
/// let dir = tempfile::tempdir().unwrap();
/// let sink = JsonLinesSink::new(dir.path());
/// let mut writer = Sink::<Row>::create_writer(&sink, &SubtaskInfo::single("out")).unwrap();
/// writer.write(&mut vec![StreamRecord::new(Row { auction: 1, price: 2 })]).unwrap();
/// writer.flush(true).unwrap();
/// let text = std::fs::read_to_string(dir.path().join("part-0-0.jsonl")).unwrap();
/// assert_eq!(text, "{\"auction\":1,\"price\":2}\n");
/// ```
#[derive(Debug, Clone)]
pub struct JsonLinesSink {
    dir: PathBuf,
}

impl JsonLinesSink {
    /// A sink writing into the directory `dir` (created if missing).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        JsonLinesSink { dir: dir.into() }
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl<T: Serialize + Send + 'static> Sink<T> for JsonLinesSink {
    type Writer = JsonLinesWriter<T>;

    fn create_writer(&self, subtask: &SubtaskInfo) -> Result<Self::Writer, BoxError> {
        Ok(JsonLinesWriter { part: PartFileWriter::create(&self.dir, subtask.index, "jsonl")?, _records: PhantomData })
    }
}

/// One subtask's JSON-lines part file.
#[derive(Debug)]
pub struct JsonLinesWriter<T> {
    part: PartFileWriter,
    _records: PhantomData<fn(T)>,
}

impl<T: Serialize + Send + 'static> SinkWriter<T> for JsonLinesWriter<T> {
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        let buf = self.part.buffer();
        let mut failure = None;
        for record in batch.drain(..) {
            // Fails only for values JSON cannot hold (a map with non-string keys, …).
            if let Err(e) = serde_json::to_writer(&mut *buf, &record.value) {
                failure = Some(e);
                break;
            }
            buf.push(b'\n');
        }
        if let Some(e) = failure {
            return Err(format!("{}: cannot write a record as JSON: {e}", self.part.final_path().display()).into());
        }
        Ok(self.part.write_if_full()?)
    }

    fn flush(&mut self, end_of_input: bool) -> Result<(), BoxError> {
        Ok(self.part.flush(end_of_input)?)
    }
}
