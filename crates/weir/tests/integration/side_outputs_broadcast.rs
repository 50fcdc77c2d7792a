//! End to end: side outputs (`OutputTag`) from process, keyed-process and co-process
//! functions — read by one consumer, by two, at another parallelism, or by nobody — and
//! broadcast state (`BroadcastProcessFunction`) with parallelism above 1.

use crate::harness;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use harness::{group_by_first, run, sorted, GatedSource};
use weir::functions::{BroadcastContext, ReadOnlyBroadcastContext};
use weir::prelude::*;
use weir_runtime::SubtaskInfo;

/// Splits numbers: multiples of 3 to "fizz" (as text), negatives to "negative", the rest
/// to the main output.
#[derive(Clone)]
struct Splitter {
    fizz: OutputTag<String>,
    negative: OutputTag<i64>,
}

impl Splitter {
    fn new() -> Self {
        Splitter { fizz: OutputTag::new("fizz"), negative: OutputTag::new("negative") }
    }
}

impl ProcessFunction<i64, i64> for Splitter {
    fn process_element(&mut self, v: i64, ctx: &mut Context, out: &mut Collector<i64>) -> Result<(), BoxError> {
        if v < 0 {
            ctx.output(&self.negative, v);
        } else if v % 3 == 0 {
            ctx.output(&self.fizz, format!("fizz{v}"));
        } else {
            out.collect(v);
        }
        Ok(())
    }
}

fn numbers() -> Vec<i64> {
    vec![1, -1, 2, 3, -6, 4, 6, 7, 9]
}

#[test]
fn two_side_outputs_of_different_types_and_the_main_output() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let splitter = Splitter::new();
    let main = env.from_collection(numbers()).rebalance().process(splitter.clone());
    let fizz = main.get_side_output(&splitter.fizz).collect();
    let negative = main.get_side_output(&splitter.negative).collect();
    let rest = main.collect();
    run(&env, "side outputs");
    assert_eq!(sorted(rest.take()), vec![1, 2, 4, 7]);
    assert_eq!(sorted(fizz.take()), vec!["fizz3", "fizz6", "fizz9"]);
    assert_eq!(sorted(negative.take()), vec![-6, -1]);
}

#[test]
fn a_side_output_nobody_reads_is_dropped_without_harm() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let splitter = Splitter::new();
    let main = env.from_collection(numbers()).process(splitter.clone());
    // only "negative" is read; "fizz" records go nowhere
    let negative = main.get_side_output(&splitter.negative).collect();
    let rest = main.collect();
    run(&env, "unread side output");
    assert_eq!(sorted(rest.take()), vec![1, 2, 4, 7]);
    assert_eq!(sorted(negative.take()), vec![-6, -1]);

    // and with no side output read at all
    let env = StreamExecutionEnvironment::new();
    let rest = env.from_collection(numbers()).process(Splitter::new()).collect();
    run(&env, "no side output read");
    assert_eq!(rest.take(), vec![1, 2, 4, 7]);
}

#[test]
fn a_side_output_read_twice_feeds_both_readers() {
    let env = StreamExecutionEnvironment::new();
    let splitter = Splitter::new();
    let main = env.from_collection(numbers()).process(splitter.clone());
    let first = main.get_side_output(&splitter.negative).map(|v: i64| v * 10).collect();
    let second = main.get_side_output(&splitter.negative).collect();
    run(&env, "side output twice");
    assert_eq!(first.take(), vec![-10, -60]);
    assert_eq!(second.take(), vec![-1, -6]);
}

#[test]
fn a_side_output_consumer_at_another_parallelism() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let splitter = Splitter::new();
    let values: Vec<i64> = (-300..300).collect();
    let main = env.from_collection(values).rebalance().process(splitter.clone());
    let negatives = harness::tag_subtask(&main.get_side_output(&splitter.negative)).set_parallelism(3).collect();
    main.filter(|_: &i64| false).collect();
    run(&env, "side output rebalanced");
    let got = negatives.take();
    assert_eq!(sorted(got.iter().map(|(_, v)| *v).collect()), (-300..0).collect::<Vec<_>>());
    assert_eq!(group_by_first(&got).len(), 3, "rebalanced over the consumer's 3 subtasks");
}

#[test]
fn keyed_process_function_side_output() {
    let late = OutputTag::<(String, u32)>::new("repeated");
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let words: Vec<String> = "a b a c b a d".split(' ').map(String::from).collect();
    #[derive(Clone)]
    struct FirstSeen {
        tag: OutputTag<(String, u32)>,
        seen: Option<ValueState<u32>>,
    }
    impl KeyedProcessFunction<String, String, String> for FirstSeen {
        fn open(&mut self, ctx: &mut weir::functions::RuntimeContext<String>) -> Result<(), BoxError> {
            self.seen = Some(ctx.get_state(&ValueStateDescriptor::new("seen"))?);
            Ok(())
        }
        fn process_element(
            &mut self,
            w: String,
            ctx: &mut KeyedContext<String>,
            out: &mut Collector<String>,
        ) -> Result<(), BoxError> {
            let seen = self.seen.expect("opened");
            let n = seen.value(ctx)?.unwrap_or(0) + 1;
            seen.update(ctx, n)?;
            if n == 1 {
                out.collect(w);
            } else {
                ctx.output(&self.tag, (w, n));
            }
            Ok(())
        }
    }
    let firsts =
        env.from_collection(words).key_by(|w: &String| w.clone()).process(FirstSeen { tag: late.clone(), seen: None });
    let repeats = firsts.get_side_output(&late).collect();
    let firsts = firsts.collect();
    run(&env, "keyed side output");
    assert_eq!(sorted(firsts.take()), vec!["a", "b", "c", "d"]);
    assert_eq!(sorted(repeats.take()), vec![("a".to_string(), 2), ("a".into(), 3), ("b".into(), 2)]);
}

#[test]
fn co_process_function_side_output() {
    #[derive(Clone)]
    struct Route {
        odd: OutputTag<i64>,
    }
    impl CoProcessFunction<i64, String, String> for Route {
        fn process_element1(&mut self, v: i64, ctx: &mut Context, out: &mut Collector<String>) -> Result<(), BoxError> {
            if v % 2 == 1 {
                ctx.output(&self.odd, v);
            } else {
                out.collect(v.to_string());
            }
            Ok(())
        }
        fn process_element2(
            &mut self,
            s: String,
            _ctx: &mut Context,
            out: &mut Collector<String>,
        ) -> Result<(), BoxError> {
            out.collect(s);
            Ok(())
        }
    }
    let odd = OutputTag::<i64>::new("odd");
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let main = env
        .from_sequence(1, 6)
        .connect(&env.from_collection(vec!["x".to_string()]))
        .process(Route { odd: odd.clone() });
    let odds = main.get_side_output(&odd).collect();
    let main = main.collect();
    run(&env, "co-process side output");
    assert_eq!(sorted(main.take()), vec!["2", "4", "6", "x"]);
    assert_eq!(sorted(odds.take()), vec![1, 3, 5]);
}

#[test]
fn get_side_output_of_a_union_is_rejected() {
    let env = StreamExecutionEnvironment::new();
    let tag = OutputTag::<i64>::new("t");
    let a = env.from_collection(vec![1i64]);
    a.union(&env.from_collection(vec![2i64])).get_side_output(&tag).collect();
    match harness::execute_within(&env, "side output of a union", harness::DEADLINE) {
        Err(JobError::InvalidGraph(m)) => assert!(m.contains("'t'") && m.contains("single operator"), "{m}"),
        other => panic!("expected an invalid graph, got {:?}", other.map(|_| ())),
    }
}

/// Broadcast state: thresholds per name, sent to every subtask. Broadcast records are
/// answered with `(subtask, "rule", name)`; main records with what the subtask's copy of
/// the state says about them.
#[derive(Clone)]
struct Thresholds {
    subtask: usize,
    rules_applied: Arc<AtomicUsize>,
}

impl BroadcastProcessFunction<(String, i64), (String, i64), (usize, String, String), String, i64> for Thresholds {
    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.subtask = subtask.index;
        Ok(())
    }

    fn process_element(
        &mut self,
        (name, v): (String, i64),
        ctx: &ReadOnlyBroadcastContext<String, i64>,
        out: &mut Collector<(usize, String, String)>,
    ) -> Result<(), BoxError> {
        let verdict = match ctx.broadcast_state().get(&name) {
            None => "no rule".to_string(),
            Some(t) if v > *t => format!("{v} above {t}"),
            Some(t) => format!("{v} within {t}"),
        };
        out.collect((self.subtask, name, verdict));
        Ok(())
    }

    fn process_broadcast_element(
        &mut self,
        (name, t): (String, i64),
        ctx: &mut BroadcastContext<String, i64>,
        out: &mut Collector<(usize, String, String)>,
    ) -> Result<(), BoxError> {
        ctx.broadcast_state().insert(name.clone(), t);
        out.collect((self.subtask, "rule".into(), name));
        self.rules_applied.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn broadcast_state_reaches_every_parallel_instance() {
    let parallelism = 3;
    let rules = vec![("a".to_string(), 10i64), ("b".into(), 20), ("a".into(), 15)]; // a's rule is replaced
    let rules_applied = Arc::new(AtomicUsize::new(0));
    let env = StreamExecutionEnvironment::new().with_parallelism(parallelism);
    // The main input waits until every instance has applied every rule, so the verdicts
    // do not depend on how the two inputs interleave.
    let all_applied = {
        let applied = rules_applied.clone();
        move || applied.load(Ordering::SeqCst) == parallelism * 3
    };
    let values: Vec<(String, i64)> = (0..30).map(|i| (["a", "b", "c"][i % 3].to_string(), i as i64)).collect();
    let main = env
        .from_source(GatedSource::new(values, all_applied), WatermarkStrategy::no_watermarks(), "values")
        .set_parallelism(1)
        .rebalance();
    let broadcast = env.from_collection(rules).broadcast_state(MapStateDescriptor::<String, i64>::new("thresholds"));
    let got = main
        .connect_broadcast(&broadcast)
        .process(Thresholds { subtask: 0, rules_applied: rules_applied.clone() })
        .collect();
    run(&env, "broadcast state");
    let got = got.take();

    let rule_records: Vec<(usize, String)> =
        got.iter().filter(|(_, k, _)| k == "rule").map(|(s, _, n)| (*s, n.clone())).collect();
    let per_subtask = group_by_first(&rule_records);
    assert_eq!(per_subtask.len(), parallelism);
    for (subtask, names) in per_subtask {
        assert_eq!(names, vec!["a", "b", "a"], "subtask {subtask} sees every rule, in order");
    }

    let mut verdicts: Vec<(String, String)> =
        got.iter().filter(|(_, k, _)| k != "rule").map(|(_, k, v)| (k.clone(), v.clone())).collect();
    verdicts.sort();
    let mut expected: Vec<(String, String)> = (0..30i64)
        .map(|i| match i % 3 {
            0 => ("a".to_string(), if i > 15 { format!("{i} above 15") } else { format!("{i} within 15") }),
            1 => ("b".to_string(), if i > 20 { format!("{i} above 20") } else { format!("{i} within 20") }),
            _ => ("c".to_string(), "no rule".to_string()),
        })
        .collect();
    expected.sort();
    assert_eq!(verdicts, expected);
    let used: std::collections::BTreeSet<usize> =
        got.iter().filter(|(_, k, _)| k != "rule").map(|(s, _, _)| *s).collect();
    assert_eq!(used.len(), parallelism, "main records were spread over every instance");
}
