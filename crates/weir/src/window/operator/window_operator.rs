//! [`WindowOperator`]: the general window operator (Flink's `WindowOperator`, and its
//! evicting variant through [`Evicting`](crate::window::evictor::slot::Evicting)
//! contents).
//!
//! Per key it keeps a map from each open window to a `WindowEntry`: the window's
//! contents, its trigger state, and the timers registered for it. For each record:
//! 1. the assigner names the record's windows; with a merging assigner (sessions) each
//!    is merged with the key's windows it overlaps, and the merged windows' contents,
//!    trigger states and timers move to the merged window;
//! 2. windows already cleaned up (event time: `max_timestamp + allowed_lateness <=
//!    watermark`) are skipped; a record skipped by all is late;
//! 3. for each remaining window the trigger sees the element, the element is added, and
//!    the trigger's result may emit the window (stamped with its max timestamp) or purge
//!    its contents; a cleanup timer is registered at `max_timestamp + allowed_lateness`.
//!
//! Timers fire in timestamp order (event time when the watermark passes them,
//! processing time when the clock does) and are handed to the trigger; the cleanup timer
//! also drops the window, its trigger state and its remaining timers.
//!
//! Invariant: a window's entry exists exactly as long as the window is open, and every
//! timer in the timer service for (key, window) is listed in that entry — so a window
//! never fires after it was cleaned up or merged away.
//!
//! Checkpoints write, by key group: every key's open windows (contents, trigger state,
//! listed timers — merged session windows are ordinary entries), the timer service, and
//! the window function's keyed state. Entries and timers come from the same moment, so
//! the invariant holds after a restore at any parallelism. A checkpoint of the embedded
//! variant ([`EmbeddedWindowOperator`](super::embedded_window_operator::EmbeddedWindowOperator))
//! restores here too: its windows and timers are read out of its backend's snapshot, of
//! which only the subtask's own key groups are read.
//!
//! This is the operator of jobs whose keyed state is on the heap (`hashmap`, the
//! default); the window logic both variants share is `WindowCore`.

use std::collections::HashMap;
use std::marker::PhantomData;

use weir_core::key_group::{assign_to_key_group, StableBuildHasher};
use weir_core::record::NO_TIMESTAMP;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};
use weir_state::{
    AsBackendRef, HeapKeyedStateBackend, Key, KeyedStateBackend, KeyedStateSnapshot, StateBackend, StateTable, Timer,
    TimerService,
};

use super::stored_windows::{self, SavedWindow, WINDOWS};
use super::window_core::{WindowCore, WindowEntry};
use super::{missing_timestamp, Out, WindowSettings};
use crate::functions::{RuntimeContext, TimeDomain};
use crate::operators::key_group_blobs::{
    read_key_groups, restore_timers, snapshot_backend, snapshot_timers, KeyGroupBlobs, KEYED_STATE, TIMERS,
};
use crate::window::assigner::WindowAssignerContext;
use crate::window::function::WindowContents;
use crate::window::{Trigger, WindowAssigner};

type KeyWindows<W, A, S> = HashMap<W, WindowEntry<A, S>, StableBuildHasher>;

/// The open windows of every key of the subtask, by key group.
type WindowTable<K, W, A, S> = StateTable<K, KeyWindows<W, A, S>>;

/// The heap operator's window core: timers in a [`TimerService`].
type HeapCore<K, T, W, TR, C> = WindowCore<K, T, W, TR, C, TimerService<K, W>>;

/// The general window operator: any assigner, trigger, evictor and window function,
/// with windows and timers on the heap.
pub struct WindowOperator<K, T, KS, A, TR, C>
where
    A: WindowAssigner<T>,
    TR: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
{
    key_of: KS,
    assigner: A,
    core: HeapCore<K, T, A::W, TR, C>,
    windows: WindowTable<K, A::W, C::Acc, TR::State>,
    settings: WindowSettings,
    max_parallelism: usize,
    /// Scratch buffers, kept to avoid allocating per record.
    assigned: Vec<A::W>,
    candidates: Vec<A::W>,
    merges: Vec<(A::W, Vec<A::W>)>,
    /// The window function's keyed state read from a checkpoint, restored after `open`
    /// declared its states.
    pending: Vec<KeyedStateSnapshot>,
    _t: PhantomData<fn(T)>,
}

impl<K, T, KS, A, TR, C> WindowOperator<K, T, KS, A, TR, C>
where
    K: Key,
    T: Clone + Send + 'static,
    KS: Fn(&T) -> K + Send + 'static,
    A: WindowAssigner<T>,
    TR: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
{
    /// A window operator for `subtask`.
    pub(crate) fn new(
        key_of: KS,
        assigner: A,
        trigger: TR,
        contents: C,
        settings: WindowSettings,
        subtask: &SubtaskInfo,
    ) -> Self {
        let range = subtask.key_group_range();
        let event_time = assigner.is_event_time();
        let merging = assigner.is_merging();
        WindowOperator {
            key_of,
            core: WindowCore {
                trigger,
                contents,
                timers: TimerService::default(),
                backend: StateBackend::Heap(HeapKeyedStateBackend::new(range)),
                ops: Vec::new(),
                watermark: i64::MIN,
                event_time,
                merging,
                allowed_lateness: if event_time { settings.allowed_lateness } else { 0 },
                _t: PhantomData,
            },
            assigner,
            windows: StateTable::new(range),
            settings,
            max_parallelism: subtask.max_parallelism,
            assigned: Vec::new(),
            candidates: Vec::new(),
            merges: Vec::new(),
            pending: Vec::new(),
            _t: PhantomData,
        }
    }

    fn process_record(
        &mut self,
        record: StreamRecord<T>,
        ctx: &WindowAssignerContext,
        out: &mut Out<'_, C::Out>,
    ) -> Result<(), BoxError> {
        let StreamRecord { value, timestamp } = record;
        if self.core.event_time && timestamp == NO_TIMESTAMP {
            return Err(missing_timestamp());
        }
        let key = (self.key_of)(&value);
        let key_group = assign_to_key_group(&key, self.max_parallelism);
        self.core.backend.check_key_group(key_group)?;
        let now = ctx.current_processing_time();
        let mut windows = std::mem::take(&mut self.assigned);
        windows.clear();
        self.assigner.assign_windows(&value, timestamp, ctx, &mut windows)?;
        let n = windows.len();
        let mut value = Some(value);
        let mut skipped = true;
        for (i, window) in windows.drain(..).enumerate() {
            let window = if self.core.merging { self.merge_in(&key, key_group, window, now)? } else { window };
            if self.core.is_window_late(&window) {
                continue;
            }
            skipped = false;
            let element = if i + 1 == n { value.take() } else { value.clone() };
            let element = element.expect("only the last window takes the record itself");
            self.add_to_window(&key, key_group, window, element, timestamp, now, out)?;
        }
        self.assigned = windows;
        if skipped && self.core.is_element_late(timestamp) {
            if let Some(value) = value {
                self.settings.late(value, timestamp, out.sides);
            }
        }
        Ok(())
    }

    /// Adds `element` to the open window `window` of `key` and acts on the trigger.
    #[allow(clippy::too_many_arguments)]
    fn add_to_window(
        &mut self,
        key: &K,
        key_group: usize,
        window: A::W,
        element: T,
        timestamp: i64,
        now: i64,
        out: &mut Out<'_, C::Out>,
    ) -> Result<(), BoxError> {
        let key_windows = self.windows.get_or_insert_with(key_group, key, KeyWindows::default);
        let entry = key_windows.entry(window.clone()).or_default();
        let core = &mut self.core;
        let result = core.trigger.on_element(
            &element,
            timestamp,
            &window,
            &mut entry.trigger_context(core.watermark, now, &mut core.ops),
        );
        core.contents.add(&mut entry.contents, element, timestamp);
        core.apply_ops(key, key_group, &window)?;
        core.act(result, key, key_group, &window, entry, now, out)?;
        core.register_cleanup(key, key_group, &window, entry)?;
        Ok(())
    }

    /// Merges `window` with the key's windows it overlaps (Flink's
    /// `MergingWindowSet.addWindow`); returns the window the record belongs to now.
    fn merge_in(&mut self, key: &K, key_group: usize, window: A::W, now: i64) -> Result<A::W, BoxError> {
        let Some(key_windows) = self.windows.get_mut(key_group, key) else {
            return Ok(window);
        };
        self.candidates.clear();
        self.candidates.extend(key_windows.keys().cloned());
        self.candidates.push(window.clone());
        self.merges.clear();
        self.assigner.merge_windows(&mut self.candidates, &mut self.merges);
        let mut result = window.clone();
        for (cover, members) in self.merges.drain(..) {
            if members.contains(&window) {
                result = cover.clone();
            }
            let merged: Vec<A::W> = members.into_iter().filter(|m| key_windows.contains_key(m)).collect();
            if merged.len() == 1 && merged[0] == cover {
                // An existing window swallows the new one: nothing moves.
                continue;
            }
            self.core.check_merge(&cover, now)?;
            let mut old: Vec<_> = merged
                .into_iter()
                .map(|m| {
                    let entry = key_windows.remove(&m).expect("merged windows are listed from the key's windows");
                    (m, entry)
                })
                .collect();
            let target = self.core.merge_entries(key, key_group, &cover, &mut old, now)?;
            key_windows.insert(cover, target);
        }
        Ok(result)
    }

    /// A timer of (key, window) fired.
    fn on_timer(
        &mut self,
        timer: Timer<K, A::W>,
        domain: TimeDomain,
        now: i64,
        out: &mut Out<'_, C::Out>,
    ) -> Result<(), BoxError> {
        let Timer { timestamp, key, namespace: window } = timer;
        let key_group = assign_to_key_group(&key, self.max_parallelism);
        let Some(key_windows) = self.windows.get_mut(key_group, &key) else { return Ok(()) };
        let Some(entry) = key_windows.get_mut(&window) else { return Ok(()) };
        let core = &mut self.core;
        let result = core.on_timer(entry, &key, key_group, &window, domain, timestamp, now)?;
        core.act(result, &key, key_group, &window, entry, now, out)?;
        if core.is_cleanup(&window, domain, timestamp) {
            let mut entry = key_windows.remove(&window).expect("the entry was found above");
            if key_windows.is_empty() {
                self.windows.remove(key_group, &key);
            }
            self.core.clear_window(&key, key_group, &window, &mut entry, now, out)?;
        }
        Ok(())
    }

    /// Fires the timers of `domain` due at `time`.
    fn fire(&mut self, domain: TimeDomain, time: i64, now: i64, out: &mut Out<'_, C::Out>) -> Result<(), BoxError> {
        loop {
            let due = match domain {
                TimeDomain::EventTime => self.core.timers.event_time.pop_due(time),
                TimeDomain::ProcessingTime => self.core.timers.processing_time.pop_due(time),
            };
            let Some(timer) = due else { return Ok(()) };
            self.on_timer(timer, domain, now, out)?;
        }
    }
}

impl<K, T, KS, A, TR, C> Operator for WindowOperator<K, T, KS, A, TR, C>
where
    K: Key,
    T: Clone + Send + 'static,
    KS: Fn(&T) -> K + Send + 'static,
    A: WindowAssigner<T>,
    TR: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
{
    type In = T;
    type Out = C::Out;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        let range = self.core.backend.key_group_range();
        let (contents, windows) = (&self.core.contents, &mut self.windows);
        KeyGroupBlobs::restore(
            state.keyed(WINDOWS),
            range,
            "window contents",
            |key_group, key: K, saved: Vec<SavedWindow<A::W, TR::State>>| {
                let mut key_windows = KeyWindows::default();
                for (window, acc, trigger_state, timers) in saved {
                    let contents = acc.map(|bytes| contents.load(&bytes)).transpose()?;
                    key_windows.insert(window, WindowEntry { contents, trigger_state, timers });
                }
                windows.insert(key_group, &key, key_windows);
                Ok(())
            },
        )?;
        restore_timers(&mut self.core.timers, range, state.keyed(TIMERS))?;
        // Only this subtask's key groups are read. A checkpoint of the embedded variant
        // holds the windows and timers as states of its backend: they come here instead.
        let mut pending = read_key_groups(&state.keyed_items(KEYED_STATE), range)?;
        let contents = &mut self.core.contents;
        let timers = stored_windows::take_embedded::<K, T, A::W, C, TR::State>(
            &mut pending,
            range,
            contents,
            |key_group, key, window, entry| {
                windows.get_or_insert_with(key_group, &key, KeyWindows::default).insert(window, entry);
            },
        )?;
        self.core.timers.restore(range, &timers)?;
        self.pending = pending;
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.core.contents.open(&mut RuntimeContext { subtask, backend: self.core.backend.backend_ref() })?;
        let pending = std::mem::take(&mut self.pending);
        Ok(self.core.backend.restore(&pending)?)
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let contents = &self.core.contents;
        let windows = KeyGroupBlobs::of_table(&self.windows, self.core.backend.key_group_range(), |key_windows| {
            key_windows
                .iter()
                .map(|(window, entry)| {
                    let acc = entry.contents.as_ref().map(|acc| contents.save(acc)).transpose()?;
                    Ok((window, acc, &entry.trigger_state, &entry.timers))
                })
                .collect::<Result<Vec<_>, BoxError>>()
        })?;
        state.keyed(WINDOWS, windows);
        state.keyed(TIMERS, snapshot_timers(&self.core.timers, self.max_parallelism)?);
        let StateBackend::Heap(backend) = &mut self.core.backend else {
            unreachable!("the heap window operator's backend is the heap")
        };
        snapshot_backend(backend, state);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<C::Out>) -> Result<(), BoxError> {
        let ctx = WindowAssignerContext { processing_time: out.now_ms() };
        let (records, sides) = out.parts();
        let mut out = Out { records, sides };
        for record in batch.drain(..) {
            self.process_record(record, &ctx, &mut out)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<C::Out>) -> Result<(), BoxError> {
        self.core.watermark = watermark.0;
        let now = out.now_ms();
        {
            let (records, sides) = out.parts();
            self.fire(TimeDomain::EventTime, watermark.0, now, &mut Out { records, sides })?;
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        self.core.timers.processing_time.next_timestamp()
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<C::Out>) -> Result<(), BoxError> {
        let (records, sides) = out.parts();
        self.fire(TimeDomain::ProcessingTime, now_ms, now_ms, &mut Out { records, sides })
    }
}
