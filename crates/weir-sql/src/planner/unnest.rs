//! Flink's `CROSS JOIN UNNEST(…)`, `LEFT JOIN UNNEST(…) ON TRUE` and `FROM t, UNNEST(…)`: each
//! row of the left side joined with the rows of a collection it holds.
//!
//! 1. Before planning, [`rewrite_unnest`] plans `e` of each `UNNEST(e)` alone, over what
//!    stands left of it, to learn its columns (Flink's names when the query gives none: a
//!    map's `KEY` and `VALUE`, a ROW element's fields, `EXPR$0`, `ORDINALITY`). It then turns
//!    `UNNEST(e) [WITH ORDINALITY] AS t(c1, …)` into the lateral derived table `LATERAL
//!    (SELECT __u['f0'] AS c1, … FROM UNNEST(flink_unnest_rows(e)) AS __x(__u)) AS t`:
//!    `flink_unnest_rows` makes one row per element — the element, the fields of a ROW element
//!    (none for a NULL ROW), a map entry's key and value, and the position with `WITH
//!    ORDINALITY` (see [`crate::functions::collection`]) — which DataFusion unnests as a list.
//! 2. DataFusion plans a lateral `UNNEST` as a join with a correlated subquery over a one-row
//!    relation. After planning, [`decorrelate_unnest`] puts the left side in place of that
//!    relation, so the plan is an `Unnest` over the left side (its columns carried through): no
//!    subquery and no join. Rows whose collection is NULL or empty are dropped under `CROSS
//!    JOIN` and kept once, with NULLs, under `LEFT JOIN … ON TRUE`, as in Flink.

use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::{NullHandling, ScalarValue, UnnestOptions};
use datafusion_expr::logical_plan::{Filter, Join, JoinType, Projection, Subquery, SubqueryAlias};
use datafusion_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use sqlparser::ast::helpers::attached_token::AttachedToken;
use sqlparser::ast::{
    Cte, Expr as SqlExpr, Ident, Query, SelectItem, SetExpr, Spanned, TableAlias, TableAliasColumnDef, TableFactor,
    TableWithJoins, VisitMut, VisitorMut, With,
};
use sqlparser::tokenizer::Span;

use super::PlanContext;
use crate::error::{Result, SqlError};
use crate::functions::collection::{UNNEST_ROWS, UNNEST_ROWS_ORDINALITY};
use crate::parser::ast::Position;
use crate::types::FlinkType;

/// Rewrites every `UNNEST(e) [WITH ORDINALITY] [AS t[(c1, …)]]` in `query` (see the module docs).
///
/// The columns an `UNNEST` gives depend on the type of `e`, so `e` is first planned alone
/// against what stands left of the `UNNEST` in its `FROM` (see [`element_columns`]): that
/// names the columns of an `UNNEST` without column names as Flink does, and finds an argument
/// that is no collection, or a column list of the wrong length. Where `e` cannot be planned
/// alone (it refers to an enclosing query), a named `UNNEST` is rewritten unchecked and an
/// unnamed one is left to DataFusion.
///
/// # Errors
/// A validation error, at the argument or the column list, when `e` is not an ARRAY or a MAP
/// or when the column list's length differs from the number of columns the `UNNEST` gives.
pub fn rewrite_unnest(context: &PlanContext<'_>, query: &mut Query) -> Result<()> {
    let mut walk = Walk { context, ctes: Vec::new(), unnamed: 0 };
    walk.query(query)?;
    // UNNESTs in expressions' subqueries, not reached by the walk.
    struct Named;
    impl VisitorMut for Named {
        type Break = ();
        fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
            rewrite_factor(factor);
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Named);
    Ok(())
}

/// The walk over a query's `FROM` clauses, left to right, with the common table expressions
/// in scope.
struct Walk<'c, 'a> {
    context: &'c PlanContext<'a>,
    ctes: Vec<Cte>,
    /// How many `UNNEST`s without an alias were given one (their aliases must differ).
    unnamed: usize,
}

impl Walk<'_, '_> {
    fn query(&mut self, query: &mut Query) -> Result<()> {
        let scope = self.ctes.len();
        if let Some(with) = &mut query.with {
            for cte in &mut with.cte_tables {
                self.query(&mut cte.query)?;
                self.ctes.push(cte.clone());
            }
        }
        let result = self.set_expr(&mut query.body);
        self.ctes.truncate(scope);
        result
    }

    fn set_expr(&mut self, body: &mut SetExpr) -> Result<()> {
        match body {
            SetExpr::Select(select) => self.from(&mut select.from, &[]),
            SetExpr::Query(query) => self.query(query),
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left)?;
                self.set_expr(right)
            }
            _ => Ok(()),
        }
    }

    /// The relations of a `FROM` list, each with what stands left of it (`outer`, then the
    /// earlier items of `from`).
    fn from(&mut self, from: &mut [TableWithJoins], outer: &[TableWithJoins]) -> Result<()> {
        for i in 0..from.len() {
            let mut left: Vec<TableWithJoins> = outer.iter().chain(&from[..i]).cloned().collect();
            self.factor(&mut from[i].relation, &left)?;
            left.push(TableWithJoins { relation: from[i].relation.clone(), joins: Vec::new() });
            for j in 0..from[i].joins.len() {
                self.factor(&mut from[i].joins[j].relation, &left)?;
                let joined = from[i].joins[j].clone();
                left.last_mut().expect("the item just pushed").joins.push(joined);
            }
        }
        Ok(())
    }

    fn factor(&mut self, factor: &mut TableFactor, left: &[TableWithJoins]) -> Result<()> {
        match factor {
            TableFactor::Derived { subquery, .. } => return self.query(subquery),
            TableFactor::NestedJoin { table_with_joins, .. } => {
                return self.from(std::slice::from_mut(table_with_joins.as_mut()), left)
            }
            TableFactor::UNNEST { alias, array_exprs, with_offset: false, with_ordinality, .. }
                if array_exprs.len() == 1 && !is_rewritten(&array_exprs[0]) =>
            {
                if let Some(t) = self.argument_type(&array_exprs[0], left) {
                    let columns = element_columns(&t, *with_ordinality).ok_or_else(|| {
                        let name = FlinkType::from_arrow(&t, true).map_or_else(|| t.to_string(), |t| t.to_string());
                        at(
                            SqlError::validation(format!(
                                "Cannot apply 'UNNEST' to arguments of type 'UNNEST(<{name}>)'. Supported form(s): \
                                 'UNNEST(<ARRAY>)', 'UNNEST(<MAP>)'"
                            )),
                            array_exprs[0].span(),
                        )
                    })?;
                    let alias = alias.get_or_insert_with(|| {
                        self.unnamed += 1;
                        TableAlias {
                            explicit: false,
                            name: Ident::new(format!("__unnest{}", self.unnamed)),
                            columns: vec![],
                            at: None,
                        }
                    });
                    if alias.columns.is_empty() {
                        alias.columns = columns
                            .into_iter()
                            .map(|c| TableAliasColumnDef { name: Ident::new(c), data_type: None })
                            .collect();
                    } else if alias.columns.len() != columns.len() {
                        let names: Vec<String> = columns.iter().map(|c| format!("'{c}'")).collect();
                        return Err(at(
                            SqlError::validation(format!(
                                "List of column aliases must have same degree as table; table has {} columns ({}), \
                                 whereas alias list has {} columns",
                                columns.len(),
                                names.join(", "),
                                alias.columns.len()
                            )),
                            alias.columns[0].name.span,
                        ));
                    }
                }
                rewrite_factor(factor);
            }
            _ => {}
        }
        Ok(())
    }

    /// The type of `e` planned in a query over `left` alone, if it plans.
    fn argument_type(&self, e: &SqlExpr, left: &[TableWithJoins]) -> Option<DataType> {
        let mut probe = parse_query("SELECT NULL")?;
        if !self.ctes.is_empty() {
            probe.with =
                Some(With { with_token: AttachedToken::empty(), recursive: false, cte_tables: self.ctes.clone() });
        }
        let SetExpr::Select(select) = probe.body.as_mut() else { return None };
        select.projection = vec![SelectItem::UnnamedExpr(e.clone())];
        select.from = left.to_vec();
        let plan = super::to_logical_plan(self.context, probe).ok()?;
        Some(plan.schema().field(0).data_type().clone())
    }
}

/// The names Flink gives the columns of an `UNNEST` of a `t`: a map's `KEY` and `VALUE`, the
/// fields of an array's ROW elements, `EXPR$0` for other elements, then `ORDINALITY`; `None`
/// when `t` is no collection.
pub fn element_columns(t: &DataType, ordinality: bool) -> Option<Vec<String>> {
    let mut columns: Vec<String> = match t {
        DataType::Map(_, _) => vec!["KEY".into(), "VALUE".into()],
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => match f.data_type() {
            DataType::Struct(fields) => fields.iter().map(|f| f.name().clone()).collect(),
            _ => vec!["EXPR$0".into()],
        },
        _ => return None,
    };
    if ordinality {
        columns.push("ORDINALITY".into());
    }
    Some(columns)
}

/// `error` at the start of `span`, when the span is known.
fn at(error: SqlError, span: Span) -> SqlError {
    if span.start.line == 0 {
        return error;
    }
    error.at(Position { line: span.start.line, column: span.start.column })
}

fn parse_query(sql: &str) -> Option<Query> {
    sqlparser::parser::Parser::new(&sqlparser::dialect::GenericDialect {})
        .try_with_sql(sql)
        .and_then(|mut p| p.parse_query())
        .ok()
        .map(|q| *q)
}

/// Whether `e` is the argument this rewrite makes.
fn is_rewritten(e: &SqlExpr) -> bool {
    matches!(e, SqlExpr::Function(f) if f.name.to_string().starts_with(UNNEST_ROWS))
}

/// `factor` as the lateral derived table of the module docs, when it is an `UNNEST` of one
/// collection with column names; otherwise unchanged.
fn rewrite_factor(factor: &mut TableFactor) {
    let TableFactor::UNNEST { alias: Some(alias), array_exprs, with_offset: false, with_ordinality, .. } = factor
    else {
        return;
    };
    if alias.columns.is_empty() || array_exprs.len() != 1 || is_rewritten(&array_exprs[0]) {
        return;
    }
    let function = if *with_ordinality { UNNEST_ROWS_ORDINALITY } else { UNNEST_ROWS };
    let items: Vec<String> = (0..alias.columns.len()).map(|i| format!("__u['f{i}'] AS c{i}")).collect();
    let sql = format!("SELECT {} FROM UNNEST({function}(NULL)) AS __x(__u)", items.join(", "));
    let Some(mut subquery) = parse_query(&sql) else { return };
    let array = array_exprs[0].clone();
    let names: Vec<Ident> = alias.columns.iter().map(|c| c.name.clone()).collect();
    struct Fill(Option<SqlExpr>);
    impl VisitorMut for Fill {
        type Break = ();
        fn pre_visit_expr(&mut self, e: &mut SqlExpr) -> ControlFlow<()> {
            if matches!(e, SqlExpr::Value(v) if v.value == sqlparser::ast::Value::Null) {
                if let Some(array) = self.0.take() {
                    *e = array;
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut fill = Fill(Some(array));
    let _ = subquery.visit(&mut fill);
    if let SetExpr::Select(select) = subquery.body.as_mut() {
        for (item, name) in select.projection.iter_mut().zip(&names) {
            if let SelectItem::ExprWithAlias { alias, .. } = item {
                *alias = name.clone();
            }
        }
    }
    *factor = TableFactor::Derived {
        lateral: true,
        subquery: Box::new(subquery),
        alias: Some(TableAlias { explicit: true, name: alias.name.clone(), columns: vec![], at: None }),
        sample: None,
    };
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{Field, Fields};

    #[test]
    fn columns_are_named_after_the_collection_as_flink_names_them() {
        let list = |t: DataType| DataType::List(Arc::new(Field::new("item", t, true)));
        let row = DataType::Struct(Fields::from(vec![
            Field::new("item", DataType::Utf8, true),
            Field::new("n", DataType::Int32, true),
        ]));
        let entries = Field::new(
            "entries",
            DataType::Struct(Fields::from(vec![
                Field::new("key", DataType::Utf8, false),
                Field::new("value", DataType::Int32, true),
            ])),
            false,
        );
        let map = DataType::Map(Arc::new(entries), false);
        let cases: [(DataType, bool, Option<&[&str]>); 6] = [
            (map.clone(), false, Some(&["KEY", "VALUE"])),
            (map, true, Some(&["KEY", "VALUE", "ORDINALITY"])),
            (list(row), false, Some(&["item", "n"])),
            (list(DataType::Utf8), false, Some(&["EXPR$0"])),
            (list(DataType::Int32), true, Some(&["EXPR$0", "ORDINALITY"])),
            (DataType::Int32, false, None),
        ];
        for (t, ordinality, expected) in cases {
            let expected = expected.map(|names| names.iter().map(|n| n.to_string()).collect::<Vec<_>>());
            assert_eq!(element_columns(&t, ordinality), expected, "{t}");
        }
    }
}
