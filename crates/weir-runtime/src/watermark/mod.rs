//! Event time: where watermarks come from.
//!
//! A [`WatermarkStrategy`] says how to read a record's event time (a timestamp assigner)
//! and how to derive watermarks from the timestamps seen (a [`WatermarkGenerator`]):
//! bounded out-of-orderness, monotonous timestamps, or a custom generator emitting
//! periodically or on particular records (punctuated). With `with_idleness`, an input
//! that produces nothing for a while is declared idle so it does not hold event time
//! back.
//!
//! Strategies apply in two places, as in Flink:
//! - on a source (`from_source(source, strategy, name)`): one generator **per split**, the
//!   source's watermark being the minimum over its live, non-idle splits
//!   ([`SplitWatermarks`]);
//! - on a stream (`assign_timestamps_and_watermarks`): the
//!   [`TimestampsAndWatermarksOperator`], which replaces upstream watermarks.
//!
//! Generators see whole batches, so the user's timestamp assigner and generator run in
//! monomorphic loops: one dynamic call per batch, not per record.

pub mod generator;
pub mod idleness;
pub mod operator;
pub mod split;
pub mod strategy;

pub use generator::{BoundedOutOfOrderness, WatermarkGenerator, WatermarkOutput};
pub use operator::TimestampsAndWatermarksOperator;
pub use split::SplitWatermarks;
pub use strategy::{TimestampAssigner, WatermarkStrategy};
