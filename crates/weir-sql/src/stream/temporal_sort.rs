//! `ORDER BY rowtime [, …]` on a stream (Flink's `TemporalSort`): rows are held until the
//! watermark passes their time, then emitted in order of time and the further sort keys. A
//! row at or behind the watermark when it arrives is late and dropped. Insert-only in and out.
//!
//! The held rows and the watermark are checkpointed ([`super::keyed_state`]): the operator
//! runs at parallelism 1 behind an exchange on the empty key, so every held row is stored
//! under that key, and the subtask owning it after a restore gets them all back.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, RecordBatch};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::{to_array, Changes};
use super::keyed_state::{self, PendingRestore};
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
    restore: PendingRestore,
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
            restore: PendingRestore::default(),
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

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep_with_watermark(state, &mut self.watermark);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        let Some(state) = self.restore.take() else { return Ok(()) };
        for batch in keyed_state::read_keyed(&state, subtask)? {
            let times = keyed_state::i64_column(&batch, "time")?;
            let keys = keyed_state::bytes_of(&batch, "sort")?;
            let rows = keyed_state::bytes_of(&batch, "row")?;
            for i in 0..batch.num_rows() {
                let held = (keys.value(i).into(), rows.value(i).into());
                self.held.entry(times.value(i)).or_default().push(held);
            }
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let entries: Vec<(i64, &HeldRow)> =
            self.held.iter().flat_map(|(time, rows)| rows.iter().map(move |row| (*time, row))).collect();
        let batches = if entries.is_empty() {
            Vec::new()
        } else {
            // Arrival order within a time is kept: the restored rows sort stably as before.
            let columns: Vec<(String, ArrayRef)> = vec![
                ("time".into(), Arc::new(Int64Array::from_iter_values(entries.iter().map(|e| e.0)))),
                ("sort".into(), keyed_state::bytes_column(entries.iter().map(|e| &*e.1 .0))),
                ("row".into(), keyed_state::bytes_column(entries.iter().map(|e| &*e.1 .1))),
            ];
            vec![keyed_state::state_batch(entries.iter().map(|_| &[][..]), columns)?]
        };
        keyed_state::write_keyed(state, &batches)?;
        keyed_state::write_watermark(state, self.watermark);
        Ok(())
    }

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

#[cfg(test)]
mod tests {
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use weir_runtime::ManualClock;

    use super::*;
    use crate::changelog::RowKind::Insert as I;
    use crate::stream::operator_harness::{columns, restore_all, rows, Harness};

    fn input() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        ]))
    }

    /// `ORDER BY t, k DESC`.
    fn operator() -> TemporalSortOperator {
        let input = input();
        TemporalSortOperator::new(1, vec![(columns(&input, &[0]).remove(0), true, false)], input).unwrap()
    }

    fn batch(values: &[(i64, i64)]) -> Changes {
        let owned: Vec<[i64; 2]> = values.iter().map(|&(k, t)| [k, t]).collect();
        rows(&input(), &owned.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>())
    }

    #[test]
    fn held_rows_and_the_watermark_survive_a_restore_in_order() {
        let clock = ManualClock::new(0);
        let mut reference = Harness::new(operator(), &clock);
        // Times 10..=19 with two keys each, out of order.
        let first: Vec<(i64, i64)> = (0..20).map(|i| (i, 19 - i / 2)).collect();
        reference.feed(batch(&first));
        let released = reference.watermark(13);
        assert_eq!(released.len(), 8, "times 10 to 13 are released: {released:?}");
        assert_eq!(released[0], "+I[19, 1970-01-01 00:00:00.010]", "time first, then k descending");
        let snapshot = reference.snapshot();

        // After the checkpoint: a late row (dropped by both), more rows, the end.
        let next = batch(&[(100, 12), (101, 15), (102, 30)]);
        let expected = [reference.feed(next.clone()), reference.watermark(20), reference.watermark(40)].concat();
        assert_eq!(expected.len(), 12 + 2, "the held rows of 14..=19, then 15 and 30, not the late 12");

        let mut restored = restore_all(operator, &clock, &snapshot, 1).remove(0);
        let got = [restored.feed(next), restored.watermark(20), restored.watermark(40)].concat();
        assert_eq!(got, expected);
    }
}
