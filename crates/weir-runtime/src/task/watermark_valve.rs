//! The watermark of a task with several input channels (Flink's `StatusWatermarkValve`):
//! the minimum over its channels' latest watermarks, passed on only when it advances, so
//! it is monotonic even if channels' watermarks are not in step.
//!
//! As in Flink: an idle channel does not hold the watermark back, and its watermarks are
//! ignored while it is idle. A channel that becomes active again behind the task's
//! watermark holds nothing back until it has caught up with it (it is not "aligned"
//! before). When every channel is idle, the task is idle — and, if the last channel to go
//! idle was the one holding the watermark, the watermark first moves to the highest of
//! the channels' watermarks, since none of them will advance now. Unlike Flink, a finished
//! channel counts as the end of time only for the minimum: when the other channels are
//! idle, it does not end event time for them (their records may still come).
//!
//! Invariant: the watermark passed on never decreases.

use weir_core::{Watermark, WatermarkStatus};

/// What the valve passes on after an input event.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct ValveOutput {
    pub(crate) watermark: Option<Watermark>,
    pub(crate) status: Option<WatermarkStatus>,
}

#[derive(Clone, Copy)]
struct Channel {
    watermark: Watermark,
    idle: bool,
    /// Counts for the minimum: active and not behind the task's watermark.
    aligned: bool,
    finished: bool,
}

/// Per-channel watermarks and statuses, and the combined watermark.
pub(crate) struct WatermarkValve {
    channels: Vec<Channel>,
    current: Watermark,
    idle: bool,
}

impl WatermarkValve {
    pub(crate) fn new(channels: usize) -> Self {
        let channel = Channel { watermark: Watermark::MIN, idle: false, aligned: true, finished: false };
        WatermarkValve { channels: vec![channel; channels], current: Watermark::MIN, idle: false }
    }

    /// Records `watermark` on `channel`.
    pub(crate) fn on_watermark(&mut self, channel: usize, watermark: Watermark) -> ValveOutput {
        let mut out = ValveOutput::default();
        let ch = &mut self.channels[channel];
        if ch.idle || ch.finished || watermark <= ch.watermark {
            return out;
        }
        ch.watermark = watermark;
        if !ch.aligned && watermark >= self.current {
            ch.aligned = true;
        }
        self.advance_to_min(&mut out);
        out
    }

    /// Records a status change of `channel`.
    pub(crate) fn on_status(&mut self, channel: usize, status: WatermarkStatus) -> ValveOutput {
        let mut out = ValveOutput::default();
        let current = self.current;
        let ch = &mut self.channels[channel];
        if ch.finished {
            return out;
        }
        match status {
            WatermarkStatus::Idle if !ch.idle => {
                ch.idle = true;
                ch.aligned = false;
                let held_back = ch.watermark == current;
                if self.open_channels().all(|c| c.idle) {
                    // Nothing will advance now: event time moves to where the channels got.
                    if held_back {
                        let max = self.open_channels().map(|c| c.watermark).max();
                        self.advance(max, &mut out);
                    }
                    self.idle = true;
                    out.status = Some(WatermarkStatus::Idle);
                } else if held_back {
                    self.advance_to_min(&mut out);
                }
            }
            WatermarkStatus::Active if ch.idle => {
                ch.idle = false;
                ch.aligned = ch.watermark >= current;
                if self.idle {
                    self.idle = false;
                    out.status = Some(WatermarkStatus::Active);
                }
            }
            _ => {}
        }
        out
    }

    /// `channel` has ended.
    pub(crate) fn on_end(&mut self, channel: usize) -> ValveOutput {
        let mut out = ValveOutput::default();
        let ch = &mut self.channels[channel];
        if ch.finished {
            return out;
        }
        ch.finished = true;
        ch.aligned = false;
        if self.open_channels().next().is_none() {
            self.advance(Some(Watermark::MAX), &mut out);
            if self.idle {
                self.idle = false;
                out.status = Some(WatermarkStatus::Active);
            }
        } else if self.open_channels().all(|c| c.idle) {
            if !self.idle {
                self.idle = true;
                out.status = Some(WatermarkStatus::Idle);
            }
        } else {
            self.advance_to_min(&mut out);
        }
        out
    }

    fn open_channels(&self) -> impl Iterator<Item = &Channel> + '_ {
        self.channels.iter().filter(|c| !c.finished)
    }

    /// Passes on the minimum over the aligned channels, if it advanced.
    fn advance_to_min(&mut self, out: &mut ValveOutput) {
        let min = self.open_channels().filter(|c| c.aligned).map(|c| c.watermark).min();
        self.advance(min, out);
    }

    fn advance(&mut self, to: Option<Watermark>, out: &mut ValveOutput) {
        if let Some(w) = to.filter(|&w| w > self.current) {
            self.current = w;
            out.watermark = Some(w);
        }
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

    #[test]
    fn when_every_channel_is_idle_event_time_moves_to_the_highest_watermark() {
        let mut v = WatermarkValve::new(2);
        v.on_watermark(0, Watermark(10));
        assert_eq!(wm(v.on_watermark(1, Watermark(30))), Some(10));
        // The channel ahead goes idle: channel 0 still holds event time at 10.
        assert_eq!(v.on_status(1, WatermarkStatus::Idle), ValveOutput::default());
        // Now nothing will advance: the task flushes to 30, then is idle.
        assert_eq!(
            v.on_status(0, WatermarkStatus::Idle),
            ValveOutput { watermark: Some(Watermark(30)), status: Some(WatermarkStatus::Idle) }
        );
    }

    #[test]
    fn a_channel_active_again_behind_holds_nothing_back_until_it_has_caught_up() {
        let mut v = WatermarkValve::new(2);
        v.on_watermark(0, Watermark(10));
        assert_eq!(wm(v.on_watermark(1, Watermark(10))), Some(10));
        v.on_status(1, WatermarkStatus::Idle);
        assert_eq!(wm(v.on_watermark(1, Watermark(40))), None, "an idle channel's watermarks are ignored");
        assert_eq!(wm(v.on_watermark(0, Watermark(50))), Some(50));
        assert_eq!(v.on_status(1, WatermarkStatus::Active), ValveOutput::default());
        // Channel 1 is at 10, behind 50: not counted until it reaches 50.
        assert_eq!(wm(v.on_watermark(0, Watermark(60))), Some(60));
        assert_eq!(wm(v.on_watermark(1, Watermark(70))), None);
        assert_eq!(wm(v.on_watermark(0, Watermark(80))), Some(70));
    }
}
