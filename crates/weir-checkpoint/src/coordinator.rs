//! The job side of checkpointing: the [`CheckpointCoordinator`] decides when to trigger
//! a checkpoint, collects the tasks' acknowledgements, commits the checkpoint through its
//! manifest, and tells everyone the outcome (Flink's `CheckpointCoordinator`).
//!
//! A pure state machine: the job manager feeds it timer ticks and task messages, each
//! with the current time, and performs the [`CoordinatorDecision`]s it returns in order.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::{
    AbortReason, CheckpointBarrier, CheckpointConfig, CheckpointError, CheckpointId, CheckpointKind, Manifest,
    StateHandle, StoredCheckpoint, TaskId, TaskSnapshot,
};

/// What the job manager must do, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoordinatorDecision {
    /// Send this barrier into every source task.
    InjectBarrier(CheckpointBarrier),
    /// Every task acknowledged: write this manifest to storage, then report
    /// [`CheckpointCoordinator::on_storage_written`] or
    /// [`CheckpointCoordinator::on_storage_failed`].
    WriteManifest(Manifest),
    /// The checkpoint is complete and is the restore point: tell every task (two-phase
    /// commit sinks commit now).
    NotifyComplete(CheckpointId),
    /// The savepoint is complete: report it to the user. No side effects are committed and
    /// it is not a restore point (as in Flink since 1.15).
    SavepointComplete(CheckpointId),
    /// The checkpoint is given up: tell every task (they drop its snapshot and pending
    /// pre-commits).
    NotifyAborted(CheckpointId, AbortReason),
    /// Delete whatever storage holds for this checkpoint: an aborted one, or a completed
    /// one beyond the retained count. Perform it after any earlier storage call for the
    /// same checkpoint (a manifest write in flight), and before restoring after a failover.
    DiscardCheckpoint(CheckpointId),
    /// Too many consecutive checkpoints failed: fail the job (the restart strategy decides
    /// what follows).
    FailJob(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Waiting for acknowledgements; the timeout applies.
    Acking,
    /// Every task acknowledged; the manifest is being written. Only the storage outcome
    /// (or a failover) ends it, so storage and coordinator never disagree on completion.
    Writing,
}

#[derive(Debug, Clone)]
struct Pending {
    barrier: CheckpointBarrier,
    acks: BTreeMap<TaskId, StateHandle>,
    stage: Stage,
}

/// Triggers checkpoints and decides when each is complete.
///
/// # Protocol
///
/// 1. On [`tick`](Self::tick), pending checkpoints still waiting for acknowledgements
///    `timeout` after their trigger are aborted (`Expired`). Then a periodic checkpoint is
///    triggered if the interval has passed since the last trigger, fewer than
///    `max_concurrent` are pending, and — when `min_pause` is set — none is pending and
///    `min_pause` has passed since the last one ended. A savepoint is triggered on request
///    regardless. Triggering is `InjectBarrier` with the next id.
/// 2. Each task acknowledges with its state handle. When every task of the job has,
///    the coordinator asks for the manifest (`WriteManifest`).
/// 3. When storage reports the manifest durable, the checkpoint is complete:
///    `NotifyComplete`, then older pending periodic checkpoints are aborted as subsumed,
///    then completed checkpoints beyond `retained` are discarded, oldest first.
/// 4. A decline, an expiry or a failed manifest write aborts the checkpoint
///    (`NotifyAborted`, `DiscardCheckpoint`). Aborts that count (see
///    [`AbortReason::counts_as_failure`]; savepoints never count) add to the consecutive
///    failures, and a completed checkpoint resets them; beyond `tolerable_failures`,
///    `FailJob`, and every other pending checkpoint is aborted.
/// 5. A task failure aborts every pending checkpoint; the next is due an interval later.
///
/// # Invariant
///
/// A checkpoint is complete — and the restore point — exactly when every task has
/// acknowledged it and its manifest is durable; only then is `NotifyComplete` sent.
/// Completed checkpoint ids only grow (a completion aborts older pending ones), so the
/// restore point never goes backwards, and it is never discarded. Every triggered
/// checkpoint ends exactly once, completed or aborted.
///
/// # Example
///
/// ```
/// use weir_checkpoint::{CheckpointConfig, CheckpointCoordinator, CheckpointId, CoordinatorDecision::*, StateHandle, TaskId};
/// let task = TaskId::new(0, 0);
/// let mut coordinator = CheckpointCoordinator::new(CheckpointConfig::every(1_000), [task], &[], 0)?;
/// assert_eq!(coordinator.tick(999), vec![]);
/// let [InjectBarrier(barrier)] = coordinator.tick(1_000)[..] else { panic!("a barrier is due") };
/// let state = StateHandle::new("v0-0.state", 3);
/// let [WriteManifest(manifest)] = &coordinator.on_ack(barrier.id, task, state)?[..] else { panic!("all acked") };
/// assert_eq!(coordinator.latest_completed(), None); // not before the manifest is durable
/// assert_eq!(coordinator.on_storage_written(manifest.checkpoint, 1_050), vec![NotifyComplete(CheckpointId(1))]);
/// assert_eq!(coordinator.latest_completed(), Some(CheckpointId(1)));
/// # Ok::<(), weir_checkpoint::CheckpointError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CheckpointCoordinator {
    config: CheckpointConfig,
    tasks: BTreeSet<TaskId>,
    next_id: CheckpointId,
    pending: BTreeMap<CheckpointId, Pending>,
    /// Completed periodic checkpoints still kept, oldest first; the last is the restore point.
    retained: VecDeque<CheckpointId>,
    next_due_ms: u64,
    last_end_ms: Option<u64>,
    consecutive_failures: u32,
}

impl CheckpointCoordinator {
    /// A coordinator for a job of `tasks`, started at `now_ms`. `stored` is what storage
    /// holds from earlier runs ([`CheckpointStorage::list_completed`](crate::CheckpointStorage::list_completed)):
    /// new ids continue after all of them, and its checkpoints count toward retention.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidConfig`] if the configuration is inconsistent or the job
    /// has no task.
    pub fn new(
        config: CheckpointConfig,
        tasks: impl IntoIterator<Item = TaskId>,
        stored: &[StoredCheckpoint],
        now_ms: u64,
    ) -> Result<Self, CheckpointError> {
        config.validate()?;
        let tasks: BTreeSet<TaskId> = tasks.into_iter().collect();
        if tasks.is_empty() {
            return Err(CheckpointError::InvalidConfig("a job without tasks has nothing to checkpoint".into()));
        }
        let mut retained: Vec<CheckpointId> =
            stored.iter().filter(|s| s.kind == CheckpointKind::Checkpoint).map(|s| s.id).collect();
        retained.sort();
        let next_id = stored.iter().map(|s| s.id.next()).max().unwrap_or(CheckpointId(1));
        Ok(CheckpointCoordinator {
            next_due_ms: now_ms.saturating_add(config.interval_ms),
            config,
            tasks,
            next_id,
            pending: BTreeMap::new(),
            retained: retained.into(),
            last_end_ms: None,
            consecutive_failures: 0,
        })
    }

    /// The restore point: the newest completed periodic checkpoint.
    pub fn latest_completed(&self) -> Option<CheckpointId> {
        self.retained.back().copied()
    }

    /// Checkpoints triggered and not yet ended, oldest first.
    pub fn pending(&self) -> Vec<CheckpointId> {
        self.pending.keys().copied().collect()
    }

    /// Completed checkpoints kept in storage, oldest first.
    pub fn retained(&self) -> Vec<CheckpointId> {
        self.retained.iter().copied().collect()
    }

    /// Time passed: expire overdue checkpoints and trigger one if it is due (steps 1, 4).
    pub fn tick(&mut self, now_ms: u64) -> Vec<CoordinatorDecision> {
        let mut out = Vec::new();
        let overdue: Vec<CheckpointId> = self
            .pending
            .iter()
            .filter(|(_, p)| {
                p.stage == Stage::Acking && now_ms >= p.barrier.timestamp_ms.saturating_add(self.config.timeout_ms)
            })
            .map(|(&id, _)| id)
            .collect();
        for id in overdue {
            self.abort(id, AbortReason::Expired, now_ms, &mut out);
        }
        if self.periodic_due(now_ms) {
            self.next_due_ms = now_ms.saturating_add(self.config.interval_ms);
            let barrier = self.config.barrier(self.next_id, now_ms);
            self.trigger(barrier, &mut out);
        }
        out
    }

    /// The user asked for a savepoint: trigger it now, whatever the interval, pause and
    /// concurrency limits (as Flink does). Its id is in the `InjectBarrier` decision.
    pub fn trigger_savepoint(&mut self, now_ms: u64) -> Vec<CoordinatorDecision> {
        let mut out = Vec::new();
        self.trigger(CheckpointBarrier::savepoint(self.next_id, now_ms), &mut out);
        out
    }

    /// Triggers a checkpoint now, whatever the interval and limits: the last checkpoint of
    /// a job whose tasks have all finished, which commits their final output.
    pub fn trigger_checkpoint(&mut self, now_ms: u64) -> Vec<CoordinatorDecision> {
        let mut out = Vec::new();
        self.next_due_ms = now_ms.saturating_add(self.config.interval_ms);
        self.trigger(self.config.barrier(self.next_id, now_ms), &mut out);
        out
    }

    /// `task` snapshotted its state for `checkpoint` (step 2). Acknowledgements of
    /// checkpoints no longer pending, and repeated ones, are ignored.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::UnknownTask`] if `task` is not part of the job.
    pub fn on_ack(
        &mut self,
        checkpoint: CheckpointId,
        task: TaskId,
        state: StateHandle,
    ) -> Result<Vec<CoordinatorDecision>, CheckpointError> {
        self.check_task(task)?;
        let mut out = Vec::new();
        let Some(pending) = self.pending.get_mut(&checkpoint) else { return Ok(out) };
        if pending.stage != Stage::Acking {
            return Ok(out);
        }
        pending.acks.entry(task).or_insert(state);
        if pending.acks.len() == self.tasks.len() {
            pending.stage = Stage::Writing;
            let tasks = pending.acks.iter().map(|(&task, state)| TaskSnapshot { task, state: state.clone() }).collect();
            out.push(CoordinatorDecision::WriteManifest(Manifest::new(&pending.barrier, tasks)));
        }
        Ok(out)
    }

    /// `task` could not take part in `checkpoint`: abort it (step 4). Ignored if the
    /// checkpoint already ended or every task already acknowledged it.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::UnknownTask`] if `task` is not part of the job.
    pub fn on_decline(
        &mut self,
        checkpoint: CheckpointId,
        task: TaskId,
        reason: AbortReason,
        now_ms: u64,
    ) -> Result<Vec<CoordinatorDecision>, CheckpointError> {
        self.check_task(task)?;
        let mut out = Vec::new();
        if self.pending.get(&checkpoint).is_some_and(|p| p.stage == Stage::Acking) {
            self.abort(checkpoint, AbortReason::Declined { task, reason: Box::new(reason) }, now_ms, &mut out);
        }
        Ok(out)
    }

    /// The manifest of `checkpoint` is durable: it is complete (step 3). Ignored unless
    /// its manifest was asked for and it has not ended since.
    pub fn on_storage_written(&mut self, checkpoint: CheckpointId, now_ms: u64) -> Vec<CoordinatorDecision> {
        let mut out = Vec::new();
        if !self.pending.get(&checkpoint).is_some_and(|p| p.stage == Stage::Writing) {
            return out;
        }
        let Some(done) = self.pending.remove(&checkpoint) else { return out };
        self.last_end_ms = Some(now_ms);
        if done.barrier.kind == CheckpointKind::Savepoint {
            out.push(CoordinatorDecision::SavepointComplete(checkpoint));
            return out;
        }
        self.consecutive_failures = 0;
        out.push(CoordinatorDecision::NotifyComplete(checkpoint));
        let subsumed: Vec<CheckpointId> = self
            .pending
            .range(..checkpoint)
            .filter(|(_, p)| p.barrier.kind == CheckpointKind::Checkpoint)
            .map(|(&id, _)| id)
            .collect();
        for id in subsumed {
            self.abort(id, AbortReason::Subsumed { by: checkpoint }, now_ms, &mut out);
        }
        self.retained.push_back(checkpoint);
        while self.retained.len() > self.config.retained {
            if let Some(old) = self.retained.pop_front() {
                out.push(CoordinatorDecision::DiscardCheckpoint(old));
            }
        }
        out
    }

    /// Writing the manifest of `checkpoint` failed: abort it (step 4).
    pub fn on_storage_failed(
        &mut self,
        checkpoint: CheckpointId,
        error: String,
        now_ms: u64,
    ) -> Vec<CoordinatorDecision> {
        let mut out = Vec::new();
        if self.pending.get(&checkpoint).is_some_and(|p| p.stage == Stage::Writing) {
            self.abort(checkpoint, AbortReason::StorageFailed(error), now_ms, &mut out);
        }
        out
    }

    /// A task failed and the job fails over: abort every pending checkpoint (step 5).
    pub fn on_task_failure(&mut self, now_ms: u64) -> Vec<CoordinatorDecision> {
        let mut out = Vec::new();
        self.abort_all(AbortReason::JobFailover, now_ms, &mut out);
        self.next_due_ms = now_ms.saturating_add(self.config.interval_ms);
        out
    }

    fn check_task(&self, task: TaskId) -> Result<(), CheckpointError> {
        if self.tasks.contains(&task) {
            Ok(())
        } else {
            Err(CheckpointError::UnknownTask(task))
        }
    }

    fn periodic_due(&self, now_ms: u64) -> bool {
        if now_ms < self.next_due_ms || self.pending.len() >= self.config.max_concurrent {
            return false;
        }
        // The pause runs from the end of the last checkpoint, so while one is pending it
        // has not started: a pause implies one checkpoint at a time.
        self.config.min_pause_ms == 0
            || (self.pending.is_empty()
                && self.last_end_ms.is_none_or(|end| now_ms >= end.saturating_add(self.config.min_pause_ms)))
    }

    fn trigger(&mut self, barrier: CheckpointBarrier, out: &mut Vec<CoordinatorDecision>) {
        self.next_id = barrier.id.next();
        self.pending.insert(barrier.id, Pending { barrier, acks: BTreeMap::new(), stage: Stage::Acking });
        out.push(CoordinatorDecision::InjectBarrier(barrier));
    }

    fn abort(&mut self, id: CheckpointId, reason: AbortReason, now_ms: u64, out: &mut Vec<CoordinatorDecision>) {
        let Some(aborted) = self.pending.remove(&id) else { return };
        self.last_end_ms = Some(now_ms);
        let counts = aborted.barrier.kind == CheckpointKind::Checkpoint && reason.counts_as_failure();
        let cause = reason.to_string();
        out.push(CoordinatorDecision::NotifyAborted(id, reason));
        out.push(CoordinatorDecision::DiscardCheckpoint(id));
        if !counts {
            return;
        }
        self.consecutive_failures += 1;
        if self.consecutive_failures > self.config.tolerable_failures {
            out.push(CoordinatorDecision::FailJob(format!(
                "{} consecutive checkpoints failed, {} tolerated; the last, {id}: {cause}",
                self.consecutive_failures, self.config.tolerable_failures
            )));
            self.consecutive_failures = 0;
            self.abort_all(AbortReason::JobFailover, now_ms, out);
            self.next_due_ms = now_ms.saturating_add(self.config.interval_ms);
        }
    }

    fn abort_all(&mut self, reason: AbortReason, now_ms: u64, out: &mut Vec<CoordinatorDecision>) {
        for id in self.pending() {
            self.abort(id, reason.clone(), now_ms, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CoordinatorDecision::*;
    use super::*;
    use crate::CheckpointMode;

    const T0: TaskId = TaskId::new(0, 0);
    const T1: TaskId = TaskId::new(1, 0);

    fn cp(id: u64) -> CheckpointId {
        CheckpointId(id)
    }

    fn handle(task: TaskId) -> StateHandle {
        StateHandle::new(format!("v{}-{}.state", task.vertex.0, task.subtask.0), 1)
    }

    fn inject(id: u64, now: u64) -> CoordinatorDecision {
        InjectBarrier(CheckpointBarrier::new(cp(id), now, CheckpointMode::AlignedExactlyOnce))
    }

    fn manifest(id: u64, now: u64) -> CoordinatorDecision {
        manifest_of(CheckpointBarrier::new(cp(id), now, CheckpointMode::AlignedExactlyOnce))
    }

    fn manifest_of(b: CheckpointBarrier) -> CoordinatorDecision {
        WriteManifest(Manifest::new(&b, [T0, T1].map(|task| TaskSnapshot { task, state: handle(task) }).to_vec()))
    }

    fn aborted(id: u64, reason: AbortReason) -> [CoordinatorDecision; 2] {
        [NotifyAborted(cp(id), reason), DiscardCheckpoint(cp(id))]
    }

    fn declined(task: TaskId, reason: AbortReason) -> AbortReason {
        AbortReason::Declined { task, reason: Box::new(reason) }
    }

    #[derive(Debug, Clone)]
    enum Ev {
        Tick(u64),
        Ack(u64, TaskId),
        Decline(u64, TaskId, AbortReason, u64),
        Written(u64, u64),
        WriteFailed(u64, u64),
        Savepoint(u64),
        Failure(u64),
    }
    use Ev::*;

    fn apply(c: &mut CheckpointCoordinator, ev: Ev) -> Result<Vec<CoordinatorDecision>, CheckpointError> {
        Ok(match ev {
            Tick(now) => c.tick(now),
            Ack(id, task) => c.on_ack(cp(id), task, handle(task))?,
            Decline(id, task, reason, now) => c.on_decline(cp(id), task, reason, now)?,
            Written(id, now) => c.on_storage_written(cp(id), now),
            WriteFailed(id, now) => c.on_storage_failed(cp(id), "disk full".into(), now),
            Savepoint(now) => c.trigger_savepoint(now),
            Failure(now) => c.on_task_failure(now),
        })
    }

    /// An event and the decisions it must produce.
    type Step = (Ev, Vec<CoordinatorDecision>);

    /// Ack by both tasks, then the manifest.
    fn complete(id: u64, triggered: u64, written: u64) -> Vec<Step> {
        vec![
            (Ack(id, T0), vec![]),
            (Ack(id, T1), vec![manifest(id, triggered)]),
            (Written(id, written), vec![NotifyComplete(cp(id))]),
        ]
    }

    #[test]
    fn scripted_scenarios() {
        let base = CheckpointConfig { timeout_ms: 500, ..CheckpointConfig::every(100) };
        let snapshot_failed = || AbortReason::SnapshotFailed("oom".into());
        let cases: Vec<(&str, CheckpointConfig, Vec<Step>)> = vec![
            ("the happy path, then the next interval", base.clone(), {
                let mut s = vec![(Tick(99), vec![]), (Tick(100), vec![inject(1, 100)])];
                s.extend(complete(1, 100, 150));
                s.push((Tick(199), vec![]));
                s.push((Tick(200), vec![inject(2, 200)]));
                s
            }),
            (
                "complete only when the manifest is durable, and the timeout stops at the write",
                base.clone(),
                vec![
                    (Tick(100), vec![inject(1, 100)]),
                    (Ack(1, T0), vec![]),
                    (Ack(1, T0), vec![]), // duplicate
                    (Ack(1, T1), vec![manifest(1, 100)]),
                    (Ack(1, T1), vec![]),
                    (Tick(10_000), vec![]), // no expiry while writing, and max concurrent 1
                    (Written(1, 10_001), vec![NotifyComplete(cp(1))]),
                    (Written(1, 10_002), vec![]), // repeated report
                ],
            ),
            (
                "a timeout aborts, and with no tolerance fails the job",
                base.clone(),
                vec![
                    (Tick(100), vec![inject(1, 100)]),
                    (Ack(1, T0), vec![]),
                    (Tick(599), vec![]),
                    (Tick(600), [aborted(1, AbortReason::Expired).to_vec(), vec![FailJob(
                        "1 consecutive checkpoints failed, 0 tolerated; the last, chk-1: expired before every task acknowledged".into(),
                    )]]
                    .concat()),
                    (Ack(1, T1), vec![]), // late
                    (Written(1, 700), vec![]),
                ],
            ),
            (
                "tolerated failures; a completion resets the count",
                CheckpointConfig { tolerable_failures: 1, ..base.clone() },
                {
                    let mut s = vec![
                        (Tick(100), vec![inject(1, 100)]),
                        (Decline(1, T1, snapshot_failed(), 110), aborted(1, declined(T1, snapshot_failed())).to_vec()),
                        (Decline(1, T0, snapshot_failed(), 111), vec![]), // already aborted
                        (Tick(200), vec![inject(2, 200)]),
                    ];
                    s.extend(complete(2, 200, 210));
                    s.push((Tick(300), vec![inject(3, 300)]));
                    s.push((Ack(3, T0), vec![]));
                    s.push((Ack(3, T1), vec![manifest(3, 300)]));
                    s.push((WriteFailed(3, 310), aborted(3, AbortReason::StorageFailed("disk full".into())).to_vec()));
                    s.push((Tick(400), vec![inject(4, 400)]));
                    s.push((
                        Tick(900),
                        [aborted(4, AbortReason::Expired).to_vec(), vec![FailJob("2 consecutive checkpoints failed, 1 tolerated; the last, chk-4: expired before every task acknowledged".into())]].concat(),
                    ));
                    s
                },
            ),
            (
                "min pause: counted from the end of the last checkpoint, aborted or completed",
                CheckpointConfig { min_pause_ms: 250, max_concurrent: 3, tolerable_failures: 9, ..base.clone() },
                {
                    let mut s = vec![(Tick(100), vec![inject(1, 100)]), (Tick(200), vec![])];
                    s.extend(complete(1, 100, 260));
                    s.push((Tick(509), vec![]));
                    s.push((Tick(510), vec![inject(2, 510)]));
                    s.push((Decline(2, T0, AbortReason::Cancelled, 520), aborted(2, declined(T0, AbortReason::Cancelled)).to_vec()));
                    s.push((Tick(769), vec![]));
                    s.push((Tick(770), vec![inject(3, 770)]));
                    s
                },
            ),
            (
                "max concurrent, and a completion subsumes older pending checkpoints",
                CheckpointConfig { max_concurrent: 2, retained: 3, ..base.clone() },
                {
                    let mut s = vec![
                        (Tick(100), vec![inject(1, 100)]),
                        (Tick(200), vec![inject(2, 200)]),
                        (Tick(300), vec![]),
                        (Ack(1, T0), vec![]),
                    ];
                    s.push((Ack(2, T0), vec![]));
                    s.push((Ack(2, T1), vec![manifest(2, 200)]));
                    s.push((
                        Written(2, 310),
                        [vec![NotifyComplete(cp(2))], aborted(1, AbortReason::Subsumed { by: cp(2) }).to_vec()].concat(),
                    ));
                    s.push((Tick(311), vec![inject(3, 311)]));
                    s
                },
            ),
            ("retention discards the oldest after the newest is durable", CheckpointConfig { retained: 2, ..base.clone() }, {
                let mut s = vec![];
                for id in 1..=3 {
                    s.push((Tick(id * 100), vec![inject(id, id * 100)]));
                    s.extend(complete(id, id * 100, id * 100 + 10));
                }
                s.last_mut().expect("three steps").1.push(DiscardCheckpoint(cp(1)));
                s
            }),
            (
                "savepoints: forced, aligned, never subsumed, not restore points, not counted",
                CheckpointConfig { mode: CheckpointMode::Unaligned, ..base.clone() },
                vec![
                    (Tick(100), vec![InjectBarrier(CheckpointBarrier::new(cp(1), 100, CheckpointMode::Unaligned))]),
                    (Savepoint(150), vec![InjectBarrier(CheckpointBarrier::savepoint(cp(2), 150))]),
                    (Savepoint(160), vec![InjectBarrier(CheckpointBarrier::savepoint(cp(3), 160))]),
                    (Decline(3, T0, snapshot_failed(), 170), aborted(3, declined(T0, snapshot_failed())).to_vec()),
                    (Ack(2, T0), vec![]),
                    (Ack(2, T1), vec![manifest_of(CheckpointBarrier::savepoint(cp(2), 150))]),
                    (Written(2, 180), vec![SavepointComplete(cp(2))]),
                    (Ack(1, T0), vec![]),
                    (Ack(1, T1), vec![manifest_of(CheckpointBarrier::new(cp(1), 100, CheckpointMode::Unaligned))]),
                    (Written(1, 190), vec![NotifyComplete(cp(1))]),
                ],
            ),
            (
                "a task failure aborts everything pending without counting, and postpones the next",
                base.clone(),
                vec![
                    (Tick(100), vec![inject(1, 100)]),
                    (Savepoint(110), vec![InjectBarrier(CheckpointBarrier::savepoint(cp(2), 110))]),
                    (Ack(1, T0), vec![]),
                    (Ack(1, T1), vec![manifest(1, 100)]),
                    (Failure(120), [aborted(1, AbortReason::JobFailover), aborted(2, AbortReason::JobFailover)].concat()),
                    (Written(1, 130), vec![]), // the write finished after the abort: discarded, not complete
                    (Tick(219), vec![]),
                    (Tick(220), vec![inject(3, 220)]),
                ],
            ),
            (
                "a subsumed decline does not count toward failures",
                base.clone(),
                vec![
                    (Tick(100), vec![inject(1, 100)]),
                    (
                        Decline(1, T0, AbortReason::Subsumed { by: cp(2) }, 110),
                        aborted(1, declined(T0, AbortReason::Subsumed { by: cp(2) })).to_vec(),
                    ),
                ],
            ),
        ];
        for (name, config, steps) in cases {
            let mut c = CheckpointCoordinator::new(config, [T0, T1], &[], 0).expect("valid");
            for (i, (ev, want)) in steps.into_iter().enumerate() {
                let got = apply(&mut c, ev.clone()).unwrap_or_else(|e| panic!("{name}, step {i} ({ev:?}): {e}"));
                assert_eq!(got, want, "{name}, step {i} ({ev:?})");
            }
        }
    }

    #[test]
    fn construction_and_errors() {
        let config = CheckpointConfig::every(100);
        assert!(CheckpointCoordinator::new(config.clone(), [], &[], 0).is_err());
        assert!(CheckpointCoordinator::new(CheckpointConfig { retained: 0, ..config.clone() }, [T0], &[], 0).is_err());
        let mut c = CheckpointCoordinator::new(config.clone(), [T0], &[], 0).expect("valid");
        c.tick(100);
        let stranger = TaskId::new(9, 9);
        assert!(matches!(c.on_ack(cp(1), stranger, handle(stranger)), Err(CheckpointError::UnknownTask(_))));
        assert!(matches!(
            c.on_decline(cp(1), stranger, AbortReason::Cancelled, 0),
            Err(CheckpointError::UnknownTask(_))
        ));

        // Resuming over storage: ids continue after every stored one (savepoints too), the
        // restore point is the newest checkpoint, retention trims on the next completion.
        let stored = [
            StoredCheckpoint { id: cp(4), kind: CheckpointKind::Checkpoint },
            StoredCheckpoint { id: cp(7), kind: CheckpointKind::Savepoint },
            StoredCheckpoint { id: cp(5), kind: CheckpointKind::Checkpoint },
        ];
        let mut c = CheckpointCoordinator::new(config, [T0], &stored, 1_000).expect("valid");
        assert_eq!(c.latest_completed(), Some(cp(5)));
        assert_eq!(c.tick(1_100), vec![inject(8, 1_100)]);
        assert_eq!(c.on_ack(cp(8), T0, handle(T0)).expect("ack").len(), 1);
        assert_eq!(
            c.on_storage_written(cp(8), 1_200),
            vec![NotifyComplete(cp(8)), DiscardCheckpoint(cp(4)), DiscardCheckpoint(cp(5))]
        );
        assert_eq!(c.retained(), vec![cp(8)]);
    }

    /// A deterministic pseudo-random generator (xorshift), so no dependency is needed.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    /// What the decisions have told an outside observer.
    #[derive(Default)]
    struct Observer {
        pending: BTreeMap<u64, (CheckpointBarrier, bool)>, // (barrier, manifest asked)
        acked: BTreeMap<u64, BTreeSet<TaskId>>,
        ended: BTreeSet<u64>,
        completed: Vec<u64>,
        discarded: BTreeSet<u64>,
        last_end: Option<u64>,
        last_periodic: Option<u64>,
        failures: u32,
        max_id: u64,
    }

    /// Random runs of every event, checking the coordinator's invariants after each step.
    #[test]
    fn invariants_hold_over_random_runs() {
        let tasks = [T0, T1, TaskId::new(2, 0)];
        let mut totals = (0, 0, 0);
        let mut failed_jobs = 0;
        for seed in 1..=300u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let config = CheckpointConfig {
                interval_ms: 10 + rng.below(50),
                timeout_ms: 50 + rng.below(400),
                min_pause_ms: [0, 0, 30][rng.below(3) as usize],
                max_concurrent: 1 + rng.below(3) as usize,
                tolerable_failures: rng.below(3) as u32,
                retained: 1 + rng.below(3) as usize,
                mode: CheckpointMode::AlignedExactlyOnce,
                aligned_timeout_ms: 0,
            };
            let mut c = CheckpointCoordinator::new(config.clone(), tasks, &[], 0).expect("valid");
            let mut seen = Observer::default();
            let mut now = 0;
            for step in 0..400 {
                now += rng.below(15);
                let ids: Vec<u64> = seen.pending.keys().copied().collect();
                let pick = |rng: &mut Rng| -> u64 {
                    // Mostly a pending checkpoint, sometimes an ended or unknown one.
                    if ids.is_empty() || rng.below(8) == 0 {
                        rng.below(seen.max_id + 2)
                    } else {
                        ids[rng.below(ids.len() as u64) as usize]
                    }
                };
                let task = tasks[rng.below(3) as usize];
                let ev = match rng.below(20) {
                    0..=5 => Tick(now),
                    6..=12 => Ack(pick(&mut rng), task),
                    13 => Decline(pick(&mut rng), task, AbortReason::SnapshotFailed("x".into()), now),
                    14..=16 => Written(pick(&mut rng), now),
                    17 => WriteFailed(pick(&mut rng), now),
                    18 => Savepoint(now),
                    _ if rng.below(4) == 0 => Failure(now),
                    _ => Tick(now),
                };
                let before_latest = c.latest_completed();
                let pending_before = c.pending().len();
                let out = apply(&mut c, ev.clone()).expect("known tasks only");
                let ctx = format!("seed {seed}, step {step}, {ev:?} -> {out:?}");
                let mut expired_now = 0;
                for d in &out {
                    match d {
                        InjectBarrier(b) => {
                            assert!(b.id.0 > seen.max_id, "{ctx}: ids only grow");
                            seen.max_id = b.id.0;
                            if b.kind == CheckpointKind::Checkpoint {
                                assert!(matches!(ev, Tick(_)), "{ctx}");
                                assert!(pending_before - expired_now < config.max_concurrent, "{ctx}: max concurrent");
                                if let Some(last) = seen.last_periodic {
                                    assert!(now >= last + config.interval_ms, "{ctx}: interval");
                                }
                                if config.min_pause_ms > 0 {
                                    assert!(seen.pending.is_empty(), "{ctx}: pause implies one at a time");
                                    if let Some(end) = seen.last_end {
                                        assert!(now >= end + config.min_pause_ms, "{ctx}: min pause");
                                    }
                                }
                                seen.last_periodic = Some(now);
                            } else {
                                assert!(matches!(ev, Savepoint(_)), "{ctx}");
                            }
                            seen.pending.insert(b.id.0, (*b, false));
                        }
                        WriteManifest(m) => {
                            let (_, asked) = seen.pending.get_mut(&m.checkpoint.0).expect("pending");
                            *asked = true;
                            let names: BTreeSet<TaskId> = m.tasks.iter().map(|t| t.task).collect();
                            assert_eq!(names, tasks.into_iter().collect(), "{ctx}: every task in the manifest");
                            // Every task acknowledged: the earlier ones plus the one acking now.
                            let Ack(_, acking) = ev else { panic!("{ctx}: a manifest only after an ack") };
                            let mut acked = seen.acked.get(&m.checkpoint.0).cloned().unwrap_or_default();
                            acked.insert(acking);
                            assert_eq!(acked.len(), tasks.len(), "{ctx}: manifest before every ack");
                        }
                        NotifyComplete(id) | SavepointComplete(id) => {
                            let (b, asked) = seen.pending.remove(&id.0).expect("complete only what is pending");
                            assert!(asked, "{ctx}: complete without a manifest");
                            assert!(
                                matches!(ev, Written(w, _) if w == id.0),
                                "{ctx}: only when the manifest is durable"
                            );
                            assert!(seen.ended.insert(id.0), "{ctx}: ends once");
                            seen.last_end = Some(now);
                            if matches!(d, NotifyComplete(_)) {
                                assert_eq!(b.kind, CheckpointKind::Checkpoint);
                                assert!(seen.completed.last().is_none_or(|&l| l < id.0), "{ctx}: never backwards");
                                seen.completed.push(id.0);
                                seen.failures = 0;
                            }
                        }
                        NotifyAborted(id, reason) => {
                            let (b, _) = seen.pending.remove(&id.0).expect("abort only what is pending");
                            assert!(seen.ended.insert(id.0), "{ctx}: ends once");
                            seen.last_end = Some(now);
                            if *reason == AbortReason::Expired {
                                assert!(now >= b.timestamp_ms + config.timeout_ms, "{ctx}: expired early");
                                expired_now += 1;
                            }
                            if b.kind == CheckpointKind::Checkpoint && reason.counts_as_failure() {
                                seen.failures += 1;
                            }
                        }
                        DiscardCheckpoint(id) => {
                            assert!(seen.ended.contains(&id.0), "{ctx}: discard only what ended");
                            assert_ne!(c.latest_completed(), Some(*id), "{ctx}: never the restore point");
                            seen.discarded.insert(id.0);
                        }
                        FailJob(_) => {
                            failed_jobs += 1;
                            assert!(seen.failures > config.tolerable_failures, "{ctx}: failed too early");
                            seen.failures = 0;
                        }
                    }
                }
                if let Ack(id, task) = ev {
                    if seen.pending.contains_key(&id) {
                        seen.acked.entry(id).or_default().insert(task);
                    }
                }
                assert!(seen.failures <= config.tolerable_failures, "{ctx}: should have failed the job");
                assert!(c.latest_completed() >= before_latest, "{ctx}: restore point went back");
                assert_eq!(c.latest_completed().map(|id| id.0), seen.completed.last().copied(), "{ctx}");
                assert_eq!(
                    c.pending().iter().map(|id| id.0).collect::<Vec<_>>(),
                    seen.pending.keys().copied().collect::<Vec<_>>(),
                    "{ctx}"
                );
                let kept: Vec<u64> = seen.completed.iter().copied().filter(|id| !seen.discarded.contains(id)).collect();
                assert_eq!(kept.len(), seen.completed.len().min(config.retained), "{ctx}: retention");
                if matches!(ev, Tick(_)) {
                    for (b, asked) in seen.pending.values() {
                        assert!(*asked || now < b.timestamp_ms + config.timeout_ms, "{ctx}: overdue after a tick");
                    }
                }
            }
            totals.0 += seen.completed.len();
            totals.1 += seen.ended.len() - seen.completed.len();
            totals.2 += seen.discarded.len();
        }
        // The runs must exercise the protocol, not just tick.
        let (completed, aborted, discarded) = totals;
        assert!(completed > 500 && aborted > 1_000 && discarded > 1_000, "{totals:?}");
        assert!(failed_jobs > 10, "{failed_jobs}");
    }
}
