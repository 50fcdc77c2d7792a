//! Channel selectors: which downstream subtask a record goes to.
//!
//! | partitioner | connection | target |
//! |---|---|---|
//! | forward | pointwise, equal parallelism | the subtask with the same index |
//! | rescale | pointwise | round robin over this subtask's local group |
//! | rebalance | all to all | round robin |
//! | shuffle | all to all | uniformly random |
//! | broadcast | all to all | every subtask (see `BroadcastWriter`) |
//! | global | all to all | subtask 0 |
//! | key-by | all to all | the owner of the key's key group |
//! | custom | all to all | the user's function of the key |
//!
//! A custom partitioner may also say how to deal out its in-flight records again at another
//! parallelism ([`Resplit`]); the others' rule is fixed by their kind
//! (`crate::in_flight::redistribution`).

use std::any::Any;
use std::hash::Hash;
use std::sync::Arc;

use weir_core::key_group::{assign_to_key_group, operator_index_for_key_group};
use weir_core::KeyGroupRange;

use crate::BoxError;

/// Picks the channel of one record among the writer's `n` channels.
pub trait ChannelSelector<T>: Send {
    /// Whether the selector must see every record even when there is a single channel
    /// (a user's partitioner may fail or return an invalid channel; the built-in ones
    /// can only answer 0).
    const SELECTS_WITH_ONE_CHANNEL: bool = false;

    /// A channel index in `0..n`.
    fn select(&mut self, value: &T) -> usize;
}

/// Always channel 0 (forward's single channel, and global).
#[derive(Debug, Clone, Copy, Default)]
pub struct FirstChannel;

impl<T> ChannelSelector<T> for FirstChannel {
    #[inline]
    fn select(&mut self, _: &T) -> usize {
        0
    }
}

/// Round robin over the channels (rebalance, rescale).
#[derive(Debug, Clone)]
pub struct RoundRobin {
    next: usize,
    n: usize,
}

impl RoundRobin {
    /// Round robin over `n` channels, starting at `start % n` so that parallel producers
    /// do not all begin with the same consumer.
    pub fn new(n: usize, start: usize) -> Self {
        RoundRobin { next: start % n, n }
    }
}

impl<T> ChannelSelector<T> for RoundRobin {
    #[inline]
    fn select(&mut self, _: &T) -> usize {
        let c = self.next;
        self.next += 1;
        if self.next == self.n {
            self.next = 0;
        }
        c
    }
}

/// Uniformly random channels (shuffle), from a fast seeded generator.
#[derive(Debug, Clone)]
pub struct Random {
    state: u64,
    n: usize,
}

impl Random {
    /// Random over `n` channels, seeded per producing subtask.
    pub fn new(n: usize, seed: u64) -> Self {
        Random { state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, n }
    }
}

impl<T> ChannelSelector<T> for Random {
    #[inline]
    fn select(&mut self, _: &T) -> usize {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let r = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (((r >> 32) * self.n as u64) >> 32) as usize
    }
}

/// Key-by: the subtask owning the key group of the record's key.
#[derive(Debug, Clone)]
pub struct KeyGroupSelector<F> {
    key_of: F,
    max_parallelism: usize,
    n: usize,
}

impl<F> KeyGroupSelector<F> {
    /// Routes by `key_of(record)` to `n` subtasks over `max_parallelism` key groups.
    pub fn new(key_of: F, max_parallelism: usize, n: usize) -> Self {
        KeyGroupSelector { key_of, max_parallelism, n }
    }
}

impl<T, K: Hash, F: FnMut(&T) -> K + Send> ChannelSelector<T> for KeyGroupSelector<F> {
    #[inline]
    fn select(&mut self, value: &T) -> usize {
        let key = (self.key_of)(value);
        operator_index_for_key_group(self.max_parallelism, self.n, assign_to_key_group(&key, self.max_parallelism))
    }
}

/// The key group of a record of a keyed edge, among a given number of key groups: what a
/// restore at another parallelism needs to send each in-flight record of the edge to the
/// subtask that now owns its key's state (the key selector of [`KeyGroupSelector`],
/// without the parallelism).
///
/// # Example
/// ```
/// use weir_runtime::partitioner::KeyGroupOf;
/// let of = KeyGroupOf::new(|v: &(u32, &str)| v.0);
/// assert_eq!(of.key_group(&(7, "a"), 128), of.key_group(&(7, "b"), 128));
/// assert!(of.key_group(&(7, "a"), 128) < 128);
/// ```
pub struct KeyGroupOf<T>(Arc<KeyGroupFn<T>>);

/// A record and a number of key groups to the record's key group.
type KeyGroupFn<T> = dyn Fn(&T, usize) -> usize + Send + Sync;

impl<T> Clone for KeyGroupOf<T> {
    fn clone(&self) -> Self {
        KeyGroupOf(self.0.clone())
    }
}

impl<T: 'static> KeyGroupOf<T> {
    /// The key groups of `key_of`'s keys, as [`KeyGroupSelector`] assigns them.
    pub fn new<K: Hash>(key_of: impl Fn(&T) -> K + Send + Sync + 'static) -> Self {
        KeyGroupOf(Arc::new(move |value, max_parallelism| assign_to_key_group(&key_of(value), max_parallelism)))
    }

    /// The key group of `value` among `max_parallelism` key groups.
    pub fn key_group(&self, value: &T, max_parallelism: usize) -> usize {
        (self.0)(value, max_parallelism)
    }

    /// Erased, as the job graph carries it ([`crate::graph::Partitioner::KeyBy`]).
    pub fn erase(self) -> ErasedKeyGroupOf {
        Arc::new(self)
    }
}

/// A [`KeyGroupOf<T>`] with `T` hidden.
pub type ErasedKeyGroupOf = Arc<dyn Any + Send + Sync>;

/// A user's partitioner: `f(record, n)` must return a channel in `0..n`.
#[derive(Debug, Clone)]
pub struct CustomSelector<F> {
    f: F,
    n: usize,
}

impl<F> CustomSelector<F> {
    /// Routes by `f(record, n)`.
    pub fn new(f: F, n: usize) -> Self {
        CustomSelector { f, n }
    }
}

impl<T, F: FnMut(&T, usize) -> usize + Send> ChannelSelector<T> for CustomSelector<F> {
    const SELECTS_WITH_ONE_CHANNEL: bool = true;

    #[inline]
    fn select(&mut self, value: &T) -> usize {
        (self.f)(value, self.n)
    }
}

/// A subtask of a vertex restored at another parallelism, as a [`Resplit`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResplitTarget {
    /// The subtask's index.
    pub subtask: usize,
    /// The vertex's parallelism now.
    pub parallelism: usize,
    /// The vertex's number of key groups.
    pub max_parallelism: usize,
}

impl ResplitTarget {
    /// The key groups the subtask owns now.
    pub fn key_groups(&self) -> KeyGroupRange {
        KeyGroupRange::for_operator(self.max_parallelism, self.parallelism, self.subtask)
    }
}

/// How a custom partitioner's in-flight records are dealt out again when an unaligned
/// checkpoint is restored at another parallelism: given one stored record and a new
/// subtask, the part of the record that subtask replays.
///
/// # Contract
/// Over the subtasks `0..parallelism` of one [`ResplitTarget`] layout, the parts must add
/// up to the record, each piece exactly once (a record that is itself a batch of rows, as
/// SQL's are, may be cut). A piece belongs to the subtask the partitioner would route it
/// to at the new parallelism, and for a keyed consumer that is the owner of its key's key
/// group ([`ResplitTarget::key_groups`]), where the restore put the key's state. A plain
/// custom partitioner without a `Resplit` may route by the old parallelism, so its
/// in-flight records are refused at another one.
///
/// # Errors
/// What the function returns (a record it cannot cut fails the restore).
///
/// # Concurrency
/// Called from the task threads of all restoring subtasks, only while they restore.
///
/// # Example
/// ```
/// use weir_runtime::partitioner::{Resplit, ResplitTarget};
/// // Records of (key group, value), kept by the subtask owning the key group.
/// let resplit = Resplit::new(|r: (usize, u32), to: &ResplitTarget| Ok(to.key_groups().contains(r.0).then_some(r)));
/// let first = ResplitTarget { subtask: 0, parallelism: 2, max_parallelism: 128 };
/// assert_eq!(resplit.part((5, 7), &first).unwrap(), Some((5, 7)));
/// assert_eq!(resplit.part((100, 7), &first).unwrap(), None);
/// ```
pub struct Resplit<T>(Arc<ResplitFn<T>>);

/// A record and a new subtask to the part of the record it replays.
type ResplitFn<T> = dyn Fn(T, &ResplitTarget) -> Result<Option<T>, BoxError> + Send + Sync;

impl<T> Clone for Resplit<T> {
    fn clone(&self) -> Self {
        Resplit(self.0.clone())
    }
}

impl<T: 'static> Resplit<T> {
    /// Deals out records by `part` (see the contract).
    pub fn new(part: impl Fn(T, &ResplitTarget) -> Result<Option<T>, BoxError> + Send + Sync + 'static) -> Self {
        Resplit(Arc::new(part))
    }

    /// The part of `record` that `target` replays, if any.
    ///
    /// # Errors
    /// When the function fails.
    pub fn part(&self, record: T, target: &ResplitTarget) -> Result<Option<T>, BoxError> {
        (self.0)(record, target)
    }

    /// Erased, as the job graph carries it ([`crate::graph::Partitioner::Custom`]).
    pub fn erase(self) -> ErasedResplit {
        Arc::new(self)
    }
}

/// A [`Resplit<T>`] with `T` hidden.
pub type ErasedResplit = Arc<dyn Any + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_cycles_from_its_start() {
        let mut rr = RoundRobin::new(3, 4);
        let got: Vec<usize> = (0..6).map(|_| ChannelSelector::<u8>::select(&mut rr, &0)).collect();
        assert_eq!(got, vec![1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn random_covers_all_channels_evenly() {
        let mut r = Random::new(4, 7);
        let mut counts = [0usize; 4];
        for _ in 0..40_000 {
            counts[ChannelSelector::<u8>::select(&mut r, &0)] += 1;
        }
        assert!(counts.iter().all(|&c| (9_000..11_000).contains(&c)), "{counts:?}");
    }

    #[test]
    fn key_group_of_agrees_with_the_selector() {
        let of = KeyGroupOf::new(|v: &u64| *v);
        let mut s = KeyGroupSelector::new(|v: &u64| *v, 128, 3);
        for k in 0..1000u64 {
            let owner = operator_index_for_key_group(128, 3, of.key_group(&k, 128));
            assert_eq!(owner, s.select(&k));
        }
    }

    #[test]
    fn key_group_selector_agrees_with_key_group_ranges() {
        let mut s = KeyGroupSelector::new(|v: &u64| *v, 128, 3);
        for k in 0..1000u64 {
            let c = s.select(&k);
            let kg = assign_to_key_group(&k, 128);
            assert!(weir_core::KeyGroupRange::for_operator(128, 3, c).contains(kg));
        }
    }
}
