//! Flink's meaning for SQL syntax that DataFusion's own expression planners tie to fixed
//! DataFusion functions: `SUBSTRING(s FROM p FOR n)` (and `SUBSTRING(s, p, n)`, which the
//! parser reads the same way), `OVERLAY(s PLACING r FROM p FOR n)` and `EXTRACT(unit FROM t)`
//! call Weir's Flink functions instead of DataFusion's `substr`, `overlay` and `date_part`.
//! Placed before DataFusion's planners, it answers first.

use std::sync::Arc;

use datafusion_common::Result;
use datafusion_expr::expr::ScalarFunction;
use datafusion_expr::planner::{ExprPlanner, PlannerResult};
use datafusion_expr::{Expr, ScalarUDF};

/// Plans `SUBSTRING`, `OVERLAY` and `EXTRACT` syntax with Flink's functions.
#[derive(Debug)]
pub struct FlinkSyntaxPlanner {
    substring: Arc<ScalarUDF>,
    overlay: Arc<ScalarUDF>,
    extract: Arc<ScalarUDF>,
    map: Option<Arc<ScalarUDF>>,
}

impl FlinkSyntaxPlanner {
    /// A planner calling these functions (as registered for the session).
    pub fn new(substring: Arc<ScalarUDF>, overlay: Arc<ScalarUDF>, extract: Arc<ScalarUDF>) -> Self {
        FlinkSyntaxPlanner { substring, overlay, extract, map: None }
    }

    /// `MAP[k1, v1, …]` (and `map(k1, v1, …)`) calls `map`, Flink's constructor (a repeated
    /// key keeps its last value), instead of DataFusion's `make_map`.
    pub fn with_map(mut self, map: Option<Arc<ScalarUDF>>) -> Self {
        self.map = map;
        self
    }
}

fn call(f: &Arc<ScalarUDF>, args: Vec<Expr>) -> Result<PlannerResult<Vec<Expr>>> {
    Ok(PlannerResult::Planned(Expr::ScalarFunction(ScalarFunction::new_udf(f.clone(), args))))
}

impl ExprPlanner for FlinkSyntaxPlanner {
    fn plan_extract(&self, args: Vec<Expr>) -> Result<PlannerResult<Vec<Expr>>> {
        call(&self.extract, args)
    }

    fn plan_substring(&self, args: Vec<Expr>) -> Result<PlannerResult<Vec<Expr>>> {
        call(&self.substring, args)
    }

    fn plan_overlay(&self, args: Vec<Expr>) -> Result<PlannerResult<Vec<Expr>>> {
        call(&self.overlay, args)
    }

    fn plan_make_map(&self, args: Vec<Expr>) -> Result<PlannerResult<Vec<Expr>>> {
        match &self.map {
            Some(map) => call(map, args),
            None => Ok(PlannerResult::Original(args)),
        }
    }
}
