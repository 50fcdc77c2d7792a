//! Formats from the DataStream API: a job reads files with `FileSource`, decodes JSON and CSV
//! with `weir_sql::format::decode_files` (the same options and errors as SQL tables), and a
//! socket text stream delivers lines.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{AsArray, Int32Array};
use arrow::datatypes::{DataType, Field, Int32Type, Schema};
use weir::prelude::*;
use weir_connectors::file_source::FileSource;
use weir_connectors::sink::CollectSink;
use weir_sql::format::{decode_files, BadRecordPolicy, FormatKind, FormatOptions};

fn schema() -> Arc<Schema> {
    Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, false), Field::new("name", DataType::Utf8, true)]))
}

/// Runs the decoding job over `dir` and returns `(id, name)` rows sorted by id.
fn decode(dir: &std::path::Path, options: FormatOptions, parallelism: usize) -> Result<Vec<(i32, String)>, JobError> {
    let by_line = decode_as(dir, options.clone(), parallelism, false);
    // Lines a chunk at a time (`FileSource::chunked`) decode to the same rows and errors.
    let by_chunk = decode_as(dir, options, parallelism, true);
    match (&by_line, &by_chunk) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("by line {by_line:?}, by chunk {by_chunk:?}"),
    }
    by_line
}

fn decode_as(
    dir: &std::path::Path,
    options: FormatOptions,
    parallelism: usize,
    chunked: bool,
) -> Result<Vec<(i32, String)>, JobError> {
    let env = StreamExecutionEnvironment::new().with_parallelism(parallelism);
    let files = FileSource::new(dir);
    let rows = if chunked {
        decode_files(&env.from_source(files.chunked(), WatermarkStrategy::no_watermarks(), "files"), schema(), options)
    } else {
        decode_files(&env.from_source(files, WatermarkStrategy::no_watermarks(), "files"), schema(), options)
    };
    let sink = CollectSink::new();
    let handle = sink.handle();
    rows.map(|c| {
        let ids: &Int32Array = c.rows.column(0).as_primitive::<Int32Type>();
        let names = c.rows.column(1).as_string::<i32>();
        (0..c.len()).map(|i| (ids.value(i), names.value(i).to_string())).collect::<Vec<_>>()
    })
    .sink_to(sink, "collect");
    env.execute("decode")?;
    let mut rows: Vec<(i32, String)> = handle.take().into_iter().flatten().collect();
    rows.sort();
    Ok(rows)
}

#[test]
fn json_and_csv_files_decode_in_a_datastream_job() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("json");
    std::fs::create_dir(&json).unwrap();
    std::fs::write(json.join("a.jsonl"), "{\"id\":1,\"name\":\"a\"}\n{\"name\":\"b\",\"id\":2}\n").unwrap();
    std::fs::write(json.join("b.jsonl"), "{\"id\":3,\"name\":null}\n").unwrap();
    let csv = dir.path().join("csv");
    std::fs::create_dir(&csv).unwrap();
    std::fs::write(csv.join("a.csv"), "1;a\n2;\"b;c\"\n").unwrap();
    for p in [1, 2] {
        let rows = decode(&json, FormatOptions::new(FormatKind::Json), p).unwrap();
        assert_eq!(rows, [(1, "a".into()), (2, "b".into()), (3, "".into())], "parallelism {p}");
        let options = FormatOptions::from_options("csv", &[("csv.field-delimiter".into(), ";".into())]).unwrap();
        let rows = decode(&csv, options, p).unwrap();
        assert_eq!(rows, [(1, "a".into()), (2, "b;c".into())], "parallelism {p}");
    }
}

#[test]
fn a_bad_record_in_a_datastream_job_fails_or_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.jsonl");
    std::fs::write(&file, "{\"id\":1,\"name\":\"a\"}\n{\"id\":\"two\"}\n").unwrap();
    let e = decode(dir.path(), FormatOptions::new(FormatKind::Json), 1).unwrap_err().to_string();
    assert!(e.contains(&format!("file {}, line 2", file.display())), "{e}");
    let mut skip = FormatOptions::new(FormatKind::Json);
    skip.bad_records = BadRecordPolicy::Skip;
    assert_eq!(decode(dir.path(), skip, 1).unwrap(), [(1, "a".into())]);
}

#[test]
fn socket_text_stream_reads_lines_until_the_server_closes() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(b"to be\nor not\nto be\n").unwrap();
    });
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let sink = CollectSink::new();
    let handle = sink.handle();
    env.socket_text_stream("127.0.0.1", port)
        .flat_map(|line: String, out: &mut Collector<'_, String>| {
            for word in line.split_whitespace() {
                out.collect(word.to_string());
            }
        })
        .sink_to(sink, "words");
    env.execute("socket words").unwrap();
    server.join().unwrap();
    let mut words = handle.take();
    words.sort();
    assert_eq!(words, ["be", "be", "not", "or", "to", "to"]);
}
