//! End to end: tumbling and sliding windows computed by slicing give exactly what the
//! general window operator gives, on random out-of-order data with late records —
//! for several sizes and slides (gcd slices, slides longer than windows), with and
//! without allowed lateness, for reduce and aggregate, late side output included.
//! The general operator is taken by setting the (same) event-time trigger explicitly.

use crate::windows_harness;

use std::time::Duration;

use weir::prelude::*;
use weir::window::TimeWindow;
use weir::window::{
    AggregateFunction, EventTimeTrigger, SlidingEventTimeWindows, TumblingEventTimeWindows, WindowAssigner,
};
use windows_harness::{run, scripted, scripted_env, sorted, with_timestamps, Ev};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

type Rec = (u8, i64);

/// Random records for 4 keys over ~1.5 s: mostly in order, some up to 60 ms out of
/// order, a few very late; a watermark 40 ms behind the highest time after every 5th.
fn script(seed: u64) -> Vec<Ev<Rec>> {
    let mut s = seed;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut out = Vec::new();
    let mut max = 0i64;
    for i in 0..300i64 {
        let r = next();
        let mut ts = i * 5 + (r % 7) as i64;
        match r % 20 {
            0 => ts -= 60,
            1 => ts -= 300, // late for most windows
            _ => {}
        }
        max = max.max(ts);
        out.push(Ev::R(((r >> 8) as u8 % 4, (r >> 16) as i64 % 100 - 20), ts));
        if i % 5 == 4 {
            out.push(Ev::W(max - 40));
        }
    }
    out
}

/// Sum, count and maximum.
#[derive(Clone)]
struct Stats;

impl AggregateFunction<Rec> for Stats {
    type Acc = (i64, u32, i64);
    type Out = (i64, u32, i64);
    fn create_accumulator(&self) -> Self::Acc {
        (0, 0, i64::MIN)
    }
    fn add(&self, v: Rec, acc: &mut Self::Acc) {
        acc.0 += v.1;
        acc.1 += 1;
        acc.2 = acc.2.max(v.1);
    }
    fn get_result(&self, acc: &Self::Acc) -> Self::Out {
        *acc
    }
    fn merge(&self, a: Self::Acc, b: Self::Acc) -> Self::Acc {
        (a.0 + b.0, a.1 + b.1, a.2.max(b.2))
    }
}

type Outputs = (Vec<((i64, u32, i64), i64)>, Vec<(Rec, i64)>, Vec<(Rec, i64)>, u64);

/// Runs aggregate and reduce over `assigner`, sliced or general; returns the
/// aggregates, the reduced records, the late records (side output) and the count
/// dropped by the reduce.
fn run_job<A>(assigner: A, lateness: u64, general: bool, seed: u64) -> Outputs
where
    A: WindowAssigner<Rec, W = TimeWindow>,
{
    let env = scripted_env(2);
    let late = OutputTag::<Rec>::new("late");
    let input = scripted(&env, script(seed));
    let agg = input
        .key_by(|r: &Rec| r.0)
        .window(assigner.clone())
        .allowed_lateness(ms(lateness))
        .side_output_late_data(&late);
    let aggregated =
        if general { agg.trigger(EventTimeTrigger::create()).aggregate(Stats) } else { agg.aggregate(Stats) };
    let red = input.key_by(|r: &Rec| r.0).window(assigner).allowed_lateness(ms(lateness));
    let dropped = red.late_records_dropped();
    let reduced = if general {
        red.trigger(EventTimeTrigger::create()).reduce(|a, b| (a.0, a.1 + b.1))
    } else {
        red.reduce(|a, b| (a.0, a.1 + b.1))
    };
    let (a, r, l) = (
        with_timestamps(&aggregated).collect(),
        with_timestamps(&reduced).collect(),
        with_timestamps(&aggregated.get_side_output(&late)).collect(),
    );
    let plan = env.explain().expect("plan");
    assert_eq!(plan.contains("SlicedWindow"), !general, "{plan}");
    run(&env, "slicing");
    (sorted(a.take()), sorted(r.take()), sorted(l.take()), dropped.count())
}

fn compare<A: WindowAssigner<Rec, W = TimeWindow>>(assigner: A, what: &str) {
    for (lateness, seed) in [(0, 0x9e37_79b9), (50, 0x2545_f491)] {
        let sliced = run_job(assigner.clone(), lateness, false, seed);
        let general = run_job(assigner.clone(), lateness, true, seed);
        assert!(!sliced.0.is_empty(), "{what}: no output");
        assert!(sliced.3 > 0, "{what}: the data has late records");
        assert_eq!(sliced.0, general.0, "{what}, lateness {lateness}: aggregates");
        assert_eq!(sliced.1, general.1, "{what}, lateness {lateness}: reduced");
        assert_eq!(sliced.2, general.2, "{what}, lateness {lateness}: late records");
        assert_eq!(sliced.3, general.3, "{what}, lateness {lateness}: dropped");
        if lateness > 0 {
            let windows: std::collections::BTreeSet<(u8, i64)> =
                sliced.1.iter().map(|((k, _), ts)| (*k, *ts)).collect();
            assert!(windows.len() < sliced.1.len(), "{what}: late records fired windows again");
        }
    }
}

#[test]
fn tumbling_sliced_equals_general() {
    compare(TumblingEventTimeWindows::of(ms(50)), "tumbling 50");
    compare(TumblingEventTimeWindows::of(ms(40)).with_offset(ms(15)), "tumbling 40 offset 15");
}

#[test]
fn sliding_with_dividing_slide_sliced_equals_general() {
    compare(SlidingEventTimeWindows::of(ms(100), ms(20)), "sliding 100/20");
    compare(SlidingEventTimeWindows::of(ms(100), ms(50)).with_offset(ms(7)), "sliding 100/50 offset 7");
}

#[test]
fn sliding_with_gcd_slices_sliced_equals_general() {
    compare(SlidingEventTimeWindows::of(ms(90), ms(60)), "sliding 90/60 (slices of 30)");
    compare(SlidingEventTimeWindows::of(ms(70), ms(30)), "sliding 70/30 (slices of 10)");
}

#[test]
fn sliding_with_gaps_between_windows_sliced_equals_general() {
    compare(SlidingEventTimeWindows::of(ms(30), ms(50)), "sliding 30/50 (gaps)");
}

#[test]
fn every_record_goes_to_one_slice_and_windows_combine_slices() {
    // 1 ms records every ms for one key: each window of 100 every 10 sums 100 values.
    let env = StreamExecutionEnvironment::new();
    let records: Vec<Rec> = (0..1_000).map(|t| (0u8, t)).collect();
    let sums = env
        .from_collection(records)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|r: &Rec, _| r.1),
        )
        .key_by(|r: &Rec| r.0)
        .window(SlidingEventTimeWindows::of(ms(100), ms(10)))
        .aggregate(Stats);
    let got = with_timestamps(&sums).collect();
    assert!(env.explain().expect("plan").contains("SlicedWindow(aggregate)"));
    run(&env, "slices");
    let got = got.take();
    // windows start at -90 .. 990
    assert_eq!(got.len(), 109);
    for ((sum, count, max), ts) in got {
        let (start, end) = ((ts + 1 - 100).max(0), (ts + 1).min(1_000));
        assert_eq!(count as i64, end - start, "window ending {ts}");
        assert_eq!(sum, (start..end).sum::<i64>());
        assert_eq!(max, end - 1);
    }
}
