//! Fault injection into a SQL job writing PostgreSQL: `weir run job.sql --checkpoint-dir …`
//! (a datagen sequence, two updating GROUP BYs into jdbc upsert tables) is killed with
//! `kill -9` at random moments after a checkpoint completed, several times, and started
//! again with `--restore latest` at another parallelism. The tables must end exactly as
//! a failure-free run leaves them, which is also the answer computed here.
//!
//! Why this holds: the jdbc sink writes its buffer at every checkpoint barrier, and its
//! writes are upserts and deletes by key; a restored job replays the changes after its
//! checkpoint, and replaying them ends each key where the failure-free run ends it.
//! The second table (`HAVING SUM(id) % 2 = 0`) has rows deleted and inserted again all
//! the time, so the replayed deletes are exercised too. The third groups by blocks of
//! ids, so most of its keys stop changing long before the end, in a run that is killed,
//! and is written only at barriers: a change lost between a barrier and the database
//! would stay lost (the first two tables are rewritten until the end).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::support;
use support::{newest_checkpoint, run_args, spawn, wait, Lcg};

use weir_testkit::postgres::{PostgresServer, TestDatabase};

const ROWS: i64 = 40_000;
const KEYS: i64 = 7;
const ODD_KEYS: i64 = 13;
const BLOCK: i64 = 1000;

fn script(db: &TestDatabase) -> String {
    format!(
        "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '15000',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '{ROWS}');
         CREATE TABLE agg (k BIGINT, c BIGINT, s BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'jdbc',
           'url' = '{url}', 'table-name' = 'agg', 'sink.buffer-flush.max-rows' = '50');
         CREATE TABLE even (k BIGINT, s BIGINT, PRIMARY KEY (k) NOT ENFORCED) WITH ('connector' = 'jdbc',
           'url' = '{url}', 'table-name' = 'even');
         CREATE TABLE blocks (b BIGINT, c BIGINT, s BIGINT, PRIMARY KEY (b) NOT ENFORCED) WITH ('connector' = 'jdbc',
           'url' = '{url}', 'table-name' = 'blocks', 'sink.buffer-flush.max-rows' = '100000',
           'sink.buffer-flush.interval' = '1 h');
         EXECUTE STATEMENT SET BEGIN
         INSERT INTO blocks SELECT id / {BLOCK}, COUNT(*), SUM(id) FROM gen GROUP BY id / {BLOCK};
         INSERT INTO agg SELECT id % {KEYS}, COUNT(*), SUM(id) FROM gen GROUP BY id % {KEYS};
         INSERT INTO even SELECT id % {ODD_KEYS}, SUM(id) FROM gen GROUP BY id % {ODD_KEYS} HAVING SUM(id) % 2 = 0;
         END;",
        url = db.jdbc_url()
    )
}

fn database() -> TestDatabase {
    let db = PostgresServer::shared().create_database();
    db.connect()
        .batch_execute(
            "CREATE TABLE agg (k bigint PRIMARY KEY, c bigint NOT NULL, s bigint NOT NULL); \
             CREATE TABLE even (k bigint PRIMARY KEY, s bigint NOT NULL); \
             CREATE TABLE blocks (b bigint PRIMARY KEY, c bigint NOT NULL, s bigint NOT NULL)",
        )
        .unwrap();
    db
}

type Tables = (BTreeMap<i64, (i64, i64)>, BTreeMap<i64, i64>, BTreeMap<i64, (i64, i64)>);

fn tables(db: &TestDatabase) -> Tables {
    let mut client = db.connect();
    let agg = client
        .query("SELECT k, c, s FROM agg", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    let even = client.query("SELECT k, s FROM even", &[]).unwrap().iter().map(|r| (r.get(0), r.get(1))).collect();
    let blocks = client
        .query("SELECT b, c, s FROM blocks", &[])
        .unwrap()
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect();
    (agg, even, blocks)
}

fn expected() -> Tables {
    let mut agg: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    let mut sums: BTreeMap<i64, i64> = BTreeMap::new();
    let mut blocks: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for id in 1..=ROWS {
        let b = blocks.entry(id / BLOCK).or_default();
        b.0 += 1;
        b.1 += id;
        let e = agg.entry(id % KEYS).or_default();
        e.0 += 1;
        e.1 += id;
        *sums.entry(id % ODD_KEYS).or_default() += id;
    }
    sums.retain(|_, s| *s % 2 == 0);
    (agg, sums, blocks)
}

#[test]
fn killed_job_restored_leaves_the_postgres_tables_exactly_right() {
    let dir = tempfile::tempdir().unwrap();

    let clean = database();
    let clean_job = dir.path().join("clean.sql");
    std::fs::write(&clean_job, script(&clean)).unwrap();
    let log = dir.path().join("clean.log");
    let mut child = spawn(&run_args(&clean_job, &dir.path().join("clean-ck"), 2, "100ms", false), &log);
    wait(&mut child, &log, "the failure-free run");
    let clean_tables = tables(&clean);
    assert_eq!(clean_tables, expected(), "the failure-free run");

    let db = database();
    let job = dir.path().join("job.sql");
    std::fs::write(&job, script(&db)).unwrap();
    let checkpoints = dir.path().join("ck");
    let mut random = Lcg::from_clock();
    let parallelisms = [1, 3, 2, 2, 1];
    let mut kills = 0;
    for (run, &p) in parallelisms.iter().enumerate() {
        let log = dir.path().join(format!("run-{run}.log"));
        let mut child = spawn(&run_args(&job, &checkpoints, p, "100ms", run > 0), &log);
        if run + 1 == parallelisms.len() {
            wait(&mut child, &log, "the last run");
            break;
        }
        let since = Instant::now();
        let start_id = newest_checkpoint(&checkpoints);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let err = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("run {run} ended ({status}) before it could be killed: {err}");
            }
            if newest_checkpoint(&checkpoints) > start_id {
                break;
            }
            assert!(since.elapsed() < Duration::from_secs(60), "run {run} completed no checkpoint in 60 s");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(random.next(250)));
        child.kill().unwrap(); // SIGKILL: nothing is cleaned up
        child.wait().unwrap();
        kills += 1;
    }
    assert_eq!(kills, parallelisms.len() - 1);
    let got = tables(&db);
    assert_eq!(got, expected(), "after {kills} kills");
    assert_eq!(got, clean_tables);
}
