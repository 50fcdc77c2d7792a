//! [`FileSource`]: the lines of a file, or of every file under a directory (nested
//! directories too, such as the `col=value/` directories of a partitioned table), each
//! with its file and line number — and, with [`FileSource::monitor`], an unbounded source
//! that keeps discovering files as they appear (Flink's `source.monitor-interval`). With
//! [`FileSource::whole_files`] each file is one record instead (for binary formats such as
//! Avro container files and Parquet, which are not made of lines).
//!
//! # Splits and discovery
//! 1. Every file is a split. The enumerator lists the directory when it starts and, when
//!    monitoring, again whenever a reader asks for work and the interval has passed.
//! 2. A file not seen before becomes a split, handed to the readers in turn (split *i* to
//!    reader *i* mod *p*), so a bounded job reads the same records in the same reader on
//!    every run.
//! 3. Names starting with `.` or `_` are skipped (in-progress part files, `_SUCCESS`).
//!
//! The enumerator's checkpoint holds the files already seen and the splits not yet handed
//! out; a reader's holds its current file and position. Restored, a job neither reads a file
//! twice nor misses one that appeared while it was down. A file must be complete when it
//! appears (written elsewhere and moved in, as Weir's and Flink's file sinks do).

use std::collections::{BTreeSet, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir_core::StreamRecord;
use weir_runtime::{
    Boundedness, BoxError, ReadStatus, ReaderOutput, Source, SourceReader, SplitAssignment, SplitEnumerator,
    SubtaskInfo,
};

use crate::error::ConnectorError;
use crate::line_reader::{FilePosition, LineReader, RecordQuotes};

/// One line of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLine {
    /// The file.
    pub path: Arc<Path>,
    /// 1-based line number; 0 for a whole file ([`FileSource::whole_files`]).
    pub line: u64,
    /// The line without its line end (not checked to be UTF-8: the format decides), or the
    /// whole file.
    pub bytes: Vec<u8>,
}

/// A source of the lines of the files at a path, with where each line came from.
///
/// ```
/// use weir_connectors::file_source::FileSource;
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("day=1")).unwrap();
/// std::fs::write(dir.path().join("day=1").join("a.csv"), "x\n").unwrap();
/// std::fs::write(dir.path().join("_SUCCESS"), "").unwrap();
/// let files = FileSource::new(dir.path()).files().unwrap();
/// assert_eq!(files, [dir.path().join("day=1").join("a.csv")]);
/// ```
#[derive(Debug, Clone)]
pub struct FileSource {
    path: PathBuf,
    monitor: Option<Duration>,
    whole_files: bool,
    quotes: Option<RecordQuotes>,
}

/// A file to read, from its start or from a checkpointed position.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileSplit {
    /// The file.
    pub path: PathBuf,
    /// Where to continue (none: from the start).
    pub resume: Option<FilePosition>,
}

impl FileSource {
    /// A bounded source over `path` (a file or a directory).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileSource { path: path.into(), monitor: None, whole_files: false, quotes: None }
    }

    /// Makes each file one record (line number 0, the file's bytes) instead of one record per
    /// line: for binary formats. A file is read at once, so a checkpoint finds it either not
    /// started or done.
    pub fn whole_files(mut self) -> Self {
        self.whole_files = true;
        self
    }

    /// Whether each file is one record ([`FileSource::whole_files`]).
    pub fn reads_whole_files(&self) -> bool {
        self.whole_files
    }

    /// Makes a record end at a line end outside quoted fields only, as `quotes` says, so a
    /// CSV field may hold line breaks ([`LineReader::quoted`]): a "line" of this source is
    /// then one record, and line numbers count records.
    pub fn quoted_records(mut self, quotes: RecordQuotes) -> Self {
        self.quotes = Some(quotes);
        self
    }

    /// The files' readers: their splits, opened as this source's options say.
    pub(crate) fn reader_files(&self) -> ReaderFiles {
        ReaderFiles { quotes: self.quotes, ..ReaderFiles::default() }
    }

    /// The same files, but their lines handed out many at a time, as
    /// [`FileChunk`](crate::file_chunk::FileChunk)s, without an allocation or copy per line:
    /// for readers that decode lines in bulk. Positions and checkpoints are the same.
    pub fn chunked(self) -> crate::file_chunk::FileChunkSource {
        crate::file_chunk::FileChunkSource::new(self)
    }

    /// Makes the source unbounded: it lists the directory again every `interval` and reads
    /// the files that appeared.
    pub fn monitor(mut self, interval: Duration) -> Self {
        self.monitor = Some(interval);
        self
    }

    /// The visible files at the path, in name order (a file: itself).
    ///
    /// # Errors
    /// [`ConnectorError::Io`] when the path or a directory under it cannot be read.
    pub fn files(&self) -> Result<Vec<PathBuf>, ConnectorError> {
        let meta = fs::metadata(&self.path).map_err(|e| ConnectorError::io("read", &self.path, e))?;
        if !meta.is_dir() {
            return Ok(vec![self.path.clone()]);
        }
        let mut files = Vec::new();
        list(&self.path, &mut files)?;
        files.sort();
        Ok(files)
    }
}

fn list(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), ConnectorError> {
    let entries = fs::read_dir(dir).map_err(|e| ConnectorError::io("list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ConnectorError::io("list", dir, e))?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(['.', '_']) {
            continue;
        }
        let path = entry.path();
        match fs::metadata(&path) {
            Ok(m) if m.is_dir() => list(&path, files)?,
            Ok(m) if m.is_file() => files.push(path),
            Ok(_) => {}
            // Gone between listing and looking: a file being moved away.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(ConnectorError::io("read", &path, e)),
        }
    }
    Ok(())
}

impl Source for FileSource {
    type Out = FileLine;
    type Split = FileSplit;
    type Reader = FileReader;
    type Enumerator = FileEnumerator;

    fn boundedness(&self) -> Boundedness {
        if self.monitor.is_some() {
            Boundedness::ContinuousUnbounded
        } else {
            Boundedness::Bounded
        }
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        let mut enumerator = FileEnumerator::new(self.clone(), parallelism, EnumeratorState::default());
        enumerator.discover()?;
        Ok(enumerator)
    }

    fn restore_enumerator(&self, parallelism: usize, state: &[u8]) -> Result<Self::Enumerator, BoxError> {
        let state: EnumeratorState =
            bincode::deserialize(state).map_err(|e| format!("file enumerator state does not decode: {e}"))?;
        Ok(FileEnumerator::new(self.clone(), parallelism, state))
    }

    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(FileReader { files: self.reader_files(), whole_files: self.whole_files })
    }
}

/// What the enumerator checkpoints.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct EnumeratorState {
    seen: BTreeSet<PathBuf>,
    unassigned: Vec<FileSplit>,
    handed_out: u64,
}

/// Hands files to readers and, when monitoring, discovers new ones.
#[derive(Debug)]
pub struct FileEnumerator {
    source: FileSource,
    seen: BTreeSet<PathBuf>,
    queues: Vec<VecDeque<FileSplit>>,
    /// Splits queued so far; the next goes to reader `queued mod p`.
    queued: u64,
    last_scan: Instant,
}

impl FileEnumerator {
    fn new(source: FileSource, parallelism: usize, state: EnumeratorState) -> Self {
        let mut e = FileEnumerator {
            source,
            seen: state.seen,
            queues: (0..parallelism.max(1)).map(|_| VecDeque::new()).collect(),
            queued: state.handed_out,
            last_scan: Instant::now(),
        };
        for split in state.unassigned {
            e.queue(split);
        }
        e
    }

    fn queue(&mut self, split: FileSplit) {
        let n = self.queues.len() as u64;
        self.queues[(self.queued % n) as usize].push_back(split);
        self.queued += 1;
    }

    /// Lists the path and queues the files not seen before; returns how many.
    fn discover(&mut self) -> Result<usize, ConnectorError> {
        self.last_scan = Instant::now();
        let mut found = 0;
        for path in self.source.files()? {
            if self.seen.insert(path.clone()) {
                self.queue(FileSplit { path, resume: None });
                found += 1;
            }
        }
        Ok(found)
    }
}

impl SplitEnumerator for FileEnumerator {
    type Split = FileSplit;

    fn next_split(&mut self, subtask: usize) -> SplitAssignment<FileSplit> {
        if let Some(split) = self.queues.get_mut(subtask).and_then(VecDeque::pop_front) {
            return SplitAssignment::Split(split);
        }
        let Some(interval) = self.source.monitor else { return SplitAssignment::NoMoreSplits };
        if self.last_scan.elapsed() >= interval {
            // A directory that cannot be listed now (moved, permissions changing) is tried
            // again at the next interval rather than failing a long-running job.
            let _ = self.discover();
            if let Some(split) = self.queues.get_mut(subtask).and_then(VecDeque::pop_front) {
                return SplitAssignment::Split(split);
            }
        }
        SplitAssignment::NotYet
    }

    fn snapshot_state(&mut self) -> Result<Vec<u8>, BoxError> {
        let state = EnumeratorState {
            seen: self.seen.clone(),
            unassigned: self.queues.iter().flatten().cloned().collect(),
            handed_out: self.queued,
        };
        Ok(bincode::serialize(&state)?)
    }

    fn add_splits_back(&mut self, splits: Vec<FileSplit>) {
        for split in splits {
            self.queue(split);
        }
    }
}

/// A reader's files: the splits still to read and the one open, with the id of its
/// current split in the reader's output. Shared by [`FileReader`] (a record per line) and
/// [`FileChunkReader`](crate::file_chunk::FileChunkReader) (a record per chunk of lines).
#[derive(Debug, Default)]
pub(crate) struct ReaderFiles {
    pending: VecDeque<FileSplit>,
    current: Option<(FileSplit, Arc<Path>, LineReader)>,
    split_id: u64,
    quotes: Option<RecordQuotes>,
}

impl ReaderFiles {
    pub(crate) fn add(&mut self, split: FileSplit) {
        self.pending.push_back(split);
    }

    /// The open file at its current position, then the pending ones.
    pub(crate) fn snapshot(&self) -> Vec<FileSplit> {
        let current = self
            .current
            .as_ref()
            .map(|(split, _, lines)| FileSplit { resume: Some(lines.position()), ..split.clone() });
        current.into_iter().chain(self.pending.iter().cloned()).collect()
    }

    /// Reads the next pending file whole, as the record `wrap` makes of its path and bytes;
    /// `false` when none is pending.
    pub(crate) fn read_whole_file<T>(
        &mut self,
        out: &mut ReaderOutput<T>,
        wrap: impl FnOnce(Arc<Path>, Vec<u8>) -> T,
    ) -> Result<bool, BoxError> {
        let Some(split) = self.pending.pop_front() else { return Ok(false) };
        self.split_id += 1;
        out.start_split(self.split_id);
        // A resumed whole file was read before the checkpoint (files are read at once).
        if split.resume.is_none_or(|p| p.offset == 0) {
            let bytes = fs::read(&split.path).map_err(|e| ConnectorError::io("read", &split.path, e))?;
            out.push(StreamRecord::new(wrap(Arc::from(split.path.as_path()), bytes)));
        }
        out.finish_split(self.split_id);
        Ok(true)
    }

    /// The open file, opening the next pending one (at its resume position) if none is;
    /// `None` when no file is left.
    pub(crate) fn open<T>(
        &mut self,
        out: &mut ReaderOutput<T>,
    ) -> Result<Option<(&Arc<Path>, &mut LineReader)>, BoxError> {
        if self.current.is_none() {
            let Some(split) = self.pending.pop_front() else { return Ok(None) };
            let lines = LineReader::open_at(&split.path, split.resume.unwrap_or_default())?.quoted(self.quotes);
            let path: Arc<Path> = Arc::from(split.path.as_path());
            self.current = Some((split, path, lines));
            self.split_id += 1;
            out.start_split(self.split_id);
        }
        Ok(self.current.as_mut().map(|(_, path, lines)| (&*path, lines)))
    }

    /// The open file is read to its end.
    pub(crate) fn close<T>(&mut self, out: &mut ReaderOutput<T>) {
        self.current = None;
        out.finish_split(self.split_id);
    }
}

/// Reads its files one after another.
#[derive(Debug)]
pub struct FileReader {
    files: ReaderFiles,
    whole_files: bool,
}

impl SourceReader for FileReader {
    type Out = FileLine;
    type Split = FileSplit;

    fn add_split(&mut self, split: FileSplit) -> Result<(), BoxError> {
        self.files.add(split);
        Ok(())
    }

    fn snapshot_state(&mut self) -> Result<Vec<FileSplit>, BoxError> {
        Ok(self.files.snapshot())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<FileLine>, max: usize) -> Result<ReadStatus, BoxError> {
        let mut produced = 0;
        while produced < max {
            if self.whole_files {
                if !self.files.read_whole_file(out, |path, bytes| FileLine { path, line: 0, bytes })? {
                    break;
                }
                produced += 1;
                continue;
            }
            let Some((path, lines)) = self.files.open(out)? else { break };
            match lines.next_line()? {
                Some(line) => {
                    let record = FileLine { path: path.clone(), line: line.number, bytes: line.bytes.to_vec() };
                    out.push(StreamRecord::new(record));
                    produced += 1;
                }
                None => self.files.close(out),
            }
        }
        Ok(if produced > 0 || max == 0 { ReadStatus::MoreAvailable } else { ReadStatus::NeedsSplit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(index: usize, parallelism: usize) -> SubtaskInfo {
        SubtaskInfo { name: "t".into(), index, parallelism, max_parallelism: 128 }
    }

    /// Everything reader 0 of 1 gets and reads until the enumerator has nothing now.
    fn drain(enumerator: &mut FileEnumerator, reader: &mut FileReader) -> Vec<(String, u64, String)> {
        let mut out = ReaderOutput::default();
        loop {
            if reader.poll_next(&mut out, 4).unwrap() == ReadStatus::NeedsSplit {
                match enumerator.next_split(0) {
                    SplitAssignment::Split(s) => reader.add_split(s).unwrap(),
                    _ => break,
                }
            }
        }
        out.into_records()
            .into_iter()
            .map(|r| {
                let v = r.value;
                let name = v.path.file_name().unwrap().to_string_lossy().into_owned();
                (name, v.line, String::from_utf8(v.bytes).unwrap())
            })
            .collect()
    }

    #[test]
    fn nested_directories_are_read_with_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("d=1/h=2")).unwrap();
        fs::write(dir.path().join("d=1/h=2/p.txt"), "a\nb\n").unwrap();
        fs::write(dir.path().join("top.txt"), "c").unwrap();
        fs::write(dir.path().join("d=1/.p.inprogress"), "hidden").unwrap();
        let source = FileSource::new(dir.path());
        assert_eq!(source.boundedness(), Boundedness::Bounded);
        let mut e = source.create_enumerator(1).unwrap();
        let mut r = source.create_reader(&info(0, 1)).unwrap();
        let got = drain(&mut e, &mut r);
        assert_eq!(
            got,
            [("p.txt".into(), 1, "a".into()), ("p.txt".into(), 2, "b".into()), ("top.txt".into(), 1, "c".into())]
        );
        assert!(matches!(e.next_split(0), SplitAssignment::NoMoreSplits));
    }

    #[test]
    fn monitoring_finds_new_files_and_a_restored_enumerator_skips_seen_ones() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("1.txt"), "one").unwrap();
        let source = FileSource::new(dir.path()).monitor(Duration::ZERO);
        assert_eq!(source.boundedness(), Boundedness::ContinuousUnbounded);
        let mut e = source.create_enumerator(1).unwrap();
        let mut r = source.create_reader(&info(0, 1)).unwrap();
        assert_eq!(drain(&mut e, &mut r), [("1.txt".into(), 1, "one".into())]);
        fs::write(dir.path().join("2.txt"), "two").unwrap();
        assert_eq!(drain(&mut e, &mut r), [("2.txt".into(), 1, "two".into())]);
        assert!(matches!(e.next_split(0), SplitAssignment::NotYet));

        let state = e.snapshot_state().unwrap();
        fs::write(dir.path().join("3.txt"), "three").unwrap();
        let mut restored = source.restore_enumerator(1, &state).unwrap();
        let mut r = source.create_reader(&info(0, 1)).unwrap();
        assert_eq!(drain(&mut restored, &mut r), [("3.txt".into(), 1, "three".into())]);
    }

    #[test]
    fn a_reader_resumes_at_its_checkpointed_line() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("f.txt"), "1\n2\n3\n").unwrap();
        let source = FileSource::new(dir.path().join("f.txt"));
        let mut r = source.create_reader(&info(0, 1)).unwrap();
        r.add_split(FileSplit { path: dir.path().join("f.txt"), resume: None }).unwrap();
        let mut out = ReaderOutput::default();
        r.poll_next(&mut out, 1).unwrap();
        let state = r.snapshot_state().unwrap();
        let mut again = source.create_reader(&info(0, 1)).unwrap();
        for s in state {
            again.add_split(s).unwrap();
        }
        let mut out = ReaderOutput::default();
        while again.poll_next(&mut out, 8).unwrap() != ReadStatus::NeedsSplit {}
        let lines: Vec<(u64, Vec<u8>)> =
            out.into_records().into_iter().map(|r| (r.value.line, r.value.bytes)).collect();
        assert_eq!(lines, [(2, b"2".to_vec()), (3, b"3".to_vec())]);
    }

    #[test]
    fn whole_files_are_one_record_each_and_a_resumed_one_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.bin"), b"x\n\0y\n").unwrap();
        fs::write(dir.path().join("b.bin"), b"").unwrap();
        let source = FileSource::new(dir.path()).whole_files();
        let mut e = source.create_enumerator(1).unwrap();
        let mut r = source.create_reader(&info(0, 1)).unwrap();
        assert_eq!(drain(&mut e, &mut r), [("a.bin".into(), 0, "x\n\0y\n".into()), ("b.bin".into(), 0, "".into())]);

        let mut r = source.create_reader(&info(0, 1)).unwrap();
        let done = FilePosition { offset: 1, lines_before: 0 };
        r.add_split(FileSplit { path: dir.path().join("a.bin"), resume: Some(done) }).unwrap();
        let mut out = ReaderOutput::default();
        while r.poll_next(&mut out, 8).unwrap() != ReadStatus::NeedsSplit {}
        assert!(out.into_records().is_empty());
    }

    #[test]
    fn a_missing_path_fails_at_enumeration() {
        let err = FileSource::new("/no/such/dir").create_enumerator(1).unwrap_err().to_string();
        assert!(err.starts_with("cannot read /no/such/dir"), "{err}");
    }
}
