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
                    let Some((time, _)) = &table.watermark else { continue };
                    let qualifier = alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| Ident::new(&table.name));
                    let bound = Expr::BinaryOp {
                        left: Box::new(Expr::CompoundIdentifier(vec![qualifier, Ident::new(time)])),
                        op: BinaryOperator::LtEq,
                        right: Box::new(as_of.clone()),
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
            "FOR SYSTEM_TIME AS OF needs a table with a primary key and a watermark; '{name}' is not a table"
        )));
    };
    if table.primary_key.is_empty() {
        return Err(SqlError::validation(format!(
            "Temporal table '{name}' needs a PRIMARY KEY to be read FOR SYSTEM_TIME AS OF (a versioned table)"
        )));
    }
    if table.watermark.is_none() {
        return Err(SqlError::unsupported(format!(
            "Temporal table '{name}' has no watermark: processing-time temporal joins are not supported; \
             declare WATERMARK FOR its time column"
        )));
    }
    Ok(VersionedTable { table: table.clone(), as_of })
}
