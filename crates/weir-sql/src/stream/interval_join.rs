//! The interval join (Flink's `RowTimeIntervalJoin`): equal keys and rowtimes bounded
//! against each other, `right.t - left.t ∈ [lower, upper]`, over insert-only inputs. Its
//! output is insert-only.
//!
//! Stored rows are dropped lazily, by per-key cleanup timers, exactly as Flink's
//! `TimeIntervalJoin` does, so that a late row meets the same stored rows as in Flink. A
//! side's *size* is how far past a row of that side its range reaches (left: `upper`,
//! right: `-lower`); the *operator time* is the input watermark, or 0 while that is below 0.
//!
//! 1. A row arriving on one side looks at the other side's stored rows of its key only if
//!    that side's *expiration time* — one value per subtask, shared by all keys, not kept
//!    in checkpoints — is below the end of the row's range. Looking first sets the
//!    expiration time to `operator time - size - 1` (the other side's size), then joins the
//!    rows whose time lies in the row's range and that satisfy the condition (expired ones
//!    too), then drops the key's expired rows (time at or before the expiration time),
//!    emitting the unmatched ones of an outer side padded with nulls.
//! 2. The row is stored if the operator time is below the end of its range; the first row
//!    stored in its key's empty store registers the store's cleanup timer at
//!    `time + size + min_cleanup_interval + 1`. A row not stored is, on an outer side and
//!    without a match, emitted padded at once.
//! 3. When the watermark reaches a cleanup timer, its side's expiration time is set from
//!    the operator time, the key's expired rows are dropped (unmatched outer rows padded),
//!    and the timer moves to the cleanup time of the earliest row left; with none left (or
//!    only rows at or before time 0, which Flink then clears without padding) the store
//!    and its timer go.
//! 4. At the end of input (watermark `i64::MAX`) every timer fires and drops everything.
//!
//! So an unmatched outer row is padded when its key's cleanup timer fires, or when a later
//! row of the other side looks at the key's rows after the watermark has passed its range.
//!
//! The watermark passed on is held back by the largest size, as Flink does, since joined
//! rows keep their inputs' rowtimes, which may be that far behind the input watermark.
//!
//! Checkpoints hold every stored row (side, key, rowtime, bytes, whether it matched) and
//! every cleanup timer (side, key, time) by key group, and the watermark, as Flink keeps
//! the caches, timer states and timers; the expiration times start again from 0.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, UInt32Array};
use arrow::datatypes::SchemaRef;
use arrow::row::Row;
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::Changes;
use super::join::{condition_mask, pair_batch, JoinInput, JoinKey, JoinKind, JoinedRows, RowCodec, Side};
use super::keyed_state::{self, PendingRestore};
use super::watermark::millis;
use crate::changelog::RowKind;
use crate::stream::KeyMap;

/// The keyed state set holding the cleanup timers (the rows are in [`keyed_state::KEYED_ROWS`]).
const CLEANUP_TIMERS: &str = "sql-interval-join-timers";

/// A stored row: its rowtime, bytes, and whether it has matched.
#[derive(Debug, Clone)]
struct Stored {
    time: i64,
    row: Box<[u8]>,
    matched: bool,
}

/// One side's stored rows of one key (Flink's cache of the key) and their cleanup timer.
#[derive(Debug, Default)]
struct Store {
    rows: Vec<Stored>,
    /// When the cleanup timer fires; `None` when none is registered.
    cleanup: Option<i64>,
    /// Whether a row of the batch being applied looked at these rows: its expired rows are
    /// dropped once the batch's matches are marked, and later rows of the batch no longer
    /// see them.
    swept: bool,
}

/// The time bounds of an interval join: `right.t - left.t ∈ [lower, upper]` (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalBounds {
    /// The smallest `right.t - left.t`.
    pub lower: i64,
    /// The largest `right.t - left.t`.
    pub upper: i64,
}

impl IntervalBounds {
    /// The times of the other side's rows that a row of `side` at `time` matches.
    pub fn range(&self, side: Side, time: i64) -> (i64, i64) {
        match side {
            Side::Left => (time.saturating_add(self.lower), time.saturating_add(self.upper)),
            Side::Right => (time.saturating_sub(self.upper), time.saturating_sub(self.lower)),
        }
    }

    /// How far past a row of `side` its range reaches (Flink's relative size of the side:
    /// `upper` for the left, `-lower` for the right).
    pub fn size(&self, side: Side) -> i64 {
        match side {
            Side::Left => self.upper,
            Side::Right => self.lower.saturating_neg(),
        }
    }

    /// How far joined rows' rowtimes may be behind the input watermark.
    pub fn output_delay(&self) -> i64 {
        self.upper.max(-self.lower).max(0)
    }
}

/// Joins two insert-only streams on equal keys within a time interval.
pub struct IntervalJoinOperator {
    kind: JoinKind,
    keys: [JoinKey; 2],
    codecs: [RowCodec; 2],
    times: [usize; 2],
    bounds: IntervalBounds,
    condition: Option<Arc<dyn PhysicalExpr>>,
    pair_schema: SchemaRef,
    schema: SchemaRef,
    state: [KeyMap<Store>; 2],
    /// Each side's cleanup timers: the keys whose store's timer fires at a time.
    timers: [BTreeMap<i64, Vec<Box<[u8]>>>; 2],
    /// Each side's expiration time: up to when its stores were last cleaned (per subtask).
    expiration: [i64; 2],
    /// Flink's `table.exec.interval-join.min-cleanup-interval` (ms, at least 0).
    min_cleanup_interval: i64,
    watermark: i64,
    restore: PendingRestore,
}

impl IntervalJoinOperator {
    /// A join of `kind` on `keys` whose rowtimes are the columns `times` (left, right),
    /// within `bounds`; `condition` (the whole join condition, over batches of
    /// `pair_schema`) decides each candidate pair. The output has `schema`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: JoinKind,
        keys: [JoinKey; 2],
        codecs: [RowCodec; 2],
        times: [usize; 2],
        bounds: IntervalBounds,
        condition: Option<Arc<dyn PhysicalExpr>>,
        pair_schema: SchemaRef,
        schema: SchemaRef,
    ) -> Self {
        IntervalJoinOperator {
            kind,
            keys,
            codecs,
            times,
            bounds,
            condition,
            pair_schema,
            schema,
            state: [KeyMap::default(), KeyMap::default()],
            timers: [BTreeMap::new(), BTreeMap::new()],
            expiration: [0, 0],
            min_cleanup_interval: 0,
            watermark: i64::MIN,
            restore: PendingRestore::default(),
        }
    }

    /// Delays the cleanup timers by `ms` (Flink's `table.exec.interval-join.min-cleanup-interval`,
    /// 0 by default; a negative value counts as 0).
    pub fn with_min_cleanup_interval(mut self, ms: i64) -> Self {
        self.min_cleanup_interval = ms.max(0);
        self
    }

    /// The operator time: the watermark, or 0 while it is below 0 (as Flink's).
    fn operator_time(&self) -> i64 {
        self.watermark.max(0)
    }

    /// The expiration time of `side`'s stores at operator time `now`: rows at or before it
    /// can no longer meet a row of the other side that is not late.
    fn expiration_time(&self, side: Side, now: i64) -> i64 {
        if now == i64::MAX {
            return i64::MAX;
        }
        now.saturating_sub(self.bounds.size(side)).saturating_sub(1)
    }

    /// How long after the time of a `side` store's earliest row its cleanup timer fires.
    fn cleanup_delay(&self, side: Side) -> i64 {
        self.bounds.size(side).saturating_add(self.min_cleanup_interval).saturating_add(1)
    }

    /// The stored rows as state batches (none when nothing is stored).
    fn snapshot_rows(&self) -> Result<Vec<arrow::array::RecordBatch>, BoxError> {
        let mut entries = Vec::new();
        for (side, stores) in self.state.iter().enumerate() {
            for (key, store) in stores {
                entries.extend(store.rows.iter().map(|stored| (key.as_ref(), side as i64, stored)));
            }
        }
        keyed_state::batches_of(
            &entries,
            |(key, _, stored)| key.len() + stored.row.len(),
            |run| {
                let columns: Vec<(String, ArrayRef)> = vec![
                    ("side".into(), Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.1)))),
                    ("time".into(), Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.2.time)))),
                    ("row".into(), keyed_state::bytes_column(run.iter().map(|e| e.2.row.as_ref()))),
                    ("matched".into(), Arc::new(run.iter().map(|e| Some(e.2.matched)).collect::<BooleanArray>())),
                ];
                keyed_state::state_batch(run.iter().map(|e| e.0), columns)
            },
        )
    }

    /// The cleanup timers as state batches (none when there are none).
    fn snapshot_timers(&self) -> Result<Vec<arrow::array::RecordBatch>, BoxError> {
        let mut entries = Vec::new();
        for (side, stores) in self.state.iter().enumerate() {
            entries.extend(stores.iter().filter_map(|(key, store)| Some((key.as_ref(), side as i64, store.cleanup?))));
        }
        keyed_state::batches_of(
            &entries,
            |(key, _, _)| key.len() + 16,
            |run| {
                let columns: Vec<(String, ArrayRef)> = vec![
                    ("side".into(), Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.1)))),
                    ("time".into(), Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.2)))),
                ];
                keyed_state::state_batch(run.iter().map(|e| e.0), columns)
            },
        )
    }

    /// Puts back the rows and cleanup timers of the key groups `subtask` owns.
    fn restore_rows(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        let side_of = |v: i64| if v == 0 { Side::Left } else { Side::Right };
        for batch in keyed_state::read_keyed(state, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let sides = keyed_state::i64_column(&batch, "side")?;
            let times = keyed_state::i64_column(&batch, "time")?;
            let rows = keyed_state::bytes_of(&batch, "row")?;
            let matched = keyed_state::column(&batch, "matched")?
                .as_any()
                .downcast_ref::<BooleanArray>()
                .ok_or("SQL operator state: column 'matched' is not BOOLEAN")?;
            for i in 0..batch.num_rows() {
                let stored = Stored { time: times.value(i), row: rows.value(i).into(), matched: matched.value(i) };
                let s = side_of(sides.value(i)).index();
                self.state[s].entry(keys.value(i).into()).or_default().rows.push(stored);
            }
        }
        for batch in keyed_state::read_keyed_as(state, CLEANUP_TIMERS, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let sides = keyed_state::i64_column(&batch, "side")?;
            let times = keyed_state::i64_column(&batch, "time")?;
            for i in 0..batch.num_rows() {
                let s = side_of(sides.value(i)).index();
                self.state[s].entry(keys.value(i).into()).or_default().cleanup = Some(times.value(i));
            }
        }
        for side in [Side::Left, Side::Right] {
            let s = side.index();
            let stores = std::mem::take(&mut self.state[s]);
            for (key, mut store) in stores {
                // Rows without a timer (a checkpoint from before timers were kept) get the
                // timer of their earliest row.
                let cleanup = match store.cleanup {
                    Some(at) => at,
                    None => match store.rows.iter().map(|r| r.time).min() {
                        Some(earliest) => earliest.saturating_add(self.cleanup_delay(side)),
                        None => continue,
                    },
                };
                store.cleanup = Some(cleanup);
                self.timers[s].entry(cleanup).or_default().push(key.clone());
                self.state[s].insert(key, store);
            }
        }
        Ok(())
    }

    /// The output caused by `changes` arriving on `side`; `None` when there is none.
    pub fn apply(&mut self, side: Side, changes: &Changes) -> Result<Option<Changes>, BoxError> {
        let (s, o) = (side.index(), side.other().index());
        let batch = &changes.rows;
        let n = batch.num_rows();
        let keys = self.keys[s].encode(batch)?;
        let rows = self.codecs[s].encode(batch)?;
        let times = millis(batch.column(self.times[s]))?;
        let now = self.operator_time();
        // The watermark is the same for the whole batch, and so is the other side's
        // expiration time once a row looks at its stores.
        let other_expired = self.expiration_time(side.other(), now);

        // Candidates: each row with the other side's stored rows of its key in its range,
        // if it looks at them (step 1); the stores looked at, by the first row that did.
        let mut cand_row: Vec<u32> = Vec::new();
        let mut cand_slot: Vec<u32> = Vec::new();
        let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(n);
        let mut swept: Vec<u32> = Vec::new();
        for i in 0..n {
            let start = cand_row.len();
            if times.is_valid(i) {
                let (from, to) = self.bounds.range(side, times.value(i));
                if self.expiration[o] < to {
                    self.expiration[o] = other_expired;
                    if let Some(store) = keys.get(i).and_then(|k| self.state[o].get_mut(k)) {
                        // Rows an earlier row of the batch swept away are gone.
                        let gone = if store.swept { other_expired } else { i64::MIN };
                        for (j, stored) in store.rows.iter().enumerate() {
                            if stored.time >= from && stored.time <= to && stored.time > gone {
                                cand_row.push(i as u32);
                                cand_slot.push(j as u32);
                            }
                        }
                        if !store.swept {
                            store.swept = true;
                            swept.push(i as u32);
                        }
                    }
                }
            }
            ranges.push((start, cand_row.len()));
        }
        let mask = match &self.condition {
            Some(condition) if !cand_row.is_empty() => {
                let idx = UInt32Array::from(cand_row.clone());
                let own = super::batch::take_all(batch, &idx)?;
                let mut stored: Vec<Row<'_>> = Vec::with_capacity(cand_row.len());
                for (i, &(a, b)) in ranges.iter().enumerate() {
                    if a == b {
                        continue;
                    }
                    let store = keys.get(i).and_then(|k| self.state[o].get(k)).expect("candidates come from it");
                    for &slot in &cand_slot[a..b] {
                        stored.push(self.codecs[o].parse(&store.rows[slot as usize].row));
                    }
                }
                let other = self.codecs[o].decode(stored)?;
                let (left, right) = if side == Side::Left { (own, other) } else { (other, own) };
                Some(condition_mask(condition, &pair_batch(&self.pair_schema, left, right, cand_row.len())?)?)
            }
            _ => None,
        };

        let mut out = JoinedRows::new(&self.codecs);
        let cleanup_delay = self.cleanup_delay(side);
        let [left_state, right_state] = &mut self.state;
        let (own_state, other_state) =
            if side == Side::Left { (left_state, right_state) } else { (right_state, left_state) };
        let other_codec = &self.codecs[o];
        for (i, &(a, b)) in ranges.iter().enumerate() {
            let row = rows.row(i);
            let mut any = false;
            if a < b {
                let store = keys.get(i).and_then(|k| other_state.get_mut(k)).expect("candidates come from it");
                for (c, &slot) in (a..b).zip(&cand_slot[a..b]) {
                    if mask.as_ref().is_some_and(|m| !m.value(c)) {
                        continue;
                    }
                    let stored = &mut store.rows[slot as usize];
                    stored.matched = true;
                    any = true;
                    let other = other_codec.parse(&stored.row);
                    match side {
                        Side::Left => out.push(RowKind::Insert, Some(row), Some(other), 1),
                        Side::Right => out.push(RowKind::Insert, Some(other), Some(row), 1),
                    }
                }
            }
            let end = times.is_valid(i).then(|| self.bounds.range(side, times.value(i)).1);
            match (keys.get(i), end) {
                (Some(key), Some(end)) if now < end => {
                    if !own_state.contains_key(key) {
                        own_state.insert(key.into(), Store::default());
                    }
                    let store = own_state.get_mut(key).expect("inserted above");
                    let time = times.value(i);
                    store.rows.push(Stored { time, row: row.as_ref().into(), matched: any });
                    if store.cleanup.is_none() {
                        let at = time.saturating_add(cleanup_delay);
                        store.cleanup = Some(at);
                        self.timers[s].entry(at).or_default().push(key.into());
                    }
                }
                _ if !any && self.kind.is_outer(side) => out.push_padded(RowKind::Insert, side, row, 1),
                _ => {}
            }
        }

        // The stores looked at drop their expired rows, after the batch's matches.
        let outer = self.kind.is_outer(side.other());
        for &i in &swept {
            let store = keys.get(i as usize).and_then(|k| other_state.get_mut(k)).expect("swept stores exist");
            store.swept = false;
            store.rows.retain(|stored| {
                let live = stored.time > other_expired;
                if !live && outer && !stored.matched {
                    out.push_padded(RowKind::Insert, side.other(), other_codec.parse(&stored.row), 1);
                }
                live
            });
        }
        if out.is_empty() {
            return Ok(None);
        }
        Ok(Some(out.finish(&self.codecs, &self.schema, false)?))
    }

    /// Advances the watermark to `watermark` and fires the cleanup timers it reached
    /// (step 3), emitting the dropped unmatched rows of outer sides padded with nulls.
    pub fn expire(&mut self, watermark: i64) -> Result<Option<Changes>, BoxError> {
        self.watermark = self.watermark.max(watermark);
        let now = self.operator_time();
        let mut out = JoinedRows::new(&self.codecs);
        for side in [Side::Left, Side::Right] {
            let s = side.index();
            let due = if self.watermark == i64::MAX {
                std::mem::take(&mut self.timers[s])
            } else {
                let later = self.timers[s].split_off(&(self.watermark + 1));
                std::mem::replace(&mut self.timers[s], later)
            };
            if due.is_empty() {
                continue;
            }
            let expired = self.expiration_time(side, now);
            let cleanup_delay = self.cleanup_delay(side);
            let outer = self.kind.is_outer(side);
            for (at, keys) in due {
                for key in keys {
                    let Some(store) = self.state[s].get_mut(&key) else { continue };
                    if store.cleanup != Some(at) {
                        continue;
                    }
                    self.expiration[s] = expired;
                    let codec = &self.codecs[s];
                    store.rows.retain(|stored| {
                        let live = stored.time > expired;
                        if !live && outer && !stored.matched {
                            out.push_padded(RowKind::Insert, side, codec.parse(&stored.row), 1);
                        }
                        live
                    });
                    // The next timer is the earliest row's; Flink clears the store instead
                    // when that row is at or before time 0.
                    match store.rows.iter().map(|r| r.time).min() {
                        Some(earliest) if earliest > 0 => {
                            let next = earliest.saturating_add(cleanup_delay);
                            store.cleanup = Some(next);
                            self.timers[s].entry(next).or_default().push(key);
                        }
                        _ => {
                            self.state[s].remove(&key);
                        }
                    }
                }
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        Ok(Some(out.finish(&self.codecs, &self.schema, false)?))
    }
}

impl Operator for IntervalJoinOperator {
    type In = JoinInput;
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
        keyed_state::write_keyed(state, &self.snapshot_rows()?)?;
        keyed_state::write_keyed_as(state, CLEANUP_TIMERS, &self.snapshot_timers()?)?;
        keyed_state::write_watermark(state, self.watermark);
        Ok(())
    }

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<JoinInput>>,
        out: &mut Emitter<Changes>,
    ) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            if let Some(changes) = self.apply(record.value.side, &record.value.changes)? {
                out.emit(StreamRecord { value: changes, timestamp: record.timestamp });
            }
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        if let Some(changes) = self.expire(watermark.0)? {
            out.emit(StreamRecord { value: changes, timestamp: weir_core::record::NO_TIMESTAMP });
        }
        let held =
            if watermark.0 == i64::MAX { watermark.0 } else { watermark.0.saturating_sub(self.bounds.output_delay()) };
        out.emit_watermark(Watermark(held));
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        if let Some(changes) = self.expire(i64::MAX)? {
            out.emit(StreamRecord { value: changes, timestamp: weir_core::record::NO_TIMESTAMP });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, RecordBatch, TimestampMillisecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use arrow::util::display::array_value_to_string;
    use datafusion_physical_expr::expressions::Column;

    fn side_schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int32, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        ]))
    }

    /// `right.t - left.t ∈ [0, 5000]`.
    fn join(kind: JoinKind) -> IntervalJoinOperator {
        join_within(kind, IntervalBounds { lower: 0, upper: 5000 })
    }

    fn join_within(kind: JoinKind, bounds: IntervalBounds) -> IntervalJoinOperator {
        let s = side_schema();
        let key = || JoinKey::new(vec![Arc::new(Column::new("k", 0))], &s, false).expect("key");
        let fields: Vec<Field> =
            s.fields().iter().chain(s.fields().iter()).map(|f| Field::clone(f).with_nullable(true)).collect();
        let pair = Arc::new(Schema::new(fields));
        let codecs = [RowCodec::new(s.clone()).expect("codec"), RowCodec::new(s.clone()).expect("codec")];
        IntervalJoinOperator::new(kind, [key(), key()], codecs, [1, 1], bounds, None, pair.clone(), pair)
    }

    fn lines(out: Option<Changes>) -> Vec<String> {
        let Some(out) = out else { return Vec::new() };
        (0..out.len())
            .map(|i| {
                let values = out.rows.columns().iter().map(|c| array_value_to_string(c, i).expect("value"));
                values.map(|v| v.replace("1970-01-01T00:00:", "")).collect::<Vec<_>>().join(", ")
            })
            .collect()
    }

    fn apply(op: &mut IntervalJoinOperator, side: Side, rows: &[(i32, i64)]) -> Vec<String> {
        let keys = Int32Array::from(rows.iter().map(|r| r.0).collect::<Vec<_>>());
        let times = TimestampMillisecondArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>());
        let batch = RecordBatch::try_new(side_schema(), vec![Arc::new(keys), Arc::new(times)]).expect("batch");
        lines(op.apply(side, &Changes::inserts(batch)).expect("apply"))
    }

    #[test]
    fn rows_join_within_the_bounds_inclusive() {
        let mut op = join(JoinKind::Inner);
        assert!(apply(&mut op, Side::Left, &[(1, 1000), (2, 1000)]).is_empty());
        assert_eq!(
            apply(&mut op, Side::Right, &[(1, 999), (1, 1000), (1, 6000), (1, 6001), (3, 2000)]),
            ["1, 01, 1, 01", "1, 01, 1, 06"]
        );
        // A left row joins the stored right rows of its range.
        assert_eq!(apply(&mut op, Side::Left, &[(1, 5500)]), ["1, 05.500, 1, 06", "1, 05.500, 1, 06.001"]);
    }

    #[test]
    fn unmatched_outer_rows_are_padded_when_the_watermark_passes_their_range() {
        let mut op = join(JoinKind::Full);
        assert!(apply(&mut op, Side::Left, &[(1, 1000), (2, 1000)]).is_empty());
        assert_eq!(apply(&mut op, Side::Right, &[(1, 3000)]), ["1, 01, 1, 03"]);
        // Left (2, 1000) may still meet right rows up to 6000.
        assert!(lines(op.expire(6000).expect("expire")).is_empty());
        assert_eq!(lines(op.expire(6001).expect("expire")), ["2, 01, , "]);
        // Right (1, 3000) matched: dropped without padding once left rows up to 3000 are past.
        assert!(lines(op.expire(7000).expect("expire")).is_empty());
        // A row whose range is already behind the watermark is padded at once, not stored.
        assert_eq!(apply(&mut op, Side::Left, &[(5, 1000)]), ["5, 01, , "]);
        assert!(lines(op.expire(i64::MAX).expect("expire")).is_empty());
    }

    fn batch(rows: &[(i32, i64)]) -> RecordBatch {
        let keys = Int32Array::from(rows.iter().map(|r| r.0).collect::<Vec<_>>());
        let times = TimestampMillisecondArray::from(rows.iter().map(|r| r.1).collect::<Vec<_>>());
        RecordBatch::try_new(side_schema(), vec![Arc::new(keys), Arc::new(times)]).expect("batch")
    }

    #[test]
    fn a_restored_join_matches_pads_and_expires_as_the_uninterrupted_one() {
        use crate::stream::keyed_state::testing::{owner, restored, snapshot_of};

        let mut reference = join(JoinKind::Full);
        apply(&mut reference, Side::Left, &[(1, 1000), (2, 1000), (3, 2000), (4, 9000)]);
        apply(&mut reference, Side::Right, &[(1, 3000), (5, 4000)]);
        lines(reference.expire(1500).expect("expire"));
        // State batches of at most 32 bytes: the rows are written in several.
        let snapshot = crate::stream::keyed_state::with_batch_limit(32, || snapshot_of(&mut reference));
        assert!(crate::stream::keyed_state::tests::batches_in(&snapshot, crate::stream::keyed_state::KEYED_ROWS) > 1);
        let next = [(Side::Right, 2, 5000), (Side::Left, 5, 1000), (Side::Right, 3, 8000), (Side::Right, 4, 9500)];
        let mut expected: Vec<String> =
            next.iter().flat_map(|(side, k, t)| apply(&mut reference, *side, &[(*k, *t)])).collect();
        expected.extend(lines(reference.expire(i64::MAX).expect("expire")));
        expected.sort();
        assert!(expected.iter().any(|l| l.ends_with(", , ")), "some padding is tested: {expected:?}");

        for parallelism in [1, 2, 3] {
            let mut ops = restored(|| join(JoinKind::Full), &snapshot, parallelism);
            let mut got = Vec::new();
            for (side, k, t) in next {
                let key = ops[0].keys[0].encode(&batch(&[(k, t)])).unwrap().raw(0).to_vec();
                got.extend(apply(&mut ops[owner(&key, parallelism)], side, &[(k, t)]));
            }
            for op in &mut ops {
                assert_eq!(op.watermark, 1500, "the watermark is restored");
                got.extend(lines(op.expire(i64::MAX).expect("expire")));
            }
            got.sort();
            assert_eq!(got, expected, "p{parallelism}");
        }
    }

    fn sorted(mut lines: Vec<String>) -> Vec<String> {
        lines.sort();
        lines
    }

    #[test]
    fn cleanup_timers_fire_at_the_earliest_rows_time_plus_its_sides_size_plus_one() {
        // bounds [-3000, 5000]: a left row reaches 5000 past its time, a right row 3000.
        let bounds = IntervalBounds { lower: -3000, upper: 5000 };
        let mut op = join_within(JoinKind::Full, bounds);
        assert!(apply(&mut op, Side::Left, &[(1, 1000)]).is_empty());
        assert!(apply(&mut op, Side::Right, &[(2, 1000)]).is_empty());
        assert!(lines(op.expire(4000).expect("expire")).is_empty());
        assert_eq!(lines(op.expire(4001).expect("expire")), [", , 2, 01"]);
        assert!(lines(op.expire(6000).expect("expire")).is_empty());
        assert_eq!(lines(op.expire(6001).expect("expire")), ["1, 01, , "]);

        // min_cleanup_interval delays the timer.
        let mut op = join_within(JoinKind::Left, bounds).with_min_cleanup_interval(2000);
        assert!(apply(&mut op, Side::Left, &[(1, 1000)]).is_empty());
        assert!(lines(op.expire(8000).expect("expire")).is_empty());
        assert_eq!(lines(op.expire(8001).expect("expire")), ["1, 01, , "]);
    }

    #[test]
    fn a_store_is_cleaned_when_the_timer_of_its_first_row_fires_and_then_at_its_earliest_rows() {
        let mut op = join(JoinKind::Left);
        // The first row sets the timer at 4000 + 5000 + 1; the later, earlier row waits for it.
        assert!(apply(&mut op, Side::Left, &[(1, 4000), (1, 1000), (1, 4500)]).is_empty());
        assert!(lines(op.expire(9000).expect("expire")).is_empty(), "the watermark passed 1000's range");
        assert_eq!(sorted(lines(op.expire(9001).expect("expire"))), ["1, 01, , ", "1, 04, , "]);
        // The timer moved to the earliest row left, 4500.
        assert!(lines(op.expire(9500).expect("expire")).is_empty());
        assert_eq!(lines(op.expire(9501).expect("expire")), ["1, 04.500, , "]);
        assert!(op.state[0].is_empty() && op.timers[0].is_empty(), "the store and its timer are gone");
    }

    #[test]
    fn a_late_row_meets_stored_rows_whose_range_has_passed_until_their_timer_fires() {
        let mut op = join(JoinKind::Left);
        assert!(apply(&mut op, Side::Left, &[(1, 4000), (1, 1000)]).is_empty());
        assert!(lines(op.expire(7000).expect("expire")).is_empty());
        // Right (1, 1500) is late (its left rows end at 1500), yet (1, 1000) is still stored:
        // they join, and the look drops (1, 1000), matched, without padding.
        assert_eq!(apply(&mut op, Side::Right, &[(1, 1500)]), ["1, 01, 1, 01.500"]);
        assert_eq!(op.state[0].values().map(|s| s.rows.len()).sum::<usize>(), 1, "only (1, 4000) is left");
        // A late right row is not stored.
        assert!(op.state[1].is_empty());
        assert_eq!(lines(op.expire(9001).expect("expire")), ["1, 04, , "]);
    }

    #[test]
    fn a_late_row_does_not_look_once_another_keys_row_moved_the_expiration_time_past_its_range() {
        let mut op = join(JoinKind::Left);
        assert!(apply(&mut op, Side::Left, &[(1, 4000), (1, 1000), (2, 8000)]).is_empty());
        assert!(lines(op.expire(7000).expect("expire")).is_empty());
        // Key 2's row looks, setting the left expiration time to 7000 - 5000 - 1.
        assert_eq!(apply(&mut op, Side::Right, &[(2, 8000)]), ["2, 08, 2, 08"]);
        // 1999 is not below 1500, the end of (1, 1500)'s range: it does not look at (1, 1000).
        assert!(apply(&mut op, Side::Right, &[(1, 1500)]).is_empty());
        assert_eq!(sorted(lines(op.expire(9001).expect("expire"))), ["1, 01, , ", "1, 04, , "]);
    }

    #[test]
    fn a_look_drops_the_expired_rows_after_joining_and_pads_the_unmatched() {
        let mut op = join(JoinKind::Full);
        assert!(apply(&mut op, Side::Left, &[(1, 4000), (1, 1000)]).is_empty());
        assert!(lines(op.expire(7000).expect("expire")).is_empty());
        // (1, 6500) joins (1, 4000); the look drops (1, 1000), unmatched, padded now. The
        // right row itself is late: not stored, and not padded since it matched.
        assert_eq!(sorted(apply(&mut op, Side::Right, &[(1, 6500)])), ["1, 01, , ", "1, 04, 1, 06.500"]);
        // A late right row without a match is padded at once.
        assert_eq!(apply(&mut op, Side::Right, &[(3, 6500)]), [", , 3, 06.500"]);
        assert!(lines(op.expire(i64::MAX).expect("expire")).is_empty(), "(1, 4000) matched");
    }

    #[test]
    fn later_rows_of_a_batch_no_longer_meet_the_rows_an_earlier_one_dropped() {
        let run = |batches: &[&[(i32, i64)]]| {
            let mut op = join(JoinKind::Left);
            apply(&mut op, Side::Left, &[(1, 4000), (1, 1000)]);
            lines(op.expire(7000).expect("expire"));
            let mut got: Vec<String> = batches.iter().flat_map(|b| apply(&mut op, Side::Right, b)).collect();
            got.extend(lines(op.expire(i64::MAX).expect("expire")));
            got
        };
        // (1, 1500) joins (1, 1000) and drops it; (1, 2500) looks too but no longer sees it.
        let expected = ["1, 01, 1, 01.500", "1, 04, , "];
        assert_eq!(run(&[&[(1, 1500), (1, 2500)]]), expected);
        assert_eq!(run(&[&[(1, 1500)], &[(1, 2500)]]), expected);
        // In the other order (1, 2500) joins it; (1, 1500) then does not look (1999 >= 1500).
        assert_eq!(run(&[&[(1, 2500), (1, 1500)]]), ["1, 01, 1, 02.500", "1, 04, , "]);
    }

    #[test]
    fn rows_whose_range_ends_at_or_before_time_zero_are_never_stored() {
        // Flink's operator time is the watermark, but never below 0.
        let mut op = join(JoinKind::Left);
        assert_eq!(apply(&mut op, Side::Left, &[(1, -5000)]), ["1, 1969-12-31T23:59:55, , "]);
        assert!(apply(&mut op, Side::Left, &[(1, -4999)]).is_empty());
        assert_eq!(lines(op.expire(i64::MAX).expect("expire")), ["1, 1969-12-31T23:59:55.001, , "]);
    }

    #[test]
    fn a_restored_join_keeps_the_cleanup_timers() {
        use crate::stream::keyed_state::testing::{owner, restored, snapshot_of};

        let make = || join(JoinKind::Left).with_min_cleanup_interval(3000);
        let mut reference = make();
        // Key 1's timer (4000 + 5000 + 3000 + 1) is its first row's, not its earliest row's.
        apply(&mut reference, Side::Left, &[(1, 4000), (1, 1000)]);
        apply(&mut reference, Side::Left, &[(2, 1000)]);
        lines(reference.expire(7000).expect("expire"));
        // A look drops (2, 1000); its store keeps the timer at 9001 without rows.
        assert_eq!(apply(&mut reference, Side::Right, &[(2, 6500)]), ["2, 01, , "]);
        let snapshot = snapshot_of(&mut reference);

        let next = |op: &mut IntervalJoinOperator| {
            let mut got = lines(op.expire(9001).expect("expire"));
            got.extend(apply(op, Side::Right, &[(1, 6000)]));
            got.extend(lines(op.expire(i64::MAX).expect("expire")));
            got
        };
        let expected = next(&mut reference);
        assert_eq!(sorted(expected.clone()), ["1, 01, 1, 06", "1, 04, 1, 06"]);
        for parallelism in [1, 2, 3] {
            let mut ops = restored(make, &snapshot, parallelism);
            let mut timers: Vec<(usize, i64, usize)> = ops
                .iter()
                .flat_map(|op| {
                    op.state
                        .iter()
                        .enumerate()
                        .flat_map(|(s, m)| m.values().map(move |st| (s, st.cleanup.unwrap_or(-1), st.rows.len())))
                })
                .collect();
            timers.sort();
            assert_eq!(timers, [(0, 9001, 0), (0, 12001, 2)], "p{parallelism}");
            let key = ops[0].keys[0].encode(&batch(&[(1, 0)])).unwrap().raw(0).to_vec();
            let mut got = next(&mut ops[owner(&key, parallelism)]);
            for op in &mut ops {
                got.extend(lines(op.expire(i64::MAX).expect("expire")));
            }
            assert_eq!(sorted(got), sorted(expected.clone()), "p{parallelism}");
        }
    }
}
