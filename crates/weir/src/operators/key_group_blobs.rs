//! [`KeyGroupBlobs`]: how keyed operators write their state into a checkpoint so that a
//! job can resume at any parallelism.
//!
//! A keyed operator's state is written as keyed entries (`OperatorStateWriter::keyed`),
//! and every piece of it is cut **by key group**:
//! - the keyed state backend, as its own `KeyedStateSnapshot`;
//! - the timers, as a `TimerSnapshot`;
//! - the operator's own per-key structures (window contents, slices), as
//!   [`KeyGroupBlobs`]: per key group, the bincode of its `(key, entry)` pairs.
//!
//! On restore each subtask receives the blob of every old subtask and keeps only the key
//! groups of its own range, so rescaling needs no help from the runtime.
//!
//! Invariant: a key group is written by exactly one old subtask and read by exactly one
//! new one, so every key's state comes back once.

use std::hash::Hash;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use weir_core::KeyGroupRange;
use weir_runtime::restored_item::RestoredItem;
use weir_runtime::snapshot::OperatorStateWriter;
use weir_runtime::BoxError;
use weir_state::{
    HeapKeyedStateBackend, Key, KeyedStateBackend, KeyedStateSnapshot, StateTable, TimerService, TimerSnapshot,
};

/// The entry name of a keyed operator's state backend.
pub(crate) const KEYED_STATE: &str = "keyed-state";
/// The entry name of a keyed operator's timers.
pub(crate) const TIMERS: &str = "timers";

/// An operator's own per-key structures, by key group.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct KeyGroupBlobs {
    /// `(key group, bincode of Vec<(key, entry)>)`, ascending by key group; key groups
    /// without entries are left out.
    groups: Vec<(usize, Vec<u8>)>,
}

impl KeyGroupBlobs {
    /// The bytes of `table`'s entries in `range`, each written as `(key, entry(value))`.
    ///
    /// # Errors
    /// When `entry` fails or a key cannot be encoded.
    pub(crate) fn of_table<'t, K, S, E>(
        table: &'t StateTable<K, S>,
        range: KeyGroupRange,
        mut entry: impl FnMut(&'t S) -> Result<E, BoxError>,
    ) -> Result<Vec<u8>, BoxError>
    where
        K: Hash + Eq + Clone + Serialize,
        E: Serialize,
    {
        let mut groups = Vec::new();
        for key_group in range.start..=range.end {
            let entries = table
                .key_group_entries(key_group)
                .map(|(key, value)| Ok((key, entry(value)?)))
                .collect::<Result<Vec<_>, BoxError>>()?;
            if !entries.is_empty() {
                groups.push((key_group, bincode::serialize(&entries)?));
            }
        }
        Ok(bincode::serialize(&KeyGroupBlobs { groups })?)
    }

    /// Calls `put(key group, key, entry)` for every entry of `blobs` (written by
    /// [`Self::of_table`] in any number of old subtasks) whose key group is in `range`.
    ///
    /// # Errors
    /// Bytes that do not decode as `(K, E)` entries (naming `what`), or `put`'s error.
    pub(crate) fn restore<K, E>(
        blobs: &[Vec<u8>],
        range: KeyGroupRange,
        what: &str,
        mut put: impl FnMut(usize, K, E) -> Result<(), BoxError>,
    ) -> Result<(), BoxError>
    where
        K: DeserializeOwned,
        E: DeserializeOwned,
    {
        for blob in blobs {
            let blobs: KeyGroupBlobs =
                bincode::deserialize(blob).map_err(|e| format!("{what} in the checkpoint do not decode: {e}"))?;
            for (key_group, bytes) in blobs.groups.into_iter().filter(|(kg, _)| range.contains(*kg)) {
                let entries: Vec<(K, E)> = bincode::deserialize(&bytes)
                    .map_err(|e| format!("{what} of key group {key_group} in the checkpoint do not decode: {e}"))?;
                for (key, entry) in entries {
                    put(key_group, key, entry)?;
                }
            }
        }
        Ok(())
    }
}

/// The bytes of `timers`, cut by the key groups of `max_parallelism`.
///
/// # Errors
/// When a key or namespace cannot be encoded.
pub(crate) fn snapshot_timers<K, N>(timers: &TimerService<K, N>, max_parallelism: usize) -> Result<Vec<u8>, BoxError>
where
    K: Hash + Eq + Clone + Serialize + DeserializeOwned,
    N: Hash + Eq + Clone + Serialize + DeserializeOwned,
{
    Ok(bincode::serialize(&timers.snapshot(max_parallelism)?)?)
}

/// Registers in `timers` the timers of `blobs` (written by [`snapshot_timers`]) whose
/// keys belong to `range`.
///
/// # Errors
/// Bytes that are not timers of these key and namespace types.
pub(crate) fn restore_timers<K, N>(
    timers: &mut TimerService<K, N>,
    range: KeyGroupRange,
    blobs: &[Vec<u8>],
) -> Result<(), BoxError>
where
    K: Hash + Eq + Clone + Serialize + DeserializeOwned,
    N: Hash + Eq + Clone + Serialize + DeserializeOwned,
{
    let snapshots = blobs
        .iter()
        .map(|b| bincode::deserialize::<TimerSnapshot>(b))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("timers in the checkpoint do not decode: {e}"))?;
    Ok(timers.restore(range, &snapshots)?)
}

/// Writes every state declared in `backend` into `state` under [`KEYED_STATE`]: cut now
/// (copy-on-write), serialized off the task thread.
pub(crate) fn snapshot_backend<K>(backend: &mut HeapKeyedStateBackend<K>, state: &mut OperatorStateWriter)
where
    K: Hash + Eq + Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    let serialize = backend.snapshot_async(None);
    state.keyed_async(KEYED_STATE, Box::new(move || Ok(serialize()?.to_bytes()?)));
}

/// This subtask's key groups of the keyed state in `items` (the entry [`KEYED_STATE`], one
/// item per old subtask), read one key group at a time as [`restore_backend`] reads them,
/// as one snapshot per item: for a heap operator that takes structures of its own out of
/// the snapshots (an embedded checkpoint's windows) before its backend restores the rest.
/// Only the key groups in `range` are read, so the snapshots hold no more than the heap
/// will.
///
/// # Errors
/// Items that are not keyed state snapshots, or storage that fails.
pub(crate) fn read_key_groups(
    items: &[RestoredItem],
    range: KeyGroupRange,
) -> Result<Vec<KeyedStateSnapshot>, BoxError> {
    let mut snapshots = Vec::with_capacity(items.len());
    for item in items {
        let mut source = item.key_groups(range)?;
        let header = source.header().clone();
        let mut key_groups = Vec::new();
        while let Some(kg) = source.next_key_group()? {
            key_groups.push(kg.snapshot);
        }
        snapshots.push(KeyedStateSnapshot { format_version: header.format_version, states: header.states, key_groups });
    }
    Ok(snapshots)
}

/// Keyed state of a checkpoint, kept until the operator's states are declared.
#[derive(Debug)]
pub(crate) enum PendingKeyedState {
    /// Not read yet: [`restore_backend`] reads it one key group at a time.
    Unread(Vec<RestoredItem>),
    /// Already read by [`read_key_groups`] (only this subtask's key groups).
    Read(Vec<KeyedStateSnapshot>),
}

impl Default for PendingKeyedState {
    fn default() -> Self {
        PendingKeyedState::Unread(Vec::new())
    }
}

impl PendingKeyedState {
    /// Restores the state into `backend`, whose states are declared now.
    ///
    /// # Errors
    /// As [`restore_backend`].
    pub(crate) fn restore_into<K: Key>(self, backend: &mut impl KeyedStateBackend<K>) -> Result<(), BoxError> {
        match self {
            PendingKeyedState::Unread(items) => restore_backend(backend, &items),
            PendingKeyedState::Read(snapshots) => Ok(backend.restore(&snapshots)?),
        }
    }
}

/// Restores into `backend` its key groups of the keyed state in `items` (the entry
/// [`KEYED_STATE`], one item per old subtask, from
/// [`OperatorStateReader::keyed_items`](weir_runtime::snapshot::OperatorStateReader::keyed_items)),
/// one key group at a time: nothing is read before, only the backend's own key groups are
/// read, and the embedded backend holds no more than one of them in memory. Call it once
/// the operator's states are declared.
///
/// # Errors
/// State that does not fit the declarations ([`weir_state::StateError::Restore`]) or
/// storage that fails.
pub(crate) fn restore_backend<K: Key>(
    backend: &mut impl KeyedStateBackend<K>,
    items: &[RestoredItem],
) -> Result<(), BoxError> {
    let range = backend.key_group_range();
    for item in items {
        backend.restore_key_groups(&mut *item.key_groups(range)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use weir_core::key_group::assign_to_key_group;

    use super::*;

    const MAX: usize = 128;

    /// A table of subtask `i` of `p` holding `key -> key * 10` for the keys it owns.
    fn table(i: usize, p: usize, keys: &[u64]) -> StateTable<u64, u64> {
        let range = KeyGroupRange::for_operator(MAX, p, i);
        let mut t = StateTable::new(range);
        for &k in keys {
            let kg = assign_to_key_group(&k, MAX);
            if range.contains(kg) {
                t.insert(kg, &k, k * 10);
            }
        }
        t
    }

    #[test]
    fn entries_come_back_once_at_any_parallelism() {
        let keys: Vec<u64> = (0..1_000).collect();
        let blobs: Vec<Vec<u8>> = (0..3)
            .map(|i| {
                let range = KeyGroupRange::for_operator(MAX, 3, i);
                KeyGroupBlobs::of_table(&table(i, 3, &keys), range, |v| Ok(*v + 1)).unwrap()
            })
            .collect();
        for p in [1, 2, 5] {
            let mut back = Vec::new();
            for i in 0..p {
                let range = KeyGroupRange::for_operator(MAX, p, i);
                KeyGroupBlobs::restore(&blobs, range, "test entries", |kg, k: u64, v: u64| {
                    assert!(range.contains(kg) && assign_to_key_group(&k, MAX) == kg);
                    back.push((k, v));
                    Ok(())
                })
                .unwrap();
            }
            back.sort();
            assert_eq!(back, keys.iter().map(|k| (*k, k * 10 + 1)).collect::<Vec<_>>(), "parallelism {p}");
        }
        let err = KeyGroupBlobs::restore(
            &[vec![7]],
            KeyGroupRange::for_operator(MAX, 1, 0),
            "windows",
            |_, _: u64, _: u64| Ok(()),
        )
        .unwrap_err();
        assert!(err.to_string().contains("windows in the checkpoint do not decode"), "{err}");
    }

    #[test]
    fn read_key_groups_reads_only_the_subtasks_key_groups_and_every_header() {
        // Keyed state of 2 old subtasks, as items; subtask 0 of 4 owns keys of only one.
        let items: Vec<RestoredItem> = (0..2)
            .map(|i| {
                let mut heap = HeapKeyedStateBackend::<u64>::new(KeyGroupRange::for_operator(MAX, 2, i));
                let id = heap.register::<u64>("n", weir_state::StateKind::Value).unwrap();
                for k in 0..500u64 {
                    let kg = assign_to_key_group(&k, MAX);
                    if KeyedStateBackend::key_group_range(&heap).contains(kg) {
                        KeyedStateBackend::put(&mut heap, id, kg, &k, k).unwrap();
                    }
                }
                RestoredItem::bytes(KeyedStateBackend::snapshot(&heap).unwrap().to_bytes().unwrap())
            })
            .collect();
        let range = KeyGroupRange::for_operator(MAX, 4, 0);
        let snapshots = read_key_groups(&items, range).unwrap();
        assert_eq!(snapshots.len(), 2, "one snapshot per old subtask");
        assert!(snapshots.iter().all(|s| s.states.len() == 1), "the declarations even without our key groups");
        let read: Vec<usize> = snapshots.iter().flat_map(|s| s.key_groups.iter().map(|kg| kg.key_group)).collect();
        assert!(!read.is_empty() && read.iter().all(|kg| range.contains(*kg)), "{read:?}");
        assert!(snapshots[1].key_groups.is_empty(), "old subtask 1 holds none of them");

        // Either way of keeping them restores the same state.
        let mut heaps = [(); 2].map(|_| HeapKeyedStateBackend::<u64>::new(range));
        for heap in &mut heaps {
            heap.register::<u64>("n", weir_state::StateKind::Value).unwrap();
        }
        PendingKeyedState::Unread(items).restore_into(&mut heaps[0]).unwrap();
        PendingKeyedState::Read(snapshots).restore_into(&mut heaps[1]).unwrap();
        let [a, b] = heaps.map(|h| KeyedStateBackend::snapshot(&h).unwrap());
        assert!(!a.key_groups.is_empty());
        assert_eq!(a, b);

        let err = read_key_groups(&[RestoredItem::bytes(vec![1, 2])], range).unwrap_err();
        assert!(err.to_string().contains("not a keyed state snapshot"), "{err}");
    }
}
