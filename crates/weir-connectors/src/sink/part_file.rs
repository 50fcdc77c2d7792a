//! [`PartFileWriter`]: one subtask's part file in a sink's output directory, written
//! under a hidden in-progress name and renamed to its final name at the end of input.
//!
//! The protocol (Flink's `FileSink` part-file life cycle, without checkpoints):
//! 1. `create`: make the directory if missing; open `.part-<subtask>-0.<ext>.inprogress`;
//! 2. records are encoded into a buffer and written out in large chunks;
//! 3. `flush(false)`: everything so far reaches the in-progress file;
//! 4. `flush(true)`: the rest is written and the file renamed to `part-<subtask>-0.<ext>`.
//!
//! Invariant: a file with a final name is complete. Readers skip hidden files, so they
//! never take a half-written file for a result.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::ConnectorError;

/// Buffered bytes that trigger a write to the file.
const WRITE_CHUNK_BYTES: usize = 1 << 20;

/// A part file being written.
///
/// ```
/// use weir_connectors::sink::PartFileWriter;
/// let dir = tempfile::tempdir().unwrap();
/// let mut part = PartFileWriter::create(dir.path(), 3, "txt").unwrap();
/// part.buffer().extend_from_slice(b"hello\n");
/// part.flush(true).unwrap();
/// assert_eq!(std::fs::read_to_string(dir.path().join("part-3-0.txt")).unwrap(), "hello\n");
/// ```
#[derive(Debug)]
pub struct PartFileWriter {
    in_progress: PathBuf,
    final_path: PathBuf,
    file: File,
    buf: Vec<u8>,
    finished: bool,
}

impl PartFileWriter {
    /// Opens the in-progress part file of `subtask` in `dir`, creating `dir` if missing.
    ///
    /// # Errors
    /// [`ConnectorError::Layout`] when `dir` exists but is not a directory;
    /// [`ConnectorError::Io`] when it cannot be created or the file cannot be opened.
    pub fn create(dir: &Path, subtask: usize, extension: &str) -> Result<Self, ConnectorError> {
        if dir.exists() && !dir.is_dir() {
            return Err(ConnectorError::Layout {
                path: dir.to_path_buf(),
                message: "the sink's output path exists and is not a directory".into(),
            });
        }
        fs::create_dir_all(dir).map_err(|e| ConnectorError::io("create directory", dir, e))?;
        let name = format!("part-{subtask}-0.{extension}");
        let in_progress = dir.join(format!(".{name}.inprogress"));
        let file = File::create(&in_progress).map_err(|e| ConnectorError::io("create", &in_progress, e))?;
        Ok(PartFileWriter {
            in_progress,
            final_path: dir.join(name),
            file,
            buf: Vec::with_capacity(WRITE_CHUNK_BYTES + 64 * 1024),
            finished: false,
        })
    }

    /// The buffer to append encoded records to; call
    /// [`write_if_full`](Self::write_if_full) after a batch.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Writes the buffer out once it holds a large chunk.
    ///
    /// # Errors
    /// [`ConnectorError::Io`]; [`ConnectorError::Config`] after the file was finished.
    pub fn write_if_full(&mut self) -> Result<(), ConnectorError> {
        if self.buf.len() >= WRITE_CHUNK_BYTES {
            self.write_out()?;
        }
        Ok(())
    }

    fn write_out(&mut self) -> Result<(), ConnectorError> {
        if self.finished {
            if self.buf.is_empty() {
                return Ok(());
            }
            return Err(ConnectorError::Config(format!(
                "{}: records written after the end of input",
                self.final_path.display()
            )));
        }
        self.file.write_all(&self.buf).map_err(|e| ConnectorError::io("write", &self.in_progress, e))?;
        self.buf.clear();
        Ok(())
    }

    /// Writes everything buffered; with `end_of_input`, renames the file to its final
    /// name (later calls do nothing).
    ///
    /// # Errors
    /// [`ConnectorError::Io`] when writing or renaming fails.
    pub fn flush(&mut self, end_of_input: bool) -> Result<(), ConnectorError> {
        self.write_out()?;
        if self.finished {
            return Ok(());
        }
        self.file.flush().map_err(|e| ConnectorError::io("write", &self.in_progress, e))?;
        if end_of_input {
            fs::rename(&self.in_progress, &self.final_path)
                .map_err(|e| ConnectorError::io("rename", &self.in_progress, e))?;
            self.finished = true;
        }
        Ok(())
    }

    /// The file's final name.
    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    /// The file's name while it is being written.
    pub fn in_progress_path(&self) -> &Path {
        &self.in_progress
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_progress_until_end_of_input() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut part = PartFileWriter::create(&out, 0, "jsonl").unwrap();
        assert_eq!(part.in_progress_path(), out.join(".part-0-0.jsonl.inprogress"));
        part.buffer().extend_from_slice(b"a\n");
        part.write_if_full().unwrap();
        part.flush(false).unwrap();
        assert_eq!(fs::read(part.in_progress_path()).unwrap(), b"a\n");
        assert!(!part.final_path().exists());
        part.buffer().extend_from_slice(b"b\n");
        part.flush(true).unwrap();
        assert!(!part.in_progress_path().exists());
        assert_eq!(fs::read(out.join("part-0-0.jsonl")).unwrap(), b"a\nb\n");
        part.flush(true).unwrap();
        part.buffer().extend_from_slice(b"late\n");
        assert!(part.flush(false).is_err());
    }

    #[test]
    fn a_regular_file_is_not_a_directory() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let err = PartFileWriter::create(file.path(), 0, "txt").unwrap_err().to_string();
        assert!(err.contains("exists and is not a directory"), "{err}");
    }
}
