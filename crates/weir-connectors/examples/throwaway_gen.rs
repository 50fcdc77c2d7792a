use std::time::Instant;
use weir_connectors::nexmark::*;
fn main() {
    let n: u64 = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(20_000_000);
    let mut g = NexmarkGenerator::new(&NexmarkConfig::new(n));
    let mut out = Vec::with_capacity(1024);
    let t = Instant::now();
    let mut count = 0u64;
    loop {
        let k = g.fill(&mut out, std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(1024));
        if k == 0 {
            break;
        }
        count += k as u64;
        out.clear();
    }
    let s = t.elapsed().as_secs_f64();
    println!("generator: {count} events in {s:.3}s = {:.2} M events/s", count as f64 / s / 1e6);
}
