//! `LAG(x [, offset [, default]])` over an OVER window, as Flink computes it in a stream: an
//! aggregate over the rows of the partition so far that returns the value `offset` (1 by
//! default) rows before the current one, or `default` (NULL by default) when there is none.
//! The streaming planner turns DataFusion's `lag` window function into this aggregate.

use std::collections::VecDeque;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::{exec_err, plan_err, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};

/// The `LAG` aggregate.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FlinkLag {
    signature: Signature,
}

/// `LAG` as an aggregate for OVER windows.
pub fn lag() -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::new_from_impl(FlinkLag { signature: Signature::user_defined(Volatility::Immutable) }))
}

impl AggregateUDFImpl for FlinkLag {
    fn name(&self) -> &str {
        "lag"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types {
            [t] => Ok(vec![t.clone()]),
            [t, _] => Ok(vec![t.clone(), DataType::Int64]),
            [t, _, _] => Ok(vec![t.clone(), DataType::Int64, t.clone()]),
            _ => plan_err!("LAG expects 1 to 3 arguments, got {}", arg_types.len()),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(t) => Ok(t.clone()),
            None => plan_err!("LAG expects an argument"),
        }
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(LagAccumulator {
            data_type: args.return_field.data_type().clone(),
            offset: None,
            default: None,
            recent: VecDeque::new(),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let t = args.return_field.data_type().clone();
        Ok(vec![
            Arc::new(Field::new_list(format!("{}[recent]", args.name), Field::new_list_field(t.clone(), true), true)),
            Arc::new(Field::new(format!("{}[offset]", args.name), DataType::Int64, true)),
            Arc::new(Field::new(format!("{}[default]", args.name), t, true)),
        ])
    }
}

/// The last `offset + 1` values.
#[derive(Debug)]
struct LagAccumulator {
    data_type: DataType,
    offset: Option<usize>,
    default: Option<ScalarValue>,
    recent: VecDeque<ScalarValue>,
}

impl Accumulator for LagAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        for i in 0..values[0].len() {
            if let Some(o) = values.get(1) {
                if o.is_valid(i) {
                    match ScalarValue::try_from_array(o, i)? {
                        ScalarValue::Int64(Some(n)) if n >= 0 => self.offset = Some(n as usize),
                        other => return exec_err!("LAG's offset must be a non-negative integer, not {other}"),
                    }
                }
            }
            if let Some(d) = values.get(2) {
                self.default = Some(ScalarValue::try_from_array(d, i)?);
            }
            self.recent.push_back(ScalarValue::try_from_array(&values[0], i)?);
            let keep = self.offset.unwrap_or(1) + 1;
            while self.recent.len() > keep {
                self.recent.pop_front();
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let offset = self.offset.unwrap_or(1);
        let value =
            if self.recent.len() > offset { Some(self.recent[self.recent.len() - 1 - offset].clone()) } else { None };
        match value.or_else(|| self.default.clone()) {
            Some(v) => v.cast_to(&self.data_type),
            None => ScalarValue::try_from(&self.data_type),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.recent.iter().map(ScalarValue::size).sum::<usize>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let recent: Vec<ScalarValue> = self.recent.iter().cloned().collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&recent, &self.data_type)),
            ScalarValue::Int64(self.offset.map(|o| o as i64)),
            match &self.default {
                Some(d) => d.cast_to(&self.data_type)?,
                None => ScalarValue::try_from(&self.data_type)?,
            },
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        // A restored accumulator: the state of one partition, merged into a fresh one.
        for i in 0..states[0].len() {
            if let ScalarValue::List(list) = ScalarValue::try_from_array(&states[0], i)? {
                if !list.is_empty() && list.is_valid(0) {
                    let values = list.value(0);
                    for k in 0..values.len() {
                        self.recent.push_back(ScalarValue::try_from_array(&values, k)?);
                    }
                }
            }
            if let ScalarValue::Int64(Some(o)) = ScalarValue::try_from_array(&states[1], i)? {
                self.offset = Some(o as usize);
            }
            let d = ScalarValue::try_from_array(&states[2], i)?;
            if !d.is_null() {
                self.default = Some(d);
            }
        }
        Ok(())
    }
}
