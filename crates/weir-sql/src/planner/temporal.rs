//! `FOR SYSTEM_TIME AS OF`: a table read as of a time of the other side of a join
//! (Flink's temporal join on a versioned table). sqlparser keeps the clause on the table
//! factor, but DataFusion's planner drops it; so, as for window TVFs, each versioned table
//! is replaced before planning by a stand-in relation that remembers the table and the
//! `AS OF` column, for the streaming planner to find under the join.

use std::ops::ControlFlow;
use std::sync::Arc;

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
    /// The table: it has a primary key and a watermark.
    pub table: Arc<TableDef>,
    /// The `AS OF` column as written (`o.order_time`: qualifier and name).
    pub as_of: Vec<String>,
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
                    let table_name = name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.clone());
                    let Some(table) = table_name.as_deref().and_then(|n| context.catalog().table(n)) else { continue };
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
    let table_name =
        name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.clone()).unwrap_or_else(|| name.to_string());
    let Some(table) = context.catalog().table(&table_name) else {
        return Err(SqlError::unsupported(format!(
            "FOR SYSTEM_TIME AS OF needs a table (a versioned one, or a bounded one for a lookup join); '{name}' is not a table"
        )));
    };
    // Whether it is versioned (a primary key and a watermark) or read whole by a lookup
    // join depends on the AS OF column, known once the join is planned.
    Ok(VersionedTable { table: table.clone(), as_of })
}
