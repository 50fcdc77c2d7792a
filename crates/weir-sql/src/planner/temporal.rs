//! `FOR SYSTEM_TIME AS OF`: a table read as of a time of the other side of a join
//! (Flink's temporal join on a versioned table). sqlparser keeps the clause on the table
//! factor, but DataFusion's planner drops it; so, as for window TVFs, each versioned table
//! is replaced before planning by a stand-in relation that remembers the table and the
//! `AS OF` column, for the streaming planner to find under the join.
//!
//! The versioned relation is a table with a primary key and a watermark, or a **versioned
//! view** (Flink's "Versioned Views"): typically a view deduplicating an append-only
//! relation, keeping the last row per key ordered by its rowtime attribute,
//! `WHERE ROW_NUMBER() OVER (PARTITION BY k ORDER BY rowtime DESC) = 1`. Flink infers a
//! primary key (the `PARTITION BY` columns) for any such `ROW_NUMBER() = 1` and the rowtime
//! attribute passes through it, which is all a versioned table needs; each row the view
//! emits is a new version of its key.

use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion_common::ScalarValue;
use datafusion_expr::utils::split_conjunction;
use datafusion_expr::{BinaryExpr, LogicalPlan, Operator, WindowFunctionDefinition};
use sqlparser::ast::{
    BinaryOperator, Expr, Ident, JoinConstraint, JoinOperator, Query, SetExpr, TableFactor, TableVersion, VisitMut,
    VisitorMut,
};

use super::context::PlanContext;
use crate::catalog::TableDef;
use crate::error::{Result, SqlError};

/// A table read `FOR SYSTEM_TIME AS OF` a column of the join's other side.
#[derive(Debug)]
pub struct VersionedTable {
    /// The table: it has a primary key and a watermark. For a versioned view, what the join
    /// needs of it as a table: its name, its key and its rowtime column as the watermark
    /// column (no columns, no connector).
    pub table: Arc<TableDef>,
    /// A versioned view's plan; `None` for a table.
    pub view: Option<Arc<LogicalPlan>>,
    /// The `AS OF` column as written (`o.order_time`: qualifier and name).
    pub as_of: Vec<String>,
}

impl VersionedTable {
    /// The relation's columns.
    pub fn schema(&self) -> SchemaRef {
        match &self.view {
            Some(plan) => Arc::new(plan.schema().as_arrow().clone()),
            None => self.table.schema(),
        }
    }

    /// Whether `other` reads the same relation as of the same column.
    pub(crate) fn same_as(&self, other: &VersionedTable) -> bool {
        let same_relation = match (&self.view, &other.view) {
            (None, None) => Arc::ptr_eq(&self.table, &other.table),
            (Some(a), Some(b)) => Arc::ptr_eq(a, b) && self.table.name == other.table.name,
            _ => false,
        };
        same_relation && self.as_of == other.as_of
    }
}

/// Replaces the versioned tables of `query` by stand-in relations registered in `context`.
pub fn replace_versioned_tables(context: &PlanContext<'_>, query: &mut Query) -> Result<()> {
    struct Replacer<'c, 'a> {
        context: &'c PlanContext<'a>,
    }
    impl VisitorMut for Replacer<'_, '_> {
        type Break = SqlError;
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<SqlError> {
            bind_versions(self.context, &mut query.body);
            ControlFlow::Continue(())
        }
        fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<SqlError> {
            let TableFactor::Table { name, alias, version: Some(version), .. } = factor else {
                return ControlFlow::Continue(());
            };
            match versioned(self.context, name, version) {
                Ok(v) => {
                    let table_name = v.table.name.clone();
                    let stand_in = {
                        let mut tables = self.context.versioned.borrow_mut();
                        let stand_in = format!("__versioned_{}", tables.len());
                        tables.insert(stand_in.clone(), Arc::new(v));
                        stand_in
                    };
                    // Without an alias the columns stay qualified by the table's own name.
                    let alias = alias.clone();
                    let text = format!("{stand_in} AS \"{}\"", table_name.replace('"', "\"\""));
                    match super::tvf::stand_in_factor(&text) {
                        Some(mut table) => {
                            if let (TableFactor::Table { alias: a, .. }, Some(alias)) = (&mut table, alias) {
                                *a = Some(alias);
                            }
                            *factor = table;
                            ControlFlow::Continue(())
                        }
                        None => ControlFlow::Break(SqlError::unsupported("cannot build a versioned relation")),
                    }
                }
                Err(e) => ControlFlow::Break(e),
            }
        }
    }
    match query.visit(&mut Replacer { context }) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// Adds `version.time <= as_of` to the `ON` condition of each join with a versioned
/// table in `body`. It holds for the version a temporal join picks; written out, it keeps
/// both time columns in the plan, which DataFusion would otherwise prune once the
/// `FOR SYSTEM_TIME AS OF` clause is gone.
fn bind_versions(context: &PlanContext<'_>, body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            for from in &mut select.from {
                for join in &mut from.joins {
                    let TableFactor::Table {
                        name, alias, version: Some(TableVersion::ForSystemTimeAsOf(as_of)), ..
                    } = &join.relation
                    else {
                        continue;
                    };
                    let path = context.catalog().path(name);
                    let Some(Ok((table, _))) = path.ok().map(|p| version_source(context, &p)) else {
                        continue;
                    };
                    let qualifier = alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| Ident::new(&table.name));
                    let bound = match &table.watermark {
                        Some((time, _)) => Expr::BinaryOp {
                            left: Box::new(Expr::CompoundIdentifier(vec![qualifier, Ident::new(time)])),
                            op: BinaryOperator::LtEq,
                            right: Box::new(as_of.clone()),
                        },
                        // No version time: a marker that is always true keeps the AS OF
                        // column for a lookup join, which drops it again.
                        None => {
                            let Some(first) = table.columns.first() else { continue };
                            let column = Expr::CompoundIdentifier(vec![qualifier, Ident::new(&first.name)]);
                            match as_of_marker(as_of.clone(), column) {
                                Some(marker) => marker,
                                None => continue,
                            }
                        }
                    };
                    if let JoinOperator::Join(JoinConstraint::On(on))
                    | JoinOperator::Inner(JoinConstraint::On(on))
                    | JoinOperator::Left(JoinConstraint::On(on))
                    | JoinOperator::LeftOuter(JoinConstraint::On(on)) = &mut join.join_operator
                    {
                        let condition = std::mem::replace(on, Expr::value(sqlparser::ast::Value::Null));
                        *on = Expr::BinaryOp {
                            left: Box::new(Expr::Nested(Box::new(condition))),
                            op: BinaryOperator::And,
                            right: Box::new(bound),
                        };
                    }
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            bind_versions(context, left);
            bind_versions(context, right);
        }
        _ => {}
    }
}

/// `__system_time_as_of(as_of, column)`: see [`crate::functions::proctime::AS_OF_MARKER`].
fn as_of_marker(as_of: Expr, column: Expr) -> Option<Expr> {
    let dialect = sqlparser::dialect::GenericDialect {};
    let sql = format!("SELECT {}(a, b)", crate::functions::proctime::AS_OF_MARKER);
    let statements = sqlparser::parser::Parser::parse_sql(&dialect, &sql).ok()?;
    let sqlparser::ast::Statement::Query(q) = statements.into_iter().next()? else { return None };
    let SetExpr::Select(select) = *q.body else { return None };
    let sqlparser::ast::SelectItem::UnnamedExpr(Expr::Function(mut f)) = select.projection.into_iter().next()? else {
        return None;
    };
    let sqlparser::ast::FunctionArguments::List(list) = &mut f.args else { return None };
    list.args = [as_of, column]
        .into_iter()
        .map(|e| sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(e)))
        .collect();
    Some(Expr::Function(f))
}

fn versioned(
    context: &PlanContext<'_>,
    name: &sqlparser::ast::ObjectName,
    version: &TableVersion,
) -> Result<VersionedTable> {
    let TableVersion::ForSystemTimeAsOf(expr) = version else {
        return Err(SqlError::unsupported(format!(
            "'{version}' is not supported; Flink SQL versions a table with FOR SYSTEM_TIME AS OF"
        )));
    };
    let as_of = match expr {
        Expr::Identifier(i) => vec![i.value.clone()],
        Expr::CompoundIdentifier(parts) => parts.iter().map(|p| p.value.clone()).collect(),
        other => {
            return Err(SqlError::unsupported(format!(
                "FOR SYSTEM_TIME AS OF takes a time attribute column of the other input (such as o.order_time), not '{other}'"
            )))
        }
    };
    let path = context.catalog().path(name)?;
    // Whether it is versioned (a primary key and a watermark) or read whole by a lookup
    // join depends on the AS OF column, known once the join is planned.
    let (table, view) = version_source(context, &path)?;
    Ok(VersionedTable { table, view, as_of })
}

/// The relation `name` read `FOR SYSTEM_TIME AS OF`: a catalog table, or a versioned view
/// with its description as a table.
fn version_source(
    context: &PlanContext<'_>,
    path: &crate::catalog::ObjectPath,
) -> Result<(Arc<TableDef>, Option<Arc<LogicalPlan>>)> {
    let name = &path.name;
    if let Some(table) = context.catalog().table_at(path) {
        return Ok((table.clone(), None));
    }
    let Some(view) = context.catalog().view_at(path) else {
        return Err(SqlError::unsupported(format!(
            "FOR SYSTEM_TIME AS OF needs a table (a versioned one, or a bounded one for a lookup join) or a versioned \
             view; '{name}' is neither"
        )));
    };
    let VersionedView { key, time } = match versioned_view(&view.plan) {
        Ok(versioned) => versioned,
        Err(NotVersioned::Key) => {
            return Err(SqlError::validation(format!(
                "Temporal Table Join requires primary key in versioned table, but no primary key can be found. \
                 The view '{name}' has none: a versioned view keeps one row per key, as a deduplication does: \
                 SELECT … FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY rowtime DESC) AS rn FROM t) \
                 WHERE rn = 1"
            )))
        }
        Err(NotVersioned::Time) => {
            return Err(SqlError::validation(format!(
                "Event-Time Temporal Table Join requires both primary key and row time attribute in versioned \
                 table, but no row time attribute can be found. The view '{name}' does not keep one"
            )))
        }
    };
    let def = TableDef {
        name: name.to_string(),
        columns: Vec::new(),
        watermark: Some((time.clone(), Expr::Identifier(Ident::new(time)))),
        primary_key: key,
        partitioned_by: Vec::new(),
        options: Default::default(),
        comment: None,
        read_columns: None,
    };
    Ok((Arc::new(def), Some(view.plan.clone())))
}

/// What makes a view versioned: its key columns and its rowtime column, by output name.
#[derive(Debug, PartialEq)]
struct VersionedView {
    key: Vec<String>,
    time: String,
}

/// Why a view is not versioned, in Flink's words.
#[derive(Debug, PartialEq)]
enum NotVersioned {
    /// No primary key can be inferred.
    Key,
    /// A key, but no rowtime attribute.
    Time,
}

/// The key and version time of `plan` when it is a versioned view: one row per key, as a
/// `ROW_NUMBER() OVER (PARTITION BY k ORDER BY …) = 1` makes (Flink infers the primary key
/// `k` from it; ordered by the rowtime, it is a deduplication), under projections, filters
/// and aliases that keep the key and a rowtime attribute (the version time: the `ORDER BY`
/// column when it is one).
fn versioned_view(plan: &LogicalPlan) -> std::result::Result<VersionedView, NotVersioned> {
    // The nodes from the top down to the ranking window.
    let mut above = Vec::new();
    let mut node = plan;
    let window = loop {
        match node {
            LogicalPlan::Window(w) => break w,
            LogicalPlan::Projection(_) | LogicalPlan::Filter(_) | LogicalPlan::SubqueryAlias(_) => {
                above.push(node);
                node = node.inputs()[0];
            }
            _ => return Err(NotVersioned::Key),
        }
    };
    let [window_expr] = window.window_expr.as_slice() else { return Err(NotVersioned::Key) };
    let datafusion_expr::Expr::WindowFunction(f) = strip_cast(window_expr) else { return Err(NotVersioned::Key) };
    let WindowFunctionDefinition::WindowUDF(udf) = &f.fun else { return Err(NotVersioned::Key) };
    if !udf.name().eq_ignore_ascii_case("row_number") || f.params.partition_by.is_empty() {
        return Err(NotVersioned::Key);
    }
    let input_schema = window.input.schema();
    let index = |e: &datafusion_expr::Expr| match passed_column(e) {
        Some(c) => input_schema.index_of_column(c).ok(),
        None => None,
    };
    let key: Vec<usize> = f.params.partition_by.iter().map(index).collect::<Option<_>>().ok_or(NotVersioned::Key)?;
    // The rowtime attributes of the input, the ORDER BY column first.
    let mut rowtimes = Vec::new();
    super::time_attribute::rowtime_names(&window.input, &mut rowtimes);
    let is_rowtime = |i: usize| {
        let field = input_schema.field(i);
        matches!(field.data_type(), arrow::datatypes::DataType::Timestamp(..)) && rowtimes.contains(field.name())
    };
    let order = match f.params.order_by.as_slice() {
        [order] => index(&order.expr).filter(|&i| is_rowtime(i)),
        _ => None,
    };
    let times: Vec<usize> =
        order.into_iter().chain((0..input_schema.fields().len()).filter(|&i| is_rowtime(i))).collect();
    // Follow the key, the times and the row number up to the view's output; a filter keeps
    // the first row number only.
    let mut columns: Vec<Option<usize>> = key.iter().chain(&times).map(|&i| Some(i)).collect();
    let mut rank = Some(window.schema.fields().len() - 1);
    let mut kept_first = false;
    for node in above.iter().rev() {
        match node {
            LogicalPlan::Projection(p) => {
                let moved = |i: Option<usize>| {
                    let i = i?;
                    p.expr.iter().position(|e| {
                        passed_column(e).and_then(|c| p.input.schema().index_of_column(c).ok()) == Some(i)
                    })
                };
                columns = columns.into_iter().map(&moved).collect();
                rank = moved(rank);
            }
            LogicalPlan::Filter(filter) => {
                let Some(r) = rank else { continue };
                kept_first |=
                    split_conjunction(&filter.predicate).iter().any(|c| first_only(c, r, filter.input.schema()));
            }
            _ => {}
        }
    }
    let name = |i: usize| plan.schema().field(i).name().clone();
    let (key, times) = columns.split_at(key.len());
    let key: Vec<String> = key.iter().map(|i| i.map(name)).collect::<Option<_>>().ok_or(NotVersioned::Key)?;
    if !kept_first {
        return Err(NotVersioned::Key);
    }
    let time = times.iter().flatten().next().map(|&i| name(i)).ok_or(NotVersioned::Time)?;
    Ok(VersionedView { key, time })
}

/// Whether `conjunct` keeps the first row number only (`rn = 1`, `rn <= 1`, `rn < 2`), the
/// row number being column `rank` of `schema`.
fn first_only(conjunct: &datafusion_expr::Expr, rank: usize, schema: &datafusion_common::DFSchema) -> bool {
    let is_rank =
        |e: &datafusion_expr::Expr| passed_cast_column(e).is_some_and(|c| schema.index_of_column(c).ok() == Some(rank));
    let int = |e: &datafusion_expr::Expr| match strip_cast(e) {
        datafusion_expr::Expr::Literal(v, _) => match v.cast_to(&arrow::datatypes::DataType::Int64) {
            Ok(ScalarValue::Int64(Some(n))) => Some(n),
            _ => None,
        },
        _ => None,
    };
    let datafusion_expr::Expr::BinaryExpr(BinaryExpr { left, op, right }) = conjunct else { return false };
    let (op, n) = if is_rank(left) {
        (*op, int(right))
    } else if is_rank(right) {
        match op.swap() {
            Some(op) => (op, int(left)),
            None => return false,
        }
    } else {
        return false;
    };
    matches!((op, n), (Operator::Eq | Operator::LtEq, Some(1)) | (Operator::Lt, Some(2)))
}

fn strip_cast(e: &datafusion_expr::Expr) -> &datafusion_expr::Expr {
    match e {
        datafusion_expr::Expr::Cast(c) => strip_cast(&c.expr),
        datafusion_expr::Expr::TryCast(c) => strip_cast(&c.expr),
        datafusion_expr::Expr::Alias(a) => strip_cast(&a.expr),
        e => e,
    }
}

/// The column `e` passes on unchanged (under aliases).
fn passed_column(e: &datafusion_expr::Expr) -> Option<&datafusion_common::Column> {
    match e {
        datafusion_expr::Expr::Alias(a) => passed_column(&a.expr),
        datafusion_expr::Expr::Column(c) => Some(c),
        _ => None,
    }
}

/// The column `e` reads, under aliases and casts.
fn passed_cast_column(e: &datafusion_expr::Expr) -> Option<&datafusion_common::Column> {
    match strip_cast(e) {
        datafusion_expr::Expr::Column(c) => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_plan(query: &str) -> Arc<LogicalPlan> {
        let ddl = format!(
            "CREATE TABLE log (cur STRING, rate INT, ts TIMESTAMP(3), n TIMESTAMP(3), WATERMARK FOR ts AS ts) \
             WITH ('connector' = 'datagen'); CREATE VIEW v AS {query};"
        );
        crate::planner::test_support::catalog(&ddl).view("v").expect("created").plan.clone()
    }

    fn dedup(select: &str, order: &str, filter: &str) -> String {
        format!(
            "SELECT {select} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY cur ORDER BY {order}) AS rn FROM log) \
             WHERE {filter}"
        )
    }

    #[test]
    fn a_single_row_per_key_with_a_rowtime_is_a_versioned_view() {
        let versioned =
            |select: &str, order: &str, filter: &str| versioned_view(&view_plan(&dedup(select, order, filter)));
        let key_and_time = |key: &str, time: &str| Ok(VersionedView { key: vec![key.into()], time: time.into() });
        assert_eq!(versioned("cur, rate, ts", "ts DESC", "rn = 1"), key_and_time("cur", "ts"));
        assert_eq!(versioned("*", "ts DESC", "rn <= 1 AND rate > 0"), key_and_time("cur", "ts"));
        assert_eq!(versioned("cur AS c, ts AS t, rate", "ts DESC", "1 = rn"), key_and_time("c", "t"));
        assert_eq!(versioned("cur, rate, ts", "ts", "rn = 1"), key_and_time("cur", "ts"));
        // Ordered by a value or by a timestamp that is no rowtime: still one row per key.
        assert_eq!(versioned("cur, rate, ts", "rate DESC", "rn = 1"), key_and_time("cur", "ts"));
        assert_eq!(versioned("cur, rate, ts, n", "n DESC", "rn = 1"), key_and_time("cur", "ts"));
        // No key: more rows per key, the key dropped, no ranking.
        assert_eq!(versioned("cur, rate, ts", "ts DESC", "rn <= 2"), Err(NotVersioned::Key));
        assert_eq!(versioned("rate, ts", "ts DESC", "rn = 1"), Err(NotVersioned::Key));
        assert_eq!(versioned_view(&view_plan("SELECT cur, rate, ts FROM log")), Err(NotVersioned::Key));
        // A key, but the rowtime dropped.
        assert_eq!(versioned("cur, rate, n", "ts DESC", "rn = 1"), Err(NotVersioned::Time));
    }
}
