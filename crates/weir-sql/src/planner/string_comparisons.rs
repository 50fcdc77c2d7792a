//! The comparisons of character strings with numbers that Flink refuses when it validates a
//! query, where DataFusion would cast the string at run time (failing on the first value
//! that is not a number, or silently comparing the ones that are):
//!
//! - `=`, `<>`, `IS [NOT] DISTINCT FROM` and `NULLIF` of a character string and a number:
//!   "implicit type conversion between VARCHAR and INTEGER is not supported now" (the left
//!   operand's type first; a string literal is a CHAR, any other string a VARCHAR);
//! - an `IN` list whose values mix character strings and numbers (`s IN ('1', 2)`): "Values
//!   in expression list must have compatible types".
//!
//! Flink 2.3 runs the other mixes — `<`, `<=`, `>`, `>=`, `BETWEEN` and `s IN (1, 2)` cast
//! the string at run time — and so does Weir; strings compared with BOOLEAN or temporal
//! values are not refused either.

use arrow::datatypes::DataType;
use datafusion_common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion_common::{DFSchema, ScalarValue};
use datafusion_expr::expr::{InList, ScalarFunction};
use datafusion_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator};

use crate::error::{Result, SqlError};

/// Refuses the comparisons of `plan` (as planned, before type coercion) that Flink refuses
/// (see the module docs).
///
/// # Errors
/// Flink's message for the first such comparison.
pub fn check_string_comparisons(plan: &LogicalPlan) -> Result<()> {
    let mut refusal: Option<SqlError> = None;
    plan.apply_with_subqueries(|node| {
        let schema = super::time_syntax::input_schema(node)?;
        node.apply_expressions(|e| {
            e.apply(|e| {
                refusal = refused(e, &schema);
                Ok(if refusal.is_some() { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
            })
        })
    })
    .map_err(super::plan_error)?;
    refusal.map_or(Ok(()), Err)
}

/// How an operand's type takes part: a character string (and whether it is a literal), a
/// number, or anything else.
#[derive(Debug, PartialEq)]
enum Side {
    Chars { literal: bool },
    Number(&'static str),
    Other,
}

fn side(e: &Expr, schema: &DFSchema) -> Side {
    let literal = matches!(e, Expr::Literal(..));
    if let Expr::Literal(ScalarValue::Null, _) = e {
        return Side::Other;
    }
    match e.get_type(schema) {
        Ok(DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) => Side::Chars { literal },
        Ok(t) => number_name(&t).map_or(Side::Other, Side::Number),
        Err(_) => Side::Other,
    }
}

/// Flink's name of a numeric type.
fn number_name(t: &DataType) -> Option<&'static str> {
    Some(match t {
        DataType::Int8 => "TINYINT",
        DataType::Int16 => "SMALLINT",
        DataType::Int32 => "INTEGER",
        DataType::Int64 => "BIGINT",
        DataType::Float32 => "FLOAT",
        DataType::Float64 => "DOUBLE",
        DataType::Decimal128(_, _) | DataType::Decimal256(_, _) => "DECIMAL",
        _ => return None,
    })
}

fn name(side: &Side) -> &'static str {
    match side {
        Side::Chars { literal: true } => "CHAR",
        Side::Chars { literal: false } => "VARCHAR",
        Side::Number(n) => n,
        Side::Other => "",
    }
}

/// Flink's refusal of `e` itself, if it refuses it.
fn refused(e: &Expr, schema: &DFSchema) -> Option<SqlError> {
    let pair = |a: &Expr, b: &Expr| {
        let (a, b) = (side(a, schema), side(b, schema));
        let mixed = matches!((&a, &b), (Side::Chars { .. }, Side::Number(_)) | (Side::Number(_), Side::Chars { .. }));
        mixed.then(|| {
            SqlError::validation(format!(
                "implicit type conversion between {} and {} is not supported now",
                name(&a),
                name(&b)
            ))
        })
    };
    match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Eq | Operator::NotEq | Operator::IsDistinctFrom | Operator::IsNotDistinctFrom,
            right,
        }) => pair(left, right),
        Expr::ScalarFunction(ScalarFunction { func, args }) if func.name() == "nullif" && args.len() == 2 => {
            pair(&args[0], &args[1])
        }
        Expr::InList(InList { list, .. }) => {
            let sides: Vec<Side> = list.iter().map(|v| side(v, schema)).collect();
            let chars = sides.iter().any(|s| matches!(s, Side::Chars { .. }));
            let numbers = sides.iter().any(|s| matches!(s, Side::Number(_)));
            (chars && numbers).then(|| SqlError::validation("Values in expression list must have compatible types"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    /// Flink's refusal of `WHERE condition` over `t`, if planning refuses it.
    fn refusal(condition: &str) -> Option<String> {
        let catalog = crate::planner::test_support::catalog(
            "CREATE TABLE t (s STRING, v INT, d DECIMAL(5, 2), x DOUBLE, b BOOLEAN, dt DATE) \
             WITH ('connector' = 'filesystem', 'path' = 't', 'format' = 'json');",
        );
        let sql = format!("SELECT s FROM t WHERE {condition}");
        crate::planner::test_support::plan(&catalog, &sql).err().map(|e| e.message)
    }

    #[test]
    fn equality_of_strings_and_numbers_is_refused_as_in_flink() {
        let refused = [
            ("s = 1", "between VARCHAR and INTEGER"),
            ("s <> 1", "between VARCHAR and INTEGER"),
            ("s = 1.5", "between VARCHAR and DECIMAL"),
            ("s = x", "between VARCHAR and DOUBLE"),
            ("v = '1'", "between INTEGER and CHAR"),
            ("'1' = 1", "between CHAR and INTEGER"),
            ("s IS DISTINCT FROM 1", "between VARCHAR and INTEGER"),
            ("NULLIF(s, 1) IS NULL", "between VARCHAR and INTEGER"),
            ("s IN ('1', 2)", "Values in expression list must have compatible types"),
        ];
        for (condition, message) in refused {
            let e = refusal(condition).unwrap_or_else(|| panic!("{condition} is refused"));
            assert!(e.contains(message), "{condition}: {e}");
        }
    }

    #[test]
    fn what_flink_runs_is_not_refused() {
        for condition in [
            "s < 1",
            "s BETWEEN 1 AND 2",
            "s IN (1, 2)",
            "v IN ('1', '2')",
            "s = 'a'",
            "v = 1.5",
            "s = DATE '2024-01-01'",
            "s = NULL",
            "s = CAST(v AS STRING)",
        ] {
            assert_eq!(refusal(condition), None, "{condition}");
        }
    }
}
