//! Keyed state on the heap or in the embedded backend, chosen by configuration.
//!
//! A keyed job keeps per key a count (value state), the last few values (list state)
//! and a map of value buckets (map state) over `--records` records of `--keys` keys, and
//! prints its throughput and the process's peak resident memory:
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
//! key) to only `H` keys, as a skewed workload does:
//!
//! ```sh
//! cargo run --release -p weir-examples --bin state_backend -- --backend embedded --keys 200000 --records 260000 \
//!     --hot-keys 4 --checkpoint-dir /tmp/ck --incremental
//! ```

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use weir::connectors::BlackholeSink;
use weir::prelude::*;
use weir::StateBackendConfig;
use weir_checkpoint::{CheckpointConfig, CheckpointStorage, LocalDirStorage};
use weir_runtime::CheckpointSettings;

/// Per key: how many records, the last three, and per bucket of 16 values a sum.
#[derive(Clone, Default)]
struct Track {
    count: Option<ValueState<u64>>,
    last: Option<ListState<u64>>,
    buckets: Option<MapState<u64, u64>>,
}

impl KeyedProcessFunction<u64, u64, u64> for Track {
    fn open(&mut self, ctx: &mut RuntimeContext<u64>) -> Result<(), BoxError> {
        self.count = Some(ctx.get_state(&ValueStateDescriptor::new("count"))?);
        self.last = Some(ctx.get_list_state(&ListStateDescriptor::new("last"))?);
        self.buckets = Some(ctx.get_map_state(&MapStateDescriptor::new("buckets"))?);
        Ok(())
    }

    fn process_element(
        &mut self,
        x: u64,
        ctx: &mut KeyedContext<u64>,
        out: &mut Collector<u64>,
    ) -> Result<(), BoxError> {
        let (count, last, buckets) = (self.count.unwrap(), self.last.unwrap(), self.buckets.unwrap());
        let n = count.value(ctx)?.unwrap_or(0) + 1;
        count.update(ctx, n)?;
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
    let incremental = args.iter().any(|a| a == "--incremental");
    let config = StateBackendConfig::from_options([
        ("state.backend.type", arg(&args, "--backend", "hashmap").as_str()),
        ("state.backend.fjall.memory", arg(&args, "--memory", "64mb").as_str()),
        ("execution.checkpointing.incremental", if incremental { "true" } else { "false" }),
    ])
    .map_err(anyhow::Error::msg)?;
    let mut env = StreamExecutionEnvironment::new().with_state_backend(config.clone());
    let checkpoints = args.iter().position(|a| a == "--checkpoint-dir").and_then(|i| args.get(i + 1)).cloned();
    let mut storage = None;
    if let Some(dir) = &checkpoints {
        let interval: u64 = arg(&args, "--checkpoint-interval-ms", "1000").parse()?;
        let s = Arc::new(LocalDirStorage::new(dir)?);
        // Every checkpoint is kept, to be measured after the run.
        let config = CheckpointConfig { retained: 1_000_000, ..CheckpointConfig::every(interval) };
        env = env.enable_checkpointing(CheckpointSettings { config, storage: s.clone(), restore: None });
        storage = Some(s);
    }
    env.from_sequence(0, records as i64 - 1)
        .map(move |x: i64| x as u64)
        .key_by(move |x: &u64| if *x < keys { *x } else { x % hot })
        .process(Track::default())
        .sink_to(BlackholeSink::new(), "blackhole");
    let started = Instant::now();
    env.execute("state backend")?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "backend {:?}: {records} records, {keys} keys in {secs:.2} s = {:.2} M records/s; peak RSS {} MiB",
        config.kind,
        records as f64 / secs / 1e6,
        peak_rss_mib()
    );
    if let Some(storage) = storage {
        report_checkpoints(&storage)?;
    }
    Ok(())
}

/// Per completed checkpoint: trigger to manifest written, the bytes it needs (its task
/// states and every file they list) and the bytes it wrote (those no earlier checkpoint
/// already had).
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
        before = shared;
    }
    Ok(())
}
