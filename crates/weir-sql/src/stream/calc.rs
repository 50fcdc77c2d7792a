//! Projections and filters over batches (Flink's `Calc`), evaluated by DataFusion's
//! vectorized physical expressions.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::array::{Array, BooleanArray};
use arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::{cast_to, is_all_true, to_array, Changes};
use super::common_subexpr::{self, Shared};

/// Keeps the rows where `filter` holds and computes `projection` over them.
pub struct CalcOperator {
    filter: Option<Arc<dyn PhysicalExpr>>,
    projection: Option<Vec<Arc<dyn PhysicalExpr>>>,
    schema: SchemaRef,
    /// When the expressions read `CURRENT_WATERMARK`: the input extended by one column that
    /// holds this operator's current watermark, and that watermark.
    watermark: Option<(SchemaRef, i64)>,
    /// Repeated subexpressions, computed once per batch.
    shared: Shared,
}

impl CalcOperator {
    /// A filter and/or a projection with output `schema`.
    pub fn new(
        filter: Option<Arc<dyn PhysicalExpr>>,
        projection: Option<Vec<Arc<dyn PhysicalExpr>>>,
        schema: SchemaRef,
    ) -> Self {
        CalcOperator { filter, projection, schema, watermark: None, shared: Shared::default() }
    }

    /// Computes the subexpressions the filter and projection repeat once per batch (see
    /// [`super::common_subexpr`]), over an input of `width` columns. Called last.
    pub fn with_shared_subexpressions(mut self, width: usize) -> Self {
        let width = width + usize::from(self.watermark.is_some());
        self.shared = common_subexpr::share(&mut self.filter, &mut self.projection, width);
        self
    }

    /// The expressions read this operator's current watermark (`CURRENT_WATERMARK`) as a last
    /// input column, of `extended` (the input's columns plus a nullable TIMESTAMP(3)); NULL
    /// until the first watermark.
    pub fn with_watermark_column(mut self, extended: SchemaRef) -> Self {
        self.watermark = Some((extended, i64::MIN));
        self
    }

    /// Applies the calc to one batch; `None` when no row remains.
    pub fn apply(&self, mut changes: Changes) -> Result<Option<Changes>, BoxError> {
        // The rows the projection reads, when the filter computed shared columns for it.
        let mut read = None;
        if let Some(filter) = &self.filter {
            let rows = extended(self.input(&changes)?, &self.shared.before_filter)?;
            let mask = to_array(filter.evaluate(&rows)?, changes.len())?;
            let mask = mask.as_any().downcast_ref::<BooleanArray>().ok_or("a filter must be a boolean expression")?;
            let shares = self.projection.is_some() && !self.shared.before_filter.is_empty();
            if !is_all_true(mask) {
                // NULL counts as false.
                let mask =
                    if mask.null_count() > 0 { arrow::compute::prep_null_mask_filter(mask) } else { mask.clone() };
                changes = changes.filter(&mask)?;
                if shares {
                    read = Some(arrow::compute::filter_record_batch(&rows, &mask)?);
                }
            } else if shares {
                read = Some(rows);
            }
        }
        if changes.is_empty() {
            return Ok(None);
        }
        if let Some(projection) = &self.projection {
            let n = changes.len();
            let rows = match read {
                Some(rows) => rows,
                None => self.input(&changes)?,
            };
            let rows = extended(rows, &self.shared.before_projection)?;
            let columns =
                projection.iter().map(|e| to_array(e.evaluate(&rows)?, n)).collect::<Result<Vec<_>, BoxError>>()?;
            let columns = columns
                .into_iter()
                .zip(self.schema.fields())
                .map(|(c, f)| cast_to(c, f.data_type()))
                .collect::<Result<Vec<_>, BoxError>>()?;
            changes = changes.with_columns(self.schema.clone(), columns)?;
        }
        Ok(Some(changes))
    }

    /// The rows the expressions read: the batch, plus the watermark column when asked for.
    fn input(&self, changes: &Changes) -> Result<arrow::record_batch::RecordBatch, BoxError> {
        let Some((extended, watermark)) = &self.watermark else { return Ok(changes.rows.clone()) };
        let value = (*watermark != i64::MIN).then_some(*watermark);
        let column: arrow::array::ArrayRef =
            Arc::new(arrow::array::TimestampMillisecondArray::from(vec![value; changes.len()]));
        let mut columns = changes.rows.columns().to_vec();
        columns.push(column);
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(changes.len()));
        Ok(arrow::record_batch::RecordBatch::try_new_with_options(extended.clone(), columns, &options)?)
    }
}

/// `rows` with the values of `exprs` appended as columns, each expression reading the
/// columns before it.
fn extended(mut rows: RecordBatch, exprs: &[Arc<dyn PhysicalExpr>]) -> Result<RecordBatch, BoxError> {
    for (i, expr) in exprs.iter().enumerate() {
        let n = rows.num_rows();
        let value = to_array(expr.evaluate(&rows)?, n)?;
        let mut fields = rows.schema().fields().to_vec();
        fields.push(Arc::new(Field::new(format!("__shared_{i}"), value.data_type().clone(), true)));
        let mut columns = rows.columns().to_vec();
        columns.push(value);
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(n));
        rows = RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), columns, &options)?;
    }
    Ok(rows)
}

impl Operator for CalcOperator {
    type In = Changes;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            if let Some(changes) = self.apply(record.value)? {
                out.emit(StreamRecord { value: changes, timestamp: record.timestamp });
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        if let Some((_, current)) = &mut self.watermark {
            *current = (*current).max(watermark.0);
        }
        out.emit_watermark(watermark);
        Ok(())
    }
}

/// Name of the column that carries an operator's current watermark.
const WATERMARK_COLUMN: &str = "__current_watermark";

/// `filter` and `projection` with each `CURRENT_WATERMARK(t)` replaced by the watermark column
/// (cast to `t`'s type), and the input schema extended by that column — or all unchanged (and
/// `None`) when neither calls it.
#[allow(clippy::type_complexity)]
pub(crate) fn current_watermark_column(
    input: &datafusion_common::DFSchemaRef,
    filter: Option<&datafusion_expr::Expr>,
    projection: Option<&[datafusion_expr::Expr]>,
) -> crate::error::Result<(
    Option<datafusion_expr::Expr>,
    Option<Vec<datafusion_expr::Expr>>,
    Option<datafusion_common::DFSchemaRef>,
)> {
    use datafusion_common::tree_node::{Transformed, TreeNode};
    use datafusion_expr::{Expr, ExprSchemable};
    let calls = |e: &Expr| {
        e.exists(|e| Ok(matches!(e, Expr::ScalarFunction(f) if f.func.name() == "current_watermark"))).unwrap_or(false)
    };
    let any = filter.is_some_and(calls) || projection.is_some_and(|p| p.iter().any(calls));
    if !any {
        return Ok((filter.cloned(), projection.map(<[Expr]>::to_vec), None));
    }
    let field = arrow::datatypes::Field::new(
        WATERMARK_COLUMN,
        arrow::datatypes::DataType::Timestamp(arrow::datatypes::TimeUnit::Millisecond, None),
        true,
    );
    let extra = datafusion_common::DFSchema::try_from(arrow::datatypes::Schema::new(vec![field]))
        .map_err(crate::planner::plan_error)?;
    let extended = Arc::new(input.as_ref().clone().join(&extra).map_err(crate::planner::plan_error)?);
    let column = Expr::Column(datafusion_common::Column::new_unqualified(WATERMARK_COLUMN));
    let rewrite = |e: &Expr| -> crate::error::Result<Expr> {
        e.clone()
            .transform_up(|e| match &e {
                Expr::ScalarFunction(f) if f.func.name() == "current_watermark" => {
                    let to = e.get_type(input.as_ref())?;
                    Ok(Transformed::yes(Expr::Cast(datafusion_expr::Cast::new(Box::new(column.clone()), to))))
                }
                _ => Ok(Transformed::no(e)),
            })
            .map(|t| t.data)
            .map_err(crate::planner::plan_error)
    };
    let filter = filter.map(rewrite).transpose()?;
    let projection = projection.map(|p| p.iter().map(rewrite).collect::<crate::error::Result<Vec<_>>>()).transpose()?;
    Ok((filter, projection, Some(extended)))
}
