//! [`Trigger`]: decides when a window emits its result and when its contents are
//! purged, and the built-in triggers.
//!
//! A trigger is called for every element added to a window (`on_element`) and for
//! every timer it registered (`on_event_time`, `on_processing_time`); each call answers
//! with a [`TriggerResult`]. Timers and the trigger's per-window state go through the
//! [`TriggerContext`], which belongs to one (key, window).
//!
//! | trigger | fires |
//! |---|---|
//! | [`EventTimeTrigger`] | when the watermark passes the window's end; again for each late element within allowed lateness |
//! | [`ProcessingTimeTrigger`] | when processing time passes the window's end |
//! | [`CountTrigger`] | every `n` elements |
//! | [`PurgingTrigger`] | as the trigger it wraps, purging on every fire |
//! | [`ContinuousEventTimeTrigger`], [`ContinuousProcessingTimeTrigger`] | every interval, and at the window's end |
//! | [`NeverTrigger`] | never (the default of [`GlobalWindows`](super::GlobalWindows)) |

mod continuous;
pub mod continuous_event_time;
pub mod continuous_processing_time;
pub mod count;
pub mod event_time;
pub mod never;
pub mod processing_time;
pub mod purging;

pub use continuous_event_time::ContinuousEventTimeTrigger;
pub use continuous_processing_time::ContinuousProcessingTimeTrigger;
pub use count::CountTrigger;
pub use event_time::EventTimeTrigger;
pub use never::NeverTrigger;
pub use processing_time::ProcessingTimeTrigger;
pub use purging::PurgingTrigger;

use crate::functions::TimeDomain;

/// What a trigger decides for a window (Flink's `TriggerResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerResult {
    /// Nothing happens.
    Continue,
    /// The window function runs on the window's contents, which are kept.
    Fire,
    /// The window's contents are discarded (its metadata and timers stay).
    Purge,
    /// The window function runs, then the contents are discarded.
    FireAndPurge,
}

impl TriggerResult {
    /// Whether the window function runs.
    #[inline]
    pub fn is_fire(self) -> bool {
        matches!(self, TriggerResult::Fire | TriggerResult::FireAndPurge)
    }

    /// Whether the window's contents are discarded.
    #[inline]
    pub fn is_purge(self) -> bool {
        matches!(self, TriggerResult::Purge | TriggerResult::FireAndPurge)
    }
}

/// A timer registration or deletion a trigger asked for, applied by the operator to
/// the (key, window) being triggered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimerOp {
    Register(TimeDomain, i64),
    Delete(TimeDomain, i64),
}

/// What a trigger can do for the (key, window) it is called for: register and delete
/// timers, read event and processing time, and keep state of type `S` (Flink's
/// `Trigger.TriggerContext`; the state replaces `getPartitionedState`).
pub struct TriggerContext<'a, S> {
    pub(crate) state: &'a mut S,
    pub(crate) watermark: i64,
    pub(crate) processing_time: i64,
    /// The timers registered for this (key, window), so a repeated registration costs
    /// a scan of a short list instead of a trip to the timer service.
    pub(crate) registered: &'a mut Vec<(TimeDomain, i64)>,
    pub(crate) ops: &'a mut Vec<TimerOp>,
}

impl<'a, S> TriggerContext<'a, S> {
    /// The trigger's state for this window (created with `S::default()`).
    #[inline]
    pub fn state(&mut self) -> &mut S {
        self.state
    }

    /// The operator's current watermark.
    #[inline]
    pub fn current_watermark(&self) -> i64 {
        self.watermark
    }

    /// The current processing time (epoch ms).
    #[inline]
    pub fn current_processing_time(&self) -> i64 {
        self.processing_time
    }

    /// Calls `on_event_time` once the watermark reaches `time` (once per time, however
    /// often registered).
    #[inline]
    pub fn register_event_time_timer(&mut self, time: i64) {
        self.register(TimeDomain::EventTime, time);
    }

    /// Calls `on_processing_time` once processing time reaches `time`.
    #[inline]
    pub fn register_processing_time_timer(&mut self, time: i64) {
        self.register(TimeDomain::ProcessingTime, time);
    }

    /// Deletes an event-time timer of this window.
    #[inline]
    pub fn delete_event_time_timer(&mut self, time: i64) {
        self.delete(TimeDomain::EventTime, time);
    }

    /// Deletes a processing-time timer of this window.
    #[inline]
    pub fn delete_processing_time_timer(&mut self, time: i64) {
        self.delete(TimeDomain::ProcessingTime, time);
    }

    #[inline]
    fn register(&mut self, domain: TimeDomain, time: i64) {
        if !self.registered.contains(&(domain, time)) {
            self.registered.push((domain, time));
            self.ops.push(TimerOp::Register(domain, time));
        }
    }

    #[inline]
    fn delete(&mut self, domain: TimeDomain, time: i64) {
        if let Some(i) = self.registered.iter().position(|t| *t == (domain, time)) {
            self.registered.swap_remove(i);
            self.ops.push(TimerOp::Delete(domain, time));
        }
    }
}

/// Decides when a window fires and purges (Flink's `Trigger`).
///
/// # Contract
/// One instance per operator subtask serves every (key, window); per-window data lives
/// in [`Trigger::State`], reached through `ctx.state()`, created by `Default` and
/// dropped when the window is cleaned up. Timers belong to the (key, window) being
/// triggered and are deleted with it. `on_element` runs for each element added to a
/// window (before the window fires, if it does). A trigger used with session windows
/// must support merging: `can_merge` returns true and `on_merge` combines the merged
/// windows' states and registers the timers the merged window needs.
///
/// # Errors
/// Triggers do not fail; a merging assigner with a trigger that cannot merge is
/// rejected when the job is built.
///
/// # Concurrency
/// Each subtask clones its own instance; calls are on the task thread.
///
/// # Example
/// A trigger firing (and purging) when an element says "flush":
/// ```
/// use weir::prelude::*;
/// use weir::window::{GlobalWindow, GlobalWindows, Trigger, TriggerContext, TriggerResult};
/// #[derive(Clone)]
/// struct OnFlush;
/// impl Trigger<String, GlobalWindow> for OnFlush {
///     type State = ();
///     fn on_element(&mut self, e: &String, _ts: i64, _w: &GlobalWindow, _ctx: &mut TriggerContext<()>) -> TriggerResult {
///         if e == "flush" { TriggerResult::FireAndPurge } else { TriggerResult::Continue }
///     }
/// }
/// let env = StreamExecutionEnvironment::new();
/// let words = ["a", "b", "flush", "c", "flush"].map(String::from).to_vec();
/// let got = env.from_collection(words)
///     .key_by(|_: &String| 0)
///     .window(GlobalWindows::create())
///     .trigger(OnFlush)
///     .reduce(|a, b| a + "," + &b)
///     .collect();
/// env.execute("flush trigger").unwrap();
/// assert_eq!(got.take(), vec!["a,b,flush", "c,flush"]);
/// ```
pub trait Trigger<T, W>: Clone + Send + Sync + 'static {
    /// Per-window state (`()` when none); checkpoints write it with serde.
    type State: Default + Clone + Send + serde::Serialize + serde::de::DeserializeOwned + 'static;

    /// An element was added to `window`.
    fn on_element(
        &mut self,
        element: &T,
        timestamp: i64,
        window: &W,
        ctx: &mut TriggerContext<'_, Self::State>,
    ) -> TriggerResult;

    /// An event-time timer of `window` fired at `time`.
    fn on_event_time(&mut self, _time: i64, _window: &W, _ctx: &mut TriggerContext<'_, Self::State>) -> TriggerResult {
        TriggerResult::Continue
    }

    /// A processing-time timer of `window` fired at `time`.
    fn on_processing_time(
        &mut self,
        _time: i64,
        _window: &W,
        _ctx: &mut TriggerContext<'_, Self::State>,
    ) -> TriggerResult {
        TriggerResult::Continue
    }

    /// Whether the trigger supports merging windows.
    fn can_merge(&self) -> bool {
        false
    }

    /// Windows merged into `window`: `merged` are their states; `ctx` is the state
    /// (fresh) and timers of `window`. Called before `clear` on each merged window.
    fn on_merge(&mut self, _window: &W, _merged: Vec<Self::State>, _ctx: &mut TriggerContext<'_, Self::State>) {}

    /// The window is cleaned up (or merged away): delete its timers. Its state is
    /// dropped afterwards.
    fn clear(&mut self, _window: &W, _ctx: &mut TriggerContext<'_, Self::State>) {}
}

/// Drives a trigger for one window without an operator (for the triggers' own tests).
#[cfg(test)]
pub(crate) struct TestWindow<S> {
    pub state: S,
    pub registered: Vec<(TimeDomain, i64)>,
    pub ops: Vec<TimerOp>,
    pub watermark: i64,
    pub processing_time: i64,
}

#[cfg(test)]
impl<S: Default> TestWindow<S> {
    pub fn new() -> Self {
        TestWindow {
            state: S::default(),
            registered: Vec::new(),
            ops: Vec::new(),
            watermark: i64::MIN,
            processing_time: 0,
        }
    }

    pub fn ctx(&mut self) -> TriggerContext<'_, S> {
        TriggerContext {
            state: &mut self.state,
            watermark: self.watermark,
            processing_time: self.processing_time,
            registered: &mut self.registered,
            ops: &mut self.ops,
        }
    }

    /// The registered timers, sorted.
    pub fn timers(&self) -> Vec<(TimeDomain, i64)> {
        let mut t = self.registered.clone();
        t.sort_by_key(|(d, t)| (*d == TimeDomain::ProcessingTime, *t));
        t
    }
}
