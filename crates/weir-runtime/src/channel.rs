//! Bounded channels between tasks, and the cancellation signal every blocking call
//! watches.
//!
//! # Backpressure
//! A channel holds at most `capacity` batches. A producer whose channel is full blocks
//! until the consumer takes one, so a slow sink slows every task upstream of it and
//! memory stays bounded. Nothing in the runtime is an unbounded queue.
//!
//! # Cancellation
//! A blocked producer or consumer also watches the job's [`CancelToken`]: when the job
//! is cancelled (or another task failed) it wakes up and returns
//! [`JobError::Cancelled`]. A channel whose other end is gone without an end-of-input
//! means that task stopped abnormally, which is treated the same way.
//!
//! # Replacing the transport
//! Tasks see only [`ChannelSender`] and [`ChannelReceiver`]. Between processes, a
//! network input channel feeds the same kind of local bounded channel from a socket with
//! credit-based flow control, so tasks do not change.

use crossbeam_channel::{bounded, select, Receiver, Select, Sender, TryRecvError, TrySendError};
use weir_core::StreamElement;

use crate::JobError;

/// The job-wide cancellation signal: cancelled once its [`Canceller`] is dropped or
/// fires.
#[derive(Debug, Clone)]
pub struct CancelToken {
    rx: Receiver<()>,
}

/// Cancels every task of a job holding the matching [`CancelToken`].
#[derive(Debug)]
pub struct Canceller {
    tx: Option<Sender<()>>,
}

/// A new cancellation signal.
pub fn cancellation() -> (Canceller, CancelToken) {
    let (tx, rx) = bounded(0);
    (Canceller { tx: Some(tx) }, CancelToken { rx })
}

impl Canceller {
    /// Cancels the job: every blocked task wakes up.
    pub fn cancel(&mut self) {
        self.tx = None;
    }
}

impl CancelToken {
    /// Whether the job was cancelled.
    #[inline]
    pub fn is_cancelled(&self) -> bool {
        matches!(self.rx.try_recv(), Err(TryRecvError::Disconnected))
    }

    /// Registers the signal in a `Select`, for tasks that block on several things.
    pub fn register<'a>(&'a self, select: &mut Select<'a>) -> usize {
        select.recv(&self.rx)
    }

    /// Blocks for at most `timeout`; returns whether the job was cancelled.
    pub fn wait(&self, timeout: std::time::Duration) -> bool {
        matches!(self.rx.recv_timeout(timeout), Err(crossbeam_channel::RecvTimeoutError::Disconnected))
    }
}

/// The sending end of a channel to one subtask.
#[derive(Debug)]
pub struct ChannelSender<T> {
    tx: Sender<StreamElement<T>>,
}

/// The receiving end of a channel from one subtask.
#[derive(Debug)]
pub struct ChannelReceiver<T> {
    rx: Receiver<StreamElement<T>>,
}

/// A bounded in-process channel holding at most `capacity` elements (batches).
pub fn local_channel<T>(capacity: usize) -> (ChannelSender<T>, ChannelReceiver<T>) {
    let (tx, rx) = bounded(capacity);
    (ChannelSender { tx }, ChannelReceiver { rx })
}

impl<T> ChannelSender<T> {
    /// Sends `element`, blocking while the channel is full.
    ///
    /// # Errors
    /// [`JobError::Cancelled`] when the job is cancelled while waiting, or the receiving
    /// task is gone.
    #[inline]
    pub fn send(&self, element: StreamElement<T>, cancel: &CancelToken) -> Result<(), JobError> {
        match self.tx.try_send(element) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(_)) => Err(JobError::Cancelled),
            Err(TrySendError::Full(element)) => select! {
                send(self.tx, element) -> sent => sent.map_err(|_| JobError::Cancelled),
                recv(cancel.rx) -> _ => Err(JobError::Cancelled),
            },
        }
    }
}

/// What a non-blocking receive found.
#[derive(Debug)]
pub enum Received<T> {
    /// An element.
    Element(StreamElement<T>),
    /// Nothing yet.
    Empty,
    /// The sender is gone.
    Disconnected,
}

impl<T> ChannelReceiver<T> {
    /// Takes an element if one is ready.
    #[inline]
    pub fn try_recv(&self) -> Received<T> {
        match self.rx.try_recv() {
            Ok(e) => Received::Element(e),
            Err(TryRecvError::Empty) => Received::Empty,
            Err(TryRecvError::Disconnected) => Received::Disconnected,
        }
    }

    /// Registers this channel in a `Select` so a task can block on all its inputs.
    pub fn register<'a>(&'a self, select: &mut Select<'a>) -> usize {
        select.recv(&self.rx)
    }
}
