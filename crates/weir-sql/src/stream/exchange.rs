//! Keyed exchanges of batches: each batch is cut into one part per consuming subtask, by
//! the key groups of its rows' keys, so that keyed state lives where Flink would put it.
//!
//! The edge routes a part by the subtask index the cut wrote into it, computed for the
//! parallelism the job was planned at. An unaligned checkpoint's parts in flight are cut
//! again by key group when it is restored at another parallelism ([`exchange_resplit`]).

use std::sync::Arc;

use arrow::array::UInt32Array;
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use datafusion_physical_expr::PhysicalExpr;
use weir_core::key_group::{assign_to_key_group, operator_index_for_key_group};
use weir_core::StreamRecord;
use weir_runtime::partitioner::{Resplit, ResplitTarget};
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::{to_array, Changes};

/// The key of each row of a batch, as comparable bytes.
pub struct KeyEncoder {
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    converter: RowConverter,
}

impl KeyEncoder {
    /// Keys computed by `exprs` over batches of `schema`.
    /// Without expressions every row gets the same key (one constant column, since rows of
    /// no columns cannot be counted).
    pub fn new(exprs: Vec<Arc<dyn PhysicalExpr>>, schema: &arrow::datatypes::Schema) -> Result<Self, BoxError> {
        let mut fields =
            exprs.iter().map(|e| Ok(SortField::new(e.data_type(schema)?))).collect::<Result<Vec<_>, BoxError>>()?;
        if fields.is_empty() {
            fields.push(SortField::new(arrow::datatypes::DataType::Boolean));
        }
        Ok(KeyEncoder { exprs, converter: RowConverter::new(fields)? })
    }

    /// The keys of `batch`'s rows.
    pub fn encode(&self, batch: &arrow::array::RecordBatch) -> Result<arrow::row::Rows, BoxError> {
        let n = batch.num_rows();
        let mut columns =
            self.exprs.iter().map(|e| to_array(e.evaluate(batch)?, n)).collect::<Result<Vec<_>, BoxError>>()?;
        if columns.is_empty() {
            columns.push(Arc::new(arrow::array::BooleanArray::new_null(n)));
        }
        Ok(self.converter.convert_columns(&columns)?)
    }

    /// The converter, to turn stored keys back into columns.
    pub fn converter(&self) -> &RowConverter {
        &self.converter
    }

    /// The key expressions.
    pub fn exprs(&self) -> &[Arc<dyn PhysicalExpr>] {
        &self.exprs
    }
}

/// The key group of a key's bytes.
pub fn key_group_of(key: &[u8], max_parallelism: usize) -> usize {
    assign_to_key_group(key, max_parallelism)
}

/// How the in-flight batches of an exchange by `keys` over rows of `schema` are dealt out
/// when an unaligned checkpoint is restored at another parallelism: each new subtask
/// replays the rows whose keys' key groups it owns now, routed to it, as
/// [`KeySplitOperator`] would have cut them (so they meet the keyed state it restored).
pub fn exchange_resplit(keys: Vec<Arc<dyn PhysicalExpr>>, schema: SchemaRef) -> Resplit<Changes> {
    Resplit::new(move |changes: Changes, to: &ResplitTarget| {
        // Only a restore comes here, once per stored batch: the encoder is made for it.
        let keys = KeyEncoder::new(keys.clone(), &schema)?;
        let range = to.key_groups();
        let rows = keys.encode(&changes.rows)?;
        let owned =
            rows.iter().enumerate().filter(|(_, row)| range.contains(key_group_of(row.as_ref(), to.max_parallelism)));
        let indices: Vec<u32> = owned.map(|(i, _)| i as u32).collect();
        routed_part(&changes, indices, to.subtask)
    })
}

/// The rows `indices` of `changes`, routed to subtask `target` (nothing when there are none).
fn routed_part(changes: &Changes, indices: Vec<u32>, target: usize) -> Result<Option<Changes>, BoxError> {
    if indices.is_empty() {
        return Ok(None);
    }
    let mut part =
        if indices.len() == changes.len() { changes.clone() } else { changes.take(&UInt32Array::from(indices))? };
    part.route = target as u32;
    Ok(Some(part))
}

/// Routes each row to the subtask owning its key's key group.
pub struct KeySplitOperator {
    keys: KeyEncoder,
    parallelism: usize,
    max_parallelism: usize,
}

impl KeySplitOperator {
    /// Splits by `keys` for `parallelism` consumers with `max_parallelism` key groups.
    pub fn new(keys: KeyEncoder, parallelism: usize, max_parallelism: usize) -> Self {
        KeySplitOperator { keys, parallelism, max_parallelism }
    }
}

impl Operator for KeySplitOperator {
    type In = Changes;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            let changes = record.value;
            if self.parallelism == 1 {
                out.emit(StreamRecord { value: changes, timestamp: record.timestamp });
                continue;
            }
            let rows = self.keys.encode(&changes.rows)?;
            let mut parts: Vec<Vec<u32>> = vec![Vec::new(); self.parallelism];
            for (i, row) in rows.iter().enumerate() {
                let kg = key_group_of(row.as_ref(), self.max_parallelism);
                parts[operator_index_for_key_group(self.max_parallelism, self.parallelism, kg)].push(i as u32);
            }
            for (target, indices) in parts.into_iter().enumerate() {
                if let Some(part) = routed_part(&changes, indices, target)? {
                    out.emit(StreamRecord { value: part, timestamp: record.timestamp });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, Int64Array};
    use weir_core::key_group::DEFAULT_MAX_PARALLELISM as MAX_P;
    use weir_runtime::ManualClock;

    use super::*;
    use crate::changelog::RowKind;
    use crate::stream::operator_harness::{bigints, columns, rows};

    /// A row as the test follows it: key, place in the original batch, kind.
    type Row = (i64, i64, RowKind);

    fn read(changes: &Changes) -> Vec<Row> {
        let col = |i: usize| changes.rows.column(i).as_any().downcast_ref::<Int64Array>().expect("BIGINT").clone();
        let (k, v) = (col(0), col(1));
        (0..changes.len()).map(|i| (k.value(i), v.value(i), changes.kind(i))).collect()
    }

    /// The parts `KeySplitOperator` cuts `changes` into for `parallelism` subtasks.
    fn split(changes: &Changes, parallelism: usize) -> Vec<Changes> {
        let schema = changes.rows.schema();
        let keys = KeyEncoder::new(columns(&schema, &[0]), &schema).unwrap();
        let mut op = KeySplitOperator::new(keys, parallelism, MAX_P);
        let mut out = Emitter::new(Vec::new(), Arc::new(ManualClock::new(0)));
        op.process(&mut vec![StreamRecord::new(changes.clone())], &mut out).unwrap();
        out.records().drain(..).map(|r| r.value).collect()
    }

    #[test]
    fn in_flight_parts_are_cut_again_as_the_split_would_cut_them_at_the_new_parallelism() {
        let schema = bigints(&["k", "v"]);
        let kinds = [RowKind::Insert, RowKind::UpdateBefore, RowKind::UpdateAfter, RowKind::Delete];
        let values: Vec<[i64; 2]> = (0..400).map(|i| [(i * 7919) % 53, i]).collect();
        let input: Vec<(RowKind, &[i64])> = values.iter().enumerate().map(|(i, r)| (kinds[i % 4], &r[..])).collect();
        let batch = rows(&schema, &input);
        let resplit = exchange_resplit(columns(&schema, &[0]), schema.clone());
        for (old, n) in [(2, 1), (2, 3), (3, 2), (1, 4), (2, 2)] {
            // What was in flight: the parts cut for `old` subtasks.
            let in_flight = split(&batch, old);
            // Where each row goes when cut for `n` subtasks directly.
            let mut owner = std::collections::BTreeMap::new();
            for part in split(&batch, n) {
                owner.extend(read(&part).into_iter().map(|row| (row.1, part.route as usize)));
            }
            let mut replayed = Vec::new();
            for j in 0..n {
                let to = ResplitTarget { subtask: j, parallelism: n, max_parallelism: MAX_P };
                for part in &in_flight {
                    let Some(cut) = resplit.part(part.clone(), &to).unwrap() else { continue };
                    assert_eq!(cut.route as usize, j, "p{old} -> p{n}: routed to the subtask replaying it");
                    let got = read(&cut);
                    assert!(!got.is_empty(), "p{old} -> p{n}: an empty part is dropped, not replayed");
                    assert!(got.windows(2).all(|w| w[0].1 < w[1].1), "p{old} -> p{n}: rows keep their order");
                    for row in got {
                        assert_eq!(owner[&row.1], j, "p{old} -> p{n}: row {row:?} replayed by subtask {j}");
                        replayed.push(row);
                    }
                }
            }
            replayed.sort_by_key(|r| r.1);
            assert_eq!(replayed, read(&batch), "p{old} -> p{n}: every row once, with its kind");
        }
    }
}
