//! Runs a [`KeyedProcessFunction`] with keyed state — on the heap or in the embedded
//! backend, as the job's [`StateBackendConfig`] says — and per-key timers (always on
//! the heap, as Flink's RocksDB backend can keep them).
//!
//! `KeyedRuntime` is what every keyed process operator keeps besides its function — the
//! keyed state backend, the per-key timers and the current watermark — and the two
//! things it does with them: scope a [`KeyedContext`] to a record's key, and fire due
//! timers in timestamp order. [`KeyedProcessOperator`] and
//! [`KeyedCoProcessOperator`](crate::keyed_connected::KeyedCoProcessOperator) share it;
//! they differ only in how they compute a record's key and which function method they
//! call. The timer callback is a generic closure, so firing costs no dynamic call.
//!
//! Checkpoints: the state backend and the timers are written by key group (see
//! `key_group_blobs`); the watermark is not (as in Flink, it
//! comes again from upstream). On restore the timers come back at once, the keyed state
//! only after the function's `open` — the backend can restore a state only once it is
//! declared, and functions declare their states in `open`, which runs after
//! `initialize_state`. The keyed state is read from storage only then, one key group at
//! a time, so the embedded backend restores state larger than memory.

use std::marker::PhantomData;

use weir_core::key_group::assign_to_key_group;
use weir_core::record::NO_TIMESTAMP;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::restored_item::RestoredItem;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SideOutputs, SubtaskInfo};
use weir_state::{AsBackendRef, Key, KeyedStateBackend, StateBackend, StateBackendConfig, TimerService};

use super::key_group_blobs::{restore_backend, restore_timers, snapshot_timers, KEYED_STATE, TIMERS};

use crate::functions::{Collector, KeyedContext, KeyedProcessFunction, RuntimeContext, TimeDomain};

/// Drives a [`KeyedProcessFunction`]: for each record, computes its key and key group
/// and hands the function a context scoped to that key; fires the keys' timers when the
/// watermark or the clock reaches them, in timestamp order.
pub struct KeyedProcessOperator<K, I, O, KS, P> {
    key_of: KS,
    function: P,
    keyed: KeyedRuntime<K>,
    _t: PhantomData<fn(I) -> O>,
}

impl<K: Key, I, O, KS, P> KeyedProcessOperator<K, I, O, KS, P> {
    /// Runs `function` keyed by `key_of` as `subtask`, its state in the backend `backend`
    /// configures.
    ///
    /// # Errors
    /// When the embedded backend cannot open its working directory.
    pub fn new(key_of: KS, function: P, subtask: &SubtaskInfo, backend: &StateBackendConfig) -> Result<Self, BoxError> {
        Ok(KeyedProcessOperator { key_of, function, keyed: KeyedRuntime::new(subtask, backend)?, _t: PhantomData })
    }
}

impl<K, I, O, KS, P> Operator for KeyedProcessOperator<K, I, O, KS, P>
where
    K: Key,
    I: Send + 'static,
    O: Send + 'static,
    KS: Fn(&I) -> K + Send + 'static,
    P: KeyedProcessFunction<K, I, O>,
{
    type In = I;
    type Out = O;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.keyed.initialize_state(state)
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        let function = &mut self.function;
        self.keyed.open(subtask, |ctx| function.open(ctx))
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        self.keyed.snapshot_state(state)
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<I>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let now_ms = out.now_ms();
        let (records, sides) = out.parts();
        for r in batch.drain(..) {
            let key = (self.key_of)(&r.value);
            let mut ctx = self.keyed.record_context(&key, r.timestamp, sides, now_ms)?;
            self.function.process_element(r.value, &mut ctx, &mut Collector::new(records, r.timestamp))?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<O>) -> Result<(), BoxError> {
        self.keyed.on_watermark(watermark, out, |ts, ctx, out| self.function.on_timer(ts, ctx, out))
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        self.keyed.next_processing_timer()
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<O>) -> Result<(), BoxError> {
        self.keyed.on_processing_time(now_ms, out, |ts, ctx, out| self.function.on_timer(ts, ctx, out))
    }
}

/// The keyed state, timers and watermark of one keyed operator subtask.
pub(crate) struct KeyedRuntime<K> {
    backend: StateBackend<K>,
    timers: TimerService<K, ()>,
    watermark: Watermark,
    max_parallelism: usize,
    /// Keyed state of a checkpoint (not read yet), restored once the function declared
    /// its states.
    pending: Vec<RestoredItem>,
    /// `execution.checkpointing.incremental`: checkpoints store only the key groups of
    /// the embedded backend changed since the last completed one.
    incremental: bool,
}

impl<K: Key> KeyedRuntime<K> {
    /// Empty state (in the backend `config` chooses) and timers for the key groups of
    /// `subtask`.
    ///
    /// # Errors
    /// When the embedded backend cannot open its working directory.
    pub(crate) fn new(subtask: &SubtaskInfo, config: &StateBackendConfig) -> Result<Self, BoxError> {
        let owner = format!("{}-{}", subtask.name, subtask.index);
        Ok(KeyedRuntime {
            backend: config.create(subtask.key_group_range(), &owner)?,
            timers: TimerService::default(),
            watermark: Watermark::MIN,
            max_parallelism: subtask.max_parallelism,
            pending: Vec::new(),
            incremental: config.incremental,
        })
    }

    /// Takes this subtask's key groups of the timers in `state`, and keeps its keyed
    /// state for [`Self::open`].
    ///
    /// # Errors
    /// State that does not decode.
    pub(crate) fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        restore_timers(&mut self.timers, KeyedStateBackend::key_group_range(&self.backend), state.keyed(TIMERS))?;
        self.pending = state.keyed_items(KEYED_STATE);
        Ok(())
    }

    /// Runs the function's `open` (which declares its states), then restores the keyed
    /// state kept by [`Self::initialize_state`].
    ///
    /// # Errors
    /// The function's error, or restored state that does not fit its declarations.
    pub(crate) fn open(
        &mut self,
        subtask: &SubtaskInfo,
        open: impl FnOnce(&mut RuntimeContext<'_, K>) -> Result<(), BoxError>,
    ) -> Result<(), BoxError> {
        open(&mut RuntimeContext { subtask, backend: self.backend.backend_ref() })?;
        let pending = std::mem::take(&mut self.pending);
        restore_backend(&mut self.backend, &pending)
    }

    /// Writes the keyed state and the timers, by key group. The keyed state is only cut
    /// here (copy-on-write maps, or a read view of the embedded store) and serialized off
    /// the task thread — the embedded store's one key group at a time, and incrementally
    /// when configured; the timers are encoded at once.
    ///
    /// # Errors
    /// Timers that cannot be encoded (the keyed state's errors come later, declining the
    /// checkpoint).
    pub(crate) fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        match self.backend.cut_key_groups() {
            Some(cut) => state.keyed_cut(KEYED_STATE, cut, self.incremental),
            None => {
                let serialize = self.backend.snapshot_async(None);
                state.keyed_async(KEYED_STATE, Box::new(move || Ok(serialize()?.to_bytes()?)));
            }
        }
        state.keyed(TIMERS, snapshot_timers(&self.timers, self.max_parallelism)?);
        Ok(())
    }

    /// The context for a record of `key` with event time `timestamp`.
    ///
    /// # Errors
    /// When `key` belongs to a key group this subtask does not own (a partitioning bug).
    #[inline]
    pub(crate) fn record_context<'a>(
        &'a mut self,
        key: &'a K,
        timestamp: i64,
        sides: &'a mut SideOutputs,
        now_ms: i64,
    ) -> Result<KeyedContext<'a, K>, BoxError> {
        let key_group = assign_to_key_group(key, self.max_parallelism);
        self.backend.check_key_group(key_group)?;
        Ok(KeyedContext {
            key,
            key_group,
            backend: &mut self.backend,
            timestamp,
            sides,
            timers: &mut self.timers,
            watermark: self.watermark,
            now_ms,
            time_domain: None,
        })
    }

    /// Advances to `watermark`: calls `on_timer` for each due event-time timer, in
    /// timestamp order, then forwards the watermark.
    pub(crate) fn on_watermark<O>(
        &mut self,
        watermark: Watermark,
        out: &mut Emitter<O>,
        mut on_timer: impl FnMut(i64, &mut KeyedContext<'_, K>, &mut Collector<'_, O>) -> Result<(), BoxError>,
    ) -> Result<(), BoxError> {
        self.watermark = watermark;
        let now_ms = out.now_ms();
        while let Some(timer) = self.timers.event_time.pop_due(watermark.0) {
            self.fire(&timer.key, timer.timestamp, TimeDomain::EventTime, now_ms, out, &mut on_timer)?;
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    /// The earliest processing-time timer, if any.
    pub(crate) fn next_processing_timer(&mut self) -> Option<i64> {
        self.timers.processing_time.next_timestamp()
    }

    /// Calls `on_timer` for each processing-time timer due at `now_ms`, in timestamp
    /// order.
    pub(crate) fn on_processing_time<O>(
        &mut self,
        now_ms: i64,
        out: &mut Emitter<O>,
        mut on_timer: impl FnMut(i64, &mut KeyedContext<'_, K>, &mut Collector<'_, O>) -> Result<(), BoxError>,
    ) -> Result<(), BoxError> {
        while let Some(timer) = self.timers.processing_time.pop_due(now_ms) {
            self.fire(&timer.key, timer.timestamp, TimeDomain::ProcessingTime, now_ms, out, &mut on_timer)?;
        }
        Ok(())
    }

    /// Fires one timer of `key`; records emitted from an event-time timer carry its
    /// timestamp, those from a processing-time timer none.
    fn fire<O>(
        &mut self,
        key: &K,
        timestamp: i64,
        domain: TimeDomain,
        now_ms: i64,
        out: &mut Emitter<O>,
        on_timer: &mut impl FnMut(i64, &mut KeyedContext<'_, K>, &mut Collector<'_, O>) -> Result<(), BoxError>,
    ) -> Result<(), BoxError> {
        let key_group = assign_to_key_group(key, self.max_parallelism);
        let out_ts = if domain == TimeDomain::EventTime { timestamp } else { NO_TIMESTAMP };
        let (records, sides) = out.parts();
        let mut ctx = KeyedContext {
            key,
            key_group,
            backend: &mut self.backend,
            timestamp: out_ts,
            sides,
            timers: &mut self.timers,
            watermark: self.watermark,
            now_ms,
            time_domain: Some(domain),
        };
        on_timer(timestamp, &mut ctx, &mut Collector::new(records, out_ts))
    }
}
