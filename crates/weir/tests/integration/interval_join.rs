//! End to end: interval joins. Bounds (inclusive, exclusive, negative), the result's
//! timestamp, side outputs from the join function, agreement with a nested-loop join
//! while the watermark cleans up state during the run, and what happens to records that
//! arrive after the watermark has passed: dropped (or sent to the late-data side
//! outputs), even when their partner would still be buffered; a record exactly at the
//! cleanup boundary still joins.

use crate::event_time_script;

use std::time::Duration;

use event_time_script::{every_record_bounded, one_per_poll, record_to, Cond, Log, ScriptSource, Step};
use weir::join::{JoinContext, ProcessJoinFn, ProcessJoinFunction};
use weir::prelude::*;
use weir::StreamRecord;

/// A `(key, timestamp)` record, stamped with its timestamp.
fn rec(key: u32, ts: i64) -> StreamRecord<(u32, i64)> {
    StreamRecord::with_timestamp((key, ts), ts)
}

/// A source emitting `records` (already stamped) at once, without watermarks.
fn stamped(
    env: &StreamExecutionEnvironment,
    name: &str,
    records: Vec<StreamRecord<(u32, i64)>>,
) -> DataStream<(u32, i64)> {
    env.from_source(ScriptSource::new(vec![vec![Step::Emit(0, records)]]), WatermarkStrategy::no_watermarks(), name)
        .set_parallelism(1)
}

/// Emits `(key, left ts, right ts, result ts)`.
#[derive(Clone)]
struct Pairs;

impl ProcessJoinFunction<(u32, i64), (u32, i64), (u32, i64, i64, i64)> for Pairs {
    fn process_element(
        &mut self,
        left: &(u32, i64),
        right: &(u32, i64),
        ctx: &mut JoinContext,
        out: &mut Collector<(u32, i64, i64, i64)>,
    ) -> Result<(), BoxError> {
        assert_eq!(left.0, right.0, "joined across keys");
        assert_eq!((ctx.left_timestamp(), ctx.right_timestamp()), (left.1, right.1));
        out.collect((left.0, left.1, right.1, ctx.timestamp()));
        Ok(())
    }
}

/// Each record with the timestamp it carries downstream.
fn with_timestamps<T: Data>(s: &DataStream<T>) -> DataStream<(T, i64)> {
    s.process(ProcessFn::new(|v: T, ctx: &mut Context, out: &mut Collector<(T, i64)>| {
        out.collect((v, ctx.timestamp().expect("join results carry a timestamp")));
        Ok(())
    }))
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

/// Lefts of keys 0..4 at 10; rights of the same keys at 5..=15, and of key 9 at 10.
/// Returns the right timestamps each left joined, checking they are the same per key
/// and that results carry `max(left, right)`.
fn rights_joined_with_10(
    bounds: impl Fn(weir::join::IntervalJoin<(u32, i64), (u32, i64), KeyOf, KeyOf>) -> Joined,
) -> Vec<i64> {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let lefts = stamped(&env, "left", (0..4).map(|k| rec(k, 10)).collect());
    let mut rights: Vec<_> = (0..4).flat_map(|k| (5..=15).map(move |t| rec(k, t))).collect();
    rights.push(rec(9, 10));
    let rights = stamped(&env, "right", rights);
    let key: KeyOf = |r: &(u32, i64)| r.0;
    let joined = bounds(lefts.key_by(key).interval_join(&rights.key_by(key))).process(Pairs);
    let got = with_timestamps(&joined).collect();
    env.execute("bounds").unwrap();
    let got = sorted(got.take());
    let per_key: Vec<Vec<i64>> =
        (0..4).map(|k| got.iter().filter(|(p, _)| p.0 == k).map(|(p, _)| p.2).collect()).collect();
    for ((key, l, r, ts), carried) in &got {
        assert_eq!((*l, *ts, *carried), (10, 10.max(*r), 10.max(*r)), "key {key}");
    }
    assert!(per_key.iter().all(|rs| *rs == per_key[0]), "{per_key:?}");
    per_key[0].clone()
}

type KeyOf = fn(&(u32, i64)) -> u32;
type Joined = weir::join::IntervalJoined<(u32, i64), (u32, i64), KeyOf, KeyOf>;

#[test]
fn inclusive_and_exclusive_bounds() {
    // A left at 10 joins rights in [10 + lower, 10 + upper]; an exclusive end moves in by 1.
    assert_eq!(rights_joined_with_10(|j| j.between(-2, 1)), vec![8, 9, 10, 11]);
    assert_eq!(rights_joined_with_10(|j| j.between(-2, 1).lower_bound_exclusive()), vec![9, 10, 11]);
    assert_eq!(rights_joined_with_10(|j| j.between(-2, 1).upper_bound_exclusive()), vec![8, 9, 10]);
    assert_eq!(
        rights_joined_with_10(|j| j.between(-2, 1).lower_bound_exclusive().upper_bound_exclusive()),
        vec![9, 10]
    );
    assert_eq!(rights_joined_with_10(|j| j.between(0, 0)), vec![10]);
    assert_eq!(rights_joined_with_10(|j| j.between(0, 0).lower_bound_exclusive()), Vec::<i64>::new());
}

#[test]
fn negative_and_positive_only_bounds() {
    // Both bounds negative: the right record comes before the left one.
    assert_eq!(rights_joined_with_10(|j| j.between(-3, -1)), vec![7, 8, 9]);
    assert_eq!(rights_joined_with_10(|j| j.between(-5, -5)), vec![5]);
    assert_eq!(rights_joined_with_10(|j| j.between(-5, -4).upper_bound_exclusive()), vec![5]);
    // Both positive: after it.
    assert_eq!(rights_joined_with_10(|j| j.between(1, 3)), vec![11, 12, 13]);
    assert_eq!(rights_joined_with_10(|j| j.between(3, 100).lower_bound_exclusive()), vec![14, 15]);
}

#[test]
fn a_lower_bound_above_the_upper_bound_is_rejected_before_running() {
    let env = StreamExecutionEnvironment::new();
    let s = stamped(&env, "s", vec![rec(1, 1)]).key_by(|r: &(u32, i64)| r.0);
    s.interval_join(&s).between(1, -1).process(Pairs).collect();
    let err = env.execute("bad bounds").unwrap_err();
    assert!(matches!(err, JobError::InvalidGraph(_)), "{err}");
    assert!(err.to_string().contains("lower bound 1 ms must not exceed the upper bound -1 ms"), "{err}");
}

#[test]
fn records_without_timestamps_fail_the_job() {
    let env = StreamExecutionEnvironment::new();
    let s = env.from_collection(vec![(1u32, 1i64)]).key_by(|r: &(u32, i64)| r.0);
    s.interval_join(&s).between(-1, 1).process(Pairs).collect();
    let err = env.execute("no timestamps").unwrap_err();
    assert!(err.to_string().contains("no event-time timestamp"), "{err}");
    assert!(err.to_string().contains("Interval Join"), "the error names the operator: {err}");
}

#[test]
fn the_join_function_writes_side_outputs_with_the_result_timestamp() {
    let env = StreamExecutionEnvironment::new();
    let earlier = OutputTag::<(i64, i64)>::new("right before left");
    let lefts = stamped(&env, "left", vec![rec(1, 10), rec(1, 20)]).key_by(|r: &(u32, i64)| r.0);
    let rights = stamped(&env, "right", vec![rec(1, 9), rec(1, 12), rec(1, 21)]).key_by(|r: &(u32, i64)| r.0);
    let joined = lefts.interval_join(&rights).between(-1, 2).process(ProcessJoinFn::new({
        let earlier = earlier.clone();
        move |l: &(u32, i64), r: &(u32, i64), ctx: &mut JoinContext, out: &mut Collector<(i64, i64)>| {
            if r.1 < l.1 {
                ctx.output(&earlier, (l.1, r.1));
            } else {
                out.collect((l.1, r.1));
            }
            Ok(())
        }
    }));
    let main = with_timestamps(&joined).collect();
    let side = with_timestamps(&joined.get_side_output(&earlier)).collect();
    env.execute("side outputs").unwrap();
    // Left 10 joins rights in [9, 12]: 9 (before it), 12. Left 20 joins [19, 22]: 21.
    assert_eq!(sorted(main.take()), vec![((10, 12), 12), ((20, 21), 21)]);
    assert_eq!(side.take(), vec![((10, 9), 10)]);
}

/// `(key, ts)` records: `n` of them, about 3 ms apart (jittered by up to 3 ms, from
/// `phase` in the jitter cycle), keys `i * key_step % 3`.
fn jittered(n: i64, offset: i64, phase: usize, key_step: i64) -> Vec<((u32, i64), i64)> {
    let jitter = [0, 3, -3, 2, -2, 1, -1];
    (0..n)
        .map(|i| {
            let ts = 3 * i + offset + jitter[(i as usize + phase) % jitter.len()];
            (((i * key_step % 3) as u32, ts), ts)
        })
        .collect()
}

#[test]
fn agrees_with_a_nested_loop_join_while_the_watermark_cleans_up() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let lefts = jittered(300, 0, 0, 1);
    let rights = jittered(300, 1, 3, 2);
    // One source reads both sides interleaved (left i, right i, left i + 1, ...): a
    // record is at most 5 ms behind the highest timestamp before it. With watermarks
    // bounded by 5 ms: nothing is late, so the join must find exactly what a
    // nested loop finds — although it drops state as the watermark moves on, and a
    // right record up to 4 ms after a left one may come after the watermark passed the
    // left's timestamp.
    let mut both: Vec<((u8, u32, i64), i64)> = Vec::new();
    for (l, r) in lefts.iter().zip(&rights) {
        both.push(((0, l.0 .0, l.0 .1), l.1));
        both.push(((1, r.0 .0, r.0 .1), r.1));
    }
    let source = env
        .from_source(ScriptSource::new(vec![one_per_poll(0, &both)]), every_record_bounded(5), "both sides")
        .set_parallelism(1);
    let side = |which: u8| {
        source
            .filter(move |r: &(u8, u32, i64)| r.0 == which)
            .map(|r: (u8, u32, i64)| (r.1, r.2))
            .key_by(|r: &(u32, i64)| r.0)
    };
    let joined = side(0).interval_join(&side(1)).between(-7, 4).process(Pairs);
    let got = with_timestamps(&joined).collect();
    env.execute("nested loop").unwrap();
    let mut expected = Vec::new();
    for ((lk, lt), _) in &lefts {
        for ((rk, rt), _) in &rights {
            if lk == rk && lt - 7 <= *rt && *rt <= lt + 4 {
                let ts = *lt.max(rt);
                expected.push(((*lk, *lt, *rt, ts), ts));
            }
        }
    }
    assert!(expected.len() > 50, "a meaningful number of matches: {}", expected.len());
    assert_eq!(sorted(got.take()), sorted(expected));
}

fn cond(f: impl Fn() -> bool + Send + Sync + 'static) -> Cond {
    std::sync::Arc::new(f)
}

#[test]
fn after_the_watermark_passes_late_records_join_nothing() {
    // Periodic emission every 5 ms and a 20 ms idle timeout let the right source, while
    // it reads nothing, declare itself idle, so the left one drives the join's watermark
    // on its own.
    let env = StreamExecutionEnvironment::new()
        .with_buffer_timeout(Some(Duration::ZERO))
        .with_auto_watermark_interval(Duration::from_millis(5));
    let joined_log: Log<(u32, i64, i64, i64)> = Log::new();
    let late_left_log: Log<(u32, i64)> = Log::new();
    let late_right_log: Log<(u32, i64)> = Log::new();
    let watermark_at_least = |w: i64| {
        let log = joined_log.clone();
        cond(move || log.last_watermark(0).is_some_and(|seen| seen >= w))
    };
    let late_rights = |n: usize| {
        let log = late_right_log.clone();
        cond(move || log.records(0).len() >= n)
    };
    // Between -10 and 20: left 100 joins rights in [90, 120] and is cleaned up once the
    // watermark reaches 120. Key 9 only moves the watermark (monotonous: ts - 1).
    let left_script = vec![
        Step::Emit(0, vec![rec(1, 100)]),
        Step::Emit(0, vec![rec(9, 120)]), // watermark 119
        Step::WaitUntil(late_rights(1)),
        Step::Emit(0, vec![rec(9, 200)]), // watermark 199 once right is idle: left 100 is gone
        Step::WaitUntil(watermark_at_least(199)),
        Step::Emit(0, vec![rec(1, 150)]), // late left: 150 < 199
        Step::WaitUntil(late_rights(2)),
    ];
    let right_script = vec![
        Step::WaitUntil(watermark_at_least(119)),
        // 120 is on time (not below 119) and left 100 still buffered: joins. 99 is late,
        // although left 100 would match it: dropped to the side output.
        Step::Emit(0, vec![rec(1, 120), rec(1, 99)]),
        Step::Finish(0), // idle again after the timeout
        Step::WaitUntil(watermark_at_least(199)),
        Step::Emit(0, vec![rec(1, 110)]), // would match left 100, which is gone; late anyway
    ];
    let side_left = OutputTag::<(u32, i64)>::new("late lefts");
    let side_right = OutputTag::<(u32, i64)>::new("late rights");
    let left = env.from_source(ScriptSource::new(vec![left_script]), every_record_bounded(0), "left");
    let idle_when_quiet = every_record_bounded(0).with_idleness(Duration::from_millis(20));
    let right = env.from_source(ScriptSource::new(vec![right_script]), idle_when_quiet, "right");
    let joined = left
        .key_by(|r: &(u32, i64)| r.0)
        .interval_join(&right.key_by(|r: &(u32, i64)| r.0))
        .between(-10, 20)
        .side_output_left_late_data(&side_left)
        .side_output_right_late_data(&side_right)
        .process(Pairs);
    record_to(&joined, "joined", &joined_log);
    record_to(&joined.get_side_output(&side_left), "late lefts", &late_left_log);
    record_to(&joined.get_side_output(&side_right), "late rights", &late_right_log);
    env.execute("late records").unwrap();
    assert_eq!(joined_log.records(0), vec![((1, 100, 120, 120), 120)]);
    assert_eq!(late_right_log.records(0), vec![((1, 99), 99), ((1, 110), 110)]);
    assert_eq!(late_left_log.records(0), vec![((1, 150), 150)]);
}
