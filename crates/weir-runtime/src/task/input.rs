//! A task's input channels, converted to the head operator's input type.
//!
//! Usually a channel's records are the head's input as they are ([`Direct`]). For a
//! two-input operator each input is wrapped into `Either::Left` / `Either::Right`
//! ([`MapInput`]).

use std::marker::PhantomData;

use crossbeam_channel::Select;
use weir_core::{StreamElement, StreamRecord};

use crate::channel::{ChannelReceiver, Received};
use crate::graph::{downcast_receiver, ErasedReceiver};
use crate::JobError;

/// One input channel yielding the head's input type `In`.
pub trait InputChannel<In>: Send {
    /// Takes an element if one is ready.
    fn try_recv(&mut self) -> Received<In>;
    /// Registers the channel in a `Select`.
    fn register<'a>(&'a self, select: &mut Select<'a>) -> usize;
}

/// Turns an erased channel of some vertex input into an [`InputChannel<In>`].
pub trait InputAdapter<In>: Send + Sync {
    /// Adapts `rx`.
    ///
    /// # Errors
    /// When `rx` has another record type (a Weir bug).
    fn adapt(&self, rx: ErasedReceiver) -> Result<Box<dyn InputChannel<In>>, JobError>;
}

/// The channel's records are the head's input.
pub struct Direct;

struct DirectChannel<T>(ChannelReceiver<T>);

impl<T: Send + 'static> InputChannel<T> for DirectChannel<T> {
    #[inline]
    fn try_recv(&mut self) -> Received<T> {
        self.0.try_recv()
    }
    fn register<'a>(&'a self, select: &mut Select<'a>) -> usize {
        self.0.register(select)
    }
}

impl<T: Send + 'static> InputAdapter<T> for Direct {
    fn adapt(&self, rx: ErasedReceiver) -> Result<Box<dyn InputChannel<T>>, JobError> {
        Ok(Box::new(DirectChannel(downcast_receiver::<T>(rx)?)))
    }
}

/// Each record of type `T` is converted by `F` into the head's input.
pub struct MapInput<T, F> {
    f: F,
    _t: PhantomData<fn(T)>,
}

impl<T, F> MapInput<T, F> {
    /// Converts records with `f`.
    pub fn new(f: F) -> Self {
        MapInput { f, _t: PhantomData }
    }
}

struct MappedChannel<T, F> {
    rx: ChannelReceiver<T>,
    f: F,
}

impl<T: Send + 'static, In: Send + 'static, F: Fn(T) -> In + Send + 'static> InputChannel<In> for MappedChannel<T, F> {
    #[inline]
    fn try_recv(&mut self) -> Received<In> {
        match self.rx.try_recv() {
            Received::Element(StreamElement::Records(batch)) => Received::Element(StreamElement::Records(
                batch.into_iter().map(|r| StreamRecord { value: (self.f)(r.value), timestamp: r.timestamp }).collect(),
            )),
            Received::Element(StreamElement::Watermark(w)) => Received::Element(StreamElement::Watermark(w)),
            Received::Element(StreamElement::WatermarkStatus(s)) => {
                Received::Element(StreamElement::WatermarkStatus(s))
            }
            Received::Element(StreamElement::Barrier(b)) => Received::Element(StreamElement::Barrier(b)),
            Received::Element(StreamElement::EndOfInput) => Received::Element(StreamElement::EndOfInput),
            Received::Empty => Received::Empty,
            Received::Disconnected => Received::Disconnected,
        }
    }
    fn register<'a>(&'a self, select: &mut Select<'a>) -> usize {
        self.rx.register(select)
    }
}

impl<T, In, F> InputAdapter<In> for MapInput<T, F>
where
    T: Send + 'static,
    In: Send + 'static,
    F: Fn(T) -> In + Clone + Send + Sync + 'static,
{
    fn adapt(&self, rx: ErasedReceiver) -> Result<Box<dyn InputChannel<In>>, JobError> {
        Ok(Box::new(MappedChannel { rx: downcast_receiver::<T>(rx)?, f: self.f.clone() }))
    }
}
