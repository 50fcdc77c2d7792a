//! State far larger than the LSM backend's memory budget: 200 MB of values under a
//! 16 MB budget, with the process's resident memory checked from /proc/self/status.

use weir_core::key_group::assign_to_key_group;
use weir_core::KeyGroupRange;
use weir_state::{KeyedStateBackend, LsmKeyedStateBackend, MemoryBudget, StateKind};

const VALUE_BYTES: usize = 4_096;
const KEYS: u64 = 51_200; // 200 MiB of values
const MAX_PARALLELISM: usize = 128;

/// A field of /proc/self/status in KiB (VmRSS: resident now, VmHWM: peak resident).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let line = status.lines().find(|l| l.starts_with(field)).expect("field present");
    line.split_whitespace().nth(1).expect("value").parse().expect("number")
}

/// Distinct per key. A `String`, not `String`: serde writes a string in one call, a
/// byte vector one byte at a time, which dominates a debug build's time.
fn value_of(key: u64) -> String {
    format!("{key:016x}").repeat(VALUE_BYTES / 16)
}

#[test]
fn state_far_larger_than_the_budget_stays_out_of_memory() {
    let dir = tempfile::tempdir().unwrap();
    let range = KeyGroupRange::for_operator(MAX_PARALLELISM, 1, 0);
    let mut lsm = LsmKeyedStateBackend::<u64>::open(dir.path(), range, MemoryBudget::of(16 << 20)).unwrap();
    let id = lsm.register::<String>("blob", StateKind::Value).unwrap();
    let rss_before = status_kib("VmRSS:");

    let started = std::time::Instant::now();
    for key in 0..KEYS {
        lsm.put(id, assign_to_key_group(&key, MAX_PARALLELISM), &key, value_of(key)).unwrap();
    }
    let written = started.elapsed();
    // Read back a spread of keys (from disk, through the small cache) and one key group.
    for key in (0..KEYS).step_by(997) {
        let got: String = lsm.get(id, assign_to_key_group(&key, MAX_PARALLELISM), &key).unwrap().unwrap();
        assert_eq!(got, value_of(key));
    }
    let in_group_7 = lsm.keys(id, 7).unwrap();
    assert!(in_group_7.len() > 100 && in_group_7.iter().all(|k| assign_to_key_group(k, MAX_PARALLELISM) == 7));

    let rss_after = status_kib("VmRSS:");
    let peak = status_kib("VmHWM:");
    let state_kib = KEYS * VALUE_BYTES as u64 / 1024;
    let metrics = lsm.metrics().unwrap();
    eprintln!(
        "state {state_kib} KiB written in {written:?}; RSS before {rss_before} KiB, after {rss_after} KiB, \
         peak {peak} KiB; {metrics:?}"
    );
    assert!(lsm.estimated_size_bytes().unwrap() >= KEYS * VALUE_BYTES as u64 / 2);
    // Well below the state's size: the state lives on disk, not in the process.
    assert!(peak < state_kib / 3, "peak RSS {peak} KiB for {state_kib} KiB of state");
}
