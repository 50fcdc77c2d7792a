//! The periodic-firing bookkeeping shared by [`ContinuousEventTimeTrigger`] and
//! [`ContinuousProcessingTimeTrigger`]: the trigger state holds the next early firing
//! time, whose timer lives in one time domain.
//!
//! Each trigger passes its domain as a constant, so the branch on it folds away.
//!
//! [`ContinuousEventTimeTrigger`]: super::ContinuousEventTimeTrigger
//! [`ContinuousProcessingTimeTrigger`]: super::ContinuousProcessingTimeTrigger

use super::{TriggerContext, TriggerResult};
use crate::functions::TimeDomain;
use crate::window::Window;

/// Schedules the firing `interval` after `time`, capped at the window's last timestamp.
#[inline]
pub(super) fn register_next<W: Window>(
    domain: TimeDomain,
    interval: i64,
    time: i64,
    window: &W,
    ctx: &mut TriggerContext<'_, Option<i64>>,
) {
    let next = time.saturating_add(interval).min(window.max_timestamp());
    *ctx.state() = Some(next);
    ctx.register(domain, next);
}

/// Fires (and schedules the next firing) when `time` is the scheduled firing.
#[inline]
pub(super) fn on_timer<W: Window>(
    domain: TimeDomain,
    interval: i64,
    time: i64,
    window: &W,
    ctx: &mut TriggerContext<'_, Option<i64>>,
) -> TriggerResult {
    if *ctx.state() == Some(time) {
        register_next(domain, interval, time, window, ctx);
        return TriggerResult::Fire;
    }
    TriggerResult::Continue
}

/// A merged window keeps the earliest of its parts' next firings.
pub(super) fn on_merge(domain: TimeDomain, merged: Vec<Option<i64>>, ctx: &mut TriggerContext<'_, Option<i64>>) {
    let next = merged.into_iter().flatten().min();
    *ctx.state() = next;
    if let Some(next) = next {
        ctx.register(domain, next);
    }
}

/// Deletes the timer of the next firing.
pub(super) fn clear(domain: TimeDomain, ctx: &mut TriggerContext<'_, Option<i64>>) {
    if let Some(next) = ctx.state().take() {
        ctx.delete(domain, next);
    }
}
