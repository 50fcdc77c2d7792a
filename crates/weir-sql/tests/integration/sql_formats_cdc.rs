//! The changelog formats (`debezium-json`, `canal-json`, `maxwell-json`, `ogg-json`) and the bad-record policies from SQL,
//! over files: what a query sees, what a sink writes, and what a malformed record does under
//! each `scan.bad-records` policy.

use crate::sql_common;

use sql_common::run;

use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The visible part files under `dir`, concatenated in name order.
fn read_parts(dir: &Path) -> String {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with(['.', '_']))
        .collect();
    names.sort();
    names.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

const DEBEZIUM: &str = r#"{"before":null,"after":{"id":1,"name":"apple","price":1.5},"op":"c","ts_ms":1}
{"before":null,"after":{"id":2,"name":"pear","price":2.0},"op":"r"}
{"before":{"id":1,"name":"apple","price":1.5},"after":{"id":1,"name":"apple","price":1.75},"op":"u"}
{"before":{"id":2,"name":"pear","price":2.0},"after":null,"op":"d"}
"#;

#[test]
fn debezium_messages_are_changelog_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "products.json", DEBEZIUM);
    let sql = format!(
        "CREATE TABLE products (id INT, name STRING, price DOUBLE)
         WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'debezium-json');
         SELECT * FROM products;"
    );
    let rows = run(&sql, 1).unwrap();
    assert_eq!(
        rows,
        ["+I[1, apple, 1.5]", "+I[2, pear, 2.0]", "-U[1, apple, 1.5]", "+U[1, apple, 1.75]", "-D[2, pear, 2.0]"]
    );
}

#[test]
fn a_debezium_table_is_an_updating_source_to_aggregates() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "products.json", DEBEZIUM);
    let sql = format!(
        "CREATE TABLE products (id INT, name STRING, price DOUBLE)
         WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'debezium-json');
         SELECT COUNT(*) AS n, SUM(price) AS total FROM products;"
    );
    let rows = run(&sql, 1).unwrap();
    // The last change holds the count and sum after the update and the delete.
    assert_eq!(&rows.last().unwrap()[2..], "[1, 1.75]", "{rows:?}");
    // An insert-only sink refuses it, as Flink's does.
    let out = dir.path().join("out");
    let sql = format!(
        "CREATE TABLE products (id INT, name STRING, price DOUBLE)
         WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'debezium-json');
         CREATE TABLE sink (id INT, name STRING, price DOUBLE)
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
         INSERT INTO sink SELECT * FROM products;",
        out.display()
    );
    let e = run(&sql, 1).unwrap_err().to_string();
    assert!(e.contains("doesn't support consuming update changes"), "{e}");
}

#[test]
fn debezium_with_schema_and_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    let wrapped = r#"{"schema":{"type":"struct"},"payload":{"before":null,"after":{"id":7,"name":"fig"},"op":"c"}}"#;
    let path = write(dir.path(), "s.json", &format!("{wrapped}\n"));
    let table = |extra: &str| {
        format!(
            "CREATE TABLE t (id INT, name STRING) WITH ('connector' = 'filesystem', 'path' = '{path}',
             'format' = 'debezium-json'{extra}); SELECT * FROM t;"
        )
    };
    assert_eq!(run(&table(", 'debezium-json.schema-include' = 'true'"), 1).unwrap(), ["+I[7, fig]"]);
    let e = run(&table(""), 1).unwrap_err().to_string();
    assert!(e.contains("set 'debezium-json.schema-include' = 'true'"), "{e}");
    assert!(e.contains(&format!("file {path}, line 1")), "{e}");

    let path = write(dir.path(), "u.json", "{\"before\":null,\"after\":{\"id\":1,\"name\":\"x\"},\"op\":\"u\"}\n");
    let sql = format!(
        "CREATE TABLE t (id INT, name STRING) WITH ('connector' = 'filesystem', 'path' = '{path}',
         'format' = 'debezium-json'); SELECT * FROM t;"
    );
    let e = run(&sql, 1).unwrap_err().to_string();
    assert!(e.contains("REPLICA IDENTITY"), "{e}");
    let e =
        run(&sql.replace("'format' = 'debezium-json'", "'format' = 'debezium-json', 'debezium-json.bogus' = '1'"), 1)
            .unwrap_err()
            .to_string();
    assert!(e.contains("Unsupported option 'debezium-json.bogus'"), "{e}");
}

#[test]
fn canal_messages_are_changelog_rows_with_old_values_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let canal = r#"{"data":[{"id":"1","name":"apple","price":"1.5"},{"id":"2","name":"pear","price":"2.0"}],"database":"shop","table":"products","isDdl":false,"old":null,"type":"INSERT"}
{"data":null,"database":"shop","table":"products","isDdl":true,"sql":"CREATE TABLE x (a INT)","type":"CREATE"}
{"data":[{"id":"1","name":"apple","price":"1.75"}],"database":"shop","table":"products","isDdl":false,"old":[{"price":"1.5"}],"type":"UPDATE"}
{"data":[{"id":"9","name":"other","price":"9"}],"database":"shop","table":"orders","isDdl":false,"type":"INSERT"}
{"data":[{"id":"2","name":"pear","price":"2.0"}],"database":"shop","table":"products","isDdl":false,"old":null,"type":"DELETE"}
"#;
    let path = write(dir.path(), "canal.json", canal);
    let sql = format!(
        "CREATE TABLE products (id INT, name STRING, price DOUBLE)
         WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'canal-json',
               'canal-json.table.include' = 'prod.*');
         SELECT * FROM products;"
    );
    let rows = run(&sql, 1).unwrap();
    assert_eq!(
        rows,
        ["+I[1, apple, 1.5]", "+I[2, pear, 2.0]", "-U[1, apple, 1.5]", "+U[1, apple, 1.75]", "-D[2, pear, 2.0]"]
    );
    let bad = sql.replace("'prod.*'", "'('");
    let e = run(&bad, 1).unwrap_err().to_string();
    assert!(e.contains("'canal-json.table.include' is not a valid regular expression"), "{e}");
}

#[test]
fn maxwell_messages_are_changelog_rows_with_old_values_filled_in() {
    let dir = tempfile::tempdir().unwrap();
    let maxwell = r#"{"database":"shop","table":"products","type":"insert","data":{"id":1,"name":"apple","price":1.5}}
{"database":"shop","table":"products","type":"update","data":{"id":1,"name":"apple","price":1.75},"old":{"price":1.5}}
{"database":"shop","table":"orders","type":"insert","data":{"id":9,"name":"other","price":9}}
{"database":"shop","table":"products","type":"delete","data":{"id":1,"name":"apple","price":1.75}}
"#;
    let path = write(dir.path(), "maxwell.json", maxwell);
    let sql = format!(
        "CREATE TABLE products (id INT, name STRING, price DOUBLE)
         WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'maxwell-json',
               'maxwell-json.table.include' = 'prod.*');
         SELECT * FROM products;"
    );
    let rows = run(&sql, 1).unwrap();
    assert_eq!(rows, ["+I[1, apple, 1.5]", "-U[1, apple, 1.5]", "+U[1, apple, 1.75]", "-D[1, apple, 1.75]"]);
    let bad = write(dir.path(), "bad.json", r#"{"table":"products","type":"truncate","data":{"id":1}}"#);
    let e = run(&sql.replace(&path, &bad), 1).unwrap_err().to_string();
    assert!(e.contains("Unknown \"type\" value \"truncate\""), "{e}");
}

#[test]
fn ogg_messages_are_changelog_rows_and_a_truncate_fails_the_query() {
    let dir = tempfile::tempdir().unwrap();
    let ogg = r#"{"table":"SHOP.PRODUCTS","op_type":"I","op_ts":"2024-01-01 10:00:00.000000","after":{"id":1,"name":"apple","price":1.5}}
{"table":"SHOP.PRODUCTS","op_type":"U","before":{"id":1,"name":"apple","price":1.5},"after":{"id":1,"name":"apple","price":1.75}}
{"table":"SHOP.PRODUCTS","op_type":"D","before":{"id":1,"name":"apple","price":1.75}}
"#;
    let path = write(dir.path(), "ogg.json", ogg);
    let sql = format!(
        "CREATE TABLE products (id INT, name STRING, price DOUBLE)
         WITH ('connector' = 'filesystem', 'path' = '{path}', 'format' = 'ogg-json');
         SELECT * FROM products;"
    );
    let rows = run(&sql, 1).unwrap();
    assert_eq!(rows, ["+I[1, apple, 1.5]", "-U[1, apple, 1.5]", "+U[1, apple, 1.75]", "-D[1, apple, 1.75]"]);
    // Flink's ogg-json has no truncate: the message fails the query unless parse errors are ignored.
    let truncate = r#"{"table":"SHOP.PRODUCTS","op_type":"T"}"#;
    let bad = write(dir.path(), "bad.json", &format!("{truncate}\n{}", ogg.lines().next().unwrap()));
    let e = run(&sql.replace(&path, &bad), 1).unwrap_err().to_string();
    assert!(e.contains("Unknown \"op_type\" value \"T\""), "{e}");
    assert!(e.contains(&format!("file {bad}, line 1")) && e.contains(&format!("record: {truncate}")), "{e}");
    let ignoring =
        sql.replace(&path, &bad).replace("'ogg-json')", "'ogg-json', 'ogg-json.ignore-parse-errors' = 'true')");
    assert_eq!(run(&ignoring, 1).unwrap(), ["+I[1, apple, 1.5]"]);
    let e = run(&sql.replace("'ogg-json')", "'ogg-json', 'ogg-json.table.include' = 'x')"), 1).unwrap_err().to_string();
    assert!(e.contains("Unsupported option 'ogg-json.table.include' for format 'ogg-json'"), "{e}");
    // Flink 2.3 offers ogg-json's metadata on Kafka tables only; its filesystem source refuses
    // the key as an unknown one, and so does Weir's.
    let e = run(&sql.replace("price DOUBLE)", "price DOUBLE, tbl STRING METADATA FROM 'table' VIRTUAL)"), 1)
        .unwrap_err()
        .to_string();
    assert!(e.contains("Invalid metadata key 'table' in column 'tbl' of table 'products'"), "{e}");
}

#[test]
fn a_changelog_written_in_each_changelog_format_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let input =
        write(dir.path(), "orders.json", "{\"k\":\"a\",\"v\":1}\n{\"k\":\"b\",\"v\":2}\n{\"k\":\"a\",\"v\":3}\n");
    for format in ["debezium-json", "canal-json", "maxwell-json", "ogg-json"] {
        let out = dir.path().join(format);
        let sql = format!(
            "CREATE TABLE orders (k STRING, v INT) WITH ('connector' = 'filesystem', 'path' = '{input}', 'format' = 'json');
             CREATE TABLE totals (k STRING, total INT)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = '{format}');
             INSERT INTO totals SELECT k, SUM(v) FROM orders GROUP BY k;",
            out.display()
        );
        run(&sql, 1).unwrap();
        // Each line is one change in Flink's envelope; folded, they leave the final totals.
        let mut table: Vec<(String, i64)> = Vec::new();
        for line in read_parts(&out).lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let (row, add) = if format == "ogg-json" {
                let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
                assert_eq!(keys, ["after", "before", "op_type"], "{line}");
                match v["op_type"].as_str().unwrap() {
                    "I" => (v["after"].clone(), true),
                    "D" => (v["before"].clone(), false),
                    other => panic!("op_type {other} in {line}"),
                }
            } else if format == "debezium-json" {
                let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
                assert_eq!(keys, ["after", "before", "op"], "{line}");
                match v["op"].as_str().unwrap() {
                    "c" => (v["after"].clone(), true),
                    "d" => (v["before"].clone(), false),
                    other => panic!("op {other} in {line}"),
                }
            } else if format == "maxwell-json" {
                (v["data"].clone(), v["type"] == "insert")
            } else {
                assert_eq!(v["data"].as_array().unwrap().len(), 1, "{line}");
                (v["data"][0].clone(), v["type"] == "INSERT")
            };
            let entry = (row["k"].as_str().unwrap().to_string(), row["total"].as_i64().unwrap());
            if add {
                table.push(entry);
            } else {
                let at = table.iter().position(|e| *e == entry).expect("a retraction of a written row");
                table.remove(at);
            }
        }
        table.sort();
        assert_eq!(table, [("a".to_string(), 4), ("b".to_string(), 2)], "{format}");
        let sql = format!(
            "CREATE TABLE totals (k STRING, total INT)
             WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = '{format}');
             SELECT k, SUM(total) FROM totals GROUP BY k;",
            out.display()
        );
        let rows = run(&sql, 1).unwrap();
        assert!(rows.contains(&"+U[a, 4]".to_string()) || rows.contains(&"+I[a, 4]".to_string()), "{format}: {rows:?}");
        assert!(rows.contains(&"+I[b, 2]".to_string()), "{format}: {rows:?}");
    }
}

// ------------------------------------------------------------------------------------------ bad records

/// One good line, one malformed, one good, per format.
fn bad_input(format: &str) -> &'static str {
    match format {
        "json" => "{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":\n{\"id\":3,\"name\":\"c\"}\n",
        "csv" => "1,a\n2,b,surplus\n3,c\n",
        "debezium-json" => {
            "{\"after\":{\"id\":1,\"name\":\"a\"},\"op\":\"c\"}\n{\"after\":{\"id\":2},\"op\":\"x\"}\n\
             {\"after\":{\"id\":3,\"name\":\"c\"},\"op\":\"c\"}\n"
        }
        _ => unreachable!(),
    }
}

fn bad_records_sql(path: &str, format: &str, policy: &str) -> String {
    format!(
        "CREATE TABLE t (id INT, name STRING) WITH ('connector' = 'filesystem', 'path' = '{path}',
         'format' = '{format}'{policy}); SELECT * FROM t;"
    )
}

#[test]
fn a_bad_record_fails_by_default_naming_file_line_and_record() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "csv", "debezium-json"] {
        let path = write(dir.path(), &format!("in.{format}"), bad_input(format));
        let e = run(&bad_records_sql(&path, format, ""), 1).unwrap_err().to_string();
        assert!(e.contains(&format!("file {path}, line 2")), "{format}: {e}");
        let record = bad_input(format).lines().nth(1).unwrap();
        assert!(e.contains(&format!("record: {record}")), "{format}: {e}");
        assert!(e.contains("'scan.bad-records'"), "{format}: {e}");
    }
}

#[test]
fn skip_drops_bad_records_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "csv", "debezium-json"] {
        let path = write(dir.path(), &format!("in.{format}"), bad_input(format));
        let rows = run(&bad_records_sql(&path, format, ", 'scan.bad-records' = 'skip'"), 1).unwrap();
        assert_eq!(rows, ["+I[1, a]", "+I[3, c]"], "{format}");
    }
}

#[test]
fn dead_letter_writes_bad_records_with_where_and_why() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["json", "csv", "debezium-json"] {
        let path = write(dir.path(), &format!("in.{format}"), bad_input(format));
        let dead = dir.path().join(format!("dead-{format}"));
        let policy =
            format!(", 'scan.bad-records' = 'dead-letter', 'scan.bad-records.dead-letter.path' = '{}'", dead.display());
        let rows = run(&bad_records_sql(&path, format, &policy), 1).unwrap();
        assert_eq!(rows, ["+I[1, a]", "+I[3, c]"], "{format}");
        let letters: Vec<serde_json::Value> = std::fs::read_dir(&dead)
            .unwrap()
            .flat_map(|f| {
                std::fs::read_to_string(f.unwrap().path()).unwrap().lines().map(String::from).collect::<Vec<_>>()
            })
            .map(|l| serde_json::from_str(&l).unwrap())
            .collect();
        assert_eq!(letters.len(), 1, "{format}: {letters:?}");
        assert_eq!(letters[0]["record"], bad_input(format).lines().nth(1).unwrap(), "{format}");
        assert!(letters[0]["origin"].as_str().unwrap().ends_with(&format!("file {path}, line 2")), "{format}");
        assert!(!letters[0]["error"].as_str().unwrap().is_empty(), "{format}");
    }
}

#[test]
fn bad_record_options_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "in.json", bad_input("json"));
    let e = run(&bad_records_sql(&path, "json", ", 'scan.bad-records' = 'dead-letter'"), 1).unwrap_err().to_string();
    assert!(e.contains("needs 'scan.bad-records.dead-letter.path'"), "{e}");
    let both = ", 'scan.bad-records' = 'skip', 'json.ignore-parse-errors' = 'true'";
    let e = run(&bad_records_sql(&path, "json", both), 1).unwrap_err().to_string();
    assert!(e.contains("already skips bad records"), "{e}");
}
