//! Window Top-N and window deduplication (Flink's `WindowRank` and `WindowDeduplicate`):
//! ranking partitioned by `window_start, window_end, …` over a windowed insert-only stream.
//! Each window keeps the top rows of each partition; when the watermark passes the window's
//! end they are emitted once, insert-only, and the window's state is dropped. Rows of
//! windows already fired are late and dropped.
//!
//! Checkpoints hold every open window's partitions and the watermark.

use std::collections::BTreeMap;

use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::Changes;
use super::keyed_state::{self, PendingRestore};
use super::rank::{read_partitions, write_partitions, Partition, RankEncoders, RankRange};
use super::watermark::millis;
use crate::changelog::RowKind;
use crate::functions::LocalTimeZone;
use crate::stream::KeyMap;

/// Ranks rows per window and partition, emitting each window's result when it ends.
pub struct WindowRankOperator {
    encoders: RankEncoders,
    range: RankRange,
    end: usize,
    /// Window end → partition key (which includes the window) → its rows.
    windows: BTreeMap<i64, KeyMap<Partition>>,
    watermark: i64,
    restore: PendingRestore,
    /// The zone whose wall clock window bounds show (TIMESTAMP_LTZ windows).
    zone: Option<LocalTimeZone>,
}

impl WindowRankOperator {
    /// Ranking with `encoders` within `range`; `end` is the index of `window_end`.
    pub fn new(encoders: RankEncoders, range: RankRange, end: usize) -> Self {
        WindowRankOperator {
            encoders,
            range,
            end,
            windows: BTreeMap::new(),
            watermark: i64::MIN,
            restore: PendingRestore::default(),
            zone: None,
        }
    }

    /// Window bounds are wall-clock readings of `zone`: a window ends when the watermark (an
    /// instant) passes the instant its end shows in that zone.
    pub fn in_time_zone(mut self, zone: Option<LocalTimeZone>) -> Self {
        self.zone = zone;
        self
    }

    /// The watermark as a wall clock of the windows' zone.
    fn wall_clock(&self, watermark: i64) -> i64 {
        match self.zone {
            Some(z) if watermark != i64::MIN && watermark != i64::MAX => z.utc_millis_to_local(watermark),
            _ => watermark,
        }
    }

    fn add(&mut self, changes: &Changes) -> Result<(), BoxError> {
        let batch = &changes.rows;
        let ends = millis(batch.column(self.end))?;
        let (keys, sort, rows) = self.encoders.encode(batch)?;
        for i in 0..batch.num_rows() {
            let end = ends.value(i);
            if end - 1 <= self.wall_clock(self.watermark) {
                continue;
            }
            let partitions = self.windows.entry(end).or_default();
            let key = keys.row(i).data();
            let partition = match partitions.get_mut(key) {
                Some(p) => p,
                None => partitions.entry(key.into()).or_default(),
            };
            let sort_key = sort.row(i).data();
            if partition.admits(sort_key, &self.range) {
                partition.insert(sort_key, rows.row(i).data(), &self.range);
                partition.truncate(&self.range);
            }
        }
        Ok(())
    }

    fn fire(&mut self, up_to: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        while let Some(entry) = self.windows.first_entry() {
            let end = *entry.key();
            if end - 1 > up_to {
                break;
            }
            let partitions = entry.remove();
            let mut rows = Vec::new();
            for partition in partitions.values() {
                rows.extend(partition.ranked(&self.range).into_iter().map(|(row, rank)| (row, rank, RowKind::Insert)));
            }
            if !rows.is_empty() {
                for value in self.encoders.outputs(&rows)? {
                    out.emit(StreamRecord { value, timestamp: end - 1 });
                }
            }
        }
        Ok(())
    }
}

impl Operator for WindowRankOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep_with_watermark(state, &mut self.watermark);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        if let Some(state) = self.restore.take() {
            for (end, key, partition) in read_partitions(&state, subtask)? {
                self.windows.entry(end).or_default().insert(key, partition);
            }
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let partitions =
            self.windows.iter().flat_map(|(end, ps)| ps.iter().map(move |(k, p)| (Some(*end), k.as_ref(), p)));
        write_partitions(state, partitions)?;
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
        self.fire(self.wall_clock(watermark.0), out)?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        self.fire(i64::MAX, out)
    }
}
