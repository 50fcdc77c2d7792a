//! [`KeyedStateSnapshot`]: keyed state serialized by key group, the unit of checkpoints
//! and of rescaling.
//!
//! A snapshot lists the declared states (name, kind, value type for diagnostics) and, per
//! key group with entries, one blob per state: the key group's `(key, value)` entries in
//! bincode. Because state is cut by key group, restoring at another parallelism is just
//! taking the key groups a subtask now owns from every old snapshot.

use serde::{Deserialize, Serialize};

use crate::StateKind;

/// The format version written by this Weir; restoring refuses newer ones.
pub const SNAPSHOT_FORMAT_VERSION: u32 = 1;

/// The keyed state of one subtask at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyedStateSnapshot {
    /// [`SNAPSHOT_FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The declared states, in the order of each key group's blobs.
    pub states: Vec<StateMeta>,
    /// The key groups with entries, in ascending order.
    pub key_groups: Vec<KeyGroupSnapshot>,
}

/// What a snapshot records of a declared state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateMeta {
    /// The state's name (how restore matches it).
    pub name: String,
    /// Value, list or map.
    pub kind: StateKind,
    /// The Rust type of the per-key value, for error messages.
    pub value_type: String,
}

/// One key group's entries: one blob per state, in [`KeyedStateSnapshot::states`] order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGroupSnapshot {
    /// The key group.
    pub key_group: usize,
    /// Per state, the bincode of its `Vec<(key, value)>` in this key group.
    pub tables: Vec<Vec<u8>>,
}

impl KeyedStateSnapshot {
    /// The snapshot as bytes (bincode), to store in a checkpoint.
    ///
    /// # Errors
    /// Never for snapshots made by a backend; the error is the encoder's.
    pub fn to_bytes(&self) -> Result<Vec<u8>, crate::StateError> {
        bincode::serialize(self).map_err(|e| crate::StateError::Snapshot(e.to_string()))
    }

    /// A snapshot read back from bytes.
    ///
    /// # Errors
    /// [`crate::StateError::Restore`] for bytes that are not a snapshot.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, crate::StateError> {
        bincode::deserialize(bytes).map_err(|e| crate::StateError::Restore(format!("not a keyed state snapshot: {e}")))
    }

    /// Takes the state `name` out of the snapshot: its per key group blobs
    /// (`(key group, blob)`, ascending), or `None` when the snapshot has no such state.
    /// What remains restores as before, without it.
    ///
    /// For an operator that keeps some of its state in a backend in one configuration
    /// and in structures of its own in another: it reads its own states itself and hands
    /// the rest to the backend.
    ///
    /// # Example
    /// ```
    /// use weir_core::KeyGroupRange;
    /// use weir_state::{HeapKeyedStateBackend, StateKind};
    /// let mut backend = HeapKeyedStateBackend::<u32>::new(KeyGroupRange::for_operator(8, 1, 0));
    /// let a = backend.register::<u64>("a", StateKind::Value).unwrap();
    /// let b = backend.register::<u64>("b", StateKind::Value).unwrap();
    /// backend.table_mut::<u64>(a).insert(3, &7, 70);
    /// backend.table_mut::<u64>(b).insert(5, &9, 90);
    /// let mut snapshot = backend.snapshot().unwrap();
    /// let blobs = snapshot.take_state("b").unwrap();
    /// assert_eq!(blobs.len(), 1);
    /// let entries: Vec<(u32, u64)> = bincode::deserialize(&blobs[0].1).unwrap();
    /// assert_eq!((blobs[0].0, entries), (5, vec![(9, 90)]));
    /// assert_eq!(snapshot.states.len(), 1);
    /// assert!(snapshot.take_state("b").is_none());
    /// ```
    pub fn take_state(&mut self, name: &str) -> Option<Vec<(usize, Vec<u8>)>> {
        let index = self.states.iter().position(|s| s.name == name)?;
        self.states.remove(index);
        let mut blobs = Vec::new();
        for kg in &mut self.key_groups {
            let blob = kg.tables.remove(index);
            if blob.as_slice() != crate::backend::EMPTY_BLOB {
                blobs.push((kg.key_group, blob));
            }
        }
        self.key_groups.retain(|kg| kg.tables.iter().any(|t| t.as_slice() != crate::backend::EMPTY_BLOB));
        Some(blobs)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use weir_core::key_group::assign_to_key_group;
    use weir_core::KeyGroupRange;

    use crate::{
        BackendRef, HeapKeyedStateBackend, KeyedStateContext, ListStateDescriptor, MapStateDescriptor,
        ValueStateDescriptor,
    };

    use super::*;

    const MAX: usize = 128;

    /// A backend of subtask `i` of `p` with a context to set the current key.
    struct Subtask {
        backend: HeapKeyedStateBackend<String>,
        key: String,
        kg: usize,
    }

    impl KeyedStateContext<String> for Subtask {
        fn state_parts(&mut self) -> (BackendRef<'_, String>, &String, usize) {
            (BackendRef::Heap(&mut self.backend), &self.key, self.kg)
        }
    }

    impl Subtask {
        fn new(i: usize, p: usize) -> Self {
            Subtask {
                backend: HeapKeyedStateBackend::new(KeyGroupRange::for_operator(MAX, p, i)),
                key: String::new(),
                kg: 0,
            }
        }
        fn owns(&self, key: &str) -> bool {
            self.backend.key_group_range().contains(assign_to_key_group(key, MAX))
        }
        fn at(&mut self, key: &str) -> &mut Self {
            self.key = key.to_string();
            self.kg = assign_to_key_group(key, MAX);
            self
        }
    }

    fn declare(s: &mut Subtask) -> (crate::ValueState<u64>, crate::ListState<String>, crate::MapState<u32, i64>) {
        (
            ValueStateDescriptor::new("count").declare(&mut s.backend).unwrap(),
            ListStateDescriptor::new("seen").declare(&mut s.backend).unwrap(),
            MapStateDescriptor::new("by-hour").declare(&mut s.backend).unwrap(),
        )
    }

    /// Fills the state of `keys` owned by `s`: count = i, seen = [k, k], by-hour = {i % 24: -i}.
    fn fill(s: &mut Subtask, keys: &[String]) {
        let (count, seen, by_hour) = declare(s);
        for (i, k) in keys.iter().enumerate() {
            if !s.owns(k) {
                continue;
            }
            let ctx = s.at(k);
            count.update(ctx, i as u64).unwrap();
            seen.add_all(ctx, [k.clone(), k.clone()]).unwrap();
            by_hour.put(ctx, (i % 24) as u32, -(i as i64)).unwrap();
        }
    }

    /// Per key: its count, its list and its map entries.
    type Contents = HashMap<String, (Option<u64>, Vec<String>, Vec<(u32, i64)>)>;

    fn read(s: &mut Subtask, keys: &[String]) -> Contents {
        let (count, seen, by_hour) = declare(s);
        let mut out = HashMap::new();
        let owned: Vec<&String> = keys.iter().filter(|k| s.owns(k)).collect();
        for k in owned {
            let ctx = s.at(k);
            let v = count.value(ctx).unwrap();
            if v.is_some() {
                out.insert(k.clone(), (v, seen.get(ctx).unwrap(), by_hour.entries(ctx).unwrap()));
            }
        }
        out
    }

    #[test]
    fn state_survives_a_snapshot_and_is_redistributed_by_key_group() {
        let keys: Vec<String> = (0..2_000).map(|i| format!("user-{i}")).collect();
        // Parallelism 2: two subtasks, each filling the keys it owns; snapshots as bytes.
        let mut before = HashMap::new();
        let mut snapshots = Vec::new();
        for i in 0..2 {
            let mut s = Subtask::new(i, 2);
            fill(&mut s, &keys);
            before.extend(read(&mut s, &keys));
            let bytes = s.backend.snapshot().unwrap().to_bytes().unwrap();
            snapshots.push(KeyedStateSnapshot::from_bytes(&bytes).unwrap());
        }
        assert_eq!(before.len(), keys.len());
        // Restore at parallelism 1, 2 and 4: every key comes back, exactly once, in the
        // subtask that owns its key group.
        for p in [1, 2, 4] {
            let mut after = HashMap::new();
            for i in 0..p {
                let mut s = Subtask::new(i, p);
                declare(&mut s);
                s.backend.restore(&snapshots).unwrap();
                let got = read(&mut s, &keys);
                for k in got.keys() {
                    assert!(s.owns(k));
                }
                let n = after.len() + got.len();
                after.extend(got);
                assert_eq!(after.len(), n, "a key restored twice at p={p}");
            }
            assert_eq!(after, before, "parallelism {p}");
        }
    }

    #[test]
    fn restoring_into_other_declarations_fails_with_the_state_named() {
        let mut s = Subtask::new(0, 1);
        fill(&mut s, &["a".to_string()]);
        let snapshot = s.backend.snapshot().unwrap();

        let mut undeclared = Subtask::new(0, 1);
        ValueStateDescriptor::<u64>::new("count").declare(&mut undeclared.backend).unwrap();
        let e = undeclared.backend.restore(std::slice::from_ref(&snapshot)).unwrap_err().to_string();
        assert!(e.contains("'seen'") && e.contains("not declared"), "{e}");

        let mut other_kind = Subtask::new(0, 1);
        ValueStateDescriptor::<u64>::new("count").declare(&mut other_kind.backend).unwrap();
        ValueStateDescriptor::<String>::new("seen").declare(&mut other_kind.backend).unwrap();
        MapStateDescriptor::<u32, i64>::new("by-hour").declare(&mut other_kind.backend).unwrap();
        let e = other_kind.backend.restore(std::slice::from_ref(&snapshot)).unwrap_err().to_string();
        assert!(e.contains("'seen' was a List state"), "{e}");

        let mut other_type = Subtask::new(0, 1);
        ValueStateDescriptor::<String>::new("count").declare(&mut other_type.backend).unwrap();
        ListStateDescriptor::<String>::new("seen").declare(&mut other_type.backend).unwrap();
        MapStateDescriptor::<u32, i64>::new("by-hour").declare(&mut other_type.backend).unwrap();
        let e = other_type.backend.restore(std::slice::from_ref(&snapshot)).unwrap_err().to_string();
        assert!(
            e.contains("state 'count' holds u64 in the snapshot and is now declared as alloc::string::String"),
            "{e}"
        );

        let mut newer = snapshot.clone();
        newer.format_version = SNAPSHOT_FORMAT_VERSION + 1;
        let mut fresh = Subtask::new(0, 1);
        declare(&mut fresh);
        assert!(fresh.backend.restore(&[newer]).unwrap_err().to_string().contains("newer"));
        assert!(KeyedStateSnapshot::from_bytes(b"garbage").is_err());
    }
}
