//! [`TimerStore`]: where a window operator keeps its timers — on the heap
//! ([`TimerService`]) or in the embedded backend ([`LsmTimerService`], Flink's RocksDB
//! timers) — behind one small trait.
//!
//! An operator is compiled for one store (a type parameter), so a timer costs no
//! dynamic call; the heap's methods ignore the backend they are lent and never fail.

use std::hash::Hash;

use weir_state::{
    Key, LsmKeyedStateBackend, LsmTimerQueue, LsmTimerService, StateBackend, StateError, Timer, TimerQueue,
    TimerService,
};

use crate::functions::TimeDomain;

/// The timers of a keyed operator subtask, per key (in its key group) and namespace `N`,
/// stored next to keyed state of key type `BK`.
///
/// # Contract
/// As [`TimerService`]: registering a timer twice keeps one, a deleted timer never fires,
/// `pop_due` hands out due timers earliest first, and a timer registered while timers
/// fire, at or before the time they fire at, fires in the same round.
///
/// # Errors
/// The embedded store's [`StateError::Store`]; the heap never fails.
pub(crate) trait TimerStore<K, N, BK>: Send + 'static {
    /// Adds a timer of `key` in `key_group`.
    fn register(
        &mut self,
        backend: &mut StateBackend<BK>,
        domain: TimeDomain,
        time: i64,
        key: &K,
        key_group: usize,
        namespace: &N,
    ) -> Result<(), StateError>;

    /// Removes a timer, if registered.
    fn delete(
        &mut self,
        backend: &mut StateBackend<BK>,
        domain: TimeDomain,
        time: i64,
        key: &K,
        key_group: usize,
        namespace: &N,
    ) -> Result<(), StateError>;

    /// Takes the earliest timer of `domain` if it is due at `time`.
    fn pop_due(
        &mut self,
        backend: &mut StateBackend<BK>,
        domain: TimeDomain,
        time: i64,
    ) -> Result<Option<Timer<K, N>>, StateError>;

    /// The earliest timer of `domain`.
    fn next_timestamp(&mut self, domain: TimeDomain) -> Option<i64>;
}

impl<K, N, BK> TimerStore<K, N, BK> for TimerService<K, N>
where
    K: Hash + Eq + Clone + Send + 'static,
    N: Hash + Eq + Clone + Send + 'static,
{
    #[inline]
    fn register(
        &mut self,
        _: &mut StateBackend<BK>,
        domain: TimeDomain,
        time: i64,
        key: &K,
        _: usize,
        namespace: &N,
    ) -> Result<(), StateError> {
        heap_queue(self, domain).register(time, key, namespace);
        Ok(())
    }

    #[inline]
    fn delete(
        &mut self,
        _: &mut StateBackend<BK>,
        domain: TimeDomain,
        time: i64,
        key: &K,
        _: usize,
        namespace: &N,
    ) -> Result<(), StateError> {
        heap_queue(self, domain).delete(time, key, namespace);
        Ok(())
    }

    #[inline]
    fn pop_due(
        &mut self,
        _: &mut StateBackend<BK>,
        domain: TimeDomain,
        time: i64,
    ) -> Result<Option<Timer<K, N>>, StateError> {
        Ok(heap_queue(self, domain).pop_due(time))
    }

    #[inline]
    fn next_timestamp(&mut self, domain: TimeDomain) -> Option<i64> {
        heap_queue(self, domain).next_timestamp()
    }
}

/// The queue of `domain`'s timers on the heap.
#[inline]
fn heap_queue<K, N>(timers: &mut TimerService<K, N>, domain: TimeDomain) -> &mut TimerQueue<K, N> {
    match domain {
        TimeDomain::EventTime => &mut timers.event_time,
        TimeDomain::ProcessingTime => &mut timers.processing_time,
    }
}

/// The embedded backend of an operator whose timers are in it.
pub(crate) fn embedded<BK>(backend: &mut StateBackend<BK>) -> Result<&mut LsmKeyedStateBackend<BK>, StateError> {
    match backend {
        StateBackend::Embedded(b) => Ok(b),
        StateBackend::Heap(_) => Err(StateError::Store("timers in the embedded backend need that backend".into())),
    }
}

/// The queue of `domain`'s timers.
fn queue<K, N>(timers: &mut LsmTimerService<K, N>, domain: TimeDomain) -> &mut LsmTimerQueue<K, N> {
    match domain {
        TimeDomain::EventTime => &mut timers.event_time,
        TimeDomain::ProcessingTime => &mut timers.processing_time,
    }
}

impl<K: Key, N: Key, BK: Key> TimerStore<K, N, BK> for LsmTimerService<K, N> {
    fn register(
        &mut self,
        backend: &mut StateBackend<BK>,
        domain: TimeDomain,
        time: i64,
        key: &K,
        key_group: usize,
        namespace: &N,
    ) -> Result<(), StateError> {
        queue(self, domain).register(embedded(backend)?, time, key, key_group, namespace)
    }

    fn delete(
        &mut self,
        backend: &mut StateBackend<BK>,
        domain: TimeDomain,
        time: i64,
        key: &K,
        key_group: usize,
        namespace: &N,
    ) -> Result<(), StateError> {
        queue(self, domain).delete(embedded(backend)?, time, key, key_group, namespace)
    }

    fn pop_due(
        &mut self,
        backend: &mut StateBackend<BK>,
        domain: TimeDomain,
        time: i64,
    ) -> Result<Option<Timer<K, N>>, StateError> {
        queue(self, domain).pop_due(embedded(backend)?, time)
    }

    fn next_timestamp(&mut self, domain: TimeDomain) -> Option<i64> {
        queue(self, domain).next_timestamp()
    }
}
