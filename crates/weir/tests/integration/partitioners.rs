//! End to end: every partitioner, observed through the subtask indices of the producer
//! and of the consumer — forward, rebalance, rescale, shuffle, broadcast, global, key_by
//! (checked against Flink's key-group math) and partition_custom — and end of input
//! passing through each of them.

use crate::harness;

use std::collections::{BTreeMap, BTreeSet};

use harness::{group_by_first, run, run_expecting_failure, sorted, tag_subtask, DEADLINE};
use weir::functions::RuntimeContext;
use weir::prelude::*;
use weir_core::key_group::{assign_to_key_group, operator_index_for_key_group};
use weir_core::KeyGroupRange;

/// Records tagged `(producer subtask, consumer subtask, value)` across `partition`.
fn across<F>(
    source: DataStream<i64>,
    consumers: usize,
    partition: F,
) -> weir::connectors::CollectHandle<(usize, usize, i64)>
where
    F: Fn(&DataStream<(usize, i64)>) -> DataStream<(usize, i64)>,
{
    let produced = tag_subtask(&source);
    let consumed = tag_subtask(&partition(&produced)).set_parallelism(consumers);
    consumed.map(|(c, (p, v)): (usize, (usize, i64))| (p, c, v)).collect()
}

/// How many records each (producer, consumer) pair carried.
fn counts(triples: &[(usize, usize, i64)]) -> BTreeMap<(usize, usize), usize> {
    let mut counts = BTreeMap::new();
    for &(p, c, _) in triples {
        *counts.entry((p, c)).or_insert(0) += 1;
    }
    counts
}

#[test]
fn forward_keeps_each_record_on_the_same_subtask_index() {
    let env = StreamExecutionEnvironment::new().with_parallelism(4);
    let got = across(env.from_sequence(1, 100), 4, |s| s.forward());
    run(&env, "forward");
    let got = got.take();
    assert_eq!(got.len(), 100);
    for (p, c, v) in got {
        assert_eq!(p, c, "record {v}");
        // fromSequence(1, 100) at p=4: subtask i reads 25i+1..=25i+25
        assert_eq!(p, ((v - 1) / 25) as usize, "record {v}");
    }
}

#[test]
fn forward_across_a_task_boundary() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let produced = tag_subtask(&env.from_sequence(1, 90));
    let consumed = tag_subtask(&produced.forward()).disable_chaining().collect();
    assert!(env.explain().unwrap().contains("--FORWARD--> Process"), "{}", env.explain().unwrap());
    run(&env, "forward unchained");
    let got = consumed.take();
    assert_eq!(got.len(), 90);
    for (c, (p, v)) in &got {
        assert_eq!(p, c, "record {v}");
    }
    // one producer per channel: each consumer sees its producer's records in order
    let per_consumer = group_by_first(&got.iter().map(|(c, (_, v))| (*c, *v)).collect::<Vec<_>>());
    assert_eq!(per_consumer[&1], (31..=60).collect::<Vec<_>>());
}

#[test]
fn rebalance_spreads_each_producers_records_evenly() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    // fromSequence(1, 1001) at p=2: producer 0 reads 500 records, producer 1 reads 501
    let got = across(env.from_sequence(1, 1001), 4, |s| s.rebalance());
    run(&env, "rebalance");
    let got = got.take();
    assert_eq!(sorted(got.iter().map(|t| t.2).collect()), (1..=1001).collect::<Vec<_>>());
    let counts = counts(&got);
    for (producer, total) in [(0, 500), (1, 501)] {
        let per: Vec<usize> = (0..4).map(|c| counts.get(&(producer, c)).copied().unwrap_or(0)).collect();
        assert_eq!(per.iter().sum::<usize>(), total);
        let (min, max) = (per.iter().min().unwrap(), per.iter().max().unwrap());
        assert!(max - min <= 1, "producer {producer} spread {per:?}");
    }
}

#[test]
fn rescale_from_two_to_four_feeds_local_groups() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let got = across(env.from_sequence(1, 1001), 4, |s| s.rescale());
    run(&env, "rescale 2->4");
    let got = got.take();
    assert_eq!(got.len(), 1001);
    let counts = counts(&got);
    // producer 0 feeds consumers 0 and 1 only, producer 1 feeds 2 and 3 only, round robin
    let pairs: BTreeSet<(usize, usize)> = counts.keys().copied().collect();
    assert_eq!(pairs, BTreeSet::from([(0, 0), (0, 1), (1, 2), (1, 3)]));
    assert_eq!(counts[&(0, 0)] + counts[&(0, 1)], 500);
    assert!(counts[&(0, 0)].abs_diff(counts[&(0, 1)]) <= 1, "{counts:?}");
    assert_eq!(counts[&(1, 2)] + counts[&(1, 3)], 501);
    assert!(counts[&(1, 2)].abs_diff(counts[&(1, 3)]) <= 1, "{counts:?}");
}

#[test]
fn rescale_from_four_to_two_merges_neighbours() {
    let env = StreamExecutionEnvironment::new().with_parallelism(4);
    let got = across(env.from_sequence(1, 400), 2, |s| s.rescale());
    run(&env, "rescale 4->2");
    let pairs: BTreeSet<(usize, usize)> = counts(&got.take()).keys().copied().collect();
    assert_eq!(pairs, BTreeSet::from([(0, 0), (1, 0), (2, 1), (3, 1)]));
}

#[test]
fn rescale_from_three_to_two_groups_producers_as_flink_does() {
    // Flink (EdgeManagerBuildUtil.connectPointwise, sourceCount > targetCount): consumer t
    // reads producers [t·3/2, (t+1)·3/2), i.e. consumer 0 ← {0}, consumer 1 ← {1, 2}.
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let got = across(env.from_sequence(1, 300), 2, |s| s.rescale());
    run(&env, "rescale 3->2");
    let pairs: BTreeSet<(usize, usize)> = counts(&got.take()).keys().copied().collect();
    assert_eq!(pairs, BTreeSet::from([(0, 0), (1, 1), (2, 1)]));
}

#[test]
fn shuffle_delivers_everything_roughly_evenly() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let got = across(env.from_sequence(1, 4000), 4, |s| s.shuffle());
    run(&env, "shuffle");
    let got = got.take();
    assert_eq!(sorted(got.iter().map(|t| t.2).collect()), (1..=4000).collect::<Vec<_>>());
    let mut per_consumer = [0usize; 4];
    for (_, c, _) in &got {
        per_consumer[*c] += 1;
    }
    // 1000 expected each; a uniform choice strays by ~27 (one standard deviation)
    assert!(per_consumer.iter().all(|&n| (800..=1200).contains(&n)), "{per_consumer:?}");
    // records of one producer go to several consumers, not all to one
    let c = counts(&got);
    assert!((0..4).all(|consumer| c.contains_key(&(0, consumer)) && c.contains_key(&(1, consumer))), "{c:?}");
}

#[test]
fn broadcast_gives_every_subtask_every_record_in_order() {
    let env = StreamExecutionEnvironment::new();
    let got = tag_subtask(&env.from_collection(vec![1i64, 2, 3, 4, 5]).broadcast()).set_parallelism(4).collect();
    run(&env, "broadcast");
    let per_subtask = group_by_first(&got.take());
    assert_eq!(per_subtask.len(), 4);
    for (subtask, values) in per_subtask {
        assert_eq!(values, vec![1, 2, 3, 4, 5], "subtask {subtask}");
    }
}

#[test]
fn broadcast_from_two_producers_to_three_consumers() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let got = across(env.from_sequence(1, 10), 3, |s| s.broadcast());
    run(&env, "broadcast 2->3");
    let got = got.take();
    assert_eq!(got.len(), 30);
    let per_consumer = group_by_first(&got.iter().map(|(_, c, v)| (*c, *v)).collect::<Vec<_>>());
    for consumer in 0..3 {
        assert_eq!(sorted(per_consumer[&consumer].clone()), (1..=10).collect::<Vec<_>>(), "consumer {consumer}");
    }
}

#[test]
fn global_sends_everything_to_subtask_zero() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let got = across(env.from_sequence(1, 100), 4, |s| s.global());
    run(&env, "global");
    let got = got.take();
    assert_eq!(got.len(), 100);
    assert!(got.iter().all(|(_, c, _)| *c == 0), "{got:?}");
    assert_eq!(counts(&got).keys().map(|(p, _)| *p).collect::<BTreeSet<_>>(), BTreeSet::from([0, 1, 2]));
}

/// Emits `(key, subtask index, max parallelism)` as the keyed operator sees them.
#[derive(Clone, Default)]
struct WhereAmI {
    subtask: usize,
    max_parallelism: usize,
}

impl KeyedProcessFunction<String, String, (String, usize, usize)> for WhereAmI {
    fn open(&mut self, ctx: &mut RuntimeContext<String>) -> Result<(), BoxError> {
        self.subtask = ctx.subtask().index;
        self.max_parallelism = ctx.subtask().max_parallelism;
        Ok(())
    }
    fn process_element(
        &mut self,
        key: String,
        _ctx: &mut KeyedContext<String>,
        out: &mut Collector<(String, usize, usize)>,
    ) -> Result<(), BoxError> {
        out.collect((key, self.subtask, self.max_parallelism));
        Ok(())
    }
}

/// Keys `user-0..500`, each three times, from two producers; checks that every record
/// of a key lands on the subtask Flink's key-group assignment picks.
fn check_key_routing(
    env: StreamExecutionEnvironment,
    parallelism: usize,
    operator_max: Option<usize>,
    expected_max: usize,
) {
    let keys: Vec<String> = (0..1500).map(|i| format!("user-{}", i % 500)).collect();
    let mut keyed = env
        .from_collection(keys)
        .rebalance()
        .map(|k: String| k)
        .set_parallelism(2)
        .key_by(|k: &String| k.clone())
        .process(WhereAmI::default())
        .set_parallelism(parallelism);
    if let Some(m) = operator_max {
        keyed = keyed.set_max_parallelism(m);
    }
    let got = keyed.collect();
    run(&env, "key routing");
    let got = got.take();
    assert_eq!(got.len(), 1500);
    let mut used = BTreeSet::new();
    for (key, subtask, max) in got {
        assert_eq!(max, expected_max);
        let kg = assign_to_key_group(&key, expected_max);
        assert_eq!(subtask, operator_index_for_key_group(expected_max, parallelism, kg), "{key} (key group {kg})");
        assert!(KeyGroupRange::for_operator(expected_max, parallelism, subtask).contains(kg));
        used.insert(subtask);
    }
    assert_eq!(used.len(), parallelism, "500 keys reach every subtask");
}

#[test]
fn key_by_routes_by_flinks_key_group_math_at_parallelism_1_to_4() {
    for p in 1..=4 {
        // default max parallelism for small parallelism: 128
        check_key_routing(StreamExecutionEnvironment::new(), p, None, 128);
    }
}

#[test]
fn key_by_uses_the_jobs_max_parallelism() {
    check_key_routing(StreamExecutionEnvironment::new().with_max_parallelism(7), 3, None, 7);
}

#[test]
fn key_by_uses_the_operators_max_parallelism() {
    check_key_routing(StreamExecutionEnvironment::new().with_max_parallelism(7), 5, Some(12), 12);
}

#[test]
fn key_by_integer_keys() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let got = tag_subtask(&env.from_sequence(0, 299).key_by(|x: &i64| x % 50).as_stream().clone()).collect();
    run(&env, "int keys");
    for (subtask, x) in got.take() {
        let key = x % 50;
        assert_eq!(subtask, operator_index_for_key_group(128, 3, assign_to_key_group(&key, 128)), "{x}");
    }
}

#[test]
fn partition_custom_routes_by_the_users_function() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let got = tag_subtask(&env.from_sequence(0, 99).partition_custom(
        |k: &i64, n: usize| {
            assert_eq!(n, 3, "the partitioner is told the number of consumers");
            (*k as usize) % n
        },
        |x: &i64| x / 10,
    ))
    .set_parallelism(3)
    .collect();
    run(&env, "custom");
    let got = got.take();
    assert_eq!(got.len(), 100);
    for (subtask, x) in got {
        assert_eq!(subtask, ((x / 10) % 3) as usize, "{x}");
    }
}

#[test]
fn partition_custom_out_of_range_fails_naming_the_operator() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let routed =
        env.from_sequence(1, 100).map(|x: i64| x).name("router").partition_custom(|_: &i64, n: usize| n, |x: &i64| *x);
    routed.map(|x: i64| x).set_parallelism(3).collect();
    let err = run_expecting_failure(&env, "custom out of range", DEADLINE);
    let message = err.to_string();
    assert!(matches!(err, JobError::Operator { .. }), "{err:?}");
    assert!(message.contains("router ("), "names the operator: {message}");
    assert!(message.contains("/2)"), "names the subtask: {message}");
    assert!(message.contains('3'), "says how many channels there are: {message}");
}

#[test]
fn partition_custom_out_of_range_fails_even_with_one_consumer() {
    // Flink calls the partitioner for every record and fails on channel 1 of 1; the
    // record must not silently go to subtask 0.
    let env = StreamExecutionEnvironment::new();
    let routed =
        env.from_sequence(1, 100).map(|x: i64| x).name("router").partition_custom(|_: &i64, n: usize| n, |x: &i64| *x);
    routed.map(|x: i64| x).disable_chaining().collect();
    let result = harness::execute_within(&env, "custom out of range, one consumer", DEADLINE);
    let err = result.expect_err("a partitioner choosing channel 1 of 1 must fail the job");
    assert!(err.to_string().contains("router (1/1)"), "{err}");
}

#[test]
fn end_of_input_passes_through_every_partitioner() {
    type Partition = fn(&DataStream<i64>) -> DataStream<i64>;
    let cases: [(&str, Partition, usize, usize); 9] = [
        ("forward", |s| s.forward(), 2, 100),
        ("default (rebalance)", |s| s.clone(), 3, 100),
        ("rebalance", |s| s.rebalance(), 3, 100),
        ("rescale", |s| s.rescale(), 3, 100),
        ("shuffle", |s| s.shuffle(), 3, 100),
        ("broadcast", |s| s.broadcast(), 3, 300),
        ("global", |s| s.global(), 3, 100),
        ("key_by", |s| s.key_by(|x: &i64| x % 7).as_stream().clone(), 3, 100),
        ("custom", |s| s.partition_custom(|k: &i64, n: usize| *k as usize % n, |x: &i64| *x), 3, 100),
    ];
    for (name, partition, consumers, expected) in cases {
        // small batches and no buffer timeout: only the end of input flushes the last ones
        let env = StreamExecutionEnvironment::new().with_parallelism(2).with_batch_size(16).with_buffer_timeout(None);
        let got = partition(&env.from_sequence(1, 100))
            .map(|x: i64| x)
            .set_parallelism(consumers)
            .disable_chaining()
            .collect();
        run(&env, name);
        let got = got.take();
        assert_eq!(got.len(), expected, "{name}");
        assert_eq!(got.iter().sum::<i64>(), 5050 * (expected as i64 / 100), "{name}");
    }
}
