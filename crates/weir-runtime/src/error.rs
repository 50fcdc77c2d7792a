//! The runtime's error type and the boxed error user code returns.

use std::fmt;

use weir_core::ErrorKind;

/// The error type user functions, sources and sinks return: anything that is an error.
/// `?` converts any `std::error::Error + Send + Sync` into it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where in a job an error happened: the operator's name and the subtask, as a Flink user
/// reads them in the Web UI (`Map -> Filter (2/4)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The operator's name (its `uid` in brackets when it has one).
    pub operator: String,
    /// Subtask index, 0-based.
    pub subtask: usize,
    /// The operator's parallelism.
    pub parallelism: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}/{})", self.operator, self.subtask + 1, self.parallelism)
    }
}

/// Why a job (or one of its tasks) failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job graph is invalid (bad parallelism, a forward edge between different
    /// parallelisms, …). Raised before any task starts.
    #[error("invalid job graph: {0}")]
    InvalidGraph(String),
    /// A user function, source or sink returned an error.
    #[error("operator {location} failed: {source}")]
    Operator {
        /// Where.
        location: Location,
        /// What the user code said.
        #[source]
        source: BoxError,
    },
    /// A user function, source or sink panicked.
    #[error("operator {location} panicked: {message}")]
    Panic {
        /// Where.
        location: Location,
        /// The panic payload, when it was a string.
        message: String,
    },
    /// The job was cancelled (by the user, or because another task failed).
    #[error("job cancelled")]
    Cancelled,
    /// Checkpointing failed (too many failed checkpoints, storage unusable).
    #[error("checkpointing failed: {0}")]
    Checkpoint(String),
    /// The checkpoint or savepoint to resume from cannot be used.
    #[error("cannot restore: {0}")]
    Restore(String),
    /// A two-phase-commit sink could not commit.
    #[error("commit failed: {0}")]
    Commit(String),
    /// A bug in Weir's runtime.
    #[error("internal error: {0}")]
    Internal(String),
}

impl JobError {
    /// Whose fault the error is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            JobError::InvalidGraph(_) | JobError::Operator { .. } | JobError::Panic { .. } => ErrorKind::User,
            JobError::Cancelled => ErrorKind::User,
            JobError::Internal(_) => ErrorKind::Internal,
            JobError::Checkpoint(_) | JobError::Commit(_) => ErrorKind::External,
            JobError::Restore(_) => ErrorKind::User,
        }
    }
}

/// Turns a caught panic payload into text.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_string()
    }
}
