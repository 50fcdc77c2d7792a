//! # weir-state — keyed state, stored by key group
//!
//! What a keyed operator remembers per key: Flink's `ValueState`, `ListState`,
//! `MapState`, `ReducingState` and `AggregatingState` (value-like ones optionally with
//! time-to-live, [`ttl`]), declared by name through descriptors and read or written for the
//! **current key** of the record being processed.
//!
//! ```text
//!  user code ── ValueState<T> handle ──▶ KeyedStateContext (current key, key group)
//!                                              │
//!                                              ▼
//!                           HeapKeyedStateBackend<K>: one StateTable per declared state,
//!                           each a hash map per key group of the subtask's range
//! ```
//!
//! State is stored **by key group** so that a snapshot (and, later, rescaling) can take
//! or move whole key groups without scanning keys. Handles are small `Copy` ids; every
//! access goes through a context that names the current key explicitly — there is no
//! hidden "current key" inside the backend.
//!
//! Two backends sit behind one trait, [`KeyedStateBackend`]: the heap backend (the
//! default) and [`LsmKeyedStateBackend`], an embedded LSM tree (fjall) on local disk for
//! state larger than memory, with key-group-incremental snapshots
//! ([`IncrementalSnapshot`]) and cuts a checkpoint writes key group by key group
//! ([`KeyGroupCut`]); its timers can live there too ([`LsmTimerService`]). A keyed operator owns a [`StateBackend`] — either one,
//! chosen by [`StateBackendConfig`] (`state.backend.type` = `hashmap` | `embedded`) —
//! and the typed handles work over both. Both take a snapshot as a cheap cut on the
//! task thread, serialized later on any thread ([`StateBackend::snapshot_async`]), and
//! write the same [`KeyedStateSnapshot`] format, so state moves between them. A restore
//! reads a snapshot one key group at a time ([`KeyGroupSource`]), so the embedded
//! backend restores state larger than memory.
//!
//! Values must be `serde`-serializable ([`StateValue`]) even though the heap backend
//! never serializes them: the LSM backend and checkpoints do. For the same reason every access returns
//! `Result`.

pub mod aggregating;
pub mod backend;
mod cell;
pub mod error;
pub mod handle;
pub mod incremental_snapshot;
pub mod key_group_cut;
pub mod key_group_source;
pub mod keyed_state_backend;
pub mod lsm_backend;
pub mod lsm_timer_service;
pub mod reducing;
pub mod snapshot;
pub mod state_backend;
pub mod state_backend_config;
pub mod table;
pub mod timer;
pub mod ttl;

pub use aggregating::{AggregateFunction, AggregatingState, AggregatingStateDescriptor};
pub use backend::{HeapKeyedStateBackend, StateId, StateKind};
pub use error::StateError;
pub use handle::{
    KeyedStateContext, ListState, ListStateDescriptor, MapState, MapStateDescriptor, ValueState, ValueStateDescriptor,
};
pub use incremental_snapshot::IncrementalSnapshot;
pub use key_group_cut::KeyGroupCut;
pub use key_group_source::{
    KeyGroupSource, RestoredKeyGroup, SkipRead, SnapshotHeader, SnapshotReader, StoredKeyGroup,
};
pub use keyed_state_backend::KeyedStateBackend;
pub use lsm_backend::{LsmKeyedStateBackend, LsmMetrics, MemoryBudget};
pub use lsm_timer_service::{LsmTimerQueue, LsmTimerService};
pub use reducing::{ReducingState, ReducingStateDescriptor};
pub use snapshot::{KeyGroupSnapshot, KeyedStateSnapshot, StateMeta, SNAPSHOT_FORMAT_VERSION};
pub use state_backend::{AsBackendRef, BackendRef, PendingSnapshot, StateBackend};
pub use state_backend_config::{StateBackendConfig, StateBackendKind};
pub use table::{StateTable, TableCut};
pub use timer::{Timer, TimerQueue, TimerService, TimerSnapshot};
pub use ttl::{StateTtlConfig, StateVisibility, TtlValue, UpdateType};

use std::hash::Hash;

/// What a key of keyed state must be: hashable (for key groups and maps), comparable,
/// cloneable, sendable and serializable (for snapshots).
pub trait Key: Hash + Eq + Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static {}
impl<T> Key for T where T: Hash + Eq + Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static {}

/// What a state value must be: cloneable, shareable between threads (snapshots are
/// serialized off the task thread) and serializable.
pub trait StateValue: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static {}
impl<T> StateValue for T where T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static {}
