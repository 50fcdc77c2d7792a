//! End to end: every DataStream transformation on the embedded runtime — map, filter,
//! flat_map, process (a `ProcessFunction` and a `ProcessFn` closure), fan-out to several
//! consumers, union, connect (co-map, co-flat-map, co-process), and the keyed rolling
//! aggregations with Flink's semantics. Expected outputs are worked out by hand.

use crate::harness;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use harness::{group_by_first, run, sorted, DEADLINE};
use weir::prelude::*;
use weir::{StreamRecord, Watermark};
use weir_runtime::{Emitter, Operator, SubtaskInfo};

#[test]
fn map_filter_flat_map_in_order_on_one_subtask() {
    let env = StreamExecutionEnvironment::new();
    let got = env
        .from_collection(vec![1i64, 2, 3, 4, 5, 6])
        .map(|x: i64| x * 10)
        .filter(|x: &i64| *x % 20 != 0) // drops 20, 40, 60
        .flat_map(|x: i64, out: &mut Collector<String>| {
            for i in 0..(x / 10) {
                out.collect(format!("{x}:{i}"));
            }
        })
        .collect();
    run(&env, "map-filter-flat_map");
    assert_eq!(got.take(), vec!["10:0", "30:0", "30:1", "30:2", "50:0", "50:1", "50:2", "50:3", "50:4"]);
}

#[test]
fn flat_map_may_emit_nothing_or_many() {
    let env = StreamExecutionEnvironment::new().with_batch_size(3);
    // 0 emits nothing, n emits n copies: sum of 0..=9 = 45 records, with small batches so
    // that one input batch produces outputs larger than a batch.
    let got = env
        .from_collection((0u32..10).collect())
        .flat_map(|n: u32, out: &mut Collector<u32>| (0..n).for_each(|_| out.collect(n)))
        .collect();
    run(&env, "flat_map sizes");
    let got = got.take();
    assert_eq!(got.len(), 45);
    let expected: Vec<u32> = (0u32..10).flat_map(|n| std::iter::repeat_n(n, n as usize)).collect();
    assert_eq!(got, expected);
}

#[test]
fn map_and_filter_at_parallelism_four_see_every_record_once() {
    let env = StreamExecutionEnvironment::new().with_parallelism(4);
    let got = env.from_sequence(1, 1000).map(|x: i64| x * x).filter(|x: &i64| x % 2 == 1).collect();
    run(&env, "parallel map");
    // odd squares of 1..=1000: the squares of the 500 odd numbers
    let expected: Vec<i64> = (1..=1000).filter(|x| x % 2 == 1).map(|x| x * x).collect();
    assert_eq!(sorted(got.take()), expected);
}

/// A `ProcessFunction` with state in its instance and `open` telling it its subtask.
#[derive(Clone, Default)]
struct RunningCount {
    subtask: Option<usize>,
    seen: u64,
}

impl ProcessFunction<i64, (usize, u64, i64)> for RunningCount {
    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.subtask = Some(subtask.index);
        Ok(())
    }

    fn process_element(
        &mut self,
        v: i64,
        ctx: &mut Context,
        out: &mut Collector<(usize, u64, i64)>,
    ) -> Result<(), BoxError> {
        let opened = self.subtask.ok_or("process_element before open")?;
        assert_eq!(opened, ctx.subtask().index, "open and the context disagree on the subtask");
        self.seen += 1;
        out.collect((opened, self.seen, v));
        Ok(())
    }
}

#[test]
fn process_function_is_opened_once_per_subtask_and_keeps_instance_state() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let got = env.from_sequence(1, 10).process(RunningCount::default()).collect();
    run(&env, "process");
    // fromSequence(1, 10) at p=2: subtask 0 reads 1..=5, subtask 1 reads 6..=10; each
    // instance counts only its own records.
    let by_subtask = group_by_first(&got.take().into_iter().map(|(s, n, v)| (s, (n, v))).collect::<Vec<_>>());
    assert_eq!(by_subtask[&0], vec![(1, 1), (2, 2), (3, 3), (4, 4), (5, 5)]);
    assert_eq!(by_subtask[&1], vec![(1, 6), (2, 7), (3, 8), (4, 9), (5, 10)]);
}

#[test]
fn process_fn_closure_can_drop_and_duplicate() {
    let env = StreamExecutionEnvironment::new();
    let got = env
        .from_collection(vec!["a".to_string(), "".into(), "bc".into()])
        .process(ProcessFn::new(|s: String, _ctx: &mut Context, out: &mut Collector<usize>| {
            for c in s.chars() {
                out.collect(c as usize - 'a' as usize);
            }
            Ok(())
        }))
        .collect();
    run(&env, "process fn");
    assert_eq!(got.take(), vec![0, 1, 2]);
}

#[test]
fn a_stream_with_two_consumers_feeds_each_every_record() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let s = env.from_sequence(1, 6);
    let doubled = s.map(|x: i64| x * 2).collect();
    let odd = s.filter(|x: &i64| x % 2 == 1).collect();
    let all = s.collect();
    run(&env, "fan-out");
    assert_eq!(sorted(doubled.take()), vec![2, 4, 6, 8, 10, 12]);
    assert_eq!(sorted(odd.take()), vec![1, 3, 5]);
    assert_eq!(sorted(all.take()), vec![1, 2, 3, 4, 5, 6]);
}

#[test]
fn union_of_two_streams() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let a = env.from_sequence(1, 5);
    let b = env.from_collection(vec![100i64, 200]);
    let got = a.union(&b).map(|x: i64| x + 1).collect();
    run(&env, "union 2");
    assert_eq!(sorted(got.take()), vec![2, 3, 4, 5, 6, 101, 201]);
}

#[test]
fn union_of_three_streams_of_different_parallelism() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let a = env.from_sequence(1, 3).set_parallelism(1);
    let b = env.from_sequence(10, 13).set_parallelism(2);
    let c = env.from_sequence(20, 21);
    let got = a.union(&b).union(&c).collect();
    run(&env, "union 3");
    assert_eq!(sorted(got.take()), vec![1, 2, 3, 10, 11, 12, 13, 20, 21]);
}

#[test]
fn union_of_a_stream_with_transformations_of_itself() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let s = env.from_collection(vec![1i64, 2, 3]);
    let tens = s.map(|x: i64| x * 10);
    let evens = s.filter(|x: &i64| x % 2 == 0);
    let got = s.union(&tens).union(&evens).collect();
    run(&env, "self union");
    assert_eq!(sorted(got.take()), vec![1, 2, 2, 3, 10, 20, 30]);
}

#[test]
fn union_of_a_stream_with_itself_yields_each_record_twice() {
    // as Flink documents for DataStream#union
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let s = env.from_sequence(1, 4);
    let got = s.union(&s).collect();
    run(&env, "union with itself");
    assert_eq!(sorted(got.take()), vec![1, 1, 2, 2, 3, 3, 4, 4]);
}

#[test]
fn connect_a_stream_with_itself() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let s = env.from_sequence(1, 3);
    let got = s.connect(&s).map(|x: i64| x, |y: i64| -y).collect();
    run(&env, "connect with itself");
    assert_eq!(sorted(got.take()), vec![-3, -2, -1, 1, 2, 3]);
}

#[test]
fn connect_co_map_sees_both_inputs() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let numbers = env.from_sequence(1, 4);
    let words = env.from_collection(vec!["x".to_string(), "yy".into()]);
    let got = numbers.connect(&words).map(|n: i64| n * 100, |s: String| s.len() as i64).collect();
    run(&env, "co-map");
    assert_eq!(sorted(got.take()), vec![1, 2, 100, 200, 300, 400]);
}

#[test]
fn connect_co_flat_map() {
    let env = StreamExecutionEnvironment::new();
    let numbers = env.from_collection(vec![2u32, 0, 1]);
    let words = env.from_collection(vec!["ab".to_string(), "c".into()]);
    let got = numbers
        .connect(&words)
        .flat_map(
            |n: u32, out: &mut Collector<String>| (0..n).for_each(|i| out.collect(format!("n{n}.{i}"))),
            |s: String, out: &mut Collector<String>| s.chars().for_each(|c| out.collect(format!("c{c}"))),
        )
        .collect();
    run(&env, "co-flat-map");
    assert_eq!(sorted(got.take()), vec!["ca", "cb", "cc", "n1.0", "n2.0", "n2.1"]);
}

/// Tags each record with its input and the subtask.
#[derive(Clone, Default)]
struct CoTag;

impl CoProcessFunction<i64, i64, (usize, char, i64)> for CoTag {
    fn process_element1(
        &mut self,
        v: i64,
        ctx: &mut Context,
        out: &mut Collector<(usize, char, i64)>,
    ) -> Result<(), BoxError> {
        out.collect((ctx.subtask().index, 'L', v));
        Ok(())
    }
    fn process_element2(
        &mut self,
        v: i64,
        ctx: &mut Context,
        out: &mut Collector<(usize, char, i64)>,
    ) -> Result<(), BoxError> {
        out.collect((ctx.subtask().index, 'R', v));
        Ok(())
    }
}

#[test]
fn connect_co_process_gets_each_input_forwarded_by_subtask() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let left = env.from_sequence(1, 4); // subtask 0: 1, 2; subtask 1: 3, 4
    let right = env.from_sequence(101, 104); // subtask 0: 101, 102; subtask 1: 103, 104
    let got = left.connect(&right).process(CoTag).collect();
    run(&env, "co-process");
    let expected = vec![
        (0, 'L', 1),
        (0, 'L', 2),
        (0, 'R', 101),
        (0, 'R', 102),
        (1, 'L', 3),
        (1, 'L', 4),
        (1, 'R', 103),
        (1, 'R', 104),
    ];
    assert_eq!(sorted(got.take()), expected);
}

type Row = (String, i64, f64);

fn rows() -> Vec<Row> {
    vec![
        ("a".into(), 3, 1.5),
        ("b".into(), 1, 9.0),
        ("a".into(), 7, 0.5),
        ("a".into(), 1, 2.0),
        ("b".into(), 1, 0.0),
        ("a".into(), 7, 8.0),
    ]
}

/// Runs `agg` on `rows()` keyed by the first field at parallelism 2; the outputs per key,
/// in order (one producer, so each key's records arrive in source order).
fn aggregate(
    agg: impl Fn(&KeyedStream<Row, fn(&Row) -> String>) -> DataStream<Row>,
) -> std::collections::BTreeMap<String, Vec<(i64, f64)>> {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let keyed = env.from_collection(rows()).key_by((|r: &Row| r.0.clone()) as fn(&Row) -> String);
    let got = agg(&keyed).collect();
    run(&env, "aggregation");
    let pairs: Vec<(String, (i64, f64))> = got.take().into_iter().map(|(k, a, b)| (k, (a, b))).collect();
    group_by_first(&pairs)
}

#[test]
fn sum_keeps_the_first_records_other_fields() {
    let got = aggregate(|k| k.sum(1));
    assert_eq!(got["a"], vec![(3, 1.5), (10, 1.5), (11, 1.5), (18, 1.5)]);
    assert_eq!(got["b"], vec![(1, 9.0), (2, 9.0)]);
    let got = aggregate(|k| k.sum(2));
    assert_eq!(got["a"], vec![(3, 1.5), (3, 2.0), (3, 4.0), (3, 12.0)]);
    assert_eq!(got["b"], vec![(1, 9.0), (1, 9.0)]);
}

#[test]
fn min_and_max_update_only_their_field() {
    let got = aggregate(|k| k.min(1));
    assert_eq!(got["a"], vec![(3, 1.5), (3, 1.5), (1, 1.5), (1, 1.5)]);
    assert_eq!(got["b"], vec![(1, 9.0), (1, 9.0)]);
    let got = aggregate(|k| k.max(1));
    assert_eq!(got["a"], vec![(3, 1.5), (7, 1.5), (7, 1.5), (7, 1.5)]);
    let got = aggregate(|k| k.min(2));
    assert_eq!(got["a"], vec![(3, 1.5), (3, 0.5), (3, 0.5), (3, 0.5)]);
    assert_eq!(got["b"], vec![(1, 9.0), (1, 0.0)]);
}

#[test]
fn min_by_and_max_by_return_the_whole_first_extreme_record() {
    let got = aggregate(|k| k.min_by(1));
    assert_eq!(got["a"], vec![(3, 1.5), (3, 1.5), (1, 2.0), (1, 2.0)]);
    // b: (1, 9.0) then (1, 0.0) ties on field 1 — the first one stays
    assert_eq!(got["b"], vec![(1, 9.0), (1, 9.0)]);
    let got = aggregate(|k| k.max_by(1));
    // a: 3 → 7 (0.5) → 1 keeps (7, 0.5) → 7 (8.0) ties, keeps (7, 0.5)
    assert_eq!(got["a"], vec![(3, 1.5), (7, 0.5), (7, 0.5), (7, 0.5)]);
    let got = aggregate(|k| k.max_by(2));
    assert_eq!(got["a"], vec![(3, 1.5), (3, 1.5), (1, 2.0), (7, 8.0)]);
    assert_eq!(got["b"], vec![(1, 9.0), (1, 9.0)]);
}

#[test]
fn sum_of_plain_numbers_per_key() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let got = env.from_collection((1u64..=9).collect()).key_by(|x: &u64| x % 3).sum(0).collect();
    run(&env, "sum numbers");
    // key 1: 1, 1+4, 1+4+7; key 2: 2, 7, 15; key 0: 3, 9, 18
    assert_eq!(sorted(got.take()), vec![1, 2, 3, 5, 7, 9, 12, 15, 18]);
}

#[test]
fn reduce_emits_a_rolling_value_per_key_at_parallelism_four() {
    let env = StreamExecutionEnvironment::new().with_parallelism(4);
    let input: Vec<(u32, u64)> = (0..40u64).map(|i| ((i % 5) as u32, i)).collect();
    let got = env
        .from_collection(input)
        .key_by(|r: &(u32, u64)| r.0)
        .reduce(|acc: (u32, u64), r: (u32, u64)| (acc.0, acc.1 + r.1))
        .collect();
    run(&env, "reduce");
    let groups = group_by_first(&got.take());
    assert_eq!(groups.len(), 5);
    for (key, sums) in groups {
        // key k sees k, k+5, …, k+35 in order: rolling sums of that sequence
        let mut acc = 0;
        let expected: Vec<u64> = (0..8u64)
            .map(|j| {
                acc += u64::from(key) + 5 * j;
                acc
            })
            .collect();
        assert_eq!(sums, expected, "key {key}");
    }
}

#[test]
fn bad_aggregation_positions_fail_execute_before_anything_runs() {
    let ran = Arc::new(AtomicUsize::new(0));
    type Keyed = KeyedStream<(String, i64), fn(&(String, i64)) -> String>;
    fn build(k: &Keyed, case: &str) {
        let _ = match case {
            "sum(5)" => k.sum(5),
            "max(2)" => k.max(2),
            "min_by(9)" => k.min_by(9),
            _ => k.sum(0),
        }
        .collect();
    }
    let cases = [
        ("sum(5)", "out of range"),
        ("max(2)", "out of range"),
        ("min_by(9)", "out of range"),
        ("sum(0) on a String", "not numeric"),
    ];
    for (what, message) in cases {
        let env = StreamExecutionEnvironment::new();
        let counter = ran.clone();
        let keyed = env
            .from_collection(vec![("a".to_string(), 1i64)])
            .map(move |r: (String, i64)| {
                counter.fetch_add(1, Ordering::SeqCst);
                r
            })
            .key_by((|r: &(String, i64)| r.0.clone()) as fn(&(String, i64)) -> String);
        build(&keyed, what);
        let err = harness::execute_within(&env, what, DEADLINE).expect_err(what);
        assert!(matches!(err, JobError::InvalidGraph(_)), "{what}: {err:?}");
        assert!(err.to_string().contains(message), "{what}: {err}");
        // the environment is usable again for the next job
        let env_ok = env.from_collection(vec![1]).collect();
        run(&env, "after a rejected job");
        assert_eq!(env_ok.take(), vec![1]);
    }
    assert_eq!(ran.load(Ordering::SeqCst), 0, "a rejected job must not run any record");
}

#[test]
fn a_stream_from_an_executed_job_is_never_silently_rewired_to_another_source() {
    // In Flink a DataStream kept from before execute() still means its own pipeline: a
    // later job that uses it rebuilds that pipeline. Reading another source's records
    // instead is never acceptable; refusing the stale stream would be.
    let env = StreamExecutionEnvironment::new();
    let numbers = env.from_sequence(1, 3);
    let first = numbers.collect();
    run(&env, "first");
    assert_eq!(first.take(), vec![1, 2, 3]);

    let other = env.from_sequence(100, 100).map(|x: i64| x + 1).collect();
    let again = numbers.map(|x: i64| x * 10).collect();
    match harness::execute_within(&env, "second", DEADLINE) {
        Ok(_) => {
            assert_eq!(other.take(), vec![101]);
            assert_eq!(again.take(), vec![10, 20, 30], "the kept stream read another source's records");
        }
        Err(JobError::InvalidGraph(_)) => {}
        Err(e) => panic!("neither ran correctly nor rejected the stale stream: {e:?}"),
    }
}

#[test]
fn one_environment_runs_several_jobs_one_after_the_other() {
    let env = StreamExecutionEnvironment::new();
    let first = env.from_collection(vec![1, 2]).collect();
    run(&env, "first");
    let second = env.from_collection(vec![3]).map(|x: i32| x * 2).collect();
    run(&env, "second");
    assert_eq!(first.take(), vec![1, 2]);
    assert_eq!(second.take(), vec![6], "the second job must not rerun the first");
}

/// A custom operator (Flink's `transform`): drops repeated values, and logs what it sees
/// — records, watermarks, the end of input.
struct DedupProbe {
    seen: std::collections::HashSet<i64>,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Operator for DedupProbe {
    type In = i64;
    type Out = i64;

    fn process(&mut self, batch: &mut Vec<StreamRecord<i64>>, out: &mut Emitter<i64>) -> Result<(), BoxError> {
        for r in batch.drain(..) {
            self.log.lock().unwrap().push(format!("r{}", r.value));
            if self.seen.insert(r.value) {
                out.emit(r);
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, w: Watermark, out: &mut Emitter<i64>) -> Result<(), BoxError> {
        self.log.lock().unwrap().push(w.to_string());
        out.emit_watermark(w);
        Ok(())
    }

    fn finish(&mut self, _out: &mut Emitter<i64>) -> Result<(), BoxError> {
        self.log.lock().unwrap().push("finish".into());
        Ok(())
    }
}

#[test]
fn transform_runs_a_custom_operator_that_sees_one_final_watermark_then_finish() {
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let probe_log = log.clone();
    let got = env
        .from_sequence(1, 40)
        .map(|x: i64| x % 10)
        .rebalance()
        .transform("Dedup", move |_: &SubtaskInfo| Ok(DedupProbe { seen: Default::default(), log: probe_log.clone() }))
        .set_parallelism(1)
        .collect();
    run(&env, "transform");
    assert_eq!(sorted(got.take()), (0..10).collect::<Vec<_>>());
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), 42, "40 records, one watermark, finish: {log:?}");
    // both inputs end with the end-of-time watermark; the operator sees it once, after
    // every record and before finish
    assert_eq!(log[40], "Watermark(MAX)");
    assert_eq!(log[41], "finish");
}
