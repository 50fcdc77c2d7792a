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
}

impl<K: std::hash::Hash + Eq + Clone, S> StateTable<K, S> {
    /// An empty table for the key groups of `range`.
    pub fn new(range: KeyGroupRange) -> Self {
        StateTable { first_key_group: range.start, groups: (0..range.len()).map(|_| HashMap::default()).collect() }
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
}
