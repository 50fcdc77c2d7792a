//! End to end: a keyed job whose state is far larger than the embedded backend's memory
//! budget runs with bounded memory.
//!
//! One test per binary on purpose: the process's peak resident set (`VmHWM`) is the
//! measurement, and another test in the same process would add its own memory.

use std::time::Duration;

use weir::prelude::*;
use weir::StateBackendConfig;

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

impl KeyedProcessFunction<i64, i64, (i64, bool)> for Remember {
    fn open(&mut self, ctx: &mut RuntimeContext<i64>) -> Result<(), BoxError> {
        assert_eq!(ctx.state_backend(), "embedded");
        self.value = Some(ctx.get_state(&ValueStateDescriptor::new("payload"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        x: i64,
        ctx: &mut KeyedContext<i64>,
        out: &mut Collector<(i64, bool)>,
    ) -> Result<(), BoxError> {
        let state = self.value.unwrap();
        let key = *ctx.current_key();
        match state.value(ctx)? {
            None => state.update(ctx, payload(key))?,
            Some(v) => out.collect((x, v == payload(key))),
        }
        Ok(())
    }
}

/// The value kept for `key`: its decimal digits repeated to [`VALUE_BYTES`].
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

#[test]
fn state_32_times_the_memory_budget_runs_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = StateBackendConfig::embedded(BUDGET);
    config.local_dir = Some(dir.path().to_path_buf());
    let env = StreamExecutionEnvironment::new().with_state_backend(config).with_buffer_timeout(Some(Duration::ZERO));
    // Every key twice: first all keys (write), then all again (read back and compare).
    let checked = env
        .from_sequence(0, 2 * KEYS - 1)
        .key_by(|x: &i64| x % KEYS)
        .process(Remember::default())
        .map(|(_, intact): (i64, bool)| u8::from(intact))
        .collect();
    let before = peak_rss();
    env.execute("larger than memory").unwrap();
    let peak = peak_rss();
    let intact = checked.take();
    assert_eq!(intact.len(), KEYS as usize, "every key's value was read back");
    assert!(intact.iter().all(|&i| i == 1), "every value read back intact");
    let state = KEYS as u64 * VALUE_BYTES as u64;
    let on_disk: u64 = walk(dir.path());
    eprintln!(
        "state {} MiB, budget {} MiB, peak RSS {} MiB (before the job {} MiB)",
        state >> 20,
        BUDGET >> 20,
        peak >> 20,
        before >> 20
    );
    // The heap backend would hold all 128 MiB (and more: keys, hash maps). The budget is
    // 4 MiB; allow the runtime, the collected output and the allocator's slack.
    assert!(peak < state / 3, "peak RSS {} MiB for {} MiB of state", peak >> 20, state >> 20);
    assert_eq!(on_disk, 0, "the job's working files are removed when it ends");
}

/// Bytes of the files under `dir`.
fn walk(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            let m = e.metadata().unwrap();
            if m.is_dir() {
                walk(&e.path())
            } else {
                m.len()
            }
        })
        .sum()
}
