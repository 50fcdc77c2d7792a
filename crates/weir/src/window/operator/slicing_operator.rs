//! `SlicingWindowOperator`: tumbling and sliding windows computed from slices, so a
//! record costs the same whatever `size / slide` is.
//!
//! Time is cut into slices of `gcd(size, slide)` on the windows' grid; every window is
//! a run of whole slices. Per key:
//! 1. a record is folded into the accumulator of its one slice (one `add`, however many
//!    windows contain it);
//! 2. one timer per key waits for the end of the earliest window with data that has not
//!    fired; when it fires, the window's slices are combined (`merge` of copies) and
//!    the result emitted, then the timer moves on to the next window that holds data;
//! 3. a slice is dropped once the last window containing it is cleaned up (its end plus
//!    the allowed lateness has passed).
//!
//! It gives exactly what the [`WindowOperator`](super::window_operator::WindowOperator)
//! gives with the default trigger: a window fires when time passes its end, and a late
//! record within the allowed lateness fires its already-fired windows again at once.
//! (Results equal up to the order in which a reduce function sees its inputs, so the
//! function must be associative and commutative — as for any incremental aggregation.)
//!
//! The slices and timers are in a `SliceStore`: on the heap, or — with the embedded
//! backend — one stored value per key (its slices, pending fire times and cleanup time)
//! and timers in the backend (`EmbeddedSlicingWindowOperator`). The heap variant's code
//! is what it was before the store was a parameter: the heap store's methods are
//! inlined to the table access and never fail.
//!
//! Checkpoints write, by key group, every key's slices (accumulators as the window
//! function saves them), its pending fire times and cleanup time, and the timers (see
//! `slice_store` for each store's entries).

use std::marker::PhantomData;

use weir_core::key_group::assign_to_key_group;
use weir_core::record::NO_TIMESTAMP;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};
use weir_state::{
    AsBackendRef, HeapKeyedStateBackend, Key, StateBackend, StateBackendConfig, StateTable, Timer, TimerService,
};

use super::slice_store::{EmbeddedSlices, KeySlices, SliceBackend, SliceStore, SliceTimer};
use super::timer_store::TimerStore;
use super::{missing_timestamp, Out, WindowSettings};
use crate::functions::{RuntimeContext, TimeDomain};
use crate::operators::key_group_blobs::PendingKeyedState;
use crate::window::assigner::SliceSpec;
use crate::window::function::{FireScope, WindowContents, WindowContext};
use crate::window::TimeWindow;

/// The window grid, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Grid {
    size: i64,
    slide: i64,
    offset: i64,
    slice: i64,
    slice_offset: i64,
}

impl Grid {
    fn new(spec: SliceSpec) -> Self {
        let slice = gcd(spec.size, spec.slide);
        Grid { size: spec.size, slide: spec.slide, offset: spec.offset, slice, slice_offset: spec.offset % slice }
    }

    /// Start of the latest window containing `t`.
    #[inline]
    fn last_window_start(&self, t: i64) -> i64 {
        TimeWindow::window_start_with_offset(t, self.offset, self.slide)
    }

    /// Start of the earliest window containing `t`, given the latest one's start.
    #[inline]
    fn first_window_start(&self, t: i64, last_start: i64) -> i64 {
        last_start - (last_start - t + self.size - 1) / self.slide * self.slide
    }

    #[inline]
    fn slice_start(&self, t: i64) -> i64 {
        TimeWindow::window_start_with_offset(t, self.slice_offset, self.slice)
    }

    /// Max timestamp of the last window containing the slice starting at `start`.
    #[inline]
    fn last_window_max(&self, slice_start: i64) -> i64 {
        self.last_window_start(slice_start) + self.size - 1
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Tumbling or sliding windows over slices, with an incremental window function; the
/// slices and timers in the store `ST` (the heap's by default).
pub(crate) struct SlicingWindowOperator<K, T, KS, C, ST = HeapSlices<K, <C as WindowContents<K, T, TimeWindow>>::Acc>>
where
    K: Key,
    C: WindowContents<K, T, TimeWindow>,
    ST: SliceStore<K, C::Acc>,
{
    key_of: KS,
    contents: C,
    grid: Grid,
    event_time: bool,
    allowed_lateness: i64,
    settings: WindowSettings,
    keys: ST,
    timers: ST::Timers,
    /// Unused by incremental functions (the window context needs one); in the embedded
    /// store, the slices and timers.
    backend: SliceBackend<K>,
    watermark: i64,
    max_parallelism: usize,
    /// The backend's state in a checkpoint, restored after `open`.
    pending: PendingKeyedState,
    _t: PhantomData<fn(T)>,
}

/// The heap's slice store.
pub(crate) type HeapSlices<K, A> = StateTable<K, KeySlices<A>>;

/// The slicing operator with slices and timers in the embedded backend.
pub(crate) type EmbeddedSlicingWindowOperator<K, T, KS, C> =
    SlicingWindowOperator<K, T, KS, C, EmbeddedSlices<<C as WindowContents<K, T, TimeWindow>>::Acc>>;

impl<K, T, KS, C> SlicingWindowOperator<K, T, KS, C>
where
    K: Key,
    T: Send + 'static,
    KS: Fn(&T) -> K + Send + 'static,
    C: WindowContents<K, T, TimeWindow>,
{
    /// A slicing operator for windows of `spec`, as `subtask`, on the heap.
    pub(crate) fn new(
        key_of: KS,
        contents: C,
        spec: SliceSpec,
        settings: WindowSettings,
        subtask: &SubtaskInfo,
    ) -> Self {
        let range = subtask.key_group_range();
        let backend = StateBackend::Heap(HeapKeyedStateBackend::new(range));
        SlicingWindowOperator::with_store(
            key_of,
            contents,
            spec,
            settings,
            subtask,
            (StateTable::new(range), TimerService::default(), backend),
        )
    }
}

impl<K, T, KS, C> EmbeddedSlicingWindowOperator<K, T, KS, C>
where
    K: Key,
    T: Send + 'static,
    KS: Fn(&T) -> K + Send + 'static,
    C: WindowContents<K, T, TimeWindow>,
{
    /// A slicing operator for windows of `spec`, as `subtask`, in the embedded backend
    /// `config` describes.
    ///
    /// # Errors
    /// When the backend cannot open its working directory.
    pub(crate) fn embedded(
        key_of: KS,
        contents: C,
        spec: SliceSpec,
        settings: WindowSettings,
        subtask: &SubtaskInfo,
        config: &StateBackendConfig,
    ) -> Result<Self, BoxError> {
        let owner = format!("{}-{}", subtask.name, subtask.index);
        let mut backend = config.create(subtask.key_group_range(), &owner)?;
        let (keys, timers) = EmbeddedSlices::declare(&mut backend, config)?;
        Ok(SlicingWindowOperator::with_store(key_of, contents, spec, settings, subtask, (keys, timers, backend)))
    }
}

impl<K, T, KS, C, ST> SlicingWindowOperator<K, T, KS, C, ST>
where
    K: Key,
    T: Send + 'static,
    KS: Fn(&T) -> K + Send + 'static,
    C: WindowContents<K, T, TimeWindow>,
    ST: SliceStore<K, C::Acc>,
{
    fn with_store(
        key_of: KS,
        contents: C,
        spec: SliceSpec,
        settings: WindowSettings,
        subtask: &SubtaskInfo,
        (keys, timers, backend): (ST, ST::Timers, SliceBackend<K>),
    ) -> Self {
        SlicingWindowOperator {
            key_of,
            contents,
            grid: Grid::new(spec),
            event_time: spec.event_time,
            allowed_lateness: if spec.event_time { settings.allowed_lateness } else { 0 },
            settings,
            keys,
            timers,
            backend,
            watermark: i64::MIN,
            max_parallelism: subtask.max_parallelism,
            pending: PendingKeyedState::default(),
            _t: PhantomData,
        }
    }

    /// The domain of the fire timers.
    #[inline]
    fn domain(&self) -> TimeDomain {
        if self.event_time {
            TimeDomain::EventTime
        } else {
            TimeDomain::ProcessingTime
        }
    }

    fn process_record(&mut self, record: StreamRecord<T>, now: i64, out: &mut Out<'_, C::Out>) -> Result<(), BoxError> {
        let StreamRecord { value, timestamp } = record;
        let time = if self.event_time {
            if timestamp == NO_TIMESTAMP {
                return Err(missing_timestamp());
            }
            timestamp
        } else {
            now
        };
        let g = self.grid;
        let lateness = self.allowed_lateness;
        let last_start = g.last_window_start(time);
        let last_max = last_start + g.size - 1;
        let in_a_window = last_start + g.size > time;
        if !in_a_window || (self.event_time && last_max.saturating_add(lateness) <= self.watermark) {
            // No open window takes the record.
            if self.event_time && timestamp.saturating_add(lateness) <= self.watermark {
                self.settings.late(value, timestamp, out.sides);
            }
            return Ok(());
        }
        let key = (self.key_of)(&value);
        let key_group = assign_to_key_group(&key, self.max_parallelism);
        self.backend.check_key_group(key_group)?;
        let state = self.keys.get_or_insert(&self.backend, key_group, &key, &self.contents)?;
        let slice = state.slices.entry(g.slice_start(time)).or_insert(None);
        self.contents.add(slice, value, timestamp);

        let first_start = g.first_window_start(time, last_start);
        let mut next_fire = Some(first_start + g.size - 1);
        if self.event_time && first_start + g.size - 1 <= self.watermark {
            // Late within the allowed lateness: windows past their end fire again now,
            // with the record; the others wait for their end as usual.
            next_fire = None;
            let mut start = last_start;
            while start >= first_start {
                let max = start + g.size - 1;
                if max > self.watermark {
                    next_fire = Some(max);
                } else if max.saturating_add(lateness) > self.watermark {
                    emit_window(
                        &mut self.contents,
                        &mut self.backend,
                        state,
                        &key,
                        key_group,
                        start,
                        g.size,
                        self.watermark,
                        now,
                        out,
                    )?;
                }
                start -= g.slide;
            }
        }
        let register_fire = next_fire.filter(|t| state.fire_timers.insert(*t));
        let register_cleanup = if self.event_time && lateness > 0 {
            let cleanup = last_max.saturating_add(lateness);
            match state.cleanup_timer {
                Some(current) if current >= cleanup => None,
                current => {
                    state.cleanup_timer = Some(cleanup);
                    Some((current, cleanup))
                }
            }
        } else {
            None
        };
        self.keys.save(&mut self.backend, key_group, &key, &self.contents)?;
        let domain = self.domain();
        if let Some(t) = register_fire {
            self.timers.register(&mut self.backend, domain, t, &key, key_group, &SliceTimer::Fire)?;
        }
        if let Some((old, new)) = register_cleanup {
            let (timers, backend) = (&mut self.timers, &mut self.backend);
            if let Some(old) = old {
                timers.delete(backend, TimeDomain::EventTime, old, &key, key_group, &SliceTimer::Cleanup)?;
            }
            timers.register(backend, TimeDomain::EventTime, new, &key, key_group, &SliceTimer::Cleanup)?;
        }
        Ok(())
    }

    fn on_timer(&mut self, timer: Timer<K, SliceTimer>, now: i64, out: &mut Out<'_, C::Out>) -> Result<(), BoxError> {
        let Timer { timestamp, key, namespace } = timer;
        let key_group = assign_to_key_group(&key, self.max_parallelism);
        let Some(state) = self.keys.get(&self.backend, key_group, &key, &self.contents)? else { return Ok(()) };
        let g = self.grid;
        let lateness = self.allowed_lateness;
        let mut next = None;
        match namespace {
            SliceTimer::Fire => {
                state.fire_timers.remove(&timestamp);
                let end = timestamp + 1;
                emit_window(
                    &mut self.contents,
                    &mut self.backend,
                    state,
                    &key,
                    key_group,
                    end - g.size,
                    g.size,
                    self.watermark,
                    now,
                    out,
                )?;
                // The next window holding data: it contains the first slice not wholly
                // before the window ending one slide later.
                if let Some((&s, _)) = state.slices.range(end + g.slide - g.size..).next() {
                    let first_end = g.first_window_start(s, g.last_window_start(s)) + g.size;
                    let t = (end + g.slide).max(first_end) - 1;
                    if state.fire_timers.insert(t) {
                        next = Some(t);
                    }
                }
            }
            SliceTimer::Cleanup => {
                if state.cleanup_timer == Some(timestamp) {
                    state.cleanup_timer = None;
                }
            }
        }
        // Drop the slices no window needs any more.
        while let Some((&s, _)) = state.slices.first_key_value() {
            if g.last_window_max(s).saturating_add(lateness) > timestamp {
                break;
            }
            state.slices.pop_first();
        }
        if next.is_none() && state.is_idle() {
            self.keys.remove(&mut self.backend, key_group, &key)?;
        } else {
            self.keys.save(&mut self.backend, key_group, &key, &self.contents)?;
        }
        if let Some(t) = next {
            let domain = self.domain();
            self.timers.register(&mut self.backend, domain, t, &key, key_group, &SliceTimer::Fire)?;
        }
        Ok(())
    }

    /// Fires the timers of `domain` due at `time`.
    fn fire(&mut self, domain: TimeDomain, time: i64, now: i64, out: &mut Out<'_, C::Out>) -> Result<(), BoxError> {
        while let Some(timer) = self.timers.pop_due(&mut self.backend, domain, time)? {
            self.on_timer(timer, now, out)?;
        }
        Ok(())
    }
}

/// Combines the slices of the window `[start, start + size)` and emits its result.
#[allow(clippy::too_many_arguments)]
fn emit_window<K, T, C: WindowContents<K, T, TimeWindow>>(
    contents: &mut C,
    backend: &mut SliceBackend<K>,
    state: &KeySlices<C::Acc>,
    key: &K,
    key_group: usize,
    start: i64,
    size: i64,
    watermark: i64,
    now: i64,
    out: &mut Out<'_, C::Out>,
) -> Result<(), BoxError> {
    let window = TimeWindow::new(start, start + size);
    let mut acc = None;
    for slice in state.slices.range(start..window.end).filter_map(|(_, s)| s.as_ref()) {
        contents.merge(&mut acc, slice.clone());
    }
    let Some(acc) = acc.as_mut() else { return Ok(()) };
    let mut scope = FireScope {
        ctx: WindowContext {
            key,
            key_group,
            window: &window,
            backend,
            sides: &mut *out.sides,
            watermark,
            processing_time: now,
            merging: false,
        },
        records: &mut *out.records,
    };
    contents.emit(acc, &mut scope)
}

impl<K, T, KS, C, ST> Operator for SlicingWindowOperator<K, T, KS, C, ST>
where
    K: Key,
    T: Send + 'static,
    KS: Fn(&T) -> K + Send + 'static,
    C: WindowContents<K, T, TimeWindow>,
    ST: SliceStore<K, C::Acc>,
{
    type In = T;
    type Out = C::Out;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.pending = self.keys.restore(&mut self.timers, &mut self.backend, &self.contents, state)?;
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.contents.open(&mut RuntimeContext { subtask, backend: self.backend.backend_ref() })?;
        std::mem::take(&mut self.pending).restore_into(&mut self.backend)?;
        self.keys.restored(&mut self.timers, &mut self.backend)
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        self.keys.snapshot(&mut self.timers, &mut self.backend, &self.contents, self.max_parallelism, state)
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<C::Out>) -> Result<(), BoxError> {
        let now = out.now_ms();
        let (records, sides) = out.parts();
        let mut out = Out { records, sides };
        for record in batch.drain(..) {
            self.process_record(record, now, &mut out)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<C::Out>) -> Result<(), BoxError> {
        self.watermark = watermark.0;
        let now = out.now_ms();
        {
            let (records, sides) = out.parts();
            self.fire(TimeDomain::EventTime, watermark.0, now, &mut Out { records, sides })?;
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        self.timers.next_timestamp(TimeDomain::ProcessingTime)
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<C::Out>) -> Result<(), BoxError> {
        let (records, sides) = out.parts();
        self.fire(TimeDomain::ProcessingTime, now_ms, now_ms, &mut Out { records, sides })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_arithmetic() {
        let g = Grid::new(SliceSpec { size: 10, slide: 4, offset: 1, event_time: true });
        assert_eq!((g.slice, g.slice_offset), (2, 1));
        // windows [k*4 + 1, k*4 + 11): t = 12 is in [9, 19), [5, 15) (and not [1, 11))
        assert_eq!(g.last_window_start(12), 9);
        assert_eq!(g.first_window_start(12, 9), 5);
        assert_eq!(g.slice_start(12), 11);
        assert_eq!(g.last_window_max(11), 18);
        let tumbling = Grid::new(SliceSpec { size: 5, slide: 5, offset: 0, event_time: true });
        assert_eq!(tumbling.first_window_start(-3, tumbling.last_window_start(-3)), -5);
    }
}
