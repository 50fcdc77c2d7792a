//! End to end: a failing operator fails the job — promptly, even with parallel
//! never-ending sources upstream and tasks blocked on full channels — with a `JobError`
//! whose message names the operator (as set with `.name()`) and the subtask `(i/p)`.

use crate::harness;

use std::time::{Duration, Instant};

use harness::run_expecting_failure;
use weir::prelude::*;
use weir_core::key_group::{assign_to_key_group, operator_index_for_key_group};
use weir_core::ErrorKind;
use weir_runtime::SubtaskInfo;

/// How long a failing job may take to stop: it should take milliseconds; this only
/// separates "stopped by itself" from "hung".
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// A never-ending source (0..=i64::MAX split over 4 subtasks; subtask 0 reads from 0)
/// with small batches and channels, so producers block on full channels.
fn endless_env() -> (StreamExecutionEnvironment, DataStream<i64>) {
    let env = StreamExecutionEnvironment::new().with_parallelism(4).with_batch_size(32).with_channel_capacity(1);
    let s = env.from_sequence(0, i64::MAX);
    (env, s)
}

fn assert_user_error_at(err: &JobError, operator_and_subtask: &str, cause: &str) {
    let message = err.to_string();
    assert!(message.contains(operator_and_subtask), "expected '{operator_and_subtask}' in: {message}");
    assert!(message.contains(cause), "expected '{cause}' in: {message}");
    assert_eq!(err.kind(), ErrorKind::User, "{err:?}");
}

#[test]
fn a_panicking_map_chained_to_an_endless_source_stops_the_job() {
    let (env, s) = endless_env();
    s.map(|x: i64| {
        if x == 1000 {
            panic!("boom at record {x}");
        }
        x
    })
    .name("exploder")
    .filter(|_: &i64| false)
    .collect();
    let started = Instant::now();
    let err = run_expecting_failure(&env, "panicking map", STOP_WITHIN);
    assert!(matches!(err, JobError::Panic { .. }), "{err:?}");
    // 1000 is read by source subtask 0, so map subtask 0 — shown 1-based as Flink does
    assert_user_error_at(&err, "exploder (1/4)", "boom at record 1000");
    assert!(started.elapsed() < STOP_WITHIN);
}

#[test]
fn the_operators_uid_is_shown_next_to_its_name() {
    let env = StreamExecutionEnvironment::new();
    env.from_sequence(1, 10)
        .map(|x: i64| if x == 3 { panic!("three") } else { x })
        .name("exploder")
        .uid("exploder-v1")
        .collect();
    let err = run_expecting_failure(&env, "uid", STOP_WITHIN);
    assert_eq!(err.to_string(), "operator exploder [exploder-v1] (1/1) panicked: three");
}

#[test]
fn a_panicking_map_behind_a_rebalance_stops_blocked_producers() {
    let (env, s) = endless_env();
    s.rebalance()
        .map(|x: i64| {
            if x == 1000 {
                panic!("boom at record {x}");
            }
            x
        })
        .name("exploder")
        .filter(|_: &i64| false)
        .collect();
    let err = run_expecting_failure(&env, "panicking map behind rebalance", STOP_WITHIN);
    let message = err.to_string();
    assert!(matches!(err, JobError::Panic { .. }), "{err:?}");
    let subtask = (1..=4).find(|i| message.contains(&format!("exploder ({i}/4)")));
    assert!(subtask.is_some(), "names a subtask of exploder: {message}");
    assert!(message.contains("boom at record 1000"), "{message}");
}

#[test]
fn an_error_from_a_process_function_fails_the_job_with_its_message() {
    let (env, s) = endless_env();
    s.process(ProcessFn::new(|x: i64, _ctx: &mut Context, out: &mut Collector<i64>| {
        if x == 1000 {
            return Err(format!("record {x} is invalid").into());
        }
        out.collect(x);
        Ok(())
    }))
    .name("validator")
    .filter(|_: &i64| false)
    .collect();
    let err = run_expecting_failure(&env, "failing process function", STOP_WITHIN);
    assert!(matches!(err, JobError::Operator { .. }), "{err:?}");
    assert_eq!(err.to_string(), "operator validator (1/4) failed: record 1000 is invalid");
    assert_eq!(err.kind(), ErrorKind::User);
}

#[test]
fn an_error_from_a_keyed_function_names_the_subtask_owning_the_key() {
    let (env, s) = endless_env();
    s.key_by(|x: &i64| x % 16)
        .process(KeyedProcessFn::new(|x: i64, _ctx: &mut KeyedContext<i64>, out: &mut Collector<i64>| {
            if x == 1000 {
                return Err("bad key 8".into());
            }
            out.collect(x);
            Ok(())
        }))
        .name("keyed validator")
        .filter(|_: &i64| false)
        .collect();
    let err = run_expecting_failure(&env, "failing keyed function", STOP_WITHIN);
    // 1000 % 16 = 8: the subtask that owns key 8's key group fails
    let owner = operator_index_for_key_group(128, 4, assign_to_key_group(&8i64, 128));
    assert_user_error_at(&err, &format!("keyed validator ({}/4)", owner + 1), "bad key 8");
}

#[test]
fn an_error_in_open_fails_the_job_before_records_flow() {
    #[derive(Clone)]
    struct NeedsConfig;
    impl ProcessFunction<i64, i64> for NeedsConfig {
        fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
            if subtask.index == 1 {
                return Err("missing configuration".into());
            }
            Ok(())
        }
        fn process_element(&mut self, x: i64, _ctx: &mut Context, out: &mut Collector<i64>) -> Result<(), BoxError> {
            out.collect(x);
            Ok(())
        }
    }
    let (env, s) = endless_env();
    s.rebalance().process(NeedsConfig).name("configured").filter(|_: &i64| false).collect();
    let err = run_expecting_failure(&env, "failing open", STOP_WITHIN);
    assert_user_error_at(&err, "configured (2/4)", "missing configuration");
}

#[test]
fn a_sink_that_cannot_open_fails_the_job_naming_the_sink() {
    let file = tempfile::NamedTempFile::new().unwrap();
    let (env, s) = endless_env();
    s.map(|x: i64| x).rebalance().write_as_json(file.path()).name("json-out");
    let err = run_expecting_failure(&env, "sink on a regular file", STOP_WITHIN);
    let message = err.to_string();
    assert!(matches!(err, JobError::Operator { .. }), "{err:?}");
    assert!((1..=4).any(|i| message.contains(&format!("json-out ({i}/4)"))), "names the sink and a subtask: {message}");
    assert!(message.contains("not a directory"), "{message}");
    assert_eq!(err.kind(), ErrorKind::User);
}

#[test]
fn a_sink_failing_mid_stream_fails_the_job() {
    use weir::StreamRecord;
    use weir_runtime::{Sink, SinkWriter};
    struct FailAt(usize);
    struct FailAtWriter {
        left: usize,
    }
    impl Sink<i64> for FailAt {
        type Writer = FailAtWriter;
        fn create_writer(&self, _: &SubtaskInfo) -> Result<FailAtWriter, BoxError> {
            Ok(FailAtWriter { left: self.0 })
        }
    }
    impl SinkWriter<i64> for FailAtWriter {
        fn write(&mut self, batch: &mut Vec<StreamRecord<i64>>) -> Result<(), BoxError> {
            if batch.len() >= self.left {
                return Err("disk full".into());
            }
            self.left -= batch.len();
            batch.clear();
            Ok(())
        }
        fn flush(&mut self, _: bool) -> Result<(), BoxError> {
            Ok(())
        }
    }
    let (env, s) = endless_env();
    s.rebalance().sink_to(FailAt(10_000), "failing").name("disk").set_parallelism(2);
    let err = run_expecting_failure(&env, "sink failing mid-stream", STOP_WITHIN);
    let message = err.to_string();
    assert!(message.contains("disk (1/2)") || message.contains("disk (2/2)"), "{message}");
    assert!(message.contains("disk full"), "{message}");
}

#[test]
fn a_sink_failing_its_final_flush_fails_the_job() {
    use weir::StreamRecord;
    use weir_runtime::{Sink, SinkWriter};
    struct FailingCommit;
    impl Sink<i64> for FailingCommit {
        type Writer = FailingCommit;
        fn create_writer(&self, _: &SubtaskInfo) -> Result<FailingCommit, BoxError> {
            Ok(FailingCommit)
        }
    }
    impl SinkWriter<i64> for FailingCommit {
        fn write(&mut self, batch: &mut Vec<StreamRecord<i64>>) -> Result<(), BoxError> {
            batch.clear();
            Ok(())
        }
        fn flush(&mut self, end_of_input: bool) -> Result<(), BoxError> {
            if end_of_input {
                return Err("commit failed".into());
            }
            Ok(())
        }
    }
    let env = StreamExecutionEnvironment::new();
    env.from_sequence(1, 100).sink_to(FailingCommit, "commit").name("committer");
    let err = run_expecting_failure(&env, "final flush fails", STOP_WITHIN);
    assert_eq!(err.to_string(), "operator committer (1/1) failed: commit failed");
}

#[test]
fn a_source_failing_mid_stream_names_the_source() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("input.txt"), b"good\nfine\n\xff\xfe bad\n").unwrap();
    let env = StreamExecutionEnvironment::new();
    env.read_text_file(dir.path()).name("lines").collect();
    let err = run_expecting_failure(&env, "bad input", STOP_WITHIN);
    assert_user_error_at(&err, "lines (1/1)", "input.txt:3");
}

#[test]
fn a_flooded_first_input_does_not_starve_the_second() {
    // The second input's only record stops the job; if the endless first input starved
    // it, the job would never end.
    #[derive(Clone)]
    struct StopOnSignal;
    impl CoProcessFunction<i64, String, i64> for StopOnSignal {
        fn process_element1(&mut self, _v: i64, _ctx: &mut Context, _out: &mut Collector<i64>) -> Result<(), BoxError> {
            Ok(())
        }
        fn process_element2(
            &mut self,
            signal: String,
            _ctx: &mut Context,
            _out: &mut Collector<i64>,
        ) -> Result<(), BoxError> {
            Err(format!("{signal} seen").into())
        }
    }
    let env = StreamExecutionEnvironment::new().with_batch_size(64).with_channel_capacity(1);
    let flood = env.from_sequence(0, i64::MAX);
    let signal = env.from_collection(vec!["stop".to_string()]);
    flood.connect(&signal).process(StopOnSignal).name("router").collect();
    let err = run_expecting_failure(&env, "starvation", STOP_WITHIN);
    assert_eq!(err.to_string(), "operator router (1/1) failed: stop seen");
}

#[test]
fn a_panicking_key_selector_fails_the_job_naming_the_upstream_operator() {
    // The key selector runs where records are partitioned, in the producing task; Flink
    // fails that task ("parse (1/1)") with the user's exception.
    let env = StreamExecutionEnvironment::new();
    env.from_collection(vec!["1".to_string(), "2".into(), "x".into()])
        .map(|s: String| s)
        .name("parse")
        .key_by(|s: &String| s.parse::<u32>().expect("a numeric key"))
        .reduce(|a: String, b: String| a + &b)
        .set_parallelism(2)
        .collect();
    let err = run_expecting_failure(&env, "panicking key selector", STOP_WITHIN);
    assert!(!matches!(err, JobError::Internal(_)), "a user's panic is not an internal error: {err:?}");
    assert_user_error_at(&err, "parse (1/1)", "a numeric key");
}
