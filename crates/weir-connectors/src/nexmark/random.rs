//! SplitMix64: the small, fast, seedable PRNG behind the Nexmark generator.
//!
//! The generator wants every event to depend only on `(seed, event id)`, so that a split
//! of the event ids gives the same events whichever reader generates them. SplitMix64
//! makes that cheap: its whole state is one `u64`, so a fresh generator per event is a
//! hash of `(seed, id)` — one multiply-xorshift mix — and each draw is one more.
//!
//! Not cryptographic; statistically good enough for a benchmark's data (SplitMix64
//! passes BigCrush), and the same on every platform.

/// Weyl-sequence increment of SplitMix64 (the golden ratio in 64 bits).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function (a variant of MurmurHash3's finalizer): a bijection on
/// `u64` that scrambles every input bit into every output bit.
#[inline]
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A SplitMix64 generator.
///
/// ```
/// use weir_connectors::nexmark::random::SplitMix64;
/// let mut a = SplitMix64::new(42);
/// let mut b = SplitMix64::new(42);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    /// The generator of one item `id` under a stream `key`: its state is a hash of both,
    /// so the streams of neighbouring ids start at unrelated points of the sequence
    /// (seeding with `key + id` would make them overlap, shifted by one draw).
    #[inline]
    pub fn for_item(key: u64, id: u64) -> Self {
        SplitMix64 { state: mix64(key ^ id.wrapping_mul(GAMMA)) }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix64(self.state)
    }

    /// A number uniform in `[0, n)` (Lemire's multiply-shift; the bias, below n / 2^64,
    /// is far under anything a benchmark can see). `n = 0` gives 0.
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number uniform in `[0, 1)` with 53 random bits.
    #[inline]
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sequence() {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut r = SplitMix64::new(7);
        let mut counts = [0u32; 10];
        for _ in 0..100_000 {
            counts[r.below(10) as usize] += 1;
        }
        for c in counts {
            assert!((9_500..10_500).contains(&c), "{counts:?}");
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.below(1), 0);
    }

    #[test]
    fn f64_is_in_unit_interval() {
        let mut r = SplitMix64::new(1);
        let mut sum = 0.0;
        for _ in 0..100_000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
            sum += x;
        }
        assert!((sum / 100_000.0 - 0.5).abs() < 0.01);
    }

    #[test]
    fn neighbouring_items_do_not_share_draws() {
        let mut a = SplitMix64::for_item(5, 100);
        let mut b = SplitMix64::for_item(5, 101);
        let (a1, a2, b1) = (a.next_u64(), a.next_u64(), b.next_u64());
        assert_ne!(a2, b1);
        assert_ne!(a1, b1);
        assert_ne!(SplitMix64::for_item(6, 100).next_u64(), a1);
    }
}
