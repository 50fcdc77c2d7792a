//! Unbounded group aggregation (`GROUP BY k` without windows): an updating result. Each
//! group's accumulators take the input's inserts and retractions; a changed result is sent
//! as `-U` old, `+U` new (`+I` for a new group, `-D` when its last row is retracted), as
//! Flink's `GroupAggFunction` does.
//!
//! With `table.exec.state.ttl`, a group not updated for that long (processing time) is
//! forgotten: its next row starts a new group (`+I`), a retraction for it is ignored, and
//! nothing is emitted when it expires — Flink's state TTL with `NeverReturnExpired`.
//!
//! Checkpoints hold, per group, its key, row count, last update, last emitted result and
//! the accumulators' states ([`super::keyed_state`]); a restored accumulator is a fresh one
//! merged with its state, which [`AggCall::check_restorable`] vouches is exact.
//!
//! Over an insert-only input whose calls are all COUNT, SUM, MIN, MAX or AVG of numbers,
//! the groups keep [`Slot`]s instead of accumulators ([`super::native_agg`]): the same
//! results and checkpoint state, without a per-group `take`, virtual call and scalar.

use std::collections::HashMap;

use arrow::array::{Array, ArrayRef, UInt32Array};
use arrow::datatypes::SchemaRef;
use datafusion_common::ScalarValue;
use datafusion_expr::Accumulator;
use weir_core::StreamRecord;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::aggregate::AggCall;
use super::batch::{cast_to, Changes};
use super::exchange::KeyEncoder;
use super::keyed_state::{self, PendingRestore};
use super::native_agg::{self, NativeInput, NativeKind, NativeValue, Slot};
use crate::changelog::RowKind;
use crate::stream::KeyMap;

/// Consecutive rows of one key that all accumulate (`true`) or all retract.
type Run = (bool, Vec<u32>);

struct Group {
    /// The calls' accumulators (none when the operator computes them in `slots`).
    accumulators: Vec<Box<dyn Accumulator>>,
    /// The calls' states when computed in place ([`GroupAggOperator::native`]).
    slots: Box<[Slot]>,
    /// The last input batch (of [`GroupAggOperator::batches`]) that touched the group.
    batch: u64,
    rows: i64,
    emitted: Option<Vec<ScalarValue>>,
    /// Processing time (epoch ms) of the last change, for the state TTL.
    updated: i64,
}

/// Aggregates rows per key into an updating result.
pub struct GroupAggOperator {
    keys: KeyEncoder,
    calls: Vec<AggCall>,
    retracting: bool,
    schema: SchemaRef,
    groups: KeyMap<Group>,
    /// `table.exec.state.ttl` in milliseconds.
    ttl_ms: Option<i64>,
    /// When expired groups are next swept out.
    next_sweep: i64,
    restore: PendingRestore,
    /// The calls' kinds when all are computed in place ([`super::native_agg`]).
    native: Option<Vec<NativeKind>>,
    /// Input batches seen (marks the groups a batch touched).
    batches: u64,
    /// Whether each input row's change is emitted on its own (not folded per batch).
    per_row: bool,
}

impl GroupAggOperator {
    /// Aggregation by `keys`; the output is the key columns then one per call, as `schema`.
    /// `retracting`: the input is a changelog with retractions.
    pub fn new(keys: KeyEncoder, calls: Vec<AggCall>, retracting: bool, schema: SchemaRef) -> Self {
        GroupAggOperator {
            keys,
            calls,
            retracting,
            schema,
            groups: KeyMap::default(),
            ttl_ms: None,
            next_sweep: i64::MIN,
            restore: PendingRestore::default(),
            native: None,
            batches: 0,
            per_row: false,
        }
    }

    /// Emits the change of each input row on its own, as Flink does without mini-batches: a
    /// key's result after every row (`-U` old, `+U` new), not once per batch. An aggregate
    /// downstream whose result depends on the order of its input (FIRST_VALUE, LAST_VALUE,
    /// LISTAGG…) then sees the changes Flink's sees. Folding (the default) gives the same
    /// final results with fewer changes.
    pub fn with_changes_per_row(mut self, per_row: bool) -> Self {
        self.per_row = per_row;
        if per_row {
            self.native = None;
        }
        self
    }

    /// Computes the calls in place when the input (of `input`'s columns) is insert-only
    /// and every call is one [`NativeKind`] covers; otherwise keeps DataFusion's
    /// accumulators.
    pub fn computed_in_place(mut self, input: &arrow::datatypes::Schema) -> Self {
        self.native = if self.retracting || self.per_row { None } else { NativeKind::of_all(&self.calls, input) };
        self
    }

    /// A new group.
    fn group(&self, now: i64) -> Result<Group, BoxError> {
        let (accumulators, slots) = match &self.native {
            Some(kinds) => (Vec::new(), vec![Slot::default(); kinds.len()].into_boxed_slice()),
            None => {
                (self.calls.iter().map(|c| c.accumulator(self.retracting)).collect::<Result<_, _>>()?, Box::default())
            }
        };
        Ok(Group { accumulators, slots, batch: 0, rows: 0, emitted: None, updated: now })
    }

    /// Forgets a group not updated for `ttl_ms` of processing time (`None`: never).
    pub fn with_state_ttl(mut self, ttl_ms: Option<i64>) -> Self {
        self.ttl_ms = ttl_ms.filter(|t| *t > 0);
        self
    }

    fn expired(&self, group: &Group, now: i64) -> bool {
        self.ttl_ms.is_some_and(|ttl| group.updated.saturating_add(ttl) <= now)
    }

    /// Drops every expired group, at most once per half TTL (the lookups already ignore
    /// them; this only frees their memory).
    fn sweep(&mut self, now: i64) {
        let Some(ttl) = self.ttl_ms else { return };
        if now < self.next_sweep {
            return;
        }
        self.groups.retain(|_, g| g.updated.saturating_add(ttl) > now);
        self.next_sweep = now.saturating_add((ttl / 2).max(1));
    }

    /// One insert-only batch into the groups' slots: each row updates its group's slots in
    /// place; then each group the batch touched, in the order first seen, emits its new
    /// result (`+I`, or `-U` old / `+U` new when it changed) — what the accumulator path
    /// emits.
    fn process_in_place(&mut self, changes: &Changes, now: i64) -> Result<Option<Changes>, BoxError> {
        let kinds = self.native.as_ref().expect("called for slots only");
        if (0..changes.len()).any(|i| !changes.kind(i).is_accumulate()) {
            return Err("a retraction reached a group aggregation planned for an insert-only input".into());
        }
        let batch = &changes.rows;
        let keys = self.keys.encode(batch)?;
        let inputs = kinds
            .iter()
            .zip(&self.calls)
            .map(|(kind, call)| NativeInput::new(*kind, call, batch))
            .collect::<Result<Vec<_>, _>>()?;
        self.batches += 1;
        let this = self.batches;
        let calls = kinds.len();
        // Per group touched: its first row, whether it had a result, and that result.
        let mut touched: Vec<(u32, bool)> = Vec::new();
        let mut old: Vec<NativeValue> = Vec::new();
        for i in 0..batch.num_rows() {
            let key = keys.row(i).data();
            let group = match self.groups.get_mut(key) {
                Some(g) => g,
                None => {
                    let g = self.group(now)?;
                    self.groups.entry(key.into()).or_insert(g)
                }
            };
            if group.batch != this {
                group.batch = this;
                if self.ttl_ms.is_some_and(|ttl| group.updated.saturating_add(ttl) <= now) {
                    // Forgotten: starts afresh.
                    group.slots.iter_mut().for_each(|s| *s = Slot::default());
                    group.rows = 0;
                    group.emitted = None;
                }
                group.updated = now;
                let had = group.emitted.is_some();
                touched.push((i as u32, had));
                if had {
                    old.extend(kinds.iter().zip(group.slots.iter()).map(|(k, s)| s.value(*k)));
                }
                group.emitted = Some(Vec::new());
            }
            group.rows += 1;
            for (input, slot) in inputs.iter().zip(group.slots.iter_mut()) {
                input.update(slot, i);
            }
        }
        // The changes: key row and values (`calls` per change), in emission order.
        let mut out_keys: Vec<u32> = Vec::with_capacity(touched.len() * 2);
        let mut out_kinds = Vec::with_capacity(touched.len() * 2);
        let mut out_values: Vec<NativeValue> = Vec::with_capacity(touched.len() * 2 * calls);
        // Where the next old result starts in `old` (`calls` values each; none without calls).
        let mut next_old = 0;
        let mut new: Vec<NativeValue> = Vec::with_capacity(calls);
        for (first_row, had) in touched {
            let group = self.groups.get(keys.row(first_row as usize).data()).expect("touched in this batch");
            new.clear();
            new.extend(kinds.iter().zip(group.slots.iter()).map(|(k, s)| s.value(*k)));
            if !had {
                out_keys.push(first_row);
                out_kinds.push(RowKind::Insert);
                out_values.extend_from_slice(&new);
                continue;
            }
            let before = &old[next_old..next_old + calls];
            next_old += calls;
            if before != new.as_slice() {
                out_keys.extend([first_row, first_row]);
                out_kinds.extend([RowKind::UpdateBefore, RowKind::UpdateAfter]);
                out_values.extend_from_slice(before);
                out_values.extend_from_slice(&new);
            }
        }
        if out_keys.is_empty() {
            return Ok(None);
        }
        let value_columns = kinds
            .iter()
            .enumerate()
            .map(|(c, kind)| native_agg::column_of(*kind, out_values.iter().skip(c).step_by(calls).copied()))
            .collect();
        self.output(&keys, &out_keys, value_columns, out_kinds).map(Some)
    }

    /// The output rows: the keys of `rows` of `keys`, then `values` (one column per call).
    fn output(
        &self,
        keys: &arrow::row::Rows,
        rows: &[u32],
        values: Vec<ArrayRef>,
        kinds: Vec<RowKind>,
    ) -> Result<Changes, BoxError> {
        let mut key_columns = self.keys.converter().convert_rows(rows.iter().map(|&i| keys.row(i as usize)))?;
        // Without GROUP BY the encoder's one constant column is not part of the output.
        let nkeys = self.schema.fields().len() - self.calls.len();
        key_columns.truncate(nkeys);
        let mut columns = Vec::with_capacity(self.schema.fields().len());
        for (i, c) in key_columns.into_iter().chain(values).enumerate() {
            columns.push(cast_to(c, self.schema.field(i).data_type())?);
        }
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(kinds.len()));
        let rows = arrow::array::RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        Ok(Changes::with_kinds(rows, kinds))
    }

    fn restore_groups(&mut self, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        for batch in keyed_state::read_keyed(state, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let rows = keyed_state::i64_column(&batch, "rows")?;
            let updated = keyed_state::i64_column(&batch, "updated")?;
            let mut states = Vec::with_capacity(self.calls.len());
            let mut emitted = Vec::with_capacity(self.calls.len());
            for c in 0..self.calls.len() {
                // As many state columns as the accumulator's `state()` gave (a sliding
                // accumulator's differ from the function's declared state fields).
                let cols: Vec<ArrayRef> =
                    (0..).map_while(|j| batch.column_by_name(&format!("acc{c}_{j}")).cloned()).collect();
                states.push(cols);
                emitted.push(keyed_state::column(&batch, &format!("out{c}"))?.clone());
            }
            for i in 0..batch.num_rows() {
                let mut group = self.group(updated.value(i))?;
                group.rows = rows.value(i);
                if let Some(kinds) = &self.native {
                    for (c, kind) in kinds.iter().enumerate() {
                        group.slots[c] = Slot::from_state(*kind, &states[c], i)?;
                    }
                    // The output is the slots' value: nothing else to keep.
                    group.emitted = Some(Vec::new());
                } else {
                    let mut values = Vec::with_capacity(self.calls.len());
                    for (c, acc) in group.accumulators.iter_mut().enumerate() {
                        acc.merge_batch(&keyed_state::row_slices(&states[c], i))?;
                        values.push(ScalarValue::try_from_array(&emitted[c], i)?);
                    }
                    group.emitted = Some(values);
                }
                self.groups.insert(keys.value(i).into(), group);
            }
        }
        Ok(())
    }
}

impl Operator for GroupAggOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep(state);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        match self.restore.take() {
            Some(state) => self.restore_groups(&state, subtask),
            None => Ok(()),
        }
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        // Per group: key, rows, updated, each call's accumulator state and emitted value.
        type Entry<'k> = (&'k [u8], i64, i64, Vec<Vec<ScalarValue>>, Vec<ScalarValue>);
        let mut entries: Vec<Entry> = Vec::with_capacity(self.groups.len());
        for (key, group) in self.groups.iter_mut() {
            let (states, emitted) = match &self.native {
                Some(kinds) => (
                    kinds.iter().zip(group.slots.iter()).map(|(k, s)| s.state(*k)).collect(),
                    kinds.iter().zip(group.slots.iter()).map(|(k, s)| s.scalar(*k)).collect(),
                ),
                None => (
                    group.accumulators.iter_mut().map(|acc| acc.state()).collect::<Result<Vec<_>, _>>()?,
                    group.emitted.clone().expect("a kept group has emitted its result"),
                ),
            };
            entries.push((key.as_ref(), group.rows, group.updated, states, emitted));
        }
        let calls = self.calls.len();
        let batches = keyed_state::batches_of(
            &entries,
            |(key, _, _, states, outs)| {
                key.len()
                    + states.iter().flatten().map(ScalarValue::size).sum::<usize>()
                    + outs.iter().map(ScalarValue::size).sum::<usize>()
            },
            |run| {
                let mut columns: Vec<(String, ArrayRef)> = vec![
                    (
                        "rows".into(),
                        std::sync::Arc::new(arrow::array::Int64Array::from_iter_values(run.iter().map(|e| e.1))),
                    ),
                    (
                        "updated".into(),
                        std::sync::Arc::new(arrow::array::Int64Array::from_iter_values(run.iter().map(|e| e.2))),
                    ),
                ];
                for c in 0..calls {
                    for j in 0..run[0].3[c].len() {
                        let column = keyed_state::scalar_column(run.iter().map(|e| e.3[c][j].clone()))?
                            .expect("a run has entries");
                        columns.push((format!("acc{c}_{j}"), column));
                    }
                    let column =
                        keyed_state::scalar_column(run.iter().map(|e| e.4[c].clone()))?.expect("a run has entries");
                    columns.push((format!("out{c}"), column));
                }
                keyed_state::state_batch(run.iter().map(|e| e.0), columns)
            },
        )?;
        keyed_state::write_keyed(state, &batches)
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        let now = if self.ttl_ms.is_some() { out.now_ms() } else { 0 };
        self.sweep(now);
        for record in batch.drain(..) {
            let changes = record.value;
            if self.native.is_some() {
                if let Some(rows) = self.process_in_place(&changes, now)? {
                    out.emit(StreamRecord { value: rows, timestamp: record.timestamp });
                }
                continue;
            }
            let batch = &changes.rows;
            let keys = self.keys.encode(batch)?;
            let arguments = self.calls.iter().map(|c| c.arguments(batch)).collect::<Result<Vec<_>, _>>()?;
            let filters = self.calls.iter().map(|c| c.filter_mask(batch)).collect::<Result<Vec<_>, _>>()?;
            // Rows by key in first-seen order, cut into runs of accumulating or retracting
            // rows; keys are borrowed from the batch's encoded keys.
            let mut slot: HashMap<&[u8], usize> = HashMap::new();
            let mut by_key: Vec<(&[u8], Vec<Run>)> = Vec::new();
            for i in 0..batch.num_rows() {
                let key = keys.row(i).data();
                let accumulate = changes.kind(i).is_accumulate();
                if self.per_row {
                    // Each row on its own: its key's change follows it at once.
                    by_key.push((key, vec![(accumulate, vec![i as u32])]));
                    continue;
                }
                let s = *slot.entry(key).or_insert_with(|| {
                    by_key.push((key, Vec::new()));
                    by_key.len() - 1
                });
                let key_runs = &mut by_key[s].1;
                match key_runs.last_mut() {
                    Some((a, rows)) if *a == accumulate => rows.push(i as u32),
                    _ => key_runs.push((accumulate, vec![i as u32])),
                }
            }
            let mut out_keys: Vec<u32> = Vec::new();
            let mut out_kinds = Vec::new();
            let mut out_values: Vec<Vec<ScalarValue>> = Vec::new();
            for (key, key_runs) in by_key {
                let first_row = key_runs[0].1[0];
                if self.groups.get(key).is_some_and(|g| self.expired(g, now)) {
                    self.groups.remove(key);
                }
                if !self.groups.contains_key(key) {
                    // Retractions of a group never seen (or forgotten) take nothing back.
                    if key_runs.iter().all(|(accumulate, _)| !accumulate) {
                        continue;
                    }
                    let group = self.group(now)?;
                    self.groups.insert(key.into(), group);
                }
                let group = self.groups.get_mut(key).expect("present");
                group.updated = now;
                // Row by row as Flink: a retraction finds the group's rows or nothing (once
                // they are all retracted the group is empty, and an accumulation after that
                // starts it afresh).
                let mut emptied = false;
                for (accumulate, mut rows) in key_runs {
                    if accumulate && emptied {
                        group.accumulators =
                            self.calls.iter().map(|c| c.accumulator(self.retracting)).collect::<Result<_, _>>()?;
                        emptied = false;
                    }
                    if !accumulate {
                        let live = usize::try_from(group.rows).unwrap_or(0);
                        if live == 0 {
                            continue;
                        }
                        rows.truncate(live);
                        emptied = rows.len() == live;
                    }
                    let idx = UInt32Array::from(rows);
                    for (c, acc) in group.accumulators.iter_mut().enumerate() {
                        let mut values: Vec<ArrayRef> = arguments[c]
                            .iter()
                            .map(|a| arrow::compute::take(a, &idx, None))
                            .collect::<Result<_, _>>()?;
                        if let Some(mask) = &filters[c] {
                            let m = arrow::compute::take(mask, &idx, None)?;
                            let m = m.as_any().downcast_ref::<arrow::array::BooleanArray>().ok_or("filter")?;
                            values = values.iter().map(|v| arrow::compute::filter(v, m)).collect::<Result<_, _>>()?;
                        }
                        if accumulate {
                            acc.update_batch(&values)?;
                        } else {
                            acc.retract_batch(&values)?;
                        }
                    }
                    group.rows += if accumulate { idx.len() as i64 } else { -(idx.len() as i64) };
                }
                if group.rows <= 0 {
                    if let Some(old) = group.emitted.take() {
                        out_keys.push(first_row);
                        out_kinds.push(RowKind::Delete);
                        out_values.push(old);
                    }
                    self.groups.remove(key);
                    continue;
                }
                let values = group.accumulators.iter_mut().map(|a| a.evaluate()).collect::<Result<Vec<_>, _>>()?;
                match group.emitted.replace(values.clone()) {
                    None => {
                        out_keys.push(first_row);
                        out_kinds.push(RowKind::Insert);
                        out_values.push(values);
                    }
                    Some(old) if old != values => {
                        out_keys.extend([first_row, first_row]);
                        out_kinds.extend([RowKind::UpdateBefore, RowKind::UpdateAfter]);
                        out_values.push(old);
                        out_values.push(values);
                    }
                    Some(_) => {}
                }
            }
            if out_keys.is_empty() {
                continue;
            }
            let values = (0..self.calls.len())
                .map(|c| ScalarValue::iter_to_array(out_values.iter().map(|v| v[c].clone())))
                .collect::<Result<Vec<_>, _>>()?;
            let value = self.output(&keys, &out_keys, values, out_kinds)?;
            out.emit(StreamRecord { value, timestamp: record.timestamp });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion_physical_expr::aggregate::AggregateExprBuilder;
    use weir_runtime::ManualClock;

    use super::*;
    use crate::changelog::RowKind::{Insert as I, UpdateAfter as UA, UpdateBefore as UB};
    use crate::stream::operator_harness::{bigints, columns, feed_keyed, restore_all, rows, sorted, Harness};

    /// `SELECT k, SUM(v), COUNT(v), LISTAGG(…) … GROUP BY k` over (k, v).
    fn operator(retracting: bool, ttl_ms: Option<i64>) -> GroupAggOperator {
        let input = bigints(&["k", "v"]);
        let v = columns(&input, &[1]);
        let call = |f, name: &str| AggCall {
            function: Arc::new(
                AggregateExprBuilder::new(f, v.clone()).schema(input.clone()).alias(name).build().unwrap(),
            ),
            filter: None,
            plain: None,
        };
        let calls = vec![
            call(datafusion_functions_aggregate::sum::sum_udaf(), "s"),
            call(datafusion_functions_aggregate::count::count_udaf(), "c"),
        ];
        let out = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("s", DataType::Int64, true),
            Field::new("c", DataType::Int64, true),
        ]));
        let keys = KeyEncoder::new(columns(&input, &[0]), &input).unwrap();
        GroupAggOperator::new(keys, calls, retracting, out).with_state_ttl(ttl_ms)
    }

    fn batches() -> Vec<Changes> {
        let s = bigints(&["k", "v"]);
        let owned: Vec<[i64; 2]> = (0..40).map(|i| [i % 9, i]).collect();
        let first_rows: Vec<(RowKind, &[i64])> = owned.iter().map(|r| (I, r.as_slice())).collect();
        let second = [(UB, [3i64, 3]), (UA, [3, 100]), (I, [9, 5]), (UB, [4, 4]), (I, [4, 7]), (UA, [4, 8])];
        let second_rows: Vec<(RowKind, &[i64])> = second.iter().map(|(k, r)| (*k, r.as_slice())).collect();
        let third: Vec<[i64; 2]> = (0..30).map(|i| [i % 13, 2 * i]).collect();
        let third_rows: Vec<(RowKind, &[i64])> = third.iter().map(|r| (I, r.as_slice())).collect();
        vec![rows(&s, &first_rows), rows(&s, &second_rows), rows(&s, &third_rows)]
    }

    #[test]
    fn restored_at_other_parallelisms_continues_as_if_never_stopped() {
        let clock = ManualClock::new(0);
        let input = batches();
        let mut reference = Harness::new(operator(true, None), &clock);
        reference.feed(input[0].clone());
        // State batches of at most 32 bytes: the groups are written in several.
        let snapshot = crate::stream::keyed_state::with_batch_limit(32, || reference.snapshot());
        assert!(crate::stream::keyed_state::tests::batches_in(&snapshot, crate::stream::keyed_state::KEYED_ROWS) > 1);
        let expected: Vec<Vec<String>> = input[1..].iter().map(|b| sorted(reference.feed(b.clone()))).collect();
        assert!(expected[0].iter().any(|l| l.starts_with("-U[3")), "{expected:?}");
        for parallelism in [1, 2, 3] {
            let mut restored = restore_all(|| operator(true, None), &clock, &snapshot, parallelism);
            for (b, want) in input[1..].iter().zip(&expected) {
                let got = sorted(feed_keyed(&mut restored, &[0], b.clone()));
                assert_eq!(&got, want, "at parallelism {parallelism}");
            }
            // Each key's state is on exactly one subtask.
            let groups: usize = restored.iter().map(|h| h.op.groups.len()).sum();
            assert_eq!(groups, reference.op.groups.len());
        }
    }

    #[test]
    fn a_group_not_updated_for_the_ttl_is_forgotten() {
        let clock = ManualClock::new(1_000);
        let s = bigints(&["k", "v"]);
        let mut h = Harness::new(operator(true, Some(1_000)), &clock);
        assert_eq!(h.feed(rows(&s, &[(I, &[1, 10]), (I, &[2, 20])])), ["+I[1, 10, 1]", "+I[2, 20, 1]"]);
        clock.advance(600);
        assert_eq!(h.feed(rows(&s, &[(I, &[1, 5])])), ["-U[1, 10, 1]", "+U[1, 15, 2]"]);
        // Key 2 was last written at 1000: at 2000 it has expired; key 1 (1600) has not.
        clock.set(2_000);
        let snapshot = h.snapshot();
        assert_eq!(h.feed(rows(&s, &[(I, &[2, 1]), (I, &[1, 1])])), ["+I[2, 1, 1]", "-U[1, 15, 2]", "+U[1, 16, 3]"]);
        // A retraction of an expired group is ignored.
        clock.set(5_000);
        assert!(h.feed(rows(&s, &[(UB, &[1, 1])])).is_empty());
        assert!(h.op.groups.is_empty(), "expired groups are swept out");
        // Restored state keeps its last-update times, so it expires on schedule.
        let clock = ManualClock::new(2_000);
        let mut restored = restore_all(|| operator(true, Some(1_000)), &clock, &snapshot, 2);
        let got = sorted(feed_keyed(&mut restored, &[0], rows(&s, &[(I, &[2, 1]), (I, &[1, 1])])));
        assert_eq!(got, sorted(vec!["+I[2, 1, 1]".into(), "-U[1, 15, 2]".into(), "+U[1, 16, 3]".into()]));
    }

    #[test]
    fn changes_per_row_emit_each_rows_change_as_flink_does_without_mini_batches() {
        let clock = ManualClock::new(0);
        let s = bigints(&["k", "v"]);
        let batch = rows(&s, &[(I, &[1, 10]), (I, &[2, 20]), (I, &[1, 5]), (UB, &[1, 10])]);
        let mut folded = Harness::new(operator(true, None), &clock);
        assert_eq!(folded.feed(batch.clone()), ["+I[1, 5, 1]", "+I[2, 20, 1]"]);
        let per_row = operator(true, None).with_changes_per_row(true).computed_in_place(&s);
        assert!(per_row.native.is_none(), "per row, nothing is folded in place");
        let mut per_row = Harness::new(per_row, &clock);
        assert_eq!(
            per_row.feed(batch),
            ["+I[1, 10, 1]", "+I[2, 20, 1]", "-U[1, 10, 1]", "+U[1, 15, 2]", "-U[1, 15, 2]", "+U[1, 5, 1]"]
        );
    }

    /// `operator(false, ttl)` with the calls computed in place.
    fn in_place(ttl_ms: Option<i64>) -> GroupAggOperator {
        let op = operator(false, ttl_ms).computed_in_place(&bigints(&["k", "v"]));
        assert!(op.native.is_some(), "SUM and COUNT of BIGINT are computed in place");
        op
    }

    #[test]
    fn slots_emit_what_the_accumulators_emit_and_checkpoints_cross_over() {
        let clock = ManualClock::new(0);
        let s = bigints(&["k", "v"]);
        let inserts = |owned: &[[i64; 2]]| rows(&s, &owned.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>());
        let first: Vec<[i64; 2]> = (0..40).map(|i| [i % 9, i]).collect();
        // Key 2 gets a 0 (its sum stays, its count grows); key 20 is new.
        let second = inserts(&[[2, 0], [20, 5], [3, 1], [20, 6], [3, -1]]);
        let third: Vec<[i64; 2]> = (0..30).map(|i| [i % 13, 2 * i]).collect();
        let mut accumulators = Harness::new(operator(false, None), &clock);
        let mut slots = Harness::new(in_place(None), &clock);
        for b in [inserts(&first), second.clone()] {
            assert_eq!(slots.feed(b.clone()), accumulators.feed(b));
        }
        assert!(slots.feed(second.clone()).iter().any(|l| l.starts_with("-U[20, 11, 2]")));
        accumulators.feed(second);
        let from_slots = slots.snapshot();
        let from_accumulators = accumulators.snapshot();
        let expected = accumulators.feed(inserts(&third));
        assert_eq!(slots.feed(inserts(&third)), expected);
        // Either checkpoint restores into either kind of operator.
        for snapshot in [&from_slots, &from_accumulators] {
            for p in [1, 3] {
                let mut a = restore_all(|| operator(false, None), &clock, snapshot, p);
                let mut b = restore_all(|| in_place(None), &clock, snapshot, p);
                let want = sorted(expected.clone());
                assert_eq!(sorted(feed_keyed(&mut a, &[0], inserts(&third))), want, "accumulators p{p}");
                assert_eq!(sorted(feed_keyed(&mut b, &[0], inserts(&third))), want, "slots p{p}");
            }
        }
    }

    /// `SELECT DISTINCT k` (a grouping without calls) emits each key once, in place too.
    #[test]
    fn a_grouping_without_calls_emits_each_key_once() {
        let clock = ManualClock::new(0);
        let input = bigints(&["k", "v"]);
        let make = || {
            let keys = KeyEncoder::new(columns(&input, &[0]), &input).unwrap();
            GroupAggOperator::new(keys, Vec::new(), false, bigints(&["k"]))
        };
        let mut in_place = Harness::new(make().computed_in_place(&input), &clock);
        let mut accumulators = Harness::new(make(), &clock);
        assert!(in_place.op.native.is_some());
        for b in [[[1i64, 1], [2, 2], [1, 3]], [[2, 4], [3, 5], [3, 6]]] {
            let b = rows(&input, &b.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>());
            assert_eq!(in_place.feed(b.clone()), accumulators.feed(b));
        }
        assert_eq!(in_place.feed(rows(&input, &[(I, &[4, 0]), (I, &[1, 0])])), ["+I[4]"]);
    }

    #[test]
    fn slots_forget_a_group_after_the_ttl_and_refuse_retractions() {
        let clock = ManualClock::new(1_000);
        let s = bigints(&["k", "v"]);
        let mut h = Harness::new(in_place(Some(1_000)), &clock);
        assert_eq!(h.feed(rows(&s, &[(I, &[1, 10]), (I, &[2, 20])])), ["+I[1, 10, 1]", "+I[2, 20, 1]"]);
        clock.advance(600);
        assert_eq!(h.feed(rows(&s, &[(I, &[1, 5])])), ["-U[1, 10, 1]", "+U[1, 15, 2]"]);
        clock.set(2_000);
        assert_eq!(h.feed(rows(&s, &[(I, &[2, 1]), (I, &[1, 1])])), ["+I[2, 1, 1]", "-U[1, 15, 2]", "+U[1, 16, 3]"]);
        let mut batch = vec![StreamRecord::new(rows(&s, &[(UB, &[1, 1])]))];
        let mut out = Emitter::new(Vec::new(), std::sync::Arc::new(clock.clone()));
        let err = h.op.process(&mut batch, &mut out).unwrap_err();
        assert!(err.to_string().contains("insert-only"), "{err}");
    }

    #[test]
    fn retractions_find_the_rows_there_are_or_nothing() {
        let clock = ManualClock::new(0);
        let s = bigints(&["k", "v"]);
        let mut h = Harness::new(operator(true, None), &clock);
        // An update of a row never inserted (a CDC source joined late): the -U finds no
        // group and is ignored, the +U starts one.
        assert_eq!(h.feed(rows(&s, &[(UB, &[1, 10]), (UA, &[1, 11])])), ["+I[1, 11, 1]"]);
        // More retractions than rows: the group empties (one -D), the extra retraction is
        // ignored, and the insertion after it starts the group afresh.
        assert_eq!(h.feed(rows(&s, &[(UB, &[1, 11]), (UB, &[1, 7]), (I, &[1, 3])])), ["-U[1, 11, 1]", "+U[1, 3, 1]"]);
        assert_eq!(h.feed(rows(&s, &[(UB, &[1, 3]), (UB, &[1, 3])])), ["-D[1, 3, 1]"]);
    }
}
