//! The interval join (Flink's `RowTimeIntervalJoin`): equal keys and rowtimes bounded
//! against each other, `right.t - left.t ∈ [lower, upper]`, over insert-only inputs. Its
//! output is insert-only.
//!
//! 1. A row arriving on one side is joined with the stored rows of its key on the other
//!    side whose time lies in its range and that satisfy the condition.
//! 2. It is stored while rows of the other side can still match it: while the end of its
//!    range is ahead of the watermark. Otherwise, on an outer side and without a match, it
//!    is emitted padded with nulls at once.
//! 3. When the watermark passes the end of a stored row's range, the row is dropped; on an
//!    outer side, if it never matched, it is emitted padded with nulls.
//!
//! The watermark passed on is held back by the largest bound, as Flink does, since joined
//! rows keep their inputs' rowtimes, which may be that far behind the input watermark.
//!
//! Checkpoints hold every stored row (side, key, rowtime, bytes, whether it matched) by key
//! group, and the watermark; the expiry index is rebuilt from the rows on restore.

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

/// A stored row: its rowtime, bytes, and whether it has matched.
#[derive(Debug, Clone)]
struct Stored {
    time: i64,
    row: Box<[u8]>,
    matched: bool,
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
    state: [KeyMap<Vec<Stored>>; 2],
    /// Keys with stored rows, by the end of those rows' ranges.
    expiry: [BTreeMap<i64, Vec<Box<[u8]>>>; 2],
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
            expiry: [BTreeMap::new(), BTreeMap::new()],
            watermark: i64::MIN,
            restore: PendingRestore::default(),
        }
    }

    /// The stored rows as state batches (none when nothing is stored).
    fn snapshot_rows(&self) -> Result<Vec<arrow::array::RecordBatch>, BoxError> {
        let mut entries = Vec::new();
        for (side, buckets) in self.state.iter().enumerate() {
            for (key, bucket) in buckets {
                entries.extend(bucket.iter().map(|stored| (key.as_ref(), side as i64, stored)));
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

    /// Puts back the rows of the key groups `subtask` owns.
    fn restore_rows(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
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
                let side = if sides.value(i) == 0 { Side::Left } else { Side::Right };
                let stored = Stored { time: times.value(i), row: rows.value(i).into(), matched: matched.value(i) };
                let end = self.bounds.range(side, stored.time).1;
                let s = side.index();
                store(&mut self.state[s], &mut self.expiry[s], keys.value(i), end, stored);
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

        // Candidates: each row with the other side's stored rows of its key in its range.
        let mut cand_row: Vec<u32> = Vec::new();
        let mut cand_slot: Vec<u32> = Vec::new();
        let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(n);
        for i in 0..n {
            let start = cand_row.len();
            if times.is_valid(i) {
                if let Some(bucket) = keys.get(i).and_then(|k| self.state[o].get(k)) {
                    let (from, to) = self.bounds.range(side, times.value(i));
                    for (j, stored) in bucket.iter().enumerate() {
                        if stored.time >= from && stored.time <= to {
                            cand_row.push(i as u32);
                            cand_slot.push(j as u32);
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
                    let bucket = keys.get(i).and_then(|k| self.state[o].get(k)).expect("candidates come from it");
                    for &slot in &cand_slot[a..b] {
                        stored.push(self.codecs[o].parse(&bucket[slot as usize].row));
                    }
                }
                let other = self.codecs[o].decode(stored)?;
                let (left, right) = if side == Side::Left { (own, other) } else { (other, own) };
                Some(condition_mask(condition, &pair_batch(&self.pair_schema, left, right, cand_row.len())?)?)
            }
            _ => None,
        };

        let mut out = JoinedRows::new(&self.codecs);
        let [left_state, right_state] = &mut self.state;
        let (own_state, other_state) =
            if side == Side::Left { (left_state, right_state) } else { (right_state, left_state) };
        let other_codec = &self.codecs[o];
        for (i, &(a, b)) in ranges.iter().enumerate() {
            let row = rows.row(i);
            let mut any = false;
            if a < b {
                let bucket = keys.get(i).and_then(|k| other_state.get_mut(k)).expect("candidates come from it");
                for c in a..b {
                    if mask.as_ref().is_some_and(|m| !m.value(c)) {
                        continue;
                    }
                    let stored = &mut bucket[cand_slot[c] as usize];
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
                (Some(key), Some(end)) if end > self.watermark => {
                    let stored = Stored { time: times.value(i), row: row.as_ref().into(), matched: any };
                    store(own_state, &mut self.expiry[s], key, end, stored);
                }
                _ if !any && self.kind.is_outer(side) => out.push_padded(RowKind::Insert, side, row, 1),
                _ => {}
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        Ok(Some(out.finish(&self.codecs, &self.schema, false)?))
    }

    /// Drops the stored rows whose range ends before `watermark`, emitting the unmatched
    /// ones of outer sides padded with nulls.
    pub fn expire(&mut self, watermark: i64) -> Result<Option<Changes>, BoxError> {
        self.watermark = self.watermark.max(watermark);
        let mut out = JoinedRows::new(&self.codecs);
        for side in [Side::Left, Side::Right] {
            let s = side.index();
            let expired = if watermark == i64::MAX {
                std::mem::take(&mut self.expiry[s])
            } else {
                let keep = self.expiry[s].split_off(&watermark);
                std::mem::replace(&mut self.expiry[s], keep)
            };
            let outer = self.kind.is_outer(side);
            for key in expired.into_values().flatten() {
                let Some(bucket) = self.state[s].get_mut(&key) else { continue };
                let bounds = self.bounds;
                let codec = &self.codecs[s];
                bucket.retain(|stored| {
                    let live = watermark < i64::MAX && bounds.range(side, stored.time).1 >= watermark;
                    if !live && outer && !stored.matched {
                        out.push_padded(RowKind::Insert, side, codec.parse(&stored.row), 1);
                    }
                    live
                });
                if bucket.is_empty() {
                    self.state[s].remove(&key);
                }
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        Ok(Some(out.finish(&self.codecs, &self.schema, false)?))
    }
}

/// Keeps `stored` under `key` in one side's `state`, and the key in its `expiry` index at
/// `end`, the end of the row's range.
fn store(
    state: &mut KeyMap<Vec<Stored>>,
    expiry: &mut BTreeMap<i64, Vec<Box<[u8]>>>,
    key: &[u8],
    end: i64,
    stored: Stored,
) {
    state.entry(key.into()).or_default().push(stored);
    expiry.entry(end).or_default().push(key.into());
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
        let s = side_schema();
        let key = || JoinKey::new(vec![Arc::new(Column::new("k", 0))], &s, false).expect("key");
        let fields: Vec<Field> =
            s.fields().iter().chain(s.fields().iter()).map(|f| Field::clone(f).with_nullable(true)).collect();
        let pair = Arc::new(Schema::new(fields));
        let codecs = [RowCodec::new(s.clone()).expect("codec"), RowCodec::new(s.clone()).expect("codec")];
        let bounds = IntervalBounds { lower: 0, upper: 5000 };
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
}
