//! Misused group windows and session windows fail at planning with errors in the user's
//! terms, before any job runs.

use weir_sql::session::{JobSettings, ResultSink, Session};

struct Discard;

impl ResultSink for Discard {
    fn row(&mut self, _: &str) {}
    fn message(&mut self, _: &str) {}
}

const TABLES: &str = "
CREATE TABLE clicks (
  `user` STRING, page STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}', 'format' = 'json');
CREATE VIEW last_click AS SELECT `user`, MAX(ts) AS ts FROM clicks GROUP BY `user`;
CREATE TABLE click_changes (
  `user` STRING, page STRING, ms INT, ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH ('connector' = 'filesystem', 'path' = '${DATA}', 'format' = 'debezium-json');
";

/// The error of the last statement of `sql`, run after the tables above.
fn error_of(sql: &str) -> String {
    let data = tempfile::NamedTempFile::new().expect("a temporary file");
    let tables = TABLES.replace("${DATA}", data.path().to_str().expect("a UTF-8 path"));
    let mut session = Session::new(JobSettings::default());
    session.execute_script(&tables, &mut Discard).expect("the tables are valid");
    match session.execute_script(sql, &mut Discard) {
        Ok(()) => panic!("no error for {sql}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn misused_group_windows_are_explained() {
    let cases: &[(&str, &str)] = &[
        (
            "SELECT TUMBLE_START(ts, INTERVAL '10' SECOND), COUNT(*) FROM clicks GROUP BY `user`",
            "Call to auxiliary group function 'TUMBLE_START' must have matching call to group function 'TUMBLE'",
        ),
        (
            "SELECT TUMBLE_END(ts, INTERVAL '5' SECOND), COUNT(*) FROM clicks GROUP BY TUMBLE(ts, INTERVAL '10' SECOND)",
            "'TUMBLE_END' must have matching call to group function 'TUMBLE' with the same arguments",
        ),
        (
            "SELECT HOP_START(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND) FROM clicks \
             GROUP BY TUMBLE(ts, INTERVAL '10' SECOND)",
            "'HOP_START' must have matching call to group function 'HOP'",
        ),
        (
            "SELECT COUNT(*) FROM clicks GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), SESSION(ts, INTERVAL '1' SECOND)",
            "Only one group window (TUMBLE, HOP or SESSION) is allowed in GROUP BY",
        ),
        ("SELECT COUNT(*) FROM clicks GROUP BY TUMBLE(ts)", "TUMBLE(ts) takes 2 arguments, TUMBLE(time_attr, size)"),
        (
            "SELECT COUNT(*) FROM clicks GROUP BY TUMBLE(page, INTERVAL '10' SECOND)",
            "The time attribute 'page' of TUMBLE must be a TIMESTAMP or TIMESTAMP_LTZ column",
        ),
        (
            "SELECT COUNT(*) FROM clicks GROUP BY HOP(tss, INTERVAL '5' SECOND, INTERVAL '10' SECOND)",
            "The time attribute 'tss' of HOP is not a column of 'clicks'; did you mean 'ts'?",
        ),
        (
            "SELECT COUNT(*) FROM clicks GROUP BY HOP(ts, INTERVAL '4' SECOND, INTERVAL '10' SECOND)",
            "HOP: the window size must be an integral multiple of the slide",
        ),
        (
            "SELECT COUNT(*) FROM clicks GROUP BY SESSION(ts, INTERVAL '0' SECOND)",
            "SESSION: the session gap must be positive",
        ),
        (
            "SELECT COUNT(*) FROM clicks WHERE TUMBLE_END(ts, INTERVAL '1' SECOND) IS NOT NULL \
             GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)",
            "The auxiliary group function 'TUMBLE_END' is not allowed in WHERE",
        ),
        (
            "SELECT COUNT(*) FROM clicks a JOIN clicks b ON a.`user` = b.`user` GROUP BY TUMBLE(a.ts, INTERVAL '1' SECOND)",
            "needs one table, view or subquery in FROM; put joins in a subquery first",
        ),
        (
            "SELECT COUNT(*) FROM clicks GROUP BY SESSION(ts, INTERVAL '1' SECOND), UPPER(`user`)",
            "A SESSION group window groups only by columns besides the window, not by 'UPPER(`user`)'",
        ),
        (
            "SELECT TUMBLE_PROCTIME(ts, INTERVAL '1' SECOND), COUNT(*) FROM clicks GROUP BY TUMBLE(ts, INTERVAL '1' SECOND)",
            "'ts' is not a processing-time attribute; use TUMBLE_ROWTIME",
        ),
        (
            "SELECT TUMBLE(ts, INTERVAL '1' SECOND, TIME '00:00:00.500') AS w, COUNT(*) FROM clicks \
             GROUP BY TUMBLE(ts, INTERVAL '1' SECOND, TIME '00:00:00.500')",
            "TUMBLE with an alignment offset is not supported in GROUP BY",
        ),
    ];
    for (sql, expected) in cases {
        let error = error_of(sql);
        assert!(error.contains(expected), "{sql}\n  gave: {error}\n  expected: {expected}");
    }
}

#[test]
fn windows_over_updating_inputs_are_refused() {
    let cases: &[(&str, &str)] = &[
        // An aggregation's result has no time attribute (Flink's message).
        (
            "SELECT `user`, SESSION_END(ts, INTERVAL '5' SECOND), COUNT(*) FROM last_click \
             GROUP BY `user`, SESSION(ts, INTERVAL '5' SECOND)",
            "The window function requires the timecol is a time attribute type, but is TIMESTAMP(3).",
        ),
        (
            "SELECT `user`, window_start, window_end, COUNT(*) \
             FROM TABLE(TUMBLE(TABLE last_click, DESCRIPTOR(ts), INTERVAL '5' SECOND)) \
             GROUP BY `user`, window_start, window_end",
            "The window function requires the timecol is a time attribute type, but is TIMESTAMP(3).",
        ),
        // Flink refuses these over a changelog: StreamPhysicalWindowJoin (WindowRank) "doesn't
        // support consuming update and delete changes".
        (
            "SELECT l.`user` FROM TABLE(TUMBLE(TABLE click_changes, DESCRIPTOR(ts), INTERVAL '5' SECOND)) l \
             JOIN TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '5' SECOND)) r \
             ON l.window_start = r.window_start AND l.window_end = r.window_end AND l.`user` = r.`user`",
            "A window join needs insert-only inputs, but an input is updating",
        ),
        (
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY ms) AS rn \
             FROM TABLE(TUMBLE(TABLE click_changes, DESCRIPTOR(ts), INTERVAL '5' SECOND))) WHERE rn <= 2",
            "Window Top-N needs an insert-only input, but its input is updating",
        ),
    ];
    for (sql, expected) in cases {
        let error = error_of(sql);
        assert!(error.contains(expected), "{sql}\n  gave: {error}\n  expected: {expected}");
    }
}
