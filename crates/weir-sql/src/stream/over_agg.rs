//! OVER aggregation ordered by a rowtime attribute (Flink's `OverAggregate`):
//! `agg(x) OVER (PARTITION BY k ORDER BY ts ROWS|RANGE BETWEEN … PRECEDING AND CURRENT ROW)`.
//!
//! Rows are held until the watermark passes their time, then each partition takes them in
//! time order (arrival order among equal times) and every row is emitted once, insert-only,
//! with the aggregates of its frame appended. In a `RANGE` frame rows with equal times are
//! peers and share one result; in a `ROWS` frame each row sees exactly the rows before it.
//! Sliding frames retract the rows that leave them from DataFusion's sliding accumulators.
//!
//! Late rows are dropped as Flink drops them: for an unbounded frame a row at or behind the
//! watermark when it arrives; for a bounded frame a row at or behind the last time its
//! partition has processed. A `RANGE` frame with a bounded `PRECEDING` also has Flink's
//! cleanup: each row that arrives sets its partition's cleanup time to its time plus 1.5
//! times the range plus 1 ms, unless the cleanup time is already past its time plus the
//! range; when the watermark reaches a cleanup time still current, the partition is
//! forgotten (a late row after that starts it afresh, over an empty frame), and a cleanup
//! time no longer current only moves the partition's last time up to it.
//!
//! Checkpoints hold the rows waiting for the watermark (with their partition keys), the
//! watermark, and per partition its last time and either its accumulators' states
//! (unbounded frames) or the rows still in its frame (bounded frames: a restored partition
//! adds them to fresh sliding accumulators, which then hold exactly what the old ones
//! held).

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Int64Array, RecordBatch, UInt32Array};
use arrow::datatypes::SchemaRef;
use datafusion_common::ScalarValue;
use datafusion_expr::Accumulator;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::aggregate::AggCall;
use super::batch::{cast_to, Changes};
use super::exchange::KeyEncoder;
use super::keyed_state::{self, PendingRestore};
use super::watermark::millis;
use crate::stream::KeyMap;

/// The entry of the rows waiting for the watermark.
const PENDING: &str = "over-pending";
/// The entry of the partitions.
const PARTITIONS: &str = "over-partitions";

/// The frame of an OVER aggregation, always ending at the current row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverFrame {
    /// `ROWS BETWEEN n PRECEDING AND CURRENT ROW`; `None`: `UNBOUNDED PRECEDING`.
    Rows(Option<u64>),
    /// `RANGE BETWEEN INTERVAL 'n' PRECEDING AND CURRENT ROW` in milliseconds; `None`:
    /// `UNBOUNDED PRECEDING`.
    Range(Option<i64>),
}

impl OverFrame {
    fn is_bounded(self) -> bool {
        matches!(self, OverFrame::Rows(Some(_)) | OverFrame::Range(Some(_)))
    }
}

/// One partition: its accumulators, and the rows still in the frame when it slides.
struct OverPartition {
    accumulators: Vec<Box<dyn Accumulator>>,
    /// Argument columns (every call's, in order) of the rows that may still leave the frame.
    retained: Vec<ArrayRef>,
    /// Their times.
    retained_times: Vec<i64>,
    /// The last time processed: rows at or before it are late.
    last_time: i64,
    /// When the partition is forgotten (bounded `RANGE` frames only, see the module docs).
    cleanup_at: Option<i64>,
}

/// Aggregates each row over its frame within its partition.
pub struct OverAggOperator {
    keys: KeyEncoder,
    time: usize,
    calls: Vec<AggCall>,
    frame: OverFrame,
    schema: SchemaRef,
    pending: Vec<RecordBatch>,
    watermark: i64,
    partitions: KeyMap<OverPartition>,
    /// The cleanup times set, current or not, with their partitions' keys.
    cleanups: BTreeSet<(i64, Box<[u8]>)>,
    restore: PendingRestore,
}

impl OverAggOperator {
    /// Aggregation of `calls` over `frame` by partition `keys`, ordered by the input column
    /// `time`; the output is the input's columns then one per call, as `schema`.
    pub fn new(keys: KeyEncoder, time: usize, calls: Vec<AggCall>, frame: OverFrame, schema: SchemaRef) -> Self {
        OverAggOperator {
            keys,
            time,
            calls,
            frame,
            schema,
            pending: Vec::new(),
            watermark: i64::MIN,
            partitions: KeyMap::default(),
            cleanups: BTreeSet::new(),
            restore: PendingRestore::default(),
        }
    }

    fn new_partition(&self) -> Result<OverPartition, BoxError> {
        let bounded = self.frame.is_bounded();
        let accumulators = self
            .calls
            .iter()
            .map(|c| -> Result<Box<dyn Accumulator>, BoxError> {
                Ok(if bounded { c.function.create_sliding_accumulator()? } else { c.function.create_accumulator()? })
            })
            .collect::<Result<_, _>>()?;
        Ok(OverPartition {
            accumulators,
            retained: Vec::new(),
            retained_times: Vec::new(),
            last_time: i64::MIN,
            cleanup_at: None,
        })
    }

    fn snapshot_pending(&self) -> Result<Vec<RecordBatch>, BoxError> {
        let mut out = Vec::new();
        for b in &self.pending {
            let keys = self.keys.encode(b)?;
            let columns = b.columns().iter().enumerate().map(|(i, c)| (format!("c{i}"), c.clone())).collect();
            out.push(keyed_state::state_batch(keys.iter().map(|r| r.data()), columns)?);
        }
        Ok(out)
    }

    fn snapshot_partitions(&mut self) -> Result<Option<RecordBatch>, BoxError> {
        if self.partitions.is_empty() {
            return Ok(None);
        }
        let mut keys: Vec<&[u8]> = Vec::new();
        let mut last = Vec::new();
        let mut columns: Vec<(String, ArrayRef)> = Vec::new();
        if self.frame.is_bounded() {
            // One row per row still in a frame: its partition, time and arguments.
            let (mut times, mut cleanups) = (Vec::new(), Vec::new());
            let mut parts: Vec<Vec<ArrayRef>> = Vec::new();
            for (key, p) in &self.partitions {
                for &t in &p.retained_times {
                    keys.push(key);
                    last.push(p.last_time);
                    times.push(t);
                    cleanups.push(p.cleanup_at.unwrap_or(i64::MIN));
                }
                // A partition set up by a row still waiting has no rows in its frame yet.
                if !p.retained_times.is_empty() {
                    parts.push(p.retained.clone());
                }
            }
            if keys.is_empty() {
                return Ok(None);
            }
            columns.push(("time".into(), Arc::new(Int64Array::from(times))));
            columns.push(("cleanup_at".into(), Arc::new(Int64Array::from(cleanups))));
            for a in 0..parts[0].len() {
                let arrays: Vec<&dyn Array> = parts.iter().map(|p| p[a].as_ref()).collect();
                columns.push((format!("a{a}"), arrow::compute::concat(&arrays)?));
            }
        } else {
            let mut states: Vec<Vec<Vec<ScalarValue>>> = vec![Vec::new(); self.calls.len()];
            for (key, p) in self.partitions.iter_mut() {
                keys.push(key);
                last.push(p.last_time);
                for (c, acc) in p.accumulators.iter_mut().enumerate() {
                    states[c].push(acc.state()?);
                }
            }
            for (c, s) in states.into_iter().enumerate() {
                for j in 0..s[0].len() {
                    let column = keyed_state::scalar_column(s.iter().map(|v| v[j].clone()))?.expect("partitions");
                    columns.push((format!("acc{c}_{j}"), column));
                }
            }
        }
        columns.insert(0, ("last_time".into(), Arc::new(Int64Array::from(last))));
        Ok(Some(keyed_state::state_batch(keys, columns)?))
    }

    fn restore_state(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        for b in keyed_state::read_keyed_as(state, PENDING, subtask)? {
            // The input columns after the key.
            let n = b.num_columns() - 1;
            let columns =
                (0..n).map(|i| keyed_state::column(&b, &format!("c{i}")).cloned()).collect::<Result<_, _>>()?;
            let fields: Vec<_> = self.schema.fields()[..n].to_vec();
            self.pending.push(RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns)?);
        }
        for b in keyed_state::read_keyed_as(state, PARTITIONS, subtask)? {
            let keys = keyed_state::keys_of(&b)?;
            let last = keyed_state::i64_column(&b, "last_time")?;
            if self.frame.is_bounded() {
                let times = keyed_state::i64_column(&b, "time")?;
                // Checkpoints taken before cleanup times were kept have none.
                let cleanups =
                    b.column_by_name("cleanup_at").is_some().then(|| keyed_state::i64_column(&b, "cleanup_at"));
                let cleanups = cleanups.transpose()?;
                let args: Vec<ArrayRef> = (0..).map_while(|a| b.column_by_name(&format!("a{a}")).cloned()).collect();
                // A partition's rows are consecutive, oldest first.
                let mut from = 0;
                while from < b.num_rows() {
                    let key = keys.value(from);
                    let to = from + (from..b.num_rows()).take_while(|&i| keys.value(i) == key).count();
                    let mut p = self.new_partition()?;
                    p.retained = args.iter().map(|a| a.slice(from, to - from)).collect();
                    p.retained_times = (from..to).map(|i| times.value(i)).collect();
                    p.last_time = last.value(from);
                    p.cleanup_at = cleanups.map(|c| c.value(from)).filter(|c| *c != i64::MIN);
                    if let Some(c) = p.cleanup_at {
                        self.cleanups.insert((c, key.into()));
                    }
                    let mut at = 0;
                    for (c, acc) in p.accumulators.iter_mut().enumerate() {
                        let n = self.calls[c].function.expressions().len();
                        acc.update_batch(&p.retained[at..at + n])?;
                        at += n;
                    }
                    self.partitions.insert(key.into(), p);
                    from = to;
                }
            } else {
                for i in 0..b.num_rows() {
                    let mut p = self.new_partition()?;
                    p.last_time = last.value(i);
                    for (c, acc) in p.accumulators.iter_mut().enumerate() {
                        let states: Vec<ArrayRef> =
                            (0..).map_while(|j| b.column_by_name(&format!("acc{c}_{j}")).cloned()).collect();
                        acc.merge_batch(&keyed_state::row_slices(&states, i))?;
                    }
                    self.partitions.insert(keys.value(i).into(), p);
                }
            }
        }
        Ok(())
    }

    fn add(&mut self, changes: Changes) -> Result<(), BoxError> {
        if changes.kinds.is_some() {
            return Err("OVER aggregation needs an insert-only input".into());
        }
        let times = millis(changes.rows.column(self.time))?;
        // Unbounded frames drop rows behind the watermark now; bounded ones per partition.
        let floor = if self.frame.is_bounded() { i64::MIN } else { self.watermark };
        let keep: BooleanArray = times.iter().map(|t| Some(t.is_some_and(|t| t > floor))).collect();
        let rows = if keep.true_count() == keep.len() {
            changes.rows
        } else {
            arrow::compute::filter_record_batch(&changes.rows, &keep)?
        };
        if rows.num_rows() > 0 {
            self.set_cleanups(&rows)?;
            self.pending.push(rows);
        }
        Ok(())
    }

    /// Sets the cleanup times of the partitions of `rows` (a bounded `RANGE` frame's only),
    /// as each row's arrival sets it in Flink.
    fn set_cleanups(&mut self, rows: &RecordBatch) -> Result<(), BoxError> {
        let OverFrame::Range(Some(range)) = self.frame else { return Ok(()) };
        let keys = self.keys.encode(rows)?;
        let times = millis(rows.column(self.time))?;
        for i in 0..rows.num_rows() {
            let t = times.value(i);
            let key = keys.row(i);
            if !self.partitions.contains_key(key.as_ref()) {
                let fresh = self.new_partition()?;
                self.partitions.insert(key.as_ref().into(), fresh);
            }
            let p = self.partitions.get_mut(key.as_ref()).expect("present");
            if t <= p.last_time {
                continue; // Late: dropped when it fires, as Flink drops it on arrival.
            }
            if p.cleanup_at.is_none_or(|c| c < t.saturating_add(range).saturating_add(1)) {
                let at = t.saturating_add(range + range / 2).saturating_add(1);
                p.cleanup_at = Some(at);
                self.cleanups.insert((at, key.as_ref().into()));
            }
        }
        Ok(())
    }

    /// The cleanup times at or before `up_to`, taken out, by partition (each ascending).
    fn due_cleanups(&mut self, up_to: i64) -> KeyMap<Vec<i64>> {
        let mut due: KeyMap<Vec<i64>> = KeyMap::default();
        while let Some((at, _)) = self.cleanups.first() {
            if *at > up_to {
                break;
            }
            let (at, key) = self.cleanups.pop_first().expect("present");
            due.entry(key).or_default().push(at);
        }
        due
    }

    /// A cleanup time `at` of partition `key` reached: forgets the partition when `at` is
    /// still its cleanup time, else moves its last time up to `at`.
    fn clean_up(&mut self, key: &[u8], at: i64) {
        let Some(p) = self.partitions.get_mut(key) else { return };
        if p.cleanup_at.is_some_and(|c| c <= at) {
            self.partitions.remove(key);
        } else {
            p.last_time = p.last_time.max(at);
        }
    }

    /// Processes every held row at or before `up_to`.
    fn fire(&mut self, up_to: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        let mut due = self.due_cleanups(up_to);
        if self.pending.is_empty() {
            for (key, ats) in due {
                for at in ats {
                    self.clean_up(&key, at);
                }
            }
            return Ok(());
        }
        let input = self.pending[0].schema();
        let held = arrow::compute::concat_batches(&input, &self.pending)?;
        self.pending.clear();
        let times = millis(held.column(self.time))?;
        let ready: BooleanArray = times.iter().map(|t| Some(t.is_some_and(|t| t <= up_to))).collect();
        if ready.true_count() < held.num_rows() {
            let not_ready = arrow::compute::not(&ready)?;
            self.pending.push(arrow::compute::filter_record_batch(&held, &not_ready)?);
        }
        if ready.true_count() == 0 {
            return Ok(());
        }
        let keys = self.keys.encode(&held)?;
        let mut order: Vec<u32> = (0..held.num_rows() as u32).filter(|&i| ready.value(i as usize)).collect();
        order.sort_by(|&a, &b| {
            keys.row(a as usize)
                .cmp(&keys.row(b as usize))
                .then(times.value(a as usize).cmp(&times.value(b as usize)))
                .then(a.cmp(&b))
        });
        let arguments: Vec<ArrayRef> = self
            .calls
            .iter()
            .map(|c| c.arguments(&held))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        let mut emitted: Vec<u32> = Vec::with_capacity(order.len());
        let mut results: Vec<Vec<ScalarValue>> = vec![Vec::with_capacity(order.len()); self.calls.len()];
        let mut from = 0;
        while from < order.len() {
            let key = keys.row(order[from] as usize);
            let to = from + order[from..].iter().take_while(|&&i| keys.row(i as usize) == key).count();
            // The partition's rows in time order, up to each cleanup time reached, then that
            // cleanup, as Flink's timers fire in time order.
            let cleanups = due.remove(key.as_ref()).unwrap_or_default();
            let mut at = from;
            for cleanup in cleanups.into_iter().map(Some).chain([None]) {
                let end = match cleanup {
                    Some(c) => at + order[at..to].iter().take_while(|&&i| times.value(i as usize) <= c).count(),
                    None => to,
                };
                let rows: Vec<u32> = order[at..end]
                    .iter()
                    .copied()
                    .filter(|&i| match self.partitions.get(key.as_ref()) {
                        Some(p) if self.frame.is_bounded() => times.value(i as usize) > p.last_time,
                        _ => true,
                    })
                    .collect();
                at = end;
                if !rows.is_empty() {
                    if !self.partitions.contains_key(key.as_ref()) {
                        let fresh = self.new_partition()?;
                        self.partitions.insert(key.as_ref().into(), fresh);
                    }
                    let partition = self.partitions.get_mut(key.as_ref()).expect("present");
                    let indices = UInt32Array::from(rows.clone());
                    let new_args = arguments.iter().map(|a| arrow::compute::take(a, &indices, None)).collect::<Result<
                        Vec<_>,
                        _,
                    >>(
                    )?;
                    let new_times: Vec<i64> = rows.iter().map(|&i| times.value(i as usize)).collect();
                    process_partition(partition, &self.calls, self.frame, new_args, &new_times, &mut results)?;
                    emitted.extend(rows);
                }
                if let Some(c) = cleanup {
                    self.clean_up(key.as_ref(), c);
                }
            }
            from = to;
        }
        for (key, ats) in due {
            for at in ats {
                self.clean_up(&key, at);
            }
        }
        if emitted.is_empty() {
            return Ok(());
        }
        let indices = UInt32Array::from(emitted);
        let mut columns = arrow::compute::take_record_batch(&held, &indices)?.columns().to_vec();
        for values in results {
            columns.push(ScalarValue::iter_to_array(values)?);
        }
        let columns = columns
            .into_iter()
            .zip(self.schema.fields())
            .map(|(c, f)| cast_to(c, f.data_type()))
            .collect::<Result<Vec<_>, BoxError>>()?;
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        out.emit(StreamRecord { value: Changes::inserts(batch), timestamp: up_to });
        Ok(())
    }
}

/// Runs a partition's new rows (sorted by time) through its frame, appending each row's
/// results to `results` (one list per call).
fn process_partition(
    partition: &mut OverPartition,
    calls: &[AggCall],
    frame: OverFrame,
    new_args: Vec<ArrayRef>,
    new_times: &[i64],
    results: &mut [Vec<ScalarValue>],
) -> Result<(), BoxError> {
    // The argument columns of each call within the flattened list.
    let mut spans = Vec::with_capacity(calls.len());
    let mut at = 0;
    for c in calls {
        let n = c.function.expressions().len();
        spans.push(at..at + n);
        at += n;
    }
    // Retained rows first, then the new ones: one list of rows to add and retract from.
    let base = partition.retained_times.len();
    let all: Vec<ArrayRef> = if base == 0 {
        new_args
    } else {
        partition
            .retained
            .iter()
            .zip(&new_args)
            .map(|(old, new)| arrow::compute::concat(&[old.as_ref(), new.as_ref()]))
            .collect::<Result<_, _>>()?
    };
    let mut times = std::mem::take(&mut partition.retained_times);
    times.extend_from_slice(new_times);
    let mut head = 0usize;
    let update = |accs: &mut [Box<dyn Accumulator>], from: usize, len: usize, retract: bool| -> Result<(), BoxError> {
        for (acc, span) in accs.iter_mut().zip(&spans) {
            let values: Vec<ArrayRef> = all[span.clone()].iter().map(|a| a.slice(from, len)).collect();
            if retract {
                acc.retract_batch(&values)?;
            } else {
                acc.update_batch(&values)?;
            }
        }
        Ok(())
    };
    let mut row = base;
    while row < times.len() {
        // A RANGE frame takes all peers (equal times) at once; a ROWS frame one row.
        let peers = match frame {
            OverFrame::Range(_) => times[row..].iter().take_while(|&&t| t == times[row]).count(),
            OverFrame::Rows(_) => 1,
        };
        update(&mut partition.accumulators, row, peers, false)?;
        let end = row + peers;
        let new_head = match frame {
            OverFrame::Rows(Some(n)) => (end as u64).saturating_sub(n + 1) as usize,
            OverFrame::Range(Some(ms)) => {
                let lowest = times[row].saturating_sub(ms);
                head + times[head..end].iter().take_while(|&&t| t < lowest).count()
            }
            _ => head,
        };
        if new_head > head {
            update(&mut partition.accumulators, head, new_head - head, true)?;
            head = new_head;
        }
        for (c, acc) in partition.accumulators.iter_mut().enumerate() {
            let value = acc.evaluate()?;
            for _ in 0..peers {
                results[c].push(value.clone());
            }
        }
        row = end;
    }
    partition.last_time = times.last().copied().unwrap_or(partition.last_time);
    if frame.is_bounded() {
        partition.retained = all.iter().map(|a| a.slice(head, times.len() - head)).collect();
        partition.retained_times = times.split_off(head);
    }
    Ok(())
}

impl Operator for OverAggOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep_with_watermark(state, &mut self.watermark);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        match self.restore.take() {
            Some(state) => self.restore_state(&state, subtask),
            None => Ok(()),
        }
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        keyed_state::write_keyed_as(state, PENDING, &self.snapshot_pending()?)?;
        let partitions: Vec<RecordBatch> = self.snapshot_partitions()?.into_iter().collect();
        keyed_state::write_keyed_as(state, PARTITIONS, &partitions)?;
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
    use std::sync::Arc;

    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion_physical_expr::aggregate::AggregateExprBuilder;
    use datafusion_physical_expr::expressions::col;

    use super::*;

    fn sum_call() -> AggCall {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]));
        let function = AggregateExprBuilder::new(
            datafusion_functions_aggregate::sum::sum_udaf(),
            vec![col("x", &schema).expect("column")],
        )
        .schema(schema)
        .alias("s")
        .build()
        .expect("sum");
        AggCall { function: Arc::new(function), filter: None, plain: None }
    }

    /// Feeds `batches` of (time, value) rows through one partition; the sums per row.
    fn run(frame: OverFrame, batches: &[&[(i64, i64)]]) -> Vec<i64> {
        let call = sum_call();
        let accumulator = if frame.is_bounded() {
            call.function.create_sliding_accumulator().expect("sliding")
        } else {
            call.function.create_accumulator().expect("accumulator")
        };
        let mut partition = OverPartition {
            accumulators: vec![accumulator],
            retained: Vec::new(),
            retained_times: Vec::new(),
            last_time: i64::MIN,
            cleanup_at: None,
        };
        let mut results = vec![Vec::new()];
        for rows in batches {
            let values: ArrayRef = Arc::new(Int64Array::from_iter_values(rows.iter().map(|r| r.1)));
            let times: Vec<i64> = rows.iter().map(|r| r.0).collect();
            process_partition(&mut partition, std::slice::from_ref(&call), frame, vec![values], &times, &mut results)
                .expect("processed");
        }
        results[0]
            .iter()
            .map(|v| match v {
                ScalarValue::Int64(Some(n)) => *n,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn frames_aggregate_as_flink() {
        let rows: &[(i64, i64)] = &[(1, 1), (2, 10), (2, 100), (5, 1000), (20, 10000)];
        let cases = [
            (OverFrame::Rows(None), vec![1, 11, 111, 1111, 11111]),
            (OverFrame::Rows(Some(1)), vec![1, 11, 110, 1100, 11000]),
            (OverFrame::Rows(Some(0)), vec![1, 10, 100, 1000, 10000]),
            // Peers (equal times) share the result that includes all of them.
            (OverFrame::Range(None), vec![1, 111, 111, 1111, 11111]),
            (OverFrame::Range(Some(3)), vec![1, 111, 111, 1110, 10000]),
            (OverFrame::Range(Some(0)), vec![1, 110, 110, 1000, 10000]),
        ];
        for (frame, expected) in cases {
            assert_eq!(run(frame, &[rows]), expected, "{frame:?} in one batch");
            let split: Vec<&[(i64, i64)]> = vec![&rows[..2], &rows[2..4], &rows[4..]];
            if !matches!(frame, OverFrame::Range(_)) {
                // A ROWS frame slides across firings the same way.
                assert_eq!(run(frame, &split), expected, "{frame:?} across firings");
            }
        }
    }

    #[test]
    fn a_sliding_range_frame_carries_its_rows_across_firings() {
        assert_eq!(
            run(OverFrame::Range(Some(3)), &[&[(1, 1), (2, 10)], &[(4, 100)], &[(6, 1000)]]),
            vec![1, 11, 111, 1100]
        );
    }
}

#[cfg(test)]
mod restore_tests {
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use datafusion_physical_expr::aggregate::AggregateExprBuilder;
    use weir_runtime::ManualClock;

    use super::*;
    use crate::changelog::RowKind::Insert as I;
    use crate::stream::operator_harness::{columns, feed_keyed, restore_all, rows, sorted, Harness};

    fn input() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("t", DataType::Timestamp(TimeUnit::Millisecond, None), true),
            Field::new("v", DataType::Int64, true),
        ]))
    }

    /// `SUM(v), MAX(v) OVER (PARTITION BY k ORDER BY t <frame>)`.
    fn operator(frame: OverFrame) -> OverAggOperator {
        let input = input();
        let v = columns(&input, &[2]);
        let call = |f| AggCall {
            function: Arc::new(
                AggregateExprBuilder::new(f, v.clone()).schema(input.clone()).alias("x").build().unwrap(),
            ),
            filter: None,
            plain: None,
        };
        let calls = vec![
            call(datafusion_functions_aggregate::sum::sum_udaf()),
            call(datafusion_functions_aggregate::min_max::max_udaf()),
        ];
        let mut fields = input.fields().to_vec();
        fields.push(Arc::new(Field::new("s", DataType::Int64, true)));
        fields.push(Arc::new(Field::new("m", DataType::Int64, true)));
        let keys = KeyEncoder::new(columns(&input, &[0]), &input).unwrap();
        OverAggOperator::new(keys, 1, calls, frame, Arc::new(Schema::new(fields)))
    }

    fn batch(values: &[(i64, i64, i64)]) -> Changes {
        let owned: Vec<[i64; 3]> = values.iter().map(|&(k, t, v)| [k, t, v]).collect();
        rows(&input(), &owned.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>())
    }

    #[test]
    fn restored_frames_continue_where_they_were() {
        let clock = ManualClock::new(0);
        for frame in [OverFrame::Rows(Some(2)), OverFrame::Range(Some(10)), OverFrame::Rows(None)] {
            let first: Vec<(i64, i64, i64)> = (0..40).map(|i| (i % 3, i, (i * 7) % 11)).collect();
            let mut reference = Harness::new(operator(frame), &clock);
            reference.feed(batch(&first));
            assert!(!reference.watermark(30).is_empty());
            // Rows 31..39 are still pending at the checkpoint.
            let snapshot = reference.snapshot();
            let next: Vec<(i64, i64, i64)> = (40..70).map(|i| (i % 4, i, (i * 5) % 13)).collect();
            let expected = sorted([reference.feed(batch(&next)), reference.watermark(1_000)].concat());
            for parallelism in [1, 2, 3] {
                let mut restored = restore_all(|| operator(frame), &clock, &snapshot, parallelism);
                let mut got = feed_keyed(&mut restored, &[0], batch(&next));
                for h in &mut restored {
                    got.extend(h.watermark(1_000));
                }
                assert_eq!(sorted(got), expected, "{frame:?} at parallelism {parallelism}");
            }
        }
    }

    #[test]
    fn a_range_partition_is_forgotten_at_its_cleanup_time_as_in_flink() {
        let clock = ManualClock::new(0);
        // RANGE 2 s: a row at 1 s sets the cleanup at 1 s + 3 s + 1 ms.
        let mut h = Harness::new(operator(OverFrame::Range(Some(2_000))), &clock);
        h.feed(batch(&[(1, 1_000, 5)]));
        assert_eq!(h.watermark(1_000).len(), 1);
        // Not yet forgotten: a row behind the last time is late.
        h.feed(batch(&[(1, 900, 4)]));
        assert!(h.watermark(4_000).is_empty());
        // Forgotten at 4001: a late row at 2 s starts afresh, over an empty frame.
        assert!(h.watermark(4_001).is_empty());
        h.feed(batch(&[(1, 2_000, 3)]));
        let fired = h.watermark(4_002);
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert!(fired[0].ends_with(", 3, 3, 3]"), "{fired:?}");
        // A cleanup time no longer current only moves the last time up to it: a row at 1 s
        // sets 4001 again, a row at 3 s moves it to 7001; at 4001 the row at 3.5 s is late.
        let mut h = Harness::new(operator(OverFrame::Range(Some(2_000))), &clock);
        h.feed(batch(&[(1, 1_000, 1), (1, 3_000, 2)]));
        assert_eq!(h.watermark(4_001).len(), 2);
        h.feed(batch(&[(1, 3_500, 4)]));
        assert!(h.watermark(5_000).is_empty());
        h.feed(batch(&[(1, 4_500, 8)]));
        let fired = h.watermark(5_000);
        assert!(fired.len() == 1 && fired[0].ends_with(", 8, 10, 8]"), "{fired:?}");
    }
}
