//! Queries' expressions as Flink reads them: a select item that is an expression without an
//! alias is named `EXPR$n` by its position, as Flink (Calcite) names it (columns keep their
//! names); intervals multiply by numbers.

use weir_sql::session::{JobSettings, ResultSink, Session};

#[derive(Default)]
struct Captured {
    columns: Vec<String>,
    rows: Vec<String>,
    messages: Vec<String>,
}

impl ResultSink for Captured {
    fn row(&mut self, line: &str) {
        self.rows.push(line.to_string());
    }
    fn message(&mut self, text: &str) {
        self.messages.push(text.to_string());
    }
    fn columns(&mut self, names: &[String]) {
        self.columns = names.to_vec();
    }
}

fn query(sql: &str) -> Captured {
    let mut session = Session::new(JobSettings { parallelism: 1, ..Default::default() });
    let mut out = Captured::default();
    session.execute_script(sql, &mut out).unwrap_or_else(|e| panic!("{}", e.render(sql)));
    out
}

const NUMBERS: &str = "CREATE TABLE n (x INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3',
    'fields.x.kind' = 'sequence', 'fields.x.start' = '1', 'fields.x.end' = '3');";

#[test]
fn unnamed_expressions_are_named_expr_by_position() {
    let out = query(&format!("{NUMBERS} SELECT x, CAST(x AS BIGINT), x * 10 AS ten, UPPER('a') FROM n;"));
    assert_eq!(out.columns, ["x", "EXPR$1", "ten", "EXPR$3"]);
    assert_eq!(out.rows, ["+I[1, 1, 10, A]", "+I[2, 2, 20, A]", "+I[3, 3, 30, A]"]);
}

#[test]
fn a_star_beside_other_items_names_repeated_columns_as_flink_does() {
    // Flink 2.3's names (scenarios select-star-then-columns, select-columns-then-star).
    let t = "CREATE TABLE t (id INT, name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '1');
             CREATE TABLE u (id INT, name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '1');";
    let out = query(&format!("{t} SELECT *, id, name AS id0, UPPER(name) FROM t;"));
    assert_eq!(out.columns, ["id", "name", "id0", "id00", "EXPR$4"]);
    let out = query(&format!("{t} SELECT id, * FROM t;"));
    assert_eq!(out.columns, ["id", "id0", "name"]);
    let out = query(&format!("{t} SELECT t.id, u.*, t.id + 1, t.* FROM t, u WHERE t.id = u.id OR TRUE;"));
    assert_eq!(out.columns, ["id", "id0", "name", "EXPR$3", "id1", "name0"]);
}

#[test]
fn a_view_of_unnamed_aggregates_exposes_their_flink_names() {
    let out = query(&format!(
        "{NUMBERS} CREATE VIEW v AS SELECT x % 2, COUNT(*) FROM n GROUP BY x % 2;
         SELECT `EXPR$0`, `EXPR$1` FROM v WHERE `EXPR$0` = 1;"
    ));
    assert_eq!(out.columns, ["EXPR$0", "EXPR$1"]);
    assert_eq!(out.rows.last().map(String::as_str), Some("+U[1, 2]"));
}

#[test]
fn intervals_multiply_by_numbers_either_side() {
    let out = query(&format!(
        "{NUMBERS} SELECT DATE '2024-01-30' + x * INTERVAL '1' DAY, TIMESTAMP '2024-01-31 10:00:00' + (INTERVAL '1' MONTH) * x,
           TIMESTAMP '2024-01-01 00:00:00' - INTERVAL '90' MINUTE * x FROM n WHERE x > 1;"
    ));
    assert_eq!(
        out.rows,
        [
            "+I[2024-02-01, 2024-03-31 10:00:00, 2023-12-31 21:00:00]",
            "+I[2024-02-02, 2024-04-30 10:00:00, 2023-12-31 19:30:00]"
        ]
    );
}

#[test]
fn a_multiset_prints_and_casts_as_flinks_map_of_element_to_count() {
    // Flink 2.3 prints COLLECT's MULTISET as a java.util.HashMap of element to count, in the
    // map's order (scenarios collect-multiset-cast-types, collect-multiset-strings-json).
    let out = query(
        "CREATE VIEW w AS SELECT * FROM (VALUES (1, 'b'), (1, 'a'), (1, 'b'), (2, 'x')) AS v(g, v);
         CREATE VIEW c AS SELECT g, COLLECT(v) AS m FROM w GROUP BY g;
         DESCRIBE c;
         SELECT g, COLLECT(v) AS m, CAST(COLLECT(v) AS STRING) AS s FROM w GROUP BY g;",
    );
    let described =
        out.messages.iter().find(|m| m.contains("MULTISET")).unwrap_or_else(|| panic!("{:?}", out.messages));
    assert!(described.contains("MULTISET<STRING>"), "{described}");
    assert_eq!(out.columns, ["g", "m", "s"]);
    assert_eq!(out.rows, ["+I[1, {a=1, b=2}, {a=1, b=2}]", "+I[2, {x=1}, {x=1}]"]);
}
