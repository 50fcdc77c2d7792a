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

/// Two writers, buckets named by hour: a bucket commits once the least of the writers'
/// watermarks is past its time; all commit when every writer has ended.
#[test]
fn partition_time_commits_a_bucket_once_every_writer_s_watermark_is_past_it() {
    use std::sync::Arc;
    use weir_connectors::sink::{CommitTrigger, PartitionCommit};
    use weir_core::Watermark;

    let dir = tempfile::tempdir().unwrap();
    // "h=N" is hour N of day 0; the partition's time is its start.
    let time_of: weir_connectors::sink::PartitionTimeOf = Arc::new(|bucket: &Path| {
        let hour: i64 =
            bucket.to_str().unwrap().strip_prefix("h=").ok_or("no hour")?.parse().map_err(|_| "bad hour")?;
        Ok(hour * 3_600_000)
    });
    let commit = PartitionCommit {
        trigger: CommitTrigger::PartitionTime { delay: Duration::from_secs(60), time_of },
        success_file: "_DONE".into(),
    };
    let sink = FileSink::for_row_format(dir.path(), ByBucket).with_partition_commit(commit);
    let committer = Sink::<(String, String)>::create_committer(&sink).unwrap().unwrap();
    let info = |i| SubtaskInfo { name: "sink".into(), index: i, parallelism: 2, max_parallelism: 128 };
    let mut a = sink.create_writer(&info(0)).unwrap();
    let mut b = sink.create_writer(&info(1)).unwrap();
    let done = |h: u32| dir.path().join(format!("h={h}")).join("_DONE").exists();

    a.write(&mut records(&[("h=1", "a1"), ("h=2", "a2")])).unwrap();
    b.write(&mut records(&[("h=1", "b1")])).unwrap();
    a.on_watermark(Watermark(3 * 3_600_000)).unwrap();
    b.on_watermark(Watermark(2 * 3_600_000)).unwrap();
    let mut c = a.prepare_commit(CheckpointId(1)).unwrap();
    c.extend(b.prepare_commit(CheckpointId(1)).unwrap());
    committer.commit(&c).unwrap();
    // Least watermark 2:00: hour 1 ends 1:00 + 60 s delay < 2:00; hour 2's 2:01 is not passed.
    assert!(done(1) && !done(2), "hour 1 only");
    assert_eq!(lines(&dir.path().join("h=2")), ["a2"], "its parts are visible all the same");

    // Writer b catches up; nothing new written: hour 2 commits from what waited.
    b.on_watermark(Watermark(2 * 3_600_000 + 60_001)).unwrap();
    let mut c = a.prepare_commit(CheckpointId(2)).unwrap();
    c.extend(b.prepare_commit(CheckpointId(2)).unwrap());
    committer.commit(&c).unwrap();
    assert!(done(2));

    // Late rows for hour 1 and a new hour 9: hour 1 is committed again, hour 9 waits for the end.
    fs::remove_file(dir.path().join("h=1/_DONE")).unwrap();
    a.write(&mut records(&[("h=1", "late"), ("h=9", "a9")])).unwrap();
    let mut c = a.prepare_commit(CheckpointId(3)).unwrap();
    c.extend(b.prepare_commit(CheckpointId(3)).unwrap());
    committer.commit(&c).unwrap();
    assert!(done(1) && !done(9));
    let mut c = a.prepare_commit(CheckpointId::FINAL).unwrap();
    c.extend(b.prepare_commit(CheckpointId::FINAL).unwrap());
    committer.commit(&c).unwrap();
    assert!(done(9), "every partition is committed when the job ends");
}

/// After a crash, partitions whose parts were committed but whose trigger had not fired
/// wait again: the restarted committer finds them on disk.
#[test]
fn partitions_waiting_for_their_trigger_survive_a_restart() {
    use std::sync::Arc;
    use weir_connectors::sink::{CommitTrigger, PartitionCommit};
    use weir_core::Watermark;

    let dir = tempfile::tempdir().unwrap();
    let time_of: weir_connectors::sink::PartitionTimeOf =
        Arc::new(|bucket: &Path| Ok(bucket.to_str().unwrap().trim_start_matches("h=").parse::<i64>().unwrap()));
    let commit = PartitionCommit {
        trigger: CommitTrigger::PartitionTime { delay: Duration::ZERO, time_of },
        success_file: "_SUCCESS".into(),
    };
    let sink = FileSink::for_row_format(dir.path(), ByBucket).with_partition_commit(commit);
    let mut w = sink.create_writer(&SubtaskInfo::single("sink")).unwrap();
    w.write(&mut records(&[("h=100", "x")])).unwrap();
    w.on_watermark(Watermark(50)).unwrap();
    let c1 = w.prepare_commit(CheckpointId(1)).unwrap();
    Sink::<(String, String)>::create_committer(&sink).unwrap().unwrap().commit(&c1).unwrap();
    assert!(!dir.path().join("h=100/_SUCCESS").exists());
    drop(w);
    // The restarted job: recovery, then a writer whose watermark passes the partition.
    let committer = Sink::<(String, String)>::create_committer(&sink).unwrap().unwrap();
    committer.commit(&c1).unwrap();
    committer.recover(&c1).unwrap();
    let mut w = sink.create_writer(&SubtaskInfo::single("sink")).unwrap();
    w.on_watermark(Watermark(101)).unwrap();
    committer.commit(&w.prepare_commit(CheckpointId(2)).unwrap()).unwrap();
    assert!(dir.path().join("h=100/_SUCCESS").exists());
}
