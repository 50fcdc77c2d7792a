//! Runs a [`KeyedProcessFunction`] with the heap keyed-state backend and per-key timers.

use std::marker::PhantomData;

use weir_core::key_group::assign_to_key_group;
use weir_core::record::NO_TIMESTAMP;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};
use weir_state::{HeapKeyedStateBackend, Key, TimerService};

use crate::functions::{Collector, KeyedContext, KeyedProcessFunction, RuntimeContext, TimeDomain};

/// Drives a [`KeyedProcessFunction`]: for each record, computes its key and key group
/// and hands the function a context scoped to that key; fires the keys' timers when the
/// watermark or the clock reaches them, in timestamp order.
pub struct KeyedProcessOperator<K, I, O, KS, P> {
    key_of: KS,
    function: P,
    backend: HeapKeyedStateBackend<K>,
    timers: TimerService<K, ()>,
    watermark: Watermark,
    max_parallelism: usize,
    _t: PhantomData<fn(I) -> O>,
}

impl<K: Key, I, O, KS, P> KeyedProcessOperator<K, I, O, KS, P> {
    /// Runs `function` keyed by `key_of` as `subtask`.
    pub fn new(key_of: KS, function: P, subtask: &SubtaskInfo) -> Self {
        KeyedProcessOperator {
            key_of,
            function,
            backend: HeapKeyedStateBackend::new(subtask.key_group_range()),
            timers: TimerService::default(),
            watermark: Watermark::MIN,
            max_parallelism: subtask.max_parallelism,
            _t: PhantomData,
        }
    }
}

impl<K, I, O, KS, P> KeyedProcessOperator<K, I, O, KS, P>
where
    K: Key,
    I: Send + 'static,
    O: Send + 'static,
    P: KeyedProcessFunction<K, I, O>,
{
    /// Fires one timer of `key`.
    fn fire(
        &mut self,
        key: &K,
        timestamp: i64,
        domain: TimeDomain,
        now_ms: i64,
        out: &mut Emitter<O>,
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
        self.function.on_timer(timestamp, &mut ctx, &mut Collector::new(records, out_ts))
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

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.function.open(&mut RuntimeContext { subtask, backend: &mut self.backend })
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<I>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let now_ms = out.now_ms();
        let (records, sides) = out.parts();
        for r in batch.drain(..) {
            let key = (self.key_of)(&r.value);
            let key_group = assign_to_key_group(&key, self.max_parallelism);
            self.backend.check_key_group(key_group)?;
            let mut ctx = KeyedContext {
                key: &key,
                key_group,
                backend: &mut self.backend,
                timestamp: r.timestamp,
                sides: &mut *sides,
                timers: &mut self.timers,
                watermark: self.watermark,
                now_ms,
                time_domain: None,
            };
            self.function.process_element(r.value, &mut ctx, &mut Collector::new(records, r.timestamp))?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<O>) -> Result<(), BoxError> {
        self.watermark = watermark;
        let now_ms = out.now_ms();
        while let Some(timer) = self.timers.event_time.pop_due(watermark.0) {
            self.fire(&timer.key, timer.timestamp, TimeDomain::EventTime, now_ms, out)?;
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        self.timers.processing_time.next_timestamp()
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<O>) -> Result<(), BoxError> {
        while let Some(timer) = self.timers.processing_time.pop_due(now_ms) {
            self.fire(&timer.key, timer.timestamp, TimeDomain::ProcessingTime, now_ms, out)?;
        }
        Ok(())
    }
}
