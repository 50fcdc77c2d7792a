//! Joins in a plan become one of Flink's streaming joins, by Flink's rules:
//!
//! 0. a **temporal join** when the right side is a table read `FOR SYSTEM_TIME AS OF` the
//!    left side's rowtime (see [`crate::planner::temporal`]);
//! 1. a **window join** when both inputs are windowed and the equi-keys equate both
//!    `window_start`s and both `window_end`s;
//! 2. else an **interval join** when both inputs are insert-only with rowtime attributes and
//!    the condition bounds one rowtime against the other from both sides (`l.t BETWEEN
//!    r.t - INTERVAL … AND r.t + INTERVAL …`);
//! 3. else a **regular join**, keeping both inputs in state.
//!
//! Both inputs are exchanged by the equi-keys and tagged with their side; without
//! equi-keys the join runs in one subtask.

use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion_common::{DFSchema, JoinType, NullEquality, ScalarValue};
use datafusion_expr::logical_plan::Join;
use datafusion_expr::utils::split_conjunction;
use datafusion_expr::{BinaryExpr, Cast, Expr, ExprSchemable, LogicalPlan, Operator as BinaryOp};
use datafusion_physical_expr::PhysicalExpr;
use weir::{DataStream, Resplit, ResplitTarget};

use super::{physical, strip_alias, Stream, Translator};
use crate::error::{Result, SqlError};
use crate::planner::{StreamTableSource, TableKind, VersionedTable};
use crate::stream::exchange::{exchange_resplit, KeyEncoder, KeySplitOperator};
use crate::stream::interval_join::{IntervalBounds, IntervalJoinOperator};
use crate::stream::join::{JoinInput, JoinKey, JoinKind, RowCodec, Side, TagOperator};
use crate::stream::regular_join::RegularJoinOperator;
use crate::stream::temporal_join::TemporalJoinOperator;
use crate::stream::window_join::{WindowColumns, WindowJoinOperator};

/// What both sides of a join share in every join operator.
struct JoinParts {
    kind: JoinKind,
    /// Equi-key expressions of each side.
    keys: [Vec<Arc<dyn PhysicalExpr>>; 2],
    nulls_match: bool,
    condition: Option<Arc<dyn PhysicalExpr>>,
    /// The columns of both inputs side by side, as the condition reads them.
    pair_schema: SchemaRef,
    schemas: [SchemaRef; 2],
    out_schema: SchemaRef,
}

impl JoinParts {
    fn join_keys(&self) -> std::result::Result<[JoinKey; 2], weir_runtime::BoxError> {
        Ok([
            JoinKey::new(self.keys[0].clone(), &self.schemas[0], self.nulls_match)?,
            JoinKey::new(self.keys[1].clone(), &self.schemas[1], self.nulls_match)?,
        ])
    }

    fn codecs(&self) -> std::result::Result<[RowCodec; 2], weir_runtime::BoxError> {
        Ok([RowCodec::new(self.schemas[0].clone())?, RowCodec::new(self.schemas[1].clone())?])
    }
}

/// `x NOT IN (SELECT y …)` as Flink runs it: an anti join without equi-keys on `x = y OR x
/// IS NULL OR y IS NULL`, so a NULL on either side removes the row, unless the subquery is
/// empty (then every row stays, a NULL `x` too).
fn null_aware_anti_join(join: &Join) -> Result<Join> {
    let mut condition: Option<Expr> = None;
    for (l, r) in &join.on {
        let test = l.clone().eq(r.clone()).or(l.clone().is_null()).or(r.clone().is_null());
        condition = Some(match condition {
            Some(c) => c.and(test),
            None => test,
        });
    }
    let condition = match (condition, &join.filter) {
        (Some(c), Some(f)) => Some(c.and(f.clone())),
        (c, f) => c.or_else(|| f.clone()),
    };
    Join::try_new(
        join.left.clone(),
        join.right.clone(),
        vec![],
        condition,
        JoinType::LeftAnti,
        join.join_constraint,
        join.null_equality,
        false,
    )
    .map_err(crate::planner::plan_error)
}

impl Translator<'_> {
    /// The stream of a join.
    pub(super) fn join(&self, join: &Join) -> Result<Stream> {
        let kind = match join.join_type {
            JoinType::Inner => JoinKind::Inner,
            JoinType::Left => JoinKind::Left,
            JoinType::Right => JoinKind::Right,
            JoinType::Full => JoinKind::Full,
            JoinType::LeftSemi => JoinKind::LeftSemi,
            JoinType::LeftAnti if join.null_aware => return self.join(&null_aware_anti_join(join)?),
            JoinType::LeftAnti => JoinKind::LeftAnti,
            other => {
                return Err(SqlError::unsupported(format!("{other} joins are not supported in streaming queries")))
            }
        };
        if let Some(versioned) = versioned_scan(&join.right) {
            if let Some(lookup) = self.lookup_join(join, &versioned)? {
                return Ok(lookup);
            }
        }
        let left = self.translate(&join.left)?;
        let right = self.translate(&join.right)?;
        let n_left = left.schema.fields().len();
        let pair_df = Arc::new(left.schema.join(&right.schema).map_err(crate::planner::plan_error)?);
        let pair_schema: SchemaRef = Arc::new(Schema::new(
            pair_df.fields().iter().map(|f| Field::clone(f).with_nullable(true)).collect::<Vec<_>>(),
        ));
        let condition = join.filter.as_ref().map(|f| physical(f, &pair_df, &self.props)).transpose()?;

        // Window join: the equi-keys equate both windows' starts and ends.
        let column = |e: &Expr, schema: &DFSchema| match strip_alias(e) {
            Expr::Column(c) => schema.index_of_column(c).ok(),
            _ => None,
        };
        let mut window_pairs = None;
        if let (Some(lw), Some(rw)) = (&left.window, &right.window) {
            let find = |l: Option<usize>, r: Option<usize>| {
                join.on.iter().position(|(a, b)| {
                    l.is_some() && r.is_some() && column(a, &left.schema) == l && column(b, &right.schema) == r
                })
            };
            if let (Some(s), Some(e)) = (find(lw.start, rw.start), find(lw.end, rw.end)) {
                if lw.kind != rw.kind {
                    return Err(SqlError::unsupported(format!(
                        "A window join needs the same windows on both sides, but they are {:?} and {:?}",
                        lw.kind, rw.kind
                    )));
                }
                let windows = [
                    WindowColumns { start: lw.start.expect("found"), end: lw.end.expect("found") },
                    WindowColumns { start: rw.start.expect("found"), end: rw.end.expect("found") },
                ];
                window_pairs = Some((s, e, windows));
            }
        }
        let mut on: Vec<&(Expr, Expr)> = join.on.iter().collect();
        if let Some((s, e, _)) = window_pairs {
            on = join.on.iter().enumerate().filter(|(i, _)| *i != s && *i != e).map(|(_, p)| p).collect();
        }
        let mut keys: [Vec<Arc<dyn PhysicalExpr>>; 2] = [Vec::new(), Vec::new()];
        for (l, r) in on {
            let lt = l.get_type(left.schema.as_ref()).map_err(crate::planner::plan_error)?;
            let rt = r.get_type(right.schema.as_ref()).map_err(crate::planner::plan_error)?;
            let r = if lt == rt { r.clone() } else { Expr::Cast(Cast::new(Box::new(r.clone()), lt)) };
            keys[0].push(physical(l, &left.schema, &self.props)?);
            keys[1].push(physical(&r, &right.schema, &self.props)?);
        }
        // Without equi-keys all rows meet in one subtask. The operator still runs at the job's
        // parallelism (the other subtasks idle), so that the operators after it are fed by
        // forward edges and see its changelog in order, as in Flink.
        let routing = if keys[0].is_empty() { 1 } else { self.parallelism };
        let parallelism = self.parallelism;
        let parts = JoinParts {
            kind,
            keys,
            nulls_match: join.null_equality == NullEquality::NullEqualsNull,
            condition,
            pair_schema,
            schemas: [Arc::new(left.schema.as_arrow().clone()), Arc::new(right.schema.as_arrow().clone())],
            out_schema: Arc::new(join.schema.as_arrow().clone()),
        };
        let inputs = self.join_input(&left, &parts.keys[0], routing, Side::Left).union(&self.join_input(
            &right,
            &parts.keys[1],
            routing,
            Side::Right,
        ));
        let on_text = join.on.iter().map(|(l, r)| format!("{l} = {r}")).collect::<Vec<_>>().join(" AND ");
        let what = match &join.filter {
            Some(f) if on_text.is_empty() => f.to_string(),
            Some(f) => format!("{on_text} AND {f}"),
            None => on_text,
        };
        // Every join operator's stream: its stable uid, and how it is shown in plans and errors.
        let finish = |data, uid_kind: &str, operator: &str, updating, rowtime| {
            let origin = format!("{operator}(joinType=[{kind:?}], where=[{what}])");
            let data = self.stateful(data, uid_kind, &origin, None);
            Stream { data, schema: join.schema.clone(), updating, window: None, rowtime, origin }
        };

        if let Some(versioned) = versioned_scan(&join.right) {
            let times = temporal_times(kind, &left, &right, &versioned, &join.on)?;
            let parts = Arc::new(parts);
            let data = inputs
                .transform("TemporalJoin", move |_| {
                    Ok(TemporalJoinOperator::new(
                        parts.kind,
                        parts.join_keys()?,
                        parts.codecs()?,
                        times,
                        parts.condition.clone(),
                        parts.pair_schema.clone(),
                        parts.out_schema.clone(),
                    ))
                })
                .set_parallelism(parallelism);
            return Ok(finish(data, "temporal-join", "TemporalJoin", false, Some(times[0])));
        }
        if versioned_scan(&join.left).is_some() {
            return Err(SqlError::unsupported(
                "The table read FOR SYSTEM_TIME AS OF must be the right side of its join (Flink's temporal join)",
            ));
        }

        if let Some((_, _, windows)) = window_pairs {
            if let Some(side) = [&left, &right].into_iter().find(|s| s.updating) {
                return Err(SqlError::unsupported(format!(
                    "A window join needs insert-only inputs, but an input is updating (from {})",
                    side.origin
                )));
            }
            let parts = Arc::new(parts);
            let data = inputs
                .transform("WindowJoin", move |_| {
                    Ok(WindowJoinOperator::new(
                        parts.kind,
                        parts.join_keys()?,
                        parts.schemas.clone(),
                        windows,
                        parts.condition.clone(),
                        parts.pair_schema.clone(),
                        parts.out_schema.clone(),
                    ))
                })
                .set_parallelism(parallelism);
            return Ok(finish(data, "window-join", "WindowJoin", false, None));
        }

        let times = match (left.rowtime, right.rowtime) {
            (Some(l), Some(r)) if !left.updating && !right.updating && !kind.is_semi_or_anti() => Some([l, r]),
            _ => None,
        };
        let bounds = match (times, &join.filter) {
            (Some([l, r]), Some(filter)) => interval_bounds(filter, &pair_df, [l, n_left + r]),
            _ => None,
        };
        if let (Some(times), Some(bounds)) = (times, bounds) {
            let parts = Arc::new(parts);
            let min_cleanup = self.interval_join_min_cleanup_ms;
            let data = inputs
                .transform("IntervalJoin", move |_| {
                    Ok(IntervalJoinOperator::new(
                        parts.kind,
                        parts.join_keys()?,
                        parts.codecs()?,
                        times,
                        bounds,
                        parts.condition.clone(),
                        parts.pair_schema.clone(),
                        parts.out_schema.clone(),
                    )
                    .with_min_cleanup_interval(min_cleanup))
                })
                .set_parallelism(parallelism);
            return Ok(finish(data, "interval-join", "IntervalJoin", false, Some(times[0])));
        }

        let updating = left.updating || right.updating || !matches!(kind, JoinKind::Inner | JoinKind::LeftSemi);
        let insert_only = [!left.updating, !right.updating];
        let parts = Arc::new(parts);
        let ttl = self.state_ttl_ms;
        let data = inputs
            .transform("Join", move |_| {
                Ok(RegularJoinOperator::new(
                    parts.kind,
                    parts.join_keys()?,
                    parts.codecs()?,
                    parts.condition.clone(),
                    parts.pair_schema.clone(),
                    parts.out_schema.clone(),
                )
                .with_insert_only_inputs(insert_only)
                .with_state_ttl(ttl))
            })
            .set_parallelism(parallelism);
        Ok(finish(data, "join", "Join", updating, None))
    }

    /// One side of a join, tagged and sent to the subtask owning each row's key among
    /// `routing` subtasks (one: all to the subtask owning the empty key, under which such a
    /// join checkpoints its rows). Key split and tag run beside the input, so a changelog
    /// keeps its order up to the exchange.
    fn join_input(
        &self,
        stream: &Stream,
        keys: &[Arc<dyn PhysicalExpr>],
        routing: usize,
        side: Side,
    ) -> DataStream<JoinInput> {
        let at_input = |out: DataStream<JoinInput>| match stream.data.common_parallelism() {
            Some(p) => out.set_parallelism(p),
            None => out,
        };
        if routing == 1 {
            let group = crate::stream::exchange::key_group_of(&[], self.max_parallelism);
            let owner =
                weir_core::key_group::operator_index_for_key_group(self.max_parallelism, self.parallelism, group);
            // At another parallelism the batches in flight go to the new owner of that key.
            let resplit = Resplit::new(|input: JoinInput, to: &ResplitTarget| {
                Ok(to
                    .key_groups()
                    .contains(crate::stream::exchange::key_group_of(&[], to.max_parallelism))
                    .then_some(input))
            });
            return at_input(stream.data.transform("Tag", move |_| Ok(TagOperator(side)))).partition_custom_rescalable(
                |owner: &u32, n: usize| (*owner as usize).min(n - 1),
                move |_: &JoinInput| owner as u32,
                resplit,
            );
        }
        let schema: SchemaRef = Arc::new(stream.schema.as_arrow().clone());
        let keys = keys.to_vec();
        let max_p = self.max_parallelism;
        let changes = exchange_resplit(keys.clone(), schema.clone());
        let resplit = Resplit::new(move |input: JoinInput, to: &ResplitTarget| {
            let side = input.side;
            Ok(changes.part(input.changes, to)?.map(|changes| JoinInput { side, changes }))
        });
        let split = stream.data.transform("KeyBy", move |_| {
            Ok(KeySplitOperator::new(KeyEncoder::new(keys.clone(), &schema)?, routing, max_p))
        });
        at_input(super::beside(&stream.data, split).transform("Tag", move |_| Ok(TagOperator(side))))
            .partition_custom_rescalable(
                |route: &u32, n: usize| (*route as usize).min(n - 1),
                |j: &JoinInput| j.changes.route,
                resplit,
            )
    }
}

/// The versioned table a join side reads, through renames, projections and filters.
fn versioned_scan(plan: &LogicalPlan) -> Option<Arc<VersionedTable>> {
    match plan {
        LogicalPlan::TableScan(scan) => match &scan.source.downcast_ref::<StreamTableSource>()?.kind {
            TableKind::Versioned(v) => Some(v.clone()),
            _ => None,
        },
        LogicalPlan::SubqueryAlias(a) => versioned_scan(&a.input),
        LogicalPlan::Projection(p) => versioned_scan(&p.input),
        LogicalPlan::Filter(f) => versioned_scan(&f.input),
        _ => None,
    }
}

/// The rowtime columns (left, right) of a temporal join, after checking it has Flink's
/// shape: an inner or left join of an insert-only input, `AS OF` its rowtime, with a
/// versioned table whose primary key is among the equi-keys.
fn temporal_times(
    kind: JoinKind,
    left: &Stream,
    right: &Stream,
    versioned: &VersionedTable,
    on: &[(Expr, Expr)],
) -> Result<[usize; 2]> {
    let table = &versioned.table.name;
    let as_of = versioned.as_of.join(".");
    if !matches!(kind, JoinKind::Inner | JoinKind::Left) {
        return Err(SqlError::unsupported(format!(
            "A temporal join (FOR SYSTEM_TIME AS OF) must be an INNER or LEFT join; '{table}' is in a {kind:?} join"
        )));
    }
    if left.updating {
        return Err(SqlError::unsupported(format!(
            "The temporal join with '{table}' needs an insert-only left input, but it is updating (from {})",
            left.origin
        )));
    }
    let column = match versioned.as_of.as_slice() {
        [name] => datafusion_common::Column::from_name(name.clone()),
        [qualifier @ .., name] => datafusion_common::Column::new(
            Some(datafusion_common::TableReference::bare(qualifier.join("."))),
            name.clone(),
        ),
        [] => return Err(SqlError::validation("FOR SYSTEM_TIME AS OF needs a column")),
    };
    let as_of_index = left.schema.index_of_column(&column).ok();
    let Some(left_time) = as_of_index.filter(|i| Some(*i) == left.rowtime) else {
        return Err(SqlError::unsupported(format!(
            "FOR SYSTEM_TIME AS OF {as_of}: '{as_of}' must be the rowtime attribute of the join's left input, or a processing-time attribute for a lookup join"
        )));
    };
    let Some(right_time) = right.rowtime else {
        return Err(SqlError::unsupported(format!("The versioned table '{table}' lost its rowtime attribute")));
    };
    let keys: Vec<&str> = on
        .iter()
        .filter_map(|(_, r)| match strip_alias(r) {
            Expr::Column(c) => Some(c.name.as_str()),
            _ => None,
        })
        .collect();
    if let Some(missing) = versioned.table.primary_key.iter().find(|k| !keys.contains(&k.as_str())) {
        return Err(SqlError::validation(format!(
            "The temporal join with '{table}' must equate its primary key column '{missing}' with the left input"
        )));
    }
    Ok([left_time, right_time])
}

/// A time term of a join condition: a side's rowtime plus a constant (ms).
fn time_term(expr: &Expr, schema: &DFSchema, times: [usize; 2]) -> Option<(Side, i64)> {
    match expr {
        Expr::Alias(a) => time_term(&a.expr, schema, times),
        Expr::Cast(c) if matches!(c.field.data_type(), arrow::datatypes::DataType::Timestamp(_, _)) => {
            time_term(&c.expr, schema, times)
        }
        Expr::Column(c) => {
            let idx = schema.index_of_column(c).ok()?;
            if idx == times[0] {
                Some((Side::Left, 0))
            } else if idx == times[1] {
                Some((Side::Right, 0))
            } else {
                None
            }
        }
        Expr::BinaryExpr(BinaryExpr { left, op: BinaryOp::Plus, right }) => match time_term(left, schema, times) {
            Some((side, t)) => Some((side, t.checked_add(interval_millis(right)?)?)),
            None => {
                let (side, t) = time_term(right, schema, times)?;
                Some((side, t.checked_add(interval_millis(left)?)?))
            }
        },
        Expr::BinaryExpr(BinaryExpr { left, op: BinaryOp::Minus, right }) => {
            let (side, t) = time_term(left, schema, times)?;
            Some((side, t.checked_sub(interval_millis(right)?)?))
        }
        _ => None,
    }
}

/// A constant day-time interval in milliseconds.
fn interval_millis(expr: &Expr) -> Option<i64> {
    match expr {
        Expr::Literal(ScalarValue::IntervalDayTime(Some(v)), _) => {
            Some(i64::from(v.days) * 86_400_000 + i64::from(v.milliseconds))
        }
        Expr::Literal(ScalarValue::IntervalMonthDayNano(Some(v)), _) if v.months == 0 => {
            Some(i64::from(v.days) * 86_400_000 + v.nanoseconds / 1_000_000)
        }
        Expr::Literal(ScalarValue::DurationMillisecond(Some(v)), _) => Some(*v),
        Expr::Literal(ScalarValue::DurationSecond(Some(v)), _) => v.checked_mul(1000),
        Expr::Cast(c) => interval_millis(&c.expr),
        _ => None,
    }
}

/// The bounds on `right.t - left.t` that the condition `filter` sets, when it bounds the
/// rowtimes (columns `times` of `schema`) from both sides, as Flink's interval join needs.
fn interval_bounds(filter: &Expr, schema: &DFSchema, times: [usize; 2]) -> Option<IntervalBounds> {
    let (mut lower, mut upper) = (None::<i64>, None::<i64>);
    let mut compare = |a: &Expr, op: BinaryOp, b: &Expr| {
        let (Some((sa, ta)), Some((sb, tb))) = (time_term(a, schema, times), time_term(b, schema, times)) else {
            return;
        };
        if sa == sb {
            return;
        }
        // As `left + x op right + y`.
        let (op, x, y) = if sa == Side::Left { (op, ta, tb) } else { (op.swap().unwrap_or(op), tb, ta) };
        let d = x - y; // `right - left op' d`
        match op {
            BinaryOp::LtEq => lower = Some(lower.map_or(d, |l| l.max(d))),
            BinaryOp::Lt => lower = Some(lower.map_or(d + 1, |l| l.max(d + 1))),
            BinaryOp::GtEq => upper = Some(upper.map_or(d, |u| u.min(d))),
            BinaryOp::Gt => upper = Some(upper.map_or(d - 1, |u| u.min(d - 1))),
            _ => {}
        }
    };
    for conjunct in split_conjunction(filter) {
        match conjunct {
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => compare(left, *op, right),
            Expr::Between(b) if !b.negated => {
                compare(&b.expr, BinaryOp::GtEq, &b.low);
                compare(&b.expr, BinaryOp::LtEq, &b.high);
            }
            _ => {}
        }
    }
    Some(IntervalBounds { lower: lower?, upper: upper? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, TimeUnit};
    use datafusion_expr::{col, lit};

    fn schema() -> DFSchema {
        let ts = DataType::Timestamp(TimeUnit::Millisecond, None);
        let l = DFSchema::try_from_qualified_schema("l", &Schema::new(vec![Field::new("ts", ts.clone(), true)]))
            .expect("schema");
        let r = DFSchema::try_from_qualified_schema(
            "r",
            &Schema::new(vec![Field::new("ts", ts, true), Field::new("x", DataType::Int64, true)]),
        )
        .expect("schema");
        l.join(&r).expect("join")
    }

    fn secs(n: i32) -> Expr {
        lit(ScalarValue::IntervalDayTime(Some(arrow::datatypes::IntervalDayTime::new(0, n * 1000))))
    }

    #[test]
    fn bounds_from_comparisons_and_between() {
        let s = schema();
        let times = [0, 1];
        // l.ts BETWEEN r.ts - 5s AND r.ts + 5s  =>  r - l ∈ [-5000, 5000]
        let between = col("l.ts").between(col("r.ts") - secs(5), col("r.ts") + secs(5));
        assert_eq!(interval_bounds(&between, &s, times), Some(IntervalBounds { lower: -5000, upper: 5000 }));
        // l.ts >= r.ts AND l.ts < r.ts + 1h  =>  r - l ∈ [-3_599_999, 0]
        let cmp = col("l.ts").gt_eq(col("r.ts")).and(col("l.ts").lt(col("r.ts") + secs(3600)));
        assert_eq!(interval_bounds(&cmp, &s, times), Some(IntervalBounds { lower: -3_599_999, upper: 0 }));
        // r.ts > l.ts AND r.ts <= l.ts + 10s  =>  r - l ∈ [1, 10000]
        let cmp = col("r.ts").gt(col("l.ts")).and(col("r.ts").lt_eq(col("l.ts") + secs(10)));
        assert_eq!(interval_bounds(&cmp, &s, times), Some(IntervalBounds { lower: 1, upper: 10_000 }));
    }

    #[test]
    fn one_bound_or_a_plain_column_is_no_interval() {
        let s = schema();
        let times = [0, 1];
        assert_eq!(interval_bounds(&col("l.ts").gt_eq(col("r.ts")), &s, times), None);
        // A bound by a column that is not a rowtime (Nexmark q4's `expires`).
        let x = col("l.ts").between(col("r.ts"), col("r.x"));
        assert_eq!(interval_bounds(&x, &s, times), None);
    }
}
