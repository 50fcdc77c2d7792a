//! The common aggregates of an insert-only group aggregation — `COUNT`, `SUM`, `MIN`, `MAX`
//! of a `BIGINT` and `AVG` (of a `DOUBLE`, which an integer `AVG` is planned as), each with
//! or without `FILTER` — computed in place: one [`Slot`] per call and group, updated row by
//! row and read out without DataFusion's per-group `Accumulator`s (which cost a `take` of
//! each argument, a virtual call and a `ScalarValue` per group and call: most of Nexmark
//! q17's time).
//!
//! Each slot computes exactly what DataFusion's accumulator of the call does, and its
//! checkpoint state is the same list of values that accumulator's `state()` gives, so a
//! checkpoint restores into either. (`AVG` adds the values one by one where DataFusion adds
//! each batch's sum: equal while the sum is exact, that is for every integer argument up to
//! 2^53; DataFusion's own result depends on where the input's batches are cut.)

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Builder, Int64Builder};
use arrow::datatypes::{DataType, Float64Type, Int64Type, Schema, UInt64Type};
use datafusion_common::ScalarValue;
use weir_runtime::BoxError;

use super::aggregate::AggCall;

/// Which aggregate a [`Slot`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeKind {
    /// `COUNT(x)`, `COUNT(*)`: the non-null values.
    Count,
    /// `SUM(x)` of `BIGINT`, wrapping on overflow as DataFusion's.
    Sum,
    /// `MIN(x)` of `BIGINT`.
    Min,
    /// `MAX(x)` of `BIGINT`.
    Max,
    /// `AVG(x)` of `DOUBLE`.
    Avg,
}

impl NativeKind {
    /// The kind computing `call` over rows of `input`, if it is one of them.
    pub fn of(call: &AggCall, input: &Schema) -> Option<NativeKind> {
        let f = &call.function;
        let args = f.expressions();
        if f.is_distinct() || args.len() != 1 || !f.order_bys().is_empty() {
            return None;
        }
        let arg = args[0].data_type(input).ok()?;
        NativeKind::for_call(f.fun().name(), &arg, f.field().data_type())
    }

    /// The kind computing the aggregate function `name` of one argument of type `arg` with a
    /// result of type `out` (neither `DISTINCT` nor ordered), if it is one of them.
    pub fn for_call(name: &str, arg: &DataType, out: &DataType) -> Option<NativeKind> {
        let (bigint, double) = (&DataType::Int64, &DataType::Float64);
        let kind = match name.to_lowercase().as_str() {
            "count" if out == bigint => NativeKind::Count,
            "sum" if arg == bigint && out == bigint => NativeKind::Sum,
            "min" if arg == bigint && out == bigint => NativeKind::Min,
            "max" if arg == bigint && out == bigint => NativeKind::Max,
            "avg" if arg == double && out == double => NativeKind::Avg,
            _ => return None,
        };
        Some(kind)
    }

    /// The kinds of all of `calls`, when every one has one.
    pub fn of_all(calls: &[AggCall], input: &Schema) -> Option<Vec<NativeKind>> {
        calls.iter().map(|c| NativeKind::of(c, input)).collect()
    }
}

/// One call's state for one group. `n` counts (COUNT, AVG); `v` is the sum, minimum or
/// maximum (AVG: the `f64` sum's bits); `seen`: `v` holds a value (DataFusion's `Some`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Slot {
    n: i64,
    v: i64,
    seen: bool,
}

/// A call's output for one group: `None` is NULL; AVG's `f64` as its bits.
pub type NativeValue = Option<i64>;

/// One batch's argument of a call: its values and which rows its `FILTER` lets through.
pub struct NativeInput {
    kind: NativeKind,
    values: ArrayRef,
    mask: Option<BooleanArray>,
}

impl NativeInput {
    /// The argument of `call` (of `kind`) over `batch`.
    ///
    /// # Errors
    /// The argument's or the filter's evaluation; an argument not of the kind's type.
    pub fn new(kind: NativeKind, call: &AggCall, batch: &arrow::array::RecordBatch) -> Result<Self, BoxError> {
        let values = call.arguments(batch)?.pop().ok_or("an aggregate call without its argument")?;
        let expected = match kind {
            NativeKind::Count => None,
            NativeKind::Avg => Some(DataType::Float64),
            _ => Some(DataType::Int64),
        };
        if expected.as_ref().is_some_and(|t| t != values.data_type()) {
            return Err(
                format!("aggregate argument of type {} where {expected:?} was planned", values.data_type()).into()
            );
        }
        Ok(NativeInput { kind, values, mask: call.filter_mask(batch)? })
    }

    /// Adds row `i` to `slot`.
    #[inline]
    pub fn update(&self, slot: &mut Slot, i: usize) {
        if self.mask.as_ref().is_some_and(|m| !m.value(i)) || self.values.is_null(i) {
            return;
        }
        match self.kind {
            NativeKind::Count => slot.n += 1,
            NativeKind::Sum => {
                slot.v = slot.v.wrapping_add(self.values.as_primitive::<Int64Type>().value(i));
                slot.seen = true;
            }
            NativeKind::Min | NativeKind::Max => {
                let x = self.values.as_primitive::<Int64Type>().value(i);
                let better = if self.kind == NativeKind::Min { x < slot.v } else { x > slot.v };
                if !slot.seen || better {
                    slot.v = x;
                    slot.seen = true;
                }
            }
            NativeKind::Avg => {
                let x = self.values.as_primitive::<Float64Type>().value(i);
                slot.n += 1;
                slot.v = (f64::from_bits(slot.v as u64) + x).to_bits() as i64;
                slot.seen = true;
            }
        }
    }
}

impl Slot {
    /// Adds the rows `other` accumulated (DataFusion's `merge_batch` of one state): two
    /// session windows that touch become one.
    pub fn merge(&mut self, other: &Slot, kind: NativeKind) {
        match kind {
            NativeKind::Count => self.n += other.n,
            _ if !other.seen => {}
            NativeKind::Sum => {
                self.v = self.v.wrapping_add(other.v);
                self.seen = true;
            }
            NativeKind::Min | NativeKind::Max => {
                let better = if kind == NativeKind::Min { other.v < self.v } else { other.v > self.v };
                if !self.seen || better {
                    self.v = other.v;
                    self.seen = true;
                }
            }
            NativeKind::Avg => {
                self.n += other.n;
                self.v = (f64::from_bits(self.v as u64) + f64::from_bits(other.v as u64)).to_bits() as i64;
                self.seen = true;
            }
        }
    }

    /// The aggregate's value (`evaluate`).
    pub fn value(&self, kind: NativeKind) -> NativeValue {
        match kind {
            NativeKind::Count => Some(self.n),
            NativeKind::Sum | NativeKind::Min | NativeKind::Max => self.seen.then_some(self.v),
            NativeKind::Avg if self.n == 0 || !self.seen => None,
            NativeKind::Avg => Some((f64::from_bits(self.v as u64) / self.n as f64).to_bits() as i64),
        }
    }

    /// The value as a scalar of the call's output type.
    pub fn scalar(&self, kind: NativeKind) -> ScalarValue {
        scalar_of(kind, self.value(kind))
    }

    /// The state DataFusion's accumulator of `kind` gives (`state()`), for checkpoints.
    pub fn state(&self, kind: NativeKind) -> Vec<ScalarValue> {
        match kind {
            NativeKind::Count => vec![ScalarValue::Int64(Some(self.n))],
            NativeKind::Sum | NativeKind::Min | NativeKind::Max => {
                vec![ScalarValue::Int64(self.seen.then_some(self.v))]
            }
            NativeKind::Avg => vec![
                ScalarValue::UInt64(Some(self.n as u64)),
                ScalarValue::Float64(self.seen.then(|| f64::from_bits(self.v as u64))),
            ],
        }
    }

    /// A slot from row `row` of the state columns written by [`Slot::state`] (or by
    /// DataFusion's accumulator of the same call).
    ///
    /// # Errors
    /// Columns missing or of other types.
    pub fn from_state(kind: NativeKind, columns: &[ArrayRef], row: usize) -> Result<Slot, BoxError> {
        let wrong = || format!("SQL group aggregate state: the columns of a {kind:?} do not match it");
        let first = columns.first().ok_or_else(wrong)?;
        let mut slot = Slot::default();
        match kind {
            NativeKind::Count => {
                let c = first.as_primitive_opt::<Int64Type>().ok_or_else(wrong)?;
                slot.n = if c.is_null(row) { 0 } else { c.value(row) };
            }
            NativeKind::Sum | NativeKind::Min | NativeKind::Max => {
                let c = first.as_primitive_opt::<Int64Type>().ok_or_else(wrong)?;
                slot.seen = c.is_valid(row);
                slot.v = if slot.seen { c.value(row) } else { 0 };
            }
            NativeKind::Avg => {
                let n = first.as_primitive_opt::<UInt64Type>().ok_or_else(wrong)?;
                let sum = columns.get(1).and_then(|c| c.as_primitive_opt::<Float64Type>()).ok_or_else(wrong)?;
                slot.n = if n.is_null(row) { 0 } else { n.value(row) as i64 };
                slot.seen = sum.is_valid(row);
                slot.v = if slot.seen { sum.value(row).to_bits() as i64 } else { 0 };
            }
        }
        Ok(slot)
    }
}

/// `value` of a call of `kind` as a scalar.
pub fn scalar_of(kind: NativeKind, value: NativeValue) -> ScalarValue {
    match kind {
        NativeKind::Avg => ScalarValue::Float64(value.map(|b| f64::from_bits(b as u64))),
        _ => ScalarValue::Int64(value),
    }
}

/// A column of a call's values (`Int64`, or `Float64` for AVG).
pub fn column_of(kind: NativeKind, values: impl ExactSizeIterator<Item = NativeValue>) -> ArrayRef {
    match kind {
        NativeKind::Avg => {
            let mut b = Float64Builder::with_capacity(values.len());
            for v in values {
                b.append_option(v.map(|b| f64::from_bits(b as u64)));
            }
            std::sync::Arc::new(b.finish())
        }
        _ => {
            let mut b = Int64Builder::with_capacity(values.len());
            for v in values {
                b.append_option(v);
            }
            std::sync::Arc::new(b.finish())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Float64Array, Int64Array, RecordBatch};
    use arrow::datatypes::Field;
    use datafusion_expr::AggregateUDF;
    use datafusion_physical_expr::aggregate::AggregateExprBuilder;
    use datafusion_physical_expr::expressions::{col, lit, BinaryExpr};

    use super::*;

    fn schema() -> Arc<Schema> {
        Arc::new(Schema::new(vec![Field::new("i", DataType::Int64, true), Field::new("d", DataType::Float64, true)]))
    }

    fn call(f: Arc<AggregateUDF>, arg: &str, filter: bool) -> AggCall {
        let s = schema();
        let function = AggregateExprBuilder::new(f, vec![col(arg, &s).unwrap()]).schema(s.clone()).alias("a").build();
        let filter = filter.then(|| {
            let gt = BinaryExpr::new(col("i", &s).unwrap(), datafusion_expr::Operator::Gt, lit(2i64));
            Arc::new(gt) as Arc<dyn datafusion_physical_expr::PhysicalExpr>
        });
        AggCall { function: Arc::new(function.unwrap()), filter, plain: None }
    }

    fn calls() -> Vec<AggCall> {
        use datafusion_functions_aggregate as f;
        vec![
            call(f::count::count_udaf(), "i", false),
            call(f::count::count_udaf(), "i", true),
            call(f::sum::sum_udaf(), "i", false),
            call(f::min_max::min_udaf(), "i", true),
            call(f::min_max::max_udaf(), "i", false),
            call(f::average::avg_udaf(), "d", false),
            call(f::average::avg_udaf(), "d", true),
        ]
    }

    fn batch(rows: &[(Option<i64>, Option<f64>)]) -> RecordBatch {
        let i: Int64Array = rows.iter().map(|r| r.0).collect();
        let d: Float64Array = rows.iter().map(|r| r.1).collect();
        RecordBatch::try_new(schema(), vec![Arc::new(i), Arc::new(d)]).unwrap()
    }

    /// Every kind, fed batch by batch, gives what DataFusion's accumulator gives after each
    /// batch, and its state restores into DataFusion's accumulator (and back) unchanged.
    #[test]
    fn slots_compute_what_datafusion_computes_and_share_its_state() {
        let calls = calls();
        let kinds = NativeKind::of_all(&calls, &schema()).expect("all native");
        let batches = [
            batch(&[(None, None), (Some(1), Some(0.5))]),
            batch(&[(Some(7), Some(2.25)), (Some(-3), None), (Some(3), Some(1.0))]),
            batch(&[(Some(i64::MAX), Some(4.0)), (Some(5), Some(-8.5))]),
        ];
        let mut slots = vec![Slot::default(); calls.len()];
        let mut accs: Vec<_> = calls.iter().map(|c| c.accumulator(false).unwrap()).collect();
        // An empty group: what a filtered-out call shows.
        for (c, kind) in kinds.iter().enumerate() {
            assert_eq!(slots[c].scalar(*kind), accs[c].evaluate().unwrap(), "call {c} empty");
        }
        for b in &batches {
            for (c, call) in calls.iter().enumerate() {
                let input = NativeInput::new(kinds[c], call, b).unwrap();
                for i in 0..b.num_rows() {
                    input.update(&mut slots[c], i);
                }
                let mut values = call.arguments(b).unwrap();
                if let Some(m) = call.filter_mask(b).unwrap() {
                    values = values.iter().map(|v| arrow::compute::filter(v, &m).unwrap()).collect();
                }
                accs[c].update_batch(&values).unwrap();
                assert_eq!(slots[c].scalar(kinds[c]), accs[c].evaluate().unwrap(), "call {c}");
                let state = accs[c].state().unwrap();
                assert_eq!(slots[c].state(kinds[c]), state, "call {c} state");
                let columns: Vec<ArrayRef> = state.iter().map(|s| s.to_array().unwrap()).collect();
                assert_eq!(Slot::from_state(kinds[c], &columns, 0).unwrap(), slots[c], "call {c} restored");
            }
        }
        // i64::MAX + … wraps, as DataFusion's SUM does.
        assert_eq!(slots[2].value(NativeKind::Sum), Some(i64::MAX.wrapping_add(13)));
        assert_eq!(slots[3].value(NativeKind::Min), Some(3), "MIN of the rows with i > 2");
    }

    /// Rows split between two slots and merged give what one slot of all the rows gives,
    /// whichever side is empty.
    #[test]
    fn merged_slots_equal_one_slot_of_all_rows() {
        let calls = calls();
        let kinds = NativeKind::of_all(&calls, &schema()).expect("all native");
        let b = batch(&[
            (Some(4), Some(1.5)),
            (None, Some(2.0)),
            (Some(-9), None),
            (Some(3), Some(0.25)),
            (Some(8), Some(1.0)),
        ]);
        for split in 0..=b.num_rows() {
            for (c, call) in calls.iter().enumerate() {
                let input = NativeInput::new(kinds[c], call, &b).unwrap();
                let (mut all, mut left, mut right) = (Slot::default(), Slot::default(), Slot::default());
                for i in 0..b.num_rows() {
                    input.update(&mut all, i);
                    input.update(if i < split { &mut left } else { &mut right }, i);
                }
                left.merge(&right, kinds[c]);
                assert_eq!(left.scalar(kinds[c]), all.scalar(kinds[c]), "call {c}, split at {split}");
                assert_eq!(left.state(kinds[c]), all.state(kinds[c]), "call {c}, split at {split}");
            }
        }
    }

    #[test]
    fn other_calls_are_left_to_datafusion() {
        use datafusion_functions_aggregate as f;
        let s = schema();
        assert_eq!(NativeKind::of(&call(f::sum::sum_udaf(), "d", false), &s), None, "SUM of DOUBLE");
        assert_eq!(NativeKind::of(&call(f::min_max::max_udaf(), "d", false), &s), None, "MAX of DOUBLE");
        let mut distinct = call(f::count::count_udaf(), "i", false);
        let built = AggregateExprBuilder::new(f::count::count_udaf(), vec![col("i", &s).unwrap()])
            .schema(s.clone())
            .alias("a")
            .distinct()
            .build()
            .unwrap();
        distinct.function = Arc::new(built);
        assert_eq!(NativeKind::of(&distinct, &s), None, "COUNT(DISTINCT …)");
        let mut all = calls();
        assert!(NativeKind::of_all(&all, &s).is_some());
        all.push(distinct);
        assert!(NativeKind::of_all(&all, &s).is_none(), "one call DataFusion's: all are");
        let bad = call(f::sum::sum_udaf(), "i", false);
        let wrong = batch(&[(Some(1), None)]);
        let wrong = RecordBatch::try_new(
            Arc::new(Schema::new(vec![
                Field::new("i", DataType::Int32, true),
                Field::new("d", DataType::Float64, true),
            ])),
            vec![Arc::new(arrow::array::Int32Array::from(vec![1])), wrong.column(1).clone()],
        )
        .unwrap();
        let err = NativeInput::new(NativeKind::Sum, &bad, &wrong).err().expect("refused");
        assert!(err.to_string().contains("Int32"), "{err}");
    }
}
