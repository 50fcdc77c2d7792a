//! `ORDER BY rowtime [, …]` on a stream (Flink's `TemporalSort`): rows are held until the
//! watermark passes their time, then emitted in order of time and the further sort keys. A
//! row at or behind the watermark when it arrives is late and dropped. Insert-only in and out.
//!
//! The held rows are not checkpointed: a job with this operator takes no checkpoints (the
//! translator says why).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::{to_array, Changes};
use super::watermark::millis;

/// A held row: its further sort key and the row, both encoded.
type HeldRow = (Box<[u8]>, Box<[u8]>);

/// Sorts an insert-only stream by its rowtime, then by further keys.
pub struct TemporalSortOperator {
    /// The rowtime column.
    time: usize,
    /// Further sort keys (expression, descending, nulls first).
    keys: Vec<Arc<dyn PhysicalExpr>>,
    key_converter: RowConverter,
    rows: RowConverter,
    schema: SchemaRef,
    /// Time → (sort key, row) of the rows waiting for the watermark.
    held: BTreeMap<i64, Vec<HeldRow>>,
    watermark: i64,
}

impl TemporalSortOperator {
    /// Sorting rows of `schema` by column `time`, then by `keys`.
    pub fn new(
        time: usize,
        keys: Vec<(Arc<dyn PhysicalExpr>, bool, bool)>,
        schema: SchemaRef,
    ) -> Result<Self, BoxError> {
        let fields = keys
            .iter()
            .map(|(e, descending, nulls_first)| {
                let options = arrow::compute::SortOptions { descending: *descending, nulls_first: *nulls_first };
                Ok(SortField::new_with_options(e.data_type(&schema)?, options))
            })
            .collect::<Result<Vec<_>, BoxError>>()?;
        let rows = RowConverter::new(schema.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())?;
        Ok(TemporalSortOperator {
            time,
            keys: keys.into_iter().map(|(e, _, _)| e).collect(),
            key_converter: RowConverter::new(fields)?,
            rows,
            schema,
            held: BTreeMap::new(),
            watermark: i64::MIN,
        })
    }

    fn hold(&mut self, batch: &RecordBatch) -> Result<(), BoxError> {
        let n = batch.num_rows();
        let times = millis(batch.column(self.time))?;
        let keys = self.keys.iter().map(|e| to_array(e.evaluate(batch)?, n)).collect::<Result<Vec<_>, BoxError>>()?;
        let keys = self.key_converter.convert_columns(&keys)?;
        let rows = self.rows.convert_columns(batch.columns())?;
        for i in 0..n {
            if times.is_null(i) || times.value(i) <= self.watermark {
                continue;
            }
            self.held.entry(times.value(i)).or_default().push((keys.row(i).data().into(), rows.row(i).data().into()));
        }
        Ok(())
    }

    /// Emits the held rows up to `watermark`, in order.
    fn release(&mut self, watermark: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        let later = match watermark.checked_add(1) {
            Some(next) => self.held.split_off(&next),
            None => BTreeMap::new(),
        };
        let due = std::mem::replace(&mut self.held, later);
        if due.is_empty() {
            return Ok(());
        }
        let mut ordered = Vec::new();
        for (_, mut rows) in due {
            // Stable: equal keys keep arrival order.
            rows.sort_by(|a, b| a.0.cmp(&b.0));
            ordered.extend(rows.into_iter().map(|(_, row)| row));
        }
        let parser = self.rows.parser();
        let columns = self.rows.convert_rows(ordered.iter().map(|r| parser.parse(r)))?;
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(ordered.len()));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        out.emit(StreamRecord { value: Changes::inserts(batch), timestamp: watermark });
        Ok(())
    }
}

impl Operator for TemporalSortOperator {
    type In = Changes;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, _out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            self.hold(&record.value.rows)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        self.watermark = self.watermark.max(watermark.0);
        self.release(self.watermark, out)?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        self.release(i64::MAX, out)
    }
}
