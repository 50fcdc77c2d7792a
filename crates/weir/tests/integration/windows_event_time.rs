//! End to end: event-time windows — tumbling (with offsets, negative timestamps),
//! sliding and session windows; out-of-order records within the watermark bound; late
//! records dropped and counted, accepted within allowed lateness (firing the window
//! again with the updated result) or sent to the late side output; session merging,
//! also by a late record bridging two sessions; results stamped with the window's max
//! timestamp so windows chain; the same results at parallelism 1 and 2.
//!
//! Expected outputs are worked out by hand from Flink's documented semantics (window
//! `[start, end)` fires when the watermark reaches `end - 1`; it is cleaned up when
//! the watermark reaches `end - 1 + allowed lateness`).

use crate::windows_harness;

use std::time::Duration;

use weir::prelude::*;
use weir::window::{EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows};
use windows_harness::{bounded, list_window, run, scripted, scripted_env, sorted, with_timestamps, Ev, Listed};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

type Rec = (String, i64);

fn r(key: &str, ts: i64) -> Ev<Rec> {
    Ev::R((key.to_string(), ts), ts)
}

fn key(e: &Rec) -> String {
    e.0.clone()
}

fn listed(key: &str, start: i64, end: i64, values: &[i64]) -> (Listed<String>, i64) {
    ((key.to_string(), start, end, values.to_vec()), end - 1)
}

#[test]
fn out_of_order_records_within_the_watermark_bound_land_in_their_windows() {
    let env = StreamExecutionEnvironment::new();
    // Out of order by up to 7 ms; the watermark trails the highest time by 10 ms, so no
    // record is late whenever watermarks are emitted.
    let records: Vec<Rec> =
        [("a", 1), ("a", 7), ("b", 3), ("a", 12), ("a", 5), ("a", 14), ("b", 9), ("a", 25), ("a", 19)]
            .iter()
            .map(|(k, t)| (k.to_string(), *t))
            .collect();
    let windows = bounded(&env, records, 10, |r: &Rec| r.1)
        .key_by(key)
        .window(TumblingEventTimeWindows::of(ms(10)))
        .process(list_window());
    let got = with_timestamps(&windows).collect();
    run(&env, "out of order");
    assert_eq!(
        sorted(got.take()),
        sorted(vec![
            listed("a", 0, 10, &[1, 5, 7]),
            listed("a", 10, 20, &[12, 14, 19]),
            listed("a", 20, 30, &[25]),
            listed("b", 0, 10, &[3, 9]),
        ])
    );
}

/// Records 2 and 5, then the watermark closes [0, 10); 3 and 8 come too late.
fn late_script() -> Vec<Ev<Rec>> {
    vec![r("k", 2), r("k", 5), Ev::W(9), r("k", 3), r("k", 12), Ev::W(20), r("k", 8), r("k", 25)]
}

#[test]
fn late_records_are_dropped_and_counted() {
    let env = scripted_env(1);
    let windowed = scripted(&env, late_script()).key_by(key).window(TumblingEventTimeWindows::of(ms(10)));
    let dropped = windowed.late_records_dropped();
    let got = with_timestamps(&windowed.process(list_window())).collect();
    run(&env, "late dropped");
    assert_eq!(got.take(), vec![listed("k", 0, 10, &[2, 5]), listed("k", 10, 20, &[12]), listed("k", 20, 30, &[25])]);
    assert_eq!(dropped.count(), 2, "3 and 8 arrived after their window closed");
}

/// Within the allowed lateness of 5 ms, [0, 10) lives until the watermark reaches 14.
fn lateness_script() -> Vec<Ev<Rec>> {
    vec![
        r("k", 2),
        r("k", 5),
        Ev::W(9),   // fires [0, 10): 2 + 5
        r("k", 3),  // late but allowed: fires again, 2 + 3 + 5
        Ev::W(13),  // still allowed
        r("k", 4),  // fires again: 2 + 3 + 4 + 5
        Ev::W(14),  // 9 + 5: the window is cleaned up
        r("k", 6),  // too late
        r("k", 15), // [10, 20)
    ]
}

#[test]
fn allowed_lateness_fires_again_with_the_updated_result_for_every_operator() {
    for sliced in [true, false] {
        let env = scripted_env(1);
        let windowed = scripted(&env, lateness_script())
            .key_by(key)
            .window(TumblingEventTimeWindows::of(ms(10)))
            .allowed_lateness(ms(5));
        let dropped = windowed.late_records_dropped();
        // reduce takes the slicing path; process the general window operator
        let sums = if sliced {
            windowed.reduce(|a, b| (a.0, a.1 + b.1))
        } else {
            windowed.process(list_window()).map(|(k, _, _, values): Listed<String>| (k, values.iter().sum()))
        };
        let got = with_timestamps(&sums).collect();
        run(&env, "allowed lateness");
        let k = |sum: i64, ts: i64| (("k".to_string(), sum), ts);
        assert_eq!(got.take(), vec![k(7, 9), k(10, 9), k(14, 9), k(15, 19)], "sliced: {sliced}");
        assert_eq!(dropped.count(), 1, "6 came after the cleanup (sliced: {sliced})");
    }
}

#[test]
fn records_too_late_go_to_the_late_side_output_when_asked() {
    let late = OutputTag::<Rec>::new("late");
    let env = scripted_env(1);
    let windowed = scripted(&env, lateness_script())
        .key_by(key)
        .window(TumblingEventTimeWindows::of(ms(10)))
        .allowed_lateness(ms(5))
        .side_output_late_data(&late);
    let dropped = windowed.late_records_dropped();
    let sums = windowed.reduce(|a, b| (a.0, a.1 + b.1));
    let late_records = with_timestamps(&sums.get_side_output(&late)).collect();
    let main = sums.collect();
    run(&env, "late side output");
    assert_eq!(main.take().iter().map(|r| r.1).collect::<Vec<_>>(), vec![7, 10, 14, 15]);
    assert_eq!(late_records.take(), vec![(("k".to_string(), 6), 6)], "with its own timestamp");
    assert_eq!(dropped.count(), 0, "records sent to the side output are not dropped");
}

#[test]
fn sliding_windows_hold_every_record_size_over_slide_times() {
    let env = scripted_env(1);
    let script = vec![r("k", 1), r("k", 6), r("k", 12), Ev::W(30)];
    let got = with_timestamps(
        &scripted(&env, script).key_by(key).window(SlidingEventTimeWindows::of(ms(10), ms(5))).process(list_window()),
    )
    .collect();
    run(&env, "sliding");
    assert_eq!(
        got.take(),
        vec![
            listed("k", -5, 5, &[1]),
            listed("k", 0, 10, &[1, 6]),
            listed("k", 5, 15, &[6, 12]),
            listed("k", 10, 20, &[12]),
        ]
    );
}

#[test]
fn tumbling_offsets_and_negative_timestamps() {
    let env = StreamExecutionEnvironment::new();
    let records: Vec<Rec> = [-8, -5, 2, 3, 12].iter().map(|t| ("k".to_string(), *t)).collect();
    let got = with_timestamps(
        &bounded(&env, records, 0, |r: &Rec| r.1)
            .key_by(key)
            .window(TumblingEventTimeWindows::of(ms(10)).with_offset(ms(3)))
            .process(list_window()),
    )
    .collect();
    run(&env, "offsets");
    // windows [3 + 10k, 13 + 10k)
    assert_eq!(
        got.take(),
        vec![listed("k", -17, -7, &[-8]), listed("k", -7, 3, &[-5, 2]), listed("k", 3, 13, &[3, 12])]
    );
}

#[test]
fn sessions_merge_when_a_record_closes_the_gap() {
    let env = scripted_env(1);
    // gap 10: 0 and 5 form [0, 15); 22 forms [22, 32); the watermark 16 closes the first.
    // 14 arrives late (but within lateness 20): its window [14, 24) overlaps both, so
    // the three merge into [0, 32), which fires when the watermark passes 31.
    let script = vec![r("u", 0), r("u", 5), r("u", 22), Ev::W(16), r("u", 14), Ev::W(40), r("u", 45)];
    let got = with_timestamps(
        &scripted(&env, script)
            .key_by(key)
            .window(EventTimeSessionWindows::with_gap(ms(10)))
            .allowed_lateness(ms(20))
            .process(list_window()),
    )
    .collect();
    run(&env, "session bridge");
    assert_eq!(
        got.take(),
        vec![listed("u", 0, 15, &[0, 5]), listed("u", 0, 32, &[0, 5, 14, 22]), listed("u", 45, 55, &[45])]
    );
}

#[test]
fn a_late_record_bridging_two_fired_sessions_fires_the_merged_session_at_once() {
    let env = scripted_env(1);
    // Both sessions fired (watermark 33) and are still kept (lateness 20: [0, 15) until
    // 34); 14 bridges them: the merged session [0, 32) is past the watermark, so it
    // fires on the spot.
    let script = vec![r("u", 0), r("u", 5), r("u", 22), Ev::W(33), r("u", 14), Ev::W(60)];
    let windowed =
        scripted(&env, script).key_by(key).window(EventTimeSessionWindows::with_gap(ms(10))).allowed_lateness(ms(20));
    let dropped = windowed.late_records_dropped();
    let got = with_timestamps(&windowed.process(list_window())).collect();
    let counts = {
        // the same with an incremental reduce: the merged window's contents are merged too
        let env2 = scripted_env(1);
        let script = vec![r("u", 0), r("u", 5), r("u", 22), Ev::W(33), r("u", 14), Ev::W(60)];
        let sums = scripted(&env2, script)
            .map(|(k, t): Rec| (k, t, 1i64))
            .key_by(|e: &(String, i64, i64)| e.0.clone())
            .window(EventTimeSessionWindows::with_gap(ms(10)))
            .allowed_lateness(ms(20))
            .reduce(|a, b| (a.0, a.1 + b.1, a.2 + b.2))
            .collect();
        run(&env2, "session bridge reduce");
        sums.take()
    };
    run(&env, "late session bridge");
    assert_eq!(
        got.take(),
        vec![listed("u", 0, 15, &[0, 5]), listed("u", 22, 32, &[22]), listed("u", 0, 32, &[0, 5, 14, 22])]
    );
    assert_eq!(dropped.count(), 0);
    let u = |sum: i64, n: i64| ("u".to_string(), sum, n);
    assert_eq!(counts, vec![u(5, 2), u(22, 1), u(41, 4)]);
}

#[test]
fn a_late_record_reaches_only_the_sessions_still_kept() {
    let env = scripted_env(1);
    // At watermark 35, [0, 15) is gone (cleaned up at 14 + 20 = 34) but [22, 32) is kept
    // until 51: 14 merges with it alone, into [14, 32), which fires at once.
    let script = vec![r("u", 0), r("u", 5), r("u", 22), Ev::W(35), r("u", 14)];
    let got = with_timestamps(
        &scripted(&env, script)
            .key_by(key)
            .window(EventTimeSessionWindows::with_gap(ms(10)))
            .allowed_lateness(ms(20))
            .process(list_window()),
    )
    .collect();
    run(&env, "partly cleaned sessions");
    assert_eq!(
        got.take(),
        vec![listed("u", 0, 15, &[0, 5]), listed("u", 22, 32, &[22]), listed("u", 14, 32, &[14, 22])]
    );
}

#[test]
fn a_late_record_in_a_gap_starts_no_session_once_its_window_is_gone() {
    let env = scripted_env(1);
    // 3 alone would be [3, 8): cleaned up once the watermark passes 7 — late.
    let script = vec![r("u", 20), Ev::W(25), r("u", 3)];
    let windowed = scripted(&env, script).key_by(key).window(EventTimeSessionWindows::with_gap(ms(5)));
    let dropped = windowed.late_records_dropped();
    let got = windowed.process(list_window()).collect();
    run(&env, "late session");
    assert_eq!(got.take(), vec![("u".to_string(), 20, 25, vec![20])]);
    assert_eq!(dropped.count(), 1);
}

#[test]
fn dynamic_session_gaps_come_from_the_record() {
    let env = StreamExecutionEnvironment::new();
    // key "long" has a gap of 20 ms, "short" of 2 ms; both see records at 0, 10, 20.
    let records: Vec<Rec> =
        [0, 10, 20].iter().flat_map(|t| [("long".to_string(), *t), ("short".to_string(), *t)]).collect();
    let got = bounded(&env, records, 0, |r: &Rec| r.1)
        .key_by(key)
        .window(EventTimeSessionWindows::with_dynamic_gap(|r: &Rec| if r.0 == "long" { ms(20) } else { ms(2) }))
        .process(list_window())
        .collect();
    run(&env, "dynamic gap");
    assert_eq!(
        sorted(got.take()),
        sorted(vec![
            ("long".to_string(), 0, 40, vec![0, 10, 20]),
            ("short".to_string(), 0, 2, vec![0]),
            ("short".to_string(), 10, 12, vec![10]),
            ("short".to_string(), 20, 22, vec![20]),
        ])
    );
}

#[test]
fn results_carry_the_window_max_timestamp_so_windows_chain() {
    let env = StreamExecutionEnvironment::new();
    // (key, value, event time)
    let records: Vec<(String, i64, i64)> =
        [(1, 1), (2, 12), (3, 15), (4, 27), (5, 33)].iter().map(|(v, t)| ("a".to_string(), *v, *t)).collect();
    let per_10 = bounded(&env, records, 0, |r: &(String, i64, i64)| r.2)
        .map(|(k, v, _): (String, i64, i64)| (k, v))
        .key_by(key)
        .window(TumblingEventTimeWindows::of(ms(10)))
        .reduce(|a, b| (a.0, a.1 + b.1));
    let first = with_timestamps(&per_10).collect();
    let per_20 = per_10.map(|r: Rec| r.1).window_all(TumblingEventTimeWindows::of(ms(20))).reduce(|a, b| a + b);
    let second = with_timestamps(&per_20).collect();
    run(&env, "chained windows");
    let a = |v: i64, ts: i64| (("a".to_string(), v), ts);
    assert_eq!(first.take(), vec![a(1, 9), a(5, 19), a(4, 29), a(5, 39)]);
    // [0, 20) holds the results stamped 9 and 19; [20, 40) those stamped 29 and 39.
    assert_eq!(second.take(), vec![(6, 19), (9, 39)]);
}

/// Many keys, out of order within the bound, through tumbling, sliding and session
/// windows.
type Stamped<T> = Vec<(T, i64)>;

/// Tumbling sums, sliding (sum, count)s and sessions of one run.
struct Mixed(Stamped<Rec>, Stamped<(String, i64, i64)>, Stamped<Listed<String>>);

fn mixed_job(parallelism: usize) -> Mixed {
    let env = StreamExecutionEnvironment::new().with_parallelism(parallelism);
    let mut records = Vec::new();
    let mut seed = 7u64;
    for i in 0..400i64 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let jitter = (seed >> 33) as i64 % 20; // out of order by less than 20 ms
        records.push((format!("k{}", (seed >> 40) % 7), i * 3 + jitter));
    }
    let input = bounded(&env, records, 25, |r: &Rec| r.1);
    let tumbling = input.key_by(key).window(TumblingEventTimeWindows::of(ms(50))).reduce(|a, b| (a.0, a.1 + b.1));
    let sliding = input
        .map(|(k, t): Rec| (k, t, 1i64))
        .key_by(|e: &(String, i64, i64)| e.0.clone())
        .window(SlidingEventTimeWindows::of(ms(60), ms(20)))
        .reduce(|a, b| (a.0, a.1 + b.1, a.2 + b.2));
    let sessions = input.key_by(key).window(EventTimeSessionWindows::with_gap(ms(9))).process(list_window());
    let (t, s, w) = (
        with_timestamps(&tumbling).collect(),
        with_timestamps(&sliding).collect(),
        with_timestamps(&sessions).collect(),
    );
    run(&env, "mixed");
    Mixed(sorted(t.take()), sorted(s.take()), sorted(w.take()))
}

#[test]
fn parallelism_one_and_two_give_the_same_windows() {
    let Mixed(t1, s1, w1) = mixed_job(1);
    let Mixed(t2, s2, w2) = mixed_job(2);
    assert!(!t1.is_empty() && !s1.is_empty() && !w1.is_empty());
    assert_eq!(t1, t2);
    assert_eq!(s1, s2);
    assert_eq!(w1, w2);
    // every record is in exactly one tumbling window and three sliding ones
    let total: i64 = (0..400).map(|i| i * 3).sum::<i64>();
    assert!(t1.iter().map(|((_, sum), _)| sum).sum::<i64>() >= total);
    assert_eq!(s1.iter().map(|((_, _, n), _)| n).sum::<i64>(), 3 * 400);
    assert_eq!(w1.iter().map(|((_, _, _, v), _)| v.len()).sum::<usize>(), 400);
}
