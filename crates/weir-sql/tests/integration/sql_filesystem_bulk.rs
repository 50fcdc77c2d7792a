//! The filesystem connector with the bulk formats `avro` and `parquet`: tables written by
//! INSERT and read back by SELECT, a partitioned Parquet sink in Flink's layout, a
//! checkpointed job whose every committed part is a complete file, and the same formats from
//! the DataStream API (`FileSource::whole_files`, `FileSink::for_bulk_format`).

use crate::sql_common;

use sql_common::{run, Rows};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema};
use weir_sql::format::{FormatKind, FormatOptions, RowDecoder};
use weir_sql::session::{JobSettings, Session};

/// Every visible file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else if !p.file_name().unwrap().to_string_lossy().starts_with(['.', '_']) {
            out.push(p);
        }
    }
    out.sort();
    out
}

const INPUT: &str = r#"{"id":1,"name":"a","price":1.5,"d":"2024-02-29","ts":"2024-02-29 12:34:56.789","tags":["x",null],"m":{"k":7},"p":{"x":3,"y":"z"}}
{"id":2}
{"id":3,"name":"","price":-0.01,"d":"1969-12-31","ts":"1969-12-31 23:59:59.999","tags":[],"m":{},"p":{"x":null,"y":null}}
"#;

const COLUMNS: &str = "id INT, name STRING, price DECIMAL(5, 2), d DATE, ts TIMESTAMP(3), tags ARRAY<STRING>, \
                       m MAP<STRING, INT>, p ROW<x INT, y STRING>";

#[test]
fn avro_and_parquet_tables_are_written_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.json"), INPUT).unwrap();
    for (format, options, magic) in [
        ("avro", "", &b"Obj\x01"[..]),
        ("avro", ", 'avro.codec' = 'deflate'", b"Obj\x01"),
        ("parquet", "", b"PAR1"),
        ("parquet", ", 'parquet.compression' = 'GZIP'", b"PAR1"),
    ] {
        for p in [1, 2] {
            let out = dir.path().join(format!("{format}-{}-{p}", options.len()));
            let sql = format!(
                "CREATE TABLE src ({COLUMNS}) WITH ('connector' = 'filesystem', 'path' = '{}/in.json', 'format' = 'json');
                 CREATE TABLE dst ({COLUMNS}) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = '{format}'{options});
                 INSERT INTO dst SELECT * FROM src;
                 SELECT * FROM dst;",
                dir.path().display(),
                out.display()
            );
            let mut rows = run(&sql, p).unwrap();
            rows.sort();
            assert_eq!(
                rows,
                [
                    "+I[1, a, 1.50, 2024-02-29, 2024-02-29 12:34:56.789, [x, null], {k=7}, (3, z)]",
                    "+I[2, null, null, null, null, null, null, null]",
                    "+I[3, , -0.01, 1969-12-31, 1969-12-31 23:59:59.999, [], {}, (null, null)]",
                ],
                "{format}{options}, parallelism {p}"
            );
            for f in files(&out) {
                let bytes = std::fs::read(&f).unwrap();
                assert!(bytes.starts_with(magic), "{}", f.display());
                assert!(f.file_name().unwrap().to_string_lossy().starts_with("part-"), "{}", f.display());
            }
        }
    }
}

#[test]
fn a_partitioned_parquet_table_is_written_in_flink_layout_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("in.json"),
        "{\"id\":1,\"dt\":\"2024-01-01\"}\n{\"id\":2,\"dt\":\"2024-01-02\"}\n{\"id\":3,\"dt\":null}\n{\"id\":4,\"dt\":\"2024-01-01\"}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let sql = format!(
        "CREATE TABLE src (id INT, dt STRING) WITH ('connector' = 'filesystem', 'path' = '{}/in.json', 'format' = 'json');
         CREATE TABLE dst (id INT, dt STRING) PARTITIONED BY (dt) WITH ('connector' = 'filesystem', 'path' = '{}',
           'format' = 'parquet', 'sink.partition-commit.policy.kind' = 'success-file');
         INSERT INTO dst SELECT * FROM src;",
        dir.path().display(),
        out.display()
    );
    run(&sql, 2).unwrap();
    let parts = files(&out);
    let dirs: std::collections::BTreeSet<String> =
        parts.iter().map(|f| f.parent().unwrap().strip_prefix(&out).unwrap().display().to_string()).collect();
    assert_eq!(dirs.into_iter().collect::<Vec<_>>(), ["dt=2024-01-01", "dt=2024-01-02", "dt=__DEFAULT_PARTITION__"]);
    for d in ["dt=2024-01-01", "dt=2024-01-02", "dt=__DEFAULT_PARTITION__"] {
        assert!(out.join(d).join("_SUCCESS").exists(), "{d} has no _SUCCESS");
    }
    // The files hold the other columns only.
    let id_only = Arc::new(Schema::new(vec![Field::new("id", DataType::Int32, true)]));
    let mut ids = Vec::new();
    for f in parts.iter().filter(|f| f.parent().unwrap().ends_with("dt=2024-01-01")) {
        let mut d = RowDecoder::for_files(id_only.clone(), FormatOptions::new(FormatKind::Parquet)).unwrap();
        d.decode_file(std::fs::read(f).unwrap(), &|| f.display().to_string()).unwrap();
        let batch = d.flush().unwrap().unwrap();
        assert_eq!(batch.schema().fields().len(), 1);
        ids.extend(batch.column(0).as_primitive::<Int32Type>().values().iter().copied());
    }
    ids.sort();
    assert_eq!(ids, [1, 4]);

    let sql = format!(
        "CREATE TABLE dst (id INT, dt STRING) PARTITIONED BY (dt) WITH ('connector' = 'filesystem', 'path' = '{}',
           'format' = 'parquet');
         SELECT id, dt FROM dst;",
        out.display()
    );
    let mut rows = run(&sql, 2).unwrap();
    rows.sort();
    assert_eq!(rows, ["+I[1, 2024-01-01]", "+I[2, 2024-01-02]", "+I[3, null]", "+I[4, 2024-01-01]"]);
}

/// A Parquet file (uncompressed, plain encoded) with columns `id`, `note`, `n` (whose column
/// chunk is overwritten with garbage, so decoding it fails) and `l` (a list of ints, which the
/// table declares INT: casting it fails).
fn parquet_with_a_corrupt_and_an_incompatible_column() -> Vec<u8> {
    use arrow::array::{Int32Array, Int32Builder, ListBuilder};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    let mut l = ListBuilder::new(Int32Builder::new());
    l.values().append_value(7);
    l.append(true);
    l.append(true);
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("note", DataType::Utf8, true),
        Field::new("n", DataType::Int32, true),
        Field::new("l", DataType::List(Arc::new(Field::new("item", DataType::Int32, true))), true),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(Int64Array::from(vec![1, 2])),
            Arc::new(StringArray::from(vec!["fine", "also fine"])),
            Arc::new(Int32Array::from(vec![5, 6])),
            Arc::new(l.finish()),
        ],
    )
    .unwrap();
    let props = WriterProperties::builder()
        .set_compression(parquet::basic::Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .build();
    let mut w = ArrowWriter::try_new(Vec::new(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    let mut bytes = w.into_inner().unwrap();
    let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes.clone())).unwrap();
    let (start, len) = builder.metadata().row_group(0).column(2).byte_range();
    assert_eq!(builder.metadata().row_group(0).column(2).column_path().string(), "n");
    bytes[start as usize..(start + len) as usize].fill(0xff);
    bytes
}

#[test]
fn parquet_decodes_only_the_columns_a_query_uses() {
    // As the json format does, Parquet gets the query's projection: the column chunks of the
    // columns no query reads are not decoded (nor cast), so a corrupt chunk or a column of a
    // type the table cannot read fails only the queries that read it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.parquet"), parquet_with_a_corrupt_and_an_incompatible_column()).unwrap();
    let table = format!(
        "CREATE TABLE t (id BIGINT, note STRING, n INT, l INT, k AS id * 10)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'parquet');",
        dir.path().display()
    );
    for (query, expected) in [
        ("SELECT id, note FROM t", &["+I[1, fine]", "+I[2, also fine]"][..]),
        ("SELECT note FROM t WHERE id > 1", &["+I[also fine]"]),
        ("SELECT k FROM t", &["+I[10]", "+I[20]"]),
        ("SELECT COUNT(*) FROM t", &["+I[2]"]),
    ] {
        let mut rows = run(&format!("{table} {query};"), 1).unwrap_or_else(|e| panic!("{query}: {e}"));
        rows.sort();
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(rows, expected, "{query}");
    }
    // Reading `n` (in the projection or a filter) decodes the corrupt chunk; reading `l` casts.
    for (query, error) in [
        ("SELECT id, n FROM t", "t.parquet: Parquet argument error: Parquet error"),
        ("SELECT id FROM t WHERE n > 0", "t.parquet: Parquet argument error: Parquet error"),
        ("SELECT * FROM t", "t.parquet: Parquet argument error: Parquet error"),
        ("SELECT l FROM t", "column 'l' of type List(Int32) cannot be read as Int32"),
    ] {
        let err = run(&format!("{table} {query};"), 1).unwrap_err().to_string();
        assert!(err.contains(error), "{query}: {err}");
    }
}

#[test]
fn a_checkpointed_job_commits_complete_parquet_and_avro_parts_at_each_checkpoint() {
    for format in ["parquet", "avro"] {
        let dir = tempfile::tempdir().unwrap();
        let (out, ck) = (dir.path().join("out"), dir.path().join("ck"));
        let sql = format!(
            "SET 'execution.checkpointing.interval' = '50 ms';
             SET 'state.checkpoints.dir' = 'file://{}';
             CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '4000',
               'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '2000');
             CREATE TABLE dst (id BIGINT) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = '{format}');
             INSERT INTO dst SELECT id FROM gen;",
            ck.display(),
            out.display()
        );
        let mut session = Session::new(JobSettings { parallelism: 1, ..Default::default() });
        session.execute_script(&sql, &mut Rows(Vec::new())).unwrap();
        let checkpoints = session.last_job().expect("a job ran").completed_checkpoints.len();
        assert!(checkpoints >= 2, "{format}: {checkpoints} checkpoints");
        let parts = files(&out);
        // A part per checkpoint that saw rows, and the last one at the end of input.
        assert!(parts.len() >= 2, "{format}: {parts:?}");
        let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
        let mut ids = Vec::new();
        for f in &parts {
            // Each part is a complete file on its own.
            let kind = if format == "avro" { FormatKind::Avro } else { FormatKind::Parquet };
            let mut d = RowDecoder::for_files(schema.clone(), FormatOptions::new(kind)).unwrap();
            d.decode_file(std::fs::read(f).unwrap(), &|| f.display().to_string()).unwrap();
            let batch = d.flush().unwrap().unwrap();
            ids.extend(batch.column(0).as_primitive::<Int64Type>().values().iter().copied());
        }
        ids.sort();
        assert_eq!(ids, (1..=2000).collect::<Vec<i64>>(), "{format}");
    }
}

#[test]
fn bulk_formats_refuse_what_they_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("'format' = 'parquet', 'sink.changelog-mode' = 'all'", "format 'parquet' has no place for a row's kind"),
        ("'format' = 'parquet', 'parquet.compression' = 'LZO'", "'parquet.compression'; Weir supports"),
        ("'format' = 'avro', 'avro.codec' = 'bzip2'", "'avro.codec'; Weir supports 'null', 'deflate', 'snappy'"),
    ];
    for (options, expected) in cases {
        let sql = format!(
            "CREATE TABLE t (id INT) WITH ('connector' = 'filesystem', 'path' = '{}', {options});",
            dir.path().display()
        );
        let e = run(&sql, 1).unwrap_err().to_string();
        assert!(e.contains(expected), "{options}: {e}");
    }
}

#[test]
fn the_datastream_api_writes_and_reads_avro_and_parquet_files() {
    use weir::prelude::*;
    use weir_connectors::file_source::FileSource;
    use weir_connectors::sink::{CollectSink, FileSink};
    use weir_sql::format::{decode_files, BulkEncoder};

    let schema =
        Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false), Field::new("v", DataType::Utf8, true)]));
    for kind in [FormatKind::Avro, FormatKind::Parquet] {
        let dir = tempfile::tempdir().unwrap();
        // Write: batches from a job into part files of the format.
        let env = StreamExecutionEnvironment::new().with_parallelism(2);
        let batches: Vec<RecordBatch> = (0..4i64)
            .map(|b| {
                let ids = Int64Array::from_iter_values((0..25).map(|i| b * 25 + i));
                let vs = StringArray::from_iter((0..25).map(|i| (i % 5 != 0).then(|| format!("v{}", b * 25 + i))));
                RecordBatch::try_new(schema.clone(), vec![Arc::new(ids), Arc::new(vs)]).unwrap()
            })
            .collect();
        let encoder = BulkEncoder::new(schema.clone(), FormatOptions::new(kind)).unwrap();
        env.from_collection(batches).sink_to(FileSink::for_bulk_format(dir.path(), encoder), "write");
        env.execute("write").unwrap();
        let written = files(dir.path());
        let suffix = if kind == FormatKind::Avro { ".avro" } else { ".parquet" };
        assert!(!written.is_empty() && written.iter().all(|f| f.to_string_lossy().ends_with(suffix)), "{written:?}");

        // Read: whole files decoded into batches.
        let env = StreamExecutionEnvironment::new().with_parallelism(2);
        let source = FileSource::new(dir.path()).whole_files();
        let lines = env.from_source(source, WatermarkStrategy::no_watermarks(), "files");
        let sink = CollectSink::new();
        let handle = sink.handle();
        decode_files(&lines, schema.clone(), FormatOptions::new(kind))
            .map(|c| {
                let ids = c.rows.column(0).as_primitive::<Int64Type>();
                let vs = c.rows.column(1).as_string::<i32>();
                (0..c.len())
                    .map(|i| (ids.value(i), vs.is_valid(i).then(|| vs.value(i).to_string())))
                    .collect::<Vec<_>>()
            })
            .sink_to(sink, "collect");
        env.execute("read").unwrap();
        let mut rows: Vec<(i64, Option<String>)> = handle.take().into_iter().flatten().collect();
        rows.sort();
        let expected: Vec<(i64, Option<String>)> =
            (0..100).map(|i| (i, (i % 5 != 0).then(|| format!("v{i}")))).collect();
        assert_eq!(rows, expected, "{kind:?}");
    }
}

#[test]
fn time_columns_of_both_precisions_are_written_and_read_back() {
    // TIME is TIME(0), held in seconds; TIME(3) in milliseconds.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.json"), "{\"id\":1,\"t0\":\"12:34:56\",\"t3\":\"12:34:56.789\"}\n{\"id\":2}\n")
        .unwrap();
    for format in ["avro", "parquet", "json", "csv"] {
        let out = dir.path().join(format);
        // CSV writes NULL as its null literal, empty by default, and an empty TIME field does
        // not read back (Flink fails on it too): a null literal makes the round trip.
        let null_literal = if format == "csv" { ", 'csv.null-literal' = 'null'" } else { "" };
        let sql = format!(
            "CREATE TABLE src (id INT, t0 TIME, t3 TIME(3)) WITH ('connector' = 'filesystem', 'path' = '{}/in.json', 'format' = 'json');
             CREATE TABLE dst (id INT, t0 TIME, t3 TIME(3)) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = '{format}'{null_literal});
             INSERT INTO dst SELECT * FROM src;
             SELECT id, t0, t3, CAST(t0 AS STRING), CAST(t3 AS STRING) FROM dst;",
            dir.path().display(),
            out.display()
        );
        let mut rows = run(&sql, 1).unwrap();
        rows.sort();
        assert_eq!(
            rows,
            ["+I[1, 12:34:56, 12:34:56.789, 12:34:56, 12:34:56.789]", "+I[2, null, null, null, null]"],
            "{format}"
        );
    }
}
