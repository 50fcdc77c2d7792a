//! The two runtime operators behind windows, chosen when the job is built:
//! [`window_operator::WindowOperator`] for every window (Flink's `WindowOperator` and
//! `EvictingWindowOperator`), [`slicing_operator`] for tumbling
//! and sliding windows with the default trigger, no evictor and an incremental
//! function.
//!
//! Each keeps its windows and timers where the job's keyed state lives
//! (`state.backend.type`): on the heap, or in the embedded backend for state larger than
//! memory — the general operator as [`embedded_window_operator::EmbeddedWindowOperator`],
//! the slicing operator over an embedded slice store. A subtask builds one variant
//! ([`by_backend::ByBackend`]); `WindowCore` is what both variants of the
//! general operator share, `stored_windows` how either's checkpoint restores into the
//! other.

pub mod by_backend;
pub mod embedded_window_operator;
pub(crate) mod slice_store;
pub mod slicing_operator;
pub(crate) mod stored_windows;
pub(crate) mod timer_store;
pub(crate) mod window_core;
pub mod window_operator;

use weir_core::StreamRecord;
use weir_runtime::{BoxError, SideOutputs};

use super::LateRecordsDropped;

/// The settings both operators share.
#[derive(Clone)]
pub(crate) struct WindowSettings {
    /// Allowed lateness of event-time windows (ms).
    pub allowed_lateness: i64,
    /// The late-data side output's tag, if set.
    pub late_tag: Option<String>,
    /// Counts late records dropped (when there is no late side output).
    pub dropped: LateRecordsDropped,
}

impl WindowSettings {
    /// A record too late for every window: to the late side output, or dropped and
    /// counted.
    pub(crate) fn late<T: 'static>(&self, value: T, timestamp: i64, sides: &mut SideOutputs) {
        match &self.late_tag {
            Some(tag) => {
                if let Some(buffer) = sides.get::<T>(tag) {
                    buffer.push(StreamRecord { value, timestamp });
                }
            }
            None => self.dropped.add(1),
        }
    }
}

/// The operator's outputs during one call, borrowed from its emitter.
pub(crate) struct Out<'o, O> {
    pub records: &'o mut Vec<StreamRecord<O>>,
    pub sides: &'o mut SideOutputs,
}

/// The error for an event-time window operator given a record without a timestamp
/// (Flink's message, with Weir's method names).
pub(crate) fn missing_timestamp() -> BoxError {
    "record has no timestamp (= no timestamp marker); event-time windows need timestamps: did you forget \
     assign_timestamps_and_watermarks(...), or mean a processing-time assigner?"
        .into()
}
