//! End to end: window functions — a process function with per-window and per-key
//! state, cleared when the window is cleaned up, and side outputs; incremental
//! aggregation combined with a process function (`reduce_with`, `aggregate_with`);
//! field aggregations; and the errors for misuse.

use crate::windows_harness;

use std::time::Duration;

use weir::functions::RuntimeContext;
use weir::prelude::*;
use weir::window::{
    AggregateFunction, CountTrigger, EventTimeSessionWindows, ProcessWindowFn, ProcessWindowFunction,
    SlidingEventTimeWindows, TimeWindow, TumblingEventTimeWindows, WindowContext, WindowStateKey,
};
use windows_harness::{run, run_expecting_failure, scripted, scripted_env, sorted, with_timestamps, Ev};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

type Rec = (String, i64);

fn r(key: &str, ts: i64) -> Ev<Rec> {
    Ev::R((key.to_string(), ts), ts)
}

/// Emits (key, window start, firings of this window, firings of this key, values);
/// reports each cleared window on a side output.
#[derive(Clone, Default)]
struct Firings {
    window_firings: Option<ValueState<u32>>,
    key_firings: Option<ValueState<u32>>,
    cleared: Option<OutputTag<i64>>,
}

type Fired = (String, i64, u32, u32, Vec<i64>);

impl ProcessWindowFunction<String, Rec, Fired, TimeWindow> for Firings {
    fn open(&mut self, ctx: &mut RuntimeContext<WindowStateKey<String, TimeWindow>>) -> Result<(), BoxError> {
        self.window_firings = Some(ctx.get_state(&ValueStateDescriptor::new("window firings"))?);
        self.key_firings = Some(ctx.get_state(&ValueStateDescriptor::new("key firings"))?);
        Ok(())
    }

    fn process(
        &mut self,
        key: &String,
        ctx: &mut WindowContext<String, TimeWindow>,
        elements: &[Rec],
        out: &mut Collector<Fired>,
    ) -> Result<(), BoxError> {
        let (wf, kf) = (self.window_firings.expect("opened"), self.key_firings.expect("opened"));
        let mut window = ctx.window_state()?;
        let w = wf.value(&mut window)?.unwrap_or(0) + 1;
        wf.update(&mut window, w)?;
        let mut global = ctx.global_state();
        let k = kf.value(&mut global)?.unwrap_or(0) + 1;
        kf.update(&mut global, k)?;
        let values = sorted(elements.iter().map(|e| e.1).collect());
        out.collect((key.clone(), ctx.window().start, w, k, values));
        Ok(())
    }

    fn clear(&mut self, ctx: &mut WindowContext<String, TimeWindow>) -> Result<(), BoxError> {
        self.window_firings.expect("opened").clear(&mut ctx.window_state()?)?;
        let start = ctx.window().start;
        if let Some(tag) = &self.cleared {
            ctx.output(tag, start);
        }
        Ok(())
    }
}

#[test]
fn process_function_keeps_window_and_key_state_and_clears_windows() {
    let cleared = OutputTag::<i64>::new("cleared");
    let env = scripted_env(1);
    let script = vec![
        r("k", 1),
        r("k", 2),
        Ev::W(9),  // [0, 10) fires: 1st of the window, 1st of the key
        r("k", 3), // late within lateness: 2nd of the window, 2nd of the key
        r("k", 12),
        Ev::W(19), // [10, 20): 1st of the window, 3rd of the key; [0, 10) cleaned up at 19
        Ev::W(40), // [10, 20) cleaned up at 29
    ];
    let fired = scripted(&env, script)
        .key_by(|e: &Rec| e.0.clone())
        .window(TumblingEventTimeWindows::of(ms(10)))
        .allowed_lateness(ms(10))
        .process(Firings { cleared: Some(cleared.clone()), ..Firings::default() });
    let cleared_windows = with_timestamps(&fired.get_side_output(&cleared)).collect();
    let got = with_timestamps(&fired).collect();
    run(&env, "window state");
    let f = |start: i64, w: u32, k: u32, v: &[i64], ts: i64| (("k".to_string(), start, w, k, v.to_vec()), ts);
    assert_eq!(got.take(), vec![f(0, 1, 1, &[1, 2], 9), f(0, 2, 2, &[1, 2, 3], 9), f(10, 1, 3, &[12], 19)]);
    assert_eq!(cleared_windows.take(), vec![(0, 9), (10, 19)]);
}

#[test]
fn per_window_state_is_refused_with_session_windows() {
    let env = StreamExecutionEnvironment::new();
    let _ = scripted(&env, vec![r("k", 1)])
        .key_by(|e: &Rec| e.0.clone())
        .window(EventTimeSessionWindows::with_gap(ms(10)))
        .process(Firings::default())
        .collect();
    let err = run_expecting_failure(&env, "session window state");
    assert!(err.to_string().contains("per-window state is not allowed with merging"), "{err}");
}

#[test]
fn a_merging_assigner_needs_a_merging_trigger() {
    // `PurgingTrigger<CountTrigger>` merges, a user trigger by default does not.
    #[derive(Clone)]
    struct Plain;
    impl<W> weir::window::Trigger<Rec, W> for Plain {
        type State = ();
        fn on_element(
            &mut self,
            _: &Rec,
            _: i64,
            _: &W,
            _: &mut weir::window::TriggerContext<()>,
        ) -> weir::window::TriggerResult {
            weir::window::TriggerResult::Fire
        }
    }
    let env = StreamExecutionEnvironment::new();
    let _ = env
        .from_collection(vec![("k".to_string(), 1i64)])
        .key_by(|e: &Rec| e.0.clone())
        .window(EventTimeSessionWindows::with_gap(ms(10)))
        .trigger(Plain)
        .reduce(|a, _| a)
        .collect();
    let err = env.execute("bad trigger").unwrap_err();
    assert!(err.to_string().contains("cannot be used with a trigger that does not support merging"), "{err}");

    // and a session window with a count trigger merges the counts
    let env = scripted_env(1);
    let got = scripted(&env, vec![r("k", 1), r("k", 20), r("k", 10)])
        .key_by(|e: &Rec| e.0.clone())
        .window(EventTimeSessionWindows::with_gap(ms(10)))
        .trigger(CountTrigger::of(3))
        .reduce(|a, b| (a.0, a.1 + b.1))
        .collect();
    run(&env, "merging count trigger");
    // 1 → [1, 11); 20 → [20, 30); 10 → [10, 20) bridges both: one session of 3 elements
    assert_eq!(got.take(), vec![("k".to_string(), 31)]);
}

#[test]
fn invalid_assigner_parameters_fail_the_job_before_it_runs() {
    let env = StreamExecutionEnvironment::new();
    let _ = env
        .from_collection(vec![1i64])
        .key_by(|_: &i64| 0)
        .window(SlidingEventTimeWindows::of(ms(10), ms(0)))
        .reduce(|a, b| a + b)
        .collect();
    let err = env.execute("bad slide").unwrap_err();
    assert!(err.to_string().contains("SlidingEventTimeWindows parameters"), "{err}");
}

#[test]
fn event_time_windows_need_timestamps() {
    let env = StreamExecutionEnvironment::new();
    let _ = env
        .from_collection(vec![1i64])
        .key_by(|_: &i64| 0)
        .window(TumblingEventTimeWindows::of(ms(10)))
        .reduce(|a, b| a + b)
        .collect();
    let err = run_expecting_failure(&env, "no timestamps");
    assert!(err.to_string().contains("record has no timestamp"), "{err}");
}

/// Average of the second field.
#[derive(Clone)]
struct Average;

impl AggregateFunction<Rec> for Average {
    type Acc = (i64, i64);
    type Out = f64;
    fn create_accumulator(&self) -> (i64, i64) {
        (0, 0)
    }
    fn add(&self, v: Rec, acc: &mut (i64, i64)) {
        acc.0 += v.1;
        acc.1 += 1;
    }
    fn get_result(&self, acc: &(i64, i64)) -> f64 {
        acc.0 as f64 / acc.1 as f64
    }
    fn merge(&self, a: (i64, i64), b: (i64, i64)) -> (i64, i64) {
        (a.0 + b.0, a.1 + b.1)
    }
}

#[test]
fn incremental_aggregation_with_a_process_function() {
    let env = scripted_env(2);
    let script = vec![r("a", 1), r("b", 4), r("a", 6), r("a", 11), Ev::W(30)];
    let input = scripted(&env, script);
    let averages = input
        .key_by(|e: &Rec| e.0.clone())
        .window(SlidingEventTimeWindows::of(ms(10), ms(5)))
        .aggregate_with(
            Average,
            ProcessWindowFn::new(
                |key: &String,
                 ctx: &mut WindowContext<String, TimeWindow>,
                 avg: &[f64],
                 out: &mut Collector<(String, i64, String)>| {
                    assert_eq!(avg.len(), 1, "one pre-aggregated value");
                    out.collect((key.clone(), ctx.window().start, format!("{:.1}", avg[0])));
                    Ok(())
                },
            ),
        )
        .collect();
    let maxima = input.key_by(|e: &Rec| e.0.clone()).window(TumblingEventTimeWindows::of(ms(10))).reduce_with(
        |a: Rec, b: Rec| if b.1 > a.1 { b } else { a },
        ProcessWindowFn::new(
            |_: &String, ctx: &mut WindowContext<String, TimeWindow>, max: &[Rec], out: &mut Collector<(Rec, i64)>| {
                out.collect((max[0].clone(), ctx.window().end));
                Ok(())
            },
        ),
    );
    let maxima = with_timestamps(&maxima).collect();
    run(&env, "aggregate with");
    let avg = |k: &str, start: i64, v: &str| (k.to_string(), start, v.to_string());
    assert_eq!(
        sorted(averages.take()),
        sorted(vec![
            avg("a", -5, "1.0"),
            avg("a", 0, "3.5"),
            avg("a", 5, "8.5"),
            avg("a", 10, "11.0"),
            avg("b", -5, "4.0"),
            avg("b", 0, "4.0"),
        ])
    );
    let m = |k: &str, v: i64, end: i64| (((k.to_string(), v), end), end - 1);
    assert_eq!(sorted(maxima.take()), sorted(vec![m("a", 6, 10), m("a", 11, 20), m("b", 4, 10)]));
}

#[test]
fn field_aggregations_per_window() {
    let env = StreamExecutionEnvironment::new();
    let records =
        vec![("a".to_string(), 3i64, 1i64), ("a".to_string(), 5, 2), ("a".to_string(), 4, 3), ("a".to_string(), 9, 15)];
    let input = env.from_collection(records).assign_timestamps_and_watermarks(
        WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(String, i64, i64), _| e.2),
    );
    let window = |s: &DataStream<(String, i64, i64)>| {
        s.key_by(|e: &(String, i64, i64)| e.0.clone()).window(TumblingEventTimeWindows::of(ms(10)))
    };
    let sums = window(&input).sum(1).collect();
    let maxes = window(&input).max_by(1).collect();
    let mins = window(&input).min(1).collect();
    run(&env, "field aggregations");
    let t = |v: i64, ts: i64| ("a".to_string(), v, ts);
    assert_eq!(sums.take(), vec![t(12, 1), t(9, 15)]);
    assert_eq!(maxes.take(), vec![t(5, 2), t(9, 15)]);
    assert_eq!(mins.take(), vec![t(3, 1), t(9, 15)]);
}
