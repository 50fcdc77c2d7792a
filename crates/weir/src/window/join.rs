//! [`JoinedStreams`]: two streams joined by key within windows (Flink's
//! `JoinedStreams`): `a.join(&b).where_(key_a).equal_to(key_b).window(assigner)
//! .apply(f)` emits `f(a, b)` for every pair of records with equal keys in the same
//! window — an inner join, built on the co-group (as Flink builds it). The windows keep
//! the records of both sides, which checkpoints write: both record types must be
//! `Serialize + DeserializeOwned`.

use weir_core::Either;
use weir_state::{Key, StateValue};

use super::evictor::{EvictorSlot, NoEvictor};
use super::two_streams::{TwoStreams, TwoStreamsKeys, TwoStreamsWhere, TwoStreamsWindow};
use super::{Trigger, WindowAssigner};
use crate::functions::Collector;
use crate::{Data, DataStream};

impl<A: Data> DataStream<A> {
    /// Joins this stream with `other` by key within windows (Flink's `join`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir::prelude::*;
    /// use weir::window::TumblingEventTimeWindows;
    /// let env = StreamExecutionEnvironment::new();
    /// let clicks = env.from_collection(vec![("ad1".to_string(), 100i64), ("ad2".to_string(), 200), ("ad1".to_string(), 1_500)])
    ///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|c: &(String, i64), _| c.1));
    /// let views = env.from_collection(vec![("ad1".to_string(), 50i64), ("ad1".to_string(), 1_200)])
    ///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|v: &(String, i64), _| v.1));
    /// let joined = clicks
    ///     .join(&views)
    ///     .where_(|c: &(String, i64)| c.0.clone())
    ///     .equal_to(|v: &(String, i64)| v.0.clone())
    ///     .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
    ///     .apply(|c: &(String, i64), v: &(String, i64)| (c.0.clone(), c.1, v.1))
    ///     .collect();
    /// env.execute("window join").unwrap();
    /// let mut joined = joined.take();
    /// joined.sort();
    /// assert_eq!(joined, vec![("ad1".to_string(), 100, 50), ("ad1".to_string(), 1_500, 1_200)]);
    /// ```
    pub fn join<B: Data>(&self, other: &DataStream<B>) -> JoinedStreams<A, B> {
        TwoStreams::new(self, other)
    }
}

/// Marks the builder chain of [`DataStream::join`] (see [`TwoStreams`]).
#[derive(Debug, Clone, Copy)]
pub struct WindowJoin;

/// Two streams to join; name the first stream's key with `where_`.
pub type JoinedStreams<A, B> = TwoStreams<WindowJoin, A, B>;

/// Joined streams with the first key set; name the second with `equal_to`.
pub type JoinedWhere<A, B, KA> = TwoStreamsWhere<WindowJoin, A, B, KA>;

/// Joined streams with both keys set; choose the windows with `window`.
pub type JoinedKeys<A, B, KA, KB> = TwoStreamsKeys<WindowJoin, A, B, KA, KB>;

/// Joined streams in windows, waiting for `apply` (Flink's `JoinedStreams.WithWindow`).
pub type JoinedWindow<A, B, KS, WA, TR, EV = NoEvictor> = TwoStreamsWindow<WindowJoin, A, B, KS, WA, TR, EV>;

impl<A, B, K, KS, WA, TR, EV> JoinedWindow<A, B, KS, WA, TR, EV>
where
    A: Data + StateValue,
    B: Data + StateValue,
    K: Key,
    KS: Fn(&Either<A, B>) -> K + Clone + Send + Sync + 'static,
    WA: WindowAssigner<Either<A, B>>,
    TR: Trigger<Either<A, B>, WA::W>,
    EV: EvictorSlot<Either<A, B>, WA::W>,
{
    /// Emits `f(a, b)` for each pair of a first-stream and a second-stream record with
    /// equal keys in the same window, stamped with the window's max timestamp.
    pub fn apply<O, F>(self, mut f: F) -> DataStream<O>
    where
        O: Data,
        F: FnMut(&A, &B) -> O + Clone + Send + Sync + 'static,
    {
        self.flat_apply(move |a: &A, b: &B, out: &mut Collector<'_, O>| out.collect(f(a, b)))
    }

    /// Calls `f(a, b, out)` for each pair, which may emit any number of results
    /// (Flink's `FlatJoinFunction`).
    pub fn flat_apply<O, F>(self, f: F) -> DataStream<O>
    where
        O: Data,
        F: FnMut(&A, &B, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    {
        let mut f = f;
        self.apply_named("Window Join", move |_: &K, first: &[A], second: &[B], out: &mut Collector<'_, O>| {
            for a in first {
                for b in second {
                    f(a, b, out);
                }
            }
        })
    }
}
