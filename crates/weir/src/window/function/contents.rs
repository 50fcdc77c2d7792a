//! [`WindowContents`]: what a window holds and how it becomes output — the one
//! interface both window operators use, whatever function the user chose.
//!
//! | user function | contents per window | emitted |
//! |---|---|---|
//! | `reduce(f)` | the reduced value | that value |
//! | `aggregate(a)` | an accumulator | `a.get_result(acc)` |
//! | `process(p)` | every element | what `p` collects |
//! | `reduce_with(f, p)`, `aggregate_with(a, p)` | the reduced value / accumulator | what `p` collects from the one result |
//! | any of these with an evictor | every element with its timestamp | see [`Evicting`](crate::window::evictor::slot::Evicting) |

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Serialize;
use weir_core::StreamRecord;
use weir_runtime::BoxError;

use super::{AggregateFunction, ElementCodec, ProcessWindowFunction, WindowContext, WindowStateKey};
use crate::functions::{Collector, RuntimeContext};
use crate::window::Window;

/// What a window's contents see when the window fires: the window's context and the
/// operator's output.
pub struct FireScope<'s, K, W, O> {
    pub(crate) ctx: WindowContext<'s, K, W>,
    pub(crate) records: &'s mut Vec<StreamRecord<O>>,
}

impl<K, W: Window, O> FireScope<'_, K, W, O> {
    /// Emits `value` stamped with the window's max timestamp.
    #[inline]
    fn emit(&mut self, value: O) {
        self.records.push(StreamRecord { value, timestamp: self.ctx.window.max_timestamp() });
    }
}

/// What a window keeps and how it turns into output (implemented by Weir's adapters of
/// reduce closures, [`AggregateFunction`]s and [`ProcessWindowFunction`]s; users
/// implement those instead).
///
/// # Contract
/// A window's contents start as `None`; `add` folds an element in, `merge` folds in the
/// contents of another window (session merges, slice combination); `emit` runs when
/// the window fires and may change the contents (an evictor does); `clear` runs when
/// the window is cleaned up. `save` writes a window's contents into a checkpoint and
/// `load` reads them back: `load(save(acc))` must behave exactly as `acc`.
pub trait WindowContents<K, T, W>: Clone + Send + Sync + 'static {
    /// What a window holds.
    type Acc: Clone + Send + 'static;
    /// What a firing emits.
    type Out: Send + 'static;

    /// Prepares the function (declares its state).
    fn open(&mut self, _ctx: &mut RuntimeContext<'_, WindowStateKey<K, W>>) -> Result<(), BoxError> {
        Ok(())
    }

    /// Adds `value` (with its timestamp) to a window's contents.
    fn add(&mut self, acc: &mut Option<Self::Acc>, value: T, timestamp: i64);

    /// Adds the contents `from` of another window.
    fn merge(&mut self, acc: &mut Option<Self::Acc>, from: Self::Acc);

    /// Emits the window's result.
    fn emit(&mut self, acc: &mut Self::Acc, scope: &mut FireScope<'_, K, W, Self::Out>) -> Result<(), BoxError>;

    /// The window is cleaned up.
    fn clear(&mut self, _scope: &mut FireScope<'_, K, W, Self::Out>) -> Result<(), BoxError> {
        Ok(())
    }

    /// The bytes of a window's contents, for a checkpoint.
    ///
    /// # Errors
    /// When the contents cannot be encoded.
    fn save(&self, acc: &Self::Acc) -> Result<Vec<u8>, BoxError>;

    /// Contents read back from bytes written by [`Self::save`].
    ///
    /// # Errors
    /// Bytes that are not contents of this window function.
    fn load(&self, bytes: &[u8]) -> Result<Self::Acc, BoxError>;

    /// Whether the contents are the window's elements in arrival order, which `add`
    /// appends to and `merge` concatenates (a process function without pre-aggregation,
    /// an evictor). The embedded backend then stores a window's contents in chunks,
    /// appending each element without reading the window (Flink's list state), and
    /// reads them back as `merge` of the chunks' `load` in order.
    fn keeps_elements(&self) -> bool {
        false
    }

    /// Whether `emit` may change kept elements (an evictor removes some); when false, a
    /// firing leaves the stored elements as they are.
    fn emit_changes_elements(&self) -> bool {
        false
    }
}

/// An incremental function: the contents are one accumulated value with a result.
pub(crate) trait Incremental<T>: Clone + Send + Sync + 'static {
    type Acc: Clone + Send + Serialize + DeserializeOwned + 'static;
    type Result: Send + 'static;
    fn add(&mut self, acc: &mut Option<Self::Acc>, value: T);
    fn merge(&mut self, acc: &mut Option<Self::Acc>, from: Self::Acc);
    fn result(&mut self, acc: &Self::Acc) -> Self::Result;
}

/// The bytes of an accumulator.
fn save_acc<A: Serialize>(acc: &A) -> Result<Vec<u8>, BoxError> {
    Ok(bincode::serialize(acc)?)
}

/// An accumulator read back from [`save_acc`]'s bytes.
fn load_acc<A: DeserializeOwned>(bytes: &[u8]) -> Result<A, BoxError> {
    bincode::deserialize(bytes)
        .map_err(|e| format!("a window accumulator in the checkpoint does not decode: {e}").into())
}

/// `reduce(f)`: the accumulator is the reduced value.
#[derive(Clone)]
pub(crate) struct Reducer<R>(pub R);

impl<T, R> Incremental<T> for Reducer<R>
where
    T: Clone + Send + Serialize + DeserializeOwned + 'static,
    R: FnMut(T, T) -> T + Clone + Send + Sync + 'static,
{
    type Acc = T;
    type Result = T;

    #[inline]
    fn add(&mut self, acc: &mut Option<T>, value: T) {
        *acc = Some(match acc.take() {
            Some(a) => (self.0)(a, value),
            None => value,
        });
    }

    #[inline]
    fn merge(&mut self, acc: &mut Option<T>, from: T) {
        self.add(acc, from);
    }

    #[inline]
    fn result(&mut self, acc: &T) -> T {
        acc.clone()
    }
}

/// `aggregate(a)`: an [`AggregateFunction`]'s accumulator.
#[derive(Clone)]
pub(crate) struct Aggregator<A>(pub A);

impl<T, A: AggregateFunction<T>> Incremental<T> for Aggregator<A> {
    type Acc = A::Acc;
    type Result = A::Out;

    #[inline]
    fn add(&mut self, acc: &mut Option<A::Acc>, value: T) {
        let a = &self.0;
        a.add(value, acc.get_or_insert_with(|| a.create_accumulator()));
    }

    #[inline]
    fn merge(&mut self, acc: &mut Option<A::Acc>, from: A::Acc) {
        *acc = Some(match acc.take() {
            Some(a) => self.0.merge(a, from),
            None => from,
        });
    }

    #[inline]
    fn result(&mut self, acc: &A::Acc) -> A::Out {
        self.0.get_result(acc)
    }
}

/// An incremental function whose result is emitted as it is.
#[derive(Clone)]
pub(crate) struct EmitResult<I>(pub I);

impl<K, T, W, I> WindowContents<K, T, W> for EmitResult<I>
where
    W: Window,
    I: Incremental<T>,
{
    type Acc = I::Acc;
    type Out = I::Result;

    #[inline]
    fn add(&mut self, acc: &mut Option<I::Acc>, value: T, _timestamp: i64) {
        self.0.add(acc, value);
    }

    #[inline]
    fn merge(&mut self, acc: &mut Option<I::Acc>, from: I::Acc) {
        self.0.merge(acc, from);
    }

    fn emit(&mut self, acc: &mut I::Acc, scope: &mut FireScope<'_, K, W, I::Result>) -> Result<(), BoxError> {
        let result = self.0.result(acc);
        scope.emit(result);
        Ok(())
    }

    fn save(&self, acc: &I::Acc) -> Result<Vec<u8>, BoxError> {
        save_acc(acc)
    }

    fn load(&self, bytes: &[u8]) -> Result<I::Acc, BoxError> {
        load_acc(bytes)
    }
}

/// An incremental function whose result a process function turns into output.
pub(crate) struct ProcessResult<I, P, O> {
    pub incremental: I,
    pub process: P,
    pub _o: PhantomData<fn() -> O>,
}

impl<I: Clone, P: Clone, O> Clone for ProcessResult<I, P, O> {
    fn clone(&self) -> Self {
        ProcessResult { incremental: self.incremental.clone(), process: self.process.clone(), _o: PhantomData }
    }
}

impl<K, T, W, O, I, P> WindowContents<K, T, W> for ProcessResult<I, P, O>
where
    K: 'static,
    W: Window,
    O: Send + 'static,
    I: Incremental<T>,
    P: ProcessWindowFunction<K, I::Result, O, W> + Clone + Sync,
{
    type Acc = I::Acc;
    type Out = O;

    fn open(&mut self, ctx: &mut RuntimeContext<'_, WindowStateKey<K, W>>) -> Result<(), BoxError> {
        self.process.open(ctx)
    }

    #[inline]
    fn add(&mut self, acc: &mut Option<I::Acc>, value: T, _timestamp: i64) {
        self.incremental.add(acc, value);
    }

    #[inline]
    fn merge(&mut self, acc: &mut Option<I::Acc>, from: I::Acc) {
        self.incremental.merge(acc, from);
    }

    fn emit(&mut self, acc: &mut I::Acc, scope: &mut FireScope<'_, K, W, O>) -> Result<(), BoxError> {
        let result = self.incremental.result(acc);
        let key = scope.ctx.key;
        let mut out = Collector::new(scope.records, scope.ctx.window.max_timestamp());
        self.process.process(key, &mut scope.ctx, std::slice::from_ref(&result), &mut out)
    }

    fn clear(&mut self, scope: &mut FireScope<'_, K, W, O>) -> Result<(), BoxError> {
        self.process.clear(&mut scope.ctx)
    }

    fn save(&self, acc: &I::Acc) -> Result<Vec<u8>, BoxError> {
        save_acc(acc)
    }

    fn load(&self, bytes: &[u8]) -> Result<I::Acc, BoxError> {
        load_acc(bytes)
    }
}

/// `process(p)`: the window keeps every element for the process function.
pub(crate) struct ProcessAll<P, O, T> {
    pub process: P,
    /// How the kept elements are written into checkpoints.
    pub codec: ElementCodec<T>,
    pub _o: PhantomData<fn() -> O>,
}

impl<P: Clone, O, T> Clone for ProcessAll<P, O, T> {
    fn clone(&self) -> Self {
        ProcessAll { process: self.process.clone(), codec: self.codec, _o: PhantomData }
    }
}

impl<K, T, W, O, P> WindowContents<K, T, W> for ProcessAll<P, O, T>
where
    K: 'static,
    T: Clone + Send + 'static,
    W: Window,
    O: Send + 'static,
    P: ProcessWindowFunction<K, T, O, W> + Clone + Sync,
{
    type Acc = Vec<T>;
    type Out = O;

    fn open(&mut self, ctx: &mut RuntimeContext<'_, WindowStateKey<K, W>>) -> Result<(), BoxError> {
        self.process.open(ctx)
    }

    #[inline]
    fn add(&mut self, acc: &mut Option<Vec<T>>, value: T, _timestamp: i64) {
        acc.get_or_insert_with(Vec::new).push(value);
    }

    fn merge(&mut self, acc: &mut Option<Vec<T>>, from: Vec<T>) {
        match acc {
            Some(elements) => elements.extend(from),
            None => *acc = Some(from),
        }
    }

    fn emit(&mut self, acc: &mut Vec<T>, scope: &mut FireScope<'_, K, W, O>) -> Result<(), BoxError> {
        let key = scope.ctx.key;
        let mut out = Collector::new(scope.records, scope.ctx.window.max_timestamp());
        self.process.process(key, &mut scope.ctx, acc, &mut out)
    }

    fn clear(&mut self, scope: &mut FireScope<'_, K, W, O>) -> Result<(), BoxError> {
        self.process.clear(&mut scope.ctx)
    }

    fn save(&self, acc: &Vec<T>) -> Result<Vec<u8>, BoxError> {
        self.codec.encode(&acc.iter().collect::<Vec<_>>())
    }

    fn load(&self, bytes: &[u8]) -> Result<Vec<T>, BoxError> {
        self.codec.decode(bytes)
    }

    fn keeps_elements(&self) -> bool {
        true
    }
}
