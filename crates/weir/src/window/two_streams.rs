//! The builder chain shared by window joins and co-groups:
//! `a.join(&b)` / `a.co_group(&b)` → `.where_(key_a)` → `.equal_to(key_b)` →
//! `.window(assigner)` → `.trigger(t)`, `.evictor(e)`, `.allowed_lateness(d)` → `apply`.
//!
//! Flink writes this chain twice (`JoinedStreams`, `CoGroupedStreams`); here it is written
//! once over an operation marker `Op` ([`WindowJoin`](super::join::WindowJoin) or
//! [`WindowCoGroup`](super::co_group::WindowCoGroup)), and Flink's names are aliases of
//! it. Only the final `apply` differs, so each marker's file adds its own.
//!
//! As in Flink, both operations are a window over the union of both streams, each record
//! tagged [`Either::Left`] or [`Either::Right`], keyed by the key of its side.

use std::marker::PhantomData;
use std::time::Duration;

use weir_core::Either;
use weir_state::Key;

use super::evictor::{EvictorSlot, NoEvictor, WithEvictor};
use super::{Evictor, LateRecordsDropped, Trigger, WindowAssigner, WindowedStream};
use crate::{Data, DataStream, KeyedStream};

/// Two streams to join or co-group; name the first stream's key with `where_`.
pub struct TwoStreams<Op, A, B> {
    first: DataStream<A>,
    second: DataStream<B>,
    _op: PhantomData<fn() -> Op>,
}

impl<Op, A: Data, B: Data> TwoStreams<Op, A, B> {
    pub(crate) fn new(first: &DataStream<A>, second: &DataStream<B>) -> Self {
        TwoStreams { first: first.clone(), second: second.clone(), _op: PhantomData }
    }

    /// The key of the first stream's records.
    pub fn where_<K: Key, KA>(self, key_a: KA) -> TwoStreamsWhere<Op, A, B, KA>
    where
        KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
    {
        TwoStreamsWhere { first: self.first, second: self.second, key_a, _op: PhantomData }
    }
}

/// Two streams with the first key set; name the second with `equal_to`.
pub struct TwoStreamsWhere<Op, A, B, KA> {
    first: DataStream<A>,
    second: DataStream<B>,
    key_a: KA,
    _op: PhantomData<fn() -> Op>,
}

impl<Op, A: Data, B: Data, KA> TwoStreamsWhere<Op, A, B, KA> {
    /// The key of the second stream's records (of the same type as the first's).
    pub fn equal_to<K: Key, KB>(self, key_b: KB) -> TwoStreamsKeys<Op, A, B, KA, KB>
    where
        KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
        KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
    {
        TwoStreamsKeys { first: self.first, second: self.second, key_a: self.key_a, key_b, _op: PhantomData }
    }
}

/// Two streams with both keys set; choose the windows with `window`.
pub struct TwoStreamsKeys<Op, A, B, KA, KB> {
    first: DataStream<A>,
    second: DataStream<B>,
    key_a: KA,
    key_b: KB,
    _op: PhantomData<fn() -> Op>,
}

/// The keyed union of two streams, each record tagged with its side.
fn tagged_union<A, B, K, KA, KB>(
    first: &DataStream<A>,
    second: &DataStream<B>,
    key_a: KA,
    key_b: KB,
) -> KeyedStream<Either<A, B>, impl Fn(&Either<A, B>) -> K + Clone + Send + Sync + 'static>
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

impl<Op, A, B, K, KA, KB> TwoStreamsKeys<Op, A, B, KA, KB>
where
    A: Data,
    B: Data,
    K: Key,
    KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
    KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
{
    /// Joins or co-groups within the windows of `assigner` (tumbling, sliding, session, …).
    #[allow(clippy::type_complexity)]
    pub fn window<WA: WindowAssigner<Either<A, B>>>(
        self,
        assigner: WA,
    ) -> TwoStreamsWindow<Op, A, B, impl Fn(&Either<A, B>) -> K + Clone + Send + Sync + 'static, WA, WA::DefaultTrigger>
    {
        let keyed = tagged_union(&self.first, &self.second, self.key_a, self.key_b);
        TwoStreamsWindow { windowed: keyed.window(assigner), _op: PhantomData }
    }
}

/// Two streams in windows, waiting for `apply` (Flink's `JoinedStreams.WithWindow`,
/// `CoGroupedStreams.WithWindow`).
pub struct TwoStreamsWindow<Op, A, B, KS, WA, TR, EV = NoEvictor> {
    pub(crate) windowed: WindowedStream<Either<A, B>, KS, WA, TR, EV>,
    _op: PhantomData<fn(Op, A, B)>,
}

impl<Op, A, B, K, KS, WA, TR, EV> TwoStreamsWindow<Op, A, B, KS, WA, TR, EV>
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
    pub fn trigger<TR2: Trigger<Either<A, B>, WA::W>>(
        self,
        trigger: TR2,
    ) -> TwoStreamsWindow<Op, A, B, KS, WA, TR2, EV> {
        TwoStreamsWindow { windowed: self.windowed.trigger(trigger), _op: PhantomData }
    }

    /// Sets an evictor (it sees the tagged records of both sides).
    pub fn evictor<E: Evictor<Either<A, B>, WA::W>>(
        self,
        evictor: E,
    ) -> TwoStreamsWindow<Op, A, B, KS, WA, TR, WithEvictor<E>> {
        TwoStreamsWindow { windowed: self.windowed.evictor(evictor), _op: PhantomData }
    }

    /// The counter of records dropped for being late (see [`LateRecordsDropped`]).
    pub fn late_records_dropped(&self) -> LateRecordsDropped {
        self.windowed.late_records_dropped()
    }

    /// Keeps event-time windows open for `lateness` after their end.
    pub fn allowed_lateness(self, lateness: Duration) -> Self {
        TwoStreamsWindow { windowed: self.windowed.allowed_lateness(lateness), _op: PhantomData }
    }
}
