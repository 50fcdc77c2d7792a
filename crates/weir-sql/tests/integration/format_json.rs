//! The json format: options, decoding with Flink's rules, encoding as Flink writes.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int16Array, Int32Array, Int64Array, Int8Array, ListArray, StringArray, StructArray, Time32MillisecondArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Field, Fields, Int32Type, Int64Type, Schema, SchemaRef,
    Time32MillisecondType, TimeUnit, TimestampMillisecondType,
};
use arrow::record_batch::RecordBatch;
use weir_sql::error::ErrorKind;
use weir_sql::format::{FormatKind, FormatOptions, RowDecoder, RowEncoder, TimestampStandard};

fn opts(format: &str, kv: &[(&str, &str)]) -> FormatOptions {
    let kv: Vec<(String, String)> = kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    FormatOptions::from_options(format, &kv).unwrap()
}

fn schema(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

fn ts3() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, None)
}

fn ltz3() -> DataType {
    DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))
}

fn origin() -> String {
    "file /d/x.jsonl, line 17".to_string()
}

fn decode(schema: &SchemaRef, o: FormatOptions, lines: &[&str]) -> Result<(RecordBatch, u64), String> {
    let mut d = RowDecoder::new(schema.clone(), o).map_err(|e| e.to_string())?;
    for l in lines {
        d.decode_line(l.as_bytes(), &origin).map_err(|e| e.message)?;
    }
    let skipped = d.skipped();
    let b = d.flush().map_err(|e| e.to_string())?.expect("rows");
    Ok((b, skipped))
}

// 2025-01-01T00:00:00Z in epoch milliseconds
const NEW_YEAR_2025_MS: i64 = 1_735_689_600_000;

#[test]
fn decodes_hop_clicks_lines() {
    let s = schema(vec![
        Field::new("user", DataType::Utf8, true),
        Field::new("page", DataType::Utf8, true),
        Field::new("ms", DataType::Int32, true),
        Field::new("ts", ts3(), true),
    ]);
    let lines = [
        r#"{"user": "dev", "page": "/help", "ms": 521, "ts": "2024-12-31 23:59:58.476"}"#,
        r#"{"user": "bo", "page": "/help", "ms": 645, "ts": "2025-01-01 00:00:02.228"}"#,
        "{\"user\": \"eli\", \"page\": \"/\", \"ms\": 610, \"ts\": \"2025-01-01 00:00:03.875\"}\n",
    ];
    let (b, skipped) = decode(&s, opts("json", &[]), &lines).unwrap();
    assert_eq!(skipped, 0);
    assert_eq!(b.num_rows(), 3);
    let user = b.column(0).as_string::<i32>();
    assert_eq!((user.value(0), user.value(1), user.value(2)), ("dev", "bo", "eli"));
    assert_eq!(b.column(1).as_string::<i32>().value(2), "/");
    let ms = b.column(2).as_primitive::<Int32Type>();
    assert_eq!(ms.values().to_vec(), vec![521, 645, 610]);
    let ts = b.column(3).as_primitive::<TimestampMillisecondType>();
    assert_eq!(ts.value(0), NEW_YEAR_2025_MS - 1524);
    assert_eq!(ts.value(1), NEW_YEAR_2025_MS + 2228);
    assert_eq!(ts.value(2), NEW_YEAR_2025_MS + 3875);
    assert_eq!(b.schema(), s);
}

fn all_types_schema() -> SchemaRef {
    schema(vec![
        Field::new("t", DataType::Int8, true),
        Field::new("s", DataType::Int16, true),
        Field::new("i", DataType::Int32, true),
        Field::new("b", DataType::Int64, true),
        Field::new("f", DataType::Float32, true),
        Field::new("d", DataType::Float64, true),
        Field::new("dec", DataType::Decimal128(10, 2), true),
        Field::new("ok", DataType::Boolean, true),
        Field::new("str", DataType::Utf8, true),
        Field::new("bin", DataType::Binary, true),
        Field::new("day", DataType::Date32, true),
        Field::new("tod", DataType::Time32(TimeUnit::Millisecond), true),
        Field::new("ts", ts3(), true),
        Field::new("ltz", ltz3(), true),
        Field::new("arr", DataType::List(Arc::new(Field::new("element", DataType::Int32, true))), true),
        Field::new(
            "m",
            DataType::Map(
                Arc::new(Field::new(
                    "entries",
                    DataType::Struct(Fields::from(vec![
                        Field::new("key", DataType::Utf8, false),
                        Field::new("value", DataType::Int64, true),
                    ])),
                    false,
                )),
                false,
            ),
            true,
        ),
        Field::new(
            "r",
            DataType::Struct(Fields::from(vec![
                Field::new("a", DataType::Int32, true),
                Field::new("b", DataType::Utf8, true),
            ])),
            true,
        ),
    ])
}

#[test]
fn decodes_every_type() {
    let s = all_types_schema();
    let line = r#"{"t": -5, "s": "300", "i": "123", "b": 9007199254740993, "f": 1.5, "d": "2.5e3",
        "dec": 12.345, "ok": "true", "str": 42, "bin": "AQID", "day": "2024-02-29", "tod": "12:34:56",
        "ts": "2024-01-01 00:00:00.5", "ltz": "2024-01-01 00:00:00.5Z", "arr": [1, null, 3],
        "m": {"x": 1, "y": null}, "r": {"b": "bee", "a": 7}}"#
        .replace('\n', " ");
    let (b, _) = decode(&s, opts("json", &[]), &[&line]).unwrap();
    assert_eq!(b.column(0).as_any().downcast_ref::<Int8Array>().unwrap().value(0), -5);
    assert_eq!(b.column(1).as_any().downcast_ref::<Int16Array>().unwrap().value(0), 300);
    assert_eq!(b.column(2).as_any().downcast_ref::<Int32Array>().unwrap().value(0), 123);
    // beyond f64's exact range: must be read as an integer, not through a double
    assert_eq!(b.column(3).as_any().downcast_ref::<Int64Array>().unwrap().value(0), 9_007_199_254_740_993);
    assert_eq!(b.column(4).as_any().downcast_ref::<Float32Array>().unwrap().value(0), 1.5);
    assert_eq!(b.column(5).as_any().downcast_ref::<Float64Array>().unwrap().value(0), 2500.0);
    // 12.345 rounded HALF_UP to scale 2 = 12.35 -> unscaled 1235
    let dec = b.column(6).as_primitive::<Decimal128Type>();
    assert_eq!(dec.value(0), 1235);
    assert_eq!(dec.data_type(), &DataType::Decimal128(10, 2));
    assert!(b.column(7).as_any().downcast_ref::<BooleanArray>().unwrap().value(0));
    assert_eq!(b.column(8).as_string::<i32>().value(0), "42");
    assert_eq!(b.column(9).as_any().downcast_ref::<BinaryArray>().unwrap().value(0), &[1u8, 2, 3]);
    // 2024-01-01 is day 19723; Feb 29 is 59 days later
    assert_eq!(b.column(10).as_primitive::<Date32Type>().value(0), 19_782);
    assert_eq!(b.column(11).as_primitive::<Time32MillisecondType>().value(0), 45_296_000);
    assert_eq!(b.column(12).as_primitive::<TimestampMillisecondType>().value(0), 1_704_067_200_500);
    let ltz = b.column(13).as_primitive::<TimestampMillisecondType>();
    assert_eq!(ltz.value(0), 1_704_067_200_500);
    assert_eq!(ltz.timezone(), Some("UTC"));
    let arr = b.column(14).as_list::<i32>();
    let inner = arr.value(0);
    let inner = inner.as_primitive::<Int32Type>();
    assert_eq!(inner.len(), 3);
    assert_eq!((inner.value(0), inner.is_null(1), inner.value(2)), (1, true, 3));
    let m = b.column(15).as_map();
    assert_eq!(m.value_length(0), 2);
    assert_eq!(m.keys().as_string::<i32>().value(0), "x");
    assert_eq!(m.keys().as_string::<i32>().value(1), "y");
    assert_eq!(m.values().as_primitive::<Int64Type>().value(0), 1);
    assert!(m.values().is_null(1));
    let r = b.column(16).as_struct();
    assert_eq!(r.column(0).as_primitive::<Int32Type>().value(0), 7);
    assert_eq!(r.column(1).as_string::<i32>().value(0), "bee");
}

#[test]
fn flink_coercions() {
    let s = schema(vec![
        Field::new("i", DataType::Int32, true),
        Field::new("dec", DataType::Decimal128(4, 2), true),
        Field::new("str", DataType::Utf8, true),
        Field::new("ok", DataType::Boolean, true),
    ]);
    let lines = [
        // a JSON number with a fraction is truncated for INT (Jackson's asInt)
        r#"{"i": 7.9, "dec": "-0.005", "str": {"x": [1, 2], "y": "a\"b"}, "ok": "yes"}"#,
        // DECIMAL(4, 2) cannot hold 123.45: Flink reads NULL
        r#"{"i": -7, "dec": 123.45, "str": true, "ok": false}"#,
    ];
    let (b, _) = decode(&s, opts("json", &[]), &lines).unwrap();
    let i = b.column(0).as_primitive::<Int32Type>();
    assert_eq!((i.value(0), i.value(1)), (7, -7));
    let dec = b.column(1).as_primitive::<Decimal128Type>();
    assert_eq!(dec.value(0), -1, "-0.005 HALF_UP to 2 places is -0.01");
    assert!(dec.is_null(1));
    let st = b.column(2).as_string::<i32>();
    assert_eq!(st.value(0), r#"{"x":[1,2],"y":"a\"b"}"#);
    assert_eq!(st.value(1), "true");
    // Boolean.parseBoolean: only "true" is true
    let ok = b.column(3).as_any().downcast_ref::<BooleanArray>().unwrap();
    assert!(!ok.value(0));
    assert!(!ok.value(1));
}

#[test]
fn missing_extra_and_null_fields() {
    let s = schema(vec![
        Field::new("a", DataType::Int64, true),
        Field::new("b", DataType::Utf8, true),
        Field::new("c", DataType::Float64, true),
    ]);
    let lines = [
        r#"{"b": "x", "zzz": {"deep": [1, {"k": null}]}, "a": 1}"#,
        r#"{"a": null, "b": null, "c": null}"#,
        r#"{}"#,
        r#"{"A": 5, "c": 1e2}"#,
    ];
    let (b, _) = decode(&s, opts("json", &[]), &lines).unwrap();
    assert_eq!(b.num_rows(), 4);
    let a = b.column(0).as_primitive::<Int64Type>();
    assert_eq!(a.value(0), 1);
    assert!(a.is_null(1) && a.is_null(2));
    assert!(a.is_null(3), "field names match case-sensitively");
    let c = b.column(2).as_any().downcast_ref::<Float64Array>().unwrap();
    assert!(c.is_null(0) && c.is_null(1) && c.is_null(2));
    assert_eq!(c.value(3), 100.0);
    assert_eq!(b.column(1).as_string::<i32>().value(0), "x");
    assert!(b.column(1).is_null(1));
}

#[test]
fn fail_on_missing_field() {
    let s = schema(vec![Field::new("a", DataType::Int64, true), Field::new("b", DataType::Utf8, true)]);
    let err = decode(&s, opts("json", &[("json.fail-on-missing-field", "true")]), &[r#"{"a": 1}"#]).unwrap_err();
    assert!(err.contains("Could not find field with name 'b'"), "{err}");
}

#[test]
fn malformed_record_names_place_and_shows_it() {
    let s = schema(vec![Field::new("a", DataType::Int64, true)]);
    let mut d = RowDecoder::new(s.clone(), opts("json", &[])).unwrap();
    d.decode_line(br#"{"a": 1}"#, &origin).unwrap();
    let err = d.decode_line(br#"{"a": 2"#, &origin).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Execution);
    assert!(err.message.contains("file /d/x.jsonl, line 17"), "{}", err.message);
    assert!(err.message.contains(r#"{"a": 2"#), "{}", err.message);
    // the good row before is still there, the bad one left nothing
    assert_eq!(d.len(), 1);
    let err = d.decode_line(br#"{"a": "twelve"}"#, &origin).unwrap_err();
    assert!(err.message.contains("field 'a'") && err.message.contains("twelve"), "{}", err.message);
    let b = d.flush().unwrap().unwrap();
    assert_eq!(b.num_rows(), 1);
    assert_eq!(d.flush().unwrap(), None);

    // a long record is shown cut to 200 characters
    let long = format!(r#"{{"a": 1, "pad": "{}", oops}}"#, "x".repeat(500));
    let err = d.decode_line(long.as_bytes(), &origin).unwrap_err();
    let shown = err.message.split("record: ").nth(1).unwrap();
    assert_eq!(shown.chars().count(), 201, "200 characters and an ellipsis");
    assert!(shown.ends_with('…'));
}

#[test]
fn ignore_parse_errors_skips_and_counts() {
    let s = schema(vec![Field::new("a", DataType::Int64, true), Field::new("b", DataType::Utf8, true)]);
    let o = opts("json", &[("json.ignore-parse-errors", "true")]);
    let lines = [
        r#"{"a": 1, "b": "ok"}"#,
        r#"{"a": 2, "b": "#,
        r#"not json at all"#,
        r#"[1, 2]"#,
        // valid JSON, bad value: the field is NULL, the row is kept (Flink's per-field rule)
        r#"{"a": "zwei", "b": "kept"}"#,
        "",
        r#"{"a": 3, "b": "ok"} trailing"#,
    ];
    let (b, skipped) = decode(&s, o, &lines).unwrap();
    assert_eq!(skipped, 4);
    assert_eq!(b.num_rows(), 2);
    let a = b.column(0).as_primitive::<Int64Type>();
    assert_eq!(a.value(0), 1);
    assert!(a.is_null(1));
    assert_eq!(b.column(1).as_string::<i32>().value(1), "kept");
}

#[test]
fn timestamp_standards_are_strict() {
    let s = schema(vec![Field::new("ts", ts3(), true), Field::new("ltz", ltz3(), true)]);
    // SQL (default) refuses the ISO form
    assert!(decode(&s, opts("json", &[]), &[r#"{"ts": "2024-01-01T00:00:00"}"#]).is_err());
    // TIMESTAMP_LTZ wants the Z in SQL mode too
    assert!(decode(&s, opts("json", &[]), &[r#"{"ltz": "2024-01-01 00:00:00"}"#]).is_err());
    let iso = opts("json", &[("json.timestamp-format.standard", "ISO-8601")]);
    assert_eq!(iso.json.timestamp_standard, TimestampStandard::Iso8601);
    assert!(decode(&s, iso.clone(), &[r#"{"ts": "2024-01-01 00:00:00"}"#]).is_err());
    let (b, _) = decode(&s, iso, &[r#"{"ts": "2024-01-01T00:01", "ltz": "2024-01-01T00:00:00.123456Z"}"#]).unwrap();
    assert_eq!(b.column(0).as_primitive::<TimestampMillisecondType>().value(0), 1_704_067_260_000);
    assert_eq!(b.column(1).as_primitive::<TimestampMillisecondType>().value(0), 1_704_067_200_123);
    // impossible dates are errors
    assert!(decode(&s, opts("json", &[]), &[r#"{"ts": "2023-02-29 00:00:00"}"#]).is_err());
}

#[test]
fn not_null_column_rejects_null() {
    let s = schema(vec![Field::new("a", DataType::Int64, false)]);
    let err = decode(&s, opts("json", &[]), &[r#"{"a": null}"#]).unwrap_err();
    assert!(err.contains("NOT NULL"), "{err}");
    let err = decode(&s, opts("json", &[]), &[r#"{}"#]).unwrap_err();
    assert!(err.contains("NOT NULL"), "{err}");
}

#[test]
fn options_are_checked() {
    let e = FormatOptions::from_options("json", &[("json.foo".into(), "1".into())]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Option);
    assert!(e.message.starts_with("Unsupported option 'json.foo' for format 'json'; supported: "), "{}", e.message);
    assert!(e.message.contains("json.ignore-parse-errors"), "{}", e.message);
    let e = FormatOptions::from_options("orc", &[]).unwrap_err();
    assert!(e.message.contains("'json', 'csv', 'raw'") && e.message.contains("'avro', 'parquet'"), "{}", e.message);
    let e = FormatOptions::from_options("json", &[("csv.field-delimiter".into(), ";".into())]).unwrap_err();
    assert!(e.message.contains("'csv.field-delimiter'"), "{}", e.message);
    let e = FormatOptions::from_options("json", &[("json.ignore-parse-errors".into(), "yes".into())]).unwrap_err();
    assert!(e.message.contains("'true' or 'false'"), "{}", e.message);
    let both = [
        ("json.ignore-parse-errors".to_string(), "true".to_string()),
        ("json.fail-on-missing-field".to_string(), "true".to_string()),
    ];
    assert!(FormatOptions::from_options("json", &both).is_err());
    let e = FormatOptions::from_options("json", &[("json.timestamp-format.standard".into(), "iso".into())]);
    assert!(e.is_err());
    // connector keys are not the format's business
    let o =
        FormatOptions::from_options("json", &[("connector".into(), "filesystem".into()), ("path".into(), "/x".into())])
            .unwrap();
    assert_eq!(o.kind, FormatKind::Json);
    assert!(!o.json.ignore_parse_errors);
}

fn ms(v: &[Option<i64>]) -> ArrayRef {
    Arc::new(TimestampMillisecondArray::from(v.to_vec()))
}

#[test]
fn encodes_as_flink_json() {
    let s = schema(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("price", DataType::Decimal128(10, 2), true),
        Field::new("ratio", DataType::Float64, true),
        Field::new("ts", ts3(), true),
        Field::new("ltz", ltz3(), true),
        Field::new("day", DataType::Date32, true),
        Field::new("tod", DataType::Time32(TimeUnit::Millisecond), true),
        Field::new("ok", DataType::Boolean, true),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![Some(1), None])),
        Arc::new(StringArray::from(vec![Some("a \"q\" \\ \n ü"), Some("x")])),
        Arc::new(Decimal128Array::from(vec![Some(1250), Some(10000)]).with_precision_and_scale(10, 2).unwrap()),
        Arc::new(Float64Array::from(vec![Some(1e7), Some(f64::NAN)])),
        ms(&[Some(NEW_YEAR_2025_MS + 190), Some(NEW_YEAR_2025_MS)]),
        Arc::new(TimestampMillisecondArray::from(vec![Some(NEW_YEAR_2025_MS + 5), None]).with_timezone("UTC")),
        Arc::new(Date32Array::from(vec![Some(19_782), None])),
        Arc::new(Time32MillisecondArray::from(vec![Some(45_296_000), Some(45_296_500)])),
        Arc::new(BooleanArray::from(vec![Some(true), Some(false)])),
    ];
    let batch = RecordBatch::try_new(s.clone(), cols).unwrap();
    let mut enc = RowEncoder::new(s.clone(), opts("json", &[])).unwrap();
    let mut out = Vec::new();
    enc.encode(&batch, None, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(text.ends_with('\n'));
    assert_eq!(
        lines[0],
        r#"{"id":1,"name":"a \"q\" \\ \n ü","price":12.5,"ratio":1.0E7,"ts":"2025-01-01 00:00:00.19","ltz":"2025-01-01 00:00:00.005Z","day":"2024-02-29","tod":"12:34:56","ok":true}"#
    );
    assert_eq!(
        lines[1],
        r#"{"id":null,"name":"x","price":1E+2,"ratio":"NaN","ts":"2025-01-01 00:00:00","ltz":null,"day":null,"tod":"12:34:56.5","ok":false}"#
    );

    // plain decimals (with the column's scale, as Flink writes them), ISO timestamps, null
    // fields left out
    let o = opts(
        "json",
        &[
            ("json.encode.decimal-as-plain-number", "true"),
            ("json.timestamp-format.standard", "ISO-8601"),
            ("json.encode.ignore-null-fields", "true"),
        ],
    );
    let mut enc = RowEncoder::new(s, o).unwrap();
    let mut out = Vec::new();
    enc.encode(&batch, None, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    let second = text.lines().nth(1).unwrap();
    assert_eq!(
        second,
        r#"{"name":"x","price":100.00,"ratio":"NaN","ts":"2025-01-01T00:00:00","tod":"12:34:56.5","ok":false}"#
    );
    assert!(text.lines().next().unwrap().contains(r#""ltz":"2025-01-01T00:00:00.005Z""#));
}

#[test]
fn encodes_changelog_with_op_and_nested_values() {
    let row_fields = Fields::from(vec![Field::new("a", DataType::Int32, true), Field::new("b", DataType::Utf8, true)]);
    let s = schema(vec![
        Field::new("k", DataType::Utf8, true),
        Field::new("r", DataType::Struct(row_fields.clone()), true),
        Field::new("xs", DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true))), true),
    ]);
    let r = StructArray::new(
        row_fields,
        vec![Arc::new(Int32Array::from(vec![Some(1), None])), Arc::new(StringArray::from(vec![Some("z"), None]))],
        Some(vec![true, false].into()),
    );
    let xs = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1), None]), Some(vec![])]);
    let batch =
        RecordBatch::try_new(s.clone(), vec![Arc::new(StringArray::from(vec!["a", "b"])), Arc::new(r), Arc::new(xs)])
            .unwrap();
    let kinds = Int8Array::from(vec![1, 2]);
    let mut enc = RowEncoder::new(s, opts("json", &[])).unwrap();
    let mut out = Vec::new();
    enc.encode(&batch, Some(&kinds), &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"op\":\"-U\",\"k\":\"a\",\"r\":{\"a\":1,\"b\":\"z\"},\"xs\":[1,null]}\n\
         {\"op\":\"+U\",\"k\":\"b\",\"r\":null,\"xs\":[]}\n"
    );
}

#[test]
fn json_round_trip() {
    let s = all_types_schema();
    let line = r#"{"t":1,"s":2,"i":3,"b":-4,"f":0.25,"d":1.0E-4,"dec":-3.1,"ok":true,"str":"é\t\"","bin":"AAEC/w==","day":"1969-12-31","tod":"00:00:01.25","ts":"1960-06-01 12:00:00.001","ltz":"2024-01-01 00:00:00Z","arr":[],"m":{},"r":{"a":null,"b":"q"}}"#;
    let (b, _) = decode(&s, opts("json", &[]), &[line, r#"{}"#]).unwrap();
    assert_eq!(b.column(10).as_primitive::<Date32Type>().value(0), -1);
    let mut enc = RowEncoder::new(s.clone(), opts("json", &[])).unwrap();
    let mut out = Vec::new();
    enc.encode(&b, None, &mut out).unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    let first = text.lines().next().unwrap();
    // the same text back, except for Flink's decimal form (-3.10 -> -3.1 with zeros stripped)
    assert_eq!(first, line);
    let (b2, _) = decode(&s, opts("json", &[]), &text.lines().collect::<Vec<_>>()).unwrap();
    assert_eq!(b, b2);
    assert_eq!(b2.column(0).null_count(), 1);
}
