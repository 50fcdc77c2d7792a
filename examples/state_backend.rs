//! Keyed state on the heap or in the embedded backend, chosen by configuration.
//!
//! A keyed job keeps per key a count (value state), the last few values (list state)
//! and a map of value buckets (map state) over `--records` records of `--keys` keys, and
//! prints its throughput and the process's peak resident memory (or, with `--job
//! window`, keeps window contents; see below):
//!
//! ```sh
//! cargo run --release -p weir-examples --bin state_backend -- --backend hashmap --records 5000000 --keys 100000
//! cargo run --release -p weir-examples --bin state_backend -- --backend embedded --memory 16mb --records 5000000 --keys 100000
//! ```
//!
//! With `--checkpoint-dir DIR` it checkpoints every `--checkpoint-interval-ms` (1000) and
//! prints, per checkpoint, how long it took and how many bytes it needs and wrote; with
//! `--incremental` the embedded backend's checkpoints write only the key groups changed
//! since the last one. `--hot-keys H` sends every record after the first `--keys` (one per
//! key) to only `H` keys, as a skewed workload does; `--payload B` adds a value of `B`
//! bytes per key (written with its first record), to make the state larger quickly;
//! `--parallelism P` runs the keyed function in `P` subtasks.
//!
//! ```sh
//! cargo run --release -p weir-examples --bin state_backend -- --backend embedded --keys 200000 --records 260000 \
//!     --hot-keys 4 --checkpoint-dir /tmp/ck --incremental
//! ```
//!
//! **Restore.** `--tail N` adds `N` records after `--records`, paced 1 ms apart, so the
//! job is still running when its state is complete; `--stop-after-checkpoints C` stops
//! it (as a failure) once `C` checkpoints completed during the tail, and `--savepoint`
//! takes a savepoint during the tail and then stops it. `--restore latest` or
//! `--restore chk-N` (in `--checkpoint-dir`) resumes such a run, at any `--parallelism`,
//! with the same `--records`, `--keys`, `--hot-keys`, `--payload` and `--tail`; it prints
//! how long the restore took (until every subtask took its first record) and the peak
//! memory by then, which for the embedded backend stays near its budget whatever the
//! state's size (a restore reads one key group at a time):
//!
//! ```sh
//! state_backend --backend embedded --memory 16mb --keys 250000 --records 250000 --payload 500 --hot-keys 4 \
//!     --parallelism 2 --checkpoint-dir /tmp/ck --incremental --tail 3000 --stop-after-checkpoints 2
//! state_backend --backend embedded --memory 16mb --keys 250000 --records 250000 --payload 500 --hot-keys 4 \
//!     --parallelism 4 --checkpoint-dir /tmp/ck --incremental --tail 3000 --restore latest
//! ```
//!
//! With `--job window` the state is window contents instead: records of `--keys` keys,
//! each carrying `--payload` bytes, at event times 0, 1, 2, … ms, in tumbling event-time
//! windows of `--window-ms` whose process function sees every element (so a window keeps
//! all of them until it fires). With windows longer than the input, all of it is open
//! window contents when the input ends — `--records` × `--payload` bytes of state:
//!
//! ```sh
//! cargo run --release -p weir-examples --bin state_backend -- --job window --backend embedded --memory 8mb \
//!     --records 131072 --keys 16384 --payload 1024 --window-ms 1000000000
//! ```

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, UNIX_EPOCH};

use weir::connectors::BlackholeSink;
use weir::prelude::*;
use weir::{StateBackendConfig, StreamRecord};
use weir_checkpoint::{CheckpointConfig, CheckpointId, CheckpointStorage, LocalDirStorage};
use weir_runtime::restart::RestartStrategy;
use weir_runtime::{CheckpointSettings, Emitter, Operator, Restore, SubtaskInfo};

/// Per key: how many records, the last three, per bucket of 16 values a sum, and with
/// `payload` bytes, a value written with the key's first record.
#[derive(Clone, Default)]
struct Track {
    count: Option<ValueState<u64>>,
    last: Option<ListState<u64>>,
    buckets: Option<MapState<u64, u64>>,
    payload: usize,
    payload_state: Option<ValueState<String>>,
    /// This subtask has taken a record.
    started: bool,
}

/// When the job started, and, once every subtask of the keyed function has taken its
/// first record (after restoring its state), how long that took (ms) and the peak
/// resident memory by then (MiB): what a restore costs.
static STARTED: OnceLock<Instant> = OnceLock::new();
static READY_MS: AtomicU64 = AtomicU64::new(0);
static READY_PEAK_MIB: AtomicU64 = AtomicU64::new(0);

impl KeyedProcessFunction<u64, u64, u64> for Track {
    fn open(&mut self, ctx: &mut RuntimeContext<u64>) -> Result<(), BoxError> {
        self.count = Some(ctx.get_state(&ValueStateDescriptor::new("count"))?);
        self.last = Some(ctx.get_list_state(&ListStateDescriptor::new("last"))?);
        self.buckets = Some(ctx.get_map_state(&MapStateDescriptor::new("buckets"))?);
        if self.payload > 0 {
            self.payload_state = Some(ctx.get_state(&ValueStateDescriptor::new("payload"))?);
        }
        Ok(())
    }

    fn process_element(
        &mut self,
        x: u64,
        ctx: &mut KeyedContext<u64>,
        out: &mut Collector<u64>,
    ) -> Result<(), BoxError> {
        if !self.started {
            self.started = true;
            let ms = STARTED.get().map_or(0, |t| t.elapsed().as_millis() as u64);
            READY_MS.fetch_max(ms, Ordering::SeqCst);
            READY_PEAK_MIB.fetch_max(peak_rss_mib(), Ordering::SeqCst);
        }
        let (count, last, buckets) = (self.count.unwrap(), self.last.unwrap(), self.buckets.unwrap());
        let n = count.value(ctx)?.unwrap_or(0) + 1;
        count.update(ctx, n)?;
        if let (1, Some(payload)) = (n, self.payload_state) {
            let key = *ctx.current_key();
            payload.update(ctx, key.to_string().chars().cycle().take(self.payload).collect())?;
        }
        let mut recent = last.get(ctx)?;
        if recent.len() == 3 {
            recent.remove(0);
        }
        recent.push(x);
        last.update(ctx, recent)?;
        let bucket = x % 16;
        let sum = buckets.get(ctx, &bucket)?.unwrap_or(0) + x;
        buckets.put(ctx, bucket, sum)?;
        out.collect(n);
        Ok(())
    }
}

/// Passes records on; paces those after the first `records` (the tail) and stops the job
/// when asked: after `stop_after` checkpoints completed during the tail, or when `halt`
/// is set. Sets `reached` at the first record of the tail.
struct Tail {
    records: u64,
    stop_after: Option<u64>,
    reached: Arc<AtomicBool>,
    halt: Arc<AtomicBool>,
    completed: u64,
    from: Option<u64>,
}

impl Operator for Tail {
    type In = u64;
    type Out = u64;

    fn process(&mut self, batch: &mut Vec<StreamRecord<u64>>, out: &mut Emitter<u64>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            if record.value >= self.records {
                self.reached.store(true, Ordering::SeqCst);
                let from = *self.from.get_or_insert(self.completed);
                let enough = self.stop_after.is_some_and(|n| self.completed >= from + n);
                if enough || self.halt.load(Ordering::SeqCst) {
                    return Err(STOPPED.into());
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            out.emit(record);
        }
        Ok(())
    }

    fn notify_checkpoint_complete(&mut self, _: CheckpointId) -> Result<(), BoxError> {
        self.completed += 1;
        Ok(())
    }
}

/// How the job fails when it is stopped as asked.
const STOPPED: &str = "stopped as asked";

/// Per fired window: its key, how many elements it held and their payload bytes.
type Fired = (u64, u64, u64);

/// The window job: `records` records of `keys` keys with `payload` bytes each, at event
/// times 0, 1, … ms, in tumbling windows of `window_ms` that keep every element.
fn window_job(
    env: &StreamExecutionEnvironment,
    records: u64,
    keys: u64,
    payload: usize,
    window_ms: u64,
) -> weir::connectors::CollectHandle<Fired> {
    env.from_sequence(0, records as i64 - 1)
        .map(move |x: i64| (x as u64 % keys, x, x.to_string().chars().cycle().take(payload).collect()))
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r: &(u64, i64, String), _| r.1),
        )
        .key_by(|r: &(u64, i64, String)| r.0)
        .window(TumblingEventTimeWindows::of(Duration::from_millis(window_ms)))
        .process(ProcessWindowFn::new(
            |key: &u64,
             _: &mut WindowContext<u64, TimeWindow>,
             e: &[(u64, i64, String)],
             out: &mut Collector<Fired>| {
                out.collect((*key, e.len() as u64, e.iter().map(|r| r.2.len() as u64).sum()));
                Ok(())
            },
        ))
        .collect()
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.to_string())
}

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok());
    kib.unwrap_or(0) / 1024
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let records: u64 = arg(&args, "--records", "2000000").parse()?;
    let keys: u64 = arg(&args, "--keys", "100000").parse()?;
    let hot: u64 = arg(&args, "--hot-keys", &keys.to_string()).parse()?;
    let payload: usize = arg(&args, "--payload", "0").parse()?;
    let parallelism: usize = arg(&args, "--parallelism", "1").parse()?;
    let tail: u64 = arg(&args, "--tail", "0").parse()?;
    let stop_after: Option<u64> = args
        .iter()
        .any(|a| a == "--stop-after-checkpoints")
        .then(|| arg(&args, "--stop-after-checkpoints", "2").parse().expect("--stop-after-checkpoints takes a number"));
    let savepoint = args.iter().any(|a| a == "--savepoint");
    let restore = args.iter().position(|a| a == "--restore").and_then(|i| args.get(i + 1)).cloned();
    let incremental = args.iter().any(|a| a == "--incremental");
    let config = StateBackendConfig::from_options([
        ("state.backend.type", arg(&args, "--backend", "hashmap").as_str()),
        ("state.backend.fjall.memory", arg(&args, "--memory", "64mb").as_str()),
        ("execution.checkpointing.incremental", if incremental { "true" } else { "false" }),
    ])
    .map_err(anyhow::Error::msg)?;
    let mut env = StreamExecutionEnvironment::new().with_state_backend(config.clone()).with_parallelism(parallelism);
    let checkpoints = args.iter().position(|a| a == "--checkpoint-dir").and_then(|i| args.get(i + 1)).cloned();
    let mut storage = None;
    if let Some(dir) = &checkpoints {
        let interval: u64 = arg(&args, "--checkpoint-interval-ms", "1000").parse()?;
        let s = Arc::new(LocalDirStorage::new(dir)?);
        // Every checkpoint is kept, to be measured after the run.
        let config = CheckpointConfig { retained: 1_000_000, ..CheckpointConfig::every(interval) };
        let restore = match restore.as_deref() {
            None => None,
            Some("latest") => Some(Restore { storage: s.clone(), checkpoint: None }),
            Some(chk) => {
                let id =
                    chk.trim_start_matches("chk-").parse().map_err(|_| anyhow::anyhow!("--restore latest|chk-N"))?;
                Some(Restore { storage: s.clone(), checkpoint: Some(CheckpointId(id)) })
            }
        };
        env = env
            .enable_checkpointing(CheckpointSettings { config, storage: s.clone(), restore })
            .with_restart_strategy(RestartStrategy::None);
        storage = Some(s);
    } else if restore.is_some() || stop_after.is_some() || savepoint {
        anyhow::bail!("--restore, --stop-after-checkpoints and --savepoint need --checkpoint-dir");
    }
    let (reached, halt) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let (r, h) = (reached.clone(), halt.clone());
    let job = arg(&args, "--job", "keyed");
    let windows = match job.as_str() {
        "keyed" => {
            env.from_sequence(0, (records + tail) as i64 - 1)
                .set_parallelism(1)
                .uid("numbers")
                .map(move |x: i64| x as u64)
                .set_parallelism(1)
                .transform("Tail", move |_: &SubtaskInfo| {
                    let (reached, halt) = (r.clone(), h.clone());
                    Ok(Tail { records, stop_after, reached, halt, completed: 0, from: None })
                })
                .set_parallelism(1)
                .uid("tail")
                .key_by(move |x: &u64| if *x < keys { *x } else { x % hot })
                .process(Track { payload, ..Track::default() })
                .uid("track")
                .sink_to(BlackholeSink::new(), "blackhole");
            None
        }
        "window" => {
            let payload: usize = arg(&args, "--payload", "1024").parse()?;
            let window_ms: u64 = arg(&args, "--window-ms", "1000000000").parse()?;
            Some(window_job(&env, records, keys, payload, window_ms))
        }
        other => anyhow::bail!("--job {other}: use keyed or window"),
    };
    let started = *STARTED.get_or_init(Instant::now);
    let (control, job) = env.execute_async("state backend")?;
    if savepoint {
        while !reached.load(Ordering::SeqCst) && !job.is_finished() {
            std::thread::sleep(Duration::from_millis(10));
        }
        let id = control.trigger_savepoint(Duration::from_secs(600))?;
        println!("savepoint chk-{} taken during the tail", id.0);
        halt.store(true, Ordering::SeqCst);
    }
    let result = job.join().map_err(|_| anyhow::anyhow!("the job's thread panicked"))?;
    let secs = started.elapsed().as_secs_f64();
    if restore.is_some() {
        let (ms, peak) = (READY_MS.load(Ordering::SeqCst), READY_PEAK_MIB.load(Ordering::SeqCst));
        println!("restored: every subtask took its first record {ms} ms after the start; peak RSS by then {peak} MiB");
    }
    match result {
        Ok(r) => {
            if let Some(from) = r.restored_from {
                println!("restored from chk-{} at parallelism {parallelism}", from.0);
            }
            println!(
                "backend {:?}: {records} records, {keys} keys in {secs:.2} s = {:.2} M records/s; peak RSS {} MiB",
                config.kind,
                records as f64 / secs / 1e6,
                peak_rss_mib()
            );
        }
        Err(e) if e.to_string().contains(STOPPED) => {
            println!("stopped as asked after {secs:.2} s; peak RSS {} MiB", peak_rss_mib());
        }
        Err(e) => return Err(e.into()),
    }
    if let Some(windows) = windows {
        let fired = windows.take();
        let elements: u64 = fired.iter().map(|w| w.1).sum();
        let bytes: u64 = fired.iter().map(|w| w.2).sum();
        println!(
            "windows {}: {elements} elements, {:.1} MiB of contents",
            fired.len(),
            bytes as f64 / (1 << 20) as f64
        );
    }
    if let Some(storage) = storage {
        report_checkpoints(&storage)?;
    }
    Ok(())
}

/// Per completed checkpoint: trigger to manifest written, the bytes it needs (its task
/// states and every file they list) and the bytes it wrote (those no earlier retained
/// checkpoint lists).
fn report_checkpoints(storage: &LocalDirStorage) -> anyhow::Result<()> {
    let root = storage.root();
    let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
    let mut before: BTreeSet<String> = BTreeSet::new();
    println!("checkpoint | duration ms | needs MiB | wrote MiB");
    for stored in storage.list_completed()? {
        let manifest = storage.read_manifest(stored.id)?;
        let dir = storage.checkpoint_dir(stored.id);
        let done = std::fs::metadata(dir.join("_metadata"))?.modified()?.duration_since(UNIX_EPOCH)?;
        let took = done.saturating_sub(Duration::from_millis(manifest.timestamp_ms));
        let own: u64 =
            std::fs::read_dir(&dir)?.flatten().filter(|e| e.file_name() != "_metadata").map(|e| size(&e.path())).sum();
        let shared: BTreeSet<String> = manifest.tasks.iter().flat_map(|t| t.state.shared.iter().cloned()).collect();
        let shared_bytes = |files: &mut dyn Iterator<Item = &String>| files.map(|f| size(&root.join(f))).sum::<u64>();
        let needs = own + shared_bytes(&mut shared.iter());
        let wrote = own + shared_bytes(&mut shared.difference(&before));
        let mib = |b: u64| b as f64 / (1 << 20) as f64;
        println!("{} | {} | {:.2} | {:.2}", stored.id, took.as_millis(), mib(needs), mib(wrote));
        before.extend(shared);
    }
    Ok(())
}
