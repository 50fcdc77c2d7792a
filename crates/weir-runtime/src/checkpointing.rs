//! The job side of checkpoints in the embedded executor: it performs what the pure
//! [`CheckpointCoordinator`] decides — injects barriers into the sources (under their
//! split enumerators' locks), writes each task's state to [`CheckpointStorage`] as it is
//! acknowledged (off the task threads), writes the manifest, commits two-phase-commit
//! sinks' committables when a checkpoint completes, and tells the tasks the outcome.
//!
//! A task's acknowledgement may carry state still to be serialized (a cut taken at the
//! barrier, [`PendingTaskState`]). Such a state is serialized and written by a thread of its
//! own, which reports back through [`JobCheckpoints::written`]; only then does the task
//! count as acknowledged. The job loop never waits for it, and neither does the task.
//!
//! Keyed state of the embedded backend is written key group by key group, and
//! incrementally when asked ([`crate::task_state_upload`]); the shared files incremental
//! checkpoints leave are deleted once no retained checkpoint lists them (see
//! `weir_checkpoint::shared_files`), and those a crash left behind when the job starts.
//!
//! It also restores: it reads a checkpoint's manifest and task states and hands every
//! vertex its state, redistributed for the new parallelism ([`crate::snapshot`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crossbeam_channel::{Receiver, Sender};
use weir_checkpoint::{
    CheckpointConfig, CheckpointCoordinator, CheckpointStorage, CoordinatorDecision, Manifest, TaskId,
};
use weir_core::{CheckpointBarrier, CheckpointId, SubtaskIndex, VertexId};

use crate::graph::{RestoredCoordinator, VertexCoordinator};
use crate::shared_state_registry::SharedStateRegistry;
use crate::sink::Committer;
use crate::snapshot::{redistribute_stored, OperatorStateReader, OperatorStateWriter, PendingTaskState, TaskState};
use crate::stored_task_state::{StoredOperator, StoredTaskState};
use crate::task::{empty_state, TaskMessage};
use crate::task_state_upload::{store_final, upload, Uploaded};
use crate::JobError;

/// The subtask index under which a source's split enumerator acknowledges.
pub const COORDINATOR_SUBTASK: u32 = u32::MAX;
/// The entry a split enumerator's state is stored under.
const ENUMERATOR: &str = "enumerator";

/// How a job checkpoints, where to, and what it resumes from.
#[derive(Clone)]
pub struct CheckpointSettings {
    /// Interval, timeout, pauses, concurrency, tolerance, retention, mode.
    pub config: CheckpointConfig,
    /// Where checkpoints are written.
    pub storage: Arc<dyn CheckpointStorage>,
    /// What to resume from, if anything.
    pub restore: Option<Restore>,
}

/// A checkpoint or savepoint to resume from.
#[derive(Clone)]
pub struct Restore {
    /// Where it is stored.
    pub storage: Arc<dyn CheckpointStorage>,
    /// Which one; `None` is the latest completed checkpoint (and when there is none, the
    /// job starts from the beginning).
    pub checkpoint: Option<CheckpointId>,
}

impl std::fmt::Debug for Restore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Restore").field("checkpoint", &self.checkpoint).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for CheckpointSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSettings").field("config", &self.config).finish_non_exhaustive()
    }
}

/// Milliseconds since the epoch, the coordinator's clock.
pub(crate) fn epoch_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// A checkpoint's task states, read back and indexed for restoring. Large items stay in
/// storage until an operator reads them ([`crate::restored_item`]).
pub struct RestoredJob {
    /// The checkpoint.
    pub checkpoint: CheckpointId,
    operators: HashMap<String, Vec<StoredOperator>>,
    /// Operator ids of chain heads whose every old subtask had finished.
    finished_heads: BTreeSet<String>,
    enumerators: HashMap<String, Vec<u8>>,
    /// The shared files the checkpoint lists, when the job checkpoints into the storage
    /// they lie in: its first checkpoints may list them again.
    reused_files: BTreeSet<String>,
}

impl RestoredJob {
    /// Reads the checkpoint `restore` names, for a job that checkpoints into
    /// `checkpoints` (when it does).
    ///
    /// # Errors
    /// A missing or corrupt checkpoint, naming it.
    pub fn load(
        restore: &Restore,
        checkpoints: Option<&Arc<dyn CheckpointStorage>>,
    ) -> Result<Option<RestoredJob>, JobError> {
        let storage = &restore.storage;
        let fail = |e: weir_checkpoint::CheckpointError| JobError::Restore(e.to_string());
        let manifest = match restore.checkpoint {
            Some(id) => storage.read_manifest(id).map_err(fail)?,
            None => match storage.latest_completed().map_err(fail)? {
                Some(m) => m,
                None => return Ok(None),
            },
        };
        let reusable = checkpoints.is_some_and(|c| same_storage(c, storage));
        Self::from_manifest(storage, &manifest, reusable).map(Some)
    }

    fn from_manifest(
        storage: &Arc<dyn CheckpointStorage>,
        manifest: &Manifest,
        reusable: bool,
    ) -> Result<RestoredJob, JobError> {
        let mut operators: HashMap<String, Vec<StoredOperator>> = HashMap::new();
        let mut heads: HashMap<String, bool> = HashMap::new();
        let mut enumerators = HashMap::new();
        for t in &manifest.tasks {
            let state = StoredTaskState::read(storage, manifest.checkpoint, &t.state, reusable)
                .map_err(|e| JobError::Restore(format!("{} of {}: {e}", t.state.file, manifest.checkpoint)))?;
            if t.task.subtask.0 == COORDINATOR_SUBTASK {
                for op in state.operators {
                    if let Some(e) = op.entries.into_iter().find(|e| e.name == ENUMERATOR) {
                        let item = e.items.into_iter().next().map(|i| i.read(None)).transpose();
                        let bytes = item.map_err(|e| JobError::Restore(format!("{}: {e}", manifest.checkpoint)))?;
                        enumerators.insert(op.operator_id, bytes.unwrap_or_default());
                    }
                }
                continue;
            }
            if let Some(head) = state.operators.first() {
                let all = heads.entry(head.operator_id.clone()).or_insert(true);
                *all &= state.finished;
            }
            for op in state.operators {
                operators.entry(op.operator_id.clone()).or_default().push(op);
            }
        }
        let finished_heads = heads.into_iter().filter(|(_, f)| *f).map(|(id, _)| id).collect();
        let reused_files = match reusable {
            true => manifest.tasks.iter().flat_map(|t| t.state.shared.iter().cloned()).collect(),
            false => BTreeSet::new(),
        };
        Ok(RestoredJob { checkpoint: manifest.checkpoint, operators, finished_heads, enumerators, reused_files })
    }

    /// The state of operator `id` for subtask `index` of `parallelism`.
    pub fn operator(&self, id: &str, index: usize, parallelism: usize) -> OperatorStateReader {
        let old: Vec<&StoredOperator> = self.operators.get(id).map(|v| v.iter().collect()).unwrap_or_default();
        redistribute_stored(&old, index, parallelism)
    }

    /// Whether the chain headed by operator `id` had finished.
    pub fn finished(&self, head_id: &str) -> bool {
        self.finished_heads.contains(head_id)
    }

    /// What a source's coordinator resumes from, if the checkpoint has it.
    pub fn coordinator(&self, id: &str) -> Option<RestoredCoordinator> {
        let state = self.enumerators.get(id)?.clone();
        Some(RestoredCoordinator { state, subtasks: self.operator(id, 0, 1) })
    }

    /// The committables operator `id` left in the checkpoint.
    pub fn committables(&self, id: &str) -> Vec<Vec<u8>> {
        self.operator(id, 0, 1).list(crate::snapshot::COMMITTABLES).to_vec()
    }

    /// The shared files of the checkpoint that the job's checkpoints may list again
    /// (none unless it checkpoints into the storage they lie in).
    pub fn reused_files(&self) -> &BTreeSet<String> {
        &self.reused_files
    }
}

/// Whether `a` and `b` keep their files in the same place: the same object, or the same
/// [`CheckpointStorage::location`].
fn same_storage(a: &Arc<dyn CheckpointStorage>, b: &Arc<dyn CheckpointStorage>) -> bool {
    std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
        || matches!((a.location(), b.location()), (Some(x), Some(y)) if x == y)
}

/// What the completed checkpoints of one execution cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckpointStats {
    /// Completed checkpoints (the final one included).
    pub completed: u64,
    /// Sum of their durations, trigger to manifest written, ms.
    pub total_duration_ms: u64,
    /// The longest duration, ms.
    pub max_duration_ms: u64,
    /// The size of the last completed checkpoint, bytes of task state.
    pub last_size_bytes: u64,
    /// The largest checkpoint, bytes.
    pub max_size_bytes: u64,
}

/// A source vertex as the checkpointing side sees it.
pub(crate) struct SourceHandle {
    pub(crate) vertex: VertexId,
    pub(crate) operator_id: String,
    pub(crate) coordinator: Arc<dyn VertexCoordinator>,
    pub(crate) mailboxes: Vec<Sender<TaskMessage>>,
}

/// The checkpointing side of one execution of a job.
pub(crate) struct JobCheckpoints {
    coordinator: Option<CheckpointCoordinator>,
    storage: Option<Arc<dyn CheckpointStorage>>,
    sources: Vec<SourceHandle>,
    /// Every task's mailbox.
    mailboxes: HashMap<TaskId, Sender<TaskMessage>>,
    /// Committers by operator id.
    committers: Vec<(String, Arc<dyn Committer>)>,
    /// Final states of finished tasks.
    finished: HashMap<TaskId, TaskState>,
    /// Per pending checkpoint: who acknowledged, and the committables they left.
    acked: BTreeMap<CheckpointId, BTreeSet<TaskId>>,
    committables: BTreeMap<CheckpointId, Vec<(String, Vec<u8>)>>,
    /// Completed checkpoints, in order.
    pub(crate) completed: Vec<CheckpointId>,
    /// Completed savepoints, in order.
    pub(crate) savepoints: Vec<CheckpointId>,
    /// Durations and sizes of completed checkpoints.
    pub(crate) stats: CheckpointStats,
    /// Bytes written so far per pending checkpoint.
    sizes: BTreeMap<CheckpointId, u64>,
    /// Who waits for which savepoint.
    savepoint_waiters: Vec<(CheckpointId, Sender<Result<CheckpointId, JobError>>)>,
    /// Threads serializing and writing task states, and where they report. Each thread
    /// sends exactly one message, so the channel holds at most one per thread.
    writers: SnapshotWriters,
    written_tx: Sender<WrittenState>,
    written_rx: Receiver<WrittenState>,
    /// What incremental checkpoints build on, and the shared files pending ones use.
    shared: SharedStateRegistry,
}

/// A task state serialized and written off the job loop: where it lies, or why not.
pub(crate) struct WrittenState {
    task: TaskId,
    checkpoint: CheckpointId,
    result: Result<Uploaded, weir_checkpoint::AbortReason>,
}

/// The threads writing task states of one execution of a job, and the checkpoint
/// directories they still write into.
struct SnapshotWriters {
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Writers not yet reported back, per checkpoint.
    writing: BTreeMap<CheckpointId, usize>,
    /// Checkpoints given up while writers were still writing into their directories:
    /// each is deleted when its last writer is done (deleting it earlier races with the
    /// writer, which fails the delete or leaves a half-written directory behind).
    discard_when_written: BTreeSet<CheckpointId>,
    storage: Option<Arc<dyn CheckpointStorage>>,
}

impl SnapshotWriters {
    fn new(storage: Option<Arc<dyn CheckpointStorage>>) -> Self {
        SnapshotWriters {
            threads: Vec::new(),
            writing: BTreeMap::new(),
            discard_when_written: BTreeSet::new(),
            storage,
        }
    }

    /// `thread` writes a task state of `checkpoint`.
    fn started(&mut self, checkpoint: CheckpointId, thread: std::thread::JoinHandle<()>) {
        self.threads.retain(|w| !w.is_finished());
        self.threads.push(thread);
        *self.writing.entry(checkpoint).or_default() += 1;
    }

    /// A writer of `checkpoint` reported back: the last one lets a given-up checkpoint go.
    fn reported(&mut self, checkpoint: CheckpointId) {
        let Some(n) = self.writing.get_mut(&checkpoint) else { return };
        *n -= 1;
        if *n == 0 {
            self.writing.remove(&checkpoint);
            if self.discard_when_written.remove(&checkpoint) {
                self.discard(checkpoint);
            }
        }
    }

    /// Deletes checkpoint `id`'s directory now, or when its last writer is done.
    /// Cleaning up is not part of any checkpoint's guarantee, so a failure is logged
    /// rather than failing the job (as in Flink): the checkpoint has no manifest any more,
    /// so nothing restores from what is left.
    fn discard(&mut self, id: CheckpointId) {
        let Some(storage) = &self.storage else { return };
        if self.writing.contains_key(&id) {
            self.discard_when_written.insert(id);
        } else if let Err(e) = storage.delete(id) {
            tracing::warn!(checkpoint = %id, error = %e, "could not discard the checkpoint's files");
        }
    }

    /// Waits for every writer thread.
    fn join(&mut self) {
        for w in self.threads.drain(..) {
            let _ = w.join();
        }
    }
}

impl Drop for SnapshotWriters {
    /// Waits for the writer threads, so that a restarted job never finds a late write of
    /// the previous attempt in a checkpoint directory it reuses; then deletes the
    /// checkpoints given up while they were written (a failed attempt ends without
    /// hearing from their writers).
    fn drop(&mut self) {
        self.join();
        self.writing.clear();
        for id in std::mem::take(&mut self.discard_when_written) {
            self.discard(id);
        }
    }
}

impl JobCheckpoints {
    /// The checkpointing side of a job of `tasks`; `settings` `None` means no
    /// checkpoints (committers still commit what finished sinks leave).
    pub(crate) fn new(
        settings: Option<&CheckpointSettings>,
        tasks: &[TaskId],
        sources: Vec<SourceHandle>,
        mailboxes: HashMap<TaskId, Sender<TaskMessage>>,
        committers: Vec<(String, Arc<dyn Committer>)>,
    ) -> Result<Self, JobError> {
        let mut coordinator = None;
        let mut storage = None;
        let (written_tx, written_rx) = crossbeam_channel::unbounded();
        if let Some(s) = settings {
            let mut all: Vec<TaskId> = tasks.to_vec();
            all.extend(sources.iter().map(|s| TaskId { vertex: s.vertex, subtask: SubtaskIndex(COORDINATOR_SUBTASK) }));
            let stored = s.storage.list_completed().map_err(|e| JobError::Checkpoint(e.to_string()))?;
            // No checkpoint is being written yet: shared files no manifest lists are a
            // crash's leftovers.
            weir_checkpoint::shared_files::discard_orphans(s.storage.as_ref())
                .map_err(|e| JobError::Checkpoint(e.to_string()))?;
            coordinator = Some(
                CheckpointCoordinator::new(s.config.clone(), all, &stored, epoch_ms())
                    .map_err(|e| JobError::InvalidGraph(format!("checkpoint settings: {e}")))?,
            );
            storage = Some(s.storage.clone());
        }
        let writers = SnapshotWriters::new(storage.clone());
        Ok(JobCheckpoints {
            coordinator,
            storage,
            sources,
            mailboxes,
            committers,
            finished: HashMap::new(),
            acked: BTreeMap::new(),
            committables: BTreeMap::new(),
            completed: Vec::new(),
            savepoints: Vec::new(),
            savepoint_waiters: Vec::new(),
            stats: CheckpointStats::default(),
            sizes: BTreeMap::new(),
            writers,
            written_tx,
            written_rx,
            shared: SharedStateRegistry::default(),
        })
    }

    /// Whether checkpoints are taken.
    pub(crate) fn enabled(&self) -> bool {
        self.coordinator.is_some()
    }

    /// Commits `restored`'s committables and discards what earlier runs left pending
    /// (before any task starts); keeps the restored checkpoint's shared files that this
    /// job's checkpoints may list again.
    pub(crate) fn recover(&mut self, restored: Option<&RestoredJob>) -> Result<(), JobError> {
        if !self.enabled() {
            return Ok(());
        }
        if let Some(r) = restored {
            self.shared.on_restored(r.reused_files().iter().cloned());
        }
        for (id, committer) in &self.committers {
            let committed = restored.map(|r| r.committables(id)).unwrap_or_default();
            committer.commit(&committed).map_err(|e| JobError::Commit(format!("{id}: {e}")))?;
            committer.recover(&committed).map_err(|e| JobError::Commit(format!("{id}: {e}")))?;
        }
        Ok(())
    }

    /// Time passed: trigger or expire checkpoints.
    pub(crate) fn tick(&mut self) -> Result<(), JobError> {
        let Some(c) = &mut self.coordinator else { return Ok(()) };
        let decisions = c.tick(epoch_ms());
        self.perform(decisions)
    }

    /// Triggers a savepoint now.
    pub(crate) fn trigger_savepoint(&mut self) -> Result<Option<CheckpointId>, JobError> {
        let Some(c) = &mut self.coordinator else { return Ok(None) };
        let decisions = c.trigger_savepoint(epoch_ms());
        let id = decisions.iter().find_map(|d| match d {
            CoordinatorDecision::InjectBarrier(b) => Some(b.id),
            _ => None,
        });
        self.perform(decisions)?;
        Ok(id)
    }

    /// Tells `reply` when savepoint `id` has completed or failed.
    pub(crate) fn await_savepoint(&mut self, id: CheckpointId, reply: Sender<Result<CheckpointId, JobError>>) {
        if self.savepoints.contains(&id) {
            let _ = reply.send(Ok(id));
        } else {
            self.savepoint_waiters.push((id, reply));
        }
    }

    fn answer_savepoint(&mut self, id: CheckpointId, result: Result<CheckpointId, JobError>) {
        if let Some(i) = self.savepoint_waiters.iter().position(|(w, _)| *w == id) {
            let (_, reply) = self.savepoint_waiters.remove(i);
            let _ = reply.send(result);
        }
    }

    /// A task acknowledged `checkpoint` with `state`: a complete state is written now; one
    /// with items still to serialize is handed to a writer thread, and the task counts
    /// as acknowledged when [`Self::on_written`] hears back.
    pub(crate) fn on_ack(
        &mut self,
        task: TaskId,
        checkpoint: CheckpointId,
        state: PendingTaskState,
    ) -> Result<(), JobError> {
        let (Some(c), Some(storage)) = (&mut self.coordinator, &self.storage) else { return Ok(()) };
        if !c.pending().contains(&checkpoint) || !self.acked.entry(checkpoint).or_default().insert(task) {
            return Ok(());
        }
        let found: Vec<(String, Vec<u8>)> = state.committables().map(|(op, c)| (op.to_string(), c.to_vec())).collect();
        self.committables.entry(checkpoint).or_default().extend(found);
        let write = {
            let storage = storage.clone();
            let kind = self.shared.kind(checkpoint);
            let bases = self.shared.bases_for(checkpoint, task);
            move |state: PendingTaskState| upload(storage.as_ref(), checkpoint, kind, task, state, &bases)
        };
        if state.is_complete() {
            let result = write(state);
            return self.on_written(WrittenState { task, checkpoint, result });
        }
        let tx = self.written_tx.clone();
        let writer = std::thread::Builder::new()
            .name(format!("snapshot {task} chk-{checkpoint}"))
            .spawn(move || {
                let result = write(state);
                let _ = tx.send(WrittenState { task, checkpoint, result });
            })
            .map_err(|e| JobError::Internal(format!("cannot start a snapshot writer: {e}")))?;
        self.writers.started(checkpoint, writer);
        Ok(())
    }

    /// Where writer threads report ([`Self::on_written`]).
    pub(crate) fn written(&self) -> &Receiver<WrittenState> {
        &self.written_rx
    }

    /// A task's state for a checkpoint was written (or could not be): acknowledge it to
    /// the coordinator, or decline the checkpoint. A checkpoint given up meanwhile
    /// ignores it.
    pub(crate) fn on_written(&mut self, written: WrittenState) -> Result<(), JobError> {
        let WrittenState { task, checkpoint, result } = written;
        self.writers.reported(checkpoint);
        let (Some(c), Some(storage)) = (&mut self.coordinator, &self.storage) else { return Ok(()) };
        if !c.pending().contains(&checkpoint) {
            // Given up meanwhile: what it wrote to the shared area belongs to nothing.
            for file in result.iter().flat_map(|u| &u.written) {
                let _ = storage.delete_file(file);
            }
            return Ok(());
        }
        let decisions = match result {
            Ok(uploaded) => {
                self.shared.on_written(checkpoint, task, &uploaded);
                *self.sizes.entry(checkpoint).or_default() += uploaded.bytes;
                c.on_ack(checkpoint, task, uploaded.handle).map_err(internal)?
            }
            Err(reason) => c.on_decline(checkpoint, task, reason, epoch_ms()).map_err(internal)?,
        };
        self.perform(decisions)
    }

    /// A task declined `checkpoint`.
    pub(crate) fn on_decline(
        &mut self,
        task: TaskId,
        checkpoint: CheckpointId,
        reason: weir_checkpoint::AbortReason,
    ) -> Result<(), JobError> {
        let Some(c) = &mut self.coordinator else { return Ok(()) };
        let decisions = c.on_decline(checkpoint, task, reason, epoch_ms()).map_err(internal)?;
        self.perform(decisions)
    }

    /// A task finished with `state`: it acknowledges every pending and later checkpoint
    /// with it.
    pub(crate) fn on_finished(&mut self, task: TaskId, state: PendingTaskState) -> Result<(), JobError> {
        let state = match &self.storage {
            Some(storage) if !state.is_complete() => {
                // Written once; every later checkpoint lists the same files.
                let (state, files) = store_final(storage.as_ref(), task, state)
                    .map_err(|e| JobError::Checkpoint(format!("final state of {task}: {e}")))?;
                self.shared.on_finished(files);
                state
            }
            _ => state.complete().map_err(|e| JobError::Checkpoint(format!("final state of {task}: {e}")))?,
        };
        self.finished.insert(task, state.clone());
        let pending = self.coordinator.as_ref().map(|c| c.pending()).unwrap_or_default();
        for id in pending {
            self.on_ack(task, id, PendingTaskState::new(state.clone()))?;
        }
        Ok(())
    }

    /// A task failed: every pending checkpoint is aborted.
    pub(crate) fn on_task_failure(&mut self) {
        if let Some(c) = &mut self.coordinator {
            let decisions = c.on_task_failure(epoch_ms());
            // Aborts only notify tasks that are going away and discard storage: best effort.
            let _ = self.perform(decisions);
        }
    }

    /// Every task finished: take the job's last checkpoint, which commits the sinks'
    /// final output (without checkpointing: commit it directly).
    pub(crate) fn on_job_finished(&mut self) -> Result<(), JobError> {
        let Some(c) = &mut self.coordinator else {
            let items = self.finished.values().flat_map(|s| s.committables());
            return commit_all(&self.committers, items);
        };
        let decisions = c.trigger_checkpoint(epoch_ms());
        let last = decisions.iter().find_map(|d| match d {
            CoordinatorDecision::InjectBarrier(b) => Some(b.id),
            _ => None,
        });
        self.perform(decisions)?;
        if !last.is_some_and(|id| self.completed.contains(&id)) {
            return Err(JobError::Checkpoint("the job's final checkpoint did not complete".into()));
        }
        // Checkpoints still being written were subsumed by the final one: once their
        // writers are done, what they wrote to the shared area goes (rather than waiting
        // for the next job on this storage to find it).
        self.writers.join();
        while let Ok(written) = self.written_rx.try_recv() {
            self.on_written(written)?;
        }
        Ok(())
    }

    fn perform(&mut self, decisions: Vec<CoordinatorDecision>) -> Result<(), JobError> {
        let mut queue: std::collections::VecDeque<CoordinatorDecision> = decisions.into();
        while let Some(d) = queue.pop_front() {
            let more = self.perform_one(d)?;
            queue.extend(more);
        }
        Ok(())
    }

    fn perform_one(&mut self, decision: CoordinatorDecision) -> Result<Vec<CoordinatorDecision>, JobError> {
        let now = epoch_ms();
        match decision {
            CoordinatorDecision::InjectBarrier(barrier) => self.inject(barrier),
            CoordinatorDecision::WriteManifest(manifest) => {
                let (Some(c), Some(storage)) = (&mut self.coordinator, &self.storage) else { return Ok(vec![]) };
                Ok(match storage.write_manifest(&manifest) {
                    Ok(()) => {
                        let size = self.sizes.remove(&manifest.checkpoint).unwrap_or_default();
                        let took = now.saturating_sub(manifest.timestamp_ms);
                        if manifest.kind == weir_core::CheckpointKind::Checkpoint {
                            let s = &mut self.stats;
                            s.completed += 1;
                            s.total_duration_ms += took;
                            s.max_duration_ms = s.max_duration_ms.max(took);
                            s.last_size_bytes = size;
                            s.max_size_bytes = s.max_size_bytes.max(size);
                        }
                        tracing::info!(
                            checkpoint = %manifest.checkpoint,
                            kind = ?manifest.kind,
                            bytes = size,
                            duration_ms = took,
                            "completed checkpoint"
                        );
                        c.on_storage_written(manifest.checkpoint, now)
                    }
                    Err(e) => c.on_storage_failed(manifest.checkpoint, e.to_string(), now),
                })
            }
            CoordinatorDecision::NotifyComplete(id) => {
                self.shared.on_complete(id);
                // Files kept while in use may be free now.
                self.discard_shared(Vec::new())?;
                self.acked.remove(&id);
                let committables = self.committables.remove(&id).unwrap_or_default();
                commit_all(&self.committers, committables.iter().map(|(op, c)| (op.as_str(), c.as_slice())))?;
                self.completed.push(id);
                self.notify(TaskMessage::Complete(id));
                Ok(vec![])
            }
            CoordinatorDecision::SavepointComplete(id) => {
                self.shared.on_complete(id);
                self.acked.remove(&id);
                self.committables.remove(&id);
                self.savepoints.push(id);
                self.answer_savepoint(id, Ok(id));
                Ok(vec![])
            }
            CoordinatorDecision::NotifyAborted(id, reason) => {
                tracing::info!(checkpoint = %id, %reason, "checkpoint aborted");
                self.sizes.remove(&id);
                self.answer_savepoint(id, Err(JobError::Checkpoint(format!("savepoint {id} failed: {reason}"))));
                self.acked.remove(&id);
                self.committables.remove(&id);
                self.notify(TaskMessage::Aborted(id));
                Ok(vec![])
            }
            CoordinatorDecision::DiscardCheckpoint(id) => {
                if let Some(storage) = &self.storage {
                    // The shared files it lists (completed) or wrote (aborted) may go, once it is.
                    let mut candidates = self.shared.on_discarded(id);
                    if let Ok(manifest) = storage.read_manifest(id) {
                        candidates.extend(manifest.tasks.into_iter().flat_map(|t| t.state.shared));
                    }
                    self.writers.discard(id);
                    self.discard_shared(candidates)?;
                }
                Ok(vec![])
            }
            CoordinatorDecision::FailJob(why) => Err(JobError::Checkpoint(why)),
        }
    }

    /// Deletes those of `candidates` (and of the files kept earlier) that no retained
    /// manifest lists and nothing in progress uses; keeps the ones in use for later.
    fn discard_shared(&mut self, candidates: Vec<String>) -> Result<(), JobError> {
        let Some(storage) = &self.storage else { return Ok(()) };
        let mut candidates: BTreeSet<String> = candidates.into_iter().collect();
        candidates.extend(self.shared.take_deferred());
        if candidates.is_empty() {
            return Ok(());
        }
        let in_use = self.shared.in_use();
        let (kept, free): (BTreeSet<String>, BTreeSet<String>) =
            candidates.into_iter().partition(|c| in_use.contains(c));
        self.shared.defer(kept);
        weir_checkpoint::shared_files::discard_unreferenced(storage.as_ref(), free, &in_use)
            .map_err(|e| JobError::Checkpoint(e.to_string()))?;
        Ok(())
    }

    fn notify(&self, message: TaskMessage) {
        for tx in self.mailboxes.values() {
            // A finished task's mailbox is gone; a full one belongs to a task far behind,
            // which learns the outcome from the next checkpoint instead.
            let _ = tx.try_send(message.clone());
        }
    }

    /// Snapshots each source's enumerator and injects the barrier into its readers, then
    /// acknowledges for the enumerators and for every task that has already finished.
    fn inject(&mut self, barrier: CheckpointBarrier) -> Result<Vec<CoordinatorDecision>, JobError> {
        self.shared.on_inject(barrier.id, barrier.kind);
        let mut acks = Vec::new();
        for source in &self.sources {
            let mailboxes = &source.mailboxes;
            let mut inject = || {
                for tx in mailboxes {
                    let _ = tx.try_send(TaskMessage::Barrier(barrier));
                }
            };
            let task = TaskId { vertex: source.vertex, subtask: SubtaskIndex(COORDINATOR_SUBTASK) };
            match source.coordinator.snapshot_and_inject(&mut inject) {
                Ok(bytes) => {
                    let mut writer = OperatorStateWriter::new(barrier.id);
                    writer.union(ENUMERATOR, vec![bytes]);
                    let mut state = empty_state();
                    state.push_operator(&source.operator_id, writer);
                    acks.push((task, Ok(state)));
                }
                Err(e) => acks.push((task, Err(format!("source '{}': {e}", source.operator_id)))),
            }
        }
        if barrier.mode == weir_core::CheckpointMode::Unaligned {
            // Unaligned: a task whose producers have all finished gets no barrier from them,
            // so it is told directly, and takes its snapshot then (see `task::input_task`).
            let is_source = |t: &TaskId| self.sources.iter().any(|s| s.vertex == t.vertex);
            for (_, tx) in self.mailboxes.iter().filter(|(t, _)| !is_source(t)) {
                let _ = tx.try_send(TaskMessage::Barrier(barrier));
            }
        }
        for (task, state) in &self.finished {
            acks.push((*task, Ok(PendingTaskState::new(state.clone()))));
        }
        for (task, state) in acks {
            match state {
                Ok(state) => self.on_ack(task, barrier.id, state)?,
                Err(why) => self.on_decline(task, barrier.id, weir_checkpoint::AbortReason::SnapshotFailed(why))?,
            }
        }
        Ok(vec![])
    }
}

/// Hands each committer the committables its operator left among `items`.
fn commit_all<'a>(
    committers: &[(String, Arc<dyn Committer>)],
    items: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Result<(), JobError> {
    let items: Vec<(&str, &[u8])> = items.collect();
    for (op, committer) in committers {
        let own: Vec<Vec<u8>> = items.iter().filter(|(o, _)| o == op).map(|(_, c)| c.to_vec()).collect();
        committer.commit(&own).map_err(|e| JobError::Commit(format!("{op}: {e}")))?;
    }
    Ok(())
}

fn internal(e: weir_checkpoint::CheckpointError) -> JobError {
    JobError::Internal(format!("checkpoint coordinator: {e}"))
}
