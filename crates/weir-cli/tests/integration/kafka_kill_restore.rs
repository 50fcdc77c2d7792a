//! Kafka → Weir (a tumbling-window aggregation in SQL) → Kafka, with the Weir process
//! killed (`kill -9`) at random points several times and restarted with `--restore latest`,
//! against a real Kafka-protocol broker (tansu on loopback).
//!
//! A producer writes events into a 2-partition topic over several seconds while the job runs,
//! then one far-future event that pushes the watermark past every window. The job runs at
//! parallelism 2, so each reader holds one partition (and the watermark after the source
//! sees each partition's event time in order).
//!
//! Checked: a consumer of the output sees every window's result, with its exact count and
//! sum, and nothing else.
//! * At-least-once (what tansu supports): results re-emitted after a restore are counted and
//!   printed; every duplicate must be identical to the original.
//! * Exactly-once (transactions, `read_committed`): every result exactly once — run only
//!   where the broker can commit transactions; otherwise the test says loudly that it did not
//!   verify it.
//! * Kafka → PostgreSQL: the same windows and an updating per-key aggregation, upserted by
//!   primary key into a real PostgreSQL; the tables must end exactly right.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::support;
use support::{newest_checkpoint, run_args, spawn, Lcg};

use weir_connectors::kafka::{
    probe_transactions, KafkaMessage, KafkaProducerRecord, KafkaProperties, KafkaSink, KafkaSource, SinkPartitioner,
    StoppingOffsets, TransactionSupport,
};
use weir_core::{CheckpointId, StreamRecord};
use weir_runtime::{
    BoxError, ReadStatus, ReaderOutput, Sink, SinkWriter, Source, SourceReader, SplitAssignment, SplitEnumerator,
    SubtaskInfo,
};
use weir_testkit::kafka::KafkaBroker;

const EVENTS: i64 = 20_000;
/// Event time of event `id`: 10 ms apart, so 100 events per one-second window.
const MS_PER_EVENT: i64 = 10;
const KILLS: usize = 4;

fn script(servers: &str, guarantee: &str, out_topic: &str) -> String {
    format!(
        "CREATE TABLE events (
           id BIGINT,
           ts AS TO_TIMESTAMP_LTZ(id * {MS_PER_EVENT}, 3),
           WATERMARK FOR ts AS ts
         ) WITH ('connector' = 'kafka', 'topic' = 'events', 'properties.bootstrap.servers' = '{servers}',
                 'properties.group.id' = 'weir-job', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json');
         CREATE TABLE results (ws BIGINT, c BIGINT, s BIGINT) WITH ('connector' = 'kafka',
           'topic' = '{out_topic}', 'properties.bootstrap.servers' = '{servers}', 'format' = 'json',
           'sink.delivery-guarantee' = '{guarantee}', 'sink.transactional-id-prefix' = 'weir-job-{out_topic}');
         INSERT INTO results SELECT CAST(MIN(id) / 100 AS BIGINT), COUNT(*), SUM(id)
           FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;"
    )
}

/// Window number (its first id / 100, as the job writes it) → (count, sum), for the events written.
fn expected() -> BTreeMap<i64, (i64, i64)> {
    let mut t = BTreeMap::new();
    for id in 0..EVENTS {
        let e = t.entry(id * MS_PER_EVENT / 1000).or_insert((0, 0));
        e.0 += 1;
        e.1 += id;
    }
    t
}

/// Writes the events round robin over the partitions, in chunks, over a few seconds; then
/// one event far in the future.
fn produce_events(servers: String) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut properties = KafkaProperties::new(&servers);
        for (k, v) in weir_testkit::kafka::PRODUCER_SETTINGS {
            properties.set(k, v);
        }
        let sink = KafkaSink::new(
            &servers,
            "events",
            |r: StreamRecord<i64>, out: &mut Vec<KafkaProducerRecord>| -> Result<(), BoxError> {
                out.push(KafkaProducerRecord {
                    value: Some(format!("{{\"id\":{}}}", r.value).into_bytes()),
                    ..Default::default()
                });
                Ok(())
            },
        )
        .with_properties(properties)
        .with_partitioner(SinkPartitioner::RoundRobin);
        let mut w = sink.create_writer(&SubtaskInfo::single("producer")).unwrap();
        let mut id = 0;
        let mut n = 0u64;
        while id < EVENTS {
            let chunk: Vec<_> = (id..(id + 200).min(EVENTS)).map(StreamRecord::new).collect();
            id += chunk.len() as i64;
            w.write(&mut chunk.into_iter().collect()).unwrap();
            n += 1;
            w.prepare_commit(CheckpointId(n)).unwrap();
            std::thread::sleep(Duration::from_millis(120));
        }
        // Far ahead (in both partitions): the watermark passes every window above.
        w.write(&mut vec![StreamRecord::new(EVENTS * 1000), StreamRecord::new(EVENTS * 1000 + 1)]).unwrap();
        w.flush(true).unwrap();
    })
}

/// Every output record (window, count, sum) now.
fn results(broker: &KafkaBroker, topic: &str, read_committed: bool) -> Vec<(i64, i64, i64)> {
    let mut builder = KafkaSource::builder()
        .bootstrap_servers(&broker.bootstrap_servers())
        .topics([topic])
        .bounded(StoppingOffsets::Latest);
    if read_committed {
        builder = builder.property("isolation.level", "read_committed");
    }
    let source = builder
        .build(|m: &KafkaMessage<'_>| -> Result<_, BoxError> {
            let v: serde_json::Value = serde_json::from_slice(m.value.unwrap_or_default())?;
            Ok(Some((v["ws"].as_i64().unwrap(), v["c"].as_i64().unwrap(), v["s"].as_i64().unwrap())))
        })
        .unwrap();
    let mut enumerator = source.create_enumerator(1).unwrap();
    let mut reader = source.create_reader(&SubtaskInfo::single("check")).unwrap();
    let mut out = ReaderOutput::default();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        assert!(Instant::now() < deadline, "reading the results did not end");
        if reader.poll_next(&mut out, 1000).unwrap() == ReadStatus::NeedsSplit {
            match enumerator.next_split(0) {
                SplitAssignment::Split(s) => reader.add_split(s).unwrap(),
                SplitAssignment::NotYet => {}
                SplitAssignment::NoMoreSplits => break,
            }
        }
    }
    out.into_records().into_iter().map(|r| r.value).collect()
}

/// Runs the job with `KILLS` kills, then lets the last run finish every window; returns what
/// a consumer of the output saw and how many kills happened.
fn run_with_kills(broker: &KafkaBroker, dir: &Path, guarantee: &str, out_topic: &str) -> (Vec<(i64, i64, i64)>, usize) {
    let read_committed = guarantee == "exactly-once";
    let want = expected();
    let all_out = || {
        let seen: std::collections::BTreeSet<i64> =
            results(broker, out_topic, read_committed).iter().map(|r| r.0).collect();
        let missing = want.keys().filter(|w| !seen.contains(w)).count();
        (missing == 0, format!("{} windows of {} out", want.len() - missing, want.len()))
    };
    let job_sql = script(&broker.bootstrap_servers(), guarantee, out_topic);
    let kills = run_job_with_kills(broker, dir, out_topic, &job_sql, &all_out);
    (results(broker, out_topic, read_committed), kills)
}

/// Runs `job_sql` while the events are produced, killing it [`KILLS`] times at random moments
/// after checkpoints and restoring it with `--restore latest`; the last run goes on until
/// `finished` says its output is complete (the job is unbounded). The number of kills.
fn run_job_with_kills(
    broker: &KafkaBroker,
    dir: &Path,
    name: &str,
    job_sql: &str,
    finished: &dyn Fn() -> (bool, String),
) -> usize {
    let job = dir.join(format!("{name}.sql"));
    std::fs::write(&job, job_sql).unwrap();
    let checkpoints = dir.join(format!("{name}-ck"));
    let mut random = Lcg::from_clock();
    let producer = produce_events(broker.bootstrap_servers());
    let mut kills = 0;
    for run in 0..=KILLS {
        let log = dir.join(format!("{name}-run-{run}.log"));
        let mut child = spawn(&run_args(&job, &checkpoints, 2, "200ms", run > 0), &log);
        let fail = |child: &mut Child, what: &str| -> ! {
            let _ = child.kill();
            panic!("{what}: {}", std::fs::read_to_string(&log).unwrap_or_default())
        };
        if run == KILLS {
            // The last run: until the output is complete (the job is unbounded).
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                if let Some(status) = child.try_wait().unwrap() {
                    fail(&mut child, &format!("the last run ended ({status})"));
                }
                let (done, progress) = finished();
                if done {
                    break;
                }
                if Instant::now() > deadline {
                    fail(&mut child, &format!("after {kills} kills, output incomplete after 120 s: {progress}"));
                }
                std::thread::sleep(Duration::from_millis(300));
            }
            child.kill().unwrap();
            child.wait().unwrap();
            break;
        }
        // Killed at a random moment after this run completed 2 to 5 checkpoints of its own.
        let start = newest_checkpoint(&checkpoints) + 1 + random.next(4);
        let since = Instant::now();
        while newest_checkpoint(&checkpoints) <= start {
            if let Some(status) = child.try_wait().unwrap() {
                fail(&mut child, &format!("run {run} ended ({status}) before it could be killed"));
            }
            if since.elapsed() > Duration::from_secs(60) {
                fail(&mut child, &format!("run {run} completed no checkpoint in 60 s"));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(random.next(700)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        eprintln!("killed run {run} after checkpoint {}: {}", newest_checkpoint(&checkpoints), finished().1);
    }
    producer.join().unwrap();
    kills
}

#[test]
fn kafka_to_kafka_windows_survive_kill_9_at_least_once_every_result_present_duplicates_counted() {
    let broker = KafkaBroker::start();
    broker.create_topic("events", 2);
    broker.create_topic("results", 1);
    let dir = tempfile::tempdir().unwrap();
    let (seen, kills) = run_with_kills(&broker, dir.path(), "at-least-once", "results");
    assert_eq!(kills, KILLS);
    let want = expected();
    let mut first: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    let mut duplicates = 0;
    for (w, c, s) in &seen {
        match first.insert(*w, (*c, *s)) {
            None => {}
            Some(earlier) => {
                assert_eq!(earlier, (*c, *s), "window {w} was emitted twice with different results");
                duplicates += 1;
            }
        }
    }
    // Completed checkpoints committed the job's positions to its consumer group: a reader
    // starting from the group's offsets skips what the job had read.
    let from_group = KafkaSource::builder()
        .bootstrap_servers(&broker.bootstrap_servers())
        .topics(["events"])
        .group_id("weir-job")
        .starting_offsets(weir_connectors::kafka::StartingOffsets::GroupOffsets {
            reset: weir_connectors::kafka::OffsetReset::Earliest,
        })
        .bounded(StoppingOffsets::Latest)
        .build(|_: &KafkaMessage<'_>| -> Result<Option<()>, BoxError> { Ok(Some(())) })
        .unwrap();
    let mut enumerator = from_group.create_enumerator(1).unwrap();
    let mut reader = from_group.create_reader(&SubtaskInfo::single("group")).unwrap();
    let mut out = ReaderOutput::default();
    loop {
        if reader.poll_next(&mut out, 10_000).unwrap() == ReadStatus::NeedsSplit {
            match enumerator.next_split(0) {
                SplitAssignment::Split(s) => reader.add_split(s).unwrap(),
                SplitAssignment::NotYet => {}
                SplitAssignment::NoMoreSplits => break,
            }
        }
    }
    let total = EVENTS as usize + 2;
    assert!(out.len() < total / 2, "the group's committed offsets are behind: {} of {total} left to read", out.len());
    // The far-future events' window never closes, so only the expected windows appear.
    assert_eq!(first, want, "after {kills} kills: every window once as a set, each exactly right");
    eprintln!(
        "\n==== at-least-once Kafka sink after {kills} kill -9 restarts: {} distinct results, all correct; \
         {duplicates} duplicate(s) re-emitted after restores (allowed by at-least-once) ====\n",
        first.len()
    );
}

#[test]
fn kafka_to_kafka_windows_exactly_once_where_the_broker_commits_transactions() {
    let broker = KafkaBroker::start();
    broker.create_topic("events", 2);
    broker.create_topic("results-eo", 1);
    broker.create_topic("probe", 1);
    let properties = KafkaProperties::new(&broker.bootstrap_servers());
    match probe_transactions(&properties, "probe").expect("the probe gets an answer from the broker") {
        TransactionSupport::Unsupported(why) => {
            weir_testkit::report_unverified(
                "KAFKA -> WEIR -> KAFKA EXACTLY-ONCE",
                &format!(
                    "the broker cannot commit transactions ({why}). The at-least-once variant ran instead \
                     (see the other test of this file)."
                ),
            );
        }
        TransactionSupport::Commits => {
            let dir = tempfile::tempdir().unwrap();
            let (seen, kills) = run_with_kills(&broker, dir.path(), "exactly-once", "results-eo");
            let mut got: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
            for (w, c, s) in &seen {
                assert!(got.insert(*w, (*c, *s)).is_none(), "window {w} seen twice by a read_committed consumer");
            }
            assert_eq!(got, expected(), "after {kills} kills, exactly once");
        }
    }
}

/// The windows and an updating aggregation of the events, upserted into PostgreSQL.
fn postgres_script(servers: &str, url: &str) -> String {
    format!(
        "CREATE TABLE events (
           id BIGINT,
           ts AS TO_TIMESTAMP_LTZ(id * {MS_PER_EVENT}, 3),
           WATERMARK FOR ts AS ts
         ) WITH ('connector' = 'kafka', 'topic' = 'events', 'properties.bootstrap.servers' = '{servers}',
                 'properties.group.id' = 'weir-pg', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json');
         CREATE TABLE windows (w BIGINT, c BIGINT, s BIGINT, PRIMARY KEY (w) NOT ENFORCED)
           WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 'windows');
         CREATE TABLE totals (k BIGINT, c BIGINT, s BIGINT, PRIMARY KEY (k) NOT ENFORCED)
           WITH ('connector' = 'jdbc', 'url' = '{url}', 'table-name' = 'totals');
         EXECUTE STATEMENT SET BEGIN
         INSERT INTO windows SELECT CAST(MIN(id) / 100 AS BIGINT), COUNT(*), SUM(id)
           FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' SECOND)) GROUP BY window_start, window_end;
         INSERT INTO totals SELECT id % 7, COUNT(*), SUM(id) FROM events GROUP BY id % 7;
         END;"
    )
}

#[test]
fn kafka_to_postgres_upserts_survive_kill_9_and_the_tables_end_exactly_right() {
    use weir_testkit::postgres::PostgresServer;

    let broker = KafkaBroker::start();
    broker.create_topic("events", 2);
    let db = PostgresServer::shared().create_database();
    db.connect()
        .batch_execute(
            "CREATE TABLE windows (w bigint PRIMARY KEY, c bigint NOT NULL, s bigint NOT NULL); \
             CREATE TABLE totals (k bigint PRIMARY KEY, c bigint NOT NULL, s bigint NOT NULL)",
        )
        .unwrap();
    let table = |name: &str| -> BTreeMap<i64, (i64, i64)> {
        let rows = db.connect().query(&format!("SELECT * FROM {name}"), &[]).unwrap();
        rows.iter().map(|r| (r.get(0), (r.get(1), r.get(2)))).collect()
    };
    let want_windows = expected();
    // Every event, the two far-future ones too (an unbounded aggregation counts them).
    let mut want_totals: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for id in (0..EVENTS).chain([EVENTS * 1000, EVENTS * 1000 + 1]) {
        let e = want_totals.entry(id % 7).or_default();
        e.0 += 1;
        e.1 += id;
    }
    let finished = || {
        let (windows, totals) = (table("windows"), table("totals"));
        let done = windows == want_windows && totals == want_totals;
        (done, format!("{} of {} windows, totals {}", windows.len(), want_windows.len(), totals == want_totals))
    };
    let dir = tempfile::tempdir().unwrap();
    let sql = postgres_script(&broker.bootstrap_servers(), &db.jdbc_url());
    let kills = run_job_with_kills(&broker, dir.path(), "postgres", &sql, &finished);
    assert_eq!(kills, KILLS);
    // The last run was stopped once the tables were right; they are exactly the answer.
    assert_eq!(table("windows"), want_windows, "windows after {kills} kills");
    assert_eq!(table("totals"), want_totals, "totals after {kills} kills");
}
