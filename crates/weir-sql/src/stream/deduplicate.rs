//! Deduplication keeping the first row on rowtime (`ROW_NUMBER() OVER (PARTITION BY k
//! ORDER BY rowtime ASC) = 1`), insert-only as in Flink: each key's earliest row is held
//! until the watermark passes its time, then emitted once; a row arriving at or behind the
//! watermark is late and dropped, and a key already emitted ignores every later row.
//! (Keeping the last row is an updating Top-N of one, see [`super::rank`].)
//!
//! On a processing-time attribute (`ORDER BY proctime ASC`) the first row to arrive is the
//! first: it is emitted at once, and every later row of its key is ignored.
//!
//! Checkpoints hold each key's pending row and time, the keys already emitted, and the
//! watermark ([`super::keyed_state`]).

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::Array;
use arrow::array::{ArrayRef, Int64Array};
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::Changes;
use super::keyed_state::{self, PendingRestore};
use super::rank::RankEncoders;
use super::watermark::millis;
use crate::changelog::RowKind;
use crate::stream::KeyMap;

/// A row's time and bytes.
type TimedRow = (i64, Arc<[u8]>);

/// Keeps the first row of each key by rowtime.
pub struct FirstRowOperator {
    encoders: RankEncoders,
    /// The rowtime column; `None` on processing time.
    time: Option<usize>,
    /// Key → the earliest row so far and its time, not emitted yet.
    pending: KeyMap<TimedRow>,
    /// Keys whose first row was emitted.
    emitted: HashSet<Box<[u8]>>,
    watermark: i64,
    restore: PendingRestore,
}

impl FirstRowOperator {
    /// Deduplication with `encoders` (partition key and rows) on the rowtime column `time`.
    pub fn new(encoders: RankEncoders, time: usize) -> Self {
        FirstRowOperator {
            encoders,
            time: Some(time),
            pending: KeyMap::default(),
            emitted: HashSet::new(),
            watermark: i64::MIN,
            restore: PendingRestore::default(),
        }
    }

    fn restore_keys(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        for batch in keyed_state::read_keyed(state, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let done = keyed_state::i64_column(&batch, "emitted")?;
            let times = keyed_state::i64_column(&batch, "time")?;
            let rows = keyed_state::bytes_of(&batch, "row")?;
            for i in 0..batch.num_rows() {
                if done.value(i) == 1 {
                    self.emitted.insert(keys.value(i).into());
                } else {
                    self.pending.insert(keys.value(i).into(), (times.value(i), rows.value(i).into()));
                }
            }
        }
        Ok(())
    }

    /// Deduplication on processing time: each key's first row to arrive, emitted at once.
    pub fn on_arrival(encoders: RankEncoders) -> Self {
        FirstRowOperator { time: None, ..FirstRowOperator::new(encoders, 0) }
    }

    /// Emits the rows of keys not seen before, in arrival order.
    fn add_on_arrival(
        &mut self,
        changes: &Changes,
        out: &mut Emitter<Changes>,
        timestamp: i64,
    ) -> Result<(), BoxError> {
        let (keys, _, rows) = self.encoders.encode(&changes.rows)?;
        let mut first = Vec::new();
        for i in 0..changes.len() {
            let key = keys.row(i).data();
            if !self.emitted.contains(key) {
                self.emitted.insert(key.into());
                first.push((Arc::<[u8]>::from(rows.row(i).data()), 1, RowKind::Insert));
            }
        }
        if !first.is_empty() {
            for value in self.encoders.outputs(&first)? {
                out.emit(StreamRecord { value, timestamp });
            }
        }
        Ok(())
    }

    fn add(&mut self, changes: &Changes, time: usize) -> Result<(), BoxError> {
        let batch = &changes.rows;
        let times = millis(batch.column(time))?;
        let (keys, _, rows) = self.encoders.encode(batch)?;
        for i in 0..batch.num_rows() {
            if times.is_null(i) || times.value(i) <= self.watermark {
                continue;
            }
            let (key, time) = (keys.row(i).data(), times.value(i));
            if self.emitted.contains(key) {
                continue;
            }
            match self.pending.get_mut(key) {
                // Equal times: the earlier arrival stays first.
                Some((t, row)) => {
                    if time < *t {
                        *t = time;
                        *row = rows.row(i).data().into();
                    }
                }
                None => {
                    self.pending.insert(key.into(), (time, rows.row(i).data().into()));
                }
            }
        }
        Ok(())
    }

    fn fire(&mut self, up_to: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        let mut ready = Vec::new();
        self.pending.retain(|key, (time, row)| {
            if *time > up_to {
                return true;
            }
            ready.push((*time, row.clone()));
            self.emitted.insert(key.clone());
            false
        });
        if ready.is_empty() {
            return Ok(());
        }
        ready.sort_by_key(|(time, _)| *time);
        let rows: Vec<_> = ready.into_iter().map(|(_, row)| (row, 1, RowKind::Insert)).collect();
        for value in self.encoders.outputs(&rows)? {
            out.emit(StreamRecord { value, timestamp: up_to });
        }
        Ok(())
    }
}

impl Operator for FirstRowOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep_with_watermark(state, &mut self.watermark);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        match self.restore.take() {
            Some(state) => self.restore_keys(&state, subtask),
            None => Ok(()),
        }
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let pending = self.pending.iter().map(|(k, (t, r))| (k.as_ref(), *t, r.as_ref(), 0));
        let emitted = self.emitted.iter().map(|k| (k.as_ref(), i64::MIN, &[][..], 1));
        let entries: Vec<(&[u8], i64, &[u8], i64)> = pending.chain(emitted).collect();
        let batches = keyed_state::batches_of(
            &entries,
            |e| e.0.len() + e.2.len(),
            |run| {
                let columns: Vec<(String, ArrayRef)> = vec![
                    ("time".into(), Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.1)))),
                    ("row".into(), keyed_state::bytes_column(run.iter().map(|e| e.2))),
                    ("emitted".into(), Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.3)))),
                ];
                keyed_state::state_batch(run.iter().map(|e| e.0), columns)
            },
        )?;
        keyed_state::write_keyed(state, &batches)?;
        keyed_state::write_watermark(state, self.watermark);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            match self.time {
                Some(time) => self.add(&record.value, time)?,
                None => self.add_on_arrival(&record.value, out, record.timestamp)?,
            }
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
    use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
    use weir_runtime::ManualClock;

    use super::*;
    use crate::changelog::RowKind::Insert as I;
    use crate::stream::exchange::KeyEncoder;
    use crate::stream::operator_harness::{columns, feed_keyed, restore_all, rows, sorted, Harness};

    fn input() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, None), true),
        ]))
    }

    fn operator() -> FirstRowOperator {
        let input = input();
        let keys = KeyEncoder::new(columns(&input, &[0]), &input).unwrap();
        let sort = vec![(columns(&input, &[1]).remove(0), false, false)];
        FirstRowOperator::new(RankEncoders::new(keys, sort, &input, input.clone(), false).unwrap(), 1)
    }

    fn batch(values: &[(i64, i64)]) -> Changes {
        let owned: Vec<[i64; 2]> = values.iter().map(|&(k, t)| [k, t]).collect();
        rows(&input(), &owned.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>())
    }

    #[test]
    fn restored_keys_stay_deduplicated() {
        let clock = ManualClock::new(0);
        let mut reference = Harness::new(operator(), &clock);
        reference.feed(batch(&(0..20).map(|i| (i % 6, 10 + i)).collect::<Vec<_>>()));
        assert_eq!(reference.watermark(12).len(), 3, "keys 0, 1 and 2 are emitted");
        // State batches of at most 32 bytes: the keys are written in several.
        let snapshot = crate::stream::keyed_state::with_batch_limit(32, || reference.snapshot());
        assert!(crate::stream::keyed_state::tests::batches_in(&snapshot, crate::stream::keyed_state::KEYED_ROWS) > 1);
        let next = batch(&(0..20).map(|i| (i % 9, 11 + i)).collect::<Vec<_>>());
        let expected = sorted([reference.feed(next.clone()), reference.watermark(100)].concat());
        for parallelism in [1, 2, 3] {
            let mut restored = restore_all(operator, &clock, &snapshot, parallelism);
            let mut got = feed_keyed(&mut restored, &[0], next.clone());
            for h in &mut restored {
                got.extend(h.watermark(100));
            }
            assert_eq!(sorted(got), expected, "at parallelism {parallelism}");
        }
    }
}
