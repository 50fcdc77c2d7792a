//! End to end: checkpoints of keyed state far larger than the embedded backend's memory
//! budget are written in bounded memory — key group by key group, never as one buffer.
//!
//! One test per binary on purpose: the process's peak resident set (`VmHWM`) is the
//! measurement, and another test in the same process would add its own memory.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use weir::prelude::*;
use weir::StateBackendConfig;
use weir_checkpoint::{CheckpointConfig, CheckpointStorage, LocalDirStorage};
use weir_runtime::CheckpointSettings;

/// Keys, each with one value of [`VALUE_BYTES`]: 128 MiB of state in all.
const KEYS: i64 = 131_072;
const VALUE_BYTES: usize = 1024;
/// The embedded backend's budget: 4 MiB, 1/32 of the state.
const BUDGET: u64 = 4 << 20;

/// Stores a 1 KiB value per key (the first record of each key), then reads it back on
/// the key's second record and emits whether it was intact.
#[derive(Clone, Default)]
struct Remember {
    value: Option<ValueState<String>>,
}

impl KeyedProcessFunction<i64, i64, u8> for Remember {
    fn open(&mut self, ctx: &mut RuntimeContext<i64>) -> Result<(), BoxError> {
        self.value = Some(ctx.get_state(&ValueStateDescriptor::new("payload"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        _: i64,
        ctx: &mut KeyedContext<i64>,
        out: &mut Collector<u8>,
    ) -> Result<(), BoxError> {
        let state = self.value.unwrap();
        let key = *ctx.current_key();
        match state.value(ctx)? {
            None => state.update(ctx, payload(key))?,
            Some(v) => out.collect(u8::from(v == payload(key))),
        }
        Ok(())
    }
}

fn payload(key: i64) -> String {
    key.to_string().chars().cycle().take(VALUE_BYTES).collect()
}

/// The process's peak resident set, from `/proc/self/status`, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM in /proc/self/status");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("VmHWM in kB");
    kib * 1024
}

fn file_size(root: &Path, path: &str) -> u64 {
    std::fs::metadata(root.join(path)).map_or(0, |m| m.len())
}

#[test]
fn a_checkpoint_of_state_32_times_the_memory_budget_is_written_in_bounded_memory() {
    let (work, ck) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut config = StateBackendConfig::embedded(BUDGET);
    config.local_dir = Some(work.path().to_path_buf());
    config.incremental = true;
    let storage = Arc::new(LocalDirStorage::new(ck.path()).unwrap());
    let settings =
        CheckpointSettings { config: CheckpointConfig::every(10_000), storage: storage.clone(), restore: None };
    let env = StreamExecutionEnvironment::new()
        .with_state_backend(config)
        .with_buffer_timeout(Some(Duration::ZERO))
        .enable_checkpointing(settings);
    let checked = env.from_sequence(0, 2 * KEYS - 1).key_by(|x: &i64| x % KEYS).process(Remember::default()).collect();
    let before = peak_rss();
    let result = env.execute("checkpoint larger than memory").unwrap();
    let peak = peak_rss();
    let intact = checked.take();
    assert_eq!(intact.len(), KEYS as usize);
    assert!(intact.iter().all(|&i| i == 1), "every value read back intact");

    // The job's last checkpoint holds the whole state: every key group's file listed.
    let last = storage.latest_completed().unwrap().expect("a completed checkpoint");
    let state_files: u64 = last.tasks.iter().map(|t| t.state.size).sum();
    let shared: u64 = last.tasks.iter().flat_map(|t| &t.state.shared).map(|p| file_size(ck.path(), p)).sum();
    let state = KEYS as u64 * VALUE_BYTES as u64;
    eprintln!(
        "state {} MiB, budget {} MiB; checkpoint {} holds {} MiB ({} shared files); {} checkpoints, longest {} ms; \
         peak RSS {} MiB (before the job {} MiB)",
        state >> 20,
        BUDGET >> 20,
        last.checkpoint,
        (state_files + shared) >> 20,
        last.tasks.iter().map(|t| t.state.shared.len()).sum::<usize>(),
        result.checkpoint_stats.completed,
        result.checkpoint_stats.max_duration_ms,
        peak >> 20,
        before >> 20
    );
    assert!(shared >= state, "the checkpoint holds all {} MiB ({} MiB)", state >> 20, shared >> 20);
    // Holding the checkpoint in memory would take the whole 128 MiB; the budget is 4 MiB,
    // a key group's chunk 1 MiB. Allow the runtime, the collected output and the
    // allocator's slack, as the run without checkpoints does.
    assert!(peak < state / 3, "peak RSS {} MiB for a checkpoint of {} MiB", peak >> 20, state >> 20);
}
