//! `weir sql` with statements on stdin (the same loop as the terminal, without prompts).

use std::io::Write;
use std::process::{Command, Stdio};

fn client(input: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg("sql")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("weir runs");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

#[test]
fn piped_statements_run_with_results_in_the_chosen_mode() {
    let (ok, out, err) = client(
        "CREATE TABLE t (
           k INT,
           v INT
         ) WITH ('connector' = 'datagen', 'rows-per-second' = '100000',
                 'fields.k.kind' = 'sequence', 'fields.k.start' = '1', 'fields.k.end' = '4',
                 'fields.v.min' = '7', 'fields.v.max' = '7');
         SET 'sql-client.execution.result-mode' = 'tableau';
         SELECT k % 2 AS parity, COUNT(*) AS n
         FROM t GROUP BY k % 2;
         SET 'sql-client.execution.result-mode' = 'table';
         SELECT k % 2 AS parity, COUNT(*) AS n FROM t GROUP BY k % 2;
         SHOW TABLES;
         SELECT nope FROM t;
         QUIT;
         SELECT 'never run';",
    );
    assert!(ok, "{err}");
    assert!(out.contains("| op | parity | n |"), "{out}");
    assert!(out.contains("| +I |      1 | 1 |") && out.contains("Received a total of"), "{out}");
    // The table mode shows the final table.
    assert!(out.contains("| parity | n |") && out.contains("|      1 | 2 |\n"), "{out}");
    assert!(out.contains("|      0 | 2 |\n") && out.contains("2 rows in set"), "{out}");
    assert!(out.contains("| table name |") && out.contains("          t |"), "{out}");
    assert!(out.contains("[ERROR] Could not execute SQL statement.") && out.contains("No field named nope"), "{out}");
    assert!(!out.contains("never run"), "{out}");
}

#[test]
fn input_ending_inside_a_statement_is_an_error() {
    let (ok, _, err) = client("SHOW TABLES;\nSELECT 1");
    assert!(!ok);
    assert!(err.contains("the input ended inside a statement"), "{err}");
}
