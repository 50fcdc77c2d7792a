//! Window TVFs: each row gets `window_start`, `window_end` and `window_time` — once for
//! `TUMBLE`, once per window it falls in for `HOP` and `CUMULATE`.
//!
//! Over a processing-time attribute the windows are those of the processing time at which
//! the batch is assigned. A window aggregation assigns processing-time windows itself, at
//! the time rows reach it (after the exchange, so a row never lands in a window already
//! fired); the TVF in front of it only passes rows on ([`ProctimeAssign::Deferred`]).

use std::sync::Arc;

use arrow::array::{ArrayRef, TimestampMillisecondArray, UInt32Array};
use arrow::datatypes::SchemaRef;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::Changes;
use super::watermark::millis;
use weir::window::TimeWindow;

use crate::functions::LocalTimeZone;
use crate::planner::WindowKind;

/// How a window TVF over a processing-time attribute assigns rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProctimeAssign {
    /// To the windows of the current processing time.
    Now,
    /// Left to the window aggregation that reads the TVF: each row is passed on once, its
    /// window columns holding the first window of the current processing time.
    Deferred,
}

/// Assigns rows to their windows.
pub struct WindowAssignOperator {
    kind: WindowKind,
    time: usize,
    schema: SchemaRef,
    proctime: Option<ProctimeAssign>,
    zone: Option<LocalTimeZone>,
}

impl WindowAssignOperator {
    /// Windows of `kind` over the time column at index `time`; `schema` is the input's
    /// columns plus the three window columns.
    pub fn new(kind: WindowKind, time: usize, schema: SchemaRef) -> Self {
        WindowAssignOperator { kind, time, schema, proctime: None, zone: None }
    }

    /// The same windows over a processing-time attribute: the time column is not read.
    pub fn with_proctime(self, assign: ProctimeAssign) -> Self {
        WindowAssignOperator { proctime: Some(assign), ..self }
    }

    /// Windows aligned to the wall clock of `zone` (a TIMESTAMP_LTZ time attribute, as Flink
    /// aligns them to the session zone): the bounds are wall-clock readings of the zone, and
    /// `window_time` is the instant just before the end.
    pub fn in_time_zone(mut self, zone: Option<LocalTimeZone>) -> Self {
        self.zone = zone;
        self
    }
}

/// Calls `f(start, end)` for each window of `kind` that holds time `t`, earliest end first.
pub fn windows_of(kind: &WindowKind, t: i64, mut f: impl FnMut(i64, i64)) {
    match *kind {
        WindowKind::Tumble { size, offset } => {
            let s = TimeWindow::window_start_with_offset(t, offset, size);
            f(s, s + size);
        }
        WindowKind::Hop { slide, size, offset } => {
            let last = TimeWindow::window_start_with_offset(t, offset, slide);
            let mut s = last - size + slide;
            while s <= last {
                if s + size > t {
                    f(s, s + size);
                }
                s += slide;
            }
        }
        WindowKind::Cumulate { step, max_size, offset } => {
            let s = TimeWindow::window_start_with_offset(t, offset, max_size);
            let mut e = TimeWindow::window_start_with_offset(t, offset, step) + step;
            while e <= s + max_size {
                f(s, e);
                e += step;
            }
        }
        WindowKind::Session { .. } => {}
    }
}

impl Operator for WindowAssignOperator {
    type In = Changes;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            let changes = record.value;
            let mut indices = Vec::with_capacity(changes.len());
            let mut starts = Vec::with_capacity(changes.len());
            let mut ends = Vec::with_capacity(changes.len());
            match self.proctime {
                None => {
                    let times = millis(changes.rows.column(self.time))?;
                    for (i, t) in times.iter().enumerate() {
                        let Some(t) = t else { continue };
                        let t = match self.zone {
                            Some(z) => z.utc_millis_to_local(t),
                            None => t,
                        };
                        windows_of(&self.kind, t, |s, e| {
                            indices.push(i as u32);
                            starts.push(s);
                            ends.push(e);
                        });
                    }
                }
                Some(assign) => {
                    let mut windows = Vec::new();
                    windows_of(&self.kind, out.now_ms(), |s, e| windows.push((s, e)));
                    if assign == ProctimeAssign::Deferred {
                        windows.truncate(1);
                    }
                    for &(s, e) in &windows {
                        indices.extend(0..changes.len() as u32);
                        starts.extend(std::iter::repeat_n(s, changes.len()));
                        ends.extend(std::iter::repeat_n(e, changes.len()));
                    }
                }
            }
            let taken = if indices.len() == changes.len() && indices.iter().enumerate().all(|(i, j)| i as u32 == *j) {
                changes
            } else {
                changes.take(&UInt32Array::from(indices))?
            };
            let times: Vec<i64> = match self.zone {
                Some(z) => ends.iter().map(|e| z.local_millis_to_utc(e - 1)).collect(),
                None => ends.iter().map(|e| e - 1).collect(),
            };
            let mut columns: Vec<ArrayRef> = taken.rows.columns().to_vec();
            columns.push(Arc::new(TimestampMillisecondArray::from(starts)));
            columns.push(Arc::new(TimestampMillisecondArray::from(ends)));
            let time_type = self.schema.field(self.schema.fields().len() - 1).data_type().clone();
            let window_time: ArrayRef = Arc::new(TimestampMillisecondArray::from(times));
            columns.push(arrow::compute::cast(&window_time, &time_type)?);
            let changes = taken.with_columns(self.schema.clone(), columns)?;
            if !changes.is_empty() {
                out.emit(StreamRecord { value: changes, timestamp: record.timestamp });
            }
        }
        Ok(())
    }
}
