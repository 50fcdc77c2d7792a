//! Watermarks of a table with `WATERMARK FOR col AS expr`: the largest value of `expr` seen
//! so far, as Flink's SQL watermark assigner computes it, row by row.
//!
//! A checkpoint keeps each subtask's largest value, so a restored job judges the rows it
//! reads next against the watermark the failed one had reached, not from scratch. (At
//! another parallelism a subtask takes the least of the values dealt to it.)

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, TimestampMillisecondArray};
use arrow::datatypes::{DataType, TimeUnit};
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::{to_array, Changes};

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

/// The entry holding each subtask's largest watermark value.
const CURRENT: &str = "sql-watermark-current";

impl Operator for WatermarkOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        let restored =
            state.list(CURRENT).iter().filter_map(|b| <[u8; 8]>::try_from(b.as_slice()).ok()).map(i64::from_le_bytes);
        if let Some(current) = restored.min() {
            // Not marked as emitted: the first rows after the restore send it again.
            self.current = current;
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        state.list(CURRENT, vec![self.current.to_le_bytes().to_vec()]);
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
