//! Nexmark on Weir: the queries (DataStream API) and the runner that measures them.
//!
//! Each query is a function from the stream of events to the stream of result rows
//! (one file per query). Result rows serialise to JSON with Flink's column names, so
//! `../shared/peers/flink/canon_nexmark.py` compares them with Apache Flink's output.

pub mod count;
pub mod q0;
pub mod q1;
pub mod q11;
pub mod q12;
pub mod q2;
pub mod q5;
pub mod q7;
pub mod q8;
pub mod runner;
pub mod sliding;
pub mod sql;

pub use runner::{run, NexmarkInput, Query, RunReport, RunSpec};
