use std::time::Instant;
use weir_connectors::nexmark::*;
use weir_runtime::{ReadStatus, Source, SourceReader, SplitAssignment, SplitEnumerator, SubtaskInfo};

fn main() {
    let n: u64 = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(20_000_000);
    let config = NexmarkConfig::new(n);
    // generator via source, batches of 1024, dropped
    let source = NexmarkSource::new(config.clone()).unwrap();
    let mut e = source.create_enumerator(1).unwrap();
    let mut r = source.create_reader(&SubtaskInfo::single("x")).unwrap();
    let mut out = Vec::with_capacity(1024);
    let t = Instant::now();
    let mut count = 0u64;
    let mut bytes = 0usize;
    loop {
        match r.poll_next(&mut out, 1024).unwrap() {
            ReadStatus::NeedsSplit => match e.next_split(0) {
                SplitAssignment::Split(s) => r.add_split(s).unwrap(),
                _ => break,
            },
            _ => {}
        }
        count += out.len() as u64;
        if let Some(x) = out.last() {
            bytes += match &x.value {
                Event::Bid(b) => b.extra.len(),
                _ => 0,
            };
        }
        out.clear();
    }
    let s = t.elapsed().as_secs_f64();
    println!("generator: {count} events in {s:.3}s = {:.2} M events/s ({bytes})", count as f64 / s / 1e6);

    let dir = std::env::temp_dir().join("weir_speed_nexmark");
    let t = Instant::now();
    let meta = write_dir(&NexmarkConfig::new(n / 4), &dir).unwrap();
    let s = t.elapsed().as_secs_f64();
    println!(
        "write_dir: {} events in {s:.3}s = {:.2} M events/s, {:.0} MB",
        n / 4,
        (n / 4) as f64 / s / 1e6,
        meta.bytes.values().sum::<u64>() as f64 / 1e6
    );

    let source = NexmarkFileSource::new(&dir);
    let mut e = source.create_enumerator(1).unwrap();
    let mut r = source.create_reader(&SubtaskInfo::single("x")).unwrap();
    let t = Instant::now();
    let mut count = 0u64;
    loop {
        match r.poll_next(&mut out, 1024).unwrap() {
            ReadStatus::NeedsSplit => match e.next_split(0) {
                SplitAssignment::Split(s) => r.add_split(s).unwrap(),
                _ => break,
            },
            _ => {}
        }
        count += out.len() as u64;
        out.clear();
    }
    let s = t.elapsed().as_secs_f64();
    println!("file reader: {count} events in {s:.3}s = {:.2} M events/s", count as f64 / s / 1e6);
    std::fs::remove_dir_all(&dir).unwrap();
}
