//! [`TimeWindow`]: a window over the half-open time interval `[start, end)`, and the
//! arithmetic the time-based assigners share (Flink's `TimeWindow`).

use serde::{Deserialize, Serialize};

use super::Window;

/// The half-open interval `[start, end)` of event or processing time, in epoch
/// milliseconds. Its last timestamp, [`Window::max_timestamp`], is `end - 1`.
///
/// ```
/// use weir::window::{TimeWindow, Window};
/// let w = TimeWindow::new(0, 10);
/// assert_eq!(w.max_timestamp(), 9);
/// assert!(w.intersects(&TimeWindow::new(10, 20)), "touching windows intersect");
/// assert_eq!(w.cover(&TimeWindow::new(5, 15)), TimeWindow::new(0, 15));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TimeWindow {
    /// First timestamp in the window.
    pub start: i64,
    /// First timestamp after the window.
    pub end: i64,
}

impl TimeWindow {
    /// The window `[start, end)`.
    pub const fn new(start: i64, end: i64) -> Self {
        TimeWindow { start, end }
    }

    /// Whether the two windows overlap or touch (`[0, 10)` and `[10, 20)` do), which is
    /// when session windows merge.
    pub fn intersects(&self, other: &TimeWindow) -> bool {
        self.start <= other.end && self.end >= other.start
    }

    /// The smallest window containing both.
    pub fn cover(&self, other: &TimeWindow) -> TimeWindow {
        TimeWindow::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The start of the window of `size` (shifted by `offset`) that contains
    /// `timestamp` (Flink's `getWindowStartWithOffset`), correct for negative
    /// timestamps: the remainder of `timestamp - offset` by `size` is taken towards
    /// negative infinity.
    ///
    /// ```
    /// use weir::window::TimeWindow;
    /// assert_eq!(TimeWindow::window_start_with_offset(17, 0, 5), 15);
    /// assert_eq!(TimeWindow::window_start_with_offset(17, 3, 5), 13);
    /// assert_eq!(TimeWindow::window_start_with_offset(-3, 0, 5), -5);
    /// ```
    pub fn window_start_with_offset(timestamp: i64, offset: i64, size: i64) -> i64 {
        let remainder = (timestamp - offset) % size;
        if remainder < 0 {
            timestamp - (remainder + size)
        } else {
            timestamp - remainder
        }
    }

    /// Merges overlapping windows as session assigners do (Flink's
    /// `TimeWindow.mergeWindows`): sorts `windows` by start (in place), sweeps, and
    /// reports each group of two or more intersecting windows with the window covering
    /// them, as `(cover, members)`. Allocates only for the groups it reports.
    ///
    /// ```
    /// use weir::window::TimeWindow;
    /// let mut merges = Vec::new();
    /// TimeWindow::merge_windows(
    ///     &mut [TimeWindow::new(0, 5), TimeWindow::new(20, 25), TimeWindow::new(4, 9)],
    ///     &mut merges,
    /// );
    /// assert_eq!(merges, vec![(TimeWindow::new(0, 9), vec![TimeWindow::new(0, 5), TimeWindow::new(4, 9)])]);
    /// ```
    pub fn merge_windows(windows: &mut [TimeWindow], merges: &mut Vec<(TimeWindow, Vec<TimeWindow>)>) {
        windows.sort_unstable();
        let mut group_start = 0;
        let mut cover: Option<TimeWindow> = None;
        for i in 0..=windows.len() {
            let next = windows.get(i).copied();
            match (cover, next) {
                (Some(c), Some(w)) if c.intersects(&w) => cover = Some(c.cover(&w)),
                _ => {
                    if let Some(c) = cover {
                        let mut members = windows[group_start..i].to_vec();
                        members.dedup();
                        if members.len() > 1 {
                            merges.push((c, members));
                        }
                    }
                    group_start = i;
                    cover = next;
                }
            }
        }
    }
}

impl Window for TimeWindow {
    #[inline]
    fn max_timestamp(&self) -> i64 {
        self.end - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_start_matches_flink_for_offsets_and_negative_timestamps() {
        // (timestamp, offset, size, expected start)
        let cases = [
            (0, 0, 10, 0),
            (9, 0, 10, 0),
            (10, 0, 10, 10),
            (-1, 0, 10, -10),
            (-10, 0, 10, -10),
            (-11, 0, 10, -20),
            (7, 2, 5, 7),
            (6, 2, 5, 2),
            (1, 2, 5, -3),
            (-4, 2, 5, -8),
            (3_600_000 + 5, -900_000, 3_600_000, 2_700_000),
        ];
        for (ts, offset, size, expected) in cases {
            assert_eq!(TimeWindow::window_start_with_offset(ts, offset, size), expected, "ts {ts} offset {offset}");
        }
    }

    #[test]
    fn merge_windows_groups_intersecting_runs() {
        let w = TimeWindow::new;
        // (input, expected merges)
        type Merges = Vec<(TimeWindow, Vec<TimeWindow>)>;
        let cases: Vec<(Vec<TimeWindow>, Merges)> = vec![
            (vec![w(0, 5)], vec![]),
            (vec![w(0, 5), w(6, 9)], vec![]),
            (vec![w(0, 5), w(5, 9)], vec![(w(0, 9), vec![w(0, 5), w(5, 9)])]),
            (
                vec![w(10, 20), w(0, 5), w(3, 11), w(30, 40), w(35, 36)],
                vec![(w(0, 20), vec![w(0, 5), w(3, 11), w(10, 20)]), (w(30, 40), vec![w(30, 40), w(35, 36)])],
            ),
            (vec![w(0, 5), w(0, 5)], vec![]),
        ];
        for (input, expected) in cases {
            let mut merges = Vec::new();
            let mut windows = input.clone();
            TimeWindow::merge_windows(&mut windows, &mut merges);
            assert_eq!(merges, expected, "{input:?}");
        }
    }
}
