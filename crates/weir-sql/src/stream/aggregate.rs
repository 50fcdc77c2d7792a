//! What window and group aggregation share: the aggregate calls of a query with their
//! arguments and `FILTER (WHERE …)` clauses, and how group results become rows.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use datafusion_expr::{Accumulator, GroupsAccumulator};
use datafusion_functions_aggregate_common::aggregate::groups_accumulator::GroupsAccumulatorAdapter;
use datafusion_physical_expr::aggregate::AggregateFunctionExpr;
use datafusion_physical_expr::PhysicalExpr;
use weir_runtime::BoxError;

use super::batch::to_array;

/// One aggregate call: `SUM(x) FILTER (WHERE p)`.
#[derive(Debug, Clone)]
pub struct AggCall {
    /// The function with its argument expressions.
    pub function: Arc<AggregateFunctionExpr>,
    /// The `FILTER` condition.
    pub filter: Option<Arc<dyn PhysicalExpr>>,
}

impl AggCall {
    /// The call's argument columns over `batch`.
    pub fn arguments(&self, batch: &RecordBatch) -> Result<Vec<ArrayRef>, BoxError> {
        let n = batch.num_rows();
        self.function.expressions().iter().map(|e| to_array(e.evaluate(batch)?, n)).collect()
    }

    /// The rows the `FILTER` lets through (none: all).
    pub fn filter_mask(&self, batch: &RecordBatch) -> Result<Option<BooleanArray>, BoxError> {
        let Some(filter) = &self.filter else { return Ok(None) };
        let mask = to_array(filter.evaluate(batch)?, batch.num_rows())?;
        let mask = mask.as_any().downcast_ref::<BooleanArray>().ok_or("FILTER must be a boolean condition")?;
        Ok(Some(if mask.null_count() > 0 { arrow::compute::prep_null_mask_filter(mask) } else { mask.clone() }))
    }

    /// An accumulator for many groups at once.
    pub fn groups_accumulator(&self) -> Result<Box<dyn GroupsAccumulator>, BoxError> {
        if self.function.groups_accumulator_supported() {
            return Ok(self.function.create_groups_accumulator()?);
        }
        let function = self.function.clone();
        Ok(Box::new(GroupsAccumulatorAdapter::new(move || function.create_accumulator())))
    }

    /// An accumulator for one group, able to retract when `retracting`.
    pub fn accumulator(&self, retracting: bool) -> Result<Box<dyn Accumulator>, BoxError> {
        if retracting {
            let acc = self.function.create_sliding_accumulator()?;
            if !acc.supports_retract_batch() || sliding_is_fifo(self.function.fun().name()) {
                return Err(format!(
                    "{} over an updating input is not supported yet",
                    self.function.fun().name().to_uppercase()
                )
                .into());
            }
            Ok(acc)
        } else {
            Ok(self.function.create_accumulator()?)
        }
    }
}

impl AggCall {
    /// Whether a checkpoint can hold this call's accumulator exactly: its `state()` merged
    /// into a fresh accumulator must continue as the original would. Accumulators of an
    /// insert-only input are DataFusion's partial-aggregation ones, whose state is exact.
    /// Of the retracting ones, COUNT, SUM and AVG keep sums and counts, and LISTAGG,
    /// FIRST_VALUE and LAST_VALUE their values and pending retractions — exact; a DISTINCT
    /// one keeps only the set of values, not how often each was seen, so a restored one
    /// would forget a value while copies of it remain.
    ///
    /// # Errors
    /// The reason, naming the function.
    pub fn check_restorable(&self, retracting: bool) -> Result<(), String> {
        if !retracting {
            return Ok(());
        }
        let name = self.function.fun().name().to_lowercase();
        let distinct = self.function.is_distinct();
        if !distinct && matches!(name.as_str(), "count" | "sum" | "avg" | "listagg" | "first_value" | "last_value") {
            return Ok(());
        }
        Err(format!(
            "{}{} over an updating input cannot be checkpointed: its accumulator's state does not hold \
             everything a retraction needs",
            name.to_uppercase(),
            if distinct { "(DISTINCT …)" } else { "" }
        ))
    }
}

/// DataFusion's sliding MIN and MAX retract in arrival order only (window frames); a
/// changelog may retract any earlier row.
fn sliding_is_fifo(name: &str) -> bool {
    matches!(name.to_lowercase().as_str(), "min" | "max" | "first_value" | "last_value")
}

/// A column of `len` copies of `value`.
pub fn repeat(value: &ArrayRef, len: usize) -> Result<ArrayRef, BoxError> {
    let indices = arrow::array::UInt32Array::from(vec![0u32; len]);
    Ok(arrow::compute::take(value.as_ref(), &indices, None)?)
}
