//! Translation of lookup joins: `JOIN t FOR SYSTEM_TIME AS OF s.p AS d ON s.k = d.k` where
//! `p` is a processing-time attribute of the probe side and `t` a bounded table. The table
//! is read whole by a job of its own when the join's first subtask opens (the other
//! subtasks wait for it and share it), then each probe row is joined on arrival
//! ([`LookupJoinOperator`]). (Flink joins this way only with a lookup source such as
//! JDBC; it refuses filesystem and datagen tables, which Weir reads whole instead.)
//!
//! A `jdbc` table is a lookup source: it is not read whole but queried by key as probe
//! batches arrive, through Flink's lookup cache ([`JdbcLookupJoinOperator`]); the
//! projections and filters the query puts over it are applied to the rows fetched.

use std::sync::{Arc, OnceLock};

use arrow::datatypes::SchemaRef;
use datafusion_expr::logical_plan::{Join, LogicalPlan};
use datafusion_expr::{Cast, Expr, ExprSchemable, JoinType};
use weir::StreamExecutionEnvironment;

use super::{physical, Stream, Translator};
use crate::catalog::TableDef;
use crate::error::{ErrorKind, Result, SqlError};
use crate::planner::VersionedTable;
use crate::stream::exchange::KeyEncoder;
use crate::stream::lookup_join::{
    DimStep, JdbcLookupJoinOperator, JdbcLookupPlan, LookupJoinOperator, LookupTable, ProbeJoin,
};
use crate::stream::Changes;

/// A table loaded once for all subtasks, or why it could not be.
type Loaded = std::result::Result<Arc<LookupTable>, String>;

impl Translator<'_> {
    /// The lookup join `join` with the table `versioned` on its right, when its `AS OF`
    /// column is a processing-time attribute of the left side; `None` otherwise (an
    /// event-time temporal join).
    pub(super) fn lookup_join(&self, join: &Join, versioned: &VersionedTable) -> Result<Option<Stream>> {
        let table = &versioned.table;
        let as_of = versioned.as_of.join(".");
        let left_join = match join.join_type {
            JoinType::Inner => false,
            JoinType::Left => true,
            other => {
                return Err(SqlError::unsupported(format!(
                    "A join with a table read FOR SYSTEM_TIME AS OF must be an INNER or LEFT join; '{}' is in a \
                     {other} join",
                    table.name
                )))
            }
        };
        let column = match versioned.as_of.as_slice() {
            [name] => datafusion_common::Column::from_name(name.clone()),
            [qualifier @ .., name] => datafusion_common::Column::new(
                Some(datafusion_common::TableReference::bare(qualifier.join("."))),
                name.clone(),
            ),
            [] => return Err(SqlError::validation("FOR SYSTEM_TIME AS OF needs a column")),
        };
        if !crate::planner::time_attribute::column_is_proctime(&join.left, &column) {
            // An event-time temporal join, on a versioned table.
            let left_schema = join.left.schema();
            let is_time = left_schema
                .index_of_column(&column)
                .is_ok_and(|i| matches!(left_schema.field(i).data_type(), arrow::datatypes::DataType::Timestamp(..)));
            if !is_time {
                return Err(SqlError::validation(format!(
                    "FOR SYSTEM_TIME AS OF {as_of}: '{as_of}' is not a time attribute of the join's left input; \
                     read '{}' as of a processing-time attribute (p AS PROCTIME()) for a lookup join, or as of the \
                     left rowtime for a temporal join",
                    table.name
                )));
            }
            if table.primary_key.is_empty() {
                return Err(SqlError::validation(format!(
                    "Temporal table '{}' needs a PRIMARY KEY to be read FOR SYSTEM_TIME AS OF {as_of} (a versioned \
                     table); as of a processing-time attribute it would be a lookup join",
                    table.name
                )));
            }
            if table.watermark.is_none() {
                return Err(SqlError::unsupported(format!(
                    "Temporal table '{}' has no watermark: declare WATERMARK FOR its time column to read it as of \
                     the rowtime {as_of}, or read it as of a processing-time attribute (a lookup join)",
                    table.name
                )));
            }
            return Ok(None);
        }
        if versioned.view.is_some() {
            return Err(SqlError::unsupported(format!(
                "Processing-time temporal join is not supported yet: the versioned view '{}' can be read FOR \
                 SYSTEM_TIME AS OF the left input's rowtime only",
                table.name
            )));
        }
        if table.connector()? != "jdbc" {
            bounded(table)?;
        }
        if join.on.is_empty() {
            return Err(SqlError::validation(format!(
                "The lookup join with '{}' needs an equality condition on its columns in ON, such as \
                 ON s.k = {}.k",
                table.name, table.name
            )));
        }
        let left = self.translate(&join.left)?;
        if left.updating {
            return Err(SqlError::unsupported(format!(
                "The lookup join with '{}' needs an insert-only left input, but it is updating (from {})",
                table.name, left.origin
            )));
        }

        if table.connector()? == "jdbc" {
            return self.jdbc_lookup_join(join, table, left, left_join).map(Some);
        }
        // The table's rows as the join reads them (its projections and filters applied),
        // from a job of their own.
        let env = StreamExecutionEnvironment::new().with_parallelism(1).with_clock(self.clock.clone());
        let settings =
            crate::session::JobSettings { parallelism: 1, max_parallelism: self.max_parallelism, ..Default::default() };
        let open = |def: &TableDef| crate::connectors::open_source(&env, def, &settings);
        let right = Translator::new(&env, 1, self.max_parallelism, &open).translate(&join.right)?;
        let sink = weir_connectors::sink::CollectSink::<Changes>::new();
        let rows = sink.handle();
        right.data.sink_to(sink, "Collect").set_parallelism(1);

        let mut keys: [Vec<Arc<dyn datafusion_physical_expr::PhysicalExpr>>; 2] = [Vec::new(), Vec::new()];
        for (l, r) in &join.on {
            let lt = l.get_type(left.schema.as_ref()).map_err(crate::planner::plan_error)?;
            let rt = r.get_type(right.schema.as_ref()).map_err(crate::planner::plan_error)?;
            let r = if lt == rt { r.clone() } else { Expr::Cast(Cast::new(Box::new(r.clone()), lt)) };
            keys[0].push(physical(l, &left.schema, &self.props)?);
            keys[1].push(physical(&r, &right.schema, &self.props)?);
        }
        let pair = Arc::new(left.schema.join(&right.schema).map_err(crate::planner::plan_error)?);
        let rest = join.filter.as_ref().and_then(|f| {
            datafusion_expr::utils::split_conjunction(f)
                .into_iter()
                .filter(|e| !crate::functions::proctime::is_as_of_marker(e))
                .cloned()
                .reduce(|a, b| a.and(b))
        });
        let residual = rest.as_ref().map(|f| physical(f, &pair, &self.props)).transpose()?;
        let left_schema: SchemaRef = Arc::new(left.schema.as_arrow().clone());
        let right_schema: SchemaRef = Arc::new(right.schema.as_arrow().clone());
        let out_schema: SchemaRef = Arc::new(join.schema.as_arrow().clone());

        let name = table.name.clone();
        let loaded: Arc<OnceLock<Loaded>> = Arc::new(OnceLock::new());
        let env = Arc::new(env);
        let [probe_keys, table_keys] = keys;
        let data = left.data.transform("LookupJoin", move |_| {
            let table = loaded
                .get_or_init(|| {
                    env.execute(&format!("lookup table {name}")).map_err(|e| e.to_string())?;
                    let batches: Vec<_> = rows.take().into_iter().map(|c| c.rows).collect();
                    let keys = KeyEncoder::new(table_keys.clone(), &right_schema).map_err(|e| e.to_string())?;
                    LookupTable::new(right_schema.clone(), &batches, &keys).map(Arc::new).map_err(|e| e.to_string())
                })
                .clone()
                .map_err(|e| format!("Could not read the lookup table '{name}': {e}"))?;
            Ok(LookupJoinOperator::new(
                table,
                KeyEncoder::new(probe_keys.clone(), &left_schema)?,
                residual.clone(),
                left_join,
                out_schema.clone(),
            ))
        });
        let on = join.on.iter().map(|(l, r)| format!("{l} = {r}")).collect::<Vec<_>>().join(" AND ");
        Ok(Some(Stream {
            data: super::beside(&left.data, data),
            schema: join.schema.clone(),
            updating: false,
            window: None,
            rowtime: left.rowtime,
            origin: format!("LookupJoin(table=[{}], joinType=[{:?}], on=[{on}])", versioned.table.name, join.join_type),
        }))
    }
}

impl Translator<'_> {
    /// The lookup join of `left` with the `jdbc` table `table` (the right side of `join`).
    fn jdbc_lookup_join(&self, join: &Join, table: &TableDef, left: Stream, left_join: bool) -> Result<Stream> {
        let settings = crate::connectors::jdbc::settings(table)?;
        if let Some(c) = table.columns.iter().find(|c| !matches!(c.source, crate::catalog::ColumnSource::Physical)) {
            return Err(SqlError::unsupported(format!(
                "Column '{}' of jdbc table '{}' is computed, which a lookup join does not support yet; compute it \
                 in the query instead",
                c.name, table.name
            )));
        }
        let right_df = join.right.schema().clone();
        let mut steps = Vec::new();
        dim_steps(&join.right, table, &self.props, &mut steps)?;
        let table_schema = table.physical_schema();

        let mut probe_to_table = Vec::new();
        let mut lookup_columns = Vec::new();
        let mut lookup_names = Vec::new();
        let mut probe_keys = Vec::new();
        let mut right_keys = Vec::new();
        for (l, r) in &join.on {
            let name = match r {
                Expr::Column(c) => trace_column(&join.right, &c.name),
                _ => None,
            }
            .ok_or_else(|| {
                SqlError::unsupported(format!(
                    "The lookup join with jdbc table '{}' needs equalities between a column of '{}' and the probe                      side, but '{r}' is not a column of the table",
                    table.name, table.name
                ))
            })?;
            let index = table_schema.index_of(&name).map_err(|_| {
                SqlError::unsupported(format!("'{name}' is not a physical column of jdbc table '{}'", table.name))
            })?;
            let lt = l.get_type(left.schema.as_ref()).map_err(crate::planner::plan_error)?;
            let rt = r.get_type(right_df.as_ref()).map_err(crate::planner::plan_error)?;
            let r = if lt == rt { r.clone() } else { Expr::Cast(Cast::new(Box::new(r.clone()), lt)) };
            let probe = physical(l, &left.schema, &self.props)?;
            probe_to_table.push((probe.clone(), table_schema.field(index).data_type().clone()));
            probe_keys.push(probe);
            right_keys.push(physical(&r, &right_df, &self.props)?);
            lookup_columns.push(index);
            lookup_names.push(name);
        }
        let pair = Arc::new(left.schema.join(&right_df).map_err(crate::planner::plan_error)?);
        let rest = join.filter.as_ref().and_then(|f| {
            datafusion_expr::utils::split_conjunction(f)
                .into_iter()
                .filter(|e| !crate::functions::proctime::is_as_of_marker(e))
                .cloned()
                .reduce(|a, b| a.and(b))
        });
        let residual = rest.as_ref().map(|f| physical(f, &pair, &self.props)).transpose()?;
        let left_schema: SchemaRef = Arc::new(left.schema.as_arrow().clone());
        let out_schema: SchemaRef = Arc::new(join.schema.as_arrow().clone());
        let plan = JdbcLookupPlan {
            probe_to_table,
            lookup_columns,
            table_schema,
            steps,
            right_schema: Arc::new(right_df.as_arrow().clone()),
            right_keys,
        };
        let clock = self.clock.clone();
        let name = table.name.clone();
        let data = left.data.transform("LookupJoin", move |_| {
            let names: Vec<&str> = lookup_names.iter().map(String::as_str).collect();
            let lookup = weir_connectors::jdbc::JdbcLookup::new(
                settings.connection.clone(),
                settings.table.clone(),
                &names,
                settings.lookup_retries,
            )
            .map_err(|e| format!("Lookup table '{name}': {e}"))?;
            let cache = settings.cache.clone().map(weir_connectors::jdbc::LookupCache::new);
            let join = ProbeJoin::new(
                KeyEncoder::new(probe_keys.clone(), &left_schema)?,
                residual.clone(),
                left_join,
                out_schema.clone(),
            );
            JdbcLookupJoinOperator::new(plan.clone(), join, lookup, cache, clock.clone())
        });
        let on = join.on.iter().map(|(l, r)| format!("{l} = {r}")).collect::<Vec<_>>().join(" AND ");
        Ok(Stream {
            data: super::beside(&left.data, data),
            schema: join.schema.clone(),
            updating: false,
            window: None,
            rowtime: left.rowtime,
            origin: format!("LookupJoin(table=[{}], joinType=[{:?}], on=[{on}])", table.name, join.join_type),
        })
    }
}

/// The steps from the rows of `table` to the rows of `plan` (the join's right side):
/// its projections and filters, innermost first.
fn dim_steps(
    plan: &LogicalPlan,
    table: &TableDef,
    props: &datafusion_expr::execution_props::ExecutionProps,
    steps: &mut Vec<DimStep>,
) -> Result<()> {
    match plan {
        LogicalPlan::TableScan(scan) => {
            let full = scan.source.schema();
            if let Some(projection) = &scan.projection {
                let exprs: Vec<Arc<dyn datafusion_physical_expr::PhysicalExpr>> = projection
                    .iter()
                    .map(|&i| {
                        Arc::new(datafusion_physical_expr::expressions::Column::new(full.field(i).name(), i)) as _
                    })
                    .collect();
                steps.push(DimStep::Project(exprs, Arc::new(scan.projected_schema.as_arrow().clone())));
            }
            for filter in &scan.filters {
                steps.push(DimStep::Filter(physical(filter, &scan.projected_schema, props)?));
            }
            Ok(())
        }
        LogicalPlan::SubqueryAlias(a) => dim_steps(&a.input, table, props, steps),
        LogicalPlan::Filter(f) => {
            dim_steps(&f.input, table, props, steps)?;
            steps.push(DimStep::Filter(physical(&f.predicate, f.input.schema(), props)?));
            Ok(())
        }
        LogicalPlan::Projection(p) => {
            dim_steps(&p.input, table, props, steps)?;
            let exprs = p.expr.iter().map(|e| physical(e, p.input.schema(), props)).collect::<Result<Vec<_>>>()?;
            steps.push(DimStep::Project(exprs, Arc::new(p.schema.as_arrow().clone())));
            Ok(())
        }
        other => Err(SqlError::unsupported(format!(
            "The lookup join reads jdbc table '{}' through {}, which is not supported; only projections and filters",
            table.name,
            other.display()
        ))),
    }
}

/// The table column that column `name` of `plan`'s output is, through aliases,
/// projections and filters; `None` when it is computed.
fn trace_column(plan: &LogicalPlan, name: &str) -> Option<String> {
    match plan {
        LogicalPlan::TableScan(_) => Some(name.to_string()),
        LogicalPlan::SubqueryAlias(a) => trace_column(&a.input, name),
        LogicalPlan::Filter(f) => trace_column(&f.input, name),
        LogicalPlan::Projection(p) => {
            let index = p.schema.fields().iter().position(|f| f.name() == name)?;
            match p.expr.get(index)? {
                Expr::Column(c) => trace_column(&p.input, &c.name),
                Expr::Alias(a) => match a.expr.as_ref() {
                    Expr::Column(c) => trace_column(&p.input, &c.name),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// Checks that `table` ends: a lookup join reads it whole.
fn bounded(table: &TableDef) -> Result<()> {
    let connector = table.connector()?;
    let ends = match connector {
        "filesystem" => true,
        "datagen" => {
            table.option("number-of-rows").is_some()
                || table
                    .options
                    .iter()
                    .any(|(k, v)| k.starts_with("fields.") && k.ends_with(".kind") && v == "sequence")
        }
        _ => false,
    };
    if ends {
        return Ok(());
    }
    Err(SqlError::new(
        ErrorKind::Unsupported,
        format!(
            "A lookup join reads its table whole, so '{}' must be bounded (a filesystem table, or datagen with \
             'number-of-rows' or a sequence field); the {connector} connector is not",
            table.name
        ),
    ))
}
