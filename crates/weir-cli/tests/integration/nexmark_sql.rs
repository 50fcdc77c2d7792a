//! `weir nexmark --api sql`: the SQL scripts of the Nexmark queries, over generated files
//! and over the built-in generator, checked against answers computed here independently
//! from the generated JSON (and, in `docs/benchmarks.md`, against Apache Flink's).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn weir(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_weir")).args(args).output().expect("weir runs")
}

fn ok(args: &[&str]) -> String {
    let out = weir(args);
    assert!(out.status.success(), "weir {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn result_field(stdout: &str, key: &str) -> u64 {
    let line = stdout.lines().find(|l| l.starts_with("RESULT ")).expect("a RESULT line");
    let prefix = format!("{key}=");
    line.split_whitespace().find_map(|kv| kv.strip_prefix(&prefix)).expect(key).parse().expect("a number")
}

fn json_lines(path: &Path) -> Vec<Value> {
    let mut paths: Vec<_> = if path.is_dir() {
        std::fs::read_dir(path).unwrap().map(|e| e.unwrap().path()).collect()
    } else {
        vec![path.to_path_buf()]
    };
    paths.sort();
    let mut rows = Vec::new();
    for p in paths {
        if p.file_name().unwrap().to_string_lossy().starts_with('.') || p.is_dir() {
            continue;
        }
        for line in std::fs::read_to_string(&p).unwrap().lines().filter(|l| !l.is_empty()) {
            rows.push(serde_json::from_str(line).unwrap_or_else(|e| panic!("{}: {e}: {line}", p.display())));
        }
    }
    rows
}

/// `2024-01-01 00:00:01.5` and `…01.500` alike.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) if s.len() >= 19 && s.as_bytes()[10] == b' ' && s.as_bytes()[13] == b':' => {
            let (base, frac) = s.split_at(19);
            format!("{base}.{:0<3}", frac.trim_start_matches('.'))
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Rows restricted to `cols` as sorted text lines (a multiset).
fn canon(rows: &[Value], cols: &[&str]) -> Vec<String> {
    let mut out: Vec<String> =
        rows.iter().map(|r| cols.iter().map(|c| text(&r[*c])).collect::<Vec<_>>().join("|")).collect();
    out.sort();
    out
}

/// The final table of JSON rows carrying an `op` field (a row without one is an insert).
fn fold(rows: &[Value], cols: &[&str]) -> Vec<String> {
    let mut table: BTreeMap<String, i64> = BTreeMap::new();
    for r in rows {
        let line = cols.iter().map(|c| text(&r[*c])).collect::<Vec<_>>().join("|");
        let delta = match r.get("op").and_then(Value::as_str).unwrap_or("+I") {
            "+I" | "+U" => 1,
            "-U" | "-D" => -1,
            other => panic!("op {other}"),
        };
        *table.entry(line).or_default() += delta;
    }
    assert!(table.values().all(|n| *n >= 0), "a row retracted more often than added");
    table.into_iter().flat_map(|(l, n)| std::iter::repeat_n(l, n as usize)).collect()
}

fn sql(query: &str, data: &Path, out: &Path, p: &str) -> String {
    let (data, out) = (data.to_str().unwrap(), out.to_str().unwrap());
    ok(&["nexmark", "--api", "sql", "--query", query, "--input", data, "-p", p, "--output", out])
}

#[test]
fn sql_scripts_over_files_match_independent_answers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&["nexmark", "generate", "--events", "20000", "--seed", "7", "--out", data.to_str().unwrap()]);
    let bids = json_lines(&data.join("bids.jsonl"));

    // q0 at parallelism 2: every bid, unchanged; events and rows reported.
    let out = dir.path().join("q0");
    let stdout = sql("q0", &data, &out, "2");
    assert_eq!(result_field(&stdout, "events"), 20_000);
    assert_eq!(result_field(&stdout, "rows"), bids.len() as u64);
    let cols = ["auction", "bidder", "price", "dateTime", "extra"];
    assert_eq!(canon(&json_lines(&out), &cols), canon(&bids, &cols));

    // q22: the first three directories of the url.
    let out = dir.path().join("q22");
    sql("q22", &data, &out, "1");
    let expected: Vec<Value> = bids
        .iter()
        .map(|b| {
            let parts: Vec<&str> = b["url"].as_str().unwrap().split('/').collect();
            serde_json::json!({"auction": b["auction"], "dir1": parts[3], "dir2": parts[4], "dir3": parts[5]})
        })
        .collect();
    let cols = ["auction", "dir1", "dir2", "dir3"];
    assert_eq!(canon(&json_lines(&out), &cols), canon(&expected, &cols));

    // q17, an updating result: per auction and day, counts per price band and price
    // statistics (AVG of BIGINT is a BIGINT, as in Flink).
    let out = dir.path().join("q17");
    sql("q17", &data, &out, "2");
    let rows = json_lines(&out);
    assert!(rows.iter().any(|r| r["op"] == "-U"), "an updating result carries its retractions");
    let mut groups: BTreeMap<(i64, String), Vec<i64>> = BTreeMap::new();
    for b in &bids {
        let day = b["dateTime"].as_str().unwrap()[..10].to_string();
        groups.entry((b["auction"].as_i64().unwrap(), day)).or_default().push(b["price"].as_i64().unwrap());
    }
    let expected: Vec<Value> = groups
        .iter()
        .map(|((auction, day), prices)| {
            let n = prices.len() as i64;
            let sum: i64 = prices.iter().sum();
            serde_json::json!({
                "auction": auction, "day": day, "total_bids": n,
                "rank1_bids": prices.iter().filter(|p| **p < 10_000).count(),
                "rank2_bids": prices.iter().filter(|p| (10_000..1_000_000).contains(*p)).count(),
                "rank3_bids": prices.iter().filter(|p| **p >= 1_000_000).count(),
                "min_price": prices.iter().min(), "max_price": prices.iter().max(),
                "avg_price": sum / n, "sum_price": sum,
            })
        })
        .collect();
    let cols = [
        "auction",
        "day",
        "total_bids",
        "rank1_bids",
        "rank2_bids",
        "rank3_bids",
        "min_price",
        "max_price",
        "avg_price",
        "sum_price",
    ];
    assert_eq!(fold(&rows, &cols), canon(&expected, &cols));
}

#[test]
fn sql_over_the_generator_is_deterministic_and_parallelism_independent() {
    let dir = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    for p in ["1", "2"] {
        let out = dir.path().join(format!("q2-p{p}"));
        let stdout = ok(&[
            "nexmark",
            "--api",
            "sql",
            "--query",
            "q2",
            "--events",
            "50000",
            "--seed",
            "3",
            "-p",
            p,
            "--output",
            out.to_str().unwrap(),
        ]);
        assert_eq!(result_field(&stdout, "events"), 50_000);
        let rows = json_lines(&out);
        assert!(rows.iter().all(|r| r["auction"].as_i64().unwrap() % 123 == 0));
        results.push(canon(&rows, &["auction", "price"]));
    }
    assert!(!results[0].is_empty());
    assert_eq!(results[0], results[1]);
}

#[test]
fn sql_errors_name_what_is_wrong() {
    let out = weir(&["nexmark", "--api", "sql", "--query", "q99", "--events", "10"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown Nexmark query 'q99'") && err.contains("q22"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().join("ck");
    let args = ["nexmark", "--api", "sql", "--query", "q1", "--events", "10", "--checkpoint-dir", ck.to_str().unwrap()];
    let out = weir(&[&args[..], &["--checkpoint-mode", "sometimes"]].concat());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--checkpoint-mode 'sometimes'"), "{err}");
    // SQL jobs checkpoint: the report counts the checkpoints (the final one at least).
    let stdout = ok(&args);
    assert!(stdout.lines().any(|l| l.starts_with("checkpoints")), "{stdout}");
}
