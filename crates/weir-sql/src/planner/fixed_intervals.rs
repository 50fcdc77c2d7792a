//! `timestamp ± INTERVAL '4' SECOND` as millisecond arithmetic.
//!
//! A day-time interval literal is a month-day-nanosecond value to DataFusion, and a
//! timestamp plus one goes through calendar arithmetic per row (a few percent of a windowed
//! query whose watermark is `ts - INTERVAL '4' SECOND`). Flink's day-time intervals are
//! exact milliseconds, so a literal without months and whole in milliseconds becomes a
//! millisecond duration, added as integers — also for TIMESTAMP_LTZ, where a day is then
//! 24 hours as in Flink, not a calendar day of the zone.

use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::{DFSchema, ScalarValue};
use datafusion_expr::{BinaryExpr, Expr, ExprSchemable, Operator};

use arrow::datatypes::{DataType, TimeUnit};

/// `expr` with each `ts ± <day-time interval literal>` over a millisecond timestamp
/// column of `schema` turned into `ts ± <millisecond duration>`.
pub fn fixed_intervals(expr: &Expr, schema: &DFSchema) -> Expr {
    let rewritten = expr.clone().transform_up(|e| {
        let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &e else { return Ok(Transformed::no(e)) };
        if !matches!(op, Operator::Plus | Operator::Minus) {
            return Ok(Transformed::no(e));
        }
        let Some(ms) = literal_millis(right) else { return Ok(Transformed::no(e)) };
        let millisecond_timestamp = matches!(left.get_type(schema), Ok(DataType::Timestamp(TimeUnit::Millisecond, _)));
        if !millisecond_timestamp {
            return Ok(Transformed::no(e));
        }
        let duration = Expr::Literal(ScalarValue::DurationMillisecond(Some(ms)), None);
        Ok(Transformed::yes(Expr::BinaryExpr(BinaryExpr { left: left.clone(), op: *op, right: Box::new(duration) })))
    });
    rewritten.map(|t| t.data).unwrap_or_else(|_| expr.clone())
}

/// The milliseconds of a day-time interval literal (no months, whole milliseconds).
fn literal_millis(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Literal(ScalarValue::IntervalMonthDayNano(Some(v)), _)
            if v.months == 0 && v.nanoseconds % 1_000_000 == 0 =>
        {
            i64::from(v.days).checked_mul(86_400_000)?.checked_add(v.nanoseconds / 1_000_000)
        }
        Expr::Literal(ScalarValue::IntervalDayTime(Some(v)), _) => {
            i64::from(v.days).checked_mul(86_400_000)?.checked_add(i64::from(v.milliseconds))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Array, RecordBatch, TimestampMillisecondArray};
    use arrow::datatypes::{Field, IntervalMonthDayNano, Schema};
    use datafusion_expr::{col, lit};

    use super::*;

    fn evaluate(expr: &Expr, schema: &DFSchema, batch: &RecordBatch) -> Vec<Option<i64>> {
        let physical = datafusion_physical_expr::create_physical_expr(
            expr,
            schema,
            &datafusion_expr::execution_props::ExecutionProps::new(),
            &datafusion_expr::physical_planning_context::PhysicalPlanningContext::default(),
        )
        .unwrap();
        let out = physical.evaluate(batch).unwrap().into_array(batch.num_rows()).unwrap();
        let out = arrow::compute::cast(&out, &DataType::Timestamp(TimeUnit::Millisecond, None)).unwrap();
        let out = out.as_any().downcast_ref::<TimestampMillisecondArray>().unwrap();
        (0..out.len()).map(|i| out.is_valid(i).then(|| out.value(i))).collect()
    }

    #[test]
    fn day_time_literals_become_millisecond_durations_with_the_same_results() {
        let arrow_schema =
            Arc::new(Schema::new(vec![Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true)]));
        let schema = DFSchema::try_from(arrow_schema.as_ref().clone()).unwrap();
        let ts = TimestampMillisecondArray::from(vec![Some(10_000), None, Some(-5)]);
        let batch = RecordBatch::try_new(arrow_schema, vec![Arc::new(ts)]).unwrap();
        // INTERVAL '1' DAY + '4' SECOND, as the planner writes it.
        let interval = lit(ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(0, 1, 4_000_000_000))));
        let expr = col("ts") - interval;
        let fixed = fixed_intervals(&expr, &schema);
        assert!(format!("{fixed}").contains("Duration") || format!("{fixed:?}").contains("DurationMillisecond"));
        let expected = vec![Some(10_000 - 86_404_000), None, Some(-5 - 86_404_000)];
        assert_eq!(evaluate(&fixed, &schema, &batch), expected);
        assert_eq!(evaluate(&expr, &schema, &batch), expected, "the same as calendar arithmetic here");
        // Months stay calendar arithmetic.
        let month = col("ts") + lit(ScalarValue::IntervalMonthDayNano(Some(IntervalMonthDayNano::new(1, 0, 0))));
        assert_eq!(fixed_intervals(&month, &schema), month);
    }
}
