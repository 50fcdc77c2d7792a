//! Integer literals typed as Flink types them: a literal that fits in an INT is an INT
//! (DataFusion makes every integer literal a BIGINT). So `int_col + 1` is an INT that wraps
//! on overflow, `ARRAY[1, 2]` an `ARRAY<INT>` and `CASE … THEN 1 ELSE 0 END` an INT, as in
//! Flink.
//!
//! [`int_literals`] runs on the plan as planned, before type coercion. Left alone: `LIMIT` /
//! `OFFSET` counts and the arguments of window functions (offsets of `LAG` / `LEAD`). A
//! rewritten expression keeps its old name, so nodes above still find it.
//!
//! Approximate literals (`1.5E0`) are DOUBLEs, as in Flink ([`double_literals`]; DataFusion
//! would read them as DECIMALs).
//!
//! `VALUES` rows are typed before planning instead ([`int_values`]): DataFusion gives each
//! column of a `VALUES` the common type of its rows and casts every row to it while planning,
//! so a literal must be an INT before then. As in Flink, a column of INT-sized integers is an
//! INT, one with a larger integer a BIGINT, and one mixing integers and decimals a DECIMAL wide
//! enough for both (`1` and `1.5` give `DECIMAL(11, 1)`).

use std::ops::ControlFlow;

use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::ScalarValue;
use datafusion_expr::expr_rewriter::NamePreserver;
use datafusion_expr::{Expr, LogicalPlan};
use sqlparser::ast::{CastKind, DataType as SqlType, Query, SetExpr, UnaryOperator, Value, VisitMut, VisitorMut};

use crate::error::Result;

/// `query` with its approximate numeric literals (`1.5E0`, `2e3`) as DOUBLEs, as Flink types
/// them (DataFusion reads every number with a point or an exponent as a DECIMAL). The digits
/// are cast from text, so a literal beyond DECIMAL's 38 digits (`1e300`) is a DOUBLE too.
pub fn double_literals(query: &mut Query) {
    struct Literals;
    impl VisitorMut for Literals {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut sqlparser::ast::Expr) -> ControlFlow<()> {
            let sqlparser::ast::Expr::Value(v) = &*e else { return ControlFlow::Continue(()) };
            let Value::Number(n, false) = &v.value else { return ControlFlow::Continue(()) };
            if n.contains(['e', 'E']) {
                let text = Value::SingleQuotedString(n.clone());
                *e = sqlparser::ast::Expr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(sqlparser::ast::Expr::value(text)),
                    data_type: SqlType::Double(sqlparser::ast::ExactNumberInfo::None),
                    format: None,
                    array: false,
                };
            }
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Literals);
}

/// `query` with the integer literals of its `VALUES` rows that fit in an INT cast to INT.
pub fn int_values(query: &mut Query) {
    struct Queries;
    impl VisitorMut for Queries {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            typed_rows(&mut query.body);
            ControlFlow::Continue(())
        }
    }
    let _ = query.visit(&mut Queries);
}

fn typed_rows(body: &mut SetExpr) {
    struct Literals;
    impl VisitorMut for Literals {
        type Break = ();
        fn post_visit_expr(&mut self, e: &mut sqlparser::ast::Expr) -> ControlFlow<()> {
            use sqlparser::ast::Expr as E;
            let fits = |e: &E, negative: bool| match e {
                E::Value(v) => match &v.value {
                    Value::Number(n, false) => {
                        let text = if negative { format!("-{n}") } else { n.clone() };
                        text.parse::<i32>().is_ok()
                    }
                    _ => false,
                },
                _ => false,
            };
            // `-2147483648` as one literal (its digits alone do not fit).
            let int = match &*e {
                E::UnaryOp { op: UnaryOperator::Minus, expr } => fits(expr, true),
                other => fits(other, false),
            };
            if int {
                let literal = std::mem::replace(e, E::value(Value::Null));
                *e = E::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(literal),
                    data_type: SqlType::Int(None),
                    format: None,
                    array: false,
                };
            }
            ControlFlow::Continue(())
        }
    }
    match body {
        SetExpr::Values(values) => {
            for row in &mut values.rows {
                for e in &mut row.content {
                    let _ = e.visit(&mut Literals);
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            typed_rows(left);
            typed_rows(right);
        }
        _ => {}
    }
}

/// `plan` with its INT-sized integer literals as INT.
pub fn int_literals(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| {
        // VALUES rows are typed before planning (`int_values`).
        if matches!(node, LogicalPlan::Limit(_) | LogicalPlan::Values(_)) {
            return Ok(Transformed::no(node));
        }
        let names = NamePreserver::new(&node);
        let node = node.map_expressions(|e| {
            let name = names.save(&e);
            let rewritten = e.transform_down(|e| match e {
                Expr::WindowFunction(_) => {
                    Ok(Transformed::new(e, false, datafusion_common::tree_node::TreeNodeRecursion::Jump))
                }
                Expr::Literal(ScalarValue::Int64(Some(v)), meta) if i32::try_from(v).is_ok() => {
                    Ok(Transformed::yes(Expr::Literal(ScalarValue::Int32(Some(v as i32)), meta)))
                }
                e => Ok(Transformed::no(e)),
            })?;
            Ok(if rewritten.transformed { rewritten.update_data(|e| name.restore(e)) } else { rewritten })
        })?;
        node.transform_data(|n| n.recompute_schema().map(Transformed::yes))
    })
    .map(|t| t.data)
    .map_err(super::plan_error)
}
