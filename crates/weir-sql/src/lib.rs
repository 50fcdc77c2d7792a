//! Flink-dialect streaming SQL for Weir.
//!
//! A script is parsed into statements ([`parser`]); DDL goes to the session's catalog,
//! queries are planned by DataFusion into a logical plan, which is translated into a
//! streaming plan of Arrow-batch operators over Weir's runtime. Each operator knows
//! whether it emits inserts only or a changelog (`+I`, `-U`, `+U`, `-D`).
//!
//! Time: `TIMESTAMP` is a wall clock, `TIMESTAMP_LTZ` an instant shown in the session time zone
//! (`SET 'table.local-time-zone' = 'Europe/Berlin'`; UTC by default, where Flink defaults to
//! the JVM's zone) — see [`functions::LocalTimeZone`] and [`functions::cast`].

pub mod catalog;
pub mod changelog;
pub mod connectors;
pub mod error;
pub mod format;
pub mod functions;
pub mod job_options;
pub mod parser;
pub mod planner;
pub mod session;
pub mod stream;
pub mod suggest;
pub mod types;
