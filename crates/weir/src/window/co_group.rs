//! [`CoGroupedStreams`]: two streams co-grouped by key within windows (Flink's
//! `CoGroupedStreams`): `a.co_group(&b).where_(key_a).equal_to(key_b).window(assigner)
//! .apply(f)` calls `f(key, a_elements, b_elements, out)` once per key and window.
//!
//! As in Flink, this is a window over the union of both streams, each record tagged
//! [`Either::Left`] or [`Either::Right`], keyed by the key of its side; the window
//! function splits the window's elements back into the two sides.

use std::marker::PhantomData;
use std::time::Duration;

use weir_core::Either;
use weir_runtime::BoxError;
use weir_state::Key;

use super::evictor::{EvictorSlot, NoEvictor, WithEvictor};
use super::{Evictor, ProcessWindowFunction, Trigger, WindowAssigner, WindowContext, WindowedStream};
use crate::functions::Collector;
use crate::{Data, DataStream};

impl<A: Data> DataStream<A> {
    /// Co-groups this stream with `other` by key within windows (Flink's `coGroup`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use weir::prelude::*;
    /// use weir::window::TumblingEventTimeWindows;
    /// let env = StreamExecutionEnvironment::new();
    /// let orders = env.from_collection(vec![(1u32, 100i64), (2, 300), (1, 500)])
    ///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|o: &(u32, i64), _| o.1));
    /// let payments = env.from_collection(vec![(1u32, 200i64)])
    ///     .assign_timestamps_and_watermarks(WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|p: &(u32, i64), _| p.1));
    /// let summary = orders
    ///     .co_group(&payments)
    ///     .where_(|o: &(u32, i64)| o.0)
    ///     .equal_to(|p: &(u32, i64)| p.0)
    ///     .window(TumblingEventTimeWindows::of(Duration::from_secs(1)))
    ///     .apply(|customer: &u32, orders: &[(u32, i64)], payments: &[(u32, i64)], out: &mut Collector<(u32, usize, usize)>| {
    ///         out.collect((*customer, orders.len(), payments.len()));
    ///     })
    ///     .collect();
    /// env.execute("co-group").unwrap();
    /// let mut summary = summary.take();
    /// summary.sort();
    /// assert_eq!(summary, vec![(1, 2, 1), (2, 1, 0)]);
    /// ```
    pub fn co_group<B: Data>(&self, other: &DataStream<B>) -> CoGroupedStreams<A, B> {
        CoGroupedStreams { first: self.clone(), second: other.clone() }
    }
}

/// Two streams to co-group; name the first stream's key with `where_`.
pub struct CoGroupedStreams<A, B> {
    first: DataStream<A>,
    second: DataStream<B>,
}

impl<A: Data, B: Data> CoGroupedStreams<A, B> {
    /// The key of the first stream's records.
    pub fn where_<K: Key, KA>(self, key_a: KA) -> CoGroupedWhere<A, B, KA>
    where
        KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
    {
        CoGroupedWhere { first: self.first, second: self.second, key_a }
    }
}

/// Co-grouped streams with the first key set; name the second with `equal_to`.
pub struct CoGroupedWhere<A, B, KA> {
    first: DataStream<A>,
    second: DataStream<B>,
    key_a: KA,
}

impl<A: Data, B: Data, KA> CoGroupedWhere<A, B, KA> {
    /// The key of the second stream's records (of the same type as the first's).
    pub fn equal_to<K: Key, KB>(self, key_b: KB) -> CoGroupedKeys<A, B, KA, KB>
    where
        KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
        KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
    {
        CoGroupedKeys { first: self.first, second: self.second, key_a: self.key_a, key_b }
    }
}

/// Co-grouped streams with both keys set; choose the windows with `window`.
pub struct CoGroupedKeys<A, B, KA, KB> {
    first: DataStream<A>,
    second: DataStream<B>,
    key_a: KA,
    key_b: KB,
}

/// The keyed union of two streams, each record tagged with its side.
pub(crate) fn tagged_union<A, B, K, KA, KB>(
    first: &DataStream<A>,
    second: &DataStream<B>,
    key_a: KA,
    key_b: KB,
) -> crate::KeyedStream<Either<A, B>, impl Fn(&Either<A, B>) -> K + Clone + Send + Sync + 'static>
where
    A: Data,
    B: Data,
    K: Key,
    KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
    KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
{
    let left = first.map(|a: A| Either::<A, B>::Left(a)).name("Co-Group: tag left");
    let right = second.map(|b: B| Either::<A, B>::Right(b)).name("Co-Group: tag right");
    left.union(&right).key_by(move |e: &Either<A, B>| match e {
        Either::Left(a) => key_a(a),
        Either::Right(b) => key_b(b),
    })
}

impl<A, B, K, KA, KB> CoGroupedKeys<A, B, KA, KB>
where
    A: Data,
    B: Data,
    K: Key,
    KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
    KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
{
    /// Co-groups within the windows of `assigner` (tumbling, sliding, session, …).
    #[allow(clippy::type_complexity)]
    pub fn window<WA: WindowAssigner<Either<A, B>>>(
        self,
        assigner: WA,
    ) -> CoGroupedWindow<A, B, impl Fn(&Either<A, B>) -> K + Clone + Send + Sync + 'static, WA, WA::DefaultTrigger>
    {
        let keyed = tagged_union(&self.first, &self.second, self.key_a, self.key_b);
        CoGroupedWindow { windowed: keyed.window(assigner), _ab: PhantomData }
    }
}

/// Co-grouped streams in windows, waiting for `apply` (Flink's
/// `CoGroupedStreams.WithWindow`).
pub struct CoGroupedWindow<A, B, KS, WA, TR, EV = NoEvictor> {
    windowed: WindowedStream<Either<A, B>, KS, WA, TR, EV>,
    _ab: PhantomData<fn(A, B)>,
}

impl<A, B, K, KS, WA, TR, EV> CoGroupedWindow<A, B, KS, WA, TR, EV>
where
    A: Data,
    B: Data,
    K: Key,
    KS: Fn(&Either<A, B>) -> K + Clone + Send + Sync + 'static,
    WA: WindowAssigner<Either<A, B>>,
    TR: Trigger<Either<A, B>, WA::W>,
    EV: EvictorSlot<Either<A, B>, WA::W>,
{
    pub(crate) fn from_windowed(windowed: WindowedStream<Either<A, B>, KS, WA, TR, EV>) -> Self {
        CoGroupedWindow { windowed, _ab: PhantomData }
    }

    /// Replaces the assigner's default trigger.
    pub fn trigger<TR2: Trigger<Either<A, B>, WA::W>>(self, trigger: TR2) -> CoGroupedWindow<A, B, KS, WA, TR2, EV> {
        CoGroupedWindow { windowed: self.windowed.trigger(trigger), _ab: PhantomData }
    }

    /// Sets an evictor (it sees the tagged records of both sides).
    pub fn evictor<E: Evictor<Either<A, B>, WA::W>>(
        self,
        evictor: E,
    ) -> CoGroupedWindow<A, B, KS, WA, TR, WithEvictor<E>> {
        CoGroupedWindow { windowed: self.windowed.evictor(evictor), _ab: PhantomData }
    }

    /// The counter of records dropped for being late (see
    /// [`LateRecordsDropped`](crate::window::LateRecordsDropped)).
    pub fn late_records_dropped(&self) -> crate::window::LateRecordsDropped {
        self.windowed.late_records_dropped()
    }

    /// Keeps event-time windows open for `lateness` after their end.
    pub fn allowed_lateness(self, lateness: Duration) -> Self {
        CoGroupedWindow { windowed: self.windowed.allowed_lateness(lateness), _ab: PhantomData }
    }

    /// Calls `f(key, first_elements, second_elements, out)` once per key and window
    /// (either side may be empty). Results carry the window's max timestamp.
    pub fn apply<O, F>(self, f: F) -> DataStream<O>
    where
        O: Data,
        F: FnMut(&K, &[A], &[B], &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    {
        self.apply_named("Window Co-Group", f)
    }

    pub(crate) fn apply_named<O, F>(self, name: &str, f: F) -> DataStream<O>
    where
        O: Data,
        F: FnMut(&K, &[A], &[B], &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    {
        self.windowed.process_named(name, CoGroupFunction { f, _ab: PhantomData })
    }
}

/// Splits a window's tagged elements into the two sides for the user's function.
struct CoGroupFunction<F, A, B> {
    f: F,
    _ab: PhantomData<fn(A, B)>,
}

impl<F: Clone, A, B> Clone for CoGroupFunction<F, A, B> {
    fn clone(&self) -> Self {
        CoGroupFunction { f: self.f.clone(), _ab: PhantomData }
    }
}

impl<K, A, B, O, W, F> ProcessWindowFunction<K, Either<A, B>, O, W> for CoGroupFunction<F, A, B>
where
    A: Clone + 'static,
    B: Clone + 'static,
    F: FnMut(&K, &[A], &[B], &mut Collector<'_, O>) + Send + 'static,
{
    fn process(
        &mut self,
        key: &K,
        _ctx: &mut WindowContext<'_, K, W>,
        elements: &[Either<A, B>],
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError> {
        let mut first = Vec::new();
        let mut second = Vec::new();
        for e in elements {
            match e {
                Either::Left(a) => first.push(a.clone()),
                Either::Right(b) => second.push(b.clone()),
            }
        }
        (self.f)(key, &first, &second, out);
        Ok(())
    }
}
