//! [`SliceStore`]: where the slicing operator keeps each key's slices and its timers —
//! on the heap ([`StateTable`] and [`TimerService`]) or in the embedded backend
//! ([`EmbeddedSlices`] and [`LsmTimerService`]) — and how each writes them into
//! checkpoints.
//!
//! | store | slices | timers |
//! |---|---|---|
//! | heap | entry `slices`: per key group, every key's [`SavedSlices`] | entry `timers` |
//! | embedded | state [`SLICE_STATE`] of the backend: `(key, None)` → [`SavedSlices`] | state [`SLICE_TIMERS`] |
//!
//! The embedded store's states are written with the backend's cut (entry `keyed-state`,
//! key group by key group, incrementally when configured), and restored the same way:
//! after `open`, the subtask's own key groups only, one at a time. A checkpoint of either
//! store restores into either: the accumulators are `WindowContents::save` bytes in both.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use weir_core::KeyGroupRange;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::BoxError;
use weir_state::{
    Key, KeyedStateBackend, KeyedStateSnapshot, LsmTimerService, StateBackend, StateBackendConfig, StateId, StateKind,
    StateTable, TimerService, TimerSnapshot,
};

use super::timer_store::{embedded, TimerStore};
use crate::operators::key_group_blobs::{
    read_key_groups, restore_timers, snapshot_timers, KeyGroupBlobs, PendingKeyedState, KEYED_STATE, TIMERS,
};
use crate::window::function::{WindowContents, WindowStateKey};
use crate::window::TimeWindow;

/// What a slicing timer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub(crate) enum SliceTimer {
    /// The end (max timestamp) of a window to emit.
    Fire,
    /// The time the key's newest slice can be dropped.
    Cleanup,
}

/// The slices of one key.
pub(crate) struct KeySlices<A> {
    /// Slice start → accumulator.
    pub(crate) slices: BTreeMap<i64, Option<A>>,
    /// Pending fire timers (window max timestamps).
    pub(crate) fire_timers: BTreeSet<i64>,
    pub(crate) cleanup_timer: Option<i64>,
}

impl<A> Default for KeySlices<A> {
    fn default() -> Self {
        KeySlices { slices: BTreeMap::new(), fire_timers: BTreeSet::new(), cleanup_timer: None }
    }
}

impl<A> KeySlices<A> {
    pub(crate) fn is_idle(&self) -> bool {
        self.slices.is_empty() && self.fire_timers.is_empty() && self.cleanup_timer.is_none()
    }
}

/// The heap store's checkpoint entry holding the keys' slices.
const SLICES: &str = "slices";
/// The embedded store's state of the keys' slices.
pub(crate) const SLICE_STATE: &str = "_slices";
/// The embedded store's timers.
pub(crate) const SLICE_TIMERS: &str = "_slice-timers";

/// A key's slices as checkpoints and the embedded store hold them: `(slice start, saved
/// accumulator)`, the pending fire times, the cleanup time.
pub(crate) type SavedSlices = (Vec<(i64, Option<Vec<u8>>)>, BTreeSet<i64>, Option<i64>);

/// The slicing operator's backend: the window function's state (unused by the
/// incremental functions slicing computes) and, in the embedded store, the slices.
pub(crate) type SliceBackend<K> = StateBackend<WindowStateKey<K, TimeWindow>>;

fn save<K, T, C: WindowContents<K, T, TimeWindow>>(
    contents: &C,
    key: &KeySlices<C::Acc>,
) -> Result<SavedSlices, BoxError> {
    let slices = key
        .slices
        .iter()
        .map(|(start, acc)| Ok((*start, acc.as_ref().map(|acc| contents.save(acc)).transpose()?)))
        .collect::<Result<Vec<_>, BoxError>>()?;
    Ok((slices, key.fire_timers.clone(), key.cleanup_timer))
}

fn load<K, T, C: WindowContents<K, T, TimeWindow>>(
    contents: &C,
    (slices, fire_timers, cleanup_timer): SavedSlices,
) -> Result<KeySlices<C::Acc>, BoxError> {
    let slices = slices
        .into_iter()
        .map(|(start, acc)| Ok((start, acc.map(|bytes| contents.load(&bytes)).transpose()?)))
        .collect::<Result<BTreeMap<_, _>, BoxError>>()?;
    Ok(KeySlices { slices, fire_timers, cleanup_timer })
}

fn decode<V: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<V, BoxError> {
    bincode::deserialize(bytes).map_err(|e| format!("{what} in the checkpoint do not decode: {e}").into())
}

/// Where the slicing operator keeps the slices of each key, with its timers
/// ([`Self::Timers`]).
///
/// # Contract
/// `get_or_insert` and `get` lend a key's slices until the next call; changes reach the
/// store with `save` (or `remove`, which drops the key). Checkpoints write both the
/// slices and the timers; `restore` reads a checkpoint of either store and returns the
/// backend's state to restore once the operator is open.
pub(crate) trait SliceStore<K: Key, A>: Sized + Send + 'static {
    /// Where the timers are.
    type Timers: TimerStore<K, SliceTimer, WindowStateKey<K, TimeWindow>>;

    /// The slices of `key`, created empty when it has none.
    fn get_or_insert<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        backend: &SliceBackend<K>,
        key_group: usize,
        key: &K,
        contents: &C,
    ) -> Result<&mut KeySlices<A>, BoxError>;

    /// The slices of `key`, if it has any.
    fn get<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        backend: &SliceBackend<K>,
        key_group: usize,
        key: &K,
        contents: &C,
    ) -> Result<Option<&mut KeySlices<A>>, BoxError>;

    /// Stores the changes to the slices last lent for `key`.
    fn save<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        backend: &mut SliceBackend<K>,
        key_group: usize,
        key: &K,
        contents: &C,
    ) -> Result<(), BoxError>;

    /// Drops `key`'s slices.
    fn remove(&mut self, backend: &mut SliceBackend<K>, key_group: usize, key: &K) -> Result<(), BoxError>;

    /// Writes the slices and the timers into a checkpoint.
    fn snapshot<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        timers: &mut Self::Timers,
        backend: &mut SliceBackend<K>,
        contents: &C,
        max_parallelism: usize,
        state: &mut OperatorStateWriter,
    ) -> Result<(), BoxError>;

    /// Reads the slices and timers of a checkpoint of either store; returns the
    /// backend's state, to restore after `open` (the embedded store's unread, to restore
    /// one key group at a time).
    fn restore<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        timers: &mut Self::Timers,
        backend: &mut SliceBackend<K>,
        contents: &C,
        state: &OperatorStateReader,
    ) -> Result<PendingKeyedState, BoxError>;

    /// The backend's state was restored.
    fn restored(&mut self, timers: &mut Self::Timers, backend: &mut SliceBackend<K>) -> Result<(), BoxError>;
}

/// The embedded store's slices and timers, taken out of `snapshots` (as the embedded
/// store wrote them) for a heap store: `put(key group, key, saved)` per key of `range`;
/// returns the timers in the heap's format.
fn take_embedded<K: Key>(
    snapshots: &mut [KeyedStateSnapshot],
    range: KeyGroupRange,
    mut put: impl FnMut(usize, K, SavedSlices) -> Result<(), BoxError>,
) -> Result<Vec<TimerSnapshot>, BoxError> {
    let mut timers = Vec::new();
    for snapshot in snapshots.iter_mut() {
        if let Some(blobs) = snapshot.take_state(SLICE_TIMERS) {
            timers.push(LsmTimerService::<K, SliceTimer>::to_heap_snapshot(&blobs)?);
        }
        for (key_group, blob) in snapshot.take_state(SLICE_STATE).unwrap_or_default() {
            if !range.contains(key_group) {
                continue;
            }
            let keys: Vec<(WindowStateKey<K, TimeWindow>, SavedSlices)> = decode("window slices", &blob)?;
            for ((key, _), saved) in keys {
                put(key_group, key, saved)?;
            }
        }
    }
    Ok(timers)
}

impl<K: Key, A: Send + 'static> SliceStore<K, A> for StateTable<K, KeySlices<A>> {
    type Timers = TimerService<K, SliceTimer>;

    #[inline]
    fn get_or_insert<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        _: &SliceBackend<K>,
        key_group: usize,
        key: &K,
        _: &C,
    ) -> Result<&mut KeySlices<A>, BoxError> {
        Ok(self.get_or_insert_with(key_group, key, KeySlices::default))
    }

    #[inline]
    fn get<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        _: &SliceBackend<K>,
        key_group: usize,
        key: &K,
        _: &C,
    ) -> Result<Option<&mut KeySlices<A>>, BoxError> {
        Ok(self.get_mut(key_group, key))
    }

    #[inline]
    fn save<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        _: &mut SliceBackend<K>,
        _: usize,
        _: &K,
        _: &C,
    ) -> Result<(), BoxError> {
        Ok(())
    }

    #[inline]
    fn remove(&mut self, _: &mut SliceBackend<K>, key_group: usize, key: &K) -> Result<(), BoxError> {
        StateTable::remove(self, key_group, key);
        Ok(())
    }

    fn snapshot<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        timers: &mut Self::Timers,
        backend: &mut SliceBackend<K>,
        contents: &C,
        max_parallelism: usize,
        state: &mut OperatorStateWriter,
    ) -> Result<(), BoxError> {
        // The backend stays empty: only incremental functions are computed by slicing.
        let slices = KeyGroupBlobs::of_table(self, backend.key_group_range(), |key| save(contents, key))?;
        state.keyed(SLICES, slices);
        state.keyed(TIMERS, snapshot_timers(timers, max_parallelism)?);
        Ok(())
    }

    fn restore<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        timers: &mut Self::Timers,
        backend: &mut SliceBackend<K>,
        contents: &C,
        state: &OperatorStateReader,
    ) -> Result<PendingKeyedState, BoxError> {
        let range = backend.key_group_range();
        KeyGroupBlobs::restore(state.keyed(SLICES), range, "window slices", |key_group, key: K, saved| {
            self.insert(key_group, &key, load(contents, saved)?);
            Ok(())
        })?;
        restore_timers(timers, range, state.keyed(TIMERS))?;
        // Only this subtask's key groups are read; a checkpoint of the embedded store holds
        // the slices and timers in them.
        let mut pending = read_key_groups(&state.keyed_items(KEYED_STATE), range)?;
        let from_embedded = take_embedded(&mut pending, range, |key_group, key: K, saved| {
            self.insert(key_group, &key, load(contents, saved)?);
            Ok(())
        })?;
        timers.restore(range, &from_embedded)?;
        Ok(PendingKeyedState::Read(pending))
    }

    fn restored(&mut self, _: &mut Self::Timers, _: &mut SliceBackend<K>) -> Result<(), BoxError> {
        Ok(())
    }
}

/// The slices of every key in the embedded backend, one value per key (read and written
/// whole: a key holds the few slices its open windows span).
pub(crate) struct EmbeddedSlices<A> {
    id: StateId,
    /// The slices last lent.
    lent: KeySlices<A>,
    /// `execution.checkpointing.incremental`.
    incremental: bool,
}

impl<A> EmbeddedSlices<A> {
    /// Declares the slices and the timers in `backend` (which must be embedded).
    ///
    /// # Errors
    /// When `backend` is not the embedded backend.
    pub(crate) fn declare<K: Key>(
        backend: &mut SliceBackend<K>,
        config: &StateBackendConfig,
    ) -> Result<(Self, LsmTimerService<K, SliceTimer>), BoxError> {
        let b = embedded(backend)?;
        let id = b.register::<SavedSlices>(SLICE_STATE, StateKind::Value)?;
        let timers = LsmTimerService::declare(b, SLICE_TIMERS)?;
        Ok((EmbeddedSlices { id, lent: KeySlices::default(), incremental: config.incremental }, timers))
    }
}

impl<K: Key, A: Send + 'static> SliceStore<K, A> for EmbeddedSlices<A> {
    type Timers = LsmTimerService<K, SliceTimer>;

    fn get_or_insert<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        backend: &SliceBackend<K>,
        key_group: usize,
        key: &K,
        contents: &C,
    ) -> Result<&mut KeySlices<A>, BoxError> {
        let stored = backend.get::<SavedSlices>(self.id, key_group, &(key.clone(), None))?;
        self.lent = match stored {
            Some(saved) => load(contents, saved)?,
            None => KeySlices::default(),
        };
        Ok(&mut self.lent)
    }

    fn get<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        backend: &SliceBackend<K>,
        key_group: usize,
        key: &K,
        contents: &C,
    ) -> Result<Option<&mut KeySlices<A>>, BoxError> {
        let Some(saved) = backend.get::<SavedSlices>(self.id, key_group, &(key.clone(), None))? else {
            return Ok(None);
        };
        self.lent = load(contents, saved)?;
        Ok(Some(&mut self.lent))
    }

    fn save<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        backend: &mut SliceBackend<K>,
        key_group: usize,
        key: &K,
        contents: &C,
    ) -> Result<(), BoxError> {
        let saved = save(contents, &self.lent)?;
        Ok(backend.put(self.id, key_group, &(key.clone(), None), saved)?)
    }

    fn remove(&mut self, backend: &mut SliceBackend<K>, key_group: usize, key: &K) -> Result<(), BoxError> {
        Ok(backend.delete::<SavedSlices>(self.id, key_group, &(key.clone(), None))?)
    }

    fn snapshot<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        _: &mut Self::Timers,
        backend: &mut SliceBackend<K>,
        _: &C,
        _: usize,
        state: &mut OperatorStateWriter,
    ) -> Result<(), BoxError> {
        let cut = embedded(backend)?.cut_key_groups();
        state.keyed_cut(KEYED_STATE, cut, self.incremental);
        Ok(())
    }

    fn restore<T, C: WindowContents<K, T, TimeWindow, Acc = A>>(
        &mut self,
        timers: &mut Self::Timers,
        backend: &mut SliceBackend<K>,
        _: &C,
        state: &OperatorStateReader,
    ) -> Result<PendingKeyedState, BoxError> {
        let range = backend.key_group_range();
        let b = embedded(backend)?;
        // A checkpoint of the heap store: its slices and timers are entries of their own.
        KeyGroupBlobs::restore(
            state.keyed(SLICES),
            range,
            "window slices",
            |key_group, key: K, saved: SavedSlices| {
                b.put(self.id, key_group, &(key, None), saved)?;
                Ok(())
            },
        )?;
        let heap_timers = state
            .keyed(TIMERS)
            .iter()
            .map(|bytes| decode::<TimerSnapshot>("timers", bytes))
            .collect::<Result<Vec<_>, _>>()?;
        timers.restore_from_heap(b, range, &heap_timers)?;
        Ok(PendingKeyedState::Unread(state.keyed_items(KEYED_STATE)))
    }

    fn restored(&mut self, timers: &mut Self::Timers, backend: &mut SliceBackend<K>) -> Result<(), BoxError> {
        Ok(timers.reload(embedded(backend)?)?)
    }
}
