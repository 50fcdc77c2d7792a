//! A task's input channels, converted to the head operator's input type.
//!
//! Usually a channel's records are the head's input as they are ([`Direct`]). For a
//! two-input operator each input is wrapped into `Either::Left` / `Either::Right`
//! ([`MapInput`]).

use std::marker::PhantomData;

use crossbeam_channel::Select;
use weir_core::{StreamElement, StreamRecord};

use crate::channel::{ChannelReceiver, Received};
use crate::graph::{downcast_receiver, ErasedReceiver, TypedReceiver};
use crate::in_flight::{ChannelCapture, Keep, RecordCodec, UNTIL_BARRIER};
use crate::{BoxError, JobError};

/// One input channel yielding the head's input type `In`.
///
/// For unaligned checkpoints a channel also captures record batches up to its barrier's
/// position, encoded in its edge's record type (so a two-input task stores each input's
/// records as they travelled, not wrapped): the ones the task takes from it, and, once the
/// position is known, the ones still queued before it, which it takes out of the channel
/// at once.
pub trait InputChannel<In>: Send {
    /// Takes an element if one is ready (a barrier of the priority lane before any element
    /// sent after it).
    fn try_recv(&mut self) -> Received<In>;
    /// Registers the channel in a `Select`.
    fn register<'a>(&'a self, select: &mut Select<'a>);
    /// How many data-lane elements were taken.
    fn received(&self) -> u64;
    /// Starts a capture: what was taken so far is not in it.
    fn start_capture(&mut self);
    /// Captures up to position `until` ([`crate::in_flight::UNTIL_BARRIER`]: everything
    /// taken until told otherwise); a known position is captured at once.
    fn capture_until(&mut self, until: u64);
    /// Whether everything up to the barrier's position is captured.
    fn capture_complete(&self) -> bool;
    /// Takes what was captured and stops capturing.
    ///
    /// # Errors
    /// A batch that could not be encoded.
    fn take_captured(&mut self) -> Result<Vec<Vec<u8>>, BoxError>;
    /// A stored batch, decoded, with the records `keep` says (a restore at another
    /// parallelism keeps a keyed edge's records of the task's key groups), converted to
    /// the head's input.
    ///
    /// # Errors
    /// Bytes that do not decode, or an edge without a codec.
    fn decode(&self, bytes: &[u8], keep: &Keep) -> Result<Vec<StreamRecord<In>>, BoxError>;
}

/// Turns an erased channel of some vertex input into an [`InputChannel<In>`].
pub trait InputAdapter<In>: Send + Sync {
    /// Adapts `rx`.
    ///
    /// # Errors
    /// When `rx` has another record type (a Weir bug).
    fn adapt(&self, rx: ErasedReceiver) -> Result<Box<dyn InputChannel<In>>, JobError>;
}

/// A channel with what unaligned checkpoints need around it.
struct Capturing<T> {
    rx: ChannelReceiver<T>,
    codec: Option<RecordCodec<T>>,
    capture: ChannelCapture,
}

impl<T> Capturing<T> {
    fn new(rx: TypedReceiver<T>) -> Self {
        Capturing { rx: rx.channel, codec: rx.codec, capture: ChannelCapture::default() }
    }

    /// Takes an element, capturing a record batch when asked to.
    #[inline]
    fn try_recv(&mut self) -> Received<T> {
        while let Some((position, e)) = self.rx.top_up() {
            if self.capture.knows_barrier() {
                self.capture.offer(position, records(e), self.codec.as_ref());
            }
        }
        let got = self.rx.try_recv();
        if let Received::Element(e) = &got {
            self.capture.offer(self.rx.received(), records(e), self.codec.as_ref());
        }
        got
    }

    fn start_capture(&mut self) {
        self.capture.start(self.rx.received());
    }

    fn capture_until(&mut self, until: u64) {
        self.capture.set_until(until);
        if until != UNTIL_BARRIER {
            self.rx.pull_until(until);
            for (position, e) in self.rx.queued() {
                self.capture.offer(position, records(e), self.codec.as_ref());
            }
        }
    }

    fn decode(&self, bytes: &[u8], keep: &Keep) -> Result<Vec<StreamRecord<T>>, BoxError>
    where
        T: 'static,
    {
        let mut batch = match &self.codec {
            Some(c) => c.decode(bytes)?,
            None => return Err("in-flight records of an edge without a record serializer".into()),
        };
        keep.retain(&mut batch)?;
        Ok(batch)
    }
}

fn records<T>(e: &StreamElement<T>) -> Option<&[StreamRecord<T>]> {
    match e {
        StreamElement::Records(batch) => Some(batch),
        _ => None,
    }
}

/// The channel's records are the head's input.
pub struct Direct;

struct DirectChannel<T>(Capturing<T>);

impl<T: Send + 'static> InputChannel<T> for DirectChannel<T> {
    #[inline]
    fn try_recv(&mut self) -> Received<T> {
        self.0.try_recv()
    }
    fn register<'a>(&'a self, select: &mut Select<'a>) {
        self.0.rx.register(select);
    }
    fn received(&self) -> u64 {
        self.0.rx.received()
    }
    fn start_capture(&mut self) {
        self.0.start_capture();
    }
    fn capture_until(&mut self, until: u64) {
        self.0.capture_until(until);
    }
    fn capture_complete(&self) -> bool {
        self.0.capture.is_complete()
    }
    fn take_captured(&mut self) -> Result<Vec<Vec<u8>>, BoxError> {
        self.0.capture.take()
    }
    fn decode(&self, bytes: &[u8], keep: &Keep) -> Result<Vec<StreamRecord<T>>, BoxError> {
        self.0.decode(bytes, keep)
    }
}

impl<T: Send + 'static> InputAdapter<T> for Direct {
    fn adapt(&self, rx: ErasedReceiver) -> Result<Box<dyn InputChannel<T>>, JobError> {
        Ok(Box::new(DirectChannel(Capturing::new(downcast_receiver::<T>(rx)?))))
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
    rx: Capturing<T>,
    f: F,
}

impl<T, F> MappedChannel<T, F> {
    fn map<In>(&self, batch: Vec<StreamRecord<T>>) -> Vec<StreamRecord<In>>
    where
        F: Fn(T) -> In,
    {
        batch.into_iter().map(|r| StreamRecord { value: (self.f)(r.value), timestamp: r.timestamp }).collect()
    }
}

impl<T: Send + 'static, In: Send + 'static, F: Fn(T) -> In + Send + 'static> InputChannel<In> for MappedChannel<T, F> {
    #[inline]
    fn try_recv(&mut self) -> Received<In> {
        match self.rx.try_recv() {
            Received::Element(StreamElement::Records(batch)) => {
                Received::Element(StreamElement::Records(self.map(batch)))
            }
            Received::Element(StreamElement::Watermark(w)) => Received::Element(StreamElement::Watermark(w)),
            Received::Element(StreamElement::WatermarkStatus(s)) => {
                Received::Element(StreamElement::WatermarkStatus(s))
            }
            Received::Element(StreamElement::Barrier(b)) => Received::Element(StreamElement::Barrier(b)),
            Received::Element(StreamElement::EndOfInput) => Received::Element(StreamElement::EndOfInput),
            Received::Priority(b) => Received::Priority(b),
            Received::Empty => Received::Empty,
            Received::Disconnected => Received::Disconnected,
        }
    }
    fn register<'a>(&'a self, select: &mut Select<'a>) {
        self.rx.rx.register(select);
    }
    fn received(&self) -> u64 {
        self.rx.rx.received()
    }
    fn start_capture(&mut self) {
        self.rx.start_capture();
    }
    fn capture_until(&mut self, until: u64) {
        self.rx.capture_until(until);
    }
    fn capture_complete(&self) -> bool {
        self.rx.capture.is_complete()
    }
    fn take_captured(&mut self) -> Result<Vec<Vec<u8>>, BoxError> {
        self.rx.capture.take()
    }
    fn decode(&self, bytes: &[u8], keep: &Keep) -> Result<Vec<StreamRecord<In>>, BoxError> {
        Ok(self.map(self.rx.decode(bytes, keep)?))
    }
}

impl<T, In, F> InputAdapter<In> for MapInput<T, F>
where
    T: Send + 'static,
    In: Send + 'static,
    F: Fn(T) -> In + Clone + Send + Sync + 'static,
{
    fn adapt(&self, rx: ErasedReceiver) -> Result<Box<dyn InputChannel<In>>, JobError> {
        Ok(Box::new(MappedChannel { rx: Capturing::new(downcast_receiver::<T>(rx)?), f: self.f.clone() }))
    }
}
