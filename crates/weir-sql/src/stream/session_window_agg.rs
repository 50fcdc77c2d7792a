//! Session window aggregation in one operator (Flink's merging window aggregate): `GROUP BY
//! k, SESSION(t, gap)` or a window aggregation over the `SESSION` TVF, when every aggregate
//! is one of the [`super::native_agg`] kinds and the input is insert-only.
//!
//! The general plan holds every row in the session TVF ([`super::session_window`]) until
//! its session closes, then sends the rows to a window aggregation that groups them again.
//! Here each open session keeps only its accumulators: a row adds to the session it opens
//! or joins, and sessions a row bridges merge their accumulators, as Flink merges windows'
//! accumulators. Sessions form per key exactly as in the TVF (bounds inclusive, a row
//! whose own window touches no open session and has been passed by the watermark is late
//! and dropped), and a session fires when the watermark passes its last millisecond.
//!
//! Sessions fire in the order of their end, start and the key's first row, the order the
//! general plan's window aggregation emits them in. Checkpoints hold every open session
//! with its key, bounds and accumulator states ([`super::keyed_state`]), and the watermark.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, TimestampMillisecondArray};
use arrow::datatypes::SchemaRef;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::aggregate::AggCall;
use super::batch::{cast_to, Changes};
use super::exchange::KeyEncoder;
use super::keyed_state::{self, PendingRestore};
use super::native_agg::{column_of, NativeInput, NativeKind, Slot};
use super::watermark::millis;
use super::window_agg::GroupColumn;
use crate::functions::LocalTimeZone;
use crate::stream::KeyMap;

/// One open session of a key: `[start, end)` and one accumulator per call.
#[derive(Debug, Clone, PartialEq)]
struct Session {
    start: i64,
    end: i64,
    slots: Box<[Slot]>,
}

/// A key's open sessions, ordered by start (and so by end: no two touch).
struct KeyState {
    key: Box<[u8]>,
    /// Order of the key's first row among the keys: ties between sessions with equal
    /// bounds fire in it.
    seq: u64,
    sessions: Vec<Session>,
}

/// A session's closing time as it was when set: `(end, start, key seq, key slot)`. The
/// session may have grown or merged since; then a newer timer stands for it.
type Timer = Reverse<(i64, i64, u64, u32)>;

/// Session windows per key, aggregated as their rows arrive.
pub struct SessionWindowAggOperator {
    keys: KeyEncoder,
    time: usize,
    gap: i64,
    group_columns: Vec<GroupColumn>,
    kinds: Vec<NativeKind>,
    calls: Vec<AggCall>,
    schema: SchemaRef,
    zone: Option<LocalTimeZone>,
    index: KeyMap<u32>,
    states: Vec<Option<KeyState>>,
    free: Vec<u32>,
    next_seq: u64,
    timers: BinaryHeap<Timer>,
    watermark: i64,
    restore: PendingRestore,
}

impl SessionWindowAggOperator {
    /// Sessions with inactivity `gap` (ms) per key of `keys` over the time column `time` of
    /// the input, aggregated by `calls` of `kinds`; output columns are `group_columns` (the
    /// keys, `window_start`, `window_end`, `window_time`) then one per call, as `schema`.
    pub fn new(
        keys: KeyEncoder,
        time: usize,
        gap: i64,
        group_columns: Vec<GroupColumn>,
        calls: Vec<(NativeKind, AggCall)>,
        schema: SchemaRef,
    ) -> Self {
        let (kinds, calls) = calls.into_iter().unzip();
        SessionWindowAggOperator {
            keys,
            time,
            gap,
            group_columns,
            kinds,
            calls,
            schema,
            zone: None,
            index: KeyMap::default(),
            states: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            timers: BinaryHeap::new(),
            watermark: i64::MIN,
            restore: PendingRestore::default(),
        }
    }

    /// Sessions over a TIMESTAMP_LTZ rowtime: they open and close by instants, and their
    /// bounds show as wall clocks of `zone`, as in Flink.
    pub fn in_time_zone(mut self, zone: Option<LocalTimeZone>) -> Self {
        self.zone = zone;
        self
    }

    /// The slot of `key`'s state, created when new.
    fn state_of(&mut self, key: &[u8]) -> u32 {
        if let Some(&slot) = self.index.get(key) {
            return slot;
        }
        let state = KeyState { key: key.into(), seq: self.next_seq, sessions: Vec::new() };
        self.next_seq += 1;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.states[slot as usize] = Some(state);
                slot
            }
            None => {
                self.states.push(Some(state));
                (self.states.len() - 1) as u32
            }
        };
        self.index.insert(key.into(), slot);
        slot
    }

    /// Forgets the key in `slot`, which holds no session any more; returns its bytes.
    fn drop_state(&mut self, slot: u32) -> Box<[u8]> {
        let state = self.states[slot as usize].take().expect("a live slot");
        self.index.remove(&state.key);
        self.free.push(slot);
        state.key
    }

    fn add(&mut self, changes: &Changes) -> Result<(), BoxError> {
        if let Some(i) = (0..changes.len()).find(|&i| !changes.kind(i).is_accumulate()) {
            return Err(
                format!("a session window aggregate of an insert-only input received a {:?}", changes.kind(i)).into()
            );
        }
        let rows = &changes.rows;
        let times = millis(rows.column(self.time))?;
        let keys = self.keys.encode(rows)?;
        let inputs = self
            .kinds
            .iter()
            .zip(&self.calls)
            .map(|(kind, call)| NativeInput::new(*kind, call, rows))
            .collect::<Result<Vec<_>, BoxError>>()?;
        let gap = self.gap;
        for i in 0..rows.num_rows() {
            if !times.is_valid(i) {
                continue;
            }
            let t = times.value(i);
            let (start, end) = (t, t.saturating_add(gap));
            let key = keys.row(i).data();
            // A late row of a key without open sessions: no state to make.
            if end - 1 <= self.watermark && !self.index.contains_key(key) {
                continue;
            }
            let slot = self.state_of(key);
            let state = self.states[slot as usize].as_mut().expect("a live slot");
            let sessions = &mut state.sessions;
            // Sessions are disjoint and sorted, so those touching [start, end] are contiguous.
            let first = sessions.partition_point(|s| s.end < start);
            let last = first + sessions[first..].partition_point(|s| s.start <= end);
            let timer = if first == last {
                if end - 1 <= self.watermark {
                    if sessions.is_empty() {
                        self.drop_state(slot);
                    }
                    continue;
                }
                let mut slots = vec![Slot::default(); inputs.len()].into_boxed_slice();
                for (input, slot) in inputs.iter().zip(slots.iter_mut()) {
                    input.update(slot, i);
                }
                sessions.insert(first, Session { start, end, slots });
                Some((end, start))
            } else {
                let mut merged =
                    std::mem::replace(&mut sessions[first], Session { start: 0, end: 0, slots: Box::default() });
                let before = (merged.end, merged.start);
                for other in sessions.drain(first + 1..last) {
                    merged.start = merged.start.min(other.start);
                    merged.end = merged.end.max(other.end);
                    for ((slot, other), kind) in merged.slots.iter_mut().zip(other.slots.iter()).zip(&self.kinds) {
                        slot.merge(other, *kind);
                    }
                }
                merged.start = merged.start.min(start);
                merged.end = merged.end.max(end);
                for (input, slot) in inputs.iter().zip(merged.slots.iter_mut()) {
                    input.update(slot, i);
                }
                // Bounds only grow: a new timer when they did (a merge always grows them).
                let bounds = (merged.end, merged.start);
                sessions[first] = merged;
                (bounds != before).then_some(bounds)
            };
            if let Some((end, start)) = timer {
                self.timers.push(Reverse((end, start, state.seq, slot)));
            }
        }
        Ok(())
    }

    /// Emits the result of every session whose last millisecond the watermark `up_to`
    /// has passed.
    fn fire(&mut self, up_to: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        // The fired sessions' keys, one after the other, and (key end offset, session).
        let mut key_bytes: Vec<u8> = Vec::new();
        let mut fired: Vec<(usize, Session)> = Vec::new();
        while let Some(&Reverse((end, start, seq, slot))) = self.timers.peek() {
            if end - 1 > up_to {
                break;
            }
            self.timers.pop();
            let Some(state) = self.states[slot as usize].as_mut().filter(|s| s.seq == seq) else { continue };
            // A timer of bounds the session has since outgrown stands for nothing.
            let Some(at) = state.sessions.iter().position(|s| s.start == start && s.end == end) else { continue };
            let session = state.sessions.remove(at);
            key_bytes.extend_from_slice(&state.key);
            fired.push((key_bytes.len(), session));
            if state.sessions.is_empty() {
                self.drop_state(slot);
            }
        }
        if fired.is_empty() {
            return Ok(());
        }
        let n = fired.len();
        let parser = self.keys.converter().parser();
        let mut from = 0;
        let key_rows = fired.iter().map(|(to, _)| {
            let row = parser.parse(&key_bytes[from..*to]);
            from = *to;
            row
        });
        let key_columns = self.keys.converter().convert_rows(key_rows)?;
        let shown = |t: i64| match self.zone {
            Some(z) => z.utc_millis_to_local(t),
            None => t,
        };
        let mut columns = Vec::with_capacity(self.schema.fields().len());
        for (i, g) in self.group_columns.iter().enumerate() {
            let column: ArrayRef = match g {
                GroupColumn::Key(k) => key_columns[*k].clone(),
                GroupColumn::Start => {
                    Arc::new(TimestampMillisecondArray::from_iter_values(fired.iter().map(|(_, s)| shown(s.start))))
                }
                GroupColumn::End => {
                    Arc::new(TimestampMillisecondArray::from_iter_values(fired.iter().map(|(_, s)| shown(s.end))))
                }
                GroupColumn::Time => {
                    Arc::new(TimestampMillisecondArray::from_iter_values(fired.iter().map(|(_, s)| s.end - 1)))
                }
            };
            columns.push(cast_to(column, self.schema.field(i).data_type())?);
        }
        for (c, kind) in self.kinds.iter().enumerate() {
            let values = column_of(*kind, fired.iter().map(|(_, s)| s.slots[c].value(*kind)));
            columns.push(cast_to(values, self.schema.field(self.group_columns.len() + c).data_type())?);
        }
        let last = fired.iter().map(|(_, s)| s.end).max().expect("fired") - 1;
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(n));
        let rows = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        out.emit(StreamRecord { value: Changes::inserts(rows), timestamp: last });
        Ok(())
    }

    /// Every open session as a state batch: key, bounds and accumulator states.
    fn snapshot_sessions(&self) -> Result<Option<RecordBatch>, BoxError> {
        let mut keys: Vec<&[u8]> = Vec::new();
        let (mut starts, mut ends) = (Vec::new(), Vec::new());
        let mut states: Vec<Vec<Vec<datafusion_common::ScalarValue>>> = vec![Vec::new(); self.kinds.len()];
        let mut live: Vec<&KeyState> = self.states.iter().flatten().collect();
        // In the keys' order, which restores it.
        live.sort_unstable_by_key(|s| s.seq);
        for state in live {
            for session in &state.sessions {
                keys.push(&state.key);
                starts.push(session.start);
                ends.push(session.end);
                for (c, kind) in self.kinds.iter().enumerate() {
                    states[c].push(session.slots[c].state(*kind));
                }
            }
        }
        if keys.is_empty() {
            return Ok(None);
        }
        let mut columns: Vec<(String, ArrayRef)> = vec![
            ("session_start".into(), Arc::new(Int64Array::from(starts))),
            ("session_end".into(), Arc::new(Int64Array::from(ends))),
        ];
        for (c, call_states) in states.into_iter().enumerate() {
            let width = call_states.first().map_or(0, Vec::len);
            for j in 0..width {
                let column = keyed_state::scalar_column(call_states.iter().map(|s| s[j].clone()))?
                    .expect("a session keeps its calls' states");
                columns.push((format!("acc{c}_{j}"), column));
            }
        }
        Ok(Some(keyed_state::state_batch(keys, columns)?))
    }

    fn restore_sessions(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        for batch in keyed_state::read_keyed(state, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let starts = keyed_state::i64_column(&batch, "session_start")?;
            let ends = keyed_state::i64_column(&batch, "session_end")?;
            // Each call's state columns, in order.
            let mut call_columns: Vec<Vec<ArrayRef>> = vec![Vec::new(); self.kinds.len()];
            for (c, columns) in call_columns.iter_mut().enumerate() {
                let prefix = format!("acc{c}_");
                for j in 0.. {
                    match batch.column_by_name(&format!("{prefix}{j}")) {
                        Some(column) => columns.push(column.clone()),
                        None => break,
                    }
                }
            }
            for i in 0..batch.num_rows() {
                let slots = self
                    .kinds
                    .iter()
                    .zip(&call_columns)
                    .map(|(kind, columns)| Slot::from_state(*kind, columns, i))
                    .collect::<Result<Box<[Slot]>, BoxError>>()?;
                let (start, end) = (starts.value(i), ends.value(i));
                let slot = self.state_of(keys.value(i));
                let state = self.states[slot as usize].as_mut().expect("a live slot");
                let at = state.sessions.partition_point(|s| s.start < start);
                state.sessions.insert(at, Session { start, end, slots });
                self.timers.push(Reverse((end, start, state.seq, slot)));
            }
        }
        Ok(())
    }
}

impl Operator for SessionWindowAggOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep_with_watermark(state, &mut self.watermark);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        match self.restore.take() {
            Some(state) => self.restore_sessions(&state, subtask),
            None => Ok(()),
        }
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let batches: Vec<RecordBatch> = self.snapshot_sessions()?.into_iter().collect();
        keyed_state::write_keyed(state, &batches)?;
        keyed_state::write_watermark(state, self.watermark);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, _out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            self.add(&record.value)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        self.watermark = self.watermark.max(watermark.0);
        self.fire(self.watermark, out)?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        self.fire(i64::MAX, out)
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use datafusion_expr::AggregateUDF;
    use datafusion_physical_expr::aggregate::AggregateExprBuilder;
    use weir_runtime::ManualClock;

    use super::*;
    use crate::changelog::RowKind::Insert as I;
    use crate::stream::operator_harness::{columns, feed_keyed, restore_all, rows, sorted, Harness};

    fn ts(name: &str) -> Field {
        Field::new(name, DataType::Timestamp(TimeUnit::Millisecond, None), true)
    }

    /// `(k, v, t)`.
    fn input() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("v", DataType::Int64, true),
            ts("t"),
        ]))
    }

    /// `SELECT k, window_start, window_end, COUNT(*), SUM(v), MIN(v), MAX(v)
    ///  FROM SESSION(TABLE t PARTITION BY k, DESCRIPTOR(t), 10 ms) GROUP BY k, window_start, window_end`.
    fn operator() -> SessionWindowAggOperator {
        use datafusion_functions_aggregate as f;
        let input = input();
        let call = |udf: Arc<AggregateUDF>, kind: NativeKind| {
            let function =
                AggregateExprBuilder::new(udf, columns(&input, &[1])).schema(input.clone()).alias("a").build().unwrap();
            (kind, AggCall { function: Arc::new(function), filter: None, plain: None })
        };
        let calls = vec![
            call(f::count::count_udaf(), NativeKind::Count),
            call(f::sum::sum_udaf(), NativeKind::Sum),
            call(f::min_max::min_udaf(), NativeKind::Min),
            call(f::min_max::max_udaf(), NativeKind::Max),
        ];
        let out = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            ts("window_start"),
            ts("window_end"),
            Field::new("c", DataType::Int64, false),
            Field::new("s", DataType::Int64, true),
            Field::new("lo", DataType::Int64, true),
            Field::new("hi", DataType::Int64, true),
        ]));
        let keys = KeyEncoder::new(columns(&input, &[0]), &input).unwrap();
        let groups = vec![GroupColumn::Key(0), GroupColumn::Start, GroupColumn::End];
        SessionWindowAggOperator::new(keys, 2, 10, groups, calls, out)
    }

    fn batch(values: &[(i64, i64, i64)]) -> Changes {
        let owned: Vec<[i64; 3]> = values.iter().map(|&(k, v, t)| [k, v, t]).collect();
        rows(&input(), &owned.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>())
    }

    fn line(k: i64, start: i64, end: i64, aggregates: [i64; 4]) -> String {
        let [c, s, lo, hi] = aggregates;
        format!("+I[{k}, 1970-01-01 00:00:00.{start:03}, 1970-01-01 00:00:00.{end:03}, {c}, {s}, {lo}, {hi}]")
    }

    #[test]
    fn rows_open_join_and_bridge_sessions_which_fire_with_their_aggregates() {
        let clock = ManualClock::new(0);
        let mut op = Harness::new(operator(), &clock);
        // Key 1: [0, 15) from two rows; [30, 40), then a row at 20 touching it (bounds
        // inclusive) makes [20, 40). Key 2: [3, 13).
        assert!(op.feed(batch(&[(1, 1, 0), (1, 2, 5), (1, 4, 30), (2, 5, 3), (1, 8, 20)])).is_empty());
        assert!(op.watermark(11).is_empty(), "[3, 13) ends after 12");
        assert_eq!(sorted(op.watermark(14)), [line(1, 0, 15, [2, 3, 1, 2]), line(2, 3, 13, [1, 5, 5, 5])]);
        // Key 2's row at 2 is late (its window [2, 12) passed, no open session); key 1's row at
        // 12 is not: it touches the open [20, 40) and extends it.
        op.feed(batch(&[(2, 9, 2), (1, 100, 12)]));
        assert_eq!(op.watermark(1_000), [line(1, 12, 40, [3, 112, 4, 100])]);
    }

    #[test]
    fn a_row_bridging_two_sessions_merges_their_accumulators() {
        let clock = ManualClock::new(0);
        let mut op = Harness::new(operator(), &clock);
        op.feed(batch(&[(7, 3, 0), (7, -2, 40), (7, 6, 45), (7, 1, 100)]));
        // [20, 30) does not reach [0, 10); 30 touches both [20, 30) and [40, 55).
        op.feed(batch(&[(7, 10, 20), (7, 0, 30)]));
        let fired = op.watermark(1_000);
        assert_eq!(
            fired,
            [line(7, 0, 10, [1, 3, 3, 3]), line(7, 20, 55, [4, 14, -2, 10]), line(7, 100, 110, [1, 1, 1, 1])]
        );
    }

    #[test]
    fn restored_sessions_fire_as_the_uninterrupted_ones() {
        let clock = ManualClock::new(0);
        let first: Vec<(i64, i64, i64)> = (0..40).map(|i| (i % 5, i, 3 * i)).collect();
        let mut reference = Harness::new(operator(), &clock);
        reference.feed(batch(&first));
        reference.feed(batch(&[(9, 1, 1), (9, 2, 200)]));
        assert!(reference.watermark(20).contains(&line(9, 1, 11, [1, 1, 1, 1])));
        let snapshot = reference.snapshot();
        // A row bridging key 9's open session, a late one, a new key.
        let next = batch(&[(9, 5, 195), (9, 7, 2), (1, 3, 500), (6, 4, 50)]);
        let expected = sorted([reference.feed(next.clone()), reference.watermark(10_000)].concat());
        assert!(expected.contains(&line(9, 195, 210, [2, 7, 2, 5])), "{expected:?}");
        for parallelism in [1, 2, 3] {
            let mut restored = restore_all(operator, &clock, &snapshot, parallelism);
            let mut got = feed_keyed(&mut restored, &[0], next.clone());
            for h in &mut restored {
                got.extend(h.watermark(10_000));
            }
            assert_eq!(sorted(got), expected, "at parallelism {parallelism}");
        }
    }
}
