//! Flink's names for select items without one: an expression that is not a plain column
//! reference is named `EXPR$n`, `n` being its position in the select list (from 0), as
//! Calcite derives it. DataFusion would name it after its text, so `SELECT x, CAST(x AS
//! BIGINT)` could name two columns alike and fail, and result headers would not read as
//! Flink's do.
//!
//! DataFusion also names a call after its arguments with casts left out, so `AVG(q)` and
//! `AVG(CAST(q AS DOUBLE))` in one query would be two aggregates of one name;
//! [`distinct_call_names`] gives such casts a visible name.

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

/// Calls in `query` that differ only by a `CAST` of an argument (`AVG(q)`, `AVG(CAST(q AS
/// DOUBLE))`) get distinct names: each such cast is written `flink_cast(x, CAST(NULL AS t))`,
/// the same conversion as a call that names its target.
pub fn distinct_call_names(query: &mut Query) {
    use sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArguments};
    use std::collections::HashMap;
    fn args_mut(f: &mut sqlparser::ast::Function) -> Vec<&mut Expr> {
        match &mut f.args {
            FunctionArguments::List(list) => list
                .args
                .iter_mut()
                .filter_map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }
    fn key(f: &sqlparser::ast::Function) -> String {
        let mut stripped = f.clone();
        for a in args_mut(&mut stripped) {
            while let Expr::Cast { expr, .. } = a {
                *a = expr.as_ref().clone();
            }
        }
        stripped.to_string()
    }
    struct Keys(HashMap<String, std::collections::HashSet<String>>);
    impl VisitorMut for Keys {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if let Expr::Function(f) = expr {
                self.0.entry(key(f)).or_default().insert(f.to_string());
            }
            ControlFlow::Continue(())
        }
    }
    let mut keys = Keys(HashMap::new());
    let _ = query.visit(&mut keys);
    let clashing: std::collections::HashSet<String> =
        keys.0.into_iter().filter(|(_, texts)| texts.len() > 1).map(|(k, _)| k).collect();
    if clashing.is_empty() {
        return;
    }
    struct Rename(std::collections::HashSet<String>);
    impl VisitorMut for Rename {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            let Expr::Function(f) = expr else { return ControlFlow::Continue(()) };
            if !self.0.contains(&key(f)) {
                return ControlFlow::Continue(());
            }
            for a in args_mut(f) {
                if let Expr::Cast { kind, expr, data_type, format, array } = a {
                    let typed_null = Expr::Cast {
                        kind: kind.clone(),
                        expr: Box::new(Expr::value(sqlparser::ast::Value::Null)),
                        data_type: data_type.clone(),
                        format: format.clone(),
                        array: *array,
                    };
                    let call = format!("{}(a, b)", crate::functions::cast::CAST);
                    let mut parsed = sqlparser::parser::Parser::new(&sqlparser::dialect::GenericDialect {})
                        .try_with_sql(&call)
                        .and_then(|mut p| p.parse_expr())
                        .expect("a call parses");
                    if let Expr::Function(g) = &mut parsed {
                        let mut args = args_mut(g);
                        *args[0] = expr.as_ref().clone();
                        *args[1] = typed_null;
                    }
                    *a = parsed;
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Rename(clashing));
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
    fn calls_differing_by_a_cast_get_distinct_names() {
        let mut statements =
            Parser::parse_sql(&GenericDialect {}, "SELECT AVG(q), AVG(CAST(q AS DOUBLE)), SUM(CAST(x AS INT)) FROM t")
                .expect("parses");
        let sqlparser::ast::Statement::Query(query) = &mut statements[0] else { panic!("a query") };
        distinct_call_names(query);
        assert_eq!(
            query.to_string(),
            "SELECT AVG(q), AVG(flink_cast(q, CAST(NULL AS DOUBLE))), SUM(CAST(x AS INT)) FROM t"
        );
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
