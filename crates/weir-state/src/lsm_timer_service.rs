//! [`LsmTimerService`]: a keyed operator's event-time and processing-time timers kept in
//! the embedded backend, so that their number is bounded by disk, not memory (Flink's
//! RocksDB timer service, the default with its RocksDB backend).
//!
//! # Layout
//! One sorted state of the backend ([`LsmKeyedStateBackend::register_sorted`]) holds
//! every timer as `(domain, time, key, namespace)` under its key's key group: the domain
//! one byte, the time the big-endian bytes of `time ^ i64::MIN` (so that byte order is
//! time order, negative times included). A key group's timers of one domain are thus
//! one ordered scan, and checkpoints, restores and rescaling take them with the other
//! states, key group by key group.
//!
//! # Firing
//! Per domain and owned key group, memory holds a **cache** of the key group's earliest
//! timers (at most [`CACHE`], the same ones that are in the store) — Flink's
//! `KeyGroupPartitionedPriorityQueue` over per-key-group caches:
//! 1. [`LsmTimerQueue::pop_due`] compares the caches' first timers, takes the earliest if
//!    it is due and removes it from the store, so timers fire in timestamp order across
//!    key groups, as on the heap.
//! 2. A cache that runs empty is refilled by a scan of its key group that starts at the
//!    last timer taken (the *floor*), not at the key group's first key, so it does not
//!    read again through the tombstones of the timers already fired.
//! 3. A registration goes to the store and, when it sorts before the cache's last timer
//!    (or the cache holds all of its key group's timers), into the cache too; a cache
//!    over its size drops its last timer, which stays in the store.
//!
//! Invariant: a key group's cache is either its earliest timers in order, or all of them
//! (`complete`); so the earliest cached timer over all key groups is the earliest timer.
//! Every live timer is in the store: a checkpoint's cut of the store has them all.

use std::collections::VecDeque;

use serde::Serialize;
use weir_core::KeyGroupRange;

use crate::{Key, LsmKeyedStateBackend, StateError, StateId, Timer, TimerSnapshot};

/// How many timers per key group and domain a cache holds.
pub const CACHE: usize = 64;

/// The domain byte of event-time timers.
const EVENT_TIME: u8 = 0;
/// The domain byte of processing-time timers.
const PROCESSING_TIME: u8 = 1;

/// A stored timer as it is decoded: domain, time bytes, key, namespace.
type Stored<K, N> = (u8, [u8; 8], K, N);

/// The bytes of `time` that sort as the time does.
#[inline]
fn time_bytes(time: i64) -> [u8; 8] {
    ((time as u64) ^ (1 << 63)).to_be_bytes()
}

#[inline]
fn time_of(bytes: [u8; 8]) -> i64 {
    (u64::from_be_bytes(bytes) ^ (1 << 63)) as i64
}

/// The stored bytes of a timer (after the key group).
fn encode<K: Serialize, N: Serialize>(domain: u8, time: i64, key: &K, namespace: &N) -> Result<Vec<u8>, StateError> {
    bincode::serialize(&(domain, time_bytes(time), key, namespace))
        .map_err(|e| StateError::Store(format!("a timer does not encode: {e}")))
}

/// One key group's cache.
#[derive(Debug)]
struct Cache<K, N> {
    /// The key group's earliest timers (their bytes after the key group, and the timer),
    /// in order.
    timers: VecDeque<(Vec<u8>, Timer<K, N>)>,
    /// The cache holds every timer of the key group.
    complete: bool,
    /// No stored timer of the key group sorts below these bytes (the last one taken,
    /// lowered by registrations below it): where a refill starts.
    floor: Vec<u8>,
}

impl<K, N> Default for Cache<K, N> {
    fn default() -> Self {
        Cache { timers: VecDeque::new(), complete: true, floor: Vec::new() }
    }
}

/// The timers of one domain (event or processing time) of a keyed operator, in the
/// embedded backend. See the module docs.
#[derive(Debug)]
pub struct LsmTimerQueue<K, N> {
    id: StateId,
    domain: u8,
    first_key_group: usize,
    caches: Vec<Cache<K, N>>,
}

/// The event-time and processing-time timers of one keyed operator instance, in the
/// embedded backend: [`TimerService`](crate::TimerService)'s counterpart for state
/// larger than memory.
///
/// # Example
/// ```
/// use weir_core::KeyGroupRange;
/// use weir_state::{LsmKeyedStateBackend, LsmTimerService, MemoryBudget};
/// let dir = tempfile::tempdir().unwrap();
/// let range = KeyGroupRange::for_operator(4, 1, 0);
/// let mut lsm = LsmKeyedStateBackend::<u32>::open(dir.path(), range, MemoryBudget::of(4 << 20)).unwrap();
/// let mut timers = LsmTimerService::<u32, ()>::declare(&mut lsm, "timers").unwrap();
/// timers.event_time.register(&mut lsm, 20, &7, 1, &()).unwrap();
/// timers.event_time.register(&mut lsm, -5, &8, 2, &()).unwrap();
/// timers.processing_time.register(&mut lsm, 1, &9, 3, &()).unwrap();
/// assert_eq!(timers.event_time.next_timestamp(), Some(-5));
/// assert_eq!(timers.event_time.pop_due(&mut lsm, 10).unwrap().map(|t| t.key), Some(8));
/// assert!(timers.event_time.pop_due(&mut lsm, 10).unwrap().is_none(), "20 is not due at 10");
/// assert_eq!(timers.processing_time.next_timestamp(), Some(1));
/// ```
#[derive(Debug)]
pub struct LsmTimerService<K, N> {
    /// Timers fired by the watermark.
    pub event_time: LsmTimerQueue<K, N>,
    /// Timers fired by the clock.
    pub processing_time: LsmTimerQueue<K, N>,
}

impl<K, N> LsmTimerService<K, N>
where
    K: Key,
    N: Key,
{
    /// Declares the timers as the sorted state `name` of `backend` (both domains in one
    /// state), empty.
    ///
    /// # Errors
    /// When `name` is declared as another state.
    pub fn declare<BK: Key>(backend: &mut LsmKeyedStateBackend<BK>, name: &str) -> Result<Self, StateError> {
        let id = backend.register_sorted::<Stored<K, N>>(name)?;
        let range = crate::KeyedStateBackend::key_group_range(backend);
        Ok(LsmTimerService {
            event_time: LsmTimerQueue::new(id, EVENT_TIME, range),
            processing_time: LsmTimerQueue::new(id, PROCESSING_TIME, range),
        })
    }

    /// Registers the timers of `snapshots` in the heap's format ([`TimerSnapshot`], of
    /// any parallelism) whose key groups are in `range` — a savepoint of an operator
    /// whose timers were on the heap.
    ///
    /// # Errors
    /// [`StateError::Restore`] for bytes that are not timers of these types, or the
    /// store's error.
    pub fn restore_from_heap<BK: Key>(
        &mut self,
        backend: &mut LsmKeyedStateBackend<BK>,
        range: KeyGroupRange,
        snapshots: &[TimerSnapshot],
    ) -> Result<(), StateError> {
        let decode = |bytes: &[u8]| -> Result<Vec<(i64, K, N)>, StateError> {
            bincode::deserialize(bytes).map_err(|e| StateError::Restore(format!("timers: {e}")))
        };
        for (kg, event, processing) in snapshots.iter().flat_map(|s| &s.key_groups) {
            if !range.contains(*kg) {
                continue;
            }
            for (time, key, namespace) in decode(event)? {
                self.event_time.register(backend, time, &key, *kg, &namespace)?;
            }
            for (time, key, namespace) in decode(processing)? {
                self.processing_time.register(backend, time, &key, *kg, &namespace)?;
            }
        }
        Ok(())
    }

    /// The timers of this service's state in a snapshot (its blobs, taken out with
    /// [`KeyedStateSnapshot::take_state`](crate::KeyedStateSnapshot::take_state)) in the
    /// heap's format, for an operator whose timers are on the heap.
    ///
    /// # Errors
    /// [`StateError::Restore`] for blobs that are not timers of these types.
    pub fn to_heap_snapshot(blobs: &[(usize, Vec<u8>)]) -> Result<TimerSnapshot, StateError> {
        let mut key_groups = Vec::with_capacity(blobs.len());
        for (kg, blob) in blobs {
            let stored: Vec<(Stored<K, N>, ())> =
                bincode::deserialize(blob).map_err(|e| StateError::Restore(format!("timers: {e}")))?;
            let (mut event, mut processing) = (Vec::new(), Vec::new());
            for ((domain, time, key, namespace), ()) in stored {
                let timers = if domain == EVENT_TIME { &mut event } else { &mut processing };
                timers.push((time_of(time), key, namespace));
            }
            let encode = |v: &Vec<(i64, K, N)>| bincode::serialize(v).map_err(|e| StateError::Restore(e.to_string()));
            key_groups.push((*kg, encode(&event)?, encode(&processing)?));
        }
        Ok(TimerSnapshot { key_groups })
    }

    /// Reads the caches afresh from the store: after the store was restored.
    ///
    /// # Errors
    /// [`StateError::Store`] when the store cannot be read.
    pub fn reload<BK: Key>(&mut self, backend: &LsmKeyedStateBackend<BK>) -> Result<(), StateError> {
        self.event_time.reload(backend)?;
        self.processing_time.reload(backend)
    }
}

impl<K, N> LsmTimerQueue<K, N>
where
    K: Key,
    N: Key,
{
    fn new(id: StateId, domain: u8, range: KeyGroupRange) -> Self {
        LsmTimerQueue {
            id,
            domain,
            first_key_group: range.start,
            caches: (0..range.len()).map(|_| Cache::default()).collect(),
        }
    }

    fn encode(&self, time: i64, key: &K, namespace: &N) -> Result<Vec<u8>, StateError> {
        encode(self.domain, time, key, namespace)
    }

    /// Adds a timer of `key` (in `key_group`); adding the same timer again changes nothing.
    ///
    /// # Errors
    /// [`StateError::Store`] when the store fails.
    pub fn register<BK: Key>(
        &mut self,
        backend: &mut LsmKeyedStateBackend<BK>,
        time: i64,
        key: &K,
        key_group: usize,
        namespace: &N,
    ) -> Result<(), StateError> {
        let bytes = self.encode(time, key, namespace)?;
        backend.insert_sorted(self.id, key_group, &RawBytes(&bytes))?;
        let cache = &mut self.caches[key_group - self.first_key_group];
        if bytes < cache.floor {
            cache.floor.clone_from(&bytes);
        }
        let before_last = cache.timers.back().is_some_and(|(last, _)| bytes < *last);
        if cache.complete || before_last {
            if let Err(at) = cache.timers.binary_search_by(|(b, _)| b.cmp(&bytes)) {
                let timer = Timer { timestamp: time, key: key.clone(), namespace: namespace.clone() };
                cache.timers.insert(at, (bytes, timer));
                if cache.timers.len() > CACHE {
                    cache.timers.pop_back();
                    cache.complete = false;
                }
            }
        }
        Ok(())
    }

    /// Removes a timer of `key` (in `key_group`), if registered.
    ///
    /// # Errors
    /// [`StateError::Store`] when the store fails.
    pub fn delete<BK: Key>(
        &mut self,
        backend: &mut LsmKeyedStateBackend<BK>,
        time: i64,
        key: &K,
        key_group: usize,
        namespace: &N,
    ) -> Result<(), StateError> {
        let bytes = self.encode(time, key, namespace)?;
        backend.remove_sorted(self.id, key_group, &RawBytes(&bytes))?;
        let index = key_group - self.first_key_group;
        let cache = &mut self.caches[index];
        if let Ok(at) = cache.timers.binary_search_by(|(b, _)| b.cmp(&bytes)) {
            cache.timers.remove(at);
            if cache.timers.is_empty() && !cache.complete {
                self.refill(backend, index)?;
            }
        }
        Ok(())
    }

    /// The earliest timer's time.
    pub fn next_timestamp(&self) -> Option<i64> {
        self.caches.iter().filter_map(|c| c.timers.front()).map(|(_, t)| t.timestamp).min()
    }

    /// Takes the earliest timer if it is due at `time` (its timestamp `<= time`),
    /// removing it from the store.
    ///
    /// # Errors
    /// [`StateError::Store`] when the store fails.
    pub fn pop_due<BK: Key>(
        &mut self,
        backend: &mut LsmKeyedStateBackend<BK>,
        time: i64,
    ) -> Result<Option<Timer<K, N>>, StateError> {
        let earliest = self
            .caches
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.timers.front().map(|(_, t)| (t.timestamp, i)))
            .min_by_key(|(t, _)| *t);
        let Some((timestamp, index)) = earliest else { return Ok(None) };
        if timestamp > time {
            return Ok(None);
        }
        let key_group = self.first_key_group + index;
        let cache = &mut self.caches[index];
        let (bytes, timer) = cache.timers.pop_front().expect("the earliest was found in this cache");
        backend.remove_sorted(self.id, key_group, &RawBytes(&bytes))?;
        cache.floor = bytes;
        if cache.timers.is_empty() && !cache.complete {
            self.refill(backend, index)?;
        }
        Ok(Some(timer))
    }

    /// Reads every key group's cache from the store.
    fn reload<BK: Key>(&mut self, backend: &LsmKeyedStateBackend<BK>) -> Result<(), StateError> {
        for index in 0..self.caches.len() {
            self.caches[index] = Cache::default();
            self.refill(backend, index)?;
        }
        Ok(())
    }

    /// Fills an empty cache with the key group's earliest stored timers from its floor.
    fn refill<BK: Key>(&mut self, backend: &LsmKeyedStateBackend<BK>, index: usize) -> Result<(), StateError> {
        let key_group = self.first_key_group + index;
        let cache = &mut self.caches[index];
        debug_assert!(cache.timers.is_empty());
        let domain = self.domain;
        for stored in backend.sorted::<Stored<K, N>>(self.id, key_group, &[domain], &cache.floor).take(CACHE) {
            let (_, time, key, namespace) = stored?;
            // bincode's encoding of a value is unique: these are the stored bytes.
            let bytes = encode(domain, time_of(time), &key, &namespace)?;
            cache.timers.push_back((bytes, Timer { timestamp: time_of(time), key, namespace }));
        }
        cache.complete = cache.timers.len() < CACHE;
        Ok(())
    }
}

/// Bytes already encoded, written as they are (bincode writes a `&[u8]` with its length).
struct RawBytes<'a>(&'a [u8]);

impl Serialize for RawBytes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        let mut tuple = serializer.serialize_tuple(self.0.len())?;
        for b in self.0 {
            tuple.serialize_element(b)?;
        }
        tuple.end()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use weir_core::key_group::assign_to_key_group;

    use super::*;
    use crate::{KeyedStateBackend, MemoryBudget, TimerService};

    const MAX: usize = 8;

    fn lsm(dir: &tempfile::TempDir) -> LsmKeyedStateBackend<u64> {
        LsmKeyedStateBackend::open(dir.path(), KeyGroupRange::for_operator(MAX, 1, 0), MemoryBudget::of(4 << 20))
            .unwrap()
    }

    #[test]
    fn time_bytes_sort_as_times() {
        let times = [i64::MIN, -1_000, -1, 0, 1, 999, i64::MAX];
        for w in times.windows(2) {
            assert!(time_bytes(w[0]) < time_bytes(w[1]), "{} < {}", w[0], w[1]);
        }
        assert!(times.iter().all(|&t| time_of(time_bytes(t)) == t));
    }

    /// A pseudo-random sequence of registrations, deletions and pops (more timers than
    /// the caches hold, with repeats and timers registered below what already fired)
    /// gives exactly what the heap's timer queue gives, in the same time order.
    #[test]
    fn fires_as_the_heap_queue_does() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = lsm(&dir);
        let mut lsm_timers = LsmTimerService::<u64, u32>::declare(&mut b, "timers").unwrap();
        let mut heap = TimerService::<u64, u32>::default();
        let mut seed = 7u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            seed >> 33
        };
        let mut watermark = -500i64;
        let mut overflowed = false;
        for round in 0..40 {
            for _ in 0..150 {
                let (key, ns) = (next() % 50, (next() % 3) as u32);
                let time = watermark - 20 + (next() % 400) as i64;
                let kg = assign_to_key_group(&key, MAX);
                if next() % 5 == 0 {
                    lsm_timers.event_time.delete(&mut b, time, &key, kg, &ns).unwrap();
                    heap.event_time.delete(time, &key, &ns);
                } else {
                    lsm_timers.event_time.register(&mut b, time, &key, kg, &ns).unwrap();
                    heap.event_time.register(time, &key, &ns);
                }
            }
            overflowed |= lsm_timers.event_time.caches.iter().any(|c| !c.complete);
            watermark += 60 + (round % 3) * 40;
            assert_eq!(lsm_timers.event_time.next_timestamp(), heap.event_time.next_timestamp(), "round {round}");
            let mut fired_lsm = Vec::new();
            while let Some(t) = lsm_timers.event_time.pop_due(&mut b, watermark).unwrap() {
                fired_lsm.push(t);
            }
            let mut fired_heap = Vec::new();
            while let Some(t) = heap.event_time.pop_due(watermark) {
                fired_heap.push(t);
            }
            let times: Vec<i64> = fired_lsm.iter().map(|t| t.timestamp).collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "round {round}: in time order");
            let as_set = |v: &[Timer<u64, u32>]| -> BTreeSet<(i64, u64, u32)> {
                v.iter().map(|t| (t.timestamp, t.key, t.namespace)).collect()
            };
            assert_eq!(fired_lsm.len(), fired_heap.len(), "round {round}");
            assert_eq!(as_set(&fired_lsm), as_set(&fired_heap), "round {round}");
        }
        assert!(overflowed, "some key group held more timers than its cache");
        assert!(lsm_timers.processing_time.pop_due(&mut b, i64::MAX).unwrap().is_none(), "domains are apart");
    }

    #[test]
    fn timers_survive_a_snapshot_and_move_with_their_key_groups() {
        let dir = tempfile::tempdir().unwrap();
        let mut b = lsm(&dir);
        let mut timers = LsmTimerService::<u64, ()>::declare(&mut b, "timers").unwrap();
        for key in 0..200u64 {
            let kg = assign_to_key_group(&key, MAX);
            timers.event_time.register(&mut b, key as i64, &key, kg, &()).unwrap();
            timers.processing_time.register(&mut b, 1_000 + key as i64, &key, kg, &()).unwrap();
        }
        // Some fire before the snapshot: they are not in it.
        for _ in 0..10 {
            timers.event_time.pop_due(&mut b, i64::MAX).unwrap().unwrap();
        }
        let snapshot = b.snapshot().unwrap();
        let mut fired = Vec::new();
        for i in 0..2 {
            let other = tempfile::tempdir().unwrap();
            let range = KeyGroupRange::for_operator(MAX, 2, i);
            let mut half = LsmKeyedStateBackend::<u64>::open(other.path(), range, MemoryBudget::of(4 << 20)).unwrap();
            let mut t = LsmTimerService::<u64, ()>::declare(&mut half, "timers").unwrap();
            half.restore(std::slice::from_ref(&snapshot)).unwrap();
            t.reload(&half).unwrap();
            while let Some(timer) = t.event_time.pop_due(&mut half, i64::MAX).unwrap() {
                assert!(range.contains(assign_to_key_group(&timer.key, MAX)));
                fired.push(timer.timestamp);
            }
            assert_eq!(t.processing_time.pop_due(&mut half, 999).unwrap(), None);
        }
        fired.sort();
        assert_eq!(fired, (10..200).collect::<Vec<i64>>());

        // To the heap's format and back: the same timers fire.
        let mut snapshot = snapshot;
        let blobs = snapshot.take_state("timers").unwrap();
        let heap_format = LsmTimerService::<u64, ()>::to_heap_snapshot(&blobs).unwrap();
        let mut heap = TimerService::<u64, ()>::default();
        heap.restore(KeyGroupRange::for_operator(MAX, 1, 0), std::slice::from_ref(&heap_format)).unwrap();
        assert_eq!((heap.event_time.len(), heap.processing_time.len()), (190, 200));
        let back = tempfile::tempdir().unwrap();
        let mut b2 = lsm(&back);
        let mut t2 = LsmTimerService::<u64, ()>::declare(&mut b2, "timers").unwrap();
        let range = KeyGroupRange::for_operator(MAX, 1, 0);
        t2.restore_from_heap(&mut b2, range, &[heap.snapshot(MAX).unwrap()]).unwrap();
        let mut n = 0;
        while let Some(t) = t2.processing_time.pop_due(&mut b2, i64::MAX).unwrap() {
            assert_eq!(t.timestamp, 1_000 + t.key as i64);
            n += 1;
        }
        assert_eq!(n, 200);
    }
}
