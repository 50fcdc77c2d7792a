//! Flink's names for select items without one: an expression that is not a plain column
//! reference is named `EXPR$n`, `n` being its position in the select list (from 0), as
//! Calcite derives it. DataFusion would name it after its text, so `SELECT x, CAST(x AS
//! BIGINT)` could name two columns alike and fail, and result headers would not read as
//! Flink's do.

use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Ident, Query, SelectItem, SetExpr, VisitMut, VisitorMut};

/// Names the unnamed expression items of every `SELECT` in `query` (subqueries too).
pub fn name_unnamed_items(query: &mut Query) {
    struct Names;
    impl VisitorMut for Names {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            name_items(&mut query.body);
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Names);
}

fn name_items(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            for (i, item) in select.projection.iter_mut().enumerate() {
                let SelectItem::UnnamedExpr(expr) = item else { continue };
                if matches!(expr, Expr::Identifier(_) | Expr::CompoundIdentifier(_)) {
                    continue;
                }
                let expr = std::mem::replace(expr, Expr::value(sqlparser::ast::Value::Null));
                *item = SelectItem::ExprWithAlias { expr, alias: Ident::new(format!("EXPR${i}")) };
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            name_items(left);
            name_items(right);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::GenericDialect;
    use sqlparser::parser::Parser;

    fn named(sql: &str) -> String {
        let mut statements = Parser::parse_sql(&GenericDialect {}, sql).expect("parses");
        let sqlparser::ast::Statement::Query(query) = &mut statements[0] else { panic!("a query") };
        name_unnamed_items(query);
        query.to_string()
    }

    #[test]
    fn expressions_are_named_by_position_and_columns_keep_their_names() {
        assert_eq!(
            named("SELECT a, t.b, CAST(a AS BIGINT), COUNT(*) AS n, a + 1 FROM t"),
            "SELECT a, t.b, CAST(a AS BIGINT) AS EXPR$2, COUNT(*) AS n, a + 1 AS EXPR$4 FROM t"
        );
        assert_eq!(
            named("SELECT x FROM (SELECT a * 2 FROM t) UNION ALL SELECT 1"),
            "SELECT x FROM (SELECT a * 2 AS EXPR$0 FROM t) UNION ALL SELECT 1 AS EXPR$0"
        );
    }
}
