//! Errors of state access.

/// Why a state operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The same state name was declared twice with different kinds or types.
    #[error("state '{name}' is already declared as {existing}, cannot declare it as {requested}")]
    IncompatibleDeclaration {
        /// The state's name.
        name: String,
        /// How it was declared first.
        existing: String,
        /// How it was declared again.
        requested: String,
    },
    /// State could not be serialized for a snapshot.
    #[error("cannot snapshot state: {0}")]
    Snapshot(String),
    /// A snapshot cannot be restored into the declared state.
    #[error("cannot restore state: {0}")]
    Restore(String),
    /// A key was accessed by a subtask that does not own its key group (a Weir bug).
    #[error("key group {key_group} is not in this subtask's range {start}..={end}")]
    KeyGroupOutOfRange {
        /// The key group accessed.
        key_group: usize,
        /// First owned key group.
        start: usize,
        /// Last owned key group.
        end: usize,
    },
    /// A state with TTL was accessed through a context that gives no processing time
    /// ([`crate::KeyedStateContext::current_processing_time_ms`] returned `None`) — a Weir bug.
    #[error("a state with TTL was accessed through a context that gives no processing time")]
    NoProcessingTime,
    /// The persistent backend's store failed (I/O, corruption); a retry after a restart
    /// from the last checkpoint may help.
    #[error("state store failed: {0}")]
    Store(String),
}
