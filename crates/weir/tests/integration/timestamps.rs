//! End to end: the event-time timestamp a record carries survives map, filter,
//! flat_map, reduce, union, connect, side outputs and task boundaries, as in Flink;
//! records without one report none. Timestamps come from a source that stamps its
//! records, or from a function emitting with `collect_with_timestamp`.

use crate::harness;

use harness::{run, sorted, RecordSource};
use weir::prelude::*;
use weir::StreamRecord;

/// Each record with the timestamp the processing function sees.
fn with_timestamps<T: Data>(s: &DataStream<T>) -> DataStream<(T, Option<i64>)> {
    s.process(ProcessFn::new(|v: T, ctx: &mut Context, out: &mut Collector<(T, Option<i64>)>| {
        out.collect((v, ctx.timestamp()));
        Ok(())
    }))
}

/// 1..=10, record `v` stamped `1000 + v`.
fn stamped_source(env: &StreamExecutionEnvironment) -> DataStream<i64> {
    let records = (1..=10).map(|v| StreamRecord::with_timestamp(v, 1000 + v)).collect();
    env.from_source(RecordSource::new(vec![records]), WatermarkStrategy::no_watermarks(), "stamped").set_parallelism(1)
}

#[test]
fn map_filter_and_flat_map_keep_the_timestamp_across_tasks() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let s = stamped_source(&env)
        .map(|v: i64| v * 2)
        .filter(|x: &i64| x % 4 == 0)
        .flat_map(|x: i64, out: &mut Collector<i64>| {
            out.collect(x);
            out.collect(x + 1);
        })
        .rebalance();
    let got = with_timestamps(&s).collect();
    run(&env, "timestamps");
    // kept: v = 2, 4, 6, 8, 10 → 2v and 2v + 1, both stamped 1000 + v
    let expected: Vec<(i64, Option<i64>)> =
        sorted([2, 4, 6, 8, 10].iter().flat_map(|v| [(2 * v, Some(1000 + v)), (2 * v + 1, Some(1000 + v))]).collect());
    assert_eq!(sorted(got.take()), expected);
}

#[test]
fn records_without_a_timestamp_report_none() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let got = with_timestamps(&env.from_sequence(1, 20).map(|x: i64| x + 1)).collect();
    run(&env, "no timestamps");
    let got = got.take();
    assert_eq!(got.len(), 20);
    assert!(got.iter().all(|(_, ts)| ts.is_none()), "{got:?}");
}

#[test]
fn a_function_can_stamp_records_and_later_operators_keep_the_stamp() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let stamped = env
        .from_sequence(1, 12)
        .flat_map(|v: i64, out: &mut Collector<(i64, i64)>| out.collect_with_timestamp((v % 3, v), v * 100));
    // a rolling sum per key emits with the timestamp of the record that triggered it
    let summed = stamped.key_by(|r: &(i64, i64)| r.0).reduce(|a: (i64, i64), b: (i64, i64)| (a.0, a.1 + b.1));
    let keyed_seen = summed.key_by(|r: &(i64, i64)| r.0).process(KeyedProcessFn::new(
        |r: (i64, i64), ctx: &mut KeyedContext<i64>, out: &mut Collector<(i64, Option<i64>)>| {
            out.collect((r.0, ctx.timestamp()));
            Ok(())
        },
    ));
    let got = keyed_seen.collect();
    run(&env, "stamped by a function");
    // every value v = 1..=12 triggers one rolling sum, stamped v * 100
    let mut timestamps: Vec<(i64, Option<i64>)> = got.take();
    timestamps.sort();
    let expected: Vec<(i64, Option<i64>)> = sorted((1..=12).map(|v| (v % 3, Some(v * 100))).collect());
    assert_eq!(timestamps, expected);
}

#[test]
fn collect_with_timestamp_overrides_and_collect_inherits() {
    let env = StreamExecutionEnvironment::new();
    let s = stamped_source(&env).process(ProcessFn::new(|v: i64, _ctx: &mut Context, out: &mut Collector<i64>| {
        out.collect(v);
        out.collect_with_timestamp(-v, 7);
        Ok(())
    }));
    let got = with_timestamps(&s).collect();
    run(&env, "override");
    let got = got.take();
    assert_eq!(got[..4], [(1, Some(1001)), (-1, Some(7)), (2, Some(1002)), (-2, Some(7))]);
}

#[test]
fn union_connect_and_side_outputs_keep_timestamps() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let a = stamped_source(&env);
    let b = env
        .from_source(
            RecordSource::new(vec![vec![StreamRecord::with_timestamp("x".to_string(), 5)]]),
            WatermarkStrategy::no_watermarks(),
            "words",
        )
        .set_parallelism(1);
    let unioned = with_timestamps(&a.union(&a.map(|v: i64| -v))).collect();
    let connected = with_timestamps(&a.connect(&b).map(|v: i64| v.to_string(), |s: String| s)).collect();
    let tag = OutputTag::<i64>::new("evens");
    let split = a.process(ProcessFn::new({
        let tag = tag.clone();
        move |v: i64, ctx: &mut Context, _out: &mut Collector<i64>| {
            if v % 2 == 0 {
                ctx.output(&tag, v);
            }
            Ok(())
        }
    }));
    let side = with_timestamps(&split.get_side_output(&tag)).collect();
    run(&env, "union connect side");
    let expected_union: Vec<(i64, Option<i64>)> =
        sorted((1..=10).flat_map(|v| [(v, Some(1000 + v)), (-v, Some(1000 + v))]).collect());
    assert_eq!(sorted(unioned.take()), expected_union);
    let mut expected_connected: Vec<(String, Option<i64>)> =
        (1..=10).map(|v| (v.to_string(), Some(1000 + v))).collect();
    expected_connected.push(("x".into(), Some(5)));
    assert_eq!(sorted(connected.take()), sorted(expected_connected));
    assert_eq!(
        sorted(side.take()),
        vec![(2, Some(1002)), (4, Some(1004)), (6, Some(1006)), (8, Some(1008)), (10, Some(1010))]
    );
}
