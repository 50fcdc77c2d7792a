//! [`AggregateFunction`]: incremental aggregation with an accumulator (Flink's
//! `AggregateFunction`).

/// Aggregates a window's elements one at a time into an accumulator, and the
/// accumulator into a result (Flink's `AggregateFunction`).
///
/// # Contract
/// `create_accumulator` starts a window's accumulator; `add` folds one element in;
/// `get_result` reads the result (possibly several times, if the window fires more than
/// once); `merge` combines two accumulators — used when session windows merge and when
/// sliding windows combine their slices, so it must agree with `add`:
/// adding `a` then `b` to one accumulator must give the result of merging an
/// accumulator of `a` with one of `b`.
///
/// # Example
/// The average of a window's values:
/// ```
/// use std::time::Duration;
/// use weir::prelude::*;
/// use weir::window::{AggregateFunction, TumblingEventTimeWindows};
/// #[derive(Clone)]
/// struct Average;
/// impl AggregateFunction<(String, f64)> for Average {
///     type Acc = (f64, u32);
///     type Out = f64;
///     fn create_accumulator(&self) -> (f64, u32) { (0.0, 0) }
///     fn add(&self, v: (String, f64), acc: &mut (f64, u32)) { acc.0 += v.1; acc.1 += 1; }
///     fn get_result(&self, acc: &(f64, u32)) -> f64 { acc.0 / acc.1 as f64 }
///     fn merge(&self, a: (f64, u32), b: (f64, u32)) -> (f64, u32) { (a.0 + b.0, a.1 + b.1) }
/// }
/// let env = StreamExecutionEnvironment::new();
/// let readings = vec![("t".to_string(), 1.0, 100i64), ("t".to_string(), 3.0, 900), ("t".to_string(), 10.0, 1_500)];
/// let averages = env
///     .from_collection(readings)
///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r: &(String, f64, i64), _| r.2))
///     .map(|(sensor, v, _)| (sensor, v))
///     .key_by(|r: &(String, f64)| r.0.clone())
///     .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
///     .aggregate(Average)
///     .collect();
/// env.execute("average").unwrap();
/// assert_eq!(averages.take(), vec![2.0, 10.0]);
/// ```
pub trait AggregateFunction<IN>: Clone + Send + Sync + 'static {
    /// The accumulator (state: checkpoints write it with serde).
    type Acc: Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static;
    /// The result.
    type Out: Send + 'static;

    /// A new, empty accumulator.
    fn create_accumulator(&self) -> Self::Acc;

    /// Adds `value` to `acc`.
    fn add(&self, value: IN, acc: &mut Self::Acc);

    /// The result of `acc`.
    fn get_result(&self, acc: &Self::Acc) -> Self::Out;

    /// Combines two accumulators.
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc;
}
