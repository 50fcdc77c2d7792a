//! The filesystem connector beyond plain files: `PARTITIONED BY` tables written in Flink's
//! `col=value/` layout with success files and read back with the partition columns filled
//! from the path, rolling by size, option errors, and a monitored directory whose new files
//! a running job reads.

use crate::sql_common;

use sql_common::run;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

const EVENTS: &str = r#"{"id":1,"name":"a","dt":"2024-01-01","hr":1}
{"id":2,"name":"b","dt":"2024-01-01","hr":2}
{"id":3,"name":"c","dt":"2024-01-02","hr":1}
{"id":4,"name":"d","dt":null,"hr":1}
{"id":5,"name":"e","dt":"x/y=z","hr":1}
{"id":6,"name":"f","dt":"2024-01-01","hr":1}
"#;

#[test]
fn a_partitioned_table_is_written_in_flink_layout_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("events.json"), EVENTS).unwrap();
    // A `col=value` name above the table's path is not a partition of it.
    let out = dir.path().join("dt=outer").join("out");
    for p in [1, 2] {
        let _ = std::fs::remove_dir_all(&out);
        let sql = format!(
            "CREATE TABLE events (id INT, name STRING, dt STRING, hr INT)
             WITH ('connector' = 'filesystem', 'path' = '{}/events.json', 'format' = 'json');
             CREATE TABLE parted (id INT, name STRING, dt STRING, hr INT) PARTITIONED BY (dt, hr)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv',
                   'sink.partition-commit.policy.kind' = 'success-file');
             INSERT INTO parted SELECT * FROM events;",
            dir.path().display(),
            out.display()
        );
        run(&sql, p).unwrap();
        let files = tree(&out);
        let dirs: std::collections::BTreeSet<String> =
            files.iter().map(|f| f.parent().unwrap().display().to_string()).collect();
        assert_eq!(
            dirs.into_iter().collect::<Vec<_>>(),
            [
                "dt=2024-01-01/hr=1",
                "dt=2024-01-01/hr=2",
                "dt=2024-01-02/hr=1",
                "dt=__DEFAULT_PARTITION__/hr=1",
                "dt=x%2Fy%3Dz/hr=1"
            ],
            "parallelism {p}: {files:?}"
        );
        for d in ["dt=2024-01-01/hr=1", "dt=2024-01-01/hr=2", "dt=__DEFAULT_PARTITION__/hr=1"] {
            assert!(out.join(d).join("_SUCCESS").exists(), "{d} has no _SUCCESS");
        }
        // The files hold the other columns only.
        let mut first: Vec<String> = std::fs::read_dir(out.join("dt=2024-01-01/hr=1"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("part-"))
            .flat_map(|p| std::fs::read_to_string(p).unwrap().lines().map(String::from).collect::<Vec<_>>())
            .collect();
        first.sort();
        assert_eq!(first, ["1,a", "6,f"]);

        // A file outside any partition directory has no partition values.
        std::fs::write(out.join("loose.csv"), "9,z\n").unwrap();
        let sql = format!(
            "CREATE TABLE parted (id INT, name STRING, dt STRING, hr INT) PARTITIONED BY (dt, hr)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
             SELECT id, name, dt, hr FROM parted;",
            out.display()
        );
        let mut rows = run(&sql, p).unwrap();
        rows.sort();
        assert_eq!(
            rows,
            [
                "+I[1, a, 2024-01-01, 1]",
                "+I[2, b, 2024-01-01, 2]",
                "+I[3, c, 2024-01-02, 1]",
                "+I[4, d, null, 1]",
                "+I[5, e, x/y=z, 1]",
                "+I[6, f, 2024-01-01, 1]",
                "+I[9, z, null, null]"
            ],
            "parallelism {p}"
        );
    }
}

#[test]
fn partition_time_commit_writes_the_named_success_file_into_every_partition_by_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join("events.csv"), "1,2024-01-01 10:15:00\n2,2024-01-01 11:30:00\n3,2024-01-02 00:05:00\n")
        .unwrap();
    let out = dir.path().join("out");
    let sql = format!(
        "CREATE TABLE src (id INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         CREATE TABLE dst (id INT, dt STRING, hr STRING) PARTITIONED BY (dt, hr)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv',
                 'sink.partition-commit.policy.kind' = 'success-file',
                 'sink.partition-commit.trigger' = 'partition-time',
                 'sink.partition-commit.delay' = '1 h',
                 'partition.time-extractor.timestamp-pattern' = '$dt $hr:00:00',
                 'sink.partition-commit.success-file.name' = '_DONE');
         INSERT INTO dst SELECT id, DATE_FORMAT(ts, 'yyyy-MM-dd'), DATE_FORMAT(ts, 'HH') FROM src;",
        input.display(),
        out.display()
    );
    run(&sql, 1).unwrap();
    let markers: Vec<String> =
        tree(&out).iter().map(|f| f.display().to_string()).filter(|f| !f.contains("part-")).collect();
    assert_eq!(markers, ["dt=2024-01-01/hr=10/_DONE", "dt=2024-01-01/hr=11/_DONE", "dt=2024-01-02/hr=00/_DONE"]);
}

#[test]
fn parts_roll_at_the_configured_size() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir(&input).unwrap();
    for i in 0..4 {
        std::fs::write(input.join(format!("{i}.csv")), format!("{i},row {i}\n")).unwrap();
    }
    let parts = |size: &str| {
        let out = dir.path().join(format!("out-{}", size.len()));
        let sql = format!(
            "CREATE TABLE src (id INT, v STRING) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
             CREATE TABLE dst (id INT, v STRING) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv'{size});
             INSERT INTO dst SELECT * FROM src;",
            input.display(),
            out.display()
        );
        run(&sql, 1).unwrap();
        let files = tree(&out);
        let rows: usize = files.iter().map(|f| std::fs::read_to_string(out.join(f)).unwrap().lines().count()).sum();
        assert_eq!(rows, 4, "{size}: {files:?}");
        files.len()
    };
    assert_eq!(parts(""), 1);
    // One file of input reaches the sink as one batch: a part per batch at 1 byte.
    assert_eq!(parts(", 'sink.rolling-policy.file-size' = '1b'"), 4);
}

#[test]
fn filesystem_option_errors() {
    let dir = tempfile::tempdir().unwrap();
    let table = |opts: &str| {
        format!(
            "CREATE TABLE t (id INT, dt STRING) PARTITIONED BY (dt) WITH ('connector' = 'filesystem',
             'path' = '{}', 'format' = 'json'{opts});",
            dir.path().display()
        )
    };
    let cases = [
        (", 'sink.rolling-policy.file-size' = 'big'", "must be a memory size such as '128MB', not 'big'"),
        (", 'sink.rolling-policy.rollover-interval' = 'soon'", "'sink.rolling-policy.rollover-interval'"),
        (", 'source.monitor-interval' = '0 s'", "'source.monitor-interval' of table 't' must be positive"),
        (
            ", 'sink.partition-commit.policy.kind' = 'metastore'",
            "partition-commit policy 'metastore' is not supported by Weir",
        ),
        (
            ", 'sink.partition-commit.policy.kind' = 'success-file', 'sink.partition-commit.trigger' = 'event-time'",
            "unknown partition-commit trigger 'event-time'",
        ),
        (
            ", 'sink.partition-commit.policy.kind' = 'success-file', 'sink.partition-commit.delay' = 'later'",
            "'sink.partition-commit.delay'",
        ),
        (
            ", 'sink.partition-commit.policy.kind' = 'success-file', 'sink.partition-commit.trigger' = 'partition-time',
             'partition.time-extractor.timestamp-formatter' = 'EEE, d MMM'",
            "'partition.time-extractor.timestamp-formatter'",
        ),
    ];
    for (opts, expected) in cases {
        let e = run(&table(opts), 1).unwrap_err().to_string();
        assert!(e.contains(expected), "{opts}: {e}");
    }
    let e = run(
        &format!(
            "CREATE TABLE t (id INT) PARTITIONED BY (dt) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');",
            dir.path().display()
        ),
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("dt"), "{e}");
}

#[test]
fn a_monitored_directory_is_read_as_files_appear() {
    use weir::prelude::*;
    use weir_connectors::file_source::FileSource;
    use weir_sql::format::{decode_files, FormatKind, FormatOptions};

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("1.json"), "{\"id\":1}\n").unwrap();
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let source = FileSource::new(dir.path()).monitor(Duration::from_millis(20));
    let lines = env.from_source(source, WatermarkStrategy::no_watermarks(), "monitored");
    let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(vec![arrow::datatypes::Field::new(
        "id",
        arrow::datatypes::DataType::Int32,
        true,
    )]));
    let sink = weir_connectors::sink::CollectSink::new();
    let handle = sink.handle();
    decode_files(&lines, schema, FormatOptions::new(FormatKind::Json)).map(|c| c.len()).sink_to(sink, "rows");
    // The job runs until the test process ends: a monitored source never finishes.
    let (_control, _job) = env.execute_async("monitor").unwrap();
    let wait_for = |rows: usize| {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = 0;
        while seen < rows {
            seen += handle.take().iter().sum::<usize>();
            assert!(Instant::now() < deadline, "saw {seen} of {rows} rows");
            std::thread::yield_now();
        }
        assert_eq!(seen, rows);
    };
    wait_for(1);
    // A file written elsewhere and moved in, as sinks do; a hidden one is not read.
    std::fs::write(dir.path().join(".2.json.tmp"), "{\"id\":2}\n{\"id\":3}\n").unwrap();
    std::fs::rename(dir.path().join(".2.json.tmp"), dir.path().join("2.json")).unwrap();
    std::fs::write(dir.path().join(".hidden"), "{\"id\":9}\n").unwrap();
    wait_for(2);
}

#[test]
fn json_reads_only_the_columns_a_query_uses() {
    // Flink pushes a query's projection into the json format: a field no query reads is
    // skipped, so a bad value there does not fail the job, while one in a read field does.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.json"),
        "{\"id\": 1, \"note\": \"fine\", \"n\": 5, \"ts\": \"2024-01-01 00:00:01\"}\n\
         {\"id\": 2, \"note\": \"oops\", \"n\": \"not a number\", \"ts\": \"2024-01-01 00:00:02\"}\n",
    )
    .unwrap();
    let table = format!(
        "CREATE TABLE r (id BIGINT, note STRING, n INT, ts TIMESTAMP(3), t2 AS ts + INTERVAL '1' SECOND,
           WATERMARK FOR ts AS ts) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');",
        dir.path().display()
    );
    // `n` is not read: both rows come through. The computed column's input `ts` is read.
    let mut rows = sql_common::run(&format!("{table} SELECT id, note, t2 FROM r;"), 1).unwrap();
    rows.sort();
    assert_eq!(rows, ["+I[1, fine, 2024-01-01 00:00:02.000]", "+I[2, oops, 2024-01-01 00:00:03.000]"]);
    // Reading `n` (in the filter or the projection) meets the bad value.
    for query in ["SELECT id FROM r WHERE n > 0;", "SELECT n FROM r;"] {
        let err = sql_common::run(&format!("{table} {query}"), 1).unwrap_err().to_string();
        assert!(err.contains("not a number"), "{query}: {err}");
    }
}

/// A row whose rowtime is NULL fails the job, as Flink's watermark assigner does, naming the
/// column; the same row in a table without a watermark is read.
#[test]
fn a_null_rowtime_fails_the_job_naming_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.jsonl");
    std::fs::write(&file, "{\"k\":\"a\",\"ts\":\"2024-05-01 10:00:01\"}\n{\"k\":\"b\",\"ts\":null}\n").unwrap();
    let table = |watermark: &str| {
        format!(
            "CREATE TABLE t (k STRING, ts TIMESTAMP(3){watermark}) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
             SELECT k FROM t;",
            file.display()
        )
    };
    let e = run(&table(", WATERMARK FOR ts AS ts"), 1).unwrap_err().to_string();
    assert!(e.contains("RowTime field should not be null") && e.contains("'ts'"), "{e}");
    let rows = run(&table(""), 1).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
}
