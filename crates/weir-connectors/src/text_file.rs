//! [`TextFileSource`]: the lines of a text file, or of every file in a directory, as
//! `String`s (Flink's `FileSource` with `TextLineInputFormat`).
//!
//! A directory contributes its regular files whose names start with neither `.` nor `_`
//! (Flink's default filter: hidden and in-progress files, `_SUCCESS` markers), sorted by
//! name, not descending into subdirectories. One split per file.

use std::collections::VecDeque;
use std::fs;
use std::path::{Path, PathBuf};

use weir_core::StreamRecord;
use weir_runtime::{Boundedness, BoxError, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

use crate::enumerator::StaticSplitEnumerator;
use crate::error::ConnectorError;
use crate::line_reader::{FilePosition, LineReader};

/// A source of text lines.
///
/// Each line is emitted without its `\n` (or `\r\n`), without a timestamp. A line that
/// is not UTF-8 fails the job with the file and line number.
///
/// ```
/// use weir_connectors::TextFileSource;
/// use weir_runtime::{Source, SourceReader, SplitAssignment, SplitEnumerator, SubtaskInfo};
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a.txt"), "hello\nworld\n").unwrap();
/// let source = TextFileSource::new(dir.path());
/// let mut enumerator = source.create_enumerator(1).unwrap();
/// let mut reader = source.create_reader(&SubtaskInfo::single("text")).unwrap();
/// let SplitAssignment::Split(split) = enumerator.next_split(0) else { unreachable!() };
/// reader.add_split(split).unwrap();
/// let mut out = weir_runtime::ReaderOutput::default();
/// reader.poll_next(&mut out, 10).unwrap();
/// assert_eq!(out.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(), ["hello", "world"]);
/// ```
#[derive(Debug, Clone)]
pub struct TextFileSource {
    path: PathBuf,
}

/// One file of a [`TextFileSource`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TextFileSplit {
    /// 0-based position in the sorted file list.
    pub index: usize,
    /// The file.
    pub path: PathBuf,
    /// Where to continue (a checkpointed position); the start when `None`.
    pub resume: Option<FilePosition>,
}

impl TextFileSource {
    /// A source over a file, or over the files of a directory.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TextFileSource { path: path.into() }
    }

    /// The files to read, in order.
    ///
    /// # Errors
    /// [`ConnectorError::Io`] when the path does not exist or the directory cannot be
    /// listed.
    pub fn files(&self) -> Result<Vec<PathBuf>, ConnectorError> {
        let meta = fs::metadata(&self.path).map_err(|e| ConnectorError::io("read", &self.path, e))?;
        if !meta.is_dir() {
            return Ok(vec![self.path.clone()]);
        }
        let mut files = Vec::new();
        let entries = fs::read_dir(&self.path).map_err(|e| ConnectorError::io("list", &self.path, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| ConnectorError::io("list", &self.path, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') || name.starts_with('_') {
                continue;
            }
            let path = entry.path();
            // Follows symlinks, so a link to a file counts as a file.
            let is_file = fs::metadata(&path).map_err(|e| ConnectorError::io("read", &path, e))?.is_file();
            if is_file {
                files.push(path);
            }
        }
        files.sort();
        Ok(files)
    }
}

impl Source for TextFileSource {
    type Out = String;
    type Split = TextFileSplit;
    type Reader = TextFileReader;
    type Enumerator = StaticSplitEnumerator<TextFileSplit>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    fn restore_enumerator(&self, parallelism: usize, state: &[u8]) -> Result<Self::Enumerator, BoxError> {
        StaticSplitEnumerator::restore(state, parallelism)
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        let splits =
            self.files()?.into_iter().enumerate().map(|(index, path)| TextFileSplit { index, path, resume: None });
        Ok(StaticSplitEnumerator::new(splits, parallelism))
    }

    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(TextFileReader { pending: VecDeque::new(), current: None, split_id: 0 })
    }
}

/// Reads the files assigned to one subtask, one after the other.
#[derive(Debug)]
pub struct TextFileReader {
    pending: VecDeque<TextFileSplit>,
    /// The split being read and its file.
    current: Option<(TextFileSplit, LineReader)>,
    /// Id of the file being read, for per-split event time.
    split_id: u64,
}

impl SourceReader for TextFileReader {
    type Out = String;
    type Split = TextFileSplit;

    fn add_split(&mut self, split: TextFileSplit) -> Result<(), BoxError> {
        self.pending.push_back(split);
        Ok(())
    }

    fn snapshot_state(&mut self) -> Result<Vec<TextFileSplit>, BoxError> {
        let current = self
            .current
            .as_ref()
            .map(|(split, lines)| TextFileSplit { resume: Some(lines.position()), ..split.clone() });
        Ok(current.into_iter().chain(self.pending.iter().cloned()).collect())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<String>, max: usize) -> Result<ReadStatus, BoxError> {
        let mut produced = 0;
        while produced < max {
            if self.current.is_none() {
                let Some(split) = self.pending.pop_front() else { break };
                let lines = LineReader::open_at(&split.path, split.resume.unwrap_or_default())?;
                self.current = Some((split, lines));
                self.split_id += 1;
                out.start_split(self.split_id);
            }
            let (_, lines) = self.current.as_mut().expect("a file is open");
            match lines.next_line()? {
                Some(line) => {
                    out.push(StreamRecord::new(line.to_str()?.to_string()));
                    produced += 1;
                }
                None => {
                    self.current = None;
                    out.finish_split(self.split_id);
                }
            }
        }
        Ok(if produced > 0 || max == 0 { ReadStatus::MoreAvailable } else { ReadStatus::NeedsSplit })
    }
}

/// Reads every line of `path` (a helper for tests and small tools).
///
/// # Errors
/// As [`TextFileSource`].
pub fn read_lines(path: &Path) -> Result<Vec<String>, ConnectorError> {
    let mut lines = LineReader::open(path)?;
    let mut out = Vec::new();
    while let Some(line) = lines.next_line()? {
        out.push(line.to_str()?.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use weir_runtime::{SplitAssignment, SplitEnumerator};

    use super::*;

    fn read_all(source: &TextFileSource, parallelism: usize) -> Result<Vec<Vec<String>>, BoxError> {
        let mut enumerator = source.create_enumerator(parallelism)?;
        let mut per_reader = Vec::new();
        for index in 0..parallelism {
            let info = SubtaskInfo { name: "t".into(), index, parallelism, max_parallelism: 128 };
            let mut reader = source.create_reader(&info)?;
            let mut out = weir_runtime::ReaderOutput::default();
            loop {
                if reader.poll_next(&mut out, 3)? == ReadStatus::NeedsSplit {
                    match enumerator.next_split(index) {
                        SplitAssignment::Split(s) => reader.add_split(s)?,
                        _ => break,
                    }
                }
            }
            per_reader.push(out.into_records().into_iter().map(|r| r.value).collect());
        }
        Ok(per_reader)
    }

    #[test]
    fn a_directory_is_its_visible_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let files: &[(&str, &str)] =
            &[("b.txt", "b1\r\nb2"), ("a.txt", "a1\n\na3\n"), ("c.txt", ""), (".hidden", "no"), ("_SUCCESS", "no")];
        for (name, content) in files {
            fs::write(dir.path().join(name), content).unwrap();
        }
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub").join("x.txt"), "no").unwrap();
        let source = TextFileSource::new(dir.path());
        let names: Vec<String> =
            source.files().unwrap().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["a.txt", "b.txt", "c.txt"]);
        assert_eq!(read_all(&source, 1).unwrap(), [vec!["a1", "", "a3", "b1", "b2"]]);
        // a.txt and c.txt to reader 0, b.txt to reader 1.
        assert_eq!(read_all(&source, 2).unwrap(), [vec!["a1", "", "a3"], vec!["b1", "b2"]]);
    }

    #[test]
    fn a_single_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("only.txt");
        fs::write(&path, "x\ny").unwrap();
        assert_eq!(read_all(&TextFileSource::new(&path), 1).unwrap(), [vec!["x", "y"]]);
        assert_eq!(read_lines(&path).unwrap(), ["x", "y"]);
    }

    #[test]
    fn invalid_utf8_names_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.txt");
        fs::write(&path, b"fine\nstill fine\nnot \xC3\x28 fine\n").unwrap();
        let err = read_all(&TextFileSource::new(&path), 1).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{}:3: line is not valid UTF-8", path.display())), "{err}");
    }

    #[test]
    fn a_missing_path_fails_at_enumeration() {
        let err = TextFileSource::new("/no/such/dir").create_enumerator(1).unwrap_err().to_string();
        assert!(err.starts_with("cannot read /no/such/dir"), "{err}");
    }
}
