//! How the general window operator's windows are written into checkpoints, in each
//! store, and how a checkpoint of one store is read into the other.
//!
//! | store | windows | timers | window function's state |
//! |---|---|---|---|
//! | heap | entry `windows`: per key group, every key's [`SavedWindow`]s | entry `timers` | entry `keyed-state` |
//! | embedded | states of the backend (below) | a state of the backend | the same backend: entry `keyed-state` |
//!
//! The embedded store's states, all keyed by [`WindowStateKey`] (`(key, Some(window))`
//! for a window, `(key, None)` for the key):
//!
//! | state | key | value |
//! |---|---|---|
//! | [`ROWS`] | `(key, Some(window))` | a [`Row`]: accumulator, chunk count, home, trigger state, timers |
//! | [`CHUNKS`] | `(key, Some(home))` | map: chunk number (big-endian) → bytes of `WindowContents::save` |
//! | [`SETS`] | `(key, None)` | the key's windows (merging assigners only) |
//! | [`TIMER_STATE`] | (sorted) | the timers ([`LsmTimerService`]) |
//!
//! A window's contents are either one accumulator in its row, or — for contents that
//! keep elements ([`WindowContents::keeps_elements`]) — chunks appended one per element
//! and read back as `merge` of their `load`s in order. Chunks live under the window's
//! *home*: the window itself, or, after a merge, the merged window whose chunks it took
//! over (so that a growing session moves no elements, as Flink's state windows).
//!
//! Both directions keep every byte format: an accumulator or a chunk is what
//! `WindowContents::save` wrote, which is also what a heap [`SavedWindow`] holds.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use weir_core::KeyGroupRange;
use weir_runtime::BoxError;
use weir_state::{Key, KeyedStateSnapshot, LsmTimerService, TimerSnapshot};

use super::window_core::WindowEntry;
use crate::functions::TimeDomain;
use crate::window::function::{WindowContents, WindowStateKey};
use crate::window::Window;

/// The heap store's checkpoint entry holding the open windows.
pub(crate) const WINDOWS: &str = "windows";

/// One open window as the heap store's checkpoint holds it: the window, its contents (as
/// the window function saved them), its trigger state and its timers.
pub(crate) type SavedWindow<W, S> = (W, Option<Vec<u8>>, S, Vec<(TimeDomain, i64)>);

/// The embedded store's state of windows: one [`Row`] per open window.
pub(crate) const ROWS: &str = "_window-rows";
/// The embedded store's state of kept elements, in chunks.
pub(crate) const CHUNKS: &str = "_window-chunks";
/// The embedded store's state of each key's windows (merging assigners).
pub(crate) const SETS: &str = "_window-sets";
/// The embedded store's timers.
pub(crate) const TIMER_STATE: &str = "_window-timers";

/// An open window in the embedded store: its accumulator (contents folded into one
/// value), its number of chunks (contents that keep elements), its home (where its
/// chunks are, when not under the window itself), its trigger state (bincode) and its
/// timers.
pub(crate) type Row<W> = (Option<Vec<u8>>, u64, Option<W>, Vec<u8>, Vec<(TimeDomain, i64)>);

/// A chunk number as the key of the chunk map: big-endian, so chunks are stored in order.
pub(crate) type ChunkId = [u8; 8];

/// A window's chunks as a snapshot holds them.
type ChunkList = Vec<(ChunkId, Vec<u8>)>;

fn decode<V: DeserializeOwned>(what: &str, key_group: usize, bytes: &[u8]) -> Result<V, BoxError> {
    bincode::deserialize(bytes)
        .map_err(|e| format!("{what} of key group {key_group} in the checkpoint do not decode: {e}").into())
}

/// Takes the windows and timers that the embedded store wrote into `snapshots` out of
/// them (what remains is the window function's state): calls `put(key group, key,
/// window, entry)` for each window of a key group in `range` and returns the timers in
/// the heap's format.
///
/// # Errors
/// States that do not decode as this operator's, or contents its function cannot load.
pub(crate) fn take_embedded<K, T, W, C, S>(
    snapshots: &mut [KeyedStateSnapshot],
    range: KeyGroupRange,
    contents: &mut C,
    mut put: impl FnMut(usize, K, W, WindowEntry<C::Acc, S>),
) -> Result<Vec<TimerSnapshot>, BoxError>
where
    K: Key,
    W: Window,
    C: WindowContents<K, T, W>,
    S: DeserializeOwned,
{
    let mut timers = Vec::new();
    for snapshot in snapshots.iter_mut() {
        let rows = snapshot.take_state(ROWS);
        let chunks = snapshot.take_state(CHUNKS);
        // The rows name every window again.
        snapshot.take_state(SETS);
        if let Some(blobs) = snapshot.take_state(TIMER_STATE) {
            timers.push(LsmTimerService::<K, W>::to_heap_snapshot(&blobs)?);
        }
        let mut chunks: HashMap<usize, Vec<u8>> = chunks.unwrap_or_default().into_iter().collect();
        for (key_group, blob) in rows.unwrap_or_default().into_iter().filter(|(kg, _)| range.contains(*kg)) {
            type Chunks<K, W> = Vec<(WindowStateKey<K, W>, ChunkList)>;
            let mut homes: HashMap<(K, W), ChunkList> = HashMap::new();
            if let Some(blob) = chunks.remove(&key_group) {
                for ((key, home), list) in decode::<Chunks<K, W>>("window elements", key_group, &blob)? {
                    homes.insert((key, home.ok_or("window elements without a window in the checkpoint")?), list);
                }
            }
            let rows: Vec<(WindowStateKey<K, W>, Row<W>)> = decode("windows", key_group, &blob)?;
            for ((key, window), (acc, n, home, trigger_state, timers)) in rows {
                let window = window.ok_or("a window row without a window in the checkpoint")?;
                let trigger_state: S = decode("trigger states", key_group, &trigger_state)?;
                let acc = match acc {
                    Some(bytes) => Some(contents.load(&bytes)?),
                    None if n > 0 => {
                        let home = home.unwrap_or_else(|| window.clone());
                        let mut list = homes.remove(&(key.clone(), home)).unwrap_or_default();
                        list.sort_by_key(|a| a.0);
                        let mut acc = None;
                        for (_, bytes) in list {
                            let chunk = contents.load(&bytes)?;
                            contents.merge(&mut acc, chunk);
                        }
                        acc
                    }
                    None => None,
                };
                put(key_group, key, window, WindowEntry { contents: acc, trigger_state, timers });
            }
        }
    }
    Ok(timers)
}
