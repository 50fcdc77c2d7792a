//! Runs one Nexmark query on the embedded runtime and measures it the recognised way:
//! all events leaving the source counted, wall time and process CPU time both.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use weir::prelude::*;
use weir::StreamRecord;
use weir_connectors::nexmark::{NexmarkConfig, NexmarkFileSource, NexmarkSource, NexmarkStreams};
use weir_connectors::sink::{BlackholeSink, FileSink, JsonLinesSink};
use weir_runtime::restart::RestartStrategy;
use weir_runtime::{CheckpointSettings, Emitter, Operator};

use crate::cpu::{peak_rss_mib, process_cpu_time};

/// The queries `weir nexmark` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    /// Pass-through.
    Q0,
    /// Currency conversion.
    Q1,
    /// Selection.
    Q2,
    /// Hot items (sliding windows).
    Q5,
    /// Highest bid per 10-second window.
    Q7,
    /// New users (window co-group).
    Q8,
    /// User sessions (session windows).
    Q11,
    /// Bids per bidder per processing-time window.
    Q12,
    /// Not a Nexmark query: bids per auction in sliding windows of `size_ms` sliding by
    /// `slide_ms` (the cost benchmark of sliding windows).
    Sliding {
        /// Window size.
        size_ms: u64,
        /// Slide.
        slide_ms: u64,
    },
}

impl Query {
    /// Whether the query needs event time (watermarks 4 s behind, as the Nexmark DDL).
    pub fn event_time(self) -> bool {
        !matches!(self, Query::Q0 | Query::Q1 | Query::Q2 | Query::Q12)
    }

    /// The event files the query reads (projection, as Flink's SQL reads only the
    /// tables a query uses).
    pub fn streams(self) -> NexmarkStreams {
        match self {
            Query::Q8 => NexmarkStreams::PERSONS_AND_AUCTIONS,
            _ => NexmarkStreams::BIDS,
        }
    }
}

impl FromStr for Query {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "q0" => Ok(Query::Q0),
            "q1" => Ok(Query::Q1),
            "q2" => Ok(Query::Q2),
            "q5" => Ok(Query::Q5),
            "q7" => Ok(Query::Q7),
            "q8" => Ok(Query::Q8),
            "q11" => Ok(Query::Q11),
            "q12" => Ok(Query::Q12),
            "sliding" => Ok(Query::Sliding { size_ms: 10_000, slide_ms: 2_000 }),
            other => Err(format!(
                "unknown Nexmark query '{other}': this version runs q0, q1, q2, q5, q7, q8, q11, q12 (and 'sliding')"
            )),
        }
    }
}

impl std::fmt::Display for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Query::Q0 => f.write_str("q0"),
            Query::Q1 => f.write_str("q1"),
            Query::Q2 => f.write_str("q2"),
            Query::Q5 => f.write_str("q5"),
            Query::Q7 => f.write_str("q7"),
            Query::Q8 => f.write_str("q8"),
            Query::Q11 => f.write_str("q11"),
            Query::Q12 => f.write_str("q12"),
            Query::Sliding { size_ms, slide_ms } => write!(f, "sliding({size_ms}ms/{slide_ms}ms)"),
        }
    }
}

/// Where the events come from.
#[derive(Debug, Clone)]
pub enum NexmarkInput {
    /// The built-in generator.
    Generate(NexmarkConfig),
    /// JSON-lines files in the peers' layout.
    Files(PathBuf),
}

/// One measured run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Which query.
    pub query: Query,
    /// Events from.
    pub input: NexmarkInput,
    /// Parallelism of every operator.
    pub parallelism: usize,
    /// Result rows as JSON lines into this directory, or counted and dropped.
    pub output: Option<PathBuf>,
    /// Checkpointing (and what to resume from), if enabled.
    pub checkpointing: Option<CheckpointSettings>,
    /// The checkpoint directory (where savepoints asked for by `SIGUSR1` go).
    pub checkpoint_dir: Option<PathBuf>,
    /// The restart strategy, if not the default.
    pub restart_strategy: Option<RestartStrategy>,
    /// Where keyed state lives (the heap by default).
    pub state_backend: weir::StateBackendConfig,
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Query name.
    pub query: String,
    /// Parallelism.
    pub parallelism: usize,
    /// Events in the input: all events generated, or for files the data set's event
    /// count from its `meta.json` (what the throughput is quoted over, as Flink's peers
    /// harness quotes it), else the events read.
    pub events: u64,
    /// Events that left the source (a query over files reads only the event types it
    /// uses).
    pub events_read: u64,
    /// Result rows.
    pub rows: u64,
    /// Wall time of the job, seconds.
    pub elapsed_s: f64,
    /// Process CPU time (user + system) during the job, seconds.
    pub cpu_s: f64,
    /// Peak resident memory of the process, MiB.
    pub peak_rss_mib: f64,
    /// Checkpoints completed.
    pub checkpoints: usize,
    /// Their durations and sizes.
    #[serde(skip)]
    pub checkpoint_stats: weir_runtime::checkpointing::CheckpointStats,
    /// The checkpoint the run resumed from.
    pub restored_from: Option<u64>,
    /// Restarts after failures.
    pub restarts: u32,
    /// The failure behind each restart, oldest first.
    pub failures: Vec<String>,
}

impl RunReport {
    /// Events per wall-clock second.
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.elapsed_s.max(1e-9)
    }

    /// Events per CPU second (comparable with Flink's throughput per core).
    pub fn events_per_cpu_s(&self) -> f64 {
        self.events as f64 / self.cpu_s.max(1e-9)
    }
}

/// Passes records through, counting them into a shared counter at the end.
struct Count<T> {
    seen: u64,
    total: Arc<AtomicU64>,
    _t: std::marker::PhantomData<fn(T)>,
}

impl<T: Send + 'static> Operator for Count<T> {
    type In = T;
    type Out = T;

    #[inline]
    fn process(&mut self, batch: &mut Vec<StreamRecord<T>>, out: &mut Emitter<T>) -> Result<(), BoxError> {
        self.seen += batch.len() as u64;
        out.emit_all(batch);
        Ok(())
    }

    fn finish(&mut self, _: &mut Emitter<T>) -> Result<(), BoxError> {
        self.total.fetch_add(self.seen, Ordering::Relaxed);
        Ok(())
    }
}

fn counted<T: Data>(stream: &DataStream<T>, name: &str, total: &Arc<AtomicU64>) -> DataStream<T> {
    let total = total.clone();
    stream.transform(name, move |_| Ok(Count { seen: 0, total: total.clone(), _t: std::marker::PhantomData }))
}

fn sink<T: Data + Serialize>(rows: &DataStream<T>, spec: &RunSpec, count: &Arc<AtomicU64>) {
    let rows = counted(rows, "Count Results", count);
    match &spec.output {
        // With checkpoints, output is committed with them: exactly once across failures.
        Some(dir) if spec.checkpointing.is_some() => {
            rows.sink_to(FileSink::json_lines(dir.clone()).with_part_suffix(".jsonl"), "File sink (exactly once)");
        }
        Some(dir) => {
            rows.sink_to(JsonLinesSink::new(dir.clone()), "JSON lines");
        }
        None => {
            rows.sink_to(BlackholeSink::new(), "Blackhole");
        }
    }
}

/// Runs `spec` and measures it.
///
/// # Errors
/// The job's failure (a missing input directory, a malformed line, an unwritable output).
pub fn run(spec: &RunSpec) -> Result<RunReport, JobError> {
    let mut env = StreamExecutionEnvironment::new()
        .with_parallelism(spec.parallelism)
        .with_state_backend(spec.state_backend.clone());
    if let Some(c) = &spec.checkpointing {
        env = env.enable_checkpointing(c.clone());
    }
    if let Some(r) = &spec.restart_strategy {
        env = env.with_restart_strategy(r.clone());
    }
    let events_total = Arc::new(AtomicU64::new(0));
    let rows_total = Arc::new(AtomicU64::new(0));
    let strategy = if spec.query.event_time() { nexmark_watermarks() } else { WatermarkStrategy::no_watermarks() };
    let events = match &spec.input {
        NexmarkInput::Generate(config) => {
            let source = NexmarkSource::new(config.clone())
                .map_err(|e| JobError::InvalidGraph(format!("nexmark generator: {e}")))?;
            env.from_source(source, strategy, "Nexmark")
        }
        NexmarkInput::Files(dir) => {
            let source = NexmarkFileSource::new(dir.clone()).reading(spec.query.streams());
            env.from_source(source, strategy, "Nexmark files")
        }
    };
    let events = counted(&events, "Count Events", &events_total);
    match spec.query {
        Query::Q0 => sink(&super::q0::query(&events), spec, &rows_total),
        Query::Q1 => sink(&super::q1::query(&events), spec, &rows_total),
        Query::Q2 => sink(&super::q2::query(&events), spec, &rows_total),
        Query::Q5 => sink(&super::q5::query(&events), spec, &rows_total),
        Query::Q7 => sink(&super::q7::query(&events), spec, &rows_total),
        Query::Q8 => sink(&super::q8::query(&events), spec, &rows_total),
        Query::Q11 => sink(&super::q11::query(&events), spec, &rows_total),
        Query::Q12 => sink(&super::q12::query(&events), spec, &rows_total),
        Query::Sliding { size_ms, slide_ms } => {
            sink(&super::sliding::query(&events, size_ms, slide_ms), spec, &rows_total)
        }
    }
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    let result = match &spec.checkpointing {
        None => env.execute(&format!("Nexmark {}", spec.query))?,
        Some(_) => {
            let (control, job) = env.execute_async(&format!("Nexmark {}", spec.query))?;
            if let Some(dir) = &spec.checkpoint_dir {
                crate::checkpoint_options::serve_savepoint_requests(control, dir.clone());
            }
            job.join().map_err(|_| JobError::Internal("the job thread panicked".into()))??
        }
    };
    let elapsed = started.elapsed();
    let cpu = process_cpu_time().saturating_sub(cpu_before);
    let events_read = events_total.load(Ordering::Relaxed);
    let events = match &spec.input {
        NexmarkInput::Files(dir) => data_set_events(dir).unwrap_or(events_read),
        NexmarkInput::Generate(_) => events_read,
    };
    Ok(RunReport {
        query: spec.query.to_string(),
        parallelism: spec.parallelism,
        events,
        events_read,
        rows: rows_total.load(Ordering::Relaxed),
        elapsed_s: secs(elapsed),
        cpu_s: secs(cpu),
        peak_rss_mib: peak_rss_mib(),
        checkpoints: result.completed_checkpoints.len(),
        checkpoint_stats: result.checkpoint_stats.clone(),
        restored_from: result.restored_from.map(|c| c.0),
        restarts: result.restarts,
        failures: result.failures.clone(),
    })
}

/// The watermark strategy of the Nexmark DDL: event time trails the highest `dateTime`
/// seen by 4 seconds.
pub fn nexmark_watermarks<T: 'static>() -> WatermarkStrategy<T> {
    WatermarkStrategy::for_bounded_out_of_orderness(Duration::from_secs(4))
}

/// The `events` count of a data set's `meta.json` (written by `weir nexmark generate` and
/// by the peers' generator).
pub(crate) fn data_set_events(dir: &std::path::Path) -> Option<u64> {
    let meta = std::fs::read_to_string(dir.join("meta.json")).ok()?;
    serde_json::from_str::<serde_json::Value>(&meta).ok()?.get("events")?.as_u64()
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
