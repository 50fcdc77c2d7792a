//! [`JoinBounds`]: the time interval of an interval join and the arithmetic built on it —
//! which timestamps of the other side a record joins with, and from which watermark on
//! a buffered record can no longer match anything (Flink's cleanup rule).
//!
//! Pure functions, tested here with tables; the operator only calls them.

use std::ops::RangeInclusive;

/// Which input of a join a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum JoinSide {
    /// The stream `interval_join` was called on.
    Left,
    /// The stream passed to `interval_join`.
    Right,
}

/// The interval `[lower, upper]` (milliseconds, both inclusive) that a right record's
/// timestamp must fall in, relative to a left record's timestamp, for the two to join:
/// `left.ts + lower <= right.ts <= left.ts + upper`.
///
/// Exclusive bounds are turned into inclusive ones on construction, as Flink does
/// (`lower + 1`, `upper - 1`); the interval may then be empty, and nothing joins.
///
/// ```
/// use weir::join::{JoinBounds, JoinSide};
/// let b = JoinBounds::new(-2, 1, true, false); // [-2, 1)
/// assert_eq!(b.matching(JoinSide::Left, 10), Some(8..=10));
/// assert_eq!(b.matching(JoinSide::Right, 10), Some(10..=12));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinBounds {
    /// The inclusive lower bound.
    pub lower: i64,
    /// The inclusive upper bound.
    pub upper: i64,
}

impl JoinBounds {
    /// The interval from `lower` to `upper`, each end included or not.
    pub fn new(lower: i64, upper: i64, lower_inclusive: bool, upper_inclusive: bool) -> Self {
        JoinBounds {
            lower: if lower_inclusive { lower } else { lower.saturating_add(1) },
            upper: if upper_inclusive { upper } else { upper.saturating_sub(1) },
        }
    }

    /// The bounds as seen from `side`: the right side joins left records with
    /// `left.ts` in `[right.ts - upper, right.ts - lower]`.
    fn relative(&self, side: JoinSide) -> (i64, i64) {
        match side {
            JoinSide::Left => (self.lower, self.upper),
            JoinSide::Right => (self.upper.saturating_neg(), self.lower.saturating_neg()),
        }
    }

    /// The timestamps of the other side that a record of `side` at `timestamp` joins
    /// with; `None` when the interval is empty.
    pub fn matching(&self, side: JoinSide, timestamp: i64) -> Option<RangeInclusive<i64>> {
        let (lower, upper) = self.relative(side);
        (lower <= upper).then(|| timestamp.saturating_add(lower)..=timestamp.saturating_add(upper))
    }

    /// The event time at which a record of `side` at `timestamp` is removed from its
    /// buffer: once the watermark reaches it, every record of the other side that could
    /// still match would be late (Flink's `cleanupTime`: the record's timestamp plus the
    /// relative upper bound when that is positive, else the timestamp itself).
    pub fn cleanup_time(&self, side: JoinSide, timestamp: i64) -> i64 {
        let (_, upper) = self.relative(side);
        if upper > 0 {
            timestamp.saturating_add(upper)
        } else {
            timestamp
        }
    }

    /// The buffered timestamp whose cleanup timer is `timer` — the inverse of
    /// [`Self::cleanup_time`].
    pub fn cleaned_timestamp(&self, side: JoinSide, timer: i64) -> i64 {
        let (_, upper) = self.relative(side);
        if upper > 0 {
            timer.saturating_sub(upper)
        } else {
            timer
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use JoinSide::{Left, Right};

    #[test]
    fn exclusive_bounds_become_inclusive_ones() {
        // (lower, upper, lower_inclusive, upper_inclusive) → (lower, upper)
        let cases = [
            ((-2, 1, true, true), (-2, 1)),
            ((-2, 1, false, true), (-1, 1)),
            ((-2, 1, true, false), (-2, 0)),
            ((-2, 1, false, false), (-1, 0)),
            ((0, 0, false, false), (1, -1)),
        ];
        for ((l, u, li, ui), (el, eu)) in cases {
            assert_eq!(JoinBounds::new(l, u, li, ui), JoinBounds { lower: el, upper: eu }, "{l} {u} {li} {ui}");
        }
    }

    #[test]
    fn matching_ranges_from_both_sides() {
        // (lower, upper, side, ts) → range of the other side's timestamps
        let cases = [
            ((-2, 1), Left, 10, Some((8, 11))),
            ((-2, 1), Right, 10, Some((9, 12))),
            ((1, 3), Left, 10, Some((11, 13))),
            ((1, 3), Right, 10, Some((7, 9))),
            ((-3, -1), Left, 10, Some((7, 9))),
            ((-3, -1), Right, 10, Some((11, 13))),
            ((0, 0), Right, 10, Some((10, 10))),
            ((1, -1), Left, 10, None),
            ((1, -1), Right, 10, None),
        ];
        for ((lower, upper), side, ts, want) in cases {
            let got = JoinBounds { lower, upper }.matching(side, ts).map(|r| (*r.start(), *r.end()));
            assert_eq!(got, want, "[{lower}, {upper}] {side:?} @{ts}");
        }
    }

    #[test]
    fn a_left_and_right_record_match_from_either_side_alike() {
        for (lower, upper) in [(-2, 1), (1, 3), (-3, -1), (0, 0), (-5, 5)] {
            let b = JoinBounds { lower, upper };
            for l in 0..20 {
                for r in 0..20 {
                    let from_left = b.matching(Left, l).is_some_and(|m| m.contains(&r));
                    let from_right = b.matching(Right, r).is_some_and(|m| m.contains(&l));
                    assert_eq!(from_left, from_right, "[{lower}, {upper}] l={l} r={r}");
                }
            }
        }
    }

    #[test]
    fn cleanup_waits_until_no_future_record_can_match() {
        // (lower, upper, side, ts) → cleanup time (Flink's rule)
        let cases = [
            ((-2, 1), Left, 10, 11),  // rights up to 11 may still come
            ((-2, 1), Right, 10, 12), // lefts up to 12 may still come: right.ts - lower
            ((1, 3), Left, 10, 13),
            ((1, 3), Right, 10, 10), // -lower = -1 <= 0: the record's own time
            ((-3, -1), Left, 10, 10),
            ((-3, -1), Right, 10, 13),
            ((0, 0), Left, 10, 10),
            ((0, 0), Right, 10, 10),
        ];
        for ((lower, upper), side, ts, want) in cases {
            let b = JoinBounds { lower, upper };
            let t = b.cleanup_time(side, ts);
            assert_eq!(t, want, "[{lower}, {upper}] {side:?} @{ts}");
            assert_eq!(b.cleaned_timestamp(side, t), ts);
            // Every record of the other side that still matches is at or below the cleanup
            // time, so once the watermark passes it such a record is late.
            if let Some(m) = b.matching(side, ts) {
                assert!(*m.end() <= t || *m.end() <= ts, "[{lower}, {upper}] {side:?} @{ts}");
            }
        }
    }
}
