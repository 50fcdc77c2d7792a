//! Flink's legacy group windows: `GROUP BY TUMBLE(ts, size)`, `HOP(ts, slide, size)` and
//! `SESSION(ts, gap)`, with the auxiliary functions `TUMBLE_START`, `TUMBLE_END`,
//! `TUMBLE_ROWTIME` (and `HOP_…`, `SESSION_…`) in `SELECT`, `HAVING` and `ORDER BY`.
//!
//! Before planning, each such query is rewritten into the window TVF form it means:
//!
//! ```sql
//! SELECT user, TUMBLE_END(ts, INTERVAL '1' MINUTE), COUNT(*)
//! FROM clicks GROUP BY user, TUMBLE(ts, INTERVAL '1' MINUTE)
//! -- becomes
//! SELECT user, window_end, COUNT(*)
//! FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) AS clicks
//! GROUP BY user, window_start, window_end, window_time
//! ```
//!
//! The `FROM` item (a table, a view or a subquery) becomes the window's stand-in relation
//! under the same alias, so qualified column names keep working. A `SESSION` group window
//! forms its sessions per group key, so its other `GROUP BY` keys become the TVF's
//! `PARTITION BY` keys. `…_START` reads `window_start`, `…_END` `window_end` and
//! `…_ROWTIME` `window_time` (the end minus 1 ms, still a time attribute).

use std::ops::ControlFlow;

use sqlparser::ast::{
    visit_expressions_mut, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr, Ident,
    OrderByKind, Query, Select, SetExpr, TableAlias, TableFactor, VisitMut, VisitorMut,
};

use super::context::PlanContext;
use super::tvf::{interval_ms, stand_in, validate, window_over, WindowKind, WINDOW_COLUMNS};
use crate::error::{Result, SqlError};

/// The group window functions of the legacy syntax.
const GROUP_WINDOWS: [&str; 3] = ["TUMBLE", "HOP", "SESSION"];

/// A group window call of a `GROUP BY`, or an auxiliary call naming one.
#[derive(Debug, Clone, PartialEq)]
struct GroupWindow {
    /// `TUMBLE`, `HOP` or `SESSION`.
    name: &'static str,
    /// The time attribute column.
    time: String,
    /// The interval arguments in milliseconds, in the order written.
    sizes: Vec<i64>,
    /// Whether `time` is a processing-time attribute (known once the input is planned).
    proctime: bool,
}

impl GroupWindow {
    /// Whether `other` names the same window (same function, time column and sizes).
    fn same_call(&self, other: &GroupWindow) -> bool {
        self.name == other.name && self.time == other.time && self.sizes == other.sizes
    }
}

/// Rewrites every query block of `query` that groups by a group window into the window
/// TVF form, registering the windows in `context`.
pub fn rewrite_group_windows(context: &PlanContext<'_>, query: &mut Query) -> Result<()> {
    struct Rewriter<'c, 'a> {
        context: &'c PlanContext<'a>,
    }
    impl VisitorMut for Rewriter<'_, '_> {
        type Break = SqlError;
        // After the children: subqueries are rewritten before the queries holding them.
        fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<SqlError> {
            match rewrite_query(self.context, query) {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => ControlFlow::Break(e),
            }
        }
    }
    match query.visit(&mut Rewriter { context }) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

fn rewrite_query(context: &PlanContext<'_>, query: &mut Query) -> Result<()> {
    let window = rewrite_set_expr(context, &mut query.body)?;
    if let Some(order_by) = &mut query.order_by {
        if let OrderByKind::Expressions(exprs) = &mut order_by.kind {
            replace_auxiliary(exprs, window.as_ref())?;
        }
    }
    Ok(())
}

fn rewrite_set_expr(context: &PlanContext<'_>, body: &mut SetExpr) -> Result<Option<GroupWindow>> {
    match body {
        SetExpr::Select(select) => rewrite_select(context, select),
        SetExpr::SetOperation { left, right, .. } => {
            rewrite_set_expr(context, left)?;
            rewrite_set_expr(context, right)?;
            Ok(None)
        }
        // Nested queries are visited on their own.
        _ => Ok(None),
    }
}

fn upper_name(f: &Function) -> String {
    f.name.0.last().and_then(|p| p.as_ident()).map(|i| i.value.to_uppercase()).unwrap_or_default()
}

/// The group window a `GROUP BY` item calls, if it is one.
fn group_window_call(e: &Expr) -> Option<(&'static str, &Function)> {
    let Expr::Function(f) = e else { return None };
    let name = upper_name(f);
    GROUP_WINDOWS.iter().find(|w| **w == name).map(|w| (*w, f))
}

/// `TUMBLE_START(…)` and the like: the window it belongs to and the column it reads
/// (`…_ROWTIME` and `…_PROCTIME` read `window_time`).
fn auxiliary_call(e: &Expr) -> Option<(&'static str, &'static str, &'static str, &Function)> {
    let Expr::Function(f) = e else { return None };
    let name = upper_name(f);
    let (window, suffix) = name.split_once('_')?;
    let window = GROUP_WINDOWS.iter().find(|w| **w == window)?;
    let (suffix, column) = match suffix {
        "START" => ("START", WINDOW_COLUMNS[0]),
        "END" => ("END", WINDOW_COLUMNS[1]),
        "ROWTIME" => ("ROWTIME", WINDOW_COLUMNS[2]),
        "PROCTIME" => ("PROCTIME", WINDOW_COLUMNS[2]),
        _ => return None,
    };
    Some((window, suffix, column, f))
}

/// The arguments of a group window (or auxiliary) call `name(time, intervals…)`.
fn parse_window(name: &'static str, shown: &str, f: &Function) -> Result<GroupWindow> {
    let signature = match name {
        "TUMBLE" => "TUMBLE(time_attr, size)",
        "HOP" => "HOP(time_attr, slide, size)",
        _ => "SESSION(time_attr, gap)",
    };
    let args: Vec<&Expr> = match &f.args {
        FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
                other => {
                    Err(SqlError::validation(format!("Unexpected argument '{other}' of {shown}; use {signature}")))
                }
            })
            .collect::<Result<_>>()?,
        _ => Vec::new(),
    };
    let expected = if name == "HOP" { 3 } else { 2 };
    if name == "TUMBLE" && args.len() == 3 {
        return Err(SqlError::unsupported(
            "TUMBLE with an alignment offset is not supported in GROUP BY; use the window TVF \
             TUMBLE(TABLE t, DESCRIPTOR(ts), size, offset)",
        ));
    }
    if args.len() != expected {
        return Err(SqlError::validation(format!(
            "{shown} takes {expected} arguments, {signature}, but was given {}",
            args.len()
        )));
    }
    let time = match args[0] {
        Expr::Identifier(i) => i.value.clone(),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| i.value.clone()).unwrap_or_default(),
        other => {
            return Err(SqlError::validation(format!(
                "The first argument of {shown} must be a time attribute column, not '{other}'"
            )))
        }
    };
    let sizes = args[1..].iter().map(|e| interval_ms(e)).collect::<Result<Vec<_>>>()?;
    Ok(GroupWindow { name, time, sizes, proctime: false })
}

fn rewrite_select(context: &PlanContext<'_>, select: &mut Select) -> Result<Option<GroupWindow>> {
    let GroupByExpr::Expressions(group_by, _) = &mut select.group_by else {
        check_no_auxiliary(select, None)?;
        return Ok(None);
    };
    let calls: Vec<usize> = (0..group_by.len()).filter(|i| group_window_call(&group_by[*i]).is_some()).collect();
    let at = match calls.as_slice() {
        [] => {
            check_no_auxiliary(select, None)?;
            return Ok(None);
        }
        [at] => *at,
        _ => return Err(SqlError::validation("Only one group window (TUMBLE, HOP or SESSION) is allowed in GROUP BY")),
    };
    let (name, f) = group_window_call(&group_by[at]).expect("found above");
    let shown = group_by[at].to_string();
    let mut window = parse_window(name, &shown, f)?;

    // The other keys; a session window forms its sessions per key.
    let mut partition_by = Vec::new();
    for (i, e) in group_by.iter().enumerate() {
        if i == at {
            continue;
        }
        match e {
            Expr::Identifier(id) => partition_by.push(id.value.clone()),
            Expr::CompoundIdentifier(parts) => {
                partition_by.push(parts.last().map(|p| p.value.clone()).unwrap_or_default())
            }
            other if name == "SESSION" => {
                return Err(SqlError::unsupported(format!(
                    "A SESSION group window groups only by columns besides the window, not by '{other}'; compute \
                     it in a subquery"
                )))
            }
            _ => {}
        }
    }
    let kind = match name {
        "TUMBLE" => WindowKind::Tumble { size: window.sizes[0], offset: 0 },
        "HOP" => WindowKind::Hop { slide: window.sizes[0], size: window.sizes[1], offset: 0 },
        _ => WindowKind::Session { gap: window.sizes[0], partition_by },
    };
    validate(name, &kind)?;

    // The FROM item becomes the window's stand-in, under the same name.
    let from_error = || {
        SqlError::unsupported(format!(
            "GROUP BY {shown} needs one table, view or subquery in FROM; put joins in a subquery first"
        ))
    };
    if select.from.len() != 1 || !select.from[0].joins.is_empty() {
        return Err(from_error());
    }
    let relation = &mut select.from[0].relation;
    let (input_name, alias) = match relation {
        TableFactor::Table { name: table, alias, args: None, .. } => {
            let last = table.0.last().and_then(|p| p.as_ident()).cloned().ok_or_else(from_error)?;
            let alias = alias.clone().unwrap_or(TableAlias { explicit: true, name: last, columns: vec![], at: None });
            (table.to_string(), alias)
        }
        TableFactor::Derived { lateral: false, alias, .. } => {
            let alias = alias.clone().map(|a| TableAlias { columns: vec![], ..a });
            (
                "the subquery".to_string(),
                alias.unwrap_or(TableAlias {
                    explicit: true,
                    name: Ident::new("__group_window_input"),
                    columns: vec![],
                    at: None,
                }),
            )
        }
        TableFactor::TableFunction { .. } => {
            return Err(SqlError::validation(format!(
                "GROUP BY {shown} cannot window a window TVF; group by window_start and window_end instead"
            )))
        }
        _ => return Err(from_error()),
    };
    let input = {
        let mut q = match crate::parser::parse_statement("SELECT * FROM __group_window_input")?.node {
            crate::parser::ast::Statement::Query(q) => q,
            _ => unreachable!("a SELECT parses as a query"),
        };
        if let SetExpr::Select(s) = q.body.as_mut() {
            s.from[0].relation = relation.clone();
        }
        // Type-coerced and optimised like a whole query: the stand-in's input is
        // translated as it is.
        super::optimize(context.plan_query(&q)?, context.options())?
    };
    let tvf = window_over(input, &input_name, name, kind, window.time.clone(), format!("GROUP BY {shown}"))?;
    let tvf = super::tvf::in_session_zone(context, tvf);
    window.proctime = tvf.proctime;
    *relation = stand_in(context, tvf, Some(alias))?;

    group_by.splice(at..=at, WINDOW_COLUMNS.iter().map(|c| Expr::Identifier(Ident::new(*c))));
    replace_auxiliary(&mut select.projection, Some(&window))?;
    replace_auxiliary(&mut select.having, Some(&window))?;
    check_no_auxiliary_in(&mut select.selection, "WHERE")?;
    Ok(Some(window))
}

/// Replaces the auxiliary calls in `node` by the window columns they read; each must
/// name `window` exactly.
fn replace_auxiliary<V: VisitMut>(node: &mut V, window: Option<&GroupWindow>) -> Result<()> {
    let result = visit_expressions_mut(node, |e: &mut Expr| {
        let Some((name, suffix, column, f)) = auxiliary_call(e) else { return ControlFlow::Continue(()) };
        let shown = e.to_string();
        let mismatch = || {
            SqlError::validation(format!(
                "Call to auxiliary group function '{name}_{suffix}' must have matching call to group function \
                 '{name}' with the same arguments in GROUP BY clause ({shown})"
            ))
        };
        let Some(window) = window.filter(|w| w.name == name) else { return ControlFlow::Break(mismatch()) };
        match parse_window(name, &shown, f) {
            Ok(aux) if aux.same_call(window) => {}
            Ok(_) => return ControlFlow::Break(mismatch()),
            Err(e) => return ControlFlow::Break(e),
        }
        // The window's time attribute decides which of the two it offers.
        match (suffix, window.proctime) {
            ("ROWTIME", true) => {
                return ControlFlow::Break(SqlError::validation(format!(
                    "{shown}: '{}' is a processing-time attribute; use {name}_PROCTIME",
                    window.time
                )))
            }
            ("PROCTIME", false) => {
                return ControlFlow::Break(SqlError::validation(format!(
                    "{shown}: '{}' is not a processing-time attribute; use {name}_ROWTIME",
                    window.time
                )))
            }
            _ => {}
        }
        *e = Expr::Identifier(Ident::new(column));
        ControlFlow::Continue(())
    });
    match result {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

fn check_no_auxiliary(select: &mut Select, window: Option<&GroupWindow>) -> Result<()> {
    replace_auxiliary(&mut select.projection, window)?;
    replace_auxiliary(&mut select.having, window)?;
    check_no_auxiliary_in(&mut select.selection, "WHERE")
}

fn check_no_auxiliary_in<V: VisitMut>(node: &mut V, clause: &str) -> Result<()> {
    let result = visit_expressions_mut(node, |e: &mut Expr| match auxiliary_call(e) {
        Some((name, suffix, _, _)) => ControlFlow::Break(SqlError::validation(format!(
            "The auxiliary group function '{name}_{suffix}' is not allowed in {clause}"
        ))),
        None => ControlFlow::Continue(()),
    });
    match result {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}
