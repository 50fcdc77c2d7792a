//! Whether a windowed stream has an evictor: [`NoEvictor`] or [`WithEvictor`], decided
//! by type so that windows without an evictor keep incremental contents, and the
//! [`Evicting`] contents used with one.

use weir_core::StreamRecord;
use weir_runtime::BoxError;

use super::{Evictor, EvictorContext};
use crate::functions::RuntimeContext;
use crate::window::function::{FireScope, WindowContents, WindowStateKey};
use crate::window::Window;

/// The evictor setting of a [`WindowedStream`](crate::window::WindowedStream): wraps the
/// window function's contents in [`Evicting`] when there is an evictor.
pub trait EvictorSlot<T, W>: Clone + Send + Sync + 'static {
    /// The contents used for window function contents `C`.
    type Contents<K: 'static, C: WindowContents<K, T, W>>: WindowContents<K, T, W, Out = C::Out>;

    /// Wraps `contents`.
    fn wrap<K: 'static, C: WindowContents<K, T, W>>(self, contents: C) -> Self::Contents<K, C>;

    /// Whether there is no evictor (the slicing operator applies only then).
    fn is_none(&self) -> bool;
}

/// No evictor: windows keep what the window function needs, incrementally if it can.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEvictor;

impl<T, W> EvictorSlot<T, W> for NoEvictor {
    type Contents<K: 'static, C: WindowContents<K, T, W>> = C;

    fn wrap<K: 'static, C: WindowContents<K, T, W>>(self, contents: C) -> C {
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
    type Contents<K: 'static, C: WindowContents<K, T, W>> = Evicting<E, C>;

    fn wrap<K: 'static, C: WindowContents<K, T, W>>(self, contents: C) -> Evicting<E, C> {
        Evicting { evictor: self.0, inner: contents }
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
/// When the evictor leaves no element, the window function does not run.
#[derive(Debug, Clone)]
pub struct Evicting<E, C> {
    evictor: E,
    inner: C,
}

impl<K, T, W, E, C> WindowContents<K, T, W> for Evicting<E, C>
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
}
