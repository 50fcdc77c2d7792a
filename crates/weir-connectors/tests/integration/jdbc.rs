//! The JDBC connector against a real PostgreSQL (weir-testkit starts one on loopback):
//! the sink driven by hand as a sink task drives it (write, pre-commit at barriers, end of
//! input) in append and upsert mode, refused rows, the partitioned scan with a checkpointed
//! position, and lookups.

use weir_connectors::jdbc::{
    ChangeKind, JdbcChange, JdbcConnectionOptions, JdbcLookup, JdbcPartition, JdbcRow, JdbcScanOptions, JdbcSink,
    JdbcSinkOptions, JdbcSource, JdbcTable, JdbcType, JdbcValue,
};
use weir_core::{CheckpointId, StreamRecord};
use weir_runtime::{
    BoxError, ReadStatus, ReaderOutput, Sink, SinkWriter, Source, SourceReader, SplitAssignment, SplitEnumerator,
    SubtaskInfo,
};
use weir_testkit::postgres::{PostgresServer, TestDatabase};

fn database(ddl: &str) -> TestDatabase {
    let db = PostgresServer::shared().create_database();
    db.connect().batch_execute(ddl).unwrap();
    db
}

fn options(db: &TestDatabase) -> JdbcConnectionOptions {
    JdbcConnectionOptions::new(&db.jdbc_url()).unwrap()
}

fn identity(change: JdbcChange, out: &mut Vec<JdbcChange>) -> Result<(), BoxError> {
    out.push(change);
    Ok(())
}

type Writer =
    <JdbcSink<JdbcChange, fn(JdbcChange, &mut Vec<JdbcChange>) -> Result<(), BoxError>> as Sink<JdbcChange>>::Writer;

fn writer(db: &TestDatabase, table: JdbcTable, max_rows: usize) -> Writer {
    writer_with(db, table, JdbcSinkOptions { max_rows, flush_interval: None, max_retries: 0 })
}

fn writer_with(db: &TestDatabase, table: JdbcTable, sink_options: JdbcSinkOptions) -> Writer {
    let to_changes: fn(JdbcChange, &mut Vec<JdbcChange>) -> Result<(), BoxError> = identity;
    JdbcSink::new(options(db), table, sink_options, to_changes).create_writer(&SubtaskInfo::single("jdbc")).unwrap()
}

fn write(writer: &mut Writer, changes: Vec<JdbcChange>) -> Result<(), BoxError> {
    writer.write(&mut changes.into_iter().map(StreamRecord::new).collect())
}

fn change(kind: ChangeKind, k: i64, v: &str) -> JdbcChange {
    JdbcChange { kind, row: vec![JdbcValue::BigInt(k), JdbcValue::Text(v.into())] }
}

/// `SELECT query` as text rows.
fn rows(db: &TestDatabase, query: &str) -> Vec<String> {
    db.connect()
        .simple_query(query)
        .unwrap()
        .into_iter()
        .filter_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).unwrap_or("NULL").to_string()).collect::<Vec<_>>().join("|"))
            }
            _ => None,
        })
        .collect()
}

#[test]
fn append_sink_writes_every_type() {
    let db = database(
        "CREATE TABLE t (b boolean, i int, l bigint, d double precision, n numeric(10,2), s varchar(20), \
         day date, ts timestamp(3), ltz timestamptz)",
    );
    let table = JdbcTable::new(
        "t",
        [
            ("b", JdbcType::Boolean),
            ("i", JdbcType::Int),
            ("l", JdbcType::BigInt),
            ("d", JdbcType::Double),
            ("n", JdbcType::Decimal(10, 2)),
            ("s", JdbcType::Varchar),
            ("day", JdbcType::Date),
            ("ts", JdbcType::Timestamp),
            ("ltz", JdbcType::TimestampLtz),
        ],
    );
    let mut w = writer(&db, table.clone(), 100);
    let full = vec![
        JdbcValue::Bool(true),
        JdbcValue::Int(-7),
        JdbcValue::BigInt(1 << 40),
        JdbcValue::Double(2.5),
        JdbcValue::Decimal("12.34".into()),
        JdbcValue::Text("o'k \"x\"".into()),
        JdbcValue::Date(19_000),
        JdbcValue::Timestamp(1_700_000_000_123_000),
        JdbcValue::Timestamp(86_400_000_000),
    ];
    write(&mut w, vec![JdbcChange::insert(full.clone()), JdbcChange::insert(vec![JdbcValue::Null; 9])]).unwrap();
    assert!(rows(&db, "SELECT * FROM t").is_empty(), "buffered until a flush");
    w.prepare_commit(CheckpointId(1)).unwrap();
    let mut client = db.connect();
    client.batch_execute("SET TIME ZONE 'UTC'").unwrap();
    let text: Vec<String> = client
        .query("SELECT concat_ws('|', b, i, l, d, n, s, day, ts, ltz) FROM t WHERE b IS NOT NULL", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        text,
        ["t|-7|1099511627776|2.5|12.34|o'k \"x\"|2022-01-08|2023-11-14 22:13:20.123|1970-01-02 00:00:00+00"]
    );
    assert_eq!(rows(&db, "SELECT count(*) FROM t WHERE b IS NULL AND s IS NULL AND ts IS NULL"), ["1"]);

    // What was written reads back as the same values through the scan source.
    let read = scan_all(&db, table, JdbcScanOptions::default(), 1);
    assert!(read.contains(&full), "{read:?}");
}

#[test]
fn upsert_sink_applies_changes_by_key_and_is_idempotent() {
    let db = database("CREATE TABLE kv (k bigint PRIMARY KEY, v text NOT NULL)");
    let table =
        JdbcTable::new("kv", [("k", JdbcType::BigInt), ("v", JdbcType::Varchar)]).with_primary_key(["k"]).unwrap();
    use ChangeKind::*;
    let checkpoint_1 = vec![
        change(Insert, 1, "a"),
        change(Insert, 2, "b"),
        change(UpdateBefore, 1, "a"),
        change(UpdateAfter, 1, "a2"),
        change(Insert, 3, "c"),
        change(Delete, 3, "c"), // within one batch: the last change of a key wins
    ];
    let checkpoint_2 = vec![change(Delete, 2, "b"), change(Insert, 4, "d"), change(UpdateAfter, 1, "a3")];
    let mut w = writer(&db, table.clone(), 100);
    write(&mut w, checkpoint_1.clone()).unwrap();
    w.prepare_commit(CheckpointId(1)).unwrap();
    assert_eq!(rows(&db, "SELECT * FROM kv ORDER BY k"), ["1|a2", "2|b"]);
    write(&mut w, checkpoint_2.clone()).unwrap();
    w.flush(true).unwrap();
    let expected = ["1|a3", "4|d"];
    assert_eq!(rows(&db, "SELECT * FROM kv ORDER BY k"), expected);

    // A restored job replays what came after its checkpoint: same table. A small buffer
    // (flushes inside the replay) changes nothing either.
    let mut again = writer(&db, table.clone(), 2);
    write(&mut again, checkpoint_2).unwrap();
    again.flush(true).unwrap();
    assert_eq!(rows(&db, "SELECT * FROM kv ORDER BY k"), expected);
    let mut from_scratch = writer(&db, table, 1);
    write(&mut from_scratch, checkpoint_1).unwrap();
    from_scratch.flush(true).unwrap();
    assert_eq!(
        rows(&db, "SELECT * FROM kv ORDER BY k"),
        ["1|a2", "2|b", "4|d"],
        "the state after checkpoint 1, plus 4"
    );

    // A -U without its +U (a row that left a HAVING filter) removes the row, as Flink's
    // reduced buffer does.
    write(&mut from_scratch, vec![change(UpdateBefore, 4, "d")]).unwrap();
    from_scratch.flush(true).unwrap();
    assert_eq!(rows(&db, "SELECT * FROM kv ORDER BY k"), ["1|a2", "2|b"]);
}

#[test]
fn refused_rows_are_named_in_the_error() {
    let db = database("CREATE TABLE kv (k bigint PRIMARY KEY, v text NOT NULL CHECK (v <> 'bad'))");
    let table =
        JdbcTable::new("kv", [("k", JdbcType::BigInt), ("v", JdbcType::Varchar)]).with_primary_key(["k"]).unwrap();
    let mut w = writer(&db, table.clone(), 100);
    write(&mut w, vec![change(ChangeKind::Insert, 1, "fine"), change(ChangeKind::Insert, 2, "bad")]).unwrap();
    let e = w.flush(false).unwrap_err().to_string();
    assert!(e.contains("table 'kv'") && e.contains("(2, 'bad')") && e.contains("23514"), "{e}");
    assert!(rows(&db, "SELECT * FROM kv").is_empty(), "the refused batch is rolled back whole");

    // An append-only table cannot take a delete.
    let plain = JdbcTable::new("kv", [("k", JdbcType::BigInt), ("v", JdbcType::Varchar)]);
    let mut w = writer(&db, plain, 100);
    let e = write(&mut w, vec![change(ChangeKind::Delete, 1, "x")]).unwrap_err().to_string();
    assert!(e.contains("no primary key") && e.contains("(1, 'x')"), "{e}");

    // A table that does not exist.
    let missing = JdbcTable::new("nope", [("k", JdbcType::BigInt)]);
    let mut w = writer(&db, missing, 1);
    let e = write(&mut w, vec![JdbcChange::insert(vec![JdbcValue::BigInt(1)])]).unwrap_err().to_string();
    assert!(e.contains("table 'nope'") && e.contains("does not exist"), "{e}");

    // A server that is not there.
    let closed = JdbcConnectionOptions::new("jdbc:postgresql://127.0.0.1:1/db").unwrap();
    let sink = JdbcSink::new(closed, table, JdbcSinkOptions { max_retries: 0, ..Default::default() }, identity);
    let e = sink.create_writer(&SubtaskInfo::single("jdbc")).err().unwrap().to_string();
    assert!(e.contains("table 'kv'") && e.contains("jdbc:postgresql://127.0.0.1:1/db"), "{e}");
}

/// Reads every split with `parallelism` readers, by hand.
fn scan_all(db: &TestDatabase, table: JdbcTable, scan: JdbcScanOptions, parallelism: usize) -> Vec<JdbcRow> {
    let source = JdbcSource::new(options(db), table, scan).unwrap();
    let mut enumerator = source.create_enumerator(parallelism).unwrap();
    let mut all = Vec::new();
    for index in 0..parallelism {
        let info = SubtaskInfo { name: "scan".into(), index, parallelism, max_parallelism: 128 };
        let mut reader = source.create_reader(&info).unwrap();
        let mut out = ReaderOutput::default();
        loop {
            if reader.poll_next(&mut out, 7).unwrap() == ReadStatus::NeedsSplit {
                match enumerator.next_split(index) {
                    SplitAssignment::Split(s) => reader.add_split(s).unwrap(),
                    _ => break,
                }
            }
        }
        all.extend(out.into_records().into_iter().map(|r| r.value));
    }
    all
}

#[test]
fn partitioned_scan_reads_each_row_in_bounds_once_and_resumes_from_its_position() {
    let db = database(
        "CREATE TABLE items (id bigint, name text); \
         INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 100) g; \
         INSERT INTO items VALUES (1000, 'out of bounds')",
    );
    let table = JdbcTable::new("items", [("id", JdbcType::BigInt), ("name", JdbcType::Varchar)]);
    let partitioned = JdbcScanOptions {
        partition: Some(JdbcPartition { column: "id".into(), num: 3, lower: 1, upper: 100 }),
        fetch_size: 10,
        max_retries: 0,
    };
    let mut ids: Vec<i64> = scan_all(&db, table.clone(), partitioned.clone(), 2)
        .into_iter()
        .map(|r| match r[0] {
            JdbcValue::BigInt(v) => v,
            ref other => panic!("{other:?}"),
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=100).collect::<Vec<_>>());
    assert_eq!(scan_all(&db, table.clone(), JdbcScanOptions::default(), 2).len(), 101, "unpartitioned: all rows");

    // A reader's position, taken mid-split, is where a new reader continues.
    let source = JdbcSource::new(options(&db), table.clone(), partitioned).unwrap();
    let mut reader = source.create_reader(&SubtaskInfo::single("scan")).unwrap();
    let mut enumerator = source.create_enumerator(1).unwrap();
    let SplitAssignment::Split(first) = enumerator.next_split(0) else { panic!("a split") };
    reader.add_split(first).unwrap();
    let mut out = ReaderOutput::default();
    reader.poll_next(&mut out, 5).unwrap();
    reader.poll_next(&mut out, 5).unwrap();
    let position = reader.snapshot_state().unwrap();
    assert_eq!(position.len(), 1);
    assert_eq!(position[0].offset, 10);
    let mut resumed = source.create_reader(&SubtaskInfo::single("scan")).unwrap();
    resumed.add_split(position[0].clone()).unwrap();
    while resumed.poll_next(&mut out, 5).unwrap() != ReadStatus::NeedsSplit {}
    let got: Vec<JdbcRow> = out.into_records().into_iter().map(|r| r.value).collect();
    let expected: Vec<JdbcRow> =
        (1..=34).map(|i| vec![JdbcValue::BigInt(i), JdbcValue::Text(format!("item {i}"))]).collect();
    assert_eq!(got, expected, "the first third, in order, once");

    let bad = JdbcScanOptions {
        partition: Some(JdbcPartition { column: "nope".into(), num: 2, lower: 0, upper: 1 }),
        ..Default::default()
    };
    let e = JdbcSource::new(options(&db), table, bad).unwrap_err().to_string();
    assert!(e.contains("'nope'") && e.contains("'items'"), "{e}");
}

#[test]
fn lookups_fetch_the_rows_of_many_keys_at_once() {
    let db = database(
        "CREATE TABLE dim (k int, tag text, w numeric(6,1)); \
         INSERT INTO dim VALUES (1, 'one', 1.5), (2, 'two', 2), (2, 'deux', NULL), (NULL, 'none', 0)",
    );
    let table =
        JdbcTable::new("dim", [("k", JdbcType::Int), ("tag", JdbcType::Varchar), ("w", JdbcType::Decimal(6, 1))]);
    let mut lookup = JdbcLookup::new(options(&db), table.clone(), &["k"], 0).unwrap();
    let keys = [vec![JdbcValue::Int(2)], vec![JdbcValue::Int(3)], vec![JdbcValue::Null], vec![JdbcValue::Int(1)]];
    let mut found: Vec<String> = lookup.lookup(&keys).unwrap().iter().map(|r| format!("{r:?}")).collect();
    found.sort();
    assert_eq!(
        found,
        [
            r#"[Int(1), Text("one"), Decimal("1.5")]"#,
            r#"[Int(2), Text("deux"), Null]"#,
            r#"[Int(2), Text("two"), Decimal("2.0")]"#,
        ]
    );
    // The table changes; a lookup sees it (caching is the caller's).
    db.connect().batch_execute("UPDATE dim SET tag = 'uno' WHERE k = 1").unwrap();
    let again = lookup.lookup(&[vec![JdbcValue::Int(1)]]).unwrap();
    assert_eq!(again[0][1], JdbcValue::Text("uno".into()));
    let e = JdbcLookup::new(options(&db), table, &["zz"], 0).err().unwrap().to_string();
    assert!(e.contains("'zz'"), "{e}");
}

#[test]
fn buffered_rows_of_an_idle_stream_are_written_after_the_flush_interval() {
    let db = database("CREATE TABLE kv (k bigint PRIMARY KEY, v text)");
    let table =
        JdbcTable::new("kv", [("k", JdbcType::BigInt), ("v", JdbcType::Varchar)]).with_primary_key(["k"]).unwrap();
    let sink_options =
        JdbcSinkOptions { max_rows: 1000, flush_interval: Some(std::time::Duration::from_millis(100)), max_retries: 0 };
    let mut w = writer_with(&db, table, sink_options);
    write(&mut w, vec![change(ChangeKind::Insert, 1, "idle")]).unwrap();
    // No further call: the writer's flush thread writes the row.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while rows(&db, "SELECT * FROM kv").is_empty() {
        assert!(std::time::Instant::now() < deadline, "the buffered row was not written within 20 s");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(rows(&db, "SELECT * FROM kv"), ["1|idle"]);

    // A failure of the flush thread is reported by the writer's next call.
    db.connect().batch_execute("ALTER TABLE kv ADD CONSTRAINT short CHECK (length(v) < 5)").unwrap();
    write(&mut w, vec![change(ChangeKind::Insert, 2, "too long")]).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let e = loop {
        match write(&mut w, Vec::new()) {
            Err(e) => break e.to_string(),
            Ok(()) => assert!(std::time::Instant::now() < deadline, "the flush thread's failure was not reported"),
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(e.contains("table 'kv'") && e.contains("(2, 'too long')"), "{e}");
}

/// Ends every other connection to the database, as a server restart or a network failure
/// would.
fn terminate_other_connections(db: &TestDatabase) {
    let ended: Vec<bool> = db
        .connect()
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!ended.is_empty() && ended.iter().all(|e| *e), "the writer's connection was ended: {ended:?}");
}

#[test]
fn a_lost_connection_is_reopened_within_the_retries() {
    let db = database("CREATE TABLE kv (k bigint PRIMARY KEY, v text)");
    let table =
        JdbcTable::new("kv", [("k", JdbcType::BigInt), ("v", JdbcType::Varchar)]).with_primary_key(["k"]).unwrap();

    let mut w =
        writer_with(&db, table.clone(), JdbcSinkOptions { max_rows: 100, flush_interval: None, max_retries: 1 });
    write(&mut w, vec![change(ChangeKind::Insert, 1, "before")]).unwrap();
    w.flush(false).unwrap();
    terminate_other_connections(&db);
    write(&mut w, vec![change(ChangeKind::Insert, 2, "after")]).unwrap();
    w.flush(false).unwrap();
    assert_eq!(rows(&db, "SELECT * FROM kv ORDER BY k"), ["1|before", "2|after"]);

    let mut w = writer_with(&db, table, JdbcSinkOptions { max_rows: 100, flush_interval: None, max_retries: 0 });
    write(&mut w, vec![change(ChangeKind::Insert, 3, "lost")]).unwrap();
    terminate_other_connections(&db);
    let e = w.flush(false).unwrap_err().to_string();
    assert!(e.contains("table 'kv'") && e.contains("failed after 0 retries"), "{e}");
}
