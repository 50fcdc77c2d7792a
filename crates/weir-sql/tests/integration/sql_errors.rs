//! Planning errors in the user's terms: where (line, column, caret) and what (the unknown
//! name with the closest match, both types of a mismatch, the option a connector does not
//! know, an updating result into an append-only sink).

use weir_sql::session::{JobSettings, ResultSink, Session};

struct Quiet;

impl ResultSink for Quiet {
    fn row(&mut self, _: &str) {}
    fn message(&mut self, _: &str) {}
}

const DDL: &str = "CREATE TABLE orders (id INT, customer STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'filesystem', 'path' = '/tmp', 'format' = 'json');
";

/// The rendered error of the script `DDL + statement` (the statement is on line 4).
fn error(statement: &str) -> String {
    let script = format!("{DDL}{statement}");
    let mut session = Session::new(JobSettings::default());
    let e = session.execute_script(&script, &mut Quiet).expect_err("the statement must fail");
    e.render(&script)
}

#[test]
fn unknown_column_points_at_it_and_suggests_the_closest() {
    let e = error("SELECT id, custmer FROM orders;");
    assert!(e.starts_with("SQL validation error at line 4, column 12: No field named custmer."), "{e}");
    assert!(e.contains("Did you mean 'orders.customer'?"), "{e}");
    assert!(e.ends_with("  SELECT id, custmer FROM orders;\n             ^"), "{e}");
}

#[test]
fn unknown_table_and_function_suggest_the_closest() {
    let e = error("SELECT * FROM order;");
    assert!(e.contains("line 4, column 15: Object 'order' not found; did you mean 'orders'?"), "{e}");
    let e = error("SELECT UPPPER(customer) FROM orders;");
    assert!(e.contains("line 4, column 8: Invalid function 'uppper'") && e.contains("Did you mean 'upper'?"), "{e}");
}

#[test]
fn type_errors_name_both_types_in_flink_terms() {
    let e = error("SELECT id + customer FROM orders;");
    assert!(e.contains("line 4, column 8: Cannot coerce arithmetic expression INT + STRING"), "{e}");
    let e = error("SELECT SUM(customer) FROM orders;");
    assert!(e.contains("Cannot apply 'sum' to arguments of type sum(STRING). Supported forms:"), "{e}");
    let e = error("SELECT id FROM orders WHERE amount;");
    assert!(e.contains("non-boolean predicate 'orders.amount' returning DECIMAL(10, 2)"), "{e}");
}

#[test]
fn connector_option_errors_name_the_option_and_the_known_ones() {
    let e = error("CREATE TABLE s (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp', 'format' = 'json', 'sink.rolling' = '1');");
    assert!(e.contains("Unsupported option 'sink.rolling' for connector 'filesystem' of table 's'"), "{e}");
    assert!(e.contains("sink.rolling-policy.file-size"), "{e}");
    let e = error("CREATE TABLE k (a INT) WITH ('connector' = 'kafkaa');");
    assert!(e.contains("Could not find any factory for identifier 'kafkaa' of table 'k'"), "{e}");
    let e = error("CREATE TABLE s (a INT) WITH ('connector' = 'filesystem', 'path' = '/tmp', 'format' = 'json', 'sink.changelog-mode' = 'some');");
    assert!(e.contains("'sink.changelog-mode' of table 's' must be 'insert-only' or 'all', got 'some'"), "{e}");
}

#[test]
fn an_updating_result_into_an_append_only_sink_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let e = error(&format!(
        "CREATE TABLE totals (customer STRING, total DECIMAL(38, 2)) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
INSERT INTO totals SELECT customer, SUM(amount) FROM orders GROUP BY customer;",
        out.path().display()
    ));
    assert!(e.contains("Table sink 'totals' doesn't support consuming update changes"), "{e}");
    assert!(e.contains("GroupAggregate(groupBy=[orders.customer])"), "{e}");
}

#[test]
fn json_query_returning_anything_but_strings_is_refused() {
    let e = error("SELECT JSON_QUERY(customer, '$.a' RETURNING INT) FROM orders;");
    assert!(e.contains("RETURNING STRING or ARRAY<STRING>"), "{e}");
    let e = error("SELECT JSON_QUERY(customer, '$.a' RETURNING ARRAY<STRING> EMPTY OBJECT ON ERROR) FROM orders;");
    assert!(e.contains("cannot return EMPTY OBJECT"), "{e}");
}

#[test]
fn unnest_of_a_non_collection_or_with_a_wrong_column_list_is_refused_where_it_is() {
    let tables = "CREATE TABLE bags (id INT, tags ARRAY<STRING>, qty MAP<STRING, INT>)
  WITH ('connector' = 'filesystem', 'path' = '/tmp', 'format' = 'json');
";
    let e = error(&format!("{tables}SELECT * FROM bags CROSS JOIN UNNEST(id);"));
    assert!(
        e.contains(
            "line 6, column 38: Cannot apply 'UNNEST' to arguments of type 'UNNEST(<INT>)'. Supported form(s): \
             'UNNEST(<ARRAY>)', 'UNNEST(<MAP>)'"
        ),
        "{e}"
    );
    assert!(
        e.ends_with("  SELECT * FROM bags CROSS JOIN UNNEST(id);\n                                       ^"),
        "{e}"
    );
    let e = error(&format!("{tables}SELECT k FROM bags CROSS JOIN UNNEST(qty) AS m(k);"));
    assert!(
        e.contains(
            "line 6, column 48: List of column aliases must have same degree as table; table has 2 columns \
             ('KEY', 'VALUE'), whereas alias list has 1 columns"
        ),
        "{e}"
    );
    let e = error(&format!("{tables}SELECT * FROM bags CROSS JOIN UNNEST(tags) WITH ORDINALITY AS t(tag, pos, x);"));
    assert!(e.contains("table has 2 columns ('EXPR$0', 'ORDINALITY'), whereas alias list has 3 columns"), "{e}");
}

#[test]
fn match_recognize_forms_flink_refuses_are_refused_with_its_message_at_the_line() {
    let query = |measures: &str, rest: &str| {
        format!("SELECT * FROM orders MATCH_RECOGNIZE (PARTITION BY customer ORDER BY ts MEASURES {measures} {rest});")
    };
    let cases = [
        (
            query("A.id AS a", "PATTERN (A B*) DEFINE A AS A.amount > 0"),
            "Greedy quantifiers are not allowed as the last element of a Pattern yet. Finish your pattern with \
             either a simple variable or reluctant quantifier.",
        ),
        (
            query("A.id AS a", "ALL ROWS PER MATCH PATTERN (A B) DEFINE A AS A.amount > 0"),
            "All rows per match mode is not supported yet.",
        ),
        (
            query("A.id AS a", "PATTERN (A (B | C) D) DEFINE A AS A.amount > 0"),
            "Currently, CEP doesn't support branching patterns.",
        ),
        (query("A.id AS a", "PATTERN (A (B C)+ D) DEFINE A AS A.amount > 0"), "Group patterns are not supported yet."),
        (
            query("A.id AS a", "PATTERN (PERMUTE(A, B) C) DEFINE A AS A.amount > 0"),
            "Currently, CEP doesn't support PERMUTE patterns.",
        ),
        (
            query("A.id AS a", "PATTERN (A B?? C) DEFINE A AS A.amount > 0"),
            "Reluctant optional variables are not supported yet.",
        ),
        (
            query("A.id AS a", "PATTERN (A B) DEFINE A AS A.amount > PREV(A.amount)"),
            "Flink does not support physical offsets within partition.",
        ),
    ];
    for (sql, message) in cases {
        let e = error(&sql);
        assert!(e.contains("line 4") && e.contains(message), "{sql}: {e}");
        assert!(!e.contains("Ident {"), "no syntax tree dump: {e}");
    }
    let e = error("SELECT * FROM orders MATCH_RECOGNIZE (ORDER BY amount MEASURES A.id AS a PATTERN (A B) DEFINE A AS A.amount > 0);");
    assert!(e.contains("You must specify either rowtime or proctime for order by as the first one."), "{e}");
    let e = error("SELECT * FROM orders MATCH_RECOGNIZE (ORDER BY ts DESC MEASURES A.id AS a PATTERN (A B) DEFINE A AS A.amount > 0);");
    assert!(e.contains("Primary sort order of a streaming table must be ascending on time."), "{e}");
}
