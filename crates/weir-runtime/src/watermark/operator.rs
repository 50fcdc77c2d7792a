//! [`TimestampsAndWatermarksOperator`]: `assign_timestamps_and_watermarks` on a stream.

use weir_core::{StreamRecord, Watermark, WatermarkStatus};

use super::generator::{WatermarkGenerator, WatermarkOutput};
use super::idleness::IdlenessTimer;
use super::strategy::WatermarkStrategy;
use crate::operator::{Emitter, Operator};
use crate::BoxError;

/// Assigns timestamps and generates watermarks on a stream, replacing the watermarks
/// that arrive from upstream (only the final end-of-input watermark passes), as Flink's
/// operator of the same name does.
pub struct TimestampsAndWatermarksOperator<T: 'static> {
    strategy: WatermarkStrategy<T>,
    generator: Option<Box<dyn WatermarkGenerator<T>>>,
    idleness: Option<IdlenessTimer>,
    interval_ms: i64,
    next_emit: Option<i64>,
    current: Watermark,
    idle: bool,
    output: WatermarkOutput,
}

impl<T: Send + 'static> TimestampsAndWatermarksOperator<T> {
    /// Applies `strategy`, emitting periodic watermarks every `interval_ms` of processing
    /// time (0 disables periodic emission: only punctuated watermarks are emitted).
    pub fn new(strategy: WatermarkStrategy<T>, interval_ms: i64) -> Self {
        let generator = strategy.create_generator();
        let idleness = strategy.idleness().map(|d| IdlenessTimer::new(d.as_millis() as i64));
        TimestampsAndWatermarksOperator {
            strategy,
            generator,
            idleness,
            interval_ms,
            next_emit: None,
            current: Watermark::MIN,
            idle: false,
            output: WatermarkOutput::default(),
        }
    }

    fn emit(&mut self, out: &mut Emitter<T>) {
        if let Some(w) = self.output.take() {
            if w > self.current {
                self.current = w;
                out.emit_watermark(w);
            }
        }
    }
}

impl<T: Send + 'static> Operator for TimestampsAndWatermarksOperator<T> {
    type In = T;
    type Out = T;

    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<T>) -> Result<(), BoxError> {
        if batch.is_empty() {
            return Ok(());
        }
        self.strategy.assign(batch, out.now_ms());
        if let Some(t) = &mut self.idleness {
            t.activity();
        }
        if self.idle {
            self.idle = false;
            out.emit_watermark_status(WatermarkStatus::Active);
        }
        if let Some(g) = &mut self.generator {
            g.on_batch(batch, &mut self.output);
        }
        out.emit_all(batch);
        self.emit(out);
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<T>) -> Result<(), BoxError> {
        if watermark == Watermark::MAX && self.current < Watermark::MAX {
            self.current = Watermark::MAX;
            out.emit_watermark(Watermark::MAX);
        }
        Ok(())
    }

    fn on_watermark_status(&mut self, _status: WatermarkStatus, _out: &mut Emitter<T>) -> Result<(), BoxError> {
        // This operator decides the stream's event time, idleness included.
        Ok(())
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        if self.interval_ms <= 0 || self.generator.is_none() {
            return None;
        }
        // The first deadline is set on the first call: the operator has no clock before.
        Some(self.next_emit.unwrap_or(i64::MIN))
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<T>) -> Result<(), BoxError> {
        self.next_emit = Some(now_ms + self.interval_ms);
        if let Some(g) = &mut self.generator {
            g.on_periodic_emit(&mut self.output);
        }
        self.emit(out);
        if let Some(t) = &mut self.idleness {
            if !self.idle && t.check_if_idle(now_ms) {
                self.idle = true;
                out.emit_watermark_status(WatermarkStatus::Idle);
            }
        }
        Ok(())
    }
}
