//! End to end: windows and rolling reductions with their state in the embedded backend
//! (`state.backend.type = embedded`) give exactly what they give on the heap.
//!
//! Each job runs twice over the same scripted input — out of order, with watermarks at
//! fixed places, so some records are late within the allowed lateness and some beyond
//! it — once per backend, at parallelism 2, and both runs must emit the same records
//! with the same timestamps (compared sorted: subtasks interleave). The families:
//! tumbling and sliding windows by slicing (with allowed lateness and the late side
//! output), the general window operator with reduce, aggregate and process functions,
//! sessions (merging, with elements kept and with an accumulator), count windows with a
//! purging trigger and with an evictor, triggers with state and several timers,
//! per-window and per-key state of a process window function, window joins and
//! co-groups, processing-time windows, rolling reduce. One job runs with few key groups
//! and many windows, so the embedded timers outgrow their caches and the store flushes.
//!
//! The embedded backend runs with a small memory budget, so its state goes through its
//! files during the run.

use crate::windows_harness;

use std::time::Duration;

use weir::functions::RuntimeContext;
use weir::prelude::*;
use weir::window::{
    AggregateFunction, ContinuousEventTimeTrigger, CountTrigger, EventTimeSessionWindows, ProcessWindowFn,
    ProcessWindowFunction, SlidingEventTimeWindows, TimeWindow, TumblingEventTimeWindows,
    TumblingProcessingTimeWindows, WindowContext, WindowStateKey,
};
use weir::StateBackendConfig;
use windows_harness::{run, scripted, sorted, with_timestamps, Ev};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A record: key and value (the value is its event time).
type Rec = (u32, i64);

/// `n` records of `keys` keys, out of order: times rise by 0–3 ms and a record may be
/// up to 25 ms older than the newest; a watermark every 7 records, 10 ms behind the
/// newest time, so some records are late.
fn script(n: usize, keys: u32) -> Vec<Ev<Rec>> {
    let mut seed = 0x5eed_u64;
    let mut next = move || {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        seed >> 33
    };
    let (mut newest, mut out) = (0i64, Vec::new());
    for i in 0..n {
        newest += (next() % 4) as i64;
        let time = newest - (next() % 26) as i64;
        let key = (next() % u64::from(keys)) as u32;
        out.push(Ev::R((key, time), time));
        if i % 7 == 6 {
            out.push(Ev::W(newest - 10));
        }
    }
    out
}

/// `script` without its watermarks but the last (the end of input): no record is late.
fn in_order(script: Vec<Ev<Rec>>) -> Vec<Ev<Rec>> {
    script.into_iter().filter(|e| matches!(e, Ev::R(..))).collect()
}

fn key(r: &Rec) -> u32 {
    r.0
}

/// An environment at parallelism 2 on the heap (`None`) or in the embedded backend in
/// `dir`, one record per batch (so scripted watermarks fall between the records around
/// them).
fn env_on(dir: Option<&tempfile::TempDir>) -> StreamExecutionEnvironment {
    let env = StreamExecutionEnvironment::new().with_parallelism(2).with_batch_size(1);
    match dir {
        None => env,
        Some(dir) => {
            let mut config = StateBackendConfig::embedded(1 << 20);
            config.local_dir = Some(dir.path().to_path_buf());
            env.with_state_backend(config)
        }
    }
}

/// Runs the job `build` makes (returning what it collects) on both backends; asserts
/// both give the same records, and returns them sorted.
fn on_both<T, F>(name: &str, build: F) -> Vec<T>
where
    T: Ord + std::fmt::Debug + Clone,
    F: Fn(&StreamExecutionEnvironment) -> Box<dyn Fn() -> Vec<T>>,
{
    on_both_with(name, env_on, build)
}

/// As [`on_both`], with the environment `env` makes for the heap (`None`) or the
/// embedded backend in a directory.
fn on_both_with<T, F, E>(name: &str, env: E, build: F) -> Vec<T>
where
    T: Ord + std::fmt::Debug + Clone,
    F: Fn(&StreamExecutionEnvironment) -> Box<dyn Fn() -> Vec<T>>,
    E: Fn(Option<&tempfile::TempDir>) -> StreamExecutionEnvironment,
{
    let started = std::time::Instant::now();
    let heap_env = env(None);
    let heap = build(&heap_env);
    run(&heap_env, name);
    let on_heap = started.elapsed();
    let dir = tempfile::tempdir().unwrap();
    let embedded_env = env(Some(&dir));
    assert_eq!(embedded_env.state_backend().kind, weir::StateBackendKind::Embedded);
    let embedded = build(&embedded_env);
    run(&embedded_env, name);
    eprintln!("{name}: {on_heap:?} on the heap, {:?} embedded", started.elapsed() - on_heap);
    let (heap, embedded) = (sorted(heap()), sorted(embedded()));
    assert!(!heap.is_empty(), "{name}: the job emitted nothing");
    assert_eq!(heap.len(), embedded.len(), "{name}: records on the heap and in the embedded backend");
    assert!(heap == embedded, "{name}: the embedded backend gave other records");
    heap
}

/// Collects `stream` with each record's timestamp.
fn collected<T: Data + Clone>(stream: &DataStream<T>) -> Box<dyn Fn() -> Vec<(T, i64)>> {
    let handle = with_timestamps(stream).collect();
    Box::new(move || handle.take())
}

/// Lists each window's sorted values: (key, start, end, values).
fn list(
    key: &u32,
    ctx: &mut WindowContext<u32, TimeWindow>,
    e: &[Rec],
    out: &mut Collector<(u32, i64, i64, Vec<i64>)>,
) {
    let mut values: Vec<i64> = e.iter().map(|r| r.1).collect();
    values.sort();
    out.collect((*key, ctx.window().start, ctx.window().end, values));
}

#[test]
fn sliced_windows_with_lateness_and_the_late_side_output() {
    let late = OutputTag::<Rec>::new("late");
    let got = on_both("sliced tumbling", |env| {
        let sums = scripted(env, script(3_000, 40))
            .key_by(key)
            .window(TumblingEventTimeWindows::of(ms(20)))
            .allowed_lateness(ms(8))
            .side_output_late_data(&late)
            .reduce(|a, b| (a.0, a.1 + b.1));
        let (main, late) = (collected(&sums), collected(&sums.get_side_output(&late)));
        Box::new(move || main().into_iter().map(|r| (0, r)).chain(late().into_iter().map(|r| (1, r))).collect())
    });
    assert!(got.iter().any(|r| r.0 == 1), "some records were too late");
    on_both("sliced sliding", |env| {
        let counts = scripted(env, script(3_000, 40))
            .key_by(key)
            .window(SlidingEventTimeWindows::of(ms(30), ms(10)))
            .allowed_lateness(ms(5))
            .aggregate(CountAndSum);
        collected(&counts)
    });
}

/// Counts and sums a window's values.
#[derive(Clone)]
struct CountAndSum;

impl AggregateFunction<Rec> for CountAndSum {
    type Acc = (u64, i64);
    type Out = (u64, i64);
    fn create_accumulator(&self) -> (u64, i64) {
        (0, 0)
    }
    fn add(&self, r: Rec, acc: &mut (u64, i64)) {
        *acc = (acc.0 + 1, acc.1 + r.1);
    }
    fn get_result(&self, acc: &(u64, i64)) -> (u64, i64) {
        *acc
    }
    fn merge(&self, a: (u64, i64), b: (u64, i64)) -> (u64, i64) {
        (a.0 + b.0, a.1 + b.1)
    }
}

#[test]
fn general_windows_with_every_kind_of_function() {
    // A count trigger takes these off the slicing path: the general operator with an
    // accumulator (reduce, aggregate) and with every element (process).
    on_both("general reduce", |env| {
        let sums = scripted(env, script(2_000, 30))
            .key_by(key)
            .window(SlidingEventTimeWindows::of(ms(30), ms(10)))
            .trigger(CountTrigger::of(3))
            .reduce(|a, b| (a.0, a.1 + b.1));
        collected(&sums)
    });
    on_both("general aggregate with process", |env| {
        let counted = scripted(env, script(2_000, 30))
            .key_by(key)
            .window(TumblingEventTimeWindows::of(ms(25)))
            .allowed_lateness(ms(10))
            .aggregate_with(
                CountAndSum,
                ProcessWindowFn::new(
                    |k: &u32, ctx: &mut WindowContext<u32, TimeWindow>, r: &[(u64, i64)], out: &mut Collector<_>| {
                        out.collect((*k, ctx.window().start, r[0]));
                        Ok(())
                    },
                ),
            );
        collected(&counted)
    });
    let listed = on_both("general process", |env| {
        let lists = scripted(env, script(2_000, 30))
            .key_by(key)
            .window(SlidingEventTimeWindows::of(ms(40), ms(20)))
            .allowed_lateness(ms(10))
            .process(ProcessWindowFn::new(
                |k: &u32, ctx: &mut WindowContext<u32, TimeWindow>, e: &[Rec], out: &mut Collector<_>| {
                    list(k, ctx, e, out);
                    Ok(())
                },
            ));
        collected(&lists)
    });
    assert!(listed.iter().any(|((_, _, _, values), _)| values.len() > 3), "windows with several elements");
}

#[test]
fn sessions_merge_with_elements_and_with_accumulators() {
    let sessions = on_both("sessions of elements", |env| {
        let lists = scripted(env, script(2_500, 5))
            .key_by(key)
            .window(EventTimeSessionWindows::with_gap(ms(15)))
            .allowed_lateness(ms(10))
            .process(ProcessWindowFn::new(
                |k: &u32, ctx: &mut WindowContext<u32, TimeWindow>, e: &[Rec], out: &mut Collector<_>| {
                    list(k, ctx, e, out);
                    Ok(())
                },
            ));
        collected(&lists)
    });
    assert!(sessions.iter().any(|((_, _, _, values), _)| values.len() > 20), "sessions grew by merging");
    on_both("sessions of sums", |env| {
        let sums = scripted(env, script(2_500, 5))
            .key_by(key)
            .window(EventTimeSessionWindows::with_gap(ms(15)))
            .allowed_lateness(ms(10))
            .reduce(|a, b| (a.0, a.1 + b.1));
        collected(&sums)
    });
    // Sessions of two streams: a co-group keeps the tagged elements of both. (In order:
    // with two inputs, which records are late would depend on how they interleave.)
    on_both("co-group in sessions", |env| {
        let all = scripted(env, in_order(script(1_500, 5)));
        let (evens, odds) = (all.filter(|r: &Rec| r.1 % 2 == 0), all.filter(|r: &Rec| r.1 % 2 != 0));
        let grouped =
            evens.co_group(&odds).where_(key).equal_to(key).window(EventTimeSessionWindows::with_gap(ms(10))).apply(
                |k: &u32, a: &[Rec], b: &[Rec], out: &mut Collector<(u32, usize, usize, i64)>| {
                    out.collect((*k, a.len(), b.len(), a.iter().chain(b).map(|r| r.1).sum()))
                },
            );
        collected(&grouped)
    });
}

#[test]
fn count_windows_purging_and_evicting() {
    on_both("count windows", |env| {
        let sums = scripted(env, script(2_000, 15)).key_by(key).count_window(4).reduce(|a, b| (a.0, a.1 + b.1));
        collected(&sums)
    });
    on_both("sliding count windows (an evictor)", |env| {
        let sums =
            scripted(env, script(2_000, 15)).key_by(key).count_window_sliding(5, 2).reduce(|a, b| (a.0, a.1 + b.1));
        collected(&sums)
    });
}

/// Emits (key, window start, elements, this window's firing number, the key's firings
/// so far): per-window state and per-key state of the window function.
#[derive(Clone, Default)]
struct Firings {
    window: Option<ValueState<u32>>,
    key: Option<ValueState<u32>>,
}

type FiringRow = (u32, i64, usize, u32, u32);

impl ProcessWindowFunction<u32, Rec, FiringRow, TimeWindow> for Firings {
    fn open(&mut self, ctx: &mut RuntimeContext<WindowStateKey<u32, TimeWindow>>) -> Result<(), BoxError> {
        self.window = Some(ctx.get_state(&ValueStateDescriptor::new("window firings"))?);
        self.key = Some(ctx.get_state(&ValueStateDescriptor::new("key firings"))?);
        Ok(())
    }

    fn process(
        &mut self,
        k: &u32,
        ctx: &mut WindowContext<u32, TimeWindow>,
        e: &[Rec],
        out: &mut Collector<FiringRow>,
    ) -> Result<(), BoxError> {
        let (window, key) = (self.window.unwrap(), self.key.unwrap());
        let mut per_window = ctx.window_state()?;
        let n = window.value(&mut per_window)?.unwrap_or(0) + 1;
        window.update(&mut per_window, n)?;
        let mut per_key = ctx.global_state();
        let m = key.value(&mut per_key)?.unwrap_or(0) + 1;
        key.update(&mut per_key, m)?;
        out.collect((*k, ctx.window().start, e.len(), n, m));
        Ok(())
    }

    fn clear(&mut self, ctx: &mut WindowContext<u32, TimeWindow>) -> Result<(), BoxError> {
        Ok(self.window.unwrap().clear(&mut ctx.window_state()?)?)
    }
}

#[test]
fn triggers_with_state_and_timers_and_window_function_state() {
    let rows = on_both("count trigger with function state", |env| {
        let rows = scripted(env, script(2_000, 20))
            .key_by(key)
            .window(TumblingEventTimeWindows::of(ms(40)))
            .allowed_lateness(ms(10))
            .trigger(CountTrigger::of(3))
            .process(Firings::default());
        collected(&rows)
    });
    assert!(rows.iter().any(|((_, _, _, n, _), _)| *n > 1), "windows fired more than once");
    on_both("continuous event-time trigger", |env| {
        let sums = scripted(env, script(2_000, 20))
            .key_by(key)
            .window(TumblingEventTimeWindows::of(ms(60)))
            .trigger(ContinuousEventTimeTrigger::of(ms(15)))
            .reduce(|a, b| (a.0, a.1 + b.1));
        collected(&sums)
    });
}

#[test]
fn window_joins() {
    on_both("tumbling join", |env| {
        let all = scripted(env, in_order(script(1_200, 10)));
        let (evens, odds) = (all.filter(|r: &Rec| r.1 % 2 == 0), all.filter(|r: &Rec| r.1 % 2 != 0));
        let joined = evens
            .join(&odds)
            .where_(key)
            .equal_to(key)
            .window(TumblingEventTimeWindows::of(ms(20)))
            .apply(|a: &Rec, b: &Rec| (a.0, a.1, b.1));
        collected(&joined)
    });
}

#[test]
fn processing_time_windows_and_rolling_reduce() {
    // Every element fires its (growing) hour-long window: processing-time timers (the
    // window's cleanup) are registered in the store.
    on_both("processing-time windows", |env| {
        let sums = env
            .from_collection((0..500i64).map(|i| ((i % 7) as u32, i)).collect::<Vec<Rec>>())
            .set_parallelism(1)
            .key_by(key)
            .window(TumblingProcessingTimeWindows::of(Duration::from_secs(3_600)))
            .trigger(CountTrigger::of(1))
            .reduce(|a, b| (a.0, a.1 + b.1))
            .map(|r: Rec| r);
        let got = sums.collect();
        Box::new(move || got.take())
    });
    let sums = on_both("rolling reduce", |env| {
        let sums = env
            .from_collection((0..3_000i64).map(|i| ((i % 37) as u32, i)).collect::<Vec<Rec>>())
            .set_parallelism(1)
            .key_by(key)
            .sum(1);
        let got = sums.collect();
        Box::new(move || got.take())
    });
    assert_eq!(sums.len(), 3_000);
    let last_of_0 = sums.iter().filter(|r| r.0 == 0).map(|r| r.1).max();
    assert_eq!(last_of_0, Some((0..3_000i64).filter(|i| i % 37 == 0).sum()));
}

#[test]
fn many_windows_in_few_key_groups() {
    // 4 key groups and 200 keys: thousands of open windows and timers per key group, far
    // more than the embedded timers' caches, and more state than the memtables.
    let env = |dir: Option<&tempfile::TempDir>| env_on(dir).with_max_parallelism(4);
    on_both_with("many windows", env, |env| {
        let lists = scripted(env, script(1_000, 200))
            .key_by(key)
            .window(SlidingEventTimeWindows::of(ms(100), ms(10)))
            .process(ProcessWindowFn::new(
                |k: &u32, ctx: &mut WindowContext<u32, TimeWindow>, e: &[Rec], out: &mut Collector<_>| {
                    out.collect((*k, ctx.window().start, e.len(), e.iter().map(|r| r.1).sum::<i64>()));
                    Ok(())
                },
            ));
        collected(&lists)
    });
}
