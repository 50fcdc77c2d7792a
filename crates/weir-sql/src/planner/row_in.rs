//! Row-valued `IN` subqueries — `WHERE (a, b) IN (SELECT x, y FROM …)` — which Flink plans
//! as a semi join on every column (`NOT IN`: an anti join that treats a NULL comparison as a
//! match). DataFusion refuses a subquery of more than one column there ("Too many
//! columns!"), so [`row_in_subqueries`] rewrites each one, before planning, into
//!
//! ```sql
//! EXISTS (SELECT 1 FROM (SELECT x, y FROM …) AS __row_in_0 (__row_in_0_0, __row_in_0_1)
//!         WHERE __row_in_0_0 = a AND __row_in_0_1 = b)
//! ```
//!
//! and `NOT IN` into `NOT EXISTS` of the rows whose every column equals or is NULL on either
//! side (a NULL comparison makes `NOT IN` NULL, which a `WHERE` drops like FALSE). Only a
//! condition that is a whole conjunct of a `WHERE` is rewritten: there TRUE is all that
//! counts, so `IN`'s NULL and `EXISTS`' FALSE filter alike. Elsewhere DataFusion's refusal
//! stays.

use std::ops::ControlFlow;

use sqlparser::ast::{BinaryOperator, Expr, Query, SetExpr, VisitMut, VisitorMut};

use crate::error::Result;

/// Rewrites the row-valued `IN` subqueries of every `WHERE` in `query` (see the module docs).
///
/// # Errors
/// Only if the rewritten condition does not parse, which would be a bug.
pub fn row_in_subqueries(query: &mut Query) -> Result<()> {
    struct Rewrite {
        next: usize,
        error: Option<crate::error::SqlError>,
    }
    impl VisitorMut for Rewrite {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            if let Err(e) = rewrite_body(&mut query.body, &mut self.next) {
                self.error = Some(e);
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        }
    }
    let mut rewrite = Rewrite { next: 0, error: None };
    let _ = query.visit(&mut rewrite);
    rewrite.error.map_or(Ok(()), Err)
}

fn rewrite_body(body: &mut SetExpr, next: &mut usize) -> Result<()> {
    match body {
        SetExpr::Select(select) => match select.selection.as_mut() {
            Some(condition) => rewrite_conjuncts(condition, next),
            None => Ok(()),
        },
        SetExpr::SetOperation { left, right, .. } => {
            rewrite_body(left, next)?;
            rewrite_body(right, next)
        }
        _ => Ok(()),
    }
}

fn rewrite_conjuncts(e: &mut Expr, next: &mut usize) -> Result<()> {
    match e {
        Expr::BinaryOp { left, op: BinaryOperator::And, right } => {
            rewrite_conjuncts(left, next)?;
            rewrite_conjuncts(right, next)
        }
        Expr::Nested(inner) => rewrite_conjuncts(inner, next),
        Expr::InSubquery { expr, subquery, negated } => {
            let row = match expr.as_ref() {
                Expr::Tuple(items) if items.len() > 1 => items,
                _ => return Ok(()),
            };
            let alias = format!("__row_in_{next}");
            *next += 1;
            let columns: Vec<String> = (0..row.len()).map(|i| format!("{alias}_{i}")).collect();
            let conditions: Vec<String> = columns
                .iter()
                .zip(row)
                .map(|(c, v)| {
                    if *negated {
                        format!("({c} = ({v}) OR {c} IS NULL OR ({v}) IS NULL)")
                    } else {
                        format!("{c} = ({v})")
                    }
                })
                .collect();
            let text = format!(
                "{}EXISTS (SELECT 1 FROM ({subquery}) AS {alias} ({}) WHERE {})",
                if *negated { "NOT " } else { "" },
                columns.join(", "),
                conditions.join(" AND ")
            );
            *e = crate::parser::parse_expression(&text)?;
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        let crate::parser::ast::Statement::Query(mut query) = crate::parser::parse_statement(sql).expect("parse").node
        else {
            panic!("a query")
        };
        row_in_subqueries(&mut query).expect("rewritten");
        query.to_string()
    }

    #[test]
    fn a_row_in_a_where_conjunct_becomes_exists() {
        let out = rewritten("SELECT oid FROM o WHERE k > 1 AND (a, b) IN (SELECT x, y FROM p)");
        assert!(out.contains("k > 1 AND EXISTS (SELECT 1 FROM (SELECT x, y FROM p) AS __row_in_0"), "{out}");
        assert!(out.contains("__row_in_0_0 = (a) AND __row_in_0_1 = (b)"), "{out}");
        let out = rewritten("SELECT oid FROM o WHERE (a, b) NOT IN (SELECT x, y FROM p)");
        assert!(out.contains("NOT EXISTS"), "{out}");
        assert!(out.contains("(__row_in_0_0 = (a) OR __row_in_0_0 IS NULL OR (a) IS NULL)"), "{out}");
    }

    #[test]
    fn other_places_and_single_values_stay() {
        for sql in [
            "SELECT oid FROM o WHERE a IN (SELECT x FROM p)",
            "SELECT oid FROM o WHERE k > 1 OR (a, b) IN (SELECT x, y FROM p)",
            "SELECT (a, b) IN (SELECT x, y FROM p) FROM o",
        ] {
            assert!(!rewritten(sql).contains("EXISTS"), "{sql}");
        }
    }
}
