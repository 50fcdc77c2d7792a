//! [`KeyedConnectedStreams`]: two keyed streams with the same key type feeding one keyed
//! two-input operator — Flink's `keyedA.connect(keyedB)` with a
//! [`KeyedCoProcessFunction`].
//!
//! Each input is hash-partitioned by its own key selector over the consumer's key groups,
//! so the records of one key from either input meet in the same subtask. There they share
//! that key's state (`ValueState`, `ListState`, `MapState` declared once in `open`) and
//! its timers: a typical use is an enrichment or control stream on one input changing
//! how the other input's records of the same key are handled.
//!
//! ```text
//!  keyed A ──key_by(ka)──┐
//!                        ├─▶ KeyedCoProcessOperator: per record, key → key group →
//!  keyed B ──key_by(kb)──┘   KeyedContext { key, state, timers, side outputs }
//! ```

use std::marker::PhantomData;

use weir_core::{Either, StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};
use weir_state::{Key, StateBackendConfig};

use crate::functions::{Collector, KeyedContext, RuntimeContext};
use crate::operators::keyed_process::KeyedRuntime;
use crate::{ConnectedStreams, Data, DataStream, KeyedStream};

/// Processes two keyed streams connected on the same key, with the key's state and
/// timers shared by both inputs (Flink's `KeyedCoProcessFunction`).
///
/// # Contract
/// One instance per parallel subtask (cloned from the one given to `process`); `open`
/// declares state, once, for both inputs. `process_element1` sees the first stream's
/// records, `process_element2` the second's, each with the current key in `ctx`; the
/// order between the two inputs is not defined, only the order within each. `on_timer`
/// runs when a timer of `ctx.current_key()` fires (event time: once the watermark — the
/// minimum over both inputs — reaches it; processing time: once the clock does).
///
/// # Errors
/// An error fails the job, naming the operator and subtask.
///
/// # Example
/// ```
/// use weir::prelude::*;
/// use weir::keyed_connected::KeyedCoProcessFunction;
/// /// Emits `(order id, amount)` once both the order (first input) and its payment
/// /// (second input) have arrived, whichever comes first.
/// #[derive(Clone, Default)]
/// struct Paid { order: Option<ValueState<i64>>, paid: Option<ValueState<bool>> }
/// impl KeyedCoProcessFunction<u32, (u32, i64), u32, (u32, i64)> for Paid {
///     fn open(&mut self, ctx: &mut RuntimeContext<u32>) -> Result<(), BoxError> {
///         self.order = Some(ctx.get_state(&ValueStateDescriptor::new("order"))?);
///         self.paid = Some(ctx.get_state(&ValueStateDescriptor::new("paid"))?);
///         Ok(())
///     }
///     fn process_element1(&mut self, (id, amount): (u32, i64), ctx: &mut KeyedContext<u32>,
///                         out: &mut Collector<(u32, i64)>) -> Result<(), BoxError> {
///         if self.paid.expect("opened").value(ctx)?.is_some() {
///             out.collect((id, amount));
///         } else {
///             self.order.expect("opened").update(ctx, amount)?;
///         }
///         Ok(())
///     }
///     fn process_element2(&mut self, id: u32, ctx: &mut KeyedContext<u32>,
///                         out: &mut Collector<(u32, i64)>) -> Result<(), BoxError> {
///         match self.order.expect("opened").value(ctx)? {
///             Some(amount) => out.collect((id, amount)),
///             None => self.paid.expect("opened").update(ctx, true)?,
///         }
///         Ok(())
///     }
/// }
/// let env = StreamExecutionEnvironment::new().with_parallelism(2);
/// let orders = env.from_collection(vec![(1u32, 30i64), (2, 50)]).key_by(|o: &(u32, i64)| o.0);
/// let payments = env.from_collection(vec![2u32, 3]).key_by(|p: &u32| *p);
/// let got = orders.connect(&payments).process(Paid::default()).collect();
/// env.execute("paid orders").unwrap();
/// assert_eq!(got.take(), vec![(2, 50)]);
/// ```
pub trait KeyedCoProcessFunction<K, A, B, O>: Send + 'static {
    /// Prepares the function; declare state here (it is shared by both inputs).
    fn open(&mut self, _ctx: &mut RuntimeContext<'_, K>) -> Result<(), BoxError> {
        Ok(())
    }

    /// Processes one record of the first stream, of key `ctx.current_key()`.
    fn process_element1(
        &mut self,
        value: A,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError>;

    /// Processes one record of the second stream, of key `ctx.current_key()`.
    fn process_element2(
        &mut self,
        value: B,
        ctx: &mut KeyedContext<'_, K>,
        out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError>;

    /// A timer of key `ctx.current_key()` fired at `timestamp`; `ctx.time_domain()` says
    /// which clock. Records emitted from an event-time timer carry `timestamp`.
    fn on_timer(
        &mut self,
        _timestamp: i64,
        _ctx: &mut KeyedContext<'_, K>,
        _out: &mut Collector<'_, O>,
    ) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Two keyed streams with the same key type, connected (what
/// [`KeyedStream::connect`] returns).
pub struct KeyedConnectedStreams<A, B, KA, KB> {
    first: KeyedStream<A, KA>,
    second: KeyedStream<B, KB>,
}

impl<A, K, KA> KeyedStream<A, KA>
where
    A: Data,
    K: Key,
    KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
{
    /// Connects this keyed stream with `other`, keyed by the same key type, for a keyed
    /// two-input operator (Flink's `KeyedStream.connect(KeyedStream)`). Records of equal
    /// keys from both streams go to the same subtask and share that key's state.
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new().with_parallelism(2);
    /// let a = env.from_collection(vec![1i64, 2, 3]).key_by(|v: &i64| v % 2);
    /// let b = env.from_collection(vec!["x".to_string()]).key_by(|s: &String| s.len() as i64);
    /// let got = a.connect(&b).map(|v: i64| v.to_string(), |s: String| s).collect();
    /// env.execute("keyed connect").unwrap();
    /// let mut got = got.take(); got.sort();
    /// assert_eq!(got, vec!["1", "2", "3", "x"]);
    /// ```
    pub fn connect<B, KB>(&self, other: &KeyedStream<B, KB>) -> KeyedConnectedStreams<A, B, KA, KB>
    where
        B: Data,
        KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
    {
        KeyedConnectedStreams { first: self.clone(), second: other.clone() }
    }
}

impl<A, B, K, KA, KB> KeyedConnectedStreams<A, B, KA, KB>
where
    A: Data,
    B: Data,
    K: Key,
    KA: Fn(&A) -> K + Clone + Send + Sync + 'static,
    KB: Fn(&B) -> K + Clone + Send + Sync + 'static,
{
    /// Both partitioned streams, for the operators that need no key.
    fn partitioned(&self) -> ConnectedStreams<A, B> {
        ConnectedStreams { first: self.first.stream.clone(), second: self.second.stream.clone() }
    }

    /// Runs a [`KeyedCoProcessFunction`] over both streams, with per-key state and timers
    /// shared by the two inputs.
    ///
    /// ```
    /// use weir::prelude::*;
    /// use weir::keyed_connected::KeyedCoProcessFunction;
    /// /// Counts the records of each key over both inputs.
    /// #[derive(Clone, Default)]
    /// struct Count { n: Option<ValueState<u64>> }
    /// impl Count {
    ///     fn bump(&self, ctx: &mut KeyedContext<i64>, out: &mut Collector<(i64, u64)>) -> Result<(), BoxError> {
    ///         let n = self.n.expect("opened");
    ///         let count = n.value(ctx)?.unwrap_or(0) + 1;
    ///         n.update(ctx, count)?;
    ///         out.collect((*ctx.current_key(), count));
    ///         Ok(())
    ///     }
    /// }
    /// impl KeyedCoProcessFunction<i64, i64, String, (i64, u64)> for Count {
    ///     fn open(&mut self, ctx: &mut RuntimeContext<i64>) -> Result<(), BoxError> {
    ///         self.n = Some(ctx.get_state(&ValueStateDescriptor::new("n"))?);
    ///         Ok(())
    ///     }
    ///     fn process_element1(&mut self, _: i64, ctx: &mut KeyedContext<i64>,
    ///                         out: &mut Collector<(i64, u64)>) -> Result<(), BoxError> {
    ///         self.bump(ctx, out)
    ///     }
    ///     fn process_element2(&mut self, _: String, ctx: &mut KeyedContext<i64>,
    ///                         out: &mut Collector<(i64, u64)>) -> Result<(), BoxError> {
    ///         self.bump(ctx, out)
    ///     }
    /// }
    /// let env = StreamExecutionEnvironment::new().with_parallelism(2);
    /// let numbers = env.from_collection(vec![1i64, 1, 2]).key_by(|v: &i64| *v);
    /// let words = env.from_collection(vec!["a".to_string()]).key_by(|s: &String| s.len() as i64);
    /// let got = numbers.connect(&words).process(Count::default()).collect();
    /// env.execute("count both").unwrap();
    /// let mut got = got.take(); got.sort();
    /// // key 1: two numbers and the one-letter word; key 2: one number
    /// assert_eq!(got, vec![(1, 1), (1, 2), (1, 3), (2, 1)]);
    /// ```
    pub fn process<O: Data, P>(&self, function: P) -> DataStream<O>
    where
        P: KeyedCoProcessFunction<K, A, B, O> + Clone + Sync,
    {
        let (key_a, key_b) = (self.first.key_of.clone(), self.second.key_of.clone());
        let backend = self.first.stream.env.state_backend_slot();
        self.partitioned().add("Keyed Co-Process", move |st: &SubtaskInfo| {
            let config = backend.lock().unwrap_or_else(|p| p.into_inner()).clone();
            KeyedCoProcessOperator::new(key_a.clone(), key_b.clone(), function.clone(), st, &config)
        })
    }

    /// Maps the first stream's records with `f1` and the second's with `f2`, both
    /// partitioned by key (no state: use [`Self::process`] for that).
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let a = env.from_collection(vec![1i64]).key_by(|v: &i64| *v);
    /// let b = env.from_collection(vec![2i64]).key_by(|v: &i64| *v);
    /// let got = a.connect(&b).map(|v: i64| v * 10, |v: i64| -v).collect();
    /// env.execute("keyed co-map").unwrap();
    /// let mut got = got.take(); got.sort();
    /// assert_eq!(got, vec![-2, 10]);
    /// ```
    pub fn map<O: Data, F1, F2>(&self, f1: F1, f2: F2) -> DataStream<O>
    where
        F1: FnMut(A) -> O + Clone + Send + Sync + 'static,
        F2: FnMut(B) -> O + Clone + Send + Sync + 'static,
    {
        self.partitioned().map(f1, f2)
    }

    /// Flat-maps the first stream with `f1` and the second with `f2`, both partitioned
    /// by key.
    ///
    /// ```
    /// use weir::prelude::*;
    /// let env = StreamExecutionEnvironment::new();
    /// let a = env.from_collection(vec![2i64]).key_by(|v: &i64| *v);
    /// let b = env.from_collection(vec![5i64]).key_by(|v: &i64| *v);
    /// let got = a
    ///     .connect(&b)
    ///     .flat_map(|v: i64, out: &mut Collector<i64>| (0..v).for_each(|_| out.collect(v)),
    ///               |v: i64, out: &mut Collector<i64>| out.collect(v))
    ///     .collect();
    /// env.execute("keyed co-flat-map").unwrap();
    /// let mut got = got.take(); got.sort();
    /// assert_eq!(got, vec![2, 2, 5]);
    /// ```
    pub fn flat_map<O: Data, F1, F2>(&self, f1: F1, f2: F2) -> DataStream<O>
    where
        F1: FnMut(A, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
        F2: FnMut(B, &mut Collector<'_, O>) + Clone + Send + Sync + 'static,
    {
        self.partitioned().flat_map(f1, f2)
    }
}

/// Drives a [`KeyedCoProcessFunction`]: for each record of either input, computes its key
/// with that input's selector and hands the function a context scoped to the key, over
/// one state backend and one timer service shared by both inputs.
pub struct KeyedCoProcessOperator<K, A, B, O, KA, KB, P> {
    key_a: KA,
    key_b: KB,
    function: P,
    keyed: KeyedRuntime<K>,
    _t: PhantomData<fn(A, B) -> O>,
}

impl<K: Key, A, B, O, KA, KB, P> KeyedCoProcessOperator<K, A, B, O, KA, KB, P> {
    /// Runs `function` as `subtask`, keying the first input by `key_a` and the second by
    /// `key_b`.
    ///
    /// # Errors
    /// When the embedded state backend cannot open its working directory.
    pub fn new(
        key_a: KA,
        key_b: KB,
        function: P,
        subtask: &SubtaskInfo,
        backend: &StateBackendConfig,
    ) -> Result<Self, BoxError> {
        Ok(KeyedCoProcessOperator {
            key_a,
            key_b,
            function,
            keyed: KeyedRuntime::new(subtask, backend)?,
            _t: PhantomData,
        })
    }
}

impl<K, A, B, O, KA, KB, P> Operator for KeyedCoProcessOperator<K, A, B, O, KA, KB, P>
where
    K: Key,
    A: Send + 'static,
    B: Send + 'static,
    O: Send + 'static,
    KA: Fn(&A) -> K + Send + 'static,
    KB: Fn(&B) -> K + Send + 'static,
    P: KeyedCoProcessFunction<K, A, B, O>,
{
    type In = Either<A, B>;
    type Out = O;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.keyed.initialize_state(state)
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        let function = &mut self.function;
        self.keyed.open(subtask, |ctx| function.open(ctx))
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        self.keyed.snapshot_state(state)
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Either<A, B>>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let now_ms = out.now_ms();
        let (records, sides) = out.parts();
        for r in batch.drain(..) {
            let key = match &r.value {
                Either::Left(a) => (self.key_a)(a),
                Either::Right(b) => (self.key_b)(b),
            };
            let mut ctx = self.keyed.record_context(&key, r.timestamp, sides, now_ms)?;
            let mut collector = Collector::new(records, r.timestamp);
            match r.value {
                Either::Left(a) => self.function.process_element1(a, &mut ctx, &mut collector)?,
                Either::Right(b) => self.function.process_element2(b, &mut ctx, &mut collector)?,
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<O>) -> Result<(), BoxError> {
        self.keyed.on_watermark(watermark, out, |ts, ctx, out| self.function.on_timer(ts, ctx, out))
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        self.keyed.next_processing_timer()
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<O>) -> Result<(), BoxError> {
        self.keyed.on_processing_time(now_ms, out, |ts, ctx, out| self.function.on_timer(ts, ctx, out))
    }
}
