//! Fault injection with whole processes: `weir nexmark … --checkpoint-dir` is killed with
//! `kill -9` at pseudo-random moments, many times, and started again with
//! `--restore latest` each time. The committed output of the last, completed run must
//! equal a failure-free run's exactly — no row lost, none twice.
//!
//! The kill moments come from a fixed seed, so a failure reproduces; they land anywhere:
//! before the first checkpoint (the restart begins from the start and must discard what
//! the killed run left uncommitted), during checkpoints, between a checkpoint's
//! completion and its commit, and during the final commit.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn weir() -> Command {
    Command::new(env!("CARGO_BIN_EXE_weir"))
}

/// Every visible (committed) row of the part files in `dir`, sorted.
fn committed_rows(dir: &Path) -> Vec<String> {
    let mut rows = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return rows };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with('.') || !path.is_file() {
            continue;
        }
        rows.extend(std::fs::read_to_string(&path).unwrap().lines().map(str::to_string));
    }
    rows.sort();
    rows
}

fn args<'a>(query: &'a str, events: &'a str, out: &'a Path, checkpoints: &'a Path) -> Vec<String> {
    [
        "nexmark",
        "--query",
        query,
        "--events",
        events,
        "-p",
        "2",
        "--output",
        out.to_str().unwrap(),
        "--checkpoint-dir",
        checkpoints.to_str().unwrap(),
        "--checkpoint-interval",
        "150ms",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Starts a run whose standard error goes to `log`, kept with the test's files.
fn spawn(args: &[String], log: &Path) -> Child {
    let log = std::fs::File::create(log).expect("the run's log file is created");
    weir().args(args).stdout(Stdio::null()).stderr(log).spawn().expect("weir starts")
}

/// A small deterministic generator (xorshift) for kill moments.
struct Moments(u64);

impl Moments {
    fn next_ms(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

fn killed_and_restored_equals_failure_free(query: &str, events: &str, kills: usize, seed: u64) {
    killed_and_restored_with(query, events, kills, seed, &[], &|| ());
}

/// As [`killed_and_restored_equals_failure_free`], every run (also the failure-free
/// one) with the options `extra`; `after_kill` runs after each kill.
fn killed_and_restored_with(query: &str, events: &str, kills: usize, seed: u64, extra: &[&str], after_kill: &dyn Fn()) {
    let args = |query: &str, events: &str, out: &Path, checkpoints: &Path| {
        let mut a = args(query, events, out, checkpoints);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let dir = tempfile::tempdir().unwrap();
    let clean_out = dir.path().join("clean");
    let clean = weir()
        .args(args(query, events, &clean_out, &dir.path().join("clean-ck")))
        .output()
        .expect("the failure-free run starts");
    assert!(clean.status.success(), "failure-free run failed: {}", String::from_utf8_lossy(&clean.stderr));
    let expected = committed_rows(&clean_out);
    assert!(!expected.is_empty(), "{query} produced rows");

    let out = dir.path().join("out");
    let checkpoints = dir.path().join("ck");
    let mut moments = Moments(seed);
    let mut run_args = args(query, events, &out, &checkpoints);
    let mut killed = 0;
    let started = Instant::now();
    for run in 0.. {
        let log = dir.path().join(format!("run-{run}.log"));
        let mut child = spawn(&run_args, &log);
        let wait = Duration::from_millis(50 + moments.next_ms(1500));
        let deadline = Instant::now() + wait;
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() >= deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        match finished {
            Some(status) => {
                let err = std::fs::read_to_string(&log).unwrap_or_default();
                assert!(status.success(), "run after {killed} kills failed: {err}");
                if killed >= kills {
                    break;
                }
                // It finished before the next kill: start over to get more kills in.
                std::fs::remove_dir_all(&out).ok();
                std::fs::remove_dir_all(&checkpoints).ok();
                run_args = args(query, events, &out, &checkpoints);
            }
            None if killed < kills => {
                child.kill().unwrap(); // SIGKILL: no cleanup runs
                child.wait().unwrap();
                after_kill();
                killed += 1;
                run_args = args(query, events, &out, &checkpoints);
                run_args.extend(["--restore".to_string(), "latest".to_string()]);
            }
            None => {
                // The last run must finish by itself; a job that cannot (a restore that
                // keeps failing and restarting) fails the test instead of hanging it.
                let deadline = Instant::now() + Duration::from_secs(120);
                let status = loop {
                    if let Some(status) = child.try_wait().unwrap() {
                        break status;
                    }
                    if Instant::now() >= deadline {
                        child.kill().unwrap();
                        child.wait().unwrap();
                        let err = std::fs::read_to_string(&log).unwrap_or_default();
                        panic!("{query}: the restored run did not finish in 120 s: {err}");
                    }
                    std::thread::sleep(Duration::from_millis(20));
                };
                let err = std::fs::read_to_string(&log).unwrap_or_default();
                assert!(status.success(), "{query}: the last run failed: {err}");
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(240), "the kill loop takes too long");
    }
    let got = committed_rows(&out);
    if got != expected {
        // Name the difference as a multiset, so a failure says what was lost or doubled.
        let mut missing = expected.clone();
        let mut extra = Vec::new();
        for row in &got {
            match missing.iter().position(|r| r == row) {
                Some(i) => {
                    missing.swap_remove(i);
                }
                None => extra.push(row.clone()),
            }
        }
        missing.truncate(10);
        extra.truncate(10);
        let kept = dir.keep();
        panic!(
            "{query}: after {killed} kill -9 and restores, {} rows committed, {} expected; \
             missing (first 10): {missing:?}; extra (first 10): {extra:?}; checkpoints left: {:?}; \
             files kept in {}",
            got.len(),
            expected.len(),
            std::fs::read_dir(&checkpoints)
                .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect::<Vec<_>>())
                .ok(),
            kept.display()
        );
    }
}

#[test]
fn q5_sliding_windows_survive_kill_9_with_exactly_once_output() {
    killed_and_restored_equals_failure_free("q5", "1500000", 6, 0x5eed_0005);
}

#[test]
fn q5_with_unaligned_checkpoints_survives_kill_9_with_exactly_once_output() {
    // Barriers overtake the records between tasks, which are stored and replayed.
    killed_and_restored_with("q5", "1500000", 6, 0x5eed_0015, &["--checkpoint-unaligned"], &|| ());
}

#[test]
fn q7_tumbling_max_survives_kill_9_with_exactly_once_output() {
    killed_and_restored_equals_failure_free("q7", "1500000", 6, 0x5eed_0007);
}

#[test]
fn q7_with_keyed_state_in_the_embedded_backend_survives_kill_9_with_exactly_once_output() {
    let state = tempfile::tempdir().unwrap();
    let extra = ["--state-backend", "embedded", "--state-backend-memory", "4mb", "--state-dir"];
    let mut extra: Vec<&str> = extra.to_vec();
    extra.push(state.path().to_str().unwrap());
    // A killed run leaves its working directories: the state was in the embedded backend.
    let used = || {
        let n = std::fs::read_dir(state.path()).unwrap().count();
        assert!(n > 0, "a killed run with --state-backend embedded left no working directory");
    };
    killed_and_restored_with("q7", "1500000", 4, 0x5eed_0017, &extra, &used);
    // The last run removed what the killed ones left, then its own.
    let left: Vec<_> = std::fs::read_dir(state.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "working directories left behind: {left:?}");
}

#[test]
fn q7_with_incremental_checkpoints_of_the_embedded_backend_survives_kill_9_with_exactly_once_output() {
    // Kills land anywhere, also while key groups are written to the shared area or a
    // subsumed checkpoint's files are deleted: the restore point must stay whole.
    let state = tempfile::tempdir().unwrap();
    let mut extra = vec!["--state-backend", "embedded", "--state-backend-memory", "4mb", "--checkpoint-incremental"];
    extra.extend(["--state-dir", state.path().to_str().unwrap()]);
    killed_and_restored_with("q7", "1500000", 4, 0x5eed_0027, &extra, &|| ());
}
