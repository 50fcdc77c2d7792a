//! A SQL job restored from an unaligned checkpoint at another parallelism: the batches that
//! were in flight on its keyed exchange are cut again by key group, so each row is replayed
//! once, by the subtask that now owns its key's state, and the job's final answer is the
//! failure-free one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use weir_core::CheckpointId;
use weir_runtime::restart::RestartStrategy;
use weir_sql::catalog::UserFunction;
use weir_sql::session::{JobSettings, Session};

use super::sql_checkpointing::{expected, final_rows, in_flight_batches, in_flight_by_edge, tables, Quiet};

const ROWS: u64 = 20_000;
/// Enough keys that most new subtasks own keys of both old ones.
const KEYS: i64 = 50;

/// `slow(x)` = `x` after a pause, which backs the keyed exchange before the aggregation up
/// so that the barriers overtake queued batches. With `fail_after`, it fails once, as soon
/// as a checkpoint under that directory has completed.
fn slow(fail_after: Option<PathBuf>) -> UserFunction {
    let failed = AtomicBool::new(false);
    let calls = AtomicUsize::new(0);
    UserFunction::scalar(
        "slow",
        vec![arrow::datatypes::DataType::Int64],
        arrow::datatypes::DataType::Int64,
        move |args| {
            std::thread::sleep(Duration::from_millis(2));
            if let Some(ck) = &fail_after {
                if calls.fetch_add(1, Ordering::SeqCst) > 20
                    && latest_completed(ck).is_some()
                    && !failed.swap(true, Ordering::SeqCst)
                {
                    return Err("injected failure".into());
                }
            }
            Ok(args[0].clone())
        },
    )
}

/// The keyed aggregation: counts and sums of `gen`'s ids by `id % KEYS` (50).
const GROUP_BY: &str = "SELECT id % 50 AS k, COUNT(*) AS c, SUM(id) AS s FROM gen GROUP BY id % 50";

/// The same through a regular join with a table holding each key once, so the join's two
/// keyed inputs carry batches in flight too.
const JOIN_GROUP_BY: &str = "SELECT g.id % 50 AS k, COUNT(*) AS c, SUM(g.id) AS s FROM gen AS g JOIN keys AS t
    ON g.id % 50 = t.id GROUP BY g.id % 50";

/// `query` (of columns k, c, s) into `sums` through `slow`, checkpointed unaligned into `ck`,
/// resumed from `restore` if given.
fn script(query: &str, ck: &Path, out: &Path, restore: Option<&Path>) -> String {
    let last_key = KEYS - 1;
    let restore = restore.map(|p| format!("SET 'execution.savepoint.path' = '{}';", p.display())).unwrap_or_default();
    format!(
        "SET 'execution.checkpointing.interval' = '30 ms'; SET 'execution.checkpointing.dir' = '{}';
         SET 'execution.checkpointing.unaligned.enabled' = 'true'; SET 'execution.checkpointing.num-retained' = '1000';
         {restore}
         CREATE FUNCTION slow AS 'slow';
         CREATE TABLE keys (id BIGINT) WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence',
           'fields.id.start' = '0', 'fields.id.end' = '{last_key}');
         {} INSERT INTO sums SELECT k, slow(c), s FROM ({query});",
        ck.display(),
        tables(out, ROWS, 200_000)
    )
}

/// The newest completed checkpoint under `ck`.
fn latest_completed(ck: &Path) -> Option<CheckpointId> {
    let dirs = std::fs::read_dir(ck).ok()?.flatten().filter(|e| e.path().join("_metadata").exists());
    let ids = dirs.filter_map(|e| e.file_name().to_str()?.strip_prefix("chk-")?.parse::<u64>().ok());
    ids.max().map(CheckpointId)
}

/// Runs `query` at parallelism 2 until it fails for good after a checkpoint, then resumes
/// it from that checkpoint at `parallelism`: the final counts and sums are the failure-free
/// ones. Returns the in-flight batches the checkpoint held, by edge.
fn fail_at_2_and_resume_at(query: &str, parallelism: usize) -> std::collections::BTreeMap<String, usize> {
    let dir = tempfile::tempdir().unwrap();
    let (out, ck, ck_after) = (dir.path().join("out"), dir.path().join("ck"), dir.path().join("ck-after"));

    let mut session = Session::new(JobSettings { parallelism: 2, ..Default::default() });
    session.register_function("slow", slow(Some(ck.clone())));
    session.set_restart_strategy(Some(RestartStrategy::None));
    let sql = script(query, &ck, &out, None);
    let err = session.execute_script(&sql, &mut Quiet).map_err(|e| e.render(&sql)).unwrap_err();
    assert!(err.contains("injected failure"), "{err}");
    let from = latest_completed(&ck).expect("a checkpoint completed before the failure");
    assert!(in_flight_batches(&ck, from) > 0, "{from} held no in-flight batches: nothing to redistribute");
    let exchanged = in_flight_by_edge(&ck, from);

    let mut session = Session::new(JobSettings { parallelism, ..Default::default() });
    session.register_function("slow", slow(None));
    session.set_restart_strategy(Some(RestartStrategy::None));
    let sql = script(query, &ck_after, &out, Some(&ck.join(format!("chk-{}", from.0))));
    session
        .execute_script(&sql, &mut Quiet)
        .map_err(|e| e.render(&sql))
        .unwrap_or_else(|e| panic!("{from} ({exchanged:?} in flight) restored at parallelism {parallelism}: {e}"));
    let job = session.last_job().expect("a job ran");
    assert_eq!((job.restored_from, job.restarts), (Some(from), 0), "{job:?}");
    assert_eq!(final_rows(&out), expected(ROWS as i64, KEYS), "{from} ({exchanged:?}) restored at p{parallelism}");
    exchanged
}

#[test]
fn a_sql_job_checkpointed_unaligned_at_parallelism_2_resumes_its_in_flight_batches_at_1_and_3() {
    for parallelism in [1, 3] {
        let exchanged = fail_at_2_and_resume_at(GROUP_BY, parallelism);
        let keyed =
            |(edge, n): (&String, &usize)| (edge.starts_with("KeyBy") && edge.contains("aggregate")).then_some(*n);
        let into_aggregation = exchanged.iter().filter_map(keyed).sum::<usize>();
        assert!(into_aggregation > 0, "no batches in flight on the exchange into the aggregation: {exchanged:?}");
    }
}

#[test]
fn a_sql_join_checkpointed_unaligned_at_parallelism_2_resumes_its_in_flight_batches_at_3() {
    let exchanged = fail_at_2_and_resume_at(JOIN_GROUP_BY, 3);
    let keyed = |(edge, n): (&String, &usize)| (edge.starts_with("Tag") && edge.contains("join")).then_some(*n);
    let into_join = exchanged.iter().filter_map(keyed).sum::<usize>();
    assert!(into_join > 0, "no batches in flight on the exchanges into the join: {exchanged:?}");
}
