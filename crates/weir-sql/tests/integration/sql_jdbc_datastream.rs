//! The JDBC connector from the DataStream API, in real jobs against a real PostgreSQL
//! (weir-testkit): a keyed rolling sum upserted into a table by its key at parallelism 2,
//! then read back by a partitioned scan source in a second job. (It lives beside the SQL
//! tests because this crate depends on both the DataStream API and the connectors.)

use weir::prelude::*;
use weir_connectors::jdbc::{
    JdbcChange, JdbcConnectionOptions, JdbcPartition, JdbcRow, JdbcScanOptions, JdbcSink, JdbcSinkOptions, JdbcSource,
    JdbcTable, JdbcType, JdbcValue,
};
use weir_testkit::postgres::PostgresServer;

#[test]
fn a_keyed_sum_upserted_then_scanned_back() {
    let db = PostgresServer::shared().create_database();
    db.connect().batch_execute("CREATE TABLE sums (k bigint PRIMARY KEY, total bigint NOT NULL)").unwrap();
    let table =
        JdbcTable::new("sums", [("k", JdbcType::BigInt), ("total", JdbcType::BigInt)]).with_primary_key(["k"]).unwrap();
    let connection = JdbcConnectionOptions::new(&db.jdbc_url()).unwrap();

    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let options = JdbcSinkOptions { max_rows: 16, ..Default::default() };
    let sink = JdbcSink::new(
        connection.clone(),
        table.clone(),
        options,
        |(k, total): (i64, i64), out: &mut Vec<JdbcChange>| {
            out.push(JdbcChange::insert(vec![JdbcValue::BigInt(k), JdbcValue::BigInt(total)]));
            Ok(())
        },
    );
    env.from_sequence(1, 10_000)
        .map(|i: i64| (i % 10, i))
        .key_by(|t: &(i64, i64)| t.0)
        .sum(1)
        .sink_to(sink, "Sink: sums");
    env.execute("sums into postgres").unwrap();

    let mut expected = [0i64; 10];
    for i in 1..=10_000i64 {
        expected[(i % 10) as usize] += i;
    }
    let mut client = db.connect();
    let stored: Vec<(i64, i64)> = client
        .query("SELECT k, total FROM sums ORDER BY k", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(stored, expected.iter().enumerate().map(|(k, t)| (k as i64, *t)).collect::<Vec<_>>());

    let scan = JdbcScanOptions {
        partition: Some(JdbcPartition { column: "k".into(), num: 4, lower: 0, upper: 9 }),
        fetch_size: 3,
        max_retries: 0,
    };
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let source = JdbcSource::new(connection, table, scan).unwrap();
    let rows = env.from_source(source, WatermarkStrategy::no_watermarks(), "JdbcScan: sums").collect();
    env.execute("scan postgres").unwrap();
    let mut read: Vec<JdbcRow> = rows.take();
    read.sort_by_key(|r| match r[0] {
        JdbcValue::BigInt(k) => k,
        _ => i64::MAX,
    });
    let expected_rows: Vec<JdbcRow> =
        expected.iter().enumerate().map(|(k, t)| vec![JdbcValue::BigInt(k as i64), JdbcValue::BigInt(*t)]).collect();
    assert_eq!(read, expected_rows);
}
