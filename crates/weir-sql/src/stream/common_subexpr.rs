//! Subexpressions a Calc would compute more than once per row, computed once per batch.
//!
//! A filter and a projection often repeat an expression: Nexmark q21 tests
//! `REGEXP_EXTRACT(url, …) IS NOT NULL` in its WHERE and returns the same extraction from its
//! SELECT, and compares `LOWER(channel)` in four `CASE` branches. Such an expression is
//! evaluated once over the batch, appended to it as a column, and every occurrence reads the
//! column instead.
//!
//! Only what would be evaluated over every row anyway is computed ahead: an expression is
//! shared when it occurs at least twice and at least once where it is always evaluated — not
//! only inside a `CASE` branch, the right side of `AND`/`OR`, or a later argument of a
//! function that short-circuits (`COALESCE`). Computing a guarded expression over every row
//! could fail where the guard protects it (`CASE WHEN x <> 0 THEN 10 / x END`). Expressions
//! the filter shares are computed before it, over the input; those only the projection shares
//! are computed after it, over the rows kept. Volatile expressions (`RAND()`) are never shared.

use std::sync::Arc;

use datafusion_common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion_physical_expr::expressions::{BinaryExpr, CaseExpr, Column, Literal};
use datafusion_physical_expr::{PhysicalExpr, ScalarFunctionExpr};

/// Expressions computed once per batch, and the filter and projection rewritten to read them.
#[derive(Debug, Default)]
pub struct Shared {
    /// Evaluated over the input, appended after its columns, before the filter.
    pub before_filter: Vec<Arc<dyn PhysicalExpr>>,
    /// Evaluated over the rows kept, appended after those, before the projection.
    pub before_projection: Vec<Arc<dyn PhysicalExpr>>,
}

/// One distinct subexpression: how often it occurs and whether some occurrence is always
/// evaluated.
struct Occurrences {
    expr: Arc<dyn PhysicalExpr>,
    count: usize,
    unguarded: bool,
}

/// How many nodes `expr` has (the largest shared expressions are taken first).
fn size(expr: &Arc<dyn PhysicalExpr>) -> usize {
    1 + expr.children().iter().map(|c| size(c)).sum::<usize>()
}

/// Whether `expr` is worth sharing: it computes something, and the same each time.
fn shareable(expr: &Arc<dyn PhysicalExpr>) -> bool {
    let any = expr.as_ref();
    let volatile = expr.exists(|e| Ok(e.is_volatile_node())).unwrap_or(true);
    !(any.is::<Column>() || any.is::<Literal>() || expr.children().is_empty() || volatile)
}

/// Counts the shareable subexpressions of `expr` into `seen`; `guarded`: `expr` is evaluated
/// only for some rows.
fn count(expr: &Arc<dyn PhysicalExpr>, guarded: bool, seen: &mut Vec<Occurrences>) {
    if shareable(expr) {
        match seen.iter_mut().find(|o| o.expr.as_ref() == expr.as_ref()) {
            Some(o) => {
                o.count += 1;
                o.unguarded |= !guarded;
            }
            None => seen.push(Occurrences { expr: expr.clone(), count: 1, unguarded: !guarded }),
        }
    }
    let any = expr.as_ref();
    if let Some(case) = any.downcast_ref::<CaseExpr>() {
        // The operand and the first condition are evaluated for every row; the rest only for
        // rows no earlier branch took.
        if let Some(operand) = case.expr() {
            count(operand, guarded, seen);
        }
        for (i, (when, then)) in case.when_then_expr().iter().enumerate() {
            count(when, guarded || i > 0, seen);
            count(then, true, seen);
        }
        if let Some(otherwise) = case.else_expr() {
            count(otherwise, true, seen);
        }
    } else if let Some(binary) = any.downcast_ref::<BinaryExpr>().filter(|b| b.op().is_logic_operator()) {
        count(binary.left(), guarded, seen);
        count(binary.right(), true, seen);
    } else if any.downcast_ref::<ScalarFunctionExpr>().is_some_and(|f| f.fun().short_circuits()) {
        for (i, child) in expr.children().into_iter().enumerate() {
            count(child, guarded || i > 0, seen);
        }
    } else {
        for child in expr.children() {
            count(child, guarded, seen);
        }
    }
}

/// `expr` with every occurrence of `target` replaced by `column`.
fn replace(
    expr: &Arc<dyn PhysicalExpr>,
    target: &Arc<dyn PhysicalExpr>,
    column: &Arc<dyn PhysicalExpr>,
) -> Arc<dyn PhysicalExpr> {
    expr.clone()
        .transform_down(|node| {
            Ok(if node.as_ref() == target.as_ref() {
                Transformed::new(column.clone(), true, TreeNodeRecursion::Jump)
            } else {
                Transformed::no(node)
            })
        })
        .map(|t| t.data)
        .unwrap_or_else(|_| expr.clone())
}

/// The largest expression occurring at least twice in `within`, once unguarded in `anchor`.
fn next_shared(anchor: &[Arc<dyn PhysicalExpr>], within: &[Arc<dyn PhysicalExpr>]) -> Option<Arc<dyn PhysicalExpr>> {
    let mut in_anchor = Vec::new();
    for e in anchor {
        count(e, false, &mut in_anchor);
    }
    let mut all = Vec::new();
    for e in within {
        count(e, false, &mut all);
    }
    all.into_iter()
        .filter(|o| o.count >= 2 && in_anchor.iter().any(|a| a.unguarded && a.expr.as_ref() == o.expr.as_ref()))
        .max_by_key(|o| size(&o.expr))
        .map(|o| o.expr)
}

/// Shares the repeated subexpressions of `filter` and `projection` over an input of `width`
/// columns: rewrites both in place and returns what to compute ahead.
pub fn share(
    filter: &mut Option<Arc<dyn PhysicalExpr>>,
    projection: &mut Option<Vec<Arc<dyn PhysicalExpr>>>,
    width: usize,
) -> Shared {
    let mut shared = Shared::default();
    let mut exprs: Vec<Arc<dyn PhysicalExpr>> = filter.iter().chain(projection.iter().flatten()).cloned().collect();
    let filtered = usize::from(filter.is_some());
    // Before the filter: what the filter always evaluates and something else repeats.
    while let Some(target) = next_shared(&exprs[..filtered], &exprs) {
        let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(
            &format!("__shared_{}", shared.before_filter.len()),
            width + shared.before_filter.len(),
        ));
        exprs = exprs.iter().map(|e| replace(e, &target, &column)).collect();
        shared.before_filter.push(target);
    }
    // Before the projection: what the projection always evaluates and repeats.
    let ahead = width + shared.before_filter.len();
    while let Some(target) = next_shared(&exprs[filtered..], &exprs[filtered..]) {
        let name = format!("__shared_{}", ahead + shared.before_projection.len() - width);
        let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(&name, ahead + shared.before_projection.len()));
        for e in &mut exprs[filtered..] {
            *e = replace(e, &target, &column);
        }
        shared.before_projection.push(target);
    }
    if let Some(f) = filter {
        *f = exprs[0].clone();
    }
    if let Some(p) = projection {
        p.clone_from_slice(&exprs[filtered..]);
    }
    shared
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
    use datafusion_common::{DFSchema, ScalarValue};
    use datafusion_expr::execution_props::ExecutionProps;
    use datafusion_expr::{col, lit, when, Expr};

    use super::*;
    use crate::changelog::RowKind;
    use crate::stream::batch::Changes;
    use crate::stream::calc::CalcOperator;

    fn input() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("c", DataType::Utf8, true), Field::new("x", DataType::Int64, true)]))
    }

    fn physical(e: Expr) -> Arc<dyn PhysicalExpr> {
        let schema = DFSchema::try_from(input().as_ref().clone()).unwrap();
        datafusion_physical_expr::create_physical_expr(
            &e,
            &schema,
            &ExecutionProps::new(),
            &datafusion_expr::physical_planning_context::PhysicalPlanningContext::default(),
        )
        .unwrap()
    }

    fn lower(e: Expr) -> Expr {
        datafusion_functions::string::lower().call(vec![e])
    }

    fn sql(e: &Arc<dyn PhysicalExpr>) -> String {
        e.to_string()
    }

    /// Nexmark q21's shape: the extraction the filter tests is also returned (in an ELSE),
    /// and `LOWER(c)` is compared in every branch.
    #[test]
    fn shares_what_is_evaluated_for_every_row_anyway() {
        let extract = || datafusion_functions::unicode::reverse().call(vec![col("c")]);
        let mut filter = Some(physical(extract().is_not_null().or(lower(col("c")).in_list(vec![lit("a")], false))));
        let case = when(lower(col("c")).eq(lit("a")), lit("0"))
            .when(lower(col("c")).eq(lit("b")), lit("1"))
            .otherwise(extract())
            .unwrap();
        let mut projection = Some(vec![physical(col("x")), physical(case)]);
        let shared = share(&mut filter, &mut projection, 2);
        assert_eq!(shared.before_filter.iter().map(sql).collect::<Vec<_>>(), vec!["reverse(c@0)"]);
        // LOWER(c) is guarded in the filter (right of OR) but not in the first WHEN.
        assert_eq!(shared.before_projection.iter().map(sql).collect::<Vec<_>>(), vec!["lower(c@0)"]);
        let filter = sql(filter.as_ref().unwrap());
        assert!(filter.starts_with("__shared_0@2 IS NOT NULL OR lower(c@0)"), "{filter}");
        let case = sql(&projection.as_ref().unwrap()[1]);
        assert!(!case.contains("lower") && !case.contains("reverse"), "{case}");
        assert!(case.contains("__shared_1@3") && case.contains("__shared_0@2"), "{case}");
    }

    /// An expression occurring only under a guard is left where it is: computed over every
    /// row, `10 / x` would fail where `x <> 0` protects it.
    #[test]
    fn leaves_guarded_and_volatile_expressions_alone() {
        let divide = || lit(10i64) / col("x");
        let guarded = || when(col("x").not_eq(lit(0i64)), divide()).otherwise(lit(ScalarValue::Int64(None))).unwrap();
        let mut filter = None;
        let mut projection = Some(vec![physical(guarded()), physical(guarded() + lit(1i64))]);
        let shared = share(&mut filter, &mut projection, 2);
        // The whole CASE repeats unguarded; the division inside it is not shared by itself.
        assert_eq!(shared.before_projection.len(), 1);
        assert!(sql(&shared.before_projection[0]).starts_with("CASE"));
        let random = || datafusion_functions::math::random().call(vec![]) + lit(1.0);
        let mut projection = Some(vec![physical(random()), physical(random())]);
        assert!(share(&mut None, &mut projection, 2).before_projection.is_empty());
        let mut projection = Some(vec![physical(guarded() * lit(0i64)).clone(), physical(col("x"))]);
        assert!(share(&mut None, &mut projection, 2).before_projection.is_empty());
    }

    /// The Calc computes the same rows with shared columns as without, filter removing rows.
    #[test]
    fn a_calc_with_shared_columns_computes_the_same_rows() {
        let c = StringArray::from(vec![Some("A"), None, Some("b"), Some("B"), Some("c")]);
        let x = Int64Array::from(vec![Some(1), Some(0), None, Some(5), Some(0)]);
        let batch = arrow::array::RecordBatch::try_new(input(), vec![Arc::new(c), Arc::new(x)]).unwrap();
        let changes = Changes::with_kinds(batch, vec![RowKind::Insert; 5]);
        let filter = lower(col("c")).eq(lit("b")).or(lower(col("c")).eq(lit("a")).and(col("x").gt(lit(0i64))));
        let filter = filter.or(lower(col("c")).is_null());
        let out = Arc::new(Schema::new(vec![
            Field::new("l", DataType::Utf8, true),
            Field::new("d", DataType::Int64, true),
            Field::new("u", DataType::Utf8, true),
        ]));
        let guarded = || when(col("x").not_eq(lit(0i64)), lit(10i64) / col("x")).otherwise(lit(-1i64)).unwrap();
        let projection = vec![physical(lower(col("c"))), physical(guarded()), physical(lower(col("c")))];
        let plain = CalcOperator::new(Some(physical(filter.clone())), Some(projection.clone()), out.clone());
        let shared = CalcOperator::new(Some(physical(filter)), Some(projection), out).with_shared_subexpressions(2);
        let expected = plain.apply(changes.clone()).unwrap().unwrap();
        let got = shared.apply(changes).unwrap().unwrap();
        assert_eq!(got.rows, expected.rows);
        assert_eq!(got.len(), 4, "the row with c = 'c' is filtered out");
        let l = got.rows.column(0).as_any().downcast_ref::<StringArray>().unwrap();
        assert_eq!(l.iter().collect::<Vec<_>>(), vec![Some("a"), None, Some("b"), Some("b")]);
        assert!(got.rows.column(1).is_valid(1));
    }
}
