//! The file sink with buckets (the `col=value/` directories of a partitioned table): parts
//! per bucket, success files at commit, recovery that cleans uncommitted parts in bucket
//! directories, rolling by age, and buckets that would leave the output directory.

use std::fs;
use std::path::Path;
use std::time::Duration;

use weir_connectors::sink::{Encoder, FileSink};
use weir_core::{CheckpointId, StreamRecord};
use weir_runtime::{BoxError, Sink, SinkWriter, SubtaskInfo};

/// `(bucket, text)` records: the text as a line in the bucket's directory.
struct ByBucket;

impl Encoder<(String, String)> for ByBucket {
    fn encode(&self, value: &(String, String), out: &mut Vec<u8>) -> Result<(), BoxError> {
        out.extend_from_slice(value.1.as_bytes());
        out.push(b'\n');
        Ok(())
    }

    fn bucket(&self, value: &(String, String)) -> String {
        value.0.clone()
    }
}

fn records(items: &[(&str, &str)]) -> Vec<StreamRecord<(String, String)>> {
    items.iter().map(|(b, t)| StreamRecord::new((b.to_string(), t.to_string()))).collect()
}

/// Names of the files in `dir` (not recursing), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    n.sort();
    n
}

fn lines(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = names(dir)
        .iter()
        .filter(|n| n.starts_with("part-"))
        .flat_map(|n| fs::read_to_string(dir.join(n)).unwrap().lines().map(String::from).collect::<Vec<_>>())
        .collect();
    out.sort();
    out
}

#[test]
fn buckets_commit_with_success_files_and_recovery_cleans_them() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::for_row_format(dir.path(), ByBucket).with_success_file();
    let committer = Sink::<(String, String)>::create_committer(&sink).unwrap().unwrap();
    let mut writer = sink.create_writer(&SubtaskInfo::single("sink")).unwrap();
    writer.write(&mut records(&[("d=1", "a"), ("d=2", "b"), ("d=1", "c"), ("", "root")])).unwrap();
    let first = writer.prepare_commit(CheckpointId(1)).unwrap();
    assert_eq!(first.len(), 3, "one part per bucket");
    // Not visible before the commit.
    assert!(lines(&dir.path().join("d=1")).is_empty());
    // Records after the checkpoint, then a crash: they sit in hidden files.
    writer.write(&mut records(&[("d=1", "lost"), ("d=3", "lost too")])).unwrap();
    writer.flush(false).unwrap();
    drop(writer);
    assert_eq!(names(&dir.path().join("d=3")).len(), 1);

    // Restart from checkpoint 1: commit it again, then recover.
    committer.commit(&first).unwrap();
    committer.recover(&first).unwrap();
    assert_eq!(lines(&dir.path().join("d=1")), ["a", "c"]);
    assert_eq!(lines(&dir.path().join("d=2")), ["b"]);
    assert_eq!(lines(dir.path()), ["root"]);
    assert!(names(&dir.path().join("d=3")).is_empty(), "the uncommitted part is gone");
    for d in ["d=1", "d=2"] {
        assert!(dir.path().join(d).join("_SUCCESS").exists(), "{d}");
        assert!(
            names(&dir.path().join(d)).iter().all(|n| !n.starts_with('.')),
            "{d}: {:?}",
            names(&dir.path().join(d))
        );
    }
    assert!(!dir.path().join("_SUCCESS").exists(), "the output directory itself is not a partition");
    // Committing again changes nothing.
    committer.commit(&first).unwrap();
    assert_eq!(lines(&dir.path().join("d=1")), ["a", "c"]);
}

#[test]
fn parts_roll_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::for_row_format(dir.path(), ByBucket).with_rollover_interval(Duration::ZERO);
    let mut writer = sink.create_writer(&SubtaskInfo::single("sink")).unwrap();
    writer.write(&mut records(&[("", "1"), ("", "2"), ("", "3")])).unwrap();
    let committables = writer.prepare_commit(CheckpointId::FINAL).unwrap();
    assert_eq!(committables.len(), 3, "each record found its part old enough to roll");
    let without = FileSink::for_row_format(dir.path().join("b"), ByBucket);
    let mut writer = without.create_writer(&SubtaskInfo::single("sink")).unwrap();
    writer.write(&mut records(&[("", "1"), ("", "2"), ("", "3")])).unwrap();
    assert_eq!(writer.prepare_commit(CheckpointId::FINAL).unwrap().len(), 1);
}

#[test]
fn a_bucket_must_stay_inside_the_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::for_row_format(dir.path().join("out"), ByBucket);
    for bad in ["../x", "a//b", "/abs", ".hidden", "a/_b"] {
        let mut writer = sink.create_writer(&SubtaskInfo::single("sink")).unwrap();
        let e = writer.write(&mut records(&[(bad, "x")])).unwrap_err().to_string();
        assert!(e.contains(&format!("bucket {bad:?} must be a relative path")), "{bad}: {e}");
    }
    assert!(!dir.path().join("x").exists());
}
