//! Deduplication keeping the first row on rowtime (`ROW_NUMBER() OVER (PARTITION BY k
//! ORDER BY rowtime ASC) = 1`), insert-only as in Flink: each key's earliest row is held
//! until the watermark passes its time, then emitted once; a row arriving at or behind the
//! watermark is late and dropped, and a key already emitted ignores every later row.
//! (Keeping the last row is an updating Top-N of one, see [`super::rank`].)

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::Array;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::Changes;
use super::rank::RankEncoders;
use super::watermark::millis;
use crate::changelog::RowKind;

/// A row's time and bytes.
type TimedRow = (i64, Arc<[u8]>);

/// Keeps the first row of each key by rowtime.
pub struct FirstRowOperator {
    encoders: RankEncoders,
    time: usize,
    /// Key → the earliest row so far and its time, not emitted yet.
    pending: HashMap<Box<[u8]>, TimedRow>,
    /// Keys whose first row was emitted.
    emitted: HashSet<Box<[u8]>>,
    watermark: i64,
}

impl FirstRowOperator {
    /// Deduplication with `encoders` (partition key and rows) on the rowtime column `time`.
    pub fn new(encoders: RankEncoders, time: usize) -> Self {
        FirstRowOperator { encoders, time, pending: HashMap::new(), emitted: HashSet::new(), watermark: i64::MIN }
    }

    fn add(&mut self, changes: &Changes) -> Result<(), BoxError> {
        let batch = &changes.rows;
        let times = millis(batch.column(self.time))?;
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
        out.emit(StreamRecord { value: self.encoders.output(&rows)?, timestamp: up_to });
        Ok(())
    }
}

impl Operator for FirstRowOperator {
    type In = Changes;
    type Out = Changes;

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
