//! Joins of two keyed streams.
//!
//! - **Interval join** — `left.interval_join(&right).between(lower, upper).process(f)`:
//!   each left record joins the right records of the same key whose event time lies in
//!   `[left.ts + lower, left.ts + upper]` ([`interval_join`], Flink's `intervalJoin`).
//!   Both sides are buffered in keyed state and cleaned up by event-time timers once
//!   the watermark shows that nothing more can match ([`interval_join_operator`]); the
//!   interval arithmetic lives in [`bounds`].
//! - Window joins and co-groups build on windows and come with them.
//!
//! A joined pair reaches the user's [`ProcessJoinFunction`] with a [`JoinContext`]
//! (both timestamps, side outputs); results carry the larger of the two timestamps.
//!
//! ```
//! use weir::prelude::*;
//! use weir::join::{JoinContext, ProcessJoinFn};
//! let env = StreamExecutionEnvironment::new();
//! let stamp = || WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(u8, i64), _| e.1);
//! let orders = env.from_collection(vec![(1u8, 100i64), (2, 100)]).assign_timestamps_and_watermarks(stamp());
//! let shipments = env.from_collection(vec![(1u8, 150i64), (2, 400)]).assign_timestamps_and_watermarks(stamp());
//! let shipped_fast = orders
//!     .key_by(|o: &(u8, i64)| o.0)
//!     .interval_join(&shipments.key_by(|s: &(u8, i64)| s.0))
//!     .between(0, 200)
//!     .process(ProcessJoinFn::new(|o: &(u8, i64), _: &(u8, i64), _: &mut JoinContext, out: &mut Collector<u8>| {
//!         out.collect(o.0);
//!         Ok(())
//!     }))
//!     .collect();
//! env.execute("fast shipping").unwrap();
//! assert_eq!(shipped_fast.take(), vec![1]);
//! ```

pub mod bounds;
pub mod interval_join;
pub mod interval_join_operator;
pub mod process_join;

pub use bounds::{JoinBounds, JoinSide};
pub use interval_join::{IntervalJoin, IntervalJoined};
pub use interval_join_operator::IntervalJoinOperator;
pub use process_join::{JoinContext, ProcessJoinFn, ProcessJoinFunction};
