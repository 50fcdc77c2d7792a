//! Flink's common type where a DECIMAL meets a DOUBLE or FLOAT: DOUBLE (Calcite's
//! `leastRestrictive`, and Flink's arithmetic), in comparisons, arithmetic, the values of
//! `CASE` / `COALESCE` / `IF` / `GREATEST` / `LEAST`, `IN` lists, `BETWEEN`, the comparison of
//! `NULLIF` (whose value keeps its first argument's type) and
//! the columns of a `UNION`. DataFusion takes `DECIMAL(30, 15)` there, which prints
//! `1.500000000000000` for Flink's `1.5` and fails on values beyond 10^15.
//!
//! [`approximate_common_types`] runs on the plan as planned, before DataFusion's type
//! coercion: it casts the DECIMAL operands of such a mix to DOUBLE, and DataFusion's own
//! coercion then has nothing left to decide for them. Every other mix keeps DataFusion's rule.

use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_common::DFSchema;
use datafusion_expr::expr::{Between, InList, ScalarFunction};
use datafusion_expr::expr_rewriter::NamePreserver;
use datafusion_expr::{BinaryExpr, Case, Expr, ExprSchemable, LogicalPlan, Operator};

use crate::error::Result;

/// Whether values of these types meet at DOUBLE in Flink where DataFusion picks a DECIMAL:
/// one of them is a DECIMAL and another a FLOAT or DOUBLE.
pub fn approximate_wins<'a>(types: impl IntoIterator<Item = &'a DataType> + Clone) -> bool {
    let decimal = types.clone().into_iter().any(|t| matches!(t, DataType::Decimal128(_, _)));
    decimal && types.into_iter().any(|t| matches!(t, DataType::Float32 | DataType::Float64))
}

/// `plan` with the DECIMAL operands of every DECIMAL/approximate mix cast to DOUBLE (see the
/// module docs). Rewritten expressions keep their names; nodes above are re-typed.
pub fn approximate_common_types(plan: LogicalPlan) -> Result<LogicalPlan> {
    plan.transform_up_with_subqueries(|node| {
        let node = node.recompute_schema()?;
        if let LogicalPlan::Union(u) = &node {
            return union_columns(u).map(|n| n.map_or_else(|| Transformed::no(node.clone()), Transformed::yes));
        }
        let schema = super::time_syntax::input_schema(&node)?;
        let names = NamePreserver::new(&node);
        let node = node.map_expressions(|e| {
            let name = names.save(&e);
            let rewritten = e.transform_up(|e| operands(e, &schema))?;
            Ok(if rewritten.transformed { rewritten.update_data(|e| name.restore(e)) } else { rewritten })
        })?;
        node.transform_data(|n| n.recompute_schema().map(Transformed::yes))
    })
    .map(|t| t.data)
    .map_err(super::plan_error)
}

/// The type `e` will have after type coercion, as far as this rewrite needs it: a `CASE`,
/// `COALESCE`, `IF`… has the common type of its values (before coercion DataFusion reports
/// the first value's type), every other expression its own type.
fn value_type(e: &Expr, schema: &DFSchema) -> Option<DataType> {
    let common = |values: Vec<&Expr>| {
        let types: Option<Vec<DataType>> = values.into_iter().map(|v| value_type(v, schema)).collect();
        let types: Vec<DataType> = types?.into_iter().filter(|t| !t.is_null()).collect();
        if types.is_empty() {
            return Some(DataType::Null);
        }
        if approximate_wins(types.iter()) {
            return Some(DataType::Float64);
        }
        datafusion_expr::type_coercion::binary::type_union_resolution(&types)
    };
    match e {
        Expr::Alias(a) => value_type(&a.expr, schema),
        Expr::Case(c) => {
            common(c.when_then_expr.iter().map(|(_, t)| t.as_ref()).chain(c.else_expr.as_deref()).collect())
        }
        Expr::ScalarFunction(ScalarFunction { func, args }) => match func.name() {
            "coalesce" | "nvl" | "ifnull" | "greatest" | "least" => common(args.iter().collect()),
            "nullif" => args.first().and_then(|a| value_type(a, schema)),
            "if" if args.len() == 3 => common(args.iter().skip(1).collect()),
            _ => e.get_type(schema).ok(),
        },
        _ => e.get_type(schema).ok(),
    }
}

/// `e` with its DECIMAL operands cast to DOUBLE when they meet a FLOAT or DOUBLE.
fn operands(e: Expr, schema: &DFSchema) -> datafusion_common::Result<Transformed<Expr>> {
    let type_of = |e: &Expr| value_type(e, schema);
    // Casts the DECIMALs among `values` when the values mix DECIMAL and approximate types.
    let widen = |values: Vec<&mut Expr>| -> bool {
        let types: Vec<Option<DataType>> = values.iter().map(|v| type_of(v)).collect();
        if !approximate_wins(types.iter().flatten()) {
            return false;
        }
        for (v, t) in values.into_iter().zip(types) {
            if matches!(t, Some(DataType::Decimal128(_, _))) {
                *v = Expr::Cast(datafusion_expr::Cast::new(Box::new(v.clone()), DataType::Float64));
            }
        }
        true
    };
    let mut e = e;
    let changed = match &mut e {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) if compares_or_computes(op) => {
            widen(vec![left.as_mut(), right.as_mut()])
        }
        Expr::Case(Case { expr, when_then_expr, else_expr }) => {
            let mut changed = false;
            if let Some(base) = expr {
                let mut keys: Vec<&mut Expr> = vec![base.as_mut()];
                keys.extend(when_then_expr.iter_mut().map(|(w, _)| w.as_mut()));
                changed |= widen(keys);
            }
            let mut values: Vec<&mut Expr> = when_then_expr.iter_mut().map(|(_, t)| t.as_mut()).collect();
            values.extend(else_expr.as_deref_mut());
            changed | widen(values)
        }
        // NULLIF(a, b) compares as DOUBLE but keeps a's type: CASE WHEN a = b THEN NULL ELSE a END.
        Expr::ScalarFunction(ScalarFunction { func, args }) if func.name() == "nullif" && args.len() == 2 => {
            let (a, mut b) = (args[0].clone(), args[1].clone());
            let mut compared = a.clone();
            if !widen(vec![&mut compared, &mut b]) {
                return Ok(Transformed::no(e));
            }
            let null = Expr::Literal(datafusion_common::ScalarValue::Null, None);
            let equal = Expr::BinaryExpr(BinaryExpr::new(Box::new(compared), Operator::Eq, Box::new(b)));
            return Ok(Transformed::yes(Expr::Case(Case::new(
                None,
                vec![(Box::new(equal), Box::new(null))],
                Some(Box::new(a)),
            ))));
        }
        Expr::ScalarFunction(ScalarFunction { func, args }) => match func.name() {
            "coalesce" | "nvl" | "ifnull" | "greatest" | "least" => widen(args.iter_mut().collect()),
            "if" if args.len() == 3 => widen(args.iter_mut().skip(1).collect()),
            _ => false,
        },
        Expr::InList(InList { expr, list, .. }) => {
            let mut values: Vec<&mut Expr> = vec![expr.as_mut()];
            values.extend(list.iter_mut());
            widen(values)
        }
        Expr::Between(Between { expr, low, high, .. }) => widen(vec![expr.as_mut(), low.as_mut(), high.as_mut()]),
        _ => false,
    };
    Ok(if changed { Transformed::yes(e) } else { Transformed::no(e) })
}

fn compares_or_computes(op: &Operator) -> bool {
    use Operator::*;
    matches!(
        op,
        Eq | NotEq
            | Lt
            | LtEq
            | Gt
            | GtEq
            | IsDistinctFrom
            | IsNotDistinctFrom
            | Plus
            | Minus
            | Multiply
            | Divide
            | Modulo
    )
}

/// A `UNION` whose branches give one column a DECIMAL and a FLOAT/DOUBLE: each branch's
/// DECIMAL cast to DOUBLE in a projection above it. The branches are those of the whole
/// `UNION ALL` chain — `a UNION ALL b UNION ALL c` is planned as nested unions, and Flink's
/// type is the common type of all of them — which becomes one flat union. `None` when no
/// column mixes them and the union is flat.
fn union_columns(u: &datafusion_expr::Union) -> datafusion_common::Result<Option<LogicalPlan>> {
    let mut branches = Vec::with_capacity(u.inputs.len());
    u.inputs.iter().for_each(|input| union_branches(input, &mut branches));
    let columns = u.schema.fields().len();
    let widened: Vec<bool> = (0..columns)
        .map(|i| {
            let types: Vec<&DataType> =
                branches.iter().filter_map(|p| p.schema().fields().get(i).map(|f| f.data_type())).collect();
            approximate_wins(types.iter().copied())
        })
        .collect();
    if !widened.contains(&true) && branches.len() == u.inputs.len() {
        return Ok(None);
    }
    let inputs = branches
        .iter()
        .map(|input| {
            if !widened.contains(&true) {
                return Ok(input.clone());
            }
            let exprs: Vec<Expr> = input
                .schema()
                .iter()
                .enumerate()
                .map(|(i, (q, f))| {
                    let column = Expr::Column(datafusion_common::Column::from((q, f)));
                    if widened[i] && matches!(f.data_type(), DataType::Decimal128(_, _)) {
                        Expr::Cast(datafusion_expr::Cast::new(Box::new(column), DataType::Float64)).alias(f.name())
                    } else {
                        column
                    }
                })
                .collect();
            let projection = datafusion_expr::Projection::try_new(exprs, input.clone())?;
            Ok(Arc::new(LogicalPlan::Projection(projection)))
        })
        .collect::<datafusion_common::Result<Vec<_>>>()?;
    Ok(Some(LogicalPlan::Union(datafusion_expr::Union::try_new_with_loose_types(inputs)?)))
}

/// The branches of the `UNION ALL` chain `plan` is part of (itself when it is no union).
fn union_branches(plan: &Arc<LogicalPlan>, out: &mut Vec<Arc<LogicalPlan>>) {
    match plan.as_ref() {
        LogicalPlan::Union(u) => u.inputs.iter().for_each(|input| union_branches(input, out)),
        _ => out.push(plan.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_meets_approximate_at_double() {
        let d = DataType::Decimal128(5, 2);
        let cases: &[(&[DataType], bool)] = &[
            (&[d.clone(), DataType::Float64], true),
            (&[DataType::Float32, d.clone()], true),
            (&[DataType::Int32, d.clone(), DataType::Float64], true),
            (&[DataType::Int32, d.clone()], false),
            (&[DataType::Int32, DataType::Float64], false),
            (&[d.clone(), DataType::Decimal128(10, 0)], false),
            (&[DataType::Float32, DataType::Float64], false),
        ];
        for (types, expected) in cases {
            assert_eq!(approximate_wins(types.iter()), *expected, "{types:?}");
        }
    }

    #[test]
    fn decimal_operands_become_double_and_nullif_keeps_its_type() {
        use arrow::datatypes::{Field, Schema};
        use datafusion_expr::col;
        let schema = DFSchema::try_from(Schema::new(vec![
            Field::new("d", DataType::Decimal128(4, 2), true),
            Field::new("x", DataType::Float64, true),
            Field::new("i", DataType::Int32, true),
        ]))
        .expect("a schema");
        let rewritten = |e: Expr| operands(e, &schema).expect("rewritten");
        let lt = rewritten(col("d").lt(col("x")));
        assert!(lt.transformed);
        let Expr::BinaryExpr(b) = &lt.data else { panic!("{}", lt.data) };
        assert_eq!(b.left.get_type(&schema).expect("typed"), DataType::Float64);
        // DECIMAL with INT keeps DataFusion's rule.
        assert!(!rewritten(col("d").lt(col("i"))).transformed);
        let nullif = datafusion_functions::core::expr_fn::nullif(col("d"), col("x"));
        let out = rewritten(nullif);
        assert!(matches!(out.data, Expr::Case(_)), "{}", out.data);
        assert_eq!(out.data.get_type(&schema).expect("typed"), DataType::Decimal128(4, 2));
    }

    /// The final plan of `sql` over `a(d DECIMAL(5, 2))` and `b(x DOUBLE)`.
    fn plan(sql: &str) -> LogicalPlan {
        let catalog = crate::planner::test_support::catalog(
            "CREATE TABLE a (d DECIMAL(5, 2)) WITH ('connector' = 'filesystem', 'path' = 'a', 'format' = 'json');
             CREATE TABLE b (x DOUBLE) WITH ('connector' = 'filesystem', 'path' = 'b', 'format' = 'json');",
        );
        crate::planner::test_support::plan(&catalog, sql).expect("plan")
    }

    #[test]
    fn a_union_of_many_branches_takes_the_common_type_of_all() {
        let branches = [
            "SELECT d AS m FROM a UNION ALL SELECT x FROM b UNION ALL SELECT 2 FROM a",
            "SELECT d AS m FROM a UNION ALL SELECT x FROM b UNION ALL SELECT x FROM b",
            "SELECT 2 AS m FROM a UNION ALL SELECT d FROM a UNION ALL SELECT x FROM b",
            "SELECT d AS m FROM a UNION ALL SELECT 2 FROM a UNION ALL SELECT d FROM a UNION ALL SELECT x FROM b",
            "SELECT d AS m FROM a UNION ALL (SELECT x FROM b UNION ALL SELECT 2 FROM a)",
        ];
        for sql in branches {
            let plan = plan(sql);
            assert_eq!(plan.schema().field(0).data_type(), &DataType::Float64, "{sql}\n{}", plan.display_indent());
        }
    }
}
