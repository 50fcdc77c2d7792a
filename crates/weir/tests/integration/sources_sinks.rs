//! End to end: the sources and sinks the API offers directly — text files written by
//! `write_as_text` read back by `read_text_file`, JSON lines from `write_as_json` — with
//! part files per subtask and no in-progress file left behind.

use crate::harness;

use std::collections::BTreeSet;

use harness::{run, sorted};
use weir::prelude::*;

fn file_names(dir: &std::path::Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
fn text_files_written_in_parallel_read_back_in_parallel() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("numbers");
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    env.from_sequence(1, 1000).map(|x: i64| format!("n={x}")).write_as_text(&out);
    run(&env, "write text");
    // one finished part file per sink subtask, nothing hidden left in progress
    assert_eq!(file_names(&out), BTreeSet::from(["part-0-0.txt".to_string(), "part-1-0.txt".to_string()]));
    // fromSequence(1, 1000) at p=2 and a chained sink: subtask 0 wrote 1..=500 in order
    let first = std::fs::read_to_string(out.join("part-0-0.txt")).unwrap();
    assert_eq!(first.lines().count(), 500);
    assert!(first.starts_with("n=1\nn=2\n") && first.ends_with("n=500\n"), "{}", &first[..20]);

    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let got =
        env.read_text_file(&out).map(|line: String| line.trim_start_matches("n=").parse::<i64>().unwrap()).collect();
    run(&env, "read text");
    assert_eq!(sorted(got.take()), (1..=1000).collect::<Vec<_>>());
}

#[derive(Clone, serde::Serialize)]
struct Count {
    word: String,
    n: u64,
}

#[test]
fn json_lines_hold_one_object_per_record() {
    let dir = tempfile::tempdir().unwrap();
    let env = StreamExecutionEnvironment::new();
    env.from_collection(vec![("to".to_string(), 1u64), ("be".into(), 1), ("to".into(), 1)])
        .key_by(|r: &(String, u64)| r.0.clone())
        .sum(1)
        .map(|(word, n): (String, u64)| Count { word, n })
        .write_as_json(dir.path());
    run(&env, "json");
    let text = std::fs::read_to_string(dir.path().join("part-0-0.jsonl")).unwrap();
    assert_eq!(text, "{\"word\":\"to\",\"n\":1}\n{\"word\":\"be\",\"n\":1}\n{\"word\":\"to\",\"n\":2}\n");
}
