//! One declared state's data: a hash map per key group.

use std::collections::HashMap;

use weir_core::key_group::StableBuildHasher;
use weir_core::KeyGroupRange;

/// The entries of one state (`S` per key) for the key groups a subtask owns.
///
/// `S` is the per-key value: `T` for value state, `Vec<T>` for list state,
/// `HashMap<UK, UV>` for map state.
#[derive(Debug)]
pub struct StateTable<K, S> {
    first_key_group: usize,
    groups: Vec<HashMap<K, S, StableBuildHasher>>,
    /// Where incremental cleanup resumes: (group index, entries to skip in it).
    cleanup_cursor: (usize, usize),
}

impl<K: std::hash::Hash + Eq + Clone, S> StateTable<K, S> {
    /// An empty table for the key groups of `range`.
    pub fn new(range: KeyGroupRange) -> Self {
        StateTable {
            first_key_group: range.start,
            groups: (0..range.len()).map(|_| HashMap::default()).collect(),
            cleanup_cursor: (0, 0),
        }
    }

    #[inline]
    fn group(&self, key_group: usize) -> &HashMap<K, S, StableBuildHasher> {
        &self.groups[key_group - self.first_key_group]
    }

    #[inline]
    fn group_mut(&mut self, key_group: usize) -> &mut HashMap<K, S, StableBuildHasher> {
        &mut self.groups[key_group - self.first_key_group]
    }

    /// The entry of `key`, if any.
    #[inline]
    pub fn get(&self, key_group: usize, key: &K) -> Option<&S> {
        self.group(key_group).get(key)
    }

    /// The entry of `key` for update, if any.
    #[inline]
    pub fn get_mut(&mut self, key_group: usize, key: &K) -> Option<&mut S> {
        self.group_mut(key_group).get_mut(key)
    }

    /// The entry of `key`, created with `init` if missing (the key is cloned only then).
    #[inline]
    pub fn get_or_insert_with(&mut self, key_group: usize, key: &K, init: impl FnOnce() -> S) -> &mut S {
        let group = self.group_mut(key_group);
        if !group.contains_key(key) {
            group.insert(key.clone(), init());
        }
        group.get_mut(key).expect("inserted just above")
    }

    /// Sets the entry of `key`.
    #[inline]
    pub fn insert(&mut self, key_group: usize, key: &K, value: S) {
        let group = self.group_mut(key_group);
        match group.get_mut(key) {
            Some(slot) => *slot = value,
            None => {
                group.insert(key.clone(), value);
            }
        }
    }

    /// Removes the entry of `key`, returning it.
    #[inline]
    pub fn remove(&mut self, key_group: usize, key: &K) -> Option<S> {
        self.group_mut(key_group).remove(key)
    }

    /// Number of keys with an entry.
    pub fn len(&self) -> usize {
        self.groups.iter().map(HashMap::len).sum()
    }

    /// Whether no key has an entry.
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(HashMap::is_empty)
    }

    /// The entries of one key group (what a snapshot of that key group contains).
    pub fn key_group_entries(&self, key_group: usize) -> impl Iterator<Item = (&K, &S)> {
        self.group(key_group).iter()
    }

    /// Checks up to `budget` entries, resuming where the previous call stopped and
    /// wrapping around, and removes those for which `keep` is false; returns how many it
    /// removed. This is incremental TTL cleanup: a bounded amount of work per access.
    ///
    /// Resuming skips the already-visited entries of the current key group, so a step
    /// costs O(budget + size of one key group) — fine for groups of moderate size.
    pub fn retain_step(&mut self, budget: usize, mut keep: impl FnMut(&S) -> bool) -> usize {
        let n = self.groups.len();
        let (mut group, mut skip) = self.cleanup_cursor;
        let (mut checked, mut removed, mut laps) = (0, 0, 0);
        // At most one lap over the groups, so a table of empty groups does not spin.
        while checked < budget && laps <= n {
            let map = &mut self.groups[group];
            let mut visited = 0;
            let mut doomed = Vec::new();
            for (k, v) in map.iter().skip(skip).take(budget - checked) {
                visited += 1;
                if !keep(v) {
                    doomed.push(k.clone());
                }
            }
            for k in &doomed {
                map.remove(k);
            }
            checked += visited;
            removed += doomed.len();
            // Removing does not reorder the rest, so the next step skips only what was kept.
            skip += visited - doomed.len();
            if skip >= map.len() {
                group = (group + 1) % n;
                skip = 0;
                laps += 1;
            }
        }
        self.cleanup_cursor = (group, skip);
        removed
    }
    /// An estimate of the bytes this table holds: every hash-map slot
    /// (`capacity × (size_of::<(K, S)>() + 1)` — the entry plus hashbrown's control
    /// byte) plus, per entry, the **bincode-serialized size** of its key and value as a
    /// stand-in for the heap memory they own (strings, vectors, nested maps). Fixed-size
    /// fields are thus counted twice, so this errs high by at most `size_of::<(K, S)>()`
    /// per entry. It walks every entry: call it for metrics, not per record.
    pub fn estimated_size_bytes(&self) -> u64
    where
        K: serde::Serialize,
        S: serde::Serialize,
    {
        let slot = (std::mem::size_of::<(K, S)>() + 1) as u64;
        self.groups
            .iter()
            .map(|g| {
                let payload: u64 = g
                    .iter()
                    .map(|(k, v)| bincode::serialized_size(k).unwrap_or(0) + bincode::serialized_size(v).unwrap_or(0))
                    .sum();
                g.capacity() as u64 * slot + payload
            })
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(n: u64) -> StateTable<u64, u64> {
        let range = KeyGroupRange::for_operator(4, 1, 0);
        let mut t = StateTable::new(range);
        for k in 0..n {
            t.insert((k % 4) as usize, &k, k);
        }
        t
    }

    #[test]
    fn retain_step_visits_every_entry_in_bounded_steps() {
        // (entries, budget per step): each step removes at most `budget`; a lap of
        // ceil(entries / budget) + 1 steps removes every even value, keeps every odd one.
        let cases = [(0, 3), (1, 1), (10, 3), (10, 100), (100, 7), (1_000, 1)];
        for (n, budget) in cases {
            let mut t = table(n);
            let steps = (n as usize).div_ceil(budget) + 1;
            for _ in 0..steps {
                assert!(t.retain_step(budget, |v| v % 2 == 1) <= budget);
            }
            assert_eq!(t.len() as u64, n / 2, "n={n} budget={budget}");
            assert_eq!(t.retain_step(budget, |_| false), budget.min(n as usize / 2));
        }
    }

    #[test]
    fn size_estimate_grows_with_entries_and_payload() {
        let empty = table(0).estimated_size_bytes();
        let small = table(1_000).estimated_size_bytes();
        // 1,000 entries of 16 bytes, counted once in the slots and once serialized.
        assert!(small >= 1_000 * (17 + 16), "{small}");
        assert!(small <= 4 * 1_000 * (17 + 16), "{small}");
        assert!(empty < small);
        let mut strings = StateTable::<u64, String>::new(KeyGroupRange::for_operator(4, 1, 0));
        strings.insert(0, &1, "x".repeat(10_000));
        assert!(strings.estimated_size_bytes() >= 10_000);
    }
}
