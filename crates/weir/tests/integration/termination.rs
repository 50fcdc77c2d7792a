//! End to end: bounded jobs end by themselves — multi-stage jobs at parallelism 3 with
//! unions and connects, diamonds over small channels, empty inputs — and the buffer
//! timeout changes latency, never results.

use crate::harness;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use harness::{group_by_first, run, sorted};
use weir::prelude::*;
use weir::StreamRecord;
use weir_connectors::StaticSplitEnumerator;
use weir_runtime::{Boundedness, ReadStatus, ReaderOutput, Source, SourceReader, SubtaskInfo};

#[test]
fn a_multi_stage_job_with_unions_and_connects_ends_by_itself() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3).with_batch_size(16).with_channel_capacity(1);
    let a = env.from_sequence(1, 300);
    let b = env.from_sequence(1, 300).map(|x: i64| x * 1000);
    let zero = env.from_collection(vec![0i64]);
    let evens = a.union(&b).union(&zero).rescale().filter(|x: &i64| x % 2 == 0).set_parallelism(6);
    let negatives = env.from_collection(vec![-1i64, -2, -3]);
    let sums = evens
        .connect(&negatives)
        .map(|x: i64| x, |y: i64| y)
        .key_by(|x: &i64| x.signum())
        .reduce(|acc: i64, x: i64| acc + x)
        .shuffle()
        .map(|x: i64| x)
        .set_parallelism(2)
        .collect();
    run(&env, "multi-stage");
    let got = sums.take();
    // evens: 150 from a (2, 4, …, 300), 300 from b (all multiples of 1000), and 0; plus
    // 3 negatives: one rolling sum per record
    assert_eq!(got.len(), 454);
    let positives: Vec<i64> = got.iter().copied().filter(|x| *x > 0).collect();
    let negatives: Vec<i64> = got.iter().copied().filter(|x| *x < 0).collect();
    assert_eq!(positives.len(), 450);
    // 2 + 4 + … + 300 = 22 650; 1000 × (1 + … + 300) = 45 150 000
    assert_eq!(positives.iter().max(), Some(&45_172_650));
    // the three negatives reach the reducer through three co-map subtasks, in any
    // order: the rolling sums end at -6 whatever the order
    assert_eq!(negatives.len(), 3);
    assert_eq!(negatives.iter().min(), Some(&-6));
    assert_eq!(got.iter().filter(|x| **x == 0).count(), 1);
}

#[test]
fn a_diamond_over_tiny_channels_does_not_deadlock() {
    let env = StreamExecutionEnvironment::new()
        .with_parallelism(2)
        .with_batch_size(1)
        .with_channel_capacity(1)
        .with_buffer_timeout(None);
    let s = env.from_sequence(1, 2000);
    let left = s.rebalance().map(|x: i64| x * 2).set_parallelism(3);
    let right = s.map(|x: i64| -x).set_parallelism(1);
    let got = left.union(&right).map(|x: i64| x).set_parallelism(2).collect();
    run(&env, "diamond");
    let got = got.take();
    assert_eq!(got.len(), 4000);
    assert_eq!(got.iter().sum::<i64>(), 2001 * 1000); // 2 × Σx − Σx
}

#[test]
fn empty_inputs_end_every_stage() {
    let env = StreamExecutionEnvironment::new().with_parallelism(3);
    let empty = env.from_sequence(5, 4);
    let nothing: DataStream<i64> = env.from_collection(Vec::new());
    let keyed = empty.union(&nothing).key_by(|x: &i64| *x).reduce(|a: i64, b: i64| a + b).collect();
    let connected = env.from_sequence(1, 2).connect(&nothing).map(|x: i64| x, |y: i64| y).collect();
    run(&env, "empty");
    assert!(keyed.take().is_empty());
    assert_eq!(sorted(connected.take()), vec![1, 2]);
}

#[test]
fn more_source_subtasks_than_records_still_end() {
    let env = StreamExecutionEnvironment::new().with_parallelism(4);
    // two records over four readers: two readers get no split at all
    let got = env.from_sequence(1, 2).rebalance().map(|x: i64| x).collect();
    run(&env, "idle readers");
    assert_eq!(sorted(got.take()), vec![1, 2]);
}

/// Rolling sums per key of 1..=500 keyed by `x % 5`, from one producer so that each
/// key's records arrive in order; then through two more exchanges.
fn rolling_sums(timeout: Option<Duration>) -> Vec<(i64, i64)> {
    let env = StreamExecutionEnvironment::new().with_parallelism(3).with_batch_size(32).with_buffer_timeout(timeout);
    let got = env
        .from_collection((1i64..=500).map(|x| (x % 5, x)).collect())
        .key_by(|r: &(i64, i64)| r.0)
        .reduce(|a: (i64, i64), b: (i64, i64)| (a.0, a.1 + b.1))
        .rebalance()
        .map(|r: (i64, i64)| r)
        .set_parallelism(2)
        .collect();
    run(&env, "buffer timeout");
    got.take()
}

#[test]
fn buffer_timeout_zero_and_none_give_the_same_results() {
    let mut expected = Vec::new();
    for k in 0..5 {
        let mut acc = 0;
        for x in (1..=500).filter(|x| x % 5 == k) {
            acc += x;
            expected.push((k, acc));
        }
    }
    expected.sort();
    for timeout in [Some(Duration::ZERO), None, Some(Duration::from_millis(1)), Some(Duration::from_millis(100))] {
        let got = rolling_sums(timeout);
        assert_eq!(sorted(got.clone()), expected, "buffer timeout {timeout:?}");
        // per key the final sum is the key's total: 1 + 6 + … + 496 = 100 × 497 / 2 = 24 850 for key 1
        assert_eq!(group_by_first(&got)[&1].iter().max(), Some(&24_850), "buffer timeout {timeout:?}");
    }
}

/// Emits `1..=n`, one record per poll and never idle — a source that never fills a
/// batch in one go, so only the buffer timeout (or a full batch) sends its records on.
struct Trickle(i64);

struct TrickleReader {
    next: i64,
    last: i64,
    assigned: bool,
}

impl Source for Trickle {
    type Out = i64;
    type Split = ();
    type Reader = TrickleReader;
    type Enumerator = StaticSplitEnumerator<()>;
    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }
    fn create_enumerator(&self, parallelism: usize) -> Result<Self::Enumerator, BoxError> {
        Ok(StaticSplitEnumerator::new([()], parallelism))
    }
    fn create_reader(&self, _subtask: &SubtaskInfo) -> Result<TrickleReader, BoxError> {
        Ok(TrickleReader { next: 1, last: self.0, assigned: false })
    }
}

impl SourceReader for TrickleReader {
    type Out = i64;
    type Split = ();
    fn add_split(&mut self, _: ()) -> Result<(), BoxError> {
        self.assigned = true;
        Ok(())
    }
    fn poll_next(&mut self, out: &mut ReaderOutput<i64>, _max: usize) -> Result<ReadStatus, BoxError> {
        if !self.assigned || self.next > self.last {
            return Ok(ReadStatus::NeedsSplit);
        }
        out.push(StreamRecord::new(self.next));
        self.next += 1;
        Ok(ReadStatus::MoreAvailable)
    }
}

/// How many records the source had emitted when the first one reached the next task.
fn emitted_when_first_arrived(timeout: Option<Duration>) -> u64 {
    let emitted = Arc::new(AtomicU64::new(0));
    let seen_at = Arc::new(AtomicU64::new(u64::MAX));
    let env = StreamExecutionEnvironment::new().with_batch_size(1024).with_buffer_timeout(timeout);
    let counter = emitted.clone();
    let (probe_emitted, probe_seen) = (emitted.clone(), seen_at.clone());
    let got = env
        .from_source(Trickle(3000), WatermarkStrategy::no_watermarks(), "trickle")
        .map(move |x: i64| {
            counter.fetch_add(1, Ordering::SeqCst);
            x
        })
        .rebalance()
        .map(move |x: i64| {
            let _ = probe_seen.compare_exchange(
                u64::MAX,
                probe_emitted.load(Ordering::SeqCst),
                Ordering::SeqCst,
                Ordering::SeqCst,
            );
            x
        })
        .collect();
    run(&env, "trickle");
    assert_eq!(got.take(), (1..=3000).collect::<Vec<_>>(), "every record, in order, whatever the timeout");
    seen_at.load(Ordering::SeqCst)
}

#[test]
fn buffer_timeout_zero_sends_each_record_at_once_and_none_waits_for_a_full_batch() {
    // Some(0): every poll's record is sent at once; the producer can run ahead only by
    // what the channel holds before it blocks.
    let eager = emitted_when_first_arrived(Some(Duration::ZERO));
    assert!(eager <= 16, "with timeout 0 the first record arrived only after {eager} were emitted");
    // None: nothing leaves before a batch of 1024 is full.
    let lazy = emitted_when_first_arrived(None);
    assert!(lazy >= 1024, "with no timeout the first record arrived after only {lazy} were emitted");
}
