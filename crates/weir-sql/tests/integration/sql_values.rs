//! `VALUES` typed as Flink types it (checked against Flink 2.3's resolved schema of the same
//! query): a column of INT-sized integer literals is an INT, a larger integer makes it a
//! BIGINT, decimals widen to the largest integer part and scale across rows, an integer next to
//! a decimal counts as a `DECIMAL(10, 0)`, and a column is NOT NULL unless a row holds a NULL;
//! an approximate literal (`1.5E0`) is a DOUBLE, in `VALUES` or not.
//! (Flink's `CHAR(n)` / `VARCHAR(n)` of string literals are `STRING` here: Weir keeps no
//! string lengths.)

use weir_sql::session::{JobSettings, ResultSink, Session};

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

/// `(name, type, nullable)` of each column of a view over `values`, as `DESCRIBE` shows them.
fn described(values: &str) -> Vec<(String, String, String)> {
    described_query(&format!("SELECT * FROM {values}"))
}

/// `(name, type, nullable)` of each column of a view of `query`, as `DESCRIBE` shows them.
fn described_query(query: &str) -> Vec<(String, String, String)> {
    let mut session = Session::new(JobSettings::default());
    let mut out = Lines::default();
    let script = format!("CREATE VIEW v AS {query}; DESCRIBE v;");
    session.execute_script(&script, &mut out).unwrap_or_else(|e| panic!("{}", e.render(&script)));
    let table = out.messages.last().expect("DESCRIBE prints a table").clone();
    table
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(1)
        .map(|l| {
            let cells: Vec<String> = l.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect();
            (cells[0].clone(), cells[1].clone(), cells[2].clone())
        })
        .collect()
}

fn column(name: &str, ty: &str, nullable: bool) -> (String, String, String) {
    (name.to_string(), ty.to_string(), nullable.to_string().to_uppercase())
}

#[test]
fn integer_literals_are_int_unless_one_needs_a_bigint() {
    assert_eq!(
        described("(VALUES (1, 2), (2, 3)) AS t(a, b)"),
        vec![column("a", "INT", false), column("b", "INT", false)]
    );
    assert_eq!(
        described("(VALUES (1, 1.5, 'ab'), (2, 10.25, 'abc'), (3000000000, 0.1, 'x')) AS t(a, b, c)"),
        vec![column("a", "BIGINT", false), column("b", "DECIMAL(4, 2)", false), column("c", "STRING", false)]
    );
    // The smallest INT is one literal; an INT expression stays an INT.
    assert_eq!(
        described("(VALUES (-2147483648, 1 + 1, -5), (7, 2, 3)) AS t(a, b, c)"),
        vec![column("a", "INT", false), column("b", "INT", false), column("c", "INT", false)]
    );
    assert_eq!(
        described("(VALUES (CAST(1 AS BIGINT), 1.50), (2, -0.125)) AS t(a, b)"),
        vec![column("a", "BIGINT", false), column("b", "DECIMAL(4, 3)", false)]
    );
}

#[test]
fn integers_next_to_decimals_and_doubles_widen_as_in_flink() {
    assert_eq!(described("(VALUES (1), (1.5), (100)) AS t(a)"), vec![column("a", "DECIMAL(11, 1)", false)]);
    assert_eq!(
        described("(VALUES (1.0E0, 2), (2.5E0, 3)) AS t(a, b)"),
        vec![column("a", "DOUBLE", false), column("b", "INT", false)]
    );
}

#[test]
fn approximate_literals_are_doubles_everywhere() {
    let columns = described_query("SELECT 1.5E0 AS a, 2e3 * 2 AS b, 1.5 AS c, 1e300 AS d");
    let types: Vec<&str> = columns.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(types, vec!["DOUBLE", "DOUBLE", "DECIMAL(2, 1)", "DOUBLE"]);
    let mut session = Session::new(JobSettings::default());
    let mut out = Lines::default();
    let script = "SELECT 2e3 * 2, 1.5E0 / 2, 1e300 * 10;";
    session.execute_script(script, &mut out).unwrap_or_else(|e| panic!("{}", e.render(script)));
    assert_eq!(out.rows, vec!["+I[4000.0, 0.75, 1.0E301]"]);
}

#[test]
fn a_null_makes_the_column_nullable_and_keeps_its_type() {
    assert_eq!(
        described("(VALUES (1, CAST(NULL AS INT)), (2, 5)) AS t(a, b)"),
        vec![column("a", "INT", false), column("b", "INT", true)]
    );
}

#[test]
fn int_values_run_as_ints() {
    let mut session = Session::new(JobSettings::default());
    let mut out = Lines::default();
    // 2147483647 + 1 wraps in an INT column (Flink's INT arithmetic), unlike in a BIGINT one.
    let script = "SELECT a + 1, b FROM (VALUES (2147483647, 1.5), (1, 2)) AS t(a, b);";
    session.execute_script(script, &mut out).unwrap_or_else(|e| panic!("{}", e.render(script)));
    let mut rows = out.rows.clone();
    rows.sort();
    assert_eq!(rows, vec!["+I[-2147483648, 1.5]", "+I[2, 2.0]"]);
}
