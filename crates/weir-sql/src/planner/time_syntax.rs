//! Flink's date/time syntax and casts that DataFusion's SQL planner reads differently.
//!
//! 1. Before planning, [`rewrite_temporal_syntax`] turns the bare unit keyword of
//!    `TIMESTAMPADD(DAY, 1, ts)` / `TIMESTAMPDIFF(HOUR, a, b)` (which DataFusion would take for a
//!    column) into the string the functions expect, and `CAST` targets into Arrow's types.
//! 2. After planning, [`rewrite_casts`] replaces each `CAST` / `TRY_CAST` whose Flink meaning
//!    differs from Arrow's (session zone for TIMESTAMP_LTZ, string formats, …) by Flink's cast
//!    function, refuses the casts Flink refuses, and makes `EXTRACT` of a TIMESTAMP_LTZ read the
//!    session zone's wall clock (see [`crate::functions::cast`]).

use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::{DFSchema, ScalarValue};
use datafusion_expr::expr::ScalarFunction;
use datafusion_expr::expr_rewriter::NamePreserver;
use datafusion_expr::{Expr, ExprSchemable, LogicalPlan};
use sqlparser::ast::{
    CeilFloorKind, DataType as SqlType, DateTimeField, FunctionArg, FunctionArgExpr, FunctionArguments, Query,
    TimezoneInfo, Value, ValueWithSpan, VisitMut, VisitorMut,
};

use super::context::PlanContext;
use crate::error::{Result, SqlError};
use crate::functions::cast::{flink_cast_needed, refused_cast, CAST, TRY_CAST};

const UNITS: [&str; 12] = [
    "MICROSECOND",
    "MILLISECOND",
    "SECOND",
    "MINUTE",
    "HOUR",
    "DAY",
    "WEEK",
    "MONTH",
    "QUARTER",
    "YEAR",
    "NANOSECOND",
    "FRAC_SECOND",
];

/// Flink's temporal syntax in `query`, in the form DataFusion's planner reads:
///
/// * `TIMESTAMPADD(DAY, …)` → `TIMESTAMPADD('DAY', …)` (also `SQL_TSI_DAY`), for TIMESTAMPADD
///   and TIMESTAMPDIFF;
/// * `FLOOR(t TO unit)` / `CEIL(t TO unit)` → `flink_floor(t, 'UNIT')` / `flink_ceil(…)`;
/// * a `TIMESTAMP '…'` literal gets the precision of its fraction digits;
/// * `CAST(x AS CHAR(n))` pads to `n` characters and `CAST(x AS VARCHAR(n))` cuts to `n`; the
///   same for `BINARY(n)` (zero bytes) and `VARBINARY(n)`, and `BYTES` is Arrow's `Binary`;
/// * the target of a `CAST`: `TIMESTAMP_LTZ(p)` → `TIMESTAMP(p) WITH TIME ZONE` (Arrow's
///   `Timestamp(unit, "UTC")`), and precisions rounded up to the Arrow unit that holds them
///   (`TIMESTAMP` alone is `TIMESTAMP(6)`, as in Flink). Unlike a column's type
///   ([`crate::types`]), `TIMESTAMP(0)` here is Arrow's seconds, so that it truncates and
///   prints as Flink's does.
pub fn rewrite_temporal_syntax(query: &mut Query) {
    struct Units;
    impl VisitorMut for Units {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut sqlparser::ast::Expr) -> ControlFlow<()> {
            if let Some(sized) = sized_string_cast(expr) {
                *expr = sized;
                return ControlFlow::Continue(());
            }
            if let sqlparser::ast::Expr::Cast { data_type, .. } = expr {
                cast_target(data_type);
                return ControlFlow::Continue(());
            }
            if let sqlparser::ast::Expr::TypedString(ts) = expr {
                // A TIMESTAMP literal's precision is its number of fraction digits.
                if let (SqlType::Timestamp(None, TimezoneInfo::None), Value::SingleQuotedString(text)) =
                    (&ts.data_type, &ts.value.value)
                {
                    let digits = text.trim().rsplit_once('.').map_or(0, |(_, f)| f.len() as u64);
                    ts.data_type = SqlType::Timestamp(Some(digits), TimezoneInfo::None);
                    cast_target(&mut ts.data_type);
                }
                // So is a TIME literal's (`TIME '07:08:09.5'` is a TIME(1)).
                if let (SqlType::Time(None, tz), Value::SingleQuotedString(text)) = (&ts.data_type, &ts.value.value) {
                    let digits = text.trim().rsplit_once('.').map_or(0, |(_, f)| f.len() as u64);
                    ts.data_type = SqlType::Time(Some(digits), *tz);
                }
                return ControlFlow::Continue(());
            }
            if let Some(call) = interval_times_call(expr) {
                *expr = call;
                return ControlFlow::Continue(());
            }
            let name = if matches!(expr, sqlparser::ast::Expr::Floor { .. }) { "flink_floor" } else { "flink_ceil" };
            if let sqlparser::ast::Expr::Floor { expr: inner, field: CeilFloorKind::DateTimeField(unit) }
            | sqlparser::ast::Expr::Ceil { expr: inner, field: CeilFloorKind::DateTimeField(unit) } = expr
            {
                let call = (*unit != DateTimeField::NoDateTime)
                    .then(|| floor_ceil_call(name, inner, &unit.to_string()))
                    .flatten();
                if let Some(call) = call {
                    *expr = call;
                }
                return ControlFlow::Continue(());
            }
            let sqlparser::ast::Expr::Function(f) = expr else { return ControlFlow::Continue(()) };
            let name = f.name.to_string().to_ascii_uppercase();
            if name != "TIMESTAMPADD" && name != "TIMESTAMPDIFF" {
                return ControlFlow::Continue(());
            }
            let FunctionArguments::List(list) = &mut f.args else { return ControlFlow::Continue(()) };
            if let Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(first))) = list.args.first_mut() {
                if let sqlparser::ast::Expr::Identifier(id) = first {
                    let unit = id.value.to_ascii_uppercase();
                    let bare = unit.strip_prefix("SQL_TSI_").unwrap_or(&unit);
                    if id.quote_style.is_none() && UNITS.contains(&bare) {
                        *first = sqlparser::ast::Expr::Value(ValueWithSpan::from(Value::SingleQuotedString(unit)));
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Units);
}

/// `CAST(x AS CHAR(n))` as `RPAD(CAST(x AS STRING), n, ' ')` and `CAST(x AS VARCHAR(n))` as
/// `LEFT(CAST(x AS STRING), n)`: Flink pads a CHAR and cuts both to their length,
/// DataFusion keeps any string as it is. (`TRY_CAST` alike.)
fn sized_string_cast(expr: &sqlparser::ast::Expr) -> Option<sqlparser::ast::Expr> {
    use sqlparser::ast::{CharacterLength, Expr as Ast};
    let Ast::Cast { kind, expr: inner, data_type, format, array } = expr else { return None };
    if let Some(call) = sized_binary_cast(expr) {
        return Some(call);
    }
    let (pad, length) = match data_type {
        SqlType::Char(l) | SqlType::Character(l) => (true, l.as_ref()),
        SqlType::Varchar(l) | SqlType::CharacterVarying(l) => (false, l.as_ref()),
        _ => return None,
    };
    let length = match length {
        Some(CharacterLength::IntegerLength { length, .. }) => *length,
        None if pad => 1,
        _ => return None,
    };
    let text = Ast::Cast {
        kind: kind.clone(),
        expr: inner.clone(),
        data_type: SqlType::String(None),
        format: format.clone(),
        array: *array,
    };
    let sql = if pad { format!("rpad(NULL, {length}, ' ')") } else { format!("left(NULL, {length})") };
    call_on(&sql, text)
}

/// The call `template` (SQL whose first argument is a placeholder) with `first` as its first
/// argument.
fn call_on(template: &str, first: sqlparser::ast::Expr) -> Option<sqlparser::ast::Expr> {
    let mut call = sqlparser::parser::Parser::new(&sqlparser::dialect::GenericDialect {})
        .try_with_sql(template)
        .ok()?
        .parse_expr()
        .ok()?;
    if let sqlparser::ast::Expr::Function(f) = &mut call {
        if let FunctionArguments::List(list) = &mut f.args {
            list.args[0] = FunctionArg::Unnamed(FunctionArgExpr::Expr(first));
        }
    }
    Some(call)
}

/// `CAST(x AS BINARY(n))` as `flink_fit_bytes(CAST(x AS BYTES), n, TRUE)` (cut or padded with
/// zero bytes to `n`) and `CAST(x AS VARBINARY(n))` as `flink_fit_bytes(…, n, FALSE)` (cut):
/// Arrow's binary type has no length. `BINARY` alone is `BINARY(1)`, as in Flink.
fn sized_binary_cast(expr: &sqlparser::ast::Expr) -> Option<sqlparser::ast::Expr> {
    use sqlparser::ast::{BinaryLength, Expr as Ast};
    let Ast::Cast { kind, expr: inner, data_type, format, array } = expr else { return None };
    let (pad, length) = match data_type {
        SqlType::Binary(n) => (true, n.unwrap_or(1)),
        SqlType::Varbinary(Some(BinaryLength::IntegerLength { length })) => (false, *length),
        _ => return None,
    };
    let bytes = Ast::Cast {
        kind: kind.clone(),
        expr: inner.clone(),
        data_type: SqlType::Bytea,
        format: format.clone(),
        array: *array,
    };
    let sql = format!("{}(NULL, {length}, {})", crate::functions::cast::FIT_BYTES, if pad { "TRUE" } else { "FALSE" });
    call_on(&sql, bytes)
}

/// `name(inner, 'UNIT')` as an AST call.
/// `n * INTERVAL '…' unit` or `INTERVAL '…' unit * n` as `interval_times(interval, n)`:
/// Flink multiplies intervals by numbers, DataFusion does not.
fn interval_times_call(expr: &sqlparser::ast::Expr) -> Option<sqlparser::ast::Expr> {
    use sqlparser::ast::{BinaryOperator, Expr as Ast};
    let Ast::BinaryOp { left, op: BinaryOperator::Multiply, right } = expr else { return None };
    let is_interval = |e: &Ast| {
        let mut e = e;
        while let Ast::Nested(inner) = e {
            e = inner;
        }
        matches!(e, Ast::Interval(_))
    };
    let (interval, times) = match (is_interval(left), is_interval(right)) {
        (true, false) => (left, right),
        (false, true) => (right, left),
        _ => return None,
    };
    let mut call = floor_ceil_call("interval_times", interval, "")?;
    if let Ast::Function(f) = &mut call {
        if let FunctionArguments::List(list) = &mut f.args {
            list.args[1] = FunctionArg::Unnamed(FunctionArgExpr::Expr((**times).clone()));
        }
    }
    Some(call)
}

fn floor_ceil_call(name: &str, inner: &sqlparser::ast::Expr, unit: &str) -> Option<sqlparser::ast::Expr> {
    let dialect = sqlparser::dialect::GenericDialect {};
    let mut call = sqlparser::parser::Parser::new(&dialect)
        .try_with_sql(&format!("{name}(NULL, '{}')", unit.to_ascii_uppercase()))
        .ok()?
        .parse_expr()
        .ok()?;
    if let sqlparser::ast::Expr::Function(f) = &mut call {
        if let FunctionArguments::List(list) = &mut f.args {
            list.args[0] = FunctionArg::Unnamed(FunctionArgExpr::Expr(inner.clone()));
        }
    }
    Some(call)
}

fn cast_target(t: &mut SqlType) {
    // TIMESTAMP(0) stays in seconds (shown without a fraction, as Flink shows it).
    let unit_precision = |p: u64| match p {
        0 => 0,
        1..=3 => 3,
        4..=6 => 6,
        _ => 9,
    };
    match t {
        SqlType::Custom(name, modifiers) if name.to_string().eq_ignore_ascii_case("TIMESTAMP_LTZ") => {
            let p = match modifiers.as_slice() {
                [] => 6,
                [p] => match p.trim().parse::<u64>() {
                    Ok(p) => p,
                    Err(_) => return,
                },
                _ => return,
            };
            *t = SqlType::Timestamp(Some(unit_precision(p)), TimezoneInfo::WithTimeZone);
        }
        SqlType::Timestamp(p, TimezoneInfo::None | TimezoneInfo::WithoutTimeZone) => {
            *t = SqlType::Timestamp(Some(unit_precision(p.unwrap_or(6))), TimezoneInfo::None);
        }
        // BYTES and VARBINARY are Arrow's variable-length binary (a VARBINARY(n) or BINARY(n)
        // was rewritten by `sized_binary_cast`).
        SqlType::Custom(name, modifiers) if modifiers.is_empty() && name.to_string().eq_ignore_ascii_case("BYTES") => {
            *t = SqlType::Bytea;
        }
        SqlType::Bytes(None) | SqlType::Varbinary(None | Some(sqlparser::ast::BinaryLength::Max)) => {
            *t = SqlType::Bytea;
        }
        // TIME(p) is planned by `crate::types::FlinkTypePlanner`.
        _ => {}
    }
}

/// Casts with Flink's meaning, and `EXTRACT` of TIMESTAMP_LTZ in the session zone, throughout
/// `plan` (see the module docs).
pub fn rewrite_casts(context: &PlanContext<'_>, plan: LogicalPlan) -> Result<LogicalPlan> {
    use datafusion_expr::planner::ContextProvider;
    let (Some(cast), Some(try_cast)) = (context.get_function_meta(CAST), context.get_function_meta(TRY_CAST)) else {
        return Ok(plan);
    };
    // Plans without a cast or EXTRACT are left as they are (rebuilding every node is not
    // free, and a UNION of subquery filters came back with duplicate column names).
    let mut needed = false;
    plan.apply_with_subqueries(|node| {
        node.apply_expressions(|e| {
            e.apply(|x| {
                let cast = match x {
                    Expr::Cast(_) | Expr::TryCast(_) => true,
                    Expr::ScalarFunction(f) => f.func.name() == "date_part",
                    _ => false,
                };
                needed |= cast;
                Ok(if cast {
                    datafusion_common::tree_node::TreeNodeRecursion::Stop
                } else {
                    datafusion_common::tree_node::TreeNodeRecursion::Continue
                })
            })
        })
    })
    .map_err(super::plan_error)?;
    if !needed {
        return Ok(plan);
    }
    let mut refused: Option<String> = None;
    let rewritten = plan.transform_up_with_subqueries(|node| {
        let schema = input_schema(&node)?;
        // A rewritten expression keeps its name, so the columns above still find it.
        let names = NamePreserver::new(&node);
        node.map_expressions(|e| {
            let name = names.save(&e);
            let rewritten = e.transform_up(|e| {
                let (inner, to, udf) = match &e {
                    Expr::Cast(c) => (&c.expr, c.field.data_type().clone(), &cast),
                    Expr::TryCast(c) => (&c.expr, c.field.data_type().clone(), &try_cast),
                    Expr::ScalarFunction(f) if f.func.name() == "date_part" && f.args.len() == 2 => {
                        return extract_in_zone(f, &schema, &cast);
                    }
                    _ => return Ok(Transformed::no(e)),
                };
                let Ok(from) = inner.get_type(&schema) else { return Ok(Transformed::no(e)) };
                if let Some(message) = refused_cast(&from, &to) {
                    refused.get_or_insert_with(|| message.to_string());
                    return Ok(Transformed::no(e));
                }
                if from == to || !flink_cast_needed(&from, &to) {
                    return Ok(Transformed::no(e));
                }
                let target = Expr::Literal(ScalarValue::try_from(&to)?, None);
                Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
                    udf.clone(),
                    vec![inner.as_ref().clone(), target],
                ))))
            })?;
            // Only a rewritten expression needs its old name back (restoring names on
            // untouched ones can alias two columns of a UNION branch alike).
            Ok(if rewritten.transformed { rewritten.update_data(|e| name.restore(e)) } else { rewritten })
        })
    });
    let plan = rewritten.map_err(super::plan_error)?.data;
    match refused {
        Some(message) => Err(SqlError::validation(message)),
        None => Ok(plan),
    }
}

/// `date_part(field, ltz)` → `date_part(field, flink_cast(ltz AS TIMESTAMP))`.
fn extract_in_zone(
    f: &ScalarFunction,
    schema: &DFSchema,
    cast: &Arc<datafusion_expr::ScalarUDF>,
) -> datafusion_common::Result<Transformed<Expr>> {
    let unchanged = || Ok(Transformed::no(Expr::ScalarFunction(f.clone())));
    let Ok(DataType::Timestamp(unit, Some(_))) = f.args[1].get_type(schema) else { return unchanged() };
    let target = Expr::Literal(ScalarValue::try_from(&DataType::Timestamp(unit, None))?, None);
    let local = Expr::ScalarFunction(ScalarFunction::new_udf(cast.clone(), vec![f.args[1].clone(), target]));
    Ok(Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(f.func.clone(), vec![f.args[0].clone(), local]))))
}

/// The schema a node's expressions are evaluated against: its inputs' columns.
pub(crate) fn input_schema(node: &LogicalPlan) -> datafusion_common::Result<DFSchema> {
    let inputs = node.inputs();
    let mut schema = match inputs.first() {
        Some(first) => first.schema().as_ref().clone(),
        None => return Ok(node.schema().as_ref().clone()),
    };
    // The branches of a UNION share their column names and have no expressions to type.
    if matches!(node, LogicalPlan::Union(_)) {
        return Ok(schema);
    }
    for other in &inputs[1..] {
        schema = schema.join(other.schema())?;
    }
    Ok(schema)
}
