//! Timers of a keyed operator: event-time and processing-time, per key and namespace
//! (the namespace is the window for window operators, `()` for process functions).
//!
//! A timer is `(timestamp, key, namespace)`; registering the same timer twice keeps one
//! (Flink's deduplication); a deleted timer never fires. Timers fire in timestamp order:
//! event-time timers when the watermark reaches them, processing-time timers when the
//! clock does. Timers registered while timers fire, at or before the current time, fire
//! in the same round — the firing loop asks the queue again after every timer.
//!
//! Timers are state: checkpoints will store them by key group, like keyed state.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashSet};
use std::hash::Hash;

use weir_core::key_group::{assign_to_key_group, StableBuildHasher};
use weir_core::KeyGroupRange;

use crate::StateError;

/// One timer.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timer<K, N> {
    /// When it fires (epoch milliseconds, event or processing time).
    pub timestamp: i64,
    /// The key it belongs to.
    pub key: K,
    /// The namespace (window) it belongs to.
    pub namespace: N,
}

#[derive(Debug)]
struct Queued<K, N> {
    timer: Timer<K, N>,
    seq: u64,
}

impl<K, N> PartialEq for Queued<K, N> {
    fn eq(&self, other: &Self) -> bool {
        self.timer.timestamp == other.timer.timestamp && self.seq == other.seq
    }
}
impl<K, N> Eq for Queued<K, N> {}
impl<K, N> PartialOrd for Queued<K, N> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<K, N> Ord for Queued<K, N> {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.timer.timestamp, self.seq).cmp(&(other.timer.timestamp, other.seq))
    }
}

/// A priority queue of timers with deduplication and deletion.
#[derive(Debug)]
pub struct TimerQueue<K, N> {
    heap: BinaryHeap<Reverse<Queued<K, N>>>,
    live: HashSet<Timer<K, N>, StableBuildHasher>,
    seq: u64,
}

impl<K: Hash + Eq + Clone, N: Hash + Eq + Clone> Default for TimerQueue<K, N> {
    fn default() -> Self {
        TimerQueue { heap: BinaryHeap::new(), live: HashSet::default(), seq: 0 }
    }
}

impl<K: Hash + Eq + Clone, N: Hash + Eq + Clone> TimerQueue<K, N> {
    /// Adds a timer; returns false if the same timer is already registered.
    pub fn register(&mut self, timestamp: i64, key: &K, namespace: &N) -> bool {
        let timer = Timer { timestamp, key: key.clone(), namespace: namespace.clone() };
        if !self.live.insert(timer.clone()) {
            return false;
        }
        self.seq += 1;
        self.heap.push(Reverse(Queued { timer, seq: self.seq }));
        true
    }

    /// Removes a timer; returns whether it was registered.
    pub fn delete(&mut self, timestamp: i64, key: &K, namespace: &N) -> bool {
        self.live.remove(&Timer { timestamp, key: key.clone(), namespace: namespace.clone() })
    }

    /// The earliest live timer's timestamp.
    pub fn next_timestamp(&mut self) -> Option<i64> {
        self.skip_deleted();
        self.heap.peek().map(|Reverse(q)| q.timer.timestamp)
    }

    /// Takes the earliest live timer if it is due at `time` (timestamp `<= time`).
    pub fn pop_due(&mut self, time: i64) -> Option<Timer<K, N>> {
        self.skip_deleted();
        match self.heap.peek() {
            Some(Reverse(q)) if q.timer.timestamp <= time => {
                let Reverse(q) = self.heap.pop().expect("peeked");
                self.live.remove(&q.timer);
                Some(q.timer)
            }
            _ => None,
        }
    }

    /// Number of live timers.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// Whether no timer is registered.
    pub fn is_empty(&self) -> bool {
        self.live.is_empty()
    }

    fn skip_deleted(&mut self) {
        while let Some(Reverse(q)) = self.heap.peek() {
            if self.live.contains(&q.timer) {
                return;
            }
            self.heap.pop();
        }
    }
}

/// The timers of some key groups, as a checkpoint stores them: per key group, the
/// event-time and processing-time timers (bincode of `Vec<(timestamp, key, namespace)>`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimerSnapshot {
    /// `(key group, event-time timers, processing-time timers)`, ascending by key group.
    pub key_groups: Vec<(usize, Vec<u8>, Vec<u8>)>,
}

impl<K: Hash + Eq + Clone, N: Hash + Eq + Clone> TimerQueue<K, N> {
    /// The live timers, in no particular order.
    pub fn timers(&self) -> impl Iterator<Item = &Timer<K, N>> {
        self.live.iter()
    }
}

/// The event-time and processing-time timers of one keyed operator instance.
#[derive(Debug)]
pub struct TimerService<K, N> {
    /// Timers fired by the watermark.
    pub event_time: TimerQueue<K, N>,
    /// Timers fired by the clock.
    pub processing_time: TimerQueue<K, N>,
}

impl<K: Hash + Eq + Clone, N: Hash + Eq + Clone> Default for TimerService<K, N> {
    fn default() -> Self {
        TimerService { event_time: TimerQueue::default(), processing_time: TimerQueue::default() }
    }
}

impl<K, N> TimerService<K, N>
where
    K: Hash + Eq + Clone + serde::Serialize + serde::de::DeserializeOwned,
    N: Hash + Eq + Clone + serde::Serialize + serde::de::DeserializeOwned,
{
    /// Every timer, cut by the key group of its key (`max_parallelism` key groups), so
    /// that timers move with their keys' state when the job is rescaled.
    ///
    /// # Errors
    /// [`StateError::Snapshot`] when a key or namespace cannot be serialized.
    pub fn snapshot(&self, max_parallelism: usize) -> Result<TimerSnapshot, StateError> {
        type Triples<'a, K, N> = Vec<(i64, &'a K, &'a N)>;
        type ByGroup<'a, K, N> = std::collections::BTreeMap<usize, (Triples<'a, K, N>, Triples<'a, K, N>)>;
        let mut by_group: ByGroup<'_, K, N> = std::collections::BTreeMap::new();
        for t in self.event_time.timers() {
            by_group.entry(assign_to_key_group(&t.key, max_parallelism)).or_default().0.push((
                t.timestamp,
                &t.key,
                &t.namespace,
            ));
        }
        for t in self.processing_time.timers() {
            by_group.entry(assign_to_key_group(&t.key, max_parallelism)).or_default().1.push((
                t.timestamp,
                &t.key,
                &t.namespace,
            ));
        }
        let encode = |v: &Triples<'_, K, N>| bincode::serialize(v).map_err(|e| StateError::Snapshot(e.to_string()));
        let key_groups = by_group
            .iter()
            .map(|(kg, (event, processing))| Ok((*kg, encode(event)?, encode(processing)?)))
            .collect::<Result<Vec<_>, StateError>>()?;
        Ok(TimerSnapshot { key_groups })
    }

    /// Registers the timers of the key groups in `range` from `snapshots` (of any
    /// parallelism).
    ///
    /// # Errors
    /// [`StateError::Restore`] for bytes that do not decode as this service's timers.
    pub fn restore(&mut self, range: KeyGroupRange, snapshots: &[TimerSnapshot]) -> Result<(), StateError> {
        let decode = |bytes: &[u8]| -> Result<Vec<(i64, K, N)>, StateError> {
            bincode::deserialize(bytes).map_err(|e| StateError::Restore(format!("timers: {e}")))
        };
        for (kg, event, processing) in snapshots.iter().flat_map(|s| &s.key_groups) {
            if !range.contains(*kg) {
                continue;
            }
            for (ts, key, ns) in decode(event)? {
                self.event_time.register(ts, &key, &ns);
            }
            for (ts, key, ns) in decode(processing)? {
                self.processing_time.register(ts, &key, &ns);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_move_with_their_key_groups() {
        let mut old = [TimerService::<u64, ()>::default(), TimerService::default()];
        // Keys placed by key group at parallelism 2, with event and processing timers.
        for key in 0..500u64 {
            let i = weir_core::key_group::operator_index_for_key_group(128, 2, assign_to_key_group(&key, 128));
            old[i].event_time.register(key as i64 * 10, &key, &());
            old[i].processing_time.register(1_000 + key as i64, &key, &());
        }
        let snaps: Vec<TimerSnapshot> = old.iter().map(|t| t.snapshot(128).unwrap()).collect();
        // Restored at parallelism 3: each subtask fires exactly its keys' timers, in order.
        let mut fired = Vec::new();
        for i in 0..3 {
            let range = KeyGroupRange::for_operator(128, 3, i);
            let mut t = TimerService::<u64, ()>::default();
            t.restore(range, &snaps).unwrap();
            let mut last = i64::MIN;
            while let Some(timer) = t.event_time.pop_due(i64::MAX) {
                assert!(timer.timestamp >= last);
                last = timer.timestamp;
                assert!(range.contains(assign_to_key_group(&timer.key, 128)));
                fired.push(timer.key);
            }
            assert_eq!(t.processing_time.len(), t.processing_time.timers().count());
        }
        fired.sort();
        assert_eq!(fired, (0..500).collect::<Vec<_>>());
        assert!(TimerService::<u64, ()>::default()
            .restore(
                KeyGroupRange::for_operator(128, 1, 0),
                &[TimerSnapshot { key_groups: vec![(0, vec![1, 2, 3], vec![])] }]
            )
            .is_err());
    }

    #[test]
    fn fires_in_order_once_and_not_when_deleted() {
        let mut q = TimerQueue::<&str, ()>::default();
        assert!(q.register(30, &"a", &()));
        assert!(q.register(10, &"b", &()));
        assert!(!q.register(10, &"b", &()), "duplicate kept once");
        assert!(q.register(10, &"c", &()));
        assert!(q.register(20, &"a", &()));
        assert!(q.delete(20, &"a", &()));
        assert!(!q.delete(20, &"a", &()));
        assert_eq!(q.next_timestamp(), Some(10));
        let mut fired = Vec::new();
        while let Some(t) = q.pop_due(25) {
            fired.push((t.timestamp, t.key));
        }
        assert_eq!(fired, vec![(10, "b"), (10, "c")]);
        assert_eq!(q.next_timestamp(), Some(30));
        // Registering a deleted-then-fired timer again works.
        assert!(q.register(10, &"b", &()));
        assert_eq!(q.pop_due(100).map(|t| t.timestamp), Some(10));
        assert_eq!(q.pop_due(100).map(|t| t.timestamp), Some(30));
        assert!(q.pop_due(100).is_none() && q.is_empty());
    }
}
