//! End to end: windows, rolling reductions and the interval join restore their keyed state
//! key group by key group — each new subtask reads only its own key groups of the
//! checkpoint, one at a time, instead of every old subtask's state whole.
//!
//! Each job runs at parallelism 1 over an input whose first [`BULK`] records build a
//! few MiB of state (windows a day long stay open, every key keeps its rolling value, the
//! join buffers every left record for a day), takes a savepoint while its paced tail
//! runs, and is resumed from the savepoint at parallelism 3 (and 2, on the other
//! backend), through a storage that counts what is read. A savepoint keeps each
//! operator's keyed state (over 1 MiB) in storage until the operator reads it
//! (`RestoredItem`): read whole, as it used to be, one read would be larger than
//! [`READ_CHUNK_BYTES`] and the subtasks together would read it once each; read key
//! group by key group, no read is larger and together they read about the savepoint
//! once (plus the lengths of the key groups each passes over). The resumed job's output
//! must be exactly what an uninterrupted run gives for the records after the savepoint.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir::join::{JoinContext, ProcessJoinFn};
use weir::prelude::*;
use weir::window::{AggregateFunction, ProcessWindowFn, TimeWindow, TumblingEventTimeWindows, WindowContext};
use weir::StreamRecord;
use weir_checkpoint::{
    CheckpointConfig, CheckpointError, CheckpointStorage, LocalDirStorage, Manifest, StateHandle, StoredCheckpoint,
    TaskId, WriteFn,
};
use weir_core::CheckpointId;
use weir_runtime::restored_item::{INLINE_ITEM_BYTES, READ_CHUNK_BYTES};
use weir_runtime::{CheckpointSettings, Emitter, Operator, Restore, SubtaskInfo};
use weir_state::StateBackendConfig;

use crate::harness::{execute_within, sorted};

/// Records before the savepoint: the state's bulk.
const BULK: i64 = 16_000;
/// Records in all; the tail `BULK..N` is paced until the savepoint completed.
const N: i64 = BULK + 2_000;
/// Keys (`x % KEYS`).
const KEYS: i64 = 6_000;
/// Bytes of each record's payload: a few MiB of state.
const PAYLOAD: usize = 256;
/// Few key groups, so that each is far larger than what passing over one reads (64 KiB).
const MAX_PARALLELISM: usize = 12;
/// Generous for a loaded two-core machine.
const LIMIT: Duration = Duration::from_secs(120);
/// A day (ms): windows and join bounds no watermark of the run passes before the end.
const DAY: i64 = 86_400_000;

/// `(key, x, payload)`, stamped with `x` as event time (ms).
type Rec = (i64, i64, String);

fn payload(key: i64) -> String {
    key.to_string().chars().cycle().take(PAYLOAD).collect()
}

fn rec(x: i64) -> Rec {
    (x % KEYS, x, payload(x % KEYS))
}

// ---------------------------------------------------------------------------------------
// A storage that counts what a restore reads.

/// Reads through `inner`, counting the bytes read and the largest read.
struct Counting {
    inner: LocalDirStorage,
    read: AtomicU64,
    largest: AtomicU64,
}

impl Counting {
    /// `(bytes read, largest read)` since the last call.
    fn take(&self) -> (u64, u64) {
        (self.read.swap(0, Ordering::SeqCst), self.largest.swap(0, Ordering::SeqCst))
    }

    fn count(&self, n: u64) {
        self.read.fetch_add(n, Ordering::SeqCst);
        self.largest.fetch_max(n, Ordering::SeqCst);
    }
}

impl CheckpointStorage for Counting {
    fn write_task_state_with(
        &self,
        checkpoint: CheckpointId,
        task: TaskId,
        write: WriteFn<'_>,
    ) -> Result<StateHandle, CheckpointError> {
        self.inner.write_task_state_with(checkpoint, task, write)
    }
    fn write_file(&self, path: &str, write: WriteFn<'_>) -> Result<u64, CheckpointError> {
        self.inner.write_file(path, write)
    }
    fn read_file(&self, path: &str, size: u64) -> Result<Vec<u8>, CheckpointError> {
        self.count(size);
        self.inner.read_file(path, size)
    }
    fn delete_file(&self, path: &str) -> Result<(), CheckpointError> {
        self.inner.delete_file(path)
    }
    fn list_shared(&self) -> Result<Vec<String>, CheckpointError> {
        self.inner.list_shared()
    }
    fn write_manifest(&self, manifest: &Manifest) -> Result<(), CheckpointError> {
        self.inner.write_manifest(manifest)
    }
    fn list_completed(&self) -> Result<Vec<StoredCheckpoint>, CheckpointError> {
        self.inner.list_completed()
    }
    fn read_manifest(&self, checkpoint: CheckpointId) -> Result<Manifest, CheckpointError> {
        self.inner.read_manifest(checkpoint)
    }
    fn read_task_state(&self, checkpoint: CheckpointId, state: &StateHandle) -> Result<Vec<u8>, CheckpointError> {
        self.count(state.size);
        self.inner.read_task_state(checkpoint, state)
    }
    fn read_task_state_range(
        &self,
        checkpoint: CheckpointId,
        state: &StateHandle,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>, CheckpointError> {
        self.count(len);
        self.inner.read_task_state_range(checkpoint, state, offset, len)
    }
    fn delete(&self, checkpoint: CheckpointId) -> Result<(), CheckpointError> {
        self.inner.delete(checkpoint)
    }
}

// ---------------------------------------------------------------------------------------
// The runs.

/// Passes records on, counting them in `seen`; sleeps 1 ms per record of the tail until
/// `fast` is set, so that the savepoint is taken while the tail runs.
struct Pacer {
    seen: Arc<AtomicU64>,
    fast: Arc<AtomicBool>,
}

impl Operator for Pacer {
    type In = i64;
    type Out = i64;

    fn process(&mut self, batch: &mut Vec<StreamRecord<i64>>, out: &mut Emitter<i64>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            if record.value >= BULK && !self.fast.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            self.seen.fetch_add(1, Ordering::SeqCst);
            out.emit(record);
        }
        Ok(())
    }
}

/// Where a run keeps its keyed state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Heap,
    Embedded,
}

/// An environment at `parallelism` with keyed state in `backend` (its working directory
/// in `dir`), checkpointing into `storage` only when asked for a savepoint, resuming from
/// `restore`.
fn env(
    parallelism: usize,
    backend: Backend,
    dir: &tempfile::TempDir,
    storage: Arc<dyn CheckpointStorage>,
    restore: Option<Restore>,
) -> StreamExecutionEnvironment {
    let settings = CheckpointSettings { config: CheckpointConfig::every(3_600_000), storage, restore };
    let env = StreamExecutionEnvironment::new()
        .with_parallelism(parallelism)
        .with_max_parallelism(MAX_PARALLELISM)
        .with_buffer_timeout(Some(Duration::from_millis(2)))
        .with_auto_watermark_interval(Duration::from_millis(5))
        .enable_checkpointing(settings);
    match backend {
        Backend::Heap => env,
        Backend::Embedded => {
            let mut config = StateBackendConfig::embedded(2 << 20);
            config.local_dir = Some(dir.path().to_path_buf());
            env.with_state_backend(config)
        }
    }
}

/// The input `0..N` as [`Rec`]s stamped with `x`, read, paced and prepared by one subtask
/// (so each key's records arrive in order).
fn input(env: &StreamExecutionEnvironment, seen: &Arc<AtomicU64>, fast: &Arc<AtomicBool>) -> DataStream<Rec> {
    let (seen, fast) = (seen.clone(), fast.clone());
    env.from_sequence(0, N - 1)
        .set_parallelism(1)
        .uid("numbers")
        .transform("Pacer", move |_: &SubtaskInfo| Ok(Pacer { seen: seen.clone(), fast: fast.clone() }))
        .set_parallelism(1)
        .uid("pacer")
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|x: &i64, _| *x),
        )
        .set_parallelism(1)
        .uid("timestamps")
        .map(rec)
        .set_parallelism(1)
        .uid("records")
}

/// Runs the job `build` makes at parallelism 1 with state in `backend`, takes a savepoint
/// once the bulk is read, then resumes from it at each `(parallelism, backend)` of
/// `resumes`, asserting that each resumed job read the savepoint key group by key group;
/// returns each resumed job's output (sorted).
fn savepoint_then_resume<T, F>(name: &str, backend: Backend, resumes: &[(usize, Backend)], build: F) -> Vec<Vec<T>>
where
    T: Data + Ord,
    F: Fn(&DataStream<Rec>) -> DataStream<T>,
{
    let (ck, state) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let storage = Arc::new(LocalDirStorage::new(ck.path()).unwrap());
    let (seen, fast) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let first = env(1, backend, &state, storage.clone(), None);
    let _ = build(&input(&first, &seen, &fast)).collect();
    let (control, job) = first.execute_async(&format!("{name}: savepoint")).unwrap();
    let started = Instant::now();
    while seen.load(Ordering::SeqCst) < BULK as u64 {
        assert!(started.elapsed() < LIMIT, "{name}: the job did not read its bulk");
        std::thread::sleep(Duration::from_millis(2));
    }
    let savepoint = control.trigger_savepoint(LIMIT).unwrap();
    fast.store(true, Ordering::SeqCst);
    job.join().unwrap().unwrap();
    let size: u64 = storage.read_manifest(savepoint).unwrap().tasks.iter().map(|t| t.state.size).sum();
    // The operator's keyed state is then larger than what a restore reads at once.
    assert!(size > INLINE_ITEM_BYTES * 3 / 2, "{name}: a savepoint of a few MiB ({size} bytes)");

    let counting = Arc::new(Counting {
        inner: LocalDirStorage::new(ck.path()).unwrap(),
        read: AtomicU64::new(0),
        largest: AtomicU64::new(0),
    });
    let mut outputs = Vec::new();
    for &(parallelism, backend) in resumes {
        let (own, state) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let restore = Restore { storage: counting.clone(), checkpoint: Some(savepoint) };
        let own: Arc<dyn CheckpointStorage> = Arc::new(LocalDirStorage::new(own.path()).unwrap());
        let resumed = env(parallelism, backend, &state, own, Some(restore));
        let (seen, fast) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(true)));
        let out = build(&input(&resumed, &seen, &fast)).collect();
        let at = format!("{name}: resumed at parallelism {parallelism} on {backend:?}");
        let result = execute_within(&resumed, &at, LIMIT).unwrap_or_else(|e| panic!("{at}: {e}"));
        assert_eq!(result.restored_from, Some(savepoint), "{at}");
        let read_from = seen.load(Ordering::SeqCst);
        assert!(read_from <= (N - BULK) as u64, "{at}: the source resumed after the bulk ({read_from} read)");
        let (read, largest) = counting.take();
        eprintln!("{at}: read {read} bytes of a savepoint of {size}, at most {largest} at once");
        assert!(largest <= READ_CHUNK_BYTES, "{at}: a read of {largest} bytes: keyed state was read whole");
        // Read whole, each subtask's read would be the savepoint's size.
        let bound = size * (parallelism as u64 + 1) / 2;
        assert!(read < bound, "{at}: {read} bytes read of a savepoint of {size}: subtasks read others' key groups");
        outputs.push(sorted(out.take()));
    }
    outputs
}

// ---------------------------------------------------------------------------------------
// The operator families.

/// A window's `(operator, key, count, sum, payloads intact)`.
type Counted = (u8, i64, i64, i64, bool);

/// Counts and sums each key's values, checking the payloads.
#[derive(Clone)]
struct CountSum;

impl AggregateFunction<Rec> for CountSum {
    /// `(key, count, sum, payloads intact)`
    type Acc = (i64, i64, i64, bool);
    type Out = (i64, i64, i64, bool);
    fn create_accumulator(&self) -> Self::Acc {
        (-1, 0, 0, true)
    }
    fn add(&self, (key, x, p): Rec, acc: &mut Self::Acc) {
        *acc = (key, acc.1 + 1, acc.2 + x, acc.3 && p == payload(key));
    }
    fn get_result(&self, acc: &Self::Acc) -> Self::Out {
        *acc
    }
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc {
        (a.0.max(b.0), a.1 + b.1, a.2 + b.2, a.3 && b.3)
    }
}

/// Per key, `(key, count, sum, true)` over the whole input.
fn counts_and_sums() -> Vec<(i64, i64, i64, bool)> {
    let mut per_key: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for x in 0..N {
        let e = per_key.entry(x % KEYS).or_default();
        *e = (e.0 + 1, e.1 + x);
    }
    per_key.into_iter().map(|(key, (count, sum))| (key, count, sum, true)).collect()
}

#[test]
fn windows_restore_their_key_groups_one_at_a_time() {
    // Two day-long windows per key, open until the end: the general operator keeping
    // every element (`0`), and the slicing operator's accumulators (`1`).
    let outputs =
        savepoint_then_resume("windows", Backend::Embedded, &[(3, Backend::Embedded), (2, Backend::Heap)], |records| {
            let keyed = records.key_by(|r: &Rec| r.0);
            let elements = keyed
                .window(TumblingEventTimeWindows::of(Duration::from_millis(DAY as u64)))
                .process(ProcessWindowFn::new(
                    |key: &i64, _: &mut WindowContext<i64, TimeWindow>, e: &[Rec], out: &mut Collector<Counted>| {
                        let intact = e.iter().all(|r| r.2 == payload(*key));
                        out.collect((0u8, *key, e.len() as i64, e.iter().map(|r| r.1).sum::<i64>(), intact));
                        Ok(())
                    },
                ))
                .uid("elements");
            let sliced = keyed
                .window(TumblingEventTimeWindows::of(Duration::from_millis(DAY as u64)))
                .aggregate(CountSum)
                .uid("sliced")
                .map(|(key, count, sum, intact): (i64, i64, i64, bool)| (1u8, key, count, sum, intact));
            elements.union(&sliced)
        });
    let expected: Vec<_> = sorted(
        (0..2u8).flat_map(|tag| counts_and_sums().into_iter().map(move |(k, c, s, i)| (tag, k, c, s, i))).collect(),
    );
    for got in outputs {
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "the resumed windows emitted other counts and sums");
    }
}

#[test]
fn rolling_reductions_restore_their_key_groups_one_at_a_time() {
    let outputs =
        savepoint_then_resume("reduce", Backend::Embedded, &[(3, Backend::Embedded), (2, Backend::Heap)], |records| {
            records
                .map(|(key, x, p): Rec| (key, x, x, p))
                .set_parallelism(1)
                .key_by(|r: &(i64, i64, i64, String)| r.0)
                .reduce(|a, b| (a.0, b.1, a.2 + b.2, if a.3 == b.3 { a.3 } else { String::new() }))
                .uid("reduce")
                .map(|(key, x, sum, p): (i64, i64, i64, String)| (x, key, sum, p == payload(key)))
        });
    // Each record after the savepoint is emitted once, with the sum of every record of
    // its key so far: the ones before the savepoint came with the restored state (and
    // the payload with the key's first record).
    let mut totals = vec![0i64; KEYS as usize];
    let rolling: Vec<i64> = (0..N)
        .map(|x| {
            totals[(x % KEYS) as usize] += x;
            totals[(x % KEYS) as usize]
        })
        .collect();
    for got in outputs {
        let from = got.first().expect("the resumed job emitted rolling values").0;
        assert!(from >= BULK, "the resumed job started after the bulk ({from})");
        let expected: Vec<_> = (from..N).map(|x| (x, x % KEYS, rolling[x as usize], true)).collect();
        assert_eq!(got.len(), expected.len());
        assert!(got == expected, "the resumed reduce emitted other values");
    }
}

#[test]
fn the_interval_join_restores_its_key_groups_one_at_a_time() {
    // Every left record is buffered for a day; the rights are the last ten records,
    // read after the savepoint, and join every left of their key up to their own time.
    let outputs = savepoint_then_resume("join", Backend::Heap, &[(3, Backend::Heap)], |records| {
        let rights = records.filter(|r: &Rec| r.1 >= N - 10).set_parallelism(1);
        records
            .key_by(|r: &Rec| r.0)
            .interval_join(&rights.key_by(|r: &Rec| r.0))
            .between(0, DAY)
            .process(ProcessJoinFn::new(
                |l: &Rec, r: &Rec, _: &mut JoinContext, out: &mut Collector<(i64, i64, bool)>| {
                    out.collect((r.1, l.1, l.2 == payload(l.0)));
                    Ok(())
                },
            ))
            .uid("join")
    });
    let expected: Vec<_> =
        (N - 10..N).flat_map(|y| (0..=y).filter(move |x| x % KEYS == y % KEYS).map(move |x| (y, x, true))).collect();
    for got in outputs {
        assert!(got.iter().filter(|p| p.1 < BULK).count() > 10, "lefts from before the savepoint joined");
        assert!(got == expected, "the resumed join emitted other pairs: {got:?}");
    }
}
