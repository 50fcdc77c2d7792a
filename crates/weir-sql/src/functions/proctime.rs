//! `PROCTIME()`: the processing time at which a row is processed, Flink's processing-time
//! attribute (`TIMESTAMP_LTZ(3) NOT NULL`, shown as `TIMESTAMP_LTZ(3) *PROCTIME*`).
//!
//! The planner sees [`proctime`], a volatile function without arguments (so it is never
//! folded into a constant). It reads the machine's clock; the streaming translator swaps
//! each call for a [`ProctimeExpr`] reading the job's [`Clock`] instead, so a test driving
//! a `ManualClock` decides what `PROCTIME()` returns. One batch is processed at one instant:
//! every row of it gets the same time.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::array::{RecordBatch, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, TimeUnit};
use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::{Result, ScalarValue};
use datafusion_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use weir_runtime::{Clock, SystemClock};

/// The function's name as the planner knows it.
pub const PROCTIME: &str = "proctime";

/// The type of a processing-time attribute: `TIMESTAMP_LTZ(3)`.
pub fn proctime_type() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

/// The `PROCTIME()` function for the planner.
pub fn proctime() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(Proctime { signature: Signature::nullary(Volatility::Volatile) }))
}

/// The name of a condition that is always true, `__system_time_as_of(as_of, column)`,
/// which the planner adds to the `ON` of a join with a table read `FOR SYSTEM_TIME AS OF`
/// a column when the table has no time column of its own: it keeps the `AS OF` column in
/// the plan (DataFusion drops the clause, and would prune the column), and the lookup join
/// drops it.
pub const AS_OF_MARKER: &str = "__system_time_as_of";

/// The [`AS_OF_MARKER`] function for the planner.
pub fn as_of_marker() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(AsOfMarker { signature: Signature::any(2, Volatility::Volatile) }))
}

/// Whether `expr` is a call of [`AS_OF_MARKER`].
pub fn is_as_of_marker(expr: &Expr) -> bool {
    matches!(expr, Expr::ScalarFunction(f) if f.func.name() == AS_OF_MARKER)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct AsOfMarker {
    signature: Signature,
}

impl ScalarUDFImpl for AsOfMarker {
    fn name(&self) -> &str {
        AS_OF_MARKER
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))))
    }
}

/// Whether `expr` (under aliases and casts) is a call of `PROCTIME()`.
pub fn is_proctime_call(expr: &Expr) -> bool {
    match expr {
        Expr::Alias(a) => is_proctime_call(&a.expr),
        Expr::ScalarFunction(f) => f.func.name() == PROCTIME,
        _ => false,
    }
}

/// `expr` with every `PROCTIME()` call reading `clock`.
pub fn with_clock(expr: Arc<dyn PhysicalExpr>, clock: &Arc<dyn Clock>) -> Result<Arc<dyn PhysicalExpr>> {
    expr.transform_up(|e| {
        Ok(match e.downcast_ref::<ScalarFunctionExpr>() {
            Some(f) if f.name() == PROCTIME => Transformed::yes(Arc::new(ProctimeExpr { clock: clock.clone() }) as _),
            _ => Transformed::no(e),
        })
    })
    .map(|t| t.data)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Proctime {
    signature: Signature,
}

impl ScalarUDFImpl for Proctime {
    fn name(&self) -> &str {
        PROCTIME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(proctime_type())
    }

    fn return_field_from_args(&self, _args: ReturnFieldArgs) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(PROCTIME, proctime_type(), false)))
    }

    fn invoke_with_args(&self, _args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(ScalarValue::TimestampMillisecond(Some(SystemClock.now_ms()), Some("UTC".into()))))
    }
}

/// `PROCTIME()` reading a job's clock: the clock's time, once per batch, for every row.
#[derive(Debug, Clone)]
pub struct ProctimeExpr {
    clock: Arc<dyn Clock>,
}

impl ProctimeExpr {
    /// The processing time of `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        ProctimeExpr { clock }
    }
}

impl PartialEq for ProctimeExpr {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.clock, &other.clock)
    }
}

impl Eq for ProctimeExpr {}

impl Hash for ProctimeExpr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        PROCTIME.hash(state);
    }
}

impl fmt::Display for ProctimeExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PROCTIME()")
    }
}

impl PhysicalExpr for ProctimeExpr {
    fn return_field(&self, _input_schema: &Schema) -> Result<FieldRef> {
        Ok(Arc::new(Field::new(PROCTIME, proctime_type(), false)))
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let now = self.clock.now_ms();
        let times = TimestampMillisecondArray::from_value(now, batch.num_rows()).with_timezone("UTC");
        Ok(ColumnarValue::Array(Arc::new(times)))
    }

    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr>> {
        Vec::new()
    }

    fn with_new_children(self: Arc<Self>, _children: Vec<Arc<dyn PhysicalExpr>>) -> Result<Arc<dyn PhysicalExpr>> {
        Ok(self)
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PROCTIME()")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;
    use weir_runtime::ManualClock;

    #[test]
    fn reads_the_injected_clock_once_per_batch() {
        let clock = ManualClock::new(5_000);
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let udf = proctime();
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int32, true)]));
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(arrow::array::Int32Array::from(vec![1, 2, 3]))])
            .unwrap();
        let call = datafusion_physical_expr::create_physical_expr(
            &udf.call(vec![]),
            &datafusion_common::DFSchema::try_from(schema.as_ref().clone()).unwrap(),
            &datafusion_expr::execution_props::ExecutionProps::new(),
            &datafusion_expr::physical_planning_context::PhysicalPlanningContext::default(),
        )
        .unwrap();
        let expr = with_clock(call, &shared).unwrap();
        clock.advance(250);
        let ColumnarValue::Array(a) = expr.evaluate(&batch).unwrap() else { panic!("an array") };
        let a = a.as_any().downcast_ref::<TimestampMillisecondArray>().unwrap();
        assert_eq!(a.values().to_vec(), vec![5_250; 3]);
        assert_eq!(a.data_type(), &proctime_type());
    }
}
