//! Keyed exchanges of batches: each batch is cut into one part per consuming subtask, by
//! the key groups of its rows' keys, so that keyed state lives where Flink would put it.

use std::sync::Arc;

use arrow::array::UInt32Array;
use arrow::row::{RowConverter, SortField};
use datafusion_physical_expr::PhysicalExpr;
use weir_core::key_group::{assign_to_key_group, operator_index_for_key_group};
use weir_core::StreamRecord;
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
                if indices.is_empty() {
                    continue;
                }
                let mut part = if indices.len() == changes.len() {
                    changes.clone()
                } else {
                    changes.take(&UInt32Array::from(indices))?
                };
                part.route = target as u32;
                out.emit(StreamRecord { value: part, timestamp: record.timestamp });
            }
        }
        Ok(())
    }
}
