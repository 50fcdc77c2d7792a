//! Flink aggregate functions whose semantics DataFusion lacks: LISTAGG, COLLECT, and FIRST_VALUE
//! / LAST_VALUE as "first/last non-NULL value by arrival". All four accumulators support
//! retraction (Flink's `...WithRetract` variants): they keep the accepted values in arrival order;
//! retracting removes the earliest equal value, and a retraction that arrives before its value is
//! remembered and cancels that value when it comes.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::{plan_err, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Which {
    ListAgg,
    Collect,
    First,
    Last,
}

/// LISTAGG / COLLECT / FIRST_VALUE / LAST_VALUE.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FlinkAggregate {
    which: Which,
    signature: Signature,
}

impl FlinkAggregate {
    fn new(which: Which) -> Self {
        let signature = match which {
            Which::ListAgg => Signature::user_defined(Volatility::Immutable),
            _ => Signature::any(1, Volatility::Immutable),
        };
        FlinkAggregate { which, signature }
    }
}

/// `LISTAGG(expr [, sep])`: non-NULL values joined by sep (default ','), in arrival order; NULL if none.
pub fn listagg() -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::new_from_impl(FlinkAggregate::new(Which::ListAgg)))
}

/// `COLLECT(expr)`: the MULTISET of the non-NULL values (empty, never NULL, when there are none).
/// A MULTISET is held as a list (as a `MULTISET<T>` column is), its elements in arrival order.
pub fn collect() -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::new_from_impl(FlinkAggregate::new(Which::Collect)))
}

/// `FIRST_VALUE(expr)`: the first non-NULL value seen (replaces DataFusion's, which keeps NULLs).
pub fn first_value() -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::new_from_impl(FlinkAggregate::new(Which::First)))
}

/// `LAST_VALUE(expr)`: the last non-NULL value seen (replaces DataFusion's, which keeps NULLs).
pub fn last_value() -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::new_from_impl(FlinkAggregate::new(Which::Last)))
}

impl AggregateUDFImpl for FlinkAggregate {
    fn name(&self) -> &str {
        match self.which {
            Which::ListAgg => "listagg",
            Which::Collect => "collect",
            Which::First => "first_value",
            Which::Last => "last_value",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match (self.which, arg_types.len()) {
            (Which::ListAgg, 1 | 2) => Ok(vec![DataType::Utf8; arg_types.len()]),
            (Which::ListAgg, n) => plan_err!("LISTAGG expects 1 or 2 arguments, got {n}"),
            _ => Ok(arg_types.to_vec()),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match self.which {
            Which::ListAgg => Ok(DataType::Utf8),
            Which::Collect => match arg_types.first() {
                Some(t) => Ok(DataType::List(Arc::new(Field::new_list_field(t.clone(), true)))),
                None => plan_err!("COLLECT expects one argument"),
            },
            _ => match arg_types.first() {
                Some(t) => Ok(t.clone()),
                None => plan_err!("{} expects one argument", self.name()),
            },
        }
    }

    fn is_nullable(&self) -> bool {
        // COLLECT of no value is an empty MULTISET.
        self.which != Which::Collect
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        match (self.which, data_type) {
            (Which::Collect, DataType::List(item)) => {
                Ok(ScalarValue::List(ScalarValue::new_list_nullable(&[], item.data_type())))
            }
            _ => ScalarValue::try_from(data_type),
        }
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(BagAccumulator {
            which: self.which,
            data_type: element_type(self.which, acc_args.return_field.data_type()),
            values: Vec::new(),
            pending: Vec::new(),
            sep: None,
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let t = element_type(self.which, args.return_field.data_type());
        let list = |name: &str| Arc::new(Field::new_list(name, Field::new_list_field(t.clone(), true), true));
        let mut fields = vec![list(&format!("{}[values]", args.name)), list(&format!("{}[pending]", args.name))];
        if self.which == Which::ListAgg {
            fields.push(Arc::new(Field::new(format!("{}[sep]", args.name), DataType::Utf8, true)));
        }
        Ok(fields)
    }
}

/// The type of the values an accumulator keeps: COLLECT's elements, else the result's type.
fn element_type(which: Which, result: &DataType) -> DataType {
    match (which, result) {
        (Which::Collect, DataType::List(item)) => item.data_type().clone(),
        _ => result.clone(),
    }
}

/// Values in arrival order plus retractions still waiting for their value.
#[derive(Debug)]
struct BagAccumulator {
    which: Which,
    data_type: DataType,
    values: Vec<ScalarValue>,
    pending: Vec<ScalarValue>,
    sep: Option<String>,
}

impl BagAccumulator {
    fn add(&mut self, v: ScalarValue) {
        match self.pending.iter().position(|p| *p == v) {
            Some(k) => {
                self.pending.remove(k);
            }
            None => self.values.push(v),
        }
    }

    fn remove(&mut self, v: ScalarValue) {
        match self.values.iter().position(|p| *p == v) {
            Some(k) => {
                self.values.remove(k);
            }
            None => self.pending.push(v),
        }
    }

    fn note_sep(&mut self, values: &[ArrayRef]) -> Result<()> {
        if let Some(s) = values.get(1) {
            for i in (0..s.len()).rev() {
                if s.is_valid(i) {
                    if let ScalarValue::Utf8(Some(x)) = ScalarValue::try_from_array(s, i)?.cast_to(&DataType::Utf8)? {
                        self.sep = Some(x);
                    }
                    break;
                }
            }
        }
        Ok(())
    }
}

fn list_values(a: &ArrayRef, row: usize) -> Result<Vec<ScalarValue>> {
    let list = a.as_list::<i32>();
    if list.is_null(row) {
        return Ok(Vec::new());
    }
    let v = list.value(row);
    (0..v.len()).map(|i| ScalarValue::try_from_array(&v, i)).collect()
}

impl Accumulator for BagAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let col = &values[0];
        for i in 0..col.len() {
            if col.is_valid(i) {
                self.add(ScalarValue::try_from_array(col, i)?);
            }
        }
        self.note_sep(values)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let col = &values[0];
        for i in 0..col.len() {
            if col.is_valid(i) {
                self.remove(ScalarValue::try_from_array(col, i)?);
            }
        }
        Ok(())
    }

    fn supports_retract_batch(&self) -> bool {
        true
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let pick = match self.which {
            Which::First => self.values.first(),
            Which::Last => self.values.last(),
            Which::Collect => {
                return Ok(ScalarValue::List(ScalarValue::new_list_nullable(&self.values, &self.data_type)));
            }
            Which::ListAgg => {
                if self.values.is_empty() {
                    return Ok(ScalarValue::Utf8(None));
                }
                let parts: Vec<String> = self
                    .values
                    .iter()
                    .map(|v| match v {
                        ScalarValue::Utf8(Some(s)) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect();
                return Ok(ScalarValue::Utf8(Some(parts.join(self.sep.as_deref().unwrap_or(",")))));
            }
        };
        match pick {
            Some(v) => Ok(v.clone()),
            None => ScalarValue::try_from(&self.data_type),
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.values.iter().chain(self.pending.iter()).map(ScalarValue::size).sum::<usize>()
            + self.sep.as_ref().map_or(0, String::capacity)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let mut s = vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&self.values, &self.data_type)),
            ScalarValue::List(ScalarValue::new_list_nullable(&self.pending, &self.data_type)),
        ];
        if self.which == Which::ListAgg {
            s.push(ScalarValue::Utf8(self.sep.clone()));
        }
        Ok(s)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        for row in 0..states[0].len() {
            for v in list_values(&states[0], row)? {
                self.add(v);
            }
            for v in list_values(&states[1], row)? {
                self.remove(v);
            }
            if let Some(s) = states.get(2) {
                if s.is_valid(row) {
                    if let ScalarValue::Utf8(Some(x)) = ScalarValue::try_from_array(s, row)? {
                        self.sep = Some(x);
                    }
                }
            }
        }
        Ok(())
    }
}
