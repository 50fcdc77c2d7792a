//! End to end: timers of a `KeyedProcessFunction` — event time fired by watermarks from a
//! source's watermark strategy, processing time driven by a manual clock — fire once per
//! key and timestamp, in timestamp order, and deleted timers never fire.

use crate::harness;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::run;
use weir::prelude::*;
use weir::ManualClock;
use weir::StreamRecord;
use weir_connectors::StaticSplitEnumerator;
use weir_runtime::{Boundedness, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

/// Per record `(key, ts)`: registers an event-time timer at `ts + 10` (twice, to check
/// deduplication) and, for key "del", deletes it again. On a timer: emits
/// `(key, timer time, record timestamp seen by the collector, watermark)`.
#[derive(Clone)]
struct Remind;

impl KeyedProcessFunction<String, (String, i64), (String, i64, i64)> for Remind {
    fn process_element(
        &mut self,
        (key, ts): (String, i64),
        ctx: &mut KeyedContext<String>,
        _out: &mut Collector<(String, i64, i64)>,
    ) -> Result<(), BoxError> {
        let mut timers = ctx.timer_service();
        timers.register_event_time_timer(ts + 10);
        timers.register_event_time_timer(ts + 10);
        if key == "del" {
            timers.delete_event_time_timer(ts + 10);
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<String>,
        out: &mut Collector<(String, i64, i64)>,
    ) -> Result<(), BoxError> {
        assert_eq!(ctx.time_domain(), Some(TimeDomain::EventTime));
        let watermark = ctx.timer_service().current_watermark();
        out.collect((ctx.current_key().clone(), timestamp, watermark));
        Ok(())
    }
}

#[test]
fn event_time_timers_fire_once_in_order_when_the_watermark_passes() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let events =
        vec![("a".to_string(), 100i64), ("b".into(), 50), ("a".into(), 100), ("del".into(), 70), ("a".into(), 300)];
    let fired = env
        .from_collection(events)
        .assign_timestamps_and_watermarks(
            WatermarkStrategy::for_monotonous_timestamps().with_timestamp_assigner(|e: &(String, i64), _| e.1),
        )
        .key_by(|e: &(String, i64)| e.0.clone())
        .process(Remind)
        .collect();
    run(&env, "timers");
    let fired = fired.take();
    // a@110 once (registered twice by two records), b@60, a@310; "del" never fires.
    let mut keys_times: Vec<(String, i64)> = fired.iter().map(|(k, t, _)| (k.clone(), *t)).collect();
    keys_times.sort();
    assert_eq!(keys_times, vec![("a".into(), 110), ("a".into(), 310), ("b".into(), 60)]);
    // Per key, in timestamp order, and only once the watermark reached the timer.
    let a: Vec<i64> = fired.iter().filter(|(k, _, _)| k == "a").map(|(_, t, _)| *t).collect();
    assert_eq!(a, vec![110, 310]);
    for (_, t, watermark) in &fired {
        assert!(watermark >= t, "timer {t} fired at watermark {watermark}");
    }
}

/// Emits the key when its processing-time timer fires.
#[derive(Clone)]
struct Timeout;

impl KeyedProcessFunction<i64, i64, (i64, i64)> for Timeout {
    fn process_element(
        &mut self,
        v: i64,
        ctx: &mut KeyedContext<i64>,
        _out: &mut Collector<(i64, i64)>,
    ) -> Result<(), BoxError> {
        let now = ctx.timer_service().current_processing_time();
        ctx.timer_service().register_processing_time_timer(now + 1_000 * v);
        Ok(())
    }

    fn on_timer(
        &mut self,
        timestamp: i64,
        ctx: &mut KeyedContext<i64>,
        out: &mut Collector<(i64, i64)>,
    ) -> Result<(), BoxError> {
        assert_eq!(ctx.time_domain(), Some(TimeDomain::ProcessingTime));
        out.collect((*ctx.current_key(), timestamp));
        Ok(())
    }
}

#[test]
fn processing_time_timers_follow_the_injected_clock() {
    let clock = ManualClock::new(10_000);
    let env = StreamExecutionEnvironment::new().with_clock(Arc::new(clock.clone()));
    // A source that stays open until the test says so, so timers can fire before the end.
    let release = Arc::new(AtomicBool::new(false));
    let fired = env
        .from_source(
            HeldOpen { values: vec![1i64, 2, 3], release: release.clone() },
            WatermarkStrategy::no_watermarks(),
            "values",
        )
        .key_by(|v: &i64| *v)
        .process(Timeout)
        .collect();
    let job = {
        let env = env.clone();
        std::thread::spawn(move || run(&env, "processing-time timers"))
    };
    let wait_for = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while fired.len() < n {
            assert!(Instant::now() < deadline, "timers did not fire: {:?}", fired.snapshot());
            std::thread::sleep(Duration::from_millis(2));
        }
    };
    // Nothing fires while the clock stands still.
    std::thread::sleep(Duration::from_millis(50));
    assert!(fired.is_empty());
    clock.advance(1_500); // 11_500: key 1's timer (11_000) is due
    wait_for(1);
    clock.advance(2_000); // 13_500: keys 2 (12_000) and 3 (13_000)
    wait_for(3);
    release.store(true, Ordering::SeqCst);
    job.join().unwrap();
    assert_eq!(fired.take(), vec![(1, 11_000), (2, 12_000), (3, 13_000)]);
}

/// Emits its values at once, then stays open (idle) until `release` is set.
#[derive(Clone)]
struct HeldOpen {
    values: Vec<i64>,
    release: Arc<AtomicBool>,
}

struct HeldOpenReader {
    values: Option<Vec<i64>>,
    release: Arc<AtomicBool>,
    deadline: Instant,
}

impl Source for HeldOpen {
    type Out = i64;
    type Split = ();
    type Reader = HeldOpenReader;
    type Enumerator = StaticSplitEnumerator<()>;

    fn boundedness(&self) -> Boundedness {
        Boundedness::ContinuousUnbounded
    }

    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        Ok(StaticSplitEnumerator::new(vec![()], parallelism))
    }

    fn create_reader(&self, _: &SubtaskInfo) -> Result<Self::Reader, BoxError> {
        Ok(HeldOpenReader {
            values: Some(self.values.clone()),
            release: self.release.clone(),
            deadline: Instant::now() + Duration::from_secs(10),
        })
    }
}

impl SourceReader for HeldOpenReader {
    type Out = i64;
    type Split = ();

    fn add_split(&mut self, _: ()) -> Result<(), BoxError> {
        Ok(())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<i64>, _max: usize) -> Result<ReadStatus, BoxError> {
        if let Some(values) = self.values.take() {
            out.extend(values.into_iter().map(StreamRecord::new));
            return Ok(ReadStatus::MoreAvailable);
        }
        if self.release.load(Ordering::SeqCst) {
            return Ok(ReadStatus::NeedsSplit);
        }
        if Instant::now() > self.deadline {
            return Err("the test never released the source".into());
        }
        Ok(ReadStatus::NothingAvailable)
    }
}

#[test]
fn ingestion_time_stamps_records_with_the_clock_where_they_enter() {
    let clock = ManualClock::new(5_000);
    let env = StreamExecutionEnvironment::new().with_clock(Arc::new(clock.clone()));
    let read_timestamp = |v: i64, ctx: &mut Context, out: &mut Collector<(i64, Option<i64>)>| {
        out.collect((v, ctx.timestamp()));
        Ok(())
    };
    // At the source.
    let at_source = env
        .from_source(
            weir_connectors::CollectionSource::new(vec![1i64, 2]),
            WatermarkStrategy::for_ingestion_time(),
            "ints",
        )
        .process(ProcessFn::new(read_timestamp))
        .collect();
    // On a stream.
    let on_stream = env
        .from_collection(vec![3i64])
        .assign_timestamps_and_watermarks(WatermarkStrategy::for_ingestion_time())
        .process(ProcessFn::new(read_timestamp))
        .collect();
    run(&env, "ingestion time");
    assert_eq!(at_source.take(), vec![(1, Some(5_000)), (2, Some(5_000))]);
    assert_eq!(on_stream.take(), vec![(3, Some(5_000))]);
}
