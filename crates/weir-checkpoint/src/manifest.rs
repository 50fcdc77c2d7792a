//! The manifest: the one small file that turns a directory of task state files into a
//! completed checkpoint. Written last and atomically; its presence is the commit.

use serde::{Deserialize, Serialize};

use crate::{CheckpointBarrier, CheckpointError, CheckpointId, CheckpointKind, CheckpointMode, TaskId};

/// The manifest format this build writes, and the newest it reads.
pub const MANIFEST_FORMAT_VERSION: u32 = 1;

/// Where a task's snapshot lies within its checkpoint, and how big it is; returned by
/// storage when the task writes its state and carried in the task's acknowledgement.
///
/// ```
/// use weir_checkpoint::StateHandle;
/// let h = StateHandle::new("v1-0.state", 42);
/// assert_eq!(h.size, 42);
/// assert!(h.shared.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateHandle {
    /// A file name relative to the checkpoint's location (no directories).
    pub file: String,
    /// Its length in bytes, checked when it is read back.
    pub size: u64,
    /// The files in the shared area (`shared/NAME`) the state refers to: an incremental
    /// checkpoint's key-group chunks, some written by earlier checkpoints. A shared file
    /// is deleted only once no retained checkpoint's manifest lists it. Absent in
    /// manifests without any (every manifest before incremental checkpoints).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared: Vec<String>,
}

impl StateHandle {
    /// A state file of `size` bytes that refers to no shared file.
    pub fn new(file: impl Into<String>, size: u64) -> Self {
        StateHandle { file: file.into(), size, shared: Vec::new() }
    }
}

/// One task's entry in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSnapshot {
    /// The task that acknowledged.
    pub task: TaskId,
    /// Its snapshot.
    pub state: StateHandle,
}

/// What a completed checkpoint consists of (Flink's `_metadata`).
///
/// ```
/// use weir_checkpoint::{CheckpointBarrier, CheckpointId, CheckpointMode, Manifest};
/// let b = CheckpointBarrier::new(CheckpointId(5), 1_000, CheckpointMode::AlignedExactlyOnce);
/// let m = Manifest::new(&b, vec![]);
/// let back = Manifest::from_json(CheckpointId(5), &m.to_json())?;
/// assert_eq!(back, m);
/// # Ok::<(), weir_checkpoint::CheckpointError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    /// Checkpoint or savepoint.
    pub kind: CheckpointKind,
    /// The alignment mode it was taken in.
    pub mode: CheckpointMode,
    /// When it was triggered, epoch milliseconds.
    pub timestamp_ms: u64,
    /// Every task's snapshot, ordered by task.
    pub tasks: Vec<TaskSnapshot>,
}

impl Manifest {
    /// The manifest of the checkpoint `barrier` started, with the tasks' snapshots.
    pub fn new(barrier: &CheckpointBarrier, mut tasks: Vec<TaskSnapshot>) -> Self {
        tasks.sort_by_key(|t| t.task);
        Manifest {
            format_version: MANIFEST_FORMAT_VERSION,
            checkpoint: barrier.id,
            kind: barrier.kind,
            mode: barrier.mode,
            timestamp_ms: barrier.timestamp_ms,
            tasks,
        }
    }

    /// The manifest as pretty JSON (small, and read by people debugging a restore).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a manifest has only string keys and plain values")
    }

    /// Parses the manifest stored for `checkpoint`.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::UnsupportedFormat`] if a newer Weir wrote it;
    /// [`CheckpointError::CorruptManifest`] if it does not parse or names another checkpoint.
    pub fn from_json(checkpoint: CheckpointId, bytes: &[u8]) -> Result<Self, CheckpointError> {
        let corrupt = |detail: String| CheckpointError::CorruptManifest { checkpoint, detail };
        // Read the version alone first, so a newer format is reported as such and not as damage.
        #[derive(Deserialize)]
        struct Version {
            format_version: u32,
        }
        let version: Version = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        if version.format_version > MANIFEST_FORMAT_VERSION {
            return Err(CheckpointError::UnsupportedFormat {
                checkpoint,
                version: version.format_version,
                supported: MANIFEST_FORMAT_VERSION,
            });
        }
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
        if manifest.checkpoint != checkpoint {
            return Err(corrupt(format!("it names {}", manifest.checkpoint)));
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        let b = CheckpointBarrier::savepoint(CheckpointId(3), 7);
        let snap = |v, s| TaskSnapshot { task: TaskId::new(v, s), state: StateHandle::new(format!("f{v}{s}"), 1) };
        let good = Manifest::new(&b, vec![snap(2, 0), snap(1, 1)]);
        assert_eq!(good.tasks[0].task, TaskId::new(1, 1), "tasks are sorted");
        let json = String::from_utf8(good.to_json()).expect("JSON is UTF-8");
        let cases: Vec<(&str, CheckpointId, String, Result<(), &str>)> = vec![
            ("round trip", CheckpointId(3), json.clone(), Ok(())),
            ("truncated", CheckpointId(3), json[..json.len() / 2].to_string(), Err("corrupt")),
            ("empty", CheckpointId(3), String::new(), Err("corrupt")),
            ("another checkpoint's", CheckpointId(4), json.clone(), Err("names chk-3")),
            (
                "newer format",
                CheckpointId(3),
                json.replace("\"format_version\": 1", "\"format_version\": 2"),
                Err("version 2"),
            ),
        ];
        for (name, id, text, want) in cases {
            match (Manifest::from_json(id, text.as_bytes()), want) {
                (Ok(m), Ok(())) => assert_eq!(m, good, "{name}"),
                (Err(e), Err(w)) => assert!(e.to_string().contains(w), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }
}
