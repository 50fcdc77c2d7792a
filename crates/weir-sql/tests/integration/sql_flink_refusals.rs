//! Queries Apache Flink 2.3 refuses are refused here too, with Flink's reason (each checked
//! against Flink 2.3 with the peer harness's probe): a Flink user gets the same answer from
//! both engines, not a result Flink would never give.

use weir_sql::session::{JobSettings, ResultSink, Session};

struct Quiet;

impl ResultSink for Quiet {
    fn row(&mut self, _: &str) {}
    fn message(&mut self, _: &str) {}
}

const DDL: &str = "CREATE TABLE s (k STRING, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'datagen', 'number-of-rows' = '3');
";

/// The message of the error the statement gives after [`DDL`].
fn refusal(statement: &str) -> String {
    let script = format!("{DDL}{statement}");
    let mut session = Session::new(JobSettings::default());
    let e = session.execute_script(&script, &mut Quiet).expect_err("Flink refuses this statement");
    e.message
}

#[test]
fn rank_and_dense_rank_top_n_are_refused_on_streams() {
    let e = refusal("SELECT * FROM (SELECT *, RANK() OVER (PARTITION BY k ORDER BY v DESC) AS r FROM s) WHERE r <= 2;");
    assert!(e.contains("RANK() on streaming table is not supported currently"), "{e}");
    let e = refusal(
        "SELECT * FROM (SELECT *, DENSE_RANK() OVER (PARTITION BY k ORDER BY v DESC) AS r FROM s) WHERE r <= 2;",
    );
    assert!(e.contains("DENSE_RANK() on streaming table is not supported currently"), "{e}");
}

#[test]
fn window_top_n_takes_row_number_only() {
    let e = refusal(
        "SELECT * FROM (SELECT *, RANK() OVER (PARTITION BY window_start, window_end ORDER BY v DESC) AS r
         FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE r <= 2;",
    );
    assert!(
        e.contains("RANK() function is not supported on Window TopN currently, only ROW_NUMBER() is supported"),
        "{e}"
    );
    let e = refusal(
        "SELECT * FROM (SELECT *, DENSE_RANK() OVER (PARTITION BY window_start, window_end ORDER BY v DESC) AS r
         FROM TABLE(TUMBLE(TABLE s, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE r <= 2;",
    );
    assert!(e.contains("DENSE_RANK() function is not supported on Window TopN currently"), "{e}");
}

#[test]
fn order_by_a_column_that_is_not_a_time_attribute_is_refused() {
    let e = refusal("SELECT k, v FROM s ORDER BY v;");
    assert!(e.contains("Sort on a non-time-attribute field is not supported."), "{e}");
}

#[test]
fn over_aggregates_must_share_one_window() {
    let e = refusal(
        "SELECT k, SUM(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW),
           COUNT(*) OVER (PARTITION BY k ORDER BY ts RANGE BETWEEN INTERVAL '1' SECOND PRECEDING AND CURRENT ROW) FROM s;",
    );
    assert!(e.contains("All aggregates must be computed on the same window"), "{e}");
}

#[test]
fn integer_division_by_zero_fails() {
    // Flink refuses the literal at planning; here the job fails on the first row.
    let e = refusal("SELECT v / 0 FROM s;");
    assert!(e.to_lowercase().contains("divide by zero") || e.contains("Division by zero"), "{e}");
}

#[test]
fn lead_is_refused_in_stream_mode() {
    let e = refusal("SELECT k, LEAD(v) OVER (PARTITION BY k ORDER BY ts) FROM s;");
    assert!(e.contains("LEAD Function is not supported in stream mode."), "{e}");
}

#[test]
fn count_distinct_of_two_fields_is_refused() {
    let e = refusal("SELECT k, COUNT(DISTINCT k, v) FROM s GROUP BY k;");
    assert!(e.contains("We now only support the count of one field."), "{e}");
}

#[test]
fn a_view_read_for_system_time_as_of_must_have_a_primary_key() {
    // Flink infers one for a ROW_NUMBER() = 1 view (a versioned view), not for a filter.
    let e = refusal(
        "CREATE VIEW r AS SELECT k, v, ts FROM s WHERE v > 0;
         SELECT s.k, r.v FROM s JOIN r FOR SYSTEM_TIME AS OF s.ts ON s.k = r.k;",
    );
    assert!(
        e.contains("Temporal Table Join requires primary key in versioned table, but no primary key can be found"),
        "{e}"
    );
}

#[test]
fn json_value_returns_string_boolean_int_or_double_only() {
    for (t, name) in [
        ("BIGINT", "BIGINT"),
        ("SMALLINT", "SMALLINT"),
        ("FLOAT", "FLOAT"),
        ("DECIMAL(10, 2)", "DECIMAL(10, 2)"),
        ("DATE", "DATE"),
        ("TIMESTAMP(3)", "TIMESTAMP(3)"),
    ] {
        let e = refusal(&format!("SELECT JSON_VALUE(k, '$.a' RETURNING {t}) FROM s;"));
        assert!(e.contains(&format!("Unsupported type '{name}' for RETURNING in JSON_VALUE().")), "{t}: {e}");
    }
}

#[test]
fn strings_compared_for_equality_with_numbers_are_refused() {
    let e = refusal("SELECT k FROM s WHERE k = 1;");
    assert!(e.contains("implicit type conversion between VARCHAR and INTEGER is not supported now"), "{e}");
    let e = refusal("SELECT k FROM s WHERE v <> '1';");
    assert!(e.contains("implicit type conversion between INTEGER and CHAR is not supported now"), "{e}");
    let e = refusal("SELECT k FROM s WHERE k IN ('1', 2);");
    assert!(e.contains("Values in expression list must have compatible types"), "{e}");
}

#[test]
fn a_view_must_name_its_columns_apart() {
    // A query's result renames a repeated column (`v`, `v0`); a view's columns do not.
    let e = refusal("CREATE VIEW w AS SELECT k, v, v FROM s;");
    assert!(e.contains("A column with the same name `v` has been defined"), "{e}");
    let e = refusal("CREATE VIEW w AS SELECT k AS x, v AS x FROM s;");
    assert!(e.contains("A column with the same name `x` has been defined"), "{e}");
}

#[test]
fn a_sink_column_takes_only_what_flink_casts_implicitly() {
    for (column, value) in
        [("a STRING", "v"), ("a INT", "k"), ("a INT", "v > 0"), ("a TIMESTAMP(3)", "CAST(ts AS DATE)")]
    {
        let e = refusal(&format!(
            "CREATE TABLE o ({column}) WITH ('connector' = 'blackhole');\nINSERT INTO o SELECT {value} FROM s;"
        ));
        assert!(e.contains("Cause: Incompatible types for sink column 'a' at position 1."), "{column} <- {value}: {e}");
    }
}

#[test]
fn a_null_written_into_a_not_null_column_fails_the_job_unless_dropped() {
    let e = refusal(
        "CREATE TABLE o (a INT NOT NULL, k STRING) WITH ('connector' = 'blackhole');
         INSERT INTO o SELECT CASE WHEN v = v THEN NULL ELSE 1 END, k FROM s;",
    );
    assert!(
        e.contains(
            "Column 'a' is NOT NULL, however, a null value is being written into it. You can set job configuration \
             'table.exec.sink.not-null-enforcer'='DROP' to suppress this exception and drop such records silently."
        ),
        "{e}"
    );
    // A primary key column is NOT NULL, declared so or not.
    let e = refusal(
        "CREATE TABLE o (a INT, k STRING, PRIMARY KEY (a) NOT ENFORCED) WITH ('connector' = 'blackhole');
         INSERT INTO o SELECT CASE WHEN v = v THEN NULL ELSE 1 END, k FROM s;",
    );
    assert!(e.contains("Column 'a' is NOT NULL, however, a null value is being written into it."), "{e}");
    let e = refusal("SET 'table.exec.sink.not-null-enforcer' = 'SKIP';");
    assert!(e.contains("Possible values: [ERROR, DROP]"), "{e}");
    let e = refusal("SET 'table.exec.sink.type-length-enforcer' = 'CUT';");
    assert!(e.contains("Possible values: [IGNORE, TRIM_PAD]"), "{e}");
}

#[test]
fn create_table_like_refuses_what_it_cannot_merge() {
    const BASE: &str = "CREATE TABLE base (id INT, v INT, v2 AS v * 2, ts TIMESTAMP(3),
        WATERMARK FOR ts AS ts - INTERVAL '1' SECOND, PRIMARY KEY (id) NOT ENFORCED) PARTITIONED BY (v)
        WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'json');\n";
    for (derived, message) in [
        (
            "CREATE TABLE d WITH ('path' = '/tmp/y') LIKE base (INCLUDING ALL);",
            "There already exists an option ['path' -> '/tmp/x']  in the base table. You might want to specify \
             EXCLUDING OPTIONS or OVERWRITING OPTIONS.",
        ),
        (
            "CREATE TABLE d (WATERMARK FOR ts AS ts) LIKE base;",
            "There already exists a watermark spec for column 'ts' in the base table. You might want to specify \
             EXCLUDING WATERMARKS or OVERWRITING WATERMARKS.",
        ),
        (
            "CREATE TABLE d (PRIMARY KEY (v) NOT ENFORCED) LIKE base;",
            "The base table already has a primary key. You might want to specify EXCLUDING CONSTRAINTS.",
        ),
        (
            "CREATE TABLE d (v2 AS v * 3) LIKE base;",
            "A generated column named 'v2' already exists in the base table. You might want to specify EXCLUDING \
             GENERATED or OVERWRITING GENERATED.",
        ),
        ("CREATE TABLE d (v BIGINT) LIKE base;", "A column named 'v' already exists in the base table."),
        (
            "CREATE TABLE d (x INT) PARTITIONED BY (x) LIKE base;",
            "The base table already has partitions defined. You might want to specify EXCLUDING PARTITIONS.",
        ),
    ] {
        let e = refusal(&format!("{BASE}{derived}"));
        assert!(e.contains(message), "{derived}: {e}");
    }
}

#[test]
fn create_table_like_merges_as_flink_does() {
    const BASE: &str = "CREATE TABLE base (id INT, v INT, v2 AS v * 2, ts TIMESTAMP(3),
        WATERMARK FOR ts AS ts - INTERVAL '1' SECOND, PRIMARY KEY (id) NOT ENFORCED) PARTITIONED BY (v)
        WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'json');\n";
    // Accepted where Flink accepts: each statement would otherwise be refused.
    for derived in [
        "CREATE TABLE d WITH ('path' = '/tmp/y') LIKE base;",
        "CREATE TABLE d WITH ('path' = '/tmp/y') LIKE base (INCLUDING ALL OVERWRITING OPTIONS);",
        "CREATE TABLE d (WATERMARK FOR ts AS ts) LIKE base (OVERWRITING WATERMARKS);",
        "CREATE TABLE d (v2 AS v * 3) LIKE base (OVERWRITING GENERATED);",
        "CREATE TABLE d (v2 AS v * 3) LIKE base (EXCLUDING GENERATED);",
        "CREATE TABLE d (x INT) PARTITIONED BY (x) LIKE base (EXCLUDING PARTITIONS);",
        "CREATE TABLE d (PRIMARY KEY (v) NOT ENFORCED) LIKE base (EXCLUDING CONSTRAINTS);",
        "CREATE TABLE d (WATERMARK FOR ts AS ts) LIKE base (EXCLUDING ALL);",
    ] {
        let mut session = Session::new(JobSettings::default());
        session
            .execute_script(&format!("{DDL}{BASE}{derived}"), &mut Quiet)
            .unwrap_or_else(|e| panic!("{derived}: {e}"));
    }
}

#[test]
fn filesystem_metadata_keys_are_flinks_and_each_feeds_one_column() {
    let e = refusal(
        "CREATE TABLE f (id INT, p STRING METADATA FROM 'file.bogus' VIRTUAL)
           WITH ('connector' = 'filesystem', 'path' = '/tmp', 'format' = 'csv');",
    );
    assert!(
        e.contains("Invalid metadata key 'file.bogus' in column 'p' of table 'f'")
            && e.contains("file.path\nfile.name\nfile.size\nfile.modification-time"),
        "{e}"
    );
    let e = refusal(
        "CREATE TABLE f (id INT, a BIGINT METADATA FROM 'file.size' VIRTUAL, b INT METADATA FROM 'file.size' VIRTUAL)
           WITH ('connector' = 'filesystem', 'path' = '/tmp', 'format' = 'csv');",
    );
    assert!(e.contains("The column `a` and `b` in the table are both from the same metadata key 'file.size'."), "{e}");
}

#[test]
fn a_watermark_needs_a_timestamp_of_precision_three_at_most() {
    for ty in ["TIMESTAMP(6)", "TIMESTAMP", "TIMESTAMP_LTZ(9)"] {
        let e = refusal(&format!(
            "CREATE TABLE w (id INT, ts {ty}, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
             WITH ('connector' = 'datagen');"
        ));
        let shown = if ty == "TIMESTAMP" { "TIMESTAMP(6)" } else { ty };
        assert!(
            e.contains(&format!(
                "Invalid data type of time field for watermark definition. The field must be of type TIMESTAMP(p) \
                 or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the time field type is {shown}"
            )),
            "{ty}: {e}"
        );
    }
}

#[test]
fn over_windows_refuse_a_frame_for_lag_a_descending_order_and_following_rows_as_flink_does() {
    let e = refusal("SELECT LAG(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM s;");
    assert!(e.contains("ROW/RANGE not allowed with RANK, DENSE_RANK or ROW_NUMBER functions"), "{e}");
    let e = refusal("SELECT SUM(v) OVER (PARTITION BY k ORDER BY ts DESC) FROM s;");
    assert!(e.contains("The window can only be ordered in ASCENDING mode"), "{e}");
    let e = refusal("SELECT SUM(v) OVER (PARTITION BY k ORDER BY ts ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING) FROM s;");
    assert!(e.contains("OVER RANGE FOLLOWING windows are not supported yet."), "{e}");
    let e = refusal("SELECT SUM(v) OVER (PARTITION BY k ORDER BY v ROWS 2 PRECEDING) FROM s;");
    assert!(e.contains("Non-time attribute sort is not supported"), "{e}");
}
