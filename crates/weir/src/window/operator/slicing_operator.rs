//! [`SlicingWindowOperator`]: tumbling and sliding windows computed from slices, so a
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
//! Checkpoints write, by key group, every key's slices (accumulators as the window
//! function saves them), its pending fire times and cleanup time, and the timer service.

use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

use weir_core::key_group::assign_to_key_group;
use weir_core::record::NO_TIMESTAMP;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};
use weir_state::{BackendRef, HeapKeyedStateBackend, Key, StateTable, Timer, TimerQueue, TimerService};

use super::{missing_timestamp, Out, WindowSettings};
use crate::functions::RuntimeContext;
use crate::operators::key_group_blobs::{restore_timers, snapshot_timers, KeyGroupBlobs, TIMERS};
use crate::window::assigner::SliceSpec;
use crate::window::function::{FireScope, WindowContents, WindowContext, WindowStateKey};
use crate::window::TimeWindow;

/// What a slicing timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
enum SliceTimer {
    /// The end (max timestamp) of a window to emit.
    Fire,
    /// The time the key's newest slice can be dropped.
    Cleanup,
}

/// The slices of one key.
struct KeySlices<A> {
    /// Slice start → accumulator.
    slices: BTreeMap<i64, Option<A>>,
    /// Pending fire timers (window max timestamps).
    fire_timers: BTreeSet<i64>,
    cleanup_timer: Option<i64>,
}

impl<A> Default for KeySlices<A> {
    fn default() -> Self {
        KeySlices { slices: BTreeMap::new(), fire_timers: BTreeSet::new(), cleanup_timer: None }
    }
}

impl<A> KeySlices<A> {
    fn is_idle(&self) -> bool {
        self.slices.is_empty() && self.fire_timers.is_empty() && self.cleanup_timer.is_none()
    }
}

/// The checkpoint entry holding the keys' slices.
const SLICES: &str = "slices";

/// A key's slices as a checkpoint holds them: `(slice start, saved accumulator)`, the
/// pending fire times, the cleanup time.
type SavedSlices = (Vec<(i64, Option<Vec<u8>>)>, BTreeSet<i64>, Option<i64>);

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

/// Tumbling or sliding windows over slices, with an incremental window function.
pub struct SlicingWindowOperator<K, T, KS, C>
where
    C: WindowContents<K, T, TimeWindow>,
{
    key_of: KS,
    contents: C,
    grid: Grid,
    event_time: bool,
    allowed_lateness: i64,
    settings: WindowSettings,
    keys: StateTable<K, KeySlices<C::Acc>>,
    /// Unused by incremental functions; the window context needs one.
    backend: HeapKeyedStateBackend<WindowStateKey<K, TimeWindow>>,
    timers: TimerService<K, SliceTimer>,
    watermark: i64,
    max_parallelism: usize,
    _t: PhantomData<fn(T)>,
}

impl<K, T, KS, C> SlicingWindowOperator<K, T, KS, C>
where
    K: Key,
    T: Send + 'static,
    KS: Fn(&T) -> K + Send + 'static,
    C: WindowContents<K, T, TimeWindow>,
{
    /// A slicing operator for windows of `spec`, as `subtask`.
    pub(crate) fn new(
        key_of: KS,
        contents: C,
        spec: SliceSpec,
        settings: WindowSettings,
        subtask: &SubtaskInfo,
    ) -> Self {
        let range = subtask.key_group_range();
        SlicingWindowOperator {
            key_of,
            contents,
            grid: Grid::new(spec),
            event_time: spec.event_time,
            allowed_lateness: if spec.event_time { settings.allowed_lateness } else { 0 },
            settings,
            keys: StateTable::new(range),
            backend: HeapKeyedStateBackend::new(range),
            timers: TimerService::default(),
            watermark: i64::MIN,
            max_parallelism: subtask.max_parallelism,
            _t: PhantomData,
        }
    }

    fn queue(&mut self) -> &mut TimerQueue<K, SliceTimer> {
        if self.event_time {
            &mut self.timers.event_time
        } else {
            &mut self.timers.processing_time
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
        let state = self.keys.get_or_insert_with(key_group, &key, KeySlices::default);
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
        if let Some(t) = register_fire {
            self.queue().register(t, &key, &SliceTimer::Fire);
        }
        if let Some((old, new)) = register_cleanup {
            if let Some(old) = old {
                self.timers.event_time.delete(old, &key, &SliceTimer::Cleanup);
            }
            self.timers.event_time.register(new, &key, &SliceTimer::Cleanup);
        }
        Ok(())
    }

    fn on_timer(&mut self, timer: Timer<K, SliceTimer>, now: i64, out: &mut Out<'_, C::Out>) -> Result<(), BoxError> {
        let Timer { timestamp, key, namespace } = timer;
        let key_group = assign_to_key_group(&key, self.max_parallelism);
        let Some(state) = self.keys.get_mut(key_group, &key) else { return Ok(()) };
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
        let idle = next.is_none() && state.is_idle();
        if idle {
            self.keys.remove(key_group, &key);
        }
        if let Some(t) = next {
            self.queue().register(t, &key, &SliceTimer::Fire);
        }
        Ok(())
    }
}

/// Combines the slices of the window `[start, start + size)` and emits its result.
#[allow(clippy::too_many_arguments)]
fn emit_window<K, T, C: WindowContents<K, T, TimeWindow>>(
    contents: &mut C,
    backend: &mut HeapKeyedStateBackend<WindowStateKey<K, TimeWindow>>,
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

impl<K, T, KS, C> Operator for SlicingWindowOperator<K, T, KS, C>
where
    K: Key,
    T: Send + 'static,
    KS: Fn(&T) -> K + Send + 'static,
    C: WindowContents<K, T, TimeWindow>,
{
    type In = T;
    type Out = C::Out;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        let range = self.backend.key_group_range();
        let (contents, keys) = (&self.contents, &mut self.keys);
        KeyGroupBlobs::restore(
            state.keyed(SLICES),
            range,
            "window slices",
            |key_group, key: K, (slices, fire_timers, cleanup_timer): SavedSlices| {
                let slices = slices
                    .into_iter()
                    .map(|(start, acc)| Ok((start, acc.map(|bytes| contents.load(&bytes)).transpose()?)))
                    .collect::<Result<BTreeMap<_, _>, BoxError>>()?;
                keys.insert(key_group, &key, KeySlices { slices, fire_timers, cleanup_timer });
                Ok(())
            },
        )?;
        restore_timers(&mut self.timers, range, state.keyed(TIMERS))
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.contents.open(&mut RuntimeContext { subtask, backend: BackendRef::Heap(&mut self.backend) })
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        // The backend stays empty: only incremental functions are computed by slicing.
        let contents = &self.contents;
        let slices = KeyGroupBlobs::of_table(&self.keys, self.backend.key_group_range(), |key| {
            let slices = key
                .slices
                .iter()
                .map(|(start, acc)| Ok((*start, acc.as_ref().map(|acc| contents.save(acc)).transpose()?)))
                .collect::<Result<Vec<_>, BoxError>>()?;
            Ok((slices, &key.fire_timers, key.cleanup_timer))
        })?;
        state.keyed(SLICES, slices);
        state.keyed(TIMERS, snapshot_timers(&self.timers, self.max_parallelism)?);
        Ok(())
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
            let mut out = Out { records, sides };
            while let Some(timer) = self.timers.event_time.pop_due(watermark.0) {
                self.on_timer(timer, now, &mut out)?;
            }
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        self.timers.processing_time.next_timestamp()
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<C::Out>) -> Result<(), BoxError> {
        let (records, sides) = out.parts();
        let mut out = Out { records, sides };
        while let Some(timer) = self.timers.processing_time.pop_due(now_ms) {
            self.on_timer(timer, now_ms, &mut out)?;
        }
        Ok(())
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
