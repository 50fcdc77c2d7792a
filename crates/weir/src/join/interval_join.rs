//! The interval join API: `left.interval_join(&right).between(lower, upper).process(f)`
//! on two keyed streams (Flink's `KeyedStream.intervalJoin`).
//!
//! A left record `a` joins every right record `b` of the same key with
//! `a.ts + lower <= b.ts <= a.ts + upper`, in event time. Both ends are inclusive unless
//! made exclusive; `lower` may be negative (a right record may come before the left one).
//! The join keeps each side in keyed state until the watermark shows that nothing more
//! can match (see [`crate::join::interval_join_operator`]); records behind the
//! watermark are late and dropped, or sent to a side output.

use weir_runtime::SubtaskInfo;
use weir_state::{Key, StateValue};

use crate::join::interval_join_operator::{IntervalJoinOperator, LateData};
use crate::join::{JoinBounds, ProcessJoinFunction};
use crate::{ConnectedStreams, Data, DataStream, KeyedStream, OutputTag};

/// Two keyed streams to be joined by time; set the interval with [`Self::between`].
pub struct IntervalJoin<A, B, KA, KB> {
    left: KeyedStream<A, KA>,
    right: KeyedStream<B, KB>,
}

/// An interval join with its bounds set (Flink's `IntervalJoined`): choose exclusive
/// ends and late-data side outputs, then [`Self::process`].
pub struct IntervalJoined<A, B, KA, KB> {
    left: KeyedStream<A, KA>,
    right: KeyedStream<B, KB>,
    lower: i64,
    upper: i64,
    lower_inclusive: bool,
    upper_inclusive: bool,
    late_left: Option<OutputTag<A>>,
    late_right: Option<OutputTag<B>>,
}

impl<A, K, KA> KeyedStream<A, KA>
where
    A: Data + StateValue,
    K: Key,
    KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
{
    /// Joins this stream (the left side) with `other` (the right side), keyed by the same
    /// key type, by event time (Flink's `intervalJoin`).
    ///
    /// ```
    /// use weir::prelude::*;
    /// use weir::join::{JoinContext, ProcessJoinFn};
    /// let env = StreamExecutionEnvironment::new();
    /// let stamp = || WatermarkStrategy::for_monotonous_timestamps()
    ///     .with_timestamp_assigner(|e: &(String, i64), _| e.1);
    /// let clicks = env.from_collection(vec![("ann".to_string(), 1_000i64), ("bob".into(), 1_000)])
    ///     .assign_timestamps_and_watermarks(stamp())
    ///     .key_by(|c: &(String, i64)| c.0.clone());
    /// let buys = env.from_collection(vec![("ann".to_string(), 1_500i64), ("bob".into(), 9_000)])
    ///     .assign_timestamps_and_watermarks(stamp())
    ///     .key_by(|b: &(String, i64)| b.0.clone());
    /// // Purchases up to 5 s after a click.
    /// let got = clicks
    ///     .interval_join(&buys)
    ///     .between(0, 5_000)
    ///     .process(ProcessJoinFn::new(
    ///         |c: &(String, i64), b: &(String, i64), _: &mut JoinContext, out: &mut Collector<(String, i64)>| {
    ///             out.collect((c.0.clone(), b.1 - c.1));
    ///             Ok(())
    ///         },
    ///     ))
    ///     .collect();
    /// env.execute("click to buy").unwrap();
    /// assert_eq!(got.take(), vec![("ann".to_string(), 500)]);
    /// ```
    pub fn interval_join<B, KB>(&self, other: &KeyedStream<B, KB>) -> IntervalJoin<A, B, KA, KB>
    where
        B: Data + StateValue,
        KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
    {
        IntervalJoin { left: self.clone(), right: other.clone() }
    }
}

impl<A: Data, B: Data, KA: Clone, KB: Clone> IntervalJoin<A, B, KA, KB> {
    /// Joins a left record at `t` with right records at `t + lower ..= t + upper`
    /// (milliseconds of event time; negative values reach back in time). Both ends are
    /// inclusive until made exclusive.
    ///
    /// # Errors
    /// `lower > upper` is a mistake in the job, reported by `execute` before anything
    /// runs (Flink rejects it too).
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let a = env.from_collection(vec![1i64]).key_by(|v: &i64| *v);
    /// let joined = a.interval_join(&a).between(5, -5);
    /// # let _ = joined;
    /// let err = env.execute("bad bounds").unwrap_err();
    /// assert!(err.to_string().contains("lower bound 5"), "{err}");
    /// ```
    pub fn between(self, lower: i64, upper: i64) -> IntervalJoined<A, B, KA, KB> {
        if lower > upper {
            self.left.stream.env.record_error(format!(
                "interval join: the lower bound {lower} ms must not exceed the upper bound {upper} ms"
            ));
        }
        IntervalJoined {
            left: self.left,
            right: self.right,
            lower,
            upper,
            lower_inclusive: true,
            upper_inclusive: true,
            late_left: None,
            late_right: None,
        }
    }
}

impl<A, B, K, KA, KB> IntervalJoined<A, B, KA, KB>
where
    A: Data + StateValue,
    B: Data + StateValue,
    K: Key,
    KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
    KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
{
    /// Excludes the lower end: right records must be later than `t + lower`.
    ///
    /// ```
    /// use weir::join::JoinBounds;
    /// // between(-2, 1).lower_bound_exclusive() joins right records at t-1 ..= t+1:
    /// assert_eq!(JoinBounds::new(-2, 1, false, true), JoinBounds { lower: -1, upper: 1 });
    /// ```
    pub fn lower_bound_exclusive(mut self) -> Self {
        self.lower_inclusive = false;
        self
    }

    /// Excludes the upper end: right records must be earlier than `t + upper`.
    ///
    /// ```
    /// use weir::join::JoinBounds;
    /// // between(-2, 1).upper_bound_exclusive() joins right records at t-2 ..= t:
    /// assert_eq!(JoinBounds::new(-2, 1, true, false), JoinBounds { lower: -2, upper: 0 });
    /// ```
    pub fn upper_bound_exclusive(mut self) -> Self {
        self.upper_inclusive = false;
        self
    }

    /// Sends late left records (behind the watermark when they arrive) to the side
    /// output `tag` instead of dropping them (Flink's `sideOutputLeftLateData`). Read it
    /// with `get_side_output` on the stream [`Self::process`] returns.
    pub fn side_output_left_late_data(mut self, tag: &OutputTag<A>) -> Self {
        self.late_left = Some(tag.clone());
        self
    }

    /// Sends late right records to the side output `tag` (Flink's
    /// `sideOutputRightLateData`).
    pub fn side_output_right_late_data(mut self, tag: &OutputTag<B>) -> Self {
        self.late_right = Some(tag.clone());
        self
    }

    /// The interval as the operator applies it: both ends inclusive.
    pub fn bounds(&self) -> JoinBounds {
        JoinBounds::new(self.lower, self.upper, self.lower_inclusive, self.upper_inclusive)
    }

    /// Runs the join, calling `function` for every pair of records of the same key whose
    /// timestamps lie within the bounds. Results carry the larger of the two timestamps.
    ///
    /// ```
    /// use weir::prelude::*;
    /// use weir::join::{JoinContext, ProcessJoinFn};
    /// let env = StreamExecutionEnvironment::new();
    /// let stamp = || WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|t: &i64, _| *t);
    /// let left = env.from_collection(vec![10i64]).assign_timestamps_and_watermarks(stamp()).key_by(|_: &i64| 0);
    /// let right = env.from_collection(vec![7i64, 8, 9, 10, 11, 12])
    ///     .assign_timestamps_and_watermarks(stamp())
    ///     .key_by(|_: &i64| 0);
    /// let got = left
    ///     .interval_join(&right)
    ///     .between(-2, 1)
    ///     .lower_bound_exclusive()
    ///     .process(ProcessJoinFn::new(|_: &i64, r: &i64, _: &mut JoinContext, out: &mut Collector<i64>| {
    ///         out.collect(*r);
    ///         Ok(())
    ///     }))
    ///     .collect();
    /// env.execute("interval").unwrap();
    /// let mut got = got.take(); got.sort();
    /// assert_eq!(got, vec![9, 10, 11]); // (10 - 2, 10 + 1]
    /// ```
    pub fn process<O: Data, P>(&self, function: P) -> DataStream<O>
    where
        P: ProcessJoinFunction<A, B, O> + Clone + Sync,
    {
        let (key_a, key_b) = (self.left.key_of.clone(), self.right.key_of.clone());
        let bounds = self.bounds();
        let late = LateData {
            left: self.late_left.as_ref().map(|t| t.id().to_string()),
            right: self.late_right.as_ref().map(|t| t.id().to_string()),
        };
        let connected = ConnectedStreams { first: self.left.stream.clone(), second: self.right.stream.clone() };
        connected.add("Interval Join", move |st: &SubtaskInfo| {
            Ok(IntervalJoinOperator::new(key_a.clone(), key_b.clone(), function.clone(), bounds, late.clone(), st)?)
        })
    }
}
