//! Deduplication keeping the first row on rowtime (`ROW_NUMBER() OVER (PARTITION BY k
//! ORDER BY rowtime ASC) = 1`), insert-only as in Flink: each key's earliest row is held
//! until the watermark passes its time, then emitted once; a row arriving at or behind the
//! watermark is late and dropped, and a key already emitted ignores every later row.
//! (Keeping the last row is an updating Top-N of one, see [`super::rank`].)
//!
//! On a processing-time attribute (`ORDER BY proctime ASC`) the first row to arrive is the
//! first: it is emitted at once, and every later row of its key is ignored.

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
    /// The rowtime column; `None` on processing time.
    time: Option<usize>,
    /// Key → the earliest row so far and its time, not emitted yet.
    pending: HashMap<Box<[u8]>, TimedRow>,
    /// Keys whose first row was emitted.
    emitted: HashSet<Box<[u8]>>,
    watermark: i64,
}

impl FirstRowOperator {
    /// Deduplication with `encoders` (partition key and rows) on the rowtime column `time`.
    pub fn new(encoders: RankEncoders, time: usize) -> Self {
        FirstRowOperator {
            encoders,
            time: Some(time),
            pending: HashMap::new(),
            emitted: HashSet::new(),
            watermark: i64::MIN,
        }
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
            out.emit(StreamRecord { value: self.encoders.output(&first)?, timestamp });
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
        out.emit(StreamRecord { value: self.encoders.output(&rows)?, timestamp: up_to });
        Ok(())
    }
}

impl Operator for FirstRowOperator {
    type In = Changes;
    type Out = Changes;

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
