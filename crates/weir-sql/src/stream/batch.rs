//! What flows between SQL operators: Arrow record batches, with the kind of each row when
//! the stream is a changelog.

use arrow::array::{Array, ArrayRef, Int8Array, RecordBatch, UInt32Array};
use arrow::compute::{filter_record_batch, take_record_batch};
use arrow::datatypes::SchemaRef;
use weir_runtime::BoxError;

use crate::changelog::RowKind;

/// A batch of rows of a dynamic table's changelog.
#[derive(Debug, Clone)]
pub struct Changes {
    /// The rows.
    pub rows: RecordBatch,
    /// The kind of each row (`RowKind as i8`); none: all inserts.
    pub kinds: Option<Int8Array>,
    /// The subtask a keyed exchange sends the batch to.
    pub route: u32,
}

impl Changes {
    /// Inserts only.
    pub fn inserts(rows: RecordBatch) -> Self {
        Changes { rows, kinds: None, route: 0 }
    }

    /// Rows with their kinds.
    pub fn with_kinds(rows: RecordBatch, kinds: Vec<RowKind>) -> Self {
        let kinds = if kinds.iter().all(|k| *k == RowKind::Insert) {
            None
        } else {
            Some(Int8Array::from_iter_values(kinds.into_iter().map(|k| k as i8)))
        };
        Changes { rows, kinds, route: 0 }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.num_rows()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.num_rows() == 0
    }

    /// The kind of row `i`.
    pub fn kind(&self, i: usize) -> RowKind {
        crate::changelog::kind_at(self.kinds.as_ref(), i)
    }

    /// The rows where `mask` is true.
    pub fn filter(&self, mask: &arrow::array::BooleanArray) -> Result<Changes, BoxError> {
        let rows = filter_record_batch(&self.rows, mask)?;
        let kinds = match &self.kinds {
            Some(k) => {
                Some(arrow::compute::filter(k, mask)?.as_any().downcast_ref::<Int8Array>().cloned().ok_or("kinds")?)
            }
            None => None,
        };
        Ok(Changes { rows, kinds, route: self.route })
    }

    /// The rows at `indices`, in that order.
    pub fn take(&self, indices: &UInt32Array) -> Result<Changes, BoxError> {
        let rows = take_record_batch(&self.rows, indices)?;
        let kinds = match &self.kinds {
            Some(k) => Some(
                arrow::compute::take(k, indices, None)?.as_any().downcast_ref::<Int8Array>().cloned().ok_or("kinds")?,
            ),
            None => None,
        };
        Ok(Changes { rows, kinds, route: self.route })
    }

    /// The same rows with other columns.
    pub fn with_columns(&self, schema: SchemaRef, columns: Vec<ArrayRef>) -> Result<Changes, BoxError> {
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(self.rows.num_rows()));
        let rows = RecordBatch::try_new_with_options(schema, columns, &options)?;
        Ok(Changes { rows, kinds: self.kinds.clone(), route: self.route })
    }
}

/// Every column of `batch` at `indices` (a null index gives a null).
pub fn take_all(batch: &RecordBatch, indices: &UInt32Array) -> Result<Vec<ArrayRef>, BoxError> {
    Ok(batch.columns().iter().map(|c| arrow::compute::take(c, indices, None)).collect::<Result<Vec<_>, _>>()?)
}

/// The value of an evaluated expression as an array of `rows` rows.
pub fn to_array(value: datafusion_expr::ColumnarValue, rows: usize) -> Result<ArrayRef, BoxError> {
    Ok(value.into_array(rows)?)
}

/// `true` for every row where `mask` is true (NULL counts as false).
pub fn is_all_true(mask: &arrow::array::BooleanArray) -> bool {
    mask.null_count() == 0 && mask.true_count() == mask.len()
}

/// `column` as `data_type`, unchanged when it already is.
pub fn cast_to(column: ArrayRef, data_type: &arrow::datatypes::DataType) -> Result<ArrayRef, BoxError> {
    if column.data_type() == data_type {
        Ok(column)
    } else {
        Ok(arrow::compute::cast(&column, data_type)?)
    }
}

/// Items of the given sizes cut into consecutive ranges whose sizes add up to at most
/// `limit` (an item larger than that gets a range of its own): how an operator keeps the
/// batches it builds under Arrow's 2 GiB per column.
pub fn size_chunks(sizes: impl IntoIterator<Item = usize>, limit: usize) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let (mut start, mut bytes, mut end) = (0, 0, 0);
    for (i, size) in sizes.into_iter().enumerate() {
        if i > start && bytes + size > limit {
            ranges.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
        end = i + 1;
    }
    if start < end {
        ranges.push(start..end);
    }
    ranges
}
