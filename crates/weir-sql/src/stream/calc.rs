//! Projections and filters over batches (Flink's `Calc`), evaluated by DataFusion's
//! vectorized physical expressions.

use std::sync::Arc;

use arrow::array::{Array, BooleanArray};
use arrow::datatypes::SchemaRef;
use datafusion_physical_expr::PhysicalExpr;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::{cast_to, is_all_true, to_array, Changes};

/// Keeps the rows where `filter` holds and computes `projection` over them.
pub struct CalcOperator {
    filter: Option<Arc<dyn PhysicalExpr>>,
    projection: Option<Vec<Arc<dyn PhysicalExpr>>>,
    schema: SchemaRef,
}

impl CalcOperator {
    /// A filter and/or a projection with output `schema`.
    pub fn new(
        filter: Option<Arc<dyn PhysicalExpr>>,
        projection: Option<Vec<Arc<dyn PhysicalExpr>>>,
        schema: SchemaRef,
    ) -> Self {
        CalcOperator { filter, projection, schema }
    }

    /// Applies the calc to one batch; `None` when no row remains.
    pub fn apply(&self, mut changes: Changes) -> Result<Option<Changes>, BoxError> {
        if let Some(filter) = &self.filter {
            let mask = to_array(filter.evaluate(&changes.rows)?, changes.len())?;
            let mask = mask.as_any().downcast_ref::<BooleanArray>().ok_or("a filter must be a boolean expression")?;
            if !is_all_true(mask) {
                // NULL counts as false.
                let mask =
                    if mask.null_count() > 0 { arrow::compute::prep_null_mask_filter(mask) } else { mask.clone() };
                changes = changes.filter(&mask)?;
            }
        }
        if changes.is_empty() {
            return Ok(None);
        }
        if let Some(projection) = &self.projection {
            let n = changes.len();
            let columns = projection
                .iter()
                .map(|e| to_array(e.evaluate(&changes.rows)?, n))
                .collect::<Result<Vec<_>, BoxError>>()?;
            let columns = columns
                .into_iter()
                .zip(self.schema.fields())
                .map(|(c, f)| cast_to(c, f.data_type()))
                .collect::<Result<Vec<_>, BoxError>>()?;
            changes = changes.with_columns(self.schema.clone(), columns)?;
        }
        Ok(Some(changes))
    }
}

impl Operator for CalcOperator {
    type In = Changes;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            if let Some(changes) = self.apply(record.value)? {
                out.emit(StreamRecord { value: changes, timestamp: record.timestamp });
            }
        }
        Ok(())
    }
}
