//! `'connector' = 'kafka'` and `'upsert-kafka'` from SQL against a real Kafka-protocol broker
//! (tansu on loopback): writing with INSERT, reading with SELECT (bounded by
//! `'scan.bounded.mode' = 'latest-offset'`), keys, metadata columns, upserts and deletes, bad
//! records and bad options.

use crate::sql_common;

use std::collections::BTreeMap;

use sql_common::kafka::{consume, message, produce};
use sql_common::{error, run};
use weir_connectors::kafka::KafkaProducerRecord;
use weir_testkit::kafka::KafkaBroker;

/// A JSON Kafka table read from the earliest to the latest offset.
fn kafka_table(broker: &KafkaBroker, name: &str, columns: &str, topic: &str, extra: &str) -> String {
    sql_common::kafka::kafka_table(broker, name, columns, topic, "json", extra)
}

#[test]
fn insert_into_kafka_then_select_from_it() {
    let broker = KafkaBroker::start();
    broker.create_topic("orders", 3);
    let orders = kafka_table(
        &broker,
        "orders",
        "id BIGINT, customer STRING, amount DOUBLE",
        "orders",
        ", 'key.format' = 'json', 'key.fields' = 'customer', 'value.fields-include' = 'EXCEPT_KEY'",
    );
    let sql = format!(
        "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '60');
         {orders}
         INSERT INTO orders SELECT id, CONCAT('c', CAST(id % 4 AS STRING)), id * 1.5 FROM gen;"
    );
    run(&sql, 2).unwrap();
    // The key holds the customer, the value the rest (EXCEPT_KEY); a key goes to one partition.
    let raw = consume(&broker, "orders");
    assert_eq!(raw.len(), 60);
    assert!(
        raw.iter().all(|(k, v)| k.as_deref().is_some_and(|k| k.starts_with("{\"customer\":\"c"))
            && v.as_deref().is_some_and(|v| v.starts_with("{\"id\":") && !v.contains("customer"))),
        "{raw:?}"
    );
    // Read back: every row once, keys and values joined again.
    let rows =
        run(&format!("{orders} SELECT customer, COUNT(*), SUM(amount), MIN(id) FROM orders GROUP BY customer;"), 2)
            .unwrap();
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    for r in &rows {
        let body = &r[3..r.len() - 1];
        let customer = body.split(", ").next().unwrap().to_string();
        if r.starts_with("+I") || r.starts_with("+U") {
            last.insert(customer, body.to_string());
        }
    }
    let expected: BTreeMap<String, String> = (0..4)
        .map(|c| {
            let ids: Vec<i64> = (1..=60).filter(|i| i % 4 == c).collect();
            let sum: f64 = ids.iter().map(|&i| i as f64 * 1.5).sum();
            (format!("c{c}"), format!("c{c}, {}, {sum:.1}, {}", ids.len(), ids[0]))
        })
        .collect();
    assert_eq!(last, expected, "{rows:?}");
}

#[test]
fn metadata_columns_show_where_each_record_is() {
    let broker = KafkaBroker::start();
    broker.create_topic("meta", 1);
    let mut first = message(Some("a"), Some(r#"{"v":1}"#));
    first.timestamp = Some(1_700_000_000_123);
    first.headers = vec![("trace".into(), Some(b"x1".to_vec())), ("empty".into(), None)];
    let mut second = message(None, Some(r#"{"v":2}"#));
    second.timestamp = Some(1_700_000_001_000);
    produce(&broker, "meta", vec![first, second, message(None, None)]);
    let table = kafka_table(
        &broker,
        "m",
        "v INT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', `partition` INT METADATA VIRTUAL,
         `offset` BIGINT METADATA VIRTUAL, t STRING METADATA FROM 'topic' VIRTUAL,
         hs MAP<STRING, BYTES> METADATA FROM 'headers' VIRTUAL",
        "meta",
        "",
    );
    let rows = run(
        &format!("SET 'table.local-time-zone' = 'UTC';\n{table}\nSELECT v, ts, `partition`, `offset`, t, hs FROM m;"),
        1,
    )
    .unwrap();
    // The tombstone (no value) is not a row of a plain Kafka table.
    assert_eq!(
        rows,
        [
            "+I[1, 2023-11-14 22:13:20.123, 0, 0, meta, {trace=x'7831', empty=null}]",
            "+I[2, 2023-11-14 22:13:21.000, 0, 1, meta, {}]",
        ]
    );
}

#[test]
fn a_partition_behind_another_holds_the_watermark_back_instead_of_losing_rows() {
    // One reader (parallelism 1) reads both partitions; each is in order, but partition 1's
    // times are behind partition 0's. Flink keeps a watermark per partition and takes the
    // least, so no row is late and every window counts all four of its rows.
    let broker = KafkaBroker::start();
    broker.create_topic("clicks", 2);
    let at = |ms: i64| format!("1970-01-01 00:00:{:02}.{:03}", ms / 1000, ms % 1000);
    let mut messages = Vec::new();
    for i in 0..10 {
        for (partition, ms) in [(0, i * 1000), (1, i * 1000 + 500)] {
            let mut m = message(None, Some(&format!(r#"{{"id":{i},"at":"{}"}}"#, at(ms))));
            m.partition = Some(partition);
            messages.push(m);
        }
    }
    // Partition 0 first, then partition 1: the reader meets partition 1's rows late.
    messages.sort_by_key(|m| m.partition);
    produce(&broker, "clicks", messages);
    let table = kafka_table(
        &broker,
        "clicks",
        "id BIGINT, `at` STRING, ts AS TO_TIMESTAMP(`at`), WATERMARK FOR ts AS ts",
        "clicks",
        "",
    );
    let rows = run(
        &format!(
            "{table}\nSELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '2' SECOND))\n\
             GROUP BY window_start, window_end;"
        ),
        1,
    )
    .unwrap();
    let mut rows = rows;
    rows.sort();
    assert_eq!(
        rows,
        (0..5).map(|w| format!("+I[1970-01-01 00:00:{:02}.000, 4]", w * 2)).collect::<Vec<_>>(),
        "every row of both partitions is counted"
    );
}

#[test]
fn headers_are_written_from_a_metadata_column() {
    let broker = KafkaBroker::start();
    broker.create_topic("traced", 1);
    broker.create_topic("copied", 1);
    let mut first = message(None, Some(r#"{"v":1}"#));
    first.headers = vec![("trace".into(), Some(b"x1".to_vec())), ("empty".into(), None)];
    produce(&broker, "traced", vec![first, message(None, Some(r#"{"v":2}"#))]);
    let source = kafka_table(&broker, "traced", "v INT, hs MAP<STRING, BYTES> METADATA FROM 'headers'", "traced", "");
    let sink = kafka_table(&broker, "copied", "v INT, hs MAP<STRING, BYTES> METADATA FROM 'headers'", "copied", "");
    run(&format!("{source}\n{sink}\nINSERT INTO copied SELECT v + 10, hs FROM traced;"), 1).unwrap();
    let rows = run(&format!("{sink}\nSELECT v, hs FROM copied;"), 1).unwrap();
    assert_eq!(rows, ["+I[11, {trace=x'7831', empty=null}]", "+I[12, {}]"]);
}

#[test]
fn upsert_kafka_writes_keys_and_tombstones_and_reads_a_changelog() {
    let broker = KafkaBroker::start();
    // One partition: a key's updates and its tombstone must be in one partition's order (with
    // two, the tombstone written to partition 0 could be read between updates of the key
    // written to partition 1, and the key would come back).
    broker.create_topic("totals", 1);
    let totals = format!(
        "CREATE TABLE totals (k STRING, n BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH (
           'connector' = 'upsert-kafka', 'topic' = 'totals', 'properties.bootstrap.servers' = '{}',
           'key.format' = 'json', 'value.format' = 'json', 'scan.bounded.mode' = 'latest-offset',
           'properties.batch.num.messages' = '1');",
        broker.bootstrap_servers()
    );
    let sql = format!(
        "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '30');
         {totals}
         INSERT INTO totals SELECT CONCAT('k', CAST(id % 3 AS STRING)), COUNT(*) FROM gen GROUP BY id % 3;"
    );
    run(&sql, 1).unwrap();
    let raw = consume(&broker, "totals");
    assert!(raw.iter().all(|(k, v)| k.is_some() && v.is_some()), "updates write the new row under its key: {raw:?}");
    assert!(raw.contains(&(Some(r#"{"k":"k0"}"#.into()), Some(r#"{"k":"k0","n":10}"#.into()))), "{raw:?}");
    // A tombstone deletes k1.
    produce(
        &broker,
        "totals",
        vec![KafkaProducerRecord { partition: Some(0), ..message(Some(r#"{"k":"k1"}"#), None) }],
    );
    let rows = run(&format!("{totals} SELECT k, n FROM totals;"), 2).unwrap();
    // Normalised: the first row of a key is +I, later ones -U/+U, the tombstone -D.
    let mut state: BTreeMap<String, String> = BTreeMap::new();
    for r in &rows {
        let body = r[3..r.len() - 1].to_string();
        let key = body.split(", ").next().unwrap().to_string();
        match &r[..2] {
            "+I" => assert!(state.insert(key, body).is_none(), "+I of a key already there: {rows:?}"),
            "-U" | "-D" => assert_eq!(state.remove(&key), Some(body), "retracts what was there: {rows:?}"),
            "+U" => assert!(state.insert(key, body).is_none(), "+U after its -U: {rows:?}"),
            other => panic!("unexpected kind {other}"),
        }
    }
    assert!(rows.iter().any(|r| r.starts_with("-D[k1")), "{rows:?}");
    assert_eq!(state, BTreeMap::from([("k0".into(), "k0, 10".into()), ("k2".into(), "k2, 10".into())]));
    // An updating result cannot go to a plain Kafka table.
    let plain = kafka_table(&broker, "plain", "k STRING, n BIGINT", "totals", "");
    let e = error(&format!(
        "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '5');
         {plain} INSERT INTO plain SELECT CAST(id AS STRING), COUNT(*) FROM gen GROUP BY id;"
    ));
    assert!(e.contains("doesn't support consuming update and delete changes"), "{e}");
}

#[test]
fn malformed_records_name_topic_partition_and_offset_or_are_skipped() {
    let broker = KafkaBroker::start();
    broker.create_topic("dirty", 1);
    produce(
        &broker,
        "dirty",
        vec![message(None, Some(r#"{"v":1}"#)), message(None, Some("{oops")), message(None, Some(r#"{"v":3}"#))],
    );
    let strict = kafka_table(&broker, "d", "v INT", "dirty", "");
    let e = error(&format!("{strict} SELECT v FROM d;"));
    assert!(e.contains("topic dirty, partition 0, offset 1"), "{e}");
    assert!(e.contains("table 'd'"), "{e}");
    let lenient = kafka_table(&broker, "d", "v INT", "dirty", ", 'json.ignore-parse-errors' = 'true'");
    assert_eq!(run(&format!("{lenient} SELECT v FROM d;"), 1).unwrap(), ["+I[1]", "+I[3]"]);
    let sql = format!("{strict} SELECT v FROM d;");
    // Per-format options under value.* work as well.
    let value_lenient =
        sql.replace("'format' = 'json'", "'value.format' = 'json', 'value.json.ignore-parse-errors' = 'true'");
    assert_eq!(run(&value_lenient, 1).unwrap(), ["+I[1]", "+I[3]"]);
}

#[test]
fn bad_options_are_refused_at_create_table_with_flinks_words() {
    let servers = "'properties.bootstrap.servers' = '127.0.0.1:1'";
    let cases = [
        (format!("'connector' = 'kafka', {servers}, 'format' = 'json'"), "needs either 'topic' or 'topic-pattern'"),
        (
            format!("'connector' = 'kafka', 'topic' = 't', 'topic-pattern' = 't.*', {servers}, 'format' = 'json'"),
            "shouldn't be set together",
        ),
        (
            format!("'connector' = 'kafka', 'topic' = 't', {servers}, 'format' = 'json', 'scan.startup.mode' = 'first'"),
            "Invalid value for option 'scan.startup.mode'",
        ),
        (
            format!(
                "'connector' = 'kafka', 'topic' = 't', {servers}, 'format' = 'json', 'scan.startup.mode' = 'specific-offsets', \
                 'scan.startup.specific-offsets' = 'partition:0'"
            ),
            "'scan.startup.specific-offsets'",
        ),
        (
            format!("'connector' = 'kafka', 'topic' = 't', {servers}, 'format' = 'json', 'scan.startup.mode' = 'latest-offset', 'sink.delivery-guarantee' = 'exactly-once'"),
            "'sink.transactional-id-prefix'",
        ),
        (
            format!("'connector' = 'kafka', 'topic' = 't', {servers}, 'format' = 'json', 'scan.startup.mode' = 'latest-offset', 'sink.delivery-guarantee' = 'twice'"),
            "'sink.delivery-guarantee'",
        ),
        (
            format!("'connector' = 'kafka', 'topic' = 't', {servers}, 'format' = 'json', 'scan.startup.mode' = 'latest-offset', 'scan.bounded.mode' = 'soon'"),
            "'scan.bounded.mode'",
        ),
        (
            format!("'connector' = 'kafka', 'topic' = 't', {servers}, 'format' = 'xml', 'scan.startup.mode' = 'latest-offset'"),
            "Unsupported format 'xml'",
        ),
        (
            format!("'connector' = 'kafka', 'topic' = 't', {servers}, 'format' = 'json', 'scan.startup.mode' = 'latest-offset', 'key.format' = 'json'"),
            "'key.format' and 'key.fields' go together",
        ),
        (
            format!("'connector' = 'kafka', 'topic' = 't', {servers}, 'format' = 'json', 'scan.startup.mode' = 'latest-offset', 'sink.semantic' = 'x'"),
            "Unsupported option 'sink.semantic'",
        ),
        (format!("'connector' = 'upsert-kafka', 'topic' = 't', {servers}, 'key.format' = 'json', 'value.format' = 'json'"), "PRIMARY KEY"),
    ];
    for (options, expected) in cases {
        let e = error(&format!("CREATE TABLE x (a INT, b STRING) WITH ({options});"));
        assert!(e.contains(expected), "{options}\n→ {e}");
    }
    let e = error(&format!(
        "CREATE TABLE x (a INT, o BIGINT METADATA FROM 'leader-epoch') WITH ('connector' = 'kafka', 'topic' = 't',
           {servers}, 'format' = 'json', 'scan.startup.mode' = 'latest-offset');"
    ));
    assert!(e.contains("Invalid metadata key 'leader-epoch'"), "{e}");
    // Group offsets (the default start) need a group, when the table is read.
    let e = error(&format!(
        "CREATE TABLE x (a INT) WITH ('connector' = 'kafka', 'topic' = 't', {servers}, 'format' = 'json');
         SELECT a FROM x;"
    ));
    assert!(e.contains("needs 'properties.group.id'"), "{e}");
}

#[test]
fn a_missing_topic_fails_the_query_naming_it() {
    let broker = KafkaBroker::start();
    let table = kafka_table(&broker, "gone", "v INT", "gone", "");
    let e = error(&format!("{table} SELECT v FROM gone;"));
    assert!(e.contains("topic 'gone' does not exist"), "{e}");
    // Group offsets (the default start) without a committed offset: Flink's default
    // 'auto.offset.reset' is none, an error; with 'earliest' it reads from the start.
    broker.create_topic("fresh", 1);
    produce(&broker, "fresh", vec![message(None, Some(r#"{"v":7}"#))]);
    let table = |reset: &str| {
        format!(
            "CREATE TABLE f (v INT) WITH ('connector' = 'kafka', 'topic' = 'fresh', 'properties.bootstrap.servers' = '{}',
               'properties.group.id' = 'g'{reset}, 'scan.bounded.mode' = 'latest-offset', 'format' = 'json');",
            broker.bootstrap_servers()
        )
    };
    let e = error(&format!("{} SELECT v FROM f;", table("")));
    assert!(e.contains("fresh-0 has no committed offset") && e.contains("'properties.auto.offset.reset'"), "{e}");
    let rows = run(&format!("{} SELECT v FROM f;", table(", 'properties.auto.offset.reset' = 'earliest'")), 1).unwrap();
    assert_eq!(rows, ["+I[7]"]);
}
