//! [`KeyedStateBackend`]: the one trait over where keyed state lives — on the heap
//! ([`HeapKeyedStateBackend`]) or in an embedded LSM on disk
//! ([`LsmKeyedStateBackend`](crate::LsmKeyedStateBackend)).
//!
//! Access is **typed via serde**: the heap backend keeps typed values and hands out
//! clones; the LSM backend stores bincode and decodes on read. Either way a state is
//! addressed by `(state, key group, key[, user key])`, and snapshots come out in the same
//! [`KeyedStateSnapshot`] format, so a heap snapshot restores into the LSM and back.

use std::collections::HashMap;
use std::hash::Hash;

use weir_core::KeyGroupRange;

use crate::{
    HeapKeyedStateBackend, Key, KeyGroupSource, KeyedStateSnapshot, StateError, StateId, StateKind, StateValue,
};

/// Keyed state of one subtask, organised by key group.
///
/// # Contract
/// - A state is registered once by name (again with the same kind and type: same id).
///   Whole-value states (value, list, reducing, aggregating, or any per-key `S`) are
///   registered with [`register`](Self::register) and read/written whole with
///   [`get`](Self::get)/[`put`](Self::put)/[`delete`](Self::delete); map states are
///   registered with [`register_map`](Self::register_map) and addressed per user key
///   (`*_entry`, [`entries`](Self::entries)), so a persistent backend never rewrites a
///   whole map to change one entry. `S`, `UK`, `UV` must be the registered types.
/// - A map state's per-key value is `HashMap<UK, UV>` in snapshots, whatever the backend.
/// - `key_group` must be the key's group and belong to [`key_group_range`](Self::key_group_range).
/// - [`snapshot`](Self::snapshot) leaves key groups without entries out;
///   [`restore`](Self::restore) takes, from snapshots of any parallelism, the key groups
///   this backend owns.
///
/// # Errors
/// Heap access never fails; the LSM backend fails with [`StateError::Store`] on I/O
/// errors. Snapshot and restore errors are as for [`HeapKeyedStateBackend::snapshot`]
/// and [`HeapKeyedStateBackend::restore`].
///
/// # Concurrency
/// Owned by the subtask's task thread. Backends may offer an asynchronous snapshot (a
/// synchronous cut, serialized elsewhere) as an inherent method.
///
/// # Example
/// The same code over either backend:
/// ```
/// use weir_core::KeyGroupRange;
/// use weir_state::{HeapKeyedStateBackend, KeyedStateBackend, LsmKeyedStateBackend, MemoryBudget, StateKind};
/// fn count<B: KeyedStateBackend<String>>(b: &mut B) -> Option<u64> {
///     let id = b.register::<u64>("count", StateKind::Value).unwrap();
///     let key = "a".to_string();
///     let n = b.get::<u64>(id, 5, &key).unwrap().unwrap_or(0);
///     b.put(id, 5, &key, n + 1).unwrap();
///     b.get(id, 5, &key).unwrap()
/// }
/// let range = KeyGroupRange::for_operator(128, 1, 0);
/// let mut heap = HeapKeyedStateBackend::<String>::new(range);
/// assert_eq!(count(&mut heap), Some(1));
/// let dir = tempfile::tempdir().unwrap();
/// let mut lsm = LsmKeyedStateBackend::<String>::open(dir.path(), range, MemoryBudget::of(8 << 20)).unwrap();
/// assert_eq!(count(&mut lsm), Some(1));
/// // Snapshots are interchangeable.
/// lsm.restore(&[heap.snapshot().unwrap()]).unwrap();
/// assert_eq!(count(&mut lsm), Some(2));
/// ```
pub trait KeyedStateBackend<K: Key> {
    /// The key groups this backend owns.
    fn key_group_range(&self) -> KeyGroupRange;

    /// Declares a state holding one `S` per key.
    ///
    /// # Errors
    /// [`StateError::IncompatibleDeclaration`] when `name` exists with another kind or type.
    fn register<S: StateValue>(&mut self, name: &str, kind: StateKind) -> Result<StateId, StateError>;

    /// Declares a map state from `UK` to `UV` per key, addressed per user key.
    ///
    /// # Errors
    /// As [`Self::register`].
    fn register_map<UK: StateValue + Hash + Eq, UV: StateValue>(&mut self, name: &str) -> Result<StateId, StateError>;

    /// The value of `key` in a whole-value state.
    ///
    /// # Errors
    /// [`StateError::Store`] when the store fails or the bytes do not decode.
    fn get<S: StateValue>(&self, id: StateId, key_group: usize, key: &K) -> Result<Option<S>, StateError>;

    /// Sets the value of `key` in a whole-value state.
    ///
    /// # Errors
    /// As [`Self::get`].
    fn put<S: StateValue>(&mut self, id: StateId, key_group: usize, key: &K, value: S) -> Result<(), StateError>;

    /// Removes `key` from a whole-value state.
    ///
    /// # Errors
    /// As [`Self::get`].
    fn delete<S: StateValue>(&mut self, id: StateId, key_group: usize, key: &K) -> Result<(), StateError>;

    /// The value under `user_key` in `key`'s map.
    ///
    /// # Errors
    /// As [`Self::get`].
    fn get_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: &UK,
    ) -> Result<Option<UV>, StateError>;

    /// Sets `user_key` to `value` in `key`'s map.
    ///
    /// # Errors
    /// As [`Self::get`].
    fn put_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &mut self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: UK,
        value: UV,
    ) -> Result<(), StateError>;

    /// Removes `user_key` from `key`'s map.
    ///
    /// # Errors
    /// As [`Self::get`].
    fn delete_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &mut self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: &UK,
    ) -> Result<(), StateError>;

    /// Every entry of `key`'s map (order unspecified).
    ///
    /// # Errors
    /// As [`Self::get`].
    fn entries<UK: StateValue + Hash + Eq, UV: StateValue>(
        &self,
        id: StateId,
        key_group: usize,
        key: &K,
    ) -> Result<Vec<(UK, UV)>, StateError>;

    /// The keys with an entry in state `id` in one key group (order unspecified).
    ///
    /// # Errors
    /// As [`Self::get`].
    fn keys(&self, id: StateId, key_group: usize) -> Result<Vec<K>, StateError>;

    /// Every declared state, by key group.
    ///
    /// # Errors
    /// [`StateError::Snapshot`] or [`StateError::Store`].
    fn snapshot(&self) -> Result<KeyedStateSnapshot, StateError>;

    /// Restores the owned key groups from `snapshots`.
    ///
    /// # Errors
    /// [`StateError::Restore`] or [`StateError::Store`].
    fn restore(&mut self, snapshots: &[KeyedStateSnapshot]) -> Result<(), StateError>;

    /// Restores the owned key groups of one snapshot that `source` reads one key group at
    /// a time; called once per old subtask's snapshot. The embedded backend writes each
    /// key group into its store as it arrives — a restore never holds more than one key
    /// group in memory — and keeps where an unchanged one lies
    /// ([`RestoredKeyGroup::origin`](crate::RestoredKeyGroup::origin)) for its next
    /// checkpoint. The default restores each key group as a snapshot of its own.
    ///
    /// # Errors
    /// As [`Self::restore`], and the source's.
    fn restore_key_groups(&mut self, source: &mut dyn KeyGroupSource) -> Result<(), StateError> {
        let header = source.header().clone();
        let one = |key_groups| KeyedStateSnapshot {
            format_version: header.format_version,
            states: header.states.clone(),
            key_groups,
        };
        // The declarations are checked even when the source holds none of our key groups.
        self.restore(&[one(Vec::new())])?;
        while let Some(kg) = source.next_key_group()? {
            self.restore(&[one(vec![kg.snapshot])])?;
        }
        Ok(())
    }

    /// An estimate of the state's size in bytes (see each backend for what it counts).
    ///
    /// # Errors
    /// [`StateError::Store`] when the store cannot report it.
    fn estimated_size_bytes(&self) -> Result<u64, StateError>;
}

impl<K: Key> KeyedStateBackend<K> for HeapKeyedStateBackend<K> {
    fn key_group_range(&self) -> KeyGroupRange {
        HeapKeyedStateBackend::key_group_range(self)
    }

    fn register<S: StateValue>(&mut self, name: &str, kind: StateKind) -> Result<StateId, StateError> {
        HeapKeyedStateBackend::register::<S>(self, name, kind)
    }

    fn register_map<UK: StateValue + Hash + Eq, UV: StateValue>(&mut self, name: &str) -> Result<StateId, StateError> {
        HeapKeyedStateBackend::register::<HashMap<UK, UV>>(self, name, StateKind::Map)
    }

    fn get<S: StateValue>(&self, id: StateId, key_group: usize, key: &K) -> Result<Option<S>, StateError> {
        Ok(self.table::<S>(id).get(key_group, key).cloned())
    }

    fn put<S: StateValue>(&mut self, id: StateId, key_group: usize, key: &K, value: S) -> Result<(), StateError> {
        self.table_mut::<S>(id).insert(key_group, key, value);
        Ok(())
    }

    fn delete<S: StateValue>(&mut self, id: StateId, key_group: usize, key: &K) -> Result<(), StateError> {
        self.table_mut::<S>(id).remove(key_group, key);
        Ok(())
    }

    fn get_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: &UK,
    ) -> Result<Option<UV>, StateError> {
        Ok(self.table::<HashMap<UK, UV>>(id).get(key_group, key).and_then(|m| m.get(user_key)).cloned())
    }

    fn put_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &mut self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: UK,
        value: UV,
    ) -> Result<(), StateError> {
        self.table_mut::<HashMap<UK, UV>>(id).get_or_insert_with(key_group, key, HashMap::new).insert(user_key, value);
        Ok(())
    }

    fn delete_entry<UK: StateValue + Hash + Eq, UV: StateValue>(
        &mut self,
        id: StateId,
        key_group: usize,
        key: &K,
        user_key: &UK,
    ) -> Result<(), StateError> {
        let table = self.table_mut::<HashMap<UK, UV>>(id);
        if let Some(map) = table.get_mut(key_group, key) {
            map.remove(user_key);
            if map.is_empty() {
                table.remove(key_group, key);
            }
        }
        Ok(())
    }

    fn entries<UK: StateValue + Hash + Eq, UV: StateValue>(
        &self,
        id: StateId,
        key_group: usize,
        key: &K,
    ) -> Result<Vec<(UK, UV)>, StateError> {
        Ok(self
            .table::<HashMap<UK, UV>>(id)
            .get(key_group, key)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    fn keys(&self, id: StateId, key_group: usize) -> Result<Vec<K>, StateError> {
        Ok(self.key_group_keys(id, key_group))
    }

    fn snapshot(&self) -> Result<KeyedStateSnapshot, StateError> {
        HeapKeyedStateBackend::snapshot(self)
    }

    fn restore(&mut self, snapshots: &[KeyedStateSnapshot]) -> Result<(), StateError> {
        HeapKeyedStateBackend::restore(self, snapshots)
    }

    fn estimated_size_bytes(&self) -> Result<u64, StateError> {
        Ok(HeapKeyedStateBackend::estimated_size_bytes(self))
    }
}
