//! End to end: `keyed_a.connect(&keyed_b).process(KeyedCoProcessFunction)`. Records of
//! one key from both inputs — different types, different key selectors — meet in the
//! subtask that owns the key and share its value, list and map state; timers registered
//! by one input see (and are deleted by) the other's updates and fire once, in event
//! time by the watermark of both inputs, in processing time by the injected clock; side
//! outputs work from timers.

use crate::event_time_script;

use std::sync::Arc;
use std::time::Duration;

use event_time_script::{every_record_bounded, ScriptSource, Step};
use weir::prelude::*;
use weir::{KeyedCoProcessFunction, ManualClock, StreamRecord};
use weir_core::key_group::{assign_to_key_group, operator_index_for_key_group};

/// Per key, over both inputs: the sum of the values, how many records each input sent,
/// and every record; emitted when the event-time timer at 1 000 fires (at the end).
#[derive(Clone, Default)]
struct Totals {
    sum: Option<ValueState<i64>>,
    per_input: Option<MapState<String, u64>>,
    seen: Option<ListState<String>>,
    subtask: usize,
}

type Total = (u32, usize, i64, Vec<(String, u64)>, Vec<String>);

impl Totals {
    fn add(&self, input: &str, value: i64, ctx: &mut KeyedContext<u32>) -> Result<(), BoxError> {
        let (sum, per_input, seen) =
            (self.sum.expect("opened"), self.per_input.expect("opened"), self.seen.expect("opened"));
        let total = sum.value(ctx)?.unwrap_or(0) + value;
        sum.update(ctx, total)?;
        let n = per_input.get(ctx, &input.to_string())?.unwrap_or(0);
        per_input.put(ctx, input.to_string(), n + 1)?;
        seen.add(ctx, format!("{input}:{value}"))?;
        ctx.timer_service().register_event_time_timer(1_000);
        Ok(())
    }
}

impl KeyedCoProcessFunction<u32, (u32, i64), String, Total> for Totals {
    fn open(&mut self, ctx: &mut RuntimeContext<u32>) -> Result<(), BoxError> {
        self.sum = Some(ctx.get_state(&ValueStateDescriptor::new("sum"))?);
        self.per_input = Some(ctx.get_map_state(&MapStateDescriptor::new("per input"))?);
        self.seen = Some(ctx.get_list_state(&ListStateDescriptor::new("seen"))?);
        self.subtask = ctx.subtask().index;
        Ok(())
    }

    fn process_element1(
        &mut self,
        v: (u32, i64),
        ctx: &mut KeyedContext<u32>,
        _: &mut Collector<Total>,
    ) -> Result<(), BoxError> {
        assert_eq!(*ctx.current_key(), v.0);
        self.add("first", v.1, ctx)
    }

    fn process_element2(
        &mut self,
        v: String,
        ctx: &mut KeyedContext<u32>,
        _: &mut Collector<Total>,
    ) -> Result<(), BoxError> {
        let value = v.split_once('=').expect("key=value").1.parse()?;
        self.add("second", value, ctx)
    }

    fn on_timer(&mut self, ts: i64, ctx: &mut KeyedContext<u32>, out: &mut Collector<Total>) -> Result<(), BoxError> {
        assert_eq!((ts, ctx.time_domain()), (1_000, Some(TimeDomain::EventTime)));
        let mut per_input = self.per_input.expect("opened").entries(ctx)?;
        per_input.sort();
        let mut seen = self.seen.expect("opened").get(ctx)?;
        seen.sort();
        let sum = self.sum.expect("opened").value(ctx)?.unwrap_or(0);
        out.collect((*ctx.current_key(), self.subtask, sum, per_input, seen));
        Ok(())
    }
}

#[test]
fn both_inputs_share_the_state_of_their_key_in_the_subtask_that_owns_it() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3).with_max_parallelism(128);
    // First input: (key, value) for keys 0..=4; second: "key=value" strings for keys
    // 0, 1, 2, 3 and 5, keyed by parsing the string.
    let first: Vec<(u32, i64)> = (0..=4).flat_map(|k| [(k, 10 * k as i64 + 1), (k, 10 * k as i64 + 2)]).collect();
    let second: Vec<String> = [0, 1, 2, 3, 5].iter().map(|k| format!("{k}={}", 100 * k)).collect();
    let a = env.from_collection(first).key_by(|r: &(u32, i64)| r.0);
    let b = env
        .from_collection(second)
        .key_by(|s: &String| s.split_once('=').expect("key=value").0.parse::<u32>().unwrap_or(99));
    let got = a.connect(&b).process(Totals::default()).collect();
    env.execute("shared state").unwrap();
    let mut got = got.take();
    got.sort();
    let owner = |k: u32| operator_index_for_key_group(128, 3, assign_to_key_group(&k, 128));
    let counts = |first: u64, second: u64| {
        let mut c = Vec::new();
        if first > 0 {
            c.push(("first".to_string(), first));
        }
        if second > 0 {
            c.push(("second".to_string(), second));
        }
        c
    };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let expected: Vec<Total> = vec![
        (0, owner(0), 1 + 2, counts(2, 1), s(&["first:1", "first:2", "second:0"])),
        (1, owner(1), 11 + 12 + 100, counts(2, 1), s(&["first:11", "first:12", "second:100"])),
        (2, owner(2), 21 + 22 + 200, counts(2, 1), s(&["first:21", "first:22", "second:200"])),
        (3, owner(3), 31 + 32 + 300, counts(2, 1), s(&["first:31", "first:32", "second:300"])),
        (4, owner(4), 41 + 42, counts(2, 0), s(&["first:41", "first:42"])),
        (5, owner(5), 500, counts(0, 1), s(&["second:500"])),
    ];
    assert_eq!(got, expected);
    let subtasks: std::collections::BTreeSet<usize> = got.iter().map(|t| t.1).collect();
    assert!(subtasks.len() > 1, "keys spread over subtasks: {subtasks:?}");
}

/// Orders (first input, `(id, ts)`) and payments (second input, `"pay-<id>"`), keyed by
/// id. Whichever comes second emits `("paid", id)` and deletes the first one's timer; an
/// order unpaid 10 ms after it emits `("timed out", id)` at its timer; a payment without
/// order 10 ms after it goes to the `unmatched` side output.
#[derive(Clone)]
struct Payments {
    order: Option<ValueState<i64>>,
    paid_at: Option<ValueState<i64>>,
    unmatched: OutputTag<u32>,
}

impl KeyedCoProcessFunction<u32, (u32, i64), String, (&'static str, u32)> for Payments {
    fn open(&mut self, ctx: &mut RuntimeContext<u32>) -> Result<(), BoxError> {
        self.order = Some(ctx.get_state(&ValueStateDescriptor::new("order"))?);
        self.paid_at = Some(ctx.get_state(&ValueStateDescriptor::new("paid at"))?);
        Ok(())
    }

    fn process_element1(
        &mut self,
        (id, ts): (u32, i64),
        ctx: &mut KeyedContext<u32>,
        out: &mut Collector<(&'static str, u32)>,
    ) -> Result<(), BoxError> {
        let paid_at = self.paid_at.expect("opened");
        match paid_at.value(ctx)? {
            Some(at) => {
                out.collect(("paid", id));
                paid_at.clear(ctx)?;
                ctx.timer_service().delete_event_time_timer(at + 10);
            }
            None => {
                self.order.expect("opened").update(ctx, ts)?;
                ctx.timer_service().register_event_time_timer(ts + 10);
            }
        }
        Ok(())
    }

    fn process_element2(
        &mut self,
        _: String,
        ctx: &mut KeyedContext<u32>,
        out: &mut Collector<(&'static str, u32)>,
    ) -> Result<(), BoxError> {
        let order = self.order.expect("opened");
        let id = *ctx.current_key();
        match order.value(ctx)? {
            Some(at) => {
                out.collect(("paid", id));
                order.clear(ctx)?;
                ctx.timer_service().delete_event_time_timer(at + 10);
            }
            None => {
                let ts = ctx.timestamp().expect("payments have timestamps");
                self.paid_at.expect("opened").update(ctx, ts)?;
                ctx.timer_service().register_event_time_timer(ts + 10);
            }
        }
        Ok(())
    }

    fn on_timer(
        &mut self,
        _: i64,
        ctx: &mut KeyedContext<u32>,
        out: &mut Collector<(&'static str, u32)>,
    ) -> Result<(), BoxError> {
        let id = *ctx.current_key();
        let (order, paid_at) = (self.order.expect("opened"), self.paid_at.expect("opened"));
        if order.value(ctx)?.is_some() {
            out.collect(("timed out", id));
            order.clear(ctx)?;
        } else if paid_at.value(ctx)?.is_some() {
            ctx.output(&self.unmatched, id);
            paid_at.clear(ctx)?;
        } else {
            out.collect(("deleted timer fired", id));
        }
        Ok(())
    }
}

#[test]
fn timers_of_one_input_see_and_are_deleted_by_the_other_inputs_state() {
    let env = StreamExecutionEnvironment::new().with_parallelism(2);
    let orders = [(1u32, 100i64), (2, 110), (3, 120)];
    let payments = [("pay-1", 105i64), ("pay-3", 118), ("pay-4", 130)];
    let orders = env.from_source(
        ScriptSource::new(vec![orders
            .iter()
            .map(|&(id, ts)| Step::Emit(0, vec![StreamRecord::with_timestamp((id, ts), ts)]))
            .collect()]),
        every_record_bounded(0),
        "orders",
    );
    let payments = env.from_source(
        ScriptSource::new(vec![payments
            .iter()
            .map(|&(p, ts)| Step::Emit(0, vec![StreamRecord::with_timestamp(p.to_string(), ts)]))
            .collect()]),
        every_record_bounded(0),
        "payments",
    );
    let unmatched = OutputTag::<u32>::new("unmatched payments");
    let matched = orders
        .key_by(|o: &(u32, i64)| o.0)
        .connect(&payments.key_by(|p: &String| p.trim_start_matches("pay-").parse::<u32>().unwrap_or(0)))
        .process(Payments { order: None, paid_at: None, unmatched: unmatched.clone() });
    let stamped = |s: &DataStream<(&'static str, u32)>| {
        s.process(ProcessFn::new(
            |v: (&'static str, u32), ctx: &mut Context, out: &mut Collector<((&'static str, u32), Option<i64>)>| {
                out.collect((v, ctx.timestamp()));
                Ok(())
            },
        ))
        .collect()
    };
    let got = stamped(&matched);
    let side = matched
        .get_side_output(&unmatched)
        .process(ProcessFn::new(|v: u32, ctx: &mut Context, out: &mut Collector<(u32, Option<i64>)>| {
            out.collect((v, ctx.timestamp()));
            Ok(())
        }))
        .collect();
    env.execute("payments").unwrap();
    let mut got = got.take();
    got.sort();
    // Order 1 and payment 1 (either first), order 3 and payment 3 (either first): paid,
    // stamped by whichever came second. Order 2 is never paid: its timer at 120 fires
    // (at the end: the orders' watermark stops at 119) — the records' timers deleted by
    // the other input never fire. Payment 4 has no order: unmatched at 140.
    let paid_1 = got.iter().find(|(v, _)| *v == ("paid", 1)).map(|(_, ts)| *ts);
    let paid_3 = got.iter().find(|(v, _)| *v == ("paid", 3)).map(|(_, ts)| *ts);
    assert!(matches!(paid_1, Some(Some(100 | 105))), "{got:?}");
    assert!(matches!(paid_3, Some(Some(118 | 120))), "{got:?}");
    let kinds: Vec<(&str, u32)> = got.iter().map(|(v, _)| *v).collect();
    assert_eq!(kinds, vec![("paid", 1), ("paid", 3), ("timed out", 2)]);
    assert_eq!(got.iter().find(|(v, _)| v.0 == "timed out").map(|(_, ts)| *ts), Some(Some(120)));
    assert_eq!(side.take(), vec![(4, Some(140))]);
}

/// Registers a processing-time timer 1 s (first input) or 2 s (second input) from now;
/// emits `("registered", key, 0)` when it does and `("fired", key, timer)` when one fires.
#[derive(Clone)]
struct Later;

impl KeyedCoProcessFunction<u32, u32, u32, (&'static str, u32, i64)> for Later {
    fn process_element1(
        &mut self,
        _: u32,
        ctx: &mut KeyedContext<u32>,
        out: &mut Collector<(&'static str, u32, i64)>,
    ) -> Result<(), BoxError> {
        let now = ctx.timer_service().current_processing_time();
        ctx.timer_service().register_processing_time_timer(now + 1_000);
        out.collect(("registered", *ctx.current_key(), 0));
        Ok(())
    }

    fn process_element2(
        &mut self,
        _: u32,
        ctx: &mut KeyedContext<u32>,
        out: &mut Collector<(&'static str, u32, i64)>,
    ) -> Result<(), BoxError> {
        let now = ctx.timer_service().current_processing_time();
        ctx.timer_service().register_processing_time_timer(now + 2_000);
        out.collect(("registered", *ctx.current_key(), 0));
        Ok(())
    }

    fn on_timer(
        &mut self,
        ts: i64,
        ctx: &mut KeyedContext<u32>,
        out: &mut Collector<(&'static str, u32, i64)>,
    ) -> Result<(), BoxError> {
        assert_eq!(ctx.time_domain(), Some(TimeDomain::ProcessingTime));
        assert_eq!(ctx.timestamp(), None, "processing-time timers carry no event time");
        out.collect(("fired", *ctx.current_key(), ts));
        Ok(())
    }
}

#[test]
fn processing_time_timers_of_both_inputs_follow_the_injected_clock() {
    let clock = ManualClock::new(10_000);
    let env =
        StreamExecutionEnvironment::new().with_clock(Arc::new(clock.clone())).with_buffer_timeout(Some(Duration::ZERO));
    let (release, released) = {
        let f = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let g = f.clone();
        (f, Arc::new(move || g.load(std::sync::atomic::Ordering::SeqCst)) as event_time_script::Cond)
    };
    let held = |v: u32| {
        ScriptSource::new(vec![vec![Step::Emit(0, vec![StreamRecord::new(v)]), Step::WaitUntil(released.clone())]])
    };
    let a = env.from_source(held(7), WatermarkStrategy::no_watermarks(), "a").key_by(|v: &u32| *v);
    let b = env.from_source(held(7), WatermarkStrategy::no_watermarks(), "b").key_by(|v: &u32| *v);
    let got = a.connect(&b).process(Later).collect();
    let job = {
        let env = env.clone();
        std::thread::spawn(move || env.execute("processing time"))
    };
    let wait_for = |n: usize| {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while got.len() < n {
            assert!(std::time::Instant::now() < deadline, "only {:?}", got.snapshot());
            std::thread::sleep(Duration::from_millis(1));
        }
    };
    wait_for(2); // both registered at 10 000
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(got.len(), 2, "nothing fires while the clock stands still");
    clock.set(11_000);
    wait_for(3);
    clock.set(12_500);
    wait_for(4);
    release.store(true, std::sync::atomic::Ordering::SeqCst);
    job.join().unwrap().unwrap();
    assert_eq!(
        got.take(),
        vec![("registered", 7, 0), ("registered", 7, 0), ("fired", 7, 11_000), ("fired", 7, 12_000)]
    );
}
