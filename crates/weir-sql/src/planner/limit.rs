//! `ORDER BY … LIMIT n [OFFSET m]` and `LIMIT n` on a stream, as Flink runs them: a Top-N
//! over the whole input (ranks `m + 1 ..= m + n` by the order, without the rank column),
//! kept up to date as rows arrive; a plain `LIMIT n` keeps the first `n` rows to arrive (all
//! rows tie, and ties keep arrival order).
//!
//! The plan gets the shape the streaming planner reads as Top-N: a filter on `ROW_NUMBER()
//! OVER (ORDER BY …)` below a projection of the input's columns.

use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_expr::expr::{WindowFunction, WindowFunctionParams};
use datafusion_expr::logical_plan::{FetchType, SkipType};
use datafusion_expr::{col, lit, Expr, LogicalPlan, LogicalPlanBuilder, WindowFrame, WindowFunctionDefinition};

use crate::error::Result;

/// Name of the rank column the rewrite adds.
const RANK: &str = "__limit_rank";

/// Rewrites every `Limit` (over a `Sort` or not) into a Top-N.
pub fn limits_as_top_n(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up(|node| {
        let LogicalPlan::Limit(limit) = &node else { return Ok(Transformed::no(node)) };
        let (Ok(FetchType::Literal(Some(fetch))), Ok(SkipType::Literal(skip))) =
            (limit.get_fetch_type(), limit.get_skip_type())
        else {
            return Ok(Transformed::no(node));
        };
        // Without an order every row ties with every other, and ties keep arrival order.
        let (input, order) = match limit.input.as_ref() {
            LogicalPlan::Sort(sort) => (sort.input.as_ref().clone(), sort.expr.clone()),
            other => (other.clone(), vec![lit(0i32).sort(true, false)]),
        };
        let columns: Vec<Expr> = input.schema().columns().into_iter().map(Expr::Column).collect();
        let row_number = Expr::WindowFunction(Box::new(WindowFunction {
            fun: WindowFunctionDefinition::WindowUDF(datafusion_functions_window::row_number::row_number_udwf()),
            params: WindowFunctionParams {
                args: vec![],
                partition_by: vec![],
                order_by: order.clone(),
                window_frame: WindowFrame::new(Some(false)),
                filter: None,
                null_treatment: None,
                distinct: false,
            },
        }))
        .alias(RANK);
        let mut keep = col(RANK).lt_eq(lit((skip + fetch) as u64));
        if skip > 0 {
            keep = col(RANK).gt(lit(skip as u64)).and(keep);
        }
        let plan = LogicalPlanBuilder::from(input).window(vec![row_number])?.filter(keep)?.project(columns)?.build()?;
        Ok(Transformed::yes(plan))
    })
    .map(|t| t.data)
    .map_err(super::plan_error)
}
