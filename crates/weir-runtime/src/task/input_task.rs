//! The loop of a task whose head reads from other tasks.
//!
//! Each turn takes one element from the input channels, round robin over channels that
//! have data so that no input starves; when none has data the task blocks on all of
//! them, the cancellation signal and the flush deadline at once.
//!
//! Checkpoint barriers go through a [`BarrierAligner`]: in aligned mode a channel that
//! delivered barrier *n* is not read again until every channel has, then the chain is
//! snapshotted and the barrier passed on; in at-least-once mode nothing is blocked. A
//! barrier of an unaligned checkpoint arrives on a channel's priority lane, ahead of the
//! batches queued before it: the first one triggers the snapshot, and the records still
//! in flight before each channel's barrier are captured ([`crate::task::unaligned`]).
//! A task restored from an unaligned checkpoint first pushes the records it stored
//! into its chain, before it reads any channel.
//!
//! An unaligned barrier with an alignment timeout (Flink's `aligned-checkpoint-timeout`)
//! starts aligned. Its arrival on the priority lane only announces where it lies in the
//! channel: when the task has taken the channel's elements up to there, the channel
//! counts as delivering an aligned barrier (and is blocked until the others have). If
//! alignment is not done when the timeout has passed since the checkpoint's trigger, the
//! checkpoint switches to unaligned: the snapshot is taken at once, each channel whose
//! barrier's position is known stores its records up to it, the others until their
//! barrier arrives, and the blocked channels are released. Aligned in time, the task
//! forwards the barrier still unaligned (with its timeout), so each task downstream
//! decides for itself. A checkpoint the task learns of only from the job's announcement
//! (every producer finished first) is aligned the same way, on barrier positions just
//! before the channels' ends.
//!
//! Watermarks: the task's watermark is the minimum over its channels' latest
//! watermarks, where a finished channel counts as the end of time
//! (`task::watermark_valve`).

use std::collections::VecDeque;
use std::time::Duration;

use crossbeam_channel::Select;
use weir_checkpoint::{AbortReason, AlignerDecision, BarrierAligner};
use weir_core::{CheckpointBarrier, CheckpointMode, StreamElement};

use crate::channel::{Priority, Received};
use crate::checkpointing::epoch_ms;
use crate::in_flight::{ReplayBatch, UNTIL_BARRIER};
use crate::output::Output;
use crate::task::input::InputChannel;
use crate::task::unaligned::{Capture, InFlightTarget};
use crate::task::watermark_valve::{ValveOutput, WatermarkValve};
use crate::task::{empty_state, Flusher, TaskBody, TaskEnv};
use crate::JobError;

/// A task reading `In` records from channels into its chain's head.
pub struct InputTask<In> {
    channels: Vec<Box<dyn InputChannel<In>>>,
    head: Box<dyn Output<In>>,
    /// In-flight records of the checkpoint the task was restored from, pushed first.
    replay: Vec<ReplayBatch>,
    /// The unaligned checkpoint whose in-flight records are being captured.
    capture: Option<Capture>,
    /// Per channel: where its end of input is, once its producer announced it.
    ends: Vec<Option<u64>>,
    /// The newest checkpoint the job announced that may still need starting here.
    announced: Option<CheckpointBarrier>,
    target: InFlightTarget,
    /// Per channel: barriers with an alignment timeout that arrived on its priority lane,
    /// with their positions, which the task has not taken the channel up to yet.
    positions: Vec<VecDeque<(CheckpointBarrier, u64)>>,
    /// The checkpoint being aligned on such barriers, and when it switches to unaligned
    /// (epoch milliseconds).
    aligning: Option<(CheckpointBarrier, u64)>,
    /// Channels were unblocked: one may already be at a barrier position announced while
    /// it was blocked.
    unblocked: bool,
}

impl<In: Send + 'static> InputTask<In> {
    /// A task feeding `head` from `channels`.
    pub fn new(channels: Vec<Box<dyn InputChannel<In>>>, head: Box<dyn Output<In>>) -> Self {
        let ends = vec![None; channels.len()];
        let positions = vec![VecDeque::new(); channels.len()];
        InputTask {
            channels,
            head,
            replay: Vec::new(),
            capture: None,
            ends,
            announced: None,
            target: InFlightTarget::default(),
            positions,
            aligning: None,
            unblocked: false,
        }
    }

    /// Stores in-flight records of unaligned checkpoints as `target` says, and first
    /// replays `replay` (what the checkpoint restored from holds for this task).
    pub fn with_in_flight(mut self, target: InFlightTarget, replay: Vec<ReplayBatch>) -> Self {
        self.target = target;
        self.replay = replay;
        self
    }

    /// Pushes the restored in-flight records into the chain.
    fn replay(&mut self) -> Result<(), JobError> {
        for stored in std::mem::take(&mut self.replay) {
            let channel = self.channels.get(stored.channel as usize).ok_or_else(|| {
                JobError::Restore(format!(
                    "in-flight records of input channel {} of {}",
                    stored.channel,
                    self.channels.len()
                ))
            })?;
            let mut batch = channel
                .decode(&stored.bytes, &stored.keep)
                .map_err(|e| JobError::Restore(format!("in-flight records of '{}': {e}", self.target.head_id)))?;
            if !batch.is_empty() {
                self.head.push(&mut batch)?;
            }
        }
        Ok(())
    }

    /// Carries out the aligner's decisions.
    fn decide(&mut self, env: &TaskEnv, decisions: Vec<AlignerDecision>) -> Result<(), JobError> {
        for d in decisions {
            match d {
                AlignerDecision::TriggerSnapshot(barrier) if barrier.mode == CheckpointMode::Unaligned => {
                    if let Some(older) = self.capture.take() {
                        // Still capturing the previous one: records before both barriers
                        // are captured for the newer one, which subsumes it.
                        env.decline(older.barrier.id, AbortReason::Subsumed { by: barrier.id });
                        older.discard(&mut self.channels);
                    }
                    let mut state = empty_state();
                    self.head.barrier(barrier, &mut state)?;
                    self.capture = Some(Capture::new(barrier, state, &mut self.channels));
                }
                // Aligned in time on an unaligned barrier with a timeout: forwarded as it came.
                AlignerDecision::TriggerSnapshot(barrier) if barrier.aligned_timeout_ms > 0 => {
                    self.aligning = self.aligning.filter(|(a, _)| a.id > barrier.id);
                    let barrier = CheckpointBarrier { mode: CheckpointMode::Unaligned, ..barrier };
                    env.checkpoint(barrier, empty_state(), self.head.as_mut())?
                }
                AlignerDecision::TriggerSnapshot(barrier) => {
                    env.checkpoint(barrier, empty_state(), self.head.as_mut())?
                }
                AlignerDecision::AbortCheckpoint(id, reason) => {
                    self.aligning = self.aligning.filter(|(a, _)| a.id != id);
                    self.positions.iter_mut().for_each(|q| q.retain(|(b, _)| b.id != id));
                    if let Some(capture) = self.capture.take_if(|c| c.barrier.id == id) {
                        capture.discard(&mut self.channels);
                    }
                    env.decline(id, reason)
                }
                AlignerDecision::StartPersistingChannel(c) => {
                    if self.capture.is_some() {
                        self.channels[c].capture_until(UNTIL_BARRIER);
                    }
                }
                // The channel's barrier arrived (its position is set by the caller) or the
                // channel ended: it captures no further than where it is now.
                AlignerDecision::StopPersistingChannel(c) => {
                    if self.capture.is_some() {
                        let here = self.channels[c].received();
                        self.channels[c].capture_until(here);
                    }
                }
                AlignerDecision::FinishChannelState(id) => {
                    if let Some(capture) = self.capture.as_mut().filter(|c| c.barrier.id == id) {
                        capture.set_aligned();
                    }
                }
                // Blocking is read from the aligner.
                AlignerDecision::BlockChannel(_) => {}
                AlignerDecision::UnblockAll => self.unblocked = true,
            }
        }
        Ok(())
    }

    /// An event arrived on channel `c`'s priority lane: an unaligned checkpoint's barrier,
    /// or the announcement that the channel ends.
    fn on_priority(
        &mut self,
        env: &TaskEnv,
        aligner: &mut BarrierAligner,
        c: usize,
        event: Priority,
    ) -> Result<(), JobError> {
        let received = self.channels[c].received();
        let (Priority::Barrier { after, .. } | Priority::End { after }) = event;
        if after < received {
            return Err(JobError::Internal(format!(
                "{event:?} placed after {after} elements of a channel arrived after {received} of them"
            )));
        }
        match event {
            Priority::Barrier { barrier, after }
                if barrier.alignment_deadline_ms().is_some()
                    && self.capture.as_ref().is_none_or(|cap| cap.barrier.id != barrier.id) =>
            {
                self.announced = self.announced.filter(|a| a.id > barrier.id);
                // Aligned first: the barrier counts when the channel is taken up to it.
                let deadline = barrier.alignment_deadline_ms().expect("checked by the guard");
                if self.aligning.is_none_or(|(a, _)| a.id < barrier.id) {
                    self.aligning = Some((barrier, deadline));
                }
                self.positions[c].push_back((barrier, after));
                return self.reach(env, aligner, c);
            }
            Priority::Barrier { barrier, after } => {
                // The checkpoint came by its barrier: an announcement of it (or an older
                // one) no longer stands for a barrier that will not come.
                self.announced = self.announced.filter(|a| a.id > barrier.id);
                let decisions = aligner.on_barrier(c, barrier).map_err(alignment)?;
                self.decide(env, decisions)?;
                // The batches still queued before the barrier on this channel belong to
                // the checkpoint.
                if self.capture.as_ref().is_some_and(|cap| cap.barrier.id == barrier.id) {
                    self.channels[c].capture_until(after);
                }
            }
            Priority::End { after } => {
                self.ends[c] = Some(after);
                if let Some(barrier) = self.announced {
                    self.on_announced(env, aligner, barrier)?;
                }
            }
        }
        self.settle_ended(env, aligner)?;
        self.maybe_acknowledge(env)
    }

    /// Channel `c` was taken up to the position of barriers announced on it: each counts
    /// as an aligned barrier delivered now.
    fn reach(&mut self, env: &TaskEnv, aligner: &mut BarrierAligner, c: usize) -> Result<(), JobError> {
        while let Some(&(barrier, after)) = self.positions[c].front() {
            if self.channels[c].received() < after || aligner.is_blocked(c) || aligner.is_ended(c) {
                break;
            }
            self.positions[c].pop_front();
            let aligned = CheckpointBarrier { mode: CheckpointMode::AlignedExactlyOnce, ..barrier };
            let decisions = aligner.on_barrier(c, aligned).map_err(alignment)?;
            self.decide(env, decisions)?;
        }
        self.settle_ended(env, aligner)?;
        self.maybe_acknowledge(env)
    }

    /// How long the task may block before an alignment times out.
    fn until_alignment_timeout(&self) -> Option<Duration> {
        self.aligning.map(|(_, deadline)| Duration::from_millis(deadline.saturating_sub(epoch_ms())))
    }

    /// Switches the checkpoint being aligned to unaligned if its timeout has passed.
    fn check_alignment_timeout(&mut self, env: &TaskEnv, aligner: &mut BarrierAligner) -> Result<(), JobError> {
        let Some((barrier, deadline)) = self.aligning else { return Ok(()) };
        if epoch_ms() < deadline {
            return Ok(());
        }
        self.aligning = None;
        let id = barrier.id;
        let decisions = aligner.on_alignment_timeout(barrier);
        self.decide(env, decisions)?;
        // Every channel whose barrier's position is known delivers it now, as an
        // unaligned barrier, and stores its records up to the position.
        for c in 0..self.channels.len() {
            let Some(i) = self.positions[c].iter().position(|(b, _)| b.id == id) else { continue };
            let (_, after) = self.positions[c][i];
            self.positions[c].retain(|(b, _)| b.id > id);
            if aligner.is_ended(c) || self.capture.as_ref().is_none_or(|cap| cap.barrier.id != id) {
                continue;
            }
            let decisions = aligner.on_barrier(c, barrier).map_err(alignment)?;
            self.decide(env, decisions)?;
            if self.capture.as_ref().is_some_and(|cap| cap.barrier.id == id) {
                self.channels[c].capture_until(after);
            }
        }
        self.settle_ended(env, aligner)?;
        self.maybe_acknowledge(env)
    }

    /// The job announced an unaligned checkpoint (to every task). It matters only when
    /// every open channel's producer has finished, so no barrier will come: the
    /// checkpoint then starts here, its barrier counting as placed before each end. With
    /// an alignment timeout it starts aligned on those positions, as if the barrier had
    /// come on each channel's priority lane; without, unaligned at once.
    fn on_announced(
        &mut self,
        env: &TaskEnv,
        aligner: &mut BarrierAligner,
        barrier: CheckpointBarrier,
    ) -> Result<(), JobError> {
        let open: Vec<usize> = (0..self.channels.len()).filter(|&c| !aligner.is_ended(c)).collect();
        let all_announced = open.iter().all(|&c| self.ends[c].is_some());
        let Some(&first) = open.first() else { return Ok(()) };
        if !all_announced {
            // Kept: if the remaining producers finish without sending this barrier, their
            // ends make it actionable.
            self.announced = Some(barrier);
            return Ok(());
        }
        self.announced = None;
        // Started here already (by a barrier that did come, or an earlier announcement):
        // its channels' positions are known, and this one's end is not where it belongs.
        let started = self.capture.as_ref().is_some_and(|c| c.barrier.id >= barrier.id);
        // Or its barrier came with an alignment timeout and is being aligned on: the
        // channel is taken up to it, or the timeout starts it there.
        let aligning = self.positions.iter().flatten().any(|(b, _)| b.id >= barrier.id);
        if started || aligning || aligner.pending().contains(&barrier.id) {
            return Ok(());
        }
        if let Some(deadline) = barrier.alignment_deadline_ms() {
            // With an alignment timeout it starts aligned, as if its barrier had come on
            // every open channel's priority lane, placed before the end: each channel
            // counts when the task has taken it up to its end, and the timeout switches
            // the checkpoint to unaligned with these positions.
            if self.aligning.is_none_or(|(a, _)| a.id < barrier.id) {
                self.aligning = Some((barrier, deadline));
            }
            for &c in &open {
                let end = self.ends[c].expect("every open channel announced its end");
                self.positions[c].push_back((barrier, end));
            }
            for &c in &open {
                self.reach(env, aligner, c)?;
            }
            return Ok(());
        }
        if aligner.is_blocked(first) {
            return Ok(());
        }
        let decisions = aligner.on_barrier(first, barrier).map_err(alignment)?;
        self.decide(env, decisions)?;
        if self.capture.as_ref().is_some_and(|cap| cap.barrier.id == barrier.id) {
            let end = self.ends[first].expect("every open channel announced its end");
            self.channels[first].capture_until(end);
        }
        self.settle_ended(env, aligner)?;
        self.maybe_acknowledge(env)
    }

    /// A channel whose producer has finished carries no more barriers: for the checkpoint
    /// being captured, its barrier counts as placed just before its end, so the rest of
    /// what it holds is captured now instead of when the task gets to its end.
    fn settle_ended(&mut self, env: &TaskEnv, aligner: &mut BarrierAligner) -> Result<(), JobError> {
        for c in 0..self.channels.len() {
            let (Some(capture), Some(end)) = (&self.capture, self.ends[c]) else { continue };
            if !aligner.is_persisting(c) || aligner.is_blocked(c) {
                continue;
            }
            let barrier = capture.barrier;
            let decisions = aligner.on_barrier(c, barrier).map_err(alignment)?;
            self.decide(env, decisions)?;
            if self.capture.as_ref().is_some_and(|cap| cap.barrier.id == barrier.id) {
                self.channels[c].capture_until(end);
            }
        }
        Ok(())
    }

    /// Acknowledges the captured checkpoint once every channel delivered its in-flight records.
    fn maybe_acknowledge(&mut self, env: &TaskEnv) -> Result<(), JobError> {
        if !self.capture.as_ref().is_some_and(|c| c.is_done(&self.channels)) {
            return Ok(());
        }
        let capture = self.capture.take().expect("checked just above");
        let id = capture.barrier.id;
        match capture.finish(&mut self.channels, &self.target) {
            Ok(state) => env.acknowledge(id, state),
            Err(e) => env.decline(id, AbortReason::SnapshotFailed(format!("in-flight records of {}: {e}", env.task))),
        }
        Ok(())
    }

    fn pass_on(&mut self, out: ValveOutput) -> Result<(), JobError> {
        if let Some(w) = out.watermark {
            self.head.watermark(w)?;
        }
        if let Some(s) = out.status {
            self.head.watermark_status(s)?;
        }
        Ok(())
    }
}

fn alignment(e: weir_checkpoint::CheckpointError) -> JobError {
    JobError::Internal(format!("barrier alignment: {e}"))
}

impl<In: Send + 'static> TaskBody for InputTask<In> {
    fn run(mut self: Box<Self>, env: &TaskEnv) -> Result<(), JobError> {
        let n = self.channels.len();
        let mut finished = vec![false; n];
        let mut remaining = n;
        let mut valve = WatermarkValve::new(n);
        let mut aligner = BarrierAligner::new(n);
        let mut flusher = Flusher::new(env.buffer_timeout);
        let mut next = 0;
        self.replay()?;
        while remaining > 0 {
            let mut cancelled = Vec::new();
            let announced = env.take_mailbox(self.head.as_mut(), |id| {
                cancelled.push(id);
                Ok(())
            })?;
            for id in cancelled {
                let decisions = aligner.on_cancel(id);
                self.decide(env, decisions)?;
            }
            if let Some(barrier) = announced {
                self.on_announced(env, &mut aligner, barrier)?;
            }
            self.check_alignment_timeout(env, &mut aligner)?;
            // Until no channel is unblocked again by what a reached barrier decided.
            while std::mem::take(&mut self.unblocked) {
                for (c, &done) in finished.iter().enumerate() {
                    if !done && !self.positions[c].is_empty() {
                        self.reach(env, &mut aligner, c)?;
                    }
                }
            }
            let mut got = None;
            let mut overtaken = None;
            for k in 0..n {
                let c = (next + k) % n;
                if finished[c] || aligner.is_blocked(c) {
                    continue;
                }
                match self.channels[c].try_recv() {
                    Received::Element(e) => {
                        got = Some((c, e));
                        next = c + 1;
                        break;
                    }
                    Received::Priority(event) => {
                        overtaken = Some((c, event));
                        break;
                    }
                    Received::Empty => {}
                    Received::Disconnected => return Err(JobError::Cancelled),
                }
            }
            if let Some((c, event)) = overtaken {
                self.on_priority(env, &mut aligner, c, event)?;
                continue;
            }
            let Some((c, element)) = got else {
                flusher.maybe_flush(self.head.as_mut())?;
                let next_timer = env.fire_due_timers(self.head.as_mut())?;
                let mut select = Select::new();
                for (c, ch) in self.channels.iter().enumerate() {
                    if !finished[c] && !aligner.is_blocked(c) {
                        ch.register(&mut select);
                    }
                }
                env.cancel.register(&mut select);
                select.recv(&env.mailbox);
                let block = match (env.max_block(flusher.until_due(), next_timer), self.until_alignment_timeout()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, None) => a,
                    (None, b) => b,
                };
                let _ = match block {
                    Some(d) => select.ready_timeout(d).ok(),
                    None => Some(select.ready()),
                };
                if env.cancel.is_cancelled() {
                    return Err(JobError::Cancelled);
                }
                continue;
            };
            match element {
                StreamElement::Records(mut batch) => self.head.push(&mut batch)?,
                StreamElement::Watermark(w) => self.pass_on(valve.on_watermark(c, w))?,
                StreamElement::WatermarkStatus(status) => self.pass_on(valve.on_status(c, status))?,
                StreamElement::Barrier(barrier) => {
                    let decisions = aligner.on_barrier(c, barrier).map_err(alignment)?;
                    self.decide(env, decisions)?;
                }
                StreamElement::EndOfInput => {
                    finished[c] = true;
                    remaining -= 1;
                    // When the last input ends, event time ends too (even if an input
                    // was idle when its final watermark arrived).
                    self.pass_on(valve.on_end(c))?;
                    let decisions = aligner.on_end_of_input(c).map_err(alignment)?;
                    self.decide(env, decisions)?;
                }
            }
            if !finished[c] && !self.positions[c].is_empty() {
                self.reach(env, &mut aligner, c)?;
            }
            if self.capture.is_some() {
                self.maybe_acknowledge(env)?;
            }
            env.fire_due_timers(self.head.as_mut())?;
            flusher.maybe_flush(self.head.as_mut())?;
        }
        self.head.end_of_input()?;
        env.finished(empty_state(), self.head.as_mut())
    }
}
