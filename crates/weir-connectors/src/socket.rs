//! [`SocketSource`]: records read from a TCP socket, separated by a delimiter byte (a newline
//! by default) — Flink's `socketTextStream` and its SQL `socket` connector, for demos and
//! tests.
//!
//! # Behaviour
//! * The source has one split, the connection, read by one reader; other readers get nothing.
//! * It connects when the reader gets the split and reads without blocking the task: no bytes
//!   now means "nothing available", so checkpoints and timers go on while the peer is quiet.
//! * It ends when the peer closes the connection; a last record without a delimiter is kept.
//! * A socket cannot replay: after a restore from a checkpoint the source connects again and
//!   reads what the peer sends from then on (at most once). A `\r` before a `\n` delimiter is
//!   dropped, so Windows line ends read as lines.

use std::io::{ErrorKind as IoKind, Read};
use std::net::TcpStream;

use weir_core::StreamRecord;
use weir_runtime::{Boundedness, BoxError, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

use crate::enumerator::StaticSplitEnumerator;
use crate::error::ConnectorError;

/// A TCP client source of delimited records.
///
/// ```no_run
/// use weir_connectors::socket::SocketSource;
/// // Reads the lines a server on port 9999 sends (try `nc -lk 9999`).
/// let source = SocketSource::new("localhost", 9999);
/// assert_eq!(source.address(), "localhost:9999");
/// ```
#[derive(Debug, Clone)]
pub struct SocketSource {
    host: String,
    port: u16,
    delimiter: u8,
}

/// The connection to read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SocketSplit {
    /// `host:port`.
    pub address: String,
}

impl SocketSource {
    /// Records separated by `\n` from `host:port`.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        SocketSource { host: host.into(), port, delimiter: b'\n' }
    }

    /// Separates records by `delimiter` instead of `\n` (Flink's `byte-delimiter`).
    pub fn with_delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl Source for SocketSource {
    type Out = Vec<u8>;
    type Split = SocketSplit;
    type Reader = SocketReader;
    type Enumerator = StaticSplitEnumerator<SocketSplit>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::ContinuousUnbounded
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        Ok(StaticSplitEnumerator::new([SocketSplit { address: self.address() }], parallelism))
    }

    fn restore_enumerator(&self, parallelism: usize, state: &[u8]) -> Result<Self::Enumerator, BoxError> {
        StaticSplitEnumerator::restore(state, parallelism)
    }

    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(SocketReader { delimiter: self.delimiter, split: None, stream: None, buf: Vec::new(), start: 0 })
    }
}

/// Reads the connection of its split.
#[derive(Debug)]
pub struct SocketReader {
    delimiter: u8,
    split: Option<SocketSplit>,
    stream: Option<TcpStream>,
    /// Bytes read and not yet handed out as records, from `start`.
    buf: Vec<u8>,
    start: usize,
}

impl SocketReader {
    fn record(&self, mut bytes: &[u8]) -> Vec<u8> {
        if self.delimiter == b'\n' {
            bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        }
        bytes.to_vec()
    }

    /// Hands out the complete records in the buffer, at most `max - produced`.
    fn drain(&mut self, out: &mut ReaderOutput<Vec<u8>>, produced: &mut usize, max: usize) {
        while *produced < max {
            let Some(at) = memchr::memchr(self.delimiter, &self.buf[self.start..]) else { break };
            let record = self.record(&self.buf[self.start..self.start + at]);
            self.start += at + 1;
            out.push(StreamRecord::new(record));
            *produced += 1;
        }
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }
}

impl SourceReader for SocketReader {
    type Out = Vec<u8>;
    type Split = SocketSplit;

    fn add_split(&mut self, split: SocketSplit) -> Result<(), BoxError> {
        let stream = TcpStream::connect(&split.address)
            .map_err(|e| ConnectorError::Config(format!("cannot connect to socket {}: {e}", split.address)))?;
        stream.set_nonblocking(true).map_err(|e| ConnectorError::Config(format!("socket {}: {e}", split.address)))?;
        self.stream = Some(stream);
        self.split = Some(split);
        Ok(())
    }

    fn snapshot_state(&mut self) -> Result<Vec<SocketSplit>, BoxError> {
        Ok(self.split.iter().cloned().collect())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<Vec<u8>>, max: usize) -> Result<ReadStatus, BoxError> {
        let mut produced = 0;
        self.drain(out, &mut produced, max);
        let Some(stream) = &mut self.stream else {
            return Ok(if produced > 0 { ReadStatus::MoreAvailable } else { ReadStatus::NeedsSplit });
        };
        if produced == max {
            return Ok(ReadStatus::MoreAvailable);
        }
        let mut chunk = [0u8; 64 * 1024];
        match stream.read(&mut chunk) {
            Ok(0) => {
                // The peer closed: the rest is the last record, and the split is done.
                if self.start < self.buf.len() {
                    let record = self.record(&self.buf[self.start..]);
                    out.push(StreamRecord::new(record));
                    produced += 1;
                }
                self.buf.clear();
                self.start = 0;
                self.stream = None;
                self.split = None;
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                self.drain(out, &mut produced, max);
            }
            Err(e) if e.kind() == IoKind::WouldBlock || e.kind() == IoKind::Interrupted => {}
            Err(e) => {
                let address = self.split.as_ref().map(|s| s.address.as_str()).unwrap_or("?");
                return Err(ConnectorError::Config(format!("cannot read from socket {address}: {e}")).into());
            }
        }
        Ok(if produced > 0 {
            ReadStatus::MoreAvailable
        } else if self.stream.is_none() {
            ReadStatus::NeedsSplit
        } else {
            ReadStatus::NothingAvailable
        })
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpListener;
    use std::time::{Duration, Instant};

    use weir_runtime::{SplitAssignment, SplitEnumerator};

    use super::*;

    #[test]
    fn records_until_the_peer_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            conn.write_all(b"one\r\ntw").unwrap();
            conn.flush().unwrap();
            std::thread::sleep(Duration::from_millis(20));
            conn.write_all(b"o\n\nlast").unwrap();
        });
        let source = SocketSource::new("127.0.0.1", port);
        let mut enumerator = source.create_enumerator(2).unwrap();
        assert!(matches!(enumerator.next_split(1), SplitAssignment::NoMoreSplits));
        let SplitAssignment::Split(split) = enumerator.next_split(0) else { panic!("one split") };
        let mut reader = source.create_reader(&SubtaskInfo::single("socket")).unwrap();
        reader.add_split(split).unwrap();
        let mut out = ReaderOutput::default();
        let deadline = Instant::now() + Duration::from_secs(10);
        while reader.poll_next(&mut out, 100).unwrap() != ReadStatus::NeedsSplit {
            assert!(Instant::now() < deadline, "the source did not end after the peer closed");
        }
        server.join().unwrap();
        let records: Vec<Vec<u8>> = out.into_records().into_iter().map(|r| r.value).collect();
        assert_eq!(records, [b"one".to_vec(), b"two".to_vec(), b"".to_vec(), b"last".to_vec()]);
    }

    #[test]
    fn another_delimiter() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            conn.write_all(b"a\nb|c|").unwrap();
        });
        let mut reader = SocketSource::new("127.0.0.1", port)
            .with_delimiter(b'|')
            .create_reader(&SubtaskInfo::single("socket"))
            .unwrap();
        reader.add_split(SocketSplit { address: format!("127.0.0.1:{port}") }).unwrap();
        let mut out = ReaderOutput::default();
        while reader.poll_next(&mut out, 100).unwrap() != ReadStatus::NeedsSplit {}
        server.join().unwrap();
        let records: Vec<Vec<u8>> = out.into_records().into_iter().map(|r| r.value).collect();
        assert_eq!(records, [b"a\nb".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn a_refused_connection_names_the_address() {
        // A port just freed: nothing listens there.
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut reader = SocketSource::new("127.0.0.1", port).create_reader(&SubtaskInfo::single("s")).unwrap();
        let err = reader.add_split(SocketSplit { address: format!("127.0.0.1:{port}") }).unwrap_err().to_string();
        assert!(err.contains(&format!("cannot connect to socket 127.0.0.1:{port}")), "{err}");
    }
}
