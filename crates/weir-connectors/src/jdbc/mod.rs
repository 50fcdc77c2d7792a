//! The JDBC connector, for PostgreSQL: Flink's `jdbc` sink, scan source and lookup source.
//!
//! ```text
//!   JdbcSource ── SELECT … WHERE col BETWEEN a AND b ORDER BY … (a cursor per split) ──▶ rows
//!   rows ──▶ JdbcSink ── INSERT … / INSERT … ON CONFLICT (key) DO UPDATE / DELETE … (batched) ──▶ table
//!   keys ──▶ JdbcLookup ── SELECT … WHERE (k) IN (…) ──▶ rows, kept a while by a LookupCache
//! ```
//!
//! | module | what lives there |
//! |---|---|
//! | [`connection`] | [`JdbcConnectionOptions`]: the JDBC URL, user and password; connecting with retries |
//! | [`value`] | [`JdbcType`] (Flink type ↔ PostgreSQL type) and [`JdbcValue`] |
//! | [`table`] | [`JdbcTable`]: name, columns, primary key, and the statements made from them |
//! | [`sink`] | [`JdbcSink`]: append or upsert by key, batched, flushed at every checkpoint |
//! | [`source`] | [`JdbcSource`]: bounded, partitioned reads |
//! | [`lookup`] | [`JdbcLookup`] and [`LookupCache`] for lookup joins |
//!
//! The client is the `postgres` crate over plain TCP (no TLS: Weir reaches its databases on
//! trusted networks or loopback).

pub mod connection;
pub mod lookup;
pub mod sink;
pub mod source;
pub mod table;
pub mod value;

pub use connection::JdbcConnectionOptions;
pub use lookup::{JdbcLookup, LookupCache, LookupCacheOptions};
pub use sink::{ChangeKind, JdbcChange, JdbcSink, JdbcSinkOptions};
pub use source::{JdbcPartition, JdbcScanOptions, JdbcSource, JdbcSplit};
pub use table::JdbcTable;
pub use value::{JdbcRow, JdbcType, JdbcValue};
