//! Syntax errors: messages, positions and the rendered caret.

use weir_sql::error::{ErrorKind, SqlError};
use weir_sql::parser::ast::Position;
use weir_sql::parser::{parse_expression, parse_script, parse_statement};

fn error(sql: &str) -> SqlError {
    match parse_script(sql) {
        Ok(s) => panic!("parsed: {s:?}"),
        Err(e) => e,
    }
}

fn at(e: &SqlError) -> (u64, u64) {
    let Position { line, column } = e.position.expect("a position");
    (line, column)
}

#[test]
fn missing_closing_parenthesis() {
    let sql = "SET 'a' = 'b';\nCREATE TABLE t (\n  a INT,\n  b STRING\nWITH ('connector' = 'datagen')";
    let e = error(sql);
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert_eq!(e.message, "Expected ')' after the column list (after column 'b'), found 'WITH'");
    assert_eq!(at(&e), (5, 1));
    assert_eq!(
        e.render(sql),
        "SQL parse error at line 5, column 1: Expected ')' after the column list (after column 'b'), found 'WITH'\n  \
         WITH ('connector' = 'datagen')\n  ^"
    );
}

#[test]
fn unknown_type_suggests_closest() {
    let sql = "CREATE TABLE t (\n  id BIGINT,\n  name STRNG\n) WITH ('connector' = 'datagen')";
    let e = error(sql);
    assert_eq!(e.message, "Unknown data type 'STRNG'; did you mean 'STRING'?");
    assert_eq!(at(&e), (3, 8));
    assert_eq!(
        e.render(sql),
        "SQL parse error at line 3, column 8: Unknown data type 'STRNG'; did you mean 'STRING'?\n    name STRNG\n         ^"
    );
    let e = error("CREATE TABLE t (a TIMESTAMP_LZ(3)) WITH ()");
    assert_eq!(e.message, "Unknown data type 'TIMESTAMP_LZ'; did you mean 'TIMESTAMP_LTZ'?");
}

#[test]
fn missing_option_value() {
    let sql = "CREATE TABLE t (a INT) WITH (\n  'connector' = ,\n  'path' = '/x')";
    let e = error(sql);
    assert_eq!(e.message, "Expected a quoted value for the option 'connector', found ','");
    assert_eq!(at(&e), (2, 17));
    assert!(e.render(sql).ends_with("\n    'connector' = ,\n                  ^"), "{}", e.render(sql));

    let e = error("CREATE TABLE t (a INT) WITH ('connector')");
    assert_eq!(e.message, "Expected '=' after the option key 'connector', found ')'");
    assert_eq!(at(&e), (1, 41));

    let e = error("CREATE TABLE t (a INT) WITH ('parallelism' = 4)");
    assert_eq!(e.message, "Option values are quoted strings: write '4' instead of 4");
    let e = error("CREATE TABLE t (a INT) WITH (connector = 'x')");
    assert_eq!(e.message, "Option keys are quoted strings: write 'connector' instead of connector");
    assert_eq!(at(&e), (1, 30));
}

#[test]
fn unterminated_string() {
    let sql = "SELECT 1;\nSELECT 'abc FROM t;\nSELECT 2;";
    let e = error(sql);
    assert_eq!(e.message, "Unterminated string literal: the closing quote ' is missing");
    assert_eq!(at(&e), (2, 8));
    assert_eq!(
        e.render(sql),
        "SQL parse error at line 2, column 8: Unterminated string literal: the closing quote ' is missing\n  \
         SELECT 'abc FROM t;\n         ^"
    );
}

#[test]
fn unknown_statement() {
    let sql = "SELECT 1;\n\n  FROBNICATE TABLE t;";
    let e = error(sql);
    assert!(e.message.starts_with("Unknown statement 'FROBNICATE'; expected one of CREATE, DROP"), "{}", e.message);
    assert_eq!(at(&e), (3, 3));
    assert!(e.render(sql).ends_with("\n    FROBNICATE TABLE t;\n    ^"));

    let e = error("USE MODULES core");
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert_eq!(e.message, "USE MODULES is not supported by Weir");
    let e = error("LOAD MODULE hive");
    assert_eq!(e.message, "LOAD statements are not supported by Weir");
}

#[test]
fn query_errors_point_into_the_script() {
    let sql = "CREATE VIEW v AS SELECT 1;\nSELECT a,\n  FROM t";
    let e = error(sql);
    assert_eq!(at(&e), (3, 3));
    assert_eq!(e.message, "Expected an expression, found 'FROM'");

    // End of statement: the position is the `;`.
    let sql = "SELECT a FROM t WHERE;";
    let e = error(sql);
    assert_eq!(e.message, "Expected an expression, found the end of the statement");
    assert_eq!(at(&e), (1, 22));

    // Missing `)` at the end of the script points just after the last token.
    let e = error("SELECT COUNT(a FROM t");
    assert_eq!(at(&e), (1, 16));
    let e = error("SELECT (1 + 2");
    assert_eq!(e.message, "Expected ')', found the end of the statement");
    assert_eq!(at(&e), (1, 14));
}

#[test]
fn statement_errors() {
    for (sql, message, column) in [
        (
            "CREATE TABEL t (a INT)",
            "Expected TABLE, VIEW, FUNCTION, CATALOG or DATABASE after CREATE, found 'TABEL'",
            8,
        ),
        (
            "CREATE TABLE t (a INT PRIMARY KEY)",
            "Expected NOT ENFORCED after PRIMARY KEY (Flink only supports NOT ENFORCED primary keys), found ')'",
            34,
        ),
        (
            "CREATE TABLE t (a INT, , b INT)",
            "Expected a column name, WATERMARK or PRIMARY KEY in the column list, found ','",
            24,
        ),
        ("CREATE TABLE t (a) WITH ()", "Expected a data type for column 'a', found ')'", 18),
        (
            "CREATE TABLE t (a INT, WATERMARK FOR a AS a, WATERMARK FOR a AS a)",
            "A table can have only one WATERMARK",
            46,
        ),
        ("INSERT t SELECT 1", "Expected INTO or OVERWRITE after INSERT, found 't'", 8),
        ("INSERT INTO t PARTITION (p = 1) SELECT 1", "INSERT … PARTITION (…) is not supported by Weir", 15),
        ("INSERT INTO t FROM s", "Expected a query (SELECT, WITH or VALUES) after INSERT INTO t, found 'FROM'", 15),
        ("SET 'a' 'b'", "Expected '=' after the key 'a' in SET, found the string 'b'", 9),
        ("SET 'a' =", "Expected a value after '=' for the key 'a', found the end of the statement", 10),
        ("SHOW FUNCTIONS LIKE 'x'", "SHOW FUNCTIONS … FROM/IN/LIKE is not supported by Weir", 16),
        ("SHOW TABLES ILIKE 'x'", "Expected the end of the statement, found 'ILIKE'", 13),
        ("SHOW TABLES LIKE x", "Expected a quoted pattern after LIKE, found 'x'", 18),
        ("SHOW COLUMNS t", "Expected FROM or IN after SHOW COLUMNS, found 't'", 14),
        ("CREATE CATALOG c WITH (type = 'x')", "Option keys are quoted strings: write 'type' instead of type", 24),
        ("DROP DATABASE db RESTRICT CASCADE", "Expected the end of the statement, found 'CASCADE'", 27),
        (
            "ALTER DATABASE db RESET ('k')",
            "Expected SET after the database name (ALTER DATABASE only SETs properties), found 'RESET'",
            19,
        ),
        ("ALTER TABLE t ADD (a INT AFTER)", "Expected a column name after ADD … AFTER, found ')'", 31),
        ("ALTER TABLE t RENAME a b", "Expected TO after RENAME a, found 'b'", 24),
        (
            "ALTER TABLE t FROB",
            "Expected SET, RESET, ADD, MODIFY, DROP or RENAME after the table name, found 'FROB'",
            15,
        ),
        ("DROP INDEX i", "Expected TABLE, VIEW, FUNCTION, CATALOG or DATABASE after DROP, found 'INDEX'", 6),
        (
            "CREATE TABLE t (a INT) WITH ('k' = 'v') AS SELECT 1",
            "CREATE TABLE … AS SELECT is not supported by Weir; create the table, then INSERT INTO it",
            41,
        ),
        (
            "CREATE FUNCTION f AS 'x' LANGUAGE COBOL",
            "Unknown function language 'COBOL'; expected JAVA, SCALA, PYTHON or RUST",
            35,
        ),
        ("QUIT now", "Expected the end of the statement, found 'now'", 6),
        ("SELECT a FROM t GRUOP BY a", "Expected the end of the statement, found 'BY'", 23),
        (
            "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; SELECT 2; END",
            "Only INSERT statements are allowed in a statement set, found 'SELECT'",
            53,
        ),
        (
            "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1;",
            "Expected END to close the statement set, found the end of the statement",
            52,
        ),
    ] {
        let e = parse_statement(sql).unwrap_err();
        assert_eq!(e.message, message, "{sql}");
        assert_eq!(at(&e), (1, column), "{sql}: {}", e.message);
    }
}

#[test]
fn single_statement_and_expression_entry_points() {
    let e = parse_statement("SELECT 1; SELECT 2").unwrap_err();
    assert_eq!(e.message, "Expected a single statement, found another statement after ';'");
    assert_eq!(at(&e), (1, 11));
    assert_eq!(parse_statement("  -- nothing").unwrap_err().message, "Empty statement");
    assert_eq!(parse_statement("SELECT 1;").unwrap().text, "SELECT 1");

    let e = parse_expression("a + ").unwrap_err();
    assert_eq!(at(&e), (1, 4));
    let e = parse_expression("a b").unwrap_err();
    assert_eq!(e.message, "Expected the end of the statement after the expression, found 'b'");
}
