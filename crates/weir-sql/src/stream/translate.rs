//! From an optimised logical plan to a job of streaming operators: each plan node becomes
//! operators over [`Changes`], with keyed exchanges where state is kept by key, and each
//! knows whether its output is insert-only or a changelog.

use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use datafusion_common::DFSchemaRef;
use datafusion_expr::execution_props::ExecutionProps;
use datafusion_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion_expr::{Expr, LogicalPlan};
use datafusion_physical_expr::aggregate::AggregateExprBuilder;
use datafusion_physical_expr::{create_physical_expr, PhysicalExpr};
use weir::{DataStream, StreamExecutionEnvironment};

use super::aggregate::{AggCall, PlainOfDistinct};
use super::batch::Changes;
use super::calc::CalcOperator;
use super::exchange::{exchange_resplit, KeyEncoder, KeySplitOperator};
use super::group_agg::GroupAggOperator;
use super::session_window::SessionWindowOperator;
use super::window_agg::{GroupColumn, WindowAggOperator};
use super::window_assign::{ProctimeAssign, WindowAssignOperator};
use crate::error::{Result, SqlError};
use crate::planner::{StreamTableSource, TableKind, WindowKind};

mod grouping_sets;
mod join;
mod lookup;
mod match_recognize;
mod over;

/// Where the window columns of a windowed stream are.
#[derive(Debug, Clone)]
pub struct WindowProps {
    /// Index of `window_start`.
    pub start: Option<usize>,
    /// Index of `window_end`.
    pub end: Option<usize>,
    /// Index of `window_time`.
    pub time: Option<usize>,
    /// The windows.
    pub kind: WindowKind,
    /// Whether the windows are of processing time: a window aggregation then assigns rows
    /// to windows itself, by the time they reach it, and fires on processing-time timers.
    pub proctime: bool,
    /// The zone whose wall clock `window_start` / `window_end` show (TIMESTAMP_LTZ time
    /// attributes), `None` when they are plain TIMESTAMPs.
    pub zone: Option<crate::functions::LocalTimeZone>,
}

/// A translated plan node: its stream and what is known of it.
#[derive(Clone)]
pub struct Stream {
    /// The batches.
    pub data: DataStream<Changes>,
    /// The columns.
    pub schema: DFSchemaRef,
    /// Whether the stream is a changelog with updates or deletes (else insert-only).
    pub updating: bool,
    /// Window columns carried from a window TVF.
    pub window: Option<WindowProps>,
    /// Index of the rowtime attribute (a time column watermarks refer to), if any.
    pub rowtime: Option<usize>,
    /// Where the node came from, for errors ("GroupAggregate(…)").
    pub origin: String,
}

/// Builds streams from plans on one environment.
pub struct Translator<'e> {
    env: &'e StreamExecutionEnvironment,
    /// The jobs' clock, which `PROCTIME()` reads.
    clock: Arc<dyn weir_runtime::Clock>,
    /// Set while translating the input of an aggregation: a processing-time window TVF
    /// reached through projections and filters only leaves the assignment to it.
    defer_proctime_windows: std::cell::Cell<bool>,
    /// Set while translating the input of an aggregate whose result depends on the order
    /// of its rows, or of a Top-N (tied rows rank by arrival): group aggregations there emit
    /// each row's change on their own.
    pub(crate) changes_per_row: std::cell::Cell<bool>,
    /// Set by each ranking (Top-N, deduplication) to whether its input is updating: the last
    /// one set is the outermost of a plan just translated (read by versioned views).
    ranked_updating_input: std::cell::Cell<Option<bool>>,
    parallelism: usize,
    max_parallelism: usize,
    props: ExecutionProps,
    /// Opens a catalog table as a stream of its full schema.
    pub open_table: &'e dyn Fn(&crate::catalog::TableDef) -> Result<DataStream<Changes>>,
    /// `table.exec.state.ttl` in milliseconds.
    state_ttl_ms: Option<i64>,
    /// `table.exec.interval-join.min-cleanup-interval` in milliseconds.
    interval_join_min_cleanup_ms: i64,
    /// Starts the uid of every stateful operator (one prefix per statement of a job).
    uid_prefix: String,
    /// Stateful operators so far, for their uids.
    stateful: std::cell::Cell<usize>,
    /// Why operators of the plan cannot be checkpointed (empty: all can).
    not_checkpointable: std::cell::RefCell<Vec<String>>,
    /// Set while translating the input of an aggregation that can aggregate its `SESSION`
    /// windows itself ([`fusable_session_aggregate`]): the session TVF directly below then
    /// leaves its windows to it, in [`Translator::pending_session`].
    fuse_session: std::cell::Cell<bool>,
    /// A `SESSION` TVF left to the aggregation above it.
    pending_session: std::cell::RefCell<Option<PendingSession>>,
    /// Aggregations translated so far: one computed twice alike in a plan (a subquery
    /// repeated, as in Nexmark q5) is computed once and its stream read by both.
    aggregates: std::cell::RefCell<Vec<(datafusion_expr::Aggregate, Stream)>>,
}

fn physical(expr: &Expr, schema: &DFSchemaRef, props: &ExecutionProps) -> Result<Arc<dyn PhysicalExpr>> {
    let expr = crate::planner::fixed_intervals::fixed_intervals(expr, schema);
    create_physical_expr(&expr, schema.as_ref(), props, &PhysicalPlanningContext::default())
        .map_err(crate::planner::plan_error)
}

/// `output` (one operator applied to `input`) at `input`'s parallelism: operators that need
/// no exchange run beside their input, chained, as Flink's planner places them — so a
/// changelog keeps its order, and rows stay in the order their watermarks were made in.
pub(crate) fn beside<I: weir::Data, O: weir::Data>(input: &DataStream<I>, output: DataStream<O>) -> DataStream<O> {
    match input.common_parallelism() {
        Some(p) => output.set_parallelism(p),
        None => output,
    }
}

/// The rows of a versioned view's changelog that are versions: every row it adds. The rows
/// it retracts are versions replaced, not keys deleted (the deduplication of an append-only
/// input never deletes a key), so they must not end a key's history in a temporal join.
fn new_versions(changes: Changes) -> Changes {
    let Some(kinds) = &changes.kinds else { return changes };
    let mask: arrow::array::BooleanArray = kinds
        .iter()
        .map(|k| Some(k.is_some_and(|k| crate::changelog::RowKind::from_code(k).is_accumulate())))
        .collect();
    changes.filter(&mask).expect("a mask as long as the batch")
}

fn strip_alias(expr: &Expr) -> &Expr {
    match expr {
        Expr::Alias(a) => strip_alias(&a.expr),
        e => e,
    }
}

impl<'e> Translator<'e> {
    /// A translator adding to `env`.
    pub fn new(
        env: &'e StreamExecutionEnvironment,
        parallelism: usize,
        max_parallelism: usize,
        open_table: &'e dyn Fn(&crate::catalog::TableDef) -> Result<DataStream<Changes>>,
    ) -> Self {
        // Batches crossing tasks can then be stored by unaligned checkpoints.
        super::record_codec::register(env);
        Translator {
            env,
            clock: env.clock(),
            defer_proctime_windows: std::cell::Cell::new(false),
            fuse_session: std::cell::Cell::new(false),
            pending_session: std::cell::RefCell::new(None),
            changes_per_row: std::cell::Cell::new(false),
            ranked_updating_input: std::cell::Cell::new(None),
            parallelism,
            max_parallelism,
            props: ExecutionProps::new(),
            open_table,
            state_ttl_ms: None,
            interval_join_min_cleanup_ms: 0,
            uid_prefix: "sql-".into(),
            stateful: std::cell::Cell::new(0),
            aggregates: std::cell::RefCell::default(),
            not_checkpointable: std::cell::RefCell::new(Vec::new()),
        }
    }

    /// Group aggregations and regular joins forget state `ttl_ms` after its last change.
    pub fn with_state_ttl(mut self, ttl_ms: Option<i64>) -> Self {
        self.state_ttl_ms = ttl_ms;
        self
    }

    /// Interval joins keep stored rows `ms` longer before their cleanup timers drop them
    /// (`table.exec.interval-join.min-cleanup-interval`).
    pub fn with_interval_join_min_cleanup(mut self, ms: i64) -> Self {
        self.interval_join_min_cleanup_ms = ms;
        self
    }

    /// Stateful operators get uids starting with `prefix` (say, `sql-1-` for a job's
    /// second statement), so state finds them again when the same script runs again.
    pub fn with_uid_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.uid_prefix = prefix.into();
        self
    }

    /// Why the plan's operators cannot be checkpointed, one line per operator (empty when
    /// they all can).
    pub fn not_checkpointable(&self) -> Vec<String> {
        self.not_checkpointable.borrow().clone()
    }

    /// Marks `data` as the output of a stateful operator: gives it a deterministic uid —
    /// the statement's prefix, the operator's kind, its rank among the plan's stateful
    /// operators and a hash of its description, as Flink derives uids from the plan — and
    /// notes `blocker` when its state cannot be checkpointed.
    pub(crate) fn stateful(
        &self,
        data: DataStream<Changes>,
        kind: &str,
        description: &str,
        blocker: Option<String>,
    ) -> DataStream<Changes> {
        let n = self.stateful.get();
        self.stateful.set(n + 1);
        if let Some(why) = blocker {
            self.not_checkpointable.borrow_mut().push(format!("{description}: {why}"));
        }
        let hash = weir_core::key_group::stable_hash(description);
        data.uid(&format!("{}{kind}-{n}-{hash:08x}", self.uid_prefix))
    }

    /// The environment streams are added to.
    pub fn env(&self) -> &StreamExecutionEnvironment {
        self.env
    }

    /// The stream of `plan`.
    pub fn translate(&self, plan: &LogicalPlan) -> Result<Stream> {
        // Only a window TVF that is the aggregation's direct input (through projections,
        // filters and aliases) is left to it.
        let defer = match plan {
            LogicalPlan::Projection(_) | LogicalPlan::Filter(_) | LogicalPlan::SubqueryAlias(_) => {
                self.defer_proctime_windows.get()
            }
            _ => self.defer_proctime_windows.replace(false),
        };
        let fuse = match plan {
            LogicalPlan::SubqueryAlias(_) => self.fuse_session.get(),
            _ => self.fuse_session.replace(false),
        };
        match plan {
            LogicalPlan::TableScan(scan) => {
                let source = scan
                    .source
                    .downcast_ref::<StreamTableSource>()
                    .ok_or_else(|| SqlError::unsupported(format!("Unknown relation '{}'", scan.table_name)))?;
                // Rows are copied once per window they fall in: a window TVF's input keeps
                // only the columns the query reads (and the time column).
                // (The kept columns, and how many the input has.)
                let kept = match (&source.kind, &scan.projection) {
                    (TableKind::Window(tvf), Some(indices)) => {
                        narrowed_columns(indices, tvf, scan).map(|kept| (kept, tvf.schema.fields().len() - 3))
                    }
                    _ => None,
                };
                let full = match &source.kind {
                    TableKind::Table(def) => match read_columns(def, scan) {
                        Some(read) => {
                            let def = crate::catalog::TableDef { read_columns: Some(read), ..def.as_ref().clone() };
                            self.table(&scan.table_name, &def)?
                        }
                        None => self.table(&scan.table_name, def)?,
                    },
                    TableKind::Versioned(v) => match &v.view {
                        Some(view) => {
                            self.ranked_updating_input.set(None);
                            let stream = self.translate(view)?;
                            if self.ranked_updating_input.get() == Some(true) {
                                // Its retractions would be deletes of keys, which the
                                // versions below (the rows it adds) leave out.
                                return Err(SqlError::unsupported(format!(
                                    "The versioned view '{}' read FOR SYSTEM_TIME AS OF ranks an updating input; \
                                     Weir supports versioned views over insert-only input only",
                                    v.table.name
                                )));
                            }
                            // Qualified by the stand-in's name, as the scan's schema is.
                            let schema = datafusion_common::DFSchema::try_from_qualified_schema(
                                scan.table_name.clone(),
                                stream.schema.as_arrow(),
                            )
                            .map_err(crate::planner::plan_error)?;
                            let data = beside(&stream.data, stream.data.map(new_versions));
                            // The version time: a rowtime attribute the view passes on (see
                            // `crate::planner::temporal`), whichever operator made its rows.
                            let rowtime =
                                v.table.watermark.as_ref().and_then(|(c, _)| stream.schema.as_arrow().index_of(c).ok());
                            Stream { data, schema: Arc::new(schema), rowtime, ..stream }
                        }
                        None => self.table(&scan.table_name, &v.table)?,
                    },
                    TableKind::View(view) => self.translate(view)?,
                    TableKind::Match(m) => self.match_recognize(m, &scan.table_name)?,
                    TableKind::Window(tvf) => {
                        // Narrowed where the input is read, if it is a table's scan.
                        let scan_narrowed = kept.as_ref().and_then(|(kept, _)| narrowed_scan(&tvf.input, kept));
                        let input = match &scan_narrowed {
                            Some(plan) => self.translate(plan)?,
                            None => self.translate(&tvf.input)?,
                        };
                        let updating = input.updating;
                        let time = input
                            .schema
                            .as_arrow()
                            .index_of(&tvf.time_column)
                            .map_err(|e| SqlError::validation(e.to_string()))?;
                        // An aggregation's result has no time attribute (Flink's rule): its
                        // changes cannot be windowed. (Insert-only inputs are not checked.)
                        if updating && !tvf.proctime && input.rowtime != Some(time) {
                            let field = input.schema.field(time);
                            let shown = crate::types::FlinkType::from_arrow(field.data_type(), true)
                                .map_or_else(|| field.data_type().to_string(), |t| t.to_string());
                            return Err(SqlError::validation(format!(
                                "The window function requires the timecol is a time attribute type, but is {shown}."
                            )));
                        }
                        // Over an updating input each change keeps its kind: a window
                        // aggregation takes retractions back from the windows of their time
                        // (a retraction joins and merges sessions as a row does, as in Flink).
                        if input.updating && tvf.proctime {
                            return Err(SqlError::unsupported(format!(
                                "A processing-time window ({}) needs an insert-only input in Weir, but its input is \
                                 updating (from {})",
                                tvf.call, input.origin
                            )));
                        }
                        let (input, time, tvf_schema) = match &kept {
                            Some((kept, _)) => {
                                self.narrow_window_input(input, time, tvf, kept, scan_narrowed.is_some())?
                            }
                            None => (input, time, tvf.schema.clone()),
                        };
                        if let (true, false, false, WindowKind::Session { gap, partition_by }) =
                            (fuse, input.updating, tvf.proctime, &tvf.kind)
                        {
                            // Left to the aggregation above (see `fuse_session`).
                            let n = tvf.schema.fields().len() - 3;
                            let input_index = |i: usize| match &kept {
                                Some((kept, _)) => kept.iter().position(|&k| k == i),
                                None => Some(i),
                            };
                            let columns = match &scan.projection {
                                Some(indices) => indices.clone(),
                                None => (0..n + 3).collect(),
                            }
                            .into_iter()
                            .map(|i| match i.checked_sub(n) {
                                Some(0) => Some(SessionColumn::Start),
                                Some(1) => Some(SessionColumn::End),
                                Some(_) => Some(SessionColumn::Time),
                                None => input_index(i).map(SessionColumn::Input),
                            })
                            .collect::<Option<Vec<_>>>()
                            .ok_or_else(|| SqlError::validation("a session window's column is not read"))?;
                            let data = input.data.clone();
                            self.pending_session.replace(Some(PendingSession {
                                input,
                                time,
                                gap: *gap,
                                partition_by: partition_by.clone(),
                                zone: tvf.zone,
                                kind: tvf.kind.clone(),
                                columns,
                            }));
                            return Ok(Stream {
                                data,
                                schema: scan.projected_schema.clone(),
                                updating: false,
                                window: None,
                                rowtime: None,
                                origin: format!("WindowTableFunction({})", tvf.call),
                            });
                        }
                        let schema = tvf_schema.clone();
                        let kind = tvf.kind.clone();
                        let zone = tvf.zone;
                        let n = input.schema.fields().len();
                        let data = match &tvf.kind {
                            WindowKind::Session { gap, partition_by } => {
                                self.session_window(&input, partition_by, time, *gap, schema, tvf.zone)?
                            }
                            _ if tvf.proctime => {
                                let assign = if defer { ProctimeAssign::Deferred } else { ProctimeAssign::Now };
                                beside(
                                    &input.data,
                                    input.data.transform("WindowTableFunction", move |_| {
                                        Ok(WindowAssignOperator::new(kind.clone(), time, schema.clone())
                                            .with_proctime(assign))
                                    }),
                                )
                            }
                            _ => beside(
                                &input.data,
                                input.data.transform("WindowTableFunction", move |_| {
                                    Ok(WindowAssignOperator::new(kind.clone(), time, schema.clone()).in_time_zone(zone))
                                }),
                            ),
                        };
                        Stream {
                            data,
                            schema: Arc::new(
                                datafusion_common::DFSchema::try_from_qualified_schema(
                                    scan.table_name.clone(),
                                    tvf_schema.as_ref(),
                                )
                                .map_err(crate::planner::plan_error)?,
                            ),
                            updating,
                            window: Some(WindowProps {
                                start: Some(n),
                                end: Some(n + 1),
                                time: Some(n + 2),
                                kind: tvf.kind.clone(),
                                proctime: tvf.proctime && defer,
                                zone: tvf.zone,
                            }),
                            // Flink: the time column becomes a plain timestamp, window_time the rowtime.
                            // Over processing time there is none: window_time is a proctime attribute.
                            rowtime: (!tvf.proctime).then_some(n + 2),
                            origin: format!("WindowTableFunction({})", tvf.call),
                        }
                    }
                };
                let mut stream = full;
                if !scan.filters.is_empty() {
                    let predicate = scan.filters.iter().cloned().reduce(|a, b| a.and(b)).expect("non-empty");
                    stream = self.calc(stream, Some(&predicate), None, None)?;
                }
                let projection = match (&kept, &scan.projection) {
                    // The window's input was narrowed: the projection's indices move with it.
                    (Some((kept, n)), Some(indices)) => Some(
                        indices
                            .iter()
                            .map(|&i| match kept.iter().position(|&k| k == i) {
                                Some(p) => p,
                                None => kept.len() + (i - *n),
                            })
                            .collect::<Vec<_>>(),
                    ),
                    (_, projection) => projection.clone(),
                };
                match &projection {
                    Some(indices)
                        if indices.len() != stream.schema.fields().len()
                            || indices.iter().enumerate().any(|(i, j)| i != *j) =>
                    {
                        let exprs: Vec<Expr> = indices
                            .iter()
                            .map(|&i| Expr::Column(datafusion_common::Column::from(stream.schema.qualified_field(i))))
                            .collect();
                        self.calc(stream, None, Some(&exprs), Some(scan.projected_schema.clone()))
                    }
                    _ => Ok(Stream { schema: scan.projected_schema.clone(), ..stream }),
                }
            }
            LogicalPlan::Projection(p) => {
                if let LogicalPlan::Filter(f) = p.input.as_ref() {
                    if let Some(top) = self.top_n(f, Some(&p.expr))? {
                        return self.calc(top, None, Some(&p.expr), Some(p.schema.clone()));
                    }
                    // One Calc, as Flink's: the filter and the projection share what they
                    // both compute (see `common_subexpr`).
                    let input = self.translate(&f.input)?;
                    return self.calc(input, Some(&f.predicate), Some(&p.expr), Some(p.schema.clone()));
                }
                let input = self.translate(&p.input)?;
                self.calc(input, None, Some(&p.expr), Some(p.schema.clone()))
            }
            LogicalPlan::Filter(f) => {
                if let Some(top) = self.top_n(f, None)? {
                    return Ok(top);
                }
                let input = self.translate(&f.input)?;
                self.calc(input, Some(&f.predicate), None, None)
            }
            LogicalPlan::SubqueryAlias(a) => {
                let input = self.translate(&a.input)?;
                Ok(Stream { schema: a.schema.clone(), ..input })
            }
            LogicalPlan::Aggregate(a) => {
                // Equal plans may still read different relations (see `same_plan`).
                let done = self
                    .aggregates
                    .borrow()
                    .iter()
                    .find(|(b, _)| b == a && crate::planner::same_plan(&b.input, &a.input))
                    .map(|(_, s)| s.clone());
                if let Some(stream) = done {
                    return Ok(stream);
                }
                let stream = match a.group_expr.as_slice() {
                    [Expr::GroupingSet(set)] => self.grouping_sets(a, set)?,
                    _ => self.aggregate(a)?,
                };
                self.aggregates.borrow_mut().push((a.clone(), stream.clone()));
                Ok(stream)
            }
            LogicalPlan::Join(j) => self.join(j),
            LogicalPlan::Window(w) => self.window(w),
            LogicalPlan::Union(u) => {
                let mut streams = u.inputs.iter().map(|i| self.translate(i)).collect::<Result<Vec<_>>>()?;
                let first = streams.remove(0);
                let mut data = first.data.clone();
                let mut updating = first.updating;
                let mut rowtime = first.rowtime;
                for s in &streams {
                    data = data.union(&s.data);
                    updating |= s.updating;
                    if s.rowtime != rowtime {
                        rowtime = None;
                    }
                }
                // Changelogs at different parallelisms meet in one subtask: an operator at
                // another parallelism would deal one input's changes out round-robin, and
                // a retraction could overtake the row it retracts.
                if updating && data.common_parallelism().is_none() {
                    data = data.map(|c: Changes| c).name("UnionChangelogs").set_parallelism(1);
                }
                Ok(Stream { data, schema: u.schema.clone(), updating, window: None, rowtime, origin: "Union".into() })
            }
            LogicalPlan::Unnest(u) => self.unnest(u),
            LogicalPlan::Sort(s) => self.temporal_sort(s),
            LogicalPlan::Values(v) => {
                let schema = Arc::new(v.schema.as_arrow().clone());
                let empty = datafusion_common::DFSchema::empty();
                let empty_batch = arrow::array::RecordBatch::try_new_with_options(
                    Arc::new(Schema::empty()),
                    vec![],
                    &arrow::array::RecordBatchOptions::new().with_row_count(Some(1)),
                )
                .map_err(|e| SqlError::new(crate::error::ErrorKind::Execution, e.to_string()))?;
                let mut columns = Vec::new();
                for (c, field) in schema.fields().iter().enumerate() {
                    let mut values = Vec::new();
                    for row in &v.values {
                        let e = physical(&row[c], &Arc::new(empty.clone()), &self.props)?;
                        let value = e
                            .evaluate(&empty_batch)
                            .and_then(|v| v.into_array(1))
                            .map_err(crate::planner::plan_error)?;
                        values.push(value);
                    }
                    let refs: Vec<&dyn arrow::array::Array> = values.iter().map(|a| a.as_ref()).collect();
                    let column = arrow::compute::concat(&refs).map_err(|e| SqlError::validation(e.to_string()))?;
                    columns.push(
                        arrow::compute::cast(&column, field.data_type())
                            .map_err(|e| SqlError::validation(e.to_string()))?,
                    );
                }
                let batch = arrow::array::RecordBatch::try_new(schema, columns)
                    .map_err(|e| SqlError::validation(e.to_string()))?;
                let data = self.env.from_collection(vec![Changes::inserts(batch)]);
                Ok(Stream {
                    data,
                    schema: v.schema.clone(),
                    updating: false,
                    window: None,
                    rowtime: None,
                    origin: "Values".into(),
                })
            }
            LogicalPlan::EmptyRelation(e) => {
                let rows = usize::from(e.produce_one_row);
                let batch = arrow::array::RecordBatch::try_new_with_options(
                    Arc::new(e.schema.as_arrow().clone()),
                    vec![],
                    &arrow::array::RecordBatchOptions::new().with_row_count(Some(rows)),
                )
                .map_err(|e| SqlError::validation(e.to_string()))?;
                let data = self.env.from_collection(vec![Changes::inserts(batch)]);
                Ok(Stream {
                    data,
                    schema: e.schema.clone(),
                    updating: false,
                    window: None,
                    rowtime: None,
                    origin: "Values".into(),
                })
            }
            other => Err(SqlError::unsupported(format!(
                "{} is not supported in streaming queries yet",
                other.display().to_string().split(':').next().unwrap_or("This operation")
            ))),
        }
    }

    /// `UNNEST`: the input's rows repeated per element of their list columns (see
    /// [`crate::planner::unnest`]).
    fn unnest(&self, u: &datafusion_expr::logical_plan::Unnest) -> Result<Stream> {
        if !u.struct_type_columns.is_empty() || u.list_type_columns.iter().any(|(_, l)| l.depth != 1) {
            return Err(SqlError::unsupported("UNNEST of a ROW, or of nested arrays at once, is not supported"));
        }
        let input = self.translate(&u.input)?;
        let lists: Vec<usize> = u.list_type_columns.iter().map(|(i, _)| *i).collect();
        let sources = u.dependency_indices.clone();
        let keep_empty = u.options.null_handling == datafusion_common::NullHandling::PreserveAndExpandEmpty;
        let schema: SchemaRef = Arc::new(u.schema.as_arrow().clone());
        let rowtime =
            input.rowtime.and_then(|r| (!lists.contains(&r)).then(|| sources.iter().position(|&s| s == r)).flatten());
        let data = input.data.transform("Correlate", move |_| {
            Ok(super::unnest::UnnestOperator::new(lists.clone(), sources.clone(), keep_empty, schema.clone()))
        });
        Ok(Stream {
            data: beside(&input.data, data),
            schema: u.schema.clone(),
            updating: input.updating,
            window: None,
            rowtime,
            origin: "Correlate(UNNEST)".into(),
        })
    }

    /// `ORDER BY rowtime [ASC], …` (Flink's temporal sort); any other order is refused with
    /// Flink's message (an order with `LIMIT` is a Top-N, see [`crate::planner::limit`]).
    fn temporal_sort(&self, s: &datafusion_expr::logical_plan::Sort) -> Result<Stream> {
        let input = self.translate(&s.input)?;
        let on_rowtime = match (s.expr.first(), input.rowtime) {
            (Some(first), Some(rowtime)) if first.asc => match strip_alias(&first.expr) {
                Expr::Column(c) => input.schema.index_of_column(c).ok() == Some(rowtime),
                _ => false,
            },
            _ => false,
        };
        if !on_rowtime || s.fetch.is_some() {
            return Err(SqlError::unsupported("Sort on a non-time-attribute field is not supported."));
        }
        if input.updating {
            return Err(SqlError::unsupported(format!(
                "Sort on a time attribute needs an insert-only input, but its input is updating (from {})",
                input.origin
            )));
        }
        let time = input.rowtime.expect("checked");
        let keys = s.expr[1..]
            .iter()
            .map(|k| Ok((physical(&k.expr, &input.schema, &self.props)?, !k.asc, k.nulls_first)))
            .collect::<Result<Vec<_>>>()?;
        let schema: SchemaRef = Arc::new(input.schema.as_arrow().clone());
        let data = self
            .exchange(&input, vec![], 1)
            .transform("TemporalSort", move |_| {
                super::temporal_sort::TemporalSortOperator::new(time, keys.clone(), schema.clone())
            })
            .set_parallelism(1);
        let data = self.stateful(data, "temporal-sort", "TemporalSort", None);
        Ok(Stream {
            data,
            schema: input.schema.clone(),
            updating: false,
            window: None,
            rowtime: Some(time),
            origin: "TemporalSort".into(),
        })
    }

    /// The stream of a catalog table, its columns qualified by `name`.
    fn table(&self, name: &datafusion_common::TableReference, def: &crate::catalog::TableDef) -> Result<Stream> {
        Ok(Stream {
            data: (self.open_table)(def)?,
            schema: Arc::new(
                datafusion_common::DFSchema::try_from_qualified_schema(name.clone(), def.schema().as_ref())
                    .map_err(crate::planner::plan_error)?,
            ),
            updating: crate::connectors::reads_changelog(def),
            window: None,
            rowtime: def.watermark.as_ref().and_then(|(c, _)| def.schema().index_of(c).ok()),
            origin: format!("TableSourceScan(table=[{}])", def.name),
        })
    }

    /// The window TVF's input with only the columns `kept` (sorted, the time column among
    /// them), the time column's new index and the TVF's schema over them.
    fn narrow_window_input(
        &self,
        input: Stream,
        time: usize,
        tvf: &crate::planner::WindowTvf,
        kept: &[usize],
        scan_narrowed: bool,
    ) -> Result<(Stream, usize, arrow::datatypes::SchemaRef)> {
        let n = tvf.schema.fields().len() - 3;
        let with_window: Vec<usize> = kept.iter().copied().chain(n..n + 3).collect();
        let schema = Arc::new(tvf.schema.project(&with_window).map_err(|e| SqlError::validation(e.to_string()))?);
        if scan_narrowed {
            // `input` reads `kept` already, and `time` is its own index.
            return Ok((input, time, schema));
        }
        let fields: Vec<_> = kept
            .iter()
            .map(|&i| {
                let (qualifier, field) = input.schema.qualified_field(i);
                (qualifier.cloned(), Arc::new(field.as_ref().clone()))
            })
            .collect();
        let narrowed = datafusion_common::DFSchema::new_with_metadata(fields, input.schema.metadata().clone())
            .map_err(crate::planner::plan_error)?;
        let exprs: Vec<Expr> = kept
            .iter()
            .map(|&i| Expr::Column(datafusion_common::Column::from(input.schema.qualified_field(i))))
            .collect();
        let input = self.calc(input, None, Some(&exprs), Some(Arc::new(narrowed)))?;
        let time = kept.iter().position(|&k| k == time).expect("the time column is kept");
        Ok((input, time, schema))
    }

    fn calc(
        &self,
        input: Stream,
        filter: Option<&Expr>,
        projection: Option<&[Expr]>,
        schema: Option<DFSchemaRef>,
    ) -> Result<Stream> {
        let clocked = |e: Arc<dyn PhysicalExpr>| {
            crate::functions::proctime::with_clock(e, &self.clock).map_err(crate::planner::plan_error)
        };
        // CURRENT_WATERMARK(…) reads a column the operator adds to its input.
        let (filter, projection, watermark_schema) =
            super::calc::current_watermark_column(&input.schema, filter, projection)?;
        let (filter, projection) = (filter.as_ref(), projection.as_deref());
        let input_schema = watermark_schema.clone().unwrap_or_else(|| input.schema.clone());
        let filter = filter.map(|f| physical(f, &input_schema, &self.props).and_then(clocked)).transpose()?;
        let out_schema = schema.unwrap_or_else(|| input.schema.clone());
        let mut window = input.window.clone();
        let mut rowtime = input.rowtime;
        let projection = match projection {
            Some(exprs) => {
                // Window columns and the rowtime passed through keep their meaning.
                let find = |idx: Option<usize>| {
                    idx.and_then(|idx| {
                        let (q, f) = input.schema.qualified_field(idx);
                        exprs.iter().position(|e| match strip_alias(e) {
                            Expr::Column(c) => {
                                c.name == *f.name() && (c.relation.is_none() || c.relation.as_ref() == q)
                            }
                            _ => false,
                        })
                    })
                };
                rowtime = find(input.rowtime);
                if let Some(w) = &input.window {
                    window = Some(WindowProps {
                        start: find(w.start),
                        end: find(w.end),
                        time: find(w.time),
                        kind: w.kind.clone(),
                        proctime: w.proctime,
                        zone: w.zone,
                    });
                }
                Some(
                    exprs
                        .iter()
                        .map(|e| physical(e, &input_schema, &self.props).and_then(clocked))
                        .collect::<Result<Vec<_>>>()?,
                )
            }
            None => None,
        };
        let arrow_schema: SchemaRef = Arc::new(out_schema.as_arrow().clone());
        let extended: Option<SchemaRef> = watermark_schema.map(|s| Arc::new(s.as_arrow().clone()));
        let name = match (&filter, &projection) {
            (Some(_), Some(_)) => "Calc",
            (Some(_), None) => "Filter",
            _ => "Projection",
        };
        let width = input.schema.fields().len();
        let data = input.data.transform(name, move |_| {
            let calc = CalcOperator::new(filter.clone(), projection.clone(), arrow_schema.clone());
            let calc = match &extended {
                Some(e) => calc.with_watermark_column(e.clone()),
                None => calc,
            };
            Ok(calc.with_shared_subexpressions(width))
        });
        let data = beside(&input.data, data);
        Ok(Stream { data, schema: out_schema, updating: input.updating, window, rowtime, origin: input.origin })
    }

    /// Sends `stream` to the subtasks owning its rows' keys.
    fn exchange(&self, stream: &Stream, keys: Vec<Arc<dyn PhysicalExpr>>, parallelism: usize) -> DataStream<Changes> {
        let schema: SchemaRef = Arc::new(stream.schema.as_arrow().clone());
        let max_p = self.max_parallelism;
        let resplit = exchange_resplit(keys.clone(), schema.clone());
        let split = stream.data.transform("KeyBy", move |_| {
            Ok(KeySplitOperator::new(KeyEncoder::new(keys.clone(), &schema)?, parallelism, max_p))
        });
        beside(&stream.data, split).partition_custom_rescalable(
            |route: &u32, n: usize| (*route as usize).min(n - 1),
            |c: &Changes| c.route,
            resplit,
        )
    }

    /// The `SESSION` window TVF over `input`: rows held per partition key until their
    /// session closes.
    fn session_window(
        &self,
        input: &Stream,
        partition_by: &[String],
        time: usize,
        gap: i64,
        schema: SchemaRef,
        zone: Option<crate::functions::LocalTimeZone>,
    ) -> Result<DataStream<Changes>> {
        let arrow_in: SchemaRef = Arc::new(input.schema.as_arrow().clone());
        let keys = partition_by
            .iter()
            .map(|k| {
                let idx = arrow_in.index_of(k).map_err(|e| SqlError::validation(e.to_string()))?;
                Ok(Arc::new(datafusion_physical_expr::expressions::Column::new(k, idx)) as Arc<dyn PhysicalExpr>)
            })
            .collect::<Result<Vec<_>>>()?;
        let parallelism = if keys.is_empty() { 1 } else { self.parallelism };
        let data = self.exchange(input, keys.clone(), parallelism);
        let description = format!("SessionWindowTableFunction(partitionBy=[{}], gap={gap})", partition_by.join(", "));
        let data = data
            .transform("SessionWindowTableFunction", move |_| {
                let encoder = (!keys.is_empty()).then(|| KeyEncoder::new(keys.clone(), &arrow_in)).transpose()?;
                Ok(SessionWindowOperator::new(encoder, time, gap, schema.clone()).in_time_zone(zone))
            })
            .set_parallelism(parallelism);
        Ok(self.stateful(data, "session-window", &description, None))
    }

    /// `GROUP BY` over `SESSION` windows as one operator (see [`super::session_window_agg`]):
    /// the TVF left its windows in `session`; `in_schema` is the aggregation's input as
    /// planned (the TVF's columns the scan read).
    fn session_aggregate(
        &self,
        a: &datafusion_expr::logical_plan::Aggregate,
        in_schema: &DFSchemaRef,
        session: PendingSession,
    ) -> Result<Stream> {
        let PendingSession { input, time, gap, partition_by, zone, kind, columns } = session;
        let internal = |what: &str| SqlError::validation(format!("session window aggregation: {what}"));
        let column_of = |c: &datafusion_common::Column| -> Result<SessionColumn> {
            let j = in_schema.index_of_column(c).map_err(crate::planner::plan_error)?;
            columns.get(j).copied().ok_or_else(|| internal("a column beyond the window's"))
        };
        let input_column = |i: usize| Expr::Column(datafusion_common::Column::from(input.schema.qualified_field(i)));
        let mut keys = Vec::new();
        let mut group_columns = Vec::new();
        for e in &a.group_expr {
            let Expr::Column(c) = strip_alias(e) else { return Err(internal("a key that is not a column")) };
            group_columns.push(match column_of(c)? {
                SessionColumn::Start => GroupColumn::Start,
                SessionColumn::End => GroupColumn::End,
                SessionColumn::Time => GroupColumn::Time,
                SessionColumn::Input(i) => {
                    keys.push(physical(&input_column(i), &input.schema, &self.props)?);
                    GroupColumn::Key(keys.len() - 1)
                }
            });
        }
        // The calls over the TVF's input: its columns where the plan reads the TVF's.
        let aggr_expr = a
            .aggr_expr
            .iter()
            .map(|e| {
                use datafusion_common::tree_node::{Transformed, TreeNode};
                let name = e.schema_name().to_string();
                let rewritten = strip_alias(e)
                    .clone()
                    .transform(|x| match x {
                        Expr::Column(c) => match column_of(&c) {
                            Ok(SessionColumn::Input(i)) => Ok(Transformed::yes(input_column(i))),
                            _ => datafusion_common::plan_err!("an aggregate of a window column"),
                        },
                        other => Ok(Transformed::no(other)),
                    })
                    .map_err(crate::planner::plan_error)?
                    .data;
                Ok(rewritten.alias(name))
            })
            .collect::<Result<Vec<_>>>()?;
        let calls = self.agg_calls(&aggr_expr, &input.schema)?;
        let arrow_in: SchemaRef = Arc::new(input.schema.as_arrow().clone());
        let kinds = super::native_agg::NativeKind::of_all(&calls, &arrow_in)
            .ok_or_else(|| internal("an aggregate it cannot compute in place"))?;
        let calls: Vec<_> = kinds.into_iter().zip(calls).collect();
        let out_schema: SchemaRef = Arc::new(a.schema.as_arrow().clone());
        let parallelism = if keys.is_empty() { 1 } else { self.parallelism };
        let data = self.exchange(&input, keys.clone(), parallelism);
        let description = format!(
            "SessionWindowAggregate(groupBy=[{}], window=[SESSION(gap={gap}, partitionBy=[{}])], select=[{}])",
            a.group_expr.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", "),
            partition_by.join(", "),
            a.aggr_expr.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
        );
        let operator_columns = group_columns.clone();
        let data = data
            .transform("SessionWindowAggregate", move |_| {
                Ok(super::session_window_agg::SessionWindowAggOperator::new(
                    KeyEncoder::new(keys.clone(), &arrow_in)?,
                    time,
                    gap,
                    operator_columns.clone(),
                    calls.clone(),
                    out_schema.clone(),
                )
                .in_time_zone(zone))
            })
            .set_parallelism(parallelism);
        let data = self.stateful(data, "session-window-aggregate", &description, None);
        let position =
            |g: GroupColumn| group_columns.iter().position(|c| std::mem::discriminant(c) == std::mem::discriminant(&g));
        Ok(Stream {
            data,
            schema: a.schema.clone(),
            updating: false,
            window: Some(WindowProps {
                start: position(GroupColumn::Start),
                end: position(GroupColumn::End),
                time: position(GroupColumn::Time),
                kind,
                proctime: false,
                zone,
            }),
            rowtime: position(GroupColumn::Time),
            origin: "WindowAggregate".into(),
        })
    }

    /// The calls of aggregate expressions `aggr_expr` over rows of `in_schema`.
    fn agg_calls(&self, aggr_expr: &[Expr], in_schema: &DFSchemaRef) -> Result<Vec<AggCall>> {
        let arrow_in: SchemaRef = Arc::new(in_schema.as_arrow().clone());
        aggr_expr
            .iter()
            .map(|e| {
                let name = e.schema_name().to_string();
                match strip_alias(e) {
                    Expr::AggregateFunction(af) if af.func.name() == "count" && af.params.args.len() > 1 => {
                        Err(SqlError::unsupported("We now only support the count of one field."))
                    }
                    Expr::AggregateFunction(af) => {
                        let args = af
                            .params
                            .args
                            .iter()
                            .map(|x| physical(x, in_schema, &self.props))
                            .collect::<Result<Vec<_>>>()?;
                        let build = |distinct: bool| {
                            AggregateExprBuilder::new(af.func.clone(), args.clone())
                                .schema(arrow_in.clone())
                                .alias(name.clone())
                                .with_distinct(distinct)
                                .build()
                                .map_err(crate::planner::plan_error)
                        };
                        let function = build(af.params.distinct)?;
                        let plain = match args.as_slice() {
                            [argument] if af.params.distinct => Some(PlainOfDistinct {
                                function: Arc::new(build(false)?),
                                argument: argument.data_type(&arrow_in).map_err(crate::planner::plan_error)?,
                            }),
                            _ => None,
                        };
                        let filter =
                            af.params.filter.as_ref().map(|f| physical(f, in_schema, &self.props)).transpose()?;
                        Ok(AggCall { function: Arc::new(function), filter, plain })
                    }
                    other => Err(SqlError::unsupported(format!("Unsupported aggregate expression '{other}'"))),
                }
            })
            .collect::<Result<Vec<_>>>()
    }

    fn aggregate(&self, a: &datafusion_expr::logical_plan::Aggregate) -> Result<Stream> {
        self.defer_proctime_windows.set(true);
        // An order-sensitive aggregate over an updating input sees every change the group
        // aggregations below it make, row by row, as in Flink.
        let per_row = self.changes_per_row.get();
        let ordered = a.aggr_expr.iter().any(|e| match strip_alias(e) {
            Expr::AggregateFunction(af) => super::aggregate::order_sensitive(af.func.name()),
            _ => false,
        });
        self.changes_per_row.set(per_row || ordered);
        self.fuse_session.set(fusable_session_aggregate(a));
        let input = self.translate(&a.input);
        self.fuse_session.set(false);
        let pending = self.pending_session.take();
        self.changes_per_row.set(per_row);
        self.defer_proctime_windows.set(false);
        let input = input?;
        if let Some(session) = pending {
            return self.session_aggregate(a, &input.schema, session);
        }
        let in_schema = &input.schema;
        let arrow_in: SchemaRef = Arc::new(in_schema.as_arrow().clone());
        let calls = self.agg_calls(&a.aggr_expr, in_schema)?;
        let out_schema: SchemaRef = Arc::new(a.schema.as_arrow().clone());

        // Which group expressions are the window's bounds?
        let column_index = |e: &Expr| match strip_alias(e) {
            Expr::Column(c) => in_schema.index_of_column(c).ok(),
            _ => None,
        };
        let window = input.window.as_ref().filter(|w| {
            let idx: Vec<Option<usize>> = a.group_expr.iter().map(column_index).collect();
            w.start.is_some_and(|s| idx.contains(&Some(s)))
                && w.end.is_some_and(|e| idx.contains(&Some(e)))
                && session_keys_match(w, a, in_schema)
        });
        if let Some(w) = window {
            // Over an updating input the accumulators take retractions back.
            let retracting = input.updating;
            for c in calls.iter().filter(|_| retracting) {
                c.accumulator(true).map_err(|e| SqlError::unsupported(e.to_string()))?;
            }
            let blocker = calls.iter().find_map(|c| c.check_restorable(retracting).err());
            let mut keys = Vec::new();
            let mut group_columns = Vec::new();
            for e in &a.group_expr {
                let idx = column_index(e);
                if idx.is_some() && idx == w.start {
                    group_columns.push(GroupColumn::Start);
                } else if idx.is_some() && idx == w.end {
                    group_columns.push(GroupColumn::End);
                } else if idx.is_some() && idx == w.time {
                    group_columns.push(GroupColumn::Time);
                } else {
                    group_columns.push(GroupColumn::Key(keys.len()));
                    keys.push(physical(e, in_schema, &self.props)?);
                }
            }
            let (start, end) = (w.start.expect("checked"), w.end.expect("checked"));
            let proctime = w.proctime.then(|| w.kind.clone());
            let kind = w.kind.clone();
            let zone = w.zone;
            let parallelism = if keys.is_empty() { 1 } else { self.parallelism };
            let data = self.exchange(&input, keys.clone(), parallelism);
            let schema = out_schema.clone();
            let description = format!(
                "WindowAggregate(groupBy=[{}], select=[{}])",
                a.group_expr.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", "),
                a.aggr_expr.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
            );
            let data = data
                .transform("WindowAggregate", move |_| {
                    let operator = WindowAggOperator::new(
                        KeyEncoder::new(keys.clone(), &arrow_in)?,
                        start,
                        end,
                        group_columns.clone(),
                        calls.clone(),
                        schema.clone(),
                    )
                    .in_time_zone(zone)
                    .with_window_kind(&kind)
                    .with_retraction(retracting);
                    Ok(match &proctime {
                        Some(kind) => operator.with_proctime(kind.clone()),
                        None => operator,
                    })
                })
                .set_parallelism(parallelism);
            let data = self.stateful(data, "window-aggregate", &description, blocker);
            let position = |g: GroupColumn| {
                a.group_expr.iter().position(|e| {
                    let idx = column_index(e);
                    idx.is_some()
                        && match g {
                            GroupColumn::Start => idx == w.start,
                            GroupColumn::End => idx == w.end,
                            GroupColumn::Time => idx == w.time,
                            GroupColumn::Key(_) => false,
                        }
                })
            };
            return Ok(Stream {
                data,
                schema: a.schema.clone(),
                updating: false,
                window: Some(WindowProps {
                    start: position(GroupColumn::Start),
                    end: position(GroupColumn::End),
                    time: position(GroupColumn::Time),
                    kind: w.kind.clone(),
                    proctime: false,
                    zone: w.zone,
                }),
                rowtime: if w.proctime { None } else { position(GroupColumn::Time) },
                origin: "WindowAggregate".into(),
            });
        }

        if input.window.as_ref().is_some_and(|w| w.proctime) {
            return Err(SqlError::unsupported(format!(
                "An aggregation over a processing-time window TVF must group by window_start and window_end \
                 (from {})",
                input.origin
            )));
        }
        let keys = a.group_expr.iter().map(|e| physical(e, in_schema, &self.props)).collect::<Result<Vec<_>>>()?;
        let parallelism = if keys.is_empty() { 1 } else { self.parallelism };
        // The accumulators must be able to retract when the input does.
        let retracting = input.updating;
        for c in &calls {
            c.accumulator(retracting).map_err(|e| SqlError::unsupported(e.to_string()))?;
        }
        let origin = format!(
            "GroupAggregate(groupBy=[{}])",
            a.group_expr.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
        );
        let description = format!(
            "{origin}, select=[{}], updating input: {retracting}",
            a.aggr_expr.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
        );
        let blocker = calls.iter().find_map(|c| c.check_restorable(retracting).err());
        let data = self.exchange(&input, keys.clone(), parallelism);
        let ttl = self.state_ttl_ms;
        let data = data
            .transform("GroupAggregate", move |_| {
                Ok(GroupAggOperator::new(
                    KeyEncoder::new(keys.clone(), &arrow_in)?,
                    calls.clone(),
                    retracting,
                    out_schema.clone(),
                )
                .with_changes_per_row(per_row)
                .computed_in_place(&arrow_in)
                .with_state_ttl(ttl))
            })
            .set_parallelism(parallelism);
        let data = self.stateful(data, "group-aggregate", &description, blocker);
        Ok(Stream { data, schema: a.schema.clone(), updating: true, window: None, rowtime: None, origin })
    }
}

/// A `SESSION` TVF whose windows the aggregation above it computes itself.
pub(crate) struct PendingSession {
    /// The TVF's input (only the columns read), insert-only.
    input: Stream,
    /// Its time column.
    time: usize,
    /// The session gap in milliseconds.
    gap: i64,
    partition_by: Vec<String>,
    zone: Option<crate::functions::LocalTimeZone>,
    kind: WindowKind,
    /// Where each column of the TVF's scan comes from.
    columns: Vec<SessionColumn>,
}

/// A column of a `SESSION` TVF's scan: one of its input's, or a window column.
#[derive(Debug, Clone, Copy)]
enum SessionColumn {
    Input(usize),
    Start,
    End,
    Time,
}

/// Whether the aggregation `a` can compute its `SESSION` windows itself, keeping
/// accumulators instead of rows ([`super::session_window_agg`]): it groups a `SESSION` TVF
/// over event time, read directly (only aliased), by its window bounds and exactly its
/// `PARTITION BY` columns, and its aggregates are `COUNT`, or `SUM`/`MIN`/`MAX` of `BIGINT`
/// or `AVG` of `DOUBLE`, none `DISTINCT` or ordered, over the TVF's input columns. Whether
/// the TVF's input is insert-only, which it also needs, the TVF checks.
fn fusable_session_aggregate(a: &datafusion_expr::logical_plan::Aggregate) -> bool {
    use datafusion_expr::ExprSchemable;
    let mut plan = a.input.as_ref();
    while let LogicalPlan::SubqueryAlias(alias) = plan {
        plan = alias.input.as_ref();
    }
    let LogicalPlan::TableScan(scan) = plan else { return false };
    let Some(source) = scan.source.downcast_ref::<StreamTableSource>() else { return false };
    let TableKind::Window(tvf) = &source.kind else { return false };
    let WindowKind::Session { partition_by, .. } = &tvf.kind else { return false };
    if tvf.proctime || !scan.filters.is_empty() {
        return false;
    }
    let n = tvf.schema.fields().len() - 3;
    let read: Vec<usize> = scan.projection.clone().unwrap_or_else(|| (0..n + 3).collect());
    let in_schema = a.input.schema();
    // The TVF's column (its index) a column of the aggregation's input is.
    let tvf_column =
        |c: &datafusion_common::Column| in_schema.index_of_column(c).ok().and_then(|j| read.get(j).copied());
    let mut keys = Vec::new();
    let mut bounds = Vec::new();
    for e in &a.group_expr {
        let Expr::Column(c) = strip_alias(e) else { return false };
        match tvf_column(c) {
            Some(i) if i >= n => bounds.push(i - n),
            Some(i) => keys.push(tvf.schema.field(i).name().as_str()),
            None => return false,
        }
    }
    let mut partition: Vec<&str> = partition_by.iter().map(String::as_str).collect();
    for list in [&mut keys, &mut partition] {
        list.sort_unstable();
        list.dedup();
    }
    if keys != partition || !bounds.contains(&0) || !bounds.contains(&1) {
        return false;
    }
    a.aggr_expr.iter().enumerate().all(|(k, e)| {
        let Expr::AggregateFunction(af) = strip_alias(e) else { return false };
        let p = &af.params;
        if p.distinct || !p.order_by.is_empty() || p.args.len() != 1 {
            return false;
        }
        let reads_window = p
            .args
            .iter()
            .chain(p.filter.as_deref())
            .any(|x| x.column_refs().into_iter().any(|c| tvf_column(c).is_none_or(|i| i >= n)));
        let (Ok(arg), Some(out)) = (p.args[0].get_type(in_schema), a.schema.fields().get(a.group_expr.len() + k))
        else {
            return false;
        };
        super::native_agg::NativeKind::for_call(af.func.name(), &arg, out.data_type()).is_some() && !reads_window
    })
}

/// Whether a `GROUP BY` over a `SESSION` window is a window aggregation: as in Flink, only
/// when its keys besides the window columns are exactly the `PARTITION BY` keys; any other
/// grouping is a group aggregation (an updating result) over the session TVF's rows.
fn session_keys_match(w: &WindowProps, a: &datafusion_expr::logical_plan::Aggregate, schema: &DFSchemaRef) -> bool {
    let WindowKind::Session { partition_by, .. } = &w.kind else { return true };
    let mut keys = Vec::new();
    for e in &a.group_expr {
        let Expr::Column(c) = strip_alias(e) else { return false };
        let Ok(i) = schema.index_of_column(c) else { return false };
        if [w.start, w.end, w.time].contains(&Some(i)) {
            continue;
        }
        keys.push(schema.field(i).name().as_str());
    }
    keys.sort_unstable();
    keys.dedup();
    let mut partition: Vec<&str> = partition_by.iter().map(String::as_str).collect();
    partition.sort_unstable();
    partition.dedup();
    keys == partition
}

/// The physical columns of `def` a scan reads: those it projects and filters on, and those
/// its computed columns and watermark mention (by name, generously: reading one more column
/// costs time, reading one fewer would be wrong); `None` when it reads all.
fn read_columns(
    def: &crate::catalog::TableDef,
    scan: &datafusion_expr::TableScan,
) -> Option<std::collections::BTreeSet<String>> {
    let indices = scan.projection.as_ref()?;
    let schema = scan.source.schema();
    let mut read: std::collections::BTreeSet<String> =
        indices.iter().filter_map(|&i| schema.fields().get(i).map(|f| f.name().clone())).collect();
    for filter in &scan.filters {
        read.extend(filter.column_refs().into_iter().map(|c| c.name.clone()));
    }
    let mut mentioned = String::new();
    for c in &def.columns {
        if let crate::catalog::ColumnSource::Computed(e) = &c.source {
            mentioned.push_str(&format!(" {e} "));
        }
    }
    if let Some((_, e)) = &def.watermark {
        mentioned.push_str(&format!(" {e} "));
    }
    let words: std::collections::HashSet<String> =
        mentioned.split(|ch: char| !(ch.is_alphanumeric() || ch == '_' || ch == '$')).map(str::to_lowercase).collect();
    for c in &def.columns {
        if words.contains(&c.name.to_lowercase()) {
            read.insert(c.name.clone());
        }
    }
    let physical = def.columns.iter().filter(|c| matches!(c.source, crate::catalog::ColumnSource::Physical));
    let all = physical.clone().all(|c| read.contains(&c.name));
    (!all).then_some(read)
}

/// The input columns of a window TVF that a scan reading `indices` of its output needs —
/// those read, those its filters read, the time column and a session's `PARTITION BY`
/// columns — when fewer than all; `None` otherwise.
fn narrowed_columns(
    indices: &[usize],
    tvf: &crate::planner::WindowTvf,
    scan: &datafusion_expr::TableScan,
) -> Option<Vec<usize>> {
    let n = tvf.schema.fields().len() - 3;
    let time = tvf.schema.index_of(&tvf.time_column).ok()?;
    let mut kept: Vec<usize> = indices.iter().copied().filter(|&i| i < n).chain([time]).collect();
    if let WindowKind::Session { partition_by, .. } = &tvf.kind {
        for k in partition_by {
            kept.push(tvf.schema.index_of(k).ok()?);
        }
    }
    for filter in &scan.filters {
        for c in filter.column_refs() {
            let i = tvf.schema.index_of(&c.name).ok()?;
            if i < n {
                kept.push(i);
            }
        }
    }
    kept.sort_unstable();
    kept.dedup();
    (kept.len() < n).then_some(kept)
}

/// `plan` — a table scan, maybe under a projection of all its columns in order — reading
/// only its columns `kept` (sorted): a window TVF's input narrowed where it is read, so
/// that the source leaves the other columns undecoded. `None` for any other plan.
fn narrowed_scan(plan: &LogicalPlan, kept: &[usize]) -> Option<LogicalPlan> {
    let scan = match plan {
        LogicalPlan::TableScan(scan) => scan,
        LogicalPlan::Projection(p) => {
            let all_in_order = p.expr.len() == p.input.schema().fields().len()
                && p.expr.iter().enumerate().all(|(i, e)| match e {
                    Expr::Column(c) => p.input.schema().index_of_column(c).ok() == Some(i),
                    _ => false,
                });
            match p.input.as_ref() {
                LogicalPlan::TableScan(scan) if all_in_order => scan,
                _ => return None,
            }
        }
        _ => return None,
    };
    if !scan.filters.is_empty() || scan.fetch.is_some() {
        return None;
    }
    let read: Vec<usize> = match &scan.projection {
        Some(p) => p.clone(),
        None => (0..scan.source.schema().fields().len()).collect(),
    };
    let projection = kept.iter().map(|&k| read.get(k).copied()).collect::<Option<Vec<_>>>()?;
    datafusion_expr::logical_plan::TableScanBuilder::new(scan.table_name.clone(), scan.source.clone())
        .with_projection(Some(projection))
        .build()
        .ok()
        .map(LogicalPlan::TableScan)
}
