//! [`NexmarkFileSource`]: reads Nexmark JSON-lines files (either layout of
//! [`files`](super::files)) back as [`Event`]s.
//!
//! One split is one part: its persons, auctions and bids files, read together and merged
//! by `dateTime` (a 3-way merge; ties go to persons, then auctions, then bids), so each
//! reader's event time stays as ordered as the files are. Records carry `dateTime` as
//! their timestamp.
//!
//! Parsing goes from the line's bytes straight into the structs (timestamps without an
//! intermediate string); the line buffer is reused. A malformed line fails the job with
//! the file, the line number and the line.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use weir_core::StreamRecord;
use weir_runtime::{Boundedness, BoxError, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

use super::files::{NexmarkFileLayout, NexmarkFileSplit};
use super::json;
use super::model::Event;
use crate::enumerator::StaticSplitEnumerator;
use crate::error::ConnectorError;
use crate::line_reader::{FilePosition, LineReader};

/// A source over a directory of Nexmark files.
///
/// At parallelism `P` it reads `DIR/parts<P>/…` when that exists (one split per part),
/// else `DIR/{persons,auctions,bids}.jsonl` (one split; the other readers get none).
///
/// ```
/// use weir_connectors::nexmark::{write_dir, NexmarkConfig, NexmarkFileSource};
/// use weir_runtime::{ReadStatus, Source, SourceReader, SplitAssignment, SplitEnumerator, SubtaskInfo};
///
/// let dir = tempfile::tempdir().unwrap();
/// write_dir(&NexmarkConfig::new(500), dir.path()).unwrap();
/// let source = NexmarkFileSource::new(dir.path());
/// let mut enumerator = source.create_enumerator(1).unwrap();
/// let mut reader = source.create_reader(&SubtaskInfo::single("files")).unwrap();
/// let mut out = weir_runtime::ReaderOutput::default();
/// loop {
///     if reader.poll_next(&mut out, 100).unwrap() == ReadStatus::NeedsSplit {
///         match enumerator.next_split(0) {
///             SplitAssignment::Split(split) => reader.add_split(split).unwrap(),
///             _ => break,
///         }
///     }
/// }
/// assert_eq!(out.len(), 500);
/// ```
#[derive(Debug, Clone)]
pub struct NexmarkFileSource {
    dir: PathBuf,
    streams: NexmarkStreams,
}

/// Which of the three event files a source reads (projection: a query that needs only
/// bids does not read or decode persons and auctions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NexmarkStreams {
    /// Read `persons.jsonl`.
    pub persons: bool,
    /// Read `auctions.jsonl`.
    pub auctions: bool,
    /// Read `bids.jsonl`.
    pub bids: bool,
}

impl NexmarkStreams {
    /// All three files.
    pub const ALL: NexmarkStreams = NexmarkStreams { persons: true, auctions: true, bids: true };
    /// Bids only.
    pub const BIDS: NexmarkStreams = NexmarkStreams { persons: false, auctions: false, bids: true };
    /// Persons and auctions.
    pub const PERSONS_AND_AUCTIONS: NexmarkStreams = NexmarkStreams { persons: true, auctions: true, bids: false };
}

impl NexmarkFileSource {
    /// A source over the files in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        NexmarkFileSource { dir: dir.into(), streams: NexmarkStreams::ALL }
    }

    /// Reads only `streams` (the others' events are not emitted).
    pub fn reading(mut self, streams: NexmarkStreams) -> Self {
        self.streams = streams;
        self
    }

    /// The directory read.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Source for NexmarkFileSource {
    type Out = Event;
    type Split = NexmarkFileSplit;
    type Reader = NexmarkFileReader;
    type Enumerator = StaticSplitEnumerator<NexmarkFileSplit>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    fn restore_enumerator(&self, parallelism: usize, state: &[u8]) -> Result<Self::Enumerator, BoxError> {
        StaticSplitEnumerator::restore(state, parallelism)
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        let layout = NexmarkFileLayout::detect(&self.dir, parallelism)?;
        Ok(StaticSplitEnumerator::new(layout.splits(&self.dir), parallelism))
    }

    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(NexmarkFileReader { pending: VecDeque::new(), current: None, current_split: 0, streams: self.streams })
    }
}

/// Reads the splits assigned to one subtask, one after the other.
#[derive(Debug)]
pub struct NexmarkFileReader {
    pending: VecDeque<NexmarkFileSplit>,
    /// The split being read and its merge.
    current: Option<(NexmarkFileSplit, SplitMerge)>,
    current_split: u64,
    streams: NexmarkStreams,
}

impl SourceReader for NexmarkFileReader {
    type Out = Event;
    type Split = NexmarkFileSplit;

    fn add_split(&mut self, split: NexmarkFileSplit) -> Result<(), BoxError> {
        self.pending.push_back(split);
        Ok(())
    }

    fn snapshot_state(&mut self) -> Result<Vec<NexmarkFileSplit>, BoxError> {
        let current = self.current.as_ref().map(|(split, merge)| NexmarkFileSplit {
            resume: Some(merge.streams.each_ref().map(EventLines::position)),
            ..split.clone()
        });
        Ok(current.into_iter().chain(self.pending.iter().cloned()).collect())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<Event>, max: usize) -> Result<ReadStatus, BoxError> {
        let mut produced = 0;
        while produced < max {
            if self.current.is_none() {
                let Some(split) = self.pending.pop_front() else { break };
                self.current_split = split.index as u64;
                let merge = SplitMerge::open(&split, self.streams)?;
                self.current = Some((split, merge));
                out.start_split(self.current_split);
            }
            let (_, merge) = self.current.as_mut().expect("a split is open");
            produced += merge.read(out, max - produced)?;
            if merge.is_done() {
                self.current = None;
                out.finish_split(self.current_split);
            }
        }
        Ok(if produced > 0 || max == 0 { ReadStatus::MoreAvailable } else { ReadStatus::NeedsSplit })
    }
}

/// The three files of one split and their next events.
#[derive(Debug)]
struct SplitMerge {
    streams: [EventLines; 3],
}

impl SplitMerge {
    fn open(split: &NexmarkFileSplit, read: NexmarkStreams) -> Result<Self, ConnectorError> {
        let start = [Some(FilePosition::default()); 3];
        let at = split.resume.unwrap_or(start);
        let mut streams = [
            EventLines::open_if(read.persons, &split.persons, Kind::Person, at[0])?,
            EventLines::open_if(read.auctions, &split.auctions, Kind::Auction, at[1])?,
            EventLines::open_if(read.bids, &split.bids, Kind::Bid, at[2])?,
        ];
        for stream in &mut streams {
            stream.advance()?;
        }
        Ok(SplitMerge { streams })
    }

    fn is_done(&self) -> bool {
        self.streams.iter().all(|s| s.head.is_none())
    }

    /// Moves up to `max` events, earliest first, into `out`.
    fn read(&mut self, out: &mut Vec<StreamRecord<Event>>, max: usize) -> Result<usize, ConnectorError> {
        let mut n = 0;
        while n < max {
            let mut best: Option<(usize, i64)> = None;
            for (i, stream) in self.streams.iter().enumerate() {
                if let Some(event) = &stream.head {
                    let ts = event.timestamp();
                    // Strictly earlier wins: ties stay with the earlier stream.
                    if best.is_none_or(|(_, best_ts)| ts < best_ts) {
                        best = Some((i, ts));
                    }
                }
            }
            let Some((i, ts)) = best else { break };
            let stream = &mut self.streams[i];
            let event = stream.head.take().expect("the chosen stream has a head");
            out.push(StreamRecord::with_timestamp(event, ts));
            stream.advance()?;
            n += 1;
        }
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Person,
    Auction,
    Bid,
}

/// One file of one kind of event, with its next event parsed.
#[derive(Debug)]
struct EventLines {
    lines: Option<LineReader>,
    kind: Kind,
    head: Option<Event>,
    /// Where the line of `head` starts.
    head_at: FilePosition,
}

impl EventLines {
    /// Opens `path` at `at`, or nothing when the stream is not read or already finished.
    fn open_if(read: bool, path: &Path, kind: Kind, at: Option<FilePosition>) -> Result<Self, ConnectorError> {
        let lines = match at {
            Some(position) if read => Some(LineReader::open_at(path, position)?),
            _ => None,
        };
        Ok(EventLines { lines, kind, head: None, head_at: FilePosition::default() })
    }

    /// Where a reader of this stream continues: the line of the event not yet emitted;
    /// `None` when the stream is finished (or not read).
    fn position(&self) -> Option<FilePosition> {
        if self.head.is_some() {
            Some(self.head_at)
        } else {
            self.lines.as_ref().map(LineReader::position)
        }
    }

    /// Parses the next non-blank line into `head` (`None` at the end of the file).
    fn advance(&mut self) -> Result<(), ConnectorError> {
        let Some(lines) = &mut self.lines else { return Ok(()) };
        loop {
            self.head_at = lines.position();
            let Some(line) = lines.next_line()? else {
                // Close the file as soon as it is read.
                self.lines = None;
                return Ok(());
            };
            if line.is_blank() {
                continue;
            }
            // Validating the whole line as UTF-8 once is cheaper than serde_json's
            // validation of each string from a byte slice.
            let text = line.to_str()?;
            let parsed = match self.kind {
                Kind::Person => json::decode_person(text).map(Event::Person),
                Kind::Auction => json::decode_auction(text).map(Event::Auction),
                Kind::Bid => json::decode_bid(text).map(Event::Bid),
            };
            let event = parsed.map_err(|e| {
                let what = match self.kind {
                    Kind::Person => "person",
                    Kind::Auction => "auction",
                    Kind::Bid => "bid",
                };
                line.malformed(format_args!("not a Nexmark {what}: {e}"))
            })?;
            self.head = Some(event);
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    fn read_split(split: NexmarkFileSplit, batch: usize) -> Result<Vec<StreamRecord<Event>>, BoxError> {
        let source = NexmarkFileSource::new("/unused");
        let mut reader = source.create_reader(&SubtaskInfo::single("t"))?;
        reader.add_split(split)?;
        let mut out = weir_runtime::ReaderOutput::default();
        while reader.poll_next(&mut out, batch)? != ReadStatus::NeedsSplit {}
        Ok(out.into_records())
    }

    fn split_in(dir: &Path, persons: &str, auctions: &str, bids: &str) -> NexmarkFileSplit {
        let split = NexmarkFileLayout::Single.splits(dir).remove(0);
        fs::write(&split.persons, persons).unwrap();
        fs::write(&split.auctions, auctions).unwrap();
        fs::write(&split.bids, bids).unwrap();
        split
    }

    const P: &str = r#"{"id":1000,"name":"Paul Smith","emailAddress":"a@b.com","creditCard":"1 2 3 4","city":"Kent","state":"WA","dateTime":"2024-01-01 00:00:00.005","extra":""}"#;
    const A: &str = r#"{"id":1000,"itemName":"i","description":"d","initialBid":1,"reserve":2,"dateTime":"2024-01-01 00:00:00.005","expires":"2024-01-01 00:00:01.000","seller":1000,"category":10,"extra":""}"#;

    fn bid_at(ms: u32) -> String {
        format!(
            r#"{{"auction":1000,"bidder":1000,"price":{ms},"channel":"Google","url":"u","dateTime":"2024-01-01 00:00:00.{ms:03}","extra":""}}"#
        )
    }

    #[test]
    fn merges_by_time_with_ties_in_file_order() {
        let dir = tempfile::tempdir().unwrap();
        let bids = format!("{}\n{}\n\n{}\n", bid_at(1), bid_at(5), bid_at(9));
        let split = split_in(dir.path(), &format!("{P}\n"), &format!("{A}\r\n"), &bids);
        for batch in [1, 2, 100] {
            let records = read_split(split.clone(), batch).unwrap();
            let kinds: Vec<(char, i64)> = records
                .iter()
                .map(|r| {
                    let kind = match r.value {
                        Event::Person(_) => 'p',
                        Event::Auction(_) => 'a',
                        Event::Bid(_) => 'b',
                    };
                    (kind, r.timestamp - 1_704_067_200_000)
                })
                .collect();
            assert_eq!(kinds, [('b', 1), ('p', 5), ('a', 5), ('b', 5), ('b', 9)], "batch {batch}");
        }
    }

    #[test]
    fn malformed_line_names_file_line_and_content() {
        let dir = tempfile::tempdir().unwrap();
        let bids = format!("{}\n{}\n", bid_at(1), r#"{"auction":1000,"bidder":"oops"}"#);
        let split = split_in(dir.path(), "", "", &bids);
        let err = read_split(split, 10).unwrap_err().to_string();
        let path = dir.path().join("bids.jsonl");
        assert!(
            err.starts_with(&format!(
                "{}:2: not a Nexmark bid: field `bidder`: expected an integer at column 26",
                path.display()
            )),
            "{err}"
        );
        assert!(err.ends_with(r#"the line reads: {"auction":1000,"bidder":"oops"}"#), "{err}");
    }

    #[test]
    fn bad_timestamp_is_malformed() {
        let dir = tempfile::tempdir().unwrap();
        let split = split_in(dir.path(), "", &A.replace("00:00:01.000", "00:00:61.000"), "");
        let err = read_split(split, 10).unwrap_err().to_string();
        assert!(err.contains("auctions.jsonl:1: not a Nexmark auction: field `expires`: invalid timestamp"), "{err}");
    }

    #[test]
    fn missing_files_fail_at_enumeration() {
        let dir = tempfile::tempdir().unwrap();
        let err = NexmarkFileSource::new(dir.path()).create_enumerator(1).unwrap_err().to_string();
        assert!(err.contains("no Nexmark data"), "{err}");
    }
}
