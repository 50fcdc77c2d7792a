//! The exactly-once file sink driven by hand, as a sink task and the job's checkpoint
//! side drive it: write, pre-commit at a barrier, commit when the checkpoint completes —
//! with crashes (writers dropped between pre-commit and commit), repeated commits,
//! recovery after a restart, rolling by size, CSV quoting and bad paths.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Serialize;
use weir_connectors::sink::{CsvEncoder, FileSink, FileSinkWriter, PartCommittable, TextEncoder};
use weir_core::{CheckpointId, StreamRecord};
use weir_runtime::{Committer, Sink, SinkWriter, SubtaskInfo};

fn subtask(index: usize, parallelism: usize) -> SubtaskInfo {
    SubtaskInfo { name: "file sink".into(), index, parallelism, max_parallelism: 128 }
}

/// The directory's entries: file name → contents.
fn files_in(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().into_string().unwrap(), fs::read_to_string(e.path()).unwrap())
        })
        .collect()
}

/// The visible files' names, in order.
fn visible(dir: &Path) -> Vec<String> {
    files_in(dir).into_keys().filter(|n| !n.starts_with('.')).collect()
}

fn hidden(dir: &Path) -> Vec<String> {
    files_in(dir).into_keys().filter(|n| n.starts_with('.')).collect()
}

/// Every visible line, in file-name order (within a writer: part order up to counter 9).
fn visible_lines(dir: &Path) -> Vec<String> {
    files_in(dir)
        .into_iter()
        .filter(|(n, _)| !n.starts_with('.'))
        .flat_map(|(_, text)| text.lines().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn records<T: Clone>(values: &[T]) -> Vec<StreamRecord<T>> {
    values.iter().cloned().map(StreamRecord::new).collect()
}

fn committer_of<T: Send + 'static, S: Sink<T>>(sink: &S) -> Box<dyn Committer> {
    sink.create_committer().unwrap().expect("a two-phase-commit sink has a committer")
}

fn text_writer(sink: &FileSink<TextEncoder>, index: usize) -> FileSinkWriter<i64, TextEncoder> {
    Sink::<i64>::create_writer(sink, &subtask(index, 2)).unwrap()
}

#[test]
fn a_checkpoint_cycle_makes_exactly_its_records_visible() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::json_lines(dir.path());
    let mut writer = Sink::<(i64, String)>::create_writer(&sink, &subtask(0, 1)).unwrap();
    let committer = committer_of::<(i64, String), _>(&sink);

    writer.write(&mut records(&[(1, "a".to_string()), (2, "b\"".to_string())])).unwrap();
    writer.flush(false).unwrap();
    let in_progress = writer.in_progress_path().unwrap().to_path_buf();
    let name = in_progress.file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.starts_with(&format!(".part-{}-0-0", writer.run_id())), "{name}");
    assert!(name.ends_with(".jsonl.inprogress"), "{name}");
    assert!(visible(dir.path()).is_empty());

    let first = writer.prepare_commit(CheckpointId(1)).unwrap();
    assert_eq!(first.len(), 1);
    let c = PartCommittable::from_bytes(&first[0]).unwrap();
    assert!(c.pending.exists() && !in_progress.exists() && !c.final_path.exists());
    assert_eq!(hidden(dir.path()), [c.pending.file_name().unwrap().to_str().unwrap()]);

    // Records after the barrier go to the next part, not into checkpoint 1's.
    writer.write(&mut records(&[(3, "c".to_string())])).unwrap();
    committer.commit(&first).unwrap();
    assert_eq!(visible(dir.path()), [format!("part-{}-0-0.jsonl", writer.run_id())]);
    assert_eq!(visible_lines(dir.path()), ["[1,\"a\"]", "[2,\"b\\\"\"]"]);

    // End of input: the job flushes, pre-commits FINAL and commits.
    writer.flush(true).unwrap();
    let last = writer.prepare_commit(CheckpointId::FINAL).unwrap();
    assert_eq!(last.len(), 1, "checkpoint 1's part is committed and not offered again");
    committer.commit(&last).unwrap();
    assert_eq!(visible_lines(dir.path()), ["[1,\"a\"]", "[2,\"b\\\"\"]", "[3,\"c\"]"]);
    assert!(hidden(dir.path()).is_empty());
    assert!(writer.write(&mut records(&[(4, "late".to_string())])).unwrap_err().to_string().contains("after the end"));
    assert!(writer.prepare_commit(CheckpointId::FINAL).unwrap().is_empty());
}

#[test]
fn the_end_of_input_may_pre_commit_before_or_after_the_last_flush() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::text(dir.path());
    let committer = committer_of::<i64, _>(&sink);
    let mut first = text_writer(&sink, 0);
    first.write(&mut records(&[1])).unwrap();
    let c = first.prepare_commit(CheckpointId::FINAL).unwrap();
    first.flush(true).unwrap();
    committer.commit(&c).unwrap();
    let mut second = text_writer(&sink, 1);
    second.write(&mut records(&[2])).unwrap();
    second.flush(true).unwrap();
    let c = second.prepare_commit(CheckpointId::FINAL).unwrap();
    committer.commit(&c).unwrap();
    let mut lines = visible_lines(dir.path());
    lines.sort();
    assert_eq!(lines, ["1", "2"]);
    assert!(hidden(dir.path()).is_empty());
}

#[test]
fn an_empty_checkpoint_commits_nothing_and_makes_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::text(dir.path());
    let mut writer = text_writer(&sink, 0);
    assert!(writer.prepare_commit(CheckpointId(1)).unwrap().is_empty());
    writer.write(&mut Vec::new()).unwrap();
    writer.flush(true).unwrap();
    assert!(writer.prepare_commit(CheckpointId::FINAL).unwrap().is_empty());
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn a_crash_between_pre_commit_and_commit_then_commit_again() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::text(dir.path());
    let mut writer = text_writer(&sink, 1);
    writer.write(&mut records(&[1, 2, 3])).unwrap();
    let committables = writer.prepare_commit(CheckpointId(7)).unwrap();
    writer.write(&mut records(&[4])).unwrap();
    writer.flush(false).unwrap();
    drop(writer); // the process dies before checkpoint 7's notification

    // The restarted job: commit the restored checkpoint's committables, recover, and
    // (a second crash right after committing) do both again.
    for _ in 0..2 {
        let committer = committer_of::<i64, _>(&sink);
        committer.commit(&committables).unwrap();
        committer.recover(&committables).unwrap();
        assert_eq!(visible_lines(dir.path()), ["1", "2", "3"]);
        assert!(hidden(dir.path()).is_empty(), "record 4's in-progress part is gone: {:?}", hidden(dir.path()));
    }
}

#[test]
fn committing_twice_does_not_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::text(dir.path());
    let committer = committer_of::<i64, _>(&sink);
    let mut writer = text_writer(&sink, 0);
    writer.write(&mut records(&[5, 6])).unwrap();
    let c = writer.prepare_commit(CheckpointId(1)).unwrap();
    let twice: Vec<Vec<u8>> = c.iter().chain(&c).cloned().collect();
    committer.commit(&twice).unwrap();
    committer.commit(&c).unwrap();
    assert_eq!(visible(dir.path()).len(), 1);
    assert_eq!(visible_lines(dir.path()), ["5", "6"]);
}

#[test]
fn parts_of_an_aborted_checkpoint_are_committed_with_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::text(dir.path());
    let committer = committer_of::<i64, _>(&sink);
    let mut writer = text_writer(&sink, 0);
    writer.write(&mut records(&[1])).unwrap();
    let aborted = writer.prepare_commit(CheckpointId(1)).unwrap();
    writer.write(&mut records(&[2])).unwrap();
    let second = writer.prepare_commit(CheckpointId(2)).unwrap();
    assert_eq!(second.len(), 2);
    assert!(second.contains(&aborted[0]));
    committer.commit(&second).unwrap();
    assert_eq!(visible_lines(dir.path()), ["1", "2"]);
    assert!(writer.prepare_commit(CheckpointId(3)).unwrap().is_empty());
}

#[test]
fn recover_deletes_what_no_complete_checkpoint_names_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::text(dir.path());
    // Files that are not this sink's hidden parts survive recovery.
    fs::write(dir.path().join("notes.txt"), "mine\n").unwrap();
    fs::write(dir.path().join(".other-r-0-0.txt.pending"), "another sink's\n").unwrap();
    fs::write(dir.path().join(".part-r-0-0.csv.pending"), "another suffix\n").unwrap();

    let mut a = text_writer(&sink, 0);
    let mut b = text_writer(&sink, 1);
    a.write(&mut records(&[1, 2])).unwrap();
    b.write(&mut records(&[10])).unwrap();
    let mut complete = a.prepare_commit(CheckpointId(1)).unwrap();
    complete.extend(b.prepare_commit(CheckpointId(1)).unwrap());
    committer_of::<i64, _>(&sink).commit(&complete).unwrap();

    // Checkpoint 2 is pre-committed by `a` only (pending), `b` is mid-part (in progress),
    // then both die.
    a.write(&mut records(&[3])).unwrap();
    let incomplete = a.prepare_commit(CheckpointId(2)).unwrap();
    assert_eq!(incomplete.len(), 1);
    b.write(&mut records(&[11])).unwrap();
    b.flush(false).unwrap();
    drop((a, b));
    assert_eq!(hidden(dir.path()).len(), 4, "{:?}", hidden(dir.path()));

    // Restart from checkpoint 1.
    let committer = committer_of::<i64, _>(&sink);
    committer.commit(&complete).unwrap();
    committer.recover(&complete).unwrap();
    let left = files_in(dir.path());
    let names: Vec<&str> = left.keys().map(String::as_str).collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.contains(&"notes.txt") && names.contains(&".other-r-0-0.txt.pending"));
    assert!(names.contains(&".part-r-0-0.csv.pending"));
    let mut lines = visible_lines(dir.path());
    lines.sort();
    assert_eq!(lines, ["1", "10", "2", "mine"]);

    // A recovery that names a pending file keeps it (the runtime commits it first; here
    // the commit is left out to show that recover alone does not delete it).
    let mut c = text_writer(&sink, 0);
    c.write(&mut records(&[20])).unwrap();
    let pending = c.prepare_commit(CheckpointId(3)).unwrap();
    committer.recover(&pending).unwrap();
    assert!(PartCommittable::from_bytes(&pending[0]).unwrap().pending.exists());
    // Recovering an output directory that does not exist yet is nothing to do.
    let fresh = FileSink::text(dir.path().join("not-yet"));
    let committer = committer_of::<i64, _>(&fresh);
    fs::remove_dir(dir.path().join("not-yet")).unwrap();
    committer.recover(&[]).unwrap();
}

#[test]
fn names_never_collide_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::text(dir.path());
    let mut seen = std::collections::HashSet::new();
    for run in 0..20 {
        let mut writer = text_writer(&sink, 0);
        assert!(seen.insert(writer.run_id().to_string()));
        writer.write(&mut records(&[run])).unwrap();
        let c = writer.prepare_commit(CheckpointId(1)).unwrap();
        committer_of::<i64, _>(&sink).commit(&c).unwrap();
    }
    assert_eq!(visible(dir.path()).len(), 20);
}

#[test]
fn parts_roll_by_size_and_at_each_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    // Each record is "nnn\n", 4 bytes: a part rolls once it holds 10 bytes, at its third.
    let sink = FileSink::text(dir.path()).with_max_part_size(10).with_part_prefix("out").with_part_suffix(".log");
    let mut writer = text_writer(&sink, 1);
    let values: Vec<i64> = (100..107).collect();
    writer.write(&mut records(&values)).unwrap();
    assert_eq!(hidden(dir.path()).iter().filter(|n| n.ends_with(".pending")).count(), 2);
    let committables = writer.prepare_commit(CheckpointId(1)).unwrap();
    assert_eq!(committables.len(), 3, "two parts by size, the rest at the checkpoint");
    writer.write(&mut records(&[107])).unwrap();
    let more = writer.prepare_commit(CheckpointId(2)).unwrap();
    let committer = committer_of::<i64, _>(&sink);
    committer.commit(&committables).unwrap();
    committer.commit(&more).unwrap();

    let run = writer.run_id().to_string();
    let files = files_in(dir.path());
    let expected: BTreeMap<String, String> =
        [(0, "100\n101\n102\n"), (1, "103\n104\n105\n"), (2, "106\n"), (3, "107\n")]
            .into_iter()
            .map(|(n, text)| (format!("out-{run}-1-{n}.log"), text.to_string()))
            .collect();
    assert_eq!(files, expected);
}

#[derive(Clone, Serialize)]
struct Comment {
    id: u32,
    author: String,
    text: String,
    score: Option<f64>,
}

#[test]
fn csv_rows_quote_as_rfc_4180() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::csv(dir.path());
    let rows = [
        Comment { id: 1, author: "Ann".into(), text: "plain".into(), score: Some(1.5) },
        Comment { id: 2, author: "Lee, Bo".into(), text: "said \"hi\"".into(), score: None },
        Comment { id: 3, author: "Cy".into(), text: "line one\nline two\r\n".into(), score: Some(2.0) },
        Comment { id: 4, author: "\"".into(), text: String::new(), score: Some(-0.25) },
    ];
    let mut writer = Sink::<Comment>::create_writer(&sink, &subtask(0, 1)).unwrap();
    writer.write(&mut records(&rows)).unwrap();
    let committables = writer.prepare_commit(CheckpointId::FINAL).unwrap();
    committer_of::<Comment, _>(&sink).commit(&committables).unwrap();
    let files = files_in(dir.path());
    let (name, text) = files.iter().next().unwrap();
    assert!(name.ends_with(".csv"), "{name}");
    assert_eq!(
        text,
        "1,Ann,plain,1.5\n\
         2,\"Lee, Bo\",\"said \"\"hi\"\"\",\n\
         3,Cy,\"line one\nline two\r\n\",2.0\n\
         4,\"\"\"\",,-0.25\n"
    );

    // Another delimiter quotes by that delimiter.
    let tabs = FileSink::for_row_format(dir.path().join("tsv"), CsvEncoder::new().with_field_delimiter('\t'));
    let mut writer = Sink::<(&str, &str)>::create_writer(&tabs, &subtask(0, 1)).unwrap();
    writer.write(&mut records(&[("a,b", "c\td")])).unwrap();
    let c = writer.prepare_commit(CheckpointId::FINAL).unwrap();
    committer_of::<(&str, &str), _>(&tabs).commit(&c).unwrap();
    assert_eq!(visible_lines(&dir.path().join("tsv")), ["a,b\t\"c\td\""]);
}

#[test]
fn a_record_the_format_cannot_hold_fails_naming_the_part_file() {
    let dir = tempfile::tempdir().unwrap();
    let sink = FileSink::csv(dir.path());
    let mut writer = Sink::<(i32, BTreeMap<i32, i32>)>::create_writer(&sink, &subtask(0, 1)).unwrap();
    writer.write(&mut records(&[(1, BTreeMap::new())])).unwrap_err();
    let path = writer.in_progress_path().unwrap().to_path_buf();
    let err = writer.write(&mut records(&[(1, BTreeMap::from([(1, 2)]))])).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()) && err.contains("in CSV") && err.contains("map"), "{err}");
}

#[test]
fn malformed_paths_give_errors_naming_the_path() {
    let root = tempfile::tempdir().unwrap();
    let file = root.path().join("a-file");
    fs::write(&file, "x").unwrap();
    let cases = [
        (FileSink::text(&file), file.display().to_string(), "not a directory"),
        (FileSink::text(file.join("below")), file.join("below").display().to_string(), "cannot create directory"),
        (FileSink::text(""), String::new(), "empty path"),
        (FileSink::text(root.path()).with_part_prefix(".hidden"), "\".hidden\"".into(), "part prefix"),
        (FileSink::text(root.path()).with_part_prefix("a/b"), "\"a/b\"".into(), "part prefix"),
        (FileSink::text(root.path()).with_part_suffix("/x"), "\"/x\"".into(), "part suffix"),
    ];
    for (sink, named, says) in cases {
        let err = Sink::<i64>::create_writer(&sink, &subtask(0, 1)).unwrap_err().to_string();
        assert!(err.contains(&named) && err.contains(says), "{err}");
        let err = Sink::<i64>::create_committer(&sink).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains(&named) && err.contains(says), "{err}");
    }

    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = root.path().join(std::ffi::OsStr::from_bytes(b"bad-\xff"));
        let err = Sink::<i64>::create_writer(&FileSink::text(&odd), &subtask(0, 1)).unwrap_err().to_string();
        assert!(err.contains("bad-") && err.contains("UTF-8"), "{err}");
    }

    // Committables whose paths do not pair, or whose files are gone, name the path.
    let sink = FileSink::text(root.path().join("out"));
    let committer = committer_of::<i64, _>(&sink);
    let stray = PartCommittable { pending: root.path().join("a-file"), final_path: root.path().join("part-r-0-0.txt") };
    let err = committer.commit(&[stray.to_bytes().unwrap()]).unwrap_err().to_string();
    assert!(err.contains(&file.display().to_string()) && err.contains("is not the pending part file"), "{err}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "x", "a stray committable renames nothing");

    let gone = PartCommittable {
        pending: root.path().join("out/.part-r-0-0.txt.pending"),
        final_path: root.path().join("out/part-r-0-0.txt"),
    };
    let err = committer.commit(&[gone.to_bytes().unwrap()]).unwrap_err().to_string();
    assert!(err.contains(".part-r-0-0.txt.pending") && err.contains("neither it nor its final name"), "{err}");
    let err = committer.recover(&[b"garbage".to_vec()]).unwrap_err().to_string();
    assert!(err.contains("does not decode"), "{err}");
}

#[test]
fn relative_directories_become_absolute_in_committables() {
    // A relative path to a temporary directory: up to the root, then down.
    let tmp = tempfile::tempdir().unwrap();
    let cwd = std::env::current_dir().unwrap();
    let up = "../".repeat(cwd.components().count() - 1);
    let relative = Path::new(&up).join(tmp.path().strip_prefix("/").unwrap()).join("out");
    assert!(relative.is_relative());
    let sink = FileSink::text(&relative);
    let mut writer = text_writer(&sink, 0);
    writer.write(&mut records(&[1])).unwrap();
    let c = writer.prepare_commit(CheckpointId::FINAL).unwrap();
    let part = PartCommittable::from_bytes(&c[0]).unwrap();
    assert!(part.pending.is_absolute() && part.final_path.is_absolute());
    committer_of::<i64, _>(&sink).commit(&c).unwrap();
    assert_eq!(fs::read_to_string(&part.final_path).unwrap(), "1\n");
    fs::remove_dir_all(part.final_path.parent().unwrap()).unwrap();
}
