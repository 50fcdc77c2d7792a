//! The `parquet` format: files written by pyarrow (an independent implementation;
//! tests/data/formats/make_fixtures.py) read with all their row groups and INT96 timestamps, files written by Weir
//! with each `parquet.compression` read back, a file that is not Parquet under the
//! bad-record policies, and option errors.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int16Array,
    Int32Array, Int32Builder, Int64Array, Int8Array, ListBuilder, MapBuilder, MapFieldNames, RecordBatch, StringArray,
    StringBuilder, StructArray, Time32MillisecondArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use weir_connectors::sink::PartFormat;
use weir_sql::format::{BadRecordPolicy, BulkEncoder, FormatOptions, RowDecoder};

fn opts(pairs: &[(&str, &str)]) -> Result<FormatOptions, String> {
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    FormatOptions::from_options("parquet", &pairs).map_err(|e| e.message)
}

/// The fixture's rows, by hand (the same values as format_avro.rs's: 2024-02-29 is day 19782,
/// 12:34:56.789 is 45,296,789 ms).
fn every_type() -> RecordBatch {
    let mut tags = ListBuilder::new(StringBuilder::new()).with_field(Field::new("element", DataType::Utf8, true));
    tags.values().append_value("a");
    tags.values().append_null();
    tags.append(true);
    tags.append(false);
    let names = MapFieldNames { entry: "entries".into(), key: "key".into(), value: "value".into() };
    let mut attrs = MapBuilder::new(Some(names), StringBuilder::new(), Int32Builder::new());
    attrs.keys().append_value("k");
    attrs.values().append_value(7);
    attrs.append(true).unwrap();
    attrs.append(false).unwrap();
    let p_fields = Fields::from(vec![Field::new("x", DataType::Int32, true), Field::new("y", DataType::Utf8, true)]);
    let p = StructArray::new(
        p_fields,
        vec![Arc::new(Int32Array::from(vec![Some(3), None])), Arc::new(StringArray::from(vec![Some("z"), None]))],
        Some(vec![true, false].into()),
    );
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int32Array::from(vec![1, 2]))),
        ("ok", Arc::new(BooleanArray::from(vec![Some(true), None]))),
        ("tiny", Arc::new(Int8Array::from(vec![Some(-5), None]))),
        ("small", Arc::new(Int16Array::from(vec![Some(300), None]))),
        ("big", Arc::new(Int64Array::from(vec![Some(10_000_000_000), None]))),
        ("f", Arc::new(Float32Array::from(vec![Some(1.5), None]))),
        ("dbl", Arc::new(Float64Array::from(vec![Some(-2.25), None]))),
        ("name", Arc::new(StringArray::from(vec![Some("h\u{e9}llo"), None]))),
        ("b", Arc::new(BinaryArray::from(vec![Some(&[0x00u8, 0xff][..]), None]))),
        ("price", Arc::new(Decimal128Array::from(vec![Some(12345), None]).with_precision_and_scale(5, 2).unwrap())),
        ("d", Arc::new(Date32Array::from(vec![Some(19782), None]))),
        ("t", Arc::new(Time32MillisecondArray::from(vec![Some(45_296_789), None]))),
        ("ts", Arc::new(TimestampMillisecondArray::from(vec![Some(19782 * 86_400_000 + 45_296_789), None]))),
        ("tags", Arc::new(tags.finish())),
        ("attrs", Arc::new(attrs.finish())),
        ("p", Arc::new(p)),
    ];
    let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), *n != "id")).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns.into_iter().map(|(_, a)| a).collect()).unwrap()
}

fn read_file(schema: SchemaRef, options: FormatOptions, bytes: Vec<u8>) -> Result<Option<RecordBatch>, String> {
    let mut d = RowDecoder::for_files(schema, options).map_err(|e| e.message)?;
    d.decode_file(bytes, &|| "file f.parquet".into()).map_err(|e| e.message)?;
    d.flush().map_err(|e| e.message)
}

#[test]
fn a_file_written_by_pyarrow_is_read_with_all_its_row_groups() {
    let expected = every_type();
    let path = format!("{}/tests/data/formats/pyarrow-snappy.parquet", env!("CARGO_MANIFEST_DIR"));
    let got = read_file(expected.schema(), opts(&[]).unwrap(), std::fs::read(path).unwrap()).unwrap().unwrap();
    assert_eq!(got, expected);
}

#[test]
fn files_written_by_weir_are_read_back_with_every_compression() {
    let expected = every_type();
    for codec in ["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD", "LZ4_RAW", "zstd"] {
        let options = opts(&[("parquet.compression", codec), ("parquet.page.size", "1024")]).unwrap();
        let encoder = BulkEncoder::new(expected.schema(), options.clone()).unwrap();
        let mut file = Vec::new();
        let mut part = encoder.open(&mut file).unwrap();
        encoder.write(&mut part, &expected, &mut file).unwrap();
        encoder.write(&mut part, &expected.slice(1, 1), &mut file).unwrap();
        encoder.finish(part, &mut file).unwrap();
        assert!(file.starts_with(b"PAR1") && file.ends_with(b"PAR1"), "{codec}");
        let got = read_file(expected.schema(), options, file).unwrap().unwrap();
        let want =
            arrow::compute::concat_batches(&expected.schema(), &[expected.clone(), expected.slice(1, 1)]).unwrap();
        assert_eq!(got, want, "{codec}");
    }
}

#[test]
fn columns_are_found_by_name_and_a_missing_nullable_one_is_null() {
    let expected = every_type();
    let path = format!("{}/tests/data/formats/pyarrow-snappy.parquet", env!("CARGO_MANIFEST_DIR"));
    let schema = Arc::new(Schema::new(vec![
        Field::new("name", DataType::Utf8, true),
        Field::new("id", DataType::Int64, false),
        Field::new("absent", DataType::Utf8, true),
    ]));
    let got = read_file(schema.clone(), opts(&[]).unwrap(), std::fs::read(&path).unwrap()).unwrap().unwrap();
    assert_eq!(got.column(0), expected.column_by_name("name").unwrap());
    assert_eq!(got.column(1).as_ref(), &Int64Array::from(vec![1, 2]) as &dyn arrow::array::Array);
    assert_eq!(got.column(2).null_count(), 2);
    let strict = Arc::new(Schema::new(vec![Field::new("absent", DataType::Utf8, false)]));
    let err = read_file(strict, opts(&[]).unwrap(), std::fs::read(&path).unwrap()).unwrap_err();
    assert!(err.contains("the file has no column 'absent', which is NOT NULL"), "{err}");
}

#[test]
fn int96_timestamps_are_read_into_timestamp_3() {
    let path = format!("{}/tests/data/formats/pyarrow-int96.parquet", env!("CARGO_MANIFEST_DIR"));
    let ts = DataType::Timestamp(arrow::datatypes::TimeUnit::Millisecond, None);
    let schema = Arc::new(Schema::new(vec![Field::new("ts", ts, true)]));
    let got = read_file(schema, opts(&[]).unwrap(), std::fs::read(path).unwrap()).unwrap().unwrap();
    let expected = TimestampMillisecondArray::from(vec![Some(19782 * 86_400_000 + 45_296_789), None]);
    assert_eq!(got.column(0).as_ref(), &expected as &dyn arrow::array::Array);
}

#[test]
fn a_file_that_is_not_parquet_fails_or_is_skipped() {
    let schema = every_type().schema();
    let err = read_file(schema.clone(), opts(&[]).unwrap(), b"id,name\n1,a\n".to_vec()).unwrap_err();
    assert!(err.starts_with("Failed to deserialize PARQUET record at file f.parquet: "), "{err}");
    let mut skip = opts(&[]).unwrap();
    skip.bad_records = BadRecordPolicy::Skip;
    let mut d = RowDecoder::for_files(schema, skip).unwrap();
    d.decode_file(b"not parquet".to_vec(), &|| "file f.parquet".into()).unwrap();
    assert_eq!((d.skipped(), d.is_empty()), (1, true));
}

#[test]
fn parquet_option_errors() {
    let err = opts(&[("parquet.compression", "BROTLI")]).unwrap_err();
    assert_eq!(
        err,
        "Unsupported value 'BROTLI' for option 'parquet.compression'; Weir supports UNCOMPRESSED, SNAPPY, GZIP, ZSTD, \
         LZ4_RAW"
    );
    assert!(opts(&[("parquet.block.size", "big")]).unwrap_err().contains("'parquet.block.size' must be a positive"));
    assert!(opts(&[("parquet.writer.version", "v2")])
        .unwrap_err()
        .contains("Unsupported option 'parquet.writer.version'"));
    let schema = every_type().schema();
    let err = RowDecoder::new(schema, opts(&[]).unwrap()).err().unwrap().message;
    assert!(err.contains("format 'parquet' reads whole files"), "{err}");
}
