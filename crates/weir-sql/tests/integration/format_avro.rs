//! The `avro` format: single records (Kafka messages) against bytes worked out by hand from
//! Avro's specification, object container files written by fastavro (an independent
//! implementation; tests/data/formats/make_fixtures.py) and by Weir with every codec, and bad
//! records under each `scan.bad-records` policy.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int16Array,
    Int32Array, Int32Builder, Int64Array, Int8Array, ListBuilder, MapBuilder, MapFieldNames, RecordBatch, StringArray,
    StringBuilder, StructArray, Time32MillisecondArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef};
use weir_connectors::sink::PartFormat;
use weir_sql::format::{BulkEncoder, FormatOptions, RowDecoder, RowEncoder};

fn opts(pairs: &[(&str, &str)]) -> FormatOptions {
    let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    FormatOptions::from_options("avro", &pairs).unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/formats/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The rows of the fixtures, built by hand: every type Flink's Avro format has, once with
/// values and once NULL. 2024-02-29 is day 19723 (2024-01-01) + 59 = 19782; 12:34:56.789 is
/// 45,296,789 ms; the timestamp is 19782 × 86,400,000 + 45,296,789 ms.
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
    d.decode_file(bytes, &|| "file f.avro".into()).map_err(|e| e.message)?;
    d.flush().map_err(|e| e.message)
}

#[test]
fn container_files_written_by_fastavro_are_read() {
    let expected = every_type();
    for file in ["fastavro-deflate.avro", "fastavro-null.avro"] {
        let got = read_file(expected.schema(), opts(&[]), fixture(file)).unwrap().unwrap();
        assert_eq!(got, expected, "{file}");
    }
}

#[test]
fn container_files_written_by_weir_are_read_back_with_every_codec() {
    let expected = every_type();
    for codec in ["null", "deflate", "snappy"] {
        let options = opts(&[("avro.codec", codec)]);
        let encoder = BulkEncoder::new(expected.schema(), options.clone()).unwrap();
        let mut file = Vec::new();
        let mut part = encoder.open(&mut file).unwrap();
        encoder.write(&mut part, &expected, &mut file).unwrap();
        encoder.write(&mut part, &expected.slice(0, 1), &mut file).unwrap();
        encoder.finish(part, &mut file).unwrap();
        // The header names the codec as Avro does.
        let codec_entry = [&[0x14u8][..], b"avro.codec", &[codec.len() as u8 * 2], codec.as_bytes()].concat();
        assert!(file.windows(codec_entry.len()).any(|w| w == codec_entry), "{codec}");
        let got = read_file(expected.schema(), options, file).unwrap().unwrap();
        let want =
            arrow::compute::concat_batches(&expected.schema(), &[expected.clone(), expected.slice(0, 1)]).unwrap();
        assert_eq!(got, want, "{codec}");
    }
}

fn small_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int32, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("price", DataType::Decimal128(5, 2), true),
        Field::new("d", DataType::Date32, true),
        Field::new("ts", DataType::Timestamp(arrow::datatypes::TimeUnit::Millisecond, None), true),
    ]))
}

/// (1, 'ab', 123.45, 1970-01-02, 1970-01-01 00:00:01) and (2, NULL, NULL, NULL, NULL):
/// int 1 → 02; each nullable value → branch 1 (02) then the value, NULL → branch 0 (00);
/// "ab" → length 2 (04) 61 62; 12345 = 0x3039 → length 2 (04) 30 39; day 1 → 02;
/// 1000 ms → zig-zag 2000 = 0x7d0 → d0 0f.
const ROW_1: &[u8] = &[0x02, 0x02, 0x04, 0x61, 0x62, 0x02, 0x04, 0x30, 0x39, 0x02, 0x02, 0x02, 0xd0, 0x0f];
const ROW_2: &[u8] = &[0x04, 0x00, 0x00, 0x00, 0x00];

fn small_rows() -> RecordBatch {
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int32Array::from(vec![1, 2])),
        Arc::new(StringArray::from(vec![Some("ab"), None])),
        Arc::new(Decimal128Array::from(vec![Some(12345), None]).with_precision_and_scale(5, 2).unwrap()),
        Arc::new(Date32Array::from(vec![Some(1), None])),
        Arc::new(TimestampMillisecondArray::from(vec![Some(1000), None])),
    ];
    RecordBatch::try_new(small_schema(), columns).unwrap()
}

#[test]
fn a_message_is_one_bare_record_in_the_binary_encoding() {
    let mut encoder = RowEncoder::new(small_schema(), opts(&[])).unwrap();
    let rows = small_rows();
    let mut out = Vec::new();
    encoder.encode(&rows.slice(0, 1), None, &mut out).unwrap();
    assert_eq!(out, ROW_1);
    out.clear();
    encoder.encode(&rows.slice(1, 1), None, &mut out).unwrap();
    assert_eq!(out, ROW_2);

    let mut decoder = RowDecoder::new(small_schema(), opts(&[])).unwrap();
    decoder.decode_line(ROW_1, &|| "message 1".into()).unwrap();
    decoder.decode_line(ROW_2, &|| "message 2".into()).unwrap();
    assert_eq!(decoder.flush().unwrap().unwrap(), rows);
}

#[test]
fn a_record_ending_in_a_newline_byte_keeps_it() {
    // id 5 → zig-zag 10 = 0x0a, the byte of a line end.
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, false)]));
    let mut decoder = RowDecoder::new(schema.clone(), opts(&[])).unwrap();
    decoder.decode_line(&[0x0a], &|| "m".into()).unwrap();
    let batch = decoder.flush().unwrap().unwrap();
    assert_eq!(batch.column(0).as_ref(), &Int32Array::from(vec![5]) as &dyn arrow::array::Array);
}

/// A record whose string says 8 bytes follow where none do.
const BAD: &[u8] = &[0x06, 0x02, 0x10];

#[test]
fn a_bad_message_fails_or_is_skipped_or_dead_lettered() {
    let origin = || "table 't', topic in, partition 0, offset 7 (value)".to_string();
    let mut fail = RowDecoder::new(small_schema(), opts(&[])).unwrap();
    let err = fail.decode_line(BAD, &origin).unwrap_err().to_string();
    assert!(err.contains("Failed to deserialize AVRO record at table 't', topic in, partition 0, offset 7"), "{err}");
    assert!(err.contains("field 'name'") && err.contains("record: 060210"), "{err}");

    let mut skip = RowDecoder::new(small_schema(), opts(&[("scan.bad-records", "skip")])).unwrap();
    skip.decode_line(ROW_1, &origin).unwrap();
    skip.decode_line(BAD, &origin).unwrap();
    skip.decode_line(ROW_2, &origin).unwrap();
    assert_eq!((skip.skipped(), skip.flush().unwrap().unwrap()), (1, small_rows()));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let dead = opts(&[("scan.bad-records", "dead-letter"), ("scan.bad-records.dead-letter.path", &path)]);
    let mut d = RowDecoder::new(small_schema(), dead).unwrap();
    d.decode_line(BAD, &origin).unwrap();
    d.decode_line(ROW_2, &origin).unwrap();
    assert_eq!(d.flush().unwrap().unwrap().num_rows(), 1);
    let file = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    let line: serde_json::Value = serde_json::from_str(std::fs::read_to_string(file).unwrap().trim()).unwrap();
    assert_eq!(line["origin"], origin());
    assert_eq!(line["record_hex"], "060210");
    assert!(line["error"].as_str().unwrap().contains("field 'name'"), "{line}");
}

#[test]
fn a_bad_record_in_a_file_is_named_by_block_and_skipped_with_the_rest_of_its_block() {
    let rows = small_rows();
    let options = opts(&[("avro.codec", "null")]);
    let encoder = BulkEncoder::new(small_schema(), options.clone()).unwrap();
    let mut file = Vec::new();
    let mut part = encoder.open(&mut file).unwrap();
    encoder.write(&mut part, &rows, &mut file).unwrap();
    encoder.finish(part, &mut file).unwrap();
    // The block is: count 2 (04), size 19 (26), ROW_1, ROW_2, sync. Make row 2's `name`
    // branch 3, which the union ["null", "string"] does not have.
    let block = file.len() - 16 - ROW_1.len() - ROW_2.len() - 2;
    assert_eq!(&file[block..block + 2], &[0x04, 0x26]);
    let name_branch = block + 2 + ROW_1.len() + 1;
    assert_eq!(file[name_branch], 0x00);
    file[name_branch] = 0x06;

    let err = read_file(small_schema(), options.clone(), file.clone()).unwrap_err();
    assert!(
        err.contains(&format!("at file f.avro, block at byte {block}, record 2: field 'name': union branch 3")),
        "{err}"
    );
    let mut skip = options.clone();
    skip.bad_records = weir_sql::format::BadRecordPolicy::Skip;
    let got = read_file(small_schema(), skip, file).unwrap().unwrap();
    assert_eq!(got, rows.slice(0, 1));

    let not_avro = read_file(small_schema(), options, b"PAR1".to_vec()).unwrap_err();
    assert!(not_avro.contains("not an Avro container file"), "{not_avro}");
}

#[test]
fn a_file_schema_that_does_not_fit_the_table_fails_whatever_the_policy() {
    let skip = opts(&[("scan.bad-records", "skip")]);
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Boolean, false)]));
    let err = read_file(schema, skip, fixture("fastavro-null.avro")).unwrap_err();
    assert!(
        err.contains(
            "The Avro schema of file f.avro does not fit the table: 'id': Avro \"int\" cannot be read as Boolean"
        ),
        "{err}"
    );
}

#[test]
fn avro_option_errors() {
    let bad = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        FormatOptions::from_options("avro", &pairs).unwrap_err().message
    };
    assert!(bad(&[("avro.codec", "xz")]).contains("'avro.codec'; Weir supports 'null', 'deflate', 'snappy'"));
    assert!(bad(&[("avro.schema", "{}")]).contains("Unsupported option 'avro.schema' for format 'avro'"));
    let micros = Arc::new(Schema::new(vec![Field::new(
        "ts",
        DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
        true,
    )]));
    let err = RowEncoder::new(micros, opts(&[])).err().unwrap().message;
    assert!(err.contains("column 'ts': Avro does not support TIMESTAMP with precision above 3"), "{err}");
}
