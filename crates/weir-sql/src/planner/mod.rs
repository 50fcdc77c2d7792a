//! From a query's AST to a DataFusion logical plan: name resolution against the session's
//! catalog, Flink's window table-valued functions, type coercion and the rewrites that
//! keep streaming semantics.

pub mod common_type;
mod context;
pub mod fixed_intervals;
pub mod group_window;
pub mod limit;
pub mod literals;
pub mod map_access;
pub mod match_recognize;
pub mod naming;
pub mod row_in;
pub mod scalar_subquery;
pub mod set_ops;
pub mod similar_to;
pub mod string_comparisons;
mod syntax_planner;
pub mod temporal;
pub mod time_attribute;
pub mod time_syntax;
pub mod tvf;
pub mod unnest;

/// What the planner's unit tests share: a catalog made by DDL, and queries planned over it.
#[cfg(test)]
pub(crate) mod test_support;

use std::sync::Arc;

use datafusion_common::config::ConfigOptions;
use datafusion_expr::LogicalPlan;
use datafusion_optimizer::analyzer::Analyzer;
use datafusion_optimizer::optimizer::{Optimizer, OptimizerContext, OptimizerRule};
use datafusion_sql::planner::{ParserOptions, SqlToRel};
use sqlparser::ast::{Query, Statement};

pub use context::{same_plan, unknown_relation, unknown_relation_at, PlanContext, StreamTableSource, TableKind};
pub use match_recognize::MatchRecognize;
pub use syntax_planner::FlinkSyntaxPlanner;
pub use temporal::VersionedTable;
pub use tvf::{WindowKind, WindowTvf};

use crate::catalog::Catalog;
use crate::error::{Result, SqlError};
use crate::functions::FunctionConfig;

/// Plans `query` against `catalog`: resolved, type-checked and optimised (session time zone UTC).
pub fn plan_query(catalog: &Catalog, query: &Query) -> Result<LogicalPlan> {
    plan_query_in(catalog, query, FunctionConfig::default())
}

/// [`plan_query`] in a session whose functions see `functions` (the session time zone).
pub fn plan_query_in(catalog: &Catalog, query: &Query, functions: FunctionConfig) -> Result<LogicalPlan> {
    let context = PlanContext::with_functions(catalog, functions);
    let plan = context.plan_query(query)?;
    let plan = flink_decimal_division(plan)?;
    let plan = flink_result_types(plan)?;
    optimize(plan, context.options())
}

/// Divisions with a DECIMAL operand (the other one a DECIMAL or an integer) get Flink's result
/// type and rounding (`flink_decimal_divide`, see [`crate::functions::math`]): DataFusion
/// keeps fewer digits (`DECIMAL(8, 3) / DECIMAL(5, 2)` has scale 7 there, 9 in Flink) and
/// truncates. Nodes above a rewritten expression are re-typed.
fn flink_decimal_division(plan: LogicalPlan) -> Result<LogicalPlan> {
    use crate::functions::math::{as_decimal, decimal_divide_udf};
    use datafusion_common::tree_node::{Transformed, TreeNode};
    use datafusion_expr::expr_rewriter::NamePreserver;
    use datafusion_expr::{BinaryExpr, Expr, ExprSchemable, Operator};
    let udf = decimal_divide_udf();
    let rewritten = plan.transform_up_with_subqueries(|node| {
        let schema = time_syntax::input_schema(&node)?;
        let names = NamePreserver::new(&node);
        let node = node.map_expressions(|e| {
            let name = names.save(&e);
            let rewritten = e.transform_up(|e| {
                let Expr::BinaryExpr(BinaryExpr { left, op: Operator::Divide, right }) = &e else {
                    return Ok(Transformed::no(e));
                };
                let (Some(l), Some(r)) = (flink_exact_type(left, &schema), flink_exact_type(right, &schema)) else {
                    return Ok(Transformed::no(e));
                };
                let decimal =
                    |t: &arrow::datatypes::DataType| matches!(t, arrow::datatypes::DataType::Decimal128(_, _));
                if !(decimal(&l) || decimal(&r)) || as_decimal(&l).is_none() || as_decimal(&r).is_none() {
                    return Ok(Transformed::no(e));
                }
                // Integer operands travel as the type Flink gives them.
                let operand = |e: &Expr, t: &arrow::datatypes::DataType| {
                    if t.is_integer() {
                        e.clone().cast_to(t, &schema)
                    } else {
                        Ok(e.clone())
                    }
                };
                let args = vec![operand(left, &l)?, operand(right, &r)?];
                Ok(Transformed::yes(Expr::ScalarFunction(datafusion_expr::expr::ScalarFunction::new_udf(
                    udf.clone(),
                    args,
                ))))
            })?;
            Ok(if rewritten.transformed { rewritten.update_data(|e| name.restore(e)) } else { rewritten })
        })?;
        // A child may have been re-typed.
        node.transform_data(|n| n.recompute_schema().map(Transformed::yes))
    });
    rewritten.map(|t| t.data).map_err(plan_error)
}

/// The type Flink gives `e` where it is exact: an integer literal that fits in an INT is an
/// INT (DataFusion makes every integer literal a BIGINT), and `NULLIF`, `COALESCE`,
/// `IFNULL` and `CASE` take the widest Flink type of their values; other expressions keep
/// DataFusion's type.
fn flink_exact_type(
    e: &datafusion_expr::Expr,
    schema: &datafusion_common::DFSchema,
) -> Option<arrow::datatypes::DataType> {
    use arrow::datatypes::DataType;
    use datafusion_common::ScalarValue;
    use datafusion_expr::{Expr, ExprSchemable};
    let wider = |a: DataType, b: DataType| match (
        crate::functions::math::as_decimal(&a),
        crate::functions::math::as_decimal(&b),
    ) {
        (Some((pa, _)), Some((pb, _))) if a.is_integer() && b.is_integer() => Some(if pa >= pb { a } else { b }),
        _ => None,
    };
    let widest = |values: Vec<&Expr>| {
        let types: Option<Vec<DataType>> = values.into_iter().map(|v| flink_exact_type(v, schema)).collect();
        types?.into_iter().try_fold(DataType::Int8, wider)
    };
    let own = e.get_type(schema).ok()?;
    if !own.is_integer() {
        return Some(own);
    }
    match e {
        Expr::Literal(ScalarValue::Int64(Some(v)), _) if i32::try_from(*v).is_ok() => Some(DataType::Int32),
        Expr::Alias(a) => flink_exact_type(&a.expr, schema),
        Expr::ScalarFunction(f) if matches!(f.func.name(), "nullif" | "coalesce" | "nvl" | "ifnull") => {
            let values: Vec<&Expr> =
                if f.func.name() == "nullif" { f.args.iter().take(1).collect() } else { f.args.iter().collect() };
            widest(values).or(Some(own))
        }
        Expr::Case(c) => {
            let values: Vec<&Expr> =
                c.when_then_expr.iter().map(|(_, t)| t.as_ref()).chain(c.else_expr.as_deref()).collect();
            widest(values).or(Some(own))
        }
        _ => Some(own),
    }
}

/// Gives aggregates Flink's result types where DataFusion's differ: `SUM` keeps its
/// argument's type (a TINYINT, SMALLINT or INT sum wraps at that width, a FLOAT sum is a
/// FLOAT, a `DECIMAL(p, s)` sum a `DECIMAL(38, s)`; DataFusion sums into BIGINT, DOUBLE and
/// `DECIMAL(p + 10, s)`), `AVG` of a FLOAT is a FLOAT, `AVG` of an integer
/// column is an integer of the same type (the sum divided by the count, truncated), and
/// `AVG` of a `DECIMAL(p, s)` is a `DECIMAL(38, max(6, s))` rounded half-up, as Flink
/// computes them — not DataFusion's DOUBLE and truncated `DECIMAL(p + 4, s + 4)`; `STDDEV_*`
/// and `VAR_*` of an integer column are of its type too. A
/// projection above the aggregate casts its results, and the plan above is re-typed.
fn flink_result_types(plan: LogicalPlan) -> Result<LogicalPlan> {
    use arrow::datatypes::DataType;
    use datafusion_common::tree_node::{Transformed, TreeNode};
    use datafusion_expr::{Expr, ExprSchemable};
    let cast = |e: Expr, t: DataType| Expr::Cast(datafusion_expr::Cast::new(Box::new(e), t));
    let rewritten = plan.transform_up(|node| {
        let node = node.recompute_schema()?;
        if let LogicalPlan::Window(w) = &node {
            return Ok(Transformed::yes(window_result_types(w)?.unwrap_or(node)));
        }
        let LogicalPlan::Aggregate(a) = &node else { return Ok(Transformed::yes(node)) };
        let mut casts = Vec::with_capacity(a.aggr_expr.len());
        let mut aggr_expr = Vec::with_capacity(a.aggr_expr.len());
        for e in &a.aggr_expr {
            let mut inner = e;
            while let Expr::Alias(alias) = inner {
                inner = &alias.expr;
            }
            let (expr, result) = match inner {
                Expr::AggregateFunction(f) if f.func.name() == "sum" && f.params.args.len() == 1 => {
                    match f.params.args[0].get_type(a.input.schema())? {
                        t @ (DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Float32) => {
                            (e.clone(), Some(t))
                        }
                        DataType::Decimal128(_, s) => (e.clone(), Some(DataType::Decimal128(38, s))),
                        _ => (e.clone(), None),
                    }
                }
                Expr::AggregateFunction(f) if f.func.name() == "avg" && f.params.args.len() == 1 => {
                    match f.params.args[0].get_type(a.input.schema())? {
                        t if t.is_integer() => (e.clone(), Some(t)),
                        DataType::Float32 => (e.clone(), Some(DataType::Float32)),
                        DataType::Decimal128(p, s) if s >= 0 => {
                            // Averaged with at least one digit more than the result keeps,
                            // so the cast to the result's scale rounds the exact value.
                            let target = s.max(6);
                            let wider = s.max(target - 3);
                            let mut f = f.clone();
                            let precision = (p as i16 + (wider - s) as i16).min(38) as u8;
                            f.params.args[0] = cast(f.params.args[0].clone(), DataType::Decimal128(precision, wider));
                            let name = e.schema_name().to_string();
                            (Expr::AggregateFunction(f).alias(name), Some(DataType::Decimal128(38, target)))
                        }
                        _ => (e.clone(), None),
                    }
                }
                // The variance family keeps an integer argument's type, truncating (Flink
                // reduces them to sums cast back to the argument's type).
                Expr::AggregateFunction(f)
                    if matches!(f.func.name(), "stddev" | "stddev_pop" | "var" | "var_pop")
                        && f.params.args.len() == 1 =>
                {
                    match f.params.args[0].get_type(a.input.schema())? {
                        t if t.is_integer() => (e.clone(), Some(t)),
                        _ => (e.clone(), None),
                    }
                }
                _ => (e.clone(), None),
            };
            aggr_expr.push(expr);
            casts.push(result);
        }
        if casts.iter().all(Option::is_none) {
            return Ok(Transformed::yes(node));
        }
        let aggregate = datafusion_expr::Aggregate::try_new(a.input.clone(), a.group_expr.clone(), aggr_expr)?;
        let node = LogicalPlan::Aggregate(aggregate);
        let groups = node.schema().fields().len() - casts.len();
        let exprs: Vec<Expr> = node
            .schema()
            .columns()
            .into_iter()
            .enumerate()
            // GROUPING SETS' internal id stays below: type coercion resolves GROUPING() into a
            // projection of its own that drops it.
            .filter(|(_, c)| c.name != datafusion_expr::Aggregate::INTERNAL_GROUPING_ID)
            .map(|(i, c)| {
                Ok(match i.checked_sub(groups).and_then(|j| casts[j].clone()) {
                    Some(t) => result_cast(c, t, node.schema())?,
                    None => Expr::Column(c),
                })
            })
            .collect::<datafusion_common::Result<_>>()?;
        let projection = datafusion_expr::Projection::try_new(exprs, Arc::new(node))?;
        Ok(Transformed::yes(LogicalPlan::Projection(projection)))
    });
    rewritten.map(|t| t.data).map_err(plan_error)
}

/// Column `c` of `schema` as an aggregate result of type `t`, keeping its name. A BIGINT sum
/// narrowed to its argument's width wraps, as Flink's arithmetic in that width does (Arrow's
/// cast would fail).
fn result_cast(
    c: datafusion_common::Column,
    t: arrow::datatypes::DataType,
    schema: &datafusion_common::DFSchema,
) -> datafusion_common::Result<datafusion_expr::Expr> {
    use arrow::datatypes::DataType;
    use datafusion_expr::{Expr, ExprSchemable};
    let name = c.name.clone();
    let column = Expr::Column(c);
    let wraps = matches!(t, DataType::Int8 | DataType::Int16 | DataType::Int32)
        && column.get_type(schema).is_ok_and(|f| f == DataType::Int64);
    Ok(if wraps {
        let target = Expr::Literal(datafusion_common::ScalarValue::try_from(&t)?, None);
        Expr::ScalarFunction(datafusion_expr::expr::ScalarFunction::new_udf(
            crate::functions::cast::flink_cast_udf(),
            vec![column, target],
        ))
        .alias(name)
    } else {
        Expr::Cast(datafusion_expr::Cast::new(Box::new(column), t)).alias(name)
    })
}

/// [`flink_result_types`] for OVER aggregates: `SUM` keeps its argument's type, `AVG` of an
/// integer or FLOAT too. A projection above the window casts; `None` when nothing changes.
fn window_result_types(w: &datafusion_expr::logical_plan::Window) -> datafusion_common::Result<Option<LogicalPlan>> {
    use arrow::datatypes::DataType;
    use datafusion_expr::{Expr, ExprSchemable, WindowFunctionDefinition};
    let casts: Vec<Option<DataType>> = w
        .window_expr
        .iter()
        .map(|e| {
            let mut inner = e;
            while let Expr::Alias(alias) = inner {
                inner = &alias.expr;
            }
            let Expr::WindowFunction(f) = inner else { return Ok(None) };
            let WindowFunctionDefinition::AggregateUDF(u) = &f.fun else { return Ok(None) };
            if f.params.args.len() != 1 || f.params.distinct {
                return Ok(None);
            }
            let arg = f.params.args[0].get_type(w.input.schema())?;
            Ok(match (u.name(), arg) {
                ("sum", t @ (DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Float32)) => Some(t),
                ("sum", DataType::Decimal128(_, s)) => Some(DataType::Decimal128(38, s)),
                ("avg", t) if t.is_integer() || t == DataType::Float32 => Some(t),
                _ => None,
            })
        })
        .collect::<datafusion_common::Result<_>>()?;
    if casts.iter().all(Option::is_none) {
        return Ok(None);
    }
    let node = LogicalPlan::Window(w.clone());
    let inputs = w.input.schema().fields().len();
    let exprs: Vec<Expr> = node
        .schema()
        .columns()
        .into_iter()
        .enumerate()
        .map(|(i, c)| match i.checked_sub(inputs).and_then(|j| casts[j].clone()) {
            Some(t) => result_cast(c, t, node.schema()),
            None => Ok(Expr::Column(c)),
        })
        .collect::<datafusion_common::Result<_>>()?;
    let projection = datafusion_expr::Projection::try_new(exprs, Arc::new(node))?;
    Ok(Some(LogicalPlan::Projection(projection)))
}

/// Type coercion and the optimiser rules that keep a plan's streaming meaning: filters and
/// projections move towards the sources, expressions are simplified, subqueries become
/// joins. (Rules that reorder or drop operators by cardinality are left out.)
pub fn optimize(plan: LogicalPlan, options: &ConfigOptions) -> Result<LogicalPlan> {
    let plan = Analyzer::new().execute_and_check(plan, options, |_, _| {}).map_err(plan_error)?;
    let rules: Vec<Arc<dyn OptimizerRule + Send + Sync>> = vec![
        Arc::new(datafusion_optimizer::rewrite_set_comparison::RewriteSetComparison::new()),
        Arc::new(datafusion_optimizer::optimize_unions::OptimizeUnions::new()),
        Arc::new(datafusion_optimizer::simplify_expressions::SimplifyExpressions::new()),
        Arc::new(datafusion_optimizer::replace_distinct_aggregate::ReplaceDistinctWithAggregate::new()),
        Arc::new(datafusion_optimizer::decorrelate_predicate_subquery::DecorrelatePredicateSubquery::new()),
        Arc::new(datafusion_optimizer::scalar_subquery_to_join::ScalarSubqueryToJoin::new()),
        Arc::new(datafusion_optimizer::extract_equijoin_predicate::ExtractEquijoinPredicate::new()),
        Arc::new(datafusion_optimizer::eliminate_cross_join::EliminateCrossJoin::new()),
        Arc::new(datafusion_optimizer::eliminate_outer_join::EliminateOuterJoin::new()),
        Arc::new(datafusion_optimizer::push_down_filter::PushDownFilter::new()),
        Arc::new(datafusion_optimizer::simplify_expressions::SimplifyExpressions::new()),
        Arc::new(datafusion_optimizer::optimize_projections::OptimizeProjections::new()),
    ];
    let context = OptimizerContext::new().with_max_passes(3);
    Optimizer::with_rules(rules).optimize(plan, &context, |_, _| {}).map_err(plan_error)
}

/// Type coercion and expression simplification only, for a plan whose shape must stay as it
/// is (an expression planned as a projection, see [`match_recognize`]).
pub(crate) fn simplify(plan: LogicalPlan, options: &ConfigOptions) -> Result<LogicalPlan> {
    let plan = Analyzer::new().execute_and_check(plan, options, |_, _| {}).map_err(plan_error)?;
    let rules: Vec<Arc<dyn OptimizerRule + Send + Sync>> =
        vec![Arc::new(datafusion_optimizer::simplify_expressions::SimplifyExpressions::new())];
    Optimizer::with_rules(rules).optimize(plan, &OptimizerContext::new(), |_, _| {}).map_err(plan_error)
}

/// A DataFusion planning error in the user's terms: at the position of the offending
/// expression when DataFusion knows it, with Flink's type names.
pub(crate) fn plan_error(e: datafusion_common::DataFusionError) -> SqlError {
    let position = e
        .diagnostic()
        .and_then(|d| d.span)
        .filter(|s| s.start.line > 0)
        .map(|s| crate::parser::ast::Position { line: s.start.line, column: s.start.column });
    let text = e.strip_backtrace();
    let text = text
        .trim_start_matches("Error during planning: ")
        .trim_start_matches("Schema error: ")
        .trim_start_matches("type_coercion\ncaused by\n")
        .to_string();
    let text = flink_type_names(&text);
    let text = no_matching_signature(&text).unwrap_or(text);
    let text = unsupported_node(&text).unwrap_or(text);
    let error = match e {
        datafusion_common::DataFusionError::NotImplemented(_) => SqlError::unsupported(text),
        _ => SqlError::validation(text),
    };
    match position {
        Some(p) => error.at(p),
        None => error,
    }
}

/// DataFusion's report of a syntax tree node it cannot plan (which dumps the whole node),
/// said in one line naming the construct.
fn unsupported_node(text: &str) -> Option<String> {
    let rest = &text[text.find("Unsupported ast node ")? + "Unsupported ast node ".len()..];
    let node: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    Some(match node.as_str() {
        "MatchRecognize" => "MATCH_RECOGNIZE (pattern recognition) is not supported yet".to_string(),
        "" => return None,
        other => format!("The SQL construct '{other}' is not supported yet"),
    })
}

/// DataFusion's long report of a call matching no signature, said as Flink says it:
/// `Cannot apply 'sum' to arguments of type sum(STRING). Supported forms: sum(DECIMAL), …`.
fn no_matching_signature(text: &str) -> Option<String> {
    let start = text.find("No function matches the given name and argument types '")?;
    let rest = &text[start..];
    let call = rest.split('\'').nth(1)?;
    let name = call.split('(').next()?;
    let mut forms: Vec<&str> = Vec::new();
    if let Some(candidates) = rest.split("Candidate functions:").nth(1) {
        for form in candidates.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !forms.contains(&form) {
                forms.push(form);
            }
        }
    }
    let mut message = format!("Cannot apply '{name}' to arguments of type {call}.");
    if !forms.is_empty() {
        message.push_str(&format!(" Supported forms: {}", forms.join(", ")));
    }
    Some(message)
}

/// `Int32 + Utf8` as `INT + STRING`: Arrow's type names in a message replaced by Flink's.
fn flink_type_names(text: &str) -> String {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| {
        regex::Regex::new(
            r"\b(Int8|Int16|Int32|Int64|UInt8|UInt16|UInt32|UInt64|Float32|Float64|Utf8View|LargeUtf8|Utf8|Boolean|Date32|Binary|Decimal128\((\d+), (-?\d+)\)|Timestamp\((Second|Millisecond|Microsecond|Nanosecond), (None|Some\([^)]*\))\))(\b|$)",
        )
        .expect("a valid pattern")
    });
    pattern
        .replace_all(text, |c: &regex::Captures<'_>| {
            let name = &c[1];
            match name {
                "Int8" | "UInt8" => "TINYINT".to_string(),
                "Int16" | "UInt16" => "SMALLINT".to_string(),
                "Int32" | "UInt32" => "INT".to_string(),
                "Int64" | "UInt64" => "BIGINT".to_string(),
                "Float32" => "FLOAT".to_string(),
                "Float64" => "DOUBLE".to_string(),
                "Utf8" | "Utf8View" | "LargeUtf8" => "STRING".to_string(),
                "Boolean" => "BOOLEAN".to_string(),
                "Date32" => "DATE".to_string(),
                "Binary" => "BYTES".to_string(),
                _ if name.starts_with("Decimal128") => format!("DECIMAL({}, {})", &c[2], &c[3]),
                _ => {
                    let precision = match &c[4] {
                        "Second" => 0,
                        "Millisecond" => 3,
                        "Microsecond" => 6,
                        _ => 9,
                    };
                    if &c[5] == "None" {
                        format!("TIMESTAMP({precision})")
                    } else {
                        format!("TIMESTAMP_LTZ({precision})")
                    }
                }
            }
        })
        .into_owned()
}

/// Plans a statement that DataFusion knows (a query) with the given context.
pub(crate) fn to_logical_plan(context: &PlanContext<'_>, query: Query) -> Result<LogicalPlan> {
    let planner = SqlToRel::new_with_options(context, parser_options());
    planner.sql_statement_to_plan(Statement::Query(Box::new(query))).map_err(plan_error)
}

/// DataFusion's SQL planner options for Flink's SQL.
pub(crate) fn parser_options() -> ParserOptions {
    ParserOptions {
        parse_float_as_decimal: true,
        enable_ident_normalization: false,
        support_varchar_with_length: true,
        enable_options_value_normalization: false,
        collect_spans: true,
        map_string_types_to_utf8view: false,
        // Flink's default null collation: NULL sorts lowest (first ascending, last descending).
        default_null_ordering: datafusion_sql::planner::NullOrdering::NullsMin,
    }
}
