//! Catalogs and databases (Flink's namespaces), `SHOW`, `DESCRIBE` and `ALTER TABLE` schema
//! changes in a session: what is printed, and the refusals with Flink's words at the
//! statement's line and column (messages taken from Flink 2.3's SQL client).

use weir_sql::session::{JobSettings, ResultSink, Session};

/// Every message a script prints, in order.
#[derive(Default)]
struct Printed(Vec<String>);

impl ResultSink for Printed {
    fn row(&mut self, line: &str) {
        self.0.push(line.to_string());
    }
    fn message(&mut self, text: &str) {
        if text != "[INFO] Execute statement succeeded." {
            self.0.push(text.to_string());
        }
    }
}

const TABLE: &str = "WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'json')";

/// What `script` prints (each `{T}` replaced by the options of a filesystem table).
fn printed(script: &str) -> Vec<String> {
    let script = script.replace("{T}", TABLE);
    let mut out = Printed::default();
    let mut session = Session::new(JobSettings::default());
    if let Err(e) = session.execute_script(&script, &mut out) {
        panic!("{}", e.render(&script));
    }
    out.0
}

/// The error of the last statement of `script`, rendered, after the others succeeded.
fn error(script: &str) -> String {
    let script = script.replace("{T}", TABLE);
    let mut session = Session::new(JobSettings::default());
    let e = session.execute_script(&script, &mut Printed::default()).expect_err("the script must fail");
    e.render(&script)
}

/// The body rows of a printed table, cell by cell (trimmed).
fn cells(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(1)
        .map(|l| l.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect())
        .collect()
}

/// A one-column listing as the client prints it.
fn listing(header: &str, names: &[&str]) -> String {
    let rows: Vec<Vec<String>> = names.iter().map(|n| vec![n.to_string()]).collect();
    weir_sql::session::table_text(&[header], &rows)
}

#[test]
fn a_session_starts_in_the_default_catalog_and_database() {
    let out = printed("SHOW CATALOGS; SHOW CURRENT CATALOG; SHOW DATABASES; SHOW CURRENT DATABASE;");
    assert_eq!(
        out,
        [
            listing("catalog name", &["default_catalog"]),
            listing("current catalog name", &["default_catalog"]),
            listing("database name", &["default_database"]),
            listing("current database name", &["default_database"]),
        ]
    );
}

#[test]
fn use_moves_where_unqualified_names_resolve() {
    let out = printed(
        "CREATE CATALOG c1 WITH ('type' = 'generic_in_memory');
         CREATE DATABASE c1.db2;
         CREATE TABLE t (a INT) {T};
         USE CATALOG c1;
         SHOW CURRENT DATABASE;
         SHOW DATABASES;
         CREATE TABLE t (b STRING) {T};
         CREATE TABLE db2.u (c INT) {T};
         USE db2;
         CREATE VIEW v AS SELECT c FROM u;
         SHOW TABLES;
         SHOW VIEWS;
         SHOW TABLES FROM c1.`default`;
         SHOW TABLES IN default_catalog.default_database;
         DESCRIBE c1.`default`.t;
         USE default_catalog.default_database;
         SHOW CATALOGS LIKE 'c%';
         SHOW TABLES FROM c1.db2 NOT LIKE 'v';
         DESCRIBE t;",
    );
    assert_eq!(out[0], listing("current database name", &["default"]), "a new catalog's database is `default`");
    assert_eq!(out[1], listing("database name", &["db2", "default"]));
    assert_eq!(out[2], listing("table name", &["u", "v"]), "SHOW TABLES lists views too, as Flink");
    assert_eq!(out[3], listing("view name", &["v"]));
    assert_eq!(out[4], listing("table name", &["t"]));
    assert_eq!(out[5], listing("table name", &["t"]));
    assert_eq!(cells(&out[6])[0][..2], ["b", "STRING"], "{}", out[6]);
    assert_eq!(out[7], listing("catalog name", &["c1"]));
    assert_eq!(out[8], listing("table name", &["u"]));
    assert_eq!(cells(&out[9])[0][..2], ["a", "INT"], "{}", out[9]);
}

#[test]
fn show_columns_filters_describe_by_name() {
    let out = printed(
        "CREATE TABLE t (id INT, name STRING, id2 BIGINT, PRIMARY KEY (id) NOT ENFORCED) {T};
         SHOW COLUMNS FROM t LIKE 'id%';
         SHOW COLUMNS IN default_database.t NOT LIKE 'id%';",
    );
    let names = |t: &str| cells(t).into_iter().map(|r| r[0].clone()).collect::<Vec<_>>();
    assert_eq!(names(&out[0]), ["id", "id2"], "{}", out[0]);
    assert_eq!(cells(&out[0])[0][3], "PRI(id)", "{}", out[0]);
    assert_eq!(names(&out[1]), ["name"], "{}", out[1]);
}

#[test]
fn show_create_prints_flinks_ddl() {
    let out = printed(
        "CREATE DATABASE db;
         CREATE TABLE db.t (a INT, b STRING, c AS a + 1, ts TIMESTAMP(3), m STRING METADATA FROM 'file.name' VIRTUAL,
           WATERMARK FOR ts AS ts - INTERVAL '1' SECOND, PRIMARY KEY (a) NOT ENFORCED)
         COMMENT 'tc' {T};
         SHOW CREATE TABLE db.t;
         CREATE VIEW db.v (x, y) AS SELECT a, b FROM db.t WHERE a > 1;
         SHOW CREATE VIEW db.v;",
    );
    assert_eq!(
        out[0],
        "CREATE TABLE `default_catalog`.`db`.`t` (
  `a` INT,
  `b` VARCHAR(2147483647),
  `c` AS a + 1,
  `ts` TIMESTAMP(3),
  `m` VARCHAR(2147483647) METADATA FROM 'file.name' VIRTUAL,
  WATERMARK FOR `ts` AS ts - INTERVAL '1' SECOND,
  CONSTRAINT `PK_a` PRIMARY KEY (`a`) NOT ENFORCED
)
COMMENT 'tc'
WITH (
  'connector' = 'filesystem',
  'format' = 'json',
  'path' = '/tmp/x'
)
"
    );
    assert_eq!(
        out[1],
        "CREATE VIEW `default_catalog`.`db`.`v` (\n  `x`,\n  `y`\n)\nAS SELECT a, b FROM db.t WHERE a > 1\n"
    );
}

#[test]
fn catalog_refusals_carry_flinks_words_and_the_position() {
    for (script, message) in [
        (
            "CREATE CATALOG c1 WITH ('type' = 'generic_in_memory');\nCREATE CATALOG c1 WITH ('type' = 'generic_in_memory');",
            "line 2, column 1: Catalog c1 already exists.",
        ),
        ("CREATE CATALOG h WITH ('type' = 'hive');", "Catalog type 'hive' is not supported by Weir; the supported type is 'generic_in_memory'"),
        ("CREATE CATALOG h;", "Catalog options do not contain an option key 'type' for discovering a catalog."),
        ("USE CATALOG nope;", "A catalog with name [nope] does not exist."),
        ("DROP CATALOG default_catalog;", "Cannot drop a catalog which is currently in use."),
        ("DROP CATALOG nope;", "Catalog nope does not exist."),
        ("CREATE DATABASE nope.db;", "Catalog nope does not exist."),
        ("CREATE DATABASE db;\nCREATE DATABASE db;", "line 2, column 1: Database db already exists in Catalog default_catalog."),
        ("USE nope;", "A database with name [nope] does not exist in the catalog: [default_catalog]."),
        ("DROP DATABASE nope;", "Database nope does not exist in Catalog default_catalog."),
        ("ALTER DATABASE nope SET ('k' = 'v');", "Database nope does not exist in Catalog default_catalog."),
        (
            "CREATE DATABASE db;\nCREATE TABLE db.t (a INT) {T};\n  DROP DATABASE db;",
            "line 3, column 3: Database db in catalog default_catalog is not empty.",
        ),
        ("CREATE DATABASE db;\nUSE db;\nDROP DATABASE db CASCADE;", "Cannot drop a database which is currently in use."),
        ("CREATE TABLE nope.t (a INT) {T};", "Database nope does not exist in Catalog default_catalog."),
        ("CREATE TABLE t (a INT) {T};\nCREATE VIEW t AS SELECT 1;", "Table (or view) default_database.t already exists in Catalog default_catalog."),
        ("SELECT * FROM nope.t;", "line 1, column 15: Object 'nope' not found"),
        ("SELECT * FROM default_catalog.nope.t;", "Object 'nope' not found within 'default_catalog'"),
        ("SELECT * FROM nope.db.t;", "Object 'nope' not found"),
        ("SELECT * FROM default_database.nope;", "Object 'nope' not found within 'default_catalog.default_database'"),
        ("SHOW TABLES FROM nope;", "Database 'default_catalog'.'nope' doesn't exist."),
        ("SHOW COLUMNS FROM nope;", "Tables or views with the identifier 'default_catalog.default_database.nope' doesn't exist."),
        ("DROP TABLE db9.t;", "Table with identifier 'default_catalog.db9.t' does not exist."),
        ("CREATE FUNCTION nope.f AS 'f';", "Database nope does not exist in Catalog default_catalog."),
        ("DROP VIEW v;", "View with identifier 'default_catalog.default_database.v' does not exist."),
        (
            "CREATE TABLE t (a INT) {T};\nSHOW CREATE VIEW t;",
            "SHOW CREATE VIEW is only supported for views, but `default_catalog`.`default_database`.`t` is a table. \
             Please use SHOW CREATE TABLE instead.",
        ),
        (
            "SHOW CREATE TABLE t;",
            "Could not execute SHOW CREATE TABLE. Table with identifier `default_catalog`.`default_database`.`t` does \
             not exist.",
        ),
    ] {
        let e = error(script);
        assert!(e.contains(message), "{script}:\n{e}");
    }
    // IF [NOT] EXISTS: nothing happens, no error.
    printed(
        "CREATE CATALOG IF NOT EXISTS default_catalog WITH ('type' = 'generic_in_memory');
         DROP CATALOG IF EXISTS nope; CREATE DATABASE IF NOT EXISTS default_database;
         DROP DATABASE IF EXISTS nope; DROP TABLE IF EXISTS nope.t; DROP VIEW IF EXISTS v;",
    );
}

#[test]
fn alter_table_refusals_carry_flinks_words() {
    const T: &str = "CREATE TABLE t (a INT, b STRING, c AS a + 1, ts TIMESTAMP(3),
        WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) {T};\n";
    for (alter, message) in [
        ("ALTER TABLE t ADD a INT;", "Column `a` already exists in the table."),
        ("ALTER TABLE t DROP a;", "The column `a` is referenced by computed column `c`."),
        ("ALTER TABLE t DROP ts;", "The column `ts` is referenced by watermark expression."),
        ("ALTER TABLE t ADD WATERMARK FOR ts AS ts;", "The current table has already defined the watermark strategy"),
        ("ALTER TABLE t ADD d AS nope + 1;", "Invalid expression for computed column 'd'."),
        ("ALTER TABLE t MODIFY ts STRING;", "Invalid data type of time field for watermark definition."),
        (
            "ALTER TABLE nope ADD x INT;",
            "Table `default_catalog`.`default_database`.`nope` doesn't exist or is a temporary table.",
        ),
        ("CREATE VIEW v AS SELECT a FROM t;\nALTER TABLE v ADD x INT;", "ALTER TABLE for a view is not allowed"),
        (
            "CREATE TABLE u (a INT) {T};\nALTER TABLE t RENAME TO u;",
            "Table (or view) default_database.u already exists in Catalog default_catalog.",
        ),
    ] {
        let e = error(&format!("{T}{alter}"));
        assert!(e.contains("line 3, column 1: ") || e.contains("line 4, column 1: "), "{alter}:\n{e}");
        assert!(e.contains(message), "{alter}:\n{e}");
    }
}

#[test]
fn altered_tables_describe_their_new_schema() {
    let out = printed(
        "CREATE TABLE t (a INT, b STRING, ts TIMESTAMP(3)) {T};
         ALTER TABLE t ADD (e INT FIRST, f AS a * 2 AFTER b, WATERMARK FOR ts AS ts);
         ALTER TABLE t RENAME b TO bb;
         ALTER TABLE t MODIFY a BIGINT;
         ALTER TABLE t SET ('k' = 'v');
         ALTER TABLE t RESET ('k');
         ALTER TABLE t RENAME TO u;
         SHOW COLUMNS FROM u;
         SHOW TABLES;",
    );
    let rows = cells(&out[0]);
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["e", "a", "bb", "f", "ts"], "{}", out[0]);
    assert_eq!(rows[3][..2], ["f", "BIGINT"], "the computed column follows its input's new type: {}", out[0]);
    assert_eq!(rows[4][1], "TIMESTAMP(3) *ROWTIME*", "{}", out[0]);
    assert_eq!(out[1], listing("table name", &["u"]));
}
