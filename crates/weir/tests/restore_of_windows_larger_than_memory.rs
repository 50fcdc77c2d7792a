//! End to end: a savepoint of window state many times the embedded backend's memory
//! budget restores at another parallelism in bounded memory — each subtask reads its own
//! key groups one at a time into the LSM, never the state as one buffer.
//!
//! One test per binary on purpose: the process's peak resident set (`VmHWM`) is the
//! measurement, and another test in the same process would add its own memory.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir::prelude::*;
use weir::window::{ProcessWindowFn, TimeWindow, TumblingEventTimeWindows, WindowContext};
use weir::{StateBackendConfig, StreamRecord};
use weir_checkpoint::{CheckpointConfig, CheckpointStorage, LocalDirStorage};
use weir_runtime::{CheckpointSettings, Emitter, Operator, Restore, SubtaskInfo};

/// Records before the savepoint, each a window element of [`VALUE_BYTES`]: 16 MiB.
const BULK: i64 = 16_384;
const VALUE_BYTES: usize = 1024;
/// Records in all; the tail is paced until the savepoint completed.
const N: i64 = BULK + 1_000;
const KEYS: i64 = 1_000;
/// The embedded backend's budget: 1 MiB per subtask, 1/16 of the state.
const BUDGET: u64 = 1 << 20;
const LIMIT: Duration = Duration::from_secs(120);

fn payload(x: i64) -> String {
    x.to_string().chars().cycle().take(VALUE_BYTES).collect()
}

/// Passes records on, counting them; sleeps 1 ms per record after the bulk until `fast`.
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

/// The process's peak resident set, from `/proc/self/status`, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc/self/status");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmHWM in kB");
    kib * 1024
}

/// Per key, `(key, elements, all intact)` of a day-long window holding every record:
/// open until the input ends. Returns the job's environment and output.
fn job(
    parallelism: usize,
    work: &std::path::Path,
    storage: Arc<dyn CheckpointStorage>,
    restore: Option<Restore>,
    seen: &Arc<AtomicU64>,
    fast: &Arc<AtomicBool>,
) -> (StreamExecutionEnvironment, weir::connectors::CollectHandle<(i64, i64, bool)>) {
    let mut config = StateBackendConfig::embedded(BUDGET);
    config.local_dir = Some(work.to_path_buf());
    let settings = CheckpointSettings { config: CheckpointConfig::every(3_600_000), storage, restore };
    let env = StreamExecutionEnvironment::new()
        .with_parallelism(parallelism)
        .with_state_backend(config)
        .with_buffer_timeout(Some(Duration::from_millis(2)))
        .enable_checkpointing(settings);
    let (seen, fast) = (seen.clone(), fast.clone());
    let out = env
        .from_sequence(0, N - 1)
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
        .map(|x: i64| (x % KEYS, x, payload(x)))
        .set_parallelism(1)
        .uid("records")
        .key_by(|r: &(i64, i64, String)| r.0)
        .window(TumblingEventTimeWindows::of(Duration::from_secs(86_400)))
        .process(ProcessWindowFn::new(
            |key: &i64,
             _: &mut WindowContext<i64, TimeWindow>,
             e: &[(i64, i64, String)],
             out: &mut Collector<(i64, i64, bool)>| {
                let intact = e.iter().all(|r| r.0 == *key && r.2 == payload(r.1));
                out.collect((*key, e.len() as i64, intact));
                Ok(())
            },
        ))
        .uid("windows")
        .collect();
    (env, out)
}

#[test]
fn a_savepoint_of_windows_16_times_the_memory_budget_restores_in_bounded_memory() {
    let (work, ck) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let storage = Arc::new(LocalDirStorage::new(ck.path()).unwrap());
    let (seen, fast) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicBool::new(false)));
    let (env, _) = job(1, &work.path().join("first"), storage.clone(), None, &seen, &fast);
    let started = Instant::now();
    let (control, running) = env.execute_async("windows: savepoint").unwrap();
    while seen.load(Ordering::SeqCst) < BULK as u64 {
        assert!(started.elapsed() < LIMIT, "the job did not read its bulk");
        std::thread::sleep(Duration::from_millis(5));
    }
    let savepoint = control.trigger_savepoint(LIMIT).unwrap();
    fast.store(true, Ordering::SeqCst);
    running.join().unwrap().unwrap();
    let size: u64 = storage.read_manifest(savepoint).unwrap().tasks.iter().map(|t| t.state.size).sum();
    let state = BULK as u64 * VALUE_BYTES as u64;
    assert!(size >= state, "the savepoint holds the windows' {} MiB ({size} bytes)", state >> 20);
    let before = peak_rss();
    let took = started.elapsed();

    // Resume at parallelism 2: each subtask restores its half into its own LSM.
    let (own, seen) = (tempfile::tempdir().unwrap(), Arc::new(AtomicU64::new(0)));
    let restore = Restore { storage: storage.clone(), checkpoint: Some(savepoint) };
    let own: Arc<dyn CheckpointStorage> = Arc::new(LocalDirStorage::new(own.path()).unwrap());
    let (env, out) = job(2, &work.path().join("resumed"), own, Some(restore), &seen, &fast);
    let restored = Instant::now();
    let result = env.execute("windows: resumed").unwrap();
    let peak = peak_rss();
    assert_eq!(result.restored_from, Some(savepoint));
    let windows = out.take();
    assert_eq!(windows.len(), KEYS as usize, "every key's window fired");
    assert_eq!(windows.iter().map(|w| w.1).sum::<i64>(), N, "with every element, restored or read after");
    assert!(windows.iter().all(|w| w.2), "every element intact");
    eprintln!(
        "window state {} MiB, budget {} MiB per subtask; savepoint {} MiB; peak RSS {} MiB after the savepoint \
         ({:?}), {} MiB after the restore ({:?})",
        state >> 20,
        BUDGET >> 20,
        size >> 20,
        before >> 20,
        took,
        peak >> 20,
        restored.elapsed()
    );
    // Read whole, the savepoint's windows would be in memory at least once more (its
    // bytes, and their decoded snapshot); key group by key group, the restore adds little
    // more than the subtasks' budgets to what taking the savepoint needed.
    assert!(
        peak < before + state / 2,
        "peak RSS {} MiB restoring {} MiB of windows ({} MiB before)",
        peak >> 20,
        state >> 20,
        before >> 20
    );
}
