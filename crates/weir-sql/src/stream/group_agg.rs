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
use crate::changelog::RowKind;

/// Consecutive rows of one key that all accumulate (`true`) or all retract.
type Run = (bool, Vec<u32>);

struct Group {
    accumulators: Vec<Box<dyn Accumulator>>,
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
    groups: HashMap<Box<[u8]>, Group>,
    /// `table.exec.state.ttl` in milliseconds.
    ttl_ms: Option<i64>,
    /// When expired groups are next swept out.
    next_sweep: i64,
    restore: PendingRestore,
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
            groups: HashMap::new(),
            ttl_ms: None,
            next_sweep: i64::MIN,
            restore: PendingRestore::default(),
        }
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
                let mut accumulators = Vec::with_capacity(self.calls.len());
                let mut values = Vec::with_capacity(self.calls.len());
                for (c, call) in self.calls.iter().enumerate() {
                    let mut acc = call.accumulator(self.retracting)?;
                    acc.merge_batch(&keyed_state::row_slices(&states[c], i))?;
                    accumulators.push(acc);
                    values.push(ScalarValue::try_from_array(&emitted[c], i)?);
                }
                let group =
                    Group { accumulators, rows: rows.value(i), emitted: Some(values), updated: updated.value(i) };
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
        let n = self.groups.len();
        let mut keys = Vec::with_capacity(n);
        let mut rows = Vec::with_capacity(n);
        let mut updated = Vec::with_capacity(n);
        let mut acc_states: Vec<Vec<Vec<ScalarValue>>> = vec![Vec::with_capacity(n); self.calls.len()];
        let mut outs: Vec<Vec<ScalarValue>> = vec![Vec::with_capacity(n); self.calls.len()];
        for (key, group) in self.groups.iter_mut() {
            keys.push(key.as_ref());
            rows.push(group.rows);
            updated.push(group.updated);
            let emitted = group.emitted.as_ref().expect("a kept group has emitted its result");
            for (c, acc) in group.accumulators.iter_mut().enumerate() {
                acc_states[c].push(acc.state()?);
                outs[c].push(emitted[c].clone());
            }
        }
        let mut columns: Vec<(String, ArrayRef)> = vec![
            ("rows".into(), std::sync::Arc::new(arrow::array::Int64Array::from(rows))),
            ("updated".into(), std::sync::Arc::new(arrow::array::Int64Array::from(updated))),
        ];
        if n > 0 {
            for (c, states) in acc_states.into_iter().enumerate() {
                let fields = states[0].len();
                for j in 0..fields {
                    let column =
                        keyed_state::scalar_column(states.iter().map(|s| s[j].clone()))?.expect("there are groups");
                    columns.push((format!("acc{c}_{j}"), column));
                }
                let column = keyed_state::scalar_column(outs[c].drain(..))?.expect("there are groups");
                columns.push((format!("out{c}"), column));
            }
        }
        let batches = if n > 0 { vec![keyed_state::state_batch(keys, columns)?] } else { Vec::new() };
        keyed_state::write_keyed(state, &batches)
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        let now = if self.ttl_ms.is_some() { out.now_ms() } else { 0 };
        self.sweep(now);
        for record in batch.drain(..) {
            let changes = record.value;
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
                    if !key_runs[0].0 {
                        // A retraction of a group never seen: nothing to take back.
                        if key_runs.len() == 1 {
                            continue;
                        }
                    }
                    let accumulators =
                        self.calls.iter().map(|c| c.accumulator(self.retracting)).collect::<Result<_, _>>()?;
                    self.groups.insert(key.into(), Group { accumulators, rows: 0, emitted: None, updated: now });
                }
                let group = self.groups.get_mut(key).expect("present");
                group.updated = now;
                for (accumulate, rows) in key_runs {
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
            let mut key_columns = self.keys.converter().convert_rows(out_keys.iter().map(|&i| keys.row(i as usize)))?;
            // Without GROUP BY the encoder's one constant column is not part of the output.
            let nkeys = self.schema.fields().len() - self.calls.len();
            key_columns.truncate(nkeys);
            let mut columns = Vec::with_capacity(self.schema.fields().len());
            for (i, c) in key_columns.into_iter().enumerate() {
                columns.push(cast_to(c, self.schema.field(i).data_type())?);
            }
            for c in 0..self.calls.len() {
                let column = ScalarValue::iter_to_array(out_values.iter().map(|v| v[c].clone()))?;
                columns.push(cast_to(column, self.schema.field(nkeys + c).data_type())?);
            }
            let n = out_kinds.len();
            let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(n));
            let rows = arrow::array::RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
            out.emit(StreamRecord { value: Changes::with_kinds(rows, out_kinds), timestamp: record.timestamp });
        }
        Ok(())
    }
}
