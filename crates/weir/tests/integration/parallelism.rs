//! End to end: parallelism per job and per operator (sinks included), maximum
//! parallelism and Flink's default for it, and the settings `execute()` must reject
//! before anything runs.

use crate::harness;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use harness::{group_by_first, run, tag_subtask, DEADLINE};
use weir::functions::RuntimeContext;
use weir::prelude::*;
use weir::StreamRecord;
use weir_runtime::{Sink, SinkWriter, SubtaskInfo};

#[test]
fn the_jobs_parallelism_applies_to_every_operator() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let got = env
        .from_sequence(1, 30)
        .process(ProcessFn::new(|v: i64, ctx: &mut Context, out: &mut Collector<(usize, usize, i64)>| {
            out.collect((ctx.subtask().index, ctx.subtask().parallelism, v));
            Ok(())
        }))
        .collect();
    run(&env, "p=3");
    let got = got.take();
    assert!(got.iter().all(|(_, p, _)| *p == 3));
    let per_subtask = group_by_first(&got.iter().map(|(s, _, v)| (*s, *v)).collect::<Vec<_>>());
    // fromSequence(1, 30) at p=3: subtask i reads 10i+1..=10i+10, in order
    for i in 0..3i64 {
        assert_eq!(per_subtask[&(i as usize)], (10 * i + 1..=10 * i + 10).collect::<Vec<_>>());
    }
}

#[test]
fn an_operator_can_set_its_own_parallelism() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let wide = env
        .from_sequence(1, 100)
        .process(ProcessFn::new(|v: i64, ctx: &mut Context, out: &mut Collector<(usize, usize, i64)>| {
            out.collect((ctx.subtask().index, ctx.subtask().parallelism, v));
            Ok(())
        }))
        .set_parallelism(5)
        .name("wide");
    let narrow = tag_subtask(&wide).set_parallelism(1).collect();
    let plan = env.explain().unwrap();
    assert!(plan.contains("wide (p=5)"), "{plan}");
    assert!(plan.contains("Source: Sequence Source (p=2)"), "{plan}");
    run(&env, "per-operator parallelism");
    let got = narrow.take();
    assert_eq!(got.len(), 100);
    assert!(got.iter().all(|(narrow_index, (_, p, _))| *narrow_index == 0 && *p == 5));
    let used: BTreeSet<usize> = got.iter().map(|(_, (i, _, _))| *i).collect();
    assert_eq!(used, (0..5).collect(), "rebalance from 2 to 5 reaches every subtask");
}

/// Records which sink subtasks were created, and what they wrote.
#[derive(Clone, Default)]
struct RecordingSink {
    writers: Arc<Mutex<Vec<(usize, usize)>>>,
    written: Arc<Mutex<Vec<(usize, i64)>>>,
}

struct RecordingWriter {
    subtask: usize,
    written: Arc<Mutex<Vec<(usize, i64)>>>,
}

impl Sink<i64> for RecordingSink {
    type Writer = RecordingWriter;
    fn create_writer(&self, subtask: &SubtaskInfo) -> Result<RecordingWriter, BoxError> {
        self.writers.lock().unwrap().push((subtask.index, subtask.parallelism));
        Ok(RecordingWriter { subtask: subtask.index, written: self.written.clone() })
    }
}

impl SinkWriter<i64> for RecordingWriter {
    fn write(&mut self, batch: &mut Vec<StreamRecord<i64>>) -> Result<(), BoxError> {
        self.written.lock().unwrap().extend(batch.drain(..).map(|r| (self.subtask, r.value)));
        Ok(())
    }
    fn flush(&mut self, _end_of_input: bool) -> Result<(), BoxError> {
        Ok(())
    }
}

#[test]
fn a_sink_can_set_its_own_parallelism_and_name() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let sink = RecordingSink::default();
    env.from_sequence(1, 40).sink_to(sink.clone(), "recording").set_parallelism(4).name("four writers");
    let plan = env.explain().unwrap();
    assert!(plan.contains("four writers (p=4)"), "{plan}");
    run(&env, "sink parallelism");
    let mut writers = sink.writers.lock().unwrap().clone();
    writers.sort();
    assert_eq!(writers, vec![(0, 4), (1, 4), (2, 4), (3, 4)]);
    let written = sink.written.lock().unwrap().clone();
    assert_eq!(written.len(), 40);
    assert_eq!(written.iter().map(|(s, _)| *s).collect::<BTreeSet<_>>(), (0..4).collect());
}

/// Emits the max parallelism its subtask was given.
#[derive(Clone, Default)]
struct MaxParallelism(usize);

impl KeyedProcessFunction<i64, i64, usize> for MaxParallelism {
    fn open(&mut self, ctx: &mut RuntimeContext<i64>) -> Result<(), BoxError> {
        self.0 = ctx.subtask().max_parallelism;
        Ok(())
    }
    fn process_element(
        &mut self,
        _v: i64,
        _ctx: &mut KeyedContext<i64>,
        out: &mut Collector<usize>,
    ) -> Result<(), BoxError> {
        out.collect(self.0);
        Ok(())
    }
}

fn observed_max_parallelism(
    env: StreamExecutionEnvironment,
    keyed_parallelism: usize,
    operator_max: Option<usize>,
) -> BTreeSet<usize> {
    let mut keyed = env
        .from_collection((0i64..500).collect())
        .key_by(|x: &i64| *x)
        .process(MaxParallelism::default())
        .set_parallelism(keyed_parallelism);
    if let Some(m) = operator_max {
        keyed = keyed.set_max_parallelism(m);
    }
    let got = keyed.collect();
    run(&env, "max parallelism");
    got.take().into_iter().collect()
}

#[test]
fn max_parallelism_defaults_as_in_flink_and_can_be_set() {
    // Flink: max(128, next power of two of 1.5 × parallelism), at most 2^15
    assert_eq!(observed_max_parallelism(StreamExecutionEnvironment::new(), 4, None), BTreeSet::from([128]));
    assert_eq!(observed_max_parallelism(StreamExecutionEnvironment::new(), 90, None), BTreeSet::from([256]));
    assert_eq!(
        observed_max_parallelism(StreamExecutionEnvironment::new().with_max_parallelism(16), 4, None),
        BTreeSet::from([16])
    );
    assert_eq!(
        observed_max_parallelism(StreamExecutionEnvironment::new().with_max_parallelism(16), 4, Some(40)),
        BTreeSet::from([40])
    );
}

fn invalid_graph(env: &StreamExecutionEnvironment) -> String {
    match harness::execute_within(env, "invalid", DEADLINE) {
        Err(JobError::InvalidGraph(m)) => m,
        Err(e) => panic!("expected an invalid graph, got {e:?}"),
        Ok(_) => panic!("expected an invalid graph, but the job ran"),
    }
}

#[test]
fn parallelism_above_the_jobs_max_parallelism_is_rejected() {
    let env = StreamExecutionEnvironment::new().with_max_parallelism(4);
    env.from_sequence(1, 10).map(|x: i64| x).set_parallelism(8).name("too wide").collect();
    let m = invalid_graph(&env);
    assert!(m.contains("too wide") && m.contains('8') && m.contains("max parallelism 4"), "{m}");
}

#[test]
fn parallelism_above_an_operators_max_parallelism_is_rejected() {
    let env = StreamExecutionEnvironment::new();
    env.from_sequence(1, 10)
        .key_by(|x: &i64| *x)
        .reduce(|a, b| a + b)
        .set_parallelism(3)
        .set_max_parallelism(2)
        .name("tiny keyspace")
        .collect();
    let m = invalid_graph(&env);
    assert!(m.contains("tiny keyspace") && m.contains("parallelism 3") && m.contains("max parallelism 2"), "{m}");
}

#[test]
fn the_job_default_parallelism_above_max_is_rejected_for_the_first_operator() {
    let env = StreamExecutionEnvironment::new().with_parallelism(8).with_max_parallelism(4);
    env.from_sequence(1, 10).collect();
    let m = invalid_graph(&env);
    assert!(m.contains("Source: Sequence Source") && m.contains("parallelism 8"), "{m}");
}

#[test]
fn forward_between_different_parallelisms_is_rejected_suggesting_rebalance() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    env.from_sequence(1, 10).name("two").forward().map(|x: i64| x).set_parallelism(3).name("three").collect();
    // explain() reports the mistake too, without consuming the graph
    assert!(matches!(env.explain(), Err(JobError::InvalidGraph(_))), "{:?}", env.explain());
    let m = invalid_graph(&env);
    assert!(m.contains("forward") && m.contains("two") && m.contains("three"), "{m}");
    assert!(m.contains("rebalance()"), "suggests rebalance: {m}");
}

#[test]
fn zero_and_out_of_range_settings_are_rejected() {
    let cases: Vec<(&str, StreamExecutionEnvironment, &str)> = vec![
        ("job parallelism 0", StreamExecutionEnvironment::new().with_parallelism(0), "parallelism"),
        ("batch size 0", StreamExecutionEnvironment::new().with_batch_size(0), "batch size"),
        ("channel capacity 0", StreamExecutionEnvironment::new().with_channel_capacity(0), "channel capacity"),
        ("max parallelism 0", StreamExecutionEnvironment::new().with_max_parallelism(0), "max parallelism"),
        (
            "max parallelism 2^15 + 1",
            StreamExecutionEnvironment::new().with_max_parallelism((1 << 15) + 1),
            "max parallelism",
        ),
    ];
    for (what, env, needle) in cases {
        env.from_collection(vec![1]).collect();
        let m = invalid_graph(&env);
        assert!(m.contains(needle), "{what}: {m}");
    }
    let env = StreamExecutionEnvironment::new();
    env.from_collection(vec![1]).map(|x: i32| x).set_parallelism(0).name("nobody").collect();
    let m = invalid_graph(&env);
    assert!(m.contains("nobody") && m.contains("at least 1"), "{m}");
}

#[test]
fn settings_on_a_union_are_rejected() {
    let env = StreamExecutionEnvironment::new();
    let a = env.from_collection(vec![1]);
    let b = env.from_collection(vec![2]);
    a.union(&b).set_parallelism(2).collect();
    let m = invalid_graph(&env);
    assert!(m.contains("set_parallelism") && m.contains("union"), "{m}");
}
