//! # weir-connectors — where records come from and where they go
//!
//! Sources implement weir-runtime's split model ([`Source`](weir_runtime::Source) →
//! [`SplitEnumerator`](weir_runtime::SplitEnumerator) + [`SourceReader`](weir_runtime::SourceReader));
//! sinks implement [`Sink`](weir_runtime::Sink) → [`SinkWriter`](weir_runtime::SinkWriter), and
//! the exactly-once ones a [`Committer`](weir_runtime::Committer) too.
//! Depends on weir-runtime and weir-core only.
//!
//! ```text
//!   sources                         sinks
//!   nexmark::NexmarkSource  ─┐   ┌─▶ PrintSink        (stdout / stderr, Flink's "N> " prefix)
//!   nexmark::NexmarkFileSource ├─▶ job ─▶ FileSink   (row parts, buckets, exactly once)
//!   TextFileSource           │   ├─▶ TextFileSink / JsonLinesSink (a part file per subtask)
//!   FileSource, SocketSource │   │
//!   CollectionSource         │   ├─▶ BlackholeSink    (counts)
//!   NumberSequenceSource    ─┘   └─▶ CollectSink      (into a shared Vec; transactional on request)
//! ```
//!
//! | module | what lives there |
//! |---|---|
//! | [`nexmark`] | the Nexmark model, deterministic generator and source, and its JSON-lines files |
//! | [`kafka`] | [`kafka::KafkaSource`] and [`kafka::KafkaSink`] (at-least-once or transactional) |
//! | [`text_file`] | [`TextFileSource`]: lines of a file or of every file in a directory |
//! | [`file_source`] | [`FileSource`](file_source::FileSource): lines with file and line, nested directories, continuous monitoring |
//! | [`file_chunk`] | [`FileChunkSource`](file_chunk::FileChunkSource): the same, many lines per record without a copy per line |
//! | [`collection`] | [`CollectionSource`]: the elements of a `Vec` |
//! | [`sequence`] | [`NumberSequenceSource`]: an inclusive range of numbers (Flink's `fromSequence`) |
//! | [`enumerator`] | [`StaticSplitEnumerator`]: split *i* to reader *i* mod *p* |
//! | [`line_reader`] | buffered line reading with file and line number for errors |
//! | [`socket`] | [`SocketSource`](socket::SocketSource): delimited records from a TCP socket |
//! | [`pacer`] | holds a source to a wall-clock rate |
//! | [`sink`] | print, file (two-phase commit), text-file, JSON-lines, blackhole and collect sinks |
//! | [`error`] | [`ConnectorError`] |
//! | [`jdbc`] | PostgreSQL: upsert/append sink, partitioned scan, lookups with a cache |
//!
//! Every bounded source here assigns its splits statically and deterministically (split
//! *i* goes to reader *i* mod *p*), so a job reads the same records in the same reader
//! on every run.

#![warn(missing_docs)]

pub mod collection;
pub mod enumerator;
pub mod error;
pub mod file_chunk;
pub mod file_source;
pub mod jdbc;
pub mod kafka;
pub mod line_reader;
pub mod nexmark;
pub mod pacer;
pub mod sequence;
pub mod sink;
pub mod socket;
pub mod text_file;

pub use collection::CollectionSource;
pub use enumerator::StaticSplitEnumerator;
pub use error::ConnectorError;
pub use sequence::NumberSequenceSource;
pub use sink::{
    BlackholeSink, CollectHandle, CollectSink, FileSink, JsonLinesSink, PrintSink, TextFileSink,
    TransactionalCollectSink,
};
pub use text_file::TextFileSource;
