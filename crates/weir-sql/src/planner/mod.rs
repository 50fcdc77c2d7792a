//! From a query's AST to a DataFusion logical plan: name resolution against the session's
//! catalog, Flink's window table-valued functions, type coercion and the rewrites that
//! keep streaming semantics.

mod context;
pub mod temporal;
pub mod tvf;

use std::sync::Arc;

use datafusion_common::config::ConfigOptions;
use datafusion_expr::LogicalPlan;
use datafusion_optimizer::analyzer::Analyzer;
use datafusion_optimizer::optimizer::{Optimizer, OptimizerContext, OptimizerRule};
use datafusion_sql::planner::{ParserOptions, SqlToRel};
use sqlparser::ast::{Query, Statement};

pub use context::{unknown_relation, PlanContext, StreamTableSource, TableKind};
pub use temporal::VersionedTable;
pub use tvf::{WindowKind, WindowTvf};

use crate::catalog::Catalog;
use crate::error::{Result, SqlError};

/// Plans `query` against `catalog`: resolved, type-checked and optimised.
pub fn plan_query(catalog: &Catalog, query: &Query) -> Result<LogicalPlan> {
    let context = PlanContext::new(catalog);
    let plan = context.plan_query(query)?;
    optimize(plan, context.options())
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

/// A DataFusion planning error in the user's terms.
pub(crate) fn plan_error(e: datafusion_common::DataFusionError) -> SqlError {
    let text = e.strip_backtrace();
    let text = text
        .trim_start_matches("Error during planning: ")
        .trim_start_matches("Schema error: ")
        .trim_start_matches("type_coercion\ncaused by\n")
        .to_string();
    match e {
        datafusion_common::DataFusionError::NotImplemented(_) => SqlError::unsupported(text),
        _ => SqlError::validation(text),
    }
}

/// Plans a statement that DataFusion knows (a query) with the given context.
pub(crate) fn to_logical_plan(context: &PlanContext<'_>, query: Query) -> Result<LogicalPlan> {
    let options = ParserOptions {
        parse_float_as_decimal: true,
        enable_ident_normalization: false,
        support_varchar_with_length: true,
        enable_options_value_normalization: false,
        collect_spans: true,
        map_string_types_to_utf8view: false,
        default_null_ordering: datafusion_sql::planner::NullOrdering::NullsMax,
    };
    let planner = SqlToRel::new_with_options(context, options);
    planner.sql_statement_to_plan(Statement::Query(Box::new(query))).map_err(plan_error)
}
