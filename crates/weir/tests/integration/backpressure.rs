//! End to end: backpressure. A fast source feeding a slow sink must be slowed down to
//! the sink's pace: the records produced but not yet consumed stay within what the
//! channels and the writers' batch buffers can hold, for the whole run.
//!
//! A counting map right after the source counts what was produced; the sink counts what
//! it consumed; both record the largest gap they observe.

use crate::harness;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use harness::run;
use weir::prelude::*;
use weir::StreamRecord;
use weir_runtime::{Sink, SinkWriter, SubtaskInfo};

/// Produced and consumed counts, and the largest gap between them seen so far.
#[derive(Clone, Default)]
struct Flow {
    produced: Arc<AtomicU64>,
    consumed: Arc<AtomicU64>,
    max_in_flight: Arc<AtomicU64>,
}

impl Flow {
    fn observe(&self) {
        // consumed first: produced only grows, so the gap can only be over-estimated
        let consumed = self.consumed.load(Ordering::SeqCst);
        let produced = self.produced.load(Ordering::SeqCst);
        self.max_in_flight.fetch_max(produced.saturating_sub(consumed), Ordering::SeqCst);
    }
}

/// A sink that pauses after every batch — a slow database.
#[derive(Clone)]
struct SlowSink {
    flow: Flow,
    pause: Duration,
}

struct SlowWriter {
    flow: Flow,
    pause: Duration,
}

impl Sink<i64> for SlowSink {
    type Writer = SlowWriter;
    fn create_writer(&self, _subtask: &SubtaskInfo) -> Result<SlowWriter, BoxError> {
        Ok(SlowWriter { flow: self.flow.clone(), pause: self.pause })
    }
}

impl SinkWriter<i64> for SlowWriter {
    fn write(&mut self, batch: &mut Vec<StreamRecord<i64>>) -> Result<(), BoxError> {
        self.flow.observe();
        std::thread::sleep(self.pause); // the slowness under test, not synchronisation
        self.flow.consumed.fetch_add(batch.len() as u64, Ordering::SeqCst);
        batch.clear();
        Ok(())
    }
    fn flush(&mut self, _end_of_input: bool) -> Result<(), BoxError> {
        Ok(())
    }
}

/// Source → counting map (chained) → `partition` → slow sink; returns the flow.
fn run_slow(
    env: &StreamExecutionEnvironment,
    records: i64,
    sink_parallelism: usize,
    partition: impl Fn(&DataStream<i64>) -> DataStream<i64>,
) -> Flow {
    let flow = Flow::default();
    let counting = {
        let flow = flow.clone();
        env.from_sequence(1, records).map(move |x: i64| {
            flow.produced.fetch_add(1, Ordering::SeqCst);
            flow.observe();
            x
        })
    };
    partition(&counting)
        .sink_to(SlowSink { flow: flow.clone(), pause: Duration::from_micros(50) }, "slow")
        .set_parallelism(sink_parallelism);
    run(env, "slow sink");
    flow
}

/// The most records that can be produced but not consumed, in batches of `batch`:
/// - every channel full: `capacity` batches on each of `producers × consumers` channels;
/// - per producer, the batch being partitioned plus one buffer per consumer (one of
///   them full and blocked in `send`);
/// - per consumer, the batch the sink is writing;
/// - plus one batch per consumer for read skew: the sink may consume between our two
///   atomic loads, which only over-estimates the gap.
fn in_flight_bound(batch: u64, capacity: u64, producers: u64, consumers: u64) -> u64 {
    batch * (capacity * producers * consumers + producers * (consumers + 1) + 2 * consumers)
}

#[test]
fn a_slow_sink_holds_back_a_fast_source_one_channel() {
    let (batch, capacity) = (256u64, 2u64);
    let env =
        StreamExecutionEnvironment::new().with_batch_size(batch as usize).with_channel_capacity(capacity as usize);
    let records = 2_000_000;
    let flow = run_slow(&env, records, 1, |s| s.rebalance());
    assert_eq!(flow.produced.load(Ordering::SeqCst), records as u64);
    assert_eq!(flow.consumed.load(Ordering::SeqCst), records as u64);
    let bound = in_flight_bound(batch, capacity, 1, 1);
    let seen = flow.max_in_flight.load(Ordering::SeqCst);
    assert!(seen <= bound, "{seen} records in flight, bound {bound}: the source was not held back");
    assert!(seen >= batch, "the sink saw no backlog at all ({seen}); the test did not exercise backpressure");
}

#[test]
fn a_slow_keyed_sink_holds_back_parallel_sources() {
    let (batch, capacity) = (128u64, 2u64);
    let (producers, consumers) = (2u64, 2u64);
    let env = StreamExecutionEnvironment::new()
        .with_parallelism(producers as usize)
        .with_batch_size(batch as usize)
        .with_channel_capacity(capacity as usize);
    let records = 1_000_000;
    let flow = run_slow(&env, records, consumers as usize, |s| s.key_by(|x: &i64| x % 100).as_stream().clone());
    assert_eq!(flow.consumed.load(Ordering::SeqCst), records as u64);
    let bound = in_flight_bound(batch, capacity, producers, consumers);
    let seen = flow.max_in_flight.load(Ordering::SeqCst);
    assert!(seen <= bound, "{seen} records in flight, bound {bound}: the sources were not held back");
}

#[test]
fn a_multiplying_flat_map_does_not_multiply_what_a_channel_holds() {
    // Channel capacity is counted in batches of `batch_size` records; a chained flat_map
    // that turns each record into 50 must not make each batch on the wire 50 times
    // larger (Flink's network buffers have a fixed size, whatever the operators emit).
    let (batch, capacity, fan) = (64u64, 2u64, 50u64);
    let env =
        StreamExecutionEnvironment::new().with_batch_size(batch as usize).with_channel_capacity(capacity as usize);
    let flow = Flow::default();
    let counting = {
        let flow = flow.clone();
        env.from_sequence(1, 20_000)
            .flat_map(move |x: i64, out: &mut Collector<i64>| (0..fan as i64).for_each(|i| out.collect(x * 100 + i)))
            .map(move |x: i64| {
                flow.produced.fetch_add(1, Ordering::SeqCst);
                flow.observe();
                x
            })
    };
    counting
        .rebalance()
        .sink_to(SlowSink { flow: flow.clone(), pause: Duration::from_micros(50) }, "slow")
        .set_parallelism(1);
    run(&env, "multiplying flat_map");
    assert_eq!(flow.consumed.load(Ordering::SeqCst), 20_000 * fan);
    // what the producing chain itself holds: one source batch, multiplied
    let bound = in_flight_bound(batch, capacity, 1, 1) + batch * fan;
    let seen = flow.max_in_flight.load(Ordering::SeqCst);
    assert!(
        seen <= bound,
        "{seen} records in flight, bound {bound}: batches on the wire grew with the flat_map's fan-out"
    );
}
