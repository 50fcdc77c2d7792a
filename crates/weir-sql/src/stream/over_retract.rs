//! OVER aggregation over an updating (retracting) input, which Flink refuses:
//! `agg(x) OVER (PARTITION BY p ORDER BY o ROWS|RANGE BETWEEN … PRECEDING AND CURRENT ROW)`
//! where the input is a changelog with `-U`/`+U`/`-D` rows (Nexmark q6 runs it over a
//! GROUP BY result).
//!
//! # Semantics
//!
//! The result is the input table with one column per aggregate added: for every row
//! currently in the input table, the aggregate over its frame among its partition's current
//! rows, ordered by `o` (rows with equal `o` in arrival order). In a `ROWS` frame a row sees
//! the `n` rows before it (or all of them, `UNBOUNDED PRECEDING`); in a `RANGE` frame rows
//! with equal `o` are peers and share one result, and a bounded `RANGE` frame (only over a
//! timestamp `o`, ascending) holds the rows whose `o` lies within the interval before the
//! row's.
//!
//! Each partition keeps its current rows as a multiset in that order: a `+I`/`+U` adds a row
//! after its equals, a `-U`/`-D` removes one equal row (a retraction of a row that is not
//! there is ignored). After each input batch the result rows of every partition it touched
//! are recomputed from the first position that changed (a frame only looks back, so rows
//! before it keep their results) and the difference from what was emitted before is sent:
//! `+I` for a new row, `-D` for a row gone, `-U`/`+U` for a row whose aggregates changed (a
//! row that went and came back with the same aggregates sends nothing). Folded, the output
//! equals the definition above after every batch. Nothing waits for watermarks: `o` need
//! not be a time attribute, and the output is updating.
//!
//! The cost of a batch is the rows from the first change to the end of each touched
//! partition (plus the frame before it; for an unbounded frame the whole partition), so
//! changes at the end of a partition — as when a group's time only grows — are cheap.
//! Insert-only inputs use [`super::over_agg::OverAggOperator`] instead.
//!
//! Checkpoints hold every partition's rows in order, each with the aggregates it was last
//! shown with, by key group (between batches nothing else is pending).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use datafusion_common::ScalarValue;
use datafusion_expr::Accumulator;
use datafusion_physical_expr::PhysicalExpr;
use weir_core::StreamRecord;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::aggregate::AggCall;
use super::batch::{cast_to, to_array, Changes};
use super::exchange::KeyEncoder;
use super::keyed_state::{self, PendingRestore};
use super::over_agg::OverFrame;
use super::watermark::millis;
use crate::changelog::RowKind;
use crate::stream::KeyMap;

/// One current row of a partition.
#[derive(Debug)]
struct Entry {
    /// The encoded ORDER BY key.
    key: Box<[u8]>,
    /// The ORDER BY time in milliseconds (bounded `RANGE` frames only).
    time: i64,
    /// The encoded input row.
    row: Arc<[u8]>,
    /// The aggregates last emitted with the row; `None`: not emitted yet.
    shown: Option<Vec<ScalarValue>>,
}

/// A partition's current rows in order, and what changed since its results were sent.
#[derive(Debug, Default)]
struct OverRows {
    entries: Vec<Entry>,
    /// The first position whose result may have changed.
    dirty: Option<usize>,
    /// Emitted rows removed since, with the aggregates they were shown with.
    gone: Vec<(Arc<[u8]>, Vec<ScalarValue>)>,
}

impl OverRows {
    fn mark(&mut self, at: usize) {
        self.dirty = Some(self.dirty.map_or(at, |d| d.min(at)));
    }

    /// Adds a row after the rows with an equal key.
    fn insert(&mut self, key: &[u8], time: i64, row: &[u8]) {
        let at = self.entries.partition_point(|e| e.key.as_ref() <= key);
        self.entries.insert(at, Entry { key: key.into(), time, row: row.into(), shown: None });
        self.mark(at);
    }

    /// Removes one row equal to `row` with key `key`; false when there is none.
    fn retract(&mut self, key: &[u8], row: &[u8]) -> bool {
        let from = self.entries.partition_point(|e| e.key.as_ref() < key);
        let Some(at) = self.entries[from..]
            .iter()
            .take_while(|e| e.key.as_ref() == key)
            .position(|e| e.row.as_ref() == row)
            .map(|i| from + i)
        else {
            return false;
        };
        let entry = self.entries.remove(at);
        if let Some(shown) = entry.shown {
            self.gone.push((entry.row, shown));
        }
        self.mark(at);
        true
    }

    /// The position results must be computed from for the rows at and after `dirty`.
    fn frame_start(&self, dirty: usize, frame: OverFrame) -> usize {
        match frame {
            OverFrame::Rows(Some(n)) => dirty.saturating_sub(n as usize),
            OverFrame::Rows(None) | OverFrame::Range(None) => 0,
            OverFrame::Range(Some(ms)) => {
                let lowest = self.entries[dirty].time.saturating_sub(ms);
                self.entries.partition_point(|e| e.time < lowest)
            }
        }
    }
}

/// A changed output row: the input row, its aggregates and the kind of change.
type OverChange = (Arc<[u8]>, Vec<ScalarValue>, RowKind);

/// Aggregates each current row of an updating input over its frame, as a changelog.
pub struct OverRetractOperator {
    partition: KeyEncoder,
    order: Vec<Arc<dyn PhysicalExpr>>,
    order_converter: RowConverter,
    rows: RowConverter,
    input: SchemaRef,
    /// The ORDER BY column of a bounded `RANGE` frame.
    time: Option<usize>,
    calls: Vec<AggCall>,
    frame: OverFrame,
    schema: SchemaRef,
    partitions: KeyMap<OverRows>,
    restore: PendingRestore,
}

impl OverRetractOperator {
    /// Aggregation of `calls` over `frame` of the rows of `input`, partitioned by
    /// `partition`, ordered by `order` (expression, descending, nulls first); a bounded
    /// `RANGE` frame measures its interval on the timestamp column `time`. The output is the
    /// input's columns then one per call, as `schema`.
    pub fn new(
        partition: KeyEncoder,
        order: Vec<(Arc<dyn PhysicalExpr>, bool, bool)>,
        input: SchemaRef,
        time: Option<usize>,
        calls: Vec<AggCall>,
        frame: OverFrame,
        schema: SchemaRef,
    ) -> Result<Self, BoxError> {
        if matches!(frame, OverFrame::Range(Some(_))) && time.is_none() {
            return Err("a bounded RANGE frame needs a timestamp ORDER BY column".into());
        }
        let fields = order
            .iter()
            .map(|(e, descending, nulls_first)| {
                let options = arrow::compute::SortOptions { descending: *descending, nulls_first: *nulls_first };
                Ok(SortField::new_with_options(e.data_type(&input)?, options))
            })
            .collect::<Result<Vec<_>, BoxError>>()?;
        let rows = RowConverter::new(input.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())?;
        Ok(OverRetractOperator {
            partition,
            order: order.into_iter().map(|(e, _, _)| e).collect(),
            order_converter: RowConverter::new(fields)?,
            rows,
            input,
            time,
            calls,
            frame,
            schema,
            partitions: KeyMap::default(),
            restore: PendingRestore::default(),
        })
    }

    /// Every partition's rows, in order, as state batches: the partition key, the ORDER BY
    /// key, the time, the row, and one column per aggregate with the values last shown.
    fn snapshot_rows(&self) -> Result<Vec<RecordBatch>, BoxError> {
        let entries: Vec<(&[u8], &Entry)> =
            self.partitions.iter().flat_map(|(key, p)| p.entries.iter().map(move |e| (key.as_ref(), e))).collect();
        keyed_state::batches_of(
            &entries,
            |(key, e)| key.len() + e.key.len() + e.row.len(),
            |run| {
                let mut columns: Vec<(String, ArrayRef)> = vec![
                    ("order".into(), keyed_state::bytes_column(run.iter().map(|(_, e)| e.key.as_ref()))),
                    (
                        "time".into(),
                        Arc::new(arrow::array::Int64Array::from_iter_values(run.iter().map(|(_, e)| e.time))),
                    ),
                    ("row".into(), keyed_state::bytes_column(run.iter().map(|(_, e)| e.row.as_ref()))),
                ];
                for c in 0..self.calls.len() {
                    let shown = run.iter().map(|(_, e)| {
                        e.shown
                            .as_ref()
                            .map(|v| v[c].clone())
                            .ok_or("an OVER row without a shown result between batches")
                    });
                    let values = shown.collect::<Result<Vec<_>, _>>()?;
                    let column = keyed_state::scalar_column(values)?.expect("a run has entries");
                    columns.push((format!("agg{c}"), column));
                }
                keyed_state::state_batch(run.iter().map(|(k, _)| *k), columns)
            },
        )
    }

    /// Puts back the partitions of the key groups `subtask` owns, rows in their order.
    fn restore_rows(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        for batch in keyed_state::read_keyed(state, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let order = keyed_state::bytes_of(&batch, "order")?;
            let times = keyed_state::i64_column(&batch, "time")?;
            let rows = keyed_state::bytes_of(&batch, "row")?;
            let aggs = (0..self.calls.len())
                .map(|c| keyed_state::column(&batch, &format!("agg{c}")))
                .collect::<Result<Vec<_>, _>>()?;
            for i in 0..batch.num_rows() {
                let shown = aggs.iter().map(|a| ScalarValue::try_from_array(a, i)).collect::<Result<Vec<_>, _>>()?;
                let entry = Entry {
                    key: order.value(i).into(),
                    time: times.value(i),
                    row: rows.value(i).into(),
                    shown: Some(shown),
                };
                self.partitions.entry(keys.value(i).into()).or_default().entries.push(entry);
            }
        }
        Ok(())
    }

    /// Applies a batch of changes; the changes of the output.
    fn apply(&mut self, changes: &Changes) -> Result<Vec<OverChange>, BoxError> {
        let n = changes.len();
        let keys = self.partition.encode(&changes.rows)?;
        let order =
            self.order.iter().map(|e| to_array(e.evaluate(&changes.rows)?, n)).collect::<Result<Vec<_>, _>>()?;
        let order = self.order_converter.convert_columns(&order)?;
        let rows = self.rows.convert_columns(changes.rows.columns())?;
        let times = self.time.map(|t| millis(changes.rows.column(t))).transpose()?;
        let mut touched: Vec<Box<[u8]>> = Vec::new();
        for i in 0..n {
            let key = keys.row(i).data();
            let partition = match self.partitions.get_mut(key) {
                Some(p) => p,
                None => self.partitions.entry(key.into()).or_default(),
            };
            let was_dirty = partition.dirty.is_some();
            if changes.kind(i).is_accumulate() {
                let time = times.as_ref().map_or(0, |t| if t.is_null(i) { i64::MIN } else { t.value(i) });
                partition.insert(order.row(i).data(), time, rows.row(i).data());
            } else {
                partition.retract(order.row(i).data(), rows.row(i).data());
            }
            if !was_dirty && partition.dirty.is_some() {
                touched.push(key.into());
            }
        }
        let mut out = Vec::new();
        for key in touched {
            let mut partition = self.partitions.remove(&key).expect("touched");
            self.refresh(&mut partition, &mut out)?;
            if !partition.entries.is_empty() {
                self.partitions.insert(key, partition);
            }
        }
        Ok(out)
    }

    /// Recomputes a touched partition's results and appends the changes to `out`.
    fn refresh(&self, partition: &mut OverRows, out: &mut Vec<OverChange>) -> Result<(), BoxError> {
        let mut removed = std::mem::take(&mut partition.gone);
        let mut added = Vec::new();
        let mut dirty = partition.dirty.take().expect("touched");
        if dirty < partition.entries.len() {
            if matches!(self.frame, OverFrame::Range(_)) {
                // Peers share a result: start at the first of the changed row's peers.
                let key = &partition.entries[dirty].key;
                dirty = partition.entries.partition_point(|e| e.key < *key);
            }
            let start = partition.frame_start(dirty, self.frame);
            let entries = &mut partition.entries[start..];
            let parser = self.rows.parser();
            let columns = self.rows.convert_rows(entries.iter().map(|e| parser.parse(&e.row)))?;
            let options = RecordBatchOptions::new().with_row_count(Some(entries.len()));
            let batch = RecordBatch::try_new_with_options(self.input.clone(), columns, &options)?;
            let arguments = self.calls.iter().map(|c| c.arguments(&batch)).collect::<Result<Vec<_>, _>>()?;
            let peers: Vec<bool> = (0..entries.len()).map(|i| i > 0 && entries[i].key == entries[i - 1].key).collect();
            let times: Vec<i64> = entries.iter().map(|e| e.time).collect();
            let mut accumulators = self
                .calls
                .iter()
                .map(|c| -> Result<Box<dyn Accumulator>, BoxError> {
                    Ok(match self.frame {
                        OverFrame::Rows(Some(_)) | OverFrame::Range(Some(_)) => {
                            c.function.create_sliding_accumulator()?
                        }
                        _ => c.function.create_accumulator()?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let results = frame_results(&mut accumulators, &arguments, self.frame, &peers, &times)?;
            for (entry, values) in entries.iter_mut().zip(results).skip(dirty - start) {
                match entry.shown.replace(values.clone()) {
                    Some(old) if old == values => {}
                    Some(old) => {
                        removed.push((entry.row.clone(), old));
                        added.push((entry.row.clone(), values));
                    }
                    None => added.push((entry.row.clone(), values)),
                }
            }
        }
        diff(removed, added, out);
        Ok(())
    }

    /// A batch of output changes.
    fn output(&self, changes: &[OverChange]) -> Result<Changes, BoxError> {
        let parser = self.rows.parser();
        let mut columns = self.rows.convert_rows(changes.iter().map(|(r, _, _)| parser.parse(r)))?;
        for c in 0..self.calls.len() {
            columns.push(ScalarValue::iter_to_array(changes.iter().map(|(_, values, _)| values[c].clone()))?);
        }
        let columns = columns
            .into_iter()
            .zip(self.schema.fields())
            .map(|(c, f)| cast_to(c, f.data_type()))
            .collect::<Result<Vec<_>, BoxError>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(changes.len()));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        Ok(Changes::with_kinds(batch, changes.iter().map(|(_, _, k)| *k).collect()))
    }
}

/// Each row's aggregates over its frame, for rows in order: `arguments` holds every call's
/// argument columns (one list per call), `peers[i]` whether row `i` has the key of row
/// `i - 1`, `times` the rows' times (bounded `RANGE` frames). Accumulators start empty and
/// are sliding ones for a bounded frame.
fn frame_results(
    accumulators: &mut [Box<dyn Accumulator>],
    arguments: &[Vec<ArrayRef>],
    frame: OverFrame,
    peers: &[bool],
    times: &[i64],
) -> Result<Vec<Vec<ScalarValue>>, BoxError> {
    let n = peers.len();
    let update = |accumulators: &mut [Box<dyn Accumulator>], from: usize, len: usize, retract: bool| {
        for (acc, args) in accumulators.iter_mut().zip(arguments) {
            let values: Vec<ArrayRef> = args.iter().map(|a| a.slice(from, len)).collect();
            if retract {
                acc.retract_batch(&values)?;
            } else {
                acc.update_batch(&values)?;
            }
        }
        Ok::<_, BoxError>(())
    };
    let mut results = Vec::with_capacity(n);
    let (mut row, mut head) = (0usize, 0usize);
    while row < n {
        // A RANGE frame takes a row with all its peers; a ROWS frame one row.
        let end = match frame {
            OverFrame::Range(_) => row + 1 + peers[row + 1..].iter().take_while(|&&p| p).count(),
            OverFrame::Rows(_) => row + 1,
        };
        update(accumulators, row, end - row, false)?;
        let new_head = match frame {
            OverFrame::Rows(Some(k)) => end.saturating_sub(k as usize + 1),
            OverFrame::Range(Some(ms)) => {
                let lowest = times[row].saturating_sub(ms);
                head + times[head..end].iter().take_while(|&&t| t < lowest).count()
            }
            _ => head,
        };
        if new_head > head {
            update(accumulators, head, new_head - head, true)?;
            head = new_head;
        }
        let values = accumulators.iter_mut().map(|a| a.evaluate()).collect::<Result<Vec<_>, _>>()?;
        for _ in row..end {
            results.push(values.clone());
        }
        row = end;
    }
    Ok(results)
}

/// The changelog from the `removed` to the `added` output rows: equal rows cancel, a row
/// removed and added with other aggregates is an update, the rest are deletes and inserts.
fn diff(
    removed: Vec<(Arc<[u8]>, Vec<ScalarValue>)>,
    added: Vec<(Arc<[u8]>, Vec<ScalarValue>)>,
    out: &mut Vec<OverChange>,
) {
    let mut count: HashMap<&(Arc<[u8]>, Vec<ScalarValue>), i64> = HashMap::new();
    for a in &added {
        *count.entry(a).or_default() += 1;
    }
    let mut kept_removed = Vec::new();
    for r in &removed {
        match count.get_mut(&r) {
            Some(c) if *c > 0 => *c -= 1,
            _ => kept_removed.push(r),
        }
    }
    let mut kept_added = Vec::new();
    for a in &added {
        let c = count.get_mut(&a).expect("counted");
        if *c > 0 {
            *c -= 1;
            kept_added.push(a);
        }
    }
    // Pair what remains by input row: those are updates of the row's aggregates.
    let mut by_row: HashMap<&Arc<[u8]>, Vec<usize>> = HashMap::new();
    for (i, (row, _)) in kept_added.iter().enumerate().rev() {
        by_row.entry(row).or_default().push(i);
    }
    let mut paired = vec![false; kept_added.len()];
    let mut updates = Vec::new();
    for (row, values) in kept_removed {
        match by_row.get_mut(row).and_then(|v| v.pop()) {
            Some(j) => {
                paired[j] = true;
                updates.push((row, values, j));
            }
            None => out.push((row.clone(), values.clone(), RowKind::Delete)),
        }
    }
    for (row, values, j) in updates {
        out.push((row.clone(), values.clone(), RowKind::UpdateBefore));
        out.push((row.clone(), kept_added[j].1.clone(), RowKind::UpdateAfter));
    }
    for (a, paired) in kept_added.into_iter().zip(paired) {
        if !paired {
            out.push((a.0.clone(), a.1.clone(), RowKind::Insert));
        }
    }
}

impl Operator for OverRetractOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep(state);
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
        keyed_state::write_keyed(state, &self.snapshot_rows()?)
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            let changes = self.apply(&record.value)?;
            if !changes.is_empty() {
                out.emit(StreamRecord { value: self.output(&changes)?, timestamp: record.timestamp });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion_physical_expr::aggregate::AggregateExprBuilder;
    use datafusion_physical_expr::expressions::col;

    use super::*;

    /// Input rows: (partition, order, value).
    fn input() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("p", DataType::Int64, true),
            Field::new("o", DataType::Int64, true),
            Field::new("x", DataType::Int64, true),
        ]))
    }

    /// `SUM(x) OVER (PARTITION BY p ORDER BY o <frame>)`.
    fn operator(frame: OverFrame) -> OverRetractOperator {
        let schema = input();
        let function = AggregateExprBuilder::new(
            datafusion_functions_aggregate::sum::sum_udaf(),
            vec![col("x", &schema).expect("column")],
        )
        .schema(schema.clone())
        .alias("s")
        .build()
        .expect("sum");
        let call = AggCall { function: Arc::new(function), filter: None, plain: None };
        let mut fields = schema.fields().to_vec();
        fields.push(Arc::new(Field::new("s", DataType::Int64, true)));
        OverRetractOperator::new(
            KeyEncoder::new(vec![col("p", &schema).expect("p")], &schema).expect("keys"),
            vec![(col("o", &schema).expect("o"), false, false)],
            schema,
            None,
            vec![call],
            frame,
            Arc::new(Schema::new(fields)),
        )
        .expect("operator")
    }

    /// A row of the output: (kind, p, o, x, sum).
    type Out = (RowKind, i64, i64, i64, i64);

    fn apply(op: &mut OverRetractOperator, rows: &[(RowKind, i64, i64, i64)]) -> Vec<Out> {
        let column = |f: fn(&(RowKind, i64, i64, i64)) -> i64| -> ArrayRef {
            Arc::new(Int64Array::from_iter_values(rows.iter().map(f)))
        };
        let batch =
            RecordBatch::try_new(input(), vec![column(|r| r.1), column(|r| r.2), column(|r| r.3)]).expect("batch");
        let changes = Changes::with_kinds(batch, rows.iter().map(|r| r.0).collect());
        let out = op.apply(&changes).expect("applied");
        if out.is_empty() {
            return Vec::new();
        }
        let out = op.output(&out).expect("output");
        let value =
            |c: usize, i: usize| out.rows.column(c).as_any().downcast_ref::<Int64Array>().expect("int64").value(i);
        (0..out.len()).map(|i| (out.kind(i), value(0, i), value(1, i), value(2, i), value(3, i))).collect()
    }

    /// Folds changes into the rows they leave, sorted.
    fn fold(table: &mut Vec<(i64, i64, i64, i64)>, changes: &[Out]) {
        for &(kind, p, o, x, s) in changes {
            if kind.is_accumulate() {
                table.push((p, o, x, s));
            } else {
                let at = table.iter().position(|r| *r == (p, o, x, s)).expect("retracted row was emitted");
                table.remove(at);
            }
        }
        table.sort();
    }

    use RowKind::{Delete as D, Insert as I, UpdateAfter as UA, UpdateBefore as UB};

    #[test]
    fn inserts_aggregate_their_frames() {
        let mut op = operator(OverFrame::Rows(Some(1)));
        let out = apply(&mut op, &[(I, 1, 10, 1), (I, 1, 30, 100), (I, 2, 5, 7)]);
        assert_eq!(out, vec![(I, 1, 10, 1, 1), (I, 1, 30, 100, 101), (I, 2, 5, 7, 7)]);
        // A row between the two shifts the later row's frame: an update.
        let out = apply(&mut op, &[(I, 1, 20, 10)]);
        assert_eq!(out, vec![(UB, 1, 30, 100, 101), (UA, 1, 30, 100, 110), (I, 1, 20, 10, 11)]);
    }

    #[test]
    fn a_retraction_inside_the_frame_shifts_the_frame() {
        let mut op = operator(OverFrame::Rows(Some(1)));
        let mut table = Vec::new();
        fold(&mut table, &apply(&mut op, &[(I, 1, 10, 1), (I, 1, 20, 10), (I, 1, 30, 100)]));
        assert_eq!(table, vec![(1, 10, 1, 1), (1, 20, 10, 11), (1, 30, 100, 110)]);
        let out = apply(&mut op, &[(D, 1, 20, 10)]);
        assert_eq!(out, vec![(D, 1, 20, 10, 11), (UB, 1, 30, 100, 110), (UA, 1, 30, 100, 101)]);
        fold(&mut table, &out);
        assert_eq!(table, vec![(1, 10, 1, 1), (1, 30, 100, 101)]);
        // An update of a row that keeps its place: only its own result and its successors'.
        let out = apply(&mut op, &[(UB, 1, 10, 1), (UA, 1, 10, 2)]);
        fold(&mut table, &out);
        assert_eq!(table, vec![(1, 10, 2, 2), (1, 30, 100, 102)]);
        // A retraction of a row that is not there changes nothing.
        assert!(apply(&mut op, &[(D, 1, 99, 1)]).is_empty());
        // A row retracted and added again as it was changes nothing either.
        assert!(apply(&mut op, &[(UB, 1, 30, 100), (UA, 1, 30, 100)]).is_empty());
    }

    #[test]
    fn ties_keep_arrival_order_in_rows_and_are_peers_in_range() {
        let mut op = operator(OverFrame::Rows(None));
        let mut table = Vec::new();
        fold(&mut table, &apply(&mut op, &[(I, 1, 10, 1), (I, 1, 10, 10)]));
        fold(&mut table, &apply(&mut op, &[(I, 1, 10, 100), (I, 1, 5, 1000)]));
        assert_eq!(table, vec![(1, 5, 1000, 1000), (1, 10, 1, 1001), (1, 10, 10, 1011), (1, 10, 100, 1111)]);
        // Removing the first tie moves the later ones up.
        fold(&mut table, &apply(&mut op, &[(D, 1, 10, 1)]));
        assert_eq!(table, vec![(1, 5, 1000, 1000), (1, 10, 10, 1010), (1, 10, 100, 1110)]);

        let mut op = operator(OverFrame::Range(None));
        let mut table = Vec::new();
        fold(&mut table, &apply(&mut op, &[(I, 1, 10, 1), (I, 1, 10, 10), (I, 1, 20, 100)]));
        assert_eq!(table, vec![(1, 10, 1, 11), (1, 10, 10, 11), (1, 20, 100, 111)]);
        fold(&mut table, &apply(&mut op, &[(I, 1, 10, 1000)]));
        assert_eq!(table, vec![(1, 10, 1, 1011), (1, 10, 10, 1011), (1, 10, 1000, 1011), (1, 20, 100, 1111)]);
    }

    #[test]
    fn an_emptied_partition_is_forgotten() {
        let mut op = operator(OverFrame::Rows(Some(2)));
        let mut table = Vec::new();
        fold(&mut table, &apply(&mut op, &[(I, 1, 10, 1), (I, 2, 10, 5), (I, 1, 20, 2)]));
        let out = apply(&mut op, &[(UB, 1, 10, 1), (UB, 1, 20, 2)]);
        assert_eq!(out, vec![(D, 1, 10, 1, 1), (D, 1, 20, 2, 3)]);
        fold(&mut table, &out);
        assert_eq!(table, vec![(2, 10, 5, 5)]);
        assert_eq!(op.partitions.len(), 1);
        // The partition starts afresh.
        fold(&mut table, &apply(&mut op, &[(I, 1, 30, 4)]));
        assert_eq!(table, vec![(1, 30, 4, 4), (2, 10, 5, 5)]);
    }

    #[test]
    fn a_bounded_frame_slides_over_many_rows() {
        // Against a direct computation after every change.
        let mut op = operator(OverFrame::Rows(Some(3)));
        let mut table = Vec::new();
        let mut rows: Vec<(i64, i64)> = Vec::new();
        for step in 0..60i64 {
            let o = (step * 37) % 23;
            let change = if step % 3 == 2 && !rows.is_empty() {
                let (o, x) = rows.remove((step as usize * 7) % rows.len());
                (D, 1, o, x)
            } else {
                rows.push((o, step));
                (I, 1, o, step)
            };
            fold(&mut table, &apply(&mut op, &[change]));
            let mut sorted = rows.clone();
            sorted.sort_by_key(|r| r.0); // stable: ties by arrival
            let mut expected: Vec<(i64, i64, i64, i64)> = (0..sorted.len())
                .map(|i| (1, sorted[i].0, sorted[i].1, sorted[i.saturating_sub(3)..=i].iter().map(|r| r.1).sum()))
                .collect();
            expected.sort();
            assert_eq!(table, expected, "after step {step}");
        }
    }

    #[test]
    fn a_restored_operator_continues_the_changelog_of_the_uninterrupted_one() {
        use crate::stream::keyed_state::testing::{owner, restored, snapshot_of};

        let mut reference = operator(OverFrame::Rows(Some(1)));
        let mut table = Vec::new();
        fold(&mut table, &apply(&mut reference, &[(I, 1, 10, 1), (I, 1, 20, 10), (I, 2, 5, 7), (I, 3, 1, 2)]));
        // State batches of at most 32 bytes: the rows are written in several, in order.
        let snapshot = crate::stream::keyed_state::with_batch_limit(32, || snapshot_of(&mut reference));
        assert!(crate::stream::keyed_state::tests::batches_in(&snapshot, crate::stream::keyed_state::KEYED_ROWS) > 1);
        let next = [(D, 1, 10, 1), (I, 2, 3, 100), (UB, 3, 1, 2), (UA, 3, 2, 5), (I, 4, 1, 1)];
        let mut expected = table.clone();
        for row in next {
            fold(&mut expected, &apply(&mut reference, &[row]));
        }
        assert!(expected.contains(&(1, 20, 10, 10)), "the frame shifted after the restored row went: {expected:?}");

        for parallelism in [1, 2, 3] {
            let mut ops = restored(|| operator(OverFrame::Rows(Some(1))), &snapshot, parallelism);
            let mut got = table.clone();
            for row in next {
                let probe = RecordBatch::try_new(
                    input(),
                    vec![
                        Arc::new(Int64Array::from(vec![row.1])),
                        Arc::new(Int64Array::from(vec![row.2])),
                        Arc::new(Int64Array::from(vec![row.3])),
                    ],
                )
                .unwrap();
                let key = ops[0].partition.encode(&probe).unwrap().row(0).data().to_vec();
                fold(&mut got, &apply(&mut ops[owner(&key, parallelism)], &[row]));
            }
            assert_eq!(got, expected, "p{parallelism}");
        }
    }
}
