//! `MATCH_RECOGNIZE` (Flink's pattern recognition): rows of a partition, in rowtime order,
//! matched against a pattern of variables, one row per match.
//!
//! As for window TVFs, each `MATCH_RECOGNIZE` in a `FROM` clause is replaced before
//! planning by a stand-in relation (`__match_0`) whose columns are the `PARTITION BY`
//! columns then the measures; the streaming planner turns a scan of it into the keyed
//! pattern operator ([`crate::stream::match_recognize`]) over the planned input.
//!
//! `DEFINE` conditions and `MEASURES` are compiled here into ordinary expressions over
//! placeholder columns, one per navigation the expression makes ([`MatchRef`]: a variable's
//! column, `PREV`, `FIRST`, `LAST`, an aggregate over a variable's rows, `MATCH_ROWTIME()`);
//! the operator computes the placeholders from the rows matched so far and evaluates the
//! expression over them.
//!
//! Supported as in Flink: a sequence of variables with the quantifiers `*`, `+`, `?`,
//! `{n}`, `{n,}`, `{n,m}`, `{,m}` (greedy) and their reluctant forms (`*?`, `+?`, `??`, …);
//! `ONE ROW PER MATCH`; every `AFTER MATCH SKIP`; `WITHIN`. Refused with Flink's
//! message: `ALL ROWS PER MATCH`, a pattern ending in a greedy quantifier; refused as not
//! supported yet: exclusion, anchors, secondary `ORDER BY` keys and aggregates over
//! expressions (Flink has these). Alternation, groups, `PERMUTE`, reluctant optional
//! variables (`??`) and `PREV(v.col)` are refused with Flink's messages.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion_common::{DFSchema, DFSchemaRef};
use datafusion_expr::{ExprSchemable, LogicalPlan};
use sqlparser::ast::{
    AfterMatchSkip, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, MatchRecognizePattern,
    MatchRecognizeSymbol, Query, RepetitionQuantifier, RowsPerMatch, SetExpr, TableFactor, Value, VisitMut, VisitorMut,
};

use super::context::PlanContext;
use crate::error::{Result, SqlError};
use crate::parser::match_within::WITHIN_SYMBOL;

/// One variable of the pattern with its quantifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatternElement {
    /// The variable (index into [`MatchRecognize::variables`]).
    pub variable: usize,
    /// The fewest rows it takes.
    pub min: u32,
    /// The most rows it takes (`None`: unbounded).
    pub max: Option<u32>,
    /// Greedy (takes a row whenever it can) or reluctant (the next element first).
    pub greedy: bool,
}

/// Where matching resumes after a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipStrategy {
    /// `SKIP PAST LAST ROW`.
    PastLastRow,
    /// `SKIP TO NEXT ROW` (Flink's default).
    ToNextRow,
    /// `SKIP TO FIRST v`.
    ToFirst(usize),
    /// `SKIP TO LAST v`.
    ToLast(usize),
}

/// An aggregate over the rows mapped to a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchAggregate {
    /// `SUM(v.col)`, of the column's type.
    Sum,
    /// `AVG(v.col)`, of the column's type (integer division for integers, as in Flink).
    Avg,
    /// `MIN(v.col)`.
    Min,
    /// `MAX(v.col)`.
    Max,
    /// `COUNT(v.col)` (non-null values) or `COUNT(*)` / `COUNT(v.*)` (rows).
    Count,
}

/// A value an expression reads from the rows matched so far (in a `DEFINE`, the row being
/// tested is the last row, mapped to the variable defined).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchRef {
    /// `LAST(v.col, offset)`; `v.col` is `LAST(v.col, 0)`; without a variable, over all the
    /// rows of the match.
    Last {
        /// The variable, if any.
        variable: Option<usize>,
        /// The input column.
        column: usize,
        /// Rows back from the last.
        offset: usize,
    },
    /// `FIRST(v.col, offset)`.
    First {
        /// The variable, if any.
        variable: Option<usize>,
        /// The input column.
        column: usize,
        /// Rows on from the first.
        offset: usize,
    },
    /// `PREV(v.col, offset)`: the row `offset` rows before the last row mapped to `v`
    /// (before the last row of the match without a variable), within the match.
    Prev {
        /// The variable, if any.
        variable: Option<usize>,
        /// The input column.
        column: usize,
        /// Rows back.
        offset: usize,
    },
    /// An aggregate over the rows mapped to the variable (all rows without one); no
    /// column: `COUNT(*)`.
    Aggregate {
        /// The function.
        function: MatchAggregate,
        /// The variable, if any.
        variable: Option<usize>,
        /// The input column.
        column: Option<usize>,
    },
    /// `MATCH_ROWTIME()`: the rowtime of the match's last row.
    MatchRowtime,
}

/// A `DEFINE` condition or a measure: an expression over one placeholder column per
/// navigation in [`Self::refs`].
#[derive(Debug, Clone)]
pub struct MatchExpr {
    /// The expression over [`Self::schema`], type-checked.
    pub expr: datafusion_expr::Expr,
    /// The placeholder columns (`__mr0`, …), one per entry of `refs`.
    pub schema: DFSchemaRef,
    /// What each placeholder holds.
    pub refs: Vec<MatchRef>,
}

/// One `MATCH_RECOGNIZE` of a query.
#[derive(Debug)]
pub struct MatchRecognize {
    /// The relation matched.
    pub input: Arc<LogicalPlan>,
    /// `PARTITION BY` columns of the input.
    pub partition_by: Vec<usize>,
    /// The input column `ORDER BY` starts with (must be its rowtime attribute).
    pub time: usize,
    /// The pattern's elements in order.
    pub pattern: Vec<PatternElement>,
    /// The pattern's variables.
    pub variables: Vec<String>,
    /// Each variable's condition (`None`: always true).
    pub defines: Vec<Option<MatchExpr>>,
    /// The measures, in order.
    pub measures: Vec<MatchExpr>,
    /// `AFTER MATCH SKIP`.
    pub skip: SkipStrategy,
    /// `WITHIN`, in milliseconds.
    pub within: Option<i64>,
    /// The partition columns then the measures.
    pub schema: SchemaRef,
    /// The output column that is `MATCH_ROWTIME()` (a rowtime attribute), if any.
    pub rowtime: Option<usize>,
}

/// Replaces the `MATCH_RECOGNIZE`s of `query` by stand-in relations registered in `context`.
pub fn replace_match_recognize(context: &PlanContext<'_>, query: &mut Query) -> Result<()> {
    struct Replacer<'c, 'a> {
        context: &'c PlanContext<'a>,
    }
    impl VisitorMut for Replacer<'_, '_> {
        type Break = SqlError;
        fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<SqlError> {
            if !matches!(factor, TableFactor::MatchRecognize { .. }) {
                return ControlFlow::Continue(());
            }
            match plan(self.context, factor) {
                Ok((m, alias)) => {
                    let name = {
                        let mut matches = self.context.matches.borrow_mut();
                        let name = format!("__match_{}", matches.len());
                        matches.insert(name.clone(), Arc::new(m));
                        name
                    };
                    match super::tvf::stand_in_factor(&name) {
                        Some(mut table) => {
                            if let TableFactor::Table { alias: a, .. } = &mut table {
                                *a = alias;
                            }
                            *factor = table;
                            ControlFlow::Continue(())
                        }
                        None => ControlFlow::Break(SqlError::unsupported("cannot build a MATCH_RECOGNIZE relation")),
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

fn plan(
    context: &PlanContext<'_>,
    factor: &TableFactor,
) -> Result<(MatchRecognize, Option<sqlparser::ast::TableAlias>)> {
    let TableFactor::MatchRecognize {
        table,
        partition_by,
        order_by,
        measures,
        rows_per_match,
        after_match_skip,
        pattern,
        symbols,
        alias,
    } = factor
    else {
        unreachable!("checked by the caller")
    };
    if let Some(RowsPerMatch::AllRows(_)) = rows_per_match {
        return Err(SqlError::unsupported("All rows per match mode is not supported yet."));
    }
    // The input, planned and finished as a view's plan is.
    let dialect = sqlparser::dialect::GenericDialect {};
    let parsed = sqlparser::parser::Parser::parse_sql(&dialect, "SELECT * FROM __input").ok();
    let Some(sqlparser::ast::Statement::Query(mut query)) = parsed.and_then(|s| s.into_iter().next()) else {
        return Err(SqlError::unsupported("cannot plan a MATCH_RECOGNIZE input"));
    };
    if let SetExpr::Select(s) = query.body.as_mut() {
        s.from[0].relation = (**table).clone();
    }
    let input = context.plan_rewritten(*query)?;
    let input = super::flink_result_types(super::flink_decimal_division(input)?)?;
    let input = super::optimize(input, context.options())?;
    let in_schema = Arc::new(input.schema().as_arrow().clone());
    let column = |name: &Ident| -> Result<usize> {
        in_schema.index_of(&name.value).map_err(|_| {
            SqlError::validation(format!("Column '{}' not found in the input of MATCH_RECOGNIZE", name.value))
        })
    };

    let partition_by = partition_by
        .iter()
        .map(|e| match e {
            Expr::Identifier(i) => column(i),
            Expr::CompoundIdentifier(parts) => column(parts.last().expect("not empty")),
            other => Err(SqlError::unsupported(format!(
                "PARTITION BY {other} in MATCH_RECOGNIZE: only columns are supported"
            ))),
        })
        .collect::<Result<Vec<_>>>()?;
    if order_by.first().is_some_and(|o| o.options.asc == Some(false)) {
        return Err(SqlError::unsupported("Primary sort order of a streaming table must be ascending on time."));
    }
    let time = match order_by.first() {
        Some(o) => match &o.expr {
            Expr::Identifier(i) => column(i)?,
            Expr::CompoundIdentifier(parts) => column(parts.last().expect("not empty"))?,
            _ => return Err(order_error()),
        },
        _ => return Err(order_error()),
    };
    if order_by.len() > 1 {
        return Err(SqlError::unsupported(
            "MATCH_RECOGNIZE ordered by more than its time attribute is not supported yet",
        ));
    }

    let mut variables: Vec<String> = Vec::new();
    let pattern = elements(pattern, &mut variables, false)?;
    if let Some(last) = pattern.last() {
        if last.greedy && last.max != Some(last.min) {
            return Err(SqlError::unsupported(
                "Greedy quantifiers are not allowed as the last element of a Pattern yet. Finish your pattern with \
                 either a simple variable or reluctant quantifier.",
            ));
        }
    }

    let mut within = None;
    let mut defines: Vec<Option<MatchExpr>> = vec![None; variables.len()];
    for symbol in symbols {
        if symbol.symbol.value == WITHIN_SYMBOL {
            within = Some(super::tvf::interval_ms(&symbol.definition)?);
            continue;
        }
        let Some(v) = variables.iter().position(|x| *x == symbol.symbol.value) else {
            return Err(SqlError::validation(format!(
                "The pattern variable '{}' is defined but not used in PATTERN",
                symbol.symbol.value
            )));
        };
        defines[v] = Some(compile(context, &symbol.definition, &in_schema, &variables, time)?);
    }

    let skip = match after_match_skip {
        None | Some(AfterMatchSkip::ToNextRow) => SkipStrategy::ToNextRow,
        Some(AfterMatchSkip::PastLastRow) => SkipStrategy::PastLastRow,
        Some(AfterMatchSkip::ToFirst(v)) => SkipStrategy::ToFirst(variable(&variables, v)?),
        Some(AfterMatchSkip::ToLast(v)) => SkipStrategy::ToLast(variable(&variables, v)?),
    };

    let mut fields: Vec<Field> = partition_by.iter().map(|&c| in_schema.field(c).clone().with_nullable(true)).collect();
    let mut compiled = Vec::new();
    let mut rowtime = None;
    for m in measures {
        let e = compile(context, &m.expr, &in_schema, &variables, time)?;
        if e.refs == [MatchRef::MatchRowtime] && matches!(e.expr, datafusion_expr::Expr::Column(_)) {
            rowtime = Some(fields.len());
        }
        let data_type = e.expr.get_type(&e.schema).map_err(super::plan_error)?;
        fields.push(Field::new(m.alias.value.clone(), data_type, true));
        compiled.push(e);
    }
    Ok((
        MatchRecognize {
            input: Arc::new(input),
            partition_by,
            time,
            pattern,
            variables,
            defines,
            measures: compiled,
            skip,
            within,
            schema: Arc::new(Schema::new(fields)),
            rowtime,
        },
        alias.clone(),
    ))
}

fn order_error() -> SqlError {
    SqlError::validation("You must specify either rowtime or proctime for order by as the first one.")
}

fn variable(variables: &[String], name: &Ident) -> Result<usize> {
    variables
        .iter()
        .position(|v| *v == name.value)
        .ok_or_else(|| SqlError::validation(format!("Unknown pattern variable '{}' in AFTER MATCH SKIP", name.value)))
}

/// The pattern as a sequence of quantified variables (`reluctant`: the quantifier around
/// was a `?` after another quantifier).
fn elements(pattern: &MatchRecognizePattern, variables: &mut Vec<String>, nested: bool) -> Result<Vec<PatternElement>> {
    use MatchRecognizePattern as P;
    let symbol = |s: &MatchRecognizeSymbol, variables: &mut Vec<String>| -> Result<usize> {
        match s {
            MatchRecognizeSymbol::Named(name) => Ok(match variables.iter().position(|v| *v == name.value) {
                Some(i) => i,
                None => {
                    variables.push(name.value.clone());
                    variables.len() - 1
                }
            }),
            _ => Err(SqlError::unsupported("The anchors ^ and $ in a MATCH_RECOGNIZE pattern are not supported")),
        }
    };
    let bounds = |q: &RepetitionQuantifier| -> (u32, Option<u32>) {
        match *q {
            RepetitionQuantifier::ZeroOrMore => (0, None),
            RepetitionQuantifier::OneOrMore => (1, None),
            RepetitionQuantifier::AtMostOne => (0, Some(1)),
            RepetitionQuantifier::Exactly(n) => (n, Some(n)),
            RepetitionQuantifier::AtLeast(n) => (n, None),
            RepetitionQuantifier::AtMost(m) => (0, Some(m)),
            RepetitionQuantifier::Range(n, m) => (n, Some(m)),
        }
    };
    Ok(match pattern {
        P::Symbol(s) => vec![PatternElement { variable: symbol(s, variables)?, min: 1, max: Some(1), greedy: true }],
        P::Concat(parts) if !nested => {
            let mut out = Vec::new();
            for p in parts {
                out.extend(elements(p, variables, true)?);
            }
            out
        }
        P::Repetition(inner, RepetitionQuantifier::AtMostOne) if matches!(**inner, P::Repetition(ref s, _) if matches!(**s, P::Symbol(_))) =>
        {
            let P::Repetition(s, q) = &**inner else { unreachable!("matched above") };
            let P::Symbol(s) = &**s else { unreachable!("matched above") };
            let (min, max) = bounds(q);
            if min == 0 && max == Some(1) {
                return Err(SqlError::unsupported("Reluctant optional variables are not supported yet."));
            }
            vec![PatternElement { variable: symbol(s, variables)?, min, max, greedy: false }]
        }
        P::Repetition(inner, q) if matches!(**inner, P::Symbol(_)) => {
            let P::Symbol(s) = &**inner else { unreachable!("matched above") };
            let (min, max) = bounds(q);
            if max == Some(0) || max.is_some_and(|m| m < min) {
                return Err(SqlError::validation(format!("Invalid quantifier {q} in the MATCH_RECOGNIZE pattern")));
            }
            vec![PatternElement { variable: symbol(s, variables)?, min, max, greedy: true }]
        }
        P::Group(inner) if !nested => elements(inner, variables, false)?,
        P::Alternation(_) => return Err(branching(pattern)),
        P::Group(inner) if matches!(**inner, P::Alternation(_)) => return Err(branching(inner)),
        P::Permute(_) => {
            return Err(SqlError::unsupported(format!(
                "Expression not supported: {pattern}. Currently, CEP doesn't support PERMUTE patterns."
            )))
        }
        P::Exclude(_) => {
            return Err(SqlError::unsupported("Exclusion {- -} in a MATCH_RECOGNIZE pattern is not supported yet"))
        }
        _ => {
            return Err(SqlError::unsupported(format!(
                "Expression not supported: {pattern} Group patterns are not supported yet."
            )))
        }
    })
}

fn branching(pattern: &MatchRecognizePattern) -> SqlError {
    SqlError::unsupported(format!(
        "Expression not supported: {pattern}. Currently, CEP doesn't support branching patterns."
    ))
}

/// Compiles a `DEFINE` condition or a measure (see the module documentation).
fn compile(
    context: &PlanContext<'_>,
    expr: &Expr,
    input: &Schema,
    variables: &[String],
    time: usize,
) -> Result<MatchExpr> {
    struct Rewriter<'s> {
        input: &'s Schema,
        variables: &'s [String],
        refs: Vec<MatchRef>,
        error: Option<SqlError>,
    }
    impl Rewriter<'_> {
        fn placeholder(&mut self, r: MatchRef) -> Expr {
            let i = match self.refs.iter().position(|x| *x == r) {
                Some(i) => i,
                None => {
                    self.refs.push(r);
                    self.refs.len() - 1
                }
            };
            Expr::Identifier(Ident::new(format!("__mr{i}")))
        }
        /// `v.col` or `col` as (variable, column).
        fn column(&self, e: &Expr) -> Result<(Option<usize>, usize)> {
            let (variable, name) = match e {
                Expr::Identifier(c) => (None, c),
                Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
                    let v = self.variables.iter().position(|v| *v == parts[0].value).ok_or_else(|| {
                        SqlError::validation(format!("Unknown pattern variable '{}' in '{e}'", parts[0].value))
                    })?;
                    (Some(v), &parts[1])
                }
                _ => {
                    return Err(SqlError::unsupported(format!(
                        "'{e}' in MATCH_RECOGNIZE: only a column or a pattern variable's column is supported here"
                    )))
                }
            };
            let column = self
                .input
                .index_of(&name.value)
                .map_err(|_| SqlError::validation(format!("Column '{}' not found in '{e}'", name.value)))?;
            Ok((variable, column))
        }
        fn call(&mut self, name: &str, args: &[FunctionArg]) -> Result<Option<MatchRef>> {
            let exprs: Vec<Option<&Expr>> = args
                .iter()
                .map(|a| match a {
                    FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e),
                    _ => None,
                })
                .collect();
            let offset = |i: usize| -> Result<usize> {
                match exprs.get(i) {
                    None => Ok(0),
                    Some(Some(Expr::Value(v))) => match &v.value {
                        Value::Number(n, _) => n.parse().map_err(|_| SqlError::validation(format!("Bad offset {n}"))),
                        other => Err(SqlError::validation(format!("Bad offset {other}"))),
                    },
                    _ => Err(SqlError::validation(format!("The offset of {name} must be a number literal"))),
                }
            };
            let first = || {
                exprs
                    .first()
                    .copied()
                    .flatten()
                    .ok_or_else(|| SqlError::validation(format!("{name} needs an argument")))
            };
            Ok(Some(match name {
                "PREV" | "LAST" | "FIRST" => {
                    let (variable, column) = self.column(first()?)?;
                    if name == "PREV" && variable.is_some() {
                        // Flink refuses `PREV(v.col)`; `PREV(col)` is the row before.
                        return Err(SqlError::unsupported("Flink does not support physical offsets within partition."));
                    }
                    // `PREV(x)` is `PREV(x, 1)`; `LAST(x)` is `LAST(x, 0)`.
                    let offset = if exprs.len() < 2 { usize::from(name == "PREV") } else { offset(1)? };
                    match name {
                        "PREV" => MatchRef::Prev { variable, column, offset },
                        "LAST" => MatchRef::Last { variable, column, offset },
                        _ => MatchRef::First { variable, column, offset },
                    }
                }
                "MATCH_ROWTIME" => MatchRef::MatchRowtime,
                "SUM" | "AVG" | "MIN" | "MAX" | "COUNT" => {
                    let function = match name {
                        "SUM" => MatchAggregate::Sum,
                        "AVG" => MatchAggregate::Avg,
                        "MIN" => MatchAggregate::Min,
                        "MAX" => MatchAggregate::Max,
                        _ => MatchAggregate::Count,
                    };
                    let (variable, column) = match args.first() {
                        Some(FunctionArg::Unnamed(FunctionArgExpr::Wildcard)) if name == "COUNT" => (None, None),
                        Some(FunctionArg::Unnamed(FunctionArgExpr::QualifiedWildcard(v))) if name == "COUNT" => {
                            let v = v.to_string();
                            let i = self.variables.iter().position(|x| *x == v).ok_or_else(|| {
                                SqlError::validation(format!("Unknown pattern variable '{v}' in COUNT({v}.*)"))
                            })?;
                            (Some(i), None)
                        }
                        _ => {
                            let (v, c) = self.column(first()?)?;
                            (v, Some(c))
                        }
                    };
                    MatchRef::Aggregate { function, variable, column }
                }
                _ => return Ok(None),
            }))
        }
    }
    impl VisitorMut for Rewriter<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            let r = match expr {
                Expr::Function(f) => {
                    let name = f.name.to_string().to_uppercase();
                    let args = match &f.args {
                        FunctionArguments::List(list) => list.args.clone(),
                        _ => Vec::new(),
                    };
                    self.call(&name, &args)
                }
                Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                    self.column(expr).map(|(variable, column)| Some(MatchRef::Last { variable, column, offset: 0 }))
                }
                _ => Ok(None),
            };
            match r {
                Ok(Some(r)) => {
                    *expr = self.placeholder(r);
                    ControlFlow::Continue(())
                }
                Ok(None) => ControlFlow::Continue(()),
                Err(e) => {
                    self.error = Some(e);
                    ControlFlow::Break(())
                }
            }
        }
    }
    let mut rewritten = expr.clone();
    let mut rewriter = Rewriter { input, variables, refs: Vec::new(), error: None };
    let _ = rewritten.visit(&mut rewriter);
    if let Some(e) = rewriter.error {
        return Err(e);
    }
    let refs = rewriter.refs;
    let fields: Vec<Field> = refs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let column_type = |c: usize| input.field(c).data_type().clone();
            let data_type = match r {
                MatchRef::Last { column, .. } | MatchRef::First { column, .. } | MatchRef::Prev { column, .. } => {
                    column_type(*column)
                }
                MatchRef::Aggregate { function: MatchAggregate::Count, .. } => DataType::Int64,
                MatchRef::Aggregate { column, .. } => column_type(column.expect("only COUNT has none")),
                MatchRef::MatchRowtime => column_type(time),
            };
            Field::new(format!("__mr{i}"), data_type, true)
        })
        .collect();
    let schema: DFSchemaRef =
        Arc::new(DFSchema::from_unqualified_fields(fields.into(), HashMap::new()).map_err(super::plan_error)?);
    let planner = datafusion_sql::planner::SqlToRel::new_with_options(context, super::parser_options());
    let logical = planner
        .sql_to_expr(rewritten, &schema, &mut datafusion_sql::planner::PlannerContext::new())
        .map_err(super::plan_error)?;
    // Type coercion, as for a projection over the placeholders.
    let empty =
        LogicalPlan::EmptyRelation(datafusion_expr::EmptyRelation { produce_one_row: true, schema: schema.clone() });
    let projection = datafusion_expr::Projection::try_new(vec![logical], Arc::new(empty)).map_err(super::plan_error)?;
    // Flink's rewrites (CASTs, decimal division, literal types) and simplification, as every
    // other expression gets them.
    let plan = context.flink_passes(LogicalPlan::Projection(projection))?;
    let plan = super::flink_result_types(super::flink_decimal_division(plan)?)?;
    let analyzed = super::simplify(plan, context.options())?;
    let LogicalPlan::Projection(p) = analyzed else {
        return Err(SqlError::unsupported("cannot type-check a MATCH_RECOGNIZE expression"));
    };
    let expr = p.expr.into_iter().next().expect("one expression").unalias();
    Ok(MatchExpr { expr, schema, refs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern_of(sql: &str) -> Result<Vec<PatternElement>> {
        let query = format!(
            "SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts MEASURES A.x AS x PATTERN ({sql}) DEFINE A AS A.x > 0)"
        );
        let statement = crate::parser::parse_statement(&query).expect("parses");
        let crate::parser::ast::Statement::Query(q) = statement.node else { panic!("a query") };
        let SetExpr::Select(s) = *q.body else { panic!("a select") };
        let TableFactor::MatchRecognize { pattern, .. } = &s.from[0].relation else { panic!("match") };
        elements(pattern, &mut Vec::new(), false)
    }

    #[test]
    fn quantifiers_read_greedy_and_reluctant() {
        let p = pattern_of("A B+? C* D{2,3} E{1,2}? F").unwrap();
        let q: Vec<(u32, Option<u32>, bool)> = p.iter().map(|e| (e.min, e.max, e.greedy)).collect();
        assert_eq!(
            q,
            [
                (1, Some(1), true),
                (1, None, false),
                (0, None, true),
                (2, Some(3), true),
                (1, Some(2), false),
                (1, Some(1), true)
            ]
        );
        assert!(pattern_of("A B?? C").is_err());
        assert!(pattern_of("A (B | C)").is_err());
        assert!(pattern_of("A (B C)+ D").is_err());
    }

    #[test]
    fn within_reaches_the_planner_as_a_define_entry() {
        let sql = "SELECT * FROM t MATCH_RECOGNIZE (ORDER BY ts MEASURES A.x AS x PATTERN (A B) \
                   WITHIN INTERVAL '5' SECOND DEFINE A AS A.x > 0)";
        let statement = crate::parser::parse_statement(sql).expect("parses");
        let crate::parser::ast::Statement::Query(q) = statement.node else { panic!("a query") };
        let SetExpr::Select(s) = *q.body else { panic!("a select") };
        let TableFactor::MatchRecognize { symbols, .. } = &s.from[0].relation else { panic!("match") };
        assert_eq!(symbols[0].symbol.value, WITHIN_SYMBOL);
        assert_eq!(super::super::tvf::interval_ms(&symbols[0].definition).unwrap(), 5000);
        assert_eq!(symbols[1].symbol.value, "A");
    }
}
