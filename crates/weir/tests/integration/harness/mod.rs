//! What the end-to-end tests share: running a job with a deadline (so a hang fails the
//! test instead of stalling CI), small test sources (records with timestamps, records
//! held back until a condition holds) and a subtask-tagging step.
//!
//! Each test binary includes this module with `mod harness;` and uses part of it.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir::prelude::*;
use weir::{JobExecutionResult, StreamRecord};
use weir_connectors::StaticSplitEnumerator;
use weir_runtime::{Boundedness, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

/// Runs the job built in `env` on another thread and waits at most `limit` for it.
///
/// # Panics
/// When the job has not finished within `limit` (the job's threads are left behind;
/// the test fails instead of hanging).
pub fn execute_within(
    env: &StreamExecutionEnvironment,
    name: &str,
    limit: Duration,
) -> Result<JobExecutionResult, JobError> {
    let graph = env.take_graph(name)?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(weir_runtime::LocalExecutor.execute(graph));
    });
    match rx.recv_timeout(limit) {
        Ok(result) => result,
        Err(_) => panic!("job '{name}' did not finish within {limit:?}"),
    }
}

/// The usual deadline for a small bounded job: generous for a loaded 2-core CI runner,
/// far below "hung".
pub const DEADLINE: Duration = Duration::from_secs(10);

/// Runs the job, expecting success within [`DEADLINE`].
pub fn run(env: &StreamExecutionEnvironment, name: &str) {
    if let Err(e) = execute_within(env, name, DEADLINE) {
        panic!("job '{name}' failed: {e}");
    }
}

/// Runs the job, expecting it to fail within `limit`; returns the error.
pub fn run_expecting_failure(env: &StreamExecutionEnvironment, name: &str, limit: Duration) -> JobError {
    match execute_within(env, name, limit) {
        Ok(_) => panic!("job '{name}' succeeded, but it should have failed"),
        Err(e) => e,
    }
}

/// Each record tagged with the index of the subtask that processed it (through a
/// `ProcessFunction`, as a Flink user would with `getRuntimeContext().getIndexOfThisSubtask()`).
pub fn tag_subtask<T: Data>(stream: &DataStream<T>) -> DataStream<(usize, T)> {
    stream.process(ProcessFn::new(|v: T, ctx: &mut Context, out: &mut Collector<(usize, T)>| {
        out.collect((ctx.subtask().index, v));
        Ok(())
    }))
}

/// Values grouped by their first field, each group in arrival order.
pub fn group_by_first<A: Ord + Clone, B: Clone>(pairs: &[(A, B)]) -> BTreeMap<A, Vec<B>> {
    let mut groups: BTreeMap<A, Vec<B>> = BTreeMap::new();
    for (a, b) in pairs {
        groups.entry(a.clone()).or_default().push(b.clone());
    }
    groups
}

/// `v` sorted, to compare outputs as multisets.
pub fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// A bounded source of given records (with their timestamps): split `i` is read by
/// subtask `i mod p`, in order.
#[derive(Clone)]
pub struct RecordSource<T> {
    splits: Arc<Vec<Vec<StreamRecord<T>>>>,
}

impl<T> RecordSource<T> {
    /// One split per inner `Vec`.
    pub fn new(splits: Vec<Vec<StreamRecord<T>>>) -> Self {
        RecordSource { splits: Arc::new(splits) }
    }
}

pub struct RecordReader<T> {
    splits: Arc<Vec<Vec<StreamRecord<T>>>>,
    pending: VecDeque<StreamRecord<T>>,
}

impl<T: Clone + Send + Sync + 'static> Source for RecordSource<T> {
    type Out = T;
    type Split = usize;
    type Reader = RecordReader<T>;
    type Enumerator = StaticSplitEnumerator<usize>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        Ok(StaticSplitEnumerator::new(0..self.splits.len(), parallelism))
    }

    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(RecordReader { splits: self.splits.clone(), pending: VecDeque::new() })
    }
}

impl<T: Clone + Send + Sync + 'static> SourceReader for RecordReader<T> {
    type Out = T;
    type Split = usize;

    fn add_split(&mut self, split: usize) -> Result<(), BoxError> {
        self.pending.extend(self.splits[split].iter().cloned());
        Ok(())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<T>, max: usize) -> Result<ReadStatus, BoxError> {
        if self.pending.is_empty() {
            return Ok(ReadStatus::NeedsSplit);
        }
        let n = max.min(self.pending.len());
        out.extend(self.pending.drain(..n));
        Ok(ReadStatus::MoreAvailable)
    }
}

/// A bounded, single-split source that emits its values only once `open()` is true —
/// to order one input after another without sleeping. Fails the job if the gate stays
/// closed past `deadline` (so a broken test fails rather than hangs).
#[derive(Clone)]
pub struct GatedSource<T> {
    values: Arc<Vec<T>>,
    open: Arc<dyn Fn() -> bool + Send + Sync>,
    deadline: Duration,
}

impl<T> GatedSource<T> {
    /// Emits `values` after `open()` returns true.
    pub fn new(values: Vec<T>, open: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        GatedSource { values: Arc::new(values), open: Arc::new(open), deadline: Duration::from_secs(5) }
    }
}

pub struct GatedReader<T> {
    values: Arc<Vec<T>>,
    open: Arc<dyn Fn() -> bool + Send + Sync>,
    started: Instant,
    deadline: Duration,
    next: Option<usize>,
}

impl<T: Clone + Send + Sync + 'static> Source for GatedSource<T> {
    type Out = T;
    type Split = ();
    type Reader = GatedReader<T>;
    type Enumerator = StaticSplitEnumerator<()>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        Ok(StaticSplitEnumerator::new([()], parallelism))
    }

    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(GatedReader {
            values: self.values.clone(),
            open: self.open.clone(),
            started: Instant::now(),
            deadline: self.deadline,
            next: None,
        })
    }
}

impl<T: Clone + Send + Sync + 'static> SourceReader for GatedReader<T> {
    type Out = T;
    type Split = ();

    fn add_split(&mut self, _split: ()) -> Result<(), BoxError> {
        self.next = Some(0);
        Ok(())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<T>, max: usize) -> Result<ReadStatus, BoxError> {
        let Some(next) = self.next else { return Ok(ReadStatus::NeedsSplit) };
        if !(self.open)() {
            if self.started.elapsed() > self.deadline {
                return Err(format!("gate still closed after {:?}", self.deadline).into());
            }
            return Ok(ReadStatus::NothingAvailable);
        }
        let end = (next + max).min(self.values.len());
        out.extend(self.values[next..end].iter().cloned().map(StreamRecord::new));
        self.next = (end < self.values.len()).then_some(end);
        Ok(ReadStatus::MoreAvailable)
    }
}
