//! End to end: triggers (count, purging, continuous event time, event time on global
//! windows, never, a user-defined one with state and timers) and evictors (count, time,
//! delta; before and after the window function), count windows (tumbling and sliding,
//! keyed and over the whole stream) and `window_all`.
//!
//! Expected outputs are worked out by hand from Flink's documented semantics.

use crate::windows_harness;

use std::time::Duration;

use weir::prelude::*;
use weir::window::{
    ContinuousEventTimeTrigger, CountEvictor, CountTrigger, DeltaEvictor, EventTimeTrigger, GlobalWindows,
    PurgingTrigger, TimeEvictor, TimeWindow, Trigger, TriggerContext, TriggerResult, TumblingEventTimeWindows, Window,
};
use windows_harness::{run, scripted, scripted_env, sorted, with_timestamps, Ev};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Values 1..=n at event times 1..=n under key 0 (value = time).
fn ones_to(env: &StreamExecutionEnvironment, n: i64) -> DataStream<i64> {
    scripted(env, (1..=n).map(|v| Ev::R(v, v)).collect())
}

#[test]
fn a_count_trigger_fires_every_n_without_purging() {
    let env = scripted_env(1);
    // [0, 100) gets 1..5: fires at 2 (1+2) and 4 (1+2+3+4); 5 is dropped with the window.
    let got = ones_to(&env, 5)
        .key_by(|_: &i64| 0)
        .window(TumblingEventTimeWindows::of(ms(100)))
        .trigger(CountTrigger::of(2))
        .reduce(|a, b| a + b)
        .collect();
    run(&env, "count trigger");
    assert_eq!(got.take(), vec![3, 10]);
}

#[test]
fn a_purging_trigger_starts_each_firing_empty() {
    let env = scripted_env(1);
    let got = ones_to(&env, 5)
        .key_by(|_: &i64| 0)
        .window(TumblingEventTimeWindows::of(ms(100)))
        .trigger(PurgingTrigger::of(CountTrigger::of(2)))
        .reduce(|a, b| a + b)
        .collect();
    run(&env, "purging trigger");
    assert_eq!(got.take(), vec![3, 7]);
}

#[test]
fn a_continuous_event_time_trigger_fires_every_interval_and_at_the_end() {
    let env = scripted_env(1);
    // [0, 100), interval 30: the first element (5) schedules 30; then 60, 90, and the
    // end 99 (90 + 30 is capped at 99, which also fires as the window's end).
    let script = vec![
        Ev::R(5, 5),
        Ev::R(20, 20),
        Ev::W(30),
        Ev::R(40, 40),
        Ev::W(60),
        Ev::R(70, 70),
        Ev::W(99),
        Ev::R(150, 150),
    ];
    let got = with_timestamps(
        &scripted(&env, script)
            .key_by(|_: &i64| 0)
            .window(TumblingEventTimeWindows::of(ms(100)))
            .trigger(ContinuousEventTimeTrigger::of(ms(30)))
            .reduce(|a, b| a + b),
    )
    .collect();
    run(&env, "continuous event time");
    // 150 alone in [100, 200): early firing at 120 + 30 = 150, and the end 199
    assert_eq!(got.take(), vec![(25, 99), (65, 99), (135, 99), (135, 99), (150, 199), (150, 199)]);
}

#[test]
fn an_event_time_trigger_on_global_windows_fires_at_the_end_of_input() {
    let env = scripted_env(1);
    let got = with_timestamps(
        &ones_to(&env, 4)
            .key_by(|v: &i64| v % 2)
            .window(GlobalWindows::create())
            .trigger(EventTimeTrigger::create())
            .reduce(|a, b| a + b),
    )
    .collect();
    run(&env, "global event time");
    assert_eq!(sorted(got.take()), vec![(4, i64::MAX), (6, i64::MAX)]);
}

#[test]
fn global_windows_never_fire_by_default() {
    let env = scripted_env(1);
    let got = ones_to(&env, 4).key_by(|_: &i64| 0).window(GlobalWindows::create()).reduce(|a, b| a + b).collect();
    run(&env, "never");
    assert!(got.take().is_empty());
}

/// Fires and purges once a window's running sum reaches `limit` (kept as trigger state);
/// what is left fires at the window's end.
#[derive(Clone)]
struct SumTrigger {
    limit: i64,
}

impl Trigger<i64, TimeWindow> for SumTrigger {
    type State = i64;

    fn on_element(&mut self, v: &i64, _: i64, w: &TimeWindow, ctx: &mut TriggerContext<i64>) -> TriggerResult {
        *ctx.state() += v;
        if *ctx.state() >= self.limit {
            *ctx.state() = 0;
            return TriggerResult::FireAndPurge;
        }
        ctx.register_event_time_timer(w.max_timestamp());
        TriggerResult::Continue
    }

    fn on_event_time(&mut self, time: i64, w: &TimeWindow, _: &mut TriggerContext<i64>) -> TriggerResult {
        if time == w.max_timestamp() {
            TriggerResult::Fire
        } else {
            TriggerResult::Continue
        }
    }

    fn clear(&mut self, w: &TimeWindow, ctx: &mut TriggerContext<i64>) {
        ctx.delete_event_time_timer(w.max_timestamp());
    }
}

#[test]
fn a_user_defined_trigger_keeps_state_and_timers_per_window() {
    let env = scripted_env(1);
    // [0, 100): 3 + 4 + 5 = 12 reaches 10: fire 12 and purge; 6 + 2 wait for the end.
    // [100, 200): 50 fires on arrival — before the end of input brings the watermark
    // that fires what is left of [0, 100).
    let script = vec![Ev::R(3, 1), Ev::R(4, 2), Ev::R(5, 3), Ev::R(6, 4), Ev::R(2, 5), Ev::R(50, 150)];
    let got = with_timestamps(
        &scripted(&env, script)
            .key_by(|_: &i64| 0)
            .window(TumblingEventTimeWindows::of(ms(100)))
            .trigger(SumTrigger { limit: 10 })
            .reduce(|a, b| a + b),
    )
    .collect();
    run(&env, "custom trigger");
    assert_eq!(got.take(), vec![(12, 99), (50, 199), (8, 99)]);
}

#[test]
fn count_evictor_before_and_after_the_function() {
    let run_with = |evictor: CountEvictor| {
        let env = scripted_env(1);
        let got = ones_to(&env, 6)
            .key_by(|_: &i64| 0)
            .window(GlobalWindows::create())
            .evictor(evictor)
            .trigger(CountTrigger::of(2))
            .reduce(|a, b| a + b)
            .collect();
        run(&env, "count evictor");
        got.take()
    };
    // before: each firing sees the last 2 of what the window holds
    assert_eq!(run_with(CountEvictor::of(2)), vec![1 + 2, 3 + 4, 5 + 6]);
    // after: each firing sees everything kept, then the window keeps the last 2
    assert_eq!(run_with(CountEvictor::of(2).do_evict_after()), vec![1 + 2, 1 + 2 + 3 + 4, 3 + 4 + 5 + 6]);
}

#[test]
fn time_evictor_keeps_what_is_close_to_the_newest_element() {
    // Before: [0, 10) holds 1, 5, 8, 9; only those after 9 - 3 = 6 count.
    let env = scripted_env(1);
    let script = [1, 5, 8, 9].map(|t| Ev::R(t, t)).to_vec();
    let before = scripted(&env, script)
        .key_by(|_: &i64| 0)
        .window(TumblingEventTimeWindows::of(ms(10)))
        .evictor(TimeEvictor::of(ms(3)))
        .reduce(|a, b| a + b)
        .collect();
    run(&env, "time evictor");
    assert_eq!(before.take(), vec![8 + 9]);

    // After, every 2 elements: [1, 2] → 3 (keeps both); [1, 2, 6, 7] → 16 (keeps those
    // after 7 - 3); [6, 7, 8, 20] → 41 (keeps those after 17).
    let env = scripted_env(1);
    let script = [1, 2, 6, 7, 8, 20].map(|t| Ev::R(t, t)).to_vec();
    let after = scripted(&env, script)
        .key_by(|_: &i64| 0)
        .window(GlobalWindows::create())
        .evictor(TimeEvictor::of(ms(3)).do_evict_after())
        .trigger(CountTrigger::of(2))
        .reduce(|a, b| a + b)
        .collect();
    run(&env, "time evictor after");
    assert_eq!(after.take(), vec![3, 16, 41]);
}

#[test]
fn delta_evictor_drops_what_is_far_from_the_newest_element() {
    let env = scripted_env(1);
    // every 3: [1, 2, 10] → 10 is newest, 1 and 2 are 5 or more away → 10;
    // then [10, 11, 30, 12] → 30 is 18 away from 12 → 10 + 11 + 12.
    let script = [1, 2, 10, 11, 30, 12].into_iter().enumerate().map(|(i, v)| Ev::R(v, i as i64)).collect();
    let got = scripted(&env, script)
        .key_by(|_: &i64| 0)
        .window(GlobalWindows::create())
        .evictor(DeltaEvictor::of(5.0, |a: &i64, b: &i64| (a - b).abs() as f64))
        .trigger(CountTrigger::of(3))
        .reduce(|a, b| a + b)
        .collect();
    run(&env, "delta evictor");
    assert_eq!(got.take(), vec![10, 33]);
}

#[test]
fn an_evictor_applies_to_aggregate_and_process_too() {
    let env = scripted_env(1);
    let windowed =
        ones_to(&env, 5).key_by(|_: &i64| 0).window(TumblingEventTimeWindows::of(ms(100))).evictor(CountEvictor::of(3));
    let listed = windowed
        .process(weir::window::ProcessWindowFn::new(
            |_: &i32,
             _: &mut weir::window::WindowContext<i32, TimeWindow>,
             e: &[i64],
             out: &mut Collector<Vec<i64>>| {
                out.collect(e.to_vec());
                Ok(())
            },
        ))
        .collect();
    run(&env, "evicting process");
    assert_eq!(listed.take(), vec![vec![3, 4, 5]]);
}

#[test]
fn count_windows_tumbling_and_sliding_per_key() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let input = env.from_collection((1..=9).collect::<Vec<i64>>());
    // per key (odd / even), in arrival order
    let tumbling = input.key_by(|v: &i64| v % 2).count_window(2).reduce(|a, b| a + b).collect();
    let sliding = input.key_by(|v: &i64| v % 2).count_window_sliding(3, 2).reduce(|a, b| a + b).collect();
    run(&env, "count windows");
    // odd 1 3 5 7 9: (1+3), (5+7); even 2 4 6 8: (2+4), (6+8)
    assert_eq!(sorted(tumbling.take()), sorted(vec![4, 12, 6, 14]));
    // every 2 elements the last 3: odd (1+3), (3+5+7); even (2+4), (4+6+8)
    assert_eq!(sorted(sliding.take()), sorted(vec![4, 15, 6, 18]));
}

#[test]
fn count_windows_over_the_whole_stream() {
    let env = StreamExecutionEnvironment::new();
    let input = env.from_collection((1..=7).collect::<Vec<i64>>());
    let tumbling = input.count_window_all(3).reduce(|a, b| a + b).collect();
    let sliding = input.count_window_all_sliding(4, 2).reduce(|a, b| a + b).collect();
    run(&env, "count windows all");
    assert_eq!(tumbling.take(), vec![6, 15]);
    assert_eq!(sliding.take(), vec![1 + 2, 1 + 2 + 3 + 4, 3 + 4 + 5 + 6]);
}

#[test]
fn window_all_runs_in_one_subtask_over_every_record() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let records: Vec<(i64, i64)> = (0..60).map(|i| (i % 5, i)).collect();
    let per_window = env
        .from_collection(records)
        .rebalance()
        .map(|r: (i64, i64)| r) // at parallelism 3
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_bounded_out_of_orderness(ms(100)).with_timestamp_assigner(|r: &(i64, i64), _| r.1),
        )
        .window_all(TumblingEventTimeWindows::of(ms(20)))
        .process(weir::window::ProcessWindowFn::new(
            |_: &(),
             ctx: &mut weir::window::WindowContext<(), TimeWindow>,
             e: &[(i64, i64)],
             out: &mut Collector<(i64, usize, usize)>| {
                out.collect((
                    ctx.window().start,
                    e.len(),
                    e.iter().map(|r| r.0).collect::<std::collections::BTreeSet<_>>().len(),
                ));
                Ok(())
            },
        ));
    let got = tag_subtasks(&per_window).collect();
    let plan = env.explain().unwrap();
    run(&env, "window all");
    assert!(plan.lines().any(|l| l.contains("Window(process)") && l.contains("(p=1)")), "{plan}");
    let got = got.take();
    assert!(got.iter().all(|(subtask, _)| *subtask == 0));
    assert_eq!(
        sorted(got.into_iter().map(|(_, w)| w).collect()),
        vec![(0, 20, 5), (20, 20, 5), (40, 20, 5)],
        "all keys in one window"
    );
}

fn tag_subtasks<T: Data>(s: &DataStream<T>) -> DataStream<(usize, T)> {
    s.process(ProcessFn::new(|v: T, ctx: &mut Context, out: &mut Collector<(usize, T)>| {
        out.collect((ctx.subtask().index, v));
        Ok(())
    }))
    .set_parallelism(1)
}
