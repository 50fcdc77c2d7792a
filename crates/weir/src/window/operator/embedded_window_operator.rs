//! [`EmbeddedWindowOperator`]: the general window operator with its windows, trigger
//! states and timers in the embedded backend (`state.backend.type = embedded`), so that
//! window state larger than memory runs within the backend's memory budget — Flink's
//! `WindowOperator` on its RocksDB backend.
//!
//! It does what [`WindowOperator`](super::window_operator::WindowOperator) does, window
//! by window through the same `WindowCore`; only where a window lives differs. Per
//! record and window:
//! 1. the window's row is read (`(key, Some(window))` → accumulator or chunk count,
//!    trigger state, timers — see `stored_windows`);
//! 2. the trigger sees the element and the element is added: folded into the
//!    accumulator, or — for contents that keep elements — appended as a new chunk without
//!    reading the others (Flink's list state); a firing reads the chunks back;
//! 3. the row is written back, or deleted with its chunks when the window is cleaned up.
//!
//! With a merging assigner each key also has its list of windows (`(key, None)`), read
//! once per record. A merged window's elements stay where the largest of the merged
//! windows kept them (its *home*); only the others' chunks move, so a growing session
//! moves nothing.
//!
//! Timers are in the backend too ([`LsmTimerService`]). Checkpoints write the backend's
//! cut — windows, timers and the window function's state, key group by key group and
//! incrementally when configured. A checkpoint of either store restores into either
//! (`stored_windows`); the backend's part of it is read after `open`, only the
//! subtask's own key groups and one at a time, so window state larger than memory
//! restores within the budget too.
//!
//! Invariant, as on the heap: a window's row exists exactly as long as the window is
//! open, and every stored timer of (key, window) is listed in its row.

use std::collections::HashMap;
use std::marker::PhantomData;

use weir_core::key_group::assign_to_key_group;
use weir_core::record::NO_TIMESTAMP;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::restored_item::RestoredItem;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};
use weir_state::{
    AsBackendRef, Key, KeyedStateBackend, LsmKeyedStateBackend, LsmTimerService, StateBackendConfig, StateId,
    StateKind, Timer, TimerSnapshot,
};

use super::stored_windows::{ChunkId, Row, SavedWindow, CHUNKS, ROWS, SETS, TIMER_STATE, WINDOWS};
use super::timer_store::{embedded, TimerStore};
use super::window_core::{WindowCore, WindowEntry};
use super::{missing_timestamp, Out, WindowSettings};
use crate::functions::{RuntimeContext, TimeDomain};
use crate::operators::key_group_blobs::{restore_backend, KeyGroupBlobs, KEYED_STATE, TIMERS};
use crate::window::assigner::WindowAssignerContext;
use crate::window::function::{WindowContents, WindowStateKey};
use crate::window::{Trigger, TriggerResult, WindowAssigner};

/// The chunks of one window: chunk number → saved contents.
type ChunkMap = HashMap<ChunkId, Vec<u8>>;

/// A window as read from the store, to be written back.
struct Slot<W, A, S> {
    /// Contents that keep elements: only the elements added since the read (or, while
    /// `loaded`, all of them); other contents: the accumulator.
    entry: WindowEntry<A, S>,
    /// The number of stored chunks.
    chunks: u64,
    /// Where the chunks are stored, when not under the window itself.
    home: Option<W>,
    /// `entry.contents` holds every element (read back for a firing).
    loaded: bool,
}

impl<W, A, S: Default> Default for Slot<W, A, S> {
    fn default() -> Self {
        Slot { entry: WindowEntry::default(), chunks: 0, home: None, loaded: false }
    }
}

/// The embedded operator's window core: timers in the backend.
type EmbeddedCore<K, T, W, TR, C> = WindowCore<K, T, W, TR, C, LsmTimerService<K, W>>;

/// A window of this operator as read from the store.
type SlotOf<K, T, A, TR, C> = Slot<
    <A as WindowAssigner<T>>::W,
    <C as WindowContents<K, T, <A as WindowAssigner<T>>::W>>::Acc,
    <TR as Trigger<T, <A as WindowAssigner<T>>::W>>::State,
>;

/// The ids of the operator's own states in the backend.
#[derive(Debug, Clone, Copy)]
struct Ids {
    rows: StateId,
    /// Contents that keep elements only.
    chunks: Option<StateId>,
    /// Merging assigners only.
    sets: Option<StateId>,
}

/// The general window operator with windows and timers in the embedded backend: any
/// assigner, trigger, evictor and window function (see the module docs).
pub struct EmbeddedWindowOperator<K, T, KS, A, TR, C>
where
    A: WindowAssigner<T>,
    TR: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
{
    key_of: KS,
    assigner: A,
    core: EmbeddedCore<K, T, A::W, TR, C>,
    ids: Ids,
    keeps_elements: bool,
    settings: WindowSettings,
    max_parallelism: usize,
    /// `execution.checkpointing.incremental`.
    incremental: bool,
    /// The current key's windows (merging assigners), and whether they changed.
    key_windows: Vec<A::W>,
    key_windows_changed: bool,
    /// Scratch buffers, kept to avoid allocating per record.
    assigned: Vec<A::W>,
    candidates: Vec<A::W>,
    merges: Vec<(A::W, Vec<A::W>)>,
    /// The backend's state in a checkpoint (not read yet), restored one key group at a
    /// time after `open` declared the window function's states.
    pending: Vec<RestoredItem>,
    _t: PhantomData<fn(T)>,
}

impl<K, T, KS, A, TR, C> EmbeddedWindowOperator<K, T, KS, A, TR, C>
where
    K: Key,
    T: Clone + Send + 'static,
    KS: Fn(&T) -> K + Send + 'static,
    A: WindowAssigner<T>,
    TR: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
{
    /// A window operator for `subtask` in the embedded backend `config` describes.
    ///
    /// # Errors
    /// When the backend cannot open its working directory.
    pub(crate) fn new(
        key_of: KS,
        assigner: A,
        trigger: TR,
        contents: C,
        settings: WindowSettings,
        subtask: &SubtaskInfo,
        config: &StateBackendConfig,
    ) -> Result<Self, BoxError> {
        let owner = format!("{}-{}", subtask.name, subtask.index);
        let mut backend = config.create::<WindowStateKey<K, A::W>>(subtask.key_group_range(), &owner)?;
        let event_time = assigner.is_event_time();
        let merging = assigner.is_merging();
        let keeps_elements = contents.keeps_elements();
        let b = embedded(&mut backend)?;
        let ids = Ids {
            rows: b.register::<Row<A::W>>(ROWS, StateKind::Value)?,
            chunks: keeps_elements.then(|| b.register_map::<ChunkId, Vec<u8>>(CHUNKS)).transpose()?,
            sets: merging.then(|| b.register::<Vec<A::W>>(SETS, StateKind::Value)).transpose()?,
        };
        let timers = LsmTimerService::declare(b, TIMER_STATE)?;
        Ok(EmbeddedWindowOperator {
            key_of,
            core: WindowCore {
                trigger,
                contents,
                timers,
                backend,
                ops: Vec::new(),
                watermark: i64::MIN,
                event_time,
                merging,
                allowed_lateness: if event_time { settings.allowed_lateness } else { 0 },
                _t: PhantomData,
            },
            assigner,
            ids,
            keeps_elements,
            settings,
            max_parallelism: subtask.max_parallelism,
            incremental: config.incremental,
            key_windows: Vec::new(),
            key_windows_changed: false,
            assigned: Vec::new(),
            candidates: Vec::new(),
            merges: Vec::new(),
            pending: Vec::new(),
            _t: PhantomData,
        })
    }

    /// The embedded backend.
    fn store(&mut self) -> Result<&mut LsmKeyedStateBackend<WindowStateKey<K, A::W>>, BoxError> {
        Ok(embedded(&mut self.core.backend)?)
    }

    /// The window `(key, Some(window))` as stored, if open.
    #[allow(clippy::type_complexity)]
    fn read(
        &mut self,
        at: &WindowStateKey<K, A::W>,
        key_group: usize,
    ) -> Result<Option<SlotOf<K, T, A, TR, C>>, BoxError> {
        let rows = self.ids.rows;
        let Some((acc, chunks, home, trigger_state, timers)) = self.store()?.get::<Row<A::W>>(rows, key_group, at)?
        else {
            return Ok(None);
        };
        let contents = acc.map(|bytes| self.core.contents.load(&bytes)).transpose()?;
        let trigger_state = bincode::deserialize(&trigger_state)
            .map_err(|e| format!("a stored trigger state of window {:?} does not decode: {e}", at.1))?;
        Ok(Some(Slot { entry: WindowEntry { contents, trigger_state, timers }, chunks, home, loaded: false }))
    }

    /// Writes a window back: its row, and the elements added since it was read as a new
    /// chunk.
    fn write(
        &mut self,
        at: &WindowStateKey<K, A::W>,
        key_group: usize,
        slot: SlotOf<K, T, A, TR, C>,
    ) -> Result<(), BoxError> {
        let Slot { entry, mut chunks, home, loaded } = slot;
        debug_assert!(!loaded, "kept elements read for a firing are settled before the window is written");
        let acc = match (self.keeps_elements, entry.contents) {
            (true, Some(added)) => {
                let bytes = self.core.contents.save(&added)?;
                let id = self.ids.chunks.expect("declared for contents that keep elements");
                let home_at = Self::home_of(at, &home);
                self.store()?.put_entry(id, key_group, &home_at, chunks.to_be_bytes(), bytes)?;
                chunks += 1;
                None
            }
            (true, None) => None,
            (false, acc) => acc.map(|acc| self.core.contents.save(&acc)).transpose()?,
        };
        let row: Row<A::W> = (acc, chunks, home, bincode::serialize(&entry.trigger_state)?, entry.timers);
        let rows = self.ids.rows;
        self.store()?.put(rows, key_group, at, row)?;
        Ok(())
    }

    /// Where a window's chunks are stored.
    fn home_of(at: &WindowStateKey<K, A::W>, home: &Option<A::W>) -> WindowStateKey<K, A::W> {
        (at.0.clone(), home.clone().or_else(|| at.1.clone()))
    }

    /// Reads every kept element of a window about to fire into its contents, after
    /// storing the elements added since it was read as a chunk.
    fn load_elements(
        &mut self,
        at: &WindowStateKey<K, A::W>,
        key_group: usize,
        slot: &mut SlotOf<K, T, A, TR, C>,
    ) -> Result<(), BoxError> {
        let id = self.ids.chunks.expect("declared for contents that keep elements");
        let home = Self::home_of(at, &slot.home);
        if let Some(added) = slot.entry.contents.take() {
            let bytes = self.core.contents.save(&added)?;
            self.store()?.put_entry(id, key_group, &home, slot.chunks.to_be_bytes(), bytes)?;
            slot.chunks += 1;
        }
        let mut all = None;
        if slot.chunks > 0 {
            let mut chunks = self.store()?.entries::<ChunkId, Vec<u8>>(id, key_group, &home)?;
            chunks.sort_by_key(|a| a.0);
            for (_, bytes) in chunks {
                let chunk = self.core.contents.load(&bytes)?;
                self.core.contents.merge(&mut all, chunk);
            }
        }
        slot.entry.contents = all;
        slot.loaded = true;
        Ok(())
    }

    /// After the trigger acted on a window that keeps elements: a purge drops its chunks;
    /// elements read for a firing are dropped from memory, written anew first when the
    /// firing may have changed them (an evictor).
    fn settle(
        &mut self,
        at: &WindowStateKey<K, A::W>,
        key_group: usize,
        slot: &mut SlotOf<K, T, A, TR, C>,
        result: TriggerResult,
    ) -> Result<(), BoxError> {
        let rewrite = result.is_purge() || (slot.loaded && self.core.contents.emit_changes_elements());
        if rewrite {
            self.drop_chunks(at, key_group, slot)?;
            if slot.loaded {
                // Written as one chunk by `write`.
                slot.loaded = false;
                return Ok(());
            }
        }
        if slot.loaded {
            slot.entry.contents = None;
            slot.loaded = false;
        }
        Ok(())
    }

    /// Deletes a window's stored chunks.
    fn drop_chunks(
        &mut self,
        at: &WindowStateKey<K, A::W>,
        key_group: usize,
        slot: &mut SlotOf<K, T, A, TR, C>,
    ) -> Result<(), BoxError> {
        if slot.chunks > 0 {
            let id = self.ids.chunks.expect("declared for contents that keep elements");
            let home = Self::home_of(at, &slot.home);
            self.store()?.delete::<ChunkMap>(id, key_group, &home)?;
        }
        slot.chunks = 0;
        slot.home = None;
        Ok(())
    }

    fn process_record(
        &mut self,
        record: StreamRecord<T>,
        ctx: &WindowAssignerContext,
        out: &mut Out<'_, C::Out>,
    ) -> Result<(), BoxError> {
        let StreamRecord { value, timestamp } = record;
        if self.core.event_time && timestamp == NO_TIMESTAMP {
            return Err(missing_timestamp());
        }
        let key = (self.key_of)(&value);
        let key_group = assign_to_key_group(&key, self.max_parallelism);
        self.core.backend.check_key_group(key_group)?;
        let now = ctx.current_processing_time();
        let mut windows = std::mem::take(&mut self.assigned);
        windows.clear();
        self.assigner.assign_windows(&value, timestamp, ctx, &mut windows)?;
        if let Some(sets) = self.ids.sets {
            let at = (key.clone(), None);
            self.key_windows = self.store()?.get::<Vec<A::W>>(sets, key_group, &at)?.unwrap_or_default();
            self.key_windows_changed = false;
        }
        let n = windows.len();
        let mut value = Some(value);
        let mut skipped = true;
        for (i, window) in windows.drain(..).enumerate() {
            let window = if self.core.merging { self.merge_in(&key, key_group, window, now)? } else { window };
            if self.core.is_window_late(&window) {
                continue;
            }
            skipped = false;
            let element = if i + 1 == n { value.take() } else { value.clone() };
            let element = element.expect("only the last window takes the record itself");
            self.add_to_window(&key, key_group, window, element, timestamp, now, out)?;
        }
        self.assigned = windows;
        if self.key_windows_changed {
            self.write_key_windows(&key, key_group)?;
        }
        if skipped && self.core.is_element_late(timestamp) {
            if let Some(value) = value {
                self.settings.late(value, timestamp, out.sides);
            }
        }
        Ok(())
    }

    /// Writes the current key's windows (merging assigners).
    fn write_key_windows(&mut self, key: &K, key_group: usize) -> Result<(), BoxError> {
        let sets = self.ids.sets.expect("declared for merging assigners");
        let at = (key.clone(), None);
        let windows = std::mem::take(&mut self.key_windows);
        if windows.is_empty() {
            self.store()?.delete::<Vec<A::W>>(sets, key_group, &at)?;
        } else {
            self.store()?.put(sets, key_group, &at, windows)?;
        }
        self.key_windows_changed = false;
        Ok(())
    }

    /// Adds `element` to the open window `window` of `key` and acts on the trigger.
    #[allow(clippy::too_many_arguments)]
    fn add_to_window(
        &mut self,
        key: &K,
        key_group: usize,
        window: A::W,
        element: T,
        timestamp: i64,
        now: i64,
        out: &mut Out<'_, C::Out>,
    ) -> Result<(), BoxError> {
        let at = (key.clone(), Some(window.clone()));
        let mut slot = match self.read(&at, key_group)? {
            Some(slot) => slot,
            None => {
                if self.core.merging {
                    self.key_windows.push(window.clone());
                    self.key_windows_changed = true;
                }
                Slot::default()
            }
        };
        let core = &mut self.core;
        let result = core.trigger.on_element(
            &element,
            timestamp,
            &window,
            &mut slot.entry.trigger_context(core.watermark, now, &mut core.ops),
        );
        core.contents.add(&mut slot.entry.contents, element, timestamp);
        core.apply_ops(key, key_group, &window)?;
        self.act(result, &at, key_group, &mut slot, now, out)?;
        self.core.register_cleanup(key, key_group, &window, &mut slot.entry)?;
        self.write(&at, key_group, slot)
    }

    /// Emits and purges as the trigger decided (reading kept elements back for a firing).
    fn act(
        &mut self,
        result: TriggerResult,
        at: &WindowStateKey<K, A::W>,
        key_group: usize,
        slot: &mut SlotOf<K, T, A, TR, C>,
        now: i64,
        out: &mut Out<'_, C::Out>,
    ) -> Result<(), BoxError> {
        if !self.keeps_elements {
            let window = at.1.as_ref().expect("a window");
            return self.core.act(result, &at.0, key_group, window, &mut slot.entry, now, out);
        }
        if result.is_fire() {
            self.load_elements(at, key_group, slot)?;
        }
        let window = at.1.as_ref().expect("a window");
        self.core.act(result, &at.0, key_group, window, &mut slot.entry, now, out)?;
        self.settle(at, key_group, slot, result)
    }

    /// Merges `window` with the key's windows it overlaps (Flink's
    /// `MergingWindowSet.addWindow`); returns the window the record belongs to now.
    fn merge_in(&mut self, key: &K, key_group: usize, window: A::W, now: i64) -> Result<A::W, BoxError> {
        if self.key_windows.is_empty() {
            return Ok(window);
        }
        self.candidates.clear();
        self.candidates.extend(self.key_windows.iter().cloned());
        self.candidates.push(window.clone());
        let mut merges = std::mem::take(&mut self.merges);
        merges.clear();
        self.assigner.merge_windows(&mut self.candidates, &mut merges);
        let mut result = window.clone();
        for (cover, members) in merges.drain(..) {
            if members.contains(&window) {
                result = cover.clone();
            }
            let merged: Vec<A::W> = members.into_iter().filter(|m| self.key_windows.contains(m)).collect();
            if merged.len() == 1 && merged[0] == cover {
                // An existing window swallows the new one: nothing moves.
                continue;
            }
            self.core.check_merge(&cover, now)?;
            let mut old = Vec::with_capacity(merged.len());
            let mut stored = Vec::with_capacity(merged.len());
            for m in merged {
                let at = (key.clone(), Some(m.clone()));
                let slot = self.read(&at, key_group)?.ok_or("a window of the key's list has no row")?;
                let rows = self.ids.rows;
                self.store()?.delete::<Row<A::W>>(rows, key_group, &at)?;
                self.key_windows.retain(|w| *w != m);
                stored.push((slot.chunks, Self::home_of(&at, &slot.home)));
                old.push((m, slot.entry));
            }
            let entry = self.core.merge_entries(key, key_group, &cover, &mut old, now)?;
            let mut target = Slot { entry, ..Slot::default() };
            if self.keeps_elements {
                self.merge_chunks(key_group, &cover, &mut target, stored)?;
            }
            let at = (key.clone(), Some(cover.clone()));
            self.write(&at, key_group, target)?;
            self.key_windows.push(cover);
            self.key_windows_changed = true;
        }
        self.merges = merges;
        Ok(result)
    }

    /// Gives the merged window `cover` the chunks of the merged windows `stored`
    /// (`(chunks, home)` each): it keeps the home with the most chunks and moves the
    /// others' chunks after them.
    fn merge_chunks(
        &mut self,
        key_group: usize,
        cover: &A::W,
        target: &mut SlotOf<K, T, A, TR, C>,
        mut stored: Vec<(u64, WindowStateKey<K, A::W>)>,
    ) -> Result<(), BoxError> {
        let Some(largest) = (0..stored.len()).max_by_key(|&i| stored[i].0) else { return Ok(()) };
        let (chunks, home) = stored.remove(largest);
        let id = self.ids.chunks.expect("declared for contents that keep elements");
        target.chunks = chunks;
        target.home = home.1.clone().filter(|h| h != cover);
        for (n, from) in stored.into_iter().filter(|(n, _)| *n > 0) {
            let store = self.store()?;
            let mut moved = store.entries::<ChunkId, Vec<u8>>(id, key_group, &from)?;
            debug_assert_eq!(moved.len() as u64, n);
            moved.sort_by_key(|a| a.0);
            store.delete::<ChunkMap>(id, key_group, &from)?;
            for (_, bytes) in moved {
                store.put_entry(id, key_group, &home, target.chunks.to_be_bytes(), bytes)?;
                target.chunks += 1;
            }
        }
        Ok(())
    }

    /// A timer of (key, window) fired.
    fn on_timer(
        &mut self,
        timer: Timer<K, A::W>,
        domain: TimeDomain,
        now: i64,
        out: &mut Out<'_, C::Out>,
    ) -> Result<(), BoxError> {
        let Timer { timestamp, key, namespace: window } = timer;
        let key_group = assign_to_key_group(&key, self.max_parallelism);
        let at = (key, Some(window));
        let Some(mut slot) = self.read(&at, key_group)? else { return Ok(()) };
        let (key, window) = (&at.0, at.1.as_ref().expect("a window"));
        let result = self.core.on_timer(&mut slot.entry, key, key_group, window, domain, timestamp, now)?;
        self.act(result, &at, key_group, &mut slot, now, out)?;
        if !self.core.is_cleanup(window, domain, timestamp) {
            return self.write(&at, key_group, slot);
        }
        let rows = self.ids.rows;
        self.store()?.delete::<Row<A::W>>(rows, key_group, &at)?;
        if self.keeps_elements {
            self.drop_chunks(&at, key_group, &mut slot)?;
        }
        if let Some(sets) = self.ids.sets {
            let of_key = (key.clone(), None);
            self.key_windows = self.store()?.get::<Vec<A::W>>(sets, key_group, &of_key)?.unwrap_or_default();
            self.key_windows.retain(|w| w != window);
            self.write_key_windows(key, key_group)?;
        }
        self.core.clear_window(key, key_group, window, &mut slot.entry, now, out)
    }

    /// Fires the timers of `domain` due at `time`.
    fn fire(&mut self, domain: TimeDomain, time: i64, now: i64, out: &mut Out<'_, C::Out>) -> Result<(), BoxError> {
        loop {
            let core = &mut self.core;
            let Some(timer) = core.timers.pop_due(&mut core.backend, domain, time)? else { return Ok(()) };
            self.on_timer(timer, domain, now, out)?;
        }
    }

    /// Writes the windows of a checkpoint of the heap store into this one.
    fn restore_heap_windows(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        let range = self.core.backend.key_group_range();
        let (ids, keeps_elements) = (self.ids, self.keeps_elements);
        let b = embedded(&mut self.core.backend)?;
        KeyGroupBlobs::restore(
            state.keyed(WINDOWS),
            range,
            "window contents",
            |key_group, key: K, saved: Vec<SavedWindow<A::W, TR::State>>| {
                let mut windows = Vec::with_capacity(saved.len());
                for (window, acc, trigger_state, timers) in saved {
                    let at = (key.clone(), Some(window.clone()));
                    let trigger_state = bincode::serialize(&trigger_state)?;
                    let row: Row<A::W> = match (keeps_elements, acc) {
                        (true, Some(bytes)) => {
                            let id = ids.chunks.expect("declared for contents that keep elements");
                            b.put_entry(id, key_group, &at, 0u64.to_be_bytes(), bytes)?;
                            (None, 1, None, trigger_state, timers)
                        }
                        (_, acc) => (acc, 0, None, trigger_state, timers),
                    };
                    b.put(ids.rows, key_group, &at, row)?;
                    windows.push(window);
                }
                if let Some(sets) = ids.sets {
                    b.put(sets, key_group, &(key, None), windows)?;
                }
                Ok(())
            },
        )?;
        let timers = state
            .keyed(TIMERS)
            .iter()
            .map(|bytes| bincode::deserialize::<TimerSnapshot>(bytes))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("timers in the checkpoint do not decode: {e}"))?;
        self.core.timers.restore_from_heap(b, range, &timers)?;
        Ok(())
    }
}

impl<K, T, KS, A, TR, C> Operator for EmbeddedWindowOperator<K, T, KS, A, TR, C>
where
    K: Key,
    T: Clone + Send + 'static,
    KS: Fn(&T) -> K + Send + 'static,
    A: WindowAssigner<T>,
    TR: Trigger<T, A::W>,
    C: WindowContents<K, T, A::W>,
{
    type In = T;
    type Out = C::Out;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore_heap_windows(state)?;
        self.pending = state.keyed_items(KEYED_STATE);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.core.contents.open(&mut RuntimeContext { subtask, backend: self.core.backend.backend_ref() })?;
        let pending = std::mem::take(&mut self.pending);
        restore_backend(&mut self.core.backend, &pending)?;
        let b = embedded(&mut self.core.backend)?;
        self.core.timers.reload(b)?;
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let cut = self.store()?.cut_key_groups();
        state.keyed_cut(KEYED_STATE, cut, self.incremental);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<C::Out>) -> Result<(), BoxError> {
        let ctx = WindowAssignerContext { processing_time: out.now_ms() };
        let (records, sides) = out.parts();
        let mut out = Out { records, sides };
        for record in batch.drain(..) {
            self.process_record(record, &ctx, &mut out)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<C::Out>) -> Result<(), BoxError> {
        self.core.watermark = watermark.0;
        let now = out.now_ms();
        {
            let (records, sides) = out.parts();
            self.fire(TimeDomain::EventTime, watermark.0, now, &mut Out { records, sides })?;
        }
        out.emit_watermark(watermark);
        Ok(())
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        self.core.timers.processing_time.next_timestamp()
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<C::Out>) -> Result<(), BoxError> {
        let (records, sides) = out.parts();
        self.fire(TimeDomain::ProcessingTime, now_ms, now_ms, &mut Out { records, sides })
    }
}
