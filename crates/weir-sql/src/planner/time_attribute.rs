//! Processing-time attributes: which columns of a plan carry `PROCTIME()`.
//!
//! Flink types a processing-time attribute `TIMESTAMP_LTZ(3) *PROCTIME*`: a computed column
//! `p AS PROCTIME()` of a table, a `PROCTIME()` call in a `SELECT`, or such a column passed
//! on unchanged (by projections, filters, aliases, joins, unions, and as `window_time` of a
//! window over one). Anything computed from it is a plain timestamp. Windows, deduplication
//! and Top-N ordered by one, and lookup joins, use the processing time at which a row is
//! processed instead of a value stored in the row.

use datafusion_expr::{Expr, JoinType, LogicalPlan};

use super::context::{StreamTableSource, TableKind};
use crate::catalog::{Column, ColumnSource};
use crate::functions::proctime::{is_proctime_call, PROCTIME};

/// Whether the table column `column` is a processing-time attribute (`AS PROCTIME()`).
pub fn is_proctime_column(column: &Column) -> bool {
    match &column.source {
        ColumnSource::Computed(sqlparser::ast::Expr::Function(f)) => {
            let no_args = match &f.args {
                sqlparser::ast::FunctionArguments::List(l) => l.args.is_empty(),
                sqlparser::ast::FunctionArguments::None => true,
                _ => false,
            };
            no_args && f.name.to_string().eq_ignore_ascii_case(PROCTIME)
        }
        _ => false,
    }
}

/// Whether output column `index` of `plan` is a processing-time attribute.
pub fn is_proctime(plan: &LogicalPlan, index: usize) -> bool {
    match plan {
        LogicalPlan::TableScan(scan) => {
            let index = match &scan.projection {
                Some(p) => match p.get(index) {
                    Some(i) => *i,
                    None => return false,
                },
                None => index,
            };
            let Some(source) = scan.source.downcast_ref::<StreamTableSource>() else { return false };
            match &source.kind {
                TableKind::Table(def) => def.columns.get(index).is_some_and(is_proctime_column),
                TableKind::View(view) => is_proctime(view, index),
                TableKind::Versioned(v) => match &v.view {
                    Some(view) => is_proctime(view, index),
                    None => v.table.columns.get(index).is_some_and(is_proctime_column),
                },
                // `MATCH_ROWTIME()` is a rowtime attribute; partition columns keep nothing.
                TableKind::Match(_) => false,
                TableKind::Window(tvf) => {
                    let n = tvf.input.schema().fields().len();
                    if index < n {
                        is_proctime(&tvf.input, index)
                    } else {
                        tvf.proctime && index == n + 2
                    }
                }
            }
        }
        LogicalPlan::Projection(p) => match p.expr.get(index) {
            Some(e) if is_proctime_call(e) => true,
            Some(e) => passed_column(e).is_some_and(|c| column_is_proctime(&p.input, c)),
            None => false,
        },
        LogicalPlan::Filter(f) => is_proctime(&f.input, index),
        LogicalPlan::SubqueryAlias(a) => is_proctime(&a.input, index),
        LogicalPlan::Sort(s) => is_proctime(&s.input, index),
        LogicalPlan::Limit(l) => is_proctime(&l.input, index),
        LogicalPlan::Window(w) => index < w.input.schema().fields().len() && is_proctime(&w.input, index),
        LogicalPlan::Union(u) => u.inputs.iter().all(|i| is_proctime(i, index)),
        LogicalPlan::Join(j) => {
            let n = j.left.schema().fields().len();
            match j.join_type {
                JoinType::LeftSemi | JoinType::LeftAnti => is_proctime(&j.left, index),
                JoinType::RightSemi | JoinType::RightAnti => is_proctime(&j.right, index),
                _ if index < n => is_proctime(&j.left, index),
                _ => is_proctime(&j.right, index - n),
            }
        }
        // A window aggregation keeps `window_time` of a processing-time window one.
        LogicalPlan::Aggregate(a) => a
            .group_expr
            .get(index)
            .and_then(passed_column)
            .is_some_and(|c| c.name == super::tvf::WINDOW_COLUMNS[2] && column_is_proctime(&a.input, c)),
        _ => false,
    }
}

/// The names of the rowtime attributes `plan` reads: the watermark columns of its tables
/// and the time columns of its window TVFs.
pub fn rowtime_names(plan: &LogicalPlan, names: &mut Vec<String>) {
    if let LogicalPlan::TableScan(scan) = plan {
        if let Some(source) = scan.source.downcast_ref::<StreamTableSource>() {
            match &source.kind {
                TableKind::Table(def) => names.extend(def.watermark.iter().map(|(c, _)| c.clone())),
                TableKind::Versioned(v) => names.extend(v.table.watermark.iter().map(|(c, _)| c.clone())),
                TableKind::View(view) => rowtime_names(view, names),
                TableKind::Match(m) => {
                    names.extend(m.rowtime.map(|i| m.schema.field(i).name().clone()));
                    rowtime_names(&m.input, names);
                }
                TableKind::Window(tvf) => {
                    names.push(tvf.time_column.clone());
                    names.push("window_time".into());
                    rowtime_names(&tvf.input, names);
                }
            }
        }
    }
    for input in plan.inputs() {
        rowtime_names(input, names);
    }
}

/// Whether `column` of `plan`'s output is a processing-time attribute.
pub fn column_is_proctime(plan: &LogicalPlan, column: &datafusion_common::Column) -> bool {
    plan.schema().index_of_column(column).is_ok_and(|i| is_proctime(plan, i))
}

/// The column `expr` passes on unchanged (under aliases), if it is one.
fn passed_column(expr: &Expr) -> Option<&datafusion_common::Column> {
    match expr {
        Expr::Alias(a) => passed_column(&a.expr),
        Expr::Column(c) => Some(c),
        _ => None,
    }
}
