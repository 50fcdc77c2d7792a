//! Flink's print rendering and Java's number formatting.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int32Array,
    Int64Array, ListArray, MapBuilder, StringArray, StringBuilder, StructArray, Time32MillisecondArray,
    Time32SecondArray, TimestampMicrosecondArray, TimestampMillisecondArray, TimestampSecondArray,
};
use arrow::datatypes::{DataType, Field, Fields, Int32Type, Schema};
use arrow::record_batch::RecordBatch;
use weir_sql::changelog::RowKind;
use weir_sql::format::{java_double, java_float, print_row, render_value};

fn d(x: f64) -> String {
    let mut s = String::new();
    java_double(x, &mut s);
    s
}

fn f(x: f32) -> String {
    let mut s = String::new();
    java_float(x, &mut s);
    s
}

#[test]
fn java_double_to_string() {
    assert_eq!(d(0.1), "0.1");
    assert_eq!(d(100.0), "100.0");
    assert_eq!(d(1.0), "1.0");
    assert_eq!(d(1e7), "1.0E7");
    assert_eq!(d(9_999_999.0), "9999999.0");
    assert_eq!(d(1e-4), "1.0E-4");
    assert_eq!(d(0.001), "0.001");
    assert_eq!(d(1.2345e-4), "1.2345E-4");
    assert_eq!(d(123_456.789), "123456.789");
    assert_eq!(d(-0.0), "-0.0");
    assert_eq!(d(0.0), "0.0");
    assert_eq!(d(-2.5), "-2.5");
    assert_eq!(d(12_345_678.9), "1.23456789E7");
    assert_eq!(d(1e21), "1.0E21");
    assert_eq!(d(1.0 / 3.0), "0.3333333333333333");
    assert_eq!(d(f64::NAN), "NaN");
    assert_eq!(d(f64::INFINITY), "Infinity");
    assert_eq!(d(f64::NEG_INFINITY), "-Infinity");
    assert_eq!(d(f64::MAX), "1.7976931348623157E308");
    assert_eq!(d(f64::MIN_POSITIVE), "2.2250738585072014E-308");
}

#[test]
fn java_float_to_string() {
    assert_eq!(f(0.1), "0.1");
    assert_eq!(f(1.5), "1.5");
    assert_eq!(f(1e10), "1.0E10");
    assert_eq!(f(3.4028235e38), "3.4028235E38");
    assert_eq!(f(1.0e-5), "1.0E-5");
    assert_eq!(f(-0.0), "-0.0");
    assert_eq!(f(f32::NAN), "NaN");
}

#[test]
fn prints_rows_as_flink() {
    let s = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("ts", DataType::Timestamp(arrow::datatypes::TimeUnit::Millisecond, None), true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![Some(1001), None])),
        Arc::new(StringArray::from(vec![Some("Alice"), Some("")])),
        Arc::new(TimestampMillisecondArray::from(vec![Some(1_704_067_200_190), Some(-1)])),
    ];
    let b = RecordBatch::try_new(s, cols).unwrap();
    let mut out = String::new();
    print_row(&b, 0, RowKind::Insert, &mut out);
    assert_eq!(out, "+I[1001, Alice, 2024-01-01 00:00:00.190]");
    out.clear();
    print_row(&b, 1, RowKind::UpdateBefore, &mut out);
    assert_eq!(out, "-U[null, , 1969-12-31 23:59:59.999]");
    out.clear();
    print_row(&b, 0, RowKind::Delete, &mut out);
    assert!(out.starts_with("-D[1001, "));
}

fn one(a: ArrayRef, row: usize) -> String {
    let mut s = String::new();
    render_value(a.as_ref(), row, &mut s);
    s
}

#[test]
fn renders_each_type() {
    let dec: ArrayRef =
        Arc::new(Decimal128Array::from(vec![Some(150), Some(-5), Some(0)]).with_precision_and_scale(10, 2).unwrap());
    assert_eq!(one(dec.clone(), 0), "1.50");
    assert_eq!(one(dec.clone(), 1), "-0.05");
    assert_eq!(one(dec, 2), "0.00");
    assert_eq!(one(Arc::new(Float64Array::from(vec![1e-4])), 0), "1.0E-4");
    assert_eq!(one(Arc::new(Float32Array::from(vec![0.1f32])), 0), "0.1");
    assert_eq!(one(Arc::new(BooleanArray::from(vec![true, false])), 1), "false");
    assert_eq!(one(Arc::new(Date32Array::from(vec![19_782])), 0), "2024-02-29");
    assert_eq!(one(Arc::new(Time32MillisecondArray::from(vec![45_296_000])), 0), "12:34:56");
    assert_eq!(one(Arc::new(Time32MillisecondArray::from(vec![45_296_007])), 0), "12:34:56.007");
    assert_eq!(one(Arc::new(Time32SecondArray::from(vec![59])), 0), "00:00:59");
    assert_eq!(one(Arc::new(TimestampMicrosecondArray::from(vec![1_000_001])), 0), "1970-01-01 00:00:01.000001");
    assert_eq!(one(Arc::new(TimestampSecondArray::from(vec![86_400])), 0), "1970-01-02 00:00:00");
    assert_eq!(
        one(Arc::new(TimestampMillisecondArray::from(vec![1_704_067_200_000]).with_timezone("UTC")), 0),
        "2024-01-01 00:00:00.000"
    );
    assert_eq!(one(Arc::new(BinaryArray::from(vec![&[1u8, 0xab][..]])), 0), "x'01ab'");
    assert_eq!(one(Arc::new(Int32Array::from(vec![None, Some(1)])), 0), "null");

    let list: ArrayRef =
        Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1), None, Some(3)])]));
    assert_eq!(one(list, 0), "[1, null, 3]");

    let fields = Fields::from(vec![Field::new("a", DataType::Int32, true), Field::new("b", DataType::Utf8, true)]);
    let row: ArrayRef = Arc::new(StructArray::new(
        fields,
        vec![Arc::new(Int32Array::from(vec![1])), Arc::new(StringArray::from(vec!["abc"]))],
        None,
    ));
    assert_eq!(one(row, 0), "(1, abc)");

    let mut mb = MapBuilder::new(None, StringBuilder::new(), arrow::array::Int32Builder::new());
    mb.keys().append_value("k");
    mb.values().append_value(1);
    mb.keys().append_value("k2");
    mb.values().append_null();
    mb.append(true).unwrap();
    let map: ArrayRef = Arc::new(mb.finish());
    assert_eq!(one(map, 0), "{k=1, k2=null}");
}
