//! The `jdbc` connector from SQL against a real PostgreSQL (weir-testkit): append and
//! upsert sinks (updates and deletes from an updating query), the partitioned scan, lookup
//! joins with and without a cache (a change in the database seen after expiry), and the
//! errors for bad options, updating results into append-only tables and refused rows.

use crate::sql_common;

use sql_common::{error, run, Rows};

use std::sync::Arc;

use arrow::array::{Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion_physical_expr::expressions::{CastExpr, Column};
use datafusion_physical_expr::PhysicalExpr;
use weir_connectors::jdbc::{JdbcConnectionOptions, JdbcLookup, JdbcTable, JdbcType, LookupCache, LookupCacheOptions};
use weir_runtime::clock::ManualClock;
use weir_sql::session::{JobSettings, Session};
use weir_sql::stream::exchange::KeyEncoder;
use weir_sql::stream::lookup_join::{JdbcLookupJoinOperator, JdbcLookupPlan, ProbeJoin};
use weir_testkit::postgres::{PostgresServer, TestDatabase};

fn database(ddl: &str) -> TestDatabase {
    let db = PostgresServer::shared().create_database();
    db.connect().batch_execute(ddl).unwrap();
    db
}

/// `query`'s rows, values joined by `|`.
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

fn sequence(name: &str, end: i64) -> String {
    format!(
        "CREATE TABLE {name} (id BIGINT) WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', \
         'fields.id.start' = '1', 'fields.id.end' = '{end}');"
    )
}

#[test]
fn append_sink_inserts_every_row_with_flink_types() {
    let db = database(
        "CREATE TABLE events (id bigint, half int, ratio double precision, price numeric(8,2), label varchar(16), \
         even boolean, day date, at timestamp(3), at_ltz timestamptz)",
    );
    let sql = format!(
        "{}
         CREATE TABLE events (id BIGINT, half INT, ratio DOUBLE, price DECIMAL(8, 2), label VARCHAR(16),
           even BOOLEAN, `day` DATE, `at` TIMESTAMP(3), at_ltz TIMESTAMP_LTZ(3))
         WITH ('connector' = 'jdbc', 'url' = '{}', 'table-name' = 'events', 'username' = 'postgres',
               'driver' = 'org.postgresql.Driver', 'sink.buffer-flush.max-rows' = '7',
               'sink.buffer-flush.interval' = '0');
         INSERT INTO events SELECT id, CAST(id / 2 AS INT), id / 4.0, CAST(id * 1.25 AS DECIMAL(8, 2)),
           CONCAT('row ', CAST(id AS STRING)), id % 2 = 0, DATE '2024-03-02',
           TIMESTAMP '2024-01-01 00:00:03.250', TO_TIMESTAMP_LTZ(id * 1000, 3)
         FROM gen;",
        sequence("gen", 50),
        db.jdbc_url()
    );
    run(&sql, 2).unwrap();
    assert_eq!(rows(&db, "SELECT count(*), sum(id), count(DISTINCT id) FROM events"), ["50|1275|50"]);
    let mut client = db.connect();
    client.batch_execute("SET TIME ZONE 'UTC'").unwrap();
    let row: String = client
        .query_one(
            "SELECT concat_ws('|', id, half, ratio, price, label, even, day, at, at_ltz) FROM events WHERE id = 3",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(row, "3|1|0.75|3.75|row 3|f|2024-03-02|2024-01-01 00:00:03.25|1970-01-01 00:00:03+00");
}

#[test]
fn upsert_sink_follows_an_updating_query_with_updates_and_deletes() {
    let db = database(
        "CREATE TABLE counts (k bigint PRIMARY KEY, c bigint NOT NULL); \
         CREATE TABLE small (k bigint PRIMARY KEY, c bigint NOT NULL); \
         INSERT INTO small VALUES (1, 99), (7, 7)",
    );
    let url = db.jdbc_url();
    let sql = format!(
        "{}
         CREATE TABLE counts (k BIGINT, c BIGINT, PRIMARY KEY (k) NOT ENFORCED)
           WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 'counts', 'sink.buffer-flush.max-rows' = '3',
                 'sink.parallelism' = '3');
         CREATE TABLE small (k BIGINT, c BIGINT, PRIMARY KEY (k) NOT ENFORCED)
           WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 'public.small');
         EXECUTE STATEMENT SET BEGIN
         INSERT INTO counts SELECT id % 4, COUNT(*) FROM gen GROUP BY id % 4;
         INSERT INTO small SELECT id % 4, COUNT(*) FROM gen GROUP BY id % 4 HAVING COUNT(*) < 3;
         END;",
        sequence("gen", 10)
    );
    for parallelism in [1, 2] {
        run(&sql, parallelism).unwrap();
        assert_eq!(rows(&db, "SELECT * FROM counts ORDER BY k"), ["0|2", "1|3", "2|3", "3|2"], "p={parallelism}");
        // Keys 1 and 2 passed 2 and were deleted (the stale row of key 1 with them); 7 is
        // no key of the query and stays.
        assert_eq!(rows(&db, "SELECT * FROM small ORDER BY k"), ["0|2", "3|2", "7|7"], "p={parallelism}");
    }
}

#[test]
fn updating_results_need_a_primary_key_and_refused_rows_are_shown() {
    let db = database("CREATE TABLE t (k bigint, c bigint CHECK (c < 3))");
    let url = db.jdbc_url();
    let e = error(&format!(
        "{}
         CREATE TABLE t (k BIGINT, c BIGINT) WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 't');
         INSERT INTO t SELECT id % 2, COUNT(*) FROM gen GROUP BY id % 2;",
        sequence("gen", 5)
    ));
    assert!(e.contains("Table sink 't' doesn't support consuming update and delete changes"), "{e}");
    assert!(e.contains("PRIMARY KEY"), "{e}");

    let e = run(
        &format!(
            "{}
             CREATE TABLE t (k BIGINT, c BIGINT) WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 't');
             INSERT INTO t SELECT id AS k, id AS c FROM gen;",
            sequence("gen", 5)
        ),
        1,
    )
    .expect_err("rows 3 to 5 break the CHECK")
    .to_string();
    assert!(e.contains("table 't'") && e.contains("(3, 3)") && e.contains("violates check constraint"), "{e}");
}

#[test]
fn bad_options_are_refused_at_create_table() {
    let url = "jdbc:postgresql://127.0.0.1:5432/db";
    let cases = [
        (
            format!("'url' = '{url}', 'table-name' = 't', 'sink.buffer-flush.max-row' = '1'"),
            "Unsupported option 'sink.buffer-flush.max-row'",
        ),
        ("'url' = 'jdbc:mysql://h/db', 'table-name' = 't'".to_string(), "only PostgreSQL is supported"),
        (format!("'url' = '{url}'"), "needs the option 'table-name'"),
        (format!("'url' = '{url}', 'table-name' = 't', 'driver' = 'com.mysql.cj.jdbc.Driver'"), "PostgreSQL only"),
        (format!("'url' = '{url}', 'table-name' = 't', 'scan.partition.column' = 'k'"), "must all be given, or none"),
        (
            format!(
                "'url' = '{url}', 'table-name' = 't', 'scan.partition.column' = 'zz', 'scan.partition.num' = '2', \
                 'scan.partition.lower-bound' = '0', 'scan.partition.upper-bound' = '9'"
            ),
            "scan.partition.column 'zz' is not a column of table 't'",
        ),
        (
            format!("'url' = '{url}', 'table-name' = 't', 'lookup.cache' = 'PARTIAL'"),
            "needs 'lookup.partial-cache.max-rows'",
        ),
        (format!("'url' = '{url}', 'table-name' = 't', 'lookup.cache' = 'FULL'"), "must be NONE or PARTIAL"),
        (format!("'url' = '{url}', 'table-name' = 't', 'sink.buffer-flush.interval' = 'soon'"), "must be a duration"),
        (format!("'url' = '{url}', 'table-name' = 't', 'sink.max-retries' = 'x'"), "must be a number"),
    ];
    for (options, expected) in cases {
        let e = error(&format!("CREATE TABLE t (k BIGINT, v STRING) WITH ('connector' = 'jdbc', {options});"));
        assert!(e.contains(expected), "{options}: {e}");
    }
    let e = error(&format!(
        "CREATE TABLE t (k BIGINT, b BYTES) WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 't');"
    ));
    assert!(e.contains("Column 'b' of jdbc table 't'") && e.contains("does not support"), "{e}");
}

#[test]
fn partitioned_scan_reads_every_row_in_bounds() {
    let db = database(
        "CREATE TABLE items (id bigint, price numeric(6,2), name text); \
         INSERT INTO items SELECT g, g * 0.5, 'item ' || g FROM generate_series(1, 1000) g; \
         INSERT INTO items VALUES (5000, 1, 'beyond the upper bound')",
    );
    let table = |extra: &str| {
        format!(
            "CREATE TABLE items (id BIGINT, price DECIMAL(6, 2), name STRING) WITH ('connector' = 'jdbc',
               'url' = '{}', 'table-name' = 'items', 'scan.fetch-size' = '64' {extra});",
            db.jdbc_url()
        )
    };
    let partitioned = table(
        ", 'scan.partition.column' = 'id', 'scan.partition.num' = '3', 'scan.partition.lower-bound' = '1', \
         'scan.partition.upper-bound' = '1000'",
    );
    let query = "SELECT COUNT(*), SUM(id), SUM(price), COUNT(DISTINCT name) FROM items;";
    for p in [1, 2] {
        let result = run(&format!("{partitioned}\n{query}"), p).unwrap();
        assert_eq!(result.last().unwrap(), "+U[1000, 500500, 250250.00, 1000]", "p={p}: {result:?}");
    }
    let all = run(&format!("{}\n{query}", table("")), 2).unwrap();
    assert_eq!(all.last().unwrap(), "+U[1001, 505500, 250251.00, 1001]", "{all:?}");

    // Computed columns are computed over the rows read.
    let computed = format!(
        "CREATE TABLE items (id BIGINT, price DECIMAL(6, 2), name STRING, twice AS id * 2) WITH ('connector' = 'jdbc',
           'url' = '{}', 'table-name' = 'items');
         SELECT SUM(twice) FROM items WHERE id <= 10;",
        db.jdbc_url()
    );
    let result = run(&computed, 1).unwrap();
    assert!(result.last().unwrap().ends_with("[110]"), "{result:?}");
}

#[test]
fn lookup_join_queries_the_table_by_key() {
    let db = database(
        "CREATE TABLE dim (k bigint, name text, active boolean); \
         INSERT INTO dim VALUES (1, 'one', true), (2, 'two', true), (2, 'deux', false), (4, 'four', true)",
    );
    for cache in ["'lookup.cache' = 'NONE'", "'lookup.cache' = 'PARTIAL', 'lookup.partial-cache.max-rows' = '100'"] {
        let sql = format!(
            "CREATE TABLE probe (id BIGINT, p AS PROCTIME()) WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence',
               'fields.id.start' = '1', 'fields.id.end' = '5');
             CREATE TABLE dim (k BIGINT, name STRING, active BOOLEAN) WITH ('connector' = 'jdbc', 'url' = '{}',
               'table-name' = 'dim', {cache});
             SELECT id, d.name FROM probe LEFT JOIN dim FOR SYSTEM_TIME AS OF probe.p AS d
               ON probe.id = d.k AND d.active;",
            db.jdbc_url()
        );
        let mut result = run(&sql, 2).unwrap();
        result.sort();
        assert_eq!(result, ["+I[1, one]", "+I[2, two]", "+I[3, null]", "+I[4, four]", "+I[5, null]"], "{cache}");
    }
}

/// A lookup join with the table `dim (k int, name text)` by `k`, probed with BIGINT keys.
fn lookup_operator(
    db: &TestDatabase,
    cache: Option<LookupCacheOptions>,
    clock: Arc<ManualClock>,
) -> JdbcLookupJoinOperator {
    let probe_schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
    let table_schema =
        Arc::new(Schema::new(vec![Field::new("k", DataType::Int32, true), Field::new("name", DataType::Utf8, true)]));
    let out_schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("k", DataType::Int32, true),
        Field::new("name", DataType::Utf8, true),
    ]));
    let probe_key: Arc<dyn PhysicalExpr> = Arc::new(Column::new("id", 0));
    let right_key: Arc<dyn PhysicalExpr> =
        Arc::new(CastExpr::new(Arc::new(Column::new("k", 0)), DataType::Int64, None));
    let plan = JdbcLookupPlan {
        probe_to_table: vec![(probe_key.clone(), DataType::Int32)],
        lookup_columns: vec![0],
        table_schema: table_schema.clone(),
        steps: Vec::new(),
        right_schema: table_schema,
        right_keys: vec![right_key],
    };
    let join = ProbeJoin::new(KeyEncoder::new(vec![probe_key], &probe_schema).unwrap(), None, true, out_schema);
    let table = JdbcTable::new("dim", [("k", JdbcType::Int), ("name", JdbcType::Varchar)]);
    let lookup = JdbcLookup::new(JdbcConnectionOptions::new(&db.jdbc_url()).unwrap(), table, &["k"], 0).unwrap();
    JdbcLookupJoinOperator::new(plan, join, lookup, cache.map(LookupCache::new), clock).unwrap()
}

fn names(op: &mut JdbcLookupJoinOperator, ids: &[i64]) -> Vec<String> {
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, true)]));
    let probe = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(ids.to_vec()))]).unwrap();
    let out = op.join(&probe).unwrap().unwrap();
    let id = out.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
    let name = out.column(2).as_any().downcast_ref::<StringArray>().unwrap();
    (0..out.num_rows())
        .map(|i| format!("{}:{}", id.value(i), if name.is_null(i) { "NULL" } else { name.value(i) }))
        .collect()
}

#[test]
fn the_lookup_cache_hides_changes_until_its_entries_expire() {
    let db = database("CREATE TABLE dim (k int, name text); INSERT INTO dim VALUES (1, 'one'), (2, 'two')");
    let clock = Arc::new(ManualClock::new(0));
    let cache = LookupCacheOptions {
        max_rows: 100,
        expire_after_write: Some(std::time::Duration::from_secs(10)),
        expire_after_access: None,
        cache_missing_key: true,
    };
    let mut cached = lookup_operator(&db, Some(cache), clock.clone());
    let mut uncached = lookup_operator(&db, None, clock.clone());
    assert_eq!(names(&mut cached, &[1, 2, 3, 1]), ["1:one", "2:two", "3:NULL", "1:one"]);
    assert_eq!(names(&mut uncached, &[1, 3]), ["1:one", "3:NULL"]);

    db.connect().batch_execute("UPDATE dim SET name = 'uno' WHERE k = 1; INSERT INTO dim VALUES (3, 'three')").unwrap();
    clock.advance(9_999);
    assert_eq!(names(&mut cached, &[1, 3]), ["1:one", "3:NULL"], "cached, the missing key too");
    assert_eq!(names(&mut uncached, &[1, 3]), ["1:uno", "3:three"], "no cache: every batch queries");
    clock.advance(1);
    assert_eq!(names(&mut cached, &[1, 3, 2]), ["1:uno", "3:three", "2:two"], "expired: queried again");
}

#[test]
fn cache_and_sink_options_are_read_as_flink_names_them() {
    use std::time::Duration;
    let table = |options: &str| {
        let mut session = Session::new(JobSettings::default());
        let sql = format!(
            "CREATE TABLE t (k BIGINT, v STRING, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'jdbc',
               'url' = 'jdbc:postgresql://127.0.0.1:5432/db?user=app', 'table-name' = 't' {options});"
        );
        session.execute_script(&sql, &mut Rows(Vec::new())).unwrap();
        weir_sql::connectors::jdbc::settings(session.catalog().table("t").unwrap()).unwrap()
    };
    let partial = table(
        ", 'lookup.cache' = 'partial', 'lookup.partial-cache.max-rows' = '500', \
         'lookup.partial-cache.expire-after-write' = '10 s', 'lookup.partial-cache.expire-after-access' = '2 min', \
         'lookup.partial-cache.cache-missing-key' = 'false', 'lookup.max-retries' = '5'",
    );
    let expected = LookupCacheOptions {
        max_rows: 500,
        expire_after_write: Some(Duration::from_secs(10)),
        expire_after_access: Some(Duration::from_secs(120)),
        cache_missing_key: false,
    };
    assert_eq!(partial.cache, Some(expected));
    assert_eq!(partial.lookup_retries, 5);
    let legacy = table(", 'lookup.cache.max-rows' = '20', 'lookup.cache.ttl' = '1 s'");
    let expected = LookupCacheOptions {
        max_rows: 20,
        expire_after_write: Some(Duration::from_secs(1)),
        expire_after_access: None,
        cache_missing_key: true,
    };
    assert_eq!(legacy.cache, Some(expected));
    let none = table("");
    assert_eq!((none.cache, none.lookup_retries), (None, 3));
    assert_eq!(none.sink.max_rows, 100);
    assert_eq!(none.sink.flush_interval, Some(Duration::from_secs(1)));

    let sink = table(
        ", 'sink.buffer-flush.max-rows' = '7', 'sink.buffer-flush.interval' = '0', 'sink.max-retries' = '0', \
         'username' = 'other', 'password' = 'pw', 'scan.fetch-size' = '10'",
    );
    assert_eq!((sink.sink.max_rows, sink.sink.flush_interval, sink.sink.max_retries), (7, None, 0));
    assert_eq!(sink.scan.fetch_size, 10);
    assert_eq!(sink.table.key(), [0]);
    assert_eq!(sink.connection.database(), "db");
}
