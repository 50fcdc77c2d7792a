//! [`FileChunkSource`]: the lines of a [`FileSource`] handed out many at a time, as
//! [`FileChunk`]s, for readers that decode lines in bulk (the SQL formats).
//!
//! A [`FileLine`](crate::file_source::FileLine) owns its bytes, so reading a file line by
//! line costs an allocation and a copy per line. A chunk is up to one batch of lines in one
//! buffer with the end of each line: for a memory-mapped file a shared range of the mapping
//! (no copy at all), otherwise one buffer per chunk. Splits, discovery, monitoring and
//! checkpoints are [`FileSource`]'s: a chunk always ends at a line end, so a reader's
//! position between two chunks is exactly the one the line-by-line reader would have
//! recorded after the chunk's last line.

use std::path::Path;
use std::sync::Arc;

use memmap2::Mmap;
use weir_core::StreamRecord;
use weir_runtime::{Boundedness, BoxError, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

use crate::file_source::{FileEnumerator, FileSource, FileSplit, ReaderFiles};

/// At most this many bytes of lines in a chunk (a longer line is a chunk of its own).
pub const CHUNK_MAX_BYTES: usize = 4 << 20;

/// Where a chunk's bytes are.
#[derive(Debug, Clone)]
pub(crate) enum ChunkBytes {
    /// A range of a file's mapping.
    Mapped { map: Arc<Mmap>, start: usize, end: usize },
    /// Read into the chunk's own buffer (a pipe, a device, a whole file).
    Owned(Vec<u8>),
}

/// Consecutive lines of one file in one buffer, or one whole file
/// ([`FileSource::whole_files`]).
///
/// ```
/// use weir_connectors::file_source::FileSource;
/// use weir_runtime::{ReaderOutput, Source, SourceReader, SubtaskInfo};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a.txt"), "x\r\n\ny").unwrap();
/// let source = FileSource::new(dir.path()).chunked();
/// let info = SubtaskInfo { name: "s".into(), index: 0, parallelism: 1, max_parallelism: 128 };
/// let mut reader = source.create_reader(&info).unwrap();
/// reader.add_split(weir_connectors::file_source::FileSplit { path: dir.path().join("a.txt"), resume: None }).unwrap();
/// let mut out = ReaderOutput::default();
/// reader.poll_next(&mut out, 1024).unwrap();
/// let chunk = &out[0].value;
/// let lines: Vec<(u64, &[u8])> = chunk.lines().collect();
/// assert_eq!(lines, [(1, &b"x"[..]), (2, &b""[..]), (3, &b"y"[..])]);
/// ```
#[derive(Debug, Clone)]
pub struct FileChunk {
    path: Arc<Path>,
    /// Number of the first line (1-based); 0 for a whole file.
    first_line: u64,
    bytes: ChunkBytes,
    /// Offset (in the chunk) just past each line's `\n`, or the end of a last line without.
    ends: Vec<usize>,
}

impl FileChunk {
    pub(crate) fn of_lines(path: Arc<Path>, first_line: u64, bytes: ChunkBytes, ends: Vec<usize>) -> Self {
        debug_assert!(first_line > 0 && !ends.is_empty());
        FileChunk { path, first_line, bytes, ends }
    }

    fn whole_file(path: Arc<Path>, bytes: Vec<u8>) -> Self {
        let len = bytes.len();
        FileChunk { path, first_line: 0, bytes: ChunkBytes::Owned(bytes), ends: vec![len] }
    }

    /// The file.
    pub fn path(&self) -> &Arc<Path> {
        &self.path
    }

    /// Whether this is a whole file (the source reads [`FileSource::whole_files`]) rather
    /// than lines.
    pub fn is_whole_file(&self) -> bool {
        self.first_line == 0
    }

    /// Number of lines (1 for a whole file).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no lines (never, for a chunk a source hands out).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// All bytes, line ends included.
    pub fn bytes(&self) -> &[u8] {
        match &self.bytes {
            ChunkBytes::Mapped { map, start, end } => &map[*start..*end],
            ChunkBytes::Owned(bytes) => bytes,
        }
    }

    /// The bytes as an owned buffer (a copy unless the chunk owns them): for a whole file.
    pub fn into_bytes(self) -> Vec<u8> {
        match self.bytes {
            ChunkBytes::Mapped { map, start, end } => map[start..end].to_vec(),
            ChunkBytes::Owned(bytes) => bytes,
        }
    }

    /// Each line's number (1-based) and bytes without its `\n` or `\r\n`, as
    /// [`LineReader::next_line`] gives them; for a whole file, `(0, the file's bytes)`.
    pub fn lines(&self) -> ChunkLines<'_> {
        ChunkLines {
            bytes: self.bytes(),
            ends: self.ends.iter(),
            start: 0,
            number: self.first_line,
            whole_file: self.is_whole_file(),
        }
    }
}

/// The lines of a [`FileChunk`] ([`FileChunk::lines`]).
#[derive(Debug, Clone)]
pub struct ChunkLines<'a> {
    bytes: &'a [u8],
    ends: std::slice::Iter<'a, usize>,
    start: usize,
    number: u64,
    whole_file: bool,
}

impl<'a> Iterator for ChunkLines<'a> {
    type Item = (u64, &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<(u64, &'a [u8])> {
        let raw_end = *self.ends.next()?;
        let raw = &self.bytes[self.start..raw_end];
        self.start = raw_end;
        let number = self.number;
        if self.whole_file {
            return Some((0, raw));
        }
        self.number += 1;
        let line = match raw {
            [line @ .., b'\r', b'\n'] | [line @ .., b'\n'] => line,
            line => line,
        };
        Some((number, line))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl ExactSizeIterator for ChunkLines<'_> {}

/// A [`FileSource`] whose records are [`FileChunk`]s ([`FileSource::chunked`]).
#[derive(Debug, Clone)]
pub struct FileChunkSource {
    files: FileSource,
}

impl FileChunkSource {
    pub(crate) fn new(files: FileSource) -> Self {
        FileChunkSource { files }
    }

    /// The source it reads the files of.
    pub fn files(&self) -> &FileSource {
        &self.files
    }
}

impl Source for FileChunkSource {
    type Out = FileChunk;
    type Split = FileSplit;
    type Reader = FileChunkReader;
    type Enumerator = FileEnumerator;

    fn boundedness(&self) -> Boundedness {
        self.files.boundedness()
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<FileEnumerator, BoxError> {
        self.files.create_enumerator(parallelism)
    }

    fn restore_enumerator(&self, parallelism: usize, state: &[u8]) -> Result<FileEnumerator, BoxError> {
        self.files.restore_enumerator(parallelism, state)
    }

    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<FileChunkReader, BoxError> {
        Ok(FileChunkReader { files: self.files.reader_files(), whole_files: self.files.reads_whole_files() })
    }
}

/// Reads its files one after another, a chunk of up to `max` lines per poll.
#[derive(Debug)]
pub struct FileChunkReader {
    files: ReaderFiles,
    whole_files: bool,
}

impl SourceReader for FileChunkReader {
    type Out = FileChunk;
    type Split = FileSplit;

    fn add_split(&mut self, split: FileSplit) -> Result<(), BoxError> {
        self.files.add(split);
        Ok(())
    }

    fn snapshot_state(&mut self) -> Result<Vec<FileSplit>, BoxError> {
        Ok(self.files.snapshot())
    }

    /// One chunk (or, for whole files, up to `max` files) per poll: `max` bounds the lines
    /// of the chunk, so downstream batches hold as many rows as with one record per line.
    fn poll_next(&mut self, out: &mut ReaderOutput<FileChunk>, max: usize) -> Result<ReadStatus, BoxError> {
        if max == 0 {
            return Ok(ReadStatus::MoreAvailable);
        }
        if self.whole_files {
            let mut produced = 0;
            while produced < max && self.files.read_whole_file(out, FileChunk::whole_file)? {
                produced += 1;
            }
            return Ok(if produced > 0 { ReadStatus::MoreAvailable } else { ReadStatus::NeedsSplit });
        }
        loop {
            let Some((path, lines)) = self.files.open(out)? else { return Ok(ReadStatus::NeedsSplit) };
            match lines.next_chunk(path, max, CHUNK_MAX_BYTES)? {
                Some(chunk) => {
                    out.push(StreamRecord::new(chunk));
                    return Ok(ReadStatus::MoreAvailable);
                }
                None => self.files.close(out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Write;
    use std::path::PathBuf;

    use weir_runtime::{SplitAssignment, SplitEnumerator};

    use super::*;
    use crate::line_reader::{FilePosition, LineReader};

    const CONTENTS: &[&[u8]] = &[
        b"",
        b"\n",
        b"a",
        b"a\n",
        b"a\r\nb\r\n",
        b"a\rb\n",
        b"a\n\nb",
        b"\r\n",
        b"\n\n\n",
        b"one\ntwo\r\nthree\n\nfive",
        b"{\"a\":1}\n{\"a\":22}\n{\"a\":333}\n",
    ];

    /// (line number, bytes, position after the line), read one line at a time.
    fn by_line(path: &Path) -> Vec<(u64, Vec<u8>, FilePosition)> {
        let mut reader = LineReader::open(path).unwrap();
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            let (number, bytes) = (line.number, line.bytes.to_vec());
            out.push((number, bytes, reader.position()));
        }
        out
    }

    /// The same, read a chunk at a time; the position is known after a chunk's last line.
    fn by_chunk(path: &Path, max_lines: usize, max_bytes: usize) -> Vec<(u64, Vec<u8>, Option<FilePosition>)> {
        let shared: Arc<Path> = Arc::from(path);
        let mut reader = LineReader::open(path).unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = reader.next_chunk(&shared, max_lines, max_bytes).unwrap() {
            assert!(!chunk.is_empty() && chunk.len() <= max_lines, "{} lines", chunk.len());
            assert!(Arc::ptr_eq(chunk.path(), &shared));
            let n = chunk.len();
            for (i, (number, bytes)) in chunk.lines().enumerate() {
                out.push((number, bytes.to_vec(), (i + 1 == n).then(|| reader.position())));
            }
        }
        out
    }

    fn file_with(content: &[u8]) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        file
    }

    #[test]
    fn chunks_hold_the_same_lines_and_positions_as_reading_line_by_line() {
        for &content in CONTENTS {
            let file = file_with(content);
            let want = by_line(file.path());
            for (max_lines, max_bytes) in [(1, usize::MAX), (2, usize::MAX), (3, 1), (1024, 5), (1024, usize::MAX)] {
                let got = by_chunk(file.path(), max_lines, max_bytes);
                assert_eq!(got.len(), want.len(), "{content:?} {max_lines} {max_bytes}");
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!((g.0, &g.1), (w.0, &w.1), "{content:?} {max_lines} {max_bytes}");
                    if let Some(position) = g.2 {
                        assert_eq!(position, w.2, "{content:?} {max_lines} {max_bytes}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_chunk_stops_at_its_byte_budget_and_a_longer_line_is_a_chunk_of_its_own() {
        let long = vec![b'x'; 100];
        let mut content = b"ab\ncd\n".to_vec();
        content.extend_from_slice(&long);
        content.extend_from_slice(b"\nef");
        let file = file_with(&content);
        let shared: Arc<Path> = Arc::from(file.path());
        let mut reader = LineReader::open(file.path()).unwrap();
        let mut chunks = Vec::new();
        while let Some(chunk) = reader.next_chunk(&shared, 1024, 4).unwrap() {
            chunks.push(chunk.lines().map(|(n, l)| (n, l.to_vec())).collect::<Vec<_>>());
        }
        // "ab\n" starts at 0 (< 4), "cd\n" at 3 (< 4), the long line at 6: a new chunk.
        assert_eq!(
            chunks,
            [vec![(1, b"ab".to_vec()), (2, b"cd".to_vec())], vec![(3, long)], vec![(4, b"ef".to_vec())]]
        );
    }

    #[test]
    fn a_line_longer_than_a_chunk_is_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut content = vec![b'y'; CHUNK_MAX_BYTES + 10];
        content.extend_from_slice(b"\nz\n");
        fs::write(dir.path().join("big.txt"), &content).unwrap();
        let lines = read_all(&FileSource::new(dir.path()).chunked(), 1024);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].2.len(), CHUNK_MAX_BYTES + 10);
        assert_eq!((lines[1].1, &lines[1].2[..]), (2, &b"z"[..]));
    }

    fn info() -> SubtaskInfo {
        SubtaskInfo { name: "t".into(), index: 0, parallelism: 1, max_parallelism: 128 }
    }

    /// (file name, line, bytes) of everything one reader reads, `max` lines per poll.
    fn read_all(source: &FileChunkSource, max: usize) -> Vec<(String, u64, Vec<u8>)> {
        let mut enumerator = source.create_enumerator(1).unwrap();
        let mut reader = source.create_reader(&info()).unwrap();
        let mut out = ReaderOutput::default();
        loop {
            if reader.poll_next(&mut out, max).unwrap() == ReadStatus::NeedsSplit {
                match enumerator.next_split(0) {
                    SplitAssignment::Split(s) => reader.add_split(s).unwrap(),
                    _ => break,
                }
            }
        }
        flatten(out)
    }

    fn flatten(out: ReaderOutput<FileChunk>) -> Vec<(String, u64, Vec<u8>)> {
        let mut lines = Vec::new();
        for record in out.into_records() {
            let chunk = record.value;
            let name = chunk.path().file_name().unwrap().to_string_lossy().into_owned();
            lines.extend(chunk.lines().map(|(n, l)| (name.clone(), n, l.to_vec())));
        }
        lines
    }

    #[test]
    fn the_chunked_source_reads_what_the_line_source_reads() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("d=1")).unwrap();
        for (i, &content) in CONTENTS.iter().enumerate() {
            fs::write(dir.path().join("d=1").join(format!("{i:02}.txt")), content).unwrap();
        }
        fs::write(dir.path().join("_SUCCESS"), "").unwrap();
        let lines = FileSource::new(dir.path());
        let mut enumerator = lines.create_enumerator(1).unwrap();
        let mut reader = lines.create_reader(&info()).unwrap();
        let mut out = ReaderOutput::default();
        loop {
            if reader.poll_next(&mut out, 3).unwrap() == ReadStatus::NeedsSplit {
                match enumerator.next_split(0) {
                    SplitAssignment::Split(s) => reader.add_split(s).unwrap(),
                    _ => break,
                }
            }
        }
        let want: Vec<(String, u64, Vec<u8>)> = out
            .into_records()
            .into_iter()
            .map(|r| (r.value.path.file_name().unwrap().to_string_lossy().into_owned(), r.value.line, r.value.bytes))
            .collect();
        assert!(want.len() > 20);
        for max in [1, 3, 1024] {
            assert_eq!(read_all(&lines.clone().chunked(), max), want, "{max} lines per poll");
        }
    }

    #[test]
    fn a_reader_resumes_after_its_last_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        fs::write(&path, "1\n2\r\n3\n\n5").unwrap();
        let source = FileSource::new(&path).chunked();
        let mut r = source.create_reader(&info()).unwrap();
        r.add_split(FileSplit { path: path.clone(), resume: None }).unwrap();
        let mut out = ReaderOutput::default();
        assert_eq!(r.poll_next(&mut out, 2).unwrap(), ReadStatus::MoreAvailable);
        let state = r.snapshot_state().unwrap();
        assert_eq!(
            state,
            [FileSplit { path: path.clone(), resume: Some(FilePosition { offset: 5, lines_before: 2 }) }]
        );
        assert_eq!(flatten(out), [("f.txt".into(), 1, b"1".to_vec()), ("f.txt".into(), 2, b"2".to_vec())]);

        let mut again = source.create_reader(&info()).unwrap();
        for s in state {
            again.add_split(s).unwrap();
        }
        let mut out = ReaderOutput::default();
        while again.poll_next(&mut out, 2).unwrap() != ReadStatus::NeedsSplit {}
        let rest = flatten(out);
        assert_eq!(
            rest,
            [("f.txt".into(), 3, b"3".to_vec()), ("f.txt".into(), 4, b"".to_vec()), ("f.txt".into(), 5, b"5".to_vec())]
        );
        // The line-by-line reader records the same position after the same lines.
        let mut lines = FileSource::new(&path).create_reader(&info()).unwrap();
        lines.add_split(FileSplit { path: path.clone(), resume: None }).unwrap();
        lines.poll_next(&mut ReaderOutput::default(), 2).unwrap();
        assert_eq!(
            lines.snapshot_state().unwrap(),
            [FileSplit { path, resume: Some(FilePosition { offset: 5, lines_before: 2 }) }]
        );
    }

    #[test]
    fn whole_files_are_one_chunk_each_and_a_resumed_one_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.bin"), b"x\r\n\0y\n").unwrap();
        fs::write(dir.path().join("b.bin"), b"").unwrap();
        let source = FileSource::new(dir.path()).whole_files().chunked();
        assert_eq!(
            read_all(&source, 8),
            [("a.bin".into(), 0, b"x\r\n\0y\n".to_vec()), ("b.bin".into(), 0, b"".to_vec())]
        );
        let mut r = source.create_reader(&info()).unwrap();
        let done = FilePosition { offset: 1, lines_before: 0 };
        r.add_split(FileSplit { path: dir.path().join("a.bin"), resume: Some(done) }).unwrap();
        let mut out = ReaderOutput::default();
        while r.poll_next(&mut out, 8).unwrap() != ReadStatus::NeedsSplit {}
        assert!(out.into_records().is_empty());
    }

    #[test]
    fn a_pipe_is_read_through_a_buffer_in_chunks() {
        let dir = tempfile::tempdir().unwrap();
        let fifo: PathBuf = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::write(fifo, b"a\r\nbb\n\nccc").unwrap())
        };
        let got = by_chunk(&fifo, 2, usize::MAX);
        writer.join().unwrap();
        let lines: Vec<(u64, &[u8])> = got.iter().map(|(n, l, _)| (*n, &l[..])).collect();
        assert_eq!(lines, [(1, &b"a"[..]), (2, b"bb"), (3, b""), (4, b"ccc")]);
        assert_eq!(got[1].2, Some(FilePosition { offset: 6, lines_before: 2 }));
        assert_eq!(got[3].2, Some(FilePosition { offset: 10, lines_before: 4 }));
    }
}
