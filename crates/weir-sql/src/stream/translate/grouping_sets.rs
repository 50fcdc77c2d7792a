//! Translation of `GROUP BY GROUPING SETS (…)`, `ROLLUP (…)` and `CUBE (…)`: one aggregation
//! per grouping set (a group or window aggregation, as a plain `GROUP BY` of that set would
//! be), each widened to the full result — NULL for the columns its set does not group by,
//! and the set's `__grouping_id` — and their results unioned. Flink expands each row once per
//! set and aggregates them together; the rows and changes that come out are the same.
//!
//! `__grouping_id` has a bit per grouping column, the first column the highest bit, set when
//! the column is not grouped (rolled up), which is what `GROUPING(…)` / `GROUPING_ID(…)` read.

use datafusion_common::{Column, ScalarValue};
use datafusion_expr::logical_plan::Aggregate;
use datafusion_expr::{Expr, GroupingSet};

use super::{Stream, Translator};
use crate::error::{Result, SqlError};

/// The grouping sets of `set`, each a list of the grouping expressions.
fn enumerate(set: &GroupingSet) -> Vec<Vec<Expr>> {
    match set {
        GroupingSet::GroupingSets(sets) => sets.clone(),
        GroupingSet::Rollup(exprs) => (0..=exprs.len()).rev().map(|n| exprs[..n].to_vec()).collect(),
        GroupingSet::Cube(exprs) => (0..1usize << exprs.len())
            .map(|mask| {
                exprs.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, e)| e.clone()).collect()
            })
            .collect(),
    }
}

impl Translator<'_> {
    /// The stream of an aggregation whose only group expression is a grouping set.
    pub(super) fn grouping_sets(&self, a: &Aggregate, set: &GroupingSet) -> Result<Stream> {
        let distinct: Vec<Expr> = set.distinct_expr().into_iter().cloned().collect();
        let n = distinct.len();
        let id_type = a.schema.field(n).data_type().clone();
        let mut union: Option<Stream> = None;
        for group in enumerate(set) {
            let sub = Aggregate::try_new(a.input.clone(), group.clone(), a.aggr_expr.clone())
                .map_err(crate::planner::plan_error)?;
            let stream = self.aggregate(&sub)?;
            let column = |i: usize| Expr::Column(Column::from(sub.schema.qualified_field(i)));
            let mut id = 0u64;
            let mut exprs = Vec::with_capacity(a.schema.fields().len());
            for (i, e) in distinct.iter().enumerate() {
                match group.iter().position(|g| g == e) {
                    Some(p) => exprs.push(column(p)),
                    None => {
                        id |= 1 << (n - 1 - i);
                        let null =
                            ScalarValue::try_from(a.schema.field(i).data_type()).map_err(crate::planner::plan_error)?;
                        exprs.push(Expr::Literal(null, None));
                    }
                }
            }
            let id = ScalarValue::UInt64(Some(id)).cast_to(&id_type).map_err(crate::planner::plan_error)?;
            exprs.push(Expr::Literal(id, None));
            exprs.extend((0..a.aggr_expr.len()).map(|k| column(group.len() + k)));
            let widened = self.calc(stream, None, Some(&exprs), Some(a.schema.clone()))?;
            union = Some(match union {
                None => widened,
                Some(u) => Stream {
                    data: u.data.union(&widened.data),
                    updating: u.updating || widened.updating,
                    window: None,
                    rowtime: None,
                    ..u
                },
            });
        }
        let mut stream = union.ok_or_else(|| SqlError::validation("GROUPING SETS needs at least one set"))?;
        stream.window = None;
        stream.rowtime = None;
        stream.origin = format!("GroupAggregate(groupBy=[{}])", a.group_expr[0]);
        Ok(stream)
    }
}
