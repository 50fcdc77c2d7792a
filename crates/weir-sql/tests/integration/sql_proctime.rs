//! Processing time in SQL: `PROCTIME()` attributes, processing-time windows and
//! deduplication. Flink's output depends on the wall clock, so it cannot be the reference:
//! the session's jobs read a `ManualClock`, which makes every answer below exact.

use std::sync::Arc;

use weir_runtime::ManualClock;
use weir_sql::error::{ErrorKind, SqlError};
use weir_sql::session::{JobSettings, ResultSink, Session};

/// Rows and messages, as printed.
#[derive(Default)]
struct Lines {
    rows: Vec<String>,
    messages: Vec<String>,
}

impl ResultSink for Lines {
    fn row(&mut self, line: &str) {
        self.rows.push(line.to_string());
    }
    fn message(&mut self, text: &str) {
        self.messages.push(text.to_string());
    }
}

/// 2026-01-01 00:00:07.250 UTC.
const NOW: i64 = 1_767_225_607_250;

/// A session at parallelism `p` reading `clock`, with table `bids` (`n` rows: bidder
/// `i % 3`, price `i`) and its processing-time attribute `p`.
fn session(dir: &tempfile::TempDir, n: usize, p: usize, clock: &ManualClock) -> Session {
    let path = dir.path().join("bids.jsonl");
    let rows: String = (0..n).map(|i| format!("{{\"bidder\": {}, \"price\": {i}}}\n", i % 3)).collect();
    std::fs::write(&path, rows).expect("input");
    let mut session =
        Session::new(JobSettings { parallelism: p, ..Default::default() }).with_clock(Arc::new(clock.clone()));
    let ddl = format!(
        "CREATE TABLE bids (bidder BIGINT, price BIGINT, p AS PROCTIME()) \
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');",
        path.display()
    );
    session.execute_script(&ddl, &mut Lines::default()).expect("table");
    session
}

fn run(session: &mut Session, sql: &str) -> Result<Vec<String>, SqlError> {
    let mut out = Lines::default();
    session.execute_script(sql, &mut out)?;
    let mut rows = out.rows;
    rows.sort();
    Ok(rows)
}

#[test]
fn describe_shows_the_processing_time_attribute() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(&dir, 0, 1, &ManualClock::new(NOW));
    let mut out = Lines::default();
    s.execute_script("DESCRIBE bids;", &mut out).unwrap();
    let text = out.messages.join("\n");
    let line = text.lines().find(|l| l.contains("| p ") || l.contains(" p |")).expect("row of p");
    assert!(line.contains("TIMESTAMP_LTZ(3) *PROCTIME*"), "{line}");
    assert!(line.contains("FALSE"), "not nullable: {line}");
    assert!(line.contains("AS PROCTIME()"), "{line}");
}

#[test]
fn proctime_is_the_clock_when_the_row_is_processed() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(&dir, 2, 1, &ManualClock::new(NOW));
    let rows = run(&mut s, "SELECT price, p, PROCTIME() AS q FROM bids;").unwrap();
    assert_eq!(
        rows,
        vec![
            "+I[0, 2026-01-01 00:00:07.250, 2026-01-01 00:00:07.250]",
            "+I[1, 2026-01-01 00:00:07.250, 2026-01-01 00:00:07.250]"
        ]
    );
}

#[test]
fn window_tvf_over_proctime_counts_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    for p in [1, 2] {
        let mut s = session(&dir, 300, p, &ManualClock::new(NOW));
        for tvf in [
            "TUMBLE(TABLE bids, DESCRIPTOR(p), INTERVAL '10' SECOND)",
            "CUMULATE(TABLE bids, DESCRIPTOR(p), INTERVAL '5' SECOND, INTERVAL '10' SECOND)",
        ] {
            let sql = format!(
                "SELECT bidder, window_start, window_end, COUNT(*), SUM(price) FROM TABLE({tvf}) \
                 GROUP BY bidder, window_start, window_end;"
            );
            let rows = run(&mut s, &sql).unwrap();
            // All rows arrive at 00:00:07.250: one window [0 s, 10 s) per bidder; CUMULATE's
            // first window [0 s, 5 s) has ended before they arrive.
            assert_eq!(
                rows,
                vec![
                    "+I[0, 2026-01-01 00:00:00.000, 2026-01-01 00:00:10.000, 100, 14850]",
                    "+I[1, 2026-01-01 00:00:00.000, 2026-01-01 00:00:10.000, 100, 14950]",
                    "+I[2, 2026-01-01 00:00:00.000, 2026-01-01 00:00:10.000, 100, 15050]",
                ],
                "p{p} {tvf}"
            );
        }
        // HOP: the row is in two windows, counted once in each.
        let rows = run(
            &mut s,
            "SELECT window_start, window_end, COUNT(*) FROM \
             TABLE(HOP(TABLE bids, DESCRIPTOR(p), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) \
             GROUP BY window_start, window_end;",
        )
        .unwrap();
        assert_eq!(
            rows,
            vec![
                "+I[2026-01-01 00:00:00.000, 2026-01-01 00:00:10.000, 300]",
                "+I[2026-01-01 00:00:05.000, 2026-01-01 00:00:15.000, 300]"
            ],
            "p{p}"
        );
    }
}

#[test]
fn window_tvf_over_proctime_alone_assigns_each_row() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(&dir, 2, 1, &ManualClock::new(NOW));
    let rows = run(
        &mut s,
        "SELECT price, window_start, window_end FROM \
         TABLE(HOP(TABLE bids, DESCRIPTOR(p), INTERVAL '5' SECOND, INTERVAL '10' SECOND));",
    )
    .unwrap();
    assert_eq!(
        rows,
        vec![
            "+I[0, 2026-01-01 00:00:00.000, 2026-01-01 00:00:10.000]",
            "+I[0, 2026-01-01 00:00:05.000, 2026-01-01 00:00:15.000]",
            "+I[1, 2026-01-01 00:00:00.000, 2026-01-01 00:00:10.000]",
            "+I[1, 2026-01-01 00:00:05.000, 2026-01-01 00:00:15.000]",
        ]
    );
}

#[test]
fn a_view_keeps_the_attribute() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(&dir, 4, 1, &ManualClock::new(NOW));
    let mut out = Lines::default();
    s.execute_script("CREATE VIEW v AS SELECT bidder, p AS t FROM bids; DESCRIBE v;", &mut out).unwrap();
    assert!(out.messages.join("\n").contains("TIMESTAMP_LTZ(3) *PROCTIME*"), "{:?}", out.messages);
    let rows = run(
        &mut s,
        "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE v, DESCRIPTOR(t), INTERVAL '1' MINUTE)) \
         GROUP BY window_start, window_end;",
    )
    .unwrap();
    assert_eq!(rows, vec!["+I[2026-01-01 00:00:00.000, 4]"]);
}

#[test]
fn legacy_group_window_over_proctime() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(&dir, 30, 2, &ManualClock::new(NOW));
    let rows = run(
        &mut s,
        "SELECT bidder, COUNT(*) AS c, TUMBLE_START(p, INTERVAL '10' SECOND), TUMBLE_END(p, INTERVAL '10' SECOND) \
         FROM bids GROUP BY bidder, TUMBLE(p, INTERVAL '10' SECOND);",
    )
    .unwrap();
    assert_eq!(
        rows,
        vec![
            "+I[0, 10, 2026-01-01 00:00:00.000, 2026-01-01 00:00:10.000]",
            "+I[1, 10, 2026-01-01 00:00:00.000, 2026-01-01 00:00:10.000]",
            "+I[2, 10, 2026-01-01 00:00:00.000, 2026-01-01 00:00:10.000]",
        ]
    );
    // A subquery's PROCTIME(), as in Nexmark q12; the totals equal the input.
    let rows = run(
        &mut s,
        "SELECT SUM(c) FROM (SELECT B.bidder, COUNT(*) AS c, TUMBLE_PROCTIME(B.t, INTERVAL '10' SECOND) AS pt \
         FROM (SELECT bidder, PROCTIME() AS t FROM bids) B GROUP BY B.bidder, TUMBLE(B.t, INTERVAL '10' SECOND));",
    )
    .unwrap();
    assert!(rows.iter().any(|r| r == "+U[30]" || r == "+I[30]"), "{rows:?}");
}

#[test]
fn deduplication_on_proctime() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(&dir, 9, 2, &ManualClock::new(NOW));
    // Keep first: each bidder's first row, insert-only (rows of one file arrive in order).
    let rows = run(
        &mut s,
        "SELECT bidder, price FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY p) AS rn FROM bids) \
         WHERE rn = 1;",
    )
    .unwrap();
    assert_eq!(rows, vec!["+I[0, 0]", "+I[1, 1]", "+I[2, 2]"]);
    // Keep last: an updating result ending with each bidder's last row.
    let mut out = Lines::default();
    s.execute_script(
        "SELECT bidder, price FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder ORDER BY p DESC) AS rn \
         FROM bids) WHERE rn = 1;",
        &mut out,
    )
    .unwrap();
    let mut last = std::collections::BTreeMap::new();
    for r in &out.rows {
        let (kind, values) = r.split_at(2);
        match kind {
            "+I" | "+U" => {
                last.insert(values[1..2].to_string(), values.to_string());
            }
            _ => {}
        }
    }
    // (Rows of one batch update a key once: the changelog in between depends on batching.)
    assert_eq!(last.into_values().collect::<Vec<_>>(), vec!["[0, 6]", "[1, 7]", "[2, 8]"]);
}

fn error(sql: &str) -> SqlError {
    let dir = tempfile::tempdir().unwrap();
    let mut s = session(&dir, 0, 1, &ManualClock::new(NOW));
    match s.execute_script(&format!("EXPLAIN {sql}"), &mut Lines::default()) {
        Ok(()) => panic!("planned: {sql}"),
        Err(e) => e,
    }
}

#[test]
fn misuse_is_refused() {
    let e = error(
        "SELECT COUNT(*), TUMBLE_ROWTIME(p, INTERVAL '1' SECOND) FROM bids GROUP BY TUMBLE(p, INTERVAL '1' SECOND)",
    );
    assert_eq!(e.kind, ErrorKind::Validation, "{}", e.message);
    assert!(e.message.contains("TUMBLE_PROCTIME"), "{}", e.message);
    let e = error(
        "SELECT window_start, COUNT(*) FROM TABLE(SESSION(TABLE bids, DESCRIPTOR(p), INTERVAL '1' SECOND)) \
         GROUP BY window_start, window_end",
    );
    assert!(e.message.contains("processing-time"), "{}", e.message);
}

/// A session with `bids` and the bounded dimension tables `names` (filesystem; bidder 2
/// twice, no bidder 1) and `gen` (datagen, a sequence 0..=1).
fn lookup_session(dir: &tempfile::TempDir, p: usize) -> Session {
    let mut s = session(dir, 6, p, &ManualClock::new(NOW));
    let names = dir.path().join("names.jsonl");
    std::fs::write(
        &names,
        "{\"id\": 0, \"name\": \"zero\"}\n{\"id\": 2, \"name\": \"two\"}\n{\"id\": 2, \"name\": \"deux\"}\n\
         {\"id\": null, \"name\": \"nobody\"}\n",
    )
    .unwrap();
    let ddl = format!(
        "CREATE TABLE names (id BIGINT, name STRING) \
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json'); \
         CREATE TABLE gen (id BIGINT, v INT) WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', \
         'fields.id.start' = '0', 'fields.id.end' = '1', 'fields.v.kind' = 'sequence', 'fields.v.start' = '10', \
         'fields.v.end' = '11');",
        names.display()
    );
    s.execute_script(&ddl, &mut Lines::default()).unwrap();
    s
}

#[test]
fn lookup_join_reads_a_bounded_table_as_of_proctime() {
    // Flink refuses these: a filesystem or datagen table is no lookup source ("Processing-time
    // temporal join is not supported yet"), so the expected rows are worked out by hand.
    let dir = tempfile::tempdir().unwrap();
    for p in [1, 2] {
        let mut s = lookup_session(&dir, p);
        let inner = run(
            &mut s,
            "SELECT b.price, n.name FROM bids AS b JOIN names FOR SYSTEM_TIME AS OF b.p AS n ON b.bidder = n.id;",
        )
        .unwrap();
        assert_eq!(inner, vec!["+I[0, zero]", "+I[2, deux]", "+I[2, two]", "+I[3, zero]", "+I[5, deux]", "+I[5, two]"]);
        let left = run(
            &mut s,
            "SELECT b.price, n.name FROM bids AS b LEFT JOIN names FOR SYSTEM_TIME AS OF b.p AS n \
             ON b.bidder = n.id AND n.name <> 'deux';",
        )
        .unwrap();
        assert_eq!(left, vec!["+I[0, zero]", "+I[1, null]", "+I[2, two]", "+I[3, zero]", "+I[4, null]", "+I[5, two]"]);
        // As in Nexmark q13: a computed key and a datagen table, through a subquery's PROCTIME().
        let q13 = run(
            &mut s,
            "SELECT B.price, S.v FROM (SELECT *, PROCTIME() AS t FROM bids) B \
             JOIN gen FOR SYSTEM_TIME AS OF B.t AS S ON MOD(B.price, 2) = S.id;",
        )
        .unwrap();
        assert_eq!(q13, vec!["+I[0, 10]", "+I[1, 11]", "+I[2, 10]", "+I[3, 11]", "+I[4, 10]", "+I[5, 11]"], "p{p}");
    }
}

#[test]
fn lookup_join_misuse_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = lookup_session(&dir, 1);
    let refused = |s: &mut Session, sql: &str, words: &[&str]| {
        let e = s.execute_script(&format!("EXPLAIN {sql}"), &mut Lines::default()).expect_err(sql);
        assert!(words.iter().all(|w| e.message.contains(w)), "{sql}: {}", e.message);
    };
    // No equality on the dimension table's columns.
    refused(
        &mut s,
        "SELECT b.price FROM bids AS b JOIN names FOR SYSTEM_TIME AS OF b.p AS n ON b.price > 2",
        &["equality", "'names'"],
    );
    // AS OF a column that is no time attribute.
    refused(
        &mut s,
        "SELECT b.price FROM bids AS b JOIN names FOR SYSTEM_TIME AS OF b.price AS n ON b.bidder = n.id",
        &["b.price", "not a time attribute"],
    );
    // Only INNER and LEFT.
    refused(
        &mut s,
        "SELECT b.price FROM bids AS b FULL JOIN names FOR SYSTEM_TIME AS OF b.p AS n ON b.bidder = n.id",
        &["INNER or LEFT"],
    );
    // An unbounded table cannot be read whole.
    s.execute_script("CREATE TABLE endless (id BIGINT) WITH ('connector' = 'datagen');", &mut Lines::default())
        .unwrap();
    refused(
        &mut s,
        "SELECT b.price FROM bids AS b JOIN endless FOR SYSTEM_TIME AS OF b.p AS e ON b.bidder = e.id",
        &["'endless'", "bounded"],
    );
}
