//! Error classification shared by every crate's error type.

/// Whose fault an error is — what a user or an operator of Weir must do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The user's job, configuration, query or data is wrong; retrying will not help.
    User,
    /// An external system (file system, broker, database) failed; a retry may help.
    External,
    /// A bug in Weir.
    Internal,
}

impl ErrorKind {
    /// Whether retrying the same work may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorKind::External)
    }
}
