//! What window and group aggregation share: the aggregate calls of a query with their
//! arguments and `FILTER (WHERE …)` clauses, and how group results become rows.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use arrow::datatypes::DataType;
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
    /// For a `DISTINCT` call of one argument: the same call without `DISTINCT`, which a
    /// distinct aggregate over an updating input is built on ([`DistinctWithRetract`]).
    pub plain: Option<PlainOfDistinct>,
}

/// A `DISTINCT` call's function without `DISTINCT`, and the type of its argument.
#[derive(Debug, Clone)]
pub struct PlainOfDistinct {
    /// `SUM(x)` for `SUM(DISTINCT x)`.
    pub function: Arc<AggregateFunctionExpr>,
    /// The type of `x`.
    pub argument: DataType,
}

/// The functions whose `DISTINCT` form over an updating input is [`DistinctWithRetract`].
fn counts_distinct_values(name: &str) -> bool {
    matches!(name, "count" | "sum" | "avg")
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
            let name = self.function.fun().name().to_lowercase();
            if name == "min" || name == "max" {
                let data_type = self.function.field().data_type().clone();
                return Ok(Box::new(MinMaxWithRetract::new(name == "max", data_type)?));
            }
            if let (true, Some(plain)) = (self.function.is_distinct() && counts_distinct_values(&name), &self.plain) {
                let inner = plain.function.create_sliding_accumulator()?;
                return Ok(Box::new(DistinctWithRetract::new(inner, plain.argument.clone())?));
            }
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
    /// FIRST_VALUE and LAST_VALUE their values and pending retractions — exact; so do
    /// COUNT, SUM and AVG with DISTINCT ([`DistinctWithRetract`] keeps each value with how
    /// often it occurs). Other DISTINCT ones keep only the set of values, not how often each
    /// was seen, so a restored one would forget a value while copies of it remain.
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
        // MinMaxWithRetract exports every value with its count; DISTINCT changes nothing.
        if matches!(name.as_str(), "min" | "max") {
            return Ok(());
        }
        if distinct && counts_distinct_values(&name) && self.plain.is_some() {
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

/// Every current value of an argument with how often it occurs, for aggregates over a
/// changelog (a retraction may take out any earlier row). Values are kept as Arrow row
/// bytes, whose order is the values' order. The state — the values and their counts, two
/// lists — is exact, so a restored copy retracts as the original would.
#[derive(Debug)]
struct ValueCounts {
    converter: arrow::row::RowConverter,
    counts: std::collections::BTreeMap<arrow::row::OwnedRow, u64>,
    data_type: DataType,
}

impl ValueCounts {
    fn new(data_type: DataType) -> Result<Self, BoxError> {
        let converter = arrow::row::RowConverter::new(vec![arrow::row::SortField::new(data_type.clone())])?;
        Ok(ValueCounts { converter, counts: std::collections::BTreeMap::new(), data_type })
    }

    /// The argument `values[0]`, cast to the values' type.
    fn column(&self, values: &[ArrayRef]) -> datafusion_common::Result<ArrayRef> {
        let column =
            values.first().ok_or_else(|| datafusion_common::DataFusionError::Internal("no argument".into()))?;
        Ok(arrow::compute::cast(column, &self.data_type)?)
    }

    /// Adds `times(i)` occurrences of each non-null value `i` of `column`; the positions of
    /// the values that were not there before.
    fn add(&mut self, column: &ArrayRef, times: impl Fn(usize) -> u64) -> datafusion_common::Result<Vec<u32>> {
        let rows = self.converter.convert_columns(std::slice::from_ref(column))?;
        let mut entering = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if column.is_null(i) {
                continue;
            }
            let count = self.counts.entry(row.owned()).or_insert(0);
            if *count == 0 {
                entering.push(i as u32);
            }
            *count += times(i);
        }
        Ok(entering)
    }

    /// Takes one occurrence of each non-null value of `column` out (a value never seen takes
    /// out nothing); the positions of the values that are gone now.
    fn remove(&mut self, column: &ArrayRef) -> datafusion_common::Result<Vec<u32>> {
        let rows = self.converter.convert_columns(std::slice::from_ref(column))?;
        let mut leaving = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if column.is_null(i) {
                continue;
            }
            let key = row.owned();
            if let Some(n) = self.counts.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    self.counts.remove(&key);
                    leaving.push(i as u32);
                }
            }
        }
        Ok(leaving)
    }

    /// The value of `row` as a scalar.
    fn scalar(&self, row: &arrow::row::OwnedRow) -> datafusion_common::Result<datafusion_common::ScalarValue> {
        let columns = self.converter.convert_rows([row.row()])?;
        datafusion_common::ScalarValue::try_from_array(&columns[0], 0)
    }

    fn size(&self) -> usize {
        self.counts.keys().map(|r| r.row().as_ref().len() + 32).sum()
    }

    /// Every value with its count: two lists.
    fn state(&self) -> datafusion_common::Result<Vec<datafusion_common::ScalarValue>> {
        use datafusion_common::ScalarValue;
        let columns = self.converter.convert_rows(self.counts.keys().map(|r| r.row()))?;
        let values = (0..columns[0].len())
            .map(|i| ScalarValue::try_from_array(&columns[0], i))
            .collect::<Result<Vec<_>, _>>()?;
        let counts: Vec<ScalarValue> = self.counts.values().map(|n| ScalarValue::UInt64(Some(*n))).collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&values, &self.data_type)),
            ScalarValue::List(ScalarValue::new_list_nullable(&counts, &DataType::UInt64)),
        ])
    }

    /// Adds the values of states written by [`Self::state`]; calls `entered` with the
    /// values of each state that were not there before.
    fn merge(
        &mut self,
        states: &[ArrayRef],
        mut entered: impl FnMut(&ArrayRef, Vec<u32>) -> datafusion_common::Result<()>,
    ) -> datafusion_common::Result<()> {
        use arrow::array::AsArray;
        let (Some(values), Some(counts)) = (states.first(), states.get(1)) else {
            return datafusion_common::internal_err!("the state of values with counts has two lists");
        };
        let (values, counts) = (values.as_list::<i32>(), counts.as_list::<i32>());
        for i in 0..values.len() {
            let column = self.column(&[values.value(i)])?;
            let c = counts.value(i);
            let c = c.as_primitive::<arrow::datatypes::UInt64Type>();
            let new = self.add(&column, |j| c.value(j))?;
            entered(&column, new)?;
        }
        Ok(())
    }
}

/// MIN or MAX over a changelog: every current value with how often it occurs
/// ([`ValueCounts`]), so a retraction of any earlier row takes out exactly its value (as
/// Flink's `MinWithRetractAggFunction` keeps a map of values to counts).
#[derive(Debug)]
pub struct MinMaxWithRetract {
    max: bool,
    values: ValueCounts,
}

impl MinMaxWithRetract {
    /// MAX when `max`, else MIN, of values of `data_type`.
    pub fn new(max: bool, data_type: DataType) -> Result<Self, BoxError> {
        Ok(MinMaxWithRetract { max, values: ValueCounts::new(data_type)? })
    }
}

impl Accumulator for MinMaxWithRetract {
    fn update_batch(&mut self, values: &[ArrayRef]) -> datafusion_common::Result<()> {
        let column = self.values.column(values)?;
        self.values.add(&column, |_| 1).map(drop)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> datafusion_common::Result<()> {
        let column = self.values.column(values)?;
        self.values.remove(&column).map(drop)
    }

    fn evaluate(&mut self) -> datafusion_common::Result<datafusion_common::ScalarValue> {
        let counts = &self.values.counts;
        match if self.max { counts.keys().next_back() } else { counts.keys().next() } {
            Some(row) => self.values.scalar(row),
            None => datafusion_common::ScalarValue::try_from(&self.values.data_type),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.values.size()
    }

    fn state(&mut self) -> datafusion_common::Result<Vec<datafusion_common::ScalarValue>> {
        self.values.state()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> datafusion_common::Result<()> {
        self.values.merge(states, |_, _| Ok(()))
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }
}

/// COUNT, SUM or AVG of `DISTINCT x` over a changelog: every current value of `x` with how
/// often it occurs ([`ValueCounts`]), and the plain aggregate over the distinct values — a
/// value enters it when its count goes from 0 to 1 and leaves when it falls back to 0 (as
/// Flink's distinct aggregates keep a map of values to counts). The plain aggregate is
/// rebuilt from the values on restore.
#[derive(Debug)]
pub struct DistinctWithRetract {
    plain: Box<dyn Accumulator>,
    values: ValueCounts,
}

impl DistinctWithRetract {
    /// Distinct values of `data_type` fed into `plain` (a retracting accumulator).
    pub fn new(plain: Box<dyn Accumulator>, data_type: DataType) -> Result<Self, BoxError> {
        Ok(DistinctWithRetract { plain, values: ValueCounts::new(data_type)? })
    }
}

/// The values of `column` at `positions`.
fn take(column: &ArrayRef, positions: Vec<u32>) -> datafusion_common::Result<ArrayRef> {
    Ok(arrow::compute::take(column.as_ref(), &arrow::array::UInt32Array::from(positions), None)?)
}

impl Accumulator for DistinctWithRetract {
    fn update_batch(&mut self, values: &[ArrayRef]) -> datafusion_common::Result<()> {
        let column = self.values.column(values)?;
        let entering = self.values.add(&column, |_| 1)?;
        if entering.is_empty() {
            return Ok(());
        }
        self.plain.update_batch(&[take(&column, entering)?])
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> datafusion_common::Result<()> {
        let column = self.values.column(values)?;
        let leaving = self.values.remove(&column)?;
        if leaving.is_empty() {
            return Ok(());
        }
        self.plain.retract_batch(&[take(&column, leaving)?])
    }

    fn evaluate(&mut self) -> datafusion_common::Result<datafusion_common::ScalarValue> {
        self.plain.evaluate()
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.plain.size() + self.values.size()
    }

    fn state(&mut self) -> datafusion_common::Result<Vec<datafusion_common::ScalarValue>> {
        self.values.state()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> datafusion_common::Result<()> {
        let plain = &mut self.plain;
        self.values.merge(states, |column, entering| {
            if entering.is_empty() {
                return Ok(());
            }
            plain.update_batch(&[take(column, entering)?])
        })
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }
}

/// A column of `len` copies of `value`.
pub fn repeat(value: &ArrayRef, len: usize) -> Result<ArrayRef, BoxError> {
    let indices = arrow::array::UInt32Array::from(vec![0u32; len]);
    Ok(arrow::compute::take(value.as_ref(), &indices, None)?)
}

#[cfg(test)]
mod min_max_tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array};
    use arrow::datatypes::DataType;
    use datafusion_common::ScalarValue;
    use datafusion_expr::Accumulator;

    use super::MinMaxWithRetract;

    fn col(v: &[Option<i64>]) -> Vec<ArrayRef> {
        vec![Arc::new(Int64Array::from(v.to_vec()))]
    }

    #[test]
    fn any_earlier_value_can_be_retracted_and_the_state_restores_exactly() {
        let mut max = MinMaxWithRetract::new(true, DataType::Int64).unwrap();
        max.update_batch(&col(&[Some(5), Some(9), None, Some(9), Some(3)])).unwrap();
        assert_eq!(max.evaluate().unwrap(), ScalarValue::Int64(Some(9)));
        max.retract_batch(&col(&[Some(9)])).unwrap();
        assert_eq!(max.evaluate().unwrap(), ScalarValue::Int64(Some(9)), "one 9 is left");
        // A restored copy goes on as the original.
        let state = max.state().unwrap();
        let arrays: Vec<ArrayRef> = state.iter().map(|s| s.to_array().unwrap()).collect();
        let mut restored = MinMaxWithRetract::new(true, DataType::Int64).unwrap();
        restored.merge_batch(&arrays).unwrap();
        for acc in [&mut max, &mut restored] {
            acc.retract_batch(&col(&[Some(9)])).unwrap();
            assert_eq!(acc.evaluate().unwrap(), ScalarValue::Int64(Some(5)));
            acc.retract_batch(&col(&[Some(5), Some(3)])).unwrap();
            assert_eq!(acc.evaluate().unwrap(), ScalarValue::Int64(None), "nothing left");
        }
        let mut min = MinMaxWithRetract::new(false, DataType::Int64).unwrap();
        min.update_batch(&col(&[Some(-1), Some(4)])).unwrap();
        min.retract_batch(&col(&[Some(7)])).unwrap();
        assert_eq!(min.evaluate().unwrap(), ScalarValue::Int64(Some(-1)), "an unknown value retracts nothing");
    }
}

#[cfg(test)]
mod distinct_tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion_common::ScalarValue;
    use datafusion_expr::Accumulator;
    use datafusion_physical_expr::aggregate::AggregateExprBuilder;
    use datafusion_physical_expr::expressions::col;

    use super::DistinctWithRetract;

    fn col_of(v: &[Option<i64>]) -> Vec<ArrayRef> {
        vec![Arc::new(Int64Array::from(v.to_vec()))]
    }

    /// `SUM(DISTINCT x)` over a changelog of BIGINTs.
    fn sum_distinct() -> DistinctWithRetract {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]));
        let plain = AggregateExprBuilder::new(
            datafusion_functions_aggregate::sum::sum_udaf(),
            vec![col("x", &schema).expect("column")],
        )
        .schema(schema)
        .alias("s")
        .build()
        .expect("sum");
        DistinctWithRetract::new(plain.create_sliding_accumulator().expect("sliding"), DataType::Int64).unwrap()
    }

    #[test]
    fn a_value_counts_until_its_last_copy_is_retracted_also_after_a_restore() {
        let mut acc = sum_distinct();
        acc.update_batch(&col_of(&[Some(5), Some(9), None, Some(9), Some(5), Some(5)])).unwrap();
        assert_eq!(acc.evaluate().unwrap(), ScalarValue::Int64(Some(14)));
        acc.retract_batch(&col_of(&[Some(9), Some(5)])).unwrap();
        assert_eq!(acc.evaluate().unwrap(), ScalarValue::Int64(Some(14)), "one 9 and two 5s are left");
        // A restored copy goes on as the original: it knows there is one 9 and two 5s.
        let state = acc.state().unwrap();
        let arrays: Vec<ArrayRef> = state.iter().map(|s| s.to_array().unwrap()).collect();
        let mut restored = sum_distinct();
        restored.merge_batch(&arrays).unwrap();
        for a in [&mut acc, &mut restored] {
            assert_eq!(a.evaluate().unwrap(), ScalarValue::Int64(Some(14)));
            a.retract_batch(&col_of(&[Some(9), Some(5)])).unwrap();
            assert_eq!(a.evaluate().unwrap(), ScalarValue::Int64(Some(5)), "the last 9 is gone, a 5 is left");
            a.update_batch(&col_of(&[Some(2), Some(2)])).unwrap();
            a.retract_batch(&col_of(&[Some(5), Some(7)])).unwrap();
            assert_eq!(a.evaluate().unwrap(), ScalarValue::Int64(Some(2)), "an unknown 7 retracts nothing");
        }
    }
}
