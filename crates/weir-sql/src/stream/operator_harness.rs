//! Test support: drives a SQL operator by hand — batches in, changelog lines out — and
//! checkpoints it and restores it into fresh operators at another parallelism, with the
//! input routed by key group as the keyed exchange would.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion_physical_expr::expressions::Column;
use datafusion_physical_expr::PhysicalExpr;
use weir_core::{CheckpointId, StreamRecord, Watermark};
use weir_runtime::snapshot::{redistribute, OperatorSnapshot, OperatorStateReader, OperatorStateWriter};
use weir_runtime::{Emitter, ManualClock, Operator, SubtaskInfo};

use super::batch::Changes;
use super::exchange::{KeyEncoder, KeySplitOperator};
use crate::changelog::RowKind;

/// One operator instance with its emitter.
pub struct Harness<O> {
    pub op: O,
    out: Emitter<Changes>,
}

/// Subtask `index` of `parallelism` over the default key groups.
pub fn subtask(index: usize, parallelism: usize) -> SubtaskInfo {
    SubtaskInfo {
        name: "test".into(),
        index,
        parallelism,
        max_parallelism: weir_core::key_group::DEFAULT_MAX_PARALLELISM,
    }
}

impl<O: Operator<In = Changes, Out = Changes>> Harness<O> {
    /// A fresh operator, opened as subtask 0 of 1.
    pub fn new(op: O, clock: &ManualClock) -> Self {
        Self::restored(op, clock, &OperatorStateReader::empty(), &subtask(0, 1))
    }

    /// An operator restored from `state` as `subtask`.
    pub fn restored(mut op: O, clock: &ManualClock, state: &OperatorStateReader, subtask: &SubtaskInfo) -> Self {
        op.initialize_state(state).expect("restores");
        op.open(subtask).expect("opens");
        Harness { op, out: Emitter::new(Vec::new(), Arc::new(clock.clone())) }
    }

    /// Processes `changes`; the changelog lines emitted.
    pub fn feed(&mut self, changes: Changes) -> Vec<String> {
        let mut batch = vec![StreamRecord { value: changes, timestamp: weir_core::record::NO_TIMESTAMP }];
        self.op.process(&mut batch, &mut self.out).expect("processes");
        self.drain()
    }

    /// Advances event time; the changelog lines emitted.
    pub fn watermark(&mut self, ms: i64) -> Vec<String> {
        self.op.on_watermark(Watermark(ms), &mut self.out).expect("takes the watermark");
        self.drain()
    }

    /// The operator's checkpoint.
    pub fn snapshot(&mut self) -> OperatorSnapshot {
        let mut w = OperatorStateWriter::new(CheckpointId(1));
        self.op.snapshot_state(&mut w).expect("snapshots");
        OperatorSnapshot { operator_id: "op".into(), entries: w.into_entries() }
    }

    fn drain(&mut self) -> Vec<String> {
        self.out.records().drain(..).flat_map(|r| crate::connectors::render_changes(&r.value)).collect()
    }
}

/// `parallelism` operators made by `make`, restored from `snapshot`.
pub fn restore_all<O: Operator<In = Changes, Out = Changes>>(
    make: impl Fn() -> O,
    clock: &ManualClock,
    snapshot: &OperatorSnapshot,
    parallelism: usize,
) -> Vec<Harness<O>> {
    (0..parallelism)
        .map(|i| Harness::restored(make(), clock, &redistribute(&[snapshot], i, parallelism), &subtask(i, parallelism)))
        .collect()
}

/// Feeds `changes` to the harnesses, each row to the one owning its key (the key columns
/// `keys`); the lines emitted by all.
pub fn feed_keyed<O: Operator<In = Changes, Out = Changes>>(
    harnesses: &mut [Harness<O>],
    keys: &[usize],
    changes: Changes,
) -> Vec<String> {
    let schema = changes.rows.schema();
    let encoder = KeyEncoder::new(columns(&schema, keys), &schema).expect("key encoder");
    let mut split = KeySplitOperator::new(encoder, harnesses.len(), weir_core::key_group::DEFAULT_MAX_PARALLELISM);
    let mut out = Emitter::new(Vec::new(), Arc::new(ManualClock::new(0)));
    let mut batch = vec![StreamRecord { value: changes, timestamp: weir_core::record::NO_TIMESTAMP }];
    split.process(&mut batch, &mut out).expect("splits");
    let parts: Vec<_> = out.records().drain(..).collect();
    let mut lines = Vec::new();
    for part in parts {
        let target = if harnesses.len() == 1 { 0 } else { part.value.route as usize };
        lines.extend(harnesses[target].feed(part.value));
    }
    lines
}

/// Column expressions for the columns `indices` of `schema`.
pub fn columns(schema: &Schema, indices: &[usize]) -> Vec<Arc<dyn PhysicalExpr>> {
    indices.iter().map(|&i| Arc::new(Column::new(schema.field(i).name(), i)) as Arc<dyn PhysicalExpr>).collect()
}

/// A schema of BIGINT columns.
pub fn bigints(names: &[&str]) -> SchemaRef {
    Arc::new(Schema::new(names.iter().map(|n| Field::new(*n, DataType::Int64, true)).collect::<Vec<_>>()))
}

/// Rows of BIGINT values with their kinds.
pub fn rows(schema: &SchemaRef, rows: &[(RowKind, &[i64])]) -> Changes {
    let columns: Vec<ArrayRef> = (0..schema.fields().len())
        .map(|c| {
            let values = rows.iter().map(|(_, r)| r[c]);
            match schema.field(c).data_type() {
                DataType::Timestamp(TimeUnit::Millisecond, None) => {
                    Arc::new(TimestampMillisecondArray::from_iter_values(values)) as ArrayRef
                }
                _ => Arc::new(Int64Array::from_iter_values(values)) as ArrayRef,
            }
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), columns).expect("a batch");
    Changes::with_kinds(batch, rows.iter().map(|(k, _)| *k).collect())
}

/// Lines sorted, to compare outputs whose order across keys may differ.
pub fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}
