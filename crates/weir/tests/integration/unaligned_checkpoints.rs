//! End to end: unaligned checkpoints.
//!
//! - Under backpressure, an aligned barrier waits behind every batch queued ahead of it,
//!   while an unaligned one overtakes them: the same job with the same checkpoint timeout
//!   fails its aligned checkpoints and completes its unaligned ones.
//! - Exactly once: a job with a keyed exchange at parallelism 2 fed by two sources, its
//!   reducers backpressured, is failed once and restored from an unaligned checkpoint
//!   holding in-flight records; it commits exactly the failure-free answer. Restored from
//!   that checkpoint at parallelism 1 and 3, its in-flight records dealt out by key group,
//!   it commits the rest of that answer, nothing lost and nothing twice.
//! - With an alignment timeout, checkpoints start aligned: a job under backpressure
//!   switches to unaligned and stores in-flight records, completing its checkpoints in
//!   time; one whose timeout is never reached stores none; failed once, a job commits
//!   exactly the failure-free answer.
//! - A job with an edge whose records cannot be stored is refused, naming the edge.

use crate::harness;

use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use harness::{execute_within, sorted};
use weir::prelude::*;
use weir::StreamRecord;
use weir_checkpoint::{CheckpointConfig, CheckpointMode, LocalDirStorage};
use weir_core::CheckpointId;
use weir_runtime::in_flight::{InFlightState, IN_FLIGHT};
use weir_runtime::restart::RestartStrategy;
use weir_runtime::snapshot::TaskState;
use weir_runtime::{CheckpointSettings, Committer, Emitter, Operator, Restore, Sink, SinkWriter, SubtaskInfo};

const LIMIT: Duration = Duration::from_secs(60);

fn settings(mode: CheckpointMode, interval_ms: u64, timeout_ms: u64, dir: &Path) -> CheckpointSettings {
    let storage = Arc::new(LocalDirStorage::new(dir).unwrap());
    let config = CheckpointConfig { mode, timeout_ms, retained: 10_000, ..CheckpointConfig::every(interval_ms) };
    CheckpointSettings { config, storage, restore: None }
}

// ---------------------------------------------------------------------------------------
// Backpressure.

/// A sink that pauses after every batch: a slow database.
#[derive(Clone)]
struct SlowSink(Duration);

struct SlowWriter(Duration);

impl Sink<(i64, i64)> for SlowSink {
    type Writer = SlowWriter;
    fn create_writer(&self, _: &SubtaskInfo) -> Result<SlowWriter, BoxError> {
        Ok(SlowWriter(self.0))
    }
}

impl SinkWriter<(i64, i64)> for SlowWriter {
    fn write(&mut self, batch: &mut Vec<StreamRecord<(i64, i64)>>) -> Result<(), BoxError> {
        std::thread::sleep(self.0); // the slowness under test, not synchronisation
        batch.clear();
        Ok(())
    }
    fn flush(&mut self, _: bool) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Two fast sources → keyed rolling sum → a slow sink (chained to the sum), at parallelism
/// 2, with deep channels: about two seconds of the sink's work queue up ahead of every
/// barrier that has to wait behind it. Checkpoints every 100 ms, each given 1 s, no
/// failed checkpoint tolerated, no restart.
fn backpressured(mode: CheckpointMode, dir: &Path) -> Result<weir::JobExecutionResult, JobError> {
    backpressured_aligned_for(mode, 0, dir)
}

/// [`backpressured`] with an alignment timeout (unaligned mode).
fn backpressured_aligned_for(
    mode: CheckpointMode,
    aligned_timeout_ms: u64,
    dir: &Path,
) -> Result<weir::JobExecutionResult, JobError> {
    let mut settings = settings(mode, 100, std::env::var("UC_TIMEOUT").map_or(1_000, |v| v.parse().unwrap()), dir);
    settings.config.aligned_timeout_ms = aligned_timeout_ms;
    let env = StreamExecutionEnvironment::new()
        .with_parallelism(2)
        .with_batch_size(16)
        .with_channel_capacity(200)
        .with_restart_strategy(RestartStrategy::None)
        .enable_checkpointing(settings);
    env.from_sequence(1, 30_000)
        .map(|x: i64| (x % 16, x))
        .key_by(|t: &(i64, i64)| t.0)
        .reduce(|a, b| (a.0, a.1 + b.1))
        .sink_to(SlowSink(Duration::from_millis(5)), "slow");
    execute_within(&env, "backpressure", LIMIT)
}

#[test]
fn under_backpressure_unaligned_checkpoints_complete_where_aligned_ones_time_out() {
    let dir = tempfile::tempdir().unwrap();
    let unaligned = backpressured(CheckpointMode::Unaligned, dir.path())
        .unwrap_or_else(|e| panic!("an unaligned checkpoint failed under backpressure: {e}"));
    let stats = &unaligned.checkpoint_stats;
    assert!(stats.completed >= 5, "unaligned: only {} checkpoints completed", stats.completed);
    assert!(stats.max_duration_ms < 1_000, "unaligned: {stats:?}");

    let dir = tempfile::tempdir().unwrap();
    match backpressured(CheckpointMode::AlignedExactlyOnce, dir.path()) {
        Err(e) => assert!(e.to_string().contains("expired"), "aligned: {e}"),
        Ok(r) => {
            panic!("aligned checkpoints did not time out, the test exerts no backpressure: {:?}", r.checkpoint_stats)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Exactly once across a failure.

/// Committed records, by `(writer id, checkpoint)`.
type Destination = Arc<Mutex<BTreeMap<(u64, u64), Vec<(i64, i64)>>>>;

static NEXT_WRITER: AtomicU64 = AtomicU64::new(0);

/// A two-phase-commit sink committing into memory, each committable once.
struct CommitSink(Destination);

struct CommitWriter {
    id: u64,
    buffer: Vec<(i64, i64)>,
}

struct CommitInto(Destination);

impl Sink<(i64, i64)> for CommitSink {
    type Writer = CommitWriter;
    fn create_writer(&self, _: &SubtaskInfo) -> Result<CommitWriter, BoxError> {
        Ok(CommitWriter { id: NEXT_WRITER.fetch_add(1, Ordering::SeqCst), buffer: Vec::new() })
    }
    fn create_committer(&self) -> Result<Option<Box<dyn Committer>>, BoxError> {
        Ok(Some(Box::new(CommitInto(self.0.clone()))))
    }
}

impl SinkWriter<(i64, i64)> for CommitWriter {
    fn write(&mut self, batch: &mut Vec<StreamRecord<(i64, i64)>>) -> Result<(), BoxError> {
        self.buffer.extend(batch.drain(..).map(|r| r.value));
        Ok(())
    }
    fn flush(&mut self, _: bool) -> Result<(), BoxError> {
        Ok(())
    }
    fn prepare_commit(&mut self, checkpoint: CheckpointId) -> Result<Vec<Vec<u8>>, BoxError> {
        if self.buffer.is_empty() {
            return Ok(Vec::new());
        }
        let committable = bincode::serialize(&(self.id, checkpoint.0, &self.buffer))?;
        self.buffer.clear();
        Ok(vec![committable])
    }
}

impl Committer for CommitInto {
    fn commit(&self, committables: &[Vec<u8>]) -> Result<(), BoxError> {
        for c in committables {
            let (writer, checkpoint, records): (u64, u64, Vec<(i64, i64)>) = bincode::deserialize(c)?;
            self.0.lock().unwrap().entry((writer, checkpoint)).or_insert(records);
        }
        Ok(())
    }
}

/// Slows each batch down (the backpressure that makes barriers overtake records) and,
/// when armed, fails once after `fail_after` records in all, once a checkpoint completed.
struct SlowFailing<T> {
    armed: Arc<AtomicBool>,
    seen: Arc<AtomicU64>,
    completed: Arc<AtomicU64>,
    fail_after: u64,
    _t: PhantomData<fn(T)>,
}

impl<T: Send + 'static> Operator for SlowFailing<T> {
    type In = T;
    type Out = T;

    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<T>) -> Result<(), BoxError> {
        std::thread::sleep(Duration::from_millis(1)); // the slowness under test
        let seen = self.seen.fetch_add(batch.len() as u64, Ordering::SeqCst);
        let due = self.completed.load(Ordering::SeqCst) > 0 && seen >= self.fail_after;
        if due && self.armed.swap(false, Ordering::SeqCst) {
            panic!("injected failure after {seen} records");
        }
        for record in batch.drain(..) {
            out.emit(record);
        }
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, checkpoint: CheckpointId) -> Result<(), BoxError> {
        self.completed.fetch_max(checkpoint.0, Ordering::SeqCst);
        Ok(())
    }
}

/// Records per source.
const N: i64 = 3_000;

/// Source A sends the even numbers below 2N, source B the odd ones (each at parallelism 1,
/// so each key's records keep their order); keyed by `v % 10` at parallelism 2, running
/// sums per key, then a slow (and, with `fail`, once failing) step and a commit sink.
fn exactly_once_run(fail: bool, dir: &Path) -> (weir::JobExecutionResult, Committed) {
    let (result, committed) = exactly_once_job(fail, dir, 2, None, 0);
    (result.unwrap_or_else(|e| panic!("failed: {e}")), committed)
}

/// Committed records, by `(writer id, checkpoint)`, as one run committed them.
type Committed = BTreeMap<(u64, u64), Vec<(i64, i64)>>;

/// The job of [`exactly_once_run`] at `parallelism`, resumed from checkpoint `restore`:
/// its result and what it committed, by writer and checkpoint.
fn exactly_once_job(
    fail: bool,
    dir: &Path,
    parallelism: usize,
    restore: Option<CheckpointId>,
    aligned_timeout_ms: u64,
) -> (Result<weir::JobExecutionResult, JobError>, Committed) {
    let mut settings = settings(CheckpointMode::Unaligned, 10, 10_000, dir);
    settings.config.aligned_timeout_ms = aligned_timeout_ms;
    settings.restore = restore.map(|id| Restore { storage: settings.storage.clone(), checkpoint: Some(id) });
    let env = StreamExecutionEnvironment::new()
        .with_parallelism(parallelism)
        .with_batch_size(8)
        .with_channel_capacity(16)
        .with_buffer_timeout(Some(Duration::from_millis(2)))
        .with_restart_strategy(RestartStrategy::FixedDelay { attempts: 2, delay: Duration::ZERO })
        .enable_checkpointing(settings);
    let keyed = |v: i64| (v % 10, v);
    let evens = env.from_sequence(0, N - 1).set_parallelism(1).map(move |x: i64| keyed(2 * x)).set_parallelism(1);
    let odds = env.from_sequence(0, N - 1).set_parallelism(1).map(move |x: i64| keyed(2 * x + 1)).set_parallelism(1);
    let armed = Arc::new(AtomicBool::new(fail));
    let (seen, completed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let destination = Destination::default();
    evens
        .union(&odds)
        .key_by(|t: &(i64, i64)| t.0)
        .reduce(|a, b| (a.0, a.1 + b.1))
        .transform("SlowFailing", move |_: &SubtaskInfo| {
            Ok(SlowFailing {
                armed: armed.clone(),
                seen: seen.clone(),
                completed: completed.clone(),
                fail_after: N as u64,
                _t: PhantomData,
            })
        })
        .sink_to(CommitSink(destination.clone()), "commit");
    let result = execute_within(&env, "exactly once", LIMIT);
    let committed = destination.lock().unwrap().clone();
    (result, committed)
}

/// Every committed record, sorted.
fn records(committed: &Committed) -> Vec<(i64, i64)> {
    sorted(committed.values().flatten().copied().collect())
}

/// Per key `v % 10`: the running sums of its values in ascending order.
fn expected() -> Vec<(i64, i64)> {
    let mut sums = BTreeMap::new();
    let mut out = Vec::new();
    for v in 0..2 * N {
        let sum = sums.entry(v % 10).or_insert(0);
        *sum += v;
        out.push((v % 10, *sum));
    }
    sorted(out)
}

/// Where two sorted outputs differ: records missing from `got`, and extra ones in it.
fn difference(want: &[(i64, i64)], got: &[(i64, i64)]) -> String {
    let (mut missing, mut extra) = (want.to_vec(), Vec::new());
    for g in got {
        match missing.binary_search(g) {
            Ok(i) => {
                missing.remove(i);
            }
            Err(_) => extra.push(*g),
        }
    }
    let head = |v: &[(i64, i64)]| format!("{} (first {:?})", v.len(), &v[..v.len().min(5)]);
    format!("missing {}, extra {}", head(&missing), head(&extra))
}

/// In-flight records stored in checkpoint `id` under `dir`, in all.
fn in_flight_records(dir: &Path, id: CheckpointId) -> usize {
    let mut total = 0;
    for file in std::fs::read_dir(dir.join(format!("chk-{}", id.0))).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_some_and(|e| e == "state") {
            let state = TaskState::from_bytes(&std::fs::read(&path).unwrap()).unwrap();
            for op in state.operators.iter().filter(|o| o.operator_id.ends_with(IN_FLIGHT)) {
                for item in op.entries.iter().flat_map(|e| &e.items) {
                    let stored = InFlightState::decode(item).unwrap();
                    total += stored.batches.len();
                }
            }
        }
    }
    total
}

#[test]
fn a_job_restored_from_unaligned_checkpoints_commits_exactly_the_failure_free_output() {
    let want = expected();
    let dir = tempfile::tempdir().unwrap();
    let (result, clean) = exactly_once_run(false, dir.path());
    assert_eq!(result.restarts, 0);
    assert!(result.completed_checkpoints.len() > 2, "checkpoints were taken during the run: {result:?}");
    let clean = records(&clean);
    assert!(clean == want, "failure-free run: {}", difference(&want, &clean));

    let dir = tempfile::tempdir().unwrap();
    let (result, committed) = exactly_once_run(true, dir.path());
    assert_eq!(result.restarts, 1, "the injected failure restarts the job once");
    let from = result.restored_from.expect("the restart resumes from a checkpoint");
    let stored = in_flight_records(dir.path(), from);
    assert!(stored > 0, "{from} held no in-flight records: the restore replayed nothing");
    let restored = records(&committed);
    assert!(restored == want, "across the restore: {}", difference(&want, &restored));

    // What the run had committed up to that checkpoint (committables of later checkpoints
    // are all from after the restart).
    let before: Committed = committed.into_iter().filter(|((_, checkpoint), _)| *checkpoint <= from.0).collect();
    // The same checkpoint resumed at other parallelisms: the keyed exchange's in-flight
    // records are dealt out to the subtasks that now own their keys' sums, so the job
    // commits exactly the rest of the answer (it commits the checkpoint's own committables
    // again, under the same writer and checkpoint, which is idempotent).
    for parallelism in [3, 1, 2] {
        let copy = tempfile::tempdir().unwrap();
        let source = dir.path().join(format!("chk-{}", from.0));
        let target = copy.path().join(format!("chk-{}", from.0));
        std::fs::create_dir(&target).unwrap();
        for file in std::fs::read_dir(&source).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), target.join(file.file_name())).unwrap();
        }
        let (result, after) = exactly_once_job(false, copy.path(), parallelism, Some(from), 0);
        let result = result.unwrap_or_else(|e| panic!("restored at parallelism {parallelism}: {e}"));
        assert_eq!((result.restored_from, result.restarts), (Some(from), 0));
        let mut all = before.clone();
        all.extend(after);
        let all = records(&all);
        assert!(all == want, "{from} restored at parallelism {parallelism}: {}", difference(&want, &all));
    }
}

// ---------------------------------------------------------------------------------------
// Alignment timeout.

/// In-flight records stored by each of `result`'s completed checkpoints under `dir`.
fn stored_per_checkpoint(result: &weir::JobExecutionResult, dir: &Path) -> Vec<usize> {
    result.completed_checkpoints.iter().map(|&id| in_flight_records(dir, id)).collect()
}

#[test]
fn with_an_alignment_timeout_checkpoints_switch_to_unaligned_only_when_alignment_takes_too_long() {
    // Under backpressure alignment takes seconds: after 50 ms the checkpoints switch to
    // unaligned, store in-flight records and complete within their 1 s.
    let dir = tempfile::tempdir().unwrap();
    let result = backpressured_aligned_for(CheckpointMode::Unaligned, 50, dir.path())
        .unwrap_or_else(|e| panic!("a checkpoint with an alignment timeout failed under backpressure: {e}"));
    let stats = &result.checkpoint_stats;
    assert!(stats.completed >= 5, "only {} checkpoints completed", stats.completed);
    assert!(stats.max_duration_ms < 1_000, "{stats:?}");
    let stored = stored_per_checkpoint(&result, dir.path());
    assert!(stored.iter().any(|&n| n > 0), "no checkpoint switched to unaligned: {stored:?}");

    // A timeout never reached: every checkpoint is aligned, nothing in flight is stored.
    let dir = tempfile::tempdir().unwrap();
    let (result, committed) = exactly_once_job(false, dir.path(), 2, None, 600_000);
    let result = result.unwrap_or_else(|e| panic!("aligned in time: {e}"));
    assert!(result.completed_checkpoints.len() > 2, "checkpoints were taken: {result:?}");
    let stored = stored_per_checkpoint(&result, dir.path());
    assert!(stored.iter().all(|&n| n == 0), "an aligned checkpoint stored in-flight records: {stored:?}");
    let want = expected();
    let got = records(&committed);
    assert!(got == want, "aligned in time: {}", difference(&want, &got));
}

#[test]
fn a_job_with_an_alignment_timeout_restored_after_a_failure_commits_exactly_the_failure_free_output() {
    // A timeout of a few milliseconds under the slow step: some checkpoints align in
    // time, others switch halfway.
    let want = expected();
    let dir = tempfile::tempdir().unwrap();
    let (result, committed) = exactly_once_job(true, dir.path(), 2, None, 5);
    let result = result.unwrap_or_else(|e| panic!("failed: {e}"));
    assert_eq!(result.restarts, 1, "the injected failure restarts the job once");
    assert!(result.restored_from.is_some(), "the restart resumes from a checkpoint");
    let got = records(&committed);
    assert!(got == want, "across the restore: {}", difference(&want, &got));
}

// ---------------------------------------------------------------------------------------
// Refusals.

/// A record type without serde.
#[derive(Debug, Clone, PartialEq)]
struct Opaque(u32);

#[test]
fn an_edge_whose_records_cannot_be_stored_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let env = StreamExecutionEnvironment::new().with_parallelism(2).enable_checkpointing(settings(
        CheckpointMode::Unaligned,
        100,
        10_000,
        dir.path(),
    ));
    let numbers = env.from_collection(vec![1u32, 2, 3]).with_record_serializer();
    let got = numbers.map(Opaque).name("Wrap").rebalance().map(|o: Opaque| o.0).collect();
    let err = execute_within(&env, "opaque", LIMIT).unwrap_err().to_string();
    assert!(
        err.contains("'Wrap' -> 'Map'") && err.contains("Opaque") && err.contains("with_record_serializer"),
        "{err}"
    );
    drop(got);

    // With the serializer the same job runs.
    let dir = tempfile::tempdir().unwrap();
    let env = StreamExecutionEnvironment::new().with_parallelism(2).enable_checkpointing(settings(
        CheckpointMode::Unaligned,
        100,
        10_000,
        dir.path(),
    ));
    let numbers = env.from_collection(vec![1u32, 2, 3]).with_record_serializer();
    let got = numbers.rebalance().map(|x: u32| x * 2).with_record_serializer().collect();
    execute_within(&env, "serializable", LIMIT).unwrap();
    assert_eq!(sorted(got.take()), vec![2, 4, 6]);
}
