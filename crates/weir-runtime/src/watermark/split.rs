//! [`SplitWatermarks`]: per-split watermark generation inside a source.
//!
//! Each split a reader reads has its own generator (and idleness timer); the source's
//! watermark is the minimum over its live splits that are not idle. So one slow split
//! holds event time back, a finished or idle one does not. When every split is idle, the
//! source is idle.
//!
//! A reader without splits keeps the watermark and the status it had (as Flink's
//! combined watermark does when no split output is left): a reader between two splits,
//! or one that finished its last split and is about to hear that there are no more, is
//! not idle — were it, tasks downstream would move on with the other readers' watermarks
//! and whatever it or the tasks after it still hold (its next split's records, windows
//! waiting for its watermark) would arrive late. It becomes idle when the enumerator has
//! no split for it ([`SplitWatermarks::no_split_available`]), or once the strategy's idle
//! timeout has passed without a split.

use std::collections::BTreeMap;

use weir_core::{StreamRecord, Watermark};

use super::generator::{WatermarkGenerator, WatermarkOutput};
use super::idleness::IdlenessTimer;
use super::strategy::WatermarkStrategy;

struct SplitState<T> {
    generator: Box<dyn WatermarkGenerator<T>>,
    watermark: Watermark,
    idleness: Option<IdlenessTimer>,
    idle: bool,
}

/// What changed after a call: a new combined watermark, a change of idleness.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Emission {
    /// The combined watermark advanced to this.
    pub watermark: Option<Watermark>,
    /// The source became idle (`Some(true)`) or active again (`Some(false)`).
    pub idle: Option<bool>,
}

/// The watermark state of one source reader.
pub struct SplitWatermarks<T: 'static> {
    strategy: WatermarkStrategy<T>,
    splits: BTreeMap<u64, SplitState<T>>,
    current: Watermark,
    idle: bool,
    /// Without splits the reader is idle: the enumerator has none for it now, or the idle
    /// timeout passed without one.
    idle_without_split: bool,
    /// With an idle timeout: counts the time the reader has no split.
    without_split: Option<IdlenessTimer>,
    output: WatermarkOutput,
}

impl<T: 'static> SplitWatermarks<T> {
    /// Watermarks by `strategy` (which must make watermarks).
    pub fn new(strategy: WatermarkStrategy<T>) -> Self {
        SplitWatermarks {
            strategy,
            splits: BTreeMap::new(),
            current: Watermark::MIN,
            idle: false,
            idle_without_split: false,
            without_split: None,
            output: WatermarkOutput::default(),
        }
    }

    /// The enumerator has no split for the reader now (it asked and was told "not yet"):
    /// without splits, the source is idle until it gets one.
    pub fn no_split_available(&mut self) -> Emission {
        self.idle_without_split = true;
        self.combine()
    }

    /// The reader has a split again: it no longer counts time without one.
    fn has_split(&mut self) {
        self.idle_without_split = false;
        self.without_split = None;
    }

    /// `split` was given to the reader: it holds the watermark back from now on, before its
    /// first record (until it is idle, when the strategy has an idle timeout).
    pub fn split_assigned(&mut self, split: u64) -> Emission {
        self.has_split();
        let strategy = &self.strategy;
        self.splits.entry(split).or_insert_with(|| SplitState {
            generator: strategy.create_generator().expect("a watermark strategy that makes watermarks"),
            watermark: Watermark::MIN,
            idleness: strategy.idleness().map(|d| IdlenessTimer::new(d.as_millis() as i64)),
            idle: false,
        });
        self.combine()
    }

    /// Assigns timestamps to records of `split` and lets its generator see them.
    pub fn on_records(&mut self, split: u64, batch: &mut [StreamRecord<T>], now_ms: i64) -> Emission {
        self.strategy.assign(batch, now_ms);
        self.has_split();
        let strategy = &self.strategy;
        let state = self.splits.entry(split).or_insert_with(|| SplitState {
            generator: strategy.create_generator().expect("a watermark strategy that makes watermarks"),
            watermark: Watermark::MIN,
            idleness: strategy.idleness().map(|d| IdlenessTimer::new(d.as_millis() as i64)),
            idle: false,
        });
        if let Some(t) = &mut state.idleness {
            t.activity();
        }
        state.idle = false;
        state.generator.on_batch(batch, &mut self.output);
        if let Some(w) = self.output.take() {
            state.watermark = state.watermark.max(w);
        }
        self.combine()
    }

    /// `split` is read to its end: it no longer holds the watermark back.
    pub fn split_finished(&mut self, split: u64) -> Emission {
        self.splits.remove(&split);
        self.combine()
    }

    /// The periodic emission at processing time `now_ms`.
    pub fn on_periodic_emit(&mut self, now_ms: i64) -> Emission {
        for state in self.splits.values_mut() {
            state.generator.on_periodic_emit(&mut self.output);
            if let Some(w) = self.output.take() {
                state.watermark = state.watermark.max(w);
            }
            if let Some(t) = &mut state.idleness {
                state.idle = t.check_if_idle(now_ms);
            }
        }
        if self.splits.is_empty() {
            if let Some(timeout) = self.strategy.idleness() {
                let timer = self.without_split.get_or_insert_with(|| IdlenessTimer::new(timeout.as_millis() as i64));
                if timer.check_if_idle(now_ms) {
                    self.idle_without_split = true;
                }
            }
        }
        self.combine()
    }

    /// Whether records are stamped with their ingestion time.
    pub fn is_ingestion_time(&self) -> bool {
        self.strategy.is_ingestion_time()
    }

    /// Whether the source is idle.
    pub fn is_idle(&self) -> bool {
        self.idle
    }

    fn combine(&mut self) -> Emission {
        let active = self.splits.values().filter(|s| !s.idle);
        let min = active.map(|s| s.watermark).min();
        let mut emission = Emission::default();
        let idle = if self.splits.is_empty() { self.idle || self.idle_without_split } else { min.is_none() };
        if idle != self.idle {
            self.idle = idle;
            emission.idle = Some(idle);
        }
        if let Some(min) = min {
            if min > self.current {
                self.current = min;
                emission.watermark = Some(min);
            }
        }
        emission
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn batch(ts: &[i64]) -> Vec<StreamRecord<()>> {
        ts.iter().map(|&t| StreamRecord::with_timestamp((), t)).collect()
    }

    #[test]
    fn an_assigned_split_holds_the_watermark_back_before_its_first_record() {
        let mut w = SplitWatermarks::new(WatermarkStrategy::<()>::for_monotonous_timestamps());
        assert_eq!(w.split_assigned(1), Emission::default());
        assert_eq!(w.split_assigned(2), Emission::default());
        w.on_records(1, &mut batch(&[5_000]), 0);
        assert_eq!(w.on_periodic_emit(0).watermark, None, "split 2 has had no records yet");
        w.on_records(2, &mut batch(&[3_000]), 0);
        assert_eq!(w.on_periodic_emit(0).watermark, Some(Watermark(2_999)));
        assert_eq!(w.split_finished(2).watermark, Some(Watermark(4_999)));
    }

    #[test]
    fn the_slowest_live_split_holds_the_watermark() {
        let mut w = SplitWatermarks::new(WatermarkStrategy::<()>::for_monotonous_timestamps());
        w.on_records(0, &mut batch(&[100, 200]), 0);
        w.on_records(1, &mut batch(&[50]), 0);
        assert_eq!(w.on_periodic_emit(0).watermark, Some(Watermark(49)));
        w.on_records(0, &mut batch(&[300]), 0);
        assert_eq!(w.on_periodic_emit(1).watermark, None, "split 1 has not moved");
        w.on_records(1, &mut batch(&[250]), 0);
        assert_eq!(w.on_periodic_emit(2).watermark, Some(Watermark(249)));
        assert_eq!(w.split_finished(1).watermark, Some(Watermark(299)), "a finished split no longer holds back");
    }

    #[test]
    fn idle_splits_are_excluded_and_all_idle_means_idle() {
        let strategy = WatermarkStrategy::<()>::for_monotonous_timestamps().with_idleness(Duration::from_millis(100));
        let mut w = SplitWatermarks::new(strategy);
        w.on_records(0, &mut batch(&[1_000]), 0);
        w.on_records(1, &mut batch(&[10]), 0);
        assert_eq!(w.on_periodic_emit(0).watermark, Some(Watermark(9)));
        // Split 1 goes quiet, split 0 keeps producing: after 100 ms of quiet, split 1 is
        // idle and the watermark follows split 0 alone.
        let mut emitted = Vec::new();
        for now in [50, 100, 150, 200] {
            w.on_records(0, &mut batch(&[1_000 + now]), 0);
            emitted.extend(w.on_periodic_emit(now).watermark);
        }
        assert_eq!(emitted, vec![Watermark(1_149), Watermark(1_199)], "idle split 1 no longer holds back");
        // Everything quiet: the source becomes idle, then active again with records.
        let mut became_idle = false;
        for now in [300, 400, 500] {
            became_idle |= w.on_periodic_emit(now).idle == Some(true);
        }
        assert!(became_idle);
        assert_eq!(w.on_records(1, &mut batch(&[2_000]), 0).idle, Some(false));
    }

    #[test]
    fn a_reader_without_splits_is_idle_only_when_no_split_is_available() {
        let mut w = SplitWatermarks::new(WatermarkStrategy::<()>::for_monotonous_timestamps());
        w.on_records(0, &mut batch(&[100]), 0);
        assert_eq!(w.on_periodic_emit(0).watermark, Some(Watermark(99)));
        // Its last split read, the reader keeps its watermark and stays active: the next
        // split, or the end, comes from the enumerator.
        assert_eq!(w.split_finished(0), Emission::default());
        assert_eq!(w.on_periodic_emit(1_000), Emission::default());
        assert!(!w.is_idle());
        // The next split's records are not behind the watermark it passed on.
        assert_eq!(w.on_records(1, &mut batch(&[150]), 0).idle, None);
        w.split_finished(1);
        // The enumerator has nothing for it now: idle, until a split comes.
        assert_eq!(w.no_split_available().idle, Some(true));
        assert_eq!(w.on_periodic_emit(2_000), Emission::default());
        assert_eq!(w.split_assigned(2).idle, Some(false));
    }

    #[test]
    fn a_reader_without_splits_is_idle_after_the_idle_timeout() {
        let strategy = WatermarkStrategy::<()>::for_monotonous_timestamps().with_idleness(Duration::from_millis(100));
        let mut w = SplitWatermarks::new(strategy);
        w.on_records(0, &mut batch(&[100]), 0);
        w.split_finished(0);
        assert_eq!(w.on_periodic_emit(0).idle, None);
        assert_eq!(w.on_periodic_emit(50).idle, None);
        assert_eq!(w.on_periodic_emit(100).idle, Some(true));
        assert_eq!(w.on_records(1, &mut batch(&[200]), 0).idle, Some(false));
    }
}
