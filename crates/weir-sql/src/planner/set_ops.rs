//! `INTERSECT ALL` and `EXCEPT ALL` with bag semantics, as Flink computes them.
//!
//! DataFusion plans both as a semi / anti join of the two inputs on all columns, which keeps
//! every left duplicate of a matching row (`INTERSECT ALL`) or drops all of them (`EXCEPT
//! ALL`). Flink counts: a row present `l` times on the left and `r` times on the right is in
//! `INTERSECT ALL` `min(l, r)` times and in `EXCEPT ALL` `max(l − r, 0)` times. So, like Flink's
//! plan (a union tagged by side, an aggregation, `ReplicateRows`), the join becomes:
//!
//! 1. the union of the left rows tagged `(1, 0)` and the right rows tagged `(0, 1)`;
//! 2. per distinct row, the sums of both tags;
//! 3. each distinct row repeated as many times as it belongs to the result (an `UNNEST` of
//!    `array_repeat(0, n)`), which follows the aggregation's updates.
//!
//! The distinct forms (`INTERSECT`, `EXCEPT`), whose left side DataFusion makes distinct
//! first, are correct as planned and left alone.

use std::sync::Arc;

use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::{NullHandling, UnnestOptions};
use datafusion_expr::logical_plan::{Join, JoinType, Projection, Union};
use datafusion_expr::{col, lit, when, Expr, LogicalPlan, LogicalPlanBuilder};

use crate::error::Result;

/// Rewrites the semi / anti joins DataFusion plans for `INTERSECT ALL` / `EXCEPT ALL`.
pub fn bag_set_operations(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up(|node| {
        let LogicalPlan::Join(join) = &node else { return Ok(Transformed::no(node)) };
        let all = matches!(join.join_type, JoinType::LeftSemi | JoinType::LeftAnti)
            && join.filter.is_none()
            && join.on.len() == join.left.schema().fields().len()
            && !matches!(join.left.as_ref(), LogicalPlan::Distinct(_));
        if !all {
            return Ok(Transformed::no(node));
        }
        Ok(Transformed::yes(counted(join)?))
    })
    .map(|t| t.data)
    .map_err(super::plan_error)
}

fn counted(join: &Join) -> datafusion_common::Result<LogicalPlan> {
    let left_columns = join.left.schema().columns();
    let tagged = |plan: &LogicalPlan, l: i64, r: i64, names: &[datafusion_common::Column]| {
        let mut exprs: Vec<Expr> = plan
            .schema()
            .columns()
            .into_iter()
            .zip(names)
            .map(|(c, name)| Expr::Column(c).alias(name.name.clone()))
            .collect();
        exprs.push(lit(l).alias("__left"));
        exprs.push(lit(r).alias("__right"));
        Projection::try_new(exprs, Arc::new(plan.clone())).map(LogicalPlan::Projection)
    };
    let union = Union::try_new_with_loose_types(vec![
        Arc::new(tagged(&join.left, 1, 0, &left_columns)?),
        Arc::new(tagged(&join.right, 0, 1, &left_columns)?),
    ])?;
    // The union's columns are unqualified; the result gets the left side's names back.
    let keys: Vec<Expr> =
        left_columns.iter().map(|c| Expr::Column(datafusion_common::Column::new_unqualified(&c.name))).collect();
    let named: Vec<Expr> = left_columns
        .iter()
        .map(|c| {
            col(datafusion_common::Column::new_unqualified(&c.name)).alias_qualified(c.relation.clone(), c.name.clone())
        })
        .collect();
    let sum = |c: &str| datafusion_functions_aggregate::sum::sum(col(c));
    let counts = LogicalPlanBuilder::from(LogicalPlan::Union(union))
        .aggregate(keys.clone(), vec![sum("__left").alias("__l"), sum("__right").alias("__r")])?
        .build()?;
    let (l, r) = (col("__l"), col("__r"));
    let times = match join.join_type {
        JoinType::LeftSemi => when(l.clone().lt(r.clone()), l).otherwise(r)?,
        _ => when(l.clone().gt(r.clone()), l - r).otherwise(lit(0i64))?,
    };
    let repeat = datafusion_functions_nested::repeat::array_repeat(lit(0i64), times).alias("__times");
    LogicalPlanBuilder::from(counts)
        .project(keys.iter().cloned().chain([repeat]))?
        .unnest_columns_with_options(
            vec!["__times".into()],
            UnnestOptions { null_handling: NullHandling::Drop, ..Default::default() },
        )?
        .project(named)?
        .build()
}
