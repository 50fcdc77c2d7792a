//! Sinks: where a job's records go.
//!
//! | file | sink | writes |
//! |---|---|---|
//! | [`print`](mod@print) | [`PrintSink`] | each record's `Display` to stdout or stderr, with Flink's `N> ` prefix |
//! | [`file_sink`] | [`FileSink`] | rows (JSON lines, CSV, text) or bulk formats ([`PartFormat`]: Avro, Parquet) into part files, **exactly once** by two-phase commit |
//! | [`text_file`] | [`TextFileSink`] | each record's `Display`, one line per record, into one part file per subtask |
//! | [`json_lines`] | [`JsonLinesSink`] | each record as a JSON object, one per line, into one part file per subtask |
//! | [`part_file`] | [`PartFileWriter`] | the in-progress → final part-file protocol of the two sinks above |
//! | [`blackhole`] | [`BlackholeSink`] | nothing; counts records (for throughput runs) |
//! | [`collect`] | [`CollectSink`], [`TransactionalCollectSink`] | records into a shared `Vec` the caller reads (at once, or when committed) |
//!
//! [`TextFileSink`] and [`JsonLinesSink`] make their one part file per subtask visible at
//! the end of input and take no part in checkpoints: after a restart a subtask starts its
//! file anew, so use them for bounded jobs without failover. [`FileSink`] is the sink for
//! jobs that checkpoint.

pub mod blackhole;
pub mod collect;
pub mod file_sink;
pub mod json_lines;
pub mod part_file;
pub mod print;
pub mod text_file;

pub use blackhole::BlackholeSink;
pub use collect::{CollectHandle, CollectSink, TransactionalCollectSink};
pub use file_sink::{
    CommitTrigger, CsvEncoder, Encoder, FileCommitter, FileSink, FileSinkWriter, JsonLinesEncoder, PartCommittable,
    PartFormat, PartName, PartitionCommit, PartitionTimeOf, TextEncoder,
};
pub use json_lines::JsonLinesSink;
pub use part_file::PartFileWriter;
pub use print::PrintSink;
pub use text_file::TextFileSink;
