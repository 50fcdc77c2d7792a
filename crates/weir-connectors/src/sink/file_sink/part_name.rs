//! [`PartName`]: the names of a [`FileSink`](super::FileSink)'s part files in their
//! three states, and the per-run id that keeps them from colliding across restarts.
//!
//! ```text
//!   in progress   .part-<run>-<subtask>-<counter><suffix>.inprogress   (hidden, being written)
//!   pending       .part-<run>-<subtask>-<counter><suffix>.pending      (hidden, closed and durable)
//!   finished       part-<run>-<subtask>-<counter><suffix>              (visible, committed)
//! ```
//!
//! `<run>` is new for every writer (time, process id and random bits), so a restarted job
//! never reuses a name an earlier run left behind, committed or not.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// What ends the name of a part file being written.
const IN_PROGRESS: &str = ".inprogress";
/// What ends the name of a closed part file waiting for its commit.
const PENDING: &str = ".pending";

/// The state a hidden part file is in, read from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HiddenState {
    /// Still being written (or abandoned mid-write by a crash).
    InProgress,
    /// Closed and durable, not yet committed.
    Pending,
}

/// One part file's name, in all its states.
///
/// ```
/// use weir_connectors::sink::PartName;
/// let name = PartName::new("part", "r1", 3, 0, ".csv");
/// assert_eq!(name.finished(), "part-r1-3-0.csv");
/// assert_eq!(name.in_progress(), ".part-r1-3-0.csv.inprogress");
/// assert_eq!(name.pending(), ".part-r1-3-0.csv.pending");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartName {
    finished: String,
}

impl PartName {
    /// The name of part `counter` of `subtask` in run `run`.
    pub fn new(prefix: &str, run: &str, subtask: usize, counter: u64, suffix: &str) -> Self {
        PartName { finished: format!("{prefix}-{run}-{subtask}-{counter}{suffix}") }
    }

    /// The visible name, once committed.
    pub fn finished(&self) -> &str {
        &self.finished
    }

    /// The hidden name while being written.
    pub fn in_progress(&self) -> String {
        format!(".{}{IN_PROGRESS}", self.finished)
    }

    /// The hidden name once closed, until committed.
    pub fn pending(&self) -> String {
        format!(".{}{PENDING}", self.finished)
    }
}

/// Whether `finished` is the visible name of a part file with `prefix` and `suffix`:
/// `<prefix>-<run>-<subtask>-<counter><suffix>`, subtask and counter decimal.
pub(crate) fn is_finished_name(finished: &str, prefix: &str, suffix: &str) -> bool {
    let Some(rest) = finished.strip_prefix(prefix).and_then(|r| r.strip_prefix('-')) else { return false };
    let Some(middle) = rest.strip_suffix(suffix) else { return false };
    let mut fields = middle.rsplitn(3, '-');
    let decimal = |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    let counter = fields.next();
    let subtask = fields.next();
    let run = fields.next();
    decimal(counter) && decimal(subtask) && run.is_some_and(|r| !r.is_empty())
}

/// The state of the hidden part file `name` of a sink with `prefix` and `suffix`, or
/// `None` when `name` is anything else (a finished part, another sink's file, …).
pub(crate) fn hidden_state(name: &str, prefix: &str, suffix: &str) -> Option<HiddenState> {
    let hidden = name.strip_prefix('.')?;
    let (finished, state) = match hidden.strip_suffix(IN_PROGRESS) {
        Some(f) => (f, HiddenState::InProgress),
        None => (hidden.strip_suffix(PENDING)?, HiddenState::Pending),
    };
    is_finished_name(finished, prefix, suffix).then_some(state)
}

/// A fresh run id: milliseconds since the epoch, process id and 48 random bits, in hex.
/// Two writers never share one: the random bits hash a process-wide counter with a
/// randomly keyed hasher.
pub(crate) fn new_run_id() -> String {
    static WRITERS: AtomicU64 = AtomicU64::new(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let seed = (now.as_nanos(), WRITERS.fetch_add(1, Ordering::Relaxed));
    let random = RandomState::new().hash_one(seed) & 0xffff_ffff_ffff;
    let millis = now.as_millis() as u64 & 0xffff_ffff_ffff;
    format!("{millis:012x}{:08x}{random:012x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_names_are_recognised_only_for_their_sink() {
        let cases: &[(&str, Option<HiddenState>)] = &[
            (".part-ab12-0-0.csv.inprogress", Some(HiddenState::InProgress)),
            (".part-ab12-10-7.csv.pending", Some(HiddenState::Pending)),
            (".part-a-b-c-1-2.csv.pending", Some(HiddenState::Pending)),
            ("part-ab12-0-0.csv", None),
            (".part-ab12-0-0.csv", None),
            (".part-ab12-0-0.jsonl.pending", None),
            (".other-ab12-0-0.csv.pending", None),
            (".part-ab12-x-0.csv.pending", None),
            (".part-ab12-0-.csv.pending", None),
            (".part-0-0.csv.pending", None),
            (".part--0-0.csv.pending", None),
            (".partx-ab12-0-0.csv.pending", None),
            ("notes.txt", None),
        ];
        for &(name, want) in cases {
            assert_eq!(hidden_state(name, "part", ".csv"), want, "{name}");
        }
    }

    #[test]
    fn names_round_trip() {
        let name = PartName::new("out", "r9", 12, 34, "");
        assert_eq!(name.finished(), "out-r9-12-34");
        assert!(is_finished_name(name.finished(), "out", ""));
        assert_eq!(hidden_state(&name.in_progress(), "out", ""), Some(HiddenState::InProgress));
        assert_eq!(hidden_state(&name.pending(), "out", ""), Some(HiddenState::Pending));
    }

    #[test]
    fn run_ids_differ_and_are_plain() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_run_id()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(ids.iter().all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}
