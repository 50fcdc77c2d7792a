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
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROWS: i64 = 40_000;
const KEYS: i64 = 7;

/// The binary under test (`WEIR_BIN` overrides the one Cargo built, for a shared target
/// directory whose binary other builds replace).
fn weir() -> Command {
    Command::new(std::env::var_os("WEIR_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_weir").into()))
}

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

fn completed_checkpoint(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| entries.flatten().any(|e| e.path().join("_metadata").is_file()))
}

fn run_args(job: &Path, checkpoints: &Path, parallelism: usize, restore: bool) -> Vec<String> {
    let mut args = vec![
        "run".to_string(),
        job.display().to_string(),
        "-p".into(),
        parallelism.to_string(),
        "--checkpoint-dir".into(),
        checkpoints.display().to_string(),
        "--checkpoint-interval".into(),
        "100ms".into(),
    ];
    if restore {
        args.extend(["--restore".into(), "latest".into()]);
    }
    args
}

fn spawn(args: &[String], log: &Path) -> Child {
    let log = std::fs::File::create(log).expect("the run's log file is created");
    weir().args(args).stdout(Stdio::null()).stderr(log).spawn().expect("weir starts")
}

fn wait(child: &mut Child, log: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let err = std::fs::read_to_string(log).unwrap_or_default();
            assert!(status.success(), "{what} failed: {err}");
            return;
        }
        if Instant::now() >= deadline {
            child.kill().unwrap();
            panic!("{what} did not finish in 180 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn killed_sql_job_restored_at_other_parallelisms_commits_exactly_the_answer() {
    let dir = tempfile::tempdir().unwrap();

    let clean_out = dir.path().join("clean");
    let clean_job = dir.path().join("clean.sql");
    std::fs::write(&clean_job, script(&clean_out)).unwrap();
    let log = dir.path().join("clean.log");
    let mut child = spawn(&run_args(&clean_job, &dir.path().join("clean-ck"), 2, false), &log);
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
    let mut restored = 0;
    for (run, &p) in parallelisms.iter().enumerate() {
        let log = dir.path().join(format!("run-{run}.log"));
        let mut child = spawn(&run_args(&job, &checkpoints, p, run > 0), &log);
        if run + 1 == parallelisms.len() {
            wait(&mut child, &log, "the last run");
            break;
        }
        let since = Instant::now();
        // A checkpoint of this run: wait for a new chk-N with _metadata.
        let newest = |d: &Path| {
            std::fs::read_dir(d)
                .map(|e| {
                    e.flatten()
                        .filter(|e| e.path().join("_metadata").is_file())
                        .filter_map(|e| e.file_name().to_string_lossy().strip_prefix("chk-")?.parse::<u64>().ok())
                        .max()
                        .unwrap_or(0)
                })
                .unwrap_or(0)
        };
        let start_id = newest(&checkpoints);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let err = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("run {run} ended ({status}) before it could be killed: {err}");
            }
            if completed_checkpoint(&checkpoints) && newest(&checkpoints) > start_id {
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
    assert_eq!(restored, parallelisms.len() - 1);
    let groups = materialize(&committed_lines(&out.join("agg")));
    let got_windows = windows(&committed_lines(&out.join("win")));
    assert_eq!(groups, expected_groups(), "group aggregation after {restored} kills");
    assert_eq!(got_windows, expected_windows(), "windows after {restored} kills");
    assert_eq!(groups, clean_groups);
}
