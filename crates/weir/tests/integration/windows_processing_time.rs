//! End to end: processing-time windows driven by a manual clock — tumbling, sliding
//! (through the slicing and the general operator alike), sessions (merging), and the
//! continuous processing-time trigger. Records take the operator's processing time
//! when they arrive; windows fire when the clock passes their end.
//!
//! The test feeds records while the job runs, waits until the window operator has seen
//! them (the key selector counts its calls; at parallelism 1 only the window operator
//! calls it — a single-channel writer does not), and only then moves the clock.

use crate::windows_harness;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use weir::prelude::*;
use weir::window::{
    ContinuousProcessingTimeTrigger, ProcessWindowFn, ProcessingTimeSessionWindows, ProcessingTimeTrigger,
    SlidingProcessingTimeWindows, TimeWindow, TumblingProcessingTimeWindows, WindowContext,
};
use weir::ManualClock;
use windows_harness::{run, wait_until, with_timestamps, Feed};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

type Rec = (String, i64);

/// A running job fed by the test, with its clock.
struct Driver {
    clock: ManualClock,
    feed: Feed<Rec>,
    keyed_calls: Arc<AtomicUsize>,
    job: Option<std::thread::JoinHandle<()>>,
}

impl Driver {
    /// Starts the job built in `env`.
    fn launch(mut self, env: StreamExecutionEnvironment) -> Self {
        self.job = Some(std::thread::spawn(move || run(&env, "processing time")));
        self
    }

    /// Pushes records and waits until the window operator has taken them.
    fn push(&self, records: &[(&str, i64)]) {
        self.feed.push(records.iter().map(|(k, v)| (k.to_string(), *v)));
        let expected = self.feed.pushed();
        let calls = &self.keyed_calls;
        wait_until("the window operator to take the records", || calls.load(Ordering::SeqCst) >= expected);
    }

    fn finish(mut self) {
        self.feed.close();
        self.job.take().expect("launched").join().expect("job thread");
    }
}

/// An environment with a manual clock at `start_ms`, and the fed input keyed by its
/// first field (counting the key selector's calls).
#[allow(clippy::type_complexity)]
fn setup(
    start_ms: i64,
) -> (Driver, StreamExecutionEnvironment, KeyedStream<Rec, impl Fn(&Rec) -> String + Clone + Send + Sync + 'static>) {
    let clock = ManualClock::new(start_ms);
    // Flush after every batch: the buffer timeout would wait for the (manual) clock.
    let env =
        StreamExecutionEnvironment::new().with_clock(Arc::new(clock.clone())).with_buffer_timeout(Some(Duration::ZERO));
    let feed = Feed::default();
    let keyed_calls = Arc::new(AtomicUsize::new(0));
    let calls = keyed_calls.clone();
    let keyed = env.from_source(feed.clone(), WatermarkStrategy::no_watermarks(), "feed").key_by(move |r: &Rec| {
        calls.fetch_add(1, Ordering::SeqCst);
        r.0.clone()
    });
    (Driver { clock, feed, keyed_calls, job: None }, env, keyed)
}

fn rec(k: &str, v: i64) -> Rec {
    (k.to_string(), v)
}

fn sum(a: Rec, b: Rec) -> Rec {
    (a.0, a.1 + b.1)
}

#[test]
fn tumbling_processing_time_windows_fire_when_the_clock_passes_their_end() {
    let (d, env, keyed) = setup(1_000);
    let out = with_timestamps(&keyed.window(TumblingProcessingTimeWindows::of(ms(100))).reduce(sum)).collect();
    let d = d.launch(env);
    d.push(&[("a", 1), ("a", 2), ("b", 5)]); // all in [1000, 1100)
    assert!(out.is_empty(), "nothing fires before the clock moves");
    d.clock.set(1_099);
    wait_until("[1000, 1100) to fire", || out.len() == 2);
    d.clock.set(1_150);
    d.push(&[("a", 10)]); // [1100, 1200)
    d.clock.set(1_199);
    wait_until("[1100, 1200) to fire", || out.len() == 3);
    d.finish();
    let mut got = out.take();
    got[..2].sort();
    assert_eq!(got, vec![(rec("a", 3), 1_099), (rec("b", 5), 1_099), (rec("a", 10), 1_199)]);
}

fn sliding_scenario(general: bool) {
    let (d, env, keyed) = setup(1_000);
    let windowed = keyed.window(SlidingProcessingTimeWindows::of(ms(100), ms(50)));
    // the default trigger takes the slicing operator; an explicit one the general operator
    let sums =
        if general { windowed.trigger(ProcessingTimeTrigger::create()).reduce(sum) } else { windowed.reduce(sum) };
    let out = with_timestamps(&sums).collect();
    let d = d.launch(env);
    d.push(&[("a", 1)]); // at 1000: [950, 1050) and [1000, 1100)
    d.clock.set(1_049);
    wait_until("[950, 1050)", || out.len() == 1);
    d.clock.set(1_060);
    d.push(&[("a", 2)]); // at 1060: [1000, 1100) and [1050, 1150)
    d.clock.set(1_099);
    wait_until("[1000, 1100)", || out.len() == 2);
    d.clock.set(1_149);
    wait_until("[1050, 1150)", || out.len() == 3);
    d.finish();
    assert_eq!(
        out.take(),
        vec![(rec("a", 1), 1_049), (rec("a", 3), 1_099), (rec("a", 2), 1_149)],
        "general: {general}"
    );
}

#[test]
fn sliding_processing_time_windows_by_slicing_and_by_the_general_operator() {
    sliding_scenario(false);
    sliding_scenario(true);
}

#[test]
fn processing_time_sessions_merge_and_fire_after_the_gap() {
    let (d, env, keyed) = setup(1_000);
    let out = with_timestamps(&keyed.window(ProcessingTimeSessionWindows::with_gap(ms(100))).reduce(sum)).collect();
    let d = d.launch(env);
    d.push(&[("a", 1)]); // [1000, 1100)
    d.clock.set(1_050);
    d.push(&[("a", 2)]); // [1050, 1150): merged into [1000, 1150)
    d.clock.set(1_120); // the first session's old end passed: nothing fires
    d.push(&[("b", 7)]); // [1120, 1220)
    d.clock.set(1_149);
    wait_until("the merged session", || out.len() == 1);
    d.clock.set(1_219);
    wait_until("b's session", || out.len() == 2);
    d.finish();
    assert_eq!(out.take(), vec![(rec("a", 3), 1_149), (rec("b", 7), 1_219)]);
}

#[test]
fn a_continuous_processing_time_trigger_fires_every_interval() {
    let (d, env, keyed) = setup(1_000);
    let firings = keyed
        .window(TumblingProcessingTimeWindows::of(ms(1_000)))
        .trigger(ContinuousProcessingTimeTrigger::of(ms(100)))
        .process(ProcessWindowFn::new(
            |_: &String, ctx: &mut WindowContext<String, TimeWindow>, e: &[Rec], out: &mut Collector<(i64, i64)>| {
                out.collect((ctx.current_processing_time(), e.iter().map(|r| r.1).sum()));
                Ok(())
            },
        ));
    let out = with_timestamps(&firings).collect();
    let d = d.launch(env);
    d.push(&[("a", 1)]); // at 1000: first firing at 1100
    d.clock.set(1_100);
    wait_until("the first firing", || out.len() == 1);
    d.push(&[("a", 2)]);
    d.clock.set(1_200);
    wait_until("the second firing", || out.len() == 2);
    d.finish();
    assert_eq!(out.take(), vec![((1_100, 1), 1_999), ((1_200, 3), 1_999)]);
}
