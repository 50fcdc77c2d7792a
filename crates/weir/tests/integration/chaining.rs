//! End to end: operator chaining as Flink builds it, read from `env.explain()` — forward
//! edges between equal parallelisms chain; `start_new_chain`, `disable_chaining`, the
//! job-wide switch, other partitioners, different parallelisms and several inputs break
//! chains — and the same job gives the same results chained and unchained.

use crate::harness;

use harness::{group_by_first, run, sorted};
use weir::prelude::*;

fn plan(env: &StreamExecutionEnvironment) -> String {
    env.explain().expect("a valid graph")
}

#[test]
fn forward_edges_between_equal_parallelism_chain_and_key_by_breaks_the_chain() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    env.from_sequence(1, 100)
        .map(|x: i64| x + 1)
        .filter(|x: &i64| x % 2 == 0)
        .key_by(|x: &i64| x % 10)
        .reduce(|a: i64, b: i64| a + b)
        .collect();
    assert_eq!(
        plan(&env),
        "Source: Sequence Source -> Map -> Filter (p=2)\n  --HASH--> Keyed Reduce\nKeyed Reduce -> Sink: Collect (p=2)"
    );
}

#[test]
fn different_parallelism_breaks_the_chain_with_a_rebalance() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    env.from_sequence(1, 100).map(|x: i64| x).set_parallelism(3).collect();
    assert_eq!(
        plan(&env),
        "Source: Sequence Source (p=2)\n  --REBALANCE--> Map\nMap (p=3)\n  --REBALANCE--> Sink: Collect\nSink: Collect (p=2)"
    );
}

/// Source → double → evens → negate → collect, with `configure` applied to `evens`.
fn four_stages(env: &StreamExecutionEnvironment, configure: impl FnOnce(DataStream<i64>) -> DataStream<i64>) {
    let doubled = env.from_sequence(1, 10).map(|x: i64| x * 2).name("double");
    let evens = configure(doubled.filter(|x: &i64| x % 4 == 0).name("evens"));
    evens.map(|x: i64| -x).name("negate").collect();
}

#[test]
fn start_new_chain_starts_a_chain_its_successors_join() {
    let env = StreamExecutionEnvironment::new();
    four_stages(&env, |s| s.start_new_chain());
    assert_eq!(
        plan(&env),
        "Source: Sequence Source -> double (p=1)\n  --FORWARD--> evens\nevens -> negate -> Sink: Collect (p=1)"
    );
}

#[test]
fn disable_chaining_isolates_the_operator() {
    let env = StreamExecutionEnvironment::new();
    four_stages(&env, |s| s.disable_chaining());
    assert_eq!(
        plan(&env),
        "Source: Sequence Source -> double (p=1)\n  --FORWARD--> evens\nevens (p=1)\n  --FORWARD--> negate\nnegate -> Sink: Collect (p=1)"
    );
}

#[test]
fn disable_operator_chaining_on_the_environment_makes_every_operator_a_task() {
    let env = StreamExecutionEnvironment::new().disable_operator_chaining();
    four_stages(&env, |s| s);
    assert_eq!(
        plan(&env),
        "Source: Sequence Source (p=1)\n  --FORWARD--> double\ndouble (p=1)\n  --FORWARD--> evens\nevens (p=1)\n  --FORWARD--> negate\nnegate (p=1)\n  --FORWARD--> Sink: Collect\nSink: Collect (p=1)"
    );
}

#[test]
fn a_sink_can_leave_the_chain() {
    let env = StreamExecutionEnvironment::new();
    env.from_sequence(1, 10).map(|x: i64| x).name("m").print().name("out").disable_chaining();
    assert_eq!(plan(&env), "Source: Sequence Source -> m (p=1)\n  --FORWARD--> out\nout (p=1)");
}

#[test]
fn every_partitioner_but_forward_breaks_the_chain_even_at_equal_parallelism() {
    type Partition = fn(&DataStream<i64>) -> DataStream<i64>;
    let cases: [(Partition, &str); 6] = [
        (|s| s.rebalance(), "REBALANCE"),
        (|s| s.rescale(), "RESCALE"),
        (|s| s.shuffle(), "SHUFFLE"),
        (|s| s.broadcast(), "BROADCAST"),
        (|s| s.global(), "GLOBAL"),
        (|s| s.partition_custom(|k: &i64, n: usize| *k as usize % n, |x: &i64| *x), "CUSTOM"),
    ];
    for (partition, name) in cases {
        let env = StreamExecutionEnvironment::new().with_parallelism(2);
        let doubled = env.from_sequence(1, 10).map(|x: i64| x * 2).name("double");
        partition(&doubled).filter(|x: &i64| x % 4 == 0).name("evens").collect();
        assert_eq!(
            plan(&env),
            format!("Source: Sequence Source -> double (p=2)\n  --{name}--> evens\nevens -> Sink: Collect (p=2)"),
            "{name}"
        );
    }
}

#[test]
fn an_operator_with_two_inputs_heads_its_own_chain() {
    let env = StreamExecutionEnvironment::new();
    let left = env.from_collection(vec![1i64]).name("left");
    let right = env.from_collection(vec![2i64]).name("right");
    left.union(&right).map(|x: i64| x).collect();
    assert_eq!(
        plan(&env),
        "left (p=1)\n  --FORWARD--> Map\nright (p=1)\n  --FORWARD--> Map\nMap -> Sink: Collect (p=1)"
    );

    let env = StreamExecutionEnvironment::new();
    let left = env.from_collection(vec![1i64]).name("left");
    let right = env.from_collection(vec![2i64]).name("right");
    left.connect(&right).map(|x: i64| x, |y: i64| y).collect();
    assert_eq!(
        plan(&env),
        "left (p=1)\n  --FORWARD--> Co-Map\nright (p=1)\n  --FORWARD--> Co-Map\nCo-Map -> Sink: Collect (p=1)"
    );
}

#[test]
fn a_stream_read_by_two_consumers_chains_both() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let s = env.from_sequence(1, 10);
    s.map(|x: i64| x).name("a").collect();
    s.filter(|_: &i64| true).name("b").collect();
    let p = plan(&env);
    // one task runs everything: no edge leaves the chain
    assert_eq!(p.lines().count(), 1, "{p}");
    assert!(p.ends_with("(p=2)"), "{p}");
    for name in ["Source: Sequence Source", "a", "b", "Sink: Collect"] {
        assert!(p.contains(name), "{name} in {p}");
    }
}

#[test]
fn a_side_output_consumer_chains_to_its_producer() {
    let env = StreamExecutionEnvironment::new();
    let odd = OutputTag::<i64>::new("odd");
    let main = env.from_sequence(1, 10).process(ProcessFn::new({
        let odd = odd.clone();
        move |v: i64, ctx: &mut Context, out: &mut Collector<i64>| {
            if v % 2 == 1 {
                ctx.output(&odd, v)
            } else {
                out.collect(v)
            }
            Ok(())
        }
    }));
    main.get_side_output(&odd).map(|x: i64| x).name("odd only").print().name("odd out");
    assert_eq!(plan(&env), "Source: Sequence Source -> Process -> odd only -> odd out (p=1)");
}

/// The same pipeline on one subtask: map, filter, flat_map, a process function with a
/// running count, a keyed running count.
fn pipeline(env: &StreamExecutionEnvironment, isolate: bool) -> weir::connectors::CollectHandle<(i64, u64, u64)> {
    let mapped = env.from_collection((0i64..2000).collect()).map(|x: i64| x * 3);
    let mapped = if isolate { mapped.disable_chaining() } else { mapped };
    let filtered = mapped.filter(|x: &i64| x % 2 == 0);
    let filtered = if isolate { filtered.disable_chaining() } else { filtered };
    let mut count = 0u64;
    filtered
        .flat_map(|x: i64, out: &mut Collector<i64>| {
            out.collect(x);
            if x % 10 == 0 {
                out.collect(-x)
            }
        })
        .map(move |x: i64| {
            count += 1;
            (x, count)
        })
        .key_by(|r: &(i64, u64)| r.0.rem_euclid(7))
        .process(KeyedProcessFn::new(
            |r: (i64, u64), _ctx: &mut KeyedContext<i64>, out: &mut Collector<(i64, u64, u64)>| {
                out.collect((r.0, r.1, r.1 * 2));
                Ok(())
            },
        ))
        .collect()
}

/// What `pipeline` must emit, computed directly.
fn expected_pipeline() -> Vec<(i64, u64, u64)> {
    let mut out = Vec::new();
    let mut count = 0u64;
    for x in (0i64..2000).map(|x| x * 3).filter(|x| x % 2 == 0) {
        let mut emit = |v: i64| {
            count += 1;
            out.push((v, count, count * 2));
        };
        emit(x);
        if x % 10 == 0 {
            emit(-x);
        }
    }
    out
}

#[test]
fn chained_and_unchained_plans_give_the_same_output_in_order_on_one_subtask() {
    let expected = expected_pipeline();
    let runs = [
        ("chained", StreamExecutionEnvironment::new(), false),
        ("operators isolated", StreamExecutionEnvironment::new(), true),
        ("chaining off", StreamExecutionEnvironment::new().disable_operator_chaining(), false),
    ];
    for (what, env, isolate) in runs {
        let env = env.with_batch_size(64);
        let got = pipeline(&env, isolate);
        run(&env, what);
        assert_eq!(got.take(), expected, "{what}");
    }
}

#[test]
fn chained_and_unchained_plans_give_the_same_multiset_at_parallelism_three() {
    let build = |env: &StreamExecutionEnvironment| {
        env.from_sequence(1, 3000)
            .map(|x: i64| x * 7)
            .filter(|x: &i64| x % 3 != 0)
            .key_by(|x: &i64| x % 11)
            .process(KeyedProcessFn::new(|x: i64, ctx: &mut KeyedContext<i64>, out: &mut Collector<(i64, i64)>| {
                out.collect((*ctx.current_key(), x));
                Ok(())
            }))
            .collect()
    };
    // 7x is a multiple of 3 exactly when x is: 2000 records remain
    let expected: Vec<(i64, i64)> =
        sorted((1..=3000).map(|x| x * 7).filter(|x| x % 3 != 0).map(|x| (x % 11, x)).collect());
    for env in [StreamExecutionEnvironment::new(), StreamExecutionEnvironment::new().disable_operator_chaining()] {
        let env = env.with_parallelism(3);
        let got = build(&env);
        run(&env, "p=3");
        let got = got.take();
        assert_eq!(sorted(got.clone()), expected);
        assert_eq!(group_by_first(&got).len(), 11);
    }
}

#[test]
fn a_chained_fan_out_is_named_with_branches_as_flink_does() {
    let env = StreamExecutionEnvironment::new();
    let source = env.from_sequence(1, 4);
    source.map(|x: i64| x).name("a").collect();
    source.filter(|x: &i64| *x > 0).name("b").map(|x: i64| x).name("c").collect();
    assert_eq!(plan(&env), "Source: Sequence Source -> (a -> Sink: Collect, b -> c -> Sink: Collect) (p=1)");
}

#[test]
fn a_stream_kept_from_an_executed_job_reruns_its_pipeline() {
    let env = StreamExecutionEnvironment::new();
    let numbers = env.from_sequence(1, 3);
    let first = numbers.map(|x: i64| x + 1).collect();
    run(&env, "job");
    assert_eq!(first.take(), vec![2, 3, 4]);
    // The second job holds the old source again plus the new map and sink — not the
    // first job's map and sink.
    let second = numbers.map(|x: i64| x * 10).collect();
    assert_eq!(plan(&env), "Source: Sequence Source -> Map -> Sink: Collect (p=1)");
    run(&env, "job");
    assert_eq!(second.take(), vec![10, 20, 30]);
    assert!(first.take().is_empty(), "the first job's sink did not run again");
}
