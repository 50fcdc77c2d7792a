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
            if let (false, Some(kind)) = (self.function.is_distinct(), VarianceKind::of(&name)) {
                return Ok(Box::new(VarianceWithRetract::new(kind)));
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
    /// Of the retracting ones, COUNT, SUM and AVG keep sums and counts, LISTAGG, COLLECT,
    /// FIRST_VALUE, LAST_VALUE and the JSON aggregates their values and pending retractions
    /// (with DISTINCT also how often each value was seen), and the variance
    /// family its count, mean and sum of squared deviations — exact; so do
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
        if !distinct && matches!(name.as_str(), "count" | "sum" | "avg") {
            return Ok(());
        }
        // Weir's own bag accumulators (functions/aggregate.rs) keep their values, pending
        // retractions and, with DISTINCT, the count of each value.
        if matches!(
            name.as_str(),
            "listagg" | "collect" | "first_value" | "last_value" | "json_arrayagg" | "json_objectagg"
        ) {
            return Ok(());
        }
        // VarianceWithRetract takes its state back exactly.
        if !distinct && VarianceKind::of(&name).is_some() {
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
/// changelog may retract any earlier row. FIRST_VALUE and LAST_VALUE (Weir's own) could
/// retract any row, but their result over a changelog depends on the order of its changes,
/// and a group aggregate upstream folds a key's rows of a batch into one change where Flink
/// emits one per row — so the answer would differ from Flink's; they stay refused.
fn sliding_is_fifo(name: &str) -> bool {
    matches!(name.to_lowercase().as_str(), "min" | "max")
}

/// Whether an aggregate's result depends on the order of its rows: in a window Flink's order
/// follows the window's slices; over an updating input it follows every change the input
/// makes (see [`super::group_agg::GroupAggOperator::with_changes_per_row`]).
pub fn order_sensitive(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "listagg"
            | "array_agg"
            | "collect"
            | "json_arrayagg"
            | "json_objectagg"
            | "first_value"
            | "last_value"
            | "string_agg"
    )
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

/// Which statistic of the variance family a [`VarianceWithRetract`] gives.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VarianceKind {
    /// Over `n - 1` (`STDDEV_SAMP`, `VAR_SAMP`) rather than `n` (`*_POP`).
    sample: bool,
    /// The square root of the variance (`STDDEV*`).
    stddev: bool,
}

impl VarianceKind {
    /// The statistic of DataFusion's aggregate `name` (lower case), if it is one.
    fn of(name: &str) -> Option<Self> {
        let (sample, stddev) = match name {
            "stddev" | "stddev_samp" => (true, true),
            "stddev_pop" => (false, true),
            "var" | "var_samp" | "var_sample" => (true, false),
            "var_pop" | "var_population" => (false, false),
            _ => return None,
        };
        Some(VarianceKind { sample, stddev })
    }
}

/// `STDDEV_*` and `VAR_*` over a changelog: Welford's running count, mean and sum of squared
/// deviations (`m2`), a row added or taken out in place. It computes exactly what
/// DataFusion's accumulator does (the same steps in the same order); unlike it, a state
/// merged into an empty accumulator is taken over as it is, so a restored accumulator
/// continues bit for bit as the one checkpointed (DataFusion's merge recomputes the mean as
/// `mean * n / n`, which may round).
#[derive(Debug)]
pub struct VarianceWithRetract {
    kind: VarianceKind,
    count: u64,
    mean: f64,
    m2: f64,
}

impl VarianceWithRetract {
    /// An empty accumulator of `kind`.
    pub fn new(kind: VarianceKind) -> Self {
        VarianceWithRetract { kind, count: 0, mean: 0.0, m2: 0.0 }
    }

    fn values(values: &[ArrayRef]) -> datafusion_common::Result<arrow::array::Float64Array> {
        let column = arrow::compute::cast(&values[0], &DataType::Float64)?;
        Ok(column.as_any().downcast_ref::<arrow::array::Float64Array>().expect("cast to Float64").clone())
    }
}

impl Accumulator for VarianceWithRetract {
    fn update_batch(&mut self, values: &[ArrayRef]) -> datafusion_common::Result<()> {
        for value in Self::values(values)?.iter().flatten() {
            self.count += 1;
            let delta1 = value - self.mean;
            self.mean += delta1 / self.count as f64;
            self.m2 += delta1 * (value - self.mean);
        }
        Ok(())
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> datafusion_common::Result<()> {
        for value in Self::values(values)?.iter().flatten() {
            if self.count <= 1 {
                (self.count, self.mean, self.m2) = (0, 0.0, 0.0);
                continue;
            }
            self.count -= 1;
            let delta1 = self.mean - value;
            self.mean += delta1 / self.count as f64;
            self.m2 -= delta1 * (self.mean - value);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> datafusion_common::Result<datafusion_common::ScalarValue> {
        let variance = match self.count {
            0 => None,
            1 if self.kind.sample => None,
            1 => Some(0.0),
            n => Some(self.m2 / if self.kind.sample { n - 1 } else { n } as f64),
        };
        let value = if self.kind.stddev { variance.map(f64::sqrt) } else { variance };
        Ok(datafusion_common::ScalarValue::Float64(value))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }

    fn state(&mut self) -> datafusion_common::Result<Vec<datafusion_common::ScalarValue>> {
        use datafusion_common::ScalarValue;
        Ok(vec![ScalarValue::UInt64(Some(self.count)), ScalarValue::from(self.mean), ScalarValue::from(self.m2)])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> datafusion_common::Result<()> {
        let counts = arrow::compute::cast(&states[0], &DataType::UInt64)?;
        let counts = counts.as_any().downcast_ref::<arrow::array::UInt64Array>().expect("cast to UInt64");
        let means = Self::values(&states[1..2])?;
        let m2s = Self::values(&states[2..3])?;
        for i in 0..counts.len() {
            let (n, mean, m2) = (counts.value(i), means.value(i), m2s.value(i));
            if n == 0 {
                continue;
            }
            if self.count == 0 {
                (self.count, self.mean, self.m2) = (n, mean, m2);
                continue;
            }
            let total = self.count + n;
            let delta = self.mean - mean;
            let merged_mean = self.mean * self.count as f64 / total as f64 + mean * n as f64 / total as f64;
            self.m2 += m2 + delta * delta * self.count as f64 * n as f64 / total as f64;
            (self.count, self.mean) = (total, merged_mean);
        }
        Ok(())
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

#[cfg(test)]
mod variance_tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Float64Array};
    use datafusion_common::ScalarValue;
    use datafusion_expr::Accumulator;
    use datafusion_functions_aggregate::variance::VarianceAccumulator;
    use datafusion_functions_aggregate_common::stats::StatsType;

    use super::{VarianceKind, VarianceWithRetract};

    fn col(v: &[f64]) -> Vec<ArrayRef> {
        vec![Arc::new(Float64Array::from(v.to_vec()))]
    }

    fn bits(v: ScalarValue) -> Option<u64> {
        match v {
            ScalarValue::Float64(x) => x.map(f64::to_bits),
            other => panic!("not a double: {other:?}"),
        }
    }

    /// Values whose mean is not exactly representable, so rounding shows.
    const VALUES: [f64; 7] = [0.1, 7.3, 1e-3, 42.42, 3.0 / 7.0, 0.7, 19.99];

    #[test]
    fn it_computes_what_datafusion_computes_adding_and_retracting() {
        let kinds = [
            (VarianceKind::of("var_pop").unwrap(), StatsType::Population),
            (VarianceKind::of("var").unwrap(), StatsType::Sample),
        ];
        for (kind, stats) in kinds {
            let mut ours = VarianceWithRetract::new(kind);
            let mut theirs = VarianceAccumulator::try_new(stats).unwrap();
            for step in [&VALUES[..4], &VALUES[4..]] {
                ours.update_batch(&col(step)).unwrap();
                theirs.update_batch(&col(step)).unwrap();
                assert_eq!(bits(ours.evaluate().unwrap()), bits(theirs.evaluate().unwrap()));
            }
            for v in [7.3, 0.1, 19.99, 42.42, 0.7, 1e-3] {
                ours.retract_batch(&col(&[v])).unwrap();
                theirs.retract_batch(&col(&[v])).unwrap();
                assert_eq!(bits(ours.evaluate().unwrap()), bits(theirs.evaluate().unwrap()), "after {v}");
            }
        }
        // One value left: a sample statistic is NULL, a population one 0.
        let mut samp = VarianceWithRetract::new(VarianceKind::of("stddev").unwrap());
        let mut pop = VarianceWithRetract::new(VarianceKind::of("stddev_pop").unwrap());
        for acc in [&mut samp, &mut pop] {
            acc.update_batch(&col(&[2.0, 4.0])).unwrap();
        }
        assert_eq!(samp.evaluate().unwrap(), ScalarValue::Float64(Some(2f64.sqrt())));
        assert_eq!(pop.evaluate().unwrap(), ScalarValue::Float64(Some(1.0)));
        for acc in [&mut samp, &mut pop] {
            acc.retract_batch(&col(&[4.0])).unwrap();
        }
        assert_eq!(samp.evaluate().unwrap(), ScalarValue::Float64(None));
        assert_eq!(pop.evaluate().unwrap(), ScalarValue::Float64(Some(0.0)));
    }

    #[test]
    fn a_restored_accumulator_continues_bit_for_bit() {
        let kind = VarianceKind::of("stddev_samp").unwrap();
        let mut original = VarianceWithRetract::new(kind);
        original.update_batch(&col(&VALUES)).unwrap();
        let state: Vec<ArrayRef> = original.state().unwrap().iter().map(|s| s.to_array().unwrap()).collect();
        let mut restored = VarianceWithRetract::new(kind);
        restored.merge_batch(&state).unwrap();
        // DataFusion's merge would recompute the mean as mean * n / n, which rounds here.
        let (n, mean) = (VALUES.len() as f64, original.mean);
        assert_ne!(mean * n / n, mean, "the values do not show what the test is about");
        for step in [&[5.5, 0.25][..], &[7.3], &[0.1, 42.42, 1e-3]] {
            for acc in [&mut original, &mut restored] {
                if step.len() == 2 {
                    acc.update_batch(&col(step)).unwrap();
                } else {
                    acc.retract_batch(&col(step)).unwrap();
                }
            }
            assert_eq!(bits(original.evaluate().unwrap()), bits(restored.evaluate().unwrap()));
        }
    }
}
