//! Runs the example programs as a user would and checks what they print.

use std::process::Command;

fn run(bin: &str, args: &[&str]) -> String {
    let out = Command::new(bin).args(args).output().expect("example binary runs");
    assert!(out.status.success(), "{bin} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Every printed count for `word`, stripped of the `N> ` subtask prefix.
fn counts_of(stdout: &str, word: &str) -> Vec<u64> {
    let needle = format!("({word}, ");
    stdout
        .lines()
        .filter_map(|l| l.split_once(&needle).map(|(_, rest)| rest.trim_end_matches(')').parse().expect("a count")))
        .collect()
}

#[test]
fn word_count_counts_the_built_in_verse() {
    let stdout = run(env!("CARGO_BIN_EXE_word_count"), &[]);
    // "to" appears 4 times in the verse: the rolling sum prints 1, 2, 3, 4 in order,
    // because one subtask owns the key and sees its records in order.
    assert_eq!(counts_of(&stdout, "to"), vec![1, 2, 3, 4]);
    assert_eq!(counts_of(&stdout, "question"), vec![1]);
    assert_eq!(counts_of(&stdout, "of"), vec![1, 2]);
    // With parallelism 2 every line carries Flink's subtask prefix.
    assert!(stdout.lines().all(|l| l.starts_with("1> ") || l.starts_with("2> ")), "{stdout}");
}

#[test]
fn word_count_reads_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), "red green\nred\n").unwrap();
    std::fs::write(dir.path().join("b.txt"), "green red blue\n").unwrap();
    let stdout = run(env!("CARGO_BIN_EXE_word_count"), &[dir.path().to_str().unwrap(), "-p", "1"]);
    assert_eq!(counts_of(&stdout, "red").last(), Some(&3));
    assert_eq!(counts_of(&stdout, "green").last(), Some(&2));
    assert_eq!(counts_of(&stdout, "blue"), vec![1]);
    assert!(!stdout.contains("> "), "parallelism 1 prints no prefix: {stdout}");
}

#[test]
fn fraud_detection_alerts_exactly_the_small_then_large_accounts() {
    let stdout = run(env!("CARGO_BIN_EXE_fraud_detection"), &[]);
    let mut alerts: Vec<&str> = stdout.lines().collect();
    alerts.sort();
    assert_eq!(alerts, vec!["ALERT account=3 amount=900.00", "ALERT account=4 amount=501.00"]);
}

#[test]
fn state_backend_runs_the_same_job_on_both_backends() {
    for backend in ["hashmap", "embedded"] {
        let args = ["--backend", backend, "--memory", "8mb", "--records", "20000", "--keys", "500"];
        let stdout = run(env!("CARGO_BIN_EXE_state_backend"), &args);
        assert!(stdout.contains("20000 records, 500 keys"), "{stdout}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_state_backend")).args(["--backend", "rocksdb"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("hashmap, embedded or fjall"));
}

/// The peak resident memory a `state_backend` run printed, in MiB.
fn peak_rss_mib(stdout: &str) -> u64 {
    let (_, rest) = stdout.split_once("peak RSS ").expect("the run prints its peak RSS");
    rest.split_whitespace().next().and_then(|n| n.parse().ok()).expect("peak RSS in MiB")
}

#[test]
fn state_backend_keeps_window_contents_beyond_its_budget_out_of_memory() {
    // 48 MiB of open window contents (every window fires at the end of the input): the
    // heap holds all of it; the embedded backend, with a budget of 4 MiB, its files do.
    let run_on = |backend: &str| {
        let args = ["--job", "window", "--backend", backend, "--memory", "4mb", "--records", "12288"];
        let stdout =
            run(env!("CARGO_BIN_EXE_state_backend"), &[&args[..], &["--keys", "4096", "--payload", "4096"]].concat());
        assert!(stdout.contains("windows 4096: 12288 elements, 48.0 MiB of contents"), "{backend}: {stdout}");
        peak_rss_mib(&stdout)
    };
    let (heap, embedded) = (run_on("hashmap"), run_on("embedded"));
    assert!(heap > 48, "the heap holds the 48 MiB of contents (peak RSS {heap} MiB)");
    assert!(embedded < 36, "the embedded backend keeps them out of memory (peak RSS {embedded} MiB)");
}

#[test]
fn state_backend_stops_during_its_tail_and_resumes_at_another_parallelism() {
    let dir = tempfile::tempdir().unwrap();
    let ck = dir.path().to_str().unwrap();
    let common = [
        "--backend",
        "embedded",
        "--memory",
        "8mb",
        "--records",
        "3000",
        "--keys",
        "3000",
        "--hot-keys",
        "4",
        "--payload",
        "64",
        "--tail",
        "100000",
        "--incremental",
        "--checkpoint-dir",
        ck,
        "--checkpoint-interval-ms",
        "100",
        "--stop-after-checkpoints",
        "2",
    ];
    let rows = |stdout: &str| -> Vec<(f64, f64)> {
        let row = |l: &str| {
            let cells: Vec<&str> = l.split(" | ").collect();
            (cells[2].parse().unwrap(), cells[3].parse().unwrap())
        };
        stdout.lines().filter(|l| l.starts_with("chk-")).map(row).collect()
    };
    let stdout = run(env!("CARGO_BIN_EXE_state_backend"), &[&common[..], &["--parallelism", "2"]].concat());
    assert!(stdout.contains("stopped as asked"), "{stdout}");
    let before = rows(&stdout).len();
    let restored = ["--parallelism", "3", "--restore", "latest"];
    let stdout = run(env!("CARGO_BIN_EXE_state_backend"), &[&common[..], &restored].concat());
    assert!(stdout.contains("stopped as asked"), "{stdout}");
    // The restored run's first checkpoint needs the whole state and wrote a small part of it.
    let (needs, wrote) = *rows(&stdout).get(before).expect("a checkpoint after the restore");
    assert!(needs > 0.1 && wrote * 4.0 < needs, "{stdout}");
}

#[test]
fn unaligned_checkpoints_reports_both_modes() {
    for mode in ["aligned", "unaligned"] {
        let args = ["--mode", mode, "--records", "20000", "--pause-ms", "1", "--interval-ms", "50"];
        let stdout = run(env!("CARGO_BIN_EXE_unaligned_checkpoints"), &args);
        assert!(stdout.contains("checkpoints completed, duration mean"), "{stdout}");
    }
}
