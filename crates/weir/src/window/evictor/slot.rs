//! Whether a windowed stream has an evictor: [`NoEvictor`] or [`WithEvictor`], decided
//! by type so that windows without an evictor keep incremental contents, and the
//! [`Evicting`] contents used with one.

use weir_core::StreamRecord;
use weir_runtime::BoxError;

use super::{Evictor, EvictorContext};
use crate::functions::RuntimeContext;
use crate::window::function::{ElementCodec, FireScope, WindowContents, WindowStateKey};
use crate::window::Window;

/// The evictor setting of a [`WindowedStream`](crate::window::WindowedStream): wraps the
/// window function's contents in [`Evicting`] when there is an evictor.
pub trait EvictorSlot<T, W>: Clone + Send + Sync + 'static {
    /// The contents used for window function contents `C`.
    type Contents<K: 'static, C: WindowContents<K, T, W>>: WindowContents<K, T, W, Out = C::Out>;

    /// Wraps `contents`; `codec` writes the elements an evictor keeps into checkpoints.
    fn wrap<K: 'static, C: WindowContents<K, T, W>>(self, contents: C, codec: ElementCodec<T>) -> Self::Contents<K, C>;

    /// Whether there is no evictor (the slicing operator applies only then).
    fn is_none(&self) -> bool;
}

/// No evictor: windows keep what the window function needs, incrementally if it can.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvictor;

impl<T, W> EvictorSlot<T, W> for NoEvictor {
    type Contents<K: 'static, C: WindowContents<K, T, W>> = C;

    fn wrap<K: 'static, C: WindowContents<K, T, W>>(self, contents: C, _codec: ElementCodec<T>) -> C {
        contents
    }

    fn is_none(&self) -> bool {
        true
    }
}

/// An evictor set with `WindowedStream::evictor`.
#[derive(Debug, Clone, Copy)]
pub struct WithEvictor<E>(pub E);

impl<T, W, E> EvictorSlot<T, W> for WithEvictor<E>
where
    T: Clone + Send + 'static,
    W: Window,
    E: Evictor<T, W>,
{
    type Contents<K: 'static, C: WindowContents<K, T, W>> = Evicting<E, C, T>;

    fn wrap<K: 'static, C: WindowContents<K, T, W>>(self, contents: C, codec: ElementCodec<T>) -> Evicting<E, C, T> {
        Evicting { evictor: self.0, inner: contents, codec }
    }

    fn is_none(&self) -> bool {
        false
    }
}

/// The contents of a window with an evictor (Flink's `EvictingWindowOperator`): every
/// element with its timestamp. On a firing: `evict_before`, the window function over
/// the remaining elements (an incremental function folds them afresh), `evict_after`;
/// what is left stays for the next firing.
///
/// When the evictor leaves no element, the window function does not run. Checkpoints
/// write the elements with their timestamps.
#[derive(Debug)]
pub struct Evicting<E, C, T> {
    evictor: E,
    inner: C,
    codec: ElementCodec<T>,
}

impl<E: Clone, C: Clone, T> Clone for Evicting<E, C, T> {
    fn clone(&self) -> Self {
        Evicting { evictor: self.evictor.clone(), inner: self.inner.clone(), codec: self.codec }
    }
}

impl<K, T, W, E, C> WindowContents<K, T, W> for Evicting<E, C, T>
where
    T: Clone + Send + 'static,
    W: Window,
    E: Evictor<T, W>,
    C: WindowContents<K, T, W>,
{
    type Acc = Vec<StreamRecord<T>>;
    type Out = C::Out;

    fn open(&mut self, ctx: &mut RuntimeContext<'_, WindowStateKey<K, W>>) -> Result<(), BoxError> {
        self.inner.open(ctx)
    }

    #[inline]
    fn add(&mut self, acc: &mut Option<Self::Acc>, value: T, timestamp: i64) {
        acc.get_or_insert_with(Vec::new).push(StreamRecord { value, timestamp });
    }

    fn merge(&mut self, acc: &mut Option<Self::Acc>, from: Self::Acc) {
        match acc {
            Some(elements) => elements.extend(from),
            None => *acc = Some(from),
        }
    }

    fn emit(&mut self, acc: &mut Self::Acc, scope: &mut FireScope<'_, K, W, C::Out>) -> Result<(), BoxError> {
        let ctx = EvictorContext { watermark: scope.ctx.watermark, processing_time: scope.ctx.processing_time };
        let window = scope.ctx.window;
        self.evictor.evict_before(acc, window, &ctx);
        let mut contents = None;
        for r in acc.iter() {
            self.inner.add(&mut contents, r.value.clone(), r.timestamp);
        }
        if let Some(contents) = contents.as_mut() {
            self.inner.emit(contents, scope)?;
        }
        self.evictor.evict_after(acc, window, &ctx);
        Ok(())
    }

    fn clear(&mut self, scope: &mut FireScope<'_, K, W, C::Out>) -> Result<(), BoxError> {
        self.inner.clear(scope)
    }

    fn save(&self, acc: &Self::Acc) -> Result<Vec<u8>, BoxError> {
        let values: Vec<&T> = acc.iter().map(|r| &r.value).collect();
        let timestamps: Vec<i64> = acc.iter().map(|r| r.timestamp).collect();
        Ok(bincode::serialize(&(self.codec.encode(&values)?, timestamps))?)
    }

    fn load(&self, bytes: &[u8]) -> Result<Self::Acc, BoxError> {
        let (values, timestamps): (Vec<u8>, Vec<i64>) = bincode::deserialize(bytes)
            .map_err(|e| format!("an evicting window's elements in the checkpoint do not decode: {e}"))?;
        let values = self.codec.decode(&values)?;
        if values.len() != timestamps.len() {
            return Err("an evicting window's elements and timestamps in the checkpoint differ in number".into());
        }
        Ok(values.into_iter().zip(timestamps).map(|(value, timestamp)| StreamRecord { value, timestamp }).collect())
    }

    fn keeps_elements(&self) -> bool {
        true
    }

    fn emit_changes_elements(&self) -> bool {
        true
    }
}
