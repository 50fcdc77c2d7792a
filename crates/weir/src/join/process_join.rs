//! [`ProcessJoinFunction`]: what a join calls for every pair of records that joined, and
//! the [`JoinContext`] it receives.

use weir_core::StreamRecord;
use weir_runtime::{BoxError, SideOutputs, SubtaskInfo};

use crate::functions::Collector;
use crate::OutputTag;

/// What a join function knows about the pair it processes: both records' event-time
/// timestamps, the result's timestamp, and side outputs (Flink's
/// `ProcessJoinFunction.Context`).
pub struct JoinContext<'a> {
    pub(crate) left_timestamp: i64,
    pub(crate) right_timestamp: i64,
    pub(crate) timestamp: i64,
    pub(crate) sides: &'a mut SideOutputs,
}

impl JoinContext<'_> {
    /// The left record's timestamp.
    pub fn left_timestamp(&self) -> i64 {
        self.left_timestamp
    }

    /// The right record's timestamp.
    pub fn right_timestamp(&self) -> i64 {
        self.right_timestamp
    }

    /// The timestamp of the results: the larger of the two records' timestamps.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// Emits `value` to the side output `tag`, stamped with [`Self::timestamp`]
    /// (dropped when nobody reads that output).
    pub fn output<X: 'static>(&mut self, tag: &OutputTag<X>, value: X) {
        if let Some(buffer) = self.sides.get::<X>(tag.id()) {
            buffer.push(StreamRecord { value, timestamp: self.timestamp });
        }
    }
}

/// Processes each pair of joined records (Flink's `ProcessJoinFunction`).
///
/// # Contract
/// One instance per parallel subtask (cloned from the one given to `process`); `open`
/// runs before the first pair. `process_element` is called once per joined pair, with
/// references to both records: a record may join many others, so the join keeps it and
/// the function copies out what it needs. Results emitted through `out` carry
/// `ctx.timestamp()`, the larger of the two records' timestamps.
///
/// # Errors
/// An error fails the job, naming the operator and subtask.
///
/// # Example
/// ```
/// use weir::prelude::*;
/// use weir::join::{JoinContext, ProcessJoinFunction};
/// /// Emits `(key, left value, right value, result timestamp)`.
/// #[derive(Clone)]
/// struct Pair;
/// impl ProcessJoinFunction<(u8, i64), (u8, i64), (u8, i64, i64, i64)> for Pair {
///     fn process_element(&mut self, l: &(u8, i64), r: &(u8, i64), ctx: &mut JoinContext,
///                        out: &mut Collector<(u8, i64, i64, i64)>) -> Result<(), BoxError> {
///         out.collect((l.0, l.1, r.1, ctx.timestamp()));
///         Ok(())
///     }
/// }
/// let env = StreamExecutionEnvironment::new();
/// let stamp = || WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(u8, i64), _| e.1);
/// let left = env.from_collection(vec![(1u8, 10i64)]).assign_timestamps_and_watermarks(stamp());
/// let right = env.from_collection(vec![(1u8, 12i64), (1, 20)]).assign_timestamps_and_watermarks(stamp());
/// let got = left.key_by(|e: &(u8, i64)| e.0)
///     .interval_join(&right.key_by(|e: &(u8, i64)| e.0))
///     .between(0, 5)
///     .process(Pair)
///     .collect();
/// env.execute("pairs").unwrap();
/// assert_eq!(got.take(), vec![(1, 10, 12, 12)]);
/// ```
pub trait ProcessJoinFunction<A, B, O>: Send + 'static {
    /// Prepares the function for `subtask`.
    fn open(&mut self, _subtask: &SubtaskInfo) -> Result<(), BoxError> {
        Ok(())
    }

    /// Processes one joined pair.
    fn process_element(
        &mut self,
        left: &A,
        right: &B,
        ctx: &mut JoinContext<'_>,
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError>;
}

/// A closure as a [`ProcessJoinFunction`].
///
/// ```
/// use weir::prelude::*;
/// use weir::join::{JoinContext, ProcessJoinFn};
/// let concat = ProcessJoinFn::new(|l: &String, r: &String, _: &mut JoinContext, out: &mut Collector<String>| {
///     out.collect(format!("{l}{r}"));
///     Ok(())
/// });
/// # let _ = concat;
/// ```
#[derive(Clone)]
pub struct ProcessJoinFn<F>(F);

impl<F> ProcessJoinFn<F> {
    /// Wraps `f(left, right, ctx, out)`.
    pub fn new<A, B, O>(f: F) -> Self
    where
        F: FnMut(&A, &B, &mut JoinContext<'_>, &mut Collector<'_, O>) -> Result<(), BoxError>,
    {
        ProcessJoinFn(f)
    }
}

impl<A, B, O, F> ProcessJoinFunction<A, B, O> for ProcessJoinFn<F>
where
    F: FnMut(&A, &B, &mut JoinContext<'_>, &mut Collector<'_, O>) -> Result<(), BoxError> + Send + 'static,
{
    #[inline]
    fn process_element(
        &mut self,
        left: &A,
        right: &B,
        ctx: &mut JoinContext<'_>,
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError> {
        (self.0)(left, right, ctx, out)
    }
}
