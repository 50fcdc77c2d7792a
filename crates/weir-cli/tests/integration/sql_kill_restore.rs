//! Fault injection for SQL jobs: `weir run job.sql --checkpoint-dir …` is killed with
//! `kill -9` after a checkpoint completed, several times, and started again with
//! `--restore latest`, each time at another parallelism. The job is a statement set over
//! a datagen sequence: an updating group aggregation (`'sink.changelog-mode' = 'all'`) and
//! an append-only tumbling window aggregation, into exactly-once filesystem sinks.
//!
//! The committed output must be the answer computed here from the sequence itself, and
//! equal a failure-free run's: the group aggregation's changelog, applied change by change
//! (a `+I` of a key already present or a `-U` of a value not present fails), ends at each
//! key's count and sum; the windows are each emitted once, with their exact count and sum.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support;
use support::{newest_checkpoint, run_args, spawn, wait};

const ROWS: i64 = 40_000;
const KEYS: i64 = 7;

fn script(out: &Path) -> String {
    format!(
        "CREATE TABLE gen (
           id BIGINT,
           ts AS TO_TIMESTAMP_LTZ(id * 10, 3),
           WATERMARK FOR ts AS ts
         ) WITH ('connector' = 'datagen', 'rows-per-second' = '15000', 'fields.id.kind' = 'sequence',
                 'fields.id.start' = '1', 'fields.id.end' = '{ROWS}');
         CREATE TABLE agg_out (k BIGINT, c BIGINT, s BIGINT) WITH ('connector' = 'filesystem',
           'path' = '{agg}', 'format' = 'json', 'sink.changelog-mode' = 'all');
         CREATE TABLE win_out (ws TIMESTAMP(3), c BIGINT, s BIGINT) WITH ('connector' = 'filesystem',
           'path' = '{win}', 'format' = 'json');
         EXECUTE STATEMENT SET BEGIN
         INSERT INTO agg_out SELECT id % {KEYS}, COUNT(*), SUM(id) FROM gen GROUP BY id % {KEYS};
         INSERT INTO win_out SELECT window_start, COUNT(*), SUM(id)
           FROM TABLE(TUMBLE(TABLE gen, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;
         END;",
        agg = out.join("agg").display(),
        win = out.join("win").display(),
    )
}

/// The visible (committed) lines of the part files in `dir`.
fn committed_lines(dir: &Path) -> Vec<serde_json::Value> {
    let mut lines = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return lines };
    let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    // `part-<run>-<subtask>-<n>`: runs in time order, then each writer's files in order.
    let order = |p: &std::path::PathBuf| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let parts: Vec<&str> = name.split('-').collect();
        let n = |i: usize| parts.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        (parts.get(1).map(|s| s.to_string()).unwrap_or_default(), n(2), n(3))
    };
    paths.sort_by_key(order);
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('.') || !path.is_file() {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            lines.push(serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}")));
        }
    }
    lines
}

/// The group aggregation's table after applying its changelog, refusing impossible changes.
///
/// Changes of one key are in order within one part file (one writer per key), and the
/// files of one writer are in name order; keys never move between writers within a run,
/// and a restored run only appends. So per key, applying each file's changes in file-name
/// order replays the key's history.
fn materialize(lines: &[serde_json::Value]) -> BTreeMap<i64, (i64, i64)> {
    let mut table: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for l in lines {
        let k = l["k"].as_i64().unwrap();
        let row = (l["c"].as_i64().unwrap(), l["s"].as_i64().unwrap());
        match l["op"].as_str().unwrap() {
            "+I" | "+U" => assert!(table.insert(k, row).is_none(), "{l}: key {k} is already in the table"),
            "-U" | "-D" => assert_eq!(table.remove(&k), Some(row), "{l}: retracts a row not in the table"),
            other => panic!("unknown op {other}"),
        }
    }
    table
}

fn expected_groups() -> BTreeMap<i64, (i64, i64)> {
    let mut t = BTreeMap::new();
    for id in 1..=ROWS {
        let e = t.entry(id % KEYS).or_insert((0, 0));
        e.0 += 1;
        e.1 += id;
    }
    t
}

/// Window start (ms) → (count, sum).
fn expected_windows() -> BTreeMap<i64, (i64, i64)> {
    let mut t = BTreeMap::new();
    for id in 1..=ROWS {
        let e = t.entry(id * 10 / 1000 * 1000).or_insert((0, 0));
        e.0 += 1;
        e.1 += id;
    }
    t
}

fn windows(lines: &[serde_json::Value]) -> BTreeMap<i64, (i64, i64)> {
    let mut t = BTreeMap::new();
    for l in lines {
        let ws = l["ws"].as_str().unwrap();
        let start = chrono_free_parse(ws);
        let row = (l["c"].as_i64().unwrap(), l["s"].as_i64().unwrap());
        assert!(t.insert(start, row).is_none(), "window {ws} emitted twice");
    }
    t
}

/// `1970-01-01 00:01:02` → 62000 (the windows all fall on the first day).
fn chrono_free_parse(ts: &str) -> i64 {
    let time = ts.split(' ').nth(1).unwrap();
    let parts: Vec<f64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    ((parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]) * 1000.0).round() as i64
}

/// Runs `job` once per entry of `parallelisms`, at that parallelism: every run but the last
/// is killed with SIGKILL once it has completed a checkpoint of its own (plus a delay that
/// grows with each run), and each run after the first restores the latest checkpoint. The
/// number of restores.
fn run_with_kills(dir: &Path, job: &Path, checkpoints: &Path, parallelisms: &[usize]) -> usize {
    let mut restored = 0;
    for (run, &p) in parallelisms.iter().enumerate() {
        let log = dir.join(format!("run-{run}.log"));
        let mut child = spawn(&run_args(job, checkpoints, p, "100ms", run > 0), &log);
        if run + 1 == parallelisms.len() {
            wait(&mut child, &log, "the last run");
            break;
        }
        let since = Instant::now();
        // A checkpoint of this run: wait for a new chk-N with _metadata.
        let start_id = newest_checkpoint(checkpoints);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let err = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("run {run} ended ({status}) before it could be killed: {err}");
            }
            if newest_checkpoint(checkpoints) > start_id {
                break;
            }
            assert!(since.elapsed() < Duration::from_secs(60), "run {run} completed no checkpoint in 60 s");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(30 * run as u64));
        child.kill().unwrap(); // SIGKILL: nothing is cleaned up
        child.wait().unwrap();
        restored += 1;
    }
    restored
}

#[test]
fn killed_sql_job_restored_at_other_parallelisms_commits_exactly_the_answer() {
    let dir = tempfile::tempdir().unwrap();

    let clean_out = dir.path().join("clean");
    let clean_job = dir.path().join("clean.sql");
    std::fs::write(&clean_job, script(&clean_out)).unwrap();
    let log = dir.path().join("clean.log");
    let mut child = spawn(&run_args(&clean_job, &dir.path().join("clean-ck"), 2, "100ms", false), &log);
    wait(&mut child, &log, "the failure-free run");
    let clean_groups = materialize(&committed_lines(&clean_out.join("agg")));
    let clean_windows = windows(&committed_lines(&clean_out.join("win")));
    assert_eq!(clean_groups, expected_groups(), "the failure-free run's group aggregation");
    assert_eq!(clean_windows, expected_windows(), "the failure-free run's windows");

    let out = dir.path().join("out");
    let job = dir.path().join("job.sql");
    std::fs::write(&job, script(&out)).unwrap();
    let checkpoints = dir.path().join("ck");
    // Each run starts at its own parallelism; all but the last are killed once a
    // checkpoint has completed (plus a varying delay), so each resumes from a checkpoint
    // written at another parallelism: the group aggregation's keys move between
    // subtasks each time. The first run is at parallelism 1, so the sequence is one source
    // split: a reader given two splits at different positions (after scaling down from
    // two) would read one behind the watermark it took from the other and drop its rows
    // as late — as Flink does with watermarks generated after the source.
    let parallelisms = [1, 3, 2, 1];
    let restored = run_with_kills(dir.path(), &job, &checkpoints, &parallelisms);
    assert_eq!(restored, parallelisms.len() - 1);
    let groups = materialize(&committed_lines(&out.join("agg")));
    let got_windows = windows(&committed_lines(&out.join("win")));
    assert_eq!(groups, expected_groups(), "group aggregation after {restored} kills");
    assert_eq!(got_windows, expected_windows(), "windows after {restored} kills");
    assert_eq!(groups, clean_groups);
}

const JOIN_ROWS: i64 = 20_000;

/// Each sink of [`join_script`] and the statement that fills it.
const JOIN_INSERTS: [(&str, &str); 5] = [
    (
        "interval_out",
        "INSERT INTO interval_out SELECT a.id, b.id FROM gen AS a, gen AS b
           WHERE a.id % 50 = b.id % 50 AND b.ts BETWEEN a.ts AND a.ts + INTERVAL '1' SECOND",
    ),
    (
        "window_out",
        "INSERT INTO window_out SELECT l.window_start, l.k, l.c, r.s
           FROM (SELECT window_start, window_end, id % 3 AS k, COUNT(*) AS c
           FROM TABLE(TUMBLE(TABLE gen, DESCRIPTOR(ts), INTERVAL '1' SECOND))
           GROUP BY window_start, window_end, id % 3) AS l
           JOIN (SELECT window_start, window_end, id % 3 AS k, SUM(id) AS s
           FROM TABLE(TUMBLE(TABLE gen, DESCRIPTOR(ts), INTERVAL '1' SECOND))
           GROUP BY window_start, window_end, id % 3) AS r
           ON l.k = r.k AND l.window_start = r.window_start AND l.window_end = r.window_end",
    ),
    (
        "temporal_out",
        "INSERT INTO temporal_out SELECT a.id, v.id FROM gen AS a
           JOIN vers FOR SYSTEM_TIME AS OF a.ts AS v ON v.id = a.half",
    ),
    (
        "over_out",
        "INSERT INTO over_out SELECT g, c, SUM(c) OVER (PARTITION BY g % 2 ORDER BY c, g
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
           FROM (SELECT id % 5 AS g, COUNT(*) AS c FROM gen GROUP BY id % 5)",
    ),
    ("sort_out", "INSERT INTO sort_out SELECT id FROM gen ORDER BY ts, id DESC"),
];

/// A statement set of the operators whose state is rows waiting for time: an interval
/// join, a window join, an event-time temporal join, an OVER aggregation of an
/// updating input (`sink.changelog-mode = 'all'`), and a temporal sort (`ORDER BY ts`).
fn join_script(out: &Path) -> String {
    let sink = |name: &str, columns: &str, changelog: bool| {
        let mode = if changelog { ", 'sink.changelog-mode' = 'all'" } else { "" };
        format!(
            "CREATE TABLE {name} ({columns}) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json'{mode});",
            out.join(name).display()
        )
    };
    let script = format!(
        "CREATE TABLE gen (
           id BIGINT,
           half AS id / 2,
           ts AS TO_TIMESTAMP_LTZ(id * 10, 3),
           WATERMARK FOR ts AS ts
         ) WITH ('connector' = 'datagen', 'rows-per-second' = '15000', 'fields.id.kind' = 'sequence',
                 'fields.id.start' = '1', 'fields.id.end' = '{JOIN_ROWS}');
         CREATE TABLE vers (
           id BIGINT,
           ts AS TO_TIMESTAMP_LTZ(id * 10, 3),
           WATERMARK FOR ts AS ts,
           PRIMARY KEY (id) NOT ENFORCED
         ) WITH ('connector' = 'datagen', 'rows-per-second' = '15000', 'fields.id.kind' = 'sequence',
                 'fields.id.start' = '1', 'fields.id.end' = '{JOIN_ROWS}');
         {interval}
         {window}
         {temporal}
         {over}
         {sort}
         EXECUTE STATEMENT SET BEGIN {{STATEMENTS}}; END;",
        interval = sink("interval_out", "a BIGINT, b BIGINT", false),
        window = sink("window_out", "ws TIMESTAMP(3), k BIGINT, c BIGINT, s BIGINT", false),
        temporal = sink("temporal_out", "a BIGINT, v BIGINT", false),
        over = sink("over_out", "g BIGINT, c BIGINT, s BIGINT", true),
        sort = sink("sort_out", "id BIGINT", false),
    );
    let statements: Vec<&str> = JOIN_INSERTS.iter().filter(|(sink, _)| selected(sink)).map(|(_, s)| *s).collect();
    script.replace("{STATEMENTS}", &statements.join(";\n"))
}

/// `WEIR_JOIN_SINKS=window_out,over_out` runs only those statements (to narrow a failure).
fn selected(sink: &str) -> bool {
    std::env::var("WEIR_JOIN_SINKS").map_or(true, |only| only.split(',').any(|s| s == sink))
}

/// The rows a changelog leaves (as `columns`; `ws` as milliseconds), sorted; a retraction of a row that is not
/// there fails. Append-only output is a changelog of inserts.
fn rows_left(lines: &[serde_json::Value], columns: &[&str]) -> Vec<Vec<String>> {
    let mut table: Vec<Vec<String>> = Vec::new();
    for l in lines {
        let value = |c: &str| match (c, l[c].as_str()) {
            ("ws", Some(ts)) => chrono_free_parse(ts).to_string(),
            _ => l[c].to_string(),
        };
        let row: Vec<String> = columns.iter().map(|c| value(c)).collect();
        match l["op"].as_str().unwrap_or("+I") {
            "+I" | "+U" => table.push(row),
            _ => {
                let at = table.iter().position(|r| *r == row);
                table.remove(at.unwrap_or_else(|| panic!("{l}: retracts a row not in the table")));
            }
        }
    }
    table.sort();
    table
}

/// Fails naming the rows missing from `got` and the rows it has too many of (the first
/// few of each), rather than printing both tables.
fn same_rows(got: &[Vec<String>], want: &[Vec<String>], what: &str) {
    if got == want {
        return;
    }
    let mut count: BTreeMap<&Vec<String>, i64> = BTreeMap::new();
    for r in want {
        *count.entry(r).or_default() += 1;
    }
    for r in got {
        *count.entry(r).or_default() -= 1;
    }
    let missing: Vec<_> = count.iter().filter(|(_, n)| **n > 0).map(|(r, n)| (*r, *n)).collect();
    let extra: Vec<_> = count.iter().filter(|(_, n)| **n < 0).map(|(r, n)| (*r, -*n)).collect();
    panic!(
        "{what}: {} rows, {} expected; {} missing (first: {:?}), {} extra (first: {:?})",
        got.len(),
        want.len(),
        missing.len(),
        &missing[..missing.len().min(8)],
        extra.len(),
        &extra[..extra.len().min(8)]
    );
}

fn int_rows(rows: impl IntoIterator<Item = Vec<i64>>) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = rows.into_iter().map(|r| r.iter().map(i64::to_string).collect()).collect();
    rows.sort();
    rows
}

/// A sink, the columns compared, and the rows it must hold.
type SinkRows = (&'static str, Vec<&'static str>, Vec<Vec<String>>);

/// What each sink of [`join_script`] must hold, computed from the sequence.
fn expected_join_outputs() -> Vec<SinkRows> {
    let n = JOIN_ROWS;
    let interval =
        (1..=n).flat_map(|a| [a, a + 50, a + 100].into_iter().filter(move |b| *b <= n).map(move |b| vec![a, b]));
    let mut windows: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
    for id in 1..=n {
        let e = windows.entry((id * 10 / 1000 * 1000, id % 3)).or_insert((0, 0));
        e.0 += 1;
        e.1 += id;
    }
    let window = windows.into_iter().map(|((start, k), (c, s))| vec![start, k, c, s]);
    let temporal = (2..=n).map(|a| vec![a, a / 2]);
    let counts: Vec<(i64, i64)> = (0..5).map(|g| (g, (1..=n).filter(|id| id % 5 == g).count() as i64)).collect();
    let mut over = Vec::new();
    for parity in 0..2 {
        let mut partition: Vec<(i64, i64)> = counts.iter().copied().filter(|(g, _)| g % 2 == parity).collect();
        partition.sort_by_key(|(g, c)| (*c, *g));
        let mut sum = 0;
        for (g, c) in partition {
            sum += c;
            over.push(vec![g, c, sum]);
        }
    }
    let all = vec![
        ("interval_out", vec!["a", "b"], int_rows(interval)),
        ("window_out", vec!["ws", "k", "c", "s"], int_rows(window)),
        ("temporal_out", vec!["a", "v"], int_rows(temporal)),
        ("over_out", vec!["g", "c", "s"], int_rows(over)),
        ("sort_out", vec!["id"], int_rows((1..=n).map(|id| vec![id]))),
    ];
    all.into_iter().filter(|(sink, _, _)| selected(sink)).collect()
}

#[test]
fn killed_joins_and_over_aggregation_restore_at_other_parallelisms_exactly() {
    // With WEIR_KEEP_FILES set, the runs' files stay for a look after a failure.
    let dir =
        tempfile::Builder::new().disable_cleanup(std::env::var_os("WEIR_KEEP_FILES").is_some()).tempdir().unwrap();
    eprintln!("files in {}", dir.path().display());
    let expected = expected_join_outputs();

    let clean_out = dir.path().join("clean");
    let clean_job = dir.path().join("clean.sql");
    std::fs::write(&clean_job, join_script(&clean_out)).unwrap();
    let log = dir.path().join("clean.log");
    let mut child = spawn(&run_args(&clean_job, &dir.path().join("clean-ck"), 2, "100ms", false), &log);
    wait(&mut child, &log, "the failure-free run");
    for (sink, columns, want) in &expected {
        same_rows(&rows_left(&committed_lines(&clean_out.join(sink)), columns), want, &format!("failure-free {sink}"));
    }

    let out = dir.path().join("out");
    let job = dir.path().join("job.sql");
    std::fs::write(&job, join_script(&out)).unwrap();
    let restored = run_with_kills(dir.path(), &job, &dir.path().join("ck"), &[1, 3, 2, 1]);
    assert_eq!(restored, 3);
    for (sink, columns, want) in &expected {
        same_rows(
            &rows_left(&committed_lines(&out.join(sink)), columns),
            want,
            &format!("{sink} after {restored} kills"),
        );
    }
}
