//! [`PrintSink`]: prints each record on stdout (or stderr), as Flink's `print()` does.
//!
//! Each line is the record's `Display` text (Flink's `toString()`),
//! after Flink's prefix: `N> ` with `N` the 1-based subtask index when the sink runs
//! with parallelism above 1; `id> ` / `id:N> ` with an identifier
//! (`print(sinkIdentifier)`); nothing at parallelism 1 without identifier.
//!
//! A batch is formatted into a buffer first and written under one lock of the stream,
//! so lines of concurrent subtasks never interleave within a line and the stream is
//! locked once per batch, not per record.

use std::fmt::{Display, Write as _};
use std::io::{self, Write};

use weir_core::StreamRecord;
use weir_runtime::{BoxError, Sink, SinkWriter, SubtaskInfo};

use crate::error::ConnectorError;

/// Which standard stream to print to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Stdout,
    Stderr,
}

/// Prints records' `Display` text, one per line.
///
/// ```
/// use weir_connectors::PrintSink;
/// use weir_runtime::{Sink, SubtaskInfo};
/// let sink = PrintSink::new().with_identifier("q1");
/// let info = SubtaskInfo { name: "print".into(), index: 1, parallelism: 4, max_parallelism: 128 };
/// let writer = Sink::<i32>::create_writer(&sink, &info).unwrap();
/// assert_eq!(writer.prefix(), "q1:2> ");
/// ```
#[derive(Debug, Clone)]
pub struct PrintSink {
    target: Target,
    identifier: Option<String>,
}

impl Default for PrintSink {
    fn default() -> Self {
        Self::new()
    }
}

impl PrintSink {
    /// Prints to stdout.
    pub fn new() -> Self {
        PrintSink { target: Target::Stdout, identifier: None }
    }

    /// Prints to stderr (Flink's `printToErr()`).
    pub fn stderr() -> Self {
        PrintSink { target: Target::Stderr, identifier: None }
    }

    /// Puts `identifier` at the start of the prefix (Flink's `print(sinkIdentifier)`).
    pub fn with_identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = Some(identifier.into());
        self
    }
}

/// Flink's `PrintSinkOutputWriter` prefix.
fn prefix(identifier: Option<&str>, subtask: &SubtaskInfo) -> String {
    let mut prefix = identifier.unwrap_or_default().to_string();
    if subtask.parallelism > 1 {
        if !prefix.is_empty() {
            prefix.push(':');
        }
        // Writing into a String cannot fail.
        let _ = write!(prefix, "{}", subtask.index + 1);
    }
    if !prefix.is_empty() {
        prefix.push_str("> ");
    }
    prefix
}

impl<T: Display + Send + 'static> Sink<T> for PrintSink {
    type Writer = PrintWriter;

    fn create_writer(&self, subtask: &SubtaskInfo) -> Result<PrintWriter, BoxError> {
        Ok(PrintWriter { target: self.target, prefix: prefix(self.identifier.as_deref(), subtask), buf: String::new() })
    }
}

/// One subtask's printer.
#[derive(Debug)]
pub struct PrintWriter {
    target: Target,
    prefix: String,
    buf: String,
}

impl PrintWriter {
    /// The prefix of every line this writer prints.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Formats a batch into the internal buffer (emptying the batch) and returns it.
    fn format<T: Display>(&mut self, batch: &mut Vec<StreamRecord<T>>) -> &str {
        self.buf.clear();
        for record in batch.drain(..) {
            self.buf.push_str(&self.prefix);
            // Writing into a String cannot fail.
            let _ = writeln!(self.buf, "{}", record.value);
        }
        &self.buf
    }

    fn stream_error(&self, e: io::Error) -> ConnectorError {
        let name = match self.target {
            Target::Stdout => "<stdout>",
            Target::Stderr => "<stderr>",
        };
        ConnectorError::io("write", std::path::Path::new(name), e)
    }
}

impl<T: Display + Send + 'static> SinkWriter<T> for PrintWriter {
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        if batch.is_empty() {
            return Ok(());
        }
        let target = self.target;
        let text = self.format(batch).as_bytes();
        let written = match target {
            Target::Stdout => io::stdout().lock().write_all(text),
            Target::Stderr => io::stderr().lock().write_all(text),
        };
        written.map_err(|e| self.stream_error(e).into())
    }

    fn flush(&mut self, _end_of_input: bool) -> Result<(), BoxError> {
        let flushed = match self.target {
            Target::Stdout => io::stdout().flush(),
            Target::Stderr => io::stderr().flush(),
        };
        flushed.map_err(|e| self.stream_error(e).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(index: usize, parallelism: usize) -> SubtaskInfo {
        SubtaskInfo { name: "print".into(), index, parallelism, max_parallelism: 128 }
    }

    #[test]
    fn prefixes_follow_flink() {
        let cases: &[(Option<&str>, usize, usize, &str)] = &[
            (None, 0, 1, ""),
            (None, 0, 2, "1> "),
            (None, 3, 4, "4> "),
            (Some("out"), 0, 1, "out> "),
            (Some("out"), 1, 2, "out:2> "),
            (Some(""), 0, 1, ""),
        ];
        for &(id, index, parallelism, want) in cases {
            assert_eq!(prefix(id, &info(index, parallelism)), want, "{id:?} {index}/{parallelism}");
        }
    }

    #[test]
    fn formats_a_batch_per_line_and_empties_it() {
        let sink = PrintSink::stderr();
        let mut writer = Sink::<i32>::create_writer(&sink, &info(1, 2)).unwrap();
        let mut batch = vec![StreamRecord::new(7), StreamRecord::new(-1)];
        assert_eq!(writer.format(&mut batch), "2> 7\n2> -1\n");
        assert!(batch.is_empty());
        // Writing really prints (to stderr here) and leaves the batch empty.
        let mut batch = vec![StreamRecord::new(1)];
        SinkWriter::<i32>::write(&mut writer, &mut batch).unwrap();
        assert!(batch.is_empty());
        SinkWriter::<i32>::flush(&mut writer, true).unwrap();
    }
}
