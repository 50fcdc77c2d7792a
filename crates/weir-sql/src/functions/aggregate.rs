//! Flink aggregate functions whose semantics DataFusion lacks: LISTAGG, COLLECT, FIRST_VALUE
//! / LAST_VALUE as "first/last non-NULL value by arrival", and JSON_ARRAYAGG / JSON_OBJECTAGG
//! (values kept as their JSON text, as JSON_ARRAY / JSON_OBJECT write them). All accumulators support
//! retraction (Flink's `...WithRetract` variants): they keep the accepted values in arrival order;
//! retracting removes the earliest equal value, and a retraction that arrives before its value is
//! remembered and cancels that value when it comes.
//!
//! With `DISTINCT` (LISTAGG, COLLECT, FIRST_VALUE, LAST_VALUE, JSON_ARRAYAGG) an accumulator
//! counts the copies of each value, as Flink's distinct aggregates do: a value enters the
//! aggregate when its count becomes positive (so the values keep the order in which they
//! entered) and leaves it when its last copy is retracted.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion_common::{plan_err, Result, ScalarValue};
use datafusion_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion_expr::{Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility};

use crate::format::MULTISET_ELEMENT;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Which {
    ListAgg,
    Collect,
    First,
    Last,
    JsonArrayAgg,
    JsonObjectAgg,
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
            Which::ListAgg | Which::JsonArrayAgg | Which::JsonObjectAgg => {
                Signature::user_defined(Volatility::Immutable)
            }
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
/// A MULTISET is held as a list (as a `MULTISET<T>` column is), its elements in arrival order,
/// its element field named [`MULTISET_ELEMENT`] so that it shows as Flink shows a MULTISET.
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

/// `JSON_ARRAYAGG(v [{NULL | ABSENT} ON NULL])`, called as `json_arrayagg(v, flags)` (flags
/// as the parser writes them for JSON_ARRAY: `'ABSENT;n'`): a JSON array of the values in
/// arrival order, `[]` when there are none.
pub fn json_arrayagg() -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::new_from_impl(FlinkAggregate::new(Which::JsonArrayAgg)))
}

/// `JSON_OBJECTAGG([KEY] k VALUE v [{NULL | ABSENT} ON NULL])`, called as
/// `json_objectagg(k, v, flags)`: a JSON object of the pairs, keys sorted, `{}` when there are
/// none; a NULL or repeated key fails, as in Flink.
pub fn json_objectagg() -> Arc<AggregateUDF> {
    Arc::new(AggregateUDF::new_from_impl(FlinkAggregate::new(Which::JsonObjectAgg)))
}

impl AggregateUDFImpl for FlinkAggregate {
    fn name(&self) -> &str {
        match self.which {
            Which::JsonArrayAgg => "json_arrayagg",
            Which::JsonObjectAgg => "json_objectagg",
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
            (Which::JsonArrayAgg, 2) | (Which::JsonObjectAgg, 3) => {
                let mut t = arg_types.to_vec();
                *t.last_mut().expect("the flags") = DataType::Utf8;
                Ok(t)
            }
            (Which::JsonArrayAgg | Which::JsonObjectAgg, n) => {
                plan_err!("{} got {n} arguments", self.name().to_uppercase())
            }
            _ => Ok(arg_types.to_vec()),
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match self.which {
            Which::ListAgg | Which::JsonArrayAgg | Which::JsonObjectAgg => Ok(DataType::Utf8),
            Which::Collect => match arg_types.first() {
                Some(t) => Ok(multiset_type(t)),
                None => plan_err!("COLLECT expects one argument"),
            },
            _ => match arg_types.first() {
                Some(t) => Ok(t.clone()),
                None => plan_err!("{} expects one argument", self.name()),
            },
        }
    }

    fn is_nullable(&self) -> bool {
        // COLLECT of no value is an empty MULTISET, the JSON aggregates' an empty array or object.
        !matches!(self.which, Which::Collect | Which::JsonArrayAgg | Which::JsonObjectAgg)
    }

    fn default_value(&self, data_type: &DataType) -> Result<ScalarValue> {
        match (self.which, data_type) {
            (Which::Collect, DataType::List(item)) => multiset_value(&[], item.data_type()),
            (Which::JsonArrayAgg, _) => Ok(ScalarValue::Utf8(Some("[]".into()))),
            (Which::JsonObjectAgg, _) => Ok(ScalarValue::Utf8(Some("{}".into()))),
            _ => ScalarValue::try_from(data_type),
        }
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let data_type = element_type(self.which, acc_args.return_field.data_type());
        Ok(Box::new(BagAccumulator::new(self.which, data_type, acc_args.is_distinct)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let t = element_type(self.which, args.return_field.data_type());
        let list = |name: &str| Arc::new(Field::new_list(name, Field::new_list_field(t.clone(), true), true));
        let mut fields = vec![list(&format!("{}[values]", args.name)), list(&format!("{}[pending]", args.name))];
        if self.which == Which::ListAgg {
            fields.push(Arc::new(Field::new(format!("{}[sep]", args.name), DataType::Utf8, true)));
        }
        if args.is_distinct {
            let copies = Field::new_list_field(DataType::Int64, true);
            fields.push(Arc::new(Field::new_list(format!("{}[copies]", args.name), copies, true)));
        }
        Ok(fields)
    }
}

/// COLLECT's result type: a MULTISET of `element`.
fn multiset_type(element: &DataType) -> DataType {
    DataType::List(Arc::new(Field::new(MULTISET_ELEMENT, element.clone(), true)))
}

/// A MULTISET of `values` (of type `element`).
fn multiset_value(values: &[ScalarValue], element: &DataType) -> Result<ScalarValue> {
    let items = match values.is_empty() {
        true => arrow::array::new_empty_array(element),
        false => ScalarValue::iter_to_array(values.iter().cloned())?,
    };
    let offsets = arrow::buffer::OffsetBuffer::from_lengths([items.len()]);
    let field = Arc::new(Field::new(MULTISET_ELEMENT, element.clone(), true));
    Ok(ScalarValue::List(Arc::new(arrow::array::ListArray::try_new(field, offsets, items, None)?)))
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
    /// For a `DISTINCT` call: copies added minus copies retracted, per value (no zero
    /// counts). `values` holds the values whose count is positive, in the order they became
    /// positive; a negative count is retractions waiting for their values (`pending` stays
    /// empty).
    copies: Option<HashMap<ScalarValue, i64>>,
}

impl BagAccumulator {
    fn new(which: Which, data_type: DataType, distinct: bool) -> Self {
        BagAccumulator {
            which,
            data_type,
            values: Vec::new(),
            pending: Vec::new(),
            sep: None,
            copies: distinct.then(HashMap::new),
        }
    }

    /// Adds `delta` copies of `v` to a `DISTINCT` call's counts: `v` enters the values when
    /// its count becomes positive and leaves them when it no longer is.
    fn count_copies(&mut self, v: ScalarValue, delta: i64) {
        let copies = self.copies.as_mut().expect("a DISTINCT call");
        let before = copies.get(&v).copied().unwrap_or(0);
        let after = before + delta;
        if before <= 0 && after > 0 {
            self.values.push(v.clone());
        } else if before > 0 && after <= 0 {
            if let Some(k) = self.values.iter().position(|p| *p == v) {
                self.values.remove(k);
            }
        }
        if after == 0 {
            copies.remove(&v);
        } else {
            copies.insert(v, after);
        }
    }

    fn add(&mut self, v: ScalarValue) {
        if self.copies.is_some() {
            return self.count_copies(v, 1);
        }
        match self.pending.iter().position(|p| *p == v) {
            Some(k) => {
                self.pending.remove(k);
            }
            None => self.values.push(v),
        }
    }

    fn remove(&mut self, v: ScalarValue) {
        if self.copies.is_some() {
            return self.count_copies(v, -1);
        }
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

/// The JSON aggregates' entries of a batch, in row order: an element's JSON text
/// (JSON_ARRAYAGG), or `"key":value` (JSON_OBJECTAGG); rows skipped by ABSENT ON NULL left out.
fn json_entries(which: Which, values: &[ArrayRef]) -> Result<Vec<ScalarValue>> {
    let flags = values.last().expect("the flags");
    let (write_nulls, raw) = super::json::constructor_flags(flags);
    let raw = raw.first().copied().unwrap_or(false);
    let value = &values[values.len() - 2];
    let mut out = Vec::with_capacity(value.len());
    for i in 0..value.len() {
        let text = super::json::value_json(value, i, raw);
        if text.is_none() && !write_nulls {
            continue;
        }
        let text = text.unwrap_or_else(|| "null".into());
        out.push(ScalarValue::Utf8(Some(match which {
            Which::JsonObjectAgg => {
                let keys = arrow::compute::cast(&values[0], &DataType::Utf8)?;
                let keys = keys.as_string::<i32>();
                if keys.is_null(i) {
                    return datafusion_common::exec_err!("JSON_OBJECTAGG: a key is NULL");
                }
                format!("{}:{text}", serde_json::to_string(keys.value(i)).unwrap_or_default())
            }
            _ => text,
        })));
    }
    Ok(out)
}

/// The JSON text of a JSON aggregate's entries.
fn json_result(which: Which, entries: &[ScalarValue]) -> Result<ScalarValue> {
    let text = |v: &ScalarValue| match v {
        ScalarValue::Utf8(Some(s)) => s.clone(),
        other => other.to_string(),
    };
    let mut parts: Vec<String> = entries.iter().map(text).collect();
    if which == Which::JsonArrayAgg {
        return Ok(ScalarValue::Utf8(Some(format!("[{}]", parts.join(",")))));
    }
    // The key of `"key":value` is the JSON string up to its closing quote.
    let key = |entry: &str| -> String {
        let mut de = serde_json::Deserializer::from_str(entry).into_iter::<String>();
        de.next().and_then(|k| k.ok()).unwrap_or_default()
    };
    parts.sort_by_cached_key(|p| key(p));
    for pair in parts.windows(2) {
        if key(&pair[0]) == key(&pair[1]) {
            return datafusion_common::exec_err!("JSON_OBJECTAGG: duplicate key '{}'", key(&pair[0]));
        }
    }
    Ok(ScalarValue::Utf8(Some(format!("{{{}}}", parts.join(",")))))
}

impl Accumulator for BagAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if matches!(self.which, Which::JsonArrayAgg | Which::JsonObjectAgg) {
            for v in json_entries(self.which, values)? {
                self.add(v);
            }
            return Ok(());
        }
        let col = &values[0];
        for i in 0..col.len() {
            if col.is_valid(i) {
                self.add(ScalarValue::try_from_array(col, i)?);
            }
        }
        self.note_sep(values)
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if matches!(self.which, Which::JsonArrayAgg | Which::JsonObjectAgg) {
            for v in json_entries(self.which, values)? {
                self.remove(v);
            }
            return Ok(());
        }
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
                return multiset_value(&self.values, &self.data_type);
            }
            Which::JsonArrayAgg | Which::JsonObjectAgg => return json_result(self.which, &self.values),
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
            + self.copies.as_ref().map_or(0, |c| c.keys().map(|v| v.size() + 8).sum())
            + self.sep.as_ref().map_or(0, String::capacity)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        // A DISTINCT call's pending list holds the values with negative counts, and a last
        // list the counts of the values, then of the pending ones.
        let (pending, counts) = match &self.copies {
            None => (self.pending.clone(), None),
            Some(copies) => {
                let pending: Vec<ScalarValue> =
                    copies.iter().filter(|(_, n)| **n < 0).map(|(v, _)| v.clone()).collect();
                let counts: Vec<ScalarValue> =
                    self.values.iter().chain(&pending).map(|v| ScalarValue::Int64(copies.get(v).copied())).collect();
                (pending, Some(counts))
            }
        };
        let mut s = vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&self.values, &self.data_type)),
            ScalarValue::List(ScalarValue::new_list_nullable(&pending, &self.data_type)),
        ];
        if self.which == Which::ListAgg {
            s.push(ScalarValue::Utf8(self.sep.clone()));
        }
        if let Some(counts) = counts {
            s.push(ScalarValue::List(ScalarValue::new_list_nullable(&counts, &DataType::Int64)));
        }
        Ok(s)
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let sep = if self.which == Which::ListAgg { states.get(2) } else { None };
        let counts = if self.copies.is_some() { states.last() } else { None };
        for row in 0..states[0].len() {
            let (values, pending) = (list_values(&states[0], row)?, list_values(&states[1], row)?);
            match counts {
                Some(counts) => {
                    let counts = list_values(counts, row)?;
                    for (v, n) in values.into_iter().chain(pending).zip(counts) {
                        if let ScalarValue::Int64(Some(n)) = n {
                            self.count_copies(v, n);
                        }
                    }
                }
                None => {
                    values.into_iter().for_each(|v| self.add(v));
                    pending.into_iter().for_each(|v| self.remove(v));
                }
            }
            if let Some(s) = sep {
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, StringArray};

    fn json_acc(which: Which) -> BagAccumulator {
        BagAccumulator::new(which, DataType::Utf8, false)
    }

    fn text(v: ScalarValue) -> String {
        match v {
            ScalarValue::Utf8(Some(s)) => s,
            other => panic!("{other:?}"),
        }
    }

    fn flags(f: &str, n: usize) -> ArrayRef {
        Arc::new(StringArray::from(vec![f; n]))
    }

    #[test]
    fn json_arrayagg_keeps_arrival_order_and_retracts() {
        let mut acc = json_acc(Which::JsonArrayAgg);
        let v: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, Some(3), Some(1)]));
        acc.update_batch(&[v.clone(), flags("ABSENT;n", 4)]).unwrap();
        assert_eq!(text(acc.evaluate().unwrap()), "[1,3,1]");
        let one: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        acc.retract_batch(&[one, flags("ABSENT;n", 1)]).unwrap();
        assert_eq!(text(acc.evaluate().unwrap()), "[3,1]");
        let mut nulls = json_acc(Which::JsonArrayAgg);
        nulls.update_batch(&[v, flags("NULL;n", 4)]).unwrap();
        assert_eq!(text(nulls.evaluate().unwrap()), "[1,null,3,1]");
        // A checkpoint's state restores into a fresh accumulator.
        let state: Vec<ArrayRef> = acc.state().unwrap().iter().map(|s| s.to_array().unwrap()).collect();
        let mut restored = json_acc(Which::JsonArrayAgg);
        restored.merge_batch(&state).unwrap();
        assert_eq!(text(restored.evaluate().unwrap()), "[3,1]");
    }

    #[test]
    fn json_objectagg_sorts_keys_and_refuses_duplicates() {
        let mut acc = json_acc(Which::JsonObjectAgg);
        let k: ArrayRef = Arc::new(StringArray::from(vec!["y", "x", "z"]));
        let v: ArrayRef = Arc::new(Int32Array::from(vec![Some(2), Some(1), None]));
        acc.update_batch(&[k.clone(), v.clone(), flags("NULL;n", 3)]).unwrap();
        assert_eq!(text(acc.evaluate().unwrap()), r#"{"x":1,"y":2,"z":null}"#);
        let mut absent = json_acc(Which::JsonObjectAgg);
        absent.update_batch(&[k, v, flags("ABSENT;n", 3)]).unwrap();
        assert_eq!(text(absent.evaluate().unwrap()), r#"{"x":1,"y":2}"#);
        let again_k: ArrayRef = Arc::new(StringArray::from(vec!["x"]));
        let again_v: ArrayRef = Arc::new(Int32Array::from(vec![5]));
        absent.update_batch(&[again_k.clone(), again_v.clone(), flags("ABSENT;n", 1)]).unwrap();
        assert!(absent.evaluate().is_err());
        let old_v: ArrayRef = Arc::new(Int32Array::from(vec![1]));
        absent.retract_batch(&[again_k, old_v, flags("ABSENT;n", 1)]).unwrap();
        assert_eq!(text(absent.evaluate().unwrap()), r#"{"x":5,"y":2}"#);
        let null_key: ArrayRef = Arc::new(StringArray::from(vec![None::<&str>]));
        assert!(json_acc(Which::JsonObjectAgg).update_batch(&[null_key, again_v, flags("NULL;n", 1)]).is_err());
    }
}

#[cfg(test)]
mod distinct_tests {
    use super::*;
    use arrow::array::StringArray;

    fn strings(v: &[Option<&str>]) -> Vec<ArrayRef> {
        vec![Arc::new(StringArray::from(v.to_vec()))]
    }

    fn listagg(acc: &mut BagAccumulator) -> Option<String> {
        match acc.evaluate().unwrap() {
            ScalarValue::Utf8(s) => s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn distinct_values_keep_the_order_they_entered_in_until_their_last_copy_is_retracted() {
        let mut acc = BagAccumulator::new(Which::ListAgg, DataType::Utf8, true);
        acc.update_batch(&strings(&[Some("home"), Some("cart"), None, Some("home")])).unwrap();
        assert_eq!(listagg(&mut acc).as_deref(), Some("home,cart"));
        acc.retract_batch(&strings(&[Some("home")])).unwrap();
        assert_eq!(listagg(&mut acc).as_deref(), Some("home,cart"), "one home is left");
        // A retraction before its value waits for it; a restored copy knows the counts.
        acc.retract_batch(&strings(&[Some("shop")])).unwrap();
        let state: Vec<ArrayRef> = acc.state().unwrap().iter().map(|s| s.to_array().unwrap()).collect();
        let mut restored = BagAccumulator::new(Which::ListAgg, DataType::Utf8, true);
        restored.merge_batch(&state).unwrap();
        for a in [&mut acc, &mut restored] {
            a.retract_batch(&strings(&[Some("home")])).unwrap();
            assert_eq!(listagg(a).as_deref(), Some("cart"), "the last home is gone");
            a.update_batch(&strings(&[Some("shop"), Some("home")])).unwrap();
            assert_eq!(listagg(a).as_deref(), Some("cart,home"), "shop cancels its retraction, home comes back last");
            a.retract_batch(&strings(&[Some("cart"), Some("home")])).unwrap();
            assert_eq!(listagg(a), None);
        }
    }

    #[test]
    fn distinct_first_and_last_value_and_collect() {
        let values = strings(&[Some("b"), Some("a"), Some("b")]);
        let mut first = BagAccumulator::new(Which::First, DataType::Utf8, true);
        let mut last = BagAccumulator::new(Which::Last, DataType::Utf8, true);
        let mut collect = BagAccumulator::new(Which::Collect, DataType::Utf8, true);
        for acc in [&mut first, &mut last, &mut collect] {
            acc.update_batch(&values).unwrap();
        }
        assert_eq!(first.evaluate().unwrap(), ScalarValue::Utf8(Some("b".into())));
        assert_eq!(last.evaluate().unwrap(), ScalarValue::Utf8(Some("a".into())), "b entered first");
        let expected = multiset_value(&[ScalarValue::from("b"), ScalarValue::from("a")], &DataType::Utf8).unwrap();
        assert_eq!(collect.evaluate().unwrap(), expected);
        let ScalarValue::List(list) = expected else { panic!("a list") };
        assert_eq!(list.data_type(), &multiset_type(&DataType::Utf8), "a MULTISET, not an ARRAY");
    }
}
