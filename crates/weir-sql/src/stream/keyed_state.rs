//! How the SQL operators keep their state in checkpoints.
//!
//! An operator's keyed state is written as Arrow batches whose first column, `key`, holds
//! each entry's key as the `RowConverter` bytes the keyed exchange hashed
//! ([`super::exchange::KeySplitOperator`]); the other columns are the operator's own
//! (accumulator states, held rows, times). The batches go into the checkpoint as Arrow IPC
//! under [`weir_runtime::snapshot::Distribution::KeyGroups`]: a subtask restored at any
//! parallelism reads every old subtask's blob and keeps the rows whose key falls in its key
//! groups — exactly the keys the exchange now sends it.
//!
//! Restoring needs the subtask's key groups, which an operator learns only in `open`; so
//! `initialize_state` keeps the reader ([`PendingRestore`]) and `open` applies it.
//!
//! Snapshots copy state into batches (a cost paid per checkpoint); the processing path is
//! untouched.

use std::io::Cursor;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BinaryArray, BooleanArray, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema};
use datafusion_common::ScalarValue;
use weir_runtime::snapshot::{OperatorStateReader, OperatorStateWriter};
use weir_runtime::{BoxError, SubtaskInfo};

use super::exchange::key_group_of;

/// The name of the key column of every state batch.
pub const KEY: &str = "key";

/// The operator's entry holding its keyed rows.
pub const KEYED_ROWS: &str = "sql-keyed-rows";

/// The operator's entry holding its event-time progress.
pub const WATERMARK: &str = "sql-watermark";

/// A state batch: the `key` column, then `columns` (name, values).
///
/// # Errors
/// Columns of different lengths.
pub fn state_batch<'k>(
    keys: impl IntoIterator<Item = &'k [u8]>,
    columns: Vec<(String, ArrayRef)>,
) -> Result<RecordBatch, BoxError> {
    let keys: ArrayRef = bytes_column(keys);
    let mut fields = vec![Field::new(KEY, DataType::Binary, false)];
    let mut arrays = vec![keys];
    for (name, array) in columns {
        fields.push(Field::new(name, array.data_type().clone(), true));
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// One column of `values` (each of one type; `None` when there are none).
///
/// # Errors
/// Values of different types.
pub fn scalar_column(values: impl IntoIterator<Item = ScalarValue>) -> Result<Option<ArrayRef>, BoxError> {
    let mut values = values.into_iter().peekable();
    if values.peek().is_none() {
        return Ok(None);
    }
    Ok(Some(ScalarValue::iter_to_array(values)?))
}

/// A column of byte strings.
pub fn bytes_column<'a>(values: impl IntoIterator<Item = &'a [u8]>) -> ArrayRef {
    // Arrow needs the length up front; a snapshot's iterators do not always know it.
    let values: Vec<&[u8]> = values.into_iter().collect();
    Arc::new(BinaryArray::from_iter_values(values))
}

/// The most bytes [`chunks`] puts into one state batch: well below the 2 GiB an Arrow
/// binary column can hold.
pub const STATE_BATCH_BYTES: usize = 256 << 20;

/// Entries `0..sizes.len()` cut into consecutive ranges of at most [`STATE_BATCH_BYTES`]
/// (an entry larger than that gets a range of its own), one state batch each.
pub fn chunks(sizes: &[usize]) -> Vec<std::ops::Range<usize>> {
    super::batch::size_chunks(sizes.iter().copied(), batch_limit())
}

/// The state batches of `entries`: they are cut by `size` (an entry's bytes in the batch's
/// variable-length columns) into runs of at most [`STATE_BATCH_BYTES`], and `batch` builds
/// one batch of each run, so no binary column of a large state reaches Arrow's 2 GiB.
///
/// # Errors
/// What `batch` returns.
pub fn batches_of<E>(
    entries: &[E],
    size: impl Fn(&E) -> usize,
    mut batch: impl FnMut(&[E]) -> Result<RecordBatch, BoxError>,
) -> Result<Vec<RecordBatch>, BoxError> {
    let sizes: Vec<usize> = entries.iter().map(size).collect();
    chunks(&sizes).into_iter().map(|r| batch(&entries[r])).collect()
}

#[cfg(not(test))]
fn batch_limit() -> usize {
    STATE_BATCH_BYTES
}

#[cfg(test)]
thread_local! {
    /// A smaller limit for the tests of this crate, so they cut small states into batches.
    static BATCH_LIMIT: std::cell::Cell<usize> = const { std::cell::Cell::new(STATE_BATCH_BYTES) };
}

#[cfg(test)]
fn batch_limit() -> usize {
    BATCH_LIMIT.with(|l| l.get())
}

/// Runs `f` with state batches of at most `limit` bytes (tests of operators with states
/// that would need gigabytes to be cut for real).
#[cfg(test)]
pub(crate) fn with_batch_limit<T>(limit: usize, f: impl FnOnce() -> T) -> T {
    let old = BATCH_LIMIT.with(|l| l.replace(limit));
    let out = f();
    BATCH_LIMIT.with(|l| l.set(old));
    out
}

/// Writes `batches` (all of one schema) as the keyed entry [`KEYED_ROWS`].
///
/// # Errors
/// Batches of different schemas.
pub fn write_keyed(state: &mut OperatorStateWriter, batches: &[RecordBatch]) -> Result<(), BoxError> {
    write_keyed_as(state, KEYED_ROWS, batches)
}

/// Writes `batches` (all of one schema) as the keyed entry `name` (an operator with state
/// batches of several shapes writes one entry per shape).
///
/// # Errors
/// Batches of different schemas.
pub fn write_keyed_as(state: &mut OperatorStateWriter, name: &str, batches: &[RecordBatch]) -> Result<(), BoxError> {
    let mut blob = Vec::new();
    if let Some(first) = batches.first() {
        let mut writer = arrow::ipc::writer::StreamWriter::try_new(&mut blob, first.schema_ref())?;
        for b in batches {
            writer.write(b)?;
        }
        writer.finish()?;
    }
    state.keyed(name, blob);
    Ok(())
}

/// The rows of [`KEYED_ROWS`] in every old subtask's blob whose key is in `subtask`'s key
/// groups.
///
/// # Errors
/// A blob that is not Arrow IPC of state batches.
pub fn read_keyed(state: &OperatorStateReader, subtask: &SubtaskInfo) -> Result<Vec<RecordBatch>, BoxError> {
    read_keyed_as(state, KEYED_ROWS, subtask)
}

/// As [`read_keyed`], for the entry `name`.
///
/// # Errors
/// A blob that is not Arrow IPC of state batches.
pub fn read_keyed_as(
    state: &OperatorStateReader,
    name: &str,
    subtask: &SubtaskInfo,
) -> Result<Vec<RecordBatch>, BoxError> {
    let range = subtask.key_group_range();
    let mut out = Vec::new();
    for blob in state.keyed(name) {
        if blob.is_empty() {
            continue;
        }
        let reader = arrow::ipc::reader::StreamReader::try_new(Cursor::new(blob.as_slice()), None)
            .map_err(|e| format!("SQL operator state in the checkpoint does not decode: {e}"))?;
        for batch in reader {
            let batch = batch?;
            let keys = keys_of(&batch)?;
            let own: BooleanArray = (0..keys.len())
                .map(|i| Some(range.contains(key_group_of(keys.value(i), subtask.max_parallelism))))
                .collect();
            let batch = arrow::compute::filter_record_batch(&batch, &own)?;
            if batch.num_rows() > 0 {
                out.push(batch);
            }
        }
    }
    Ok(out)
}

/// The key column of a state batch.
///
/// # Errors
/// A batch whose first column is not binary.
pub fn keys_of(batch: &RecordBatch) -> Result<&BinaryArray, BoxError> {
    batch
        .column(0)
        .as_any()
        .downcast_ref::<BinaryArray>()
        .ok_or_else(|| "SQL operator state: the key column is not binary".into())
}

/// The column `name` of a state batch.
///
/// # Errors
/// No such column.
pub fn column<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b ArrayRef, BoxError> {
    batch.column_by_name(name).ok_or_else(|| format!("SQL operator state has no column '{name}'").into())
}

/// The `i64` values of the column `name`.
///
/// # Errors
/// No such column, or not 64-bit integers.
pub fn i64_column<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b arrow::array::Int64Array, BoxError> {
    column(batch, name)?
        .as_any()
        .downcast_ref::<arrow::array::Int64Array>()
        .ok_or_else(|| format!("SQL operator state: column '{name}' is not BIGINT").into())
}

/// The bytes values of the column `name`.
///
/// # Errors
/// No such column, or not binary.
pub fn bytes_of<'b>(batch: &'b RecordBatch, name: &str) -> Result<&'b BinaryArray, BoxError> {
    column(batch, name)?
        .as_any()
        .downcast_ref::<BinaryArray>()
        .ok_or_else(|| format!("SQL operator state: column '{name}' is not binary").into())
}

/// Writes the event-time progress of an operator (one value per subtask).
pub fn write_watermark(state: &mut OperatorStateWriter, watermark: i64) {
    state.union(WATERMARK, vec![watermark.to_le_bytes().to_vec()]);
}

/// The restored event-time progress: the least of the old subtasks' (they all saw the
/// same watermarks, once their inputs had reported), or `None` on a fresh start.
pub fn read_watermark(state: &OperatorStateReader) -> Option<i64> {
    state.list(WATERMARK).iter().filter_map(|b| <[u8; 8]>::try_from(b.as_slice()).ok().map(i64::from_le_bytes)).min()
}

/// Restored state kept from `initialize_state` until `open` says which key groups the
/// subtask owns.
#[derive(Debug, Default)]
pub struct PendingRestore(Option<OperatorStateReader>);

impl PendingRestore {
    /// Keeps `state` when the job was restored.
    pub fn keep(&mut self, state: &OperatorStateReader) {
        if state.is_restored() {
            self.0 = Some(state.clone());
        }
    }

    /// What an event-time operator does in `initialize_state`: takes the restored event-time
    /// progress into `watermark` and keeps `state` for `open`.
    pub fn keep_with_watermark(&mut self, state: &OperatorStateReader, watermark: &mut i64) {
        if let Some(w) = read_watermark(state) {
            *watermark = w;
        }
        self.keep(state);
    }

    /// The kept state, once.
    pub fn take(&mut self) -> Option<OperatorStateReader> {
        self.0.take()
    }
}

/// The values of row `row` of `columns`, one slice each (what `merge_batch` takes).
pub fn row_slices(columns: &[ArrayRef], row: usize) -> Vec<ArrayRef> {
    columns.iter().map(|c| c.slice(row, 1)).collect()
}

/// Checkpointing an operator and restoring it at other parallelisms, for operator tests.
#[cfg(test)]
pub(crate) mod testing {
    use weir_core::key_group::{operator_index_for_key_group, DEFAULT_MAX_PARALLELISM};
    use weir_core::CheckpointId;
    use weir_runtime::snapshot::{redistribute, OperatorSnapshot, OperatorStateWriter};
    use weir_runtime::{Operator, SubtaskInfo};

    /// What `op` writes into a checkpoint.
    pub fn snapshot_of<O: Operator>(op: &mut O) -> OperatorSnapshot {
        let mut w = OperatorStateWriter::new(CheckpointId(1));
        op.snapshot_state(&mut w).expect("snapshot");
        OperatorSnapshot { operator_id: "op".into(), entries: w.into_entries() }
    }

    /// `parallelism` operators made by `make`, restored from `snapshot` and opened.
    pub fn restored<O: Operator>(make: impl Fn() -> O, snapshot: &OperatorSnapshot, parallelism: usize) -> Vec<O> {
        (0..parallelism)
            .map(|index| {
                let mut op = make();
                op.initialize_state(&redistribute(&[snapshot], index, parallelism)).expect("initialize");
                let subtask =
                    SubtaskInfo { name: "op".into(), index, parallelism, max_parallelism: DEFAULT_MAX_PARALLELISM };
                op.open(&subtask).expect("open");
                op
            })
            .collect()
    }

    /// The subtask among `parallelism` that the keyed exchange sends `key` to.
    pub fn owner(key: &[u8], parallelism: usize) -> usize {
        let group = super::key_group_of(key, DEFAULT_MAX_PARALLELISM);
        operator_index_for_key_group(DEFAULT_MAX_PARALLELISM, parallelism, group)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use weir_core::CheckpointId;
    use weir_runtime::snapshot::{redistribute, OperatorSnapshot};

    /// How many state batches the keyed entry `name` of `snapshot` holds.
    pub(crate) fn batches_in(snapshot: &OperatorSnapshot, name: &str) -> usize {
        let reader = redistribute(&[snapshot], 0, 1);
        reader
            .keyed(name)
            .iter()
            .filter(|blob| !blob.is_empty())
            .map(|blob| arrow::ipc::reader::StreamReader::try_new(Cursor::new(blob.as_slice()), None).unwrap().count())
            .sum()
    }

    fn subtask(index: usize, parallelism: usize) -> SubtaskInfo {
        SubtaskInfo { name: "t".into(), index, parallelism, max_parallelism: 128 }
    }

    #[test]
    fn every_key_lands_in_exactly_one_restored_subtask() {
        let keys: Vec<Vec<u8>> = (0..200u32).map(|i| i.to_le_bytes().to_vec()).collect();
        let values = Arc::new(arrow::array::Int64Array::from_iter_values(0..200)) as ArrayRef;
        let batch = state_batch(keys.iter().map(Vec::as_slice), vec![("v".into(), values)]).unwrap();
        let mut w = OperatorStateWriter::new(CheckpointId(1));
        write_keyed(&mut w, &[batch]).unwrap();
        write_watermark(&mut w, 42);
        let old = OperatorSnapshot { operator_id: "op".into(), entries: w.into_entries() };
        let mut seen = Vec::new();
        for i in 0..3 {
            let r = redistribute(&[&old], i, 3);
            assert_eq!(read_watermark(&r), Some(42));
            for b in read_keyed(&r, &subtask(i, 3)).unwrap() {
                let k = keys_of(&b).unwrap();
                for j in 0..k.len() {
                    let kg = key_group_of(k.value(j), 128);
                    assert!(subtask(i, 3).key_group_range().contains(kg));
                    seen.push(k.value(j).to_vec());
                }
            }
        }
        seen.sort();
        let mut all = keys.clone();
        all.sort();
        assert_eq!(seen, all);
        assert_eq!(read_watermark(&OperatorStateReader::empty()), None);
    }

    #[test]
    fn chunks_stay_under_the_limit_and_cover_every_entry_in_order() {
        let big = STATE_BATCH_BYTES / 2 + 1;
        assert_eq!(chunks(&[]), Vec::<std::ops::Range<usize>>::new());
        assert_eq!(chunks(&[1, 2, 3]), vec![0..3]);
        assert_eq!(chunks(&[big, big, 1, big]), vec![0..1, 1..3, 3..4]);
        assert_eq!(chunks(&[STATE_BATCH_BYTES * 2, 1]), vec![0..1, 1..2], "an oversized entry stands alone");
    }

    #[test]
    fn garbage_is_refused_with_a_message() {
        let mut w = OperatorStateWriter::new(CheckpointId(1));
        w.keyed(KEYED_ROWS, vec![1, 2, 3]);
        let old = OperatorSnapshot { operator_id: "op".into(), entries: w.into_entries() };
        let err = read_keyed(&redistribute(&[&old], 0, 1), &subtask(0, 1)).unwrap_err();
        assert!(err.to_string().contains("does not decode"), "{err}");
    }
}
