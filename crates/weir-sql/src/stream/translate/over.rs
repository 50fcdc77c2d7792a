//! Translation of OVER windows: ranking functions filtered to a range of ranks become Top-N,
//! deduplication, window Top-N or window deduplication; aggregate functions become an OVER
//! aggregation ordered by a rowtime attribute.

use std::sync::Arc;

use arrow::datatypes::{DataType, SchemaRef};
use datafusion_common::{Column, ScalarValue};
use datafusion_expr::expr::WindowFunctionParams;
use datafusion_expr::logical_plan::{Filter, Window};
use datafusion_expr::utils::split_conjunction;
use datafusion_expr::WindowFunctionDefinition;
use datafusion_expr::{BinaryExpr, Expr, LogicalPlan, Operator as BinaryOp, WindowFrameBound, WindowFrameUnits};
use datafusion_physical_expr::aggregate::AggregateExprBuilder;

use super::{physical, strip_alias, Stream, Translator};
use crate::error::{Result, SqlError};
use crate::stream::aggregate::AggCall;
use crate::stream::deduplicate::FirstRowOperator;
use crate::stream::exchange::KeyEncoder;
use crate::stream::over_agg::{OverAggOperator, OverFrame};
use crate::stream::over_retract::OverRetractOperator;
use crate::stream::rank::{RankEncoders, RankKind, RankOperator, RankRange};
use crate::stream::window_rank::WindowRankOperator;

/// A ranking function over a window, filtered to a range of ranks.
struct TopN<'p> {
    window: &'p Window,
    /// Projections between the filter and the window, bottom first.
    projections: Vec<&'p datafusion_expr::logical_plan::Projection>,
    kind: RankKind,
    params: &'p WindowFunctionParams,
    range: (u64, u64),
    /// The conjuncts of the filter that are not about the rank.
    rest: Vec<Expr>,
    /// The rank column as the filter sees it.
    rank_column: Column,
}

fn ranking_kind(name: &str) -> Option<RankKind> {
    match name.to_lowercase().as_str() {
        "row_number" => Some(RankKind::RowNumber),
        "rank" => Some(RankKind::Rank),
        "dense_rank" => Some(RankKind::DenseRank),
        _ => None,
    }
}

fn strip_cast(expr: &Expr) -> &Expr {
    match expr {
        Expr::Cast(c) => strip_cast(&c.expr),
        Expr::TryCast(c) => strip_cast(&c.expr),
        Expr::Alias(a) => strip_cast(&a.expr),
        e => e,
    }
}

fn literal_int(expr: &Expr) -> Option<i64> {
    match strip_cast(expr) {
        Expr::Literal(v, _) => match v.cast_to(&DataType::Int64).ok()? {
            ScalarValue::Int64(Some(n)) => Some(n),
            _ => None,
        },
        _ => None,
    }
}

/// The window of a filter over (projections over) a window with one ranking function,
/// with the range of ranks the filter keeps; `None` when the plan is not of that shape.
fn top_n(filter: &Filter) -> Option<TopN<'_>> {
    let mut projections = Vec::new();
    let mut node = filter.input.as_ref();
    let window = loop {
        match node {
            LogicalPlan::Window(w) => break w,
            LogicalPlan::Projection(p) => {
                projections.push(p);
                node = p.input.as_ref();
            }
            _ => return None,
        }
    };
    projections.reverse();
    let [Expr::WindowFunction(f)] = window.window_expr.iter().map(strip_alias).collect::<Vec<_>>()[..] else {
        return None;
    };
    let WindowFunctionDefinition::WindowUDF(udf) = &f.fun else { return None };
    let kind = ranking_kind(udf.name())?;
    // Follow the rank column up through the projections.
    let (q, field) = window.schema.qualified_field(window.schema.fields().len() - 1);
    let mut rank_column = Column::new(q.cloned(), field.name());
    for p in &projections {
        let at = p.expr.iter().position(|e| matches!(strip_alias(e), Expr::Column(c) if *c == rank_column))?;
        let (q, field) = p.schema.qualified_field(at);
        rank_column = Column::new(q.cloned(), field.name());
    }
    let is_rank = |e: &Expr| matches!(strip_cast(e), Expr::Column(c) if *c == rank_column);
    let (mut start, mut end) = (1i64, i64::MAX);
    let mut rest = Vec::new();
    for conjunct in split_conjunction(&filter.predicate) {
        let bound = match conjunct {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) if is_rank(left) => literal_int(right).map(|n| (*op, n)),
            Expr::BinaryExpr(BinaryExpr { left, op, right }) if is_rank(right) => {
                literal_int(left).and_then(|n| op.swap().map(|op| (op, n)))
            }
            _ => None,
        };
        match bound {
            Some((BinaryOp::LtEq, n)) => end = end.min(n),
            Some((BinaryOp::Lt, n)) => end = end.min(n - 1),
            Some((BinaryOp::Eq, n)) => {
                start = start.max(n);
                end = end.min(n);
            }
            Some((BinaryOp::GtEq, n)) => start = start.max(n),
            Some((BinaryOp::Gt, n)) => start = start.max(n + 1),
            _ => rest.push(conjunct.clone()),
        }
    }
    if end == i64::MAX {
        return None;
    }
    Some(TopN {
        window,
        projections,
        kind,
        params: &f.params,
        range: (start.max(1) as u64, end.max(0) as u64),
        rest,
        rank_column,
    })
}

/// The single rowtime column `order_by` sorts on, with its direction (ascending: true).
fn rowtime_order(window: &Window, order_by: &[datafusion_expr::SortExpr]) -> Option<(Column, bool)> {
    let [sort] = order_by else { return None };
    let Expr::Column(c) = strip_alias(&sort.expr) else { return None };
    let field = window.input.schema().field_with_name(c.relation.as_ref(), &c.name).ok()?;
    if !matches!(field.data_type(), DataType::Timestamp(..)) {
        return None;
    }
    let mut names = Vec::new();
    crate::planner::time_attribute::rowtime_names(&window.input, &mut names);
    names.contains(&c.name).then(|| (c.clone(), sort.asc))
}

/// The direction (ascending: true) of an `order_by` on a single processing-time attribute.
fn proctime_order(window: &Window, order_by: &[datafusion_expr::SortExpr]) -> Option<bool> {
    let [sort] = order_by else { return None };
    let Expr::Column(c) = strip_alias(&sort.expr) else { return None };
    crate::planner::time_attribute::column_is_proctime(&window.input, c).then_some(sort.asc)
}

impl Translator<'_> {
    /// A filter over a ranking function (Top-N), translated with the projection `consumer`
    /// that reads its result (to know whether the rank is shown); `None` when `filter` is
    /// not of that shape.
    pub(super) fn top_n(&self, filter: &Filter, consumer: Option<&[Expr]>) -> Result<Option<Stream>> {
        let Some(top) = top_n(filter) else { return Ok(None) };
        let window = top.window;
        // A window TVF below is read by the ranking, not by an enclosing aggregation.
        self.defer_proctime_windows.set(false);
        // Tied rows rank in the order their latest change came: the group aggregations below
        // emit every row's change, as Flink's do.
        let per_row = self.changes_per_row.replace(true);
        let input = self.translate(&window.input);
        self.changes_per_row.set(per_row);
        let input = input?;
        self.ranked_updating_input.set(Some(input.updating));
        let in_schema = &input.schema;
        let arrow_in: SchemaRef = Arc::new(in_schema.as_arrow().clone());
        let with_rank = consumer
            .is_none_or(|exprs| exprs.iter().any(|e| e.column_refs().iter().any(|c| c.name == top.rank_column.name)))
            || top.rest.iter().any(|e| e.column_refs().iter().any(|c| c.name == top.rank_column.name));
        let (start, end) = top.range;
        let dedup_order = rowtime_order(window, &top.params.order_by);
        let proctime_order = proctime_order(window, &top.params.order_by);
        let dedup = top.kind == RankKind::RowNumber && (start, end) == (1, 1);
        let range = RankRange {
            kind: top.kind,
            start,
            end,
            // Deduplication keeping the last row: a later row with the same time wins.
            newest_first: dedup && (dedup_order.as_ref().is_some_and(|(_, asc)| !asc) || proctime_order == Some(false)),
        };
        // Deduplication keeping the first row to arrive: insert-only, emitted at once.
        let keep_first_arrival = dedup && proctime_order == Some(true) && !input.updating;
        // Deduplication keeping the first row on rowtime: insert-only, as in Flink.
        let keep_first = match &dedup_order {
            Some((time, true)) if top.kind == RankKind::RowNumber && (start, end) == (1, 1) => Some(time.clone()),
            _ => None,
        };
        let partition =
            top.params.partition_by.iter().map(|e| physical(e, in_schema, &self.props)).collect::<Result<Vec<_>>>()?;
        let sort = top
            .params
            .order_by
            .iter()
            .map(|s| Ok((physical(&s.expr, in_schema, &self.props)?, !s.asc, s.nulls_first)))
            .collect::<Result<Vec<_>>>()?;
        if sort.is_empty() {
            return Err(SqlError::unsupported(
                "Top-N needs an ORDER BY in its OVER clause, e.g. ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC)",
            ));
        }
        // Partitioned by the window bounds of a windowed input: window Top-N.
        let column_index = |e: &Expr| match strip_alias(e) {
            Expr::Column(c) => in_schema.index_of_column(c).ok(),
            _ => None,
        };
        let partition_columns: Vec<Option<usize>> = top.params.partition_by.iter().map(column_index).collect();
        let windowed = input.window.as_ref().filter(|w| {
            w.start.is_some_and(|s| partition_columns.contains(&Some(s)))
                && w.end.is_some_and(|e| partition_columns.contains(&Some(e)))
        });
        // Flink 2.3 ranks streams by ROW_NUMBER only (RANK and DENSE_RANK are refused).
        if top.kind != RankKind::RowNumber {
            let name = if top.kind == RankKind::Rank { "RANK()" } else { "DENSE_RANK()" };
            return Err(SqlError::unsupported(if windowed.is_some() {
                format!("{name} function is not supported on Window TopN currently, only ROW_NUMBER() is supported.")
            } else {
                format!("{name} on streaming table is not supported currently")
            }));
        }
        let out_schema: SchemaRef = Arc::new(window.schema.as_arrow().clone());
        let parallelism = if partition.is_empty() { 1 } else { self.parallelism };
        let data = self.exchange(&input, partition.clone(), parallelism);
        let encoders = {
            let arrow_in = arrow_in.clone();
            let out_schema = out_schema.clone();
            move || -> std::result::Result<RankEncoders, weir_runtime::BoxError> {
                RankEncoders::new(
                    KeyEncoder::new(partition.clone(), &arrow_in)?,
                    sort.clone(),
                    &arrow_in,
                    out_schema.clone(),
                    with_rank,
                )
            }
        };
        let mut stream = if let Some(w) = windowed {
            if input.updating {
                return Err(SqlError::unsupported(format!(
                    "Window Top-N needs an insert-only input, but its input is updating (from {})",
                    input.origin
                )));
            }
            let end_column = w.end.expect("checked");
            let zone = w.zone;
            let data = data
                .transform("WindowRank", move |_| {
                    Ok(WindowRankOperator::new(encoders()?, range, end_column).in_time_zone(zone))
                })
                .set_parallelism(parallelism);
            let data = self.stateful(data, "window-rank", &format!("WindowRank({})", describe(window)), None);
            Stream {
                data,
                schema: window.schema.clone(),
                updating: false,
                window: input.window.clone(),
                rowtime: input.rowtime,
                origin: "WindowRank".into(),
            }
        } else if keep_first_arrival {
            let data = data
                .transform("Deduplicate", move |_| Ok(FirstRowOperator::on_arrival(encoders()?)))
                .set_parallelism(parallelism);
            let data = self.stateful(data, "deduplicate", &format!("Deduplicate({})", describe(window)), None);
            Stream {
                data,
                schema: window.schema.clone(),
                updating: false,
                window: None,
                rowtime: input.rowtime,
                origin: "Deduplicate".into(),
            }
        } else if let Some(time) = keep_first.filter(|_| !input.updating) {
            let time = in_schema.index_of_column(&time).map_err(crate::planner::plan_error)?;
            let data = data
                .transform("Deduplicate", move |_| Ok(FirstRowOperator::new(encoders()?, time)))
                .set_parallelism(parallelism);
            let data = self.stateful(data, "deduplicate", &format!("Deduplicate({})", describe(window)), None);
            Stream {
                data,
                schema: window.schema.clone(),
                updating: false,
                window: None,
                rowtime: input.rowtime,
                origin: "Deduplicate".into(),
            }
        } else {
            let retracting = input.updating;
            let data = data
                .transform("Rank", move |_| Ok(RankOperator::new(encoders()?, range, retracting)))
                .set_parallelism(parallelism);
            let data = self.stateful(data, "rank", &format!("Rank({})", describe(window)), None);
            Stream {
                data,
                schema: window.schema.clone(),
                updating: true,
                window: None,
                rowtime: None,
                origin: "Rank".into(),
            }
        };
        for p in &top.projections {
            stream = self.calc(stream, None, Some(&p.expr), Some(p.schema.clone()))?;
        }
        if let Some(rest) = top.rest.into_iter().reduce(|a, b| a.and(b)) {
            stream = self.calc(stream, Some(&rest), None, None)?;
        }
        Ok(Some(stream))
    }

    /// A window node that is not a filtered ranking: an OVER aggregation.
    pub(super) fn window(&self, window: &Window) -> Result<Stream> {
        // LAG is an aggregate over the partition's rows so far in a stream, as in Flink.
        // FIRST_VALUE / LAST_VALUE resolve to DataFusion's window functions; Flink's are the
        // aggregates (first / last non-NULL value).
        let lag = crate::functions::lag::lag();
        let first_value = crate::functions::aggregate::first_value();
        let last_value = crate::functions::aggregate::last_value();
        let mut functions = Vec::new();
        for e in &window.window_expr {
            let Expr::WindowFunction(f) = strip_alias(e) else {
                return Err(SqlError::unsupported(format!("Unsupported window expression '{e}'")));
            };
            match &f.fun {
                WindowFunctionDefinition::AggregateUDF(udaf) => functions.push((e, udaf, &f.params)),
                WindowFunctionDefinition::WindowUDF(udf) if ranking_kind(udf.name()).is_some() => {
                    return Err(SqlError::unsupported(format!(
                        "{}() is only supported for Top-N and deduplication: filter its result in an enclosing \
                         query, e.g. SELECT * FROM (SELECT *, {0}() OVER (PARTITION BY k ORDER BY v) AS rn FROM t) \
                         WHERE rn <= 3",
                        udf.name().to_uppercase()
                    )))
                }
                WindowFunctionDefinition::WindowUDF(udf) if udf.name().eq_ignore_ascii_case("lag") => {
                    functions.push((e, &lag, &f.params))
                }
                WindowFunctionDefinition::WindowUDF(udf) if udf.name().eq_ignore_ascii_case("first_value") => {
                    functions.push((e, &first_value, &f.params))
                }
                WindowFunctionDefinition::WindowUDF(udf) if udf.name().eq_ignore_ascii_case("last_value") => {
                    functions.push((e, &last_value, &f.params))
                }
                WindowFunctionDefinition::WindowUDF(udf) if udf.name().eq_ignore_ascii_case("lead") => {
                    return Err(SqlError::unsupported("LEAD Function is not supported in stream mode."))
                }
                WindowFunctionDefinition::WindowUDF(udf) => {
                    return Err(SqlError::unsupported(format!(
                        "The window function {}() is not supported in streaming queries",
                        udf.name().to_uppercase()
                    )))
                }
            }
        }
        let (_, _, params) = functions[0];
        // LAG takes no frame in Flink (Calcite's words).
        let lag_name = lag.name().to_string();
        if functions.iter().any(|(_, f, _)| f.name() == lag_name) && params.window_frame.units == WindowFrameUnits::Rows
        {
            return Err(SqlError::validation("ROW/RANGE not allowed with RANK, DENSE_RANK or ROW_NUMBER functions"));
        }
        if functions.iter().any(|(_, _, p)| {
            p.partition_by != params.partition_by
                || p.order_by != params.order_by
                || p.window_frame != params.window_frame
        }) {
            return Err(SqlError::unsupported(
                "Over Agg: Unsupported use of OVER windows. All aggregates must be computed on the same window.",
            ));
        }
        let input = self.translate(&window.input)?;
        // An updating input is ordered by any columns (no watermark to wait for).
        let time = if input.updating {
            None
        } else {
            let Some((time, asc)) = rowtime_order(window, &params.order_by) else {
                return Err(SqlError::unsupported(
                    "Non-time attribute sort is not supported for OVER windows: their ordering in stream mode \
                     must be defined on a time attribute (a rowtime column with a WATERMARK)",
                ));
            };
            if !asc {
                return Err(SqlError::unsupported(
                    "The window can only be ordered in ASCENDING mode (OVER windows in stream mode are ordered \
                     ascending by time).",
                ));
            }
            Some(time)
        };
        let frame = over_frame(&params.window_frame)?;
        let in_schema = &input.schema;
        let arrow_in: SchemaRef = Arc::new(in_schema.as_arrow().clone());
        let calls = functions
            .iter()
            .map(|(e, udaf, p)| {
                if p.filter.is_some() {
                    return Err(SqlError::unsupported("FILTER in an OVER aggregation is not supported"));
                }
                let args = p
                    .args
                    .iter()
                    .map(|x| match x {
                        // COUNT(*) in OVER keeps its wildcard: count a constant instead.
                        #[allow(deprecated)]
                        Expr::Wildcard { .. } => {
                            physical(&Expr::Literal(ScalarValue::Int64(Some(1)), None), in_schema, &self.props)
                        }
                        x => physical(x, in_schema, &self.props),
                    })
                    .collect::<Result<Vec<_>>>()?;
                let function = AggregateExprBuilder::new((*udaf).clone(), args)
                    .schema(arrow_in.clone())
                    .alias(e.schema_name().to_string())
                    .with_distinct(p.distinct)
                    .build()
                    .map_err(crate::planner::plan_error)?;
                Ok(AggCall { function: Arc::new(function), filter: None, plain: None })
            })
            .collect::<Result<Vec<_>>>()?;
        if frame != OverFrame::Rows(None) && frame != OverFrame::Range(None) {
            for c in &calls {
                let sliding = c.function.create_sliding_accumulator().map_err(crate::planner::plan_error)?;
                if !sliding.supports_retract_batch() {
                    return Err(SqlError::unsupported(format!(
                        "{} over a bounded OVER window is not supported",
                        c.function.fun().name().to_uppercase()
                    )));
                }
            }
        }
        let Some(time) = time else {
            return self.over_updating(window, params, input, calls, frame);
        };
        let time_index = in_schema.index_of_column(&time).map_err(crate::planner::plan_error)?;
        let keys =
            params.partition_by.iter().map(|e| physical(e, in_schema, &self.props)).collect::<Result<Vec<_>>>()?;
        let parallelism = if keys.is_empty() { 1 } else { self.parallelism };
        let out_schema: SchemaRef = Arc::new(window.schema.as_arrow().clone());
        let data = self
            .exchange(&input, keys.clone(), parallelism)
            .transform("OverAggregate", move |_| {
                Ok(OverAggOperator::new(
                    KeyEncoder::new(keys.clone(), &arrow_in)?,
                    time_index,
                    calls.clone(),
                    frame,
                    out_schema.clone(),
                ))
            })
            .set_parallelism(parallelism);
        let data = self.stateful(data, "over-aggregate", &format!("OverAggregate({})", describe(window)), None);
        Ok(Stream {
            data,
            schema: window.schema.clone(),
            updating: false,
            window: None,
            rowtime: input.rowtime,
            origin: "OverAggregate".into(),
        })
    }
}

/// A window node's expressions, to describe (and derive the uid of) its operator.
fn describe(window: &Window) -> String {
    window.window_expr.iter().map(|e| e.to_string()).collect::<Vec<_>>().join(", ")
}

impl Translator<'_> {
    /// An OVER aggregation of an updating input: every current row with its frame's
    /// aggregates, kept up to date as rows come and go (see [`OverRetractOperator`]).
    fn over_updating(
        &self,
        window: &Window,
        params: &WindowFunctionParams,
        input: Stream,
        calls: Vec<AggCall>,
        frame: OverFrame,
    ) -> Result<Stream> {
        let out_schema: SchemaRef = Arc::new(window.schema.as_arrow().clone());
        let in_schema = &input.schema;
        let arrow_in: SchemaRef = Arc::new(in_schema.as_arrow().clone());
        let order_by = &params.order_by;
        if order_by.is_empty() {
            return Err(SqlError::unsupported("An OVER aggregation needs an ORDER BY in its OVER clause"));
        }
        // A bounded RANGE frame measures its interval on one ascending timestamp column.
        let time = match frame {
            OverFrame::Range(Some(_)) => {
                let column = match &order_by[..] {
                    [sort] if sort.asc => match strip_alias(&sort.expr) {
                        Expr::Column(c) => in_schema.index_of_column(c).ok(),
                        _ => None,
                    },
                    _ => None,
                };
                match column {
                    Some(i) if matches!(arrow_in.field(i).data_type(), DataType::Timestamp(..)) => Some(i),
                    _ => {
                        return Err(SqlError::unsupported(format!(
                            "A RANGE frame with an interval over an updating input (from {}) must be ordered \
                             ascending by one timestamp column",
                            input.origin
                        )))
                    }
                }
            }
            _ => None,
        };
        let order = order_by
            .iter()
            .map(|s| Ok((physical(&s.expr, in_schema, &self.props)?, !s.asc, s.nulls_first)))
            .collect::<Result<Vec<_>>>()?;
        let keys =
            params.partition_by.iter().map(|e| physical(e, in_schema, &self.props)).collect::<Result<Vec<_>>>()?;
        let parallelism = if keys.is_empty() { 1 } else { self.parallelism };
        let data = self
            .exchange(&input, keys.clone(), parallelism)
            .transform("OverAggregate", move |_| {
                OverRetractOperator::new(
                    KeyEncoder::new(keys.clone(), &arrow_in)?,
                    order.clone(),
                    arrow_in.clone(),
                    time,
                    calls.clone(),
                    frame,
                    out_schema.clone(),
                )
            })
            .set_parallelism(parallelism);
        let data = self.stateful(data, "over-aggregate", &format!("OverAggregate({})", describe(window)), None);
        Ok(Stream {
            data,
            schema: window.schema.clone(),
            updating: true,
            window: None,
            rowtime: None,
            origin: "OverAggregate".into(),
        })
    }
}

/// The frame of an OVER aggregation, in the user's terms when it is not supported.
fn over_frame(frame: &datafusion_expr::WindowFrame) -> Result<OverFrame> {
    if !matches!(frame.end_bound, WindowFrameBound::CurrentRow) {
        return Err(SqlError::unsupported(format!(
            "OVER RANGE FOLLOWING windows are not supported yet. (OVER windows must end at CURRENT ROW; {} \
             frames with FOLLOWING rows are not supported)",
            frame.units
        )));
    }
    let preceding = match &frame.start_bound {
        WindowFrameBound::Preceding(v) if v.is_null() => None,
        WindowFrameBound::Preceding(v) => Some(v),
        WindowFrameBound::CurrentRow => None,
        WindowFrameBound::Following(_) => {
            return Err(SqlError::unsupported("OVER windows cannot start at a FOLLOWING row"));
        }
    };
    let current_only = matches!(frame.start_bound, WindowFrameBound::CurrentRow);
    match frame.units {
        WindowFrameUnits::Rows if current_only => Ok(OverFrame::Rows(Some(0))),
        WindowFrameUnits::Rows => match preceding {
            None => Ok(OverFrame::Rows(None)),
            Some(v) => match v.cast_to(&DataType::UInt64) {
                Ok(ScalarValue::UInt64(Some(n))) => Ok(OverFrame::Rows(Some(n))),
                _ => Err(SqlError::validation(format!("ROWS frame: '{v}' is not a number of rows"))),
            },
        },
        WindowFrameUnits::Range if current_only => Ok(OverFrame::Range(Some(0))),
        WindowFrameUnits::Range => match preceding {
            None => Ok(OverFrame::Range(None)),
            Some(v) => interval_millis(v).map(|ms| OverFrame::Range(Some(ms))).ok_or_else(|| {
                SqlError::validation(format!(
                    "RANGE frame over a time attribute needs an interval such as INTERVAL '10' SECOND, not '{v}'"
                ))
            }),
        },
        WindowFrameUnits::Groups => Err(SqlError::unsupported("GROUPS frames are not supported in OVER windows")),
    }
}

/// A day-time interval in milliseconds.
fn interval_millis(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::IntervalMonthDayNano(Some(i)) if i.months == 0 => {
            Some(i.days as i64 * 86_400_000 + i.nanoseconds / 1_000_000)
        }
        ScalarValue::IntervalDayTime(Some(i)) => Some(i.days as i64 * 86_400_000 + i.milliseconds as i64),
        _ => None,
    }
}
