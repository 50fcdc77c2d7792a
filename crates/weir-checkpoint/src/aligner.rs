//! The input side of a checkpoint in one task: barriers arrive on the task's input
//! channels, and the [`BarrierAligner`] decides when to block a channel, when to take the
//! snapshot, which channels' in-flight records to store, and when to give a checkpoint up
//! (Flink's `CheckpointBarrierHandler`: `SingleCheckpointBarrierHandler` and
//! `CheckpointBarrierTracker` in one state machine).
//!
//! It is a pure state machine in the style of the runtime's `WatermarkValve`: the task
//! loop feeds it events and executes the [`AlignerDecision`]s it returns, in order, before
//! it takes the next element from any channel.

use crate::{AbortReason, CheckpointBarrier, CheckpointError, CheckpointId, CheckpointMode};

/// What the task must do after an event, executed in the order given and before the next
/// element is taken from any channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlignerDecision {
    /// Take nothing more from this channel until [`AlignerDecision::UnblockAll`]: its
    /// next records belong after the checkpoint (aligned mode).
    BlockChannel(usize),
    /// Take from every channel again.
    UnblockAll,
    /// Snapshot the operator state now and forward the barrier downstream.
    ///
    /// Aligned and at-least-once: every open channel has delivered the barrier.
    /// Unaligned: the first channel has; the snapshot is only complete with the channel
    /// state that the `StartPersistingChannel` decisions which follow ask for.
    TriggerSnapshot(CheckpointBarrier),
    /// Unaligned: store every record taken from this channel, from now until its
    /// barrier arrives, with the snapshot (the records are before the barrier upstream but
    /// are processed after the snapshot here).
    StartPersistingChannel(usize),
    /// Unaligned: this channel's barrier (or its end of input) arrived; its in-flight
    /// records are all stored.
    StopPersistingChannel(usize),
    /// Unaligned: every channel's in-flight records are stored; the task's part of the
    /// checkpoint is complete once its snapshot is uploaded, and it may acknowledge.
    FinishChannelState(CheckpointId),
    /// Give the checkpoint up: discard any snapshot begun for it and decline it to the
    /// coordinator with the reason; in aligned mode, send a cancellation downstream.
    AbortCheckpoint(CheckpointId, AbortReason),
}

/// One checkpoint some channel has delivered the barrier of, not yet finished.
#[derive(Debug, Clone)]
struct Pending {
    barrier: CheckpointBarrier,
    arrived: Vec<bool>,
}

/// Barrier alignment for a task with `channels` input channels.
///
/// # Protocol
///
/// Each checkpoint is handled in the mode its barrier carries.
///
/// 1. The first barrier of checkpoint *n* starts it. If an unfinished checkpoint is
///    still pending, it is aborted (`Subsumed`) — except that at-least-once checkpoints
///    may overlap, since they hold nothing. Barriers of checkpoints at or below the
///    newest finished or aborted one, or below the one being aligned, are stale and ignored.
/// 2. *Aligned:* a channel that delivered barrier *n* is blocked, so the records after
///    the barrier wait. *At-least-once:* nothing is blocked. *Unaligned:* the snapshot is
///    triggered at once, and every other open channel starts persisting its records.
/// 3. A channel counts as aligned for *n* when it delivered barrier *n* or ended (an end
///    of input during alignment counts as aligned, as in Flink once tasks may finish).
///    In unaligned mode, an aligned channel stops persisting.
/// 4. When every channel is aligned: *aligned* triggers the snapshot, then unblocks all;
///    *at-least-once* triggers the snapshot (and aborts older overlapping checkpoints,
///    now subsumed); *unaligned* finishes the channel state.
/// 5. A cancellation of *n* aborts *n* if pending (announcing the abort even if *n* was
///    never seen, so the task declines it promptly), aborts older pending checkpoints, and
///    makes every later barrier of *n* stale.
///
/// # Invariant
///
/// Aligned: a channel is blocked exactly while it has delivered the barrier of the
/// pending checkpoint and some open channel has not, so the snapshot sees every record
/// before the barrier on every channel and none after. Unaligned: a channel persists
/// exactly while the snapshot is triggered and its barrier has not come, so the snapshot
/// plus the stored records are again exactly the records before the barrier. In every
/// mode, a checkpoint is triggered at most once and finishes or aborts exactly once.
///
/// # Example
///
/// ```
/// use weir_checkpoint::{AlignerDecision::*, BarrierAligner, CheckpointBarrier, CheckpointId, CheckpointMode};
/// let b = CheckpointBarrier::new(CheckpointId(1), 0, CheckpointMode::AlignedExactlyOnce);
/// let mut aligner = BarrierAligner::new(2);
/// assert_eq!(aligner.on_barrier(0, b)?, vec![BlockChannel(0)]);
/// assert_eq!(aligner.on_barrier(1, b)?, vec![TriggerSnapshot(b), UnblockAll]);
/// # Ok::<(), weir_checkpoint::CheckpointError>(())
/// ```
#[derive(Debug, Clone)]
pub struct BarrierAligner {
    ended: Vec<bool>,
    blocked: Vec<bool>,
    persisting: Vec<bool>,
    /// Ascending ids, all above `done_up_to`; more than one only if all are at-least-once.
    pending: Vec<Pending>,
    /// Every checkpoint at or below this one is finished, aborted or skipped.
    done_up_to: CheckpointId,
}

impl BarrierAligner {
    /// An aligner for a task with `channels` input channels, none blocked.
    ///
    /// ```
    /// use weir_checkpoint::BarrierAligner;
    /// let aligner = BarrierAligner::new(3);
    /// assert!(!aligner.is_blocked(0));
    /// ```
    pub fn new(channels: usize) -> Self {
        BarrierAligner {
            ended: vec![false; channels],
            blocked: vec![false; channels],
            persisting: vec![false; channels],
            pending: Vec::new(),
            done_up_to: CheckpointId(0),
        }
    }

    /// Whether `channel` is blocked for alignment (false for an unknown channel).
    pub fn is_blocked(&self, channel: usize) -> bool {
        self.blocked.get(channel).copied().unwrap_or(false)
    }

    /// Whether `channel` delivered its end of input (false for an unknown channel).
    pub fn is_ended(&self, channel: usize) -> bool {
        self.ended.get(channel).copied().unwrap_or(false)
    }

    /// Whether records taken from `channel` must be stored with the snapshot.
    pub fn is_persisting(&self, channel: usize) -> bool {
        self.persisting.get(channel).copied().unwrap_or(false)
    }

    /// The checkpoints some channel delivered the barrier of and that are not finished.
    pub fn pending(&self) -> Vec<CheckpointId> {
        self.pending.iter().map(|p| p.barrier.id).collect()
    }

    /// `barrier` arrived on `channel`.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::ChannelOutOfRange`], [`CheckpointError::ChannelEnded`],
    /// [`CheckpointError::ChannelBlocked`] or [`CheckpointError::DuplicateBarrier`] when
    /// the caller breaks the protocol (a bug in the task loop or upstream).
    pub fn on_barrier(
        &mut self,
        channel: usize,
        barrier: CheckpointBarrier,
    ) -> Result<Vec<AlignerDecision>, CheckpointError> {
        self.check_open(channel)?;
        let id = barrier.id;
        let mut out = Vec::new();
        if id <= self.done_up_to {
            return Ok(out);
        }
        let index = match self.pending.iter().position(|p| p.barrier.id == id) {
            Some(i) if self.pending[i].arrived[channel] => {
                return Err(CheckpointError::DuplicateBarrier { channel, checkpoint: id });
            }
            Some(i) => {
                self.pending[i].arrived[channel] = true;
                i
            }
            None => match self.start(channel, barrier, &mut out) {
                Some(i) => i,
                None => return Ok(out),
            },
        };
        let pending = &self.pending[index];
        match pending.barrier.mode {
            CheckpointMode::AlignedExactlyOnce if !self.is_complete(pending) => {
                self.blocked[channel] = true;
                out.push(AlignerDecision::BlockChannel(channel));
            }
            CheckpointMode::Unaligned if self.persisting[channel] => {
                self.persisting[channel] = false;
                out.push(AlignerDecision::StopPersistingChannel(channel));
            }
            _ => {}
        }
        self.settle(&mut out);
        Ok(out)
    }

    /// `channel` delivered its end of input.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::ChannelOutOfRange`], [`CheckpointError::ChannelEnded`] or
    /// [`CheckpointError::ChannelBlocked`] when the caller breaks the protocol.
    pub fn on_end_of_input(&mut self, channel: usize) -> Result<Vec<AlignerDecision>, CheckpointError> {
        self.check_open(channel)?;
        self.ended[channel] = true;
        let mut out = Vec::new();
        if self.persisting[channel] {
            self.persisting[channel] = false;
            out.push(AlignerDecision::StopPersistingChannel(channel));
        }
        self.settle(&mut out);
        Ok(out)
    }

    /// The alignment timeout of `barrier` (unaligned, with an alignment timeout, which the
    /// task feeds as aligned while it aligns) has passed: its checkpoint becomes unaligned.
    /// The snapshot is triggered now, the open channels whose barrier has not arrived
    /// persist their records until it does, and blocked channels are released; it then
    /// finishes as an unaligned checkpoint. If no channel has delivered the barrier yet,
    /// the checkpoint starts here (older pending ones are subsumed). Nothing happens for a
    /// checkpoint already finished, unaligned, or older than a pending one.
    ///
    /// ```
    /// use weir_checkpoint::{AlignerDecision::*, BarrierAligner, CheckpointBarrier, CheckpointId, CheckpointMode};
    /// let u = CheckpointBarrier::new(CheckpointId(1), 0, CheckpointMode::Unaligned).with_aligned_timeout(5);
    /// let a = CheckpointBarrier { mode: CheckpointMode::AlignedExactlyOnce, ..u };
    /// let mut aligner = BarrierAligner::new(2);
    /// aligner.on_barrier(0, a)?;
    /// assert_eq!(aligner.on_alignment_timeout(u), vec![TriggerSnapshot(u), StartPersistingChannel(1), UnblockAll]);
    /// assert_eq!(aligner.on_barrier(1, u)?, vec![StopPersistingChannel(1), FinishChannelState(u.id)]);
    /// # Ok::<(), weir_checkpoint::CheckpointError>(())
    /// ```
    pub fn on_alignment_timeout(&mut self, barrier: CheckpointBarrier) -> Vec<AlignerDecision> {
        let mut out = Vec::new();
        let id = barrier.id;
        let unaligned = CheckpointBarrier { mode: CheckpointMode::Unaligned, ..barrier };
        if id <= self.done_up_to || self.pending.last().is_some_and(|p| p.barrier.id > id) {
            return out;
        }
        let arrived = match self.pending.iter_mut().find(|p| p.barrier.id == id) {
            Some(p) if p.barrier.mode != CheckpointMode::AlignedExactlyOnce => return out,
            Some(p) => {
                p.barrier.mode = CheckpointMode::Unaligned;
                p.arrived.clone()
            }
            None => {
                for older in std::mem::take(&mut self.pending) {
                    self.abort(older, AbortReason::Subsumed { by: id }, &mut out);
                }
                let arrived = vec![false; self.ended.len()];
                self.pending.push(Pending { barrier: unaligned, arrived: arrived.clone() });
                arrived
            }
        };
        out.push(AlignerDecision::TriggerSnapshot(unaligned));
        for (c, arrived) in arrived.into_iter().enumerate() {
            if !arrived && !self.ended[c] {
                self.persisting[c] = true;
                out.push(AlignerDecision::StartPersistingChannel(c));
            }
        }
        self.unblock_all(&mut out);
        self.settle(&mut out);
        out
    }

    /// Checkpoint `checkpoint` was cancelled (a cancellation marker from upstream, or the
    /// coordinator's abort notice).
    ///
    /// ```
    /// use weir_checkpoint::{AbortReason, AlignerDecision::*, BarrierAligner, CheckpointBarrier, CheckpointId, CheckpointMode};
    /// let b = CheckpointBarrier::new(CheckpointId(1), 0, CheckpointMode::AlignedExactlyOnce);
    /// let mut aligner = BarrierAligner::new(2);
    /// aligner.on_barrier(0, b)?;
    /// assert_eq!(aligner.on_cancel(CheckpointId(1)), vec![AbortCheckpoint(CheckpointId(1), AbortReason::Cancelled), UnblockAll]);
    /// assert_eq!(aligner.on_barrier(1, b)?, vec![]); // stale now
    /// # Ok::<(), weir_checkpoint::CheckpointError>(())
    /// ```
    pub fn on_cancel(&mut self, checkpoint: CheckpointId) -> Vec<AlignerDecision> {
        let mut out = Vec::new();
        if checkpoint <= self.done_up_to {
            return out;
        }
        while self.pending.first().is_some_and(|p| p.barrier.id < checkpoint) {
            let older = self.pending.remove(0);
            self.abort(older, AbortReason::Subsumed { by: checkpoint }, &mut out);
        }
        if self.pending.first().is_some_and(|p| p.barrier.id == checkpoint) {
            let cancelled = self.pending.remove(0);
            self.abort(cancelled, AbortReason::Cancelled, &mut out);
        } else {
            out.push(AlignerDecision::AbortCheckpoint(checkpoint, AbortReason::Cancelled));
        }
        self.done_up_to = self.done_up_to.max(checkpoint);
        out
    }

    fn check_open(&self, channel: usize) -> Result<(), CheckpointError> {
        let channels = self.ended.len();
        if channel >= channels {
            return Err(CheckpointError::ChannelOutOfRange { channel, channels });
        }
        if self.ended[channel] {
            return Err(CheckpointError::ChannelEnded { channel });
        }
        if self.blocked[channel] {
            return Err(CheckpointError::ChannelBlocked { channel });
        }
        Ok(())
    }

    /// Starts the checkpoint of `barrier`, first delivered on `channel` (steps 1 and 2).
    /// Returns its index in `pending`, or `None` if the barrier is stale.
    fn start(&mut self, channel: usize, barrier: CheckpointBarrier, out: &mut Vec<AlignerDecision>) -> Option<usize> {
        let id = barrier.id;
        let overlap = barrier.mode == CheckpointMode::AtLeastOnce
            && self.pending.iter().all(|p| p.barrier.mode == CheckpointMode::AtLeastOnce);
        if !overlap {
            if self.pending.last().is_some_and(|p| p.barrier.id > id) {
                return None;
            }
            for older in std::mem::take(&mut self.pending) {
                self.abort(older, AbortReason::Subsumed { by: id }, out);
            }
        }
        let mut arrived = vec![false; self.ended.len()];
        arrived[channel] = true;
        let index = self.pending.partition_point(|p| p.barrier.id < id);
        self.pending.insert(index, Pending { barrier, arrived });
        if barrier.mode == CheckpointMode::Unaligned {
            out.push(AlignerDecision::TriggerSnapshot(barrier));
            for c in 0..self.ended.len() {
                if c != channel && !self.ended[c] {
                    self.persisting[c] = true;
                    out.push(AlignerDecision::StartPersistingChannel(c));
                }
            }
        }
        Some(index)
    }

    fn is_complete(&self, pending: &Pending) -> bool {
        pending.arrived.iter().zip(&self.ended).all(|(&arrived, &ended)| arrived || ended)
    }

    /// Finishes every pending checkpoint all channels are aligned for (step 4), oldest
    /// first; older incomplete ones are subsumed.
    fn settle(&mut self, out: &mut Vec<AlignerDecision>) {
        while let Some(i) = self.pending.iter().position(|p| self.is_complete(p)) {
            let done = self.pending.remove(i);
            let id = done.barrier.id;
            for older in self.pending.drain(..i).collect::<Vec<_>>() {
                self.abort(older, AbortReason::Subsumed { by: id }, out);
            }
            self.done_up_to = self.done_up_to.max(id);
            match done.barrier.mode {
                CheckpointMode::AlignedExactlyOnce => {
                    out.push(AlignerDecision::TriggerSnapshot(done.barrier));
                    self.unblock_all(out);
                }
                CheckpointMode::AtLeastOnce => out.push(AlignerDecision::TriggerSnapshot(done.barrier)),
                CheckpointMode::Unaligned => out.push(AlignerDecision::FinishChannelState(id)),
            }
        }
    }

    /// Aborts `pending`, already removed from the list, and releases what it holds.
    fn abort(&mut self, pending: Pending, reason: AbortReason, out: &mut Vec<AlignerDecision>) {
        let id = pending.barrier.id;
        out.push(AlignerDecision::AbortCheckpoint(id, reason));
        match pending.barrier.mode {
            CheckpointMode::AlignedExactlyOnce => self.unblock_all(out),
            CheckpointMode::Unaligned => {
                for c in 0..self.persisting.len() {
                    if self.persisting[c] {
                        self.persisting[c] = false;
                        out.push(AlignerDecision::StopPersistingChannel(c));
                    }
                }
            }
            CheckpointMode::AtLeastOnce => {}
        }
        self.done_up_to = self.done_up_to.max(id);
    }

    fn unblock_all(&mut self, out: &mut Vec<AlignerDecision>) {
        if self.blocked.iter().any(|&b| b) {
            self.blocked.iter_mut().for_each(|b| *b = false);
            out.push(AlignerDecision::UnblockAll);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AlignerDecision::*;
    use super::*;
    use crate::CheckpointMode::{AlignedExactlyOnce as Aligned, AtLeastOnce, Unaligned};

    const MODES: [CheckpointMode; 3] = [Aligned, AtLeastOnce, Unaligned];

    fn barrier(id: u64, mode: CheckpointMode) -> CheckpointBarrier {
        CheckpointBarrier::new(CheckpointId(id), id * 100, mode)
    }

    fn subsumed(by: u64) -> AbortReason {
        AbortReason::Subsumed { by: CheckpointId(by) }
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Ev {
        B(usize, u64, CheckpointMode),
        End(usize),
        Cancel(u64),
        Timeout(u64),
    }
    use Ev::*;

    fn apply(a: &mut BarrierAligner, ev: Ev) -> Result<Vec<AlignerDecision>, CheckpointError> {
        match ev {
            B(c, id, mode) => a.on_barrier(c, barrier(id, mode)),
            End(c) => a.on_end_of_input(c),
            Cancel(id) => Ok(a.on_cancel(CheckpointId(id))),
            Timeout(id) => Ok(a.on_alignment_timeout(barrier(id, Unaligned))),
        }
    }

    /// An event and the decisions it must produce.
    type Step = (Ev, Vec<AlignerDecision>);

    #[test]
    fn scripted_scenarios() {
        let t = |id, mode| TriggerSnapshot(barrier(id, mode));
        let abort = |id, reason| AbortCheckpoint(CheckpointId(id), reason);
        let cases: Vec<(&str, usize, Vec<Step>)> = vec![
            ("aligned, one channel: no blocking", 1, vec![(B(0, 1, Aligned), vec![t(1, Aligned)])]),
            (
                "aligned, three channels: block until the last, trigger, then unblock",
                3,
                vec![
                    (B(0, 1, Aligned), vec![BlockChannel(0)]),
                    (B(2, 1, Aligned), vec![BlockChannel(2)]),
                    (B(1, 1, Aligned), vec![t(1, Aligned), UnblockAll]),
                ],
            ),
            (
                "aligned, a channel ends mid-alignment: it counts as aligned",
                2,
                vec![(B(0, 1, Aligned), vec![BlockChannel(0)]), (End(1), vec![t(1, Aligned), UnblockAll])],
            ),
            (
                "aligned, a channel ended before: only open channels are waited for",
                2,
                vec![(End(1), vec![]), (B(0, 1, Aligned), vec![t(1, Aligned)])],
            ),
            (
                "aligned, cancelled mid-alignment: abort, unblock, later barriers are stale",
                2,
                vec![
                    (B(0, 1, Aligned), vec![BlockChannel(0)]),
                    (Cancel(1), vec![abort(1, AbortReason::Cancelled), UnblockAll]),
                    (B(1, 1, Aligned), vec![]),
                    (B(0, 2, Aligned), vec![BlockChannel(0)]),
                    (B(1, 2, Aligned), vec![t(2, Aligned), UnblockAll]),
                ],
            ),
            (
                "aligned, a newer barrier overtakes an unfinished alignment",
                3,
                vec![
                    (B(0, 1, Aligned), vec![BlockChannel(0)]),
                    (B(1, 2, Aligned), vec![abort(1, subsumed(2)), UnblockAll, BlockChannel(1)]),
                    (B(2, 1, Aligned), vec![]),
                    (B(0, 2, Aligned), vec![BlockChannel(0)]),
                    (B(2, 2, Aligned), vec![t(2, Aligned), UnblockAll]),
                ],
            ),
            (
                "a cancellation of a checkpoint never seen is announced and makes it stale",
                2,
                vec![
                    (Cancel(3), vec![abort(3, AbortReason::Cancelled)]),
                    (B(0, 3, Aligned), vec![]),
                    (B(0, 2, Aligned), vec![]),
                    (Cancel(2), vec![]),
                    (B(0, 4, Aligned), vec![BlockChannel(0)]),
                ],
            ),
            (
                "a barrier older than the one being aligned is stale, even if never seen",
                2,
                vec![
                    (B(0, 2, Aligned), vec![BlockChannel(0)]),
                    (B(1, 1, Aligned), vec![]),
                    (B(1, 2, Aligned), vec![t(2, Aligned), UnblockAll]),
                ],
            ),
            (
                "unaligned: an older barrier arriving during capture is stale",
                2,
                vec![
                    (B(0, 2, Unaligned), vec![t(2, Unaligned), StartPersistingChannel(1)]),
                    (B(1, 1, Unaligned), vec![]),
                    (B(1, 2, Unaligned), vec![StopPersistingChannel(1), FinishChannelState(CheckpointId(2))]),
                ],
            ),
            (
                "a cancellation after the snapshot changes nothing",
                1,
                vec![(B(0, 1, Aligned), vec![t(1, Aligned)]), (Cancel(1), vec![])],
            ),
            (
                "at-least-once never blocks and lets checkpoints overlap",
                2,
                vec![
                    (B(0, 1, AtLeastOnce), vec![]),
                    (B(0, 2, AtLeastOnce), vec![]),
                    (B(1, 1, AtLeastOnce), vec![t(1, AtLeastOnce)]),
                    (B(1, 2, AtLeastOnce), vec![t(2, AtLeastOnce)]),
                ],
            ),
            (
                "at-least-once, cancelling the newer aborts the older too",
                2,
                vec![
                    (B(0, 1, AtLeastOnce), vec![]),
                    (B(0, 2, AtLeastOnce), vec![]),
                    (Cancel(2), vec![abort(1, subsumed(2)), abort(2, AbortReason::Cancelled)]),
                    (B(1, 1, AtLeastOnce), vec![]),
                    (B(1, 2, AtLeastOnce), vec![]),
                ],
            ),
            (
                "at-least-once, an end of input completes every overlapping checkpoint in order",
                2,
                vec![
                    (B(0, 1, AtLeastOnce), vec![]),
                    (B(0, 2, AtLeastOnce), vec![]),
                    (End(1), vec![t(1, AtLeastOnce), t(2, AtLeastOnce)]),
                ],
            ),
            (
                "at-least-once, a barrier skipping an older checkpoint subsumes it",
                2,
                vec![
                    (B(0, 1, AtLeastOnce), vec![]),
                    (B(0, 2, AtLeastOnce), vec![]),
                    // Channel 1 never delivers 1 (its upstream cancelled it without telling us).
                    (B(1, 2, AtLeastOnce), vec![abort(1, subsumed(2)), t(2, AtLeastOnce)]),
                ],
            ),
            (
                "an aligned savepoint barrier ends overlapping at-least-once checkpoints",
                2,
                vec![
                    (B(0, 1, AtLeastOnce), vec![]),
                    (B(0, 2, Aligned), vec![abort(1, subsumed(2)), BlockChannel(0)]),
                    (B(1, 2, Aligned), vec![t(2, Aligned), UnblockAll]),
                ],
            ),
            (
                "unaligned, one channel: trigger and finish at once",
                1,
                vec![(B(0, 1, Unaligned), vec![t(1, Unaligned), FinishChannelState(CheckpointId(1))])],
            ),
            (
                "unaligned: trigger at the first barrier, persist the others until theirs",
                3,
                vec![
                    (B(1, 1, Unaligned), vec![t(1, Unaligned), StartPersistingChannel(0), StartPersistingChannel(2)]),
                    (B(0, 1, Unaligned), vec![StopPersistingChannel(0)]),
                    (B(2, 1, Unaligned), vec![StopPersistingChannel(2), FinishChannelState(CheckpointId(1))]),
                ],
            ),
            (
                "unaligned, an ended channel is not persisted",
                3,
                vec![
                    (End(2), vec![]),
                    (B(0, 1, Unaligned), vec![t(1, Unaligned), StartPersistingChannel(1)]),
                    (End(1), vec![StopPersistingChannel(1), FinishChannelState(CheckpointId(1))]),
                ],
            ),
            (
                "unaligned, a newer barrier aborts the unfinished one and persists again",
                2,
                vec![
                    (B(0, 1, Unaligned), vec![t(1, Unaligned), StartPersistingChannel(1)]),
                    (
                        B(0, 2, Unaligned),
                        vec![
                            abort(1, subsumed(2)),
                            StopPersistingChannel(1),
                            t(2, Unaligned),
                            StartPersistingChannel(1),
                        ],
                    ),
                    // Records between barriers 1 and 2 on channel 1 are before barrier 2: still persisted.
                    (B(1, 1, Unaligned), vec![]),
                    (B(1, 2, Unaligned), vec![StopPersistingChannel(1), FinishChannelState(CheckpointId(2))]),
                ],
            ),
            (
                "aligned with a timeout: the timeout switches it to unaligned, the rest persist",
                3,
                vec![
                    (B(0, 1, Aligned), vec![BlockChannel(0)]),
                    (End(2), vec![]),
                    (Timeout(1), vec![t(1, Unaligned), StartPersistingChannel(1), UnblockAll]),
                    (Timeout(1), vec![]),
                    (B(1, 1, Aligned), vec![StopPersistingChannel(1), FinishChannelState(CheckpointId(1))]),
                    (Timeout(1), vec![]),
                ],
            ),
            (
                "aligned with a timeout: no channel reached it, an older one was aligning",
                2,
                vec![
                    (B(0, 1, Aligned), vec![BlockChannel(0)]),
                    (
                        Timeout(2),
                        vec![
                            abort(1, subsumed(2)),
                            UnblockAll,
                            t(2, Unaligned),
                            StartPersistingChannel(0),
                            StartPersistingChannel(1),
                        ],
                    ),
                    (Timeout(1), vec![]),
                    (B(1, 2, Unaligned), vec![StopPersistingChannel(1)]),
                    (End(0), vec![StopPersistingChannel(0), FinishChannelState(CheckpointId(2))]),
                ],
            ),
            (
                "aligned with a timeout: aligned in time, the timeout comes too late",
                2,
                vec![
                    (B(0, 1, Aligned), vec![BlockChannel(0)]),
                    (B(1, 1, Aligned), vec![t(1, Aligned), UnblockAll]),
                    (Timeout(1), vec![]),
                ],
            ),
            (
                "unaligned, cancelled while persisting",
                2,
                vec![
                    (B(1, 1, Unaligned), vec![t(1, Unaligned), StartPersistingChannel(0)]),
                    (Cancel(1), vec![abort(1, AbortReason::Cancelled), StopPersistingChannel(0)]),
                    (B(0, 1, Unaligned), vec![]),
                ],
            ),
        ];
        for (name, channels, steps) in cases {
            let mut a = BarrierAligner::new(channels);
            for (i, (ev, want)) in steps.into_iter().enumerate() {
                let got = apply(&mut a, ev).unwrap_or_else(|e| panic!("{name}, step {i} ({ev:?}): {e}"));
                assert_eq!(got, want, "{name}, step {i} ({ev:?})");
            }
        }
    }

    #[test]
    fn protocol_violations_are_errors() {
        let cases: Vec<(&str, usize, Vec<Ev>, Ev, &str)> = vec![
            ("unknown channel", 2, vec![], B(2, 1, Aligned), "out of range"),
            ("end of an unknown channel", 2, vec![], End(5), "out of range"),
            ("barrier after end", 2, vec![End(0)], B(0, 1, AtLeastOnce), "after its end"),
            ("end twice", 2, vec![End(0)], End(0), "after its end"),
            ("element on a blocked channel", 2, vec![B(0, 1, Aligned)], B(0, 2, Aligned), "while blocked"),
            ("end on a blocked channel", 2, vec![B(0, 1, Aligned)], End(0), "while blocked"),
            ("duplicate barrier", 2, vec![B(0, 1, AtLeastOnce)], B(0, 1, AtLeastOnce), "twice"),
            ("duplicate unaligned barrier", 2, vec![B(0, 1, Unaligned)], B(0, 1, Unaligned), "twice"),
        ];
        for (name, channels, setup, ev, want) in cases {
            let mut a = BarrierAligner::new(channels);
            for s in setup {
                apply(&mut a, s).unwrap_or_else(|e| panic!("{name}: setup failed: {e}"));
            }
            match apply(&mut a, ev) {
                Err(e) => {
                    assert!(e.to_string().contains(want), "{name}: {e}");
                    assert_eq!(e.kind(), weir_core::ErrorKind::Internal, "{name}");
                }
                Ok(d) => panic!("{name}: expected an error, got {d:?}"),
            }
        }
    }

    /// What happened along one interleaving, reconstructed from the decisions alone.
    #[derive(Debug, Clone, Default)]
    struct Observed {
        triggered: Vec<u64>,
        finished: Vec<u64>,
        aborted: Vec<(u64, AbortReason)>,
        /// Per channel: blocked / persisting according to the decisions seen so far.
        blocked: Vec<bool>,
        persisting: Vec<bool>,
        /// The unaligned checkpoint whose channel state is being captured.
        capturing: Option<u64>,
    }

    /// Walks every order in which the channels can deliver their scripts, honouring
    /// blocking, and checks each step and each complete run.
    struct Explorer {
        mode: CheckpointMode,
        scripts: Vec<Vec<Ev>>,
        runs: usize,
    }

    impl Explorer {
        fn explore(&mut self, a: &BarrierAligner, next: &mut Vec<usize>, trace: &mut Vec<Ev>, seen: &Observed) {
            let n = self.scripts.len();
            let movable: Vec<usize> = (0..n).filter(|&c| next[c] < self.scripts[c].len() && !a.is_blocked(c)).collect();
            if movable.is_empty() {
                assert!((0..n).all(|c| next[c] == self.scripts[c].len()), "deadlock after {trace:?}");
                self.check_run(trace, seen);
                self.runs += 1;
                return;
            }
            for c in movable {
                let ev = self.scripts[c][next[c]];
                let mut a = a.clone();
                let mut seen = seen.clone();
                trace.push(ev);
                let out = apply(&mut a, ev).unwrap_or_else(|e| panic!("{trace:?}: {e}"));
                Self::observe(&mut seen, &out, trace);
                self.check_step(&a, &seen, trace);
                next[c] += 1;
                self.explore(&a, next, trace, &seen);
                next[c] -= 1;
                trace.pop();
            }
        }

        fn observe(seen: &mut Observed, out: &[AlignerDecision], trace: &[Ev]) {
            for d in out {
                match d {
                    BlockChannel(c) => {
                        assert!(!seen.blocked[*c], "{trace:?}: blocked twice");
                        seen.blocked[*c] = true;
                    }
                    UnblockAll => {
                        assert!(seen.blocked.iter().any(|&b| b), "{trace:?}: needless unblock");
                        seen.blocked.iter_mut().for_each(|b| *b = false);
                    }
                    TriggerSnapshot(b) => {
                        assert!(!seen.triggered.contains(&b.id.0), "{trace:?}: triggered twice");
                        seen.triggered.push(b.id.0);
                        if b.mode == Unaligned {
                            seen.capturing = Some(b.id.0);
                        }
                    }
                    StartPersistingChannel(c) => {
                        assert!(!seen.persisting[*c], "{trace:?}: persisting twice");
                        seen.persisting[*c] = true;
                    }
                    StopPersistingChannel(c) => {
                        assert!(seen.persisting[*c], "{trace:?}: stop without start");
                        seen.persisting[*c] = false;
                    }
                    FinishChannelState(id) => {
                        assert_eq!(seen.capturing, Some(id.0), "{trace:?}");
                        assert!(seen.persisting.iter().all(|&p| !p), "{trace:?}: finished while persisting");
                        seen.capturing = None;
                        seen.finished.push(id.0);
                    }
                    AbortCheckpoint(id, reason) => {
                        if seen.capturing == Some(id.0) {
                            seen.capturing = None;
                        }
                        seen.aborted.push((id.0, reason.clone()));
                    }
                }
            }
        }

        /// After every step: the decisions and the aligner agree, and the invariant holds.
        fn check_step(&self, a: &BarrierAligner, seen: &Observed, trace: &[Ev]) {
            let n = self.scripts.len();
            let delivered = |c: usize, id: u64| trace.iter().any(|e| matches!(e, B(ch, i, _) if *ch == c && *i == id));
            let ended = |c: usize| trace.contains(&End(c));
            for c in 0..n {
                assert_eq!(a.is_blocked(c), seen.blocked[c], "{trace:?}: channel {c}");
                assert_eq!(a.is_persisting(c), seen.persisting[c], "{trace:?}: channel {c}");
                // Unaligned: a channel persists exactly while the captured checkpoint's
                // barrier has not come on it and it has not ended.
                let want = seen.capturing.is_some_and(|id| !delivered(c, id) && !ended(c));
                assert_eq!(seen.persisting[c], want, "{trace:?}: persisting of channel {c}");
            }
            if self.mode != Aligned {
                assert!(seen.blocked.iter().all(|&b| !b), "{trace:?}: {:?} blocked", self.mode);
            }
            // Aligned: blocked exactly when the channel delivered the pending barrier.
            if self.mode == Aligned {
                let pending = a.pending();
                for c in 0..n {
                    let want = pending.first().is_some_and(|id| delivered(c, id.0));
                    assert_eq!(seen.blocked[c], want, "{trace:?}: blocked of channel {c}");
                }
            }
        }

        /// At the end of a run: which checkpoints were taken and which were aborted.
        fn check_run(&self, trace: &[Ev], seen: &Observed) {
            let n = self.scripts.len();
            let anyone_delivers = |id: u64| trace.iter().any(|e| matches!(e, B(_, i, _) if *i == id));
            // Unaligned checkpoint 1 survives only if no barrier 2 came before every channel
            // delivered barrier 1 or ended.
            let aligned_at = |c: usize| trace.iter().position(|e| matches!(e, B(ch, 1, _) | End(ch) if *ch == c));
            let complete_at = (0..n).map(aligned_at).max().flatten();
            let first_2 = trace.iter().position(|e| matches!(e, B(_, 2, _)));
            let overtaken = matches!((first_2, complete_at), (Some(f), Some(l)) if f < l);
            let mut want_triggered = vec![];
            let mut want_aborted = vec![];
            for id in [1, 2] {
                if !anyone_delivers(id) {
                    continue;
                }
                want_triggered.push(id);
                if self.mode == Unaligned && id == 1 && overtaken {
                    want_aborted.push((1, subsumed(2)));
                }
            }
            assert_eq!(seen.triggered, want_triggered, "{trace:?}");
            assert_eq!(seen.aborted, want_aborted, "{trace:?}");
            if self.mode == Unaligned {
                let finished: Vec<u64> =
                    want_triggered.iter().copied().filter(|id| !want_aborted.iter().any(|(a, _)| a == id)).collect();
                assert_eq!(seen.finished, finished, "{trace:?}");
            }
            assert!((0..n).all(|c| !seen.blocked[c] && !seen.persisting[c]), "{trace:?}: left held");
        }
    }

    fn run(mode: CheckpointMode, scripts: Vec<Vec<Ev>>) -> usize {
        let n = scripts.len();
        let mut explorer = Explorer { mode, scripts, runs: 0 };
        let seen = Observed { blocked: vec![false; n], persisting: vec![false; n], ..Observed::default() };
        explorer.explore(&BarrierAligner::new(n), &mut vec![0; n], &mut vec![], &seen);
        explorer.runs
    }

    fn factorial(n: usize) -> usize {
        (1..=n).product()
    }

    #[test]
    fn every_interleaving_of_two_checkpoints_on_one_to_four_channels() {
        for mode in MODES {
            for n in 1..=4 {
                let scripts = (0..n).map(|c| vec![B(c, 1, mode), B(c, 2, mode)]).collect();
                let runs = run(mode, scripts);
                // Aligned: each checkpoint is one permutation of the channels (blocking forbids
                // overlap). Otherwise: any merge of n ordered pairs, (2n)! / 2^n.
                let want = if mode == Aligned { factorial(n) * factorial(n) } else { factorial(2 * n) / (1 << n) };
                assert_eq!(runs, want, "{mode:?}, {n} channels");
            }
        }
    }

    #[test]
    fn every_interleaving_with_channels_ending_mid_alignment() {
        for mode in MODES {
            for n in 1..=3 {
                let options = |c: usize| {
                    vec![
                        vec![B(c, 1, mode), B(c, 2, mode)],
                        vec![B(c, 1, mode), End(c)],
                        vec![End(c)],
                        vec![B(c, 1, mode), B(c, 2, mode), End(c)],
                    ]
                };
                let mut combos: Vec<Vec<Vec<Ev>>> = vec![vec![]];
                for c in 0..n {
                    combos = combos
                        .into_iter()
                        .flat_map(|prefix| {
                            options(c).into_iter().map(move |o| {
                                let mut p = prefix.clone();
                                p.push(o);
                                p
                            })
                        })
                        .collect();
                }
                let runs: usize = combos.into_iter().map(|scripts| run(mode, scripts)).sum();
                assert!(runs > 0);
            }
        }
    }
}
