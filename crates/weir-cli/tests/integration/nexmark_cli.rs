//! `weir nexmark` end to end: generate files, run queries over them and over the
//! generator, and check the results against answers computed here independently from
//! the generated JSON.

use std::collections::HashMap;
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
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{key} in {line}"))
        .parse()
        .expect("a number")
}

fn json_lines(path: &Path) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut paths: Vec<_> = if path.is_dir() {
        std::fs::read_dir(path).unwrap().map(|e| e.unwrap().path()).collect()
    } else {
        vec![path.to_path_buf()]
    };
    paths.sort();
    for p in paths {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('.') {
            continue;
        }
        for line in std::fs::read_to_string(&p).unwrap().lines() {
            rows.push(serde_json::from_str(line).unwrap_or_else(|e| panic!("{name}: {e}: {line}")));
        }
    }
    rows
}

/// Canonical text of rows restricted to `cols`, sorted (a multiset).
fn canon(rows: &[Value], cols: &[&str]) -> Vec<String> {
    let mut out: Vec<String> =
        rows.iter().map(|r| cols.iter().map(|c| r[*c].to_string()).collect::<Vec<_>>().join("|")).collect();
    out.sort();
    out
}

#[test]
fn generate_then_q0_q1_q2_from_files_match_independent_answers() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&["nexmark", "generate", "--events", "20000", "--seed", "7", "--out", data.to_str().unwrap()]);
    let bids = json_lines(&data.join("bids.jsonl"));
    let persons = json_lines(&data.join("persons.jsonl"));
    let auctions = json_lines(&data.join("auctions.jsonl"));
    // 1 : 3 : 46 by event id.
    assert_eq!(persons.len() + auctions.len() + bids.len(), 20_000);
    assert!((persons.len() as i64 - 400).abs() <= 1, "{}", persons.len());
    assert!((auctions.len() as i64 - 1200).abs() <= 3, "{}", auctions.len());

    // q0 at parallelism 2: every bid, unchanged.
    let out0 = dir.path().join("q0");
    let stdout = ok(&[
        "nexmark",
        "--query",
        "q0",
        "--input",
        data.to_str().unwrap(),
        "-p",
        "2",
        "--output",
        out0.to_str().unwrap(),
    ]);
    assert_eq!(result_field(&stdout, "events"), 20_000);
    assert_eq!(result_field(&stdout, "rows"), bids.len() as u64);
    let cols = ["auction", "bidder", "price", "dateTime", "extra"];
    assert_eq!(canon(&json_lines(&out0), &cols), canon(&bids, &cols));

    // q1: price * 0.908, exact to three decimals.
    let out1 = dir.path().join("q1");
    ok(&["nexmark", "--query", "q1", "--input", data.to_str().unwrap(), "--output", out1.to_str().unwrap()]);
    let mut expected: Vec<String> = bids
        .iter()
        .map(|b| {
            let cents = b["price"].as_i64().unwrap() * 908;
            format!("{}|{}.{:03}", b["auction"], cents / 1000, cents % 1000)
        })
        .collect();
    expected.sort();
    let mut got: Vec<String> =
        json_lines(&out1).iter().map(|r| format!("{}|{:.3}", r["auction"], r["price"].as_f64().unwrap())).collect();
    got.sort();
    assert_eq!(got, expected);

    // q2: bids on auctions divisible by 123.
    let out2 = dir.path().join("q2");
    ok(&["nexmark", "--query", "q2", "--input", data.to_str().unwrap(), "-p", "2", "--output", out2.to_str().unwrap()]);
    let expected: Vec<&Value> = bids.iter().filter(|b| b["auction"].as_i64().unwrap() % 123 == 0).collect();
    let expected: Vec<Value> = expected.into_iter().cloned().collect();
    assert!(!expected.is_empty());
    assert_eq!(canon(&json_lines(&out2), &["auction", "price"]), canon(&expected, &["auction", "price"]));
}

#[test]
fn generator_runs_are_deterministic_and_parallelism_independent() {
    let dir = tempfile::tempdir().unwrap();
    let mut results: HashMap<&str, Vec<String>> = HashMap::new();
    for p in ["1", "3"] {
        let out = dir.path().join(format!("q2-p{p}"));
        let stdout = ok(&[
            "nexmark",
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
        results.insert(p, canon(&json_lines(&out), &["auction", "price"]));
    }
    assert_eq!(results["1"], results["3"]);
    assert!(!results["1"].is_empty());
}

#[test]
fn errors_name_what_is_wrong() {
    let out = weir(&["nexmark", "--query", "q9"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("q9"), "{}", String::from_utf8_lossy(&out.stderr));

    let out = weir(&["nexmark", "--query", "q0", "--input", "/nonexistent/weir-input"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/weir-input"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("persons.jsonl"), "").unwrap();
    std::fs::write(dir.path().join("auctions.jsonl"), "").unwrap();
    std::fs::write(dir.path().join("bids.jsonl"), "{\"auction\": 1, \"bidder\": oops}\n").unwrap();
    let out = weir(&["nexmark", "--query", "q0", "--input", dir.path().to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bids.jsonl:1:") && err.contains("field `bidder`"), "{err}");
}

/// Epoch milliseconds of a `yyyy-MM-dd HH:mm:ss.SSS` UTC string (the generator's
/// dates are all in 2024-01, so days since 2024-01-01 suffice).
fn millis(s: &str) -> i64 {
    let day: i64 = s[8..10].parse().unwrap();
    let (h, m, sec, ms): (i64, i64, i64, i64) = (
        s[11..13].parse().unwrap(),
        s[14..16].parse().unwrap(),
        s[17..19].parse().unwrap(),
        s[20..23].parse().unwrap(),
    );
    1_704_067_200_000 + ((((day - 1) * 24 + h) * 60 + m) * 60 + sec) * 1000 + ms
}

#[test]
fn q7_gives_the_highest_bids_per_window_as_flink_sql_defines_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // 1,000 events per event-time second: 30 s, three 10-second windows.
    ok(&[
        "nexmark",
        "generate",
        "--events",
        "30000",
        "--seed",
        "11",
        "--rate",
        "1000",
        "--out",
        data.to_str().unwrap(),
    ]);
    let bids = json_lines(&data.join("bids.jsonl"));
    // The SQL's answer: max price per tumbling window [s, s + 10 s); then every bid whose
    // price equals a window's maximum and whose time lies in [end - 10 s, end] (BETWEEN
    // includes both ends).
    let mut max: HashMap<i64, i64> = HashMap::new();
    for b in &bids {
        let t = millis(b["dateTime"].as_str().unwrap());
        let w = t - t % 10_000;
        let p = b["price"].as_i64().unwrap();
        let e = max.entry(w).or_insert(p);
        *e = (*e).max(p);
    }
    let expected: Vec<Value> = bids
        .iter()
        .flat_map(|b| {
            let t = millis(b["dateTime"].as_str().unwrap());
            let p = b["price"].as_i64().unwrap();
            max.iter().filter(move |(w, m)| **m == p && **w <= t && t <= **w + 10_000).map(move |_| b.clone())
        })
        .collect();
    assert!(expected.len() >= 3, "{}", expected.len());
    let cols = ["auction", "bidder", "price", "dateTime", "extra"];
    for p in ["1", "2"] {
        let out = dir.path().join(format!("q7-p{p}"));
        ok(&[
            "nexmark",
            "--query",
            "q7",
            "--input",
            data.to_str().unwrap(),
            "-p",
            p,
            "--output",
            out.to_str().unwrap(),
        ]);
        assert_eq!(canon(&json_lines(&out), &cols), canon(&expected, &cols), "parallelism {p}");
    }
}

/// Generated data for the windowed queries: 40,000 events at 2,000 per event-time second
/// (20 s: several 10-second windows and sessions).
fn windowed_data(dir: &Path) -> std::path::PathBuf {
    let data = dir.join("data");
    ok(&["nexmark", "generate", "--events", "40000", "--seed", "5", "--rate", "2000", "--out", data.to_str().unwrap()]);
    data
}

fn run_query(q: &str, data: &Path, out: &Path, p: &str) -> Vec<Value> {
    ok(&["nexmark", "--query", q, "--input", data.to_str().unwrap(), "-p", p, "--output", out.to_str().unwrap()]);
    json_lines(out)
}

#[test]
fn q5_q8_q11_match_answers_computed_from_their_sql() {
    let dir = tempfile::tempdir().unwrap();
    let data = windowed_data(dir.path());
    let bids = json_lines(&data.join("bids.jsonl"));
    let persons = json_lines(&data.join("persons.jsonl"));
    let auctions = json_lines(&data.join("auctions.jsonl"));
    let t = |v: &Value| millis(v["dateTime"].as_str().unwrap());

    // q5: counts per (auction, HOP window of 10 s every 2 s); per window the auctions at
    // the maximum count.
    let mut counts: HashMap<(i64, i64), u64> = HashMap::new();
    for b in &bids {
        let ts = t(b);
        let mut start = ts - ts.rem_euclid(2_000);
        while start > ts - 10_000 {
            *counts.entry((start, b["auction"].as_i64().unwrap())).or_default() += 1;
            start -= 2_000;
        }
    }
    let mut max: HashMap<i64, u64> = HashMap::new();
    for (&(w, _), &n) in &counts {
        let m = max.entry(w).or_default();
        *m = (*m).max(n);
    }
    let mut expected: Vec<String> =
        counts.iter().filter(|((w, _), n)| max[w] == **n).map(|((_, a), n)| format!("{a}|{n}")).collect();
    expected.sort();
    for p in ["1", "2"] {
        let got = run_query("q5", &data, &dir.path().join(format!("q5-{p}")), p);
        assert_eq!(canon(&got, &["auction", "num"]), expected, "q5 at parallelism {p}");
    }

    // q8: persons with an auction of theirs in the same 10 s window.
    let sold: std::collections::HashSet<(i64, i64)> =
        auctions.iter().map(|a| (a["seller"].as_i64().unwrap(), t(a) - t(a).rem_euclid(10_000))).collect();
    let expected: Vec<Value> = persons
        .iter()
        .filter(|p| sold.contains(&(p["id"].as_i64().unwrap(), t(p) - t(p).rem_euclid(10_000))))
        .map(|p| serde_json::json!({"id": p["id"], "name": p["name"]}))
        .collect();
    assert!(!expected.is_empty());
    let got = run_query("q8", &data, &dir.path().join("q8"), "2");
    assert_eq!(canon(&got, &["id", "name"]), canon(&expected, &["id", "name"]));

    // q11: sessions per bidder: consecutive bids less than 10 s apart share a session,
    // which ends 10 s after its last bid.
    let mut by_bidder: HashMap<i64, Vec<i64>> = HashMap::new();
    for b in &bids {
        by_bidder.entry(b["bidder"].as_i64().unwrap()).or_default().push(t(b));
    }
    let mut expected = Vec::new();
    for (bidder, mut times) in by_bidder {
        times.sort();
        let (mut start, mut last, mut n) = (times[0], times[0], 0);
        for &ts in &times {
            if ts >= last + 10_000 {
                expected.push(format!("{bidder}|{n}|{start}|{}", last + 10_000));
                (start, n) = (ts, 0);
            }
            last = ts;
            n += 1;
        }
        expected.push(format!("{bidder}|{n}|{start}|{}", last + 10_000));
    }
    expected.sort();
    let got = run_query("q11", &data, &dir.path().join("q11"), "2");
    let mut got: Vec<String> = got
        .iter()
        .map(|r| {
            let (s, e) = (millis(r["starttime"].as_str().unwrap()), millis(r["endtime"].as_str().unwrap()));
            format!("{}|{}|{s}|{e}", r["bidder"], r["bid_count"])
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);
}

#[test]
fn log_level_info_reports_each_completed_checkpoint_on_stderr_and_a_bad_level_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (ck, out) = (dir.path().join("ck"), dir.path().join("out"));
    let args = [
        "nexmark",
        "--query",
        "q5",
        "--events",
        "200000",
        "--checkpoint-dir",
        ck.to_str().unwrap(),
        "--checkpoint-interval",
        "100ms",
        "--output",
        out.to_str().unwrap(),
    ];
    let quiet = weir(&args);
    assert!(quiet.status.success());
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("completed checkpoint"), "warn is the default");

    std::fs::remove_dir_all(&ck).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    let info = weir(&[&args[..], &["--log-level", "info"]].concat());
    assert!(info.status.success(), "{}", String::from_utf8_lossy(&info.stderr));
    let stderr = String::from_utf8_lossy(&info.stderr);
    let logged = stderr.lines().filter(|l| l.contains("INFO") && l.contains("completed checkpoint")).count();
    let stdout = String::from_utf8_lossy(&info.stdout);
    let counted: usize = stderr
        .lines()
        .chain(stdout.lines())
        .find_map(|l| l.strip_prefix("checkpoints").map(|n| n.trim().parse().unwrap()))
        .expect("the run reports its checkpoints");
    assert!(counted >= 1 && logged == counted, "{logged} logged, {counted} counted:\n{stderr}");

    let bad = weir(&["--log-level", "loud", "nexmark", "--query", "q0", "--events", "10"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("--log-level 'loud' is not a log level"), "{err}");
}
