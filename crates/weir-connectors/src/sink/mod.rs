//! Sinks: where a job's records go.
//!
//! | file | sink | writes |
//! |---|---|---|
//! | [`print`](mod@print) | [`PrintSink`] | each record's `Display` to stdout or stderr, with Flink's `N> ` prefix |
//! | [`text_file`] | [`TextFileSink`] | each record's `Display`, one line per record, into part files |
//! | [`json_lines`] | [`JsonLinesSink`] | each record as a JSON object, one per line, into part files |
//! | [`part_file`] | [`PartFileWriter`] | the in-progress → final part-file protocol both file sinks use |
//! | [`blackhole`] | [`BlackholeSink`] | nothing; counts records (for throughput runs) |
//! | [`collect`] | [`CollectSink`] | records into a shared `Vec` the caller reads after the job |

pub mod blackhole;
pub mod collect;
pub mod json_lines;
pub mod part_file;
pub mod print;
pub mod text_file;

pub use blackhole::BlackholeSink;
pub use collect::{CollectHandle, CollectSink};
pub use json_lines::JsonLinesSink;
pub use part_file::PartFileWriter;
pub use print::PrintSink;
pub use text_file::TextFileSink;
