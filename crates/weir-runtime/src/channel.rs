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
//! # The priority lane
//! Next to its data lane, every channel has a small priority lane for barriers of
//! unaligned checkpoints, which must overtake the batches queued in the channel (a queue
//! cannot be overtaken, so the barrier takes another one), and for a finished producer's
//! announcement of its end. Each end counts the elements of its data lane; what the
//! priority lane carries says the count the sender had reached ([`Priority`]), so the
//! receiver knows exactly which of the queued batches were sent before it. A receiver created with `watch_priority` returns a barrier
//! before any element sent after it: after taking an element it looks at the priority
//! lane, and if a barrier is there it returns that first and keeps the element for the
//! next call. (The barrier was sent before the element, so it is visible once the element
//! is.) A receiver that does not watch the priority lane costs nothing more than a count.
//!
//! A receiver that watches the priority lane keeps the channel's buffer itself: its data
//! lane holds one element, and the receiver moves elements from it into a queue of its
//! own as long as that holds fewer than the capacity ([`ChannelReceiver::top_up`]). The
//! producer sees the same backpressure as before, but what is queued can now be looked
//! at without taking it ([`ChannelReceiver::queued`]): an unaligned checkpoint stores the
//! batches its barrier overtook while they stay queued for the task, so the in-flight
//! memory stays what the capacity allows.
//!
//! # Replacing the transport
//! Tasks see only [`ChannelSender`] and [`ChannelReceiver`]. Between processes, a
//! network input channel feeds the same kind of local bounded channel from a socket with
//! credit-based flow control, so tasks do not change.

use std::collections::VecDeque;

use crossbeam_channel::{bounded, select, Receiver, Select, Sender, TryRecvError, TrySendError};
use weir_core::{CheckpointBarrier, StreamElement};

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

/// What the priority lane carries. Each says where on the data lane it belongs: right
/// after the first `after` elements the sender sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// A barrier of an unaligned checkpoint.
    Barrier {
        /// The barrier.
        barrier: CheckpointBarrier,
        /// How many data-lane elements precede it.
        after: u64,
    },
    /// The sender has finished: its end of input follows the first `after` elements, and
    /// no barrier will come. A checkpoint need not wait for the end to arrive to know that
    /// everything before it belongs before the checkpoint.
    End {
        /// How many data-lane elements precede the end of input.
        after: u64,
    },
}

/// Barriers a priority lane holds before its sender waits: one per checkpoint in
/// flight, and checkpoints of one job are few at a time.
const PRIORITY_CAPACITY: usize = 16;

/// The sending end of a channel to one subtask.
#[derive(Debug)]
pub struct ChannelSender<T> {
    tx: Sender<StreamElement<T>>,
    priority: Sender<Priority>,
    sent: u64,
}

/// The receiving end of a channel from one subtask.
#[derive(Debug)]
pub struct ChannelReceiver<T> {
    rx: Receiver<StreamElement<T>>,
    priority: Receiver<Priority>,
    watch_priority: bool,
    /// Elements taken from the data lane but not yet returned (watching the priority
    /// lane only), at most `queue_limit` but for those [`Self::pull_until`] takes.
    queue: VecDeque<StreamElement<T>>,
    queue_limit: usize,
    /// Elements taken from the data lane.
    taken: u64,
}

/// A bounded in-process channel holding at most `capacity` elements (batches), whose
/// receiver ignores the priority lane.
pub fn local_channel<T>(capacity: usize) -> (ChannelSender<T>, ChannelReceiver<T>) {
    let (tx, rx) = bounded(capacity);
    let (ptx, prx) = bounded(PRIORITY_CAPACITY);
    (
        ChannelSender { tx, priority: ptx, sent: 0 },
        ChannelReceiver { rx, priority: prx, watch_priority: false, queue: VecDeque::new(), queue_limit: 0, taken: 0 },
    )
}

impl<T> ChannelSender<T> {
    /// Sends `element` on the data lane, blocking while the channel is full.
    ///
    /// # Errors
    /// [`JobError::Cancelled`] when the job is cancelled while waiting, or the receiving
    /// task is gone.
    #[inline]
    pub fn send(&mut self, element: StreamElement<T>, cancel: &CancelToken) -> Result<(), JobError> {
        match self.tx.try_send(element) {
            Ok(()) => {}
            Err(TrySendError::Disconnected(_)) => return Err(JobError::Cancelled),
            Err(TrySendError::Full(element)) => select! {
                send(self.tx, element) -> sent => sent.map_err(|_| JobError::Cancelled)?,
                recv(cancel.rx) -> _ => return Err(JobError::Cancelled),
            },
        }
        self.sent += 1;
        Ok(())
    }

    /// How many elements were sent on the data lane.
    #[inline]
    pub fn sent(&self) -> u64 {
        self.sent
    }

    /// Sends `event` on the priority lane. Its position must be at least [`Self::sent`]:
    /// it may not overtake what is sent after it. It waits only in the unlikely case that
    /// the priority lane is full.
    ///
    /// # Errors
    /// [`JobError::Cancelled`] as for [`Self::send`].
    pub fn send_priority(&mut self, event: Priority, cancel: &CancelToken) -> Result<(), JobError> {
        let (Priority::Barrier { after, .. } | Priority::End { after }) = event;
        debug_assert!(after >= self.sent, "a priority event may overtake only what was sent before it");
        match self.priority.try_send(event) {
            Ok(()) => Ok(()),
            Err(TrySendError::Disconnected(_)) => Err(JobError::Cancelled),
            Err(TrySendError::Full(b)) => select! {
                send(self.priority, b) -> sent => sent.map_err(|_| JobError::Cancelled),
                recv(cancel.rx) -> _ => Err(JobError::Cancelled),
            },
        }
    }
}

/// What a non-blocking receive found.
#[derive(Debug)]
pub enum Received<T> {
    /// An element of the data lane.
    Element(StreamElement<T>),
    /// An event from the priority lane, returned before any element sent after it.
    Priority(Priority),
    /// Nothing yet.
    Empty,
    /// The sender is gone.
    Disconnected,
}

impl<T> ChannelReceiver<T> {
    /// Makes [`Self::try_recv`] return barriers of the priority lane (for a job with
    /// unaligned checkpoints), and [`Self::top_up`] keep up to `queue_limit` elements
    /// taken from the data lane (make that lane hold one element, so that the channel
    /// holds what it did).
    pub fn watch_priority(&mut self, queue_limit: usize) {
        self.watch_priority = true;
        self.queue_limit = queue_limit;
    }

    /// Takes an element if one is ready.
    #[inline]
    pub fn try_recv(&mut self) -> Received<T> {
        if self.watch_priority {
            return self.try_recv_watching();
        }
        match self.rx.try_recv() {
            Ok(e) => {
                self.taken += 1;
                Received::Element(e)
            }
            Err(TryRecvError::Empty) => Received::Empty,
            Err(TryRecvError::Disconnected) => Received::Disconnected,
        }
    }

    fn try_recv_watching(&mut self) -> Received<T> {
        let element = match self.queue.pop_front() {
            Some(e) => Ok(e),
            None => self.rx.try_recv().inspect(|_| self.taken += 1),
        };
        // Every barrier sent before `element` is visible now: return those first.
        if let Ok(b) = self.priority.try_recv() {
            if let Ok(e) = element {
                self.queue.push_front(e);
            }
            return Received::Priority(b);
        }
        match element {
            Ok(e) => Received::Element(e),
            Err(TryRecvError::Empty) => Received::Empty,
            Err(TryRecvError::Disconnected) => Received::Disconnected,
        }
    }

    /// How many data-lane elements [`Self::try_recv`] has returned: the position of the
    /// last one, counting from 1.
    #[inline]
    pub fn received(&self) -> u64 {
        self.taken - self.queue.len() as u64
    }

    /// Takes the data-lane elements up to position `position` out of the channel now,
    /// keeping them for [`Self::try_recv`] (a barrier placed after `position` arrived:
    /// they were sent before it, so they are all there).
    pub fn pull_until(&mut self, position: u64) {
        while self.taken < position {
            match self.rx.try_recv() {
                Ok(e) => {
                    self.queue.push_back(e);
                    self.taken += 1;
                }
                Err(_) => break,
            }
        }
    }

    /// Takes one element from the data lane into the queue, if there is one and the
    /// queue has room; returns it with its position. (Never when the priority lane is
    /// not watched.)
    #[inline]
    pub fn top_up(&mut self) -> Option<(u64, &StreamElement<T>)> {
        if self.queue.len() >= self.queue_limit {
            return None;
        }
        let e = self.rx.try_recv().ok()?;
        self.taken += 1;
        self.queue.push_back(e);
        Some((self.taken, self.queue.back().expect("pushed just above")))
    }

    /// The elements taken but not yet returned, with their positions.
    pub fn queued(&self) -> impl Iterator<Item = (u64, &StreamElement<T>)> {
        let first = self.received() + 1;
        self.queue.iter().enumerate().map(move |(i, e)| (first + i as u64, e))
    }

    /// Registers this channel in a `Select` so a task can block on all its inputs (both
    /// lanes when the priority lane is watched); returns the data lane's index.
    pub fn register<'a>(&'a self, select: &mut Select<'a>) -> usize {
        if self.watch_priority {
            select.recv(&self.priority);
        }
        select.recv(&self.rx)
    }
}

#[cfg(test)]
mod tests {
    use weir_core::{CheckpointId, CheckpointMode, StreamRecord};

    use super::*;

    fn batch(v: u32) -> StreamElement<u32> {
        StreamElement::Records(vec![StreamRecord::new(v)])
    }

    fn value(r: Received<u32>) -> String {
        match r {
            Received::Element(StreamElement::Records(b)) => b[0].value.to_string(),
            Received::Priority(Priority::Barrier { after, .. }) => format!("barrier after {after}"),
            Received::Priority(Priority::End { after }) => format!("end after {after}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn a_watching_receiver_returns_priority_events_before_what_was_sent_after_them() {
        let (_canceller, cancel) = cancellation();
        let (mut tx, mut rx) = local_channel::<u32>(8);
        rx.watch_priority(8);
        let barrier = CheckpointBarrier::new(CheckpointId(1), 0, CheckpointMode::Unaligned);
        tx.send(batch(1), &cancel).unwrap();
        tx.send(batch(2), &cancel).unwrap();
        tx.send_priority(Priority::Barrier { barrier, after: 2 }, &cancel).unwrap();
        tx.send(batch(3), &cancel).unwrap();
        tx.send_priority(Priority::End { after: tx.sent() }, &cancel).unwrap();
        // The queue can be looked at without taking from it, with positions.
        while rx.top_up().is_some() {}
        let queued: Vec<u64> = rx.queued().map(|(p, _)| p).collect();
        assert_eq!(queued, vec![1, 2, 3]);
        let got: Vec<String> = (0..6).map(|_| value(rx.try_recv())).collect();
        assert_eq!(got, ["barrier after 2", "end after 3", "1", "2", "3", "Empty"]);
        assert_eq!(rx.received(), 3);
    }

    #[test]
    fn an_ignoring_receiver_only_counts() {
        let (_canceller, cancel) = cancellation();
        let (mut tx, mut rx) = local_channel::<u32>(2);
        let barrier = CheckpointBarrier::new(CheckpointId(1), 0, CheckpointMode::Unaligned);
        tx.send(batch(1), &cancel).unwrap();
        tx.send_priority(Priority::Barrier { barrier, after: 1 }, &cancel).unwrap();
        assert!(rx.top_up().is_none());
        assert_eq!(value(rx.try_recv()), "1");
        assert_eq!(value(rx.try_recv()), "Empty");
        assert_eq!((tx.sent(), rx.received()), (1, 1));
    }
}
