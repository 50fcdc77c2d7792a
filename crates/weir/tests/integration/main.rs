//! Every integration test of this crate in one binary: one link of the large dependency
//! graph instead of one per file, which keeps a clean test build small on disk and fast.
//! Shared helpers first, then one module per area.

mod event_time_script;
mod harness;
mod windows_harness;

mod backpressure;
mod chaining;
mod checkpoint_async_snapshot;
mod checkpoint_incremental;
mod checkpoint_recovery;
mod event_time;
mod failures;
mod interval_join;
mod keyed_connect;
mod keyed_state;
mod parallelism;
mod partitioners;
mod restore_by_key_group;
mod side_outputs_broadcast;
mod sources_sinks;
mod termination;
mod timers;
mod timestamps;
mod transformations;
mod unaligned_checkpoints;
mod windows_event_time;
mod windows_functions;
mod windows_join;
mod windows_on_embedded_state;
mod windows_processing_time;
mod windows_slicing;
mod windows_triggers_evictors;
