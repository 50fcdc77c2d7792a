//! Streaming joins: which of Flink's joins a query becomes (seen in `EXPLAIN`), whether
//! its result is insert-only or updating, and the errors for join shapes that cannot run.
//! Results are checked against Flink by the scenarios under `tests/scenarios/join-*`.

use weir_sql::error::SqlError;
use weir_sql::session::{JobSettings, ResultSink, Session};

#[derive(Default)]
struct Text(Vec<String>);

impl ResultSink for Text {
    fn row(&mut self, line: &str) {
        self.0.push(line.to_string());
    }
    fn message(&mut self, text: &str) {
        self.0.push(text.to_string());
    }
}

const TABLES: &str = "
CREATE TABLE auction (
  id BIGINT, seller BIGINT, category BIGINT, `dateTime` TIMESTAMP(3), expires TIMESTAMP(3),
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DIR}/auction.jsonl', 'format' = 'json');
CREATE TABLE bid (
  auction BIGINT, price BIGINT, `dateTime` TIMESTAMP(3),
  WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DIR}/bid.jsonl', 'format' = 'json');
CREATE TABLE person (id BIGINT, name STRING, `dateTime` TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '${DIR}/person.jsonl', 'format' = 'json');
CREATE TABLE rates (
  currency STRING, cents INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts, PRIMARY KEY (currency) NOT ENFORCED
) WITH ('connector' = 'filesystem', 'path' = '${DIR}/rates.jsonl', 'format' = 'json');
CREATE TABLE orders (id BIGINT, currency STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'filesystem', 'path' = '${DIR}/orders.jsonl', 'format' = 'json');
CREATE TABLE sink (a BIGINT, b BIGINT) WITH ('connector' = 'filesystem', 'path' = '${DIR}/out', 'format' = 'json');
";

/// Runs `sql` after the tables' DDL, over empty input files.
fn run(sql: &str) -> Result<String, SqlError> {
    let dir = tempfile::tempdir().expect("temp dir");
    for table in ["auction", "bid", "person", "rates", "orders"] {
        std::fs::write(dir.path().join(format!("{table}.jsonl")), "").expect("input file");
    }
    let tables = TABLES.replace("${DIR}", &dir.path().display().to_string());
    let mut session = Session::new(JobSettings { parallelism: 2, ..Default::default() });
    let mut out = Text::default();
    session.execute_script(&format!("{tables}\n{sql}"), &mut out)?;
    Ok(out.0.join("\n"))
}

fn explain(query: &str) -> String {
    run(&format!("EXPLAIN {query}")).unwrap_or_else(|e| panic!("{query}: {e}"))
}

fn changelog(plan: &str) -> &str {
    plan.split("== Changelog ==").nth(1).and_then(|s| s.lines().nth(1)).unwrap_or("")
}

#[test]
fn bounds_between_rowtimes_make_an_interval_join() {
    let plan = explain(
        "SELECT B.price, A.seller FROM bid B JOIN auction A ON B.auction = A.id \
         AND B.`dateTime` BETWEEN A.`dateTime` - INTERVAL '5' SECOND AND A.`dateTime` + INTERVAL '5' SECOND",
    );
    assert!(plan.contains("IntervalJoin"), "{plan}");
    assert_eq!(changelog(&plan), "insert-only (+I)");
    let plan = explain(
        "SELECT B.price FROM bid B LEFT JOIN auction A ON B.auction = A.id \
         AND B.`dateTime` >= A.`dateTime` AND B.`dateTime` < A.`dateTime` + INTERVAL '1' HOUR",
    );
    assert!(plan.contains("IntervalJoin"), "{plan}");
    assert_eq!(changelog(&plan), "insert-only (+I)");
}

#[test]
fn a_bound_that_is_not_a_rowtime_makes_a_regular_join() {
    // Nexmark q4: `expires` is a plain timestamp, so this is a regular join, as in Flink.
    let plan = explain(
        "SELECT B.price, A.category FROM auction A, bid B \
         WHERE A.id = B.auction AND B.`dateTime` BETWEEN A.`dateTime` AND A.expires",
    );
    assert!(plan.contains("Join") && !plan.contains("IntervalJoin"), "{plan}");
    // Inner join of insert-only inputs: insert-only.
    assert_eq!(changelog(&plan), "insert-only (+I)");
    // A side without a watermark has no rowtime: regular join.
    let plan = explain(
        "SELECT P.name FROM person P JOIN auction A ON P.id = A.seller \
         AND P.`dateTime` BETWEEN A.`dateTime` AND A.`dateTime` + INTERVAL '1' SECOND",
    );
    assert!(!plan.contains("IntervalJoin"), "{plan}");
}

#[test]
fn equal_window_bounds_make_a_window_join() {
    let plan = explain(
        "SELECT L.auction, R.seller FROM \
         (SELECT * FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))) L \
         LEFT JOIN (SELECT * FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))) R \
         ON L.window_start = R.window_start AND L.window_end = R.window_end AND L.auction = R.id",
    );
    assert!(plan.contains("WindowJoin"), "{plan}");
    assert_eq!(changelog(&plan), "insert-only (+I)");
    // Only the start equated: a regular join (updating, as it is outer).
    let plan = explain(
        "SELECT L.auction FROM \
         (SELECT * FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))) L \
         LEFT JOIN (SELECT * FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))) R \
         ON L.window_start = R.window_start AND L.auction = R.id",
    );
    assert!(!plan.contains("WindowJoin"), "{plan}");
    assert_eq!(changelog(&plan), "updating (+I, -U, +U, -D)");
}

#[test]
fn outer_and_updating_joins_are_updating() {
    let plan = explain("SELECT B.price, A.seller FROM bid B LEFT JOIN auction A ON B.auction = A.id");
    assert_eq!(changelog(&plan), "updating (+I, -U, +U, -D)");
    let plan = explain(
        "SELECT A.seller, M.top FROM auction A JOIN \
         (SELECT auction, MAX(price) AS top FROM bid GROUP BY auction) M ON A.id = M.auction",
    );
    assert_eq!(changelog(&plan), "updating (+I, -U, +U, -D)");
    let plan = explain("SELECT B.price FROM bid B WHERE B.auction IN (SELECT id FROM auction)");
    assert_eq!(changelog(&plan), "insert-only (+I)");
    let plan = explain("SELECT B.price FROM bid B WHERE NOT EXISTS (SELECT 1 FROM auction A WHERE A.id = B.auction)");
    assert_eq!(changelog(&plan), "updating (+I, -U, +U, -D)");
}

#[test]
fn an_updating_join_into_an_append_sink_is_refused() {
    let e = run("INSERT INTO sink SELECT B.price, A.seller FROM bid B LEFT JOIN auction A ON B.auction = A.id")
        .expect_err("a left join updates");
    assert!(
        e.message.contains("doesn't support consuming update changes")
            && e.message.contains("Join(joinType=[Left], where=[B.auction = A.id])"),
        "{}",
        e.message
    );
}

#[test]
fn not_in_with_a_subquery_is_an_updating_anti_join() {
    // As NOT EXISTS: a later matching (or NULL) subquery row retracts the row.
    let plan = explain("SELECT B.price FROM bid B WHERE B.auction NOT IN (SELECT id FROM auction)");
    assert_eq!(changelog(&plan), "updating (+I, -U, +U, -D)");
    let e =
        run("INSERT INTO sink SELECT B.price, B.auction FROM bid B WHERE B.auction NOT IN (SELECT id FROM auction)")
            .expect_err("an anti join updates");
    assert!(e.message.contains("doesn't support consuming update changes"), "{}", e.message);
}

#[test]
fn a_window_tvf_over_an_updating_join_is_refused() {
    let e = run(
        "CREATE VIEW j AS SELECT B.price, A.`dateTime` AS ts FROM bid B LEFT JOIN auction A ON B.auction = A.id;\n\
         INSERT INTO sink SELECT COUNT(*), 1 FROM TABLE(TUMBLE(TABLE j, DESCRIPTOR(ts), INTERVAL '1' SECOND)) \
         GROUP BY window_start, window_end",
    )
    .expect_err("updating input of a window TVF");
    // A regular join's result has no time attribute (Flink's message).
    assert!(
        e.message.contains("The window function requires the timecol is a time attribute type, but is TIMESTAMP(3)"),
        "{}",
        e.message
    );
}

#[test]
fn for_system_time_as_of_makes_a_temporal_join() {
    // The AS OF column and the version's time are kept in the plan even when unused.
    let plan = explain(
        "SELECT o.id, r.cents FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency",
    );
    assert!(plan.contains("TemporalJoin"), "{plan}");
    assert_eq!(changelog(&plan), "insert-only (+I)");
    // Without an alias, columns keep the table's name.
    let plan = explain(
        "SELECT o.id, rates.cents FROM orders AS o LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts \
         ON o.currency = rates.currency",
    );
    assert!(plan.contains("TemporalJoin"), "{plan}");
}

#[test]
fn temporal_joins_of_other_shapes_are_refused() {
    let refused = |query: &str, words: &[&str]| {
        let e = run(&format!("INSERT INTO sink {query}")).expect_err(query);
        assert!(words.iter().all(|w| e.message.contains(w)), "{query}: {}", e.message);
    };
    // A table without a primary key is not versioned.
    refused(
        "SELECT o.id, A.seller FROM orders AS o JOIN auction FOR SYSTEM_TIME AS OF o.ts AS A ON o.id = A.id",
        &["'auction'", "PRIMARY KEY"],
    );
    // AS OF a column without a watermark: a processing-time temporal join.
    refused(
        "SELECT P.id, r.cents FROM person AS P JOIN rates FOR SYSTEM_TIME AS OF P.`dateTime` AS r \
         ON P.name = r.currency",
        &["P.dateTime", "rowtime attribute", "processing-time"],
    );
    refused(
        "SELECT o.id, r.cents FROM orders AS o FULL JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r \
         ON o.currency = r.currency",
        &["INNER or LEFT", "'rates'"],
    );
    refused(
        "SELECT o.id, r.cents FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.id = r.cents",
        &["primary key column 'currency'"],
    );
}

#[test]
fn a_window_join_of_different_windows_is_refused() {
    let e = run("INSERT INTO sink SELECT L.auction, R.seller FROM \
         (SELECT * FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(`dateTime`), INTERVAL '10' SECOND))) L \
         JOIN (SELECT * FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(`dateTime`), INTERVAL '5' SECOND))) R \
         ON L.window_start = R.window_start AND L.window_end = R.window_end AND L.auction = R.id")
    .expect_err("different windows");
    assert!(e.message.contains("same windows on both sides"), "{}", e.message);
}

/// A versioned view over an updating input (here a Debezium changelog) would need its
/// deletes to end a key's history; its ranking's retractions are replaced versions only over
/// an insert-only input, so Weir refuses the other case rather than drop the deletes.
#[test]
fn a_versioned_view_over_an_updating_input_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    for table in ["rates_cdc", "orders"] {
        std::fs::write(dir.path().join(format!("{table}.jsonl")), "").expect("input file");
    }
    let script = "
CREATE TABLE rates_cdc (currency STRING, cents INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'filesystem', 'path' = '${DIR}/rates_cdc.jsonl', 'format' = 'debezium-json');
CREATE TABLE orders (id BIGINT, currency STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'filesystem', 'path' = '${DIR}/orders.jsonl', 'format' = 'json');
CREATE VIEW latest AS SELECT currency, cents, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY currency ORDER BY ts DESC) AS rn FROM rates_cdc) WHERE rn = 1;
SELECT o.id, r.cents FROM orders o JOIN latest FOR SYSTEM_TIME AS OF o.ts AS r ON o.currency = r.currency;
"
    .replace("${DIR}", &dir.path().display().to_string());
    let mut session = Session::new(JobSettings::default());
    let e = session.execute_script(&script, &mut Text::default()).expect_err("refused").to_string();
    assert!(e.contains("versioned view") && e.contains("updating input"), "{e}");
}
