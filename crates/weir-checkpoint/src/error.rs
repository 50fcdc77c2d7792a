//! The one error type of this crate.

use std::path::PathBuf;

use weir_core::ErrorKind;

use crate::{CheckpointId, TaskId};

/// Everything that can go wrong in checkpointing. Protocol misuse (an event the state
/// machines cannot receive from a correct runtime) is [`ErrorKind::Internal`]; storage
/// failures are [`ErrorKind::External`]; a bad configuration or a missing checkpoint is
/// [`ErrorKind::User`].
///
/// ```
/// use weir_checkpoint::CheckpointError;
/// use weir_core::ErrorKind;
/// let e = CheckpointError::InvalidConfig("interval must be positive".into());
/// assert_eq!(e.kind(), ErrorKind::User);
/// ```
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The checkpoint configuration is inconsistent.
    #[error("invalid checkpoint configuration: {0}")]
    InvalidConfig(String),
    /// An event named a channel the aligner does not have.
    #[error("input channel {channel} out of range (the task has {channels})")]
    ChannelOutOfRange {
        /// The channel named.
        channel: usize,
        /// How many the aligner has.
        channels: usize,
    },
    /// An element arrived on a channel that had already ended.
    #[error("input channel {channel} delivered an element after its end of input")]
    ChannelEnded {
        /// The channel.
        channel: usize,
    },
    /// An element arrived on a channel the aligner had blocked.
    #[error("input channel {channel} delivered an element while blocked for alignment")]
    ChannelBlocked {
        /// The channel.
        channel: usize,
    },
    /// A channel delivered the same barrier twice.
    #[error("input channel {channel} delivered the barrier of {checkpoint} twice")]
    DuplicateBarrier {
        /// The channel.
        channel: usize,
        /// The checkpoint.
        checkpoint: CheckpointId,
    },
    /// An acknowledgement or decline came from a task that is not part of the job.
    #[error("task {0} is not part of this job")]
    UnknownTask(TaskId),
    /// Reading or writing checkpoint storage failed.
    #[error("checkpoint storage I/O failed ({context}): {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A manifest exists but cannot be parsed: the storage was damaged outside Weir.
    #[error("manifest of {checkpoint} is corrupt: {detail}")]
    CorruptManifest {
        /// The checkpoint.
        checkpoint: CheckpointId,
        /// What is wrong with it.
        detail: String,
    },
    /// A manifest was written by a newer Weir.
    #[error("manifest of {checkpoint} has format version {version}, this Weir reads up to {supported}")]
    UnsupportedFormat {
        /// The checkpoint.
        checkpoint: CheckpointId,
        /// The version found.
        version: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A task's state file does not have the size its manifest records.
    #[error("state file {path} is damaged: {actual} bytes, the manifest says {expected}")]
    CorruptState {
        /// The file.
        path: PathBuf,
        /// The size the manifest records.
        expected: u64,
        /// The size found.
        actual: u64,
    },
    /// A read of a state file's range that reaches beyond its size: what points there is
    /// damaged.
    #[error("state file {path} has {size} bytes, bytes {offset}..{end} were asked for: the state that points there is damaged")]
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// Where the range starts.
        offset: u64,
        /// Where it ends (exclusive).
        end: u64,
    },
    /// No completed checkpoint with this id exists.
    #[error("no completed checkpoint {0}")]
    NotFound(CheckpointId),
    /// A state file path (from a task state or a manifest) is not one storage writes:
    /// `shared/NAME` or `chk-<id>/NAME`.
    #[error("state file path {path:?} is not shared/NAME or chk-<id>/NAME")]
    BadStatePath {
        /// The path found.
        path: String,
    },
}

impl CheckpointError {
    /// Whose fault the error is, and so whether a retry may help.
    pub fn kind(&self) -> ErrorKind {
        match self {
            CheckpointError::InvalidConfig(_)
            | CheckpointError::UnsupportedFormat { .. }
            | CheckpointError::NotFound(_) => ErrorKind::User,
            CheckpointError::ChannelOutOfRange { .. }
            | CheckpointError::ChannelEnded { .. }
            | CheckpointError::ChannelBlocked { .. }
            | CheckpointError::DuplicateBarrier { .. }
            | CheckpointError::UnknownTask(_) => ErrorKind::Internal,
            CheckpointError::Io { .. }
            | CheckpointError::CorruptManifest { .. }
            | CheckpointError::CorruptState { .. }
            | CheckpointError::OutOfRange { .. }
            | CheckpointError::BadStatePath { .. } => ErrorKind::External,
        }
    }
}
