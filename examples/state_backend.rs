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

use std::time::Instant;

use weir::connectors::BlackholeSink;
use weir::prelude::*;
use weir::StateBackendConfig;

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
    let config = StateBackendConfig::from_options([
        ("state.backend.type", arg(&args, "--backend", "hashmap").as_str()),
        ("state.backend.fjall.memory", arg(&args, "--memory", "64mb").as_str()),
    ])
    .map_err(anyhow::Error::msg)?;
    let env = StreamExecutionEnvironment::new().with_state_backend(config.clone());
    env.from_sequence(0, records as i64 - 1)
        .map(move |x: i64| x as u64)
        .key_by(move |x: &u64| x % keys)
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
    Ok(())
}
