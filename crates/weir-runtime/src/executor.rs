//! Runs a job graph in this process: one thread per task, channels between them (the
//! embedded mini-cluster's TaskManager side).
//!
//! Steps:
//! 1. plan the graph ([`ExecutionPlan`]): parallelism, partitioners, chains;
//! 2. make each source's split enumerator (its coordinator);
//! 3. make one bounded channel per connected (producer subtask, consumer subtask) pair of
//!    every unchained edge;
//! 4. start one thread per task; each builds its chain — tail first, so every operator's
//!    output exists when it is opened — and runs its loop;
//! 5. wait. The first task to fail cancels the job: every other task wakes from whatever
//!    it blocks on and stops. The job's error is the first failure that is not a mere
//!    consequence of cancellation, so it names the operator and subtask at fault.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, select, Receiver, Sender};
use weir_checkpoint::{CheckpointMode, TaskId};
use weir_core::{CheckpointId, JobId, SubtaskIndex, VertexId};

use crate::channel::{cancellation, CancelToken};
use crate::checkpointing::{epoch_ms, JobCheckpoints, RestoredJob, SourceHandle};
use crate::error::panic_message;
use crate::graph::{
    BuiltVertex, ErasedOutput, ErasedReceiver, ErasedSender, JobGraph, Port, VertexBuild, VertexCoordinator,
};
use crate::in_flight::{in_flight_operator_id, ChannelSource, EdgeRouting, ReplayLayout};
use crate::plan::{Chain, ExecutionPlan};
use crate::record_writer::WriterContext;
use crate::restart::{RestartDecision, RestartStrategy, RestartTracker};
use crate::task::{TaskEnv, TaskMessage, TaskReport};
use crate::{JobError, Location, SubtaskInfo};

/// What a finished job reports.
#[derive(Debug, Clone)]
pub struct JobExecutionResult {
    /// The job's id.
    pub job_id: JobId,
    /// The job's name.
    pub job_name: String,
    /// Wall time from the first task's start to the last task's end.
    pub net_runtime: Duration,
    /// Checkpoints completed by the last execution, in order (the job's final one last).
    pub completed_checkpoints: Vec<CheckpointId>,
    /// Savepoints completed.
    pub savepoints: Vec<CheckpointId>,
    /// How often the job restarted after a failure.
    pub restarts: u32,
    /// Why: the failure that ended each attempt that was restarted, oldest first (Flink's
    /// exception history).
    pub failures: Vec<String>,
    /// The checkpoint the last execution resumed from, if any.
    pub restored_from: Option<CheckpointId>,
    /// What the last execution's checkpoints cost.
    pub checkpoint_stats: crate::checkpointing::CheckpointStats,
}

/// Executes job graphs in the current process.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalExecutor;

/// Commands to a running job.
#[derive(Debug, Clone)]
pub struct JobControl {
    tx: Sender<Command>,
}

#[derive(Debug)]
enum Command {
    TriggerSavepoint(Sender<Result<CheckpointId, JobError>>),
}

/// The job's end of a [`JobControl`].
#[derive(Debug)]
pub struct JobCommands {
    rx: Receiver<Command>,
}

impl JobControl {
    /// Asks the running job for a savepoint and waits until it is complete.
    ///
    /// # Errors
    /// When the job has no checkpoint storage, has ended, or the savepoint failed.
    pub fn trigger_savepoint(&self, timeout: Duration) -> Result<CheckpointId, JobError> {
        let (tx, rx) = bounded(1);
        self.tx.send(Command::TriggerSavepoint(tx)).map_err(|_| JobError::Checkpoint("the job has ended".into()))?;
        rx.recv_timeout(timeout).map_err(|_| JobError::Checkpoint("the savepoint did not complete in time".into()))?
    }
}

/// Everything one task needs, moved to its thread.
struct TaskSpec {
    graph: Arc<JobGraph>,
    plan: Arc<ExecutionPlan>,
    chain: usize,
    subtask: usize,
    /// Senders of this subtask on each unchained edge leaving the chain.
    senders: HashMap<usize, Vec<ErasedSender>>,
    /// The head's input channels.
    inputs: Vec<(usize, ErasedReceiver)>,
    coordinators: Arc<Vec<Option<Arc<dyn VertexCoordinator>>>>,
    restored: Option<Arc<RestoredJob>>,
    cancel: CancelToken,
    mailbox: Receiver<TaskMessage>,
    reports: Sender<TaskReport>,
}

/// How long the job loop waits at most between checkpoint ticks.
const TICK: Duration = Duration::from_millis(20);

impl LocalExecutor {
    /// Runs `graph` to completion (bounded sources) or failure.
    ///
    /// # Errors
    /// [`JobError::InvalidGraph`] before anything runs; otherwise the first task failure,
    /// naming the operator and subtask (after the restart strategy gave up).
    pub fn execute(&self, graph: JobGraph) -> Result<JobExecutionResult, JobError> {
        let (_control, rx) = Self::control();
        self.execute_with(graph, rx)
    }

    /// A control handle and the receiving end to pass to [`LocalExecutor::execute_with`].
    pub fn control() -> (JobControl, JobCommands) {
        let (tx, rx) = bounded(16);
        (JobControl { tx }, JobCommands { rx })
    }

    /// Runs `graph`, taking commands (savepoints) from the [`JobControl`] `commands` belongs to.
    ///
    /// # Errors
    /// As [`LocalExecutor::execute`].
    pub fn execute_with(&self, graph: JobGraph, commands: JobCommands) -> Result<JobExecutionResult, JobError> {
        let plan = Arc::new(ExecutionPlan::new(&graph)?);
        let graph = Arc::new(graph);
        let started = Instant::now();
        let strategy = match (&graph.config.restart_strategy, &graph.checkpointing) {
            (Some(s), _) => s.clone(),
            (None, Some(_)) => RestartStrategy::default_with_checkpointing(),
            (None, None) => RestartStrategy::None,
        };
        let mut restarts = RestartTracker::new(strategy);
        let mut restore = graph.checkpointing.as_ref().and_then(|c| c.restore.clone());
        // Checkpoints and savepoints completed by attempts that then failed and restarted.
        let mut earlier = Earlier::default();
        let mut failures = Vec::new();
        loop {
            let restored = match &restore {
                Some(r) => RestoredJob::load(r, graph.checkpointing.as_ref().map(|c| &c.storage))?.map(Arc::new),
                None => None,
            };
            let restored_from = restored.as_ref().map(|r| r.checkpoint);
            match run_once(&graph, &plan, restored, &commands.rx, &mut earlier) {
                Ok(jc) => {
                    return Ok(JobExecutionResult {
                        job_id: JobId::generate(),
                        job_name: graph.name.clone(),
                        net_runtime: started.elapsed(),
                        completed_checkpoints: earlier.completed.iter().chain(&jc.completed).copied().collect(),
                        savepoints: earlier.savepoints.iter().chain(&jc.savepoints).copied().collect(),
                        restarts: restarts.restarts(),
                        failures,
                        restored_from,
                        checkpoint_stats: jc.stats,
                    })
                }
                Err(e @ (JobError::InvalidGraph(_) | JobError::Restore(_))) => return Err(e),
                Err(e) => match restarts.on_failure(epoch_ms()) {
                    RestartDecision::GiveUp => return Err(e),
                    RestartDecision::Restart(delay) => {
                        tracing::warn!(job = %graph.name, error = %e, ?delay, "job failed; restarting");
                        failures.push(e.to_string());
                        std::thread::sleep(delay);
                        // Resume from the newest completed checkpoint (this run's or an
                        // earlier one's); with none, from what the job was started with.
                        if let Some(c) = &graph.checkpointing {
                            let storage = c.storage.clone();
                            if storage.latest_completed().ok().flatten().is_some() {
                                restore = Some(crate::checkpointing::Restore { storage, checkpoint: None });
                            }
                        }
                    }
                },
            }
        }
    }
}

/// The stable id of vertex `v`'s state: its `uid`, or its name and how many vertices of
/// that name come before it (`Sink: out#0`).
///
/// Not the vertex's position: a program may add stateless vertices depending on the
/// parallelism (a SQL job adds key splits and exchanges), which would move every later
/// vertex and lose its state on a restore at another parallelism.
pub fn operator_id(graph: &JobGraph, v: VertexId) -> String {
    let vertex = &graph.vertices[v.0 as usize];
    vertex.uid.clone().unwrap_or_else(|| {
        let before = graph.vertices[..v.0 as usize].iter().filter(|o| o.uid.is_none() && o.name == vertex.name).count();
        format!("{}#{before}", vertex.name)
    })
}

/// One execution of the job: tasks from scratch (or from `restored`), until every task
/// ended or one failed.
/// What attempts of a job that failed had completed (a savepoint taken before a restart
/// is still the job's).
#[derive(Debug, Default)]
struct Earlier {
    completed: Vec<CheckpointId>,
    savepoints: Vec<CheckpointId>,
}

fn run_once(
    graph: &Arc<JobGraph>,
    plan: &Arc<ExecutionPlan>,
    restored: Option<Arc<RestoredJob>>,
    commands: &Receiver<Command>,
    earlier: &mut Earlier,
) -> Result<JobCheckpoints, JobError> {
    let mut coordinators: Vec<Option<Arc<dyn VertexCoordinator>>> = Vec::with_capacity(graph.vertices.len());
    let mut committers = Vec::new();
    for (i, v) in graph.vertices.iter().enumerate() {
        let id = operator_id(graph, VertexId(i as u32));
        let here = || location(graph, VertexId(i as u32), 0, plan.parallelism[i]);
        let restored_coordinator = restored.as_ref().and_then(|r| r.coordinator(&id));
        let c = v
            .factory
            .coordinator(plan.parallelism[i], restored_coordinator.as_ref())
            .map_err(|source| JobError::Operator { location: here(), source })?;
        coordinators.push(c);
        if let Some(committer) =
            v.factory.committer().map_err(|source| JobError::Operator { location: here(), source })?
        {
            committers.push((id, committer));
        }
    }
    let coordinators = Arc::new(coordinators);

    // Channels of unchained edges: senders by (edge, producer subtask), in consumer
    // order; receivers by (consumer vertex, consumer subtask).
    let mut senders: HashMap<(usize, usize), Vec<ErasedSender>> = HashMap::new();
    let mut receivers: HashMap<(usize, usize), Vec<(usize, ErasedReceiver)>> = HashMap::new();
    let unaligned = graph.checkpointing.as_ref().is_some_and(|c| c.config.mode == CheckpointMode::Unaligned);
    for (ei, e) in graph.edges.iter().enumerate() {
        if plan.chained[ei] {
            continue;
        }
        if unaligned && !e.stream.has_record_codec() {
            let name = |v: VertexId| graph.vertices[v.0 as usize].name.clone();
            return Err(JobError::InvalidGraph(format!(
                "unaligned checkpoints store the records in flight between tasks, but the edge '{}' -> '{}' \
                 carries records of type `{}`, which have no record serializer: call `with_record_serializer()` \
                 on that stream (its type must be serde's Serialize + DeserializeOwned), or use aligned checkpoints",
                name(e.source),
                name(e.target),
                e.stream.record_type()
            )));
        }
        for i in 0..plan.parallelism[e.source.0 as usize] {
            let mut out = Vec::new();
            for j in plan.targets(graph, ei, i) {
                let (tx, rx) = e.stream.channel(graph.config.channel_capacity, unaligned);
                out.push(tx);
                receivers.entry((e.target.0 as usize, j)).or_default().push((e.input, rx));
            }
            senders.insert((ei, i), out);
        }
    }

    let task_count: usize = plan.chains.iter().map(|c| c.parallelism).sum();
    let (report_tx, report_rx) = bounded::<TaskReport>(task_count * 4 + 16);
    let mut mailboxes: HashMap<TaskId, Sender<TaskMessage>> = HashMap::new();
    let mut task_mailboxes = Vec::new();
    let mut task_ids = Vec::new();
    let mut sources = Vec::new();
    for chain in &plan.chains {
        let mut source_boxes = Vec::new();
        for i in 0..chain.parallelism {
            let task = TaskId { vertex: chain.head, subtask: SubtaskIndex(i as u32) };
            let (tx, rx) = bounded::<TaskMessage>(1024);
            mailboxes.insert(task, tx.clone());
            source_boxes.push(tx);
            task_mailboxes.push(rx);
            task_ids.push(task);
        }
        if let Some(c) = &coordinators[chain.head.0 as usize] {
            sources.push(SourceHandle {
                vertex: chain.head,
                operator_id: operator_id(graph, chain.head),
                coordinator: c.clone(),
                mailboxes: source_boxes,
            });
        }
    }
    let mut checkpoints =
        JobCheckpoints::new(graph.checkpointing.as_ref(), &task_ids, sources, mailboxes.clone(), committers)?;
    checkpoints.recover(restored.as_deref())?;
    drop(mailboxes);

    let (mut canceller, cancel) = cancellation();
    let (done_tx, done_rx) = bounded::<Result<(), JobError>>(task_count);
    let mut threads = Vec::with_capacity(task_count);
    let mut task_mailboxes = task_mailboxes.into_iter();
    for (ci, chain) in plan.chains.iter().enumerate() {
        let chain_vertices: Vec<usize> = chain.vertices.iter().map(|v| v.0 as usize).collect();
        for i in 0..chain.parallelism {
            let mut task_senders = HashMap::new();
            for (ei, e) in graph.edges.iter().enumerate() {
                if !plan.chained[ei] && chain_vertices.contains(&(e.source.0 as usize)) {
                    if let Some(s) = senders.remove(&(ei, i)) {
                        task_senders.insert(ei, s);
                    }
                }
            }
            let spec = TaskSpec {
                graph: graph.clone(),
                plan: plan.clone(),
                chain: ci,
                subtask: i,
                senders: task_senders,
                inputs: receivers.remove(&(chain.head.0 as usize, i)).unwrap_or_default(),
                coordinators: coordinators.clone(),
                restored: restored.clone(),
                cancel: cancel.clone(),
                mailbox: task_mailboxes.next().expect("one mailbox per task"),
                reports: report_tx.clone(),
            };
            let done = done_tx.clone();
            let name = format!("{} ({}/{})", chain.name, i + 1, chain.parallelism);
            let thread = std::thread::Builder::new()
                .name(name)
                .spawn(move || {
                    let result = catch_unwind(AssertUnwindSafe(|| run_task(spec))).unwrap_or_else(|p| {
                        Err(JobError::Internal(format!("task thread panicked: {}", panic_message(p.as_ref()))))
                    });
                    let _ = done.send(result);
                })
                .map_err(|e| JobError::Internal(format!("cannot start a task thread: {e}")));
            match thread {
                Ok(t) => threads.push(t),
                Err(e) => {
                    canceller.cancel();
                    return Err(e);
                }
            }
        }
    }
    drop(done_tx);
    drop(report_tx);
    drop(senders);
    drop(receivers);

    let mut failure: Option<JobError> = None;
    let mut running = task_count;
    let mut fail = |e: JobError, failure: &mut Option<JobError>| {
        canceller.cancel();
        let replace = match (&*failure, &e) {
            (None, _) => true,
            (Some(JobError::Cancelled), e) => !matches!(e, JobError::Cancelled),
            _ => false,
        };
        if replace {
            *failure = Some(e);
        }
    };
    let mut reports_open = true;
    let never = crossbeam_channel::never();
    while running > 0 {
        let mut step = Ok(());
        select! {
            recv(done_rx) -> result => {
                running -= 1;
                if let Ok(Err(e)) = result {
                    fail(e, &mut failure);
                }
            }
            recv(if reports_open { &report_rx } else { &never }) -> report => match report {
                Ok(r) if failure.is_none() => step = on_report(&mut checkpoints, r),
                Ok(_) => {}
                Err(_) => reports_open = false,
            },
            recv(checkpoints.written()) -> written => if let Ok(w) = written {
                if failure.is_none() {
                    step = checkpoints.on_written(w);
                }
            },
            recv(commands) -> command => if let Ok(Command::TriggerSavepoint(reply)) = command {
                step = trigger_savepoint(&mut checkpoints, reply);
            },
            default(TICK) => {}
        }
        if let Err(e) = step {
            fail(e, &mut failure);
        }
        if failure.is_none() {
            if let Err(e) = checkpoints.tick() {
                fail(e, &mut failure);
            }
        }
    }
    for t in threads {
        let _ = t.join();
    }
    if let Some(e) = failure {
        checkpoints.on_task_failure();
        earlier.completed.extend(&checkpoints.completed);
        earlier.savepoints.extend(&checkpoints.savepoints);
        return Err(e);
    }
    // Reports sent just before the tasks ended (their final states).
    while let Ok(r) = report_rx.try_recv() {
        on_report(&mut checkpoints, r)?;
    }
    checkpoints.on_job_finished()?;
    Ok(checkpoints)
}

fn on_report(checkpoints: &mut JobCheckpoints, report: TaskReport) -> Result<(), JobError> {
    match report {
        TaskReport::Ack { task, checkpoint, state } => checkpoints.on_ack(task, checkpoint, state),
        TaskReport::Decline { task, checkpoint, reason } => checkpoints.on_decline(task, checkpoint, reason),
        TaskReport::Finished { task, state } => checkpoints.on_finished(task, state),
    }
}

/// Triggers a savepoint; `reply` is answered when it completes or fails, while the job
/// loop goes on with its normal work.
fn trigger_savepoint(
    checkpoints: &mut JobCheckpoints,
    reply: Sender<Result<CheckpointId, JobError>>,
) -> Result<(), JobError> {
    match checkpoints.trigger_savepoint()? {
        Some(id) => checkpoints.await_savepoint(id, reply),
        None => {
            let _ = reply.send(Err(JobError::Checkpoint("the job has no checkpoint storage".into())));
        }
    }
    Ok(())
}

fn location(graph: &JobGraph, v: VertexId, subtask: usize, parallelism: usize) -> Location {
    let vertex = &graph.vertices[v.0 as usize];
    let operator = match &vertex.uid {
        Some(uid) => format!("{} [{uid}]", vertex.name),
        None => vertex.name.clone(),
    };
    Location { operator, subtask, parallelism }
}

fn run_task(mut spec: TaskSpec) -> Result<(), JobError> {
    let graph = spec.graph.clone();
    let plan = spec.plan.clone();
    let chain: &Chain = &plan.chains[spec.chain];
    let env = TaskEnv {
        cancel: spec.cancel.clone(),
        batch_size: graph.config.batch_size,
        buffer_timeout: graph.config.buffer_timeout,
        clock: graph.clock.clone(),
        task: TaskId { vertex: chain.head, subtask: SubtaskIndex(spec.subtask as u32) },
        mailbox: spec.mailbox.clone(),
        reports: spec.reports.clone(),
        checkpointing: graph.checkpointing.is_some(),
    };
    let inputs = std::mem::take(&mut spec.inputs);
    match build_vertex(&mut spec, chain.head, Some(inputs))? {
        BuiltVertex::Task(body) => body.run(&env),
        BuiltVertex::Chained(_) => Err(JobError::Internal(format!("head of '{}' did not build a task", chain.name))),
    }
}

fn build_vertex(
    spec: &mut TaskSpec,
    v: VertexId,
    inputs: Option<Vec<(usize, ErasedReceiver)>>,
) -> Result<BuiltVertex, JobError> {
    let graph = spec.graph.clone();
    let plan = spec.plan.clone();
    let vi = v.0 as usize;
    let vertex = &graph.vertices[vi];
    let mut main: Vec<ErasedOutput> = Vec::new();
    let mut sides: HashMap<String, Vec<ErasedOutput>> = HashMap::new();
    for (ei, e) in graph.edges.iter().enumerate() {
        if e.source != v {
            continue;
        }
        let out = if plan.chained[ei] {
            match build_vertex(spec, e.target, None)? {
                BuiltVertex::Chained(o) => o,
                BuiltVertex::Task(_) => {
                    return Err(JobError::Internal(format!("chained vertex '{}' built a task", vertex.name)))
                }
            }
        } else {
            let senders = spec
                .senders
                .remove(&ei)
                .ok_or_else(|| JobError::Internal(format!("no channels for an edge from '{}'", vertex.name)))?;
            let ctx = WriterContext {
                subtask: spec.subtask,
                batch_size: graph.config.batch_size,
                max_parallelism: plan.max_parallelism[e.target.0 as usize],
                cancel: spec.cancel.clone(),
                location: location(&graph, v, spec.subtask, plan.parallelism[vi]),
            };
            e.stream.writer(&plan.partitioners[ei], senders, ctx)?
        };
        match &e.port {
            Port::Main => main.push(out),
            Port::Side(tag) => sides.entry(tag.clone()).or_default().push(out),
        }
    }
    let side_channels = vertex
        .side_ports
        .iter()
        .map(|p| (p.make)(sides.remove(&p.tag).unwrap_or_default()))
        .collect::<Result<Vec<_>, _>>()?;
    let subtask = SubtaskInfo {
        name: vertex.name.clone(),
        index: spec.subtask,
        parallelism: plan.parallelism[vi],
        max_parallelism: plan.max_parallelism[vi],
    };
    let id = operator_id(&graph, v);
    let restored = spec
        .restored
        .as_ref()
        .map(|r| r.operator(&id, spec.subtask, plan.parallelism[vi]).with_key_groups(subtask.key_group_range()));
    // A chain whose head had finished in the checkpoint does not run its operators again.
    let head = plan.chains[spec.chain].head;
    let finished_on_restore = spec.restored.as_ref().is_some_and(|r| r.finished(&operator_id(&graph, head)));
    let (channel_sources, edges) = match &inputs {
        Some(_) => channel_sources(&graph, &plan, v, spec.subtask),
        None => (Vec::new(), Vec::new()),
    };
    if let Some(channels) = inputs.as_ref().filter(|c| c.len() != channel_sources.len()) {
        return Err(JobError::Internal(format!(
            "'{}' has {} input channels, but its edges make {}",
            vertex.name,
            channels.len(),
            channel_sources.len()
        )));
    }
    let in_flight = match (&spec.restored, &inputs) {
        (Some(r), Some(_)) => {
            let stored = r.operator(&in_flight_operator_id(&id), spec.subtask, plan.parallelism[vi]);
            let layout = ReplayLayout {
                operator: id.clone(),
                subtask: spec.subtask,
                parallelism: plan.parallelism[vi],
                channels: channel_sources.clone(),
                edges,
            };
            layout.replay(&stored)?
        }
        _ => Vec::new(),
    };
    vertex.factory.build(VertexBuild {
        operator_id: id,
        restored,
        finished_on_restore,
        location: location(&graph, v, spec.subtask, plan.parallelism[vi]),
        subtask,
        main,
        sides: side_channels,
        inputs,
        coordinator: spec.coordinators[vi].clone(),
        clock: graph.clock.clone(),
        in_flight,
        channel_sources,
    })
}

/// Where each input channel of subtask `subtask` of the task headed by `v` comes from, in
/// the order `run_once` makes them (edges in the graph's order, then producing subtasks),
/// and the routing of each edge into `v`, by its place among them.
fn channel_sources(
    graph: &JobGraph,
    plan: &ExecutionPlan,
    v: VertexId,
    subtask: usize,
) -> (Vec<ChannelSource>, Vec<EdgeRouting>) {
    let mut sources = Vec::new();
    let mut edges = Vec::new();
    let into = graph.edges.iter().enumerate().filter(|(_, e)| e.target == v);
    for (ordinal, (ei, e)) in into.enumerate() {
        edges.push(EdgeRouting::of(&plan.partitioners[ei], plan.max_parallelism[v.0 as usize]));
        if plan.chained[ei] {
            continue;
        }
        let producer = operator_id(graph, e.source);
        for i in 0..plan.parallelism[e.source.0 as usize] {
            if plan.targets(graph, ei, i).contains(&subtask) {
                sources.push(ChannelSource {
                    input: e.input as u32,
                    edge: ordinal as u32,
                    producer: producer.clone(),
                    producer_subtask: i as u32,
                });
            }
        }
    }
    (sources, edges)
}
