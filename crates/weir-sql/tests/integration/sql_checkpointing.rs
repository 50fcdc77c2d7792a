//! Checkpointing SQL jobs from a script: the `SET` options that turn it on, the errors for
//! bad values and for jobs whose operators cannot be checkpointed, and the options
//! (state TTL, mini-batch) that are accepted.

use std::path::Path;

use weir_sql::session::{JobSettings, ResultSink, Session};

pub(crate) struct Quiet;

impl ResultSink for Quiet {
    fn row(&mut self, _: &str) {}
    fn message(&mut self, _: &str) {}
}

fn run(sql: &str) -> Result<Session, String> {
    let mut session = Session::new(JobSettings { parallelism: 2, ..Default::default() });
    session.execute_script(sql, &mut Quiet).map_err(|e| e.render(sql))?;
    Ok(session)
}

pub(crate) fn tables(out: &Path, rows: u64, rate: u64) -> String {
    format!(
        "CREATE TABLE gen (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '{rate}',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '{rows}');
         CREATE TABLE sums (k BIGINT, c BIGINT, s BIGINT) WITH ('connector' = 'filesystem',
           'path' = '{}', 'format' = 'json', 'sink.changelog-mode' = 'all');",
        out.display()
    )
}

/// The last value of each key in a changelog of JSON lines, read from the part files
/// (`part-<run>-<subtask>-<n>`) of each writer in order.
pub(crate) fn final_rows(dir: &Path) -> Vec<(i64, i64, i64)> {
    let mut table = std::collections::BTreeMap::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    let order = |p: &std::path::PathBuf| {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let parts: Vec<&str> = name.split('-').collect();
        let n = |i: usize| parts.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
        (parts.get(1).map(|s| s.to_string()).unwrap_or_default(), n(2), n(3))
    };
    paths.sort_by_key(order);
    for path in paths {
        if path.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let k = v["k"].as_i64().unwrap();
            match v["op"].as_str().unwrap() {
                "+I" | "+U" => {
                    // NULL (a sample statistic of one value, on the way) reads as -1.
                    let value = |field: &str| if v[field].is_null() { -1 } else { v[field].as_i64().unwrap() };
                    table.insert(k, (value("c"), value("s")));
                }
                _ => {
                    table.remove(&k);
                }
            }
        }
    }
    table.into_iter().map(|(k, (c, s))| (k, c, s)).collect()
}

pub(crate) fn expected(rows: i64, keys: i64) -> Vec<(i64, i64, i64)> {
    (0..keys)
        .map(|k| {
            let ids: Vec<i64> = (1..=rows).filter(|i| i % keys == k).collect();
            (k, ids.len() as i64, ids.iter().sum())
        })
        .collect()
}

#[test]
fn set_options_checkpoint_a_job_and_its_files_are_committed() {
    let dir = tempfile::tempdir().unwrap();
    let (out, ck) = (dir.path().join("out"), dir.path().join("ck"));
    std::fs::create_dir_all(&out).unwrap();
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '50 ms';
         SET 'state.checkpoints.dir' = 'file://{}';
         SET 'execution.checkpointing.mode' = 'EXACTLY_ONCE';
         SET 'table.exec.mini-batch.enabled' = 'true';
         SET 'table.exec.mini-batch.allow-latency' = '2 s';
         SET 'table.exec.mini-batch.size' = '5000';
         {}
         INSERT INTO sums SELECT id % 5, COUNT(*), SUM(id) FROM gen GROUP BY id % 5;",
        ck.display(),
        tables(&out, 3000, 6000)
    );
    let session = run(&sql).unwrap();
    let job = session.last_job().expect("a job ran");
    assert!(job.completed_checkpoints.len() >= 2, "checkpoints: {:?}", job.completed_checkpoints);
    assert!(std::fs::read_dir(&ck).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with("chk-")));
    assert_eq!(final_rows(&out), expected(3000, 5));
}

#[test]
fn a_job_whose_accumulators_cannot_snapshot_is_refused_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let on = format!(
        "SET 'execution.checkpointing.interval' = '1 s'; SET 'execution.checkpointing.dir' = '{}';",
        dir.path().join("ck").display()
    );
    let out = dir.path().join("out");
    let over = format!(
        "{on} CREATE TABLE ev (id BIGINT, ts AS TO_TIMESTAMP_LTZ(id * 10, 3), WATERMARK FOR ts AS ts)
           WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '9');
         CREATE TABLE o (a BIGINT, b BIGINT) WITH ('connector' = 'blackhole');
         INSERT INTO o SELECT id, SUM(id) OVER (PARTITION BY id % 3 ORDER BY ts
           ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM ev;"
    );
    // Every operator kind snapshots now, OVER aggregation too.
    run(&over).unwrap();

    // LISTAGG(DISTINCT) keeps how often each value was seen: it snapshots.
    let listagg = format!(
        "{on} {} INSERT INTO sums SELECT c, CHAR_LENGTH(LISTAGG(DISTINCT CAST(k AS STRING))), 0 FROM
           (SELECT id % 3 AS k, COUNT(*) AS c FROM gen GROUP BY id % 3) GROUP BY c;",
        tables(&out, 10, 1000)
    );
    run(&listagg).unwrap();

    // An accumulator whose state Weir does not vouch for: DataFusion's BIT_XOR retracting.
    let xor = format!(
        "{on} {} INSERT INTO sums SELECT c, BIT_XOR(k), 0 FROM
           (SELECT id % 3 AS k, COUNT(*) AS c FROM gen GROUP BY id % 3) GROUP BY c;",
        tables(&out, 10, 1000)
    );
    let err = run(&xor).err().unwrap();
    assert!(err.contains("BIT_XOR over an updating input cannot be checkpointed"), "{err}");
}

#[test]
fn variance_and_standard_deviation_of_an_updating_input_are_checkpointed() {
    let dir = tempfile::tempdir().unwrap();
    let (out, ck) = (dir.path().join("out"), dir.path().join("ck"));
    // Per key k = id % 7 its count c changes as rows arrive (retracting the old c); per c,
    // the variance and the sample standard deviation of the keys having that count.
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '30 ms'; SET 'execution.checkpointing.dir' = '{}';
         {} INSERT INTO sums SELECT c, CAST(ROUND(VAR_POP(CAST(k AS DOUBLE)) * 1000) AS BIGINT),
              CAST(ROUND(STDDEV_SAMP(CAST(k AS DOUBLE)) * 1000) AS BIGINT) FROM
           (SELECT id % 7 AS k, COUNT(*) AS c FROM gen GROUP BY id % 7) GROUP BY c;",
        ck.display(),
        tables(&out, 3000, 6000)
    );
    let session = run(&sql).unwrap();
    let job = session.last_job().expect("a job ran");
    assert!(job.completed_checkpoints.len() >= 2, "checkpoints: {:?}", job.completed_checkpoints);
    // 3000 = 7 * 428 + 4: keys 1..=4 have 429 rows, keys 0, 5, 6 have 428.
    // {0, 5, 6}: mean 11/3, VAR_POP 62/9 = 6.888…, STDDEV_SAMP sqrt(31/3) = 3.2145…;
    // {1, 2, 3, 4}: mean 2.5, VAR_POP 1.25, STDDEV_SAMP sqrt(5/3) = 1.2909…. (Rounded, since
    // the running mean of a changelog carries rounding error: 1.25 may come out 1.2499….)
    assert_eq!(final_rows(&out), vec![(428, 6889, 3215), (429, 1250, 1291)]);
}

#[test]
fn distinct_aggregates_of_an_updating_input_are_checkpointed() {
    let dir = tempfile::tempdir().unwrap();
    let (out, ck) = (dir.path().join("out"), dir.path().join("ck"));
    // Per key k = id % 7 its count c changes as rows arrive (retracting the old c); per c,
    // the distinct keys having that count, and the sum of those distinct keys.
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '30 ms'; SET 'execution.checkpointing.dir' = '{}';
         {} INSERT INTO sums SELECT c, COUNT(DISTINCT k), SUM(DISTINCT k) FROM
           (SELECT id % 7 AS k, COUNT(*) AS c FROM gen GROUP BY id % 7) GROUP BY c;",
        ck.display(),
        tables(&out, 3000, 6000)
    );
    let session = run(&sql).unwrap();
    let job = session.last_job().expect("a job ran");
    assert!(job.completed_checkpoints.len() >= 2, "checkpoints: {:?}", job.completed_checkpoints);
    // 3000 = 7 * 428 + 4: keys 1..=4 have 429 rows, keys 0, 5, 6 have 428.
    assert_eq!(final_rows(&out), vec![(428, 3, 11), (429, 4, 10)]);
}

#[test]
fn collect_of_an_updating_input_is_checkpointed() {
    let dir = tempfile::tempdir().unwrap();
    let (out, ck) = (dir.path().join("out"), dir.path().join("ck"));
    // As above: keys move from the group of count 428 to that of 429 as rows arrive, each
    // move retracting the key from one multiset and adding it to the other.
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '30 ms'; SET 'execution.checkpointing.dir' = '{}';
         {} INSERT INTO sums SELECT c, CARDINALITY(COLLECT(k)), SUM(k) FROM
           (SELECT id % 7 AS k, COUNT(*) AS c FROM gen GROUP BY id % 7) GROUP BY c;",
        ck.display(),
        tables(&out, 3000, 6000)
    );
    let session = run(&sql).unwrap();
    let job = session.last_job().expect("a job ran");
    assert!(job.completed_checkpoints.len() >= 2, "checkpoints: {:?}", job.completed_checkpoints);
    assert_eq!(final_rows(&out), vec![(428, 3, 11), (429, 4, 10)]);
}

#[test]
fn an_over_aggregation_of_an_updating_input_is_checkpointed() {
    let dir = tempfile::tempdir().unwrap();
    let (out, ck) = (dir.path().join("out"), dir.path().join("ck"));
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '50 ms'; SET 'execution.checkpointing.dir' = '{}';
         {} INSERT INTO sums SELECT k, c, SUM(c) OVER (PARTITION BY k ORDER BY c
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
         FROM (SELECT id % 3 AS k, COUNT(*) AS c FROM gen GROUP BY id % 3);",
        ck.display(),
        tables(&out, 3000, 6000)
    );
    let session = run(&sql).unwrap();
    let job = session.last_job().expect("a job ran");
    assert!(job.completed_checkpoints.len() >= 2, "checkpoints: {:?}", job.completed_checkpoints);
    // One row per partition: its sum is its count.
    let want: Vec<(i64, i64, i64)> = expected(3000, 3).into_iter().map(|(k, c, _)| (k, c, c)).collect();
    assert_eq!(final_rows(&out), want);
}

#[test]
fn processing_time_windows_and_deduplication_are_checkpointed() {
    let dir = tempfile::tempdir().unwrap();
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '20 ms'; SET 'execution.checkpointing.dir' = '{}';
         CREATE TABLE pg (id BIGINT, p AS PROCTIME()) WITH ('connector' = 'datagen', 'rows-per-second' = '4000',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '400');
         CREATE TABLE o (a BIGINT, b BIGINT) WITH ('connector' = 'blackhole');
         CREATE VIEW kp AS SELECT id % 3 AS k, p FROM pg;
         INSERT INTO o SELECT k, COUNT(*) FROM TABLE(TUMBLE(TABLE kp, DESCRIPTOR(p), INTERVAL '1' HOUR))
           GROUP BY k, window_start, window_end;
         INSERT INTO o SELECT id, rn FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY id % 3 ORDER BY p) AS rn
           FROM pg) WHERE rn = 1;",
        dir.path().join("ck").display()
    );
    let session = run(&sql).unwrap();
    assert!(session.last_job().is_some(), "a job ran");
}

#[test]
fn bad_checkpoint_and_state_options_are_refused() {
    for (key, value) in [
        ("execution.checkpointing.interval", "often"),
        ("execution.checkpointing.mode", "MOSTLY_ONCE"),
        ("table.exec.state.ttl", "1 parsec"),
        ("table.exec.mini-batch.enabled", "maybe"),
        ("table.exec.mini-batch.size", "0"),
    ] {
        let err = run(&format!("SET '{key}' = '{value}';")).err().unwrap();
        assert!(err.contains(key), "{key}: {err}");
    }
    let dir = tempfile::tempdir().unwrap();
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '1 s'; {} INSERT INTO sums SELECT id, 1, 1 FROM gen;",
        tables(&dir.path().join("out"), 10, 1000)
    );
    let err = run(&sql).err().unwrap();
    assert!(err.contains("no checkpoint directory"), "{err}");
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '1 s'; SET 'execution.checkpointing.dir' = '{}';
         SET 'execution.savepoint.path' = '{}'; {} INSERT INTO sums SELECT id, 1, 1 FROM gen;",
        dir.path().join("ck").display(),
        dir.path().join("nowhere").display(),
        tables(&dir.path().join("out"), 10, 1000)
    );
    let err = run(&sql).err().unwrap();
    assert!(err.contains("execution.savepoint.path"), "{err}");
}

#[test]
fn state_ttl_is_accepted_and_a_long_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let sql = format!(
        "SET 'table.exec.state.ttl' = '1 h'; {} INSERT INTO sums SELECT id % 4, COUNT(*), SUM(id) FROM gen GROUP BY id % 4;",
        tables(&out, 500, 100_000)
    );
    run(&sql).unwrap();
    assert_eq!(final_rows(&out), expected(500, 4));
}

/// In-flight batches stored by checkpoint `id` under `dir`, in all.
pub(crate) fn in_flight_batches(dir: &Path, id: weir_core::CheckpointId) -> usize {
    in_flight_by_edge(dir, id).values().sum()
}

/// The batches checkpoint `id` under `ck` holds in flight, by edge (`producer -> consumer`
/// operator ids). SQL's keyed exchanges leave a key split (`KeyBy`, or a join input's `Tag`
/// after it): custom edges, which a restore at another parallelism must cut again.
pub(crate) fn in_flight_by_edge(ck: &Path, id: weir_core::CheckpointId) -> std::collections::BTreeMap<String, usize> {
    use weir_runtime::in_flight::{InFlightState, IN_FLIGHT};
    let mut total = std::collections::BTreeMap::new();
    for file in std::fs::read_dir(ck.join(format!("chk-{}", id.0))).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_some_and(|e| e == "state") {
            let state = weir_runtime::snapshot::TaskState::from_bytes(&std::fs::read(&path).unwrap()).unwrap();
            for op in state.operators.iter().filter(|o| o.operator_id.ends_with(IN_FLIGHT)) {
                for item in op.entries.iter().flat_map(|e| &e.items) {
                    let stored: InFlightState = bincode::deserialize(item).unwrap();
                    let into = op.operator_id.trim_end_matches(IN_FLIGHT).trim_end_matches('/');
                    for b in &stored.batches {
                        let from = &stored.sources[b.channel as usize].producer;
                        *total.entry(format!("{from} -> {into}")).or_default() += 1;
                    }
                }
            }
        }
    }
    total
}

#[test]
fn a_sql_job_with_unaligned_checkpoints_fails_restores_its_in_flight_batches_and_commits_exactly_once() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    // A slow function after the group aggregation backs the keyed exchange up, so the
    // barriers overtake queued batches; it fails once, after a checkpoint has completed, to
    // force a restore from it.
    let dir = tempfile::tempdir().unwrap();
    let (out, ck) = (dir.path().join("out"), dir.path().join("ck"));
    let failed = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    let (f, c, checkpoints) = (failed.clone(), calls.clone(), ck.clone());
    let completed = move || {
        std::fs::read_dir(&checkpoints)
            .map(|d| d.flatten().any(|e| e.path().join("_metadata").exists()))
            .unwrap_or(false)
    };
    let slow = weir_sql::catalog::UserFunction::scalar(
        "slow",
        vec![arrow::datatypes::DataType::Int64],
        arrow::datatypes::DataType::Int64,
        move |args| {
            std::thread::sleep(Duration::from_millis(2));
            if c.fetch_add(1, Ordering::SeqCst) > 20 && !f.load(Ordering::SeqCst) && completed() {
                f.store(true, Ordering::SeqCst);
                return Err("injected failure".into());
            }
            Ok(args[0].clone())
        },
    );
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '30 ms'; SET 'execution.checkpointing.dir' = '{}';
         SET 'execution.checkpointing.unaligned.enabled' = 'true'; SET 'execution.checkpointing.num-retained' = '1000';
         CREATE FUNCTION slow AS 'slow';
         {} INSERT INTO sums SELECT k, slow(c), s FROM (SELECT id % 7 AS k, COUNT(*) AS c, SUM(id) AS s
           FROM gen GROUP BY id % 7);",
        ck.display(),
        tables(&out, 20_000, 200_000)
    );
    let mut session = Session::new(JobSettings { parallelism: 2, ..Default::default() });
    session.register_function("slow", slow);
    session.set_restart_strategy(Some(weir_runtime::restart::RestartStrategy::FixedDelay {
        attempts: 3,
        delay: Duration::from_millis(10),
    }));
    session.execute_script(&sql, &mut Quiet).map_err(|e| e.render(&sql)).unwrap();
    let job = session.last_job().expect("a job ran");
    assert!(failed.load(Ordering::SeqCst), "the failure was injected");
    assert_eq!(job.restarts, 1, "{job:?}");
    let from = job.restored_from.unwrap_or_else(|| panic!("the restart resumed from no checkpoint: {job:?}"));
    let stored = in_flight_batches(&ck, from);
    assert!(stored > 0, "{from} held no in-flight batches: nothing was replayed");
    assert_eq!(final_rows(&out), expected(20_000, 7));
}
