//! The regular streaming join (Flink's `StreamingJoinOperator` and semi/anti join): both
//! inputs are kept in state forever, per join key, as multisets of rows; every change on
//! one side is joined with the other side's rows of its key that satisfy the residual
//! condition. Either input may be a changelog.
//!
//! Outer sides: each stored row counts how many rows of the other side it matches. A row
//! without a match is emitted padded with nulls (`+I`); when its first match arrives the
//! padded row is retracted (`-D`) before the joined rows are emitted, and when its last
//! match goes away the padded row is emitted again. Semi and anti joins use the same
//! counts to emit a left row when it gains its first match (semi) or loses its last (anti).
//!
//! Rows whose key holds a NULL match nothing and are not stored: an outer side emits them
//! padded and retracts them padded.
//!
//! With `table.exec.state.ttl`, a stored row not written for that long (processing time:
//! added, retracted, or its match count changed) is forgotten without output, as Flink's
//! join state TTL (`OnCreateAndWrite`, `NeverReturnExpired`): before a batch is applied the
//! expired rows of its keys are dropped on both sides, so no expired row is ever matched;
//! a sweep every half TTL frees the rest.
//!
//! An insert-only input without a state TTL never takes a row back, so its side keeps no
//! multiset: each key's rows in arrival order, their bytes one after another in an arena
//! ([`SideRows::Appended`]), a row costing its bytes and 16 bytes instead of an allocation and
//! a hash-map entry (the stored bids of Nexmark's joins were most of their memory, and the
//! kernel's zeroing of that memory a quarter of their time).
//!
//! Checkpoints hold every stored row with its side, join key, count, match count and last
//! write, each key's rows in their order ([`super::keyed_state`]); either form of a side
//! restores from either.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{new_null_array, ArrayRef, BooleanArray, Int64Array, RecordBatch, RecordBatchOptions, UInt32Array};
use arrow::datatypes::SchemaRef;
use arrow::row::Row;
use datafusion_physical_expr::PhysicalExpr;
use indexmap::IndexMap;
use weir_core::StreamRecord;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, Emitter, Operator, SubtaskInfo};

use super::batch::cast_to;
use super::batch::Changes;
use super::join::{condition_mask, pair_batch, JoinInput, JoinKey, JoinKind, RowCodec, Side};
use super::keyed_state::{self, PendingRestore};
use crate::changelog::RowKind;
use crate::stream::KeyMap;

/// One distinct stored row: how many times it is present, and how many rows of the other
/// side it matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Entry {
    count: i64,
    matches: i64,
    /// Processing time of the last write (for the state TTL); [`UNKNOWN`] when restored
    /// from a checkpoint that did not record it.
    updated: i64,
}

/// A last write not known: counted from the first time the row is seen again.
const UNKNOWN: i64 = i64::MIN;

/// The rows of one key on one side, by their bytes. foldhash, not SipHash: every stored
/// and retracted row is hashed whole (SipHash of the rows was a tenth of q20's time).
type Bucket = IndexMap<Box<[u8]>, Entry, foldhash::fast::RandomState>;

/// One row of an insert-only side: where its bytes are in the side's [`Arena`], and how
/// many rows of the other side it matches.
#[derive(Debug, Clone, Copy)]
struct Stored {
    page: u32,
    at: u32,
    len: u32,
    matches: u32,
}

/// Rows' bytes one after another, in pages of [`ARENA_PAGE`] bytes (a longer row has a
/// page of its own): no allocation per row and no slack but the last page's.
#[derive(Debug, Default)]
struct Arena {
    pages: Vec<Vec<u8>>,
}

/// Bytes of an [`Arena`] page.
const ARENA_PAGE: usize = 1 << 20;

impl Arena {
    fn push(&mut self, row: &[u8], matches: i64) -> Stored {
        if self.pages.last().is_none_or(|p| p.capacity() - p.len() < row.len()) {
            self.pages.push(Vec::with_capacity(ARENA_PAGE.max(row.len())));
        }
        let page = self.pages.len() - 1;
        let bytes = &mut self.pages[page];
        let at = bytes.len();
        bytes.extend_from_slice(row);
        Stored { page: page as u32, at: at as u32, len: row.len() as u32, matches: clamp_matches(matches) }
    }

    fn get(&self, row: &Stored) -> &[u8] {
        &self.pages[row.page as usize][row.at as usize..][..row.len as usize]
    }
}

fn clamp_matches(matches: i64) -> u32 {
    u32::try_from(matches.max(0)).unwrap_or(u32::MAX)
}

/// The rows stored for one side of the join.
#[derive(Debug)]
enum SideRows {
    /// A changelog's rows, or any rows kept with a state TTL: per key, a multiset of rows.
    Indexed(KeyMap<Bucket>),
    /// An insert-only input's rows (no TTL): per key in arrival order, duplicates apart.
    Appended { keys: KeyMap<Vec<Stored>>, arena: Arena },
}

/// One key's stored rows on one side, for reading and updating their match counts.
enum BucketMut<'a> {
    Indexed(&'a mut Bucket),
    Appended(&'a mut [Stored]),
}

impl BucketMut<'_> {
    /// How many copies of the row in `slot` are stored.
    fn count(&self, slot: usize) -> i64 {
        match self {
            BucketMut::Indexed(b) => b[slot].count,
            BucketMut::Appended(_) => 1,
        }
    }

    /// Updates the entry of the row in `slot` (an appended row keeps only its match count).
    fn update(&mut self, slot: usize, f: impl FnOnce(&mut Entry)) {
        match self {
            BucketMut::Indexed(b) => f(b.get_index_mut(slot).expect("slot in bucket").1),
            BucketMut::Appended(rows) => {
                let row = &mut rows[slot];
                let mut entry = Entry { count: 1, matches: i64::from(row.matches), updated: UNKNOWN };
                f(&mut entry);
                row.matches = clamp_matches(entry.matches);
            }
        }
    }
}

/// One key's stored rows on one side, for reading.
#[derive(Clone, Copy)]
enum KeyRows<'a> {
    Indexed(&'a Bucket),
    Appended(&'a [Stored], &'a Arena),
}

impl<'a> KeyRows<'a> {
    /// How many distinct rows there are.
    fn len(self) -> usize {
        match self {
            KeyRows::Indexed(b) => b.len(),
            KeyRows::Appended(rows, _) => rows.len(),
        }
    }

    /// The bytes of the row in `slot`.
    fn row(self, slot: usize) -> &'a [u8] {
        match self {
            KeyRows::Indexed(b) => b.get_index(slot).expect("slot in bucket").0,
            KeyRows::Appended(rows, arena) => arena.get(&rows[slot]),
        }
    }
}

impl SideRows {
    fn new(appended: bool) -> Self {
        if appended {
            SideRows::Appended { keys: KeyMap::default(), arena: Arena::default() }
        } else {
            SideRows::Indexed(KeyMap::default())
        }
    }

    /// The stored rows of `key`, if it has any.
    fn key_rows(&self, key: &[u8]) -> Option<KeyRows<'_>> {
        match self {
            SideRows::Indexed(map) => map.get(key).map(KeyRows::Indexed),
            SideRows::Appended { keys, arena } => keys.get(key).map(|rows| KeyRows::Appended(rows, arena)),
        }
    }

    fn bucket_mut(&mut self, key: &[u8]) -> Option<BucketMut<'_>> {
        match self {
            SideRows::Indexed(map) => map.get_mut(key).map(BucketMut::Indexed),
            SideRows::Appended { keys, .. } => keys.get_mut(key).map(|rows| BucketMut::Appended(rows)),
        }
    }

    /// Adds `count` copies of `row`, which match `matches` rows of the other side, under
    /// `key`, written at `now`. Key and row bytes are copied only when new.
    fn store(&mut self, key: &[u8], row: &[u8], count: i64, matches: i64, now: i64) {
        match self {
            SideRows::Indexed(map) => {
                let bucket = match map.get_mut(key) {
                    Some(bucket) => bucket,
                    None => map.entry(key.into()).or_default(),
                };
                match bucket.get_mut(row) {
                    Some(entry) => {
                        entry.count += count;
                        entry.matches = matches;
                        entry.updated = now;
                    }
                    None => {
                        bucket.insert(row.into(), Entry { count, matches, updated: now });
                    }
                }
            }
            SideRows::Appended { keys, arena } => {
                let rows = match keys.get_mut(key) {
                    Some(rows) => rows,
                    None => keys.entry(key.into()).or_default(),
                };
                for _ in 0..count {
                    rows.push(arena.push(row, matches));
                }
            }
        }
    }

    /// Takes one occurrence of `row` out of `key`'s rows, at `now`.
    ///
    /// # Errors
    /// A side kept as an insert-only input's.
    fn retract(&mut self, key: &[u8], row: &[u8], now: i64) -> Result<(), BoxError> {
        let SideRows::Indexed(map) = self else {
            return Err("a retraction reached a join side planned for an insert-only input".into());
        };
        let Some(bucket) = map.get_mut(key) else { return Ok(()) };
        if let Some(entry) = bucket.get_mut(row) {
            entry.count -= 1;
            entry.updated = now;
            if entry.count <= 0 {
                bucket.swap_remove(row);
            }
        }
        if bucket.is_empty() {
            map.remove(key);
        }
        Ok(())
    }

    /// Every stored row: key, bytes and entry (an appended row as one copy).
    fn for_each<'s>(&'s self, mut f: impl FnMut(&'s [u8], &'s [u8], Entry)) {
        match self {
            SideRows::Indexed(map) => {
                for (key, bucket) in map {
                    for (row, entry) in bucket {
                        f(key, row, *entry);
                    }
                }
            }
            SideRows::Appended { keys, arena } => {
                for (key, rows) in keys {
                    for r in rows {
                        f(key, arena.get(r), Entry { count: 1, matches: i64::from(r.matches), updated: UNKNOWN });
                    }
                }
            }
        }
    }

    /// Keys with stored rows.
    #[cfg(test)]
    fn keys(&self) -> usize {
        match self {
            SideRows::Indexed(map) => map.len(),
            SideRows::Appended { keys, .. } => keys.len(),
        }
    }
}

/// Joins two changelogs on equal keys and a residual condition.
pub struct RegularJoinOperator {
    kind: JoinKind,
    keys: [JoinKey; 2],
    codecs: [RowCodec; 2],
    condition: Option<Arc<dyn PhysicalExpr>>,
    pair_schema: SchemaRef,
    schema: SchemaRef,
    state: [SideRows; 2],
    /// The inputs that are insert-only (left, right): kept as [`SideRows::Appended`]
    /// without a state TTL.
    insert_only: [bool; 2],
    restore: PendingRestore,
    /// `table.exec.state.ttl` in milliseconds.
    ttl_ms: Option<i64>,
    /// Processing time of the batch being applied.
    now: i64,
    next_sweep: i64,
}

impl RegularJoinOperator {
    /// A join of `kind` on `keys` (left, right) and the residual `condition`, which reads
    /// batches of `pair_schema` (left columns, then right). Rows of each side are kept
    /// through `codecs`; the output has `schema`.
    pub fn new(
        kind: JoinKind,
        keys: [JoinKey; 2],
        codecs: [RowCodec; 2],
        condition: Option<Arc<dyn PhysicalExpr>>,
        pair_schema: SchemaRef,
        schema: SchemaRef,
    ) -> Self {
        RegularJoinOperator {
            kind,
            keys,
            codecs,
            condition,
            pair_schema,
            schema,
            state: [SideRows::new(false), SideRows::new(false)],
            insert_only: [false; 2],
            restore: PendingRestore::default(),
            ttl_ms: None,
            now: 0,
            next_sweep: 0,
        }
    }

    /// Forgets stored rows not written for `ttl_ms` of processing time (`None`: never).
    pub fn with_state_ttl(mut self, ttl_ms: Option<i64>) -> Self {
        self.ttl_ms = ttl_ms.filter(|t| *t > 0);
        self.lay_out_state();
        self
    }

    /// Declares which inputs (left, right) are insert-only: such a side (without a state
    /// TTL) keeps its rows appended, and a retraction on it is an error.
    pub fn with_insert_only_inputs(mut self, insert_only: [bool; 2]) -> Self {
        self.insert_only = insert_only;
        self.lay_out_state();
        self
    }

    /// The sides' state as the inputs and the TTL call for (before any row is stored).
    fn lay_out_state(&mut self) {
        let ttl = self.ttl_ms.is_some();
        self.state = self.insert_only.map(|insert_only| SideRows::new(insert_only && !ttl));
    }

    /// Drops the expired rows of `keys` on both sides (and, every half TTL, of all keys).
    fn expire(&mut self, keys: &super::join::BatchKeys, n: usize) {
        let Some(ttl) = self.ttl_ms else { return };
        let now = self.now;
        let live = |e: &mut Entry| {
            if e.updated == UNKNOWN {
                e.updated = now;
            }
            e.updated.saturating_add(ttl) > now
        };
        if now >= self.next_sweep {
            for side in &mut self.state {
                // Only an indexed side is kept with a TTL.
                let SideRows::Indexed(side) = side else { continue };
                side.retain(|_, bucket| {
                    bucket.retain(|_, e| live(e));
                    !bucket.is_empty()
                });
            }
            self.next_sweep = now.saturating_add((ttl / 2).max(1));
            return;
        }
        for i in 0..n {
            let Some(key) = keys.get(i) else { continue };
            for side in &mut self.state {
                let SideRows::Indexed(side) = side else { continue };
                if let Some(bucket) = side.get_mut(key) {
                    bucket.retain(|_, e| live(e));
                    if bucket.is_empty() {
                        side.remove(key);
                    }
                }
            }
        }
    }

    /// The output caused by `changes` arriving on `side`; `None` when there is none.
    pub fn apply(&mut self, side: Side, changes: &Changes) -> Result<Option<Changes>, BoxError> {
        let (s, o) = (side.index(), side.other().index());
        let batch = &changes.rows;
        let n = batch.num_rows();
        let keys = self.keys[s].encode(batch)?;
        self.expire(&keys, n);
        let now = self.now;

        // The other side's stored rows of the batch's keys, each key's once however many
        // input rows share it (a bid batch holds many bids of one auction): `stored` names
        // each by the first input row of its key and its slot in the bucket. The other
        // side's buckets keep their layout while this batch is applied (only their match
        // counts change), so a slot names a stored row throughout.
        let mut stored: Vec<(u32, u32)> = Vec::new();
        let mut first_seen: HashMap<&[u8], (u32, u32), foldhash::fast::RandomState> = HashMap::default();
        // Per input row: where its candidates (every stored row of its key) start in
        // `stored`, and how many there are.
        let mut spans: Vec<(u32, u32)> = Vec::with_capacity(n);
        for i in 0..n {
            let Some(key) = keys.get(i) else {
                spans.push((0, 0));
                continue;
            };
            let span = *first_seen.entry(key).or_insert_with(|| match self.state[o].key_rows(key).map(KeyRows::len) {
                Some(len) => {
                    let start = stored.len() as u32;
                    stored.extend((0..len as u32).map(|slot| (i as u32, slot)));
                    (start, len as u32)
                }
                None => (0, 0),
            });
            spans.push(span);
        }
        // Candidates in input order: row i's are `starts[i]..starts[i] + spans[i].1`.
        let mut starts: Vec<usize> = Vec::with_capacity(n);
        let mut candidates = 0usize;
        for &(_, len) in &spans {
            starts.push(candidates);
            candidates += len as usize;
        }
        // With a condition every stored candidate is decoded once, for the condition and
        // the output; without one only those the output names, after the batch.
        let mut stored_columns: Option<Vec<ArrayRef>> = None;
        let mask = match &self.condition {
            Some(condition) if candidates > 0 => {
                let mut cand_row: Vec<u32> = Vec::with_capacity(candidates);
                let mut cand_stored: Vec<u32> = Vec::with_capacity(candidates);
                for (i, &(start, len)) in spans.iter().enumerate() {
                    cand_row.extend(std::iter::repeat_n(i as u32, len as usize));
                    cand_stored.extend(start..start + len);
                }
                let all: Vec<u32> = (0..stored.len() as u32).collect();
                let decoded = self.decode_stored(o, &keys, &stored, &all)?;
                let own = super::batch::take_all(batch, &UInt32Array::from(cand_row))?;
                let idx = UInt32Array::from(cand_stored);
                let other =
                    decoded.iter().map(|c| arrow::compute::take(c, &idx, None)).collect::<Result<Vec<_>, _>>()?;
                stored_columns = Some(decoded);
                let (left, right) = if side == Side::Left { (own, other) } else { (other, own) };
                Some(condition_mask(condition, &pair_batch(&self.pair_schema, left, right, candidates)?)?)
            }
            _ => None,
        };
        let matched = |c: usize| mask.as_ref().is_none_or(|m: &BooleanArray| m.value(c));

        // Rows of the own side are stored as bytes; only rows with a key are.
        let rows = self.codecs[s].encode(batch)?;
        let mut out = Picks::default();
        let [left_state, right_state] = &mut self.state;
        let (own_state, other_state) =
            if side == Side::Left { (left_state, right_state) } else { (right_state, left_state) };
        let semi = self.kind == JoinKind::LeftSemi;
        for i in 0..n {
            let (start, len) = spans[i];
            let (a, b) = (starts[i], starts[i] + len as usize);
            let own = i as u32;
            let input_kind = changes.kind(i);
            let accumulate = input_kind.is_accumulate();
            let key = keys.get(i);
            let mut other_bucket = if a < b { key.and_then(|k| other_state.bucket_mut(k)) } else { None };
            let mut total = 0;
            if let Some(bucket) = &other_bucket {
                for c in (a..b).filter(|&c| matched(c)) {
                    total += bucket.count(c - a);
                }
            }
            // Each matched stored row of the other side: its index in `stored`, its entry.
            let mut each_match = |f: &mut dyn FnMut(u32, &mut Entry)| {
                if let Some(bucket) = other_bucket.as_mut() {
                    for c in (a..b).filter(|&c| matched(c)) {
                        let d = start + (c - a) as u32;
                        bucket.update(c - a, |entry| f(d, entry));
                    }
                }
            };

            if accumulate {
                if self.kind.is_semi_or_anti() {
                    match side {
                        Side::Left if (total > 0) == semi => out.push(RowKind::Insert, Some(own), None, 1),
                        Side::Left => {}
                        Side::Right => each_match(&mut |d, e| {
                            if e.matches == 0 {
                                let kind = if semi { RowKind::Insert } else { RowKind::Delete };
                                out.push(kind, None, Some(d), e.count as usize);
                            }
                            e.matches += 1;
                            e.updated = now;
                        }),
                    }
                } else if total == 0 {
                    if self.kind.is_outer(side) {
                        out.push(RowKind::Insert, Some(own), None, 1);
                    }
                } else {
                    let other_outer = self.kind.is_outer(side.other());
                    let kind = if self.kind == JoinKind::Inner { input_kind } else { RowKind::Insert };
                    if other_outer {
                        each_match(&mut |d, e| {
                            if e.matches == 0 {
                                out.push(RowKind::Delete, None, Some(d), e.count as usize);
                            }
                            e.matches += 1;
                            e.updated = now;
                        });
                    }
                    each_match(&mut |d, e| out.push(kind, Some(own), Some(d), e.count as usize));
                }
                if let Some(key) = key {
                    own_state.store(key, rows.row(i).as_ref(), 1, total, now);
                }
            } else {
                if let Some(key) = key {
                    own_state.retract(key, rows.row(i).as_ref(), now)?;
                }
                if self.kind.is_semi_or_anti() {
                    match side {
                        Side::Left if (total > 0) == semi => out.push(RowKind::Delete, Some(own), None, 1),
                        Side::Left => {}
                        Side::Right => each_match(&mut |d, e| {
                            if e.matches == 1 {
                                let kind = if semi { RowKind::Delete } else { RowKind::Insert };
                                out.push(kind, None, Some(d), e.count as usize);
                            }
                            e.matches = (e.matches - 1).max(0);
                            e.updated = now;
                        }),
                    }
                } else if total == 0 {
                    if self.kind.is_outer(side) {
                        out.push(RowKind::Delete, Some(own), None, 1);
                    }
                } else {
                    let kind = if self.kind == JoinKind::Inner { input_kind } else { RowKind::Delete };
                    each_match(&mut |d, e| out.push(kind, Some(own), Some(d), e.count as usize));
                    if self.kind.is_outer(side.other()) {
                        each_match(&mut |d, e| {
                            if e.matches == 1 {
                                out.push(RowKind::Insert, None, Some(d), e.count as usize);
                            }
                            e.matches = (e.matches - 1).max(0);
                            e.updated = now;
                        });
                    }
                }
            }
        }
        if out.kinds.is_empty() {
            return Ok(None);
        }
        let other_columns = match stored_columns {
            Some(columns) => Some(columns),
            None if out.other.iter().any(Option::is_some) => {
                // Only the stored rows the output names, each once, in first use order.
                let mut compact = vec![u32::MAX; stored.len()];
                let mut used: Vec<u32> = Vec::new();
                for d in out.other.iter_mut().flatten() {
                    if compact[*d as usize] == u32::MAX {
                        compact[*d as usize] = used.len() as u32;
                        used.push(*d);
                    }
                    *d = compact[*d as usize];
                }
                Some(self.decode_stored(o, &keys, &stored, &used)?)
            }
            None => None,
        };
        Ok(Some(self.output(side, batch, other_columns.as_deref(), out)?))
    }

    /// The columns of the `stored` rows `which` (indices into `stored`) of the other side
    /// `o`, where `stored` names each by an input row of its key (`keys`) and its slot.
    fn decode_stored(
        &self,
        o: usize,
        keys: &super::join::BatchKeys,
        stored: &[(u32, u32)],
        which: &[u32],
    ) -> Result<Vec<ArrayRef>, BoxError> {
        let codec = &self.codecs[o];
        let mut rows: Vec<Row<'_>> = Vec::with_capacity(which.len());
        // Consecutive rows mostly share a key: it is looked up once per run.
        let mut current: Option<(u32, KeyRows<'_>)> = None;
        for &d in which {
            let (first, slot) = stored[d as usize];
            let key_rows = match current {
                Some((row, key_rows)) if row == first => key_rows,
                _ => {
                    let key = keys.get(first as usize).expect("a stored row was found under this key");
                    let key_rows = self.state[o].key_rows(key).expect("a key's rows stay while a batch is applied");
                    current = Some((first, key_rows));
                    key_rows
                }
            };
            rows.push(codec.parse(key_rows.row(slot as usize)));
        }
        codec.decode(rows)
    }

    /// The output batch of `picks` for input `batch` on `side`: the own side's columns taken
    /// from the batch, the other side's from `other` (the decoded stored rows the picks
    /// name), nulls where a pick is `None`.
    fn output(
        &self,
        side: Side,
        batch: &RecordBatch,
        other: Option<&[ArrayRef]>,
        picks: Picks,
    ) -> Result<Changes, BoxError> {
        let rows = picks.kinds.len();
        let own_columns = || -> Result<Vec<ArrayRef>, BoxError> {
            let in_order = rows == batch.num_rows() && picks.own.iter().enumerate().all(|(i, p)| *p == Some(i as u32));
            if in_order {
                return Ok(batch.columns().to_vec());
            }
            let idx = UInt32Array::from(picks.own.clone());
            super::batch::take_all(batch, &idx)
        };
        let other_columns = || -> Result<Vec<ArrayRef>, BoxError> {
            let schema = self.codecs[side.other().index()].schema();
            match other {
                Some(columns) => {
                    let idx = UInt32Array::from(picks.other.clone());
                    Ok(columns.iter().map(|c| arrow::compute::take(c, &idx, None)).collect::<Result<Vec<_>, _>>()?)
                }
                None => Ok(schema.fields().iter().map(|f| new_null_array(f.data_type(), rows)).collect()),
            }
        };
        let left_only = self.kind.is_semi_or_anti();
        let columns = match (side, left_only) {
            (Side::Left, true) => own_columns()?,
            (Side::Right, true) => other_columns()?,
            (Side::Left, false) => own_columns()?.into_iter().chain(other_columns()?).collect(),
            (Side::Right, false) => other_columns()?.into_iter().chain(own_columns()?).collect(),
        };
        let columns = columns
            .into_iter()
            .zip(self.schema.fields())
            .map(|(c, f)| cast_to(c, f.data_type()))
            .collect::<Result<Vec<_>, _>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        Ok(Changes::with_kinds(batch, picks.kinds))
    }
}

/// Output rows under assembly, by reference: each names its kind, a row of the input batch
/// (or nulls) and a stored row of the other side by its index in the batch's stored rows
/// (or nulls).
#[derive(Default)]
struct Picks {
    kinds: Vec<RowKind>,
    own: Vec<Option<u32>>,
    other: Vec<Option<u32>>,
}

impl Picks {
    /// Adds `times` rows of `kind` joining input row `own` and stored row `other`.
    fn push(&mut self, kind: RowKind, own: Option<u32>, other: Option<u32>, times: usize) {
        self.kinds.extend(std::iter::repeat_n(kind, times));
        self.own.extend(std::iter::repeat_n(own, times));
        self.other.extend(std::iter::repeat_n(other, times));
    }
}

impl Operator for RegularJoinOperator {
    type In = JoinInput;
    type Out = Changes;

    fn initialize_state(&mut self, state: &OperatorStateReader) -> Result<(), BoxError> {
        self.restore.keep(state);
        Ok(())
    }

    fn open(&mut self, subtask: &SubtaskInfo) -> Result<(), BoxError> {
        let Some(state) = self.restore.take() else { return Ok(()) };
        for batch in keyed_state::read_keyed(&state, subtask)? {
            let keys = keyed_state::keys_of(&batch)?;
            let sides = keyed_state::i64_column(&batch, "side")?;
            let rows = keyed_state::bytes_of(&batch, "row")?;
            let counts = keyed_state::i64_column(&batch, "count")?;
            let matches = keyed_state::i64_column(&batch, "matches")?;
            // Checkpoints before the state TTL did not record the last write.
            let updated =
                batch.column_by_name("updated").map(|_| keyed_state::i64_column(&batch, "updated")).transpose()?;
            for i in 0..batch.num_rows() {
                let side = usize::from(sides.value(i) != 0);
                let updated = updated.map_or(UNKNOWN, |u| u.value(i));
                self.state[side].store(keys.value(i), rows.value(i), counts.value(i), matches.value(i), updated);
            }
        }
        Ok(())
    }

    fn snapshot_state(&mut self, state: &mut OperatorStateWriter) -> Result<(), BoxError> {
        if !state.stores_state() {
            return Ok(());
        }
        let mut entries = Vec::new();
        for (side, rows) in self.state.iter().enumerate() {
            rows.for_each(|key, row, entry| entries.push((key, side as i64, row, entry)));
        }
        let batches = keyed_state::batches_of(
            &entries,
            |(key, _, row, _)| key.len() + row.len(),
            |run| {
                let columns: Vec<(String, ArrayRef)> = vec![
                    ("side".into(), Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.1)))),
                    ("row".into(), keyed_state::bytes_column(run.iter().map(|e| e.2))),
                    ("count".into(), Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.3.count)))),
                    ("matches".into(), Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.3.matches)))),
                    ("updated".into(), Arc::new(Int64Array::from_iter_values(run.iter().map(|e| e.3.updated)))),
                ];
                keyed_state::state_batch(run.iter().map(|e| e.0), columns)
            },
        )?;
        keyed_state::write_keyed(state, &batches)
    }

    fn process(
        &mut self,
        batch: &mut Vec<StreamRecord<JoinInput>>,
        out: &mut Emitter<Changes>,
    ) -> Result<(), BoxError> {
        if self.ttl_ms.is_some() {
            self.now = out.now_ms();
        }
        for record in batch.drain(..) {
            if let Some(changes) = self.apply(record.value.side, &record.value.changes)? {
                out.emit(StreamRecord { value: changes, timestamp: record.timestamp });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, RecordBatch, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::util::display::array_value_to_string;
    use datafusion_physical_expr::expressions::Column;

    fn side_schema(value: &str) -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("k", DataType::Int32, true), Field::new(value, DataType::Utf8, true)]))
    }

    fn join(kind: JoinKind) -> RegularJoinOperator {
        join_where(kind, None)
    }

    /// A join of `kind` with the residual `condition` over (k, v, k, w).
    fn join_where(kind: JoinKind, condition: Option<Arc<dyn PhysicalExpr>>) -> RegularJoinOperator {
        let (l, r) = (side_schema("v"), side_schema("w"));
        let key = |s: &SchemaRef| JoinKey::new(vec![Arc::new(Column::new("k", 0))], s, false).expect("key");
        let fields: Vec<Field> =
            l.fields().iter().chain(r.fields().iter()).map(|f| Field::clone(f).with_nullable(true)).collect();
        let pair = Arc::new(Schema::new(fields));
        let out = if kind.is_semi_or_anti() { l.clone() } else { pair.clone() };
        let codecs = [RowCodec::new(l.clone()).expect("codec"), RowCodec::new(r.clone()).expect("codec")];
        RegularJoinOperator::new(kind, [key(&l), key(&r)], codecs, condition, pair, out)
    }

    /// Applies `rows` (kind, key, value) arriving on `side`; the output as `+I[1, a, , ]` lines.
    fn apply(op: &mut RegularJoinOperator, side: Side, rows: &[(RowKind, Option<i32>, &str)]) -> Vec<String> {
        let schema = side_schema(if side == Side::Left { "v" } else { "w" });
        let keys = Int32Array::from(rows.iter().map(|r| r.1).collect::<Vec<_>>());
        let values = StringArray::from(rows.iter().map(|r| r.2).collect::<Vec<_>>());
        let batch = RecordBatch::try_new(schema, vec![Arc::new(keys), Arc::new(values)]).expect("batch");
        let changes = Changes::with_kinds(batch, rows.iter().map(|r| r.0).collect());
        let Some(out) = op.apply(side, &changes).expect("apply") else { return Vec::new() };
        (0..out.len())
            .map(|i| {
                let values = out
                    .rows
                    .columns()
                    .iter()
                    .map(|c| array_value_to_string(c, i).expect("value"))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("{}[{values}]", out.kind(i).short_string())
            })
            .collect()
    }

    use RowKind::{Delete as D, Insert as I, UpdateAfter as UA, UpdateBefore as UB};

    #[test]
    fn a_restored_join_matches_and_pads_as_the_uninterrupted_one() {
        restored_join_matches_the_uninterrupted_one(keyed_state::STATE_BATCH_BYTES, 1);
    }

    #[test]
    fn a_join_state_larger_than_a_batch_is_written_in_several_and_restored_whole() {
        // 29 stored rows of about 15 bytes each: cut into batches of at most 64 bytes.
        restored_join_matches_the_uninterrupted_one(64, 7);
    }

    /// Snapshots a full join with state batches of at most `limit` bytes (checking they are
    /// at least `min_batches`), restores it at parallelism 1, 2 and 3, and checks every
    /// restored subtask answers as the uninterrupted join does.
    fn restored_join_matches_the_uninterrupted_one(limit: usize, min_batches: usize) {
        use crate::stream::operator_harness::subtask;
        let mut reference = join(JoinKind::Full);
        let left: Vec<(RowKind, Option<i32>, String)> = (0..20).map(|i| (I, Some(i % 7), format!("l{i}"))).collect();
        let right: Vec<(RowKind, Option<i32>, String)> =
            (0..9).map(|i| (I, Some(i % 5 + 3), format!("r{i}"))).collect();
        fn as_refs(v: &[(RowKind, Option<i32>, String)]) -> Vec<(RowKind, Option<i32>, &str)> {
            v.iter().map(|(k, key, s)| (*k, *key, s.as_str())).collect()
        }
        apply(&mut reference, Side::Left, &as_refs(&left));
        apply(&mut reference, Side::Right, &as_refs(&right));
        let mut w = OperatorStateWriter::new(weir_core::CheckpointId(1));
        keyed_state::with_batch_limit(limit, || reference.snapshot_state(&mut w)).unwrap();
        let snapshot = weir_runtime::snapshot::OperatorSnapshot { operator_id: "j".into(), entries: w.into_entries() };
        let batches = keyed_state::tests::batches_in(&snapshot, keyed_state::KEYED_ROWS);
        assert!(batches >= min_batches, "{batches} state batches, expected at least {min_batches}");
        let buckets = reference.state[0].keys() + reference.state[1].keys();
        // Then, one row at a time: a retraction that unpads, new matches, a new key.
        let next = [
            (Side::Right, D, 3, "r0"),
            (Side::Right, I, 0, "r9"),
            (Side::Left, D, 4, "l4"),
            (Side::Left, I, 9, "l20"),
            (Side::Right, I, 9, "r10"),
        ];
        let expected: Vec<Vec<String>> =
            next.iter().map(|(side, k, key, v)| apply(&mut reference, *side, &[(*k, Some(*key), v)])).collect();
        for parallelism in [1, 2, 3] {
            let mut ops: Vec<RegularJoinOperator> = (0..parallelism)
                .map(|i| {
                    let mut op = join(JoinKind::Full);
                    op.initialize_state(&weir_runtime::snapshot::redistribute(&[&snapshot], i, parallelism)).unwrap();
                    op.open(&subtask(i, parallelism)).unwrap();
                    op
                })
                .collect();
            let stored: usize = ops.iter().map(|o| o.state[0].keys() + o.state[1].keys()).sum();
            assert_eq!(stored, buckets, "each key's rows on exactly one subtask");
            for ((side, k, key, v), want) in next.iter().zip(&expected) {
                let bytes = reference.keys[0]
                    .encode(
                        &RecordBatch::try_new(
                            side_schema("v"),
                            vec![Arc::new(Int32Array::from(vec![*key])), Arc::new(StringArray::from(vec!["x"]))],
                        )
                        .unwrap(),
                    )
                    .unwrap()
                    .get(0)
                    .unwrap()
                    .to_vec();
                let kg = crate::stream::exchange::key_group_of(&bytes, weir_core::key_group::DEFAULT_MAX_PARALLELISM);
                let owner = weir_core::key_group::operator_index_for_key_group(
                    weir_core::key_group::DEFAULT_MAX_PARALLELISM,
                    parallelism,
                    kg,
                );
                assert_eq!(&apply(&mut ops[owner], *side, &[(*k, Some(*key), v)]), want, "p{parallelism}");
            }
        }
    }

    #[test]
    fn left_outer_pads_until_the_first_match_and_again_after_the_last() {
        let mut op = join(JoinKind::Left);
        assert_eq!(apply(&mut op, Side::Left, &[(I, Some(1), "a")]), ["+I[1, a, , ]"]);
        assert_eq!(apply(&mut op, Side::Right, &[(I, Some(1), "x")]), ["-D[1, a, , ]", "+I[1, a, 1, x]"]);
        // A second match: no padding to retract.
        assert_eq!(apply(&mut op, Side::Right, &[(I, Some(1), "y")]), ["+I[1, a, 1, y]"]);
        assert_eq!(apply(&mut op, Side::Right, &[(D, Some(1), "x")]), ["-D[1, a, 1, x]"]);
        // The last match goes: padded again.
        assert_eq!(apply(&mut op, Side::Right, &[(D, Some(1), "y")]), ["-D[1, a, 1, y]", "+I[1, a, , ]"]);
        assert_eq!(apply(&mut op, Side::Left, &[(D, Some(1), "a")]), ["-D[1, a, , ]"]);
        // Right rows alone are not emitted by a left join.
        assert_eq!(apply(&mut op, Side::Right, &[(I, Some(2), "z")]), Vec::<String>::new());
    }

    #[test]
    fn duplicates_join_once_per_copy_and_null_keys_match_nothing() {
        let mut op = join(JoinKind::Full);
        assert_eq!(
            apply(&mut op, Side::Left, &[(I, Some(1), "a"), (I, Some(1), "a"), (I, None, "n")]),
            ["+I[1, a, , ]", "+I[1, a, , ]", "+I[, n, , ]"]
        );
        assert_eq!(
            apply(&mut op, Side::Right, &[(I, None, "m"), (I, Some(1), "x")]),
            ["+I[, , , m]", "-D[1, a, , ]", "-D[1, a, , ]", "+I[1, a, 1, x]", "+I[1, a, 1, x]"]
        );
        assert_eq!(apply(&mut op, Side::Left, &[(D, Some(1), "a")]), ["-D[1, a, 1, x]"]);
        assert_eq!(apply(&mut op, Side::Left, &[(D, Some(1), "a")]), ["-D[1, a, 1, x]", "+I[, , 1, x]"]);
        assert_eq!(apply(&mut op, Side::Left, &[(D, None, "n")]), ["-D[, n, , ]"]);
    }

    /// Insert-only inputs joined with their sides appended give, batch by batch, the changes
    /// (as multisets: duplicates are kept apart rather than counted) the indexed sides give,
    /// for every join kind with and without a condition; a checkpoint of either form
    /// restores into the other and goes on alike; a retraction on an appended side fails.
    #[test]
    fn appended_sides_join_as_indexed_ones() {
        use datafusion_physical_expr::expressions::BinaryExpr;
        let less = || -> Arc<dyn PhysicalExpr> {
            Arc::new(BinaryExpr::new(
                Arc::new(Column::new("v", 1)),
                datafusion_expr::Operator::Lt,
                Arc::new(Column::new("w", 3)),
            ))
        };
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        // Batches alternating sides; repeated rows, NULL keys, keys on one side only.
        type Rows<'a> = Vec<(RowKind, Option<i32>, &'a str)>;
        let batches: Vec<(Side, Rows)> = vec![
            (Side::Left, vec![(I, Some(1), "b"), (I, Some(1), "b"), (I, None, "n"), (I, Some(2), "d")]),
            (Side::Right, vec![(I, Some(1), "c"), (I, Some(3), "x"), (I, Some(1), "a"), (I, Some(1), "c")]),
            (Side::Left, vec![(I, Some(3), "a"), (I, Some(1), "a"), (I, Some(4), "q")]),
            (Side::Right, vec![(I, Some(2), "e"), (I, Some(4), "r"), (I, None, "z"), (I, Some(3), "b")]),
        ];
        let kinds =
            [JoinKind::Inner, JoinKind::Left, JoinKind::Right, JoinKind::Full, JoinKind::LeftSemi, JoinKind::LeftAnti];
        for kind in kinds {
            for condition in [None, Some(less())] {
                let make =
                    |appended: bool| join_where(kind, condition.clone()).with_insert_only_inputs([appended, appended]);
                let (mut indexed, mut appended) = (make(false), make(true));
                assert!(matches!(appended.state[0], SideRows::Appended { .. }));
                for (n, (side, rows)) in batches.iter().enumerate() {
                    let want = sorted(apply(&mut indexed, *side, rows));
                    assert_eq!(sorted(apply(&mut appended, *side, rows)), want, "{kind:?} {condition:?} batch {n}");
                }
                // Checkpoint each, restore into the other form, go on with one more batch.
                let snapshot = |op: &mut RegularJoinOperator| {
                    let mut w = OperatorStateWriter::new(weir_core::CheckpointId(1));
                    op.snapshot_state(&mut w).unwrap();
                    weir_runtime::snapshot::OperatorSnapshot { operator_id: "j".into(), entries: w.into_entries() }
                };
                let more = [(I, Some(1), "d"), (I, Some(2), "a"), (I, Some(5), "k")];
                let want = sorted(apply(&mut indexed, Side::Right, &more));
                for (from, into) in [(&mut indexed, true), (&mut appended, false)] {
                    let snap = snapshot(from);
                    let mut restored = make(into);
                    restored.initialize_state(&weir_runtime::snapshot::redistribute(&[&snap], 0, 1)).unwrap();
                    restored.open(&crate::stream::operator_harness::subtask(0, 1)).unwrap();
                    // `indexed` already took `more`: restore from the appended one's state,
                    // which has not, and compare; the indexed one's state includes it.
                    if !into {
                        assert_eq!(sorted(apply(&mut restored, Side::Right, &more)), want, "{kind:?} restored");
                    } else {
                        let again = [(I, Some(2), "b")];
                        let mut reference = make(false);
                        reference.initialize_state(&weir_runtime::snapshot::redistribute(&[&snap], 0, 1)).unwrap();
                        reference.open(&crate::stream::operator_harness::subtask(0, 1)).unwrap();
                        assert_eq!(
                            sorted(apply(&mut restored, Side::Left, &again)),
                            sorted(apply(&mut reference, Side::Left, &again)),
                            "{kind:?} appended from indexed state"
                        );
                    }
                }
            }
        }
        let mut op = join(JoinKind::Inner).with_insert_only_inputs([true, false]);
        apply(&mut op, Side::Left, &[(I, Some(1), "a")]);
        let batch = RecordBatch::try_new(
            side_schema("v"),
            vec![Arc::new(Int32Array::from(vec![Some(1)])), Arc::new(StringArray::from(vec!["a"]))],
        )
        .unwrap();
        let err = op.apply(Side::Left, &Changes::with_kinds(batch, vec![D])).unwrap_err();
        assert!(err.to_string().contains("insert-only"), "{err}");
        // With a state TTL both sides are indexed whatever the inputs.
        let op = join(JoinKind::Inner).with_insert_only_inputs([true, true]).with_state_ttl(Some(1000));
        assert!(op.state.iter().all(|s| matches!(s, SideRows::Indexed(_))));
    }

    #[test]
    fn the_condition_picks_among_the_stored_rows_of_each_key() {
        use datafusion_physical_expr::expressions::BinaryExpr;
        // ON l.k = r.k AND l.v < r.w
        let less = BinaryExpr::new(
            Arc::new(Column::new("v", 1)),
            datafusion_expr::Operator::Lt,
            Arc::new(Column::new("w", 3)),
        );
        for kind in [JoinKind::Inner, JoinKind::Left] {
            let mut op = join_where(kind, Some(Arc::new(less.clone())));
            apply(&mut op, Side::Left, &[(I, Some(1), "a"), (I, Some(1), "c"), (I, Some(2), "z")]);
            // Several input rows of one key in a batch, each with its own matches.
            let out = apply(
                &mut op,
                Side::Right,
                &[(I, Some(1), "b"), (I, Some(2), "y"), (I, Some(1), "d"), (I, Some(1), "b")],
            );
            let mut want = vec!["+I[1, a, 1, b]", "+I[1, a, 1, d]", "+I[1, c, 1, d]", "+I[1, a, 1, b]"];
            if kind == JoinKind::Left {
                // "a" and "c" were padded until their first match; "z" stays padded.
                want = vec![
                    "-D[1, a, , ]",
                    "+I[1, a, 1, b]",
                    "-D[1, c, , ]",
                    "+I[1, a, 1, d]",
                    "+I[1, c, 1, d]",
                    "+I[1, a, 1, b]",
                ];
            }
            assert_eq!(out, want, "{kind:?}");
            // From the other side: a left row meets the right rows the condition lets through.
            let out = apply(&mut op, Side::Left, &[(I, Some(1), "c"), (D, Some(1), "a")]);
            assert_eq!(out, ["+I[1, c, 1, d]", "-D[1, a, 1, b]", "-D[1, a, 1, b]", "-D[1, a, 1, d]"], "{kind:?}");
        }
    }

    #[test]
    fn an_update_within_one_batch_applies_in_order() {
        let mut op = join(JoinKind::Inner);
        assert_eq!(apply(&mut op, Side::Right, &[(I, Some(1), "x")]), Vec::<String>::new());
        assert_eq!(
            apply(&mut op, Side::Left, &[(I, Some(1), "a"), (UB, Some(1), "a"), (UA, Some(1), "b")]),
            ["+I[1, a, 1, x]", "-U[1, a, 1, x]", "+U[1, b, 1, x]"]
        );
        // The retracted row is gone from state: a new right row joins only the new version.
        assert_eq!(apply(&mut op, Side::Right, &[(I, Some(1), "y")]), ["+I[1, b, 1, y]"]);
    }

    #[test]
    fn semi_and_anti_follow_the_first_and_last_match() {
        let mut semi = join(JoinKind::LeftSemi);
        let mut anti = join(JoinKind::LeftAnti);
        for op in [&mut semi, &mut anti] {
            apply(op, Side::Left, &[(I, Some(1), "a")]);
        }
        assert_eq!(apply(&mut semi, Side::Right, &[(I, Some(1), "x"), (I, Some(1), "y")]), ["+I[1, a]"]);
        assert_eq!(apply(&mut anti, Side::Right, &[(I, Some(1), "x"), (I, Some(1), "y")]), ["-D[1, a]"]);
        assert_eq!(apply(&mut semi, Side::Right, &[(D, Some(1), "x")]), Vec::<String>::new());
        assert_eq!(apply(&mut semi, Side::Right, &[(D, Some(1), "y")]), ["-D[1, a]"]);
        assert_eq!(apply(&mut anti, Side::Right, &[(D, Some(1), "x"), (D, Some(1), "y")]), ["+I[1, a]"]);
        // NULL keys: never in a semi join, always in an anti join.
        assert_eq!(apply(&mut semi, Side::Left, &[(I, None, "n")]), Vec::<String>::new());
        assert_eq!(apply(&mut anti, Side::Left, &[(I, None, "n")]), ["+I[, n]"]);
    }

    #[test]
    fn rows_not_written_for_the_ttl_no_longer_match() {
        let mut op = join(JoinKind::Inner).with_state_ttl(Some(1000));
        op.now = 0;
        assert!(apply(&mut op, Side::Left, &[(I, Some(1), "a"), (I, Some(2), "b")]).is_empty());
        op.now = 600;
        assert!(apply(&mut op, Side::Left, &[(I, Some(2), "b")]).is_empty(), "a second b: a write");
        op.now = 999;
        assert_eq!(apply(&mut op, Side::Right, &[(I, Some(1), "x")]), ["+I[1, a, 1, x]"]);
        // An inner join's match writes nothing: "a" (written at 0) is gone at 1000, both "b"
        // (written at 600) are not.
        op.now = 1000;
        assert!(apply(&mut op, Side::Right, &[(I, Some(1), "y")]).is_empty(), "a expired");
        assert_eq!(apply(&mut op, Side::Right, &[(I, Some(2), "z")]), ["+I[2, b, 2, z]", "+I[2, b, 2, z]"]);
        // A retraction of an expired row finds nothing and emits nothing.
        op.now = 5000;
        assert!(apply(&mut op, Side::Left, &[(D, Some(2), "b")]).is_empty());
        assert!(op.state.iter().all(|s| s.keys() == 0), "the sweep freed every expired row");
    }
}
