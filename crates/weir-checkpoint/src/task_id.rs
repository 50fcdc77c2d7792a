//! Which task acknowledges a checkpoint: one parallel instance (subtask) of one vertex.
//!
//! Lives here until the runtime needs the same id; then it moves to `weir-core`.

use std::fmt;

use serde::{Deserialize, Serialize};
use weir_core::{SubtaskIndex, VertexId};

/// One task of a running job: subtask `subtask` of vertex `vertex`.
///
/// ```
/// use weir_checkpoint::TaskId;
/// let t = TaskId::new(2, 0);
/// assert_eq!(t.to_string(), "v2#0");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "TaskIdRepr", into = "TaskIdRepr")]
pub struct TaskId {
    /// The vertex (operator chain) the task runs.
    pub vertex: VertexId,
    /// Which parallel instance of it.
    pub subtask: SubtaskIndex,
}

impl TaskId {
    /// Subtask `subtask` of vertex `vertex`.
    pub const fn new(vertex: u32, subtask: u32) -> Self {
        TaskId { vertex: VertexId(vertex), subtask: SubtaskIndex(subtask) }
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.vertex, self.subtask)
    }
}

/// The stable on-disk form (the core ids carry no serde derive).
#[derive(Serialize, Deserialize)]
struct TaskIdRepr {
    vertex: u32,
    subtask: u32,
}

impl From<TaskIdRepr> for TaskId {
    fn from(r: TaskIdRepr) -> Self {
        TaskId::new(r.vertex, r.subtask)
    }
}

impl From<TaskId> for TaskIdRepr {
    fn from(t: TaskId) -> Self {
        TaskIdRepr { vertex: t.vertex.0, subtask: t.subtask.0 }
    }
}
