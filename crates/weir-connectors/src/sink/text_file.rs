//! [`TextFileSink`]: each record's `Display` text as one line, in a directory of part
//! files (one per subtask, `part-<subtask>-0.txt`; see [`part_file`](super::part_file)).

use std::fmt::Display;
use std::io::Write;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use weir_core::StreamRecord;
use weir_runtime::{BoxError, Sink, SinkWriter, SubtaskInfo};

use super::part_file::PartFileWriter;

/// Writes records as text lines into `DIR/part-<subtask>-0.txt`.
///
/// ```
/// use weir_connectors::TextFileSink;
/// use weir_core::StreamRecord;
/// use weir_runtime::{Sink, SinkWriter, SubtaskInfo};
/// let dir = tempfile::tempdir().unwrap();
/// let sink = TextFileSink::new(dir.path());
/// let mut writer = Sink::<&str>::create_writer(&sink, &SubtaskInfo::single("out")).unwrap();
/// writer.write(&mut vec![StreamRecord::new("hi")]).unwrap();
/// writer.flush(true).unwrap();
/// assert_eq!(std::fs::read_to_string(dir.path().join("part-0-0.txt")).unwrap(), "hi\n");
/// ```
#[derive(Debug, Clone)]
pub struct TextFileSink {
    dir: PathBuf,
}

impl TextFileSink {
    /// A sink writing into the directory `dir` (created if missing).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        TextFileSink { dir: dir.into() }
    }

    /// The output directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl<T: Display + Send + 'static> Sink<T> for TextFileSink {
    type Writer = TextFileWriter<T>;

    fn create_writer(&self, subtask: &SubtaskInfo) -> Result<Self::Writer, BoxError> {
        Ok(TextFileWriter { part: PartFileWriter::create(&self.dir, subtask.index, "txt")?, _records: PhantomData })
    }
}

/// One subtask's text part file.
#[derive(Debug)]
pub struct TextFileWriter<T> {
    part: PartFileWriter,
    _records: PhantomData<fn(T)>,
}

impl<T: Display + Send + 'static> SinkWriter<T> for TextFileWriter<T> {
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        let buf = self.part.buffer();
        for record in batch.drain(..) {
            writeln!(buf, "{}", record.value).expect("writing into a Vec cannot fail");
        }
        Ok(self.part.write_if_full()?)
    }

    fn flush(&mut self, end_of_input: bool) -> Result<(), BoxError> {
        Ok(self.part.flush(end_of_input)?)
    }
}
