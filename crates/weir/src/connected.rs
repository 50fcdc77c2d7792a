//! Two streams feeding one operator: [`ConnectedStreams`] and broadcast connections.

use std::hash::Hash;
use std::marker::PhantomData;

use weir_runtime::SubtaskInfo;
use weir_state::MapStateDescriptor;

use crate::functions::{BroadcastProcessFunction, CoProcessFunction, Collector};
use crate::operators::broadcast::BroadcastProcessOperator;
use crate::operators::co::{CoFlatMapOperator, CoMapOperator, CoProcessOperator};
use crate::{Data, DataStream};

/// Two streams, possibly of different types, connected for one operator that sees both
/// (Flink's `ConnectedStreams`).
pub struct ConnectedStreams<A, B> {
    pub(crate) first: DataStream<A>,
    pub(crate) second: DataStream<B>,
}

impl<A: Data, B: Data> ConnectedStreams<A, B> {
    /// Maps the first stream's records with `f1` and the second's with `f2`.
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let a = env.from_collection(vec![1i64, 2]);
    /// let b = env.from_collection(vec!["x".to_string()]);
    /// let got = a.connect(&b).map(|n: i64| n.to_string(), |s: String| s).collect();
    /// env.execute("co-map").unwrap();
    /// let mut got = got.take(); got.sort();
    /// assert_eq!(got, vec!["1", "2", "x"]);
    /// ```
    pub fn map<O: Data, F1, F2>(&self, f1: F1, f2: F2) -> DataStream<O>
    where
        F1: FnMut(A) -> O + Clone + Send + Sync + 'static,
        F2: FnMut(B) -> O + Clone + Send + Sync + 'static,
    {
        self.add("Co-Map", move |_| Ok(CoMapOperator::new(f1.clone(), f2.clone())))
    }

    /// Flat-maps the first stream with `f1` and the second with `f2`.
    pub fn flat_map<O: Data, F1, F2>(&self, f1: F1, f2: F2) -> DataStream<O>
    where
        F1: FnMut(A, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
        F2: FnMut(B, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    {
        self.add("Co-Flat Map", move |_| Ok(CoFlatMapOperator::new(f1.clone(), f2.clone())))
    }

    /// Runs a [`CoProcessFunction`] on both streams.
    pub fn process<O: Data, P>(&self, function: P) -> DataStream<O>
    where
        P: CoProcessFunction<A, B, O> + Clone + Sync,
    {
        self.add("Co-Process", move |st: &SubtaskInfo| Ok(CoProcessOperator::new(function.clone(), st.clone())))
    }
}

/// A stream broadcast to every parallel instance of the operator it is connected to,
/// with the broadcast state it fills (Flink's `BroadcastStream`).
pub struct BroadcastStream<T, K, V> {
    pub(crate) stream: DataStream<T>,
    pub(crate) descriptor: MapStateDescriptor<K, V>,
}

impl<T, K, V> BroadcastStream<T, K, V> {
    /// The broadcast state's descriptor.
    pub fn descriptor(&self) -> &MapStateDescriptor<K, V> {
        &self.descriptor
    }
}

/// A stream connected with a broadcast stream.
pub struct BroadcastConnectedStreams<A, B, K, V> {
    pub(crate) first: DataStream<A>,
    pub(crate) broadcast: DataStream<B>,
    pub(crate) _kv: PhantomData<fn() -> (K, V)>,
}

impl<A: Data, B: Data, K, V> BroadcastConnectedStreams<A, B, K, V>
where
    K: Hash + Eq + Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: Send + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    /// Runs a [`BroadcastProcessFunction`]. Checkpoints write the broadcast state (as
    /// union list state), so its keys and values must be `Serialize + DeserializeOwned`.
    pub fn process<O: Data, P>(&self, function: P) -> DataStream<O>
    where
        P: BroadcastProcessFunction<A, B, O, K, V> + Clone + Sync,
    {
        let connected = ConnectedStreams { first: self.first.clone(), second: self.broadcast.clone() };
        connected.add("Broadcast-Process", move |_| Ok(BroadcastProcessOperator::new(function.clone())))
    }
}
