//! SQL scenarios as data: each folder under `tests/scenarios/` holds a Flink SQL script
//! (`query.sql` with `${DATA}` and `${OUT}`), its input files (`data/`), `meta.json` and
//! the result Apache Flink gave on the same input (`expected.canon`: one JSON array of
//! values per row, sorted). The script runs on Weir and its committed output must equal
//! Flink's, row for row.

use std::path::Path;

use weir_sql::session::{JobSettings, ResultSink, Session};

struct Rows(Vec<String>);

impl ResultSink for Rows {
    fn row(&mut self, line: &str) {
        self.0.push(line.to_string());
    }
    fn message(&mut self, _: &str) {}
}

/// `2025-01-01 00:00:10` or `…10.5` as `…10.500`: Flink's canonical TIMESTAMP(3) text.
fn canonical_value(v: &serde_json::Value) -> serde_json::Value {
    if let serde_json::Value::String(s) = v {
        let looks_like_ts =
            s.len() >= 19 && s.as_bytes()[4] == b'-' && s.as_bytes()[10] == b' ' && s.as_bytes()[13] == b':';
        if looks_like_ts {
            let (base, frac) = s.split_at(19);
            let frac = frac.trim_start_matches('.');
            let mut frac = frac.to_string();
            while frac.len() < 3 {
                frac.push('0');
            }
            return serde_json::Value::String(format!("{base}.{frac}"));
        }
    }
    v.clone()
}

fn run_scenario(dir: &Path, parallelism: usize) {
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("meta.json")).unwrap()).unwrap();
    let columns: Vec<String> =
        meta["columns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap().to_string()).collect();
    let out = tempfile::tempdir().unwrap();
    let script = std::fs::read_to_string(dir.join("query.sql"))
        .unwrap()
        .replace("${DATA}", dir.join("data").to_str().unwrap())
        .replace("${OUT}", out.path().to_str().unwrap());
    let mut session = Session::new(JobSettings { parallelism, ..Default::default() });
    let mut rows = Rows(Vec::new());
    if let Err(e) = session.execute_script(&script, &mut rows) {
        panic!("{}: {}", dir.display(), e.render(&script));
    }
    let mut got = Vec::new();
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('.') || !path.is_file() {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines().filter(|l| !l.trim().is_empty()) {
            let object: serde_json::Value = serde_json::from_str(line).unwrap();
            let values: Vec<serde_json::Value> = columns.iter().map(|c| canonical_value(&object[c.as_str()])).collect();
            got.push(serde_json::to_string(&values).unwrap());
        }
    }
    got.sort();
    let mut expected: Vec<String> = std::fs::read_to_string(dir.join("expected.canon"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            serde_json::to_string(&v.as_array().unwrap().iter().map(canonical_value).collect::<Vec<_>>()).unwrap()
        })
        .collect();
    expected.sort();
    let missing: Vec<&String> = expected.iter().filter(|e| !got.contains(e)).take(5).collect();
    let extra: Vec<&String> = got.iter().filter(|g| !expected.contains(g)).take(5).collect();
    assert!(
        got == expected,
        "{} at parallelism {parallelism}: {} rows, Flink gave {}; missing {missing:?}; extra {extra:?}",
        dir.display(),
        got.len(),
        expected.len()
    );
}

fn scenario(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios").join(name)
}

#[test]
fn hop_window_aggregation_equals_flink() {
    run_scenario(&scenario("hop-clicks"), 1);
}

#[test]
fn hop_window_aggregation_equals_flink_in_parallel() {
    run_scenario(&scenario("hop-clicks"), 2);
}
