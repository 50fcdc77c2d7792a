//! The part of an unaligned checkpoint a task with input channels runs after its snapshot:
//! capturing the in-flight records of each channel until that channel's barrier position,
//! then acknowledging the snapshot with them.
//!
//! # Protocol
//! 1. The first barrier of checkpoint *n* on any channel — possibly overtaking batches
//!    queued ahead of it — triggers the snapshot at once (the aligner decides), and the
//!    chain forwards the barrier ahead of its own output.
//! 2. Every other open channel captures the record batches taken from it until its
//!    barrier arrives (the aligner's `StartPersistingChannel`).
//! 3. When a channel's barrier arrives, the batches queued before its position are taken
//!    out of the channel and captured at once (kept for the task to process later); a
//!    channel that ends has delivered all it had. When every channel is done and the
//!    aligner has seen every barrier, the captured batches are added to the snapshot and
//!    the task acknowledges: without waiting for the task to process the backlog.
//! 4. A newer checkpoint, a cancellation or an abort gives the capture up: nothing is
//!    acknowledged and the checkpoint is declined.
//!
//! Invariant: a batch is captured exactly when it was sent before barrier *n* and taken
//! after the snapshot — the snapshot and the captured batches together are the effect of
//! exactly the records before barrier *n* on every channel.

use weir_core::CheckpointBarrier;

use crate::in_flight::{in_flight_operator_id, ChannelSource, InFlightBatch, InFlightState, IN_FLIGHT};
use crate::snapshot::{OperatorStateWriter, PendingTaskState};
use crate::task::input::InputChannel;
use crate::BoxError;

/// Where a task's in-flight records are stored: its head's id and its place in the vertex.
#[derive(Debug, Clone, Default)]
pub struct InFlightTarget {
    /// The head operator's id.
    pub head_id: String,
    /// The subtask.
    pub subtask: usize,
    /// The vertex's parallelism.
    pub parallelism: usize,
    /// Where each input channel's records come from, stored with them.
    pub sources: Vec<ChannelSource>,
}

/// One unaligned checkpoint being captured.
pub(crate) struct Capture {
    pub(crate) barrier: CheckpointBarrier,
    state: PendingTaskState,
    /// The aligner has seen every channel's barrier or end.
    aligned: bool,
}

impl Capture {
    /// Starts capturing checkpoint `id`, whose snapshot is `state`: the channels capture
    /// nothing they returned before it, and nothing yet.
    pub(crate) fn new<In>(
        barrier: CheckpointBarrier,
        state: PendingTaskState,
        channels: &mut [Box<dyn InputChannel<In>>],
    ) -> Self {
        channels.iter_mut().for_each(|ch| ch.start_capture());
        Capture { barrier, state, aligned: false }
    }

    /// The aligner has seen every channel's barrier or end.
    pub(crate) fn set_aligned(&mut self) {
        self.aligned = true;
    }

    /// Whether every channel captured all it must.
    pub(crate) fn is_done<In>(&self, channels: &[Box<dyn InputChannel<In>>]) -> bool {
        self.aligned && channels.iter().all(|ch| ch.capture_complete())
    }

    /// The snapshot with the captured batches added (if there are any).
    ///
    /// # Errors
    /// A batch that could not be encoded.
    pub(crate) fn finish<In>(
        mut self,
        channels: &mut [Box<dyn InputChannel<In>>],
        target: &InFlightTarget,
    ) -> Result<PendingTaskState, BoxError> {
        let mut batches = Vec::new();
        for (c, ch) in channels.iter_mut().enumerate() {
            batches.extend(ch.take_captured()?.into_iter().map(|bytes| InFlightBatch { channel: c as u32, bytes }));
        }
        if batches.is_empty() {
            return Ok(self.state);
        }
        let stored = InFlightState {
            checkpoint: self.barrier.id,
            subtask: target.subtask as u32,
            parallelism: target.parallelism as u32,
            channels: channels.len() as u32,
            batches,
            sources: target.sources.clone(),
        };
        let mut writer = OperatorStateWriter::new(self.barrier.id);
        writer.union(IN_FLIGHT, vec![bincode::serialize(&stored)?]);
        self.state.push_operator(&in_flight_operator_id(&target.head_id), writer);
        Ok(self.state)
    }

    /// Gives the capture up: the channels stop capturing and drop what they kept.
    pub(crate) fn discard<In>(self, channels: &mut [Box<dyn InputChannel<In>>]) {
        for ch in channels {
            let _ = ch.take_captured();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use crossbeam_channel::{bounded, Receiver};
    use weir_checkpoint::TaskId;
    use weir_core::{
        CheckpointBarrier, CheckpointId, CheckpointMode, StreamElement, StreamRecord, SubtaskIndex, VertexId,
        Watermark, WatermarkStatus,
    };

    use super::*;
    use crate::channel::{cancellation, local_channel, Canceller, ChannelSender, Priority};
    use crate::graph::TypedReceiver;
    use crate::in_flight::{
        in_flight_operator_id, ChannelSource, InFlightBatch, InFlightState, Keep, RecordCodec, ReplayBatch, IN_FLIGHT,
    };
    use crate::output::Output;
    use crate::snapshot::TaskState;
    use crate::task::input::{Direct, InputAdapter};
    use crate::task::input_task::InputTask;
    use crate::task::{TaskBody, TaskEnv, TaskReport};
    use crate::JobError;

    /// Logs what reaches the head: `7` for a record, `barrier 1` for a barrier.
    struct Recorder(Arc<Mutex<Vec<String>>>);

    impl Output<u32> for Recorder {
        fn push(&mut self, batch: &mut Vec<StreamRecord<u32>>) -> Result<(), JobError> {
            self.0.lock().unwrap().extend(batch.drain(..).map(|r| r.value.to_string()));
            Ok(())
        }
        fn watermark(&mut self, _: Watermark) -> Result<(), JobError> {
            Ok(())
        }
        fn watermark_status(&mut self, _: WatermarkStatus) -> Result<(), JobError> {
            Ok(())
        }
        fn flush(&mut self) -> Result<(), JobError> {
            Ok(())
        }
        fn end_of_input(&mut self) -> Result<(), JobError> {
            Ok(())
        }
        fn barrier(&mut self, barrier: CheckpointBarrier, _: &mut PendingTaskState) -> Result<(), JobError> {
            self.0.lock().unwrap().push(format!("barrier {}", barrier.id.0));
            Ok(())
        }
    }

    fn codec() -> RecordCodec<u32> {
        RecordCodec::serde()
    }

    fn records(values: &[u32]) -> StreamElement<u32> {
        StreamElement::Records(values.iter().map(|&v| StreamRecord::new(v)).collect())
    }

    /// A task over `channels` unaligned channels, with a recording head; the channels'
    /// senders, the log and where reports arrive.
    struct Fixture {
        task: InputTask<u32>,
        senders: Vec<ChannelSender<u32>>,
        log: Arc<Mutex<Vec<String>>>,
        env: TaskEnv,
        reports: Receiver<TaskReport>,
        /// The job's side of the task's mailbox: checkpoints announced to every task.
        announce: crossbeam_channel::Sender<crate::task::TaskMessage>,
        _canceller: Canceller,
    }

    /// Channel `c` comes from subtask `c` of one producer.
    fn sources(channels: usize) -> Vec<ChannelSource> {
        let source = |c: usize| ChannelSource { input: 0, edge: 0, producer: "up".into(), producer_subtask: c as u32 };
        (0..channels).map(source).collect()
    }

    fn fixture(channels: usize, replay: Vec<ReplayBatch>) -> Fixture {
        let (canceller, cancel) = cancellation();
        let mut senders = Vec::new();
        let mut inputs = Vec::new();
        for _ in 0..channels {
            let (tx, mut rx) = local_channel::<u32>(16);
            rx.watch_priority(16);
            senders.push(tx);
            inputs.push(Direct.adapt(Box::new(TypedReceiver { channel: rx, codec: Some(codec()) })).unwrap());
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let target = InFlightTarget { head_id: "head".into(), subtask: 0, parallelism: 1, sources: sources(channels) };
        let task = InputTask::new(inputs, Box::new(Recorder(log.clone()))).with_in_flight(target, replay);
        let (announce, mailbox) = bounded(4);
        let (reports_tx, reports) = bounded(16);
        let env = TaskEnv {
            cancel,
            batch_size: 16,
            buffer_timeout: None,
            clock: Arc::new(crate::clock::SystemClock),
            task: TaskId { vertex: VertexId(1), subtask: SubtaskIndex(0) },
            mailbox,
            reports: reports_tx,
            checkpointing: true,
        };
        Fixture { task, senders, log, env, reports, announce, _canceller: canceller }
    }

    fn unaligned(id: u64, after: u64) -> Priority {
        Priority::Barrier { barrier: CheckpointBarrier::new(CheckpointId(id), 0, CheckpointMode::Unaligned), after }
    }

    /// The in-flight batches an acknowledged state holds, decoded, per channel.
    fn in_flight(state: TaskState) -> Vec<(u32, Vec<u32>)> {
        let id = in_flight_operator_id("head");
        let Some(op) = state.operators.into_iter().find(|o| o.operator_id == id) else { return Vec::new() };
        let entry = op.entries.into_iter().find(|e| e.name == IN_FLIGHT).expect("the in-flight entry");
        let stored = InFlightState::decode(&entry.items[0]).unwrap();
        assert_eq!(stored.sources.len(), stored.channels as usize, "each channel's source is stored");
        let decode = |b: &InFlightBatch| codec().decode(&b.bytes).unwrap().into_iter().map(|r| r.value).collect();
        stored.batches.iter().map(|b| (b.channel, decode(b))).collect()
    }

    #[test]
    fn an_overtaking_barrier_snapshots_at_once_and_captures_what_it_overtook() {
        let mut f = fixture(2, Vec::new());
        let cancel = f.env.cancel.clone();
        // Channel 0: two batches, then the barrier overtaking them, then one after it.
        f.senders[0].send(records(&[1, 2]), &cancel).unwrap();
        f.senders[0].send(records(&[3]), &cancel).unwrap();
        f.senders[0].send_priority(unaligned(1, 2), &cancel).unwrap();
        f.senders[0].send(records(&[4]), &cancel).unwrap();
        // Channel 1: one batch before its barrier, one after.
        f.senders[1].send(records(&[10]), &cancel).unwrap();
        f.senders[1].send_priority(unaligned(1, 1), &cancel).unwrap();
        f.senders[1].send(records(&[11]), &cancel).unwrap();
        for s in &mut f.senders {
            s.send(StreamElement::EndOfInput, &cancel).unwrap();
        }
        Box::new(f.task).run(&f.env).unwrap();

        let log = f.log.lock().unwrap().clone();
        assert_eq!(log[0], "barrier 1", "the snapshot is taken before the overtaken records: {log:?}");
        let mut processed: Vec<&str> = log[1..].iter().map(String::as_str).collect();
        processed.sort();
        assert_eq!(processed, ["1", "10", "11", "2", "3", "4"], "every record is still processed");
        let Ok(TaskReport::Ack { checkpoint, state, .. }) = f.reports.try_recv() else { panic!("no ack first") };
        assert_eq!(checkpoint, CheckpointId(1));
        let mut stored = in_flight(state.complete().unwrap());
        stored.sort();
        assert_eq!(
            stored,
            vec![(0, vec![1, 2]), (0, vec![3]), (1, vec![10])],
            "exactly the records before the barrier"
        );
        assert!(matches!(f.reports.try_recv(), Ok(TaskReport::Finished { .. })));
    }

    /// The barrier of checkpoint `id` at position `after`, triggered now, aligned for at
    /// most `timeout_ms`.
    fn aligned_for(id: u64, after: u64, timeout_ms: u64) -> Priority {
        let now = crate::checkpointing::epoch_ms();
        let barrier = CheckpointBarrier::new(CheckpointId(id), now, CheckpointMode::Unaligned);
        Priority::Barrier { barrier: barrier.with_aligned_timeout(timeout_ms), after }
    }

    #[test]
    fn with_an_alignment_timeout_a_checkpoint_aligned_in_time_stores_nothing() {
        let mut f = fixture(2, Vec::new());
        let cancel = f.env.cancel.clone();
        f.senders[0].send(records(&[1, 2]), &cancel).unwrap();
        f.senders[0].send(records(&[3]), &cancel).unwrap();
        f.senders[0].send_priority(aligned_for(1, 2, 600_000), &cancel).unwrap();
        f.senders[0].send(records(&[4]), &cancel).unwrap();
        f.senders[1].send(records(&[10]), &cancel).unwrap();
        f.senders[1].send_priority(aligned_for(1, 1, 600_000), &cancel).unwrap();
        f.senders[1].send(records(&[11]), &cancel).unwrap();
        for s in &mut f.senders {
            s.send(StreamElement::EndOfInput, &cancel).unwrap();
        }
        Box::new(f.task).run(&f.env).unwrap();
        let log = f.log.lock().unwrap().clone();
        let at = log.iter().position(|l| l == "barrier 1").expect("snapshotted");
        let mut before: Vec<&str> = log[..at].iter().map(String::as_str).collect();
        before.sort();
        assert_eq!(before, ["1", "10", "2", "3"], "aligned: exactly the records before the barriers first: {log:?}");
        let Ok(TaskReport::Ack { state, .. }) = f.reports.try_recv() else { panic!("no ack") };
        assert!(in_flight(state.complete().unwrap()).is_empty(), "aligned: nothing in flight is stored");
    }

    #[test]
    fn with_an_alignment_timeout_a_late_barrier_switches_the_checkpoint_to_unaligned() {
        let f = fixture(2, Vec::new());
        let Fixture { task, mut senders, log, env, reports, _canceller, .. } = f;
        let cancel = env.cancel.clone();
        // Channel 0 is at its barrier at once (and blocked); channel 1's barrier is late.
        senders[0].send_priority(aligned_for(1, 0, 30), &cancel).unwrap();
        senders[0].send(records(&[1]), &cancel).unwrap();
        senders[1].send(records(&[10]), &cancel).unwrap();
        let runner = std::thread::spawn(move || Box::new(task).run(&env));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !log.lock().unwrap().iter().any(|l| l == "barrier 1") {
            assert!(std::time::Instant::now() < deadline, "the timeout never took the snapshot");
            std::thread::sleep(std::time::Duration::from_millis(2)); // polling a condition with a deadline
        }
        // After the snapshot and before its barrier: in flight.
        senders[1].send(records(&[11]), &cancel).unwrap();
        senders[1].send_priority(aligned_for(1, 2, 30), &cancel).unwrap();
        senders[1].send(records(&[12]), &cancel).unwrap();
        for s in &mut senders {
            s.send(StreamElement::EndOfInput, &cancel).unwrap();
        }
        runner.join().unwrap().unwrap();
        let log = log.lock().unwrap().clone();
        let at = log.iter().position(|l| l == "barrier 1").expect("snapshotted");
        let processed: Vec<u32> = log[..at].iter().filter_map(|l| l.parse().ok()).collect();
        assert!(!processed.contains(&1), "channel 0 stayed blocked after its barrier until the switch: {log:?}");
        let Ok(TaskReport::Ack { state, .. }) = reports.try_recv() else { panic!("no ack") };
        let stored = in_flight(state.complete().unwrap());
        assert!(stored.iter().all(|(c, _)| *c == 1), "{stored:?}");
        let mut before: Vec<u32> = processed.into_iter().chain(stored.into_iter().flat_map(|(_, v)| v)).collect();
        before.sort();
        assert_eq!(before, [10, 11], "exactly the records before the barriers: {log:?}");
        assert_eq!(log.iter().filter(|l| l.parse::<u32>().is_ok()).count(), 4, "every record processed once");
    }

    #[test]
    fn with_an_alignment_timeout_a_checkpoint_announced_after_every_producer_finished_stores_nothing() {
        // Both producers finished (their ends announced ahead of what they left queued)
        // before checkpoint 1 was triggered: it reaches the task only by the job's
        // announcement. Its timeout is never reached, so it is aligned: the task takes
        // each channel up to its end before the snapshot, and stores nothing in flight.
        let mut f = fixture(2, Vec::new());
        let cancel = f.env.cancel.clone();
        f.senders[0].send(records(&[1, 2]), &cancel).unwrap();
        f.senders[0].send(records(&[3]), &cancel).unwrap();
        f.senders[1].send(records(&[10]), &cancel).unwrap();
        for s in &mut f.senders {
            let after = s.sent();
            s.send_priority(Priority::End { after }, &cancel).unwrap();
            s.send(StreamElement::EndOfInput, &cancel).unwrap();
        }
        let Priority::Barrier { barrier, .. } = aligned_for(1, 0, 600_000) else { unreachable!() };
        f.announce.send(crate::task::TaskMessage::Barrier(barrier)).unwrap();
        Box::new(f.task).run(&f.env).unwrap();
        let log = f.log.lock().unwrap().clone();
        let at = log.iter().position(|l| l == "barrier 1").expect("snapshotted");
        let mut before: Vec<&str> = log[..at].iter().map(String::as_str).collect();
        before.sort();
        assert_eq!(before, ["1", "10", "2", "3"], "aligned: every record before the ends first: {log:?}");
        let Ok(TaskReport::Ack { checkpoint, state, .. }) = f.reports.try_recv() else { panic!("no ack") };
        assert_eq!(checkpoint, CheckpointId(1));
        assert_eq!(in_flight(state.complete().unwrap()), vec![], "aligned: nothing in flight is stored");
    }

    #[test]
    fn with_an_alignment_timeout_a_checkpoint_announced_after_every_producer_finished_switches_at_the_timeout() {
        // As above, but the task is stuck behind the queued records past the timeout:
        // the checkpoint switches to unaligned and stores what is queued before the ends.
        let f = fixture(2, Vec::new());
        let Fixture { task, mut senders, log, env, reports, announce, _canceller } = f;
        let cancel = env.cancel.clone();
        senders[0].send(records(&[1]), &cancel).unwrap();
        senders[1].send(records(&[10]), &cancel).unwrap();
        let Priority::Barrier { barrier, .. } = aligned_for(1, 0, 30) else { unreachable!() };
        announce.send(crate::task::TaskMessage::Barrier(barrier)).unwrap();
        let runner = std::thread::spawn(move || Box::new(task).run(&env));
        // Channel 0 ends now; channel 1's producer announces its end only after the
        // timeout, with a batch still to come before it.
        let after = senders[0].sent();
        senders[0].send_priority(Priority::End { after }, &cancel).unwrap();
        senders[0].send(StreamElement::EndOfInput, &cancel).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(60)); // past the 30 ms timeout
        let after = senders[1].sent() + 1;
        senders[1].send_priority(Priority::End { after }, &cancel).unwrap();
        senders[1].send(records(&[11]), &cancel).unwrap();
        senders[1].send(StreamElement::EndOfInput, &cancel).unwrap();
        runner.join().unwrap().unwrap();
        let log = log.lock().unwrap().clone();
        let at = log.iter().position(|l| l == "barrier 1").expect("snapshotted");
        let processed: Vec<u32> = log[..at].iter().filter_map(|l| l.parse().ok()).collect();
        let Ok(TaskReport::Ack { state, .. }) = reports.try_recv() else { panic!("no ack") };
        let stored = in_flight(state.complete().unwrap());
        assert!(!stored.is_empty(), "switched to unaligned at the timeout: {log:?}");
        let mut before: Vec<u32> = processed.into_iter().chain(stored.into_iter().flat_map(|(_, v)| v)).collect();
        before.sort();
        assert_eq!(before, [1, 10, 11], "exactly the records before the ends: {log:?}");
        assert_eq!(log.iter().filter(|l| l.parse::<u32>().is_ok()).count(), 3, "every record processed once");
    }

    #[test]
    fn a_barrier_at_the_head_of_its_channel_captures_the_other_channels_until_theirs() {
        let mut f = fixture(2, Vec::new());
        let cancel = f.env.cancel.clone();
        f.senders[0].send_priority(unaligned(1, 0), &cancel).unwrap();
        f.senders[0].send(records(&[1]), &cancel).unwrap();
        f.senders[1].send(records(&[10]), &cancel).unwrap();
        f.senders[1].send(records(&[11]), &cancel).unwrap();
        // Channel 1's barrier comes late, after both batches: both are in flight.
        f.senders[1].send_priority(unaligned(1, 2), &cancel).unwrap();
        for s in &mut f.senders {
            s.send(StreamElement::EndOfInput, &cancel).unwrap();
        }
        Box::new(f.task).run(&f.env).unwrap();
        let Ok(TaskReport::Ack { state, .. }) = f.reports.try_recv() else { panic!("no ack") };
        assert_eq!(in_flight(state.complete().unwrap()), vec![(1, vec![10]), (1, vec![11])]);
    }

    #[test]
    fn a_restored_task_replays_its_in_flight_records_before_any_new_input() {
        let stored = |channel: u32, values: &[u32]| {
            let batch: Vec<StreamRecord<u32>> = values.iter().map(|&v| StreamRecord::new(v)).collect();
            ReplayBatch { channel, bytes: codec().encode(&batch).unwrap(), keep: Keep::All }
        };
        let replay = vec![stored(1, &[7, 8]), stored(0, &[9])];
        let mut f = fixture(2, replay);
        let cancel = f.env.cancel.clone();
        // New input is there before the task starts: it must still come after the replay.
        f.senders[0].send(records(&[1]), &cancel).unwrap();
        f.senders[1].send(records(&[2]), &cancel).unwrap();
        for s in &mut f.senders {
            s.send(StreamElement::EndOfInput, &cancel).unwrap();
        }
        Box::new(f.task).run(&f.env).unwrap();
        let log = f.log.lock().unwrap().clone();
        assert_eq!(log[..3], ["7", "8", "9"], "{log:?}");
        assert_eq!(log.len(), 5);
    }

    // -----------------------------------------------------------------------------------
    // A randomized run of the whole protocol: producers on their own threads send batches,
    // overtaking barriers (with the partly filled batch right after, as a record writer
    // does) and their ends; some finish before later checkpoints, which the task then
    // learns of from the job's announcement only. For every checkpoint the task
    // acknowledges, what it processed before its snapshot plus what it stored must be
    // exactly the records sent before that checkpoint's barrier (or the end) on each
    // channel.

    /// xorshift: the schedule of one seed.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n.max(1)
        }
    }

    /// What one producer sent: the values of each data-lane position, and where each
    /// checkpoint's barrier (or, for checkpoints after it finished, its end) was placed.
    #[derive(Default)]
    struct Sent {
        positions: Vec<Vec<u32>>,
        barriers: std::collections::BTreeMap<u64, u64>,
        end: u64,
    }

    impl Sent {
        /// The values sent before checkpoint `id`.
        fn before(&self, id: u64) -> Vec<u32> {
            let until = self.barriers.get(&id).copied().unwrap_or(self.end);
            self.positions[..until as usize].iter().flatten().copied().collect()
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn produce(
        channel: u32,
        mut tx: ChannelSender<u32>,
        triggers: Receiver<CheckpointBarrier>,
        batches: u64,
        seed: u64,
        cancel: crate::channel::CancelToken,
    ) -> Sent {
        let mut rng = Rng(seed);
        let mut sent = Sent::default();
        let mut next = channel * 1_000_000;
        let mut batch = |rng: &mut Rng| {
            let n = 1 + rng.below(3) as u32;
            let values: Vec<u32> = (next..next + n).collect();
            next += n;
            values
        };
        let send = |tx: &mut ChannelSender<u32>, sent: &mut Sent, values: Vec<u32>| {
            tx.send(records(&values), &cancel).unwrap();
            sent.positions.push(values);
        };
        for _ in 0..batches {
            for barrier in triggers.try_iter() {
                let id = barrier.id.0;
                // A record writer with a partly filled batch counts it before the barrier
                // and sends it right after.
                let partial = rng.below(2) == 0;
                let after = tx.sent() + u64::from(partial);
                tx.send_priority(Priority::Barrier { barrier, after }, &cancel).unwrap();
                sent.barriers.insert(id, after);
                if partial {
                    let values = batch(&mut rng);
                    send(&mut tx, &mut sent, values);
                }
            }
            let values = batch(&mut rng);
            send(&mut tx, &mut sent, values);
            if rng.below(8) == 0 {
                std::thread::sleep(std::time::Duration::from_micros(rng.below(300)));
            }
        }
        let partial = rng.below(2) == 0;
        let end = tx.sent() + u64::from(partial);
        tx.send_priority(Priority::End { after: end }, &cancel).unwrap();
        if partial {
            let values = batch(&mut rng);
            send(&mut tx, &mut sent, values);
        }
        sent.end = end;
        tx.send(StreamElement::EndOfInput, &cancel).unwrap();
        sent
    }

    /// An alignment timeout no run reaches.
    const NEVER_MS: u64 = 60_000;

    /// A run of `seed`; barriers carry an alignment timeout of `aligned_timeout_ms` (0:
    /// unaligned from the start).
    fn randomized_run(seed: u64, aligned_timeout_ms: u64) {
        let mut rng = Rng(seed | 1);
        let channels = 1 + rng.below(3) as usize;
        let (canceller, cancel) = cancellation();
        let mut inputs = Vec::new();
        let mut producers = Vec::new();
        let mut triggers = Vec::new();
        for c in 0..channels {
            let (tx, mut rx) = local_channel::<u32>(1);
            rx.watch_priority(1 + rng.below(4) as usize);
            inputs.push(Direct.adapt(Box::new(TypedReceiver { channel: rx, codec: Some(codec()) })).unwrap());
            let (ttx, trx) = crossbeam_channel::unbounded();
            triggers.push(ttx);
            // Some producers finish long before the others.
            let batches = if rng.below(3) == 0 { rng.below(20) } else { 100 + rng.below(200) };
            let (seed, cancel) = (rng.below(u64::MAX) | 1, cancel.clone());
            producers.push(std::thread::spawn(move || produce(c as u32, tx, trx, batches, seed, cancel)));
        }
        let log = Arc::new(Mutex::new(Vec::new()));
        let target = InFlightTarget { head_id: "head".into(), subtask: 0, parallelism: 1, sources: sources(channels) };
        let task = InputTask::new(inputs, Box::new(Recorder(log.clone()))).with_in_flight(target, Vec::new());
        let (announce, mailbox) = bounded(64);
        let (reports_tx, reports) = crossbeam_channel::unbounded();
        let env = TaskEnv {
            cancel,
            batch_size: 16,
            buffer_timeout: None,
            clock: Arc::new(crate::clock::SystemClock),
            task: TaskId { vertex: VertexId(1), subtask: SubtaskIndex(0) },
            mailbox,
            reports: reports_tx,
            checkpointing: true,
        };
        let runner = std::thread::spawn(move || Box::new(task).run(&env));
        // The job: checkpoints injected at the producers and announced to the task.
        let checkpoints = 1 + rng.below(12);
        for id in 1..=checkpoints {
            std::thread::sleep(std::time::Duration::from_micros(rng.below(1500)));
            let now = crate::checkpointing::epoch_ms();
            let barrier = CheckpointBarrier::new(CheckpointId(id), now, CheckpointMode::Unaligned)
                .with_aligned_timeout(aligned_timeout_ms);
            for t in &triggers {
                let _ = t.send(barrier);
            }
            let _ = announce.send(crate::task::TaskMessage::Barrier(barrier));
        }
        let sent: Vec<Sent> = producers.into_iter().map(|p| p.join().unwrap()).collect();
        runner.join().unwrap().unwrap();
        drop(canceller);
        let log = log.lock().unwrap().clone();
        let mut acked = 0;
        for report in reports.try_iter() {
            let TaskReport::Ack { checkpoint, state, .. } = report else { continue };
            acked += 1;
            let id = checkpoint.0;
            let mark = format!("barrier {id}");
            let at = log.iter().position(|l| *l == mark).expect("an acknowledged checkpoint was snapshotted");
            let mut got: Vec<u32> = log[..at].iter().filter_map(|l| l.parse().ok()).collect();
            let stored = in_flight(state.complete().unwrap());
            // A timeout the run never reaches: every checkpoint is aligned.
            if aligned_timeout_ms >= NEVER_MS {
                assert!(stored.is_empty(), "seed {seed}: aligned checkpoint {id} stored in-flight records {stored:?}");
            }
            got.extend(stored.into_iter().flat_map(|(_, v)| v));
            got.sort_unstable();
            let mut want: Vec<u32> = sent.iter().flat_map(|s| s.before(id)).collect();
            want.sort_unstable();
            if got != want {
                let extra: Vec<&u32> = got.iter().filter(|v| want.binary_search(v).is_err()).take(10).collect();
                let missing: Vec<&u32> = want.iter().filter(|v| got.binary_search(v).is_err()).take(10).collect();
                let doubled = got.windows(2).filter(|w| w[0] == w[1]).count();
                let schedule: Vec<String> = sent
                    .iter()
                    .map(|s| format!("barriers {:?} end {} of {} positions", s.barriers, s.end, s.positions.len()))
                    .collect();
                panic!(
                    "seed {seed}, checkpoint {id} of {channels} channels: {} records before it, {} expected; \
                     doubled {doubled}, extra {extra:?}, missing {missing:?}; sent: {schedule:?}; log: {log:?}",
                    got.len(),
                    want.len()
                );
            }
        }
        // Every record is processed exactly once, whatever was stored.
        let mut all: Vec<u32> = log.iter().filter_map(|l| l.parse().ok()).collect();
        all.sort_unstable();
        let mut want: Vec<u32> = sent.iter().flat_map(|s| s.positions.iter().flatten().copied()).collect();
        want.sort_unstable();
        assert_eq!(all, want, "seed {seed}: every record processed once ({acked} checkpoints acknowledged)");
    }

    #[test]
    fn randomized_schedules_store_exactly_the_records_before_each_barrier() {
        for seed in 1..=300u64 {
            randomized_run(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15), 0);
        }
    }

    #[test]
    fn randomized_schedules_with_an_alignment_timeout_store_exactly_the_records_before_each_barrier() {
        // Timeouts from "already passed" to "never": checkpoints that align in time, ones
        // that switch to unaligned halfway, and ones unaligned from the start.
        for seed in 1..=300u64 {
            let timeout = [1, 2, 5, NEVER_MS][(seed % 4) as usize];
            randomized_run(seed.wrapping_mul(0x2545_f491_4f6c_dd1d), timeout);
        }
    }
}
