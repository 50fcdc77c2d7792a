//! End to end: checkpoints and recovery of every stateful operator family.
//!
//! Each family's job runs twice over the same paced input, with checkpoints every
//! 10 ms: once without failure, once with one failure injected after a checkpoint
//! completed (the job restarts from the latest checkpoint, replaying the source from its
//! recorded position). Output goes through a test-local two-phase-commit sink, so what is
//! committed is exactly what the restored state produces: both runs must commit the same
//! multiset of records. State that a checkpoint forgot (or restored twice) changes the
//! second run's output.
//!
//! A rescale test takes a savepoint at parallelism 2 and resumes from it at parallelism
//! 1 and 4: keyed state, windows and timers move with their key groups.
//!
//! Keyed process functions, windows and rolling reductions run on both state backends:
//! the heap (`hashmap`) and the embedded LSM (`embedded`; windows and rolling reductions
//! with incremental checkpoints), whose snapshots restore into either.
//!
//! Inputs are read and prepared by one subtask up to the `key_by`, so the records of
//! each key arrive in the same order in every run, and timestamps ascend, so no record
//! is late: the outputs are deterministic however the threads interleave.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;
use weir::join::{JoinContext, ProcessJoinFn};
use weir::prelude::*;
use weir::window::{
    AggregateFunction, EventTimeSessionWindows, ProcessWindowFn, ProcessWindowFunction, SlidingEventTimeWindows,
    TimeWindow, TumblingEventTimeWindows, WindowContext, WindowStateKey,
};
use weir::{JobExecutionResult, StreamRecord};
use weir_checkpoint::{CheckpointConfig, LocalDirStorage};
use weir_core::CheckpointId;
use weir_runtime::restart::RestartStrategy;
use weir_runtime::{CheckpointSettings, Committer, Emitter, Operator, Restore, Sink, SinkWriter, SubtaskInfo};
use weir_state::{AggregateFunction as StateAggregate, AggregatingStateDescriptor, ReducingStateDescriptor};
use weir_state::{AggregatingState, ReducingState, StateBackendConfig};

/// How long one job may take: a paced job runs for about a second.
const DEADLINE: Duration = Duration::from_secs(60);

/// Records per input: about 0.6 s at the pace below, tens of checkpoints.
const N: i64 = 2_000;

/// After how many records the failure is injected (once a checkpoint has completed).
const FAIL_AFTER: i64 = 1_200;

// ---------------------------------------------------------------------------------------
// A two-phase-commit sink that commits into memory.

/// Makes writer ids unique across subtasks, attempts and jobs of this test binary.
static NEXT_WRITER: AtomicU64 = AtomicU64::new(0);

/// Where a [`CommitSink`] makes records visible: the records of each committable,
/// by `(writer id, checkpoint)`.
type Destination<T> = Arc<Mutex<BTreeMap<(u64, u64), Vec<T>>>>;

/// Every record visible in `destination`, sorted.
fn visible<T: Clone + Ord>(destination: &Destination<T>) -> Vec<T> {
    sorted(destination.lock().unwrap().values().flatten().cloned().collect())
}

/// A two-phase-commit sink: a writer buffers records; `prepare_commit` turns the buffer
/// into a committable `(writer id, checkpoint, records)`; the committer puts the records
/// of a committable into the destination once — committing it again does nothing.
struct CommitSink<T> {
    destination: Destination<T>,
}

struct CommitWriter<T> {
    id: u64,
    buffer: Vec<T>,
}

impl<T: Serialize + Send + 'static> SinkWriter<T> for CommitWriter<T> {
    fn write(&mut self, batch: &mut Vec<StreamRecord<T>>) -> Result<(), BoxError> {
        self.buffer.extend(batch.drain(..).map(|r| r.value));
        Ok(())
    }

    fn flush(&mut self, _end_of_input: bool) -> Result<(), BoxError> {
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

struct CommitInto<T> {
    destination: Destination<T>,
}

impl<T: DeserializeOwned + Send + 'static> Committer for CommitInto<T> {
    fn commit(&self, committables: &[Vec<u8>]) -> Result<(), BoxError> {
        for c in committables {
            let (writer, checkpoint, records): (u64, u64, Vec<T>) = bincode::deserialize(c)?;
            self.destination.lock().unwrap().entry((writer, checkpoint)).or_insert(records);
        }
        Ok(())
    }
}

impl<T> Sink<T> for CommitSink<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    type Writer = CommitWriter<T>;

    fn create_writer(&self, _subtask: &SubtaskInfo) -> Result<CommitWriter<T>, BoxError> {
        Ok(CommitWriter { id: NEXT_WRITER.fetch_add(1, Ordering::SeqCst), buffer: Vec::new() })
    }

    fn create_committer(&self) -> Result<Option<Box<dyn Committer>>, BoxError> {
        Ok(Some(Box::new(CommitInto { destination: self.destination.clone() })))
    }
}

// ---------------------------------------------------------------------------------------
// Pacing and failure injection.

/// Passes records on, sleeping 1 ms every 4 of them (so that checkpoints complete while
/// the job runs) and counting them in `seen`; notes the newest checkpoint it is told is
/// complete in `completed`; when `fail` is armed, panics once at the first record after
/// `FAIL_AFTER` records, provided a checkpoint has completed. `fast` turns the pacing off.
struct Pacer<T> {
    fail: Option<Arc<AtomicBool>>,
    seen: Arc<AtomicU64>,
    completed: Arc<AtomicU64>,
    fast: Arc<AtomicBool>,
    count: i64,
    _t: PhantomData<fn(T)>,
}

impl<T: Send + 'static> Operator for Pacer<T> {
    type In = T;
    type Out = T;

    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<T>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            self.count += 1;
            self.seen.fetch_add(1, Ordering::SeqCst);
            if self.count % 4 == 0 && !self.fast.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            let due = self.completed.load(Ordering::SeqCst) > 0 && self.count >= FAIL_AFTER;
            if due && self.fail.as_ref().is_some_and(|armed| armed.swap(false, Ordering::SeqCst)) {
                panic!("injected failure after {} records", self.count);
            }
            out.emit(record);
        }
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, checkpoint: CheckpointId) -> Result<(), BoxError> {
        self.completed.fetch_max(checkpoint.0, Ordering::SeqCst);
        Ok(())
    }
}

/// One run of a job: its environment, and the pacing and failure switches its sources use.
struct Run {
    env: StreamExecutionEnvironment,
    fail: Option<Arc<AtomicBool>>,
    seen: Arc<AtomicU64>,
    completed: Arc<AtomicU64>,
    fast: Arc<AtomicBool>,
    _dir: tempfile::TempDir,
    /// The embedded backend's working directories (removed when the run ends).
    _state_dir: Option<tempfile::TempDir>,
}

/// The embedded backend in a fresh directory, with a small memory budget (so the LSM
/// flushes to its files during the run), and the directory.
fn embedded() -> (StateBackendConfig, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = StateBackendConfig::embedded(2 << 20);
    config.local_dir = Some(dir.path().to_path_buf());
    (config, dir)
}

/// Where a run keeps its keyed state (and windows, and timers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StateIn {
    Heap,
    Embedded,
    /// The embedded backend with incremental checkpoints: a restore reads key groups
    /// written by several checkpoints.
    EmbeddedIncremental,
}

impl Run {
    /// Keeps keyed state in the embedded backend instead of on the heap.
    fn on_embedded_state(self) -> Run {
        self.on(StateIn::Embedded)
    }

    /// Keeps keyed state where `state` says.
    fn on(mut self, state: StateIn) -> Run {
        if state == StateIn::Heap {
            return self;
        }
        let (mut config, dir) = embedded();
        config.incremental = state == StateIn::EmbeddedIncremental;
        self.env = self.env.clone().with_state_backend(config);
        self._state_dir = Some(dir);
        self
    }

    /// A run at `parallelism`, checkpointing every 10 ms, restarting at most twice at
    /// once; with `fail`, one failure is injected into the first source.
    fn new(parallelism: usize, fail: bool) -> Run {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(LocalDirStorage::new(dir.path()).unwrap());
        Run::with_settings(
            parallelism,
            fail,
            CheckpointSettings { config: CheckpointConfig::every(10), storage, restore: None },
            dir,
        )
    }

    fn with_settings(parallelism: usize, fail: bool, settings: CheckpointSettings, dir: tempfile::TempDir) -> Run {
        let env = StreamExecutionEnvironment::new()
            .with_parallelism(parallelism)
            .with_batch_size(8)
            .with_buffer_timeout(Some(Duration::from_millis(2)))
            .with_auto_watermark_interval(Duration::from_millis(5))
            .with_restart_strategy(RestartStrategy::FixedDelay { attempts: 2, delay: Duration::ZERO })
            .enable_checkpointing(settings);
        Run {
            env,
            fail: fail.then(|| Arc::new(AtomicBool::new(true))),
            seen: Arc::default(),
            completed: Arc::default(),
            fast: Arc::default(),
            _dir: dir,
            _state_dir: None,
        }
    }

    /// The numbers `from..=to`, each stamped with itself as event time (ms), read and
    /// paced by one subtask. The first source of a run carries the failure.
    fn numbers(&mut self, from: i64, to: i64, uid: &str) -> DataStream<i64> {
        let (fail, seen, fast) = (self.fail.take(), self.seen.clone(), self.fast.clone());
        let completed = self.completed.clone();
        self.env
            .from_sequence(from, to)
            .set_parallelism(1)
            .uid(&format!("{uid}-source"))
            .transform("Pacer", move |_: &SubtaskInfo| {
                Ok(Pacer {
                    fail: fail.clone(),
                    seen: seen.clone(),
                    completed: completed.clone(),
                    fast: fast.clone(),
                    count: 0,
                    _t: PhantomData,
                })
            })
            .set_parallelism(1)
            .uid(&format!("{uid}-pacer"))
            .assign_timestamps_and_watermarks(
                WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|x: &i64, _| *x),
            )
            .set_parallelism(1)
            .uid(&format!("{uid}-timestamps"))
    }
}

/// Sends `stream` to a commit sink into a new, empty destination; returns it.
fn commit<T>(stream: &DataStream<T>) -> Destination<T>
where
    T: Data + Serialize + DeserializeOwned,
{
    commit_into(stream, Destination::default())
}

/// Sends `stream` to a commit sink into `destination`; returns it.
fn commit_into<T>(stream: &DataStream<T>, destination: Destination<T>) -> Destination<T>
where
    T: Data + Serialize + DeserializeOwned,
{
    stream.sink_to(CommitSink { destination: destination.clone() }, "Commit").uid("commit-sink");
    destination
}

/// Runs the job built in `env` on another thread, failing the test after [`DEADLINE`].
fn execute(env: &StreamExecutionEnvironment, name: &str) -> JobExecutionResult {
    // The control stays alive until the job ends: the job listens to it.
    let (_control, job) = env.execute_async(name).unwrap();
    let started = Instant::now();
    while !job.is_finished() {
        assert!(started.elapsed() < DEADLINE, "job '{name}' did not finish within {DEADLINE:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
    match job.join().unwrap() {
        Ok(result) => result,
        Err(e) => panic!("job '{name}' failed: {e}"),
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Runs the job `build` makes twice at parallelism 2 — without failure and with one —
/// and asserts both commit the same records; returns them (sorted).
fn assert_recovers<T, F>(name: &str, build: F) -> Vec<T>
where
    T: Data + Ord + std::fmt::Debug + Serialize + DeserializeOwned,
    F: Fn(&mut Run) -> DataStream<T>,
{
    assert_recovers_on(name, false, build)
}

/// As [`assert_recovers`], with keyed state in the embedded backend when `embedded`.
fn assert_recovers_on<T, F>(name: &str, embedded: bool, build: F) -> Vec<T>
where
    T: Data + Ord + std::fmt::Debug + Serialize + DeserializeOwned,
    F: Fn(&mut Run) -> DataStream<T>,
{
    assert_recovers_in(name, if embedded { StateIn::Embedded } else { StateIn::Heap }, build)
}

/// As [`assert_recovers`] on the heap and in the embedded backend with incremental
/// checkpoints; asserts both commit the same records.
fn assert_recovers_on_both<T, F>(name: &str, build: F) -> Vec<T>
where
    T: Data + Ord + std::fmt::Debug + Serialize + DeserializeOwned,
    F: Fn(&mut Run) -> DataStream<T>,
{
    let heap = assert_recovers_in(name, StateIn::Heap, &build);
    let embedded = assert_recovers_in(name, StateIn::EmbeddedIncremental, &build);
    assert!(heap == embedded, "{name}: the embedded backend committed other records than the heap");
    heap
}

/// As [`assert_recovers`], with keyed state where `state` says.
fn assert_recovers_in<T, F>(name: &str, state: StateIn, build: F) -> Vec<T>
where
    T: Data + Ord + std::fmt::Debug + Serialize + DeserializeOwned,
    F: Fn(&mut Run) -> DataStream<T>,
{
    let mut outputs = Vec::new();
    for fail in [false, true] {
        let mut run = Run::new(2, fail).on(state);
        let committed = commit(&build(&mut run));
        let result = execute(&run.env, name);
        if fail {
            assert_eq!(result.restarts, 1, "{name}: the injected failure restarts the job once: {:?}", result.failures);
            assert!(result.restored_from.is_some(), "{name}: the restart resumes from a checkpoint");
            assert!(
                result.failures[0].contains("injected failure"),
                "{name}: the cause is kept: {:?}",
                result.failures
            );
        } else {
            assert_eq!(result.restarts, 0, "{name}: {:?}", result.failures);
            assert!(result.completed_checkpoints.len() > 1, "{name}: checkpoints were taken during the run");
        }
        let got = visible(&committed);
        assert!(!got.is_empty(), "{name}: the job committed nothing");
        outputs.push(got);
    }
    let with_failure = outputs.pop().unwrap();
    let without = outputs.pop().unwrap();
    assert_eq!(without.len(), with_failure.len(), "{name}: records committed without and with a failure");
    assert!(without == with_failure, "{name}: the run with a failure committed other records");
    without
}

// ---------------------------------------------------------------------------------------
// Keyed process functions: value, list and map state, event-time timers.

/// Per key: counts records (value state), keeps the last three (list state) and emits
/// `(0, key, count, sum of the last three)` per record; sums records per 100 ms bucket
/// in map state and emits `(1, key, bucket end, sum)` from an event-time timer
/// [`TIMER_DELAY`] after the bucket's end — so at any checkpoint some timers wait for
/// buckets no record will be replayed into.
#[derive(Clone, Default)]
struct Buckets {
    /// Per key: records seen.
    count: Option<ValueState<i64>>,
    /// Per key: the last three records.
    last: Option<ListState<i64>>,
    /// Per key: bucket end → sum of the bucket's records.
    sums: Option<MapState<i64, i64>>,
}

/// How long after its bucket's end a bucket is emitted (ms of event time).
const TIMER_DELAY: i64 = 300;

impl KeyedProcessFunction<i64, i64, (u8, i64, i64, i64)> for Buckets {
    fn open(&mut self, ctx: &mut RuntimeContext<i64>) -> Result<(), BoxError> {
        self.count = Some(ctx.get_state(&ValueStateDescriptor::new("count"))?);
        self.last = Some(ctx.get_list_state(&ListStateDescriptor::new("last"))?);
        self.sums = Some(ctx.get_map_state(&MapStateDescriptor::new("sums"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        x: i64,
        ctx: &mut KeyedContext<i64>,
        out: &mut Collector<(u8, i64, i64, i64)>,
    ) -> Result<(), BoxError> {
        let (count, last, sums) = (self.count.unwrap(), self.last.unwrap(), self.sums.unwrap());
        let n = count.value(ctx)?.unwrap_or(0) + 1;
        count.update(ctx, n)?;
        let mut recent = last.get(ctx)?;
        recent.push(x);
        if recent.len() > 3 {
            recent.remove(0);
        }
        last.update(ctx, recent.clone())?;
        out.collect((0, *ctx.current_key(), n, recent.iter().sum()));
        let bucket_end = (x / 100 + 1) * 100;
        let sum = sums.get(ctx, &bucket_end)?.unwrap_or(0) + x;
        sums.put(ctx, bucket_end, sum)?;
        ctx.timer_service().register_event_time_timer(bucket_end + TIMER_DELAY);
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<i64>,
        out: &mut Collector<(u8, i64, i64, i64)>,
    ) -> Result<(), BoxError> {
        let bucket_end = timestamp - TIMER_DELAY;
        let sum = self.sums.unwrap().remove(ctx, &bucket_end)?.unwrap_or(0);
        out.collect((1, *ctx.current_key(), bucket_end, sum));
        Ok(())
    }
}

#[test]
fn keyed_process_state_and_timers_survive_a_failure() {
    check_buckets(false);
}

#[test]
fn keyed_process_state_in_the_embedded_backend_survives_a_failure() {
    check_buckets(true);
}

fn check_buckets(embedded: bool) {
    let got = assert_recovers_on("keyed process", embedded, |run| {
        run.numbers(1, N, "in").key_by(|x: &i64| x % 7).process(Buckets::default()).uid("buckets")
    });
    // One output per record, and one per (key, bucket): every bucket's timer fired once.
    assert_eq!(got.iter().filter(|o| o.0 == 0).count(), N as usize);
    let fired: Vec<_> = got.iter().filter(|o| o.0 == 1).collect();
    let buckets: HashSet<(i64, i64)> = (1..=N).map(|x| (x % 7, (x / 100 + 1) * 100)).collect();
    assert_eq!(fired.len(), buckets.len());
    assert_eq!(fired.iter().map(|o| o.3).sum::<i64>(), N * (N + 1) / 2);
}

// ---------------------------------------------------------------------------------------
// Rolling reduce.

#[test]
fn rolling_sums_survive_a_failure() {
    let got = assert_recovers_on_both("rolling sum", |run| {
        run.numbers(1, N, "in")
            .map(|x: i64| (x % 5, x))
            .set_parallelism(1)
            .key_by(|t: &(i64, i64)| t.0)
            .sum(1)
            .uid("sum")
    });
    assert_eq!(got.len(), N as usize);
    for key in 0..5 {
        let last = got.iter().filter(|t| t.0 == key).map(|t| t.1).max();
        assert_eq!(last, Some((1..=N).filter(|x| x % 5 == key).sum::<i64>()), "key {key}");
    }
}

// ---------------------------------------------------------------------------------------
// Windows.

/// `(key, 1, value)`: a record to count and sum in windows.
type Counted = (i64, i64, i64);

/// The key of a [`Counted`].
fn key_of(t: &Counted) -> i64 {
    t.0
}

/// The input as [`Counted`] records of 5 keys.
fn counted(run: &mut Run) -> KeyedStream<Counted, fn(&Counted) -> i64> {
    run.numbers(1, N, "in").map(|x: i64| (x % 5, 1i64, x)).set_parallelism(1).key_by(key_of as fn(&Counted) -> i64)
}

#[test]
fn tumbling_windows_by_slicing_survive_a_failure() {
    let got = assert_recovers_on_both("tumbling windows", |run| {
        counted(run)
            .window(TumblingEventTimeWindows::of(Duration::from_millis(50)))
            .reduce(|a, b| (a.0, a.1 + b.1, a.2 + b.2))
            .uid("tumbling")
    });
    assert_eq!(got.iter().map(|t| t.1).sum::<i64>(), N, "every record counted once");
}

#[test]
fn sliding_windows_by_slicing_survive_a_failure() {
    let got = assert_recovers_on_both("sliding windows", |run| {
        counted(run)
            .window(SlidingEventTimeWindows::of(Duration::from_millis(100), Duration::from_millis(30)))
            .sum(2)
            .uid("sliding")
    });
    // One result per key and window [30k, 30k + 100) holding a record of the key.
    let windows: HashSet<(i64, i64)> =
        (1..=N).flat_map(|x| (0..4).map(move |i| (x % 5, (x / 30 - i) * 30)).filter(move |w| w.1 + 100 > x)).collect();
    assert_eq!(got.len(), windows.len());
}

/// Count and sum of a session (merging accumulators).
#[derive(Clone)]
struct CountSum;

impl AggregateFunction<(i64, i64, i64)> for CountSum {
    type Acc = (i64, i64, i64);
    type Out = (i64, i64, i64);
    fn create_accumulator(&self) -> (i64, i64, i64) {
        (0, 0, 0)
    }
    fn add(&self, v: (i64, i64, i64), acc: &mut (i64, i64, i64)) {
        *acc = (v.0, acc.1 + 1, acc.2 + v.2);
    }
    fn get_result(&self, acc: &(i64, i64, i64)) -> (i64, i64, i64) {
        *acc
    }
    fn merge(&self, a: (i64, i64, i64), b: (i64, i64, i64)) -> (i64, i64, i64) {
        (a.0.max(b.0), a.1 + b.1, a.2 + b.2)
    }
}

/// Whether `x` is kept for the session test: each key's records come in runs of 60 ms
/// with 40 ms between them, the keys' runs shifted by 20 ms against each other.
fn in_session_run(x: i64) -> bool {
    (x + 20 * (x % 5)) % 100 < 60
}

#[test]
fn session_windows_survive_a_failure() {
    // A session closes 30 ms after its key's last record (a key sees a record every 5 ms
    // inside a run). Whenever the checkpoint is taken, some key's session has just seen
    // its last record and waits for its timer: it comes back from the checkpoint only.
    let got = assert_recovers_on_both("session windows", |run| {
        run.numbers(1, N, "in")
            .filter(|x: &i64| in_session_run(*x))
            .set_parallelism(1)
            .map(|x: i64| (x % 5, 1i64, x))
            .set_parallelism(1)
            .key_by(|t: &(i64, i64, i64)| t.0)
            .window(EventTimeSessionWindows::with_gap(Duration::from_millis(30)))
            .aggregate(CountSum)
            .uid("sessions")
    });
    let kept = (1..=N).filter(|x| in_session_run(*x));
    let sessions: HashSet<(i64, i64)> = kept.clone().map(|x| (x % 5, (x + 20 * (x % 5)) / 100)).collect();
    assert_eq!(got.len(), sessions.len(), "one session per key and run");
    assert_eq!(got.iter().map(|s| s.1).sum::<i64>(), kept.count() as i64);
}

/// Emits `(key, window start, elements, sum, windows of the key so far)`; the last is
/// kept in the key's global window state.
#[derive(Clone, Default)]
struct Describe {
    fired: Option<ValueState<u32>>,
}

impl ProcessWindowFunction<i64, (i64, i64, i64), (i64, i64, usize, i64, u32), TimeWindow> for Describe {
    fn open(&mut self, ctx: &mut RuntimeContext<WindowStateKey<i64, TimeWindow>>) -> Result<(), BoxError> {
        self.fired = Some(ctx.get_state(&ValueStateDescriptor::new("fired"))?);
        Ok(())
    }

    fn process(
        &mut self,
        key: &i64,
        ctx: &mut WindowContext<i64, TimeWindow>,
        elements: &[(i64, i64, i64)],
        out: &mut Collector<(i64, i64, usize, i64, u32)>,
    ) -> Result<(), BoxError> {
        let fired = self.fired.unwrap();
        let mut global = ctx.global_state();
        let n = fired.value(&mut global)?.unwrap_or(0) + 1;
        fired.update(&mut global, n)?;
        out.collect((*key, ctx.window().start, elements.len(), elements.iter().map(|e| e.2).sum(), n));
        Ok(())
    }
}

#[test]
fn process_window_functions_survive_a_failure() {
    // Sliding windows: at any checkpoint, five windows of each key hold records.
    let got = assert_recovers_on_both("process windows", |run| {
        counted(run)
            .window(SlidingEventTimeWindows::of(Duration::from_millis(100), Duration::from_millis(20)))
            .process(Describe::default())
            .uid("process-window")
    });
    assert_eq!(got.iter().map(|w| w.2).sum::<usize>(), 5 * N as usize, "each record in five windows");
    // Windows per key are numbered 1, 2, … in order: the global state was restored.
    let per_key = got.iter().filter(|w| w.0 == 0).map(|w| w.4).collect::<Vec<_>>();
    assert_eq!(per_key, (1..=per_key.len() as u32).collect::<Vec<_>>());
}

#[test]
fn count_windows_survive_a_failure() {
    let got = assert_recovers_on_both("count windows", |run| {
        counted(run).count_window(7).reduce(|a, b| (a.0, a.1 + b.1, a.2 + b.2)).uid("count-window")
    });
    assert!(got.iter().all(|w| w.1 == 7), "each window holds 7 records");
    assert_eq!(got.len(), 5 * (N as usize / 5 / 7));
}

#[test]
fn sliding_count_windows_with_an_evictor_survive_a_failure() {
    let got = assert_recovers_on_both("sliding count windows", |run| {
        counted(run).count_window_sliding(5, 3).reduce(|a, b| (a.0, a.1 + b.1, a.2 + b.2)).uid("evicting")
    });
    assert_eq!(got.len(), 5 * (N as usize / 5 / 3));
}

// ---------------------------------------------------------------------------------------
// Joins.

#[test]
fn interval_joins_survive_a_failure() {
    let got = assert_recovers("interval join", |run| {
        let left = run.numbers(1, N, "left").key_by(|x: &i64| x % 5);
        let right = run.numbers(1, N, "right").filter(|x: &i64| x % 3 == 0).set_parallelism(1).key_by(|x: &i64| x % 5);
        left.interval_join(&right)
            .between(-12, 7)
            .process(ProcessJoinFn::new(|l: &i64, r: &i64, _: &mut JoinContext, out: &mut Collector<(i64, i64)>| {
                out.collect((*l, *r));
                Ok(())
            }))
            .uid("interval-join")
    });
    let expected = (1..=N)
        .flat_map(|l| (1..=N).filter(move |r| r % 3 == 0 && r % 5 == l % 5 && (l - 12..=l + 7).contains(r)))
        .count();
    assert_eq!(got.len(), expected);
}

#[test]
fn window_joins_survive_a_failure() {
    let got = assert_recovers_on_both("window join", |run| {
        let a = run.numbers(1, N, "a");
        let b = run.numbers(1, N, "b").filter(|x: &i64| x % 2 == 0).set_parallelism(1);
        a.join(&b)
            .where_(|x: &i64| x % 5)
            .equal_to(|x: &i64| x % 5)
            .window(TumblingEventTimeWindows::of(Duration::from_millis(40)))
            .apply(|x: &i64, y: &i64| (*x, *y))
            .uid("window-join")
    });
    let expected =
        (1..=N).flat_map(|x| (1..=N).filter(move |y| y % 2 == 0 && y % 5 == x % 5 && y / 40 == x / 40)).count();
    assert_eq!(got.len(), expected);
}

// ---------------------------------------------------------------------------------------
// Broadcast state.

/// Adds the sum of the broadcast rules to each record. A subtask counts itself in
/// `ready` once it holds all three rules; the main input waits for every subtask, so
/// every record sees the complete rules — in the run with a failure too, where the rules
/// (read long before) come back only from the checkpoint.
#[derive(Clone)]
struct AddRules {
    ready: Arc<AtomicUsize>,
}

impl BroadcastProcessFunction<i64, (String, i64), (i64, i64), String, i64> for AddRules {
    fn process_element(
        &mut self,
        x: i64,
        ctx: &ReadOnlyBroadcastContext<String, i64>,
        out: &mut Collector<(i64, i64)>,
    ) -> Result<(), BoxError> {
        out.collect((x, ctx.broadcast_state().values().sum()));
        Ok(())
    }

    fn process_broadcast_element(
        &mut self,
        (name, value): (String, i64),
        ctx: &mut BroadcastContext<String, i64>,
        _: &mut Collector<(i64, i64)>,
    ) -> Result<(), BoxError> {
        let state = ctx.broadcast_state();
        state.insert(name, value);
        if state.len() == 3 {
            self.ready.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

#[test]
fn broadcast_state_survives_a_failure() {
    let got = assert_recovers("broadcast state", |run| {
        let ready = Arc::new(AtomicUsize::new(0));
        let rules = run
            .env
            .from_collection(vec![
                ("a".to_string(), 1i64),
                ("b".to_string(), 10),
                ("a".to_string(), 100),
                ("c".into(), 1000),
            ])
            .uid("rules")
            .broadcast_state(MapStateDescriptor::<String, i64>::new("rules"));
        let waiting = ready.clone();
        run.numbers(1, N, "in")
            .map(move |x: i64| {
                // Holds the first record back until both subtasks hold the rules.
                while waiting.load(Ordering::SeqCst) < 2 {
                    std::thread::sleep(Duration::from_millis(1));
                }
                x
            })
            .set_parallelism(1)
            .uid("wait-for-rules")
            .rebalance()
            .connect_broadcast(&rules)
            .process(AddRules { ready })
            .uid("add-rules")
    });
    assert_eq!(got, (1..=N).map(|x| (x, 1110)).collect::<Vec<_>>());
}

// ---------------------------------------------------------------------------------------
// Reducing and aggregating state.

/// The number of records of a key, as an aggregate (the accumulator is the count).
#[derive(Clone)]
struct CountOf;

impl StateAggregate<i64> for CountOf {
    type Acc = i64;
    type Out = i64;
    fn create_accumulator(&self) -> i64 {
        0
    }
    fn add(&self, _value: i64, acc: &mut i64) {
        *acc += 1;
    }
    fn get_result(&self, acc: &i64) -> i64 {
        *acc
    }
    fn merge(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

/// Per key: the running count (aggregating state) and sum (reducing state) of its
/// records; emits `(2, key, count, sum)` per record.
#[derive(Clone, Default)]
struct Running {
    sum: Option<ReducingState<i64>>,
    count: Option<AggregatingState<i64, CountOf>>,
}

impl KeyedProcessFunction<i64, i64, Row> for Running {
    fn open(&mut self, ctx: &mut RuntimeContext<i64>) -> Result<(), BoxError> {
        self.sum = Some(ctx.get_reducing_state(&ReducingStateDescriptor::new("sum", |a: i64, b: i64| a + b))?);
        self.count = Some(ctx.get_aggregating_state(&AggregatingStateDescriptor::new("count", CountOf))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        x: i64,
        ctx: &mut KeyedContext<i64>,
        out: &mut Collector<Row>,
    ) -> Result<(), BoxError> {
        let (sum, count) = (self.sum.as_ref().unwrap(), self.count.as_ref().unwrap());
        sum.add(ctx, x)?;
        count.add(ctx, x)?;
        out.collect((2, *ctx.current_key(), count.get(ctx)?.unwrap(), sum.get(ctx)?.unwrap()));
        Ok(())
    }
}

#[test]
fn reducing_and_aggregating_state_survive_a_failure_on_both_backends() {
    for embedded in [false, true] {
        let got = assert_recovers_on("running", embedded, |run| {
            run.numbers(1, N, "in").key_by(|x: &i64| x % 11).process(Running::default()).uid("running")
        });
        assert_eq!(sorted(got), expected_running());
    }
}

/// What [`Running`] emits over `1..=N` keyed by `x % 11`.
fn expected_running() -> Vec<Row> {
    let mut totals = [(0i64, 0i64); 11];
    let mut out = Vec::new();
    for x in 1..=N {
        let t = &mut totals[(x % 11) as usize];
        *t = (t.0 + 1, t.1 + x);
        out.push((2u8, x % 11, t.0, t.1));
    }
    sorted(out)
}

// ---------------------------------------------------------------------------------------
// Rescaling from a savepoint.

/// An output of the rescale job: `(0, key, sum, 0)`, `(1, key, window start, count)`,
/// `(2, key, count, sum)`, `(3, key, window end, count)` or `(4, key, count, sum)`.
type Row = (u8, i64, i64, i64);

/// The rescale job: rolling sums per key (13 keys), per-key counts of 100 ms windows,
/// a keyed process function's running counts and sums (11 keys), per-key counts of
/// sliding windows (by slicing) and per-key counts and sums of sessions.
fn rescale_job(run: &mut Run) -> DataStream<Row> {
    let numbers = run.numbers(1, N, "in");
    let sums = numbers
        .map(|x: i64| (x % 13, x))
        .set_parallelism(1)
        .key_by(|t: &(i64, i64)| t.0)
        .sum(1)
        .uid("sums")
        .map(|(key, sum): (i64, i64)| (0u8, key, sum, 0i64));
    let windows = numbers
        .map(|x: i64| (x % 13, 1i64))
        .set_parallelism(1)
        .key_by(|t: &(i64, i64)| t.0)
        .window(TumblingEventTimeWindows::of(Duration::from_millis(100)))
        .process(ProcessWindowFn::new(
            |key: &i64, ctx: &mut WindowContext<i64, TimeWindow>, e: &[(i64, i64)], out: &mut Collector<Row>| {
                out.collect((1, *key, ctx.window().start, e.len() as i64));
                Ok(())
            },
        ))
        .uid("windows");
    let running = numbers.key_by(|x: &i64| x % 11).process(Running::default()).uid("running");
    // Windows by slicing: `(3, key, window end, count)`.
    let sliced = numbers
        .map(|x: i64| (x % 7, 1i64))
        .set_parallelism(1)
        .key_by(|t: &(i64, i64)| t.0)
        .window(SlidingEventTimeWindows::of(Duration::from_millis(200), Duration::from_millis(100)))
        .reduce(|a, b| (a.0, a.1 + b.1))
        .uid("sliced")
        .process(ProcessFn::new(|(key, n): (i64, i64), ctx: &mut Context, out: &mut Collector<Row>| {
            out.collect((3, key, ctx.timestamp().ok_or("a window result has a timestamp")? + 1, n));
            Ok(())
        }));
    // Sessions (merging windows): `(4, key, count, sum)`.
    let sessions = numbers
        .filter(|x: &i64| in_session_run(*x))
        .set_parallelism(1)
        .map(|x: i64| (x % 5, 1i64, x))
        .set_parallelism(1)
        .key_by(|t: &(i64, i64, i64)| t.0)
        .window(EventTimeSessionWindows::with_gap(Duration::from_millis(30)))
        .aggregate(CountSum)
        .uid("sessions")
        .map(|(key, count, sum): (i64, i64, i64)| (4u8, key, count, sum));
    sums.union(&windows).union(&running).union(&sliced).union(&sessions)
}

#[test]
fn a_savepoint_resumes_at_another_parallelism() {
    // Heap to heap, and into the embedded backend (windows, sums and keyed state move
    // from the heap's formats into the store).
    savepoint_then_resume(false, &[(1, false), (4, false), (4, true)]);
}

#[test]
fn a_savepoint_of_embedded_state_resumes_at_another_parallelism_on_either_backend() {
    // Back to the heap, and in the embedded backend at 1 and 4.
    savepoint_then_resume(true, &[(1, false), (1, true), (4, true)]);
}

/// Takes a savepoint at parallelism 2 (keyed state in the embedded backend when
/// `embedded`), then resumes from it at each `(parallelism, embedded)` of `resumes`.
fn savepoint_then_resume(embedded: bool, resumes: &[(usize, bool)]) {
    // What an uninterrupted run emits: each key's rolling sums, each window's count.
    let mut expected = Vec::new();
    let mut totals = [0i64; 13];
    for x in 1..=N {
        totals[(x % 13) as usize] += x;
        expected.push((0u8, x % 13, totals[(x % 13) as usize], 0i64));
    }
    for (key, start) in (1..=N).map(|x| (x % 13, x / 100 * 100)).collect::<BTreeSet<_>>() {
        let count = (start..start + 100).filter(|x| (1..=N).contains(x) && x % 13 == key).count();
        expected.push((1, key, start, count as i64));
    }
    expected.extend(expected_running());
    for key in 0..7 {
        for end in (100..=N + 200).step_by(100) {
            let count = (end - 200..end).filter(|x| (1..=N).contains(x) && x % 7 == key).count() as i64;
            if count > 0 {
                expected.push((3, key, end, count));
            }
        }
    }
    let mut sessions: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
    for x in (1..=N).filter(|x| in_session_run(*x)) {
        let s = sessions.entry((x % 5, (x + 20 * (x % 5)) / 100)).or_default();
        *s = (s.0 + 1, s.1 + x);
    }
    expected.extend(sessions.iter().map(|((key, _), (count, sum))| (4u8, *key, *count, *sum)));
    let expected = sorted(expected);

    // Take a savepoint at parallelism 2 while the paced input is about a quarter read.
    let dir = tempfile::tempdir().unwrap();
    let savepoints = dir.path().to_path_buf();
    let storage = Arc::new(LocalDirStorage::new(&savepoints).unwrap());
    let settings = CheckpointSettings { config: CheckpointConfig::every(30), storage, restore: None };
    let mut first = Run::with_settings(2, false, settings, dir);
    if embedded {
        first = first.on_embedded_state();
    }
    let committed = commit(&rescale_job(&mut first));
    let (control, job) = first.env.execute_async("rescale: savepoint").unwrap();
    let started = Instant::now();
    while first.seen.load(Ordering::SeqCst) < N as u64 / 4 {
        assert!(started.elapsed() < DEADLINE, "the job did not read its input");
        std::thread::sleep(Duration::from_millis(2));
    }
    // The savepoint's source position lies between what was read before it was
    // triggered and what was read once it completed.
    let read_at_trigger = first.seen.load(Ordering::SeqCst);
    let savepoint = control.trigger_savepoint(DEADLINE).unwrap();
    let read_at_completion = first.seen.load(Ordering::SeqCst);
    // Run on paced until a checkpoint after the savepoint completed (it must commit what
    // the sink pre-committed for the savepoint), then at full speed.
    while first.completed.load(Ordering::SeqCst) < savepoint.0 {
        assert!(started.elapsed() < DEADLINE, "no checkpoint completed after the savepoint");
        std::thread::sleep(Duration::from_millis(2));
    }
    first.fast.store(true, Ordering::SeqCst);
    let result = job.join().unwrap().unwrap();
    assert_eq!(result.savepoints, vec![savepoint]);
    // Mid-stream: triggered before three quarters were read and complete before the end, so
    // the resumed jobs have records left to read (on a loaded machine the savepoint may take
    // a while to complete, so only its trigger is held to the tighter bound).
    assert!(read_at_trigger < N as u64 * 3 / 4, "the savepoint was triggered mid-stream ({read_at_trigger} read)");
    assert!(read_at_completion < N as u64, "the savepoint completed before the end ({read_at_completion} read)");
    // A savepoint commits nothing, but what the sink pre-committed for it is committed
    // with the job's next complete checkpoint: nothing is lost.
    let got = visible(&committed);
    assert_eq!(got.len(), expected.len(), "the job that took the savepoint");
    assert!(got == expected, "the job that took the savepoint committed other records");

    // Resume at parallelism 1 and 4, each into the destination as the savepoint left it:
    // what checkpoints before it committed. The restored job first commits what the sink
    // had pre-committed but not yet seen committed at the savepoint, then runs on from
    // the savepoint's source position with its sums, windows and timers, each key group
    // now in another subtask: together exactly the uninterrupted output.
    let at_savepoint: BTreeMap<(u64, u64), Vec<Row>> =
        committed.lock().unwrap().iter().filter(|((_, c), _)| *c < savepoint.0).map(|(k, v)| (*k, v.clone())).collect();
    assert!(!at_savepoint.is_empty(), "checkpoints before the savepoint committed output");
    for &(parallelism, embedded) in resumes {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(LocalDirStorage::new(dir.path()).unwrap());
        let from = Arc::new(LocalDirStorage::new(&savepoints).unwrap());
        let restore = Restore { storage: from, checkpoint: Some(savepoint) };
        let settings = CheckpointSettings { config: CheckpointConfig::every(20), storage, restore: Some(restore) };
        let mut run = Run::with_settings(parallelism, false, settings, dir);
        if embedded {
            run = run.on_embedded_state();
        }
        run.fast.store(true, Ordering::SeqCst);
        let committed = commit_into(&rescale_job(&mut run), Arc::new(Mutex::new(at_savepoint.clone())));
        let result = execute(&run.env, "rescale: restored");
        assert_eq!(result.restored_from, Some(savepoint), "parallelism {parallelism}");
        let read = run.seen.load(Ordering::SeqCst);
        let resumed = N as u64 - read_at_completion..=N as u64 - read_at_trigger;
        assert!(resumed.contains(&read), "parallelism {parallelism}: the source resumed ({read} read, {resumed:?})");
        let got = visible(&committed);
        assert_eq!(got.len(), expected.len(), "parallelism {parallelism}");
        assert!(got == expected, "parallelism {parallelism}: the resumed job's output differs");
    }
}
