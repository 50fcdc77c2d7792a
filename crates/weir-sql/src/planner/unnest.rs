//! Flink's `CROSS JOIN UNNEST(…)`, `LEFT JOIN UNNEST(…) ON TRUE` and `FROM t, UNNEST(…)`: each
//! row of the left side joined with the rows of a collection it holds.
//!
//! 1. Before planning, [`rewrite_unnest`] turns `UNNEST(e) [WITH ORDINALITY] AS t(c1, …)`
//!    into the lateral derived table `LATERAL (SELECT __u['f0'] AS c1, … FROM
//!    UNNEST(flink_unnest_rows(e)) AS __x(__u)) AS t`: `flink_unnest_rows` makes one row per
//!    element — the element, the fields of a ROW element, a map entry's key and value, and the
//!    position with `WITH ORDINALITY` (see [`crate::functions::collection`]) — which DataFusion
//!    unnests as a list.
//! 2. DataFusion plans a lateral `UNNEST` as a join with a correlated subquery over a one-row
//!    relation. After planning, [`decorrelate_unnest`] puts the left side in place of that
//!    relation, so the plan is an `Unnest` over the left side (its columns carried through): no
//!    subquery and no join. Rows whose collection is NULL or empty are dropped under `CROSS
//!    JOIN` and kept once, with NULLs, under `LEFT JOIN … ON TRUE`, as in Flink.

use std::ops::ControlFlow;
use std::sync::Arc;

use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::{NullHandling, ScalarValue, UnnestOptions};
use datafusion_expr::logical_plan::{Filter, Join, JoinType, Projection, Subquery, SubqueryAlias};
use datafusion_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use sqlparser::ast::{Ident, Query, TableAlias, TableFactor, VisitMut, VisitorMut};

use crate::error::Result;
use crate::functions::collection::{UNNEST_ROWS, UNNEST_ROWS_ORDINALITY};

/// Rewrites every `UNNEST(e) [WITH ORDINALITY] AS t(c1, …)` in `query` (see the module docs).
/// An `UNNEST` without column names is left to DataFusion.
pub fn rewrite_unnest(query: &mut Query) {
    struct Unnests;
    impl VisitorMut for Unnests {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
            let TableFactor::UNNEST { alias: Some(alias), array_exprs, with_offset: false, with_ordinality, .. } =
                factor
            else {
                return ControlFlow::Continue(());
            };
            if alias.columns.is_empty() || array_exprs.len() != 1 {
                return ControlFlow::Continue(());
            }
            // Not the UNNEST this rewrite makes.
            if matches!(&array_exprs[0], sqlparser::ast::Expr::Function(f) if f.name.to_string().starts_with(UNNEST_ROWS))
            {
                return ControlFlow::Continue(());
            }
            let function = if *with_ordinality { UNNEST_ROWS_ORDINALITY } else { UNNEST_ROWS };
            let items: Vec<String> = (0..alias.columns.len()).map(|i| format!("__u['f{i}'] AS c{i}")).collect();
            let sql = format!("SELECT {} FROM UNNEST({function}(NULL)) AS __x(__u)", items.join(", "));
            let Ok(mut subquery) = sqlparser::parser::Parser::new(&sqlparser::dialect::GenericDialect {})
                .try_with_sql(&sql)
                .and_then(|mut p| p.parse_query())
            else {
                return ControlFlow::Continue(());
            };
            let array = array_exprs[0].clone();
            let names: Vec<Ident> = alias.columns.iter().map(|c| c.name.clone()).collect();
            struct Fill(Option<sqlparser::ast::Expr>);
            impl VisitorMut for Fill {
                type Break = ();
                fn pre_visit_expr(&mut self, e: &mut sqlparser::ast::Expr) -> ControlFlow<()> {
                    if matches!(e, sqlparser::ast::Expr::Value(v) if v.value == sqlparser::ast::Value::Null) {
                        if let Some(array) = self.0.take() {
                            *e = array;
                        }
                    }
                    ControlFlow::Continue(())
                }
            }
            let mut fill = Fill(Some(array));
            let _ = subquery.visit(&mut fill);
            if let sqlparser::ast::SetExpr::Select(select) = subquery.body.as_mut() {
                for (item, name) in select.projection.iter_mut().zip(&names) {
                    if let sqlparser::ast::SelectItem::ExprWithAlias { alias, .. } = item {
                        *alias = name.clone();
                    }
                }
            }
            *factor = TableFactor::Derived {
                lateral: true,
                subquery,
                alias: Some(TableAlias { explicit: true, name: alias.name.clone(), columns: vec![], at: None }),
                sample: None,
            };
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Unnests);
}

/// Replaces each join of a plan with a correlated `UNNEST` subquery by an `Unnest` over the
/// join's left side (see the module docs); other plans are returned unchanged.
pub fn decorrelate_unnest(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up(|node| {
        let LogicalPlan::Join(join) = &node else { return Ok(Transformed::no(node)) };
        match decorrelated(join)? {
            Some(plan) => Ok(Transformed::yes(plan)),
            None => Ok(Transformed::no(node)),
        }
    })
    .map(|t| t.data)
    .map_err(super::plan_error)
}

/// The columns of `plan`, as expressions.
fn columns(plan: &LogicalPlan) -> Vec<Expr> {
    plan.schema().columns().into_iter().map(Expr::Column).collect()
}

/// `e` with its outer references made plain column references.
fn uncorrelated(e: Expr) -> datafusion_common::Result<Expr> {
    e.transform_up(|e| match e {
        Expr::OuterReferenceColumn(_, c) => Ok(Transformed::yes(Expr::Column(c))),
        e => Ok(Transformed::no(e)),
    })
    .map(|t| t.data)
}

/// `join` as an `Unnest` over its left side, when its right side is a correlated subquery
/// that unnests over a one-row relation.
fn decorrelated(join: &Join) -> datafusion_common::Result<Option<LogicalPlan>> {
    let always = matches!(&join.filter, None | Some(Expr::Literal(ScalarValue::Boolean(Some(true)), _)));
    let null_handling = match join.join_type {
        JoinType::Inner => NullHandling::Drop,
        JoinType::Left => NullHandling::PreserveAndExpandEmpty,
        _ => return Ok(None),
    };
    if !join.on.is_empty() || !always {
        return Ok(None);
    }
    // The right side: [SubqueryAlias] Subquery, then single-input nodes down to one row.
    let (alias, subquery) = match join.right.as_ref() {
        LogicalPlan::SubqueryAlias(SubqueryAlias { input, alias, .. }) => match input.as_ref() {
            LogicalPlan::Subquery(Subquery { subquery, .. }) => (Some(alias.clone()), subquery.clone()),
            _ => return Ok(None),
        },
        LogicalPlan::Subquery(Subquery { subquery, .. }) => (None, subquery.clone()),
        _ => return Ok(None),
    };
    let mut chain = Vec::new();
    let mut at = subquery.as_ref();
    let mut unnests = false;
    loop {
        match at {
            LogicalPlan::EmptyRelation(e) if e.produce_one_row => break,
            LogicalPlan::Projection(_)
            | LogicalPlan::Filter(_)
            | LogicalPlan::SubqueryAlias(_)
            | LogicalPlan::Subquery(_) => {}
            LogicalPlan::Unnest(_) => unnests = true,
            _ => return Ok(None),
        }
        chain.push(at);
        at = at.inputs()[0];
    }
    if !unnests {
        return Ok(None);
    }
    let left = join.left.as_ref().clone();
    let carried = columns(&left);
    let n = carried.len();
    // Rebuilt bottom up over the left side, its columns first in every node.
    let mut plan = left;
    for node in chain.into_iter().rev() {
        plan = match node {
            LogicalPlan::Projection(p) => {
                let mut exprs = carried.clone();
                for e in &p.expr {
                    exprs.push(uncorrelated(e.clone())?);
                }
                LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(plan))?)
            }
            LogicalPlan::Filter(f) => {
                LogicalPlan::Filter(Filter::try_new(uncorrelated(f.predicate.clone())?, Arc::new(plan))?)
            }
            LogicalPlan::SubqueryAlias(a) => requalified(plan, n, &a.alias)?,
            // A nested subquery's outer references are all to the left side.
            LogicalPlan::Subquery(_) => plan,
            LogicalPlan::Unnest(u) => {
                let options = UnnestOptions { null_handling, ..u.options.clone() };
                LogicalPlanBuilder::from(plan).unnest_columns_with_options(u.exec_columns.clone(), options)?.build()?
            }
            _ => unreachable!("only the nodes collected above"),
        };
    }
    Ok(Some(match alias {
        Some(alias) => requalified(plan, n, &alias)?,
        None => plan,
    }))
}

/// `plan` with the columns after the first `carried` qualified by `alias` (a subquery alias
/// that must not rename the carried columns).
fn requalified(
    plan: LogicalPlan,
    carried: usize,
    alias: &datafusion_common::TableReference,
) -> datafusion_common::Result<LogicalPlan> {
    let exprs: Vec<Expr> = plan
        .schema()
        .columns()
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let name = c.name.clone();
            if i < carried {
                Expr::Column(c)
            } else {
                Expr::Column(c).alias_qualified(Some(alias.clone()), name)
            }
        })
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(plan))?))
}
