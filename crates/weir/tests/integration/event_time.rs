//! End to end: event time. Out-of-order records within the bound stay on time; the
//! watermark after a task with several inputs is their minimum and never goes back; an
//! idle input (by `with_idleness`, driven by a manual clock) stops holding it back; a
//! slow split holds its source's watermark back; the final watermark arrives exactly
//! when the input ends; event-time timers fire once each, in order, in the subtask that
//! owns their key.
//!
//! Watermarks are made deterministic by sources that emit one record per poll with a
//! generator that emits after every record (see `event_time_script`), and observed by an
//! operator of our own (`DataStream::transform`) that logs every call it gets.

use crate::event_time_script;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use event_time_script::{every_record_bounded, one_per_poll, record, Cond, ScriptSource, Seen, Step};
use weir::prelude::*;
use weir::{ManualClock, StreamRecord};
use weir_core::key_group::{assign_to_key_group, operator_index_for_key_group};

const MAX: i64 = i64::MAX;

fn flag() -> (Arc<AtomicBool>, Cond) {
    let f = Arc::new(AtomicBool::new(false));
    let g = f.clone();
    (f, Arc::new(move || g.load(Ordering::SeqCst)))
}

/// Per record: late (at or behind the watermark) → `("late", ts, watermark)`; else an
/// event-time timer at its timestamp, which emits `("fired", ts, watermark)`.
#[derive(Clone)]
struct SortByEventTime;

impl KeyedProcessFunction<u8, i64, (&'static str, i64, i64)> for SortByEventTime {
    fn process_element(
        &mut self,
        _: i64,
        ctx: &mut KeyedContext<u8>,
        out: &mut Collector<(&'static str, i64, i64)>,
    ) -> Result<(), BoxError> {
        let ts = ctx.timestamp().expect("records have timestamps");
        let watermark = ctx.timer_service().current_watermark();
        if ts <= watermark {
            out.collect(("late", ts, watermark));
        } else {
            ctx.timer_service().register_event_time_timer(ts);
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        ts: i64,
        ctx: &mut KeyedContext<u8>,
        out: &mut Collector<(&'static str, i64, i64)>,
    ) -> Result<(), BoxError> {
        let watermark = ctx.timer_service().current_watermark();
        out.collect(("fired", ts, watermark));
        Ok(())
    }
}

#[test]
fn out_of_order_records_within_the_bound_are_on_time_and_come_out_sorted() {
    let env = StreamExecutionEnvironment::new();
    // Bound 10 ms: the watermark after each record is max_ts - 11.
    let ts = [100, 95, 103, 93, 110, 100, 120, 109, 121];
    let script = one_per_poll(0, &ts.iter().map(|&t| (t, t)).collect::<Vec<_>>());
    let got = env
        .from_source(ScriptSource::new(vec![script]), every_record_bounded(10), "out of order")
        .key_by(|_: &i64| 0u8)
        .process(SortByEventTime)
        .collect();
    env.execute("out of order").unwrap();
    // record → watermark after it: 100→89, 95→89, 103→92, 93→92 (93 > 92: on time),
    // 110→99 (fires 93, 95), 100→99 (on time; timer 100 already set), 120→109 (fires 100,
    // 103), 109 → late (109 <= 109: 11 ms behind the maximum, beyond the bound),
    // 121→110 (fires 110), end → MAX (fires 120, 121).
    assert_eq!(
        got.take(),
        vec![
            ("fired", 93, 99),
            ("fired", 95, 99),
            ("fired", 100, 109),
            ("fired", 103, 109),
            ("late", 109, 109),
            ("fired", 110, 110),
            ("fired", 120, MAX),
            ("fired", 121, MAX),
        ]
    );
}

/// Watermarks `seen` (one subtask's) never decrease, and no record arrives at or behind
/// a watermark seen before it.
fn assert_monotonic_and_nothing_behind<T: std::fmt::Debug>(seen: &[Seen<T>]) {
    let mut watermark = i64::MIN;
    for e in seen {
        match e {
            Seen::Watermark(w) => {
                assert!(*w >= watermark, "watermark went back from {watermark} to {w}");
                watermark = *w;
            }
            Seen::Record(v, ts) => assert!(*ts > watermark, "{v:?} at {ts} arrived behind watermark {watermark}"),
            _ => {}
        }
    }
}

#[test]
fn the_watermark_after_a_task_with_several_inputs_never_goes_back() {
    let env = StreamExecutionEnvironment::new().with_buffer_timeout(Some(Duration::ZERO));
    // A: 2 subtasks, one record per poll, 1 ms of event time per poll.
    let slow = |s: i64| one_per_poll(0, &(1..=200).map(|i| (("a", i), 2 * i + s)).collect::<Vec<_>>());
    // B: 2 subtasks, 10 records per poll, 100 ms of event time per poll.
    let fast = |s: i64| -> Vec<Step<(&'static str, i64)>> {
        (0..10)
            .map(|p| {
                Step::Emit(
                    0,
                    (0..10).map(|j| StreamRecord::with_timestamp(("b", p * 10 + j), 100 * p + 10 * j + s)).collect(),
                )
            })
            .collect()
    };
    let a = env.from_source(ScriptSource::new(vec![slow(0), slow(1)]), every_record_bounded(0), "A").set_parallelism(2);
    let b = env.from_source(ScriptSource::new(vec![fast(0), fast(1)]), every_record_bounded(0), "B").set_parallelism(2);
    // One subtask reading 4 channels.
    let (_, log) = record(&a.union(&b).rebalance(), "watermarks");
    env.execute("several inputs").unwrap();
    let seen = log.of(0);
    assert_eq!(log.records(0).len(), 2 * 200 + 2 * 100);
    assert_monotonic_and_nothing_behind(&seen);
    let watermarks = log.watermarks(0);
    assert_eq!(watermarks.iter().filter(|&&w| w == MAX).count(), 1, "{watermarks:?}");
    assert_eq!(seen[seen.len() - 2..], [Seen::Watermark(MAX), Seen::Finish]);
}

#[test]
fn an_idle_input_stops_holding_back_the_watermark_of_the_other() {
    // Processing time is a manual clock: periodic watermarks (every 200 ms) and the 1 s
    // idleness timeout happen only when the test moves it.
    let clock = ManualClock::new(0);
    let env =
        StreamExecutionEnvironment::new().with_clock(Arc::new(clock.clone())).with_buffer_timeout(Some(Duration::ZERO));
    let (release, released) = flag();
    // Quiet: one record at 10, then nothing (but still open).
    let quiet = vec![
        Step::Emit(0, vec![StreamRecord::with_timestamp(("quiet", 10i64), 10)]),
        Step::WaitUntil(released.clone()),
    ];
    let busy_records: Vec<StreamRecord<(&str, i64)>> =
        (100..200).map(|t| StreamRecord::with_timestamp(("busy", t), t)).collect();
    let busy = vec![Step::Emit(0, busy_records), Step::WaitUntil(released)];
    let quiet = env.from_source(
        ScriptSource::new(vec![quiet]),
        WatermarkStrategy::for_monotonous_timestamps().with_idleness(Duration::from_millis(1_000)),
        "quiet",
    );
    let busy = env.from_source(ScriptSource::new(vec![busy]), WatermarkStrategy::for_monotonous_timestamps(), "busy");
    let (_, log) = record(&quiet.union(&busy), "watermarks");
    let job = {
        let env = env.clone();
        std::thread::spawn(move || env.execute("idleness"))
    };
    // Both sources have read their records — and set their first periodic deadline at
    // 200 — before any watermark.
    log.wait_for("all records", |l| l.records(0).len() == 101);
    assert_eq!(log.watermarks(0), Vec::<i64>::new());
    // 200: quiet's watermark is 9, busy's 198; the minimum passes.
    clock.set(200);
    log.wait_for("watermark 9", |l| l.last_watermark(0) == Some(9));
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(log.last_watermark(0), Some(9), "quiet still holds the watermark back");
    // Quiet saw its record at the emit at 200, starts its quiet period at the emit at
    // 400, and is idle at the first emit 1 000 ms later: 1 400.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut now = 200;
    while log.last_watermark(0) != Some(198) {
        assert!(Instant::now() < deadline, "busy's watermark never passed: {:?}", log.watermarks(0));
        now += 200;
        clock.set(now);
        let step = Instant::now() + Duration::from_millis(20);
        while Instant::now() < step && log.last_watermark(0) != Some(198) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    assert!(now >= 1_400, "quiet declared idle at {now} ms, before its 1 s timeout");
    release.store(true, Ordering::SeqCst);
    job.join().unwrap().unwrap();
    assert_eq!(log.watermarks(0), vec![9, 198, MAX]);
}

#[test]
fn a_slow_split_holds_its_source_watermark_back() {
    let env = StreamExecutionEnvironment::new();
    const SLOW: u64 = 0;
    const FAST: u64 = 1;
    // Each of 2 readers reads two splits in turns: the slow one 10 ms of event time per
    // turn, the fast one 100 ms. The fast split ends first; the slow one goes on to 290.
    let script = |s: i64| {
        let mut steps = Vec::new();
        for i in 0..20 {
            steps.push(Step::Emit(SLOW, vec![StreamRecord::with_timestamp(("slow", s), 10 * i)]));
            steps.push(Step::Emit(FAST, vec![StreamRecord::with_timestamp(("fast", s), 100 * i)]));
        }
        steps.push(Step::Finish(FAST));
        steps.extend((20..30).map(|i| Step::Emit(SLOW, vec![StreamRecord::with_timestamp(("slow", s), 10 * i)])));
        steps
    };
    let source = env
        .from_source(ScriptSource::new(vec![script(0), script(1)]), every_record_bounded(0), "two splits")
        .set_parallelism(2);
    let (_, log) = record(&source.rebalance(), "watermarks");
    env.execute("slow split").unwrap();
    let seen = log.of(0);
    assert_eq!(log.records(0).len(), 2 * (20 + 20 + 10));
    // Had the fast split's watermark (up to 1 899) counted, the slow split's records
    // would arrive behind it.
    assert_monotonic_and_nothing_behind(&seen);
    let before_end: Vec<i64> = log.watermarks(0).into_iter().filter(|&w| w < MAX).collect();
    assert_eq!(before_end.last(), Some(&289), "the slow split's last record (290) - 1: {before_end:?}");
    assert_eq!(seen.last(), Some(&Seen::Finish));
}

/// Where MAX is in `seen`: exactly once, after every record, followed only by the end.
fn assert_max_once_at_the_end(seen: &[Seen<i64>]) {
    let maxes = seen.iter().filter(|e| **e == Seen::Watermark(MAX)).count();
    assert_eq!(maxes, 1, "{seen:?}");
    let max_at = seen.iter().position(|e| *e == Seen::Watermark(MAX)).expect("MAX seen");
    assert!(seen[max_at + 1..].iter().all(|e| matches!(e, Seen::Finish | Seen::Status(_))), "{:?}", &seen[max_at..]);
    assert_eq!(seen.last(), Some(&Seen::Finish));
}

#[test]
fn the_final_watermark_arrives_exactly_when_the_input_ends() {
    let env = StreamExecutionEnvironment::new().with_buffer_timeout(Some(Duration::ZERO));
    let (release, released) = flag();
    // `early` ends at once; `late` stays open (and active, reading its split) until
    // released.
    let early = one_per_poll(0, &[(1, 10), (2, 20), (3, 30)]);
    let mut late = one_per_poll(0, &[(4, 5), (5, 15)]);
    late.push(Step::WaitUntil(released));
    let early = env.from_source(ScriptSource::new(vec![early]), every_record_bounded(0), "early");
    let late = env.from_source(ScriptSource::new(vec![late]), every_record_bounded(0), "late");
    let (_, log) = record(&early.union(&late), "watermarks");
    let job = {
        let env = env.clone();
        std::thread::spawn(move || env.execute("final watermark"))
    };
    // `early` has ended, which ends its event time; `late` holds the watermark at 14.
    log.wait_for("all records and watermark 14", |l| l.records(0).len() == 5 && l.last_watermark(0) == Some(14));
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(log.last_watermark(0), Some(14), "event time must not end before the input");
    assert!(!log.of(0).contains(&Seen::Finish));
    release.store(true, Ordering::SeqCst);
    job.join().unwrap().unwrap();
    let seen = log.of(0);
    assert_monotonic_and_nothing_behind(&seen);
    assert!(log.watermarks(0).iter().all(|&w| w <= 14 || w == MAX), "{:?}", log.watermarks(0));
    assert_max_once_at_the_end(&seen);
}

#[test]
fn the_final_watermark_arrives_even_when_the_input_was_idle_before_it_ended() {
    let env = StreamExecutionEnvironment::new().with_buffer_timeout(Some(Duration::ZERO));
    let (release, released) = flag();
    // The reader finishes its only split and waits before it ends: with no split for
    // the idle timeout, the source is idle.
    let mut script = one_per_poll(0, &[(1, 10), (2, 20)]);
    script.push(Step::Finish(0));
    script.push(Step::WaitUntil(released));
    let strategy = every_record_bounded(0).with_idleness(Duration::from_millis(50));
    let source = env.from_source(ScriptSource::new(vec![script]), strategy, "idle at the end");
    let (_, log) = record(&source.rebalance(), "watermarks");
    let job = {
        let env = env.clone();
        std::thread::spawn(move || env.execute("idle then end"))
    };
    log.wait_for("idleness", |l| l.of(0).contains(&Seen::Status(weir_core::WatermarkStatus::Idle)));
    assert_eq!(log.watermarks(0), vec![9, 19]);
    release.store(true, Ordering::SeqCst);
    job.join().unwrap().unwrap();
    assert_eq!(log.watermarks(0), vec![9, 19, MAX]);
    assert_max_once_at_the_end(&log.of(0));
}

#[test]
fn a_reader_between_splits_is_not_idle_so_its_next_split_is_not_late() {
    let env = StreamExecutionEnvironment::new().with_buffer_timeout(Some(Duration::ZERO));
    let (release, released) = flag();
    let log = event_time_script::Log::new();
    // Reader 0 finishes split 0 at 20 and, once reader 1 is far ahead (or 300 ms have
    // passed), reads split 1 from 30. Had it been idle in between, the task downstream
    // would have taken reader 1's watermark and split 1 would arrive behind it.
    let far_ahead: Cond = {
        let log = log.clone();
        let since = Arc::new(std::sync::Mutex::new(None::<Instant>));
        Arc::new(move || {
            let started = *since.lock().unwrap().get_or_insert_with(Instant::now);
            log.last_watermark(0).is_some_and(|w| w >= 999) || started.elapsed() > Duration::from_millis(300)
        })
    };
    let mut first = one_per_poll(0, &[(1, 10), (2, 20)]);
    first.push(Step::Finish(0));
    first.push(Step::WaitUntil(far_ahead));
    first.extend(one_per_poll(1, &[(3, 30), (4, 40)]));
    first.push(Step::Finish(1));
    let mut second = one_per_poll(2, &[(5, 1_000), (6, 2_000)]);
    second.push(Step::WaitUntil(released));
    let source = env
        .from_source(ScriptSource::new(vec![first, second]), every_record_bounded(0), "two readers")
        .set_parallelism(2);
    event_time_script::record_to(&source.rebalance(), "watermarks", &log);
    let job = {
        let env = env.clone();
        std::thread::spawn(move || env.execute("between splits"))
    };
    log.wait_for("every record", |l| l.records(0).len() == 6);
    release.store(true, Ordering::SeqCst);
    job.join().unwrap().unwrap();
    let seen = log.of(0);
    assert_monotonic_and_nothing_behind(&seen);
    assert!(!seen.contains(&Seen::Status(weir_core::WatermarkStatus::Idle)), "{seen:?}");
    assert_eq!(log.watermarks(0).last(), Some(&MAX));
    assert_max_once_at_the_end(&seen);
}

/// Per record `(key, ts)`: event-time timers at `ts + 20` and at the next multiple of
/// 100 after `ts` (shared by many records, and for key 3 the same as some `ts + 20`).
/// A timer emits `(subtask, key, timer, watermark)`.
#[derive(Clone, Default)]
struct TwoTimers {
    subtask: usize,
}

impl KeyedProcessFunction<u32, (u32, i64), (usize, u32, i64, i64)> for TwoTimers {
    fn open(&mut self, ctx: &mut RuntimeContext<u32>) -> Result<(), BoxError> {
        self.subtask = ctx.subtask().index;
        Ok(())
    }

    fn process_element(
        &mut self,
        (_, ts): (u32, i64),
        ctx: &mut KeyedContext<u32>,
        _: &mut Collector<(usize, u32, i64, i64)>,
    ) -> Result<(), BoxError> {
        let mut timers = ctx.timer_service();
        timers.register_event_time_timer(ts + 20);
        timers.register_event_time_timer((ts / 100 + 1) * 100);
        Ok(())
    }

    fn on_timer(
        &mut self,
        ts: i64,
        ctx: &mut KeyedContext<u32>,
        out: &mut Collector<(usize, u32, i64, i64)>,
    ) -> Result<(), BoxError> {
        let watermark = ctx.timer_service().current_watermark();
        out.collect((self.subtask, *ctx.current_key(), ts, watermark));
        Ok(())
    }
}

#[test]
fn event_time_timers_fire_once_in_order_in_the_subtask_of_their_key() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2).with_max_parallelism(128);
    // Record i: key i % 5 at 10 * i, for i in 0..40; watermark after it: 10 * i - 1.
    let records: Vec<((u32, i64), i64)> = (0..40).map(|i| ((i as u32 % 5, 10 * i), 10 * i)).collect();
    let fired = env
        .from_source(ScriptSource::new(vec![one_per_poll(0, &records)]), every_record_bounded(0), "records")
        .set_parallelism(1)
        .key_by(|r: &(u32, i64)| r.0)
        .process(TwoTimers::default())
        .collect();
    env.execute("timers").unwrap();
    let fired = fired.take();

    // Key k has records at 10k + 50j (j in 0..8): timers at 10k + 50j + 20 and at 100,
    // 200, 300, 400. For key 3 the odd j give 100, 200, 300, 400 again: one timer each.
    let mut expected: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
    for k in 0..5u32 {
        let mut timers: Vec<i64> = (0..8).map(|j| 10 * k as i64 + 50 * j + 20).collect();
        timers.extend([100, 200, 300, 400]);
        timers.sort();
        timers.dedup();
        expected.insert(k, timers);
    }
    assert_eq!(expected[&3], vec![50, 100, 150, 200, 250, 300, 350, 400]);
    assert_eq!(expected.values().map(Vec::len).sum::<usize>(), 4 * 12 + 8);
    let mut got: BTreeMap<u32, Vec<i64>> = BTreeMap::new();
    for &(_, k, t, _) in &fired {
        got.entry(k).or_default().push(t);
    }
    for timers in got.values_mut() {
        timers.sort();
    }
    assert_eq!(got, expected, "each timer once");

    let owner = |k: u32| operator_index_for_key_group(128, 2, assign_to_key_group(&k, 128));
    assert!((0..5).any(|k| owner(k) == 0) && (0..5).any(|k| owner(k) == 1), "keys must cover both subtasks");
    for subtask in 0..2 {
        let mine: Vec<&(usize, u32, i64, i64)> = fired.iter().filter(|f| f.0 == subtask).collect();
        assert!(mine.iter().all(|f| owner(f.1) == subtask), "a timer fired outside its key's subtask");
        // In timestamp order across keys, each as soon as the watermark (10i - 1) reaches
        // it: timer t (a multiple of 10) at watermark t + 9; past the last record's
        // watermark (389), at the final watermark.
        let times: Vec<i64> = mine.iter().map(|f| f.2).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "subtask {subtask} fired out of order: {times:?}");
        for &&(_, k, t, watermark) in &mine {
            let due = if t + 9 <= 389 { t + 9 } else { MAX };
            assert_eq!(watermark, due, "key {k} timer {t}");
        }
    }
}
