//! Every integration test of this crate in one binary: one link of the large dependency
//! graph instead of one per file, which keeps a clean test build small on disk and fast.
//! Shared helpers first, then one module per area.

mod common;

mod file_sink;
mod file_sink_buckets;
mod jdbc;
mod kafka;
mod nexmark_files;
mod positions;
mod text_and_sinks;
