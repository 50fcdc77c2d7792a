//! # weir-checkpoint — consistent snapshots of a running job
//!
//! Flink's asynchronous barrier snapshots, as three pure state machines and a storage
//! trait. The state machines take events (with the current time as a parameter) and
//! return decisions; they do no I/O, read no clock and start no thread, so the runtime
//! performs the decisions and every step is unit-tested exhaustively.
//!
//! | file | what it defines |
//! |---|---|
//! | (`weir-core`) | [`CheckpointId`], [`CheckpointBarrier`] (kind, [`CheckpointMode`]), re-exported |
//! | [`task_id`] | [`TaskId`]: the vertex and subtask that acknowledge |
//! | [`aligner`] | [`BarrierAligner`]: a task's inputs — block, snapshot, persist in-flight data, abort |
//! | [`config`] | [`CheckpointConfig`]: interval, timeout, pause, concurrency, tolerance, retention, mode |
//! | [`coordinator`] | [`CheckpointCoordinator`]: trigger, collect acks, commit, notify, retain, fail |
//! | [`manifest`] | [`Manifest`]: the file whose atomic write completes a checkpoint |
//! | [`storage`] | [`CheckpointStorage`]: the boundary trait to where checkpoints live |
//! | [`shared_files`] | state files beside the task states: `chk-<id>/…` and `shared/…`, and which may be deleted |
//! | [`local_dir_storage`] | [`LocalDirStorage`]: `DIR/chk-<id>/` with task files and `_metadata` |
//! | [`object_store_storage`] | [`ObjectStoreStorage`]: the same layout on any object store (S3, GCS, Azure, local, memory) |
//! | [`abort_reason`] | [`AbortReason`]: why a checkpoint was given up, and whether it counts |
//! | [`error`] | [`CheckpointError`]: this crate's one error type |
//!
//! One checkpoint, end to end (the runtime performs the arrows):
//!
//! ```text
//!  CheckpointCoordinator ──InjectBarrier──▶ sources ──barrier──▶ task: BarrierAligner
//!        ▲    │                                                    │ TriggerSnapshot
//!        │    │ WriteManifest ──▶ CheckpointStorage ◀── state blob ┘ (then ack)
//!        │    ▼                         │
//!        └── on_ack ◀── tasks    on_storage_written ──▶ NotifyComplete ──▶ sinks commit
//! ```
//!
//! Depends on `weir-core` only (ids, the barrier, [`weir_core::ErrorKind`]); `weir-runtime`
//! drives it.

#![warn(missing_docs)]

pub mod abort_reason;
pub mod aligner;
pub mod config;
pub mod coordinator;
pub mod error;
pub mod local_dir_storage;
pub mod manifest;
pub mod object_store_storage;
pub mod shared_files;
pub mod storage;
pub mod task_id;

pub use abort_reason::AbortReason;
pub use aligner::{AlignerDecision, BarrierAligner};
pub use config::CheckpointConfig;
pub use coordinator::{CheckpointCoordinator, CoordinatorDecision};
pub use error::CheckpointError;
pub use local_dir_storage::LocalDirStorage;
pub use manifest::{Manifest, StateHandle, TaskSnapshot, MANIFEST_FORMAT_VERSION};
pub use object_store_storage::ObjectStoreStorage;
pub use storage::{CheckpointStorage, StoredCheckpoint, WriteFn};
pub use task_id::TaskId;
pub use weir_core::{CheckpointBarrier, CheckpointId, CheckpointKind, CheckpointMode};
