//! The statements of Flink's dialect.

use sqlparser::ast::{Expr, SetExpr};
use weir_sql::parser::ast::{
    AlterTableChange, ColumnKind, ColumnPosition, LikePattern, ObjectKind, Position, SchemaItem, ShowWhat, Statement,
};
use weir_sql::parser::{parse_script, parse_statement};
use weir_sql::types::{FlinkType, TypeKind, MAX_LENGTH};

fn one(sql: &str) -> Statement {
    match parse_statement(sql) {
        Ok(s) => s.node,
        Err(e) => panic!("{}", e.render(sql)),
    }
}

const NEXMARK: &str = "CREATE TABLE clicks (
  `user` STRING,
  page STRING,
  ms INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH ('connector' = 'filesystem', 'path' = '/d/clicks.jsonl', 'format' = 'json');
INSERT INTO `out`
SELECT `user`, page, window_start, window_end, COUNT(*), SUM(ms)
FROM TABLE(HOP(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '30' SECOND))
GROUP BY `user`, page, window_start, window_end;
";

#[test]
fn nexmark_script() {
    let statements = parse_script(NEXMARK).unwrap();
    assert_eq!(statements.len(), 2);

    let create = &statements[0];
    assert_eq!(create.start, Position { line: 1, column: 1 });
    assert!(create.text.starts_with("CREATE TABLE clicks ("));
    assert!(create.text.ends_with("'format' = 'json')"));
    let Statement::CreateTable(t) = &create.node else { panic!("not a CREATE TABLE: {:?}", create.node) };
    assert_eq!(t.name.to_string(), "clicks");
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.value.as_str()).collect();
    assert_eq!(names, ["user", "page", "ms", "ts"]);
    assert_eq!(t.columns[0].name.quote_style, Some('`'));
    match &t.columns[0].kind {
        ColumnKind::Physical(ty) => assert_eq!(ty, &FlinkType::nullable(TypeKind::Varchar(MAX_LENGTH))),
        other => panic!("{other:?}"),
    }
    match &t.columns[3].kind {
        ColumnKind::Physical(ty) => assert_eq!(ty.kind, TypeKind::Timestamp(3)),
        other => panic!("{other:?}"),
    }
    let wm = t.watermark.as_ref().unwrap();
    assert_eq!(wm.column.value, "ts");
    assert_eq!(wm.expr.to_string(), "ts - INTERVAL '5' SECOND");
    assert_eq!(
        t.options,
        vec![
            ("connector".to_string(), "filesystem".to_string()),
            ("path".to_string(), "/d/clicks.jsonl".to_string()),
            ("format".to_string(), "json".to_string()),
        ]
    );
    assert!(!t.temporary && !t.if_not_exists && t.like.is_none() && t.primary_key.is_empty());

    let insert = &statements[1];
    assert_eq!(insert.start, Position { line: 8, column: 1 });
    assert!(insert.text.starts_with("INSERT INTO `out`\nSELECT"));
    assert!(insert.text.ends_with("window_end"));
    let Statement::Insert(i) = &insert.node else { panic!() };
    assert_eq!(i.table.to_string(), "`out`");
    assert!(!i.overwrite && i.columns.is_empty());
    assert_eq!(
        i.query.to_string(),
        "SELECT `user`, page, window_start, window_end, COUNT(*), SUM(ms) FROM TABLE(HOP(clicks, DESCRIPTOR(ts), \
         INTERVAL '10' SECOND, INTERVAL '30' SECOND)) GROUP BY `user`, page, window_start, window_end"
    );
}

#[test]
fn create_table_all_column_kinds() {
    let sql = "create temporary table if not exists cat.db.orders (
        id BIGINT NOT NULL PRIMARY KEY NOT ENFORCED COMMENT 'the id',
        price DECIMAL(10, 2),
        total AS price * 2 COMMENT 'computed',
        pt AS PROCTIME(),
        offs BIGINT METADATA FROM 'offset' VIRTUAL,
        `timestamp` TIMESTAMP_LTZ(3) METADATA,
        tags ARRAY<STRING>,
        ts TIMESTAMP(3),
        WATERMARK FOR ts AS ts
    ) COMMENT 'orders table' PARTITIONED BY (id, price) WITH ('connector' = 'kafka', 'topic' = 'o;rders')";
    let Statement::CreateTable(t) = one(sql) else { panic!() };
    assert!(t.temporary && t.if_not_exists);
    assert_eq!(t.name.to_string(), "cat.db.orders");
    assert_eq!(t.columns.len(), 8);
    assert_eq!(t.primary_key.iter().map(|i| i.value.as_str()).collect::<Vec<_>>(), ["id"]);
    match &t.columns[0].kind {
        ColumnKind::Physical(ty) => assert_eq!(ty, &FlinkType { kind: TypeKind::BigInt, nullable: false }),
        other => panic!("{other:?}"),
    }
    assert_eq!(t.columns[0].comment.as_deref(), Some("the id"));
    match &t.columns[2].kind {
        ColumnKind::Computed(e) => assert_eq!(e.to_string(), "price * 2"),
        other => panic!("{other:?}"),
    }
    assert_eq!(t.columns[2].comment.as_deref(), Some("computed"));
    match &t.columns[3].kind {
        ColumnKind::Computed(e) => assert_eq!(e.to_string(), "PROCTIME()"),
        other => panic!("{other:?}"),
    }
    match &t.columns[4].kind {
        ColumnKind::Metadata { ty, key, is_virtual } => {
            assert_eq!(ty.kind, TypeKind::BigInt);
            assert_eq!(key.as_deref(), Some("offset"));
            assert!(*is_virtual);
        }
        other => panic!("{other:?}"),
    }
    match &t.columns[5].kind {
        ColumnKind::Metadata { ty, key, is_virtual } => {
            assert_eq!(ty.kind, TypeKind::TimestampLtz(3));
            assert_eq!(key, &None);
            assert!(!*is_virtual);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.comment.as_deref(), Some("orders table"));
    assert_eq!(t.partitioned_by.iter().map(|i| i.value.as_str()).collect::<Vec<_>>(), ["id", "price"]);
    assert_eq!(t.options[1], ("topic".to_string(), "o;rders".to_string()));
}

#[test]
fn create_table_constraint_and_like() {
    let Statement::CreateTable(t) =
        one("CREATE TABLE t (a INT, b STRING, CONSTRAINT pk PRIMARY KEY (a, b) NOT ENFORCED) WITH ('k' = 'v') \
         LIKE src (INCLUDING ALL EXCLUDING OPTIONS OVERWRITING WATERMARKS)")
    else {
        panic!()
    };
    assert_eq!(t.primary_key.iter().map(|i| i.value.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    let like = t.like.unwrap();
    assert_eq!(like.source.to_string(), "src");
    assert_eq!(
        like.options,
        vec![
            ("INCLUDING".to_string(), "ALL".to_string()),
            ("EXCLUDING".to_string(), "OPTIONS".to_string()),
            ("OVERWRITING".to_string(), "WATERMARKS".to_string()),
        ]
    );

    let Statement::CreateTable(t) = one("CREATE TABLE t2 WITH ('format' = 'csv') LIKE t") else { panic!() };
    assert!(t.columns.is_empty());
    assert_eq!(t.options, vec![("format".to_string(), "csv".to_string())]);
    assert_eq!(t.like.unwrap().options, vec![]);

    let Statement::CreateTable(t) = one("CREATE TABLE t3 (PRIMARY KEY (x) NOT ENFORCED, x INT)") else { panic!() };
    assert_eq!(t.primary_key[0].value, "x");
    assert!(t.options.is_empty());
}

#[test]
fn create_view_and_function() {
    match one("CREATE TEMPORARY VIEW IF NOT EXISTS v (a, b) AS SELECT x, y FROM t WHERE x > 1") {
        Statement::CreateView { name, columns, query, temporary, if_not_exists } => {
            assert_eq!(name.to_string(), "v");
            assert_eq!(columns.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(), ["a", "b"]);
            assert_eq!(query.to_string(), "SELECT x, y FROM t WHERE x > 1");
            assert!(temporary && if_not_exists);
        }
        other => panic!("{other:?}"),
    }
    match one("create view v as with w as (select 1 as a) select a from w") {
        Statement::CreateView { columns, temporary, if_not_exists, .. } => {
            assert!(columns.is_empty() && !temporary && !if_not_exists)
        }
        other => panic!("{other:?}"),
    }
    match one("CREATE TEMPORARY SYSTEM FUNCTION IF NOT EXISTS my_fn AS 'my_rust_fn' LANGUAGE rust") {
        Statement::CreateFunction { name, identifier, language, temporary, if_not_exists } => {
            assert_eq!(name.to_string(), "my_fn");
            assert_eq!(identifier, "my_rust_fn");
            assert_eq!(language.as_deref(), Some("RUST"));
            assert!(temporary && if_not_exists);
        }
        other => panic!("{other:?}"),
    }
    match one("CREATE FUNCTION f AS 'com.example.F'") {
        Statement::CreateFunction { language, temporary, .. } => assert!(language.is_none() && !temporary),
        other => panic!("{other:?}"),
    }
}

#[test]
fn drop_and_alter() {
    for (sql, kind, name, if_exists) in [
        ("DROP TABLE t", ObjectKind::Table, "t", false),
        ("drop temporary table if exists db.t", ObjectKind::Table, "db.t", true),
        ("DROP VIEW IF EXISTS v", ObjectKind::View, "v", true),
        ("DROP TEMPORARY SYSTEM FUNCTION f", ObjectKind::Function, "f", false),
    ] {
        match one(sql) {
            Statement::Drop { kind: k, name: n, if_exists: e } => {
                assert_eq!((k, n.to_string().as_str(), e), (kind, name, if_exists), "{sql}")
            }
            other => panic!("{sql}: {other:?}"),
        }
    }
    match one("ALTER TABLE t SET ('scan.startup.mode' = 'earliest-offset', 'a' = 'b')") {
        Statement::AlterTableSet { name, options } => {
            assert_eq!(name.to_string(), "t");
            assert_eq!(options.len(), 2);
            assert_eq!(options[0].1, "earliest-offset");
        }
        other => panic!("{other:?}"),
    }
    match one("ALTER TABLE t RENAME TO t2") {
        Statement::AlterTableRename { name, to } => {
            assert_eq!((name.to_string(), to.to_string()), ("t".into(), "t2".into()))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn show_describe_quit() {
    assert!(matches!(one("SHOW TABLES"), Statement::Show(ShowWhat::Tables { from: None, like: None })));
    assert!(matches!(one("show views"), Statement::Show(ShowWhat::Views { from: None, like: None })));
    assert!(matches!(one("SHOW FUNCTIONS"), Statement::Show(ShowWhat::Functions { user_only: false })));
    assert!(matches!(one("SHOW USER FUNCTIONS"), Statement::Show(ShowWhat::Functions { user_only: true })));
    match one("SHOW CREATE TABLE db.t") {
        Statement::Show(ShowWhat::CreateTable(n)) => assert_eq!(n.to_string(), "db.t"),
        other => panic!("{other:?}"),
    }
    match one("DESCRIBE t") {
        Statement::Describe(n) => assert_eq!(n.to_string(), "t"),
        other => panic!("{other:?}"),
    }
    match one("desc `my table`") {
        Statement::Describe(n) => assert_eq!(n.0[0].as_ident().unwrap().value, "my table"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(one("QUIT"), Statement::Quit));
    assert!(matches!(one("exit;"), Statement::Quit));
}

#[test]
fn explain() {
    for sql in [
        "EXPLAIN SELECT a FROM t",
        "EXPLAIN PLAN FOR SELECT a FROM t",
        "EXPLAIN ESTIMATED_COST, CHANGELOG_MODE, JSON_EXECUTION_PLAN SELECT a FROM t",
    ] {
        match one(sql) {
            Statement::Explain(inner) => {
                assert_eq!(inner.text, "SELECT a FROM t", "{sql}");
                assert_eq!(inner.start.column as usize, sql.find("SELECT").unwrap() + 1);
                assert!(matches!(inner.node, Statement::Query(_)));
            }
            other => panic!("{other:?}"),
        }
    }
    match one("EXPLAIN INSERT INTO s SELECT * FROM t") {
        Statement::Explain(inner) => assert!(matches!(inner.node, Statement::Insert(_))),
        other => panic!("{other:?}"),
    }
    match one("EXPLAIN STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END") {
        Statement::Explain(inner) => match inner.node {
            Statement::StatementSet(inserts) => assert_eq!(inserts.len(), 2),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

fn set(sql: &str) -> Option<(String, String)> {
    match one(sql) {
        Statement::Set(kv) => kv,
        other => panic!("{other:?}"),
    }
}

#[test]
fn set_and_reset() {
    assert_eq!(set("SET"), None);
    let kv = |k: &str, v: &str| Some((k.to_string(), v.to_string()));
    assert_eq!(set("SET 'execution.runtime-mode' = 'streaming'"), kv("execution.runtime-mode", "streaming"));
    assert_eq!(set("SET execution.runtime-mode = streaming"), kv("execution.runtime-mode", "streaming"));
    assert_eq!(set("SET parallelism.default=4"), kv("parallelism.default", "4"));
    assert_eq!(set("set 'table.exec.state.ttl'='1 h'"), kv("table.exec.state.ttl", "1 h"));
    assert_eq!(set("SET pipeline.name = my job;"), kv("pipeline.name", "my job"));
    assert_eq!(
        set("SET 'sql-client.execution.result-mode' = tableau"),
        kv("sql-client.execution.result-mode", "tableau")
    );
    match one("RESET") {
        Statement::Reset(None) => {}
        other => panic!("{other:?}"),
    }
    match one("RESET 'parallelism.default'") {
        Statement::Reset(Some(k)) => assert_eq!(k, "parallelism.default"),
        other => panic!("{other:?}"),
    }
    match one("reset table.exec.mini-batch.enabled") {
        Statement::Reset(Some(k)) => assert_eq!(k, "table.exec.mini-batch.enabled"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn inserts() {
    match one("INSERT OVERWRITE cat.db.t (a, b) SELECT x, y FROM s") {
        Statement::Insert(i) => {
            assert!(i.overwrite);
            assert_eq!(i.table.to_string(), "cat.db.t");
            assert_eq!(i.columns.iter().map(|c| c.value.as_str()).collect::<Vec<_>>(), ["a", "b"]);
            assert_eq!(i.query.to_string(), "SELECT x, y FROM s");
        }
        other => panic!("{other:?}"),
    }
    match one("INSERT INTO t (SELECT 1 UNION ALL SELECT 2)") {
        Statement::Insert(i) => assert!(i.columns.is_empty()),
        other => panic!("{other:?}"),
    }
    match one("INSERT INTO t VALUES (1, 'a'), (2, 'b')") {
        Statement::Insert(i) => assert!(matches!(*i.query.body, SetExpr::Values(_))),
        other => panic!("{other:?}"),
    }
    match one("EXECUTE INSERT INTO t SELECT * FROM s") {
        Statement::Insert(i) => assert_eq!(i.table.to_string(), "t"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn statement_sets_span_semicolons() {
    let sql = "SET 'a' = 'b';
EXECUTE STATEMENT SET
BEGIN
  INSERT INTO s1 SELECT CASE WHEN a > 1 THEN 'x' ELSE 'y' END FROM t;
  INSERT INTO s2 SELECT b FROM t;
END;
BEGIN STATEMENT SET;
INSERT INTO s3 SELECT 1;
INSERT INTO s4 SELECT 2;
END;
SELECT 1";
    let statements = parse_script(sql).unwrap();
    assert_eq!(statements.len(), 4);
    let Statement::StatementSet(inserts) = &statements[1].node else { panic!("{:?}", statements[1].node) };
    assert_eq!(inserts.len(), 2);
    assert_eq!(inserts[0].node.table.to_string(), "s1");
    assert_eq!(inserts[0].start, Position { line: 4, column: 3 });
    assert_eq!(inserts[0].text, "INSERT INTO s1 SELECT CASE WHEN a > 1 THEN 'x' ELSE 'y' END FROM t");
    assert_eq!(inserts[1].node.table.to_string(), "s2");
    assert!(statements[1].text.starts_with("EXECUTE STATEMENT SET"));
    assert!(statements[1].text.ends_with("END"));
    let Statement::StatementSet(inserts) = &statements[2].node else { panic!() };
    assert_eq!(inserts.iter().map(|i| i.node.table.to_string()).collect::<Vec<_>>(), ["s3", "s4"]);
    assert_eq!(statements[2].start, Position { line: 7, column: 1 });
    assert!(matches!(statements[3].node, Statement::Query(_)));
}

#[test]
fn queries() {
    for sql in [
        "SELECT 1",
        "WITH a AS (SELECT 1 AS x) SELECT x FROM a",
        "VALUES (1), (2)",
        "(SELECT a FROM t) UNION ALL (SELECT a FROM s)",
        "SELECT a, COUNT(*) FILTER (WHERE b > 0) FROM t GROUP BY a",
        "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY a ORDER BY b DESC) AS rn FROM t) WHERE rn <= 3",
        "SELECT SUM(b) OVER w FROM t WINDOW w AS (PARTITION BY a ORDER BY ts RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW)",
        "SELECT o.id, r.rate FROM orders AS o JOIN rates FOR SYSTEM_TIME AS OF o.proc_time AS r ON o.cur = r.cur",
        "SELECT LISTAGG(name, ',') FROM t",
        "SELECT arr[1], m['k'], ROW(a, b) FROM t",
        "SELECT * FROM t WHERE a IS DISTINCT FROM b AND d > DATE '2024-01-01' AND ts < TIMESTAMP '2024-01-01 00:00:00'",
    ] {
        match one(sql) {
            Statement::Query(_) => {}
            other => panic!("{sql}: {other:?}"),
        }
    }
}

#[test]
fn lateral_table_function_is_normalized() {
    let Statement::Query(q) = one("SELECT s, w FROM t, LATERAL TABLE(split(s, ' ')) AS T(w)") else { panic!() };
    assert_eq!(q.to_string(), "SELECT s, w FROM t, LATERAL split(s, ' ') AS T (w)");
}

#[test]
fn script_with_comments_and_semicolons_in_strings() {
    let sql = "-- leading comment; not a statement
SET 'pipeline.name' = 'a;b';  /* block; comment */
;;
SELECT ';' AS semi, `we;ird` -- trailing; comment
FROM t;
/* only a comment */;
-- the end";
    let statements = parse_script(sql).unwrap();
    assert_eq!(statements.len(), 2);
    match &statements[0].node {
        Statement::Set(Some((k, v))) => assert_eq!((k.as_str(), v.as_str()), ("pipeline.name", "a;b")),
        other => panic!("{other:?}"),
    }
    assert_eq!(statements[0].start, Position { line: 2, column: 1 });
    assert_eq!(statements[0].text, "SET 'pipeline.name' = 'a;b'");
    assert_eq!(statements[1].start, Position { line: 4, column: 1 });
    assert_eq!(statements[1].text, "SELECT ';' AS semi, `we;ird` -- trailing; comment\nFROM t");
    let Statement::Query(q) = &statements[1].node else { panic!() };
    assert_eq!(q.to_string(), "SELECT ';' AS semi, `we;ird` FROM t");
    assert!(parse_script("  -- nothing\n ; /* */ ").unwrap().is_empty());
}

#[test]
fn plural_interval_units_are_singular() {
    let e = weir_sql::parser::parse_expression("ts - INTERVAL '10' MINUTES + INTERVAL '2' HOURS").unwrap();
    assert_eq!(e.to_string(), "ts - INTERVAL '10' MINUTE + INTERVAL '2' HOUR");
    let e = weir_sql::parser::parse_expression("MAP['a', 1, 'b', 2]").unwrap();
    match e {
        Expr::Function(f) => {
            assert_eq!(f.name.to_string(), "MAP");
            assert_eq!(f.to_string(), "MAP('a', 1, 'b', 2)");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn catalog_and_database_statements() {
    match one("CREATE CATALOG IF NOT EXISTS `my cat` WITH ('type' = 'generic_in_memory')") {
        Statement::CreateCatalog { name, options, if_not_exists } => {
            assert_eq!((name.value.as_str(), if_not_exists), ("my cat", true));
            assert_eq!(options, [("type".to_string(), "generic_in_memory".to_string())]);
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(one("DROP CATALOG IF EXISTS c"), Statement::DropCatalog { if_exists: true, .. }));
    assert!(matches!(one("USE CATALOG c"), Statement::UseCatalog(n) if n.value == "c"));
    // `USE catalog` alone names a database called `catalog`, as in Flink.
    assert!(matches!(one("USE catalog"), Statement::UseDatabase(n) if n.to_string() == "catalog"));
    assert!(matches!(one("USE c.db"), Statement::UseDatabase(n) if n.to_string() == "c.db"));
    match one("CREATE DATABASE IF NOT EXISTS c.db COMMENT 'first' WITH ('k' = 'v')") {
        Statement::CreateDatabase { name, comment, properties, if_not_exists } => {
            assert_eq!(name.to_string(), "c.db");
            assert_eq!((comment.as_deref(), properties.len(), if_not_exists), (Some("first"), 1, true));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(one("DROP DATABASE db"), Statement::DropDatabase { cascade: false, if_exists: false, .. }));
    assert!(matches!(one("DROP DATABASE db RESTRICT"), Statement::DropDatabase { cascade: false, .. }));
    assert!(matches!(
        one("DROP DATABASE IF EXISTS db CASCADE"),
        Statement::DropDatabase { cascade: true, if_exists: true, .. }
    ));
    assert!(
        matches!(one("ALTER DATABASE db SET ('k' = 'v')"), Statement::AlterDatabase { properties, .. } if properties.len() == 1)
    );
}

#[test]
fn show_statements_of_namespaces() {
    let like = |p: &str, negated| Some(LikePattern { pattern: p.into(), negated });
    assert_eq!(show("SHOW CATALOGS"), ShowWhat::Catalogs(None));
    assert_eq!(show("SHOW CATALOGS NOT LIKE 'c%'"), ShowWhat::Catalogs(like("c%", true)));
    assert_eq!(show("SHOW CURRENT CATALOG"), ShowWhat::CurrentCatalog);
    assert_eq!(show("SHOW CURRENT DATABASE"), ShowWhat::CurrentDatabase);
    assert!(
        matches!(show("SHOW DATABASES IN c LIKE 'd%'"), ShowWhat::Databases { from: Some(c), like: Some(_) } if c.value == "c")
    );
    match show("SHOW TABLES FROM c.db NOT LIKE 't_'") {
        ShowWhat::Tables { from: Some(db), like: l } => {
            assert_eq!((db.to_string(), l), ("c.db".into(), like("t_", true)))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(show("SHOW VIEWS IN db"), ShowWhat::Views { from: Some(_), like: None }));
    assert!(matches!(show("SHOW COLUMNS IN db.t LIKE '%id'"), ShowWhat::Columns { like: Some(_), .. }));
    assert!(matches!(show("SHOW CREATE VIEW `c`.`db`.`v`"), ShowWhat::CreateView(n) if n.0.len() == 3));
}

fn show(sql: &str) -> ShowWhat {
    match one(sql) {
        Statement::Show(what) => what,
        other => panic!("{other:?}"),
    }
}

fn alter(sql: &str) -> AlterTableChange {
    match one(sql) {
        Statement::AlterTable { change, .. } => change,
        other => panic!("{other:?}"),
    }
}

#[test]
fn alter_table_schema_changes() {
    match alter(
        "ALTER TABLE t ADD (e INT FIRST, f AS a * 2 AFTER b, WATERMARK FOR ts AS ts, PRIMARY KEY (e) NOT ENFORCED)",
    ) {
        AlterTableChange::Add(items) => {
            assert!(matches!(&items[0], SchemaItem::Column(c, ColumnPosition::First) if c.name.value == "e"));
            assert!(
                matches!(&items[1], SchemaItem::Column(c, ColumnPosition::After(b)) if matches!(c.kind, ColumnKind::Computed(_)) && b.value == "b")
            );
            assert!(matches!(&items[2], SchemaItem::Watermark(w) if w.column.value == "ts"));
            assert!(matches!(&items[3], SchemaItem::PrimaryKey(k) if k.len() == 1));
        }
        other => panic!("{other:?}"),
    }
    match alter("ALTER TABLE t ADD c INT PRIMARY KEY NOT ENFORCED") {
        AlterTableChange::Add(items) => {
            assert!(matches!(items.as_slice(), [SchemaItem::Column(..), SchemaItem::PrimaryKey(_)]))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(alter("ALTER TABLE t MODIFY b VARCHAR(10)"), AlterTableChange::Modify(i) if i.len() == 1));
    assert!(matches!(alter("ALTER TABLE t DROP (a, b)"), AlterTableChange::DropColumns(c) if c.len() == 2));
    assert!(matches!(alter("ALTER TABLE t DROP a"), AlterTableChange::DropColumns(c) if c.len() == 1));
    assert!(matches!(alter("ALTER TABLE t DROP WATERMARK"), AlterTableChange::DropWatermark));
    assert!(matches!(alter("ALTER TABLE t DROP PRIMARY KEY"), AlterTableChange::DropPrimaryKey));
    assert!(matches!(alter("ALTER TABLE t DROP CONSTRAINT pk"), AlterTableChange::DropPrimaryKey));
    assert!(
        matches!(alter("ALTER TABLE t RENAME a TO b"), AlterTableChange::RenameColumn { from, to } if from.value == "a" && to.value == "b")
    );
    assert!(matches!(alter("ALTER TABLE t RESET ('k1', 'k2')"), AlterTableChange::Reset(k) if k == ["k1", "k2"]));
}
