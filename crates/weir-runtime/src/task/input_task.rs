//! The loop of a task whose head reads from other tasks.
//!
//! Each turn takes one element from the input channels, round robin over channels that
//! have data so that no input starves; when none has data the task blocks on all of
//! them, the cancellation signal and the flush deadline at once.
//!
//! Watermarks: the task's watermark is the minimum over its channels' latest
//! watermarks, where a finished channel counts as the end of time. It is passed on only
//! when it advances, so it is monotonic even if channels' watermarks are not in step.
//! Invariant: the watermark passed on never exceeds any unfinished channel's watermark.

use crossbeam_channel::Select;
use weir_core::{StreamElement, Watermark};

use crate::channel::Received;
use crate::output::Output;
use crate::task::input::InputChannel;
use crate::task::{Flusher, TaskBody, TaskEnv};
use crate::JobError;

/// A task reading `In` records from channels into its chain's head.
pub struct InputTask<In> {
    channels: Vec<Box<dyn InputChannel<In>>>,
    head: Box<dyn Output<In>>,
}

impl<In: Send + 'static> InputTask<In> {
    /// A task feeding `head` from `channels`.
    pub fn new(channels: Vec<Box<dyn InputChannel<In>>>, head: Box<dyn Output<In>>) -> Self {
        InputTask { channels, head }
    }
}

/// Per-channel watermarks and the combined one.
pub(crate) struct WatermarkValve {
    channel_watermarks: Vec<Watermark>,
    current: Watermark,
}

impl WatermarkValve {
    pub(crate) fn new(channels: usize) -> Self {
        WatermarkValve { channel_watermarks: vec![Watermark::MIN; channels], current: Watermark::MIN }
    }

    /// Records `watermark` on `channel`; returns the combined watermark if it advanced.
    pub(crate) fn on_watermark(&mut self, channel: usize, watermark: Watermark) -> Option<Watermark> {
        if watermark <= self.channel_watermarks[channel] {
            return None;
        }
        self.channel_watermarks[channel] = watermark;
        let min = self.channel_watermarks.iter().copied().min().unwrap_or(Watermark::MAX);
        (min > self.current).then(|| {
            self.current = min;
            min
        })
    }
}

impl<In: Send + 'static> TaskBody for InputTask<In> {
    fn run(mut self: Box<Self>, env: &TaskEnv) -> Result<(), JobError> {
        let n = self.channels.len();
        let mut finished = vec![false; n];
        let mut remaining = n;
        let mut valve = WatermarkValve::new(n);
        let mut flusher = Flusher::new(env.buffer_timeout);
        let mut next = 0;
        while remaining > 0 {
            let mut got = None;
            for k in 0..n {
                let c = (next + k) % n;
                if finished[c] {
                    continue;
                }
                match self.channels[c].try_recv() {
                    Received::Element(e) => {
                        got = Some((c, e));
                        next = c + 1;
                        break;
                    }
                    Received::Empty => {}
                    Received::Disconnected => return Err(JobError::Cancelled),
                }
            }
            let Some((c, element)) = got else {
                flusher.maybe_flush(self.head.as_mut())?;
                let mut select = Select::new();
                for (c, ch) in self.channels.iter().enumerate() {
                    if !finished[c] {
                        ch.register(&mut select);
                    }
                }
                env.cancel.register(&mut select);
                let _ = match flusher.until_due() {
                    Some(d) => select.ready_timeout(d).ok(),
                    None => Some(select.ready()),
                };
                if env.cancel.is_cancelled() {
                    return Err(JobError::Cancelled);
                }
                continue;
            };
            match element {
                StreamElement::Records(mut batch) => self.head.push(&mut batch)?,
                StreamElement::Watermark(w) => {
                    if let Some(w) = valve.on_watermark(c, w) {
                        self.head.watermark(w)?;
                    }
                }
                StreamElement::EndOfInput => {
                    finished[c] = true;
                    remaining -= 1;
                    if remaining > 0 {
                        if let Some(w) = valve.on_watermark(c, Watermark::MAX) {
                            self.head.watermark(w)?;
                        }
                    }
                }
            }
            flusher.maybe_flush(self.head.as_mut())?;
        }
        self.head.end_of_input()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valve_passes_on_the_minimum_only_when_it_advances() {
        let mut v = WatermarkValve::new(2);
        assert_eq!(v.on_watermark(0, Watermark(10)), None); // channel 1 still at MIN
        assert_eq!(v.on_watermark(1, Watermark(5)), Some(Watermark(5)));
        assert_eq!(v.on_watermark(1, Watermark(20)), Some(Watermark(10)));
        assert_eq!(v.on_watermark(1, Watermark(15)), None); // regression on a channel is ignored
        assert_eq!(v.on_watermark(0, Watermark(12)), Some(Watermark(12)));
        assert_eq!(v.on_watermark(0, Watermark::MAX), Some(Watermark(20))); // channel 0 finished
    }
}
