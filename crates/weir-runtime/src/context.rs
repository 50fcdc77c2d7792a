//! What an operator, source or sink instance knows about where it runs.

use weir_core::KeyGroupRange;

/// One parallel instance of a vertex: its name, index and parallelism (Flink's
/// `RuntimeContext` task info).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtaskInfo {
    /// The vertex's name, as shown in errors and thread names.
    pub name: String,
    /// 0-based index of this subtask.
    pub index: usize,
    /// Number of parallel subtasks of the vertex.
    pub parallelism: usize,
    /// Number of key groups (the vertex's maximum parallelism).
    pub max_parallelism: usize,
}

impl SubtaskInfo {
    /// The key groups this subtask owns when its input is keyed.
    pub fn key_group_range(&self) -> KeyGroupRange {
        KeyGroupRange::for_operator(self.max_parallelism, self.parallelism, self.index)
    }

    /// A stand-alone subtask description (for tests and single-instance use).
    pub fn single(name: impl Into<String>) -> Self {
        SubtaskInfo {
            name: name.into(),
            index: 0,
            parallelism: 1,
            max_parallelism: weir_core::key_group::DEFAULT_MAX_PARALLELISM,
        }
    }
}
