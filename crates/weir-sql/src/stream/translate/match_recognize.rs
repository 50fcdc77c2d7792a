//! Translation of `MATCH_RECOGNIZE` (see [`crate::planner::match_recognize`]): the input,
//! a hash exchange on the `PARTITION BY` columns (one subtask without them), then the
//! pattern operator.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion_common::TableReference;

use super::{physical, Stream, Translator};
use crate::error::{Result, SqlError};
use crate::planner::MatchRecognize;
use crate::stream::exchange::KeyEncoder;
use crate::stream::match_recognize::{MatchCall, MatchRecognizeOperator, MatchSpec};

impl Translator<'_> {
    /// The stream of matches of `m`, its columns qualified by `name`.
    pub(super) fn match_recognize(&self, m: &MatchRecognize, name: &TableReference) -> Result<Stream> {
        let input = self.translate(&m.input)?;
        if input.rowtime != Some(m.time) {
            return Err(SqlError::validation(
                "You must specify either rowtime or proctime for order by as the first one.",
            ));
        }
        if input.updating {
            return Err(SqlError::unsupported(format!(
                "Match Recognize doesn't support consuming update changes which is produced by node {}",
                input.origin
            )));
        }
        let call = |e: &crate::planner::match_recognize::MatchExpr| -> Result<MatchCall> {
            Ok(MatchCall {
                expr: physical(&e.expr, &e.schema, &self.props)?,
                schema: Arc::new(e.schema.as_arrow().clone()),
                refs: e.refs.clone(),
            })
        };
        let arrow_in: SchemaRef = Arc::new(input.schema.as_arrow().clone());
        let spec = Arc::new(MatchSpec {
            time: m.time,
            pattern: m.pattern.clone(),
            defines: m.defines.iter().map(|d| d.as_ref().map(call).transpose()).collect::<Result<_>>()?,
            measures: m.measures.iter().map(call).collect::<Result<_>>()?,
            partition_by: m.partition_by.clone(),
            skip: m.skip,
            within: m.within,
            input: arrow_in.clone(),
            output: m.schema.clone(),
        });
        let keys: Vec<Arc<dyn datafusion_physical_expr::PhysicalExpr>> = m
            .partition_by
            .iter()
            .map(|&c| {
                Arc::new(datafusion_physical_expr::expressions::Column::new(arrow_in.field(c).name(), c))
                    as Arc<dyn datafusion_physical_expr::PhysicalExpr>
            })
            .collect();
        let parallelism = if keys.is_empty() { 1 } else { self.parallelism };
        let data = self
            .exchange(&input, keys.clone(), parallelism)
            .transform("Match", move |_| {
                MatchRecognizeOperator::new(spec.clone(), KeyEncoder::new(keys.clone(), &arrow_in)?)
            })
            .set_parallelism(parallelism);
        let data = self.stateful(data, "match", &format!("Match({name})"), None);
        let schema = datafusion_common::DFSchema::try_from_qualified_schema(name.clone(), m.schema.as_ref())
            .map_err(crate::planner::plan_error)?;
        Ok(Stream {
            data,
            schema: Arc::new(schema),
            updating: false,
            window: None,
            rowtime: m.rowtime,
            origin: "Match".into(),
        })
    }
}
