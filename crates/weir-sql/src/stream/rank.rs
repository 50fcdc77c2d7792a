//! Top-N and deduplication (Flink's `Rank` and `Deduplicate`): `ROW_NUMBER()`, `RANK()` or
//! `DENSE_RANK()` over `PARTITION BY … ORDER BY …`, filtered to a range of ranks. Each
//! partition keeps its rows in rank order; after each row, its partition is ranked again
//! and the difference from what was emitted before is sent as a changelog:
//! `+I` for a row entering the range, `-D` for one leaving it and, when the rank number is
//! part of the output, `-U`/`+U` for a row whose rank changed. Folded, the output is the
//! current top rows of every partition, as in Flink.
//!
//! With an insert-only input a row that falls out of the range can never come back, so a
//! partition keeps only its top rows (Flink's `AppendOnlyTopNFunction`); with an updating
//! input it keeps every row, so that a retraction in the range brings the next row in
//! (Flink's `RetractableTopNFunction`).
//!
//! Checkpoints hold each partition — its rows by sort key and what was last emitted — as
//! bytes under its partition key ([`super::keyed_state`]).

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt64Array};
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, Rows, SortField};
use datafusion_physical_expr::PhysicalExpr;
use weir_core::StreamRecord;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::{cast_to, to_array, Changes};
use super::exchange::KeyEncoder;
use super::keyed_state::{self, PendingRestore};
use super::sorted_rows::SortedRows;
use super::top_one::{Offered, TopOneRows};
use crate::changelog::RowKind;
use crate::stream::KeyMap;

/// Which ranking function numbers the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankKind {
    /// `ROW_NUMBER()`: 1, 2, 3, … whatever the ties.
    RowNumber,
    /// `RANK()`: ties share a rank, the next rank skips (1, 1, 3).
    Rank,
    /// `DENSE_RANK()`: ties share a rank, no gaps (1, 1, 2).
    DenseRank,
}

/// What a rank operator keeps: the function, the range of ranks and how ties are ordered.
#[derive(Debug, Clone, Copy)]
pub struct RankRange {
    /// The ranking function.
    pub kind: RankKind,
    /// The first rank kept (1-based, inclusive).
    pub start: u64,
    /// The last rank kept (inclusive).
    pub end: u64,
    /// Rows with equal sort keys: the newest first (deduplication keeping the last row,
    /// where a later row with the same time replaces the earlier one) instead of the oldest.
    pub newest_first: bool,
}

/// A change of a ranked row: the row's bytes, its rank and the kind of change.
pub type RankedChange = (Arc<[u8]>, u64, RowKind);

/// The most row data [`RankEncoders::outputs`] puts into one output batch: about the size of
/// an input batch, however many changes one input batch ranks out.
pub const OUTPUT_BATCH_BYTES: usize = 1 << 20;

/// The rows of one partition in rank order, and the ranked rows last emitted for it.
#[derive(Debug, Default)]
pub struct Partition {
    /// The rows' bytes by sort key, ties in tie order.
    rows: SortedRows,
    /// How many rows `rows` holds.
    count: usize,
    /// The rows in the result, with their ranks, as last emitted.
    emitted: Vec<(Arc<[u8]>, u64)>,
}

impl Partition {
    /// Whether a new row with `key` may rank within `range` among rows of an insert-only
    /// input, which only ever keeps the top rows: lets most rows of a long partition be
    /// rejected without copying them.
    pub fn admits(&self, key: &[u8], range: &RankRange) -> bool {
        if (self.count as u64) < range.end {
            return true;
        }
        let Some(last) = self.rows.last_key() else { return true };
        match range.kind {
            // A tie goes after the last row unless the newest come first.
            RankKind::RowNumber => key < last || (range.newest_first && key == last),
            RankKind::Rank | RankKind::DenseRank => key <= last,
        }
    }

    /// Adds a row after (or, newest first, before) the rows with an equal sort key.
    pub fn insert(&mut self, key: &[u8], row: &[u8], range: &RankRange) {
        self.rows.insert(key, row, range.newest_first);
        self.count += 1;
    }

    /// [`Partition::insert`], [`Partition::truncate`] and [`Partition::changes`] at once for
    /// the `ROW_NUMBER` ranks from 1 to `range.end` (at most [`super::sorted_rows::FEW`]) of
    /// an insert-only input, when the partition `admits` the row: the rows kept are then
    /// exactly the rows shown, so the changes are read off the positions at and after the
    /// new row's — the same changes, in the same order, without ranking the partition
    /// again or keeping what was emitted.
    pub fn insert_top(
        &mut self,
        key: &[u8],
        row: &[u8],
        range: &RankRange,
        with_rank: bool,
        out: &mut Vec<RankedChange>,
    ) {
        let at = self.rows.insert(key, row, range.newest_first).expect("a top of few rows keeps them in order");
        self.count += 1;
        let end = range.end as usize;
        let rows = self.rows.few().expect("a top of few rows keeps them in order");
        if with_rank {
            // Rank i + 1 showed the row now at i + 1 and shows the row at i.
            for i in at..rows.len().min(end) {
                let new = &rows[i].1;
                match rows.get(i + 1) {
                    Some((_, old)) if old == new => {}
                    Some((_, old)) => {
                        out.push((old.clone(), i as u64 + 1, RowKind::UpdateBefore));
                        out.push((new.clone(), i as u64 + 1, RowKind::UpdateAfter));
                    }
                    None => out.push((new.clone(), i as u64 + 1, RowKind::Insert)),
                }
            }
        } else if at < end {
            let inserted = &rows[at].1;
            match rows.get(end) {
                Some((_, dropped)) if dropped == inserted => {}
                Some((_, dropped)) => {
                    out.push((dropped.clone(), end as u64, RowKind::Delete));
                    out.push((inserted.clone(), at as u64 + 1, RowKind::Insert));
                }
                None => out.push((inserted.clone(), at as u64 + 1, RowKind::Insert)),
            }
        }
        while self.count > end {
            self.rows.pop_last();
            self.count -= 1;
        }
    }

    /// Removes one row equal to `row` with sort key `key`; false when there is none.
    pub fn retract(&mut self, key: &[u8], row: &[u8]) -> bool {
        if !self.rows.remove(key, row) {
            return false;
        }
        self.count -= 1;
        true
    }

    /// Every row with its sort key, in rank order.
    fn iter(&self) -> super::sorted_rows::Iter<'_> {
        self.rows.iter()
    }

    /// The rows within `range` with their ranks, in rank order.
    pub fn ranked(&self, range: &RankRange) -> Vec<(Arc<[u8]>, u64)> {
        let mut out = Vec::new();
        let mut rank = 0u64;
        let mut previous: Option<&[u8]> = None;
        for (position, (key, row)) in self.iter().enumerate() {
            let peer = previous == Some(key);
            rank = match range.kind {
                RankKind::RowNumber => position as u64 + 1,
                RankKind::Rank if peer => rank,
                RankKind::Rank => position as u64 + 1,
                RankKind::DenseRank if peer => rank,
                RankKind::DenseRank => rank + 1,
            };
            if rank > range.end {
                break;
            }
            if rank >= range.start {
                out.push((row.clone(), rank));
            }
            previous = Some(key);
        }
        out
    }

    /// Drops the rows that can never rank within `range` again (insert-only input).
    pub fn truncate(&mut self, range: &RankRange) {
        let keep = match range.kind {
            RankKind::RowNumber => range.end as usize,
            _ => {
                // Everything up to the last row whose rank is within the range.
                let mut rank = 0u64;
                let mut keep = 0usize;
                let mut previous: Option<&[u8]> = None;
                for (position, (key, _)) in self.iter().enumerate() {
                    let peer = previous == Some(key);
                    rank = match (range.kind, peer) {
                        (_, true) => rank,
                        (RankKind::DenseRank, false) => rank + 1,
                        _ => position as u64 + 1,
                    };
                    if rank > range.end {
                        break;
                    }
                    keep = position + 1;
                    previous = Some(key);
                }
                keep
            }
        };
        while self.count > keep && !self.rows.is_empty() {
            self.rows.pop_last();
            self.count -= 1;
        }
    }

    /// Ranks the partition again and appends what changed since the last call to `out`:
    /// `(row, rank, kind)`. Without `with_rank` only rows entering (`+I`) or leaving (`-D`)
    /// the result count.
    pub fn changes(&mut self, range: &RankRange, with_rank: bool, out: &mut Vec<RankedChange>) {
        let now = self.ranked(range);
        diff(&self.emitted, &now, with_rank, out);
        self.emitted = now;
    }

    /// Whether the partition holds nothing and shows nothing.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.emitted.is_empty()
    }

    /// The partition as bytes, for a checkpoint.
    ///
    /// # Errors
    /// The encoder's (never in practice).
    pub fn to_bytes(&self) -> Result<Vec<u8>, BoxError> {
        let rows = self.rows.groups();
        let emitted: Vec<(&[u8], u64)> = self.emitted.iter().map(|(r, n)| (r.as_ref(), *n)).collect();
        Ok(bincode::serialize(&(rows, emitted))?)
    }

    /// [`Partition::to_bytes`] of a partition kept by [`Partition::insert_top`], which shows
    /// its rows ranked within `range` without keeping a list of them: the same bytes as the
    /// general ranking writes.
    ///
    /// # Errors
    /// The encoder's (never in practice).
    pub fn top_to_bytes(&self, range: &RankRange) -> Result<Vec<u8>, BoxError> {
        let rows = self.rows.groups();
        let shown = self.ranked(range);
        let emitted: Vec<(&[u8], u64)> = shown.iter().map(|(r, n)| (r.as_ref(), *n)).collect();
        Ok(bincode::serialize(&(rows, emitted))?)
    }

    /// The bytes [`Partition::to_bytes`] gives for a partition holding and showing one row
    /// (a Top-1 of an insert-only input), without building it.
    ///
    /// # Errors
    /// The encoder's (never in practice).
    pub fn one_row_bytes(sort: &[u8], row: &[u8]) -> Result<Vec<u8>, BoxError> {
        Ok(bincode::serialize(&(vec![(sort, vec![row])], vec![(row, 1u64)]))?)
    }

    /// The first row in rank order, with its sort key.
    pub fn first(&self) -> Option<(&[u8], &[u8])> {
        self.iter().next().map(|(key, row)| (key, row.as_ref()))
    }

    /// A partition read back from [`Partition::to_bytes`].
    ///
    /// # Errors
    /// Bytes that are not a partition.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BoxError> {
        type Stored = (Vec<(Vec<u8>, Vec<Vec<u8>>)>, Vec<(Vec<u8>, u64)>);
        let (rows, emitted): Stored = bincode::deserialize(bytes)
            .map_err(|e| format!("a Top-N partition in the checkpoint does not decode: {e}"))?;
        let mut p = Partition { count: rows.iter().map(|(_, tied)| tied.len()).sum(), ..Partition::default() };
        p.rows = SortedRows::from_groups(rows);
        p.emitted = emitted.into_iter().map(|(r, n)| (Arc::from(r), n)).collect();
        Ok(p)
    }
}

/// Writes `partitions` (key → partition, with optional window ends) as keyed state.
pub(crate) fn write_partitions<'p>(
    state: &mut OperatorStateWriter,
    partitions: impl Iterator<Item = (Option<i64>, &'p [u8], &'p Partition)>,
) -> Result<(), BoxError> {
    let encoded =
        partitions.map(|(end, key, p)| Ok((end, key, p.to_bytes()?))).collect::<Result<Vec<_>, BoxError>>()?;
    write_partition_bytes(state, encoded)
}

/// Writes partitions already encoded as [`Partition::to_bytes`] does: (window end, key, bytes).
fn write_partition_bytes(
    state: &mut OperatorStateWriter,
    partitions: Vec<(Option<i64>, &[u8], Vec<u8>)>,
) -> Result<(), BoxError> {
    let mut keys = Vec::with_capacity(partitions.len());
    let mut ends = Vec::with_capacity(partitions.len());
    let mut bytes = Vec::with_capacity(partitions.len());
    for (end, key, b) in partitions {
        keys.push(key);
        ends.push(end.unwrap_or(i64::MIN));
        bytes.push(b);
    }
    // Large state (q19 keeps every auction's rows) goes in several batches.
    let sizes: Vec<usize> = keys.iter().zip(&bytes).map(|(k, b)| k.len() + b.len()).collect();
    let batches = keyed_state::chunks(&sizes)
        .into_iter()
        .map(|r| {
            let columns: Vec<(String, ArrayRef)> = vec![
                ("window_end".into(), Arc::new(arrow::array::Int64Array::from(ends[r.clone()].to_vec()))),
                ("partition".into(), keyed_state::bytes_column(bytes[r.clone()].iter().map(Vec::as_slice))),
            ];
            keyed_state::state_batch(keys[r].iter().copied(), columns)
        })
        .collect::<Result<Vec<_>, BoxError>>()?;
    keyed_state::write_keyed(state, &batches)
}

/// A restored partition: its window end (`i64::MIN` outside windows), key and rows.
pub(crate) type RestoredPartition = (i64, Box<[u8]>, Partition);

/// The partitions of `subtask`'s key groups, with their window ends, from a checkpoint.
pub(crate) fn read_partitions(
    state: &OperatorStateReader,
    subtask: &SubtaskInfo,
) -> Result<Vec<RestoredPartition>, BoxError> {
    let mut out = Vec::new();
    for batch in keyed_state::read_keyed(state, subtask)? {
        let keys = keyed_state::keys_of(&batch)?;
        let ends = keyed_state::i64_column(&batch, "window_end")?;
        let parts = keyed_state::bytes_of(&batch, "partition")?;
        for i in 0..batch.num_rows() {
            out.push((ends.value(i), keys.value(i).into(), Partition::from_bytes(parts.value(i))?));
        }
    }
    Ok(out)
}

/// The changelog from `old` to `new` ranked rows (both multisets of rows).
fn diff(old: &[(Arc<[u8]>, u64)], new: &[(Arc<[u8]>, u64)], with_rank: bool, out: &mut Vec<RankedChange>) {
    // Count (row, rank) — or just rows — in both; what is left over changed.
    let (removed, added) = if old.len() + new.len() <= SMALL_DIFF {
        unmatched_small(old, new, with_rank)
    } else {
        unmatched(old, new, with_rank)
    };
    if with_rank {
        // Position by position, as Flink sends a shown rank's changes: the row that left a
        // rank and the row that took it are `-U`/`+U` of that rank, earliest rank first; a
        // rank that emptied or filled is `-D` or `+I`.
        by_rank(removed, added, out);
        return;
    }
    // A row that only moved is an update of its rank (the changes of one partition are
    // few: at most the range's rows).
    let mut taken = vec![false; added.len()];
    let mut updated = Vec::new();
    for (row, rank) in removed {
        let moved = if with_rank { (0..added.len()).find(|&j| !taken[j] && added[j].0 == row) } else { None };
        match moved {
            Some(j) => {
                taken[j] = true;
                updated.push((row, rank, added[j].1));
            }
            None => out.push((row, rank, RowKind::Delete)),
        }
    }
    for (row, old_rank, new_rank) in updated {
        out.push((row.clone(), old_rank, RowKind::UpdateBefore));
        out.push((row, new_rank, RowKind::UpdateAfter));
    }
    for ((row, rank), taken) in added.into_iter().zip(taken) {
        if !taken {
            out.push((row, rank, RowKind::Insert));
        }
    }
}

/// Merges the rows that left their ranks and the rows that took ranks into Flink's changes
/// of a shown rank, earliest rank first: a pair `-U` old / `+U` new where both have a row at
/// a rank, `-D` or `+I` where only one has.
fn by_rank(mut removed: Vec<Ranked>, mut added: Vec<Ranked>, out: &mut Vec<RankedChange>) {
    removed.sort_by_key(|r| r.1);
    added.sort_by_key(|a| a.1);
    let (mut removed, mut added) = (removed.into_iter().peekable(), added.into_iter().peekable());
    loop {
        let (r, a) = (removed.peek().map(|r| r.1), added.peek().map(|a| a.1));
        match (r, a) {
            (None, None) => return,
            (Some(r), Some(a)) if r == a => {
                let (old, rank) = removed.next().expect("peeked");
                let (new, _) = added.next().expect("peeked");
                out.push((old, rank, RowKind::UpdateBefore));
                out.push((new, rank, RowKind::UpdateAfter));
            }
            (Some(r), Some(a)) if r < a => {
                let (old, rank) = removed.next().expect("peeked");
                out.push((old, rank, RowKind::Delete));
            }
            (Some(_), None) => {
                let (old, rank) = removed.next().expect("peeked");
                out.push((old, rank, RowKind::Delete));
            }
            _ => {
                let (new, rank) = added.next().expect("peeked");
                out.push((new, rank, RowKind::Insert));
            }
        }
    }
}

/// A row with its rank.
type Ranked = (Arc<[u8]>, u64);

/// Lists up to this long (old and new together) are matched pairwise instead of by a hash
/// map: a Top-N's few rows, with no allocation but the results.
const SMALL_DIFF: usize = 64;

/// Whether two ranked rows are the same (`with_rank`: at the same rank).
#[inline]
fn same(a: &(Arc<[u8]>, u64), b: &(Arc<[u8]>, u64), with_rank: bool) -> bool {
    (!with_rank || a.1 == b.1) && (Arc::ptr_eq(&a.0, &b.0) || a.0 == b.0)
}

/// The rows of `old` not in `new` and of `new` not in `old` (as multisets), each in its
/// list's order: pairwise, for short lists.
fn unmatched_small(old: &[(Arc<[u8]>, u64)], new: &[(Arc<[u8]>, u64)], with_rank: bool) -> (Vec<Ranked>, Vec<Ranked>) {
    let mut matched = [false; SMALL_DIFF];
    let mut removed = Vec::new();
    for e in old {
        // The last copies match, so the first copies of a row that are new come out as
        // added (as the hash map's counts have it).
        match (0..new.len()).rev().find(|&j| !matched[j] && same(e, &new[j], with_rank)) {
            Some(j) => matched[j] = true,
            None => removed.push(e.clone()),
        }
    }
    let added = new.iter().zip(matched).filter(|(_, m)| !m).map(|(e, _)| e.clone()).collect();
    (removed, added)
}

/// As [`unmatched_small`], by counting the rows in a hash map.
fn unmatched(old: &[(Arc<[u8]>, u64)], new: &[(Arc<[u8]>, u64)], with_rank: bool) -> (Vec<Ranked>, Vec<Ranked>) {
    let key = |(row, rank): &(Arc<[u8]>, u64)| (row.clone(), if with_rank { *rank } else { 0 });
    let mut count: HashMap<(Arc<[u8]>, u64), i64> = HashMap::with_capacity(old.len() + new.len());
    for e in new {
        *count.entry(key(e)).or_default() += 1;
    }
    let mut removed = Vec::new();
    for e in old {
        let c = count.entry(key(e)).or_default();
        if *c > 0 {
            *c -= 1;
        } else {
            removed.push(e.clone());
        }
    }
    let mut added = Vec::new();
    for e in new {
        let c = count.get_mut(&key(e)).expect("counted");
        if *c > 0 {
            *c -= 1;
            added.push(e.clone());
        }
    }
    (removed, added)
}

/// How rows are encoded for ranking: partition key, sort key and the whole row.
pub struct RankEncoders {
    /// The partition key.
    pub partition: KeyEncoder,
    sort: Vec<Arc<dyn PhysicalExpr>>,
    sort_converter: RowConverter,
    rows: RowConverter,
    /// The output: the input's columns, then the rank.
    schema: SchemaRef,
    /// Whether the rank is read downstream: a row whose rank changes is then updated.
    with_rank: bool,
}

impl RankEncoders {
    /// Encoders for input rows of `input` (all columns kept), partitioned by `partition`,
    /// ordered by `sort` (expression, descending, nulls first); output as `schema`, the
    /// rank its last column. `with_rank`: the rank is read downstream.
    pub fn new(
        partition: KeyEncoder,
        sort: Vec<(Arc<dyn PhysicalExpr>, bool, bool)>,
        input: &arrow::datatypes::Schema,
        schema: SchemaRef,
        with_rank: bool,
    ) -> Result<Self, BoxError> {
        let fields = sort
            .iter()
            .map(|(e, descending, nulls_first)| {
                let options = arrow::compute::SortOptions { descending: *descending, nulls_first: *nulls_first };
                Ok(SortField::new_with_options(e.data_type(input)?, options))
            })
            .collect::<Result<Vec<_>, BoxError>>()?;
        let rows = RowConverter::new(input.fields().iter().map(|f| SortField::new(f.data_type().clone())).collect())?;
        Ok(RankEncoders {
            partition,
            sort: sort.into_iter().map(|(e, _, _)| e).collect(),
            sort_converter: RowConverter::new(fields)?,
            rows,
            schema,
            with_rank,
        })
    }

    /// The partition keys, sort keys and whole rows of `batch`.
    pub fn encode(&self, batch: &RecordBatch) -> Result<(Rows, Rows, Rows), BoxError> {
        let (keys, sort) = self.encode_keys(batch)?;
        Ok((keys, sort, self.rows.convert_columns(batch.columns())?))
    }

    /// The partition keys and sort keys of `batch`.
    pub fn encode_keys(&self, batch: &RecordBatch) -> Result<(Rows, Rows), BoxError> {
        let n = batch.num_rows();
        let sort = self.sort.iter().map(|e| to_array(e.evaluate(batch)?, n)).collect::<Result<Vec<_>, BoxError>>()?;
        Ok((self.partition.encode(batch)?, self.sort_converter.convert_columns(&sort)?))
    }

    /// The whole rows `indices` (ascending) of `batch`, in that order.
    pub fn encode_rows(&self, batch: &RecordBatch, indices: &[u32]) -> Result<Rows, BoxError> {
        if indices.len() == batch.num_rows() {
            return Ok(self.rows.convert_columns(batch.columns())?);
        }
        let indices = arrow::array::UInt32Array::from(indices.to_vec());
        Ok(self.rows.convert_columns(&super::batch::take_all(batch, &indices)?)?)
    }

    /// Ranked rows as output batches of at most [`OUTPUT_BATCH_BYTES`] of row data each: one
    /// input batch can rank out many times its size (every row shifted by a new first one is
    /// retracted and sent again), and one Arrow string column holds at most 2 GiB.
    pub fn outputs<R: AsRef<[u8]>>(&self, rows: &[(R, u64, RowKind)]) -> Result<Vec<Changes>, BoxError> {
        super::batch::size_chunks(rows.iter().map(|(row, _, _)| row.as_ref().len()), OUTPUT_BATCH_BYTES)
            .into_iter()
            .map(|r| self.output(&rows[r]))
            .collect()
    }

    /// A batch of ranked rows as output.
    pub fn output<R: AsRef<[u8]>>(&self, rows: &[(R, u64, RowKind)]) -> Result<Changes, BoxError> {
        let parser = self.rows.parser();
        let mut columns = self.rows.convert_rows(rows.iter().map(|(r, _, _)| parser.parse(r.as_ref())))?;
        let ranks: ArrayRef = Arc::new(UInt64Array::from_iter_values(rows.iter().map(|(_, rank, _)| *rank)));
        columns.push(ranks);
        let columns = columns
            .into_iter()
            .zip(self.schema.fields())
            .map(|(c, f)| cast_to(c, f.data_type()))
            .collect::<Result<Vec<_>, BoxError>>()?;
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(rows.len()));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        Ok(Changes::with_kinds(batch, rows.iter().map(|(_, _, k)| *k).collect()))
    }
}

/// Keeps the top rows of each partition of an unbounded stream.
pub struct RankOperator {
    encoders: RankEncoders,
    range: RankRange,
    /// The input retracts rows: keep all of them.
    retracting: bool,
    partitions: KeyMap<Partition>,
    /// The rows of a Top-1 of an insert-only input (`partitions` stays empty then).
    top_one: Option<TopOneRows>,
    /// The ranks are `ROW_NUMBER` 1 to at most `FEW` of an insert-only input: partitions
    /// change through [`Partition::insert_top`].
    top: bool,
    restore: PendingRestore,
}

impl RankOperator {
    /// Ranking with `encoders` within `range`; `retracting`: the input is updating.
    pub fn new(encoders: RankEncoders, range: RankRange, retracting: bool) -> Self {
        let top_one = !retracting && range.kind == RankKind::RowNumber && (range.start, range.end) == (1, 1);
        RankOperator {
            encoders,
            range,
            retracting,
            partitions: KeyMap::default(),
            top_one: top_one.then(TopOneRows::default),
            top: !retracting
                && range.kind == RankKind::RowNumber
                && range.start == 1
                && range.end <= super::sorted_rows::FEW as u64,
            restore: PendingRestore::default(),
        }
    }

    /// Applies `changes` and emits what they change.
    fn process_changes(
        &mut self,
        changes: &Changes,
        out: &mut Emitter<Changes>,
        timestamp: i64,
    ) -> Result<(), BoxError> {
        if self.top_one.is_some() {
            return self.apply_top_one(changes, out, timestamp);
        }
        let rows = self.apply(changes)?;
        if !rows.is_empty() {
            for value in self.encoders.outputs(&rows)? {
                out.emit(StreamRecord { value, timestamp });
            }
        }
        Ok(())
    }

    /// A Top-1 of an insert-only input: each row either becomes its key's row (`+I`, after
    /// `-D` of the row it replaces, as the general ranking emits) or changes nothing. As in
    /// [`Self::apply_inserts`], only rows their key admits before the batch are encoded whole.
    fn apply_top_one(&mut self, changes: &Changes, out: &mut Emitter<Changes>, timestamp: i64) -> Result<(), BoxError> {
        if let Some(i) = (0..changes.len()).find(|&i| !changes.kind(i).is_accumulate()) {
            return Err(format!("Top-1 of an insert-only input received a {:?} change", changes.kind(i)).into());
        }
        let newest_first = self.range.newest_first;
        let top = self.top_one.as_mut().expect("a Top-1");
        let (keys, sort) = self.encoders.encode_keys(&changes.rows)?;
        let candidates: Vec<u32> = (0..changes.len() as u32)
            .filter(|&i| top.admits(keys.row(i as usize).data(), sort.row(i as usize).data(), newest_first))
            .collect();
        if candidates.is_empty() {
            return Ok(());
        }
        let rows = self.encoders.encode_rows(&changes.rows, &candidates)?;
        // The changes' rows, one after the other: (start, end, kind) into `bytes`.
        let mut bytes: Vec<u8> = Vec::new();
        let mut spans: Vec<(usize, usize, RowKind)> = Vec::with_capacity(candidates.len());
        let mut scratch = Vec::new();
        // A shown rank changes its row (`-U`/`+U`, as Flink); otherwise a row leaves, one enters.
        let (leaves, enters) = match self.encoders.with_rank {
            true => (RowKind::UpdateBefore, RowKind::UpdateAfter),
            false => (RowKind::Delete, RowKind::Insert),
        };
        for (c, &i) in candidates.iter().enumerate() {
            let (key, sort_key, row) = (keys.row(i as usize).data(), sort.row(i as usize).data(), rows.row(c).data());
            let mut push = |data: &[u8], kind: RowKind| {
                spans.push((bytes.len(), bytes.len() + data.len(), kind));
                bytes.extend_from_slice(data);
            };
            match top.offer(key, sort_key, row, newest_first, &mut scratch) {
                Offered::First => push(row, RowKind::Insert),
                // Equal rows: nothing to show.
                Offered::Replaced(old) if old == row => {}
                Offered::Replaced(old) => {
                    push(old, leaves);
                    push(row, enters);
                }
                Offered::Kept => {}
            }
        }
        let changed: Vec<(&[u8], u64, RowKind)> =
            spans.iter().map(|&(start, end, kind)| (&bytes[start..end], 1, kind)).collect();
        for value in self.encoders.outputs(&changed)? {
            out.emit(StreamRecord { value, timestamp });
        }
        Ok(())
    }

    fn apply(&mut self, changes: &Changes) -> Result<Vec<RankedChange>, BoxError> {
        if !self.retracting && (0..changes.len()).all(|i| changes.kind(i).is_accumulate()) {
            return self.apply_inserts(changes);
        }
        if self.top {
            return Err("a Top-N of an insert-only input received a retraction".into());
        }
        let (keys, sort, rows) = self.encoders.encode(&changes.rows)?;
        let mut out = Vec::new();
        for i in 0..changes.len() {
            let key = keys.row(i).data();
            let partition = match self.partitions.get_mut(key) {
                Some(p) => p,
                None => self.partitions.entry(key.into()).or_default(),
            };
            let sort_key = sort.row(i).data();
            let changed = if changes.kind(i).is_accumulate() {
                if self.retracting || partition.admits(sort_key, &self.range) {
                    partition.insert(sort_key, rows.row(i).data(), &self.range);
                    if !self.retracting {
                        partition.truncate(&self.range);
                    }
                    true
                } else {
                    false
                }
            } else {
                partition.retract(sort_key, rows.row(i).data())
            };
            // Row by row, as Flink emits: an operator downstream that depends on the order
            // of changes (LISTAGG, FIRST_VALUE) sees them as Flink's would.
            if changed {
                partition.changes(&self.range, self.encoders.with_rank, &mut out);
                if partition.is_empty() {
                    self.partitions.remove(key);
                }
            }
        }
        Ok(out)
    }

    /// [`Self::apply`] for an insert-only input, where a partition keeps only its top rows.
    /// A row its partition does not admit before the batch is not admitted later in it
    /// either (rows only come in, so the bar only rises): only the rows admitted before the
    /// batch are encoded whole (q19 ranks most bids out at once).
    fn apply_inserts(&mut self, changes: &Changes) -> Result<Vec<RankedChange>, BoxError> {
        let (keys, sort) = self.encoders.encode_keys(&changes.rows)?;
        let candidates: Vec<u32> = (0..changes.len() as u32)
            .filter(|&i| {
                let (key, sort_key) = (keys.row(i as usize).data(), sort.row(i as usize).data());
                self.partitions.get(key).is_none_or(|p| p.admits(sort_key, &self.range))
            })
            .collect();
        let mut out = Vec::new();
        if candidates.is_empty() {
            return Ok(out);
        }
        let rows = self.encoders.encode_rows(&changes.rows, &candidates)?;
        for (c, &i) in candidates.iter().enumerate() {
            let key = keys.row(i as usize).data();
            let partition = match self.partitions.get_mut(key) {
                Some(p) => p,
                None => self.partitions.entry(key.into()).or_default(),
            };
            let sort_key = sort.row(i as usize).data();
            if !partition.admits(sort_key, &self.range) {
                continue;
            }
            if self.top {
                partition.insert_top(sort_key, rows.row(c).data(), &self.range, self.encoders.with_rank, &mut out);
            } else {
                partition.insert(sort_key, rows.row(c).data(), &self.range);
                partition.truncate(&self.range);
                partition.changes(&self.range, self.encoders.with_rank, &mut out);
            }
        }
        Ok(out)
    }
}

impl Operator for RankOperator {
    type In = Changes;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep(state);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        if let Some(state) = self.restore.take() {
            let mut scratch = Vec::new();
            for (_, key, partition) in read_partitions(&state, subtask)? {
                match &mut self.top_one {
                    // Written by either layout: a Top-1 partition holds its one row first.
                    Some(top) => {
                        if let Some((sort, row)) = partition.first() {
                            top.offer(&key, sort, row, self.range.newest_first, &mut scratch);
                        }
                    }
                    None => {
                        let mut partition = partition;
                        if self.top {
                            // Shown are its rows, not a list kept beside them.
                            partition.emitted = Vec::new();
                        }
                        self.partitions.insert(key, partition);
                    }
                }
            }
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        match &self.top_one {
            // The same bytes as a partition holding the one row, so that either layout
            // restores what the other wrote.
            Some(top) => {
                let encoded = top
                    .iter()
                    .map(|(key, sort, row)| Ok((None, key, Partition::one_row_bytes(sort, row)?)))
                    .collect::<Result<Vec<_>, BoxError>>()?;
                write_partition_bytes(state, encoded)
            }
            None if self.top => {
                let encoded = self
                    .partitions
                    .iter()
                    .map(|(key, p)| Ok((None, key.as_ref(), p.top_to_bytes(&self.range)?)))
                    .collect::<Result<Vec<_>, BoxError>>()?;
                write_partition_bytes(state, encoded)
            }
            None => write_partitions(state, self.partitions.iter().map(|(k, p)| (None, k.as_ref(), p))),
        }
    }

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            self.process_changes(&record.value, out, record.timestamp)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: RankKind, start: u64, end: u64) -> RankRange {
        RankRange { kind, start, end, newest_first: false }
    }

    /// Rows named by one byte, with a one-byte sort key.
    fn fill(p: &mut Partition, rows: &[(u8, u8)], range: &RankRange) {
        for (key, row) in rows {
            p.insert(&[*key], &[*row], range);
        }
    }

    fn ranks(p: &Partition, range: &RankRange) -> Vec<(u8, u64)> {
        p.ranked(range).into_iter().map(|(r, k)| (r[0], k)).collect()
    }

    /// The top rows of an insert-only input changed in place give the general ranking's
    /// changes, in its order: ties either way, rows equal in bytes, every range up to 4,
    /// rank shown or not.
    #[test]
    fn insert_top_emits_what_ranking_again_emits() {
        let mut seed = 7u64;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        for case in 0..200 {
            let end = 1 + case % 4;
            let range = RankRange { kind: RankKind::RowNumber, start: 1, end, newest_first: case % 3 == 0 };
            let with_rank = case % 2 == 0;
            let (mut general, mut top) = (Partition::default(), Partition::default());
            for step in 0..30 {
                let (key, row) = ([next(6) as u8], [next(4) as u8]);
                if !general.admits(&key, &range) {
                    assert!(!top.admits(&key, &range), "case {case} step {step}: admitted by one only");
                    continue;
                }
                let (mut expected, mut got) = (Vec::new(), Vec::new());
                general.insert(&key, &row, &range);
                general.truncate(&range);
                general.changes(&range, with_rank, &mut expected);
                top.insert_top(&key, &row, &range, with_rank, &mut got);
                if !with_rank {
                    // The rank of a row is not read then (of equal rows, either may be new).
                    for change in expected.iter_mut().chain(got.iter_mut()) {
                        change.1 = 0;
                    }
                }
                assert_eq!(got, expected, "case {case} step {step}");
                assert_eq!(top.ranked(&range), general.ranked(&range), "case {case} step {step}");
            }
            assert_eq!(top.top_to_bytes(&range).unwrap(), general.to_bytes().unwrap(), "case {case}");
        }
    }

    #[test]
    fn ranking_functions_number_ties_as_flink() {
        let rows = [(1, b'a'), (2, b'b'), (2, b'c'), (3, b'd'), (4, b'e')];
        let cases = [
            (RankKind::RowNumber, vec![(b'a', 1), (b'b', 2), (b'c', 3)]),
            (RankKind::Rank, vec![(b'a', 1), (b'b', 2), (b'c', 2)]),
            (RankKind::DenseRank, vec![(b'a', 1), (b'b', 2), (b'c', 2), (b'd', 3)]),
        ];
        for (kind, expected) in cases {
            let r = range(kind, 1, 3);
            let mut p = Partition::default();
            fill(&mut p, &rows, &r);
            assert_eq!(ranks(&p, &r), expected, "{kind:?}");
            p.truncate(&r);
            assert_eq!(ranks(&p, &r), expected, "{kind:?} after truncation");
        }
    }

    #[test]
    fn newest_first_puts_a_later_tie_in_front() {
        let r = RankRange { newest_first: true, ..range(RankKind::RowNumber, 1, 1) };
        let mut p = Partition::default();
        fill(&mut p, &[(5, b'a'), (5, b'b'), (4, b'c')], &r);
        assert_eq!(ranks(&p, &r), vec![(b'c', 1)]);
        assert!(p.admits(&[4], &r));
        let oldest = range(RankKind::RowNumber, 1, 1);
        let mut p = Partition::default();
        fill(&mut p, &[(5, b'a'), (5, b'b')], &oldest);
        p.truncate(&oldest);
        assert_eq!(ranks(&p, &oldest), vec![(b'a', 1)]);
        assert!(!p.admits(&[5], &oldest));
    }

    #[test]
    fn retraction_in_the_top_brings_the_next_row_in() {
        let r = range(RankKind::RowNumber, 1, 2);
        let mut p = Partition::default();
        fill(&mut p, &[(1, b'a'), (2, b'b'), (3, b'c')], &r);
        let mut out = Vec::new();
        p.changes(&r, false, &mut out);
        assert_eq!(out.len(), 2);
        out.clear();
        assert!(p.retract(&[1], b"a"));
        assert!(!p.retract(&[1], b"a"));
        p.changes(&r, false, &mut out);
        let got: Vec<(u8, RowKind)> = out.iter().map(|(r, _, k)| (r[0], *k)).collect();
        assert_eq!(got, vec![(b'a', RowKind::Delete), (b'c', RowKind::Insert)]);
    }

    #[test]
    fn rank_changes_are_updates_when_the_rank_is_shown() {
        let r = range(RankKind::RowNumber, 1, 2);
        let mut p = Partition::default();
        fill(&mut p, &[(2, b'b'), (3, b'c')], &r);
        let mut out = Vec::new();
        p.changes(&r, true, &mut out);
        out.clear();
        p.insert(&[1], b"a", &r);
        p.changes(&r, true, &mut out);
        let got: Vec<(u8, u64, RowKind)> = out.iter().map(|(r, n, k)| (r[0], *n, *k)).collect();
        assert_eq!(
            got,
            vec![
                (b'b', 1, RowKind::UpdateBefore),
                (b'a', 1, RowKind::UpdateAfter),
                (b'c', 2, RowKind::UpdateBefore),
                (b'b', 2, RowKind::UpdateAfter)
            ]
        );
    }
}

#[cfg(test)]
mod restore_tests {
    use weir_runtime::ManualClock;

    use super::*;
    use crate::changelog::RowKind::{Insert as I, UpdateAfter as UA, UpdateBefore as UB};
    use weir_runtime::snapshot::OperatorSnapshot;

    use crate::stream::operator_harness::{bigints, columns, feed_keyed, restore_all, rows, sorted, Harness};

    /// `ROW_NUMBER() OVER (PARTITION BY k ORDER BY v DESC) <= 2` over an updating (k, v).
    fn operator() -> RankOperator {
        let input = bigints(&["k", "v"]);
        let keys = KeyEncoder::new(columns(&input, &[0]), &input).unwrap();
        let sort = vec![(columns(&input, &[1]).remove(0), true, false)];
        let out = bigints(&["k", "v", "rn"]);
        let range = RankRange { kind: RankKind::RowNumber, start: 1, end: 2, newest_first: false };
        RankOperator::new(RankEncoders::new(keys, sort, &input, out, true).unwrap(), range, true)
    }

    /// `operator()` with another range, over an insert-only input when not `retracting`.
    fn ranking(kind: RankKind, end: u64, newest_first: bool, retracting: bool) -> RankOperator {
        let input = bigints(&["k", "v"]);
        let keys = KeyEncoder::new(columns(&input, &[0]), &input).unwrap();
        let sort = vec![(columns(&input, &[1]).remove(0), true, false)];
        let out = bigints(&["k", "v", "rn"]);
        let range = RankRange { kind, start: 1, end, newest_first };
        RankOperator::new(RankEncoders::new(keys, sort, &input, out, true).unwrap(), range, retracting)
    }

    /// Over inserts, the Top-N that keeps only its top rows (and encodes only the rows its
    /// partitions admit before each batch) emits exactly what the one keeping every row
    /// does: rows rejected before the batch, rows admitted and pushed out within it, ties.
    #[test]
    fn insert_only_top_n_emits_what_the_retracting_one_does() {
        let clock = ManualClock::new(0);
        let s = bigints(&["k", "v"]);
        let batches: Vec<Vec<[i64; 2]>> = vec![
            (0..12).map(|i| [i % 3, (i * 7) % 10]).collect(),
            // Mostly below each partition's top: rejected before the batch.
            (0..12).map(|i| [i % 3, i % 4]).collect(),
            // Admitted before the batch, then pushed out by a later row of it; ties.
            vec![[0, 8], [0, 9], [0, 10], [0, 10], [1, 9], [5, 1], [5, 1], [1, 100]],
        ];
        for (kind, end, newest_first) in [
            (RankKind::RowNumber, 2, false),
            (RankKind::RowNumber, 1, true),
            (RankKind::RowNumber, 1, false),
            (RankKind::Rank, 3, false),
        ] {
            let mut kept = Harness::new(ranking(kind, end, newest_first, false), &clock);
            let mut all = Harness::new(ranking(kind, end, newest_first, true), &clock);
            for b in &batches {
                let changes = rows(&s, &b.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>());
                assert_eq!(kept.feed(changes.clone()), all.feed(changes), "{kind:?} top {end}");
            }
            let held: usize = kept.op.partitions.values().map(|p| p.count).sum();
            assert!(held <= 16, "only the top rows of the 4 partitions are kept: {held}");
        }
    }

    /// A Top-1 of an insert-only input keeps its rows in [`TopOneRows`]: it emits what the
    /// general layout emits (ties of different rows both ways included), and its checkpoints
    /// are the general layout's, so each restores what the other wrote.
    #[test]
    fn top_one_layout_matches_and_restores_the_general_one() {
        let clock = ManualClock::new(0);
        // (k, v, x): ranked by v descending within k; x tells tied rows apart.
        let s = bigints(&["k", "v", "x"]);
        let operator = |newest_first: bool, general: bool| {
            let keys = KeyEncoder::new(columns(&s, &[0]), &s).unwrap();
            let sort = vec![(columns(&s, &[1]).remove(0), true, false)];
            let range = RankRange { kind: RankKind::RowNumber, start: 1, end: 1, newest_first };
            let encoders = RankEncoders::new(keys, sort, &s, bigints(&["k", "v", "x", "rn"]), false).unwrap();
            let mut op = RankOperator::new(encoders, range, false);
            assert!(op.top_one.is_some());
            if general {
                op.top_one = None;
            }
            op
        };
        let feed = |b: Vec<[i64; 3]>| rows(&s, &b.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>());
        // Key 50 meets a tie of a different row in the second batch.
        let first = feed((0..30).map(|i| [i % 7, (i * 5) % 4, i]).chain([[50, 3, 0]]).collect());
        let next = feed((0..30).map(|i| [i % 9, (i * 3) % 5, 100 + i]).chain([[50, 3, 999], [50, 2, 5]]).collect());
        for newest_first in [false, true] {
            let top = || operator(newest_first, false);
            let general = || operator(newest_first, true);
            let mut reference = Harness::new(general(), &clock);
            let mut layout = Harness::new(top(), &clock);
            let emitted = reference.feed(first.clone());
            assert_eq!(layout.feed(first.clone()), emitted, "newest first {newest_first}");
            let (general_state, top_state) = (reference.snapshot(), layout.snapshot());
            let expected = sorted(reference.feed(next.clone()));
            // Ties replace the row held only when the newest come first.
            let replaced_by_tie = expected.iter().any(|l| l == "+I[50, 3, 999, 1]");
            assert!(expected.iter().any(|l| l.starts_with("-D")), "{expected:?}");
            assert_eq!(replaced_by_tie, newest_first, "{expected:?}");
            let cases: [(&OperatorSnapshot, &dyn Fn() -> RankOperator); 3] =
                [(&general_state, &top), (&top_state, &top), (&top_state, &general)];
            for (snapshot, restore) in cases {
                for parallelism in [1, 2] {
                    let mut restored = restore_all(restore, &clock, snapshot, parallelism);
                    let got = sorted(feed_keyed(&mut restored, &[0], next.clone()));
                    assert_eq!(got, expected, "newest first {newest_first}, p{parallelism}");
                }
            }
        }
    }

    #[test]
    fn small_and_large_diffs_find_the_same_changes() {
        let row = |b: u8| -> Arc<[u8]> { Arc::from(vec![b; 3]) };
        // Lists with repeats, moves and rows entering and leaving.
        let lists: Vec<Vec<(Arc<[u8]>, u64)>> = (0..6u8)
            .map(|seed| (0..(seed as u64 * 3)).map(|i| (row((i as u8 * (seed + 1)) % 7), i % 4 + 1)).collect())
            .collect();
        for old in &lists {
            for new in &lists {
                for with_rank in [false, true] {
                    let small = unmatched_small(old, new, with_rank);
                    let large = unmatched(old, new, with_rank);
                    assert_eq!(small, large, "{old:?} → {new:?}");
                }
            }
        }
    }

    #[test]
    fn output_is_cut_into_batches_of_bounded_size_in_order() {
        let encoders = operator().encoders;
        let input = bigints(&["k", "v"]);
        let one: Vec<[i64; 2]> = vec![[1, 2]];
        let (_, _, encoded) = encoders.encode(&rows(&input, &[(I, one[0].as_slice())]).rows).unwrap();
        let row: Arc<[u8]> = encoded.row(0).data().into();
        // Enough rows for three batches.
        let n = 2 * OUTPUT_BATCH_BYTES / row.len() + 5;
        let changes: Vec<RankedChange> = (0..n).map(|i| (row.clone(), i as u64, RowKind::Insert)).collect();
        let batches = encoders.outputs(&changes).unwrap();
        assert_eq!(batches.len(), 3);
        let mut next_rank = 0u64;
        for b in &batches {
            let ranks = b.rows.column(2).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap();
            for r in ranks.values() {
                assert_eq!(*r as u64, next_rank, "rows keep their order across batches");
                next_rank += 1;
            }
        }
        assert_eq!(next_rank as usize, n);
        assert!(encoders.outputs::<Arc<[u8]>>(&[]).unwrap().is_empty());
    }

    #[test]
    fn restored_top_n_retracts_into_the_rows_it_kept() {
        let clock = ManualClock::new(0);
        let s = bigints(&["k", "v"]);
        let first: Vec<[i64; 2]> = (0..40).map(|i| [i % 5, i]).collect();
        let mut reference = Harness::new(operator(), &clock);
        reference.feed(rows(&s, &first.iter().map(|r| (I, r.as_slice())).collect::<Vec<_>>()));
        let snapshot = reference.snapshot();
        // Retract each partition's top row: the second moves up, the third takes rank 2 (Flink's -U/+U per rank).
        let next = [(UB, [0i64, 35]), (UA, [0, 1]), (UB, [1, 36]), (I, [7, 7]), (UB, [4, 39])];
        let next = rows(&s, &next.iter().map(|(k, r)| (*k, r.as_slice())).collect::<Vec<_>>());
        let expected = sorted(reference.feed(next.clone()));
        assert!(expected.iter().any(|l| l.starts_with("+U[0, 25, 2]")), "{expected:?}");
        for parallelism in [1, 2, 3] {
            let mut restored = restore_all(operator, &clock, &snapshot, parallelism);
            assert_eq!(sorted(feed_keyed(&mut restored, &[0], next.clone())), expected, "p{parallelism}");
        }
    }
}
