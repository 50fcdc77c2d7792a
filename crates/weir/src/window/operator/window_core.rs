//! [`WindowCore`]: what the window operator does with one window at a time — call the
//! trigger, fold elements in, emit and purge, keep the window's timers — whichever store
//! holds the windows ([`WindowOperator`](super::window_operator::WindowOperator) on the
//! heap, [`EmbeddedWindowOperator`](super::embedded_window_operator::EmbeddedWindowOperator)
//! in the embedded backend).
//!
//! Both operators hand it a [`WindowEntry`]: the heap one in place, the embedded one as
//! read from the store (and written back afterwards).

use std::marker::PhantomData;

use weir_runtime::BoxError;
use weir_state::{Key, StateBackend, StateError};

use super::timer_store::TimerStore;
use super::Out;
use crate::functions::TimeDomain;
use crate::window::function::{FireScope, WindowContents, WindowContext, WindowStateKey};
use crate::window::trigger::TimerOp;
use crate::window::{Trigger, TriggerContext, TriggerResult, Window};

/// One open window of a key.
pub(crate) struct WindowEntry<A, S> {
    /// The contents; `None` before the first element and after a purge.
    pub(crate) contents: Option<A>,
    pub(crate) trigger_state: S,
    /// The timers registered in the timer service for this (key, window).
    pub(crate) timers: Vec<(TimeDomain, i64)>,
}

impl<A, S> WindowEntry<A, S> {
    /// The trigger's view of this window: its state and timers, the operator's clocks,
    /// and the list its timer requests go to.
    #[inline]
    pub(crate) fn trigger_context<'a>(
        &'a mut self,
        watermark: i64,
        now: i64,
        ops: &'a mut Vec<TimerOp>,
    ) -> TriggerContext<'a, S> {
        TriggerContext {
            state: &mut self.trigger_state,
            watermark,
            processing_time: now,
            registered: &mut self.timers,
            ops,
        }
    }
}

impl<A, S: Default> Default for WindowEntry<A, S> {
    fn default() -> Self {
        WindowEntry { contents: None, trigger_state: S::default(), timers: Vec::new() }
    }
}

/// A window being merged away, with its entry.
pub(crate) type MergedWindow<W, A, S> = (W, WindowEntry<A, S>);

/// The part of a window operator that acts on one window at a time, apart from where
/// the windows are kept, so both can be borrowed at once.
pub(crate) struct WindowCore<K, T, W, TR, C, TS> {
    pub(crate) trigger: TR,
    pub(crate) contents: C,
    pub(crate) timers: TS,
    /// The window function's keyed state (and, in the embedded store, the windows and
    /// timers).
    pub(crate) backend: StateBackend<WindowStateKey<K, W>>,
    pub(crate) ops: Vec<TimerOp>,
    pub(crate) watermark: i64,
    pub(crate) event_time: bool,
    pub(crate) merging: bool,
    pub(crate) allowed_lateness: i64,
    pub(crate) _t: PhantomData<fn(T)>,
}

impl<K, T, W, TR, C, TS> WindowCore<K, T, W, TR, C, TS>
where
    K: Key,
    W: Window,
    TR: Trigger<T, W>,
    C: WindowContents<K, T, W>,
    TS: TimerStore<K, W, WindowStateKey<K, W>>,
{
    /// When the window's state is dropped: event time `max_timestamp + allowed lateness`
    /// (saturating), processing time `max_timestamp`.
    #[inline]
    pub(crate) fn cleanup_time(&self, window: &W) -> i64 {
        if self.event_time {
            window.max_timestamp().saturating_add(self.allowed_lateness)
        } else {
            window.max_timestamp()
        }
    }

    /// Whether the window was cleaned up already (only event-time windows can be).
    #[inline]
    pub(crate) fn is_window_late(&self, window: &W) -> bool {
        self.event_time && self.cleanup_time(window) <= self.watermark
    }

    /// Whether a record skipped by all its windows counts as late (Flink's
    /// `isElementLate`).
    #[inline]
    pub(crate) fn is_element_late(&self, timestamp: i64) -> bool {
        self.event_time && timestamp.saturating_add(self.allowed_lateness) <= self.watermark
    }

    /// Sends the timer requests of the last trigger call to the timer store.
    #[inline]
    pub(crate) fn apply_ops(&mut self, key: &K, key_group: usize, window: &W) -> Result<(), StateError> {
        for op in self.ops.drain(..) {
            match op {
                TimerOp::Register(domain, t) => {
                    self.timers.register(&mut self.backend, domain, t, key, key_group, window)?
                }
                TimerOp::Delete(domain, t) => {
                    self.timers.delete(&mut self.backend, domain, t, key, key_group, window)?
                }
            }
        }
        Ok(())
    }

    /// Registers the window's cleanup timer (none for windows that never end).
    #[inline]
    pub(crate) fn register_cleanup(
        &mut self,
        key: &K,
        key_group: usize,
        window: &W,
        entry: &mut WindowEntry<C::Acc, TR::State>,
    ) -> Result<(), StateError> {
        let time = self.cleanup_time(window);
        if time == i64::MAX {
            return Ok(());
        }
        let domain = if self.event_time { TimeDomain::EventTime } else { TimeDomain::ProcessingTime };
        if !entry.timers.contains(&(domain, time)) {
            entry.timers.push((domain, time));
            self.ops.push(TimerOp::Register(domain, time));
            self.apply_ops(key, key_group, window)?;
        }
        Ok(())
    }

    /// Deletes every timer still registered for the window.
    pub(crate) fn delete_timers(
        &mut self,
        key: &K,
        key_group: usize,
        window: &W,
        entry: &mut WindowEntry<C::Acc, TR::State>,
    ) -> Result<(), StateError> {
        for (domain, t) in entry.timers.drain(..) {
            self.ops.push(TimerOp::Delete(domain, t));
        }
        self.apply_ops(key, key_group, window)
    }

    /// Calls the trigger for a timer of `window` that fired, and sends its timer
    /// requests on; returns its decision.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_timer(
        &mut self,
        entry: &mut WindowEntry<C::Acc, TR::State>,
        key: &K,
        key_group: usize,
        window: &W,
        domain: TimeDomain,
        timestamp: i64,
        now: i64,
    ) -> Result<TriggerResult, StateError> {
        if let Some(i) = entry.timers.iter().position(|t| *t == (domain, timestamp)) {
            entry.timers.swap_remove(i);
        }
        let mut ctx = entry.trigger_context(self.watermark, now, &mut self.ops);
        let result = match domain {
            TimeDomain::EventTime => self.trigger.on_event_time(timestamp, window, &mut ctx),
            TimeDomain::ProcessingTime => self.trigger.on_processing_time(timestamp, window, &mut ctx),
        };
        self.apply_ops(key, key_group, window)?;
        Ok(result)
    }

    /// Whether a timer at `timestamp` in `domain` is the window's cleanup timer.
    #[inline]
    pub(crate) fn is_cleanup(&self, window: &W, domain: TimeDomain, timestamp: i64) -> bool {
        (domain == TimeDomain::EventTime) == self.event_time && timestamp == self.cleanup_time(window)
    }

    /// Emits the window if the trigger fired, purges it if it said so.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn act(
        &mut self,
        result: TriggerResult,
        key: &K,
        key_group: usize,
        window: &W,
        entry: &mut WindowEntry<C::Acc, TR::State>,
        now: i64,
        out: &mut Out<'_, C::Out>,
    ) -> Result<(), BoxError> {
        if result.is_fire() {
            if let Some(acc) = entry.contents.as_mut() {
                let (contents, mut scope) = self.scope(key, key_group, window, now, out);
                contents.emit(acc, &mut scope)?;
            }
        }
        if result.is_purge() {
            entry.contents = None;
        }
        Ok(())
    }

    /// Drops a window at its cleanup time: its trigger is cleared, its timers deleted,
    /// the window function's `clear` called (Flink's `clearAllState`).
    pub(crate) fn clear_window(
        &mut self,
        key: &K,
        key_group: usize,
        window: &W,
        entry: &mut WindowEntry<C::Acc, TR::State>,
        now: i64,
        out: &mut Out<'_, C::Out>,
    ) -> Result<(), BoxError> {
        self.trigger.clear(window, &mut entry.trigger_context(self.watermark, now, &mut self.ops));
        self.apply_ops(key, key_group, window)?;
        self.delete_timers(key, key_group, window, entry)?;
        let (contents, mut scope) = self.scope(key, key_group, window, now, out);
        contents.clear(&mut scope)
    }

    /// Merges the windows `old` of a key into one entry for `cover`: contents merged,
    /// the trigger told (`on_merge`, then `clear` on each merged window), the merged
    /// windows' timers deleted. The merged entries' contents are taken.
    pub(crate) fn merge_entries(
        &mut self,
        key: &K,
        key_group: usize,
        cover: &W,
        old: &mut [MergedWindow<W, C::Acc, TR::State>],
        now: i64,
    ) -> Result<WindowEntry<C::Acc, TR::State>, StateError> {
        let mut target = WindowEntry::default();
        for (_, entry) in old.iter_mut() {
            if let Some(acc) = entry.contents.take() {
                self.contents.merge(&mut target.contents, acc);
            }
        }
        let states = old.iter().map(|(_, e)| e.trigger_state.clone()).collect();
        self.trigger.on_merge(cover, states, &mut target.trigger_context(self.watermark, now, &mut self.ops));
        self.apply_ops(key, key_group, cover)?;
        for (m, entry) in old.iter_mut() {
            self.trigger.clear(m, &mut entry.trigger_context(self.watermark, now, &mut self.ops));
            self.apply_ops(key, key_group, m)?;
            self.delete_timers(key, key_group, m, entry)?;
        }
        Ok(target)
    }

    /// The error for a merge that would move a window's end before the current time.
    pub(crate) fn check_merge(&self, cover: &W, now: i64) -> Result<(), BoxError> {
        if self.event_time && self.cleanup_time(cover) <= self.watermark {
            return Err(format!(
                "the end timestamp of an event-time window cannot become earlier than the current watermark by \
                 merging (watermark {}, window {cover:?})",
                self.watermark
            )
            .into());
        }
        if !self.event_time && cover.max_timestamp() <= now {
            return Err(format!(
                "the end timestamp of a processing-time window cannot become earlier than the current processing \
                 time by merging (time {now}, window {cover:?})"
            )
            .into());
        }
        Ok(())
    }

    /// The window function and what it sees when `window` of `key` fires.
    pub(crate) fn scope<'s>(
        &'s mut self,
        key: &'s K,
        key_group: usize,
        window: &'s W,
        now: i64,
        out: &'s mut Out<'_, C::Out>,
    ) -> (&'s mut C, FireScope<'s, K, W, C::Out>) {
        let scope = FireScope {
            ctx: WindowContext {
                key,
                key_group,
                window,
                backend: &mut self.backend,
                sides: &mut *out.sides,
                watermark: self.watermark,
                processing_time: now,
                merging: self.merging,
            },
            records: &mut *out.records,
        };
        (&mut self.contents, scope)
    }
}
