//! `map[key]` with a key computed per row (`attrs[k]`, `m[tags[1]]`).
//!
//! DataFusion plans every subscript of a MAP as `get_field(map, key)`, which takes a
//! literal key only: with any other key the query would fail at its first row. Such a
//! lookup becomes `array_element(map_extract(map, key), 1)`: the value of the key, NULL when
//! the map does not hold it (or is NULL), as in Flink.

use arrow::datatypes::DataType;
use datafusion_common::tree_node::{Transformed, TreeNode};
use datafusion_expr::expr_rewriter::NamePreserver;
use datafusion_expr::{lit, Expr, ExprSchemable, LogicalPlan};

use crate::error::Result;

/// `plan` with its map lookups by non-literal keys made per row.
pub fn map_lookups(plan: LogicalPlan) -> Result<LogicalPlan> {
    let rewritten = plan.transform_up_with_subqueries(|node| {
        let schema = super::time_syntax::input_schema(&node)?;
        let names = NamePreserver::new(&node);
        let node = node.map_expressions(|e| {
            let name = names.save(&e);
            let rewritten = e.transform_up(|e| {
                let lookup = match &e {
                    Expr::ScalarFunction(f) if f.func.name() == "get_field" => match f.args.as_slice() {
                        [map, key]
                            if !matches!(key, Expr::Literal(..))
                                && matches!(map.get_type(&schema)?, DataType::Map(..)) =>
                        {
                            Some((map.clone(), key.clone()))
                        }
                        _ => None,
                    },
                    _ => None,
                };
                Ok(match lookup {
                    Some((map, key)) => Transformed::yes(map_lookup(map, key)),
                    None => Transformed::no(e),
                })
            })?;
            Ok(if rewritten.transformed { rewritten.update_data(|e| name.restore(e)) } else { rewritten })
        })?;
        if node.transformed {
            node.transform_data(|n| n.recompute_schema().map(Transformed::yes))
        } else {
            Ok(node)
        }
    });
    rewritten.map(|t| t.data).map_err(super::plan_error)
}

/// The value of `key` in `map`, NULL when absent.
fn map_lookup(map: Expr, key: Expr) -> Expr {
    datafusion_functions_nested::extract::array_element(
        datafusion_functions_nested::map_extract::map_extract(map, key),
        lit(1i64),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(sql: &str) -> LogicalPlan {
        let catalog = crate::planner::test_support::catalog(
            "CREATE TABLE t (k STRING, m MAP<STRING, INT>) WITH ('connector' = 'filesystem', 'path' = 'in', \
             'format' = 'json');",
        );
        crate::planner::test_support::plan(&catalog, sql).expect("plan")
    }

    #[test]
    fn a_computed_key_is_looked_up_per_row() {
        let text = plan("SELECT m[k], m[UPPER(k)] FROM t").display_indent().to_string();
        assert!(text.contains("map_extract"), "{text}");
        assert!(!text.contains("get_field"), "{text}");
    }

    #[test]
    fn a_literal_key_stays_a_field_access() {
        let text = plan("SELECT m['a'] FROM t").display_indent().to_string();
        assert!(text.contains("get_field"), "{text}");
        assert!(!text.contains("map_extract"), "{text}");
    }
}
