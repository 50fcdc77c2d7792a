//! Watermarks of a table with `WATERMARK FOR col AS expr`: the largest value of `expr` seen
//! so far, as Flink's SQL watermark assigner computes it, row by row.
//!
//! A checkpoint keeps each subtask's largest value; a restored subtask starts from the
//! least of all of them. Not its own: the source splits it reads after the restore may be
//! another subtask's (at another parallelism they are dealt anew), and a watermark taken
//! from a reader further ahead would make the rows of a split behind it late. The least
//! value never runs ahead of any split, and the operators downstream judge lateness by the
//! watermark they restored themselves.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, TimestampMillisecondArray};
use arrow::datatypes::{DataType, TimeUnit};
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::{to_array, Changes};
use super::keyed_state;

/// Emits watermarks from the rows' watermark expression. A row at or behind the current
/// watermark gets the watermark emitted before it, so that operators downstream judge its
/// lateness exactly as Flink does when it advances the watermark after every row.
pub struct WatermarkOperator {
    rowtime: usize,
    expr: Arc<dyn PhysicalExpr>,
    current: i64,
    emitted: i64,
}

impl WatermarkOperator {
    /// Watermarks from `expr`; `rowtime` is the index of the time attribute column.
    pub fn new(rowtime: usize, expr: Arc<dyn PhysicalExpr>) -> Self {
        WatermarkOperator { rowtime, expr, current: i64::MIN, emitted: i64::MIN }
    }
}

/// A timestamp column in epoch milliseconds.
pub fn millis(column: &ArrayRef) -> Result<TimestampMillisecondArray, BoxError> {
    let ms = match column.data_type() {
        DataType::Timestamp(TimeUnit::Millisecond, None) => column.clone(),
        DataType::Timestamp(_, _) => arrow::compute::cast(column, &DataType::Timestamp(TimeUnit::Millisecond, None))?,
        other => return Err(format!("a time attribute must be a timestamp, not {other}").into()),
    };
    Ok(ms.as_any().downcast_ref::<TimestampMillisecondArray>().ok_or("timestamp column")?.clone())
}

impl Operator for WatermarkOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        if let Some(current) = keyed_state::read_watermark(state) {
            // Not marked as emitted: the first rows after the restore send it again.
            self.current = current;
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        keyed_state::write_watermark(state, self.current);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            let changes = record.value;
            let n = changes.len();
            let marks = millis(&to_array(self.expr.evaluate(&changes.rows)?, n)?)?;
            let times = millis(changes.rows.column(self.rowtime))?;
            let mut from = 0;
            for i in 0..n {
                if times.is_valid(i) && times.value(i) <= self.current && self.current > self.emitted {
                    if i > from {
                        let part = changes.take(&arrow::array::UInt32Array::from_iter_values(from as u32..i as u32))?;
                        out.emit(StreamRecord { value: part, timestamp: record.timestamp });
                    }
                    out.emit_watermark(Watermark(self.current));
                    self.emitted = self.current;
                    from = i;
                }
                if marks.is_valid(i) {
                    self.current = self.current.max(marks.value(i));
                }
            }
            let rest = if from == 0 {
                changes
            } else {
                changes.take(&arrow::array::UInt32Array::from_iter_values(from as u32..n as u32))?
            };
            out.emit(StreamRecord { value: rest, timestamp: record.timestamp });
            if self.current > self.emitted {
                out.emit_watermark(Watermark(self.current));
                self.emitted = self.current;
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        // Only the end of input passes: the table's own watermarks come from its rows.
        if watermark.0 == i64::MAX {
            out.emit_watermark(watermark);
        }
        Ok(())
    }
}
