//! Integer literals typed as Flink types them: a literal that fits in an INT is an INT
//! (DataFusion makes every integer literal a BIGINT). So `int_col + 1` is an INT that wraps
//! on overflow, `ARRAY[1, 2]` an `ARRAY<INT>` and `CASE … THEN 1 ELSE 0 END` an INT, as in
//! Flink.
//!
//! Runs on the plan as planned, before type coercion. Left alone: `LIMIT` / `OFFSET` counts,
//! the arguments of window functions (offsets of `LAG` / `LEAD`) and `VALUES` rows. A
//! rewritten expression keeps its old name, so nodes above still find it.

use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::ScalarValue;
use datafusion_expr::expr_rewriter::NamePreserver;
use datafusion_expr::{Expr, LogicalPlan};

use crate::error::Result;

/// `plan` with its INT-sized integer literals as INT.
pub fn int_literals(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| {
        if matches!(node, LogicalPlan::Limit(_) | LogicalPlan::Values(_)) {
            return Ok(Transformed::no(node));
        }
        let names = NamePreserver::new(&node);
        let node = node.map_expressions(|e| {
            let name = names.save(&e);
            let rewritten = e.transform_down(|e| match e {
                Expr::WindowFunction(_) => {
                    Ok(Transformed::new(e, false, datafusion_common::tree_node::TreeNodeRecursion::Jump))
                }
                Expr::Literal(ScalarValue::Int64(Some(v)), meta) if i32::try_from(v).is_ok() => {
                    Ok(Transformed::yes(Expr::Literal(ScalarValue::Int32(Some(v as i32)), meta)))
                }
                e => Ok(Transformed::no(e)),
            })?;
            Ok(if rewritten.transformed { rewritten.update_data(|e| name.restore(e)) } else { rewritten })
        })?;
        node.transform_data(|n| n.recompute_schema().map(Transformed::yes))
    })
    .map(|t| t.data)
    .map_err(super::plan_error)
}
