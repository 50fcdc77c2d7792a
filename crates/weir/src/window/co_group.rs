//! [`CoGroupedStreams`]: two streams co-grouped by key within windows (Flink's
//! `CoGroupedStreams`): `a.co_group(&b).where_(key_a).equal_to(key_b).window(assigner)
//! .apply(f)` calls `f(key, a_elements, b_elements, out)` once per key and window.
//!
//! As in Flink, this is a window over the union of both streams, each record tagged
//! [`Either::Left`] or [`Either::Right`], keyed by the key of its side; the window
//! function splits the window's elements back into the two sides. The windows keep the
//! records of both sides, which checkpoints write: both record types must be
//! `Serialize + DeserializeOwned`.

use std::marker::PhantomData;

use weir_core::Either;
use weir_runtime::BoxError;
use weir_state::{Key, StateValue};

use super::evictor::{EvictorSlot, NoEvictor};
use super::two_streams::{TwoStreams, TwoStreamsKeys, TwoStreamsWhere, TwoStreamsWindow};
use super::{ElementCodec, ProcessWindowFunction, Trigger, WindowAssigner, WindowContext};
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
        TwoStreams::new(self, other)
    }
}

/// Marks the builder chain of [`DataStream::co_group`] (see [`TwoStreams`]).
#[derive(Debug, Clone, Copy)]
pub struct WindowCoGroup;

/// Two streams to co-group; name the first stream's key with `where_`.
pub type CoGroupedStreams<A, B> = TwoStreams<WindowCoGroup, A, B>;

/// Co-grouped streams with the first key set; name the second with `equal_to`.
pub type CoGroupedWhere<A, B, KA> = TwoStreamsWhere<WindowCoGroup, A, B, KA>;

/// Co-grouped streams with both keys set; choose the windows with `window`.
pub type CoGroupedKeys<A, B, KA, KB> = TwoStreamsKeys<WindowCoGroup, A, B, KA, KB>;

/// Co-grouped streams in windows, waiting for `apply` (Flink's
/// `CoGroupedStreams.WithWindow`).
pub type CoGroupedWindow<A, B, KS, WA, TR, EV = NoEvictor> = TwoStreamsWindow<WindowCoGroup, A, B, KS, WA, TR, EV>;

impl<A, B, K, KS, WA, TR, EV> CoGroupedWindow<A, B, KS, WA, TR, EV>
where
    A: Data + StateValue,
    B: Data + StateValue,
    K: Key,
    KS: Fn(&Either<A, B>) -> K + Clone + Send + Sync + 'static,
    WA: WindowAssigner<Either<A, B>>,
    TR: Trigger<Either<A, B>, WA::W>,
    EV: EvictorSlot<Either<A, B>, WA::W>,
{
    /// Calls `f(key, first_elements, second_elements, out)` once per key and window
    /// (either side may be empty). Results carry the window's max timestamp.
    pub fn apply<O, F>(self, f: F) -> DataStream<O>
    where
        O: Data,
        F: FnMut(&K, &[A], &[B], &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    {
        self.apply_named("Window Co-Group", f)
    }
}

impl<Op, A, B, K, KS, WA, TR, EV> TwoStreamsWindow<Op, A, B, KS, WA, TR, EV>
where
    A: Data + StateValue,
    B: Data + StateValue,
    K: Key,
    KS: Fn(&Either<A, B>) -> K + Clone + Send + Sync + 'static,
    WA: WindowAssigner<Either<A, B>>,
    TR: Trigger<Either<A, B>, WA::W>,
    EV: EvictorSlot<Either<A, B>, WA::W>,
{
    /// Co-groups under the operator name `name` (a join is a co-group too).
    pub(crate) fn apply_named<O, F>(self, name: &str, f: F) -> DataStream<O>
    where
        O: Data,
        F: FnMut(&K, &[A], &[B], &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    {
        self.windowed.process_named(name, CoGroupFunction { f, _ab: PhantomData }, ElementCodec::either())
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
