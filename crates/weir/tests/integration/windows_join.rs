//! End to end: window joins and co-groups of two streams — tumbling, sliding and
//! session windows — at parallelism 1 and 2. A join emits one result per matching pair
//! in each window; a co-group calls the function once per key and window with both
//! sides. Results carry the window's max timestamp.

use crate::windows_harness;

use std::time::Duration;

use weir::prelude::*;
use weir::window::{EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows};
use windows_harness::{run, sorted, with_timestamps};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// (key, name, event time)
type Ev = (String, String, i64);

fn events(env: &StreamExecutionEnvironment, list: &[(&str, &str, i64)]) -> DataStream<Ev> {
    let records: Vec<Ev> = list.iter().map(|(k, n, t)| (k.to_string(), n.to_string(), *t)).collect();
    env.from_collection(records).assign_timestamps_and_watermarks(
        WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &Ev, _| e.2),
    )
}

/// a: k@1 a1, k@5 a2, j@12 a3; b: k@3 b1, j@7 b2, j@15 b3.
fn inputs(env: &StreamExecutionEnvironment) -> (DataStream<Ev>, DataStream<Ev>) {
    (
        events(env, &[("k", "a1", 1), ("k", "a2", 5), ("j", "a3", 12)]),
        events(env, &[("k", "b1", 3), ("j", "b2", 7), ("j", "b3", 15)]),
    )
}

fn pair(a: &str, b: &str, ts: i64) -> ((String, String), i64) {
    ((a.to_string(), b.to_string()), ts)
}

fn join_with<A>(assigner: A, parallelism: usize) -> Vec<((String, String), i64)>
where
    A: weir::window::WindowAssigner<Either<Ev, Ev>>,
{
    let env = StreamExecutionEnvironment::new().with_parallelism(parallelism);
    let (a, b) = inputs(&env);
    let joined = a
        .join(&b)
        .where_(|e: &Ev| e.0.clone())
        .equal_to(|e: &Ev| e.0.clone())
        .window(assigner)
        .apply(|x: &Ev, y: &Ev| (x.1.clone(), y.1.clone()));
    let got = with_timestamps(&joined).collect();
    run(&env, "join");
    sorted(got.take())
}

#[test]
fn tumbling_window_join_pairs_matches_within_each_window() {
    for p in [1, 2] {
        // [0, 10): k a1, a2 × b1; j has only b2. [10, 20): j a3 × b3.
        assert_eq!(
            join_with(TumblingEventTimeWindows::of(ms(10)), p),
            sorted(vec![pair("a1", "b1", 9), pair("a2", "b1", 9), pair("a3", "b3", 19)]),
            "parallelism {p}"
        );
    }
}

#[test]
fn sliding_window_join_pairs_matches_in_every_shared_window() {
    for p in [1, 2] {
        // windows of 10 every 5: a1@1 ∈ [-5,5) [0,10); a2@5 ∈ [0,10) [5,15); b1@3 ∈ [-5,5) [0,10);
        // a3@12 ∈ [5,15) [10,20); b2@7 ∈ [0,10) [5,15); b3@15 ∈ [10,20) [15,25)
        assert_eq!(
            join_with(SlidingEventTimeWindows::of(ms(10), ms(5)), p),
            sorted(vec![
                pair("a1", "b1", 4),
                pair("a1", "b1", 9),
                pair("a2", "b1", 9),
                pair("a3", "b2", 14),
                pair("a3", "b3", 19),
            ]),
            "parallelism {p}"
        );
    }
}

#[test]
fn session_window_join_pairs_matches_in_merged_sessions() {
    for p in [1, 2] {
        // gap 5: k: a1@1 [1,6), b1@3 [3,8), a2@5 [5,10) → [1, 10);
        // j: b2@7 [7,12), a3@12 [12,17) (touching), b3@15 [15,20) → [7, 20)
        assert_eq!(
            join_with(EventTimeSessionWindows::with_gap(ms(5)), p),
            sorted(vec![pair("a1", "b1", 9), pair("a2", "b1", 9), pair("a3", "b2", 19), pair("a3", "b3", 19)]),
            "parallelism {p}"
        );
    }
}

#[test]
fn co_group_sees_both_sides_of_each_key_and_window() {
    for p in [1, 2] {
        let env = StreamExecutionEnvironment::new().with_parallelism(p);
        let (a, b) = inputs(&env);
        let grouped = a
            .co_group(&b)
            .where_(|e: &Ev| e.0.clone())
            .equal_to(|e: &Ev| e.0.clone())
            .window(TumblingEventTimeWindows::of(ms(10)))
            .apply(|key: &String, xs: &[Ev], ys: &[Ev], out: &mut Collector<(String, Vec<String>, Vec<String>)>| {
                let names = |v: &[Ev]| sorted(v.iter().map(|e| e.1.clone()).collect::<Vec<_>>());
                out.collect((key.clone(), names(xs), names(ys)));
            });
        let got = with_timestamps(&grouped).collect();
        run(&env, "co-group");
        let g = |k: &str, xs: &[&str], ys: &[&str], ts: i64| {
            let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
            ((k.to_string(), v(xs), v(ys)), ts)
        };
        assert_eq!(
            sorted(got.take()),
            sorted(vec![g("k", &["a1", "a2"], &["b1"], 9), g("j", &[], &["b2"], 9), g("j", &["a3"], &["b3"], 19)]),
            "parallelism {p}"
        );
    }
}

#[test]
fn co_group_in_sessions_and_join_with_allowed_lateness() {
    let env = StreamExecutionEnvironment::new();
    let (a, b) = inputs(&env);
    let counts = a
        .co_group(&b)
        .where_(|e: &Ev| e.0.clone())
        .equal_to(|e: &Ev| e.0.clone())
        .window(EventTimeSessionWindows::with_gap(ms(5)))
        .allowed_lateness(ms(100))
        .apply(|key: &String, xs: &[Ev], ys: &[Ev], out: &mut Collector<(String, usize, usize)>| {
            out.collect((key.clone(), xs.len(), ys.len()))
        })
        .collect();
    run(&env, "co-group sessions");
    assert_eq!(sorted(counts.take()), vec![("j".to_string(), 1, 2), ("k".to_string(), 2, 1)]);
}
