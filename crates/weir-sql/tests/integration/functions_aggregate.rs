//! LISTAGG, COLLECT, FIRST_VALUE, LAST_VALUE accumulators, including retraction and state merging.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion_common::ScalarValue;
use datafusion_expr::function::AccumulatorArgs;
use datafusion_expr::{Accumulator, AggregateUDF};
use weir_sql::functions::flink_aggregate_functions;

fn agg(name: &str) -> Arc<AggregateUDF> {
    flink_aggregate_functions().into_iter().find(|f| f.name() == name).expect(name)
}

fn acc(name: &str, input: &[DataType]) -> Box<dyn Accumulator> {
    let f = agg(name);
    let coerced = f.coerce_types(input).unwrap();
    let ret = f.return_type(&coerced).unwrap();
    let schema = Schema::empty();
    let fields: Vec<_> = coerced.iter().map(|t| Arc::new(Field::new("x", t.clone(), true))).collect();
    f.accumulator(AccumulatorArgs {
        return_field: Arc::new(Field::new(name, ret, true)),
        schema: &schema,
        ignore_nulls: false,
        order_bys: &[],
        is_reversed: false,
        name,
        is_distinct: false,
        exprs: &[],
        expr_fields: &fields,
    })
    .unwrap()
}

fn strs(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

fn ints(v: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}

fn text(v: &str) -> ScalarValue {
    ScalarValue::Utf8(Some(v.to_string()))
}

#[test]
fn listagg_default_and_custom_separator() {
    let mut a = acc("listagg", &[DataType::Utf8]);
    assert_eq!(a.evaluate().unwrap(), ScalarValue::Utf8(None));
    a.update_batch(&[strs(&[Some("a"), None, Some("b")])]).unwrap();
    a.update_batch(&[strs(&[Some("c")])]).unwrap();
    assert_eq!(a.evaluate().unwrap(), text("a,b,c"));

    let mut a = acc("listagg", &[DataType::Utf8, DataType::Utf8]);
    a.update_batch(&[strs(&[Some("x"), Some("y")]), strs(&[Some("; "), Some("; ")])]).unwrap();
    assert_eq!(a.evaluate().unwrap(), text("x; y"));

    let mut a = acc("listagg", &[DataType::Utf8]);
    a.update_batch(&[strs(&[None, None])]).unwrap();
    assert_eq!(a.evaluate().unwrap(), ScalarValue::Utf8(None));
}

#[test]
fn listagg_retract_keeps_order() {
    let mut a = acc("listagg", &[DataType::Utf8]);
    assert!(a.supports_retract_batch());
    a.update_batch(&[strs(&[Some("a"), Some("b"), Some("a"), Some("c")])]).unwrap();
    a.retract_batch(&[strs(&[Some("a")])]).unwrap();
    assert_eq!(a.evaluate().unwrap(), text("b,a,c"));
    a.retract_batch(&[strs(&[Some("b"), Some("a"), Some("c")])]).unwrap();
    assert_eq!(a.evaluate().unwrap(), ScalarValue::Utf8(None));
    // A retraction arriving before its value cancels it.
    a.retract_batch(&[strs(&[Some("z")])]).unwrap();
    a.update_batch(&[strs(&[Some("z"), Some("q")])]).unwrap();
    assert_eq!(a.evaluate().unwrap(), text("q"));
}

#[test]
fn listagg_state_merge() {
    let mut a = acc("listagg", &[DataType::Utf8, DataType::Utf8]);
    a.update_batch(&[strs(&[Some("a")]), strs(&[Some("|")])]).unwrap();
    let mut b = acc("listagg", &[DataType::Utf8, DataType::Utf8]);
    b.update_batch(&[strs(&[Some("b"), Some("c")]), strs(&[Some("|"), Some("|")])]).unwrap();
    let state: Vec<ArrayRef> = b.state().unwrap().into_iter().map(|s| s.to_array().unwrap()).collect();
    a.merge_batch(&state).unwrap();
    assert_eq!(a.evaluate().unwrap(), text("a|b|c"));
}

#[test]
fn first_and_last_value_skip_nulls() {
    let mut first = acc("first_value", &[DataType::Int64]);
    let mut last = acc("last_value", &[DataType::Int64]);
    assert_eq!(first.evaluate().unwrap(), ScalarValue::Int64(None));
    for a in [&mut first, &mut last] {
        a.update_batch(&[ints(&[None, Some(3), Some(5), None])]).unwrap();
    }
    assert_eq!(first.evaluate().unwrap(), ScalarValue::Int64(Some(3)));
    assert_eq!(last.evaluate().unwrap(), ScalarValue::Int64(Some(5)));
    for a in [&mut first, &mut last] {
        a.update_batch(&[ints(&[Some(7), None])]).unwrap();
    }
    assert_eq!(first.evaluate().unwrap(), ScalarValue::Int64(Some(3)));
    assert_eq!(last.evaluate().unwrap(), ScalarValue::Int64(Some(7)));
    // Retraction: removing 3 and 7 leaves 5 for both.
    for a in [&mut first, &mut last] {
        a.retract_batch(&[ints(&[Some(3), Some(7)])]).unwrap();
    }
    assert_eq!(first.evaluate().unwrap(), ScalarValue::Int64(Some(5)));
    assert_eq!(last.evaluate().unwrap(), ScalarValue::Int64(Some(5)));
}

#[test]
fn datafusion_first_value_differs() {
    // Why FIRST_VALUE is replaced: DataFusion's returns the first row's value even if NULL.
    let f = datafusion_functions_aggregate::first_last::first_value_udaf();
    let schema = Schema::empty();
    let fields = vec![Arc::new(Field::new("x", DataType::Int64, true))];
    let mut a = f
        .accumulator(AccumulatorArgs {
            return_field: Arc::new(Field::new("f", DataType::Int64, true)),
            schema: &schema,
            ignore_nulls: false,
            order_bys: &[],
            is_reversed: false,
            name: "first_value",
            is_distinct: false,
            exprs: &[],
            expr_fields: &fields,
        })
        .unwrap();
    a.update_batch(&[ints(&[None, Some(3)])]).unwrap();
    assert_eq!(a.evaluate().unwrap(), ScalarValue::Int64(None));
}

/// The elements of a COLLECT result (a MULTISET held as a list), sorted.
fn multiset(v: ScalarValue) -> Vec<Option<i64>> {
    let ScalarValue::List(list) = v else { panic!("a list: {v:?}") };
    assert!(!list.is_null(0), "COLLECT is never NULL");
    let values = list.value(0);
    let values = values.as_any().downcast_ref::<Int64Array>().expect("BIGINT elements");
    let mut out: Vec<Option<i64>> = values.iter().collect();
    out.sort();
    out
}

#[test]
fn collect_keeps_every_non_null_value_and_retracts_one_copy() {
    let mut a = acc("collect", &[DataType::Int64]);
    assert_eq!(multiset(a.evaluate().unwrap()), vec![], "empty, not NULL");
    a.update_batch(&[ints(&[Some(3), None, Some(1), Some(3)])]).unwrap();
    assert_eq!(multiset(a.evaluate().unwrap()), vec![Some(1), Some(3), Some(3)]);
    a.retract_batch(&[ints(&[Some(3)])]).unwrap();
    assert_eq!(multiset(a.evaluate().unwrap()), vec![Some(1), Some(3)]);
    // A retraction ahead of its value cancels it when it comes.
    a.retract_batch(&[ints(&[Some(7)])]).unwrap();
    a.update_batch(&[ints(&[Some(7), Some(7)])]).unwrap();
    assert_eq!(multiset(a.evaluate().unwrap()), vec![Some(1), Some(3), Some(7)]);
    // The state restores the same multiset, pending retractions included.
    let state: Vec<ArrayRef> = a.state().unwrap().into_iter().map(|s| s.to_array().unwrap()).collect();
    let mut b = acc("collect", &[DataType::Int64]);
    b.merge_batch(&state).unwrap();
    b.retract_batch(&[ints(&[Some(1), Some(9)])]).unwrap();
    b.update_batch(&[ints(&[Some(9)])]).unwrap();
    assert_eq!(multiset(b.evaluate().unwrap()), vec![Some(3), Some(7)]);
}
