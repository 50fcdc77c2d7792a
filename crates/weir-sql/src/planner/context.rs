//! The planner's view of the session: tables, views, window TVFs and functions by name.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef};
use datafusion_common::config::ConfigOptions;
use datafusion_common::{plan_err, TableReference};
use datafusion_expr::planner::{ContextProvider, ExprPlanner};
use datafusion_expr::{AggregateUDF, HigherOrderUDF, LogicalPlan, ScalarUDF, TableSource, WindowUDF};
use sqlparser::ast::Query;

use super::tvf::{self, WindowTvf};
use crate::catalog::{Catalog, ObjectPath, TableDef, UserFunction};
use crate::error::{Result, SqlError};
use crate::functions::FunctionConfig;
use crate::suggest::closest;

/// What a name in a query's `FROM` resolved to.
#[derive(Debug, Clone)]
pub enum TableKind {
    /// A catalog table, read by its connector.
    Table(Arc<TableDef>),
    /// A view, planned at creation.
    View(Arc<LogicalPlan>),
    /// A window table-valued function over another relation.
    Window(Arc<WindowTvf>),
    /// A table read `FOR SYSTEM_TIME AS OF` the other side of a join.
    Versioned(Arc<super::VersionedTable>),
    /// A `MATCH_RECOGNIZE` over another relation.
    Match(Arc<super::MatchRecognize>),
}

/// A relation as the logical plan holds it; the streaming planner finds out from it which
/// connector, view or window function a scan reads.
#[derive(Debug)]
pub struct StreamTableSource {
    /// Its name in the query.
    pub name: String,
    /// What it is.
    pub kind: TableKind,
    schema: SchemaRef,
}

impl StreamTableSource {
    /// A source of `kind` with `schema`.
    pub fn new(name: String, kind: TableKind, schema: SchemaRef) -> Self {
        StreamTableSource { name, kind, schema }
    }
}

impl TableSource for StreamTableSource {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn get_logical_plan(&self) -> Option<std::borrow::Cow<'_, LogicalPlan>> {
        match &self.kind {
            TableKind::View(plan) => Some(std::borrow::Cow::Borrowed(plan.as_ref())),
            _ => None,
        }
    }
}

/// Whether `a` and `b` compute the same: equal plans whose scans read the same relations.
///
/// DataFusion's plan equality compares a `TableScan` by its name, schema and pushed-down
/// parts, not by the relation behind it, and stand-in names (`__window_0`) are numbered per
/// statement: two views' window TVFs over different tables, or over one table with
/// different sizes, can have equal scans. Sub-plan reuse must compare the relations too.
pub fn same_plan(a: &LogicalPlan, b: &LogicalPlan) -> bool {
    a == b && {
        let (x, y) = (scanned_sources(a), scanned_sources(b));
        x.len() == y.len() && x.iter().zip(&y).all(|(x, y)| same_source(x.as_ref(), y.as_ref()))
    }
}

/// The relations `plan` scans, in plan order (subqueries included).
fn scanned_sources(plan: &LogicalPlan) -> Vec<Arc<dyn TableSource>> {
    use datafusion_common::tree_node::TreeNodeRecursion;
    let mut sources = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node {
            sources.push(scan.source.clone());
        }
        Ok(TreeNodeRecursion::Continue)
    });
    sources
}

/// Whether two scanned relations are the same one.
fn same_source(a: &dyn TableSource, b: &dyn TableSource) -> bool {
    let (Some(x), Some(y)) = (a.downcast_ref::<StreamTableSource>(), b.downcast_ref::<StreamTableSource>()) else {
        return std::ptr::addr_eq(a as *const dyn TableSource, b as *const dyn TableSource);
    };
    match (&x.kind, &y.kind) {
        (TableKind::Table(x), TableKind::Table(y)) => Arc::ptr_eq(x, y),
        (TableKind::View(x), TableKind::View(y)) => Arc::ptr_eq(x, y) || same_plan(x, y),
        (TableKind::Window(x), TableKind::Window(y)) => Arc::ptr_eq(x, y) || x.same_as(y),
        (TableKind::Versioned(x), TableKind::Versioned(y)) => Arc::ptr_eq(x, y) || x.same_as(y),
        (TableKind::Match(x), TableKind::Match(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

/// Resolves names for DataFusion's SQL planner.
pub struct PlanContext<'a> {
    catalog: &'a Catalog,
    options: ConfigOptions,
    scalars: HashMap<String, Arc<ScalarUDF>>,
    aggregates: HashMap<String, Arc<AggregateUDF>>,
    window_functions: HashMap<String, Arc<WindowUDF>>,
    expr_planners: Vec<Arc<dyn ExprPlanner>>,
    /// Window TVFs of the query being planned, by their stand-in table name.
    pub(crate) windows: RefCell<HashMap<String, Arc<WindowTvf>>>,
    /// Versioned tables of the query being planned, by their stand-in table name.
    pub(crate) versioned: RefCell<HashMap<String, Arc<super::VersionedTable>>>,
    /// `MATCH_RECOGNIZE`s of the query being planned, by their stand-in table name.
    pub(crate) matches: RefCell<HashMap<String, Arc<super::MatchRecognize>>>,
    /// The session settings functions see (time zone).
    functions: FunctionConfig,
}

/// DataFusion's functions Flink 2.3 does not have (a query calling one fails there with
/// `No match found for function signature`), left out so that Weir refuses them too.
const NOT_IN_FLINK: &[&str] = &["octet_length"];

impl<'a> PlanContext<'a> {
    /// The context of `catalog`, with DataFusion's and Flink's built-in functions, in a UTC session.
    pub fn new(catalog: &'a Catalog) -> Self {
        Self::with_functions(catalog, FunctionConfig::default())
    }

    /// The context of `catalog` in a session whose functions see `functions`.
    pub fn with_functions(catalog: &'a Catalog, functions: FunctionConfig) -> Self {
        let mut scalars = HashMap::new();
        for f in datafusion_functions::all_default_functions()
            .into_iter()
            .chain(datafusion_functions_nested::all_default_nested_functions())
            .chain(crate::functions::flink_scalar_functions_with(functions))
        {
            for name in std::iter::once(f.name()).chain(f.aliases().iter().map(String::as_str)) {
                if !NOT_IN_FLINK.contains(&name) {
                    scalars.insert(name.to_lowercase(), f.clone());
                }
            }
        }
        let mut aggregates = HashMap::new();
        for f in datafusion_functions_aggregate::all_default_aggregate_functions()
            .into_iter()
            .chain(crate::functions::flink_aggregate_functions())
        {
            for name in std::iter::once(f.name()).chain(f.aliases().iter().map(String::as_str)) {
                aggregates.insert(name.to_lowercase(), f.clone());
            }
        }
        // Ranking functions for OVER (`ROW_NUMBER`, `RANK`, `DENSE_RANK`, …); aggregate
        // functions in OVER resolve through the aggregates above.
        let mut window_functions = HashMap::new();
        for f in datafusion_functions_window::all_default_window_functions() {
            for name in std::iter::once(f.name()).chain(f.aliases().iter().map(String::as_str)) {
                window_functions.insert(name.to_lowercase(), f.clone());
            }
        }
        // Flink's SUBSTRING / OVERLAY / EXTRACT syntax first, then DataFusion's planners.
        let mut expr_planners: Vec<Arc<dyn ExprPlanner>> = Vec::new();
        if let (Some(s), Some(o), Some(e)) =
            (scalars.get("substring"), scalars.get("overlay"), scalars.get(crate::functions::datetime::EXTRACT))
        {
            expr_planners.push(Arc::new(
                super::FlinkSyntaxPlanner::new(s.clone(), o.clone(), e.clone()).with_map(scalars.get("map").cloned()),
            ));
        }
        expr_planners.extend([
            Arc::new(datafusion_functions::core::planner::CoreFunctionPlanner::default()) as Arc<dyn ExprPlanner>,
            Arc::new(datafusion_functions::unicode::planner::UnicodeFunctionPlanner),
            Arc::new(datafusion_functions::datetime::planner::DatetimeFunctionPlanner),
            Arc::new(datafusion_functions_aggregate::planner::AggregateFunctionPlanner),
            // `ARRAY[…]`, `arr[i]`, `map[k]`, `row.field`.
            Arc::new(datafusion_functions_nested::planner::NestedFunctionPlanner),
            Arc::new(datafusion_functions_nested::planner::FieldAccessPlanner),
        ]);
        let mut options = ConfigOptions::new();
        options.sql_parser.enable_ident_normalization = false;
        // `TIMESTAMP … WITH TIME ZONE` in a CAST is TIMESTAMP_LTZ, held as Timestamp(unit, "UTC").
        options.execution.time_zone = Some("UTC".to_string());
        PlanContext {
            catalog,
            options,
            scalars,
            aggregates,
            window_functions,
            expr_planners,
            windows: RefCell::new(HashMap::new()),
            versioned: RefCell::new(HashMap::new()),
            matches: RefCell::new(HashMap::new()),
            functions,
        }
    }

    /// The session settings functions see.
    pub fn functions(&self) -> FunctionConfig {
        self.functions
    }

    /// The catalog names resolve against.
    pub fn catalog(&self) -> &Catalog {
        self.catalog
    }

    /// DataFusion's configuration for planning.
    pub fn options(&self) -> &ConfigOptions {
        &self.options
    }

    /// Plans `query`: legacy group windows are rewritten into window TVFs, and window
    /// TVFs are replaced by stand-in relations first.
    pub fn plan_query(&self, query: &Query) -> Result<LogicalPlan> {
        let mut query = query.clone();
        super::naming::expand_wildcards_beside_items(&mut query, |probe| {
            let plan = self.plan_query(probe).ok()?;
            Some(
                plan.schema()
                    .iter()
                    .map(|(q, f)| (q.map(|q| q.to_vec()).unwrap_or_default(), f.name().clone()))
                    .collect(),
            )
        });
        super::naming::name_unnamed_items(&mut query);
        super::naming::distinct_call_names(&mut query);
        super::literals::int_values(&mut query);
        super::literals::double_literals(&mut query);
        super::row_in::row_in_subqueries(&mut query)?;
        super::time_syntax::rewrite_temporal_syntax(&mut query);
        super::group_window::rewrite_group_windows(self, &mut query)?;
        self.plan_rewritten(query)
    }

    /// Plans `query` whose syntax is already rewritten (see [`Self::plan_query`]): from the
    /// window TVFs on. A window TVF over a `WITH` query plans its input this way.
    pub(crate) fn plan_rewritten(&self, mut query: Query) -> Result<LogicalPlan> {
        tvf::replace_window_tvfs(self, &mut query)?;
        super::temporal::replace_versioned_tables(self, &mut query)?;
        super::match_recognize::replace_match_recognize(self, &mut query)?;
        // After the relations above are in place: an UNNEST's argument is planned against them.
        super::unnest::rewrite_unnest(self, &mut query)?;
        let plan = super::to_logical_plan(self, query)?;
        self.flink_passes(plan)
    }

    /// The rewrites every plan DataFusion makes gets, for Flink's meaning: map lookups,
    /// literal types, UNNEST, bag set operations, LIMIT, scalar subqueries, SIMILAR TO, string
    /// comparisons, common types and Flink's CASTs.
    pub(crate) fn flink_passes(&self, plan: LogicalPlan) -> Result<LogicalPlan> {
        let plan = super::map_access::map_lookups(plan)?;
        let plan = super::literals::int_literals(plan)?;
        let plan = super::unnest::decorrelate_unnest(plan)?;
        let plan = super::set_ops::bag_set_operations(plan)?;
        let plan = super::limit::limits_as_top_n(plan)?;
        let plan = super::scalar_subquery::scalar_subqueries_as_joins(plan)?;
        let plan = super::similar_to::similar_to_regexes(plan)?;
        super::string_comparisons::check_string_comparisons(&plan)?;
        // Before the casts: a CAST sees the DOUBLE a DECIMAL/DOUBLE mix becomes.
        let plan = super::common_type::approximate_common_types(plan)?;
        super::time_syntax::rewrite_casts(self, plan)
    }

    /// A stand-in relation of the query being planned (a window TVF's or a versioned table's).
    fn stand_in(&self, name: &str) -> Option<Arc<dyn TableSource>> {
        if let Some(w) = self.windows.borrow().get(name) {
            return Some(Arc::new(StreamTableSource::new(
                name.to_string(),
                TableKind::Window(w.clone()),
                w.schema.clone(),
            )));
        }
        if let Some(m) = self.matches.borrow().get(name) {
            return Some(Arc::new(StreamTableSource::new(
                name.to_string(),
                TableKind::Match(m.clone()),
                m.schema.clone(),
            )));
        }
        if let Some(v) = self.versioned.borrow().get(name) {
            return Some(Arc::new(StreamTableSource::new(
                name.to_string(),
                TableKind::Versioned(v.clone()),
                v.schema(),
            )));
        }
        None
    }

    /// The catalog table or view at `path`.
    fn relation(&self, path: &ObjectPath) -> Option<Arc<dyn TableSource>> {
        let name = &path.name;
        if let Some(t) = self.catalog.table_at(path) {
            return Some(Arc::new(StreamTableSource::new(name.to_string(), TableKind::Table(t.clone()), t.schema())));
        }
        if let Some(v) = self.catalog.view_at(path) {
            let schema = Arc::new(v.plan.schema().as_arrow().clone());
            return Some(Arc::new(StreamTableSource::new(name.to_string(), TableKind::View(v.plan.clone()), schema)));
        }
        None
    }
}

impl ContextProvider for PlanContext<'_> {
    fn get_table_source(&self, name: TableReference) -> datafusion_common::Result<Arc<dyn TableSource>> {
        let parts: Vec<String> =
            [name.catalog(), name.schema(), Some(name.table())].into_iter().flatten().map(str::to_string).collect();
        if parts.len() == 1 {
            if let Some(source) = self.stand_in(&parts[0]) {
                return Ok(source);
            }
        }
        let path = self.catalog.path_of_parts(&parts).expect("a table reference has at most three parts");
        if let Some(source) = self.relation(&path) {
            return Ok(source);
        }
        plan_err!("{}", unknown_relation_at(self.catalog, &path, parts.len()).message)
    }
    fn get_expr_planners(&self) -> &[Arc<dyn ExprPlanner>] {
        &self.expr_planners
    }

    fn get_type_planner(&self) -> Option<Arc<dyn datafusion_expr::planner::TypePlanner>> {
        Some(Arc::new(crate::types::FlinkTypePlanner))
    }

    fn get_function_meta(&self, name: &str) -> Option<Arc<ScalarUDF>> {
        if let Some(UserFunction::Scalar(f)) = self.catalog.function(name) {
            return Some(f.clone());
        }
        self.scalars.get(&name.to_lowercase()).cloned()
    }

    fn get_higher_order_meta(&self, _name: &str) -> Option<Arc<HigherOrderUDF>> {
        None
    }

    fn get_aggregate_meta(&self, name: &str) -> Option<Arc<AggregateUDF>> {
        if let Some(UserFunction::Aggregate(f)) = self.catalog.function(name) {
            return Some(f.clone());
        }
        self.aggregates.get(&name.to_lowercase()).cloned()
    }

    fn get_window_meta(&self, name: &str) -> Option<Arc<WindowUDF>> {
        self.window_functions.get(&name.to_lowercase()).cloned()
    }

    fn get_variable_type(&self, _variable_names: &[String]) -> Option<DataType> {
        None
    }

    fn options(&self) -> &ConfigOptions {
        &self.options
    }

    fn udf_names(&self) -> Vec<String> {
        self.scalars.keys().cloned().collect()
    }

    fn higher_order_function_names(&self) -> Vec<String> {
        Vec::new()
    }

    fn udaf_names(&self) -> Vec<String> {
        self.aggregates.keys().cloned().collect()
    }

    fn udwf_names(&self) -> Vec<String> {
        self.window_functions.keys().cloned().collect()
    }
}

/// An error for a relation that is not in the current database.
pub fn unknown_relation(catalog: &Catalog, name: &str) -> SqlError {
    unknown_relation_at(catalog, &catalog.path_in_current(name), 1)
}

/// Calcite's error for the relation at `path`, written with `written` parts: the first part
/// that does not exist, within what it was looked for in; a missing table of the current
/// database suggests the closest name there.
pub fn unknown_relation_at(catalog: &Catalog, path: &ObjectPath, written: usize) -> SqlError {
    let ObjectPath { catalog: cat, database: db, name } = path;
    let message = if catalog.database_names(cat).is_err() {
        // Written `cat.db.t` (a `db.t` always names the current catalog, which exists).
        format!("Object '{cat}' not found")
    } else if catalog.database(cat, db).is_none() {
        if written == 3 {
            format!("Object '{db}' not found within '{cat}'")
        } else {
            format!("Object '{db}' not found")
        }
    } else if written > 1 {
        format!("Object '{name}' not found within '{cat}.{db}'")
    } else {
        let names: Vec<&str> = catalog.relation_names().map(String::as_str).collect();
        match closest(name, names) {
            Some(near) => format!("Object '{name}' not found; did you mean '{near}'?"),
            None => format!("Object '{name}' not found"),
        }
    };
    SqlError::validation(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::planner::test_support::catalog;

    fn plan(catalog: &Catalog, sql: &str) -> LogicalPlan {
        crate::planner::test_support::plan(catalog, sql).expect("plan")
    }

    #[test]
    fn plans_alike_over_different_relations_are_not_the_same() {
        let catalog = catalog(
            "CREATE TABLE a (u STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen');
             CREATE TABLE b (u STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'datagen');",
        );
        let windowed = |table: &str, size: u32| {
            plan(
                &catalog,
                &format!(
                    "SELECT window_start, u, COUNT(*) FROM TABLE(TUMBLE(TABLE {table}, DESCRIPTOR(ts), INTERVAL \
                     '{size}' SECOND)) GROUP BY window_start, window_end, u"
                ),
            )
        };
        // Each statement names its window `__window_0`: the plans compare equal.
        let (a, b, a5, again) = (windowed("a", 10), windowed("b", 10), windowed("a", 5), windowed("a", 10));
        assert!(a == b && a == a5);
        assert!(!same_plan(&a, &b), "another table");
        assert!(!same_plan(&a, &a5), "another window size");
        assert!(same_plan(&a, &again));
    }
}
