//! OVER windows Weir cannot run in streaming mode: each is refused when the query is
//! planned, with an error in the user's terms.

use weir_sql::error::{ErrorKind, SqlError};
use weir_sql::session::{JobSettings, ResultSink, Session};

struct Ignore;

impl ResultSink for Ignore {
    fn row(&mut self, _: &str) {}
    fn message(&mut self, _: &str) {}
}

/// The error of explaining `query` over the `clicks` table.
fn error(query: &str) -> SqlError {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("clicks.jsonl");
    std::fs::write(&path, "").expect("input");
    let tables = format!(
        "CREATE TABLE clicks (
           player STRING, page STRING, ms INT, ts TIMESTAMP(3), seen TIMESTAMP(3),
           WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
         ) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');",
        path.display()
    );
    let mut session = Session::new(JobSettings::default());
    session.execute_script(&tables, &mut Ignore).expect("tables");
    match session.execute_script(&format!("EXPLAIN {query}"), &mut Ignore) {
        Ok(()) => panic!("planned: {query}"),
        Err(e) => e,
    }
}

fn assert_error(query: &str, kind: ErrorKind, words: &[&str]) {
    let e = error(query);
    assert_eq!(e.kind, kind, "{query}: {}", e.message);
    for w in words {
        assert!(e.message.contains(w), "{query}: '{}' does not mention '{w}'", e.message);
    }
}

#[test]
fn row_number_without_a_rank_filter() {
    assert_error(
        "SELECT player, ROW_NUMBER() OVER (PARTITION BY player ORDER BY ms DESC) AS rn FROM clicks",
        ErrorKind::Unsupported,
        &["ROW_NUMBER()", "Top-N", "WHERE rn <= 3"],
    );
    // A filter on another column is no rank filter either.
    assert_error(
        "SELECT * FROM (SELECT player, ms, ROW_NUMBER() OVER (PARTITION BY player ORDER BY ms) AS rn FROM clicks) \
         WHERE ms > 3",
        ErrorKind::Unsupported,
        &["ROW_NUMBER()", "Top-N"],
    );
}

#[test]
fn over_aggregation_ordered_by_a_non_time_column() {
    assert_error(
        "SELECT player, SUM(ms) OVER (PARTITION BY player ORDER BY ms ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) \
         FROM clicks",
        ErrorKind::Unsupported,
        &["time attribute"],
    );
    // A TIMESTAMP column without a watermark is no time attribute.
    assert_error(
        "SELECT player, COUNT(*) OVER (PARTITION BY player ORDER BY seen) FROM clicks",
        ErrorKind::Unsupported,
        &["time attribute"],
    );
}

#[test]
fn over_aggregation_descending_in_time() {
    assert_error(
        "SELECT player, COUNT(*) OVER (PARTITION BY player ORDER BY ts DESC) FROM clicks",
        ErrorKind::Unsupported,
        &["ascending"],
    );
}

#[test]
fn frames_with_following_rows() {
    assert_error(
        "SELECT SUM(ms) OVER (PARTITION BY player ORDER BY ts \
         RANGE BETWEEN INTERVAL '1' SECOND PRECEDING AND INTERVAL '1' SECOND FOLLOWING) FROM clicks",
        ErrorKind::Unsupported,
        &["FOLLOWING", "CURRENT ROW"],
    );
    assert_error(
        "SELECT SUM(ms) OVER (PARTITION BY player ORDER BY ts ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) \
         FROM clicks",
        ErrorKind::Unsupported,
        &["FOLLOWING"],
    );
}

#[test]
fn aggregates_over_different_windows() {
    assert_error(
        "SELECT SUM(ms) OVER (PARTITION BY player ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), \
         COUNT(*) OVER (PARTITION BY player ORDER BY ts) FROM clicks",
        ErrorKind::Unsupported,
        &["same window"],
    );
}

#[test]
fn over_aggregation_of_an_updating_input() {
    // An updating input is ordered by any columns (tests/sql_over_updating.rs runs it), but a
    // RANGE frame with an interval still needs one ascending timestamp to measure it on.
    let latest = "(SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY player, page ORDER BY ts DESC) AS rn \
                  FROM clicks) WHERE rn = 1)";
    assert_error(
        &format!(
            "SELECT player, COUNT(*) OVER (PARTITION BY player ORDER BY ts DESC \
             RANGE BETWEEN INTERVAL '1' SECOND PRECEDING AND CURRENT ROW) FROM {latest}"
        ),
        ErrorKind::Unsupported,
        &["RANGE", "updating", "Rank", "ascending"],
    );
    assert_error(
        &format!("SELECT player, SUM(ms) OVER (PARTITION BY player ORDER BY ts ROWS BETWEEN 1 FOLLOWING AND 2 FOLLOWING) FROM {latest}"),
        ErrorKind::Unsupported,
        &["FOLLOWING"],
    );
}

#[test]
fn other_window_functions() {
    // LAG is an OVER aggregate (as in Flink); LEAD would need rows not yet seen.
    assert_error(
        "SELECT player, LEAD(ms) OVER (PARTITION BY player ORDER BY ts) FROM clicks",
        ErrorKind::Unsupported,
        &["LEAD Function is not supported in stream mode."],
    );
}
