//! Uncorrelated scalar subqueries (`WHERE amount > (SELECT AVG(amount) FROM orders)`) as a
//! join, as Flink plans them: DataFusion leaves them to be computed once before the query,
//! which a stream cannot do. Each becomes the right side of a LEFT join without keys (one
//! subtask), so every row sees the subquery's current value — NULL while it has no row — and
//! results update when it changes. Correlated ones are turned into joins by DataFusion's
//! optimizer.

use std::cell::Cell;
use std::sync::Arc;

use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::{Column, JoinType, TableReference};
use datafusion_expr::expr_rewriter::NamePreserver;
use datafusion_expr::logical_plan::{Filter, Projection, SubqueryAlias};
use datafusion_expr::{Expr, LogicalPlan, LogicalPlanBuilder};

use crate::error::Result;

/// Rewrites the uncorrelated scalar subqueries of filters and projections into joins.
pub fn scalar_subqueries_as_joins(plan: LogicalPlan) -> Result<LogicalPlan> {
    let counter = Cell::new(0usize);
    plan.transform_up(|node| match &node {
        LogicalPlan::Filter(_) | LogicalPlan::Projection(_) => rewrite(node, &counter),
        _ => Ok(Transformed::no(node)),
    })
    .map(|t| t.data)
    .map_err(super::plan_error)
}

fn is_uncorrelated(e: &Expr) -> bool {
    matches!(e, Expr::ScalarSubquery(s) if s.outer_ref_columns.is_empty())
}

fn rewrite(node: LogicalPlan, counter: &Cell<usize>) -> datafusion_common::Result<Transformed<LogicalPlan>> {
    let mut found = false;
    node.apply_expressions(|e| {
        found |= e.exists(|x| Ok(is_uncorrelated(x)))?;
        Ok(datafusion_common::tree_node::TreeNodeRecursion::Continue)
    })?;
    if !found {
        return Ok(Transformed::no(node));
    }
    let input = node.inputs()[0].clone();
    let kept: Vec<Expr> = input.schema().columns().into_iter().map(Expr::Column).collect();
    let mut joined = input;
    let names = NamePreserver::new(&node);
    let mut replace = |e: Expr| -> datafusion_common::Result<Expr> {
        let name = names.save(&e);
        let rewritten = e.transform_up(|x| {
            let Expr::ScalarSubquery(s) = &x else { return Ok(Transformed::no(x)) };
            if !s.outer_ref_columns.is_empty() {
                return Ok(Transformed::no(x));
            }
            let alias = TableReference::bare(format!("__scalar_subquery_{}", counter.get()));
            counter.set(counter.get() + 1);
            let sub = LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(s.subquery.clone(), alias.clone())?);
            let value = Column::new(Some(alias), sub.schema().field(0).name());
            joined = LogicalPlanBuilder::from(joined.clone())
                .join_on(sub, JoinType::Left, vec![datafusion_expr::lit(true)])?
                .build()?;
            Ok(Transformed::yes(Expr::Column(value)))
        })?;
        Ok(rewritten.update_data(|e| name.restore(e)).data)
    };
    Ok(Transformed::yes(match node {
        LogicalPlan::Filter(f) => {
            let predicate = replace(f.predicate)?;
            let filtered = LogicalPlan::Filter(Filter::try_new(predicate, Arc::new(joined))?);
            LogicalPlan::Projection(Projection::try_new(kept, Arc::new(filtered))?)
        }
        LogicalPlan::Projection(p) => {
            let exprs = p.expr.into_iter().map(&mut replace).collect::<datafusion_common::Result<Vec<_>>>()?;
            LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(joined))?)
        }
        other => other,
    }))
}
