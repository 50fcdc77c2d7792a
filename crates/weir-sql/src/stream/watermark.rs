//! Watermarks of a table with `WATERMARK FOR col AS expr`: the largest value of `expr` seen
//! so far, as Flink's SQL watermark assigner computes it, row by row.
//!
//! A table read from splits that interleave (the partitions of a Kafka topic) keeps that
//! largest value per split and emits the least of them, as Flink does when it pushes the
//! watermark into such a source: a partition that is behind holds event time back instead
//! of having its rows dropped as late. Its rows carry the split's id in a last, hidden
//! column, which the assigner removes.
//!
//! A checkpoint keeps each subtask's watermark; a restored subtask starts from the least of
//! all of them. Not its own: the source splits it reads after the restore may be another
//! subtask's (at another parallelism they are dealt anew), and a watermark taken from a
//! reader further ahead would make the rows of a split behind it late. The least value
//! never runs ahead of any split, and the operators downstream judge lateness by the
//! watermark they restored themselves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::{Array, ArrayRef, AsArray, TimestampMillisecondArray, UInt32Array};
use arrow::datatypes::{DataType, Int64Type, SchemaRef, TimeUnit};
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{StreamRecord, Watermark, WatermarkStatus};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::{to_array, Changes};
use super::keyed_state;

/// Emits watermarks from the rows' watermark expression. A row at or behind the current
/// watermark gets the watermark emitted before it, so that operators downstream judge its
/// lateness exactly as Flink does when it advances the watermark after every row.
pub struct WatermarkOperator {
    rowtime: usize,
    expr: Arc<dyn PhysicalExpr>,
    /// The column of the rows' split ids, when watermarks are kept per split.
    split_column: Option<usize>,
    /// The rows' schema without the split column.
    stripped: Option<SchemaRef>,
    /// The splits seen, few per subtask (a table without split ids has one).
    splits: Vec<Split>,
    /// Where the last row's split is in `splits`.
    last: usize,
    /// `table.exec.source.idle-timeout`: a split without rows this long stops holding the
    /// watermark back until it has rows again.
    idle_timeout_ms: Option<i64>,
    /// The watermark restored from a checkpoint, below which it does not go.
    floor: i64,
    /// The watermark: the least of the active splits', never decreasing.
    current: i64,
    emitted: i64,
    /// Whether the output is declared idle (every split is).
    idle: bool,
    /// Where the source reader of this subtask posts the splits it is given and finishes.
    board: Option<Arc<SplitBoard>>,
    subtask: usize,
    board_seen: u64,
    /// Splits finished, to be removed once the rows of the batch at hand are processed.
    finishing: Vec<i64>,
    /// Whether the watermark goes out whenever a row advances it (see [`Self::every_row`]).
    every_row: bool,
}

/// A change in the splits a source reader reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitEvent {
    /// The reader was given the split with this id: it holds the watermark back from now
    /// on, before its first row (until it is idle).
    Assigned(i64),
    /// The reader read the split to its end: it no longer holds the watermark back.
    Finished(i64),
}

/// The splits each source reader was given and finished, posted by the reader and taken
/// by the watermark assigner of the same subtask (they run in one task, the reader first),
/// so that a split read later than another holds event time back from the start, as in
/// Flink, instead of finding its rows late.
#[derive(Debug, Default)]
pub struct SplitBoard {
    /// Bumped on every post: an assigner looks at the board only when it moved.
    version: AtomicU64,
    events: Mutex<HashMap<usize, Vec<SplitEvent>>>,
}

impl SplitBoard {
    /// Reader `subtask` starts afresh: what its earlier run posted is void.
    pub fn reader_started(&self, subtask: usize) {
        self.events.lock().expect("split board").insert(subtask, Vec::new());
        self.version.fetch_add(1, Ordering::Release);
    }

    /// Reader `subtask` posts `event`.
    pub fn post(&self, subtask: usize, event: SplitEvent) {
        self.events.lock().expect("split board").entry(subtask).or_default().push(event);
        self.version.fetch_add(1, Ordering::Release);
    }

    /// What was posted for `subtask` since the last take (`seen` is the taker's version).
    fn take(&self, subtask: usize, seen: &mut u64) -> Vec<SplitEvent> {
        let version = self.version.load(Ordering::Acquire);
        if version == *seen {
            return Vec::new();
        }
        *seen = version;
        self.events.lock().expect("split board").get_mut(&subtask).map(std::mem::take).unwrap_or_default()
    }
}

/// One split's progress.
struct Split {
    id: i64,
    /// The largest value of the watermark expression among its rows.
    mark: i64,
    /// When it last had rows (processing time), for the idle timeout.
    active_at: i64,
    idle: bool,
}

impl WatermarkOperator {
    /// Watermarks from `expr`; `rowtime` is the index of the time attribute column.
    pub fn new(rowtime: usize, expr: Arc<dyn PhysicalExpr>) -> Self {
        WatermarkOperator {
            rowtime,
            expr,
            split_column: None,
            stripped: None,
            splits: Vec::new(),
            last: 0,
            idle_timeout_ms: None,
            floor: i64::MIN,
            current: i64::MIN,
            emitted: i64::MIN,
            idle: false,
            board: None,
            subtask: 0,
            board_seen: 0,
            finishing: Vec::new(),
            every_row: false,
        }
    }

    /// Sends the watermark before each row when the rows before it advanced it (Flink with
    /// `pipeline.auto-watermark-interval` = 0): each row downstream then sees the watermark
    /// of the rows before it (`CURRENT_WATERMARK`). Batches are cut at every advance.
    pub fn every_row(mut self, every_row: bool) -> Self {
        self.every_row = every_row;
        self
    }

    /// Watermarks kept per split, whose id (a BIGINT) each row carries in column `column`;
    /// the rows are emitted without it.
    pub fn per_split(mut self, column: usize) -> Self {
        self.split_column = Some(column);
        self
    }

    /// Splits are also those the source reader posts on `board`: a split given to the
    /// reader holds the watermark back before its first row.
    pub fn split_board(mut self, board: Arc<SplitBoard>) -> Self {
        self.board = Some(board);
        self
    }

    /// Splits without rows for `timeout_ms` of processing time are idle (`None`: never).
    pub fn idle_timeout(mut self, timeout_ms: Option<i64>) -> Self {
        self.idle_timeout_ms = timeout_ms.filter(|t| *t > 0);
        self
    }

    /// Takes what the reader posted: new splits join at once; finished ones leave after
    /// the rows at hand (which were read before the split ended).
    fn read_board(&mut self, now: i64) {
        let Some(board) = &self.board else { return };
        for event in board.take(self.subtask, &mut self.board_seen) {
            match event {
                SplitEvent::Assigned(id) => {
                    if !self.splits.iter().any(|s| s.id == id) {
                        self.splits.push(Split { id, mark: i64::MIN, active_at: now, idle: false });
                    }
                }
                SplitEvent::Finished(id) => self.finishing.push(id),
            }
        }
    }

    /// Removes the splits that finished; the watermark may advance.
    fn remove_finished(&mut self) {
        if self.finishing.is_empty() {
            return;
        }
        let finishing = std::mem::take(&mut self.finishing);
        self.splits.retain(|s| !finishing.contains(&s.id));
        self.last = 0;
        self.combine();
    }

    /// Emits the watermark if it advanced.
    fn emit_progress(&mut self, out: &mut Emitter<Changes>) {
        if self.current > self.emitted {
            out.emit_watermark(Watermark(self.current));
            self.emitted = self.current;
        }
    }

    /// Makes `id` the current split (active at `now`), adding it when new.
    fn enter(&mut self, id: i64, now: i64) {
        if self.splits.get(self.last).is_none_or(|s| s.id != id) {
            self.last = match self.splits.iter().position(|s| s.id == id) {
                Some(i) => i,
                None => {
                    self.splits.push(Split { id, mark: i64::MIN, active_at: now, idle: false });
                    self.splits.len() - 1
                }
            };
        }
        let split = &mut self.splits[self.last];
        split.active_at = now;
        if split.idle {
            split.idle = false;
            self.combine();
        }
    }

    /// The current split's watermark expression gave `mark`.
    fn advance(&mut self, mark: i64) {
        let split = &mut self.splits[self.last];
        if mark > split.mark {
            let was_least = split.mark <= self.current;
            split.mark = mark;
            if was_least {
                self.combine();
            }
        }
    }

    /// The watermark from the active splits (unchanged when all are idle).
    fn combine(&mut self) {
        if let Some(least) = self.splits.iter().filter(|s| !s.idle).map(|s| s.mark).min() {
            self.current = self.current.max(least.max(self.floor));
        }
    }

    /// `changes` without the split column.
    fn strip(&mut self, changes: Changes, column: usize) -> Result<Changes, BoxError> {
        let rows = &changes.rows;
        let schema = match &self.stripped {
            Some(schema) => schema.clone(),
            None => {
                let kept: Vec<usize> = (0..rows.num_columns()).filter(|&i| i != column).collect();
                let schema = Arc::new(rows.schema().project(&kept)?);
                self.stripped = Some(schema.clone());
                schema
            }
        };
        let mut columns = rows.columns().to_vec();
        columns.remove(column);
        changes.with_columns(schema, columns)
    }
}

/// A timestamp column in epoch milliseconds.
pub fn millis(column: &ArrayRef) -> Result<TimestampMillisecondArray, BoxError> {
    let ms = match column.data_type() {
        DataType::Timestamp(TimeUnit::Millisecond, None) => column.clone(),
        DataType::Timestamp(_, _) => arrow::compute::cast(column, &DataType::Timestamp(TimeUnit::Millisecond, None))?,
        other => return Err(format!("a time attribute must be a timestamp, not {other}").into()),
    };
    Ok(ms.as_any().downcast_ref::<TimestampMillisecondArray>().ok_or("timestamp column")?.clone())
}

impl Operator for WatermarkOperator {
    type In = Changes;
    type Out = Changes;

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        self.subtask = subtask.index;
        Ok(())
    }

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        if let Some(current) = keyed_state::read_watermark(state) {
            // Not marked as emitted: the first rows after the restore send it again.
            self.current = current;
            self.floor = current;
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        keyed_state::write_watermark(state, self.current);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        let now = if self.idle_timeout_ms.is_some() { out.now_ms() } else { 0 };
        self.read_board(now);
        for record in batch.drain(..) {
            let (changes, ids) = match self.split_column {
                Some(column) => {
                    let ids = split_ids(&record.value, column)?;
                    (self.strip(record.value, column)?, Some(ids))
                }
                None => (record.value, None),
            };
            let n = changes.len();
            if n == 0 {
                continue;
            }
            if self.idle {
                self.idle = false;
                out.emit_watermark_status(WatermarkStatus::Active);
            }
            let marks = millis(&to_array(self.expr.evaluate(&changes.rows)?, n)?)?;
            let times = millis(changes.rows.column(self.rowtime))?;
            if times.null_count() > 0 {
                // As Flink's WatermarkAssignerOperator: the job fails on such a row.
                let column = changes.rows.schema().field(self.rowtime).name().clone();
                return Err(format!(
                    "RowTime field should not be null, please convert it to a non-null long value \
                     (a row of the rowtime column '{column}' is NULL)"
                )
                .into());
            }
            let mut from = 0;
            for i in 0..n {
                self.enter(ids.as_ref().map_or(0, |ids| ids.value(i)), now);
                let behind = times.is_valid(i) && times.value(i) <= self.current;
                if (behind || self.every_row) && self.current > self.emitted {
                    if i > from {
                        let part = changes.take(&UInt32Array::from_iter_values(from as u32..i as u32))?;
                        out.emit(StreamRecord { value: part, timestamp: record.timestamp });
                    }
                    out.emit_watermark(Watermark(self.current));
                    self.emitted = self.current;
                    from = i;
                }
                if marks.is_valid(i) {
                    self.advance(marks.value(i));
                }
            }
            let rest = if from == 0 {
                changes
            } else {
                changes.take(&UInt32Array::from_iter_values(from as u32..n as u32))?
            };
            out.emit(StreamRecord { value: rest, timestamp: record.timestamp });
            self.emit_progress(out);
        }
        self.remove_finished();
        self.emit_progress(out);
        Ok(())
    }

    fn next_processing_timer(&mut self) -> Option<i64> {
        let timeout = self.idle_timeout_ms?;
        self.splits.iter().filter(|s| !s.idle).map(|s| s.active_at.saturating_add(timeout)).min()
    }

    fn on_processing_time(&mut self, now_ms: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        let Some(timeout) = self.idle_timeout_ms else { return Ok(()) };
        self.read_board(now_ms);
        self.remove_finished();
        let mut changed = false;
        for split in self.splits.iter_mut().filter(|s| !s.idle && s.active_at.saturating_add(timeout) <= now_ms) {
            split.idle = true;
            changed = true;
        }
        if changed {
            self.combine();
        }
        self.emit_progress(out);
        if !self.idle && self.splits.iter().all(|s| s.idle) {
            self.idle = true;
            out.emit_watermark_status(WatermarkStatus::Idle);
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        // Only the end of input passes: the table's own watermarks come from its rows.
        if watermark.0 == i64::MAX {
            out.emit_watermark(watermark);
        }
        Ok(())
    }
}

/// The split ids of `changes`' rows, in column `column`.
fn split_ids(changes: &Changes, column: usize) -> Result<arrow::array::Int64Array, BoxError> {
    let ids = changes.rows.column(column);
    match ids.data_type() {
        DataType::Int64 => Ok(ids.as_primitive::<Int64Type>().clone()),
        other => Err(format!("the split column of a per-split watermark must be BIGINT, not {other}").into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch, TimestampMillisecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use datafusion_physical_expr::expressions::Column;
    use weir_core::{CheckpointBarrier, StreamRecord, Watermark, WatermarkStatus};
    use weir_runtime::snapshot::PendingTaskState;
    use weir_runtime::{Emitter, JobError, ManualClock, Operator, Output};

    use super::WatermarkOperator;
    use crate::stream::Changes;

    /// What reached the output, in order: rows (as their times), watermarks, statuses.
    #[derive(Debug, PartialEq)]
    enum Event {
        Rows(Vec<i64>),
        Mark(i64),
        Idle(bool),
    }

    #[derive(Default)]
    struct Collect(Vec<Event>);

    impl Output<Changes> for Collect {
        fn push(&mut self, batch: &mut Vec<StreamRecord<Changes>>) -> Result<(), JobError> {
            for r in batch.drain(..) {
                assert_eq!(r.value.rows.num_columns(), 1, "the split column is removed");
                let ts = super::millis(r.value.rows.column(0)).unwrap();
                self.0.push(Event::Rows(ts.values().to_vec()));
            }
            Ok(())
        }
        fn watermark(&mut self, w: Watermark) -> Result<(), JobError> {
            self.0.push(Event::Mark(w.0));
            Ok(())
        }
        fn watermark_status(&mut self, s: WatermarkStatus) -> Result<(), JobError> {
            self.0.push(Event::Idle(s == WatermarkStatus::Idle));
            Ok(())
        }
        fn flush(&mut self) -> Result<(), JobError> {
            Ok(())
        }
        fn end_of_input(&mut self) -> Result<(), JobError> {
            Ok(())
        }
        fn barrier(&mut self, _: CheckpointBarrier, _: &mut PendingTaskState) -> Result<(), JobError> {
            Ok(())
        }
    }

    /// Rows `(time, split)`: a timestamp column and the split id column.
    fn rows(rows: &[(i64, i64)]) -> Changes {
        let schema = Arc::new(Schema::new(vec![
            Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true),
            Field::new("$weir_split", DataType::Int64, false),
        ]));
        let ts = TimestampMillisecondArray::from_iter_values(rows.iter().map(|r| r.0));
        let ids = Int64Array::from_iter_values(rows.iter().map(|r| r.1));
        Changes::inserts(RecordBatch::try_new(schema, vec![Arc::new(ts), Arc::new(ids)]).unwrap())
    }

    struct Run {
        op: WatermarkOperator,
        out: Emitter<Changes>,
        clock: ManualClock,
        seen: Collect,
    }

    impl Run {
        fn new(idle_timeout: Option<i64>) -> Self {
            // WATERMARK FOR ts AS ts: the expression is the time column itself.
            let op = WatermarkOperator::new(0, Arc::new(Column::new("ts", 0))).per_split(1).idle_timeout(idle_timeout);
            let clock = ManualClock::new(0);
            Run { op, out: Emitter::new(Vec::new(), Arc::new(clock.clone())), clock, seen: Collect::default() }
        }

        fn feed(&mut self, r: &[(i64, i64)]) -> Vec<Event> {
            let mut batch = vec![StreamRecord { value: rows(r), timestamp: weir_core::record::NO_TIMESTAMP }];
            self.op.process(&mut batch, &mut self.out).unwrap();
            self.drain()
        }

        fn at(&mut self, now: i64) -> Vec<Event> {
            self.clock.set(now);
            if self.op.next_processing_timer().is_some_and(|t| t <= now) {
                self.op.on_processing_time(now, &mut self.out).unwrap();
            }
            self.drain()
        }

        fn drain(&mut self) -> Vec<Event> {
            self.out.drain_into(&mut self.seen).unwrap();
            std::mem::take(&mut self.seen.0)
        }
    }

    #[test]
    fn the_watermark_is_the_least_of_the_splits() {
        let mut run = Run::new(None);
        // Split 1 runs ahead; split 2 behind it is not late: the watermark waits for it.
        assert_eq!(run.feed(&[(10_000, 1), (11_000, 1)]), vec![Event::Rows(vec![10_000, 11_000]), Event::Mark(11_000)]);
        assert_eq!(run.feed(&[(1_000, 2)]), vec![Event::Rows(vec![1_000])]);
        assert_eq!(run.feed(&[(3_000, 2), (12_000, 1)]), vec![Event::Rows(vec![3_000, 12_000])]);
        assert_eq!(run.feed(&[(11_500, 2)]), vec![Event::Rows(vec![11_500]), Event::Mark(11_500)]);
        // A row of split 1 at or behind the watermark gets the watermark before it.
        assert_eq!(
            run.feed(&[(13_000, 2), (11_000, 1)]),
            vec![Event::Rows(vec![13_000]), Event::Mark(12_000), Event::Rows(vec![11_000])]
        );
    }

    #[test]
    fn every_row_sends_the_watermark_before_each_row_the_rows_before_it_advanced() {
        let mut run = Run::new(None);
        run.op = WatermarkOperator::new(0, Arc::new(Column::new("ts", 0))).per_split(1).every_row(true);
        assert_eq!(
            run.feed(&[(10_000, 1), (11_000, 1), (11_000, 1), (5_000, 1), (12_000, 1)]),
            vec![
                Event::Rows(vec![10_000]),
                Event::Mark(10_000),
                Event::Rows(vec![11_000]),
                Event::Mark(11_000),
                Event::Rows(vec![11_000, 5_000, 12_000]),
                Event::Mark(12_000),
            ]
        );
    }

    #[test]
    fn a_split_given_to_the_reader_holds_the_watermark_back_before_its_first_row_until_it_finishes() {
        let board = Arc::new(super::SplitBoard::default());
        let mut run = Run::new(None);
        run.op = WatermarkOperator::new(0, Arc::new(Column::new("ts", 0))).per_split(1).split_board(board.clone());
        board.reader_started(0);
        board.post(0, super::SplitEvent::Assigned(1));
        board.post(0, super::SplitEvent::Assigned(2));
        // Split 2 has no rows yet: no watermark.
        assert_eq!(run.feed(&[(10_000, 1)]), vec![Event::Rows(vec![10_000])]);
        assert_eq!(run.feed(&[(4_000, 2)]), vec![Event::Rows(vec![4_000]), Event::Mark(4_000)]);
        // Split 2 is read to its end: split 1 alone decides, once the rows at hand are in.
        board.post(0, super::SplitEvent::Finished(2));
        assert_eq!(
            run.feed(&[(5_000, 2), (11_000, 1)]),
            vec![Event::Rows(vec![5_000, 11_000]), Event::Mark(5_000), Event::Mark(11_000)]
        );
        // Another subtask's posts are not this assigner's.
        board.post(1, super::SplitEvent::Assigned(3));
        assert_eq!(run.feed(&[(12_000, 1)]), vec![Event::Rows(vec![12_000]), Event::Mark(12_000)]);
    }

    #[test]
    fn without_split_ids_one_watermark_runs_ahead() {
        let mut op = WatermarkOperator::new(0, Arc::new(Column::new("ts", 0)));
        let clock = ManualClock::new(0);
        let mut out = Emitter::new(Vec::new(), Arc::new(clock));
        let schema =
            Arc::new(Schema::new(vec![Field::new("ts", DataType::Timestamp(TimeUnit::Millisecond, None), true)]));
        let batch = |ts: Vec<i64>| {
            let ts = TimestampMillisecondArray::from_iter_values(ts);
            let rows = Changes::inserts(RecordBatch::try_new(schema.clone(), vec![Arc::new(ts)]).unwrap());
            vec![StreamRecord { value: rows, timestamp: weir_core::record::NO_TIMESTAMP }]
        };
        let mut seen = Collect::default();
        op.process(&mut batch(vec![10_000, 1_000]), &mut out).unwrap();
        out.drain_into(&mut seen).unwrap();
        assert_eq!(seen.0, vec![Event::Rows(vec![10_000]), Event::Mark(10_000), Event::Rows(vec![1_000])]);
    }

    #[test]
    fn an_idle_split_stops_holding_the_watermark_back_until_it_has_rows_again() {
        let mut run = Run::new(Some(5_000));
        run.feed(&[(1_000, 1), (1_000, 2)]);
        assert_eq!(run.feed(&[(9_000, 1)]), vec![Event::Rows(vec![9_000])]);
        assert_eq!(run.at(4_999), vec![]);
        run.feed(&[(10_000, 1)]);
        // Split 2 has had no rows for 5 s: idle; the watermark is split 1's.
        assert_eq!(run.at(5_000), vec![Event::Mark(10_000)]);
        // Split 1 idle too: the output is idle.
        assert_eq!(run.at(10_000), vec![Event::Idle(true)]);
        // Rows again: active, and split 2's row behind the watermark is late (sent after it).
        assert_eq!(run.feed(&[(2_000, 2)]), vec![Event::Rows(vec![2_000]), Event::Idle(false)]);
        assert_eq!(run.feed(&[(11_000, 1), (12_000, 2)]), vec![Event::Rows(vec![11_000, 12_000]), Event::Mark(11_000)]);
    }
}
