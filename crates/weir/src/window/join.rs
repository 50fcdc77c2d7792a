//! [`JoinedStreams`]: two streams joined by key within windows (Flink's
//! `JoinedStreams`): `a.join(&b).where_(key_a).equal_to(key_b).window(assigner)
//! .apply(f)` emits `f(a, b)` for every pair of records with equal keys in the same
//! window — an inner join, built on the co-group (as Flink builds it).

use std::marker::PhantomData;
use std::time::Duration;

use weir_core::Either;
use weir_state::Key;

use super::co_group::{tagged_union, CoGroupedWindow};
use super::evictor::{EvictorSlot, NoEvictor, WithEvictor};
use super::{Evictor, Trigger, WindowAssigner};
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
        JoinedStreams { first: self.clone(), second: other.clone() }
    }
}

/// Two streams to join; name the first stream's key with `where_`.
pub struct JoinedStreams<A, B> {
    first: DataStream<A>,
    second: DataStream<B>,
}

impl<A: Data, B: Data> JoinedStreams<A, B> {
    /// The key of the first stream's records.
    pub fn where_<K: Key, KA>(self, key_a: KA) -> JoinedWhere<A, B, KA>
    where
        KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
    {
        JoinedWhere { first: self.first, second: self.second, key_a }
    }
}

/// Joined streams with the first key set; name the second with `equal_to`.
pub struct JoinedWhere<A, B, KA> {
    first: DataStream<A>,
    second: DataStream<B>,
    key_a: KA,
}

impl<A: Data, B: Data, KA> JoinedWhere<A, B, KA> {
    /// The key of the second stream's records (of the same type as the first's).
    pub fn equal_to<K: Key, KB>(self, key_b: KB) -> JoinedKeys<A, B, KA, KB>
    where
        KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
        KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
    {
        JoinedKeys { first: self.first, second: self.second, key_a: self.key_a, key_b }
    }
}

/// Joined streams with both keys set; choose the windows with `window`.
pub struct JoinedKeys<A, B, KA, KB> {
    first: DataStream<A>,
    second: DataStream<B>,
    key_a: KA,
    key_b: KB,
}

impl<A, B, K, KA, KB> JoinedKeys<A, B, KA, KB>
where
    A: Data,
    B: Data,
    K: Key,
    KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
    KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
{
    /// Joins within the windows of `assigner` (tumbling, sliding, session, …).
    #[allow(clippy::type_complexity)]
    pub fn window<WA: WindowAssigner<Either<A, B>>>(
        self,
        assigner: WA,
    ) -> JoinedWindow<A, B, impl Fn(&Either<A, B>) -> K + Clone + Send + Sync + 'static, WA, WA::DefaultTrigger> {
        let keyed = tagged_union(&self.first, &self.second, self.key_a, self.key_b);
        JoinedWindow { windowed: keyed.window(assigner), _ab: PhantomData }
    }
}

/// Joined streams in windows, waiting for `apply` (Flink's `JoinedStreams.WithWindow`).
pub struct JoinedWindow<A, B, KS, WA, TR, EV = NoEvictor> {
    windowed: crate::window::WindowedStream<Either<A, B>, KS, WA, TR, EV>,
    _ab: PhantomData<fn(A, B)>,
}

impl<A, B, K, KS, WA, TR, EV> JoinedWindow<A, B, KS, WA, TR, EV>
where
    A: Data,
    B: Data,
    K: Key,
    KS: Fn(&Either<A, B>) -> K + Clone + Send + Sync + 'static,
    WA: WindowAssigner<Either<A, B>>,
    TR: Trigger<Either<A, B>, WA::W>,
    EV: EvictorSlot<Either<A, B>, WA::W>,
{
    /// Replaces the assigner's default trigger.
    pub fn trigger<TR2: Trigger<Either<A, B>, WA::W>>(self, trigger: TR2) -> JoinedWindow<A, B, KS, WA, TR2, EV> {
        JoinedWindow { windowed: self.windowed.trigger(trigger), _ab: PhantomData }
    }

    /// Sets an evictor (it sees the tagged records of both sides).
    pub fn evictor<E: Evictor<Either<A, B>, WA::W>>(
        self,
        evictor: E,
    ) -> JoinedWindow<A, B, KS, WA, TR, WithEvictor<E>> {
        JoinedWindow { windowed: self.windowed.evictor(evictor), _ab: PhantomData }
    }

    /// The counter of records dropped for being late (see
    /// [`LateRecordsDropped`](crate::window::LateRecordsDropped)).
    pub fn late_records_dropped(&self) -> crate::window::LateRecordsDropped {
        self.windowed.late_records_dropped()
    }

    /// Keeps event-time windows open for `lateness` after their end.
    pub fn allowed_lateness(self, lateness: Duration) -> Self {
        JoinedWindow { windowed: self.windowed.allowed_lateness(lateness), _ab: PhantomData }
    }

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
        let co_group = CoGroupedWindow::from_windowed(self.windowed);
        let mut f = f;
        co_group.apply_named("Window Join", move |_: &K, first: &[A], second: &[B], out: &mut Collector<'_, O>| {
            for a in first {
                for b in second {
                    f(a, b, out);
                }
            }
        })
    }
}
