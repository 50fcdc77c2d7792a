//! Throughput of Kafka → Weir → Kafka on loopback (tansu as the broker), run by hand with a
//! release binary:
//!
//! ```sh
//! cargo build --release -p weir-cli && cp target/release/weir /tmp/weir-release
//! WEIR_BIN=/tmp/weir-release KAFKA_BENCH_EVENTS=1000000 \
//!   cargo run --release -p weir-cli --example kafka_bench
//! ```
//!
//! It fills a 2-partition topic with JSON events, then runs two bounded jobs
//! (`'scan.bounded.mode' = 'latest-offset'`) under `/usr/bin/time`: a pass-through (q0) into
//! another topic and a one-second tumbling window aggregation, and checks their output.
//! Results go to `docs/benchmarks.md`.

use std::process::Command;
use std::time::Instant;

use weir_connectors::kafka::{
    KafkaMessage, KafkaProducerRecord, KafkaSink, KafkaSource, SinkPartitioner, StoppingOffsets,
};
use weir_core::{CheckpointId, StreamRecord};
use weir_runtime::{
    BoxError, ReadStatus, ReaderOutput, Sink, SinkWriter, Source, SourceReader, SplitAssignment, SplitEnumerator,
    SubtaskInfo,
};
use weir_testkit::kafka::KafkaBroker;

fn events() -> i64 {
    std::env::var("KAFKA_BENCH_EVENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000)
}

fn parallelism() -> usize {
    std::env::var("KAFKA_BENCH_PARALLELISM").ok().and_then(|v| v.parse().ok()).unwrap_or(2)
}

/// `{"id":…,"k":…,"price":…,"note":"…"}`, about 90 bytes.
fn event(id: i64) -> Vec<u8> {
    format!(
        r#"{{"id":{id},"k":{},"price":{},"note":"bid from bidder {} at auction {}"}}"#,
        id % 1000,
        id % 997,
        id % 5003,
        id % 101
    )
    .into_bytes()
}

/// Messages on `topic` now (every partition read to its end).
fn count(broker: &KafkaBroker, topic: &str) -> usize {
    let source = KafkaSource::builder()
        .bootstrap_servers(&broker.bootstrap_servers())
        .topics([topic])
        .bounded(StoppingOffsets::Latest)
        .build(|_: &KafkaMessage<'_>| -> Result<Option<()>, BoxError> { Ok(Some(())) })
        .unwrap();
    let mut enumerator = source.create_enumerator(1).unwrap();
    let mut reader = source.create_reader(&SubtaskInfo::single("count")).unwrap();
    let mut out = ReaderOutput::default();
    let mut n = 0;
    loop {
        let status = reader.poll_next(&mut out, 10_000).unwrap();
        n += out.len();
        out.clear();
        if status == ReadStatus::NeedsSplit {
            match enumerator.next_split(0) {
                SplitAssignment::Split(s) => reader.add_split(s).unwrap(),
                SplitAssignment::NotYet => {}
                SplitAssignment::NoMoreSplits => return n,
            }
        }
    }
}

/// Runs `sql` with the binary under test, timed; returns (wall s, user s, sys s).
fn timed_run(sql: &str, dir: &std::path::Path, name: &str) -> (f64, f64, f64) {
    let bin = std::env::var("WEIR_BIN").expect("WEIR_BIN: a release build of weir");
    let job = dir.join(format!("{name}.sql"));
    std::fs::write(&job, sql).unwrap();
    let times = dir.join(format!("{name}.time"));
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %U %S", "-o"])
        .arg(&times)
        .arg(&bin)
        .args(["run"])
        .arg(&job)
        .args(["-p", &parallelism().to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{name} failed: {}", String::from_utf8_lossy(&out.stderr));
    let t: Vec<f64> = std::fs::read_to_string(&times)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    (t[0], t[1], t[2])
}

fn main() {
    let n = events();
    let broker = KafkaBroker::start();
    broker.create_topic("bench-in", 2);
    broker.create_topic("bench-out", 2);
    broker.create_topic("bench-win", 1);
    let servers = broker.bootstrap_servers();

    let sink = KafkaSink::new(
        &servers,
        "bench-in",
        |r: StreamRecord<i64>, out: &mut Vec<KafkaProducerRecord>| -> Result<(), BoxError> {
            out.push(KafkaProducerRecord { value: Some(event(r.value)), ..Default::default() });
            Ok(())
        },
    )
    .with_partitioner(SinkPartitioner::RoundRobin);
    let mut w = sink.create_writer(&SubtaskInfo::single("fill")).unwrap();
    let started = Instant::now();
    let mut id = 0;
    while id < n {
        let mut batch: Vec<_> = (id..(id + 10_000).min(n)).map(StreamRecord::new).collect();
        id += batch.len() as i64;
        w.write(&mut batch).unwrap();
    }
    w.prepare_commit(CheckpointId(1)).unwrap();
    let fill = started.elapsed();
    assert_eq!(count(&broker, "bench-in"), n as usize);
    println!(
        "filled {n} events in {:.1} s ({:.0} events/s into tansu)",
        fill.as_secs_f64(),
        n as f64 / fill.as_secs_f64()
    );

    // Extra table options, e.g. `'properties.fetch.wait.max.ms' = '10'`.
    let options = std::env::var("KAFKA_BENCH_OPTIONS")
        .ok()
        .filter(|o| !o.trim().is_empty())
        .map(|o| format!(", {o}"))
        .unwrap_or_default();
    let source = |name: &str, topic: &str, extra: &str| {
        format!(
            "CREATE TABLE {name} (id BIGINT, k BIGINT, price BIGINT, note STRING{extra}) WITH ('connector' = 'kafka',
               'topic' = '{topic}', 'properties.bootstrap.servers' = '{servers}', 'scan.startup.mode' = 'earliest-offset',
               'scan.bounded.mode' = 'latest-offset', 'format' = 'json'{options});"
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let q0 =
        format!("{}\n{}\nINSERT INTO o SELECT * FROM i;", source("i", "bench-in", ""), source("o", "bench-out", ""));
    let (wall, user, sys) = timed_run(&q0, dir.path(), "q0");
    assert_eq!(count(&broker, "bench-out"), n as usize, "q0 passes every event through");
    println!(
        "| q0 pass-through | {} | {n} | {wall:.1} | {:.0} | {:.0} |",
        parallelism(),
        n as f64 / wall,
        n as f64 / (user + sys)
    );

    let win = format!(
        "{}
         CREATE TABLE w (ws TIMESTAMP(3), k BIGINT, c BIGINT, s BIGINT) WITH ('connector' = 'kafka', 'topic' = 'bench-win',
           'properties.bootstrap.servers' = '{servers}', 'format' = 'json');
         INSERT INTO w SELECT window_start, k % 10, COUNT(*), SUM(price)
           FROM TABLE(TUMBLE(TABLE i, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end, k % 10;",
        source("i", "bench-in", ", ts AS TO_TIMESTAMP_LTZ(id, 3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND")
    );
    let (wall, user, sys) = timed_run(&win, dir.path(), "window");
    let windows = (n + 999) / 1000;
    let out = count(&broker, "bench-win");
    assert!(
        out as i64 >= windows * 10 - 10 && out as i64 <= windows * 10,
        "{out} results for {windows} windows × 10 keys"
    );
    println!(
        "| tumbling 1 s window, 10 keys | {} | {n} | {wall:.1} | {:.0} | {:.0} |",
        parallelism(),
        n as f64 / wall,
        n as f64 / (user + sys)
    );
}
