//! Every integration test of this crate in one binary: one link of the large dependency
//! graph instead of one per file, which keeps a clean test build small on disk and fast.
//! Shared helpers first, then one module per area.

mod support;

mod jdbc_kill_restore;
mod kafka_kill_restore;
mod kill_restore;
mod nexmark_cli;
mod nexmark_sql;
mod sql_client;
mod sql_kill_restore;
