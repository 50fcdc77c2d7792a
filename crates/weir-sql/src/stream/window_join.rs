//! The window join (Flink's `WindowJoinOperator`): both inputs are windowed (window TVFs
//! or window aggregations) and the condition equates their `window_start` and
//! `window_end`. Rows are buffered per window; when the watermark passes a window's end,
//! the window's rows of both sides are joined on the keys and the condition, emitted
//! insert-only (outer sides padded with nulls), and dropped. Rows of windows already fired
//! are late and dropped.
//!
//! Checkpoints hold each side's buffered rows by key group (the rows themselves, window
//! columns included, so windows are found again on restore) and the watermark.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::datatypes::SchemaRef;
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::{cast_to, take_all, Changes};
use super::join::{condition_mask, pair_batch, JoinInput, JoinKey, JoinKind, Side};
use super::keyed_state::{self, PendingRestore};
use super::watermark::millis;

/// Where a side's window bounds are.
#[derive(Debug, Clone, Copy)]
pub struct WindowColumns {
    /// Index of `window_start`.
    pub start: usize,
    /// Index of `window_end`.
    pub end: usize,
}

/// Joins two windowed streams window by window.
pub struct WindowJoinOperator {
    kind: JoinKind,
    keys: [JoinKey; 2],
    schemas: [SchemaRef; 2],
    windows: [WindowColumns; 2],
    condition: Option<Arc<dyn PhysicalExpr>>,
    pair_schema: SchemaRef,
    schema: SchemaRef,
    /// Each window's rows of both sides, by (end, start).
    buffered: BTreeMap<(i64, i64), [Vec<RecordBatch>; 2]>,
    watermark: i64,
    restore: PendingRestore,
}

/// The state entries of the buffered rows of each side.
const BUFFERED: [&str; 2] = ["sql-window-join-left", "sql-window-join-right"];

impl WindowJoinOperator {
    /// A join of `kind` on `keys` within windows at `windows` of inputs of `schemas`
    /// (left, right); `condition` reads batches of `pair_schema`; the output has `schema`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: JoinKind,
        keys: [JoinKey; 2],
        schemas: [SchemaRef; 2],
        windows: [WindowColumns; 2],
        condition: Option<Arc<dyn PhysicalExpr>>,
        pair_schema: SchemaRef,
        schema: SchemaRef,
    ) -> Self {
        WindowJoinOperator {
            kind,
            keys,
            schemas,
            windows,
            condition,
            pair_schema,
            schema,
            buffered: BTreeMap::new(),
            watermark: i64::MIN,
            restore: PendingRestore::default(),
        }
    }

    /// Each side's buffered rows as state batches: the key, then the row's columns.
    fn snapshot_sides(&self) -> Result<[Vec<RecordBatch>; 2], BoxError> {
        let mut out: [Vec<RecordBatch>; 2] = [Vec::new(), Vec::new()];
        for sides in self.buffered.values() {
            for (s, batches) in sides.iter().enumerate() {
                for batch in batches.iter().filter(|b| b.num_rows() > 0) {
                    let keys = self.keys[s].encode(batch)?;
                    let columns: Vec<(String, ArrayRef)> =
                        batch.columns().iter().enumerate().map(|(c, a)| (format!("c{c}"), a.clone())).collect();
                    out[s].push(keyed_state::state_batch((0..batch.num_rows()).map(|i| keys.raw(i)), columns)?);
                }
            }
        }
        Ok(out)
    }

    /// Buffers again the rows of the key groups `subtask` owns.
    fn restore_sides(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        for side in [Side::Left, Side::Right] {
            let s = side.index();
            for batch in keyed_state::read_keyed_as(state, BUFFERED[s], subtask)? {
                let rows = RecordBatch::try_new(self.schemas[s].clone(), batch.columns()[1..].to_vec())
                    .map_err(|e| format!("SQL window join state does not fit the join's input: {e}"))?;
                self.add(side, &Changes::inserts(rows))?;
            }
        }
        Ok(())
    }

    /// Buffers the rows of `changes` from `side` by window, leaving out late ones.
    pub fn add(&mut self, side: Side, changes: &Changes) -> Result<(), BoxError> {
        let s = side.index();
        let batch = &changes.rows;
        let starts = millis(batch.column(self.windows[s].start))?;
        let ends = millis(batch.column(self.windows[s].end))?;
        let mut by_window: BTreeMap<(i64, i64), Vec<u32>> = BTreeMap::new();
        for i in 0..batch.num_rows() {
            let end = ends.value(i);
            if end - 1 <= self.watermark {
                continue;
            }
            by_window.entry((end, starts.value(i))).or_default().push(i as u32);
        }
        let whole = by_window.len() == 1 && by_window.values().next().is_some_and(|v| v.len() == batch.num_rows());
        for (window, rows) in by_window {
            let part =
                if whole { batch.clone() } else { arrow::compute::take_record_batch(batch, &UInt32Array::from(rows))? };
            self.buffered.entry(window).or_default()[s].push(part);
        }
        Ok(())
    }

    /// Joins and emits the windows whose end the watermark `up_to` has passed.
    pub fn fire(&mut self, up_to: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        while let Some((&(end, start), _)) = self.buffered.first_key_value() {
            if end - 1 > up_to {
                break;
            }
            let sides = self.buffered.remove(&(end, start)).expect("present");
            if let Some(changes) = self.join_window(sides)? {
                out.emit(StreamRecord { value: changes, timestamp: end - 1 });
            }
        }
        Ok(())
    }

    /// The join of one window's rows.
    fn join_window(&self, sides: [Vec<RecordBatch>; 2]) -> Result<Option<Changes>, BoxError> {
        let [left, right] = sides;
        let left = arrow::compute::concat_batches(&self.schemas[0], &left)?;
        let right = arrow::compute::concat_batches(&self.schemas[1], &right)?;
        let left_keys = self.keys[0].encode(&left)?;
        let right_keys = self.keys[1].encode(&right)?;
        let mut right_by_key: HashMap<&[u8], Vec<u32>> = HashMap::new();
        for j in 0..right.num_rows() {
            if let Some(k) = right_keys.get(j) {
                right_by_key.entry(k).or_default().push(j as u32);
            }
        }
        let (mut pick_left, mut pick_right): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
        for i in 0..left.num_rows() {
            if let Some(matches) = left_keys.get(i).and_then(|k| right_by_key.get(k)) {
                pick_left.extend(std::iter::repeat_n(i as u32, matches.len()));
                pick_right.extend(matches);
            }
        }
        if let Some(condition) = &self.condition {
            if !pick_left.is_empty() {
                let (l, r) = (UInt32Array::from(pick_left.clone()), UInt32Array::from(pick_right.clone()));
                let pairs = pair_batch(&self.pair_schema, take_all(&left, &l)?, take_all(&right, &r)?, l.len())?;
                let mask = condition_mask(condition, &pairs)?;
                let keep =
                    |v: Vec<u32>| v.into_iter().enumerate().filter(|(c, _)| mask.value(*c)).map(|(_, x)| x).collect();
                pick_left = keep(pick_left);
                pick_right = keep(pick_right);
            }
        }
        let (mut out_left, mut out_right): (Vec<Option<u32>>, Vec<Option<u32>>) = match self.kind {
            JoinKind::LeftSemi | JoinKind::LeftAnti => {
                let mut hit = vec![false; left.num_rows()];
                pick_left.iter().for_each(|&i| hit[i as usize] = true);
                let semi = self.kind == JoinKind::LeftSemi;
                let rows = (0..left.num_rows() as u32).filter(|&i| hit[i as usize] == semi).map(Some).collect();
                (rows, Vec::new())
            }
            _ => (pick_left.iter().map(|&i| Some(i)).collect(), pick_right.iter().map(|&j| Some(j)).collect()),
        };
        for (side, rows, picked) in
            [(Side::Left, left.num_rows(), &pick_left), (Side::Right, right.num_rows(), &pick_right)]
        {
            if !self.kind.is_outer(side) {
                continue;
            }
            let mut hit = vec![false; rows];
            picked.iter().for_each(|&i| hit[i as usize] = true);
            for (i, _) in hit.iter().enumerate().filter(|(_, h)| !**h) {
                let (own, other) =
                    if side == Side::Left { (&mut out_left, &mut out_right) } else { (&mut out_right, &mut out_left) };
                own.push(Some(i as u32));
                other.push(None);
            }
        }
        if out_left.is_empty() {
            return Ok(None);
        }
        let n = out_left.len();
        let mut columns = take_all(&left, &UInt32Array::from(out_left))?;
        if !self.kind.is_semi_or_anti() {
            columns.extend(take_all(&right, &UInt32Array::from(out_right))?);
        }
        let columns = columns
            .into_iter()
            .zip(self.schema.fields())
            .map(|(c, f)| cast_to(c, f.data_type()))
            .collect::<Result<Vec<_>, _>>()?;
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(n));
        Ok(Some(Changes::inserts(RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?)))
    }
}

impl Operator for WindowJoinOperator {
    type In = JoinInput;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep_with_watermark(state, &mut self.watermark);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        match self.restore.take() {
            Some(state) => self.restore_sides(&state, subtask),
            None => Ok(()),
        }
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let [left, right] = self.snapshot_sides()?;
        keyed_state::write_keyed_as(state, BUFFERED[0], &left)?;
        keyed_state::write_keyed_as(state, BUFFERED[1], &right)?;
        keyed_state::write_watermark(state, self.watermark);
        Ok(())
    }

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<JoinInput>>,
        _out: &mut Emitter<Changes>,
    ) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            self.add(record.value.side, &record.value.changes)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        self.watermark = self.watermark.max(watermark.0);
        self.fire(watermark.0, out)?;
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
    use arrow::array::{Int32Array, TimestampMillisecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use arrow::util::display::array_value_to_string;
    use datafusion_physical_expr::expressions::Column;

    /// Both sides: (k, window_start, window_end).
    fn side_schema() -> SchemaRef {
        let ts = DataType::Timestamp(TimeUnit::Millisecond, None);
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int32, true),
            Field::new("window_start", ts.clone(), true),
            Field::new("window_end", ts, true),
        ]))
    }

    fn join(kind: JoinKind) -> WindowJoinOperator {
        let s = side_schema();
        let key = || JoinKey::new(vec![Arc::new(Column::new("k", 0))], &s, false).expect("key");
        let fields: Vec<Field> =
            s.fields().iter().chain(s.fields().iter()).map(|f| Field::clone(f).with_nullable(true)).collect();
        let pair: SchemaRef = Arc::new(Schema::new(fields));
        let out = if kind.is_semi_or_anti() { s.clone() } else { pair.clone() };
        let windows = [WindowColumns { start: 1, end: 2 }; 2];
        WindowJoinOperator::new(kind, [key(), key()], [s.clone(), s], windows, None, pair, out)
    }

    /// Rows (key, window start in s) of 10 s windows.
    fn add(op: &mut WindowJoinOperator, side: Side, rows: &[(Option<i32>, i64)]) {
        let keys = Int32Array::from(rows.iter().map(|r| r.0).collect::<Vec<_>>());
        let starts = TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.1 * 1000));
        let ends = TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.1 * 1000 + 10_000));
        let batch =
            RecordBatch::try_new(side_schema(), vec![Arc::new(keys), Arc::new(starts), Arc::new(ends)]).expect("batch");
        op.add(side, &Changes::inserts(batch)).expect("add");
    }

    /// The keys of the joined rows of the windows ending up to `watermark`, as `l/r`.
    fn fire(op: &mut WindowJoinOperator, watermark: i64) -> Vec<String> {
        let mut sink = Emitter::<Changes>::new(Vec::new(), Arc::new(weir_runtime::SystemClock));
        op.watermark = op.watermark.max(watermark);
        op.fire(watermark, &mut sink).expect("fire");
        let mut lines = Vec::new();
        for changes in sink.records().drain(..).map(|r| r.value) {
            let width = changes.rows.num_columns();
            for i in 0..changes.len() {
                let left = array_value_to_string(changes.rows.column(0), i).expect("value");
                let right = if width > 3 {
                    array_value_to_string(changes.rows.column(3), i).expect("value")
                } else {
                    "-".into()
                };
                lines.push(format!("{left}/{right}"));
            }
        }
        lines
    }

    #[test]
    fn windows_join_when_the_watermark_passes_their_end_and_late_rows_are_dropped() {
        let mut op = join(JoinKind::Full);
        add(&mut op, Side::Left, &[(Some(1), 0), (Some(2), 0), (None, 0), (Some(1), 10)]);
        add(&mut op, Side::Right, &[(Some(1), 0), (Some(3), 0), (None, 0)]);
        assert!(fire(&mut op, 9_998).is_empty());
        assert_eq!(fire(&mut op, 9_999), ["1/1", "2/", "/", "/3", "/"]);
        // The window [0, 10) has fired: its rows are late.
        add(&mut op, Side::Right, &[(Some(2), 0), (Some(1), 10)]);
        assert_eq!(fire(&mut op, i64::MAX), ["1/1"]);
    }

    #[test]
    fn a_restored_join_fires_the_buffered_windows_as_the_uninterrupted_one() {
        use crate::stream::keyed_state::testing::{owner, restored, snapshot_of};

        let mut reference = join(JoinKind::Full);
        add(&mut reference, Side::Left, &[(Some(1), 0), (Some(2), 0), (None, 0), (Some(1), 10), (Some(4), 20)]);
        add(&mut reference, Side::Right, &[(Some(1), 0), (Some(3), 10)]);
        assert_eq!(fire(&mut reference, 9_999), ["1/1", "2/", "/"]);
        let snapshot = snapshot_of(&mut reference);
        let next = [
            (Side::Right, Some(1), 10),
            (Side::Right, Some(2), 0),
            (Side::Left, Some(3), 10),
            (Side::Right, Some(4), 20),
        ];
        for (side, k, w) in next {
            add(&mut reference, side, &[(k, w)]);
        }
        let mut expected = fire(&mut reference, i64::MAX);
        expected.sort();
        assert_eq!(expected, ["1/1", "3/3", "4/4"], "late (2, 0) dropped, buffered rows joined");

        for parallelism in [1, 2, 3] {
            let mut ops = restored(|| join(JoinKind::Full), &snapshot, parallelism);
            for (side, k, w) in next {
                let probe = Int32Array::from(vec![k]);
                let batch = RecordBatch::try_new(
                    side_schema(),
                    vec![
                        Arc::new(probe),
                        Arc::new(TimestampMillisecondArray::from(vec![w * 1000])),
                        Arc::new(TimestampMillisecondArray::from(vec![w * 1000 + 10_000])),
                    ],
                )
                .unwrap();
                let key = ops[0].keys[0].encode(&batch).unwrap().raw(0).to_vec();
                add(&mut ops[owner(&key, parallelism)], side, &[(k, w)]);
            }
            let mut got: Vec<String> = ops.iter_mut().flat_map(|op| fire(op, i64::MAX)).collect();
            got.sort();
            assert_eq!(got, expected, "p{parallelism}");
        }
    }
}
