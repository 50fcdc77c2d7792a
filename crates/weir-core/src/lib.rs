//! # weir-core — the words every other Weir crate speaks
//!
//! The lowest crate of the workspace. It holds the small types that cross crate
//! boundaries and nothing that does work on its own:
//!
//! | file | what it defines |
//! |---|---|
//! | [`barrier`] | [`CheckpointBarrier`], [`CheckpointId`]: the in-band cut of a checkpoint |
//! | [`record`] | [`StreamRecord`]: a value and its event-time timestamp |
//! | [`either`] | [`Either`]: the record of a two-input operator |
//! | [`element`] | [`StreamElement`]: what flows between tasks — record batches, watermarks, barriers, end of input |
//! | [`watermark`] | [`Watermark`]: event-time progress |
//! | [`ids`] | newtype ids: [`VertexId`], [`SubtaskIndex`], [`JobId`] |
//! | [`key_group`] | key → key group → subtask, as Flink assigns them ([`KeyGroupRange`]) |
//! | [`error`] | [`ErrorKind`]: whose fault an error is and whether a retry may help |
//!
//! ```text
//!  weir-cli ─▶ weir (api) ─▶ weir-connectors ─▶ weir-runtime ─▶ weir-state ─▶ weir-core
//! ```
//!
//! Everything here is plain data: `Send`, cheap to move, no I/O.

pub mod barrier;
pub mod either;
pub mod element;
pub mod error;
pub mod ids;
pub mod key_group;
pub mod record;
pub mod watermark;

pub use barrier::{CheckpointBarrier, CheckpointId, CheckpointKind, CheckpointMode};
pub use either::Either;
pub use element::StreamElement;
pub use error::ErrorKind;
pub use ids::{JobId, SubtaskIndex, VertexId};
pub use key_group::{KeyGroupRange, StableHasher};
pub use record::StreamRecord;
pub use watermark::{Watermark, WatermarkStatus};
