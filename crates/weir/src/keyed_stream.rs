//! [`KeyedStream`]: a stream partitioned by key, with keyed state.

use weir_runtime::SubtaskInfo;
use weir_state::{Key, StateValue};

use crate::aggregation::{Aggregation, Fields};
use crate::functions::KeyedProcessFunction;
use crate::operators::keyed_process::KeyedProcessOperator;
use crate::operators::reduce::ReduceOperator;
use crate::{Data, DataStream};

/// A stream whose records are partitioned by the key `key_of` computes (Flink's
/// `KeyedStream`). Operators on it see all records of a key in one subtask and keep
/// state per key.
pub struct KeyedStream<T, KS> {
    pub(crate) stream: DataStream<T>,
    pub(crate) key_of: KS,
}

impl<T: Data, KS: Clone> Clone for KeyedStream<T, KS> {
    fn clone(&self) -> Self {
        KeyedStream { stream: self.stream.clone(), key_of: self.key_of.clone() }
    }
}

impl<T, K, KS> KeyedStream<T, KS>
where
    T: Data,
    K: Key,
    KS: Fn(&T) -> K + Clone + Send + Sync + 'static,
{
    pub(crate) fn new(stream: DataStream<T>, key_of: KS) -> Self {
        KeyedStream { stream, key_of }
    }

    /// Lets the runtime store this stream's records, as
    /// [`DataStream::with_record_serializer`] (needed by unaligned checkpoints).
    pub fn with_record_serializer(&self) -> Self
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        KeyedStream { stream: self.stream.with_record_serializer(), key_of: self.key_of.clone() }
    }

    /// The partitioned stream, for operators that do not need the key.
    pub fn as_stream(&self) -> &DataStream<T> {
        &self.stream
    }

    /// Runs a [`KeyedProcessFunction`] with per-key state.
    pub fn process<O: Data, P>(&self, function: P) -> DataStream<O>
    where
        P: KeyedProcessFunction<K, T, O> + Clone + Sync,
    {
        let key_of = self.key_of.clone();
        let backend = self.stream.env.state_backend_slot();
        self.stream.transform("KeyedProcess", move |st: &SubtaskInfo| {
            let config = backend.lock().unwrap_or_else(|p| p.into_inner()).clone();
            KeyedProcessOperator::new(key_of.clone(), function.clone(), st, &config)
        })
    }

    /// Rolling reduce: emits, per record, `reduce(accumulated, record)` for its key (the
    /// first record of a key as it is). The accumulated values are keyed state, in the
    /// job's state backend.
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let got = env.from_collection(vec![(1, 2), (1, 3), (2, 1)])
    ///     .key_by(|t: &(i32, i32)| t.0)
    ///     .reduce(|a, b| (a.0, a.1 * b.1))
    ///     .collect();
    /// env.execute("reduce").unwrap();
    /// assert_eq!(got.take(), vec![(1, 2), (1, 6), (2, 1)]);
    /// ```
    pub fn reduce<R>(&self, reduce: R) -> DataStream<T>
    where
        T: StateValue,
        R: FnMut(T, T) -> T + Clone + Send + Sync + 'static,
    {
        self.reduce_named("Keyed Reduce", reduce)
    }

    fn reduce_named<R>(&self, name: &str, reduce: R) -> DataStream<T>
    where
        T: StateValue,
        R: FnMut(T, T) -> T + Clone + Send + Sync + 'static,
    {
        let key_of = self.key_of.clone();
        let backend = self.stream.env.state_backend_slot();
        // Reduced values are state, hence serializable: so are the records in flight.
        let stream = self.stream.with_record_serializer();
        stream.transform(name, move |st: &SubtaskInfo| {
            let config = backend.lock().unwrap_or_else(|p| p.into_inner()).clone();
            ReduceOperator::new(key_of.clone(), reduce.clone(), st, &config)
        })
    }

    fn aggregate(&self, agg: Aggregation, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        if let Err(e) = agg.validate::<T>(pos) {
            self.stream.env.record_error(e);
        }
        self.reduce_named("Keyed Aggregation", agg.reducer::<T>(pos))
    }

    /// Rolling sum of field `pos` per key; other fields are the key's first record's.
    pub fn sum(&self, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        self.aggregate(Aggregation::Sum, pos)
    }

    /// Rolling minimum of field `pos` per key; other fields are the first record's.
    pub fn min(&self, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        self.aggregate(Aggregation::Min, pos)
    }

    /// Rolling maximum of field `pos` per key; other fields are the first record's.
    pub fn max(&self, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        self.aggregate(Aggregation::Max, pos)
    }

    /// The record with the smallest field `pos` so far per key (the earliest on ties).
    pub fn min_by(&self, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        self.aggregate(Aggregation::MinBy, pos)
    }

    /// The record with the largest field `pos` so far per key (the earliest on ties).
    pub fn max_by(&self, pos: usize) -> DataStream<T>
    where
        T: StateValue + Fields,
    {
        self.aggregate(Aggregation::MaxBy, pos)
    }
}
