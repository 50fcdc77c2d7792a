//! What the window tests share: scripted event-time input (records and watermarks in a
//! fixed order, so lateness is exact), a processing-time feed driven by the test, and
//! helpers to see each output's timestamp.
//!
//! Each `windows*` test binary includes this with `mod windows_harness;`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use weir::prelude::*;
use weir::window::{ProcessWindowFunction, TimeWindow, WindowContext};
use weir::{JobError, StreamRecord, Watermark, WatermarkGenerator, WatermarkOutput};
use weir_connectors::StaticSplitEnumerator;
use weir_runtime::{Boundedness, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

/// One step of a scripted input: a record with its event time, or a watermark.
#[derive(Debug, Clone)]
pub enum Ev<T> {
    /// A record at event time `.1`.
    R(T, i64),
    /// A watermark.
    W(i64),
}

/// Emits a watermark at each `Ev::W`, nothing else.
struct Script;

impl<T> WatermarkGenerator<Ev<T>> for Script {
    fn on_event(&mut self, event: &Ev<T>, _: i64, out: &mut WatermarkOutput) {
        if let Ev::W(t) = event {
            out.emit_watermark(Watermark(*t));
        }
    }
    fn on_periodic_emit(&mut self, _: &mut WatermarkOutput) {}
}

/// An environment whose batches hold one record, so a scripted watermark reaches the
/// window operator exactly between the records around it.
pub fn scripted_env(parallelism: usize) -> StreamExecutionEnvironment {
    StreamExecutionEnvironment::new().with_parallelism(parallelism).with_batch_size(1)
}

/// The records of `script`, stamped, with its watermarks, in script order (one
/// subtask reads and stamps them; the end of input brings the final watermark).
pub fn scripted<T: Data + Sync>(env: &StreamExecutionEnvironment, script: Vec<Ev<T>>) -> DataStream<T> {
    env.from_collection(script)
        .assign_timestamps_and_watermarks(WatermarkStrategy::for_generator(|| Script).with_timestamp_assigner(
            |e: &Ev<T>, _| match e {
                Ev::R(_, t) | Ev::W(t) => *t,
            },
        ))
        .set_parallelism(1)
        .flat_map(|e: Ev<T>, out: &mut Collector<T>| {
            if let Ev::R(v, _) = e {
                out.collect(v)
            }
        })
        .set_parallelism(1)
}

/// Records stamped by their event time `ts(record)`, with watermarks trailing the
/// highest time seen by `bound` (Flink's bounded out-of-orderness).
pub fn bounded<T: Data + Sync>(
    env: &StreamExecutionEnvironment,
    records: Vec<T>,
    bound_ms: u64,
    ts: fn(&T) -> i64,
) -> DataStream<T> {
    env.from_collection(records).assign_timestamps_and_watermarks(
        WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_millis(bound_ms))
            .with_timestamp_assigner(move |r: &T, _| ts(r)),
    )
}

/// Each record with the event-time timestamp it carries.
pub fn with_timestamps<T: Data>(s: &DataStream<T>) -> DataStream<(T, i64)> {
    s.process(ProcessFn::new(|v: T, ctx: &mut Context, out: &mut Collector<(T, i64)>| {
        out.collect((v, ctx.timestamp().unwrap_or(i64::MIN)));
        Ok(())
    }))
}

/// A window's output for tests: (key, start, end, sorted values).
pub type Listed<K> = (K, i64, i64, Vec<i64>);

/// A process window function listing each window's values (second field), sorted.
#[derive(Clone, Copy)]
pub struct ListWindow;

impl<K: Clone + Send + 'static> ProcessWindowFunction<K, (K, i64), Listed<K>, TimeWindow> for ListWindow {
    fn process(
        &mut self,
        key: &K,
        ctx: &mut WindowContext<K, TimeWindow>,
        elements: &[(K, i64)],
        out: &mut Collector<Listed<K>>,
    ) -> Result<(), BoxError> {
        let mut values: Vec<i64> = elements.iter().map(|e| e.1).collect();
        values.sort();
        out.collect((key.clone(), ctx.window().start, ctx.window().end, values));
        Ok(())
    }
}

/// [`ListWindow`].
pub fn list_window() -> ListWindow {
    ListWindow
}

/// Runs the job with a deadline.
pub fn run(env: &StreamExecutionEnvironment, name: &str) {
    if let Err(e) = execute_within(env, name, Duration::from_secs(20)) {
        panic!("job '{name}' failed: {e}");
    }
}

/// Runs the job expecting it to fail; returns the error.
pub fn run_expecting_failure(env: &StreamExecutionEnvironment, name: &str) -> JobError {
    match execute_within(env, name, Duration::from_secs(20)) {
        Ok(_) => panic!("job '{name}' succeeded, but it should have failed"),
        Err(e) => e,
    }
}

fn execute_within(
    env: &StreamExecutionEnvironment,
    name: &str,
    limit: Duration,
) -> Result<weir::JobExecutionResult, JobError> {
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

/// `v` sorted.
pub fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Waits (with a deadline) until `done()`.
pub fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A source the test feeds while the job runs: records pushed with [`Feed::push`] are
/// emitted (without timestamps) as soon as the source polls; it ends after
/// [`Feed::close`].
#[derive(Clone)]
pub struct Feed<T> {
    pending: Arc<Mutex<Vec<T>>>,
    closed: Arc<AtomicBool>,
    /// Records pushed so far.
    pushed: Arc<AtomicUsize>,
}

impl<T> Default for Feed<T> {
    fn default() -> Self {
        Feed { pending: Arc::default(), closed: Arc::default(), pushed: Arc::default() }
    }
}

impl<T> Feed<T> {
    /// Queues records for the source.
    pub fn push(&self, values: impl IntoIterator<Item = T>) {
        let mut pending = self.pending.lock().unwrap();
        let before = pending.len();
        pending.extend(values);
        self.pushed.fetch_add(pending.len() - before, Ordering::SeqCst);
    }

    /// Ends the source once the queue is empty.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// Records pushed so far.
    pub fn pushed(&self) -> usize {
        self.pushed.load(Ordering::SeqCst)
    }
}

pub struct FeedReader<T> {
    feed: Feed<T>,
    deadline: Instant,
}

impl<T: Clone + Send + Sync + 'static> Source for Feed<T> {
    type Out = T;
    type Split = ();
    type Reader = FeedReader<T>;
    type Enumerator = StaticSplitEnumerator<()>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::ContinuousUnbounded
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        Ok(StaticSplitEnumerator::new(vec![()], parallelism))
    }

    fn create_reader(&self, _: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(FeedReader { feed: self.clone(), deadline: Instant::now() + Duration::from_secs(15) })
    }
}

impl<T: Clone + Send + Sync + 'static> SourceReader for FeedReader<T> {
    type Out = T;
    type Split = ();

    fn add_split(&mut self, _: ()) -> Result<(), BoxError> {
        Ok(())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<T>, _max: usize) -> Result<ReadStatus, BoxError> {
        let values: Vec<T> = std::mem::take(&mut *self.feed.pending.lock().unwrap());
        if !values.is_empty() {
            out.extend(values.into_iter().map(StreamRecord::new));
            return Ok(ReadStatus::MoreAvailable);
        }
        if self.feed.closed.load(Ordering::SeqCst) {
            return Ok(ReadStatus::NeedsSplit);
        }
        if Instant::now() > self.deadline {
            return Err("the test never closed the feed".into());
        }
        Ok(ReadStatus::NothingAvailable)
    }
}
