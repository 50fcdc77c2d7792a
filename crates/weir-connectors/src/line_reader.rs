//! [`LineReader`]: reads a file line by line and knows the file and line number so
//! errors can name them.
//!
//! A regular file is memory-mapped and lines are borrowed straight from the mapping:
//! no `read` system calls and no copies (copying page-cache pages into a buffer was 40 %
//! of the time of reading Nexmark JSON). Consumed ranges are released from the mapping
//! as reading advances, so the process's resident memory does not grow with the file.
//! [`LineReader::next_chunk`] hands out many lines at once as a [`FileChunk`]: for a mapped
//! file a range of the mapping, shared, so no line is copied or allocated on its own.
//! Anything else (a pipe, a device) is read through a large buffer.
//!
//! A mapped file must not be truncated while it is read; the sources read finished
//! files.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::{Advice, Mmap};

use crate::error::ConnectorError;
use crate::file_chunk::{ChunkBytes, FileChunk};

/// Read buffer size for files that cannot be mapped: large, so a reader makes few system
/// calls.
pub const READ_BUFFER_BYTES: usize = 1 << 20;

/// How much of a mapping is read before the read part is released.
const RELEASE_BYTES: usize = 8 << 20;

/// Where reading a file stands: the byte offset of the next line and how many lines
/// came before it (for line numbers in errors). A checkpoint records it; a reader opened
/// at it continues with that line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct FilePosition {
    /// Byte offset of the next line.
    pub offset: u64,
    /// Lines before it.
    pub lines_before: u64,
}

/// How a quoted field is written, for files whose records may hold line breaks inside
/// quotes (CSV): a record then ends at the first line end outside a quoted field. A quote
/// opens a field only where the field starts (after a delimiter or at the record's start);
/// inside one, a doubled quote or the escape character followed by any byte stays inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordQuotes {
    /// The quote character.
    pub quote: u8,
    /// The field delimiter.
    pub delimiter: u8,
    /// The escape character, if any.
    pub escape: Option<u8>,
}

/// Where a record scan stands between two pieces of a record (a buffered reader reads a
/// record one line at a time).
#[derive(Debug, Clone, Copy)]
struct QuoteScan {
    quotes: RecordQuotes,
    /// Inside a quoted field.
    open: bool,
    /// The next byte starts a field.
    field_start: bool,
    /// The last byte was an escape character or a quote inside a quoted field, whose
    /// meaning depends on the next byte.
    pending: Option<u8>,
}

impl QuoteScan {
    fn new(quotes: RecordQuotes) -> Self {
        QuoteScan { quotes, open: false, field_start: true, pending: None }
    }

    /// The length of `bytes` up to and including the line end that ends the record, or
    /// `None` when the record goes on past `bytes`.
    fn feed(&mut self, bytes: &[u8]) -> Option<usize> {
        let q = self.quotes;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            i += 1;
            match self.pending.take() {
                // The escaped byte is part of the field, whatever it is.
                Some(e) if Some(e) == q.escape && e != q.quote => continue,
                // A quote followed by a quote is one quote inside the field.
                Some(_) if c == q.quote => continue,
                // Otherwise that quote closed the field; `c` is read outside it.
                Some(_) => self.open = false,
                None => {}
            }
            if self.open {
                if c == q.quote || Some(c) == q.escape {
                    self.pending = Some(c);
                }
                continue;
            }
            match c {
                b'\n' => return Some(i),
                c if c == q.delimiter => {
                    self.field_start = true;
                    continue;
                }
                c if c == q.quote && self.field_start => self.open = true,
                _ => {}
            }
            self.field_start = false;
        }
        None
    }
}

/// The length of the next record of `rest` (through its line end; all of `rest` when it has
/// none): a line, or with `quotes` a record whose quoted fields may hold line ends.
fn record_len(rest: &[u8], quotes: Option<RecordQuotes>) -> usize {
    let end = match quotes {
        None => memchr_newline(rest).map(|i| i + 1),
        Some(q) => QuoteScan::new(q).feed(rest),
    };
    end.unwrap_or(rest.len())
}

#[derive(Debug)]
enum Backing {
    /// Shared with the [`FileChunk`]s that borrow ranges of it.
    Mapped {
        map: Arc<Mmap>,
        pos: usize,
        released: usize,
    },
    Buffered {
        reader: BufReader<File>,
        buf: Vec<u8>,
        offset: u64,
    },
    Empty,
}

/// A buffered line reader over one file.
///
/// ```
/// # use std::io::Write;
/// use weir_connectors::line_reader::LineReader;
/// let mut file = tempfile::NamedTempFile::new().unwrap();
/// file.write_all(b"one\r\ntwo").unwrap();
/// let mut lines = LineReader::open(file.path()).unwrap();
/// assert_eq!(lines.next_line().unwrap().unwrap().bytes, b"one");
/// let two = lines.next_line().unwrap().unwrap();
/// assert_eq!((two.bytes, two.number), (&b"two"[..], 2));
/// assert!(lines.next_line().unwrap().is_none());
/// ```
#[derive(Debug)]
pub struct LineReader {
    path: PathBuf,
    backing: Backing,
    number: u64,
    quotes: Option<RecordQuotes>,
}

/// One line, borrowed from its [`LineReader`], with where it came from.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    /// The line without its `\n` or `\r\n`.
    pub bytes: &'a [u8],
    /// The file.
    pub path: &'a Path,
    /// 1-based line number.
    pub number: u64,
}

impl<'a> Line<'a> {
    /// The line as text.
    ///
    /// # Errors
    /// [`ConnectorError::InvalidUtf8`] naming file and line.
    pub fn to_str(&self) -> Result<&'a str, ConnectorError> {
        std::str::from_utf8(self.bytes).map_err(|source| ConnectorError::InvalidUtf8 {
            path: self.path.to_path_buf(),
            line: self.number,
            source,
        })
    }

    /// A [`ConnectorError::Malformed`] for this line (file, line number, and the line's
    /// first 200 characters).
    pub fn malformed(&self, message: impl std::fmt::Display) -> ConnectorError {
        ConnectorError::malformed(self.path, self.number, message.to_string(), self.bytes)
    }

    /// Whether the line is empty or only white space.
    pub fn is_blank(&self) -> bool {
        self.bytes.iter().all(u8::is_ascii_whitespace)
    }
}

impl LineReader {
    /// Opens `path`.
    ///
    /// # Errors
    /// [`ConnectorError::Io`] when the file cannot be opened.
    pub fn open(path: &Path) -> Result<Self, ConnectorError> {
        Self::open_at(path, FilePosition::default())
    }

    /// Opens `path` to continue at `position`.
    ///
    /// # Errors
    /// [`ConnectorError::Io`] when the file cannot be opened or is shorter than the
    /// position.
    pub fn open_at(path: &Path, position: FilePosition) -> Result<Self, ConnectorError> {
        let file = File::open(path).map_err(|e| ConnectorError::io("open", path, e))?;
        let meta = file.metadata().map_err(|e| ConnectorError::io("stat", path, e))?;
        let backing = if meta.is_file() && meta.len() == 0 && position.offset == 0 {
            Backing::Empty
        } else if meta.is_file() {
            // SAFETY: the mapping is read-only and shared only with the chunks this reader
            // hands out, which read it too; the sources only read files that are complete
            // (see the module docs on truncation).
            let map = unsafe { Mmap::map(&file) }.map_err(|e| ConnectorError::io("map", path, e))?;
            // Only a hint: reading works the same when the kernel ignores it.
            let _ = map.advise(Advice::Sequential);
            let pos = usize::try_from(position.offset).unwrap_or(usize::MAX);
            if pos > map.len() {
                let past = format!("position {pos} is past the end ({} bytes)", map.len());
                return Err(ConnectorError::io("resume", path, std::io::Error::other(past)));
            }
            Backing::Mapped { map: Arc::new(map), pos, released: 0 }
        } else {
            let mut file = file;
            if position.offset > 0 {
                use std::io::{Seek, SeekFrom};
                file.seek(SeekFrom::Start(position.offset)).map_err(|e| ConnectorError::io("seek", path, e))?;
            }
            Backing::Buffered {
                reader: BufReader::with_capacity(READ_BUFFER_BYTES, file),
                buf: Vec::with_capacity(1024),
                offset: position.offset,
            }
        };
        Ok(LineReader { path: path.to_path_buf(), backing, number: position.lines_before, quotes: None })
    }

    /// Makes a record end only at a line end outside quoted fields, as `quotes` says (CSV
    /// fields may hold line breaks): each [`Line`] is then one record, which may span
    /// several lines of the file, and line numbers count records.
    pub fn quoted(mut self, quotes: Option<RecordQuotes>) -> Self {
        self.quotes = quotes;
        self
    }

    /// Reads one record (through its line end) into `buf` from `reader`; the bytes read
    /// (0 at the end of the file).
    fn read_record(
        reader: &mut BufReader<File>,
        buf: &mut Vec<u8>,
        quotes: Option<RecordQuotes>,
        path: &Path,
    ) -> Result<usize, ConnectorError> {
        let mut scan = quotes.map(QuoteScan::new);
        let mut total = 0;
        loop {
            let from = buf.len();
            let n = reader.read_until(b'\n', buf).map_err(|e| ConnectorError::io("read", path, e))?;
            total += n;
            let done = match &mut scan {
                None => true,
                Some(scan) => n == 0 || scan.feed(&buf[from..]).is_some(),
            };
            if done {
                return Ok(total);
            }
        }
    }

    /// Where the next line starts.
    pub fn position(&self) -> FilePosition {
        let offset = match &self.backing {
            Backing::Mapped { pos, .. } => *pos as u64,
            Backing::Buffered { offset, .. } => *offset,
            Backing::Empty => 0,
        };
        FilePosition { offset, lines_before: self.number }
    }

    /// The next line, without its end (`\n`, or `\r\n`); `None` at the end of the file.
    /// A last line without `\n` is still a line.
    ///
    /// # Errors
    /// [`ConnectorError::Io`] on a read failure.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, ConnectorError> {
        let raw: &[u8] = match &mut self.backing {
            Backing::Empty => return Ok(None),
            Backing::Mapped { map, pos, released } => {
                let rest = &map[*pos..];
                if rest.is_empty() {
                    return Ok(None);
                }
                let len = record_len(rest, self.quotes);
                let start = *pos;
                *pos += len;
                release_read_part(map, start, *pos, released);
                &map[start..start + len]
            }
            Backing::Buffered { reader, buf, offset } => {
                buf.clear();
                let n = Self::read_record(reader, buf, self.quotes, &self.path)?;
                if n == 0 {
                    return Ok(None);
                }
                *offset += n as u64;
                &buf[..]
            }
        };
        self.number += 1;
        let mut end = raw.len();
        if raw[end - 1] == b'\n' {
            end -= 1;
            if end > 0 && raw[end - 1] == b'\r' {
                end -= 1;
            }
        }
        Ok(Some(Line { bytes: &raw[..end], path: &self.path, number: self.number }))
    }

    /// The next lines, as one [`FileChunk`] of `path` (the file's name as the caller shares
    /// it): at least one line and at most `max_lines`, and no line after the first that
    /// would start at `max_bytes` or beyond (one line longer than that is one chunk).
    /// `None` at the end of the file. A mapped file's chunk borrows the mapping (no copy);
    /// otherwise the lines are read into the chunk's own buffer. The position afterwards is
    /// the start of the line after the chunk, as after reading its lines one by one.
    ///
    /// # Errors
    /// [`ConnectorError::Io`] on a read failure.
    pub fn next_chunk(
        &mut self,
        path: &Arc<Path>,
        max_lines: usize,
        max_bytes: usize,
    ) -> Result<Option<FileChunk>, ConnectorError> {
        let mut ends = Vec::with_capacity(max_lines.min(4096));
        let bytes = match &mut self.backing {
            Backing::Empty => return Ok(None),
            Backing::Mapped { map, pos, released } => {
                let start = *pos;
                let all: &[u8] = map;
                let mut end = start;
                while end < all.len() && ends.len() < max_lines && (ends.is_empty() || end - start < max_bytes) {
                    end += record_len(&all[end..], self.quotes);
                    ends.push(end - start);
                }
                if ends.is_empty() {
                    return Ok(None);
                }
                *pos = end;
                release_read_part(map, start, end, released);
                ChunkBytes::Mapped { map: map.clone(), start, end }
            }
            Backing::Buffered { reader, offset, .. } => {
                let mut buf = Vec::new();
                while ends.len() < max_lines && (ends.is_empty() || buf.len() < max_bytes) {
                    let n = Self::read_record(reader, &mut buf, self.quotes, &self.path)?;
                    if n == 0 {
                        break;
                    }
                    *offset += n as u64;
                    ends.push(buf.len());
                }
                if ends.is_empty() {
                    return Ok(None);
                }
                ChunkBytes::Owned(buf)
            }
        };
        let first_line = self.number + 1;
        self.number += ends.len() as u64;
        Ok(Some(FileChunk::of_lines(path.clone(), first_line, bytes, ends)))
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of lines read so far.
    pub fn lines_read(&self) -> u64 {
        self.number
    }
}

/// Releases the pages of `map` before `start` (the first byte still to be handed out) once
/// `RELEASE_BYTES` were read past the last release; `pos` is the new read position.
fn release_read_part(map: &Mmap, start: usize, pos: usize, released: &mut usize) {
    if pos - *released >= RELEASE_BYTES {
        let page = page_size();
        let upto = (start / page) * page;
        if upto > *released {
            // SAFETY: the mapping is a read-only file mapping: dropping pages only means
            // they are read from the page cache again if touched (by this reader, which
            // never goes back before `start`, or by a chunk still borrowing them).
            let _ =
                unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, *released, upto - *released) };
            *released = upto;
        }
    }
}

#[inline]
fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', bytes)
}

fn page_size() -> usize {
    4096
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn lines_of(content: &[u8]) -> Vec<Vec<u8>> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        let mut reader = LineReader::open(file.path()).unwrap();
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            assert_eq!(line.number, out.len() as u64 + 1);
            out.push(line.bytes.to_vec());
        }
        out
    }

    #[test]
    fn splits_lines() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"", &[]),
            (b"\n", &[b""]),
            (b"a", &[b"a"]),
            (b"a\n", &[b"a"]),
            (b"a\r\nb\r\n", &[b"a", b"b"]),
            (b"a\rb\n", &[b"a\rb"]),
            (b"a\n\nb", &[b"a", b"", b"b"]),
            (b"\r\n", &[b""]),
        ];
        for &(content, expected) in cases {
            let got = lines_of(content);
            let want: Vec<Vec<u8>> = expected.iter().map(|l| l.to_vec()).collect();
            assert_eq!(got, want, "{content:?}");
        }
    }

    #[test]
    fn errors_name_file_and_line() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"ok\n\xff\xfe\n").unwrap();
        let mut reader = LineReader::open(file.path()).unwrap();
        assert_eq!(reader.next_line().unwrap().unwrap().to_str().unwrap(), "ok");
        let bad = reader.next_line().unwrap().unwrap();
        let err = bad.to_str().unwrap_err();
        let text = err.to_string();
        assert!(text.contains(&format!("{}:2:", file.path().display())), "{text}");
        assert!(bad.malformed("nope").to_string().ends_with(": nope; the line reads: \u{fffd}\u{fffd}"));

        let missing = LineReader::open(Path::new("/no/such/file")).unwrap_err();
        assert!(missing.to_string().starts_with("cannot open /no/such/file"), "{missing}");
    }

    const CSV: RecordQuotes = RecordQuotes { quote: b'"', delimiter: b',', escape: Some(b'\\') };

    /// Records of `content` with `CSV` quotes, read from a mapped file line by line and in
    /// chunks of one and of all records, and (through a pipe) buffered: all must agree.
    fn records_of(content: &[u8]) -> Vec<Vec<u8>> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        let mut reader = LineReader::open(file.path()).unwrap().quoted(Some(CSV));
        let mut by_line = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            assert_eq!(line.number, by_line.len() as u64 + 1, "records are numbered");
            by_line.push(line.bytes.to_vec());
        }
        let path: Arc<Path> = Arc::from(file.path());
        for max_lines in [1, 1000] {
            let mut reader = LineReader::open(file.path()).unwrap().quoted(Some(CSV));
            let mut chunked = Vec::new();
            while let Some(chunk) = reader.next_chunk(&path, max_lines, 1 << 20).unwrap() {
                chunked.extend(chunk.lines().map(|(_, l)| l.to_vec()));
            }
            assert_eq!(chunked, by_line, "chunks of {max_lines}: {content:?}");
            assert_eq!(reader.position().offset, content.len() as u64);
        }
        // A named pipe is read through the buffer, not mapped.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let writer = {
            let (content, fifo) = (content.to_vec(), fifo.clone());
            std::thread::spawn(move || std::fs::write(fifo, content).unwrap())
        };
        let mut reader = LineReader::open(&fifo).unwrap().quoted(Some(CSV));
        let mut buffered = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            buffered.push(line.bytes.to_vec());
        }
        writer.join().unwrap();
        assert_eq!(buffered, by_line, "buffered: {content:?}");
        by_line
    }

    #[test]
    fn quoted_records_span_line_ends_inside_quotes_only() {
        let cases: &[(&[u8], &[&[u8]])] = &[
            (b"1,\"multi\nline\",2\n3,x,4\n", &[b"1,\"multi\nline\",2", b"3,x,4"]),
            // a doubled quote stays inside the field; the line end after it is inside too
            (b"1,\"a\"\"\nb\"\n2\n", &[b"1,\"a\"\"\nb\"", b"2"]),
            // an escaped quote stays inside the field
            (b"\"a\\\"\nb\"\nc\n", &[b"\"a\\\"\nb\"", b"c"]),
            // a quote inside an unquoted field is a plain character
            (b"ab\"c,d\ne\n", &[b"ab\"c,d", b"e"]),
            // a quote at a field's start after the delimiter opens it
            (b"x,\"y\r\nz\"\r\nw", &[b"x,\"y\r\nz\"", b"w"]),
            // an unclosed quote runs to the end of the file: one record, for the format to refuse
            (b"1,\"open\n2,b\n", &[b"1,\"open\n2,b"]),
        ];
        for &(content, expected) in cases {
            let want: Vec<Vec<u8>> = expected.iter().map(|l| l.to_vec()).collect();
            assert_eq!(records_of(content), want, "{content:?}");
        }
    }

    #[test]
    fn quoted_records_resume_at_a_record_boundary() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(b"1,\"a\nb\"\n2,\"c\nd\"\n3,e\n").unwrap();
        let mut reader = LineReader::open(file.path()).unwrap().quoted(Some(CSV));
        reader.next_line().unwrap().unwrap();
        let at = reader.position();
        assert_eq!(at, FilePosition { offset: 8, lines_before: 1 });
        let mut resumed = LineReader::open_at(file.path(), at).unwrap().quoted(Some(CSV));
        let second = resumed.next_line().unwrap().unwrap();
        assert_eq!((second.bytes, second.number), (&b"2,\"c\nd\""[..], 2));
        assert_eq!(resumed.next_line().unwrap().unwrap().bytes, b"3,e");
    }
}
