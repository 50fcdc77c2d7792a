//! Flink's window table-valued functions: `TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), size))`,
//! `HOP`, `CUMULATE` and `SESSION`.
//!
//! Before DataFusion plans a query, each window TVF in its `FROM` clauses is replaced by a
//! stand-in relation whose columns are the input's plus `window_start`, `window_end` and
//! `window_time`; the streaming planner turns a scan of the stand-in into the window
//! assignment over the input.

use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion_expr::LogicalPlan;
use sqlparser::ast::{
    Cte, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Query, SetExpr, TableAlias, TableFactor, VisitMut,
    VisitorMut, With,
};

use super::context::PlanContext;
use crate::error::{Result, SqlError};

/// A window function's kind and sizes, in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowKind {
    /// `TUMBLE(…, size [, offset])`.
    Tumble {
        /// Window length.
        size: i64,
        /// Shift of the window grid.
        offset: i64,
    },
    /// `HOP(…, slide, size [, offset])`.
    Hop {
        /// Distance between window starts.
        slide: i64,
        /// Window length.
        size: i64,
        /// Shift of the window grid.
        offset: i64,
    },
    /// `CUMULATE(…, step, max_size [, offset])`.
    Cumulate {
        /// Growth of the window end.
        step: i64,
        /// The largest window.
        max_size: i64,
        /// Shift of the window grid.
        offset: i64,
    },
    /// `SESSION(TABLE t [PARTITION BY k…], …, gap)`.
    Session {
        /// The inactivity that closes a session.
        gap: i64,
        /// The partition keys, as columns of the input.
        partition_by: Vec<String>,
    },
}

/// One window TVF of a query.
#[derive(Debug)]
pub struct WindowTvf {
    /// Its kind and sizes.
    pub kind: WindowKind,
    /// The relation it windows.
    pub input: Arc<LogicalPlan>,
    /// The time attribute column of the input (`DESCRIPTOR(col)`).
    pub time_column: String,
    /// The input's columns plus `window_start`, `window_end`, `window_time`.
    pub schema: SchemaRef,
    /// The call as the user wrote it, for messages: `SESSION(TABLE clicks, …)`.
    pub call: String,
    /// Whether the time attribute is a processing-time one (`PROCTIME()`): rows then fall
    /// in the windows of the processing time at which they arrive.
    pub proctime: bool,
    /// The session time zone when the time attribute is a TIMESTAMP_LTZ: windows are then
    /// aligned to its wall clock (a day window starts at local midnight, as in Flink), and
    /// `window_start` / `window_end` are wall-clock TIMESTAMPs of that zone.
    pub zone: Option<crate::functions::LocalTimeZone>,
}

/// The names of the columns a window TVF adds.
pub const WINDOW_COLUMNS: [&str; 3] = ["window_start", "window_end", "window_time"];

/// Replaces the window TVFs of `query` by stand-in relations registered in `context`.
pub fn replace_window_tvfs(context: &PlanContext<'_>, query: &mut Query) -> Result<()> {
    struct Replacer<'c, 'a> {
        context: &'c PlanContext<'a>,
        /// The `WITH` queries in scope, outermost first, as written (before their own
        /// window TVFs were replaced).
        ctes: Vec<Vec<Cte>>,
    }
    impl VisitorMut for Replacer<'_, '_> {
        type Break = SqlError;
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<SqlError> {
            self.ctes.push(query.with.as_ref().map(|w| w.cte_tables.clone()).unwrap_or_default());
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _query: &mut Query) -> ControlFlow<SqlError> {
            self.ctes.pop();
            ControlFlow::Continue(())
        }
        fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<SqlError> {
            let TableFactor::TableFunction { expr: Expr::Function(f), alias } = factor else {
                return ControlFlow::Continue(());
            };
            let name = f.name.to_string().to_uppercase();
            if !matches!(name.as_str(), "TUMBLE" | "HOP" | "CUMULATE" | "SESSION") {
                return ControlFlow::Continue(());
            }
            let args = match &f.args {
                FunctionArguments::List(list) => list.args.clone(),
                _ => Vec::new(),
            };
            let tvf = match window_tvf(self.context, &self.ctes, &name, &args) {
                Ok(tvf) => tvf,
                Err(e) => return ControlFlow::Break(e),
            };
            match stand_in(self.context, tvf, alias.clone()) {
                Ok(table) => {
                    *factor = table;
                    ControlFlow::Continue(())
                }
                Err(e) => ControlFlow::Break(e),
            }
        }
    }
    match query.visit(&mut Replacer { context, ctes: Vec::new() }) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

impl WindowTvf {
    /// Whether `other` windows the same input the same way (how it was written aside).
    pub(crate) fn same_as(&self, other: &WindowTvf) -> bool {
        self.kind == other.kind
            && super::context::same_plan(&self.input, &other.input)
            && self.time_column == other.time_column
            && self.schema == other.schema
            && self.proctime == other.proctime
            && self.zone == other.zone
    }
}

/// Registers `tvf` in `context` and returns the `FROM` item that reads it, named `alias`.
pub(crate) fn stand_in(context: &PlanContext<'_>, tvf: WindowTvf, alias: Option<TableAlias>) -> Result<TableFactor> {
    let name = {
        let mut windows = context.windows.borrow_mut();
        // The same window over the same input is one relation: the plans reading it are
        // then equal where they compute the same, and are computed once (Flink's sub-plan
        // reuse; Nexmark q5 windows the bids twice alike).
        let same = windows.iter().find(|(_, w)| w.same_as(&tvf)).map(|(name, _)| name.clone());
        match same {
            Some(name) => name,
            None => {
                let name = format!("__window_{}", windows.len());
                windows.insert(name.clone(), Arc::new(tvf));
                name
            }
        }
    };
    let mut table = stand_in_factor(&name).ok_or_else(|| SqlError::unsupported("cannot build a window relation"))?;
    if let TableFactor::Table { alias: a, .. } = &mut table {
        *a = alias;
    }
    Ok(table)
}

/// `FROM name` as a table factor (taken from a parsed query, so that every field of the
/// AST node gets its default).
pub(super) fn stand_in_factor(name: &str) -> Option<TableFactor> {
    let dialect = sqlparser::dialect::GenericDialect {};
    let statements = sqlparser::parser::Parser::parse_sql(&dialect, &format!("SELECT * FROM {name}")).ok()?;
    let sqlparser::ast::Statement::Query(q) = statements.into_iter().next()? else { return None };
    let SetExpr::Select(select) = *q.body else { return None };
    select.from.into_iter().next().map(|t| t.relation)
}

fn window_tvf(context: &PlanContext<'_>, ctes: &[Vec<Cte>], name: &str, args: &[FunctionArg]) -> Result<WindowTvf> {
    // Positional and named arguments, in Flink's parameter order.
    let params: &[&str] = match name {
        "TUMBLE" => &["DATA", "TIMECOL", "SIZE", "OFFSET"],
        "HOP" => &["DATA", "TIMECOL", "SLIDE", "SIZE", "OFFSET"],
        "CUMULATE" => &["DATA", "TIMECOL", "STEP", "SIZE", "OFFSET"],
        _ => &["DATA", "TIMECOL", "GAP"],
    };
    let mut values: Vec<Option<Expr>> = vec![None; params.len()];
    let mut partition_by = Vec::new();
    let mut position = 0;
    for arg in args {
        let (slot, expr) = match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => {
                if let Expr::Function(f) = e {
                    if f.name.to_string().eq_ignore_ascii_case("PARTITION_BY") {
                        if let FunctionArguments::List(list) = &f.args {
                            for a in &list.args {
                                partition_by.push(column_name(&a.to_string()));
                            }
                        }
                        continue;
                    }
                }
                position += 1;
                (position - 1, e.clone())
            }
            FunctionArg::Named { name: n, arg: FunctionArgExpr::Expr(e), .. }
            | FunctionArg::ExprNamed { name: Expr::Identifier(n), arg: FunctionArgExpr::Expr(e), .. } => {
                let upper = n.value.to_uppercase();
                let Some(slot) = params.iter().position(|p| *p == upper) else {
                    return Err(SqlError::validation(format!(
                        "{name} has no parameter '{}'; its parameters are {}",
                        n.value,
                        params.join(", ")
                    )));
                };
                (slot, e.clone())
            }
            other => return Err(SqlError::validation(format!("Unexpected argument '{other}' of {name}"))),
        };
        if slot >= params.len() {
            return Err(SqlError::validation(format!(
                "{name} takes at most {} arguments ({})",
                params.len(),
                params.join(", ")
            )));
        }
        values[slot] = Some(expr);
    }
    let required = if name == "SESSION" { 3 } else { params.len() - 1 };
    for (i, p) in params.iter().enumerate().take(required) {
        if values[i].is_none() {
            return Err(SqlError::validation(format!("{name} needs its {p} argument")));
        }
    }
    // The input's name, maybe qualified (`TABLE db.t`, `TABLE cat.db.t`).
    let input_parts: Vec<String> = column_name(&values[0].as_ref().map(|e| e.to_string()).unwrap_or_default())
        .split('.')
        .map(|p| p.trim_matches('`').trim_matches('"').to_string())
        .collect();
    let input_name = input_parts.join(".");
    let time_column = match &values[1] {
        Some(Expr::Function(f)) if f.name.to_string().eq_ignore_ascii_case("DESCRIPTOR") => match &f.args {
            FunctionArguments::List(list) if list.args.len() == 1 => column_name(&list.args[0].to_string()),
            _ => return Err(SqlError::validation(format!("DESCRIPTOR of {name} names exactly one time column"))),
        },
        other => {
            return Err(SqlError::validation(format!(
                "The second argument of {name} must be DESCRIPTOR(time_column), not '{}'",
                other.as_ref().map(|e| e.to_string()).unwrap_or_default()
            )))
        }
    };
    let ms = |i: usize| -> Result<i64> { values[i].as_ref().map(interval_ms).transpose().map(|v| v.unwrap_or(0)) };
    let kind = match name {
        "TUMBLE" => WindowKind::Tumble { size: ms(2)?, offset: ms(3)? },
        "HOP" => WindowKind::Hop { slide: ms(2)?, size: ms(3)?, offset: ms(4)? },
        "CUMULATE" => WindowKind::Cumulate { step: ms(2)?, max_size: ms(3)?, offset: ms(4)? },
        _ => WindowKind::Session { gap: ms(2)?, partition_by },
    };
    validate(name, &kind)?;

    // The input, planned as `SELECT * FROM input`.
    let input_query = {
        let dialect = sqlparser::dialect::GenericDialect {};
        let sql = format!("SELECT * FROM {}", input_parts.iter().map(|p| quote(p)).collect::<Vec<_>>().join("."));
        let statements = sqlparser::parser::Parser::parse_sql(&dialect, &sql)
            .map_err(|e| SqlError::validation(format!("Bad table name '{input_name}' in {name}: {e}")))?;
        match statements.into_iter().next() {
            Some(sqlparser::ast::Statement::Query(q)) => q,
            _ => return Err(SqlError::validation(format!("Bad table name '{input_name}' in {name}"))),
        }
    };
    let input = match with_in_scope(ctes, &input_name) {
        // A `WITH` query: planned with the `WITH` queries it may read, its own window TVFs
        // replaced in turn.
        Some(with) => {
            let mut query = *input_query;
            query.with = Some(With {
                with_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
                recursive: false,
                cte_tables: with,
            });
            // Type-checked and finished as a view's plan is (see `super::plan_query_in`).
            let plan = context.plan_rewritten(query)?;
            let plan = super::flink_result_types(super::flink_decimal_division(plan)?)?;
            super::optimize(plan, context.options())?
        }
        None => {
            let catalog = context.catalog();
            let path = catalog.path_of_parts(&input_parts).ok_or_else(|| {
                SqlError::validation(format!("Bad table name '{input_name}' in {name}: too many parts"))
            })?;
            if catalog.table_at(&path).is_none() && catalog.view_at(&path).is_none() {
                return Err(super::context::unknown_relation_at(catalog, &path, input_parts.len()));
            }
            let input = super::to_logical_plan(context, *input_query)?;
            super::time_syntax::rewrite_casts(context, input)?
        }
    };
    let call = format!("{name}(TABLE {input_name}, …)");
    Ok(in_session_zone(context, window_over(input, &input_name, name, kind, time_column, call)?))
}

/// The `WITH` queries a query reading the `WITH` query `name` needs, in order, when `name`
/// is one in scope (`ctes`: the scopes, outermost first): those of the outer scopes, and in
/// the scope defining `name` those up to it. A name bound again in an inner scope hides the
/// outer one.
fn with_in_scope(ctes: &[Vec<Cte>], name: &str) -> Option<Vec<Cte>> {
    let scope = ctes.iter().rposition(|scope| scope.iter().any(|c| c.alias.name.value == name))?;
    let mut with: Vec<Cte> = Vec::new();
    for (i, outer) in ctes[..=scope].iter().enumerate() {
        let end = if i == scope {
            outer.iter().position(|c| c.alias.name.value == name).expect("found above") + 1
        } else {
            outer.len()
        };
        for cte in &outer[..end] {
            with.retain(|c| c.alias.name.value != cte.alias.name.value);
            with.push(cte.clone());
        }
    }
    Some(with)
}

/// `tvf` aligned to the session zone of `context` if its time attribute is a TIMESTAMP_LTZ.
pub(crate) fn in_session_zone(context: &PlanContext<'_>, mut tvf: WindowTvf) -> WindowTvf {
    if tvf.zone.is_some() {
        tvf.zone = Some(context.functions().zone);
    }
    tvf
}

/// The window `kind` named `name` over the planned relation `input` (called `input_name`
/// in messages) with the time attribute `time_column`.
pub(crate) fn window_over(
    input: LogicalPlan,
    input_name: &str,
    name: &str,
    kind: WindowKind,
    time_column: String,
    call: String,
) -> Result<WindowTvf> {
    let input_schema = input.schema().as_arrow().clone();
    let time_field = input_schema.field_with_name(&time_column).map_err(|_| {
        let names: Vec<&str> = input_schema.fields().iter().map(|f| f.name().as_str()).collect();
        match crate::suggest::closest(&time_column, names) {
            Some(near) => SqlError::validation(format!(
                "The time attribute '{time_column}' of {name} is not a column of '{input_name}'; did you mean '{near}'?"
            )),
            None => SqlError::validation(format!(
                "The time attribute '{time_column}' of {name} is not a column of '{input_name}'"
            )),
        }
    })?;
    if !matches!(time_field.data_type(), DataType::Timestamp(..)) {
        return Err(SqlError::validation(format!(
            "The time attribute '{time_column}' of {name} must be a TIMESTAMP or TIMESTAMP_LTZ column with a \
             watermark, not {}",
            time_field.data_type()
        )));
    }
    for k in match &kind {
        WindowKind::Session { partition_by, .. } => partition_by.as_slice(),
        _ => &[],
    } {
        if input_schema.field_with_name(k).is_err() {
            return Err(SqlError::validation(format!("PARTITION BY column '{k}' is not in '{input_name}'")));
        }
    }
    let mut fields: Vec<Field> = input_schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    for c in WINDOW_COLUMNS {
        if fields.iter().any(|f| f.name() == c) {
            return Err(SqlError::validation(format!(
                "'{input_name}' already has a column '{c}', which {name} adds; rename it first"
            )));
        }
    }
    let proctime = input_schema.index_of(&time_column).is_ok_and(|i| super::time_attribute::is_proctime(&input, i));
    if proctime && matches!(kind, WindowKind::Session { .. }) {
        return Err(SqlError::unsupported(format!(
            "{name} over the processing-time attribute '{time_column}' is not supported; session windows need a \
             rowtime attribute"
        )));
    }
    let ts = DataType::Timestamp(TimeUnit::Millisecond, None);
    let time_type = match time_field.data_type() {
        DataType::Timestamp(_, tz) => DataType::Timestamp(TimeUnit::Millisecond, tz.clone()),
        t => t.clone(),
    };
    fields.push(Field::new(WINDOW_COLUMNS[0], ts.clone(), false));
    fields.push(Field::new(WINDOW_COLUMNS[1], ts, false));
    fields.push(Field::new(WINDOW_COLUMNS[2], time_type, false));
    // The caller puts the session zone in (see `in_session_zone`).
    let zone = match time_field.data_type() {
        DataType::Timestamp(_, Some(_)) => Some(crate::functions::LocalTimeZone::Utc),
        _ => None,
    };
    Ok(WindowTvf {
        kind,
        input: Arc::new(input),
        time_column,
        schema: Arc::new(Schema::new(fields)),
        call,
        proctime,
        zone,
    })
}

pub(crate) fn validate(name: &str, kind: &WindowKind) -> Result<()> {
    let bad = |what: &str| Err(SqlError::validation(format!("{name}: {what}")));
    match *kind {
        WindowKind::Tumble { size, .. } if size <= 0 => bad("the window size must be positive"),
        WindowKind::Hop { slide, size, .. } if slide <= 0 || size <= 0 => bad("slide and size must be positive"),
        WindowKind::Hop { slide, size, .. } if size % slide != 0 => {
            bad("the window size must be an integral multiple of the slide")
        }
        WindowKind::Cumulate { step, max_size, .. } if step <= 0 || max_size <= 0 => {
            bad("step and max size must be positive")
        }
        WindowKind::Cumulate { step, max_size, .. } if max_size % step != 0 => {
            bad("the max window size must be an integral multiple of the step")
        }
        WindowKind::Session { gap, .. } if gap <= 0 => bad("the session gap must be positive"),
        _ => Ok(()),
    }
}

fn column_name(text: &str) -> String {
    let t = text.trim();
    let t = t.strip_prefix("TABLE ").or_else(|| t.strip_prefix("table ")).unwrap_or(t).trim();
    t.trim_matches('`').trim_matches('"').to_string()
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The length of an interval literal (`INTERVAL '10' SECOND`, `INTERVAL '1' MINUTES`,
/// `INTERVAL '1:30' MINUTE TO SECOND`…) in milliseconds.
pub fn interval_ms(expr: &Expr) -> Result<i64> {
    let Expr::Interval(interval) = expr else {
        return Err(SqlError::validation(format!("Expected an interval such as INTERVAL '10' SECOND, not '{expr}'")));
    };
    let value = interval.value.to_string();
    let value = value.trim().trim_matches('\'').trim();
    let unit = interval.leading_field.as_ref().map(|f| f.to_string().to_uppercase());
    let bad = || SqlError::validation(format!("Cannot read the interval '{expr}'"));
    let unit_ms = |u: &str| -> Option<i64> {
        Some(match u.trim_end_matches('S') {
            "MILLISECOND" => 1,
            "SECOND" => 1_000,
            "MINUTE" => 60_000,
            "HOUR" => 3_600_000,
            "DAY" => 86_400_000,
            "WEEK" => 7 * 86_400_000,
            _ => return None,
        })
    };
    match unit {
        Some(u) if interval.last_field.is_none() => {
            let n: f64 = value.parse().map_err(|_| bad())?;
            Ok((n * unit_ms(&u).ok_or_else(bad)? as f64).round() as i64)
        }
        Some(_) => {
            // `'1:30' MINUTE TO SECOND`, `'1 02:00:00' DAY TO SECOND`…: days, then h:m:s.
            let (days, clock) = match value.split_once(' ') {
                Some((d, c)) => (d.parse::<i64>().map_err(|_| bad())?, c),
                None => (0, value),
            };
            let parts: Vec<f64> =
                clock.split(':').map(|p| p.parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad())?;
            let mut ms = 0f64;
            let scales: &[f64] = match parts.len() {
                1 => &[1_000.0],
                2 => &[60_000.0, 1_000.0],
                3 => &[3_600_000.0, 60_000.0, 1_000.0],
                _ => return Err(bad()),
            };
            for (p, s) in parts.iter().zip(scales) {
                ms += p * s;
            }
            Ok(days * 86_400_000 + ms.round() as i64)
        }
        None => {
            // `INTERVAL '10 seconds'`.
            let mut words = value.split_whitespace();
            let n: f64 = words.next().and_then(|w| w.parse().ok()).ok_or_else(bad)?;
            let u = words.next().ok_or_else(bad)?.to_uppercase();
            Ok((n * unit_ms(&u).ok_or_else(bad)? as f64).round() as i64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctes(sql: &str) -> Vec<Cte> {
        let dialect = sqlparser::dialect::GenericDialect {};
        let statements = sqlparser::parser::Parser::parse_sql(&dialect, sql).expect("parse");
        let Some(sqlparser::ast::Statement::Query(q)) = statements.into_iter().next() else { panic!("a query") };
        q.with.map(|w| w.cte_tables).unwrap_or_default()
    }

    fn names(with: Option<Vec<Cte>>) -> Option<Vec<String>> {
        with.map(|w| w.iter().map(|c| c.alias.name.value.clone()).collect())
    }

    #[test]
    fn a_with_query_is_read_with_those_before_it_and_those_outside() {
        let outer = ctes("WITH o AS (SELECT 1), x AS (SELECT 2) SELECT 1");
        let inner = ctes("WITH a AS (SELECT 1), b AS (SELECT 2), c AS (SELECT 3) SELECT 1");
        let scopes = [outer, inner];
        assert_eq!(names(with_in_scope(&scopes, "b")), Some(vec!["o".into(), "x".into(), "a".into(), "b".into()]));
        assert_eq!(names(with_in_scope(&scopes, "x")), Some(vec!["o".into(), "x".into()]));
        assert_eq!(names(with_in_scope(&scopes, "t")), None);
        // An inner `x` hides the outer one.
        let shadowing = [ctes("WITH x AS (SELECT 1), y AS (SELECT 2) SELECT 1"), ctes("WITH x AS (SELECT 3) SELECT 1")];
        let with = with_in_scope(&shadowing, "x").expect("in scope");
        assert_eq!(names(Some(with.clone())), Some(vec!["y".into(), "x".into()]));
        assert_eq!(with[1].query.to_string(), "SELECT 3");
    }

    #[test]
    fn a_window_over_a_with_query_is_planned() {
        let catalog = crate::planner::test_support::catalog(
            "CREATE TABLE t (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen');",
        );
        let plan = |sql: &str| crate::planner::test_support::plan(&catalog, sql);
        // A cascade: a window over a WITH query that windows a WITH query before it.
        let cascade = "WITH x AS (SELECT k, v * 2 AS v, ts FROM t WHERE v > 0),
                small AS (SELECT k, window_time AS wt, SUM(v) AS s
                  FROM TABLE(TUMBLE(TABLE x, DESCRIPTOR(ts), INTERVAL '5' SECOND))
                  GROUP BY k, window_start, window_end, window_time)
            SELECT window_start, k, SUM(s) FROM TABLE(HOP(TABLE small, DESCRIPTOR(wt), INTERVAL '10' SECOND, \
                       INTERVAL '20' SECOND))
            GROUP BY window_start, window_end, k";
        plan(cascade).expect("planned");
        let unknown = "SELECT window_start FROM TABLE(TUMBLE(TABLE nowhere, DESCRIPTOR(ts), INTERVAL '5' SECOND))";
        assert!(plan(unknown).expect_err("unknown").to_string().contains("Object 'nowhere' not found"));
    }
}
