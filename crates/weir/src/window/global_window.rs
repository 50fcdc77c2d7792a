//! [`GlobalWindow`]: the one window that holds every element of a key (Flink's
//! `GlobalWindow`), used by [`GlobalWindows`](super::GlobalWindows) and count windows.

use serde::{Deserialize, Serialize};

use super::Window;

/// The single window of [`GlobalWindows`](super::GlobalWindows). It never ends: its
/// max timestamp is `i64::MAX`, so it is never cleaned up and only a custom trigger
/// (such as [`CountTrigger`](super::CountTrigger)) makes it emit.
///
/// ```
/// use weir::window::{GlobalWindow, Window};
/// assert_eq!(GlobalWindow.max_timestamp(), i64::MAX);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GlobalWindow;

impl Window for GlobalWindow {
    #[inline]
    fn max_timestamp(&self) -> i64 {
        i64::MAX
    }
}
