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

use weir_core::key_group::StableBuildHasher;

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

#[cfg(test)]
mod tests {
    use super::*;

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
