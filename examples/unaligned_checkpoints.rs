//! Checkpoints under backpressure, aligned against unaligned.
//!
//! A fast source feeds a keyed rolling sum whose sink is slow (it pauses after every
//! batch), at parallelism 2, so the channels into the sum stay full. An aligned barrier
//! waits behind everything queued ahead of it; an unaligned one overtakes it and the
//! queued records are stored with the checkpoint. The program checkpoints every
//! `--interval-ms` in the chosen mode and prints how many checkpoints completed and how
//! long they took:
//!
//! ```sh
//! cargo run --release -p weir-examples --bin unaligned_checkpoints -- --mode aligned
//! cargo run --release -p weir-examples --bin unaligned_checkpoints -- --mode unaligned
//! ```
//!
//! Options: `--records N` (200000), `--pause-ms N` per sink batch (5), `--batch N` records
//! (64), `--capacity N` batches per channel (64), `--interval-ms N` (200).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use weir::prelude::*;
use weir::StreamRecord;
use weir_checkpoint::{CheckpointConfig, CheckpointMode, LocalDirStorage};
use weir_runtime::{CheckpointSettings, Sink, SinkWriter, SubtaskInfo};

/// A sink that pauses after every batch: a slow database.
struct SlowSink(Duration);

struct SlowWriter(Duration);

impl Sink<(u64, u64)> for SlowSink {
    type Writer = SlowWriter;
    fn create_writer(&self, _: &SubtaskInfo) -> Result<SlowWriter, BoxError> {
        Ok(SlowWriter(self.0))
    }
}

impl SinkWriter<(u64, u64)> for SlowWriter {
    fn write(&mut self, batch: &mut Vec<StreamRecord<(u64, u64)>>) -> Result<(), BoxError> {
        std::thread::sleep(self.0);
        batch.clear();
        Ok(())
    }
    fn flush(&mut self, _: bool) -> Result<(), BoxError> {
        Ok(())
    }
}

struct Options {
    mode: CheckpointMode,
    records: i64,
    pause: Duration,
    batch: usize,
    capacity: usize,
    interval_ms: u64,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        mode: CheckpointMode::Unaligned,
        records: 200_000,
        pause: Duration::from_millis(5),
        batch: 64,
        capacity: 64,
        interval_ms: 200,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let [flag, value] = pair else { bail!("{} needs a value", pair[0]) };
        let number = || value.parse::<u64>().with_context(|| format!("{flag} {value}"));
        match flag.as_str() {
            "--mode" => {
                o.mode = match value.as_str() {
                    "aligned" => CheckpointMode::AlignedExactlyOnce,
                    "unaligned" => CheckpointMode::Unaligned,
                    other => bail!("--mode {other}: expected aligned or unaligned"),
                }
            }
            "--records" => o.records = number()? as i64,
            "--pause-ms" => o.pause = Duration::from_millis(number()?),
            "--batch" => o.batch = number()? as usize,
            "--capacity" => o.capacity = number()? as usize,
            "--interval-ms" => o.interval_ms = number()?,
            other => bail!("unknown option {other}"),
        }
    }
    Ok(o)
}

fn main() -> anyhow::Result<()> {
    let o = options()?;
    let dir = tempfile::tempdir()?;
    let config = CheckpointConfig { mode: o.mode, ..CheckpointConfig::every(o.interval_ms) };
    let storage = Arc::new(LocalDirStorage::new(dir.path())?);
    let env = StreamExecutionEnvironment::new()
        .with_parallelism(2)
        .with_batch_size(o.batch)
        .with_channel_capacity(o.capacity)
        .enable_checkpointing(CheckpointSettings { config, storage, restore: None });
    env.from_sequence(1, o.records)
        .map(|x: i64| (x as u64 % 1024, x as u64))
        .key_by(|t: &(u64, u64)| t.0)
        .reduce(|a, b| (a.0, a.1 + b.1)) // reduced values are state: its input is stored as is
        .sink_to(SlowSink(o.pause), "Slow sink");
    let started = Instant::now();
    let result = env.execute("checkpoints under backpressure")?;
    let s = &result.checkpoint_stats;
    let mean = s.total_duration_ms.checked_div(s.completed).unwrap_or(0);
    println!(
        "mode {:?}: ran {:.1} s; {} checkpoints completed, duration mean {} ms, max {} ms; largest {} KiB",
        o.mode,
        started.elapsed().as_secs_f64(),
        s.completed,
        mean,
        s.max_duration_ms,
        s.max_size_bytes / 1024
    );
    Ok(())
}
