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

use std::any::Any;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::bounded;
use weir_core::{JobId, VertexId};

use crate::channel::{cancellation, CancelToken};
use crate::error::panic_message;
use crate::graph::{BuiltVertex, ErasedOutput, ErasedReceiver, ErasedSender, JobGraph, Port, VertexBuild};
use crate::plan::{Chain, ExecutionPlan};
use crate::record_writer::WriterContext;
use crate::task::TaskEnv;
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
}

/// Executes job graphs in the current process.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalExecutor;

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
    coordinators: Arc<Vec<Option<Arc<dyn Any + Send + Sync>>>>,
    cancel: CancelToken,
}

impl LocalExecutor {
    /// Runs `graph` to completion (bounded sources) or failure.
    ///
    /// # Errors
    /// [`JobError::InvalidGraph`] before anything runs; otherwise the first task failure,
    /// naming the operator and subtask.
    pub fn execute(&self, graph: JobGraph) -> Result<JobExecutionResult, JobError> {
        let plan = Arc::new(ExecutionPlan::new(&graph)?);
        let graph = Arc::new(graph);
        let started = Instant::now();

        let mut coordinators = Vec::with_capacity(graph.vertices.len());
        for (i, v) in graph.vertices.iter().enumerate() {
            let c = v.factory.coordinator(plan.parallelism[i]).map_err(|source| JobError::Operator {
                location: location(&graph, VertexId(i as u32), 0, plan.parallelism[i]),
                source,
            })?;
            coordinators.push(c);
        }
        let coordinators = Arc::new(coordinators);

        // Channels of unchained edges: senders by (edge, producer subtask), in consumer
        // order; receivers by (consumer vertex, consumer subtask).
        let mut senders: HashMap<(usize, usize), Vec<ErasedSender>> = HashMap::new();
        let mut receivers: HashMap<(usize, usize), Vec<(usize, ErasedReceiver)>> = HashMap::new();
        for (ei, e) in graph.edges.iter().enumerate() {
            if plan.chained[ei] {
                continue;
            }
            for i in 0..plan.parallelism[e.source.0 as usize] {
                let mut out = Vec::new();
                for j in plan.targets(&graph, ei, i) {
                    let (tx, rx) = e.stream.channel(graph.config.channel_capacity);
                    out.push(tx);
                    receivers.entry((e.target.0 as usize, j)).or_default().push((e.input, rx));
                }
                senders.insert((ei, i), out);
            }
        }

        let (mut canceller, cancel) = cancellation();
        let task_count: usize = plan.chains.iter().map(|c| c.parallelism).sum();
        let (done_tx, done_rx) = bounded::<Result<(), JobError>>(task_count);
        let mut threads = Vec::with_capacity(task_count);
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
                    cancel: cancel.clone(),
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
        drop(senders);
        drop(receivers);

        let mut failure: Option<JobError> = None;
        for result in done_rx.iter() {
            if let Err(e) = result {
                canceller.cancel();
                let replace = match (&failure, &e) {
                    (None, _) => true,
                    (Some(JobError::Cancelled), e) => !matches!(e, JobError::Cancelled),
                    _ => false,
                };
                if replace {
                    failure = Some(e);
                }
            }
        }
        for t in threads {
            let _ = t.join();
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(JobExecutionResult {
                job_id: JobId::generate(),
                job_name: graph.name.clone(),
                net_runtime: started.elapsed(),
            }),
        }
    }
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
    vertex.factory.build(VertexBuild {
        location: location(&graph, v, spec.subtask, plan.parallelism[vi]),
        subtask,
        main,
        sides: side_channels,
        inputs,
        coordinator: spec.coordinators[vi].clone(),
        clock: graph.clock.clone(),
    })
}
