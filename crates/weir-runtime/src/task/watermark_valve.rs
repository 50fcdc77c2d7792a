//! The watermark of a task with several input channels (Flink's `StatusWatermarkValve`):
//! the minimum over its channels' latest watermarks, where a finished channel counts as
//! the end of time. It is passed on only when it advances, so it is monotonic even if
//! channels' watermarks are not in step.
//!
//! Invariant: the watermark passed on never exceeds any unfinished channel's watermark.

use weir_core::{Watermark, WatermarkStatus};

/// What the valve passes on after an input event.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ValveOutput {
    pub(crate) watermark: Option<Watermark>,
    pub(crate) status: Option<WatermarkStatus>,
}

/// Per-channel watermarks and statuses, and the combined watermark (Flink's
/// `StatusWatermarkValve`).
///
/// The combined watermark is the minimum over channels that are neither idle nor
/// finished. When every unfinished channel is idle, the task is idle (and passes that
/// on) without advancing event time; when one becomes active again, so is the task.
/// Invariant: the combined watermark never decreases and never exceeds the watermark of
/// an active, unfinished channel.
pub(crate) struct WatermarkValve {
    watermarks: Vec<Watermark>,
    idle: Vec<bool>,
    finished: Vec<bool>,
    current: Watermark,
    task_idle: bool,
}

impl WatermarkValve {
    pub(crate) fn new(channels: usize) -> Self {
        WatermarkValve {
            watermarks: vec![Watermark::MIN; channels],
            idle: vec![false; channels],
            finished: vec![false; channels],
            current: Watermark::MIN,
            task_idle: false,
        }
    }

    /// Records `watermark` on `channel`.
    pub(crate) fn on_watermark(&mut self, channel: usize, watermark: Watermark) -> ValveOutput {
        if watermark > self.watermarks[channel] {
            self.watermarks[channel] = watermark;
        }
        self.combine()
    }

    /// Records a status change of `channel`.
    pub(crate) fn on_status(&mut self, channel: usize, status: WatermarkStatus) -> ValveOutput {
        self.idle[channel] = status == WatermarkStatus::Idle;
        self.combine()
    }

    /// `channel` has ended.
    pub(crate) fn on_end(&mut self, channel: usize) -> ValveOutput {
        self.finished[channel] = true;
        self.combine()
    }

    fn combine(&mut self) -> ValveOutput {
        let mut out = ValveOutput::default();
        let n = self.watermarks.len();
        let unfinished = (0..n).filter(|&c| !self.finished[c]);
        let active: Vec<usize> = unfinished.clone().filter(|&c| !self.idle[c]).collect();
        let any_unfinished = unfinished.count() > 0;
        let idle = any_unfinished && active.is_empty();
        if idle != self.task_idle {
            self.task_idle = idle;
            out.status = Some(if idle { WatermarkStatus::Idle } else { WatermarkStatus::Active });
        }
        let min = if any_unfinished { active.iter().map(|&c| self.watermarks[c]).min() } else { Some(Watermark::MAX) };
        if let Some(min) = min {
            if min > self.current {
                self.current = min;
                out.watermark = Some(min);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wm(out: ValveOutput) -> Option<i64> {
        out.watermark.map(|w| w.0)
    }

    #[test]
    fn valve_passes_on_the_minimum_only_when_it_advances() {
        let mut v = WatermarkValve::new(2);
        assert_eq!(wm(v.on_watermark(0, Watermark(10))), None); // channel 1 still at MIN
        assert_eq!(wm(v.on_watermark(1, Watermark(5))), Some(5));
        assert_eq!(wm(v.on_watermark(1, Watermark(20))), Some(10));
        assert_eq!(wm(v.on_watermark(1, Watermark(15))), None); // regression on a channel is ignored
        assert_eq!(wm(v.on_watermark(0, Watermark(12))), Some(12));
        assert_eq!(wm(v.on_end(0)), Some(20)); // channel 0 finished
    }

    #[test]
    fn idle_channels_do_not_hold_back_and_all_idle_makes_the_task_idle() {
        let mut v = WatermarkValve::new(3);
        v.on_watermark(0, Watermark(100));
        v.on_watermark(1, Watermark(10));
        assert_eq!(wm(v.on_watermark(2, Watermark(50))), Some(10));
        let out = v.on_status(1, WatermarkStatus::Idle);
        assert_eq!((wm(out), None), (Some(50), None::<()>));
        assert_eq!(
            v.on_status(2, WatermarkStatus::Idle),
            ValveOutput { watermark: Some(Watermark(100)), status: None }
        );
        assert_eq!(v.on_status(0, WatermarkStatus::Idle).status, Some(WatermarkStatus::Idle));
        // Channel 1 wakes up behind the current watermark: no regression, it must catch up.
        assert_eq!(
            v.on_status(1, WatermarkStatus::Active),
            ValveOutput { watermark: None, status: Some(WatermarkStatus::Active) }
        );
        assert_eq!(wm(v.on_watermark(1, Watermark(60))), None);
        assert_eq!(wm(v.on_watermark(1, Watermark(120))), Some(120));
    }

    #[test]
    fn finished_channels_are_not_active_ones() {
        let mut v = WatermarkValve::new(2);
        v.on_watermark(0, Watermark(5));
        v.on_status(1, WatermarkStatus::Idle);
        // Channel 0 ends: channel 1 is idle, so event time must not jump to the end.
        let out = v.on_end(0);
        assert_eq!(out, ValveOutput { watermark: None, status: Some(WatermarkStatus::Idle) });
        // The idle channel's final watermark does not count while it is idle; its end does:
        // when every input has ended, event time has ended.
        assert_eq!(wm(v.on_watermark(1, Watermark::MAX)), None);
        let out = v.on_end(1);
        assert_eq!(out, ValveOutput { watermark: Some(Watermark::MAX), status: Some(WatermarkStatus::Active) });
    }
}
