//! End to end: snapshots are serialized off the task thread.
//!
//! An operator takes a cut of its state at each barrier and hands the serialization to
//! the job ([`OperatorStateWriter::keyed_async`]); the serialization here *waits until
//! the operator has processed more records*. Were it run on the task thread (or were the
//! task to wait for it), the wait could never end and the checkpoint would be declined.
//! Every checkpoint completes instead, and what it stored is the cut, not the state the
//! operator reached meanwhile.
//!
//! The same for the heap backend's own cut: a keyed job's checkpoints restore to the
//! failure-free result (`checkpoint_recovery.rs`); here, a cut of a large heap state
//! serialized on another thread while the task rewrites it equals the state at the cut.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use weir::prelude::*;
use weir::StreamRecord;
use weir_checkpoint::{CheckpointConfig, LocalDirStorage};
use weir_core::CheckpointId;
use weir_runtime::snapshot::{OperatorStateWriter, TaskState};
use weir_runtime::{CheckpointSettings, Emitter, Operator, SubtaskInfo};
use weir_state::{HeapKeyedStateBackend, StateKind};

/// Records the serialization waits for the task to process after the cut.
const AFTER_CUT: u64 = 40;

/// What one deferred serialization saw: the count at the cut, and the count the task
/// had reached when the serialization finished.
type Seen = Arc<Mutex<Vec<(u64, u64)>>>;

/// Counts records (paced: 1 ms every 8) and snapshots the count asynchronously.
struct Counter {
    count: u64,
    shared: Arc<AtomicU64>,
    seen: Seen,
}

impl Operator for Counter {
    type In = i64;
    type Out = i64;

    fn process(&mut self, batch: &mut Vec<StreamRecord<i64>>, out: &mut Emitter<i64>) -> Result<(), BoxError> {
        for r in batch.drain(..) {
            self.count += 1;
            self.shared.store(self.count, Ordering::SeqCst);
            if self.count.is_multiple_of(8) {
                std::thread::sleep(Duration::from_millis(1));
            }
            out.emit(r);
        }
        Ok(())
    }

    fn finish(&mut self, _out: &mut Emitter<i64>) -> Result<(), BoxError> {
        // No more records: a serialization still waiting for some gives up waiting.
        self.shared.store(u64::MAX, Ordering::SeqCst);
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        let cut = self.count;
        if state.checkpoint_id() == CheckpointId::FINAL {
            // The task has ended: nothing more will be processed.
            state.keyed("count", bincode::serialize(&cut)?);
            return Ok(());
        }
        let (shared, seen) = (self.shared.clone(), self.seen.clone());
        state.keyed_async(
            "count",
            Box::new(move || {
                let deadline = Instant::now() + Duration::from_secs(20);
                while shared.load(Ordering::SeqCst) < cut + AFTER_CUT {
                    if Instant::now() > deadline {
                        return Err("the task did not process records while its snapshot was serialized".into());
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                let reached = shared.load(Ordering::SeqCst);
                if reached != u64::MAX {
                    seen.lock().unwrap().push((cut, reached));
                }
                Ok(bincode::serialize(&cut)?)
            }),
        );
        Ok(())
    }
}

#[test]
fn the_task_processes_records_while_its_snapshot_is_serialized() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(LocalDirStorage::new(dir.path()).unwrap());
    let mut config = CheckpointConfig::every(40);
    config.retained = 1_000;
    let settings = CheckpointSettings { config, storage, restore: None };
    let env = StreamExecutionEnvironment::new().enable_checkpointing(settings);
    let seen = Seen::default();
    let (shared, s) = (Arc::new(AtomicU64::new(0)), seen.clone());
    env.from_sequence(1, 4_000)
        .transform("Counter", move |_: &SubtaskInfo| Ok(Counter { count: 0, shared: shared.clone(), seen: s.clone() }))
        .uid("counter")
        .sink_to(weir::connectors::BlackholeSink::default(), "blackhole");
    let result = env.execute("async snapshots").unwrap();

    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() >= 3, "deferred serializations ran: {seen:?}");
    for (cut, reached) in &seen {
        assert!(reached >= &(cut + AFTER_CUT), "serialized while the task went on: {cut} → {reached}");
    }
    // Every checkpoint but the job's last (whose state is the final one) stored the cut.
    let cuts: Vec<u64> = seen.iter().map(|s| s.0).collect();
    let mut checked = 0;
    for id in &result.completed_checkpoints {
        let chk = dir.path().join(format!("chk-{}", id.0));
        for file in std::fs::read_dir(&chk).unwrap().flatten().filter(|f| f.file_name() != "_metadata") {
            let state = TaskState::from_bytes(&std::fs::read(file.path()).unwrap()).unwrap();
            for op in state.operators.iter().filter(|o| o.operator_id == "counter") {
                let stored: u64 = bincode::deserialize(&op.entries[0].items[0]).unwrap();
                assert!(state.finished || cuts.contains(&stored), "chk-{}: stored {stored}, cuts {cuts:?}", id.0);
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "checkpoints held the counter's state ({checked})");
}

/// Fails the serialization of every snapshot but the final one.
struct Unserializable;

impl Operator for Unserializable {
    type In = i64;
    type Out = i64;

    fn process(&mut self, batch: &mut Vec<StreamRecord<i64>>, out: &mut Emitter<i64>) -> Result<(), BoxError> {
        for r in batch.drain(..) {
            std::thread::sleep(Duration::from_micros(200));
            out.emit(r);
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        state.keyed_async("broken", Box::new(|| Err("the value type refuses to serialize".into())));
        Ok(())
    }
}

#[test]
fn a_snapshot_that_fails_to_serialize_fails_the_checkpoint_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(LocalDirStorage::new(dir.path()).unwrap());
    let settings = CheckpointSettings { config: CheckpointConfig::every(20), storage, restore: None };
    let env = StreamExecutionEnvironment::new()
        .enable_checkpointing(settings)
        .with_restart_strategy(weir_runtime::restart::RestartStrategy::None);
    env.from_sequence(1, 5_000)
        .transform("Unserializable", |_: &SubtaskInfo| Ok(Unserializable))
        .uid("unserializable")
        .sink_to(weir::connectors::BlackholeSink::default(), "blackhole");
    // No failed checkpoint is tolerated (Flink's default): the job fails, saying why.
    let e = env.execute("failing snapshots").expect_err("the job fails").to_string();
    assert!(e.contains("the value type refuses to serialize"), "{e}");
}

#[test]
fn a_heap_cut_serialized_elsewhere_while_the_state_changes_equals_the_state_at_the_cut() {
    let range = weir_core::KeyGroupRange::for_operator(128, 1, 0);
    let mut backend = HeapKeyedStateBackend::<u64>::new(range);
    let id = backend.register::<Vec<u64>>("lists", StateKind::List).unwrap();
    let kg = |k: u64| weir_core::key_group::assign_to_key_group(&k, 128);
    for k in 0..50_000u64 {
        backend.table_mut::<Vec<u64>>(id).insert(kg(k), &k, vec![k; 8]);
    }
    let expected = backend.snapshot().unwrap();
    let serialize = backend.snapshot_async(None);
    let writer = std::thread::spawn(serialize);
    // The task rewrites, removes and adds state while the cut is serialized.
    for k in 0..50_000u64 {
        match k % 3 {
            0 => backend.table_mut::<Vec<u64>>(id).get_or_insert_with(kg(k), &k, Vec::new).push(0),
            1 => drop(backend.table_mut::<Vec<u64>>(id).remove(kg(k), &k)),
            _ => backend.table_mut::<Vec<u64>>(id).insert(kg(k + 50_000), &(k + 50_000), vec![1]),
        }
    }
    let got = writer.join().unwrap().unwrap();
    assert!(got == expected, "the cut's snapshot differs from the state at the cut");
    assert_ne!(backend.snapshot().unwrap(), expected, "the state did change meanwhile");
}

/// Counts records and serializes each snapshot slowly (`delay`), so checkpoints with a
/// shorter timeout expire while their states are still being written.
struct SlowSnapshots {
    count: u64,
    delay: Duration,
}

impl Operator for SlowSnapshots {
    type In = i64;
    type Out = i64;

    fn process(&mut self, batch: &mut Vec<StreamRecord<i64>>, out: &mut Emitter<i64>) -> Result<(), BoxError> {
        for r in batch.drain(..) {
            self.count += 1;
            if self.count.is_multiple_of(8) {
                std::thread::sleep(Duration::from_millis(1));
            }
            out.emit(r);
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        let (cut, delay) = (self.count, self.delay);
        if state.checkpoint_id() == CheckpointId::FINAL {
            state.keyed("count", bincode::serialize(&cut)?);
            return Ok(());
        }
        state.keyed_async(
            "count",
            Box::new(move || {
                std::thread::sleep(delay);
                Ok(bincode::serialize(&cut)?)
            }),
        );
        Ok(())
    }
}

#[test]
fn checkpoints_that_expire_while_their_states_are_written_are_discarded_without_failing_the_job() {
    // Checkpoints time out after 20 ms while each state takes 60 ms to write: the
    // coordinator gives them up while writer threads still write into their directories.
    // Deleting a directory under a writer failed the job ("Directory not empty") or left a
    // directory without a manifest behind.
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(LocalDirStorage::new(dir.path()).unwrap());
    let mut config = CheckpointConfig::every(10);
    config.timeout_ms = 20;
    config.tolerable_failures = u32::MAX;
    let settings = CheckpointSettings { config, storage, restore: None };
    let env = StreamExecutionEnvironment::new()
        .with_parallelism(2)
        .with_restart_strategy(weir_runtime::restart::RestartStrategy::None)
        .enable_checkpointing(settings);
    let delay = Duration::from_millis(60);
    env.from_sequence(1, 6_000)
        .transform("SlowSnapshots", move |_: &SubtaskInfo| Ok(SlowSnapshots { count: 0, delay }))
        .uid("slow")
        .sink_to(weir::connectors::BlackholeSink::default(), "blackhole");
    let result = env.execute("expiring checkpoints").unwrap_or_else(|e| panic!("the job failed: {e}"));
    assert_eq!((result.restarts, result.failures.len()), (0, 0), "{:?}", result.failures);
    let given_up =
        result.completed_checkpoints.last().map_or(0, |last| last.0 as usize - result.completed_checkpoints.len());
    assert!(given_up > 0, "no checkpoint expired: {:?}", result.completed_checkpoints);
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("chk-") {
            assert!(entry.path().join("_metadata").exists(), "{name} was left behind without a manifest");
        }
    }
}

/// Records, at each snapshot, whether its state is stored.
struct AsksWhetherStored(Arc<Mutex<Vec<(CheckpointId, bool)>>>);

impl Operator for AsksWhetherStored {
    type In = i64;
    type Out = i64;

    fn process(&mut self, batch: &mut Vec<StreamRecord<i64>>, out: &mut Emitter<i64>) -> Result<(), BoxError> {
        batch.drain(..).for_each(|r| out.emit(r));
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        self.0.lock().unwrap().push((state.checkpoint_id(), state.stores_state()));
        Ok(())
    }
}

#[test]
fn a_job_without_checkpoints_asks_no_operator_to_store_its_final_state() {
    let asked = |checkpointing: bool| {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut env = StreamExecutionEnvironment::new();
        let dir = tempfile::tempdir().unwrap();
        if checkpointing {
            let storage = Arc::new(LocalDirStorage::new(dir.path()).unwrap());
            env = env.enable_checkpointing(CheckpointSettings {
                config: CheckpointConfig::every(60_000),
                storage,
                restore: None,
            });
        }
        let s = seen.clone();
        env.from_sequence(1, 100)
            .transform("Asks", move |_: &SubtaskInfo| Ok(AsksWhetherStored(s.clone())))
            .sink_to(weir::connectors::BlackholeSink::default(), "blackhole");
        env.execute("final state").unwrap();
        let seen = seen.lock().unwrap().clone();
        seen
    };
    // Only the committables of the final snapshot are used: serializing state is waste.
    assert_eq!(asked(false), vec![(CheckpointId::FINAL, false)]);
    // With checkpoints the final state goes into the job's last checkpoint.
    assert_eq!(asked(true), vec![(CheckpointId::FINAL, true)]);
}
