//! Helpers for invoking the Flink UDFs through DataFusion's `invoke_with_args`.
#![allow(dead_code)]

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Field};
use datafusion_common::config::ConfigOptions;
use datafusion_common::ScalarValue;
use datafusion_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF};
use weir_sql::functions::{flink_scalar_functions, flink_scalar_functions_with, FunctionConfig};

pub fn udf(name: &str) -> Arc<ScalarUDF> {
    udf_with(name, FunctionConfig::default())
}

pub fn udf_with(name: &str, cfg: FunctionConfig) -> Arc<ScalarUDF> {
    flink_scalar_functions_with(cfg).into_iter().find(|f| f.name() == name).unwrap_or_else(|| panic!("no {name}"))
}

pub fn invoke(f: &ScalarUDF, args: Vec<ColumnarValue>, rows: usize) -> datafusion_common::Result<ColumnarValue> {
    let types: Vec<DataType> = args.iter().map(|a| a.data_type()).collect();
    let coerced = f.coerce_types(&types)?;
    let ret = f.return_type(&coerced)?;
    let arg_fields =
        types.iter().enumerate().map(|(i, t)| Arc::new(Field::new(format!("a{i}"), t.clone(), true))).collect();
    f.invoke_with_args(ScalarFunctionArgs {
        args,
        arg_fields,
        number_rows: rows,
        return_field: Arc::new(Field::new("r", ret, true)),
        config_options: Arc::new(ConfigOptions::default()),
    })
}

/// Calls a function on scalar arguments.
pub fn call(name: &str, args: Vec<ScalarValue>) -> ScalarValue {
    try_call(name, args).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub fn try_call(name: &str, args: Vec<ScalarValue>) -> datafusion_common::Result<ScalarValue> {
    call_with(name, FunctionConfig::default(), args)
}

pub fn call_with(name: &str, cfg: FunctionConfig, args: Vec<ScalarValue>) -> datafusion_common::Result<ScalarValue> {
    match invoke(&udf_with(name, cfg), args.into_iter().map(ColumnarValue::Scalar).collect(), 1)? {
        ColumnarValue::Scalar(s) => Ok(s),
        ColumnarValue::Array(a) => ScalarValue::try_from_array(&a, 0),
    }
}

/// Calls a function on array arguments.
pub fn call_arrays(name: &str, args: Vec<ArrayRef>) -> ArrayRef {
    let rows = args[0].len();
    match invoke(&udf(name), args.into_iter().map(ColumnarValue::Array).collect(), rows).expect(name) {
        ColumnarValue::Array(a) => a,
        ColumnarValue::Scalar(s) => s.to_array_of_size(rows).unwrap(),
    }
}

pub fn s(v: &str) -> ScalarValue {
    ScalarValue::Utf8(Some(v.to_string()))
}
pub fn null_s() -> ScalarValue {
    ScalarValue::Utf8(None)
}
pub fn i(v: i64) -> ScalarValue {
    ScalarValue::Int64(Some(v))
}
pub fn null_i() -> ScalarValue {
    ScalarValue::Int64(None)
}
pub fn f(v: f64) -> ScalarValue {
    ScalarValue::Float64(Some(v))
}
pub fn b(v: bool) -> ScalarValue {
    ScalarValue::Boolean(Some(v))
}

/// Call returning an optional string.
pub fn cs(name: &str, args: Vec<ScalarValue>) -> Option<String> {
    match call(name, args) {
        ScalarValue::Utf8(v) => v,
        other => panic!("{name}: expected Utf8, got {other:?}"),
    }
}

/// Call returning an optional integer (any integer width).
pub fn ci(name: &str, args: Vec<ScalarValue>) -> Option<i64> {
    match call(name, args) {
        ScalarValue::Int64(v) => v,
        ScalarValue::Int32(v) => v.map(i64::from),
        other => panic!("{name}: expected integer, got {other:?}"),
    }
}

pub fn cb(name: &str, args: Vec<ScalarValue>) -> Option<bool> {
    match call(name, args) {
        ScalarValue::Boolean(v) => v,
        other => panic!("{name}: expected boolean, got {other:?}"),
    }
}

pub fn cf(name: &str, args: Vec<ScalarValue>) -> Option<f64> {
    match call(name, args) {
        ScalarValue::Float64(v) => v,
        other => panic!("{name}: expected double, got {other:?}"),
    }
}

pub fn names() -> Vec<String> {
    flink_scalar_functions().iter().map(|f| f.name().to_string()).collect()
}
