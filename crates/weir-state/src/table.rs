//! One declared state's data: a hash map per key group, copied on write after a cut.
//!
//! # Snapshots without stopping the task
//! Each key group's map sits behind an [`Arc`]. [`StateTable::cut`] clones the `Arc`s —
//! O(key groups), no entry is touched — and the cut can be serialized on any thread.
//! The first write to a key group after a cut finds its map shared and copies that one
//! map (Flink's copy-on-write heap state, at key-group grain); later writes to it are
//! plain hash-map writes again. Writes never see the cut and the cut never sees them.

use std::collections::HashMap;
use std::sync::Arc;

use weir_core::key_group::StableBuildHasher;
use weir_core::KeyGroupRange;

/// The entries of one state (`S` per key) for the key groups a subtask owns.
///
/// `S` is the per-key value: `T` for value state, `Vec<T>` for list state,
/// `HashMap<UK, UV>` for map state.
#[derive(Debug)]
pub struct StateTable<K, S> {
    first_key_group: usize,
    groups: Vec<Arc<Group<K, S>>>,
    /// Copies a key group's map that a cut still shares; set by the first [`Self::cut`]
    /// (which is where `S: Clone` is known), so tables never cut need no `Clone`.
    copy: Option<CopyGroup<K, S>>,
    /// Where incremental cleanup resumes: (group index, entries to skip in it).
    cleanup_cursor: (usize, usize),
}

/// One key group's entries.
pub type Group<K, S> = HashMap<K, S, StableBuildHasher>;

/// Copies one key group's entries.
type CopyGroup<K, S> = fn(&Group<K, S>) -> Group<K, S>;

// SAFETY: a table's maps are shared only with the `TableCut`s its `cut` made, and `cut`
// requires `K: Sync` and `S: Sync` — for such types `Arc<Group<K, S>>` is `Send` and this
// impl adds nothing. For keys or values that are not `Sync` no cut can exist, so every
// `Arc` has a count of one and the table owns its maps exactly as a `Vec<Box<_>>` would,
// which is `Send` whenever `K` and `S` are. (Without this, tables of window contents —
// which are never cut — would demand `Sync` of every accumulator and record type.)
unsafe impl<K: Send, S: Send> Send for StateTable<K, S> {}

/// A frozen copy of a [`StateTable`]'s key groups, taken by [`StateTable::cut`]: shares
/// the maps with the table until the table writes to them.
#[derive(Debug)]
pub struct TableCut<K, S> {
    first_key_group: usize,
    groups: Vec<Arc<Group<K, S>>>,
}

impl<K, S> TableCut<K, S> {
    /// The entries of one key group as they were at the cut.
    pub fn key_group_entries(&self, key_group: usize) -> impl Iterator<Item = (&K, &S)> {
        self.groups[key_group - self.first_key_group].iter()
    }

    /// Whether the key group had entries at the cut.
    pub fn has_entries(&self, key_group: usize) -> bool {
        !self.groups[key_group - self.first_key_group].is_empty()
    }
}

impl<K: std::hash::Hash + Eq + Clone + Sync, S: Clone + Sync> StateTable<K, S> {
    /// A frozen view of every key group, to serialize on any thread while the table goes
    /// on changing (see the module docs). O(key groups).
    ///
    /// # Example
    /// ```
    /// use weir_core::KeyGroupRange;
    /// use weir_state::StateTable;
    /// let mut t = StateTable::<u32, u32>::new(KeyGroupRange::for_operator(4, 1, 0));
    /// t.insert(1, &7, 1);
    /// let cut = t.cut();
    /// t.insert(1, &7, 2); // copies key group 1 once; the cut keeps 1
    /// assert_eq!(cut.key_group_entries(1).collect::<Vec<_>>(), vec![(&7, &1)]);
    /// assert_eq!(t.get(1, &7), Some(&2));
    /// ```
    pub fn cut(&mut self) -> TableCut<K, S> {
        self.copy = Some(|g| g.clone());
        TableCut { first_key_group: self.first_key_group, groups: self.groups.clone() }
    }
}

impl<K: std::hash::Hash + Eq + Clone, S> StateTable<K, S> {
    /// An empty table for the key groups of `range`.
    pub fn new(range: KeyGroupRange) -> Self {
        StateTable {
            first_key_group: range.start,
            groups: (0..range.len()).map(|_| Arc::new(HashMap::default())).collect(),
            copy: None,
            cleanup_cursor: (0, 0),
        }
    }

    #[inline]
    fn group(&self, key_group: usize) -> &Group<K, S> {
        &self.groups[key_group - self.first_key_group]
    }

    #[inline]
    fn group_mut(&mut self, key_group: usize) -> &mut Group<K, S> {
        Self::writable(&mut self.groups[key_group - self.first_key_group], self.copy)
    }

    /// The map of a key group for writing, copied first if a cut still shares it.
    #[inline]
    fn writable(group: &mut Arc<Group<K, S>>, copy: Option<CopyGroup<K, S>>) -> &mut Group<K, S> {
        if Arc::get_mut(group).is_none() {
            let copy = copy.expect("only a cut shares a key group, and cutting sets the copy function");
            *group = Arc::new(copy(group));
        }
        Arc::get_mut(group).expect("unshared just above")
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
        self.groups.iter().map(|g| g.len()).sum()
    }

    /// Whether no key has an entry.
    pub fn is_empty(&self) -> bool {
        self.groups.iter().all(|g| g.is_empty())
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
            let map = &self.groups[group];
            let mut visited = 0;
            let mut doomed = Vec::new();
            for (k, v) in map.iter().skip(skip).take(budget - checked) {
                visited += 1;
                if !keep(v) {
                    doomed.push(k.clone());
                }
            }
            let len = map.len();
            if !doomed.is_empty() {
                let map = Self::writable(&mut self.groups[group], self.copy);
                for k in &doomed {
                    map.remove(k);
                }
            }
            checked += visited;
            removed += doomed.len();
            // Removing does not reorder the rest, so the next step skips only what was kept.
            skip += visited - doomed.len();
            if skip >= len - doomed.len() {
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
