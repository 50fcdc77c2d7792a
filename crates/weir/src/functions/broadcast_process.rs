//! [`BroadcastProcessFunction`]: a stream processed against broadcast state — rules or
//! configuration sent to every parallel instance.

use std::collections::HashMap;
use std::hash::Hash;

use weir_runtime::{BoxError, SubtaskInfo};

use crate::functions::Collector;

/// Read-only view of the broadcast state, given while processing the non-broadcast input.
pub struct ReadOnlyBroadcastContext<'a, K, V> {
    pub(crate) state: &'a HashMap<K, V>,
    pub(crate) timestamp: Option<i64>,
}

impl<K: Hash + Eq, V> ReadOnlyBroadcastContext<'_, K, V> {
    /// The broadcast state.
    pub fn broadcast_state(&self) -> &HashMap<K, V> {
        self.state
    }

    /// The record's timestamp.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }
}

/// Writable broadcast state, given while processing the broadcast input.
pub struct BroadcastContext<'a, K, V> {
    pub(crate) state: &'a mut HashMap<K, V>,
    pub(crate) timestamp: Option<i64>,
}

impl<K: Hash + Eq, V> BroadcastContext<'_, K, V> {
    /// The broadcast state, for update. Every parallel instance sees every broadcast
    /// record, so updating it the same way everywhere keeps the copies equal.
    pub fn broadcast_state(&mut self) -> &mut HashMap<K, V> {
        self.state
    }

    /// The record's timestamp.
    pub fn timestamp(&self) -> Option<i64> {
        self.timestamp
    }
}

/// Processes a stream connected to a broadcast stream (Flink's
/// `BroadcastProcessFunction`). Broadcast records update the broadcast state, a map
/// declared by the `MapStateDescriptor` given to `broadcast_state`; the other records
/// read it.
///
/// # Errors
/// An error fails the job, naming the operator and subtask.
///
/// # Example
/// ```
/// use weir::prelude::*;
/// #[derive(Clone)]
/// struct Threshold;
/// impl BroadcastProcessFunction<i64, i64, i64, String, i64> for Threshold {
///     fn process_element(&mut self, v: i64, ctx: &ReadOnlyBroadcastContext<String, i64>,
///                        out: &mut Collector<i64>) -> Result<(), BoxError> {
///         if v > *ctx.broadcast_state().get("min").unwrap_or(&0) { out.collect(v) }
///         Ok(())
///     }
///     fn process_broadcast_element(&mut self, min: i64, ctx: &mut BroadcastContext<String, i64>,
///                                  _: &mut Collector<i64>) -> Result<(), BoxError> {
///         ctx.broadcast_state().insert("min".into(), min);
///         Ok(())
///     }
/// }
/// let env = StreamExecutionEnvironment::new();
/// let rules = env.from_collection(vec![10i64])
///     .broadcast_state(MapStateDescriptor::<String, i64>::new("rules"));
/// let values = env.from_collection(vec![5i64, 20]);
/// values.connect_broadcast(&rules).process(Threshold).print();
/// env.execute("threshold").unwrap();
/// ```
pub trait BroadcastProcessFunction<I, B, O, K, V>: Send + 'static {
    /// Prepares the function for `subtask`.
    fn open(&mut self, _subtask: &SubtaskInfo) -> Result<(), BoxError> {
        Ok(())
    }

    /// Processes a record of the non-broadcast stream.
    fn process_element(
        &mut self,
        value: I,
        ctx: &ReadOnlyBroadcastContext<'_, K, V>,
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError>;

    /// Processes a record of the broadcast stream.
    fn process_broadcast_element(
        &mut self,
        value: B,
        ctx: &mut BroadcastContext<'_, K, V>,
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError>;
}
