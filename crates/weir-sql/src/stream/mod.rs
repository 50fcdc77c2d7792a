//! Streaming operators over Arrow batches, and the translation of a logical plan into a
//! job of them.

pub mod aggregate;
pub mod batch;
pub mod calc;
pub mod common_subexpr;
pub mod deduplicate;
pub mod exchange;
pub mod group_agg;
pub mod interval_join;
pub mod join;
pub mod keyed_state;
pub mod lookup_join;
pub mod match_recognize;
pub mod native_agg;
#[cfg(test)]
pub(crate) mod operator_harness;
pub mod over_agg;
pub mod over_retract;
pub mod rank;
pub mod record_codec;
pub mod regular_join;
pub mod session_window;
pub mod session_window_agg;
pub mod sorted_rows;
pub mod temporal_join;
pub mod temporal_sort;
pub mod top_one;
pub mod translate;
pub mod unnest;
pub mod watermark;
pub mod window_agg;
pub mod window_assign;
pub mod window_join;
pub mod window_rank;

pub use batch::Changes;

/// The operators' maps keyed by encoded key bytes: foldhash instead of SipHash, which was
/// a tenth of a windowed aggregation's time (keys are short and hashed once per row).
pub type KeyMap<V> = std::collections::HashMap<Box<[u8]>, V, foldhash::fast::RandomState>;
