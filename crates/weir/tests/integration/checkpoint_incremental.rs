//! End to end: incremental checkpoints of the embedded backend
//! (`execution.checkpointing.incremental`).
//!
//! The job keeps per key a count and a payload in the embedded backend. Its input has two
//! phases: every one of [`KEYS`] keys once (the state's bulk), then a long, paced tail
//! that touches only [`HOT`] keys — so each checkpoint taken during the tail changes a
//! few key groups of 128. Every record's output `(x, key, count, payload intact)` is a
//! function of the input ([`expected`]), so a job restored from any checkpoint must emit
//! exactly the uninterrupted run's output for the records after the checkpoint: a key
//! group restored stale, twice or not at all changes a count.

use crate::harness;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use harness::execute_within;
use weir::connectors::CollectHandle;
use weir::prelude::*;
use weir::StreamRecord;
use weir_checkpoint::{CheckpointConfig, CheckpointStorage, LocalDirStorage};
use weir_core::CheckpointId;
use weir_runtime::restart::RestartStrategy;
use weir_runtime::snapshot::{TaskState, TASK_STATE_FORMAT_VERSION};
use weir_runtime::{CheckpointSettings, Emitter, Operator, Restore, SubtaskInfo};
use weir_state::StateBackendConfig;

/// Keys written in the first phase: each once.
const KEYS: i64 = 4_000;
/// Keys the tail touches.
const HOT: i64 = 3;
/// Records in all: the tail is `KEYS..N`.
const N: i64 = KEYS + 2_000;
/// Bytes of each key's payload: about 2 MiB of state.
const PAYLOAD: usize = 500;
/// Generous for a loaded two-core machine.
const LIMIT: Duration = Duration::from_secs(120);

fn key_of(x: i64) -> i64 {
    if x < KEYS {
        x
    } else {
        x % HOT
    }
}

fn payload(key: i64) -> String {
    key.to_string().chars().cycle().take(PAYLOAD).collect()
}

/// What the job emits for record `x` however it was interrupted.
fn expected(x: i64) -> (i64, i64, i64, bool) {
    let key = key_of(x);
    let count = if x < KEYS { 1 } else { 1 + (KEYS..=x).filter(|y| y % HOT == key).count() as i64 };
    (x, key, count, true)
}

/// Counts each key's records and checks its payload, written with its first record.
#[derive(Clone, Default)]
struct Track {
    count: Option<ValueState<i64>>,
    payload: Option<ValueState<String>>,
}

impl KeyedProcessFunction<i64, i64, (i64, i64, i64, bool)> for Track {
    fn open(&mut self, ctx: &mut RuntimeContext<i64>) -> Result<(), BoxError> {
        assert_eq!(ctx.state_backend(), "embedded");
        self.count = Some(ctx.get_state(&ValueStateDescriptor::new("count"))?);
        self.payload = Some(ctx.get_state(&ValueStateDescriptor::new("payload"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        x: i64,
        ctx: &mut KeyedContext<i64>,
        out: &mut Collector<(i64, i64, i64, bool)>,
    ) -> Result<(), BoxError> {
        let (count, stored) = (self.count.unwrap(), self.payload.unwrap());
        let key = *ctx.current_key();
        let n = count.value(ctx)?.unwrap_or(0) + 1;
        count.update(ctx, n)?;
        let intact = match stored.value(ctx)? {
            None => {
                stored.update(ctx, payload(key))?;
                true
            }
            Some(p) => p == payload(key),
        };
        out.collect((x, key, n, intact));
        Ok(())
    }
}

/// Passes records on; paces the tail (1 ms a record, so that many checkpoints complete
/// during it, and never more than [`PER_CHECKPOINT`] records ahead of the checkpoints
/// completed since the tail began, so that a loaded machine sees as many); notes completed
/// checkpoints; when armed, fails once after `fail_after` checkpoints completed during the
/// tail.
struct Pacer {
    completed: Arc<AtomicU64>,
    fail_after: Option<(u64, Arc<AtomicBool>)>,
    /// Checkpoints completed and the record seen when the tail began here.
    tail_from: Option<(u64, i64)>,
}

/// Tail records a checkpoint may lag behind before the pacer waits for one.
const PER_CHECKPOINT: i64 = 100;
/// The longest the pacer waits at a batch for a checkpoint to complete: bounded, since
/// the next barrier may be queued behind that very batch.
const CHECKPOINT_WAIT: Duration = Duration::from_millis(200);

impl Pacer {
    /// Before a batch starting at tail record `x`: waits (bounded) for a checkpoint to
    /// complete when the tail has run ahead of them.
    fn keep_pace(&mut self, x: i64) {
        let completed = self.completed.load(Ordering::SeqCst);
        let (from, first) = *self.tail_from.get_or_insert((completed, x));
        let due = ((x - first) / PER_CHECKPOINT) as u64;
        if due <= completed.saturating_sub(from) + 1 {
            return;
        }
        let started = std::time::Instant::now();
        while self.completed.load(Ordering::SeqCst) == completed && started.elapsed() < CHECKPOINT_WAIT {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl Operator for Pacer {
    type In = i64;
    type Out = i64;

    fn process(&mut self, batch: &mut Vec<StreamRecord<i64>>, out: &mut Emitter<i64>) -> Result<(), BoxError> {
        if let Some(first) = batch.iter().find(|r| r.value >= KEYS) {
            self.keep_pace(first.value);
        }
        for record in batch.drain(..) {
            if record.value >= KEYS {
                let completed = self.completed.load(Ordering::SeqCst);
                let (from, _) = self.tail_from.expect("set by keep_pace");
                if let Some((after, armed)) = &self.fail_after {
                    if completed >= from + after && armed.swap(false, Ordering::SeqCst) {
                        return Err(format!("injected failure at record {}", record.value).into());
                    }
                }
                std::thread::sleep(Duration::from_millis(1));
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

/// The job at `parallelism`, checkpointing incrementally into `storage` every 20 ms
/// (keeping `retained`), resuming from `restore`; failing once after `fail_after`
/// checkpoints of the tail. Returns its environment and output.
fn job(
    parallelism: usize,
    storage: Arc<LocalDirStorage>,
    retained: usize,
    restore: Option<Restore>,
    fail_after: Option<u64>,
    state_dir: &Path,
) -> (StreamExecutionEnvironment, CollectHandle<(i64, i64, i64, bool)>) {
    let mut backend = StateBackendConfig::embedded(2 << 20);
    backend.local_dir = Some(state_dir.to_path_buf());
    backend.incremental = true;
    let config = CheckpointConfig { retained, ..CheckpointConfig::every(20) };
    let env = StreamExecutionEnvironment::new()
        .with_parallelism(parallelism)
        // Small batches: a barrier waits behind no more than a few paced records.
        .with_batch_size(8)
        .with_buffer_timeout(Some(Duration::from_millis(2)))
        .with_state_backend(backend)
        .with_restart_strategy(RestartStrategy::None)
        .enable_checkpointing(CheckpointSettings { config, storage, restore });
    let completed = Arc::new(AtomicU64::new(0));
    let armed = Arc::new(AtomicBool::new(true));
    let out = env
        .from_sequence(0, N - 1)
        .set_parallelism(1)
        .uid("numbers")
        .transform("Pacer", move |_: &SubtaskInfo| {
            let fail_after = fail_after.map(|n| (n, armed.clone()));
            Ok(Pacer { completed: completed.clone(), fail_after, tail_from: None })
        })
        .set_parallelism(1)
        .uid("pacer")
        .key_by(|x: &i64| key_of(*x))
        .process(Track::default())
        .uid("track")
        .collect();
    (env, out)
}

/// Size of the file at `path` under `root` (0 when missing).
fn size(root: &Path, path: &str) -> u64 {
    std::fs::metadata(root.join(path)).map_or(0, |m| m.len())
}

/// Per completed checkpoint with shared files: (bytes of the shared files its manifest
/// lists, bytes of the shared files it wrote itself).
fn shared_bytes(storage: &LocalDirStorage) -> BTreeMap<u64, (u64, u64)> {
    let mut out = BTreeMap::new();
    for stored in storage.list_completed().unwrap() {
        // Discarded since it was listed: skip it.
        let Ok(m) = storage.read_manifest(stored.id) else { continue };
        let listed: Vec<String> = m.tasks.into_iter().flat_map(|t| t.state.shared).collect();
        if listed.is_empty() {
            continue;
        }
        let own = format!("shared/c{}-", stored.id.0);
        let total = listed.iter().map(|p| size(storage.root(), p)).sum();
        let new = listed.iter().filter(|p| p.starts_with(&own)).map(|p| size(storage.root(), p)).sum();
        out.insert(stored.id.0, (total, new));
    }
    out
}

/// Asserts that `got` is the expected output of a suffix of the input, reaching into
/// the tail (where restored state decides every count).
fn assert_resumed_exactly(got: &[(i64, i64, i64, bool)], what: &str) {
    assert!(!got.is_empty(), "{what}: no output");
    let xs: BTreeSet<i64> = got.iter().map(|o| o.0).collect();
    assert_eq!(xs.len(), got.len(), "{what}: a record was processed twice");
    let first = *xs.first().unwrap();
    assert!(first > KEYS, "{what}: resumed at {first}, before the tail");
    assert_eq!(xs, (first..N).collect(), "{what}: every record after the checkpoint, once");
    for o in got {
        assert_eq!(*o, expected(o.0), "{what}: record {}", o.0);
    }
}

#[test]
fn incremental_checkpoints_store_changed_key_groups_and_restore_exactly() {
    let (ck, state_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let storage = Arc::new(LocalDirStorage::new(ck.path()).unwrap());
    let (env, out) = job(2, storage.clone(), 10_000, None, None, state_dir.path());
    let result = execute_within(&env, "incremental", LIMIT).unwrap();
    let all = out.take();
    assert_eq!(all.len(), N as usize);
    assert!(all.iter().all(|o| *o == expected(o.0)), "the uninterrupted run is as expected");

    // Checkpoints once every key is stored: one wrote (nearly) all of it, each later one
    // only the few key groups the tail touched since the one before.
    let bytes = shared_bytes(&storage);
    let state = bytes.values().map(|(total, _)| *total).max().unwrap();
    assert!(state > KEYS as u64 * PAYLOAD as u64, "{state} bytes of state");
    // Counts and payloads have fixed sizes: once every key is stored, the state's size
    // stays the same.
    let whole: Vec<u64> = bytes.iter().filter(|(_, (total, _))| *total == state).map(|(id, _)| *id).collect();
    let (first_whole, later) = whole.split_first().expect("a checkpoint with all keys");
    eprintln!("state {state} B; checkpoint {first_whole} wrote {} B; later: {:?}", bytes[first_whole].1, {
        later.iter().map(|id| bytes[id].1).collect::<Vec<_>>()
    });
    assert!(later.len() >= 3, "{} checkpoints during the tail ({:?})", later.len(), result.completed_checkpoints);
    for id in later {
        let (total, new) = bytes[id];
        assert!(new * 10 < total, "checkpoint {id} wrote {new} of {total} bytes");
    }

    // Restore from the third incremental checkpoint built on it, at the same and at
    // another parallelism: exactly the uninterrupted output for the records after it.
    let third = CheckpointId(later[2]);
    for parallelism in [2, 3] {
        let (ck2, state2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let restore = Restore { storage: storage.clone(), checkpoint: Some(third) };
        let own = Arc::new(LocalDirStorage::new(ck2.path()).unwrap());
        let (env, out) = job(parallelism, own.clone(), 1, Some(restore), None, state2.path());
        let result = execute_within(&env, "incremental: restored", LIMIT).unwrap();
        assert_eq!(result.restored_from, Some(third));
        assert_resumed_exactly(&out.take(), &format!("restored from {third} at parallelism {parallelism}"));
        // Restored from another storage: its own checkpoints refer to none of those files.
        let listed = weir_checkpoint::shared_files::referenced(own.as_ref()).unwrap();
        let present: BTreeSet<String> = own.list_shared().unwrap().into_iter().collect();
        assert!(listed.is_subset(&present), "{:?}", listed.difference(&present).collect::<Vec<_>>());
    }
}

/// The shared files the retained checkpoints of `storage` list, and those it holds.
fn listed_and_present(storage: &LocalDirStorage) -> (BTreeSet<String>, BTreeSet<String>) {
    let listed = weir_checkpoint::shared_files::referenced(storage).unwrap();
    (listed, storage.list_shared().unwrap().into_iter().collect())
}

/// The checkpoint that wrote shared file `path` (`shared/c<N>-…`).
fn writer(path: &str) -> Option<u64> {
    path.strip_prefix("shared/c")?.split('-').next()?.parse().ok()
}

#[test]
fn a_restored_job_lists_the_files_it_restored_from_and_a_crash_at_any_step_leaves_a_usable_checkpoint() {
    let (ck, state_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let storage = Arc::new(LocalDirStorage::new(ck.path()).unwrap());
    let latest = || storage.latest_completed().unwrap().unwrap();
    let resume = || Some(Restore { storage: storage.clone(), checkpoint: None });

    // 1. Incremental checkpoints during the tail; the job fails (no restart).
    let (env, _) = job(2, storage.clone(), 1, None, Some(3), state_dir.path());
    assert!(execute_within(&env, "restore: first run", LIMIT).unwrap_err().to_string().contains("injected failure"));
    let restored = latest();
    let state: u64 = restored.tasks.iter().flat_map(|t| &t.state.shared).map(|p| size(ck.path(), p)).sum();
    assert!(state > KEYS as u64 * PAYLOAD as u64, "{state} bytes of state");

    // 2. Restored at another parallelism, it fails before its first checkpoint: the
    //    checkpoint it was restored from is still the restore point, and whole.
    let (env, _) = job(3, storage.clone(), 1, resume(), Some(0), state_dir.path());
    assert!(execute_within(&env, "restore: crash at once", LIMIT)
        .unwrap_err()
        .to_string()
        .contains("injected failure"));
    assert_eq!(latest().checkpoint, restored.checkpoint);

    // 3. Restored again, it fails after its first checkpoint, with one retained: the
    //    restored checkpoint is gone, the new one lists the files it did not change and
    //    wrote little, and nothing is kept that no retained checkpoint lists.
    let (env, _) = job(3, storage.clone(), 1, resume(), Some(1), state_dir.path());
    assert!(execute_within(&env, "restore: crash after a checkpoint", LIMIT)
        .unwrap_err()
        .to_string()
        .contains("injected"));
    let after = latest();
    assert!(after.checkpoint > restored.checkpoint);
    assert!(storage.read_manifest(restored.checkpoint).is_err(), "the restored checkpoint was subsumed");
    let shared: Vec<&String> = after.tasks.iter().flat_map(|t| &t.state.shared).collect();
    let total: u64 = shared.iter().map(|p| size(ck.path(), p)).sum();
    let old = shared.iter().filter(|p| writer(p).is_some_and(|w| w <= restored.checkpoint.0));
    let reused: u64 = old.map(|p| size(ck.path(), p)).sum();
    assert!(reused * 10 > total * 9, "{reused} of {total} bytes are files written before the restore");
    let (listed, present) = listed_and_present(&storage);
    assert!(listed.is_subset(&present), "every file the retained checkpoint lists is kept");
    // Besides, only what a checkpoint in flight at the failure wrote (removed when the
    // next job starts): every file only the restored checkpoint listed was deleted.
    let unlisted: Vec<&String> = present.difference(&listed).collect();
    assert!(unlisted.iter().all(|p| writer(p).is_some_and(|w| w > after.checkpoint.0)), "{unlisted:?}");
    let written_since: u64 = present
        .iter()
        .filter(|p| writer(p).is_some_and(|w| w > restored.checkpoint.0))
        .map(|p| size(ck.path(), p))
        .sum();
    assert!(written_since * 10 < total, "checkpoints after the restore wrote {written_since} of {total} bytes");

    // 4. Restored from that checkpoint (which lists files of the first run), it resumes
    //    exactly, and leaves only what its last checkpoint lists.
    let (env, out) = job(2, storage.clone(), 1, resume(), None, state_dir.path());
    let result = execute_within(&env, "restore: to the end", LIMIT).unwrap();
    assert_eq!(result.restored_from, Some(after.checkpoint));
    assert_resumed_exactly(&out.take(), "resumed from a checkpoint built on restored files");
    let (listed, present) = listed_and_present(&storage);
    assert_eq!(present, listed);
}

#[test]
fn subsumed_checkpoints_keep_referenced_shared_files_and_a_crash_leaves_the_last_one_usable() {
    let (ck, state_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let storage = Arc::new(LocalDirStorage::new(ck.path()).unwrap());
    // Two retained; the job fails after several checkpoints of the tail (no restart).
    let (env, _) = job(2, storage.clone(), 2, None, Some(5), state_dir.path());
    let e = execute_within(&env, "incremental: retained", LIMIT).unwrap_err();
    assert!(e.to_string().contains("injected failure"), "{e}");

    let retained = storage.list_completed().unwrap();
    assert_eq!(retained.len(), 2, "{retained:?}");
    let listed: BTreeSet<String> =
        weir_checkpoint::shared_files::referenced(storage.as_ref()).unwrap().into_iter().collect();
    let present: BTreeSet<String> = storage.list_shared().unwrap().into_iter().collect();
    assert!(listed.is_subset(&present), "every file the retained checkpoints list is kept");
    // Besides, only what a checkpoint in flight at the failure wrote (removed when the next
    // job starts).
    let newest_retained = retained[1].id.0;
    let unlisted: Vec<&String> = present.difference(&listed).collect();
    assert!(unlisted.iter().all(|p| writer(p).is_some_and(|w| w > newest_retained)), "{unlisted:?}");
    // Files written by checkpoints long subsumed are still there (the key groups the tail
    // never touched), those of the subsumed checkpoints in between are gone.
    let writers: BTreeSet<u64> = listed.iter().filter_map(|p| writer(p)).collect();
    let oldest_retained = retained[0].id.0;
    let older: Vec<u64> = writers.iter().copied().filter(|w| *w < oldest_retained).collect();
    assert!(!older.is_empty(), "files of subsumed checkpoints still referenced: {writers:?}");
    assert!(
        (older[older.len() - 1] + 1..oldest_retained).any(|c| !writers.contains(&c)),
        "the files only subsumed checkpoints referred to were deleted: {writers:?}, oldest retained {oldest_retained}"
    );

    // A crash in the middle of the next checkpoint: a state file half written, a shared
    // file no manifest lists. The newest completed checkpoint is still the restore point,
    // the leftovers are removed when the next job starts, and it resumes exactly.
    let next = retained[1].id.0 + 1;
    std::fs::create_dir_all(ck.path().join(format!("chk-{next}"))).unwrap();
    std::fs::write(ck.path().join(format!("chk-{next}/v3-0.state")), b"half").unwrap();
    let orphan = format!("shared/c{next}-v3-0.o0.e0.kg7");
    std::fs::write(ck.path().join(&orphan), b"half a key group").unwrap();
    let latest = storage.latest_completed().unwrap().unwrap().checkpoint;
    assert_eq!(latest, retained[1].id);
    let restore = Restore { storage: storage.clone(), checkpoint: None };
    let (env, out) = job(3, storage.clone(), 2, Some(restore), None, state_dir.path());
    let result = execute_within(&env, "incremental: after a crash", LIMIT).unwrap();
    assert_eq!(result.restored_from, Some(latest));
    assert!(!ck.path().join(&orphan).exists(), "the orphaned shared file was removed");
    assert_resumed_exactly(&out.take(), "resumed after the crash");
}

#[test]
fn a_savepoint_of_an_incremental_job_is_self_contained() {
    let (ck, state_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let storage = Arc::new(LocalDirStorage::new(ck.path()).unwrap());
    let (env, _) = job(2, storage.clone(), 1, None, None, state_dir.path());
    let (control, running) = env.execute_async("incremental: savepoint").unwrap();
    // Once the tail runs (an incremental checkpoint wrote little), take a savepoint.
    let started = std::time::Instant::now();
    while !shared_bytes(&storage).values().any(|(total, new)| new * 10 < *total) {
        assert!(started.elapsed() < LIMIT, "no incremental checkpoint");
        std::thread::sleep(Duration::from_millis(5));
    }
    let savepoint = control.trigger_savepoint(LIMIT).unwrap();
    running.join().unwrap().unwrap();

    // Copy the savepoint elsewhere, delete the checkpoint directory, resume from the copy.
    let elsewhere = tempfile::tempdir().unwrap();
    let name = format!("chk-{}", savepoint.0);
    std::fs::create_dir_all(elsewhere.path().join(&name)).unwrap();
    for f in std::fs::read_dir(ck.path().join(&name)).unwrap().flatten() {
        std::fs::copy(f.path(), elsewhere.path().join(&name).join(f.file_name())).unwrap();
    }
    let manifest = storage.read_manifest(savepoint).unwrap();
    assert!(manifest.tasks.iter().all(|t| t.state.shared.is_empty()), "a savepoint lists no shared file");
    for t in &manifest.tasks {
        let state = TaskState::from_bytes(&storage.read_task_state(savepoint, &t.state).unwrap()).unwrap();
        assert_eq!(state.format_version, TASK_STATE_FORMAT_VERSION, "{}: the stable format", t.task);
    }
    drop(ck);
    let copy = Arc::new(LocalDirStorage::new(elsewhere.path()).unwrap());
    let (ck2, state2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let own = Arc::new(LocalDirStorage::new(ck2.path()).unwrap());
    let restore = Restore { storage: copy, checkpoint: Some(savepoint) };
    let (env, out) = job(1, own, 1, Some(restore), None, state2.path());
    let result = execute_within(&env, "incremental: from the copied savepoint", LIMIT).unwrap();
    assert_eq!(result.restored_from, Some(savepoint));
    let got = out.take();
    if !got.is_empty() {
        assert_resumed_exactly(&got, "resumed from the copied savepoint");
    }
}
