//! Flink's `ChangelogNormalize` for `upsert-kafka` reads: an upsert stream (each message the
//! latest row of its key, a tombstone its deletion) becomes a full changelog.
//!
//! Per key the operator keeps the last row (as Arrow row bytes):
//! 1. a row for a key without one → `+I row`;
//! 2. a row for a key with a different one → `-U old`, `+U row` (an identical row changes
//!    nothing and is dropped, as Flink does without state TTL);
//! 3. a deletion for a key with a row → `-D old`; for a key without one → nothing.
//!
//! Rows reach the operator through a keyed exchange, so each key lives in one subtask; the
//! rows go into checkpoints as keyed state ([`crate::stream::keyed_state`]), restorable at any
//! parallelism.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, SortField};
use datafusion_physical_expr::PhysicalExpr;
use weir::DataStream;
use weir_core::StreamRecord;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use crate::changelog::RowKind;
use crate::error::{Result, SqlError};
use crate::session::JobSettings;
use crate::stream::exchange::{exchange_resplit, KeyEncoder, KeySplitOperator};
use crate::stream::keyed_state::{self, PendingRestore};
use crate::stream::translate::beside;
use crate::stream::Changes;
use crate::stream::KeyMap;

/// `rows` (an upsert stream of `schema`, keyed by the columns `key_columns`) normalised.
pub fn normalize(
    rows: &DataStream<Changes>,
    schema: &SchemaRef,
    key_columns: Vec<usize>,
    settings: &JobSettings,
) -> Result<DataStream<Changes>> {
    let keys: Vec<Arc<dyn PhysicalExpr>> = key_columns
        .iter()
        .map(|&i| Arc::new(datafusion_physical_expr::expressions::Column::new(schema.field(i).name(), i)) as _)
        .collect();
    let (parallelism, max_p) = (settings.parallelism, settings.max_parallelism);
    let split_schema = schema.clone();
    let split_keys = keys.clone();
    let resplit = exchange_resplit(keys.clone(), schema.clone());
    let split = rows.transform("KeyBy", move |_| {
        Ok(KeySplitOperator::new(KeyEncoder::new(split_keys.clone(), &split_schema)?, parallelism, max_p))
    });
    let routed = beside(rows, split).partition_custom_rescalable(
        |route: &u32, n: usize| (*route as usize).min(n - 1),
        |c: &Changes| c.route,
        resplit,
    );
    let schema = schema.clone();
    let fields: Vec<SortField> = schema.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect();
    RowConverter::new(fields.clone())
        .map_err(|e| SqlError::unsupported(format!("upsert-kafka cannot keep rows of this table's types: {e}")))?;
    Ok(routed
        .transform("ChangelogNormalize", move |_| {
            Ok(NormalizeOperator {
                keys: KeyEncoder::new(keys.clone(), &schema)?,
                rows: RowConverter::new(fields.clone())?,
                schema: schema.clone(),
                last: KeyMap::default(),
                restore: PendingRestore::default(),
            })
        })
        .set_parallelism(parallelism))
}

/// Keeps each key's last row and emits the changes between rows.
pub struct NormalizeOperator {
    keys: KeyEncoder,
    rows: RowConverter,
    schema: SchemaRef,
    last: KeyMap<Box<[u8]>>,
    restore: PendingRestore,
}

impl NormalizeOperator {
    fn output(&self, changes: Vec<(Box<[u8]>, RowKind)>) -> std::result::Result<Changes, BoxError> {
        let parser = self.rows.parser();
        let rows: Vec<_> = changes.iter().map(|(bytes, _)| parser.parse(bytes)).collect();
        let columns: Vec<ArrayRef> = self.rows.convert_rows(rows)?;
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        Ok(Changes::with_kinds(batch, changes.into_iter().map(|(_, k)| k).collect()))
    }
}

impl Operator for NormalizeOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> std::result::Result<(), BoxError> {
        self.restore.keep(state);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> std::result::Result<(), BoxError> {
        let Some(state) = self.restore.take() else { return Ok(()) };
        for batch in keyed_state::read_keyed(&state, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let rows = keyed_state::bytes_of(&batch, "row")?;
            for i in 0..batch.num_rows() {
                self.last.insert(keys.value(i).into(), rows.value(i).into());
            }
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> std::result::Result<(), BoxError> {
        let batches = if self.last.is_empty() {
            Vec::new()
        } else {
            let column = keyed_state::bytes_column(self.last.values().map(|r| r.as_ref()));
            vec![keyed_state::state_batch(self.last.keys().map(|k| k.as_ref()), vec![("row".into(), column)])?]
        };
        keyed_state::write_keyed(state, &batches)
    }

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<Changes>>,
        out: &mut Emitter<Changes>,
    ) -> std::result::Result<(), BoxError> {
        for record in batch.drain(..) {
            let c = record.value;
            let keys = self.keys.encode(&c.rows)?;
            let rows = self.rows.convert_columns(c.rows.columns())?;
            let mut changes = Vec::new();
            for i in 0..c.len() {
                let key: Box<[u8]> = keys.row(i).as_ref().into();
                if c.kind(i) == RowKind::Delete {
                    if let Some(old) = self.last.remove(&key) {
                        changes.push((old, RowKind::Delete));
                    }
                    continue;
                }
                let row: Box<[u8]> = rows.row(i).as_ref().into();
                match self.last.insert(key, row.clone()) {
                    None => changes.push((row, RowKind::Insert)),
                    Some(old) if old != row => {
                        changes.push((old, RowKind::UpdateBefore));
                        changes.push((row, RowKind::UpdateAfter));
                    }
                    Some(_) => {}
                }
            }
            if !changes.is_empty() {
                out.emit(StreamRecord { value: self.output(changes)?, timestamp: record.timestamp });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::stream::operator_harness::{feed_keyed, restore_all, Harness};

    fn operator() -> NormalizeOperator {
        let schema: SchemaRef =
            Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, false), Field::new("v", DataType::Utf8, true)]));
        let key: Arc<dyn PhysicalExpr> = Arc::new(datafusion_physical_expr::expressions::Column::new("k", 0));
        NormalizeOperator {
            keys: KeyEncoder::new(vec![key], &schema).unwrap(),
            rows: RowConverter::new(vec![SortField::new(DataType::Int64), SortField::new(DataType::Utf8)]).unwrap(),
            schema,
            last: KeyMap::default(),
            restore: PendingRestore::default(),
        }
    }

    fn upserts(op: &NormalizeOperator, rows: &[(i64, Option<&str>, RowKind)]) -> Changes {
        let batch = RecordBatch::try_new(
            op.schema.clone(),
            vec![
                Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(StringArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>())),
            ],
        )
        .unwrap();
        Changes::with_kinds(batch, rows.iter().map(|r| r.2).collect())
    }

    #[test]
    fn upserts_become_inserts_updates_and_deletes_and_survive_a_restore() {
        use RowKind::{Delete as D, UpdateAfter as UA};
        let clock = weir_runtime::ManualClock::new(0);
        let op = operator();
        let first = upserts(
            &op,
            &[(1, Some("a"), UA), (1, Some("b"), UA), (1, Some("b"), UA), (2, None, D), (3, Some("x"), UA)],
        );
        let mut h = Harness::new(op, &clock);
        assert_eq!(h.feed(first), ["+I[1, a]", "-U[1, a]", "+U[1, b]", "+I[3, x]"]);
        let snapshot = h.snapshot();
        let mut restored = restore_all(operator, &clock, &snapshot, 2);
        let after = upserts(&operator(), &[(1, None, D), (1, Some("c"), UA), (3, Some("y"), UA)]);
        let mut lines = feed_keyed(&mut restored, &[0], after);
        lines.sort();
        assert_eq!(lines, ["+I[1, c]", "+U[3, y]", "-D[1, b]", "-U[3, x]"]);
    }
}
