//! Why a checkpoint was given up, in a task or in the coordinator.

use std::fmt;

use crate::{CheckpointId, TaskId};

/// Why a checkpoint was aborted. Tasks send it with a decline; the coordinator passes
/// it on in `NotifyAborted` and decides from it whether the abort counts as a failure.
///
/// ```
/// use weir_checkpoint::{AbortReason, CheckpointId};
/// assert!(!AbortReason::Subsumed { by: CheckpointId(4) }.counts_as_failure());
/// assert!(AbortReason::Expired.counts_as_failure());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AbortReason {
    /// A newer checkpoint overtook this one before it finished; nothing went wrong.
    Subsumed {
        /// The newer checkpoint.
        by: CheckpointId,
    },
    /// An upstream task gave the checkpoint up and cancelled it downstream.
    Cancelled,
    /// The task could not take or upload its snapshot.
    SnapshotFailed(String),
    /// A task declined the checkpoint (coordinator side).
    Declined {
        /// The task that declined.
        task: TaskId,
        /// The task's reason.
        reason: Box<AbortReason>,
    },
    /// Not every task acknowledged within the timeout.
    Expired,
    /// The manifest could not be written.
    StorageFailed(String),
    /// A task failed, or the job is failing over; the job restarts from the latest
    /// completed checkpoint.
    JobFailover,
}

impl AbortReason {
    /// Whether this abort counts toward the tolerable consecutive failures. Overtaken
    /// checkpoints and failovers do not: the first is progress, the second already is
    /// the failure being handled.
    pub fn counts_as_failure(&self) -> bool {
        match self {
            AbortReason::Subsumed { .. } | AbortReason::JobFailover => false,
            AbortReason::Declined { reason, .. } => reason.counts_as_failure(),
            AbortReason::Cancelled
            | AbortReason::SnapshotFailed(_)
            | AbortReason::Expired
            | AbortReason::StorageFailed(_) => true,
        }
    }
}

impl fmt::Display for AbortReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbortReason::Subsumed { by } => write!(f, "subsumed by {by}"),
            AbortReason::Cancelled => write!(f, "cancelled upstream"),
            AbortReason::SnapshotFailed(e) => write!(f, "snapshot failed: {e}"),
            AbortReason::Declined { task, reason } => write!(f, "declined by task {task}: {reason}"),
            AbortReason::Expired => write!(f, "expired before every task acknowledged"),
            AbortReason::StorageFailed(e) => write!(f, "manifest write failed: {e}"),
            AbortReason::JobFailover => write!(f, "job failover"),
        }
    }
}
