//! `RowDecoder` as message connectors (Kafka, sockets) use it: one record per call with the
//! caller's own location string, changelog rows through `flush_changes`, and the bad-record
//! policies built from the table's options.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema};
use weir_sql::changelog::RowKind;
use weir_sql::format::{FormatOptions, RowDecoder};

fn decoder(format: &str, options: &[(&str, &str)]) -> RowDecoder {
    let schema =
        Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true), Field::new("v", DataType::Utf8, true)]));
    let options: Vec<(String, String)> = options.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    RowDecoder::new(schema, FormatOptions::from_options(format, &options).unwrap()).unwrap()
}

const AT: &str = "topic 'orders', partition 3, offset 42";

#[test]
fn changelog_rows_come_out_with_their_kinds() {
    let cases: [(&str, &str, &[RowKind]); 4] = [
        ("debezium-json", r#"{"before":null,"after":{"id":1,"v":"a"},"op":"c"}"#, &[RowKind::Insert]),
        (
            "debezium-json",
            r#"{"before":{"id":1,"v":"a"},"after":{"id":1,"v":"b"},"op":"u"}"#,
            &[RowKind::UpdateBefore, RowKind::UpdateAfter],
        ),
        ("debezium-json", r#"{"before":{"id":1,"v":"b"},"after":null,"op":"d"}"#, &[RowKind::Delete]),
        (
            "canal-json",
            r#"{"data":[{"id":"1","v":"b"},{"id":"2","v":"c"}],"old":[{"v":"a"},{"v":"x"}],"type":"UPDATE"}"#,
            &[RowKind::UpdateBefore, RowKind::UpdateAfter, RowKind::UpdateBefore, RowKind::UpdateAfter],
        ),
    ];
    for (format, message, kinds) in cases {
        let mut d = decoder(format, &[]);
        d.decode_line(message.as_bytes(), &|| AT.to_string()).unwrap();
        assert_eq!(d.len(), kinds.len(), "{message}");
        let changes = d.flush_changes().unwrap().unwrap();
        let got: Vec<RowKind> = (0..changes.len()).map(|i| changes.kind(i)).collect();
        assert_eq!(got, kinds, "{message}");
        assert!(d.is_empty());
    }
}

#[test]
fn flush_refuses_to_lose_updates_but_takes_inserts() {
    let mut d = decoder("debezium-json", &[]);
    d.decode_line(br#"{"after":{"id":1,"v":"a"},"op":"r"}"#, &|| AT.to_string()).unwrap();
    assert_eq!(d.flush().unwrap().unwrap().num_rows(), 1);
    d.decode_line(br#"{"before":{"id":1,"v":"a"},"op":"d"}"#, &|| AT.to_string()).unwrap();
    let e = d.flush().unwrap_err().to_string();
    assert!(e.contains("use flush_changes"), "{e}");
}

#[test]
fn the_callers_location_names_a_bad_record() {
    let mut d = decoder("json", &[]);
    let e = d.decode_line(b"{\"id\":", &|| AT.to_string()).unwrap_err().to_string();
    assert!(e.contains(&format!("Failed to deserialize JSON record at {AT}")), "{e}");
    assert!(e.contains("record: {\"id\":"), "{e}");

    let mut d = decoder("json", &[("scan.bad-records", "skip")]);
    d.decode_line(b"{\"id\":", &|| AT.to_string()).unwrap();
    d.decode_line(b"{\"id\":2}", &|| AT.to_string()).unwrap();
    assert_eq!((d.len(), d.skipped()), (1, 1));

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let mut d = decoder("csv", &[("scan.bad-records", "dead-letter"), ("scan.bad-records.dead-letter.path", &path)]);
    d.decode_line(b"x,\"open", &|| AT.to_string()).unwrap();
    assert_eq!((d.len(), d.skipped()), (0, 1));
    let file = std::fs::read_dir(dir.path()).unwrap().next().unwrap().unwrap().path();
    let letter: serde_json::Value = serde_json::from_str(std::fs::read_to_string(file).unwrap().trim()).unwrap();
    assert_eq!(letter["origin"], AT);
    assert_eq!(letter["record"], "x,\"open");
}
