//! What the streaming joins share: the two inputs of a join operator (one stream of
//! batches tagged with their side), the join key of each side, rows kept as bytes, and the
//! assembly of joined output rows from both sides' bytes.
//!
//! The three join operators — [`RegularJoinOperator`](super::regular_join::RegularJoinOperator),
//! [`IntervalJoinOperator`](super::interval_join::IntervalJoinOperator) and
//! [`WindowJoinOperator`](super::window_join::WindowJoinOperator) — read a union of both
//! inputs, each batch tagged by [`TagOperator`] with its [`Side`] after the keyed exchange,
//! so that both sides' rows of one key meet in the same subtask and watermarks are the
//! minimum over both inputs.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, UInt32Array};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::row::{Row, RowConverter, RowParser, Rows, SortField};
use datafusion_physical_expr::PhysicalExpr;
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::{cast_to, to_array, Changes};
use crate::changelog::RowKind;

/// Which input of a join a batch comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The first (left) input.
    Left,
    /// The second (right) input.
    Right,
}

impl Side {
    /// 0 for the left side, 1 for the right: an index into per-side arrays.
    pub fn index(self) -> usize {
        match self {
            Side::Left => 0,
            Side::Right => 1,
        }
    }

    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Left => Side::Right,
            Side::Right => Side::Left,
        }
    }
}

/// A batch for a join operator, tagged with the input it comes from.
#[derive(Debug, Clone)]
pub struct JoinInput {
    /// The input.
    pub side: Side,
    /// The rows.
    pub changes: Changes,
}

/// Tags every batch of one join input with its side.
pub struct TagOperator(pub Side);

impl Operator for TagOperator {
    type In = Changes;
    type Out = JoinInput;

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<Changes>>,
        out: &mut Emitter<JoinInput>,
    ) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            out.emit(StreamRecord {
                value: JoinInput { side: self.0, changes: record.value },
                timestamp: record.timestamp,
            });
        }
        Ok(())
    }
}

/// The join types the streaming joins run, as Flink names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// Matching pairs only.
    Inner,
    /// Every left row, padded with nulls when unmatched.
    Left,
    /// Every right row, padded with nulls when unmatched.
    Right,
    /// Every row of both sides, padded with nulls when unmatched.
    Full,
    /// Left rows with at least one match (`IN` / `EXISTS`).
    LeftSemi,
    /// Left rows without a match (`NOT EXISTS`).
    LeftAnti,
}

impl JoinKind {
    /// Whether unmatched rows of `side` are emitted padded with nulls.
    pub fn is_outer(self, side: Side) -> bool {
        matches!((self, side), (JoinKind::Full, _) | (JoinKind::Left, Side::Left) | (JoinKind::Right, Side::Right))
    }

    /// Whether the output holds only the left side's columns.
    pub fn is_semi_or_anti(self) -> bool {
        matches!(self, JoinKind::LeftSemi | JoinKind::LeftAnti)
    }
}

/// The join key of one side's rows, as comparable bytes; both sides encode equal keys to
/// equal bytes (their key expressions have the same types), so bytes select the key group
/// and the state bucket.
pub struct JoinKey {
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    converter: Option<RowConverter>,
    /// Whether NULL keys match each other (`IS NOT DISTINCT FROM`); in SQL they do not.
    nulls_match: bool,
}

/// The keys of a batch's rows.
pub struct BatchKeys {
    rows: Option<Rows>,
    valid: Option<NullBuffer>,
}

impl BatchKeys {
    /// The key of row `i`, or `None` when it holds a NULL that matches nothing.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if self.valid.as_ref().is_some_and(|v| v.is_null(i)) {
            return None;
        }
        Some(match &self.rows {
            Some(rows) => rows.row(i).data(),
            None => &[],
        })
    }

    /// The bytes of row `i`'s key even when it holds a NULL: what the keyed exchange hashed
    /// (state is checkpointed under it).
    pub fn raw(&self, i: usize) -> &[u8] {
        match &self.rows {
            Some(rows) => rows.row(i).data(),
            None => &[],
        }
    }
}

impl JoinKey {
    /// Keys computed by `exprs` over batches of `schema`; no expressions: one key for all.
    pub fn new(exprs: Vec<Arc<dyn PhysicalExpr>>, schema: &Schema, nulls_match: bool) -> Result<Self, BoxError> {
        let converter = if exprs.is_empty() {
            None
        } else {
            let fields =
                exprs.iter().map(|e| Ok(SortField::new(e.data_type(schema)?))).collect::<Result<Vec<_>, BoxError>>()?;
            Some(RowConverter::new(fields)?)
        };
        Ok(JoinKey { exprs, converter, nulls_match })
    }

    /// The keys of `batch`'s rows.
    pub fn encode(&self, batch: &RecordBatch) -> Result<BatchKeys, BoxError> {
        let Some(converter) = &self.converter else {
            return Ok(BatchKeys { rows: None, valid: None });
        };
        let n = batch.num_rows();
        let columns =
            self.exprs.iter().map(|e| to_array(e.evaluate(batch)?, n)).collect::<Result<Vec<_>, BoxError>>()?;
        let valid = if self.nulls_match {
            None
        } else {
            columns
                .iter()
                .fold(None, |acc: Option<NullBuffer>, c| NullBuffer::union(acc.as_ref(), c.logical_nulls().as_ref()))
        };
        Ok(BatchKeys { rows: Some(converter.convert_columns(&columns)?), valid })
    }
}

/// Whole rows of one side as bytes, and back.
pub struct RowCodec {
    converter: RowConverter,
    parser: RowParser,
    schema: SchemaRef,
}

impl RowCodec {
    /// A codec for rows of `schema`.
    pub fn new(schema: SchemaRef) -> Result<Self, BoxError> {
        let fields = schema.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect::<Vec<_>>();
        let converter = RowConverter::new(fields)?;
        let parser = converter.parser();
        Ok(RowCodec { converter, parser, schema })
    }

    /// The rows of `batch` as bytes.
    pub fn encode(&self, batch: &RecordBatch) -> Result<Rows, BoxError> {
        Ok(self.converter.convert_columns(batch.columns())?)
    }

    /// A row from bytes this codec produced.
    pub fn parse<'a>(&'a self, bytes: &'a [u8]) -> Row<'a> {
        self.parser.parse(bytes)
    }

    /// An empty buffer of rows.
    pub fn empty_rows(&self) -> Rows {
        self.converter.empty_rows(64, 4096)
    }

    /// The columns of `rows`.
    pub fn decode<'a>(&self, rows: impl IntoIterator<Item = Row<'a>>) -> Result<Vec<ArrayRef>, BoxError> {
        Ok(self.converter.convert_rows(rows)?)
    }

    /// The side's columns.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }
}

/// Joined output rows under assembly: for each, its kind and the row of each side (or
/// nulls), copied as bytes so that state may change while the output grows.
pub struct JoinedRows {
    kinds: Vec<RowKind>,
    rows: [Rows; 2],
    picks: [Vec<Option<u32>>; 2],
}

impl JoinedRows {
    /// An empty output for the sides' `codecs`.
    pub fn new(codecs: &[RowCodec; 2]) -> Self {
        JoinedRows {
            kinds: Vec::new(),
            rows: [codecs[0].empty_rows(), codecs[1].empty_rows()],
            picks: [Vec::new(), Vec::new()],
        }
    }

    /// Whether no row was added.
    pub fn is_empty(&self) -> bool {
        self.kinds.is_empty()
    }

    /// Adds `times` rows of `kind` joining `left` and `right` (`None`: nulls).
    pub fn push(&mut self, kind: RowKind, left: Option<Row<'_>>, right: Option<Row<'_>>, times: usize) {
        for (s, row) in [left, right].into_iter().enumerate() {
            let pick = row.map(|r| {
                self.rows[s].push(r);
                (self.rows[s].num_rows() - 1) as u32
            });
            self.picks[s].extend(std::iter::repeat_n(pick, times));
        }
        self.kinds.extend(std::iter::repeat_n(kind, times));
    }

    /// Adds `times` rows of `kind` with `row` on `side` and nulls on the other side.
    pub fn push_padded(&mut self, kind: RowKind, side: Side, row: Row<'_>, times: usize) {
        match side {
            Side::Left => self.push(kind, Some(row), None, times),
            Side::Right => self.push(kind, None, Some(row), times),
        }
    }

    /// The batch of rows of `schema`: the left side's columns, then (unless `left_only`)
    /// the right side's.
    pub fn finish(self, codecs: &[RowCodec; 2], schema: &SchemaRef, left_only: bool) -> Result<Changes, BoxError> {
        let n = self.kinds.len();
        let mut columns = Vec::with_capacity(schema.fields().len());
        let sides = if left_only { 1 } else { 2 };
        for (s, codec) in codecs.iter().enumerate().take(sides) {
            let decoded = codec.decode(self.rows[s].iter())?;
            let picks = &self.picks[s];
            let in_order = picks.iter().enumerate().all(|(i, p)| *p == Some(i as u32)) && self.rows[s].num_rows() == n;
            let indices = (!in_order).then(|| UInt32Array::from(picks.clone()));
            for c in decoded {
                columns.push(match &indices {
                    Some(idx) => arrow::compute::take(&c, idx, None)?,
                    None => c,
                });
            }
        }
        let columns = columns
            .into_iter()
            .zip(schema.fields())
            .map(|(c, f)| cast_to(c, f.data_type()))
            .collect::<Result<Vec<_>, _>>()?;
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(n));
        let rows = RecordBatch::try_new_with_options(schema.clone(), columns, &options)?;
        Ok(Changes::with_kinds(rows, self.kinds))
    }
}

/// `left`'s and `right`'s columns side by side, as the batch a join condition reads.
pub fn pair_batch(
    schema: &SchemaRef,
    left: Vec<ArrayRef>,
    right: Vec<ArrayRef>,
    rows: usize,
) -> Result<RecordBatch, BoxError> {
    let columns = left.into_iter().chain(right).collect::<Vec<_>>();
    let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(schema.clone(), columns, &options)?)
}

/// Evaluates a join condition over candidate pairs; NULL counts as false.
pub fn condition_mask(condition: &Arc<dyn PhysicalExpr>, pairs: &RecordBatch) -> Result<BooleanArray, BoxError> {
    let mask = to_array(condition.evaluate(pairs)?, pairs.num_rows())?;
    let mask = mask.as_any().downcast_ref::<BooleanArray>().ok_or("a join condition must be a boolean expression")?;
    Ok(if mask.null_count() > 0 { arrow::compute::prep_null_mask_filter(mask) } else { mask.clone() })
}
