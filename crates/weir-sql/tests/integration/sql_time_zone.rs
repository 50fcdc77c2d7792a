//! `table.local-time-zone` from SQL: what the session zone changes, what it does not, the
//! current-time functions (as properties: their values move), and the errors.

use chrono::{NaiveDateTime, TimeDelta, Utc};
use weir_sql::error::{ErrorKind, SqlError};
use weir_sql::session::{JobSettings, ResultSink, Session};

struct Rows(Vec<String>);

impl ResultSink for Rows {
    fn row(&mut self, line: &str) {
        self.0.push(line.to_string());
    }
    fn message(&mut self, _: &str) {}
}

fn run(sql: &str) -> Result<Vec<String>, SqlError> {
    let mut session = Session::new(JobSettings::default());
    let mut rows = Rows(Vec::new());
    session.execute_script(sql, &mut rows)?;
    Ok(rows.0)
}

/// The values of a one-row result, split at `", "`.
fn values(sql: &str) -> Vec<String> {
    let rows = run(sql).unwrap_or_else(|e| panic!("{}", e.render(sql)));
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert!(row.starts_with("+I[") && row.ends_with(']'), "{row}");
    row[3..row.len() - 1].split(", ").map(str::to_string).collect()
}

fn error(sql: &str) -> SqlError {
    run(sql).expect_err("the script must fail")
}

fn wall(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.3f").unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn unknown_zones_are_refused_with_flinks_message() {
    for zone in ["Europe/Nowhere", "UTC+8", "+08:00", "EST", "Z"] {
        let e = error(&format!("SET 'table.local-time-zone' = '{zone}';"));
        assert_eq!(e.kind, ErrorKind::Option, "{zone}");
        let text = e.to_string();
        assert!(text.contains("Invalid time zone"), "{text}");
        assert!(text.contains("'GMT-03:00' or 'GMT+03:00'"), "{text}");
        assert!(text.contains(&format!("Got: '{zone}'")), "{text}");
    }
    for zone in ["UTC", "GMT+8", "GMT-03:30", "Asia/Shanghai", "America/Los_Angeles", "CET"] {
        run(&format!("SET 'table.local-time-zone' = '{zone}';")).unwrap_or_else(|e| panic!("{zone}: {e}"));
    }
}

#[test]
fn select_shows_ltz_in_the_session_zone_and_reset_goes_back_to_utc() {
    let q = "SELECT TO_TIMESTAMP_LTZ(1711846800123, 3) AS i, CAST(TO_TIMESTAMP_LTZ(1711846800123, 3) AS TIMESTAMP(3)) AS w;";
    assert_eq!(values(q), ["2024-03-31 01:00:00.123", "2024-03-31 01:00:00.123"]);
    let berlin = format!("SET 'table.local-time-zone' = 'Europe/Berlin'; {q}");
    assert_eq!(values(&berlin), ["2024-03-31 03:00:00.123", "2024-03-31 03:00:00.123"]);
    let reset = format!("SET 'table.local-time-zone' = 'Europe/Berlin'; RESET 'table.local-time-zone'; {q}");
    assert_eq!(values(&reset), ["2024-03-31 01:00:00.123", "2024-03-31 01:00:00.123"]);
    // A plain TIMESTAMP does not move with the zone.
    let ts = "SET 'table.local-time-zone' = 'Asia/Shanghai'; SELECT TIMESTAMP '2024-01-01 10:00:00.000';";
    assert_eq!(values(ts), ["2024-01-01 10:00:00.000"]);
}

#[test]
fn print_connector_keeps_ltz_in_utc() {
    // Flink's print connector writes a TIMESTAMP_LTZ as an instant, whatever the session zone.
    let mut out = String::new();
    let batch = arrow::record_batch::RecordBatch::try_from_iter([(
        "t",
        std::sync::Arc::new(arrow::array::TimestampMillisecondArray::from(vec![0]).with_timezone("UTC"))
            as arrow::array::ArrayRef,
    )])
    .unwrap();
    weir_sql::format::print_row(&batch, 0, weir_sql::changelog::RowKind::Insert, &mut out);
    assert_eq!(out, "+I[1970-01-01 00:00:00.000]");
}

#[test]
fn current_time_functions_follow_the_session_zone() {
    let sql = "SET 'table.local-time-zone' = 'Asia/Shanghai';
        SELECT CURRENT_TIMESTAMP, NOW(), LOCALTIMESTAMP, CAST(CURRENT_TIMESTAMP AS STRING) AS s, CURRENT_DATE,
          CURRENT_TIME, LOCALTIME, TIMESTAMPDIFF(SECOND, LOCALTIMESTAMP, CAST(CURRENT_TIMESTAMP AS TIMESTAMP(3)));";
    let before = Utc::now().naive_utc() + TimeDelta::hours(8);
    let v = values(sql);
    let after = Utc::now().naive_utc() + TimeDelta::hours(8);
    let near = |text: &str| {
        let t = wall(text);
        assert!(t >= before - TimeDelta::milliseconds(1) && t <= after + TimeDelta::milliseconds(1), "{text}");
    };
    near(&v[0]); // SELECT shows the LTZ in Shanghai time
    near(&v[1]);
    near(&v[2]);
    near(&v[3]);
    assert!(v[4] == before.date().to_string() || v[4] == after.date().to_string(), "{}", v[4]);
    for time in [&v[5], &v[6]] {
        assert_eq!(time.len(), 8, "TIME(0): {time}");
        let t = chrono::NaiveTime::parse_from_str(time, "%H:%M:%S").unwrap();
        let seconds = |d: NaiveDateTime| d.time().signed_duration_since(t).num_seconds().abs();
        assert!(seconds(before) <= 1 || seconds(after) <= 1 || seconds(after) >= 86_399, "{time}");
    }
    assert_eq!(v[7], "0");
}

#[test]
fn current_timestamp_is_evaluated_per_row() {
    // Volatile: not folded into a constant at planning, so each row reads the clock.
    let sql = "SELECT COUNT(DISTINCT CAST(CURRENT_TIMESTAMP AS STRING)) > 0 FROM (VALUES (1), (2), (3)) AS t(x);";
    let rows = run(sql).unwrap();
    assert!(rows.last().is_some_and(|r| r.contains("true")), "{rows:?}");
}

#[test]
fn timestampadd_and_timestampdiff_take_bare_units() {
    let v = values(
        "SELECT TIMESTAMPADD(DAY, 1, TIMESTAMP '2024-02-28 10:00:00'), TIMESTAMPADD(SQL_TSI_MONTH, 1, DATE '2024-01-31'),
           TIMESTAMPDIFF(MINUTE, TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-01 01:30:59'),
           TIMESTAMPADD('HOUR', 2, TIMESTAMP '2024-01-01 00:00:00.000');",
    );
    assert_eq!(v, ["2024-02-29 10:00:00", "2024-02-29", "90", "2024-01-01 02:00:00.000"]);
    // A column named like a unit elsewhere in the call still resolves as a column.
    let v = values("SELECT TIMESTAMPDIFF(HOUR, `day`, `day` + INTERVAL '3' HOUR) FROM (VALUES (TIMESTAMP '2024-01-01 00:00:00')) AS t(`day`);");
    assert_eq!(v, ["3"]);
}

#[test]
fn casts_flink_refuses_are_refused_at_planning() {
    let cases = [
        (
            "CAST(TIMESTAMP '2024-01-01 10:00:00' AS BIGINT)",
            "The cast from TIMESTAMP type to NUMERIC type is not allowed",
        ),
        ("CAST(TO_TIMESTAMP_LTZ(1, 3) AS BIGINT)", "The cast from TIMESTAMP_LTZ type to NUMERIC type is not allowed"),
        ("CAST(1700000000 AS TIMESTAMP(3))", "The cast from NUMERIC type to TIMESTAMP type is not allowed"),
        ("CAST(1700000000 AS TIMESTAMP_LTZ(3))", "use TO_TIMESTAMP_LTZ(numeric_col, precision) instead"),
    ];
    for (expr, message) in cases {
        let e = error(&format!("SELECT {expr};"));
        assert_eq!(e.kind, ErrorKind::Validation, "{expr}");
        assert!(e.to_string().contains(message), "{expr}: {e}");
    }
}

#[test]
fn bad_strings_fail_the_cast_and_try_cast_gives_null() {
    for (expr, message) in [
        ("CAST('abc' AS INT)", "For input string: 'abc'"),
        ("CAST('2024-01-01T10:00:00' AS TIMESTAMP(3))", "could not be parsed"),
        ("CAST('2024-01-01 10:00' AS TIMESTAMP_LTZ(3))", "could not be parsed"),
    ] {
        let e = error(&format!("SELECT {expr} FROM (VALUES (1)) AS t(x);"));
        assert!(e.to_string().contains(message), "{expr}: {e}");
    }
    let v = values("SELECT TRY_CAST('abc' AS INT), TRY_CAST('x' AS TIMESTAMP(3)), TRY_CAST(' 7 ' AS BIGINT);");
    assert_eq!(v, ["null", "null", "7"]);
}

#[test]
fn casts_between_timestamp_and_ltz_cross_dst_as_java_time() {
    let sql = "SET 'table.local-time-zone' = 'America/New_York';
        SELECT CAST(CAST(TIMESTAMP '2024-03-10 02:30:00.000' AS TIMESTAMP_LTZ(3)) AS STRING),
          CAST(CAST(CAST(TIMESTAMP '2024-11-03 01:30:00.000' AS TIMESTAMP_LTZ(3)) AS TIMESTAMP(3)) AS STRING),
          TIMESTAMPDIFF(MINUTE, CAST(TIMESTAMP '2024-11-03 01:30:00.000' AS TIMESTAMP_LTZ(3)), TO_TIMESTAMP_LTZ(1730615400000, 3)),
          CAST(CAST(DATE '2024-03-10' AS TIMESTAMP_LTZ(3)) AS STRING),
          EXTRACT(HOUR FROM TO_TIMESTAMP_LTZ(1710054000000, 3)),
          CAST(CAST(TO_TIMESTAMP_LTZ(1710054000000, 3) AS DATE) AS STRING);";
    // 02:30 does not exist (03:30 EDT); 01:30 happens twice (the earlier, EDT, is 60 minutes
    // before 01:30 EST); 1710054000000 is 2024-03-10 07:00 UTC = 03:00 EDT.
    assert_eq!(
        values(sql),
        ["2024-03-10 03:30:00.000", "2024-11-03 01:30:00.000", "60", "2024-03-10 00:00:00.000", "3", "2024-03-10"]
    );
}

#[test]
fn current_watermark_is_the_operators_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let ms = [1_704_045_600_000i64, 1_704_063_600_000, 1_704_124_805_000, 1_704_060_000_000, 1_704_200_000_000];
    let lines: Vec<String> = ms.iter().map(|m| format!("{{\"ms\": {m}}}")).collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    let sql = format!(
        "SET 'table.local-time-zone' = 'Asia/Shanghai';
        CREATE TABLE events (ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
          WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
        SELECT ms, CURRENT_WATERMARK(ts), CURRENT_WATERMARK(ts) IS NULL OR ts > CURRENT_WATERMARK(ts) AS on_time FROM events;",
        path.display()
    );
    let rows = run(&sql).unwrap_or_else(|e| panic!("{}", e.render(&sql)));
    assert_eq!(rows.len(), ms.len(), "{rows:?}");
    let mut last: Option<NaiveDateTime> = None;
    for (row, m) in rows.iter().zip(ms) {
        let v: Vec<&str> = row[3..row.len() - 1].split(", ").collect();
        assert_eq!(v[0], m.to_string());
        if v[1] == "null" {
            assert!(last.is_none(), "a watermark never goes back to NULL: {rows:?}");
            assert_eq!(v[2], "true");
            continue;
        }
        // Shown in the session zone, never behind the previous one, and behind the rows seen.
        let wm = wall(v[1]);
        assert!(last.is_none_or(|l| l <= wm), "{rows:?}");
        last = Some(wm);
        let row_time = chrono::DateTime::from_timestamp_millis(m).unwrap().naive_utc() + TimeDelta::hours(8);
        assert_eq!(v[2], (row_time > wm).to_string(), "{row}");
    }
    // The row 2 days behind the others comes after a watermark has passed it.
    assert!(rows[3].ends_with("false]"), "{rows:?}");
}
