//! Unbounded group aggregation (`GROUP BY k` without windows): an updating result. Each
//! group's accumulators take the input's inserts and retractions; a changed result is sent
//! as `-U` old, `+U` new (`+I` for a new group, `-D` when its last row is retracted), as
//! Flink's `GroupAggFunction` does.

use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, UInt32Array};
use arrow::datatypes::SchemaRef;
use datafusion_common::ScalarValue;
use datafusion_expr::Accumulator;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use super::aggregate::AggCall;
use super::batch::{cast_to, Changes};
use super::exchange::KeyEncoder;
use crate::changelog::RowKind;

/// Consecutive rows of one key that all accumulate (`true`) or all retract.
type Run = (bool, Vec<u32>);

struct Group {
    accumulators: Vec<Box<dyn Accumulator>>,
    rows: i64,
    emitted: Option<Vec<ScalarValue>>,
}

/// Aggregates rows per key into an updating result.
pub struct GroupAggOperator {
    keys: KeyEncoder,
    calls: Vec<AggCall>,
    retracting: bool,
    schema: SchemaRef,
    groups: HashMap<Box<[u8]>, Group>,
}

impl GroupAggOperator {
    /// Aggregation by `keys`; the output is the key columns then one per call, as `schema`.
    /// `retracting`: the input is a changelog with retractions.
    pub fn new(keys: KeyEncoder, calls: Vec<AggCall>, retracting: bool, schema: SchemaRef) -> Self {
        GroupAggOperator { keys, calls, retracting, schema, groups: HashMap::new() }
    }
}

impl Operator for GroupAggOperator {
    type In = Changes;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            let changes = record.value;
            let batch = &changes.rows;
            let keys = self.keys.encode(batch)?;
            let arguments = self.calls.iter().map(|c| c.arguments(batch)).collect::<Result<Vec<_>, _>>()?;
            let filters = self.calls.iter().map(|c| c.filter_mask(batch)).collect::<Result<Vec<_>, _>>()?;
            // Rows by key in first-seen order, cut into runs of accumulating or retracting
            // rows; keys are borrowed from the batch's encoded keys.
            let mut slot: HashMap<&[u8], usize> = HashMap::new();
            let mut by_key: Vec<(&[u8], Vec<Run>)> = Vec::new();
            for i in 0..batch.num_rows() {
                let key = keys.row(i).data();
                let accumulate = changes.kind(i).is_accumulate();
                let s = *slot.entry(key).or_insert_with(|| {
                    by_key.push((key, Vec::new()));
                    by_key.len() - 1
                });
                let key_runs = &mut by_key[s].1;
                match key_runs.last_mut() {
                    Some((a, rows)) if *a == accumulate => rows.push(i as u32),
                    _ => key_runs.push((accumulate, vec![i as u32])),
                }
            }
            let mut out_keys: Vec<u32> = Vec::new();
            let mut out_kinds = Vec::new();
            let mut out_values: Vec<Vec<ScalarValue>> = Vec::new();
            for (key, key_runs) in by_key {
                let first_row = key_runs[0].1[0];
                if !self.groups.contains_key(key) {
                    if !key_runs[0].0 {
                        // A retraction of a group never seen: nothing to take back.
                        if key_runs.len() == 1 {
                            continue;
                        }
                    }
                    let accumulators =
                        self.calls.iter().map(|c| c.accumulator(self.retracting)).collect::<Result<_, _>>()?;
                    self.groups.insert(key.into(), Group { accumulators, rows: 0, emitted: None });
                }
                let group = self.groups.get_mut(key).expect("present");
                for (accumulate, rows) in key_runs {
                    let idx = UInt32Array::from(rows);
                    for (c, acc) in group.accumulators.iter_mut().enumerate() {
                        let mut values: Vec<ArrayRef> = arguments[c]
                            .iter()
                            .map(|a| arrow::compute::take(a, &idx, None))
                            .collect::<Result<_, _>>()?;
                        if let Some(mask) = &filters[c] {
                            let m = arrow::compute::take(mask, &idx, None)?;
                            let m = m.as_any().downcast_ref::<arrow::array::BooleanArray>().ok_or("filter")?;
                            values = values.iter().map(|v| arrow::compute::filter(v, m)).collect::<Result<_, _>>()?;
                        }
                        if accumulate {
                            acc.update_batch(&values)?;
                        } else {
                            acc.retract_batch(&values)?;
                        }
                    }
                    group.rows += if accumulate { idx.len() as i64 } else { -(idx.len() as i64) };
                }
                if group.rows <= 0 {
                    if let Some(old) = group.emitted.take() {
                        out_keys.push(first_row);
                        out_kinds.push(RowKind::Delete);
                        out_values.push(old);
                    }
                    self.groups.remove(key);
                    continue;
                }
                let values = group.accumulators.iter_mut().map(|a| a.evaluate()).collect::<Result<Vec<_>, _>>()?;
                match group.emitted.replace(values.clone()) {
                    None => {
                        out_keys.push(first_row);
                        out_kinds.push(RowKind::Insert);
                        out_values.push(values);
                    }
                    Some(old) if old != values => {
                        out_keys.extend([first_row, first_row]);
                        out_kinds.extend([RowKind::UpdateBefore, RowKind::UpdateAfter]);
                        out_values.push(old);
                        out_values.push(values);
                    }
                    Some(_) => {}
                }
            }
            if out_keys.is_empty() {
                continue;
            }
            let mut key_columns = self.keys.converter().convert_rows(out_keys.iter().map(|&i| keys.row(i as usize)))?;
            // Without GROUP BY the encoder's one constant column is not part of the output.
            let nkeys = self.schema.fields().len() - self.calls.len();
            key_columns.truncate(nkeys);
            let mut columns = Vec::with_capacity(self.schema.fields().len());
            for (i, c) in key_columns.into_iter().enumerate() {
                columns.push(cast_to(c, self.schema.field(i).data_type())?);
            }
            for c in 0..self.calls.len() {
                let column = ScalarValue::iter_to_array(out_values.iter().map(|v| v[c].clone()))?;
                columns.push(cast_to(column, self.schema.field(nkeys + c).data_type())?);
            }
            let n = out_kinds.len();
            let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(n));
            let rows = arrow::array::RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
            out.emit(StreamRecord { value: Changes::with_kinds(rows, out_kinds), timestamp: record.timestamp });
        }
        Ok(())
    }
}
