//! Flink numeric, conditional and JSON functions.

use crate::functions_common;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Int32Type, Schema};
use datafusion_common::{DFSchema, ScalarValue};
use datafusion_expr::execution_props::ExecutionProps;
use datafusion_expr::simplify::{ExprSimplifyResult, SimplifyContext};
use datafusion_expr::{col, lit, ColumnarValue, Expr};
use functions_common::*;

fn o(s: &str) -> Option<String> {
    Some(s.to_string())
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[test]
fn modulo_follows_java_remainder() {
    assert_eq!(ci("mod", vec![i(7), i(3)]), Some(1));
    assert_eq!(ci("mod", vec![i(-7), i(3)]), Some(-1));
    assert_eq!(ci("mod", vec![i(7), i(-3)]), Some(1));
    assert_eq!(ci("mod", vec![null_i(), i(3)]), None);
    assert!(try_call("mod", vec![i(7), i(0)]).is_err());
    assert_eq!(cf("mod", vec![f(7.5), f(2.0)]), Some(1.5));
    assert_eq!(cf("mod", vec![f(-7.5), f(2.0)]), Some(-1.5));
    // The result has the type of the divisor.
    assert_eq!(call("mod", vec![i(7), ScalarValue::Int32(Some(4))]), ScalarValue::Int32(Some(3)));
}

#[test]
fn power_log() {
    assert_eq!(cf("power", vec![i(2), i(10)]), Some(1024.0));
    assert_eq!(cf("power", vec![i(2), i(-1)]), Some(0.5));
    assert_eq!(cf("log", vec![f(1.0)]), Some(0.0));
    assert!(close(cf("log", vec![f(std::f64::consts::E)]), 1.0));
    assert!(close(cf("log", vec![f(100.0)]), 4.605170185988092));
    assert!(close(cf("log", vec![f(2.0), f(8.0)]), 3.0));
    assert!(close(cf("log", vec![f(10.0), f(1000.0)]), 3.0));
    assert_eq!(cf("log", vec![f(0.0)]), Some(f64::NEG_INFINITY));
    assert_eq!(cf("log", vec![ScalarValue::Float64(None)]), None);
}

#[test]
fn rand_functions() {
    assert!(cf("rand", vec![i(4242_4242_4242)]).is_some_and(|v| (0.0..1.0).contains(&v)));
    let v = cf("rand", vec![]).unwrap();
    assert!((0.0..1.0).contains(&v));
    let bounds: ArrayRef = Arc::new(Int64Array::from(vec![10; 200]));
    let out = call_arrays("rand_integer", vec![bounds]);
    let out = out.as_primitive::<Int32Type>();
    assert!(out.iter().all(|v| v.is_some_and(|v| (0..10).contains(&v))));
    assert!(out.iter().any(|v| v != out.iter().next().unwrap()));
    assert!(try_call("rand_integer", vec![i(0)]).is_err());
}

#[test]
fn seeded_rand_is_java_random() {
    // new java.util.Random(42).nextDouble() == 0.7275636800328681
    assert_eq!(cf("rand", vec![i(42)]), Some(0.7275636800328681));
}

#[test]
fn bin_hex_truncate() {
    assert_eq!(cs("bin", vec![i(12)]), o("1100"));
    assert_eq!(cs("bin", vec![i(-1)]), Some("1".repeat(64)));
    assert_eq!(cs("bin", vec![null_i()]), None);
    assert_eq!(cs("hex", vec![i(255)]), o("FF"));
    assert_eq!(cs("hex", vec![i(-1)]), o("FFFFFFFFFFFFFFFF"));
    assert_eq!(cs("hex", vec![s("abc")]), o("616263"));
    assert_eq!(cf("truncate", vec![f(42.345), i(2)]), Some(42.34));
    assert_eq!(cf("truncate", vec![f(42.345)]), Some(42.0));
    assert_eq!(cf("truncate", vec![f(-42.345), i(1)]), Some(-42.3));
    assert_eq!(cf("truncate", vec![f(0.29), i(2)]), Some(0.29));
    assert_eq!(ci("truncate", vec![i(1234), i(-2)]), Some(1200));
    assert_eq!(ci("truncate", vec![i(-1234), i(-2)]), Some(-1200));
    assert_eq!(
        call("truncate", vec![ScalarValue::Decimal128(Some(123456), 10, 3), i(1)]),
        ScalarValue::Decimal128(Some(123400), 10, 3)
    );
    assert_eq!(cf("truncate", vec![ScalarValue::Float64(None), i(1)]), None);
}

#[test]
fn if_function() {
    assert_eq!(ci("if", vec![b(true), i(1), i(2)]), Some(1));
    assert_eq!(ci("if", vec![b(false), i(1), i(2)]), Some(2));
    assert_eq!(ci("if", vec![ScalarValue::Boolean(None), i(1), i(2)]), Some(2));
    // Branches are coerced to a common type.
    assert_eq!(call("if", vec![b(true), ScalarValue::Int32(Some(1)), i(2)]), i(1));
    assert_eq!(cs("if", vec![b(false), s("a"), null_s()]), None);
}

#[test]
fn if_simplifies_to_lazy_case() {
    let f = udf("if");
    let args = vec![lit(true), lit(1i64), lit(2i64)];
    match f.simplify(args, &SimplifyContext::default()).unwrap() {
        ExprSimplifyResult::Simplified(Expr::Case(c)) => {
            assert_eq!(c.when_then_expr.len(), 1);
            assert_eq!(*c.else_expr.unwrap(), lit(2i64));
        }
        other => panic!("expected CASE, got {other:?}"),
    }
}

#[test]
fn physical_expression_over_batch() {
    let schema =
        Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, true), Field::new("n", DataType::Int64, true)]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(arrow::array::StringArray::from(vec![Some("Jack,John"), Some("a"), None])),
            Arc::new(Int64Array::from(vec![Some(1), Some(1), Some(0)])),
        ],
    )
    .unwrap();
    let expr = udf("split_index").call(vec![col("s"), lit(","), col("n")]);
    let df_schema = DFSchema::try_from(schema.as_ref().clone()).unwrap();
    let phys = datafusion_physical_expr::create_physical_expr(
        &expr,
        &df_schema,
        &ExecutionProps::new(),
        &datafusion_expr::physical_planning_context::PhysicalPlanningContext::default(),
    )
    .unwrap();
    let ColumnarValue::Array(out) = phys.evaluate(&batch).unwrap() else { panic!("array expected") };
    let out = out.as_string::<i32>();
    assert_eq!(out.value(0), "John");
    assert!(out.is_null(1));
    assert!(out.is_null(2));
}

#[test]
fn json_value() {
    assert_eq!(cs("json_value", vec![s(r#"{"a": {"b": 1}}"#), s("$.a.b")]), o("1"));
    assert_eq!(cs("json_value", vec![s(r#"{"a": {"b": 1}}"#), s("$.a")]), None);
    assert_eq!(cs("json_value", vec![s(r#"{"a": 1}"#), s("$.c")]), None);
    assert_eq!(cs("json_value", vec![s(r#"{"a": 1"#), s("$.a")]), None);
    assert_eq!(cs("json_value", vec![s(r#"{"s": "x y"}"#), s("$.s")]), o("x y"));
    assert_eq!(cs("json_value", vec![s(r#"{"d": 1.0}"#), s("$.d")]), o("1.0"));
    assert_eq!(cs("json_value", vec![s(r#"{"d": 1.5e10}"#), s("$.d")]), o("1.5E10"));
    assert_eq!(cs("json_value", vec![s(r#"{"t": true}"#), s("$.t")]), o("true"));
    assert_eq!(cs("json_value", vec![s(r#"{"n": null}"#), s("$.n")]), None);
    assert_eq!(cs("json_value", vec![s(r#"{"a": [10, 20]}"#), s("$.a[1]")]), o("20"));
    assert_eq!(cs("json_value", vec![s(r#"{"a": [10, 20]}"#), s("$['a'][0]")]), o("10"));
    assert_eq!(cs("json_value", vec![s(r#"{"a": [10, 20]}"#), s("lax $.a[0]")]), o("10"));
    assert_eq!(cs("json_value", vec![s(r#"{"a": [10, 20]}"#), s("$.a[*]")]), None);
    assert_eq!(cs("json_value", vec![null_s(), s("$.a")]), None);
}

#[test]
fn json_query() {
    let doc = r#"{"a": {"c": 1, "b": [1, 2]}}"#;
    assert_eq!(cs("json_query", vec![s(doc), s("$.a")]), o(r#"{"c":1,"b":[1,2]}"#));
    assert_eq!(cs("json_query", vec![s(doc), s("$.a.b")]), o("[1,2]"));
    assert_eq!(cs("json_query", vec![s(doc), s("$.a.c")]), None);
    assert_eq!(cs("json_query", vec![s(doc), s("$.z")]), None);
    assert_eq!(cs("json_query", vec![s(r#"{"a": [{"x": 1}, {"x": "y"}]}"#), s("$.a[*].x")]), o(r#"[1,"y"]"#));
    assert_eq!(cs("json_query", vec![s("not json"), s("$")]), None);
}

#[test]
fn json_exists() {
    assert_eq!(cb("json_exists", vec![s(r#"{"a": true}"#), s("$.a")]), Some(true));
    assert_eq!(cb("json_exists", vec![s(r#"{"a": true}"#), s("$.b")]), Some(false));
    assert_eq!(cb("json_exists", vec![s(r#"{"a": [{"b": 1}]}"#), s("$.a[0].b")]), Some(true));
    assert_eq!(cb("json_exists", vec![s(r#"{"a": true}"#), s("strict $.b")]), Some(false));
    assert_eq!(cb("json_exists", vec![s("{"), s("$.a")]), Some(false));
    assert_eq!(cb("json_exists", vec![null_s(), s("$.a")]), None);
}
