//! The csv and raw formats.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Array, Float64Array, Int32Array, ListArray, StringArray,
    TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema, SchemaRef, TimeUnit, TimestampMillisecondType};
use arrow::record_batch::RecordBatch;
use weir_sql::format::{FormatOptions, RowDecoder, RowEncoder};

fn opts(format: &str, kv: &[(&str, &str)]) -> FormatOptions {
    let kv: Vec<(String, String)> = kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    FormatOptions::from_options(format, &kv).unwrap()
}

fn schema(fields: Vec<Field>) -> SchemaRef {
    Arc::new(Schema::new(fields))
}

fn origin() -> String {
    "file /d/in.csv, line 3".to_string()
}

fn decode(s: &SchemaRef, o: FormatOptions, lines: &[&str]) -> Result<(RecordBatch, u64), String> {
    let mut d = RowDecoder::new(s.clone(), o).map_err(|e| e.to_string())?;
    for l in lines {
        d.decode_line(l.as_bytes(), &origin).map_err(|e| e.message)?;
    }
    let skipped = d.skipped();
    Ok((d.flush().map_err(|e| e.to_string())?.expect("rows"), skipped))
}

fn three() -> SchemaRef {
    schema(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name", DataType::Utf8, true),
        Field::new("note", DataType::Utf8, true),
    ])
}

#[test]
fn quoting_and_doubled_quotes() {
    let (b, _) = decode(
        &three(),
        opts("csv", &[]),
        &["1,\"Hello, world\",\"say \"\"hi\"\"\"\r\n", "2,plain,", "# not a comment by default,x,y"],
    )
    .unwrap_err_or_rows();
    assert_eq!(b.num_rows(), 2);
    let name = b.column(1).as_string::<i32>();
    assert_eq!(name.value(0), "Hello, world");
    assert_eq!(b.column(2).as_string::<i32>().value(0), "say \"hi\"");
    assert_eq!(name.value(1), "plain");
    // an empty field is an empty STRING, not NULL
    assert!(!b.column(2).is_null(1));
    assert_eq!(b.column(2).as_string::<i32>().value(1), "");
}

/// The third line above is not a comment without csv.allow-comments, and its id is not a
/// number: an error. This helper checks that and decodes the first two.
trait RowsBeforeError {
    fn unwrap_err_or_rows(self) -> (RecordBatch, u64);
}

impl RowsBeforeError for Result<(RecordBatch, u64), String> {
    fn unwrap_err_or_rows(self) -> (RecordBatch, u64) {
        let e = self.expect_err("'# not a comment' is not a BIGINT");
        assert!(e.contains("file /d/in.csv, line 3") && e.contains("# not a comment by default,x,y"), "{e}");
        decode(&three(), opts("csv", &[]), &["1,\"Hello, world\",\"say \"\"hi\"\"\"\r\n", "2,plain,"]).unwrap()
    }
}

#[test]
fn delimiter_comments_null_literal_and_empty_fields() {
    let o = opts("csv", &[("csv.field-delimiter", "\\t"), ("csv.allow-comments", "true"), ("csv.null-literal", "N/A")]);
    assert_eq!(o.csv.field_delimiter, b'\t');
    // An empty field is not NULL (unless it is the null literal): for a BIGINT it does not
    // parse, and the error names the file, the line and the field, as Flink's job fails.
    let e = decode(&three(), o.clone(), &["# header comment", "7\tN/A\t", "\t\"\"\tx,y"]).unwrap_err();
    assert!(e.contains("file /d/in.csv, line 3") && e.contains("field 'id'"), "{e}");
    let (b, _) = decode(&three(), o, &["# header comment", "7\tN/A\t", "8\t\"\"\tx,y"]).unwrap();
    assert_eq!(b.num_rows(), 2);
    let id = b.column(0).as_primitive::<Int64Type>();
    assert_eq!(id.value(0), 7);
    assert_eq!(id.value(1), 8);
    assert!(b.column(1).is_null(0), "the null literal is NULL");
    assert_eq!(b.column(1).as_string::<i32>().value(1), "", "quoted empty string stays a string");
    assert_eq!(b.column(2).as_string::<i32>().value(1), "x,y");

    let semi = opts("csv", &[("csv.field-delimiter", ";"), ("csv.quote-character", "'")]);
    let (b, _) = decode(&three(), semi, &["3;'a;b';'it''s'"]).unwrap();
    assert_eq!(b.column(1).as_string::<i32>().value(0), "a;b");
    assert_eq!(b.column(2).as_string::<i32>().value(0), "it's");
}

#[test]
fn arity_and_bad_fields() {
    let e = decode(&three(), opts("csv", &[]), &["1,a"]).unwrap_err();
    assert!(e.contains("Row length mismatch. 3 fields expected but was 2."), "{e}");
    let e = decode(&three(), opts("csv", &[]), &["x1,a,b"]).unwrap_err();
    assert!(e.contains("field 'id'") && e.contains("x1,a,b"), "{e}");
    let e = decode(&three(), opts("csv", &[]), &["1,\"open,b"]).unwrap_err();
    assert!(e.contains("not closed"), "{e}");

    let lenient = opts("csv", &[("csv.ignore-parse-errors", "true")]);
    let (b, skipped) = decode(&three(), lenient, &["1,a", "x1,b,c", "2,\"open", "3,a,b,extra"]).unwrap();
    // the unclosed quote and the row wider than the schema are skipped (as Flink does); a
    // short row and a bad field are kept with NULLs
    assert_eq!(skipped, 2);
    assert_eq!(b.num_rows(), 2);
    let id = b.column(0).as_primitive::<Int64Type>();
    assert_eq!(id.value(0), 1);
    assert!(b.column(2).is_null(0));
    assert!(id.is_null(1));
    assert_eq!(b.column(1).as_string::<i32>().value(1), "b");
    // without the option a wide row fails, naming the counts
    let e = decode(&three(), opts("csv", &[]), &["3,a,b,extra"]).unwrap_err();
    assert!(e.contains("Row length mismatch. 3 fields expected but was 4."), "{e}");
}

#[test]
fn csv_types() {
    let s = schema(vec![
        Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        Field::new("d", DataType::Date32, true),
        Field::new("dec", DataType::Decimal128(6, 3), true),
        Field::new("xs", DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true))), true),
        Field::new("ok", DataType::Boolean, true),
    ]);
    let (b, _) = decode(&s, opts("csv", &[]), &["2024-01-01 00:00:01.5,2024-1-2,1.0005,1;2;3,TRUE"]).unwrap();
    assert_eq!(b.column(0).as_primitive::<TimestampMillisecondType>().value(0), 1_704_067_201_500);
    assert_eq!(b.column(1).as_primitive::<arrow::datatypes::Date32Type>().value(0), 19_724);
    assert_eq!(b.column(2).as_primitive::<arrow::datatypes::Decimal128Type>().value(0), 1001);
    let xs = b.column(3).as_list::<i32>().value(0);
    assert_eq!(xs.as_primitive::<Int32Type>().values().to_vec(), vec![1, 2, 3]);
    assert!(b.column(4).as_boolean().value(0));
}

#[test]
fn encodes_as_flink_csv() {
    let s = schema(vec![
        Field::new("id", DataType::Int32, true),
        Field::new("s", DataType::Utf8, true),
        Field::new("dec", DataType::Decimal128(10, 2), true),
        Field::new("x", DataType::Float64, true),
        Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        Field::new("xs", DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true))), true),
    ]);
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(vec![Some(1), None, Some(3)])),
        Arc::new(StringArray::from(vec![Some("abc"), Some("hello world"), Some("a\"b,c 0123456789012345678901234")])),
        Arc::new(Decimal128Array::from(vec![Some(150), Some(10000), None]).with_precision_and_scale(10, 2).unwrap()),
        Arc::new(Float64Array::from(vec![Some(0.1), Some(1e7), Some(-0.0)])),
        Arc::new(TimestampMillisecondArray::from(vec![Some(1_704_067_201_500), None, Some(0)])),
        Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            None,
            Some(vec![]),
        ])),
    ];
    let batch = RecordBatch::try_new(s.clone(), cols).unwrap();
    let mut out = Vec::new();
    RowEncoder::new(s.clone(), opts("csv", &[])).unwrap().encode(&batch, None, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "1,abc,1.5,0.1,\"2024-01-01 00:00:01.5\",1;2\n\
         ,\"hello world\",1E+2,1.0E7,,\n\
         3,\"a\"\"b,c 0123456789012345678901234\",,-0.0,\"1970-01-01 00:00:00\",\n"
    );

    let o = opts(
        "csv",
        &[
            ("csv.null-literal", "NULL"),
            ("csv.write-bigdecimal-in-scientific-notation", "false"),
            ("csv.field-delimiter", "|"),
        ],
    );
    let mut out = Vec::new();
    RowEncoder::new(s, o).unwrap().encode(&batch.slice(1, 1), None, &mut out).unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), "NULL|\"hello world\"|100|1.0E7|NULL|NULL\n");
}

#[test]
fn csv_round_trip() {
    let s = three();
    let lines = ["1,\"a, b\",\"q\"\"\"", "2,,x"];
    let (b, _) = decode(&s, opts("csv", &[]), &lines).unwrap();
    let mut out = Vec::new();
    RowEncoder::new(s.clone(), opts("csv", &[])).unwrap().encode(&b, None, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text, "1,\"a, b\",\"q\"\"\"\n2,,x\n");
    let (b2, _) = decode(&s, opts("csv", &[]), &text.lines().collect::<Vec<_>>()).unwrap();
    assert_eq!(b, b2);
}

#[test]
fn raw_format() {
    let s = schema(vec![Field::new("line", DataType::Utf8, true)]);
    let (b, _) = decode(&s, opts("raw", &[("raw.charset", "UTF-8")]), &["{not: json}", "", "x,y\n"]).unwrap();
    let v = b.column(0).as_string::<i32>();
    assert_eq!((v.value(0), v.value(1), v.value(2)), ("{not: json}", "", "x,y"));
    let mut out = Vec::new();
    RowEncoder::new(s.clone(), opts("raw", &[])).unwrap().encode(&b, None, &mut out).unwrap();
    assert_eq!(out, b"{not: json}\n\nx,y\n");
    assert!(RowDecoder::new(three(), opts("raw", &[])).is_err());
    let e = FormatOptions::from_options("raw", &[("raw.charset".into(), "latin1".into())]).unwrap_err();
    assert!(e.message.contains("raw.charset"), "{}", e.message);
    let e = FormatOptions::from_options("csv", &[("csv.bogus".into(), "1".into())]).unwrap_err();
    assert!(e.message.starts_with("Unsupported option 'csv.bogus' for format 'csv'; supported: csv.field-delimiter"));
}
