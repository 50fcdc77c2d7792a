//! OVER aggregation over an updating input (an OVER over a GROUP BY result, as in Nexmark
//! q6): Apache Flink refuses such queries, so there is no Flink result to compare with; the
//! expected final tables below are computed by hand from the definition in
//! `weir_sql::stream::over_retract` — every current row of the input with the aggregate over
//! its frame among its partition's current rows.

use std::collections::BTreeMap;

use weir_sql::session::{JobSettings, ResultSink, Session};

struct Rows(Vec<String>);

impl ResultSink for Rows {
    fn row(&mut self, line: &str) {
        self.0.push(line.to_string());
    }
    fn message(&mut self, _: &str) {}
}

/// Bids per seller and item; an item's top price and last time change as bids come.
const BIDS: &str = r#"{"seller": "a", "item": 1, "price": 10, "ts": "2024-01-01 00:00:01"}
{"seller": "a", "item": 2, "price": 5, "ts": "2024-01-01 00:00:02"}
{"seller": "b", "item": 7, "price": 3, "ts": "2024-01-01 00:00:03"}
{"seller": "a", "item": 1, "price": 20, "ts": "2024-01-01 00:00:04"}
{"seller": "a", "item": 3, "price": 8, "ts": "2024-01-01 00:00:05"}
{"seller": "b", "item": 7, "price": 1, "ts": "2024-01-01 00:00:06"}
{"seller": "a", "item": 2, "price": 4, "ts": "2024-01-01 00:00:07"}
"#;

/// Runs `select` over the `items` view at `parallelism`; the folded final rows, sorted.
fn run(select: &str, parallelism: usize) -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("bids.jsonl"), BIDS).expect("input");
    let script = format!(
        "CREATE TABLE bids (seller STRING, item INT, price INT, ts TIMESTAMP(3),
           WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
         ) WITH ('connector' = 'filesystem', 'path' = '{}/bids.jsonl', 'format' = 'json');
         CREATE VIEW items AS
           SELECT seller, item, MAX(price) AS top, MAX(ts) AS last_ts FROM bids GROUP BY seller, item;
         {select};",
        dir.path().display()
    );
    let mut session = Session::new(JobSettings { parallelism, ..Default::default() });
    let mut printed = Rows(Vec::new());
    session.execute_script(&script, &mut printed).unwrap_or_else(|e| panic!("{}", e.render(&script)));
    let mut table: BTreeMap<String, i64> = BTreeMap::new();
    for line in &printed.0 {
        let (kind, row) = line.split_at(2);
        let count = table.entry(row.to_string()).or_default();
        match kind {
            "+I" | "+U" => *count += 1,
            "-U" | "-D" => *count -= 1,
            _ => panic!("not a changelog row: {line}"),
        }
        assert!(*count >= 0, "{line} retracts a row that is not in the result: {:?}", printed.0);
    }
    table.into_iter().flat_map(|(row, n)| std::iter::repeat_n(row, n as usize)).collect()
}

fn check(select: &str, expected: &[&str]) {
    let mut expected: Vec<String> = expected.iter().map(|r| r.to_string()).collect();
    expected.sort();
    for parallelism in [1, 2] {
        assert_eq!(run(select, parallelism), expected, "{select} at parallelism {parallelism}");
    }
}

#[test]
fn a_sliding_rows_frame_over_a_group_by() {
    // Final items of seller a by last time: 1 (20, :04), 3 (8, :05), 2 (5, :07); of b: 7 (3, :06).
    check(
        "SELECT seller, item, top,
           SUM(top) OVER (PARTITION BY seller ORDER BY last_ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW),
           COUNT(*) OVER (PARTITION BY seller ORDER BY last_ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
         FROM items",
        &["[a, 1, 20, 20, 1]", "[a, 3, 8, 28, 2]", "[a, 2, 5, 13, 2]", "[b, 7, 3, 3, 1]"],
    );
}

#[test]
fn an_unbounded_frame_ordered_by_a_value_that_is_no_time() {
    // Seller a by top price descending: 20, 8, 5.
    check(
        "SELECT seller, item, SUM(top) OVER (PARTITION BY seller ORDER BY top DESC
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM items",
        &["[a, 1, 20]", "[a, 3, 28]", "[a, 2, 33]", "[b, 7, 3]"],
    );
}

#[test]
fn a_range_frame_over_the_last_time() {
    // Seller a's times :04, :05, :07; two seconds back from each.
    check(
        "SELECT seller, item, MAX(top) OVER (PARTITION BY seller ORDER BY last_ts
           RANGE BETWEEN INTERVAL '2' SECOND PRECEDING AND CURRENT ROW) FROM items",
        &["[a, 1, 20]", "[a, 3, 20]", "[a, 2, 8]", "[b, 7, 3]"],
    );
}
