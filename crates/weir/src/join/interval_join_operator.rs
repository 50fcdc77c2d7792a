//! [`IntervalJoinOperator`]: the keyed two-input operator behind `interval_join`.
//!
//! How a record is handled, as in Flink's `IntervalJoinOperator`:
//! 1. a record without a timestamp fails the job (interval joins need event time);
//! 2. a record behind the watermark is late: dropped, or sent to the late-data side
//!    output when one is set;
//! 3. otherwise it is joined with every buffered record of the other side with the same
//!    key whose timestamp lies in [`JoinBounds::matching`], in timestamp order; each
//!    result carries the larger of the two timestamps;
//! 4. it is buffered in keyed state under its timestamp, and an event-time timer is set
//!    at [`JoinBounds::cleanup_time`];
//! 5. when the watermark passes that timer, the bucket is removed.
//!
//! Invariant: a buffered record is removed only once every record of the other side that
//! could still match it would be late — so cleanup never loses a result that an on-time
//! record would have produced.
//!
//! Each side's buffer is keyed state (one sorted map from timestamp to records per key),
//! so a record finds its matches with one range lookup instead of scanning the buffer.
//! Checkpoints write both buffers and the cleanup timers by key group; the watermark is
//! not written (as in Flink, it comes again from upstream). A restore reads the buffers
//! of the subtask's own key groups only, one key group at a time.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::marker::PhantomData;

use weir_core::key_group::assign_to_key_group;
use weir_core::record::NO_TIMESTAMP;
use weir_core::{Either, StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SideOutputs, SubtaskInfo};
use weir_state::{HeapKeyedStateBackend, Key, StateError, StateId, StateKind, StateValue, TimerService};

use crate::functions::Collector;
use crate::join::{JoinBounds, JoinContext, JoinSide, ProcessJoinFunction};
use crate::operators::key_group_blobs::{
    restore_backend, restore_timers, snapshot_backend, snapshot_timers, KEYED_STATE, TIMERS,
};

/// One side's buffered records of one key, by timestamp, in arrival order per timestamp.
type Buffer<T> = BTreeMap<i64, Vec<T>>;

/// Joins two keyed inputs on `left.ts + lower <= right.ts <= left.ts + upper`.
pub struct IntervalJoinOperator<K, A, B, O, KA, KB, P> {
    key_a: KA,
    key_b: KB,
    function: P,
    bounds: JoinBounds,
    late_left: Option<String>,
    late_right: Option<String>,
    backend: HeapKeyedStateBackend<K>,
    left: StateId,
    right: StateId,
    /// Cleanup timers (event time only), by the side whose bucket they remove.
    cleanup: TimerService<K, JoinSide>,
    watermark: Watermark,
    max_parallelism: usize,
    _t: PhantomData<fn(A, B) -> O>,
}

/// Where late records of each side go: the tag of a side output, or nowhere.
#[derive(Debug, Clone, Default)]
pub struct LateData {
    /// Side output for late left records.
    pub left: Option<String>,
    /// Side output for late right records.
    pub right: Option<String>,
}

impl<K, A, B, O, KA, KB, P> IntervalJoinOperator<K, A, B, O, KA, KB, P>
where
    K: Key,
    A: StateValue,
    B: StateValue,
{
    /// Joins the left input keyed by `key_a` with the right input keyed by `key_b` within
    /// `bounds`, calling `function` per pair, as `subtask`.
    ///
    /// # Errors
    /// When the buffers cannot be declared in the state backend.
    pub fn new(
        key_a: KA,
        key_b: KB,
        function: P,
        bounds: JoinBounds,
        late: LateData,
        subtask: &SubtaskInfo,
    ) -> Result<Self, StateError> {
        let mut backend = HeapKeyedStateBackend::new(subtask.key_group_range());
        let left = backend.register::<Buffer<A>>("interval-join-left-buffer", StateKind::Map)?;
        let right = backend.register::<Buffer<B>>("interval-join-right-buffer", StateKind::Map)?;
        Ok(IntervalJoinOperator {
            key_a,
            key_b,
            function,
            bounds,
            late_left: late.left,
            late_right: late.right,
            backend,
            left,
            right,
            cleanup: TimerService::default(),
            watermark: Watermark::MIN,
            max_parallelism: subtask.max_parallelism,
            _t: PhantomData,
        })
    }

    /// Number of records buffered on each side, over all keys.
    pub fn buffered(&self) -> (usize, usize) {
        (count(&self.backend, self.left, Vec::<A>::len), count(&self.backend, self.right, Vec::<B>::len))
    }
}

/// Records in one side's buffer over all keys of `backend`.
fn count<K: Key, T: 'static>(backend: &HeapKeyedStateBackend<K>, id: StateId, len: fn(&Vec<T>) -> usize) -> usize {
    let table = backend.table::<Buffer<T>>(id);
    let range = backend.key_group_range();
    (range.start..=range.end)
        .flat_map(|kg| table.key_group_entries(kg))
        .map(|(_, buffer)| buffer.values().map(len).sum::<usize>())
        .sum()
}

/// Adds `value` to the bucket `timestamp` of a key's buffer; true when the bucket is new
/// and so needs its cleanup timer (a bucket exists exactly while its timer is pending,
/// so records sharing a timestamp skip the timer queue).
#[inline]
fn buffer_record<T>(buffer: &mut Buffer<T>, timestamp: i64, value: T) -> bool {
    match buffer.entry(timestamp) {
        Entry::Vacant(slot) => {
            slot.insert(vec![value]);
            true
        }
        Entry::Occupied(mut bucket) => {
            bucket.get_mut().push(value);
            false
        }
    }
}

/// Sends a late record to the side output `tag`, if there is one.
fn send_late<T: 'static>(sides: &mut SideOutputs, tag: &Option<String>, value: T, timestamp: i64) {
    if let Some(buffer) = tag.as_deref().and_then(|tag| sides.get::<T>(tag)) {
        buffer.push(StreamRecord { value, timestamp });
    }
}

/// Removes the bucket `timestamp` of `key` from one side's buffer (and the key's buffer
/// when that was its last bucket).
fn remove_bucket<K: Key, T: 'static>(
    backend: &mut HeapKeyedStateBackend<K>,
    id: StateId,
    key_group: usize,
    key: &K,
    timestamp: i64,
) {
    let table = backend.table_mut::<Buffer<T>>(id);
    if let Some(buffer) = table.get_mut(key_group, key) {
        buffer.remove(&timestamp);
        if buffer.is_empty() {
            table.remove(key_group, key);
        }
    }
}

impl<K, A, B, O, KA, KB, P> Operator for IntervalJoinOperator<K, A, B, O, KA, KB, P>
where
    K: Key,
    A: StateValue,
    B: StateValue,
    O: Send + 'static,
    KA: Fn(&A) -> K + Send + 'static,
    KB: Fn(&B) -> K + Send + 'static,
    P: ProcessJoinFunction<A, B, O>,
{
    type In = Either<A, B>;
    type Out = O;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        // Both buffers are declared when the operator is made, so they restore at once, one
        // key group at a time (the other subtasks' key groups are not read).
        restore_backend(&mut self.backend, &state.keyed_items(KEYED_STATE))?;
        restore_timers(&mut self.cleanup, self.backend.key_group_range(), state.keyed(TIMERS))
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.function.open(subtask)
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        snapshot_backend(&mut self.backend, state);
        state.keyed(TIMERS, snapshot_timers(&self.cleanup, self.max_parallelism)?);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Either<A, B>>>, out: &mut Emitter<O>) -> Result<(), BoxError> {
        let (records, sides) = out.parts();
        let bounds = self.bounds;
        for r in batch.drain(..) {
            let ts = r.timestamp;
            if ts == NO_TIMESTAMP {
                return Err("interval join: a record has no event-time timestamp; assign timestamps \
                            (a watermark strategy on the source or assign_timestamps_and_watermarks) \
                            before joining"
                    .into());
            }
            let late = ts < self.watermark.0;
            match r.value {
                Either::Left(a) => {
                    if late {
                        send_late(sides, &self.late_left, a, ts);
                        continue;
                    }
                    let key = (self.key_a)(&a);
                    let kg = assign_to_key_group(&key, self.max_parallelism);
                    self.backend.check_key_group(kg)?;
                    let others = self.backend.table::<Buffer<B>>(self.right).get(kg, &key);
                    if let (Some(others), Some(range)) = (others, bounds.matching(JoinSide::Left, ts)) {
                        for (&rts, bucket) in others.range(range) {
                            let out_ts = ts.max(rts);
                            let mut ctx =
                                JoinContext { left_timestamp: ts, right_timestamp: rts, timestamp: out_ts, sides };
                            let mut c = Collector::new(records, out_ts);
                            for b in bucket {
                                self.function.process_element(&a, b, &mut ctx, &mut c)?;
                            }
                        }
                    }
                    let buffer =
                        self.backend.table_mut::<Buffer<A>>(self.left).get_or_insert_with(kg, &key, BTreeMap::new);
                    if buffer_record(buffer, ts, a) {
                        self.cleanup.event_time.register(
                            bounds.cleanup_time(JoinSide::Left, ts),
                            &key,
                            &JoinSide::Left,
                        );
                    }
                }
                Either::Right(b) => {
                    if late {
                        send_late(sides, &self.late_right, b, ts);
                        continue;
                    }
                    let key = (self.key_b)(&b);
                    let kg = assign_to_key_group(&key, self.max_parallelism);
                    self.backend.check_key_group(kg)?;
                    let others = self.backend.table::<Buffer<A>>(self.left).get(kg, &key);
                    if let (Some(others), Some(range)) = (others, bounds.matching(JoinSide::Right, ts)) {
                        for (&lts, bucket) in others.range(range) {
                            let out_ts = ts.max(lts);
                            let mut ctx =
                                JoinContext { left_timestamp: lts, right_timestamp: ts, timestamp: out_ts, sides };
                            let mut c = Collector::new(records, out_ts);
                            for a in bucket {
                                self.function.process_element(a, &b, &mut ctx, &mut c)?;
                            }
                        }
                    }
                    let buffer =
                        self.backend.table_mut::<Buffer<B>>(self.right).get_or_insert_with(kg, &key, BTreeMap::new);
                    if buffer_record(buffer, ts, b) {
                        self.cleanup.event_time.register(
                            bounds.cleanup_time(JoinSide::Right, ts),
                            &key,
                            &JoinSide::Right,
                        );
                    }
                }
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<O>) -> Result<(), BoxError> {
        self.watermark = watermark;
        while let Some(timer) = self.cleanup.event_time.pop_due(watermark.0) {
            let kg = assign_to_key_group(&timer.key, self.max_parallelism);
            let bucket = self.bounds.cleaned_timestamp(timer.namespace, timer.timestamp);
            match timer.namespace {
                JoinSide::Left => remove_bucket::<K, A>(&mut self.backend, self.left, kg, &timer.key, bucket),
                JoinSide::Right => remove_bucket::<K, B>(&mut self.backend, self.right, kg, &timer.key, bucket),
            }
        }
        out.emit_watermark(watermark);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use weir_runtime::SystemClock;

    use super::*;
    use crate::join::ProcessJoinFn;

    type Pairs = Vec<(i64, i64, i64)>;
    type Rec = (u8, i64);
    type Out = (i64, i64, i64);
    type Input = Vec<StreamRecord<Either<Rec, Rec>>>;
    type PairFn = fn(&Rec, &Rec, &mut JoinContext, &mut Collector<Out>) -> Result<(), BoxError>;
    type TestOperator = IntervalJoinOperator<u8, Rec, Rec, Out, fn(&Rec) -> u8, fn(&Rec) -> u8, ProcessJoinFn<PairFn>>;

    /// An operator joining `(key, ts)` records on `key`, emitting `(left ts, right ts,
    /// result timestamp)`.
    fn operator(lower: i64, upper: i64) -> TestOperator {
        operator_at(lower, upper, &SubtaskInfo::single("join"))
    }

    /// As [`operator`], as `subtask`.
    fn operator_at(lower: i64, upper: i64, subtask: &SubtaskInfo) -> TestOperator {
        let pair: PairFn = |_, _, ctx, out| {
            out.collect((ctx.left_timestamp(), ctx.right_timestamp(), ctx.timestamp()));
            Ok(())
        };
        let key: fn(&Rec) -> u8 = |r| r.0;
        let bounds = JoinBounds::new(lower, upper, true, true);
        IntervalJoinOperator::new(key, key, ProcessJoinFn::new(pair), bounds, LateData::default(), subtask).unwrap()
    }

    fn left(key: u8, ts: i64) -> StreamRecord<Either<Rec, Rec>> {
        StreamRecord::with_timestamp(Either::Left((key, ts)), ts)
    }

    fn right(key: u8, ts: i64) -> StreamRecord<Either<Rec, Rec>> {
        StreamRecord::with_timestamp(Either::Right((key, ts)), ts)
    }

    fn emitter() -> Emitter<Out> {
        Emitter::new(Vec::new(), Arc::new(SystemClock))
    }

    /// Feeds `records`, returns `(pairs, record timestamps)` emitted.
    fn feed(op: &mut TestOperator, records: Input) -> (Pairs, Vec<i64>) {
        let mut out = emitter();
        op.process(&mut records.clone(), &mut out).unwrap();
        let emitted = std::mem::take(out.records());
        (emitted.iter().map(|r| r.value).collect(), emitted.iter().map(|r| r.timestamp).collect())
    }

    #[test]
    fn joins_within_the_bounds_from_both_sides_with_the_larger_timestamp() {
        let mut op = operator(-2, 1);
        // Rights first, then a left at 10: matches rights in [8, 11].
        let (pairs, _) = feed(&mut op, (6..=13).map(|t| right(1, t)).collect());
        assert!(pairs.is_empty());
        let (pairs, stamps) = feed(&mut op, vec![left(1, 10), left(2, 10)]);
        assert_eq!(pairs, vec![(10, 8, 10), (10, 9, 10), (10, 10, 10), (10, 11, 11)]);
        assert_eq!(stamps, vec![10, 10, 10, 11]);
        // A right at 12 then joins lefts in [11, 14]: none; one at 9 joins the left at 10.
        let (pairs, _) = feed(&mut op, vec![right(1, 12), right(1, 9)]);
        assert_eq!(pairs, vec![(10, 9, 10)]);
        assert_eq!(op.buffered(), (2, 10));
    }

    #[test]
    fn the_watermark_removes_exactly_what_can_no_longer_match() {
        let mut op = operator(-2, 1);
        feed(&mut op, vec![left(1, 10), right(1, 20)]);
        // Left 10 waits for rights up to 11; right 20 for lefts up to 22.
        let mut out = emitter();
        op.on_watermark(Watermark(10), &mut out).unwrap();
        assert_eq!(op.buffered(), (1, 1));
        op.on_watermark(Watermark(11), &mut out).unwrap();
        assert_eq!(op.buffered(), (0, 1), "left 10 is gone at watermark 11");
        // Right 11 is not below the watermark, so not dropped as late, but left 10 is gone:
        // as in Flink, a watermark W promises no more records at or before W, and cleanup
        // relies on that promise while the late check is lenient by one millisecond.
        // Left 21 joins right 20 (21 - 2 <= 20 <= 21 + 1).
        let (pairs, _) = feed(&mut op, vec![left(1, 21), right(1, 11)]);
        assert_eq!(pairs, vec![(21, 20, 21)]);
        // Cleanup times: left 21 at 22, right 11 at 13, right 20 at 22.
        op.on_watermark(Watermark(21), &mut out).unwrap();
        assert_eq!(op.buffered(), (1, 1), "right 11 is gone");
        op.on_watermark(Watermark(22), &mut out).unwrap();
        assert_eq!(op.buffered(), (0, 0));
        assert_eq!(out.records().len(), 0);
    }

    #[test]
    fn late_records_are_dropped_before_they_join_or_are_buffered() {
        let mut op = operator(-5, 5);
        feed(&mut op, vec![left(1, 100)]);
        op.on_watermark(Watermark(99), &mut emitter()).unwrap();
        // 98 is behind the watermark: dropped although left 100 is still buffered.
        let (pairs, _) = feed(&mut op, vec![right(1, 98), right(1, 99)]);
        assert_eq!(pairs, vec![(100, 99, 100)]);
        assert_eq!(op.buffered(), (1, 1));
    }

    #[test]
    fn buffers_and_cleanup_timers_move_with_their_key_groups() {
        use weir_core::CheckpointId;
        use weir_runtime::snapshot::{redistribute, OperatorSnapshot};

        let mut op = operator(-2, 1);
        let keys = 0..20u8;
        feed(&mut op, keys.clone().flat_map(|k| [left(k, 10), right(k, 20)]).collect());
        let mut writer = OperatorStateWriter::new(CheckpointId(1));
        op.snapshot_state(&mut writer).unwrap();
        let snapshot = OperatorSnapshot { operator_id: "join".into(), entries: writer.complete_entries().unwrap() };
        // Restored at parallelism 2: each subtask has its keys' buffers and timers.
        let mut restored: Vec<TestOperator> = (0..2)
            .map(|i| {
                let subtask = SubtaskInfo { index: i, parallelism: 2, ..SubtaskInfo::single("join") };
                let mut op = operator_at(-2, 1, &subtask);
                op.initialize_state(&redistribute(&[&snapshot], i, 2)).unwrap();
                op
            })
            .collect();
        let (a, b) = (restored[0].buffered(), restored[1].buffered());
        assert!(a.0 > 0 && b.0 > 0, "both subtasks own some of the keys");
        assert_eq!((a.0 + b.0, a.1 + b.1), (20, 20));
        // A right record joins the restored left one of its key, in the subtask owning it.
        let owner =
            |k: u8| restored.iter().position(|op| op.backend.key_group_range().contains(assign_to_key_group(&k, 128)));
        let i = owner(7).unwrap();
        let (pairs, _) = feed(&mut restored[i], vec![right(7, 11)]);
        assert_eq!(pairs, vec![(10, 11, 11)]);
        // The restored cleanup timers empty both buffers once the watermark passes them.
        for op in &mut restored {
            op.on_watermark(Watermark(22), &mut emitter()).unwrap();
            assert_eq!(op.buffered(), (0, 0));
        }
    }

    #[test]
    fn a_record_without_timestamp_fails() {
        let mut op = operator(0, 1);
        let mut out = emitter();
        let err = op.process(&mut vec![StreamRecord::new(Either::Left((1, 0)))], &mut out).unwrap_err();
        assert!(err.to_string().contains("no event-time timestamp"), "{err}");
    }
}
