//! What the event-time tests share: a source that plays a script per subtask (records of
//! named splits, split ends, waits on a condition), a watermark generator that emits
//! after every record (so watermarks are deterministic, not tied to the periodic
//! interval), and an operator that records everything it sees in order.
//!
//! Each test binary includes this module with `mod event_time_script;` and uses part of it.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use weir::prelude::*;
use weir::{StreamRecord, Watermark, WatermarkGenerator, WatermarkOutput};
use weir_connectors::StaticSplitEnumerator;
use weir_core::WatermarkStatus;
use weir_runtime::watermark::BoundedOutOfOrderness;
use weir_runtime::{Boundedness, Emitter, Operator, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

/// A condition a script waits for.
pub type Cond = Arc<dyn Fn() -> bool + Send + Sync>;

/// One step of a script; each step is one poll of the reader.
pub enum Step<T> {
    /// Emits these records as read from split `split`.
    Emit(u64, Vec<StreamRecord<T>>),
    /// Split `split` is read to its end.
    Finish(u64),
    /// Reads nothing until the condition holds (fails the job after [`WAIT_LIMIT`]).
    WaitUntil(Cond),
}

/// How long a script waits for a condition before failing the job.
pub const WAIT_LIMIT: Duration = Duration::from_secs(5);

/// `Emit` of one record per timestamp, one poll each: the source's watermark then moves
/// after every record.
pub fn one_per_poll<T: Clone>(split: u64, records: &[(T, i64)]) -> Vec<Step<T>> {
    records.iter().map(|(v, ts)| Step::Emit(split, vec![StreamRecord::with_timestamp(v.clone(), *ts)])).collect()
}

/// A bounded source where subtask `i` plays script `i` (scripts are dealt one per
/// reader; use as many scripts as the source's parallelism).
pub struct ScriptSource<T> {
    scripts: Arc<Vec<Vec<Step<T>>>>,
}

impl<T> ScriptSource<T> {
    /// One script per subtask.
    pub fn new(scripts: Vec<Vec<Step<T>>>) -> Self {
        ScriptSource { scripts: Arc::new(scripts) }
    }
}

pub struct ScriptReader<T> {
    scripts: Arc<Vec<Vec<Step<T>>>>,
    script: Option<usize>,
    step: usize,
    waiting_since: Option<Instant>,
}

impl<T: Clone + Send + Sync + 'static> Source for ScriptSource<T> {
    type Out = T;
    type Split = usize;
    type Reader = ScriptReader<T>;
    type Enumerator = StaticSplitEnumerator<usize>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        Ok(StaticSplitEnumerator::new(0..self.scripts.len(), parallelism))
    }

    fn create_reader(&self, _: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(ScriptReader { scripts: self.scripts.clone(), script: None, step: 0, waiting_since: None })
    }
}

impl<T: Clone + Send + Sync + 'static> SourceReader for ScriptReader<T> {
    type Out = T;
    type Split = usize;

    fn add_split(&mut self, script: usize) -> Result<(), BoxError> {
        self.script = Some(script);
        self.step = 0;
        Ok(())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<T>, _max: usize) -> Result<ReadStatus, BoxError> {
        let Some(script) = self.script else { return Ok(ReadStatus::NeedsSplit) };
        let Some(step) = self.scripts[script].get(self.step) else {
            self.script = None;
            return Ok(ReadStatus::NeedsSplit);
        };
        match step {
            Step::Emit(split, records) => {
                out.start_split(*split);
                out.extend(records.iter().cloned());
            }
            Step::Finish(split) => out.finish_split(*split),
            Step::WaitUntil(cond) => {
                if !cond() {
                    let since = *self.waiting_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > WAIT_LIMIT {
                        return Err(
                            format!("script {script} step {}: condition not met in {WAIT_LIMIT:?}", self.step).into()
                        );
                    }
                    return Ok(ReadStatus::NothingAvailable);
                }
                self.waiting_since = None;
            }
        }
        self.step += 1;
        Ok(ReadStatus::MoreAvailable)
    }
}

/// A generator that emits its inner generator's watermark after every record, instead
/// of only periodically: with one record per poll, the watermark follows each record.
pub struct EveryRecord<G>(pub G);

impl<T, G: WatermarkGenerator<T>> WatermarkGenerator<T> for EveryRecord<G> {
    fn on_event(&mut self, value: &T, timestamp: i64, output: &mut WatermarkOutput) {
        self.0.on_event(value, timestamp, output);
        self.0.on_periodic_emit(output);
    }

    fn on_periodic_emit(&mut self, output: &mut WatermarkOutput) {
        self.0.on_periodic_emit(output);
    }
}

/// Bounded out-of-orderness (`max - bound - 1`), emitted after every record.
pub fn every_record_bounded<T: 'static>(bound_ms: u64) -> WatermarkStrategy<T> {
    WatermarkStrategy::for_generator(move || EveryRecord(BoundedOutOfOrderness::new(Duration::from_millis(bound_ms))))
}

/// What a [`Recorder`] saw, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen<T> {
    /// A record and its timestamp.
    Record(T, i64),
    /// A watermark.
    Watermark(i64),
    /// A watermark status change.
    Status(WatermarkStatus),
    /// End of input (`finish`).
    Finish,
}

/// Everything the recorders of one stream saw, tagged with the recording subtask.
pub struct Log<T>(Arc<Mutex<Entries<T>>>);

/// What each recording subtask saw, in order.
type Entries<T> = Vec<(usize, Seen<T>)>;

impl<T> Clone for Log<T> {
    fn clone(&self) -> Self {
        Log(self.0.clone())
    }
}

impl<T> Default for Log<T> {
    fn default() -> Self {
        Log(Arc::new(Mutex::new(Vec::new())))
    }
}

impl<T: Clone + std::fmt::Debug> Log<T> {
    /// An empty log, to fill with [`record_to`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything seen so far.
    pub fn all(&self) -> Vec<(usize, Seen<T>)> {
        self.0.lock().unwrap().clone()
    }

    /// What subtask `subtask` saw.
    pub fn of(&self, subtask: usize) -> Vec<Seen<T>> {
        self.all().into_iter().filter(|(s, _)| *s == subtask).map(|(_, e)| e).collect()
    }

    /// The watermarks subtask `subtask` saw, in order.
    pub fn watermarks(&self, subtask: usize) -> Vec<i64> {
        self.of(subtask).into_iter().filter_map(|e| if let Seen::Watermark(w) = e { Some(w) } else { None }).collect()
    }

    /// The records subtask `subtask` saw, with timestamps.
    pub fn records(&self, subtask: usize) -> Vec<(T, i64)> {
        self.of(subtask)
            .into_iter()
            .filter_map(|e| if let Seen::Record(v, t) = e { Some((v, t)) } else { None })
            .collect()
    }

    /// The latest watermark subtask `subtask` saw.
    pub fn last_watermark(&self, subtask: usize) -> Option<i64> {
        self.watermarks(subtask).last().copied()
    }

    /// Waits (at most [`WAIT_LIMIT`]) until `cond` holds for the log.
    ///
    /// # Panics
    /// When it does not in time.
    pub fn wait_for(&self, what: &str, cond: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + WAIT_LIMIT;
        while !cond(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}; seen: {:?}", self.summary());
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn summary(&self) -> Vec<String> {
        self.all()
            .iter()
            .filter_map(|(s, e)| match e {
                Seen::Record(..) => None,
                other => Some(format!("{s}:{other:?}")),
            })
            .collect()
    }
}

/// Records every record, watermark, status change and the end of input it sees, and
/// passes everything on unchanged.
pub struct Recorder<T> {
    log: Log<T>,
    subtask: usize,
}

impl<T: Clone + Send + 'static> Operator for Recorder<T> {
    type In = T;
    type Out = T;

    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<T>) -> Result<(), BoxError> {
        let mut log = self.log.0.lock().unwrap();
        for r in batch.iter() {
            log.push((self.subtask, Seen::Record(r.value.clone(), r.timestamp)));
        }
        out.records().append(batch);
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<T>) -> Result<(), BoxError> {
        self.log.0.lock().unwrap().push((self.subtask, Seen::Watermark(watermark.0)));
        out.emit_watermark(watermark);
        Ok(())
    }

    fn on_watermark_status(&mut self, status: WatermarkStatus, out: &mut Emitter<T>) -> Result<(), BoxError> {
        self.log.0.lock().unwrap().push((self.subtask, Seen::Status(status)));
        out.emit_watermark_status(status);
        Ok(())
    }

    fn finish(&mut self, _out: &mut Emitter<T>) -> Result<(), BoxError> {
        self.log.0.lock().unwrap().push((self.subtask, Seen::Finish));
        Ok(())
    }
}

/// `stream` through a [`Recorder`] (through `DataStream::transform`, as a user would add
/// an operator of their own); returns the recorded stream and the log.
pub fn record<T: Data + std::fmt::Debug>(stream: &DataStream<T>, name: &str) -> (DataStream<T>, Log<T>) {
    let log = Log::new();
    (record_to(stream, name, &log), log)
}

/// As [`record`], into a log made beforehand (so that conditions built earlier can
/// read it).
pub fn record_to<T: Data>(stream: &DataStream<T>, name: &str, log: &Log<T>) -> DataStream<T> {
    let shared = log.clone();
    stream.transform(name, move |st: &SubtaskInfo| Ok(Recorder { log: shared.clone(), subtask: st.index }))
}
