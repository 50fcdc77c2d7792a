//! The `SESSION` window table function: rows are held per partition key until their
//! session is complete, then emitted with `window_start`, `window_end` and `window_time`.
//!
//! Unlike `TUMBLE` or `HOP`, a row's session is not known when the row arrives: a row at
//! time `t` opens the session `[t, t + gap)`, and sessions of the same key that touch or
//! overlap merge into one (as Flink's `TimeWindow.intersects`, bounds inclusive). So rows
//! wait here until the watermark passes their session's last millisecond (`end - 1`);
//! then every row of the session goes out with the session's bounds, in arrival order,
//! and a window aggregation downstream groups them like the rows of any other window.
//! This is Flink's meaning of the TVF: sessions are formed per `PARTITION BY` key (one
//! global sequence without it), whatever the later `GROUP BY` keys are.
//!
//! A row is late, and dropped, when its own window `[t, t + gap)` touches no open
//! session and has already been passed by the watermark (`t + gap - 1 <= watermark`);
//! Flink merges first and then drops the merged window if it is late, which is the same
//! thing because sessions passed by the watermark have already fired.
//!
//! Over an updating input (a CDC source) each change keeps its kind: a retraction opens,
//! joins and merges sessions by its own time as a row does (as Flink's merging windows
//! assign every change), and the window aggregation downstream takes it back.
//!
//! State is plain owned data: the input batches still referenced, and per key its open
//! sessions as lists of row references. A checkpoint writes every held row once, with its
//! key and session bounds, each key's rows in arrival order ([`super::keyed_state`]); a
//! restored operator holds them as one batch, in that order, so merges keep arrival order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, Int8Array, RecordBatch, TimestampMillisecondArray};
use arrow::datatypes::{Schema, SchemaRef};
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::Changes;
use super::exchange::KeyEncoder;
use super::keyed_state::{self, PendingRestore};
use super::watermark::millis;
use crate::functions::LocalTimeZone;
use crate::stream::KeyMap;

/// A row held in the operator: the sequence number of its batch and its index there.
/// Ordered by arrival.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RowRef {
    /// Sequence number of the batch the row came in.
    pub batch: u64,
    /// Index of the row in its batch.
    pub row: u32,
}

/// One open session: `[start, end)` and its rows in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Time of its earliest row.
    pub start: i64,
    /// Time of its latest row plus the gap.
    pub end: i64,
    /// Its rows, oldest first.
    pub rows: Vec<RowRef>,
}

/// The open sessions of one key, ordered by start; no two of them touch, so they are
/// ordered by end too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySessions {
    /// The sessions.
    pub sessions: Vec<Session>,
}

/// What adding a row did to a key's sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// The row was late and dropped.
    Late,
    /// The row is in the session `[start, end)`, which replaced the sessions passed to
    /// `retired`.
    Into {
        /// Start of the row's session.
        start: i64,
        /// End of the row's session.
        end: i64,
    },
}

impl KeySessions {
    /// Adds the row `row` at time `t`: it opens `[t, t + gap)`, merged with every session
    /// it touches. `retired(start, end)` is called for each session that stops existing
    /// as it was (merged or extended); the returned bounds are the row's session now.
    pub fn add(&mut self, t: i64, gap: i64, row: RowRef, watermark: i64, mut retired: impl FnMut(i64, i64)) -> Added {
        let (start, end) = (t, t.saturating_add(gap));
        // Sessions are disjoint and sorted, so those touching [start, end] are contiguous.
        let first = self.sessions.partition_point(|s| s.end < start);
        let last = first + self.sessions[first..].partition_point(|s| s.start <= end);
        if first == last {
            if end - 1 <= watermark {
                return Added::Late;
            }
            self.sessions.insert(first, Session { start, end, rows: vec![row] });
            return Added::Into { start, end };
        }
        let mut merged = std::mem::replace(&mut self.sessions[first], Session { start: 0, end: 0, rows: Vec::new() });
        retired(merged.start, merged.end);
        for other in self.sessions.drain(first + 1..last) {
            retired(other.start, other.end);
            merged.start = merged.start.min(other.start);
            merged.end = merged.end.max(other.end);
            merged.rows = merge_sorted(std::mem::take(&mut merged.rows), other.rows);
        }
        merged.start = merged.start.min(start);
        merged.end = merged.end.max(end);
        // The new row arrived after every row held.
        merged.rows.push(row);
        let bounds = Added::Into { start: merged.start, end: merged.end };
        self.sessions[first] = merged;
        bounds
    }

    /// Removes and returns the earliest session if it ends at `end`.
    pub fn pop_ending(&mut self, start: i64, end: i64) -> Option<Session> {
        match self.sessions.first() {
            Some(s) if s.start == start && s.end == end => Some(self.sessions.remove(0)),
            _ => None,
        }
    }
}

/// Two arrival-ordered lists as one.
fn merge_sorted(a: Vec<RowRef>, b: Vec<RowRef>) -> Vec<RowRef> {
    if b.is_empty() {
        return a;
    }
    if a.last() < b.first() {
        let mut a = a;
        a.extend(b);
        return a;
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

struct KeyState {
    key: Box<[u8]>,
    sessions: KeySessions,
}

struct HeldBatch {
    rows: RecordBatch,
    /// The kind of each row (none: all inserts).
    kinds: Option<Int8Array>,
    /// Rows of the batch still in open sessions.
    live: usize,
}

/// Holds rows per key until their session closes; emits them with the session's bounds.
pub struct SessionWindowOperator {
    keys: Option<KeyEncoder>,
    time: usize,
    gap: i64,
    schema: SchemaRef,
    ids: KeyMap<u64>,
    states: HashMap<u64, KeyState>,
    next_id: u64,
    /// Open sessions by `(end, key id, start)`: the order they close in.
    timers: BTreeSet<(i64, u64, i64)>,
    batches: BTreeMap<u64, HeldBatch>,
    next_batch: u64,
    watermark: i64,
    restore: PendingRestore,
    /// The zone whose wall clock `window_start` / `window_end` show (TIMESTAMP_LTZ rowtime).
    zone: Option<LocalTimeZone>,
}

impl SessionWindowOperator {
    /// Sessions with inactivity `gap` (ms) per key of `keys` (none: one global sequence)
    /// over the time column at index `time`; `schema` is the input's columns plus the
    /// three window columns.
    pub fn new(keys: Option<KeyEncoder>, time: usize, gap: i64, schema: SchemaRef) -> Self {
        SessionWindowOperator {
            keys,
            time,
            gap,
            schema,
            ids: KeyMap::default(),
            states: HashMap::new(),
            next_id: 0,
            timers: BTreeSet::new(),
            batches: BTreeMap::new(),
            next_batch: 0,
            watermark: i64::MIN,
            restore: PendingRestore::default(),
            zone: None,
        }
    }

    /// Sessions over a TIMESTAMP_LTZ rowtime: they open and close by instants, but their bounds
    /// are shown as wall clocks of `zone`, as Flink shows them in the session zone.
    pub fn in_time_zone(mut self, zone: Option<LocalTimeZone>) -> Self {
        self.zone = zone;
        self
    }

    /// The id of `key`'s state, created when new.
    fn state_id(&mut self, key: &[u8]) -> u64 {
        if let Some(id) = self.ids.get(key) {
            return *id;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.ids.insert(key.into(), id);
        self.states.insert(id, KeyState { key: key.into(), sessions: KeySessions::default() });
        id
    }

    /// The input columns' schema (the output's without the three window columns).
    fn input_schema(&self) -> SchemaRef {
        let n = self.schema.fields().len() - 3;
        Arc::new(Schema::new(self.schema.fields()[..n].to_vec()))
    }

    fn snapshot_rows(&self) -> Result<Option<RecordBatch>, BoxError> {
        let mut keys: Vec<&[u8]> = Vec::new();
        let (mut starts, mut ends, mut refs) = (Vec::new(), Vec::new(), Vec::new());
        for state in self.states.values() {
            let mut rows: Vec<(RowRef, i64, i64)> =
                state.sessions.sessions.iter().flat_map(|s| s.rows.iter().map(move |r| (*r, s.start, s.end))).collect();
            rows.sort_unstable_by_key(|r| r.0);
            for (r, start, end) in rows {
                keys.push(&state.key);
                starts.push(start);
                ends.push(end);
                refs.push(r);
            }
        }
        if refs.is_empty() {
            return Ok(None);
        }
        let mut slot_of: HashMap<u64, usize> = HashMap::new();
        let mut used: Vec<u64> = Vec::new();
        let indices: Vec<(usize, usize)> = refs
            .iter()
            .map(|r| {
                let slot = *slot_of.entry(r.batch).or_insert_with(|| {
                    used.push(r.batch);
                    used.len() - 1
                });
                (slot, r.row as usize)
            })
            .collect();
        let held: Vec<&RecordBatch> = used.iter().map(|b| &self.batches[b].rows).collect();
        let mut columns: Vec<(String, ArrayRef)> = vec![
            ("session_start".into(), Arc::new(Int64Array::from(starts))),
            ("session_end".into(), Arc::new(Int64Array::from(ends))),
        ];
        for c in 0..held[0].num_columns() {
            let arrays: Vec<&dyn Array> = held.iter().map(|b| b.column(c).as_ref()).collect();
            columns.push((format!("c{c}"), arrow::compute::interleave(&arrays, &indices)?));
        }
        if let Some(kinds) = self.kinds_at(&used, &indices) {
            columns.push(("kind".into(), Arc::new(kinds)));
        }
        Ok(Some(keyed_state::state_batch(keys, columns)?))
    }

    fn restore_rows(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        let schema = self.input_schema();
        for batch in keyed_state::read_keyed(state, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let starts = keyed_state::i64_column(&batch, "session_start")?;
            let ends = keyed_state::i64_column(&batch, "session_end")?;
            let columns = (0..schema.fields().len())
                .map(|c| keyed_state::column(&batch, &format!("c{c}")).cloned())
                .collect::<Result<Vec<_>, _>>()?;
            let rows = RecordBatch::try_new(schema.clone(), columns)?;
            let kinds = match batch.column_by_name("kind") {
                Some(k) => Some(k.as_any().downcast_ref::<Int8Array>().ok_or("a session row's kind")?.clone()),
                None => None,
            };
            let held = self.next_batch;
            self.next_batch += 1;
            for i in 0..batch.num_rows() {
                let id = self.state_id(keys.value(i));
                let (start, end) = (starts.value(i), ends.value(i));
                let sessions = &mut self.states.get_mut(&id).expect("created").sessions.sessions;
                let at = sessions.partition_point(|s| s.start < start);
                let row = RowRef { batch: held, row: i as u32 };
                match sessions.get_mut(at) {
                    Some(s) if s.start == start => s.rows.push(row),
                    _ => {
                        sessions.insert(at, Session { start, end, rows: vec![row] });
                        self.timers.insert((end, id, start));
                    }
                }
            }
            let live = rows.num_rows();
            self.batches.insert(held, HeldBatch { rows, kinds, live });
        }
        Ok(())
    }

    /// The kinds of the held rows at `indices` (slots of the batches `used`); none when all
    /// are inserts.
    fn kinds_at(&self, used: &[u64], indices: &[(usize, usize)]) -> Option<Int8Array> {
        let kinds: Vec<Option<&Int8Array>> = used.iter().map(|b| self.batches[b].kinds.as_ref()).collect();
        if kinds.iter().all(Option::is_none) {
            return None;
        }
        Some(Int8Array::from_iter_values(
            indices.iter().map(|&(slot, row)| crate::changelog::kind_at(kinds[slot], row) as i8),
        ))
    }

    fn add(&mut self, changes: Changes) -> Result<(), BoxError> {
        let Changes { rows, kinds, .. } = changes;
        let times = millis(rows.column(self.time))?;
        let encoded = self.keys.as_ref().map(|k| k.encode(&rows)).transpose()?;
        let batch = self.next_batch;
        self.next_batch += 1;
        let mut live = 0;
        for i in 0..rows.num_rows() {
            if !times.is_valid(i) {
                continue;
            }
            let key: &[u8] = match &encoded {
                Some(keys) => keys.row(i).data(),
                None => &[],
            };
            let id = self.state_id(key);
            let state = self.states.get_mut(&id).expect("every id has a state");
            let timers = &mut self.timers;
            let row = RowRef { batch, row: i as u32 };
            match state.sessions.add(times.value(i), self.gap, row, self.watermark, |s, e| {
                timers.remove(&(e, id, s));
            }) {
                Added::Late => {
                    if state.sessions.sessions.is_empty() {
                        let state = self.states.remove(&id).expect("present");
                        self.ids.remove(&state.key);
                    }
                }
                Added::Into { start, end } => {
                    timers.insert((end, id, start));
                    live += 1;
                }
            }
        }
        if live > 0 {
            self.batches.insert(batch, HeldBatch { rows, kinds, live });
        }
        Ok(())
    }

    /// Emits the rows of every session whose end the watermark `up_to` has passed.
    fn fire(&mut self, up_to: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        let mut used: Vec<u64> = Vec::new();
        let mut slot_of: HashMap<u64, usize> = HashMap::new();
        let mut indices: Vec<(usize, usize)> = Vec::new();
        let (mut starts, mut ends) = (Vec::new(), Vec::new());
        while let Some(&(end, id, start)) = self.timers.first() {
            if end - 1 > up_to {
                break;
            }
            self.timers.pop_first();
            let state = self.states.get_mut(&id).expect("a timer's key has a state");
            let session = state.sessions.pop_ending(start, end).expect("the earliest session closes first");
            if state.sessions.sessions.is_empty() {
                let state = self.states.remove(&id).expect("present");
                self.ids.remove(&state.key);
            }
            for r in &session.rows {
                let slot = *slot_of.entry(r.batch).or_insert_with(|| {
                    used.push(r.batch);
                    used.len() - 1
                });
                indices.push((slot, r.row as usize));
            }
            starts.resize(indices.len(), start);
            ends.resize(indices.len(), end);
        }
        if indices.is_empty() {
            return Ok(());
        }
        let held: Vec<&RecordBatch> = used.iter().map(|b| &self.batches[b].rows).collect();
        let input_columns = held.first().map(|b| b.num_columns()).unwrap_or(0);
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(input_columns + 3);
        for c in 0..input_columns {
            let arrays: Vec<&dyn Array> = held.iter().map(|b| b.column(c).as_ref()).collect();
            columns.push(arrow::compute::interleave(&arrays, &indices)?);
        }
        let last_end = *ends.iter().max().expect("non-empty");
        let times: Vec<i64> = ends.iter().map(|e| e - 1).collect();
        let (starts, ends) = match self.zone {
            Some(z) => (
                starts.iter().map(|t| z.utc_millis_to_local(*t)).collect(),
                ends.iter().map(|t| z.utc_millis_to_local(*t)).collect(),
            ),
            None => (starts, ends),
        };
        columns.push(Arc::new(TimestampMillisecondArray::from(starts)));
        columns.push(Arc::new(TimestampMillisecondArray::from(ends)));
        let time_type = self.schema.field(self.schema.fields().len() - 1).data_type().clone();
        let window_time: ArrayRef = Arc::new(TimestampMillisecondArray::from(times));
        columns.push(arrow::compute::cast(&window_time, &time_type)?);
        let rows = RecordBatch::try_new(self.schema.clone(), columns)?;
        let kinds = self.kinds_at(&used, &indices);
        // Release the batches no open session refers to any more.
        for &(slot, _) in &indices {
            let batch = used[slot];
            let held = self.batches.get_mut(&batch).expect("held");
            held.live -= 1;
            if held.live == 0 {
                self.batches.remove(&batch);
            }
        }
        out.emit(StreamRecord { value: Changes { rows, kinds, route: 0 }, timestamp: last_end - 1 });
        Ok(())
    }
}

impl Operator for SessionWindowOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep_with_watermark(state, &mut self.watermark);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        match self.restore.take() {
            Some(state) => self.restore_rows(&state, subtask),
            None => Ok(()),
        }
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let batches: Vec<RecordBatch> = self.snapshot_rows()?.into_iter().collect();
        keyed_state::write_keyed(state, &batches)?;
        keyed_state::write_watermark(state, self.watermark);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, _out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            self.add(record.value)?;
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
    use super::*;

    fn r(batch: u64, row: u32) -> RowRef {
        RowRef { batch, row }
    }

    /// Adds rows `(time, row ref)` with gap 10 at watermark `wm`; returns the sessions as
    /// `(start, end, rows)` and the sessions retired on the way.
    /// A session as `(start, end, rows)`.
    type Bounds = (i64, i64, Vec<RowRef>);

    fn run(rows: &[(i64, RowRef)], wm: i64) -> (Vec<Bounds>, Vec<Added>, Vec<(i64, i64)>) {
        let mut key = KeySessions::default();
        let mut retired = Vec::new();
        let added = rows.iter().map(|&(t, row)| key.add(t, 10, row, wm, |s, e| retired.push((s, e)))).collect();
        (key.sessions.into_iter().map(|s| (s.start, s.end, s.rows)).collect(), added, retired)
    }

    #[test]
    fn merging_sessions() {
        struct Case {
            name: &'static str,
            rows: Vec<(i64, RowRef)>,
            wm: i64,
            sessions: Vec<Bounds>,
        }
        let cases = vec![
            Case {
                name: "apart",
                rows: vec![(0, r(0, 0)), (30, r(0, 1))],
                wm: i64::MIN,
                sessions: vec![(0, 10, vec![r(0, 0)]), (30, 40, vec![r(0, 1)])],
            },
            Case {
                name: "extended",
                rows: vec![(0, r(0, 0)), (5, r(0, 1)), (12, r(1, 0))],
                wm: i64::MIN,
                sessions: vec![(0, 22, vec![r(0, 0), r(0, 1), r(1, 0)])],
            },
            Case {
                name: "touching bounds merge (inclusive, as Flink)",
                rows: vec![(0, r(0, 0)), (10, r(0, 1))],
                wm: i64::MIN,
                sessions: vec![(0, 20, vec![r(0, 0), r(0, 1)])],
            },
            Case {
                name: "out of order row bridges two sessions",
                rows: vec![(0, r(0, 0)), (15, r(0, 1)), (8, r(1, 0))],
                wm: i64::MIN,
                sessions: vec![(0, 25, vec![r(0, 0), r(0, 1), r(1, 0)])],
            },
            Case {
                name: "earlier row extends the start",
                rows: vec![(20, r(0, 0)), (15, r(0, 1))],
                wm: i64::MIN,
                sessions: vec![(15, 30, vec![r(0, 0), r(0, 1)])],
            },
            Case {
                name: "late row alone is dropped",
                rows: vec![(50, r(0, 0)), (0, r(0, 1))],
                wm: 9,
                sessions: vec![(50, 60, vec![r(0, 0)])],
            },
            Case {
                name: "row whose own window ends after the watermark is kept",
                rows: vec![(0, r(0, 0))],
                wm: 8,
                sessions: vec![(0, 10, vec![r(0, 0)])],
            },
            Case {
                name: "late row touching an open session joins it",
                rows: vec![(15, r(0, 0)), (5, r(0, 1))],
                wm: 20,
                sessions: vec![(5, 25, vec![r(0, 0), r(0, 1)])],
            },
        ];
        for case in cases {
            let (sessions, _, _) = run(&case.rows, case.wm);
            assert_eq!(sessions, case.sessions, "{}", case.name);
        }
    }

    #[test]
    fn retired_sessions_are_reported() {
        let (_, added, retired) = run(&[(0, r(0, 0)), (15, r(0, 1)), (8, r(1, 0))], i64::MIN);
        assert_eq!(
            added,
            vec![
                Added::Into { start: 0, end: 10 },
                Added::Into { start: 15, end: 25 },
                Added::Into { start: 0, end: 25 }
            ]
        );
        assert_eq!(retired, vec![(0, 10), (15, 25)]);
        let (_, added, _) = run(&[(0, r(0, 0))], 9);
        assert_eq!(added, vec![Added::Late]);
    }

    #[test]
    fn merged_rows_keep_arrival_order() {
        let a = vec![r(0, 0), r(2, 1)];
        let b = vec![r(1, 0), r(3, 0)];
        assert_eq!(merge_sorted(a, b), vec![r(0, 0), r(1, 0), r(2, 1), r(3, 0)]);
    }

    #[test]
    fn pop_takes_only_the_earliest() {
        let (sessions, _, _) = run(&[(0, r(0, 0)), (30, r(0, 1))], i64::MIN);
        let mut key = KeySessions {
            sessions: sessions.into_iter().map(|(start, end, rows)| Session { start, end, rows }).collect(),
        };
        assert!(key.pop_ending(30, 40).is_none());
        assert_eq!(key.pop_ending(0, 10).map(|s| s.rows), Some(vec![r(0, 0)]));
        assert_eq!(key.pop_ending(30, 40).map(|s| s.rows), Some(vec![r(0, 1)]));
    }
}

#[cfg(test)]
mod restore_tests {
    use arrow::datatypes::{DataType, Field, TimeUnit};
    use weir_runtime::ManualClock;

    use super::*;
    use crate::changelog::RowKind::{self, Delete as D, Insert as I, UpdateAfter as UA, UpdateBefore as UB};
    use crate::stream::operator_harness::{columns, feed_keyed, restore_all, rows, Harness};

    fn ts(name: &str) -> Field {
        Field::new(name, DataType::Timestamp(TimeUnit::Millisecond, None), true)
    }

    fn input() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, true), ts("t")]))
    }

    /// `SESSION(TABLE t PARTITION BY k, DESCRIPTOR(t), 10 ms)`.
    fn operator() -> SessionWindowOperator {
        let input = input();
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            ts("t"),
            ts("window_start"),
            ts("window_end"),
            ts("window_time"),
        ]));
        SessionWindowOperator::new(Some(KeyEncoder::new(columns(&input, &[0]), &input).unwrap()), 1, 10, schema)
    }

    fn batch(values: &[(i64, i64)]) -> Changes {
        let owned: Vec<[i64; 2]> = values.iter().map(|&(k, t)| [k, t]).collect();
        rows(&input(), &owned.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>())
    }

    /// Output lines grouped by key, each key's in order (keys may interleave differently).
    fn by_key(lines: Vec<String>) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for l in lines {
            m.entry(l.split(',').next().unwrap().to_string()).or_default().push(l);
        }
        m
    }

    #[test]
    fn restored_sessions_merge_and_close_as_uninterrupted_ones() {
        let clock = ManualClock::new(0);
        let first: Vec<(i64, i64)> = (0..30).map(|i| (i % 4, 3 * i)).collect();
        let mut reference = Harness::new(operator(), &clock);
        reference.feed(batch(&first));
        reference.feed(batch(&[(9, 1), (9, 40)]));
        let fired = reference.watermark(20);
        assert!(fired.iter().any(|l| l.starts_with("+I[9, 1970-01-01 00:00:00.001")), "{fired:?}");
        let snapshot = reference.snapshot();
        // Rows that bridge open sessions (merging them), a late one, and a new key.
        let next = batch(&[(9, 45), (9, 30), (1, 95), (2, 5), (5, 50)]);
        let expected = by_key([reference.feed(next.clone()), reference.watermark(1_000)].concat());
        for parallelism in [1, 2, 3] {
            let mut restored = restore_all(operator, &clock, &snapshot, parallelism);
            let mut got = feed_keyed(&mut restored, &[0], next.clone());
            for h in &mut restored {
                got.extend(h.watermark(1_000));
            }
            assert_eq!(by_key(got), expected, "at parallelism {parallelism}");
        }
    }

    #[test]
    fn changes_keep_their_kinds_through_sessions_and_a_restore() {
        let clock = ManualClock::new(0);
        let changes = |values: &[(RowKind, i64, i64)]| {
            let owned: Vec<(RowKind, [i64; 2])> = values.iter().map(|&(kind, k, t)| (kind, [k, t])).collect();
            rows(&input(), &owned.iter().map(|(kind, r)| (*kind, r.as_slice())).collect::<Vec<_>>())
        };
        let mut reference = Harness::new(operator(), &clock);
        reference.feed(changes(&[(I, 1, 0), (I, 1, 5), (UB, 1, 5), (UA, 1, 12)]));
        assert!(reference.watermark(0).is_empty());
        let snapshot = reference.snapshot();
        // A retraction bridging into the open session, and one too late for any.
        let next = changes(&[(D, 1, 20), (D, 2, -100)]);
        let expected = [reference.feed(next.clone()), reference.watermark(1_000)].concat();
        let kinds: Vec<&str> = expected.iter().map(|l| &l[..2]).collect();
        assert_eq!(kinds, ["+I", "+I", "-U", "+U", "-D"], "{expected:?}");
        assert!(
            expected.iter().all(|l| l.contains(", 1970-01-01 00:00:00.000, 1970-01-01 00:00:00.030")),
            "{expected:?}"
        );
        let mut restored = restore_all(operator, &clock, &snapshot, 2);
        let mut got = feed_keyed(&mut restored, &[0], next);
        for h in &mut restored {
            got.extend(h.watermark(1_000));
        }
        assert_eq!(got, expected);
    }
}
