//! `MATCH_RECOGNIZE` (Flink's `StreamExecMatch` over its CEP library): per partition key,
//! rows are held until the watermark passes their rowtime, then run in rowtime order (rows of
//! one time in arrival order) through the pattern; each match becomes one output row, the
//! partition columns then the measures. Rows at or behind the watermark when they arrive
//! are late and dropped. Insert-only in and out.
//!
//! # Matching, as Flink's CEP does it
//! 1. Every row starts a new partial match; each partial match is a position in the pattern
//!    (an element and how many rows it took) and the rows taken so far, with their variables.
//! 2. A row extends a partial match by being taken by its current element (while that
//!    element may take more) or, once the element has its fewest rows, by the next element
//!    (and so on past optional elements). Variables follow each other strictly: a partial
//!    match that cannot take the row ends.
//! 3. A greedy element keeps taking: the element after it may take a row only when the
//!    greedy one could not. A reluctant element lets the next element take first.
//! 4. A partial match completes when its last element has its rows (a reluctant last element
//!    completes with its fewest). Completed matches are emitted in the order of their first
//!    rows, and a match waits while an earlier-starting partial match is still running.
//! 5. Each emitted match discards the partial and waiting matches its `AFTER MATCH SKIP`
//!    rules out: those starting at or before its last row (`PAST LAST ROW`), at or before its
//!    first row (`TO NEXT ROW`), or before the first / last row of a variable (`TO FIRST v`,
//!    `TO LAST v`).
//! 6. With `WITHIN`, a partial match whose first row is that long before the row (or the
//!    watermark) being processed is dropped.
//!
//! State (held rows, each partition's rows in matches, partial and waiting matches) is
//! checkpointed per partition key ([`super::keyed_state`]), so a restore at another
//! parallelism hands each key's matches to the subtask owning it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array, RecordBatch, RecordBatchOptions};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::row::{RowConverter, SortField};
use datafusion_common::ScalarValue;
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{StreamRecord, Watermark};
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::Changes;
use super::exchange::KeyEncoder;
use super::keyed_state::{self, PendingRestore};
use super::watermark::millis;
use crate::planner::match_recognize::{MatchAggregate, MatchRef, PatternElement, SkipStrategy};

/// The keyed state entry of the partitions' matching state.
const PARTITIONS: &str = "match-partitions";

/// A compiled `DEFINE` condition or measure: a physical expression over placeholders.
#[derive(Debug, Clone)]
pub struct MatchCall {
    /// The expression over `schema`.
    pub expr: Arc<dyn PhysicalExpr>,
    /// The placeholder columns.
    pub schema: SchemaRef,
    /// What each placeholder holds.
    pub refs: Vec<MatchRef>,
}

/// What the operator matches and computes (shared by its subtasks).
#[derive(Debug)]
pub struct MatchSpec {
    /// The input's rowtime column.
    pub time: usize,
    /// The pattern.
    pub pattern: Vec<PatternElement>,
    /// Each variable's condition (`None`: always true).
    pub defines: Vec<Option<MatchCall>>,
    /// The measures.
    pub measures: Vec<MatchCall>,
    /// The partition columns of the input.
    pub partition_by: Vec<usize>,
    /// `AFTER MATCH SKIP`.
    pub skip: SkipStrategy,
    /// `WITHIN`, in milliseconds.
    pub within: Option<i64>,
    /// The input's columns.
    pub input: SchemaRef,
    /// The partition columns then the measures.
    pub output: SchemaRef,
}

/// A row of a partition in rowtime order, as the matches hold it.
#[derive(Debug)]
struct MatchRow {
    time: i64,
    /// The row in the row format (for checkpoints).
    encoded: Box<[u8]>,
    values: Vec<ScalarValue>,
}

/// A row waiting for the watermark: its partition key and the row, both encoded.
type HeldRow = (Box<[u8]>, Box<[u8]>);

/// Rows taken by a match: (row id, variable).
type Taken = Vec<(u64, u16)>;

#[derive(Debug, Clone)]
struct Partial {
    /// Id of its first row (the id of the row it waits for, before it took one).
    start: u64,
    start_time: i64,
    element: usize,
    count: u32,
    taken: Taken,
}

#[derive(Debug, Default)]
struct Partition {
    next_id: u64,
    rows: BTreeMap<u64, MatchRow>,
    partials: Vec<Partial>,
    /// Completed matches waiting for earlier-starting partial matches, by first row.
    waiting: Vec<Taken>,
}

/// The `MATCH_RECOGNIZE` operator (see the module documentation).
pub struct MatchRecognizeOperator {
    spec: Arc<MatchSpec>,
    keys: KeyEncoder,
    rows: RowConverter,
    /// Time → (partition key, row) of the rows waiting for the watermark.
    held: BTreeMap<i64, Vec<HeldRow>>,
    partitions: HashMap<Box<[u8]>, Partition>,
    watermark: i64,
    restore: PendingRestore,
}

impl MatchRecognizeOperator {
    /// Matching `spec` per key of `keys` (the `PARTITION BY` columns).
    pub fn new(spec: Arc<MatchSpec>, keys: KeyEncoder) -> Result<Self, BoxError> {
        let rows =
            RowConverter::new(spec.input.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())?;
        Ok(MatchRecognizeOperator {
            spec,
            keys,
            rows,
            held: BTreeMap::new(),
            partitions: HashMap::new(),
            watermark: i64::MIN,
            restore: PendingRestore::default(),
        })
    }

    fn hold(&mut self, batch: &RecordBatch) -> Result<(), BoxError> {
        let times = millis(batch.column(self.spec.time))?;
        let keys = self.keys.encode(batch)?;
        let rows = self.rows.convert_columns(batch.columns())?;
        for i in 0..batch.num_rows() {
            if times.is_null(i) || times.value(i) <= self.watermark {
                continue;
            }
            self.held.entry(times.value(i)).or_default().push((keys.row(i).data().into(), rows.row(i).data().into()));
        }
        Ok(())
    }

    /// Runs the held rows up to `watermark` through the pattern, in time order.
    fn release(&mut self, watermark: i64, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        let later = match watermark.checked_add(1) {
            Some(next) => self.held.split_off(&next),
            None => BTreeMap::new(),
        };
        let due = std::mem::replace(&mut self.held, later);
        let mut emitted: Vec<Vec<ScalarValue>> = Vec::new();
        if !due.is_empty() {
            let ordered: Vec<(i64, HeldRow)> =
                due.into_iter().flat_map(|(t, rows)| rows.into_iter().map(move |held| (t, held))).collect();
            let parser = self.rows.parser();
            let columns = self.rows.convert_rows(ordered.iter().map(|r| parser.parse(&r.1 .1)))?;
            for (i, (time, (key, encoded))) in ordered.into_iter().enumerate() {
                let values =
                    columns.iter().map(|c| ScalarValue::try_from_array(c, i)).collect::<Result<Vec<_>, _>>()?;
                let partition = self.partitions.entry(key).or_default();
                on_row(&self.spec, partition, MatchRow { time, encoded, values }, &mut emitted)?;
            }
        }
        if let Some(within) = self.spec.within {
            for partition in self.partitions.values_mut() {
                partition.partials.retain(|p| watermark.saturating_sub(p.start_time) < within);
                emit_ready(&self.spec, partition, &mut emitted)?;
            }
        }
        self.partitions.retain(|_, p| !p.partials.is_empty() || !p.waiting.is_empty());
        if emitted.is_empty() {
            return Ok(());
        }
        let output = &self.spec.output;
        let columns = (0..output.fields().len())
            .map(|c| {
                let field = output.field(c);
                let values = emitted.iter().map(|row| row[c].cast_to(field.data_type()));
                let values = values.collect::<Result<Vec<_>, _>>()?;
                Ok(ScalarValue::iter_to_array(values)?)
            })
            .collect::<Result<Vec<ArrayRef>, BoxError>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(emitted.len()));
        let batch = RecordBatch::try_new_with_options(output.clone(), columns, &options)?;
        out.emit(StreamRecord { value: Changes::inserts(batch), timestamp: watermark });
        Ok(())
    }
}

/// Runs `row` through the partition's matches (steps 1–6 of the module documentation).
fn on_row(
    spec: &MatchSpec,
    partition: &mut Partition,
    row: MatchRow,
    emitted: &mut Vec<Vec<ScalarValue>>,
) -> Result<(), BoxError> {
    let id = partition.next_id;
    partition.next_id += 1;
    let time = row.time;
    partition.rows.insert(id, row);
    if let Some(within) = spec.within {
        partition.partials.retain(|p| time.saturating_sub(p.start_time) < within);
    }
    let fresh = Partial { start: id, start_time: time, element: 0, count: 0, taken: Vec::new() };
    let partials = std::mem::take(&mut partition.partials);
    let mut next = Vec::new();
    for partial in partials.iter().chain(std::iter::once(&fresh)) {
        let mut step = Step { spec, rows: &partition.rows, partial, id, next: &mut next, done: Vec::new() };
        step.visit(partial.element, partial.count, None)?;
        let done = step.done;
        partition.waiting.extend(done);
    }
    partition.partials = next;
    emit_ready(spec, partition, emitted)?;
    // Rows no match holds any more.
    let oldest = partition
        .partials
        .iter()
        .filter_map(|p| p.taken.first().map(|t| t.0))
        .chain(partition.waiting.iter().filter_map(|m| m.first().map(|t| t.0)))
        .min()
        .unwrap_or(partition.next_id);
    partition.rows = partition.rows.split_off(&oldest);
    Ok(())
}

/// One row tried against one partial match.
struct Step<'a> {
    spec: &'a MatchSpec,
    rows: &'a BTreeMap<u64, MatchRow>,
    partial: &'a Partial,
    id: u64,
    next: &'a mut Vec<Partial>,
    done: Vec<Taken>,
}

impl Step<'_> {
    /// Tries the row at element `e` having taken `count` rows; `greedy`: the greedy element
    /// just left, which must not be able to take the row for `e` to take it.
    fn visit(&mut self, e: usize, count: u32, greedy: Option<usize>) -> Result<(), BoxError> {
        let pattern = &self.spec.pattern;
        let el = pattern[e];
        let has_room = el.max.is_none_or(|m| count < m);
        if has_room && self.takes(el.variable)? && !matches!(greedy, Some(g) if self.takes(pattern[g].variable)?) {
            let mut taken = self.partial.taken.clone();
            taken.push((self.id, el.variable as u16));
            let count = count + 1;
            let complete = count >= el.min
                && (!el.greedy || el.max == Some(count))
                && pattern[e + 1..].iter().all(|x| x.min == 0 && !x.greedy);
            if complete {
                self.done.push(taken);
            } else {
                let start = if self.partial.taken.is_empty() { self.id } else { self.partial.start };
                self.next.push(Partial { start, start_time: self.partial.start_time, element: e, count, taken });
            }
        }
        if count >= el.min && e + 1 < pattern.len() {
            // Only a loop (`*`, `+`, `{n,}`) is greedy this way; `?` and `{n,m}` are not (as in Flink).
            let blocks = (el.greedy && el.max.is_none()).then_some(e);
            self.visit(e + 1, 0, blocks)?;
        }
        Ok(())
    }

    /// Whether the row, taken as `variable`, meets the variable's condition.
    fn takes(&self, variable: usize) -> Result<bool, BoxError> {
        let Some(call) = &self.spec.defines[variable] else { return Ok(true) };
        let mut taken = self.partial.taken.clone();
        taken.push((self.id, variable as u16));
        Ok(matches!(evaluate(call, &taken, self.rows, self.spec.time)?, ScalarValue::Boolean(Some(true))))
    }
}

/// Emits the waiting matches no earlier-starting partial match holds back, pruning after
/// each as its skip strategy says.
fn emit_ready(
    spec: &MatchSpec,
    partition: &mut Partition,
    emitted: &mut Vec<Vec<ScalarValue>>,
) -> Result<(), BoxError> {
    loop {
        let Some((i, first)) =
            partition.waiting.iter().enumerate().map(|(i, m)| (i, m[0].0)).min_by_key(|&(i, start)| (start, i))
        else {
            return Ok(());
        };
        if partition.partials.iter().any(|p| !p.taken.is_empty() && p.start < first) {
            return Ok(());
        }
        let taken = partition.waiting.remove(i);
        let mut row = Vec::with_capacity(spec.output.fields().len());
        let first_row = &partition.rows[&first].values;
        row.extend(spec.partition_by.iter().map(|&c| first_row[c].clone()));
        for m in &spec.measures {
            row.push(evaluate(m, &taken, &partition.rows, spec.time)?);
        }
        emitted.push(row);
        // Partial and waiting matches starting before (or at) `bound` are discarded.
        let of = |v: usize, last: bool| {
            let mut rows = taken.iter().filter(|t| usize::from(t.1) == v).map(|t| t.0);
            if last {
                rows.next_back()
            } else {
                rows.next()
            }
        };
        let (bound, inclusive) = match spec.skip {
            SkipStrategy::PastLastRow => (taken.last().map(|t| t.0), true),
            SkipStrategy::ToNextRow => (Some(first), true),
            SkipStrategy::ToFirst(v) => (of(v, false), false),
            SkipStrategy::ToLast(v) => (of(v, true), false),
        };
        if let Some(bound) = bound {
            if !inclusive && bound == first {
                return Err("Could not skip to first element of a match.".into());
            }
            let pruned = |start: u64| if inclusive { start <= bound } else { start < bound };
            partition.partials.retain(|p| p.taken.is_empty() || !pruned(p.start));
            partition.waiting.retain(|m| !pruned(m[0].0));
        }
    }
}

/// The value of `call` over the rows `taken` (in order, with their variables).
fn evaluate(
    call: &MatchCall,
    taken: &[(u64, u16)],
    rows: &BTreeMap<u64, MatchRow>,
    time: usize,
) -> Result<ScalarValue, BoxError> {
    let mut columns = Vec::with_capacity(call.refs.len());
    for (r, field) in call.refs.iter().zip(call.schema.fields()) {
        let value = navigate(r, taken, rows, time, field.data_type())?;
        columns.push(value.to_array()?);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(1));
    let batch = RecordBatch::try_new_with_options(call.schema.clone(), columns, &options)?;
    let value = call.expr.evaluate(&batch)?;
    Ok(match value {
        datafusion_expr::ColumnarValue::Scalar(s) => s,
        datafusion_expr::ColumnarValue::Array(a) => ScalarValue::try_from_array(&a, 0)?,
    })
}

/// The value a placeholder holds (see [`MatchRef`]).
fn navigate(
    r: &MatchRef,
    taken: &[(u64, u16)],
    rows: &BTreeMap<u64, MatchRow>,
    time: usize,
    data_type: &DataType,
) -> Result<ScalarValue, BoxError> {
    let of = |v: Option<usize>| taken.iter().filter(move |t| v.is_none_or(|v| usize::from(t.1) == v)).map(|t| t.0);
    let value = |id: Option<u64>, column: usize| match id {
        Some(id) => Ok(rows[&id].values[column].clone()),
        None => ScalarValue::try_from(data_type),
    };
    Ok(match r {
        MatchRef::Last { variable, column, offset } => value(of(*variable).rev().nth(*offset), *column)?,
        MatchRef::First { variable, column, offset } => value(of(*variable).nth(*offset), *column)?,
        MatchRef::Prev { variable, column, offset } => {
            let at = match variable {
                Some(v) => taken.iter().rposition(|t| usize::from(t.1) == *v),
                None => taken.len().checked_sub(1),
            };
            let id = at.and_then(|p| p.checked_sub(*offset)).map(|p| taken[p].0);
            value(id, *column)?
        }
        MatchRef::MatchRowtime => value(taken.last().map(|t| t.0), time)?,
        MatchRef::Aggregate { function, variable, column } => {
            let values = of(*variable).map(|id| match column {
                Some(c) => rows[&id].values[*c].clone(),
                None => ScalarValue::Boolean(Some(true)),
            });
            let values: Vec<ScalarValue> = values.filter(|v| !v.is_null()).collect();
            match function {
                MatchAggregate::Count => ScalarValue::Int64(Some(values.len() as i64)),
                _ if values.is_empty() => ScalarValue::try_from(data_type)?,
                MatchAggregate::Min => values.into_iter().reduce(|a, b| if b < a { b } else { a }).expect("not empty"),
                MatchAggregate::Max => values.into_iter().reduce(|a, b| if b > a { b } else { a }).expect("not empty"),
                MatchAggregate::Sum | MatchAggregate::Avg => {
                    let n = values.len();
                    let mut sum = values[0].clone();
                    for v in &values[1..] {
                        sum = sum.add(v)?;
                    }
                    if *function == MatchAggregate::Sum {
                        sum
                    } else {
                        sum.div(ScalarValue::Int64(Some(n as i64)).cast_to(&sum.data_type())?)?
                    }
                }
            }
        }
    })
}

impl Operator for MatchRecognizeOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep_with_watermark(state, &mut self.watermark);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        let Some(state) = self.restore.take() else { return Ok(()) };
        for batch in keyed_state::read_keyed(&state, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let times = keyed_state::i64_column(&batch, "time")?;
            let rows = keyed_state::bytes_of(&batch, "row")?;
            for i in 0..batch.num_rows() {
                let held = (keys.value(i).into(), rows.value(i).into());
                self.held.entry(times.value(i)).or_default().push(held);
            }
        }
        for batch in keyed_state::read_keyed_as(&state, PARTITIONS, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let blobs = keyed_state::bytes_of(&batch, "state")?;
            for i in 0..batch.num_rows() {
                let partition = decode_partition(blobs.value(i), &self.rows)?;
                self.partitions.insert(keys.value(i).into(), partition);
            }
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let entries: Vec<(i64, &HeldRow)> =
            self.held.iter().flat_map(|(time, rows)| rows.iter().map(move |row| (*time, row))).collect();
        let held = if entries.is_empty() {
            Vec::new()
        } else {
            // Arrival order within a time is kept.
            let columns: Vec<(String, ArrayRef)> = vec![
                ("time".into(), Arc::new(Int64Array::from_iter_values(entries.iter().map(|e| e.0)))),
                ("row".into(), keyed_state::bytes_column(entries.iter().map(|e| &*e.1 .1))),
            ];
            vec![keyed_state::state_batch(entries.iter().map(|e| &*e.1 .0), columns)?]
        };
        keyed_state::write_keyed(state, &held)?;
        let blobs: Vec<(&[u8], Vec<u8>)> = self.partitions.iter().map(|(k, p)| (&**k, encode_partition(p))).collect();
        let partitions = if blobs.is_empty() {
            Vec::new()
        } else {
            let columns: Vec<(String, ArrayRef)> =
                vec![("state".into(), keyed_state::bytes_column(blobs.iter().map(|b| b.1.as_slice())))];
            vec![keyed_state::state_batch(blobs.iter().map(|b| b.0), columns)?]
        };
        keyed_state::write_keyed_as(state, PARTITIONS, &partitions)?;
        keyed_state::write_watermark(state, self.watermark);
        Ok(())
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, _out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            self.hold(&record.value.rows)?;
        }
        Ok(())
    }

    fn on_watermark(&mut self, watermark: Watermark, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        self.watermark = self.watermark.max(watermark.0);
        self.release(self.watermark, out)?;
        out.emit_watermark(watermark);
        Ok(())
    }

    fn finish(&mut self, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        self.release(i64::MAX, out)
    }
}

/// A partition's matching state as bytes: counters and ids little-endian, rows in the row
/// format with their lengths.
fn encode_partition(p: &Partition) -> Vec<u8> {
    let mut out = Vec::new();
    let u64s = |out: &mut Vec<u8>, v: u64| out.extend_from_slice(&v.to_le_bytes());
    let taken = |out: &mut Vec<u8>, t: &Taken| {
        u64s(out, t.len() as u64);
        for (id, v) in t {
            u64s(out, *id);
            u64s(out, u64::from(*v));
        }
    };
    u64s(&mut out, p.next_id);
    u64s(&mut out, p.rows.len() as u64);
    for (id, row) in &p.rows {
        u64s(&mut out, *id);
        u64s(&mut out, row.time as u64);
        u64s(&mut out, row.encoded.len() as u64);
        out.extend_from_slice(&row.encoded);
    }
    u64s(&mut out, p.partials.len() as u64);
    for partial in &p.partials {
        u64s(&mut out, partial.start);
        u64s(&mut out, partial.start_time as u64);
        u64s(&mut out, partial.element as u64);
        u64s(&mut out, u64::from(partial.count));
        taken(&mut out, &partial.taken);
    }
    u64s(&mut out, p.waiting.len() as u64);
    for m in &p.waiting {
        taken(&mut out, m);
    }
    out
}

fn decode_partition(bytes: &[u8], converter: &RowConverter) -> Result<Partition, BoxError> {
    struct Reader<'b>(&'b [u8]);
    impl<'b> Reader<'b> {
        fn bytes(&mut self, n: usize) -> Result<&'b [u8], BoxError> {
            if self.0.len() < n {
                return Err("truncated MATCH_RECOGNIZE state in the checkpoint".into());
            }
            let (head, rest) = self.0.split_at(n);
            self.0 = rest;
            Ok(head)
        }
        fn u64(&mut self) -> Result<u64, BoxError> {
            Ok(u64::from_le_bytes(self.bytes(8)?.try_into().expect("8 bytes")))
        }
        fn taken(&mut self) -> Result<Taken, BoxError> {
            (0..self.u64()?).map(|_| Ok((self.u64()?, self.u64()? as u16))).collect()
        }
    }
    let mut r = Reader(bytes);
    let next_id = r.u64()?;
    let mut ids = Vec::new();
    let mut encoded: Vec<Box<[u8]>> = Vec::new();
    for _ in 0..r.u64()? {
        let id = r.u64()?;
        let time = r.u64()? as i64;
        let len = r.u64()? as usize;
        ids.push((id, time));
        encoded.push(r.bytes(len)?.into());
    }
    let mut rows = BTreeMap::new();
    if !encoded.is_empty() {
        let parser = converter.parser();
        let columns = converter.convert_rows(encoded.iter().map(|e| parser.parse(e)))?;
        for (i, ((id, time), encoded)) in ids.into_iter().zip(encoded).enumerate() {
            let values = columns.iter().map(|c| ScalarValue::try_from_array(c, i)).collect::<Result<Vec<_>, _>>()?;
            rows.insert(id, MatchRow { time, encoded, values });
        }
    }
    let mut partials = Vec::new();
    for _ in 0..r.u64()? {
        let start = r.u64()?;
        let start_time = r.u64()? as i64;
        let element = r.u64()? as usize;
        let count = r.u64()? as u32;
        partials.push(Partial { start, start_time, element, count, taken: r.taken()? });
    }
    let waiting = (0..r.u64()?).map(|_| r.taken()).collect::<Result<Vec<_>, _>>()?;
    Ok(Partition { next_id, rows, partials, waiting })
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::{Field, Schema, TimeUnit};
    use datafusion_expr::Operator as BinaryOp;
    use datafusion_physical_expr::expressions::{lit, BinaryExpr, Column};
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

    /// A measure or condition reading one placeholder, `__mr0 <op> literal` or `__mr0`.
    fn call(r: MatchRef, data_type: DataType, compare: Option<(BinaryOp, i64)>) -> MatchCall {
        let schema = Arc::new(Schema::new(vec![Field::new("__mr0", data_type, true)]));
        let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new("__mr0", 0));
        let expr = match compare {
            Some((op, value)) => Arc::new(BinaryExpr::new(column, op, lit(value))) as Arc<dyn PhysicalExpr>,
            None => column,
        };
        MatchCall { expr, schema, refs: vec![r] }
    }

    /// `PARTITION BY k ORDER BY t MEASURES A.v, COUNT(B.v), C.v PATTERN (A B+? C)
    /// DEFINE A AS A.v < 10, C AS C.v > 100`, skipping as `skip`.
    fn operator(skip: SkipStrategy) -> MatchRecognizeOperator {
        let (a, b, c) = (0, 1, 2);
        let input = input();
        let element = |variable, min, max, greedy| PatternElement { variable, min, max, greedy };
        let last = |variable| MatchRef::Last { variable: Some(variable), column: 2, offset: 0 };
        let output = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("a", DataType::Int64, true),
            Field::new("nb", DataType::Int64, true),
            Field::new("c", DataType::Int64, true),
        ]));
        let spec = MatchSpec {
            time: 1,
            pattern: vec![element(a, 1, Some(1), true), element(b, 1, None, false), element(c, 1, Some(1), true)],
            defines: vec![
                Some(call(last(a), DataType::Int64, Some((BinaryOp::Lt, 10)))),
                None,
                Some(call(last(c), DataType::Int64, Some((BinaryOp::Gt, 100)))),
            ],
            measures: vec![
                call(last(a), DataType::Int64, None),
                call(
                    MatchRef::Aggregate { function: MatchAggregate::Count, variable: Some(b), column: Some(2) },
                    DataType::Int64,
                    None,
                ),
                call(last(c), DataType::Int64, None),
            ],
            partition_by: vec![0],
            skip,
            within: None,
            input: input.clone(),
            output,
        };
        MatchRecognizeOperator::new(Arc::new(spec), KeyEncoder::new(columns(&input, &[0]), &input).unwrap()).unwrap()
    }

    fn batch(values: &[(i64, i64, i64)]) -> Changes {
        let owned: Vec<[i64; 3]> = values.iter().map(|&(k, t, v)| [k, t, v]).collect();
        rows(&input(), &owned.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>())
    }

    #[test]
    fn matches_follow_the_skip_strategy() {
        let clock = ManualClock::new(0);
        // From 1: B 5, 50, C 200; from 5: B 50, C 200 (discarded past the first's last row).
        let rows = [(1, 1, 1), (1, 2, 5), (1, 3, 50), (1, 4, 200), (1, 5, 300)];
        let mut past = Harness::new(operator(SkipStrategy::PastLastRow), &clock);
        past.feed(batch(&rows));
        assert_eq!(past.watermark(10), ["+I[1, 1, 2, 200]"]);
        let mut next = Harness::new(operator(SkipStrategy::ToNextRow), &clock);
        next.feed(batch(&rows));
        assert_eq!(next.watermark(10), ["+I[1, 1, 2, 200]", "+I[1, 5, 1, 200]"]);
    }

    #[test]
    fn partial_matches_survive_a_restore_at_parallelism_one_and_two() {
        let clock = ManualClock::new(0);
        let mut reference = Harness::new(operator(SkipStrategy::ToNextRow), &clock);
        // Keys 1 and 2 mid-pattern at the checkpoint; a row of key 3 still held.
        reference.feed(batch(&[(1, 1, 1), (1, 2, 7), (2, 1, 3), (2, 3, 4), (3, 20, 1)]));
        assert!(reference.watermark(5).is_empty());
        let snapshot = reference.snapshot();
        let next = batch(&[(1, 6, 300), (2, 7, 40), (2, 8, 500), (3, 21, 2), (3, 22, 900)]);
        let mut expected = reference.feed(next.clone());
        expected.extend(reference.watermark(30));
        let expected = sorted(expected);
        // Key 1: from 1 (B 7, C 300); from 7 B takes 300 and waits for a C that never comes.
        // Key 2: from 3 (B 4, 40) and from 4 (B 40), both ending at 500.
        assert_eq!(expected, ["+I[1, 1, 1, 300]", "+I[2, 3, 2, 500]", "+I[2, 4, 1, 500]", "+I[3, 1, 1, 900]"]);
        for parallelism in [1, 2] {
            let mut restored = restore_all(|| operator(SkipStrategy::ToNextRow), &clock, &snapshot, parallelism);
            let mut got = feed_keyed(&mut restored, &[0], next.clone());
            for h in &mut restored {
                got.extend(h.watermark(30));
            }
            assert_eq!(sorted(got), expected, "at parallelism {parallelism}");
        }
    }
}
