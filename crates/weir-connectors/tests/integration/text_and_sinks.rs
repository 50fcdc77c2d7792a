//! Text files in, and every sink out: contents, the in-progress → final rename, and a
//! generated Nexmark stream written through the JSON sink and read back.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use common::read_source;
use weir_connectors::nexmark::{Event, NexmarkConfig, NexmarkSource};
use weir_connectors::{BlackholeSink, CollectSink, JsonLinesSink, NumberSequenceSource, TextFileSink, TextFileSource};
use weir_core::StreamRecord;
use weir_runtime::{Sink, SinkWriter, SubtaskInfo};

fn subtask(index: usize, parallelism: usize) -> SubtaskInfo {
    SubtaskInfo { name: "sink".into(), index, parallelism, max_parallelism: 128 }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

#[test]
fn text_file_source_over_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("2.log"), "c\r\nd\n").unwrap();
    fs::write(dir.path().join("1.log"), "a\nb").unwrap();
    fs::write(dir.path().join(".1.log.inprogress"), "hidden").unwrap();
    let per_subtask = read_source(&TextFileSource::new(dir.path()), 1, 1).unwrap();
    let lines: Vec<&str> = per_subtask[0].iter().map(|r| r.value.as_str()).collect();
    assert_eq!(lines, ["a", "b", "c", "d"]);
}

#[test]
fn file_sinks_rename_in_progress_parts_at_end_of_input() {
    let root = tempfile::tempdir().unwrap();
    let json_dir = root.path().join("json");
    let text_dir = root.path().join("text");
    let json = JsonLinesSink::new(&json_dir);
    let text = TextFileSink::new(&text_dir);
    let mut json_writers: Vec<_> =
        (0..2).map(|i| Sink::<(i64, String)>::create_writer(&json, &subtask(i, 2)).unwrap()).collect();
    let mut text_writers: Vec<_> = (0..2).map(|i| Sink::<i64>::create_writer(&text, &subtask(i, 2)).unwrap()).collect();

    for (i, (jw, tw)) in json_writers.iter_mut().zip(&mut text_writers).enumerate() {
        let mut batch: Vec<StreamRecord<(i64, String)>> =
            (0..3).map(|k| StreamRecord::new((i as i64 * 10 + k, format!("v\"{k}")))).collect();
        jw.write(&mut batch).unwrap();
        assert!(batch.is_empty());
        jw.flush(false).unwrap();
        let mut batch: Vec<StreamRecord<i64>> = (0..3).map(|k| StreamRecord::new(i as i64 * 10 + k)).collect();
        tw.write(&mut batch).unwrap();
        tw.flush(false).unwrap();
    }
    // Before the end of input: only hidden in-progress files, already holding the data.
    assert_eq!(names_in(&json_dir), [".part-0-0.jsonl.inprogress", ".part-1-0.jsonl.inprogress"]);
    assert_eq!(fs::read_to_string(text_dir.join(".part-1-0.txt.inprogress")).unwrap(), "10\n11\n12\n");

    for w in &mut json_writers {
        w.flush(true).unwrap();
    }
    for w in &mut text_writers {
        w.flush(true).unwrap();
    }
    assert_eq!(names_in(&json_dir), ["part-0-0.jsonl", "part-1-0.jsonl"]);
    assert_eq!(names_in(&text_dir), ["part-0-0.txt", "part-1-0.txt"]);
    assert_eq!(
        fs::read_to_string(json_dir.join("part-1-0.jsonl")).unwrap(),
        "[10,\"v\\\"0\"]\n[11,\"v\\\"1\"]\n[12,\"v\\\"2\"]\n"
    );
    assert_eq!(fs::read_to_string(text_dir.join("part-0-0.txt")).unwrap(), "0\n1\n2\n");
}

#[test]
fn a_file_sink_refuses_a_regular_file_as_directory() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let err = Sink::<i64>::create_writer(&JsonLinesSink::new(file.path()), &subtask(0, 1)).unwrap_err().to_string();
    assert!(err.contains("is not a directory"), "{err}");
}

#[test]
fn nexmark_through_the_json_sink_reads_back_equal() {
    let source = NexmarkSource::new(NexmarkConfig::new(3_000)).unwrap();
    let per_subtask = read_source(&source, 2, 256).unwrap();
    let out: PathBuf = tempfile::tempdir().unwrap().keep();
    let sink = JsonLinesSink::new(&out);
    let mut expected = Vec::new();
    for (i, records) in per_subtask.into_iter().enumerate() {
        expected.extend(records.iter().map(|r| r.value.clone()));
        let mut writer = Sink::<Event>::create_writer(&sink, &subtask(i, 2)).unwrap();
        let mut batch = records;
        writer.write(&mut batch).unwrap();
        writer.flush(true).unwrap();
    }
    let mut read = Vec::new();
    for name in names_in(&out) {
        for line in fs::read_to_string(out.join(name)).unwrap().lines() {
            read.push(serde_json::from_str::<Event>(line).unwrap());
        }
    }
    assert_eq!(read, expected);
    fs::remove_dir_all(out).unwrap();
}

#[test]
fn blackhole_and_collect() {
    let per_subtask = read_source(&NumberSequenceSource::new(1, 1_000), 3, 64).unwrap();
    let blackhole = BlackholeSink::new();
    let counter = blackhole.counter();
    let collect = CollectSink::new();
    let handle = collect.handle();
    for (i, records) in per_subtask.into_iter().enumerate() {
        let mut a = records.clone();
        let mut w = Sink::<i64>::create_writer(&blackhole, &subtask(i, 3)).unwrap();
        w.write(&mut a).unwrap();
        let mut b = records;
        let mut w = collect.create_writer(&subtask(i, 3)).unwrap();
        w.write(&mut b).unwrap();
        w.flush(true).unwrap();
    }
    assert_eq!(counter.load(std::sync::atomic::Ordering::Relaxed), 1_000);
    assert_eq!(handle.take(), (1..=1_000).collect::<Vec<i64>>());
}
