//! Flink's names for select items without one: an expression that is not a plain column
//! reference is named `EXPR$n`, `n` being its position in the select list (from 0), as
//! Calcite derives it. DataFusion would name it after its text, so `SELECT x, CAST(x AS
//! BIGINT)` could name two columns alike and fail, and result headers would not read as
//! Flink's do.
//!
//! DataFusion also names a call after its arguments with casts left out, so `AVG(q)` and
//! `AVG(CAST(q AS DOUBLE))` in one query would be two aggregates of one name;
//! [`distinct_call_names`] gives such casts a visible name.

use std::collections::HashSet;
use std::ops::ControlFlow;

use sqlparser::ast::{Expr, Ident, Query, SelectItem, SetExpr, VisitMut, VisitorMut};

/// Names the unnamed expression items of every `SELECT` in `query` (subqueries too).
///
/// The outermost select list's names are also made unique as Flink makes a result's
/// (`SELECT id, name, id` yields `id, name, id0`); a nested query keeps repeated names, as
/// in Flink, where reading one of them from outside is ambiguous.
pub fn name_unnamed_items(query: &mut Query) {
    /// Whether the next query visited is the outermost one (visits go outside in).
    struct Names {
        outermost: bool,
    }
    impl VisitorMut for Names {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            name_items(&mut query.body, std::mem::take(&mut self.outermost));
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Names { outermost: true });
}

/// Writes out the `*` items of the outermost select list of `query` as the columns they
/// stand for, where other items stand beside them (`SELECT *, id FROM t` becomes `SELECT t.id,
/// t.name, id FROM t`), so that [`name_unnamed_items`] can make the result's names unique as
/// Flink does (`id, name, id0`). `columns` plans a query and gives its columns (qualifier
/// parts, name), or `None` when it cannot: the `*` is then left as it is.
pub fn expand_wildcards_beside_items(
    query: &mut Query,
    columns: impl Fn(&Query) -> Option<Vec<(Vec<String>, String)>>,
) {
    let is_wildcard = |item: &SelectItem| matches!(item, SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..));
    let SetExpr::Select(select) = query.body.as_ref() else { return };
    if !select.projection.iter().any(is_wildcard) || select.projection.iter().all(is_wildcard) {
        return;
    }
    let mut expanded = Vec::with_capacity(select.projection.len());
    for item in &select.projection {
        if !is_wildcard(item) {
            expanded.push(item.clone());
            continue;
        }
        // The columns of this `*` alone: the same select with it as its only item, without
        // the grouping, ordering and limits the other items may need.
        let mut probe = query.clone();
        let SetExpr::Select(probe_select) = probe.body.as_mut() else { unreachable!("cloned from a select") };
        probe_select.projection = vec![item.clone()];
        probe_select.group_by = sqlparser::ast::GroupByExpr::Expressions(vec![], vec![]);
        probe_select.having = None;
        probe_select.qualify = None;
        probe_select.distinct = None;
        probe_select.sort_by.clear();
        probe.order_by = None;
        probe.limit_clause = None;
        probe.fetch = None;
        let Some(columns) = columns(&probe) else { return };
        expanded.extend(columns.into_iter().map(|(qualifier, name)| {
            let column = Ident::new(name);
            SelectItem::UnnamedExpr(match qualifier.is_empty() {
                true => Expr::Identifier(column),
                false => Expr::CompoundIdentifier(qualifier.into_iter().map(Ident::new).chain([column]).collect()),
            })
        }));
    }
    if let SetExpr::Select(select) = query.body.as_mut() {
        select.projection = expanded;
    }
}

/// The first name the outermost select list of `query` repeats (`id` in `SELECT id, name,
/// id`), `*` items aside: a view's columns must be named apart.
pub fn repeated_name(query: &Query) -> Option<String> {
    fn first_select(body: &SetExpr) -> Option<&sqlparser::ast::Select> {
        match body {
            SetExpr::Select(s) => Some(s),
            SetExpr::Query(q) => first_select(&q.body),
            SetExpr::SetOperation { left, .. } => first_select(left),
            _ => None,
        }
    }
    let select = first_select(&query.body)?;
    let mut used = HashSet::new();
    select
        .projection
        .iter()
        .enumerate()
        .filter_map(|(i, item)| derived_name(item, i))
        .find(|name| !used.insert(name.clone()))
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

/// Names the unnamed expressions of the select lists in `body`; with `unique`, also makes
/// the names unique as Calcite does for a result: a name already taken becomes `name0`,
/// then `name1`, … (`SqlValidatorUtil.uniquify` with its `EXPR_SUGGESTER`).
fn name_items(body: &mut SetExpr, unique: bool) {
    match body {
        SetExpr::Select(select) => {
            let mut used: HashSet<String> = HashSet::new();
            for (i, item) in select.projection.iter_mut().enumerate() {
                let Some(derived) = derived_name(item, i) else { continue };
                let name = if unique { uniquify(&derived, &mut used) } else { derived.clone() };
                let renamed = name != derived;
                match item {
                    SelectItem::UnnamedExpr(Expr::Identifier(_) | Expr::CompoundIdentifier(_)) if !renamed => {}
                    SelectItem::UnnamedExpr(expr) => {
                        let expr = std::mem::replace(expr, Expr::value(sqlparser::ast::Value::Null));
                        *item = SelectItem::ExprWithAlias { expr, alias: Ident::new(name) };
                    }
                    SelectItem::ExprWithAlias { alias, .. } if renamed => *alias = Ident::new(name),
                    _ => {}
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            name_items(left, unique);
            name_items(right, unique);
        }
        SetExpr::Query(q) if unique => name_items(&mut q.body, unique),
        _ => {}
    }
}

/// The name Calcite derives for the `i`th select item: its alias, a column's own name, or
/// `EXPR$i`; `None` for a `*`, whose names are known only against the schema.
fn derived_name(item: &SelectItem, i: usize) -> Option<String> {
    match item {
        SelectItem::UnnamedExpr(Expr::Identifier(id)) => Some(id.value.clone()),
        SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => parts.last().map(|p| p.value.clone()),
        SelectItem::UnnamedExpr(_) => Some(format!("EXPR${i}")),
        SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
        _ => None,
    }
}

/// `name` if not yet in `used`, else the first of `name0`, `name1`, … that is not; the
/// result is added to `used`.
fn uniquify(name: &str, used: &mut HashSet<String>) -> String {
    if used.insert(name.to_string()) {
        return name.to_string();
    }
    (0..).map(|n| format!("{name}{n}")).find(|candidate| used.insert(candidate.clone())).expect("some suffix is free")
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

    #[test]
    fn repeated_names_get_a_counter_as_calcite_uniquifies_them() {
        assert_eq!(named("SELECT id, name, id FROM t"), "SELECT id, name, id AS id0 FROM t");
        assert_eq!(named("SELECT id, t.id, s.id FROM t, s"), "SELECT id, t.id AS id0, s.id AS id1 FROM t, s");
        // A name taken by an earlier item is skipped.
        assert_eq!(named("SELECT id0, id, id FROM t"), "SELECT id0, id, id AS id1 FROM t");
        assert_eq!(named("SELECT a AS x, b AS x FROM t"), "SELECT a AS x, b AS x0 FROM t");
        assert_eq!(named("SELECT a + 1, b AS EXPR$0 FROM t"), "SELECT a + 1 AS EXPR$0, b AS EXPR$00 FROM t");
        // Only the result's names: a nested query keeps its repeated names, as in Flink.
        assert_eq!(
            named("SELECT name, name FROM (SELECT name, name, a + 1 FROM t)"),
            "SELECT name, name AS name0 FROM (SELECT name, name, a + 1 AS EXPR$2 FROM t)"
        );
    }

    #[test]
    fn stars_beside_other_items_are_written_out_so_repeated_names_get_a_counter() {
        let expanded = |sql: &str| {
            let mut statements = Parser::parse_sql(&GenericDialect {}, sql).expect("parses");
            let sqlparser::ast::Statement::Query(query) = &mut statements[0] else { panic!("a query") };
            // Every `*` over `t (id, name)`; `s.*` cannot be planned.
            expand_wildcards_beside_items(query, |probe| {
                let text = probe.to_string();
                assert!(!text.contains("GROUP BY") && !text.contains("ORDER BY") && !text.contains("LIMIT"), "{text}");
                (!text.contains("s.*")).then(|| vec![(vec!["t".into()], "id".into()), (vec![], "name".into())])
            });
            name_unnamed_items(query);
            query.to_string()
        };
        assert_eq!(expanded("SELECT *, id FROM t"), "SELECT t.id, name, id AS id0 FROM t");
        assert_eq!(expanded("SELECT id, * FROM t"), "SELECT id, t.id AS id0, name FROM t");
        assert_eq!(
            expanded("SELECT id, COUNT(*) AS n, t.* FROM t GROUP BY id ORDER BY n LIMIT 2"),
            "SELECT id, COUNT(*) AS n, t.id AS id0, name FROM t GROUP BY id ORDER BY n LIMIT 2"
        );
        // A lone `*` is left to the planner, and so is one that cannot be planned alone.
        assert_eq!(expanded("SELECT * FROM t"), "SELECT * FROM t");
        assert_eq!(expanded("SELECT s.*, id FROM t, s"), "SELECT s.*, id FROM t, s");
    }

    #[test]
    fn a_repeated_name_of_the_result_is_found() {
        let query = |sql: &str| match Parser::parse_sql(&GenericDialect {}, sql).expect("parses").remove(0) {
            sqlparser::ast::Statement::Query(q) => q,
            _ => panic!("a query"),
        };
        assert_eq!(repeated_name(&query("SELECT id, name, t.id FROM t")), Some("id".into()));
        assert_eq!(repeated_name(&query("SELECT a AS x, b AS x FROM t")), Some("x".into()));
        assert_eq!(repeated_name(&query("SELECT id, name FROM (SELECT id, id FROM t)")), None);
    }
}
