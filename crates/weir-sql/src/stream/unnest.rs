//! Flink's `UNNEST` as an operator (its `Correlate` with the built-in unnest function): each
//! row repeated once per element of its list columns, the elements in their place; every
//! output row keeps the kind of its input row, so a retracted row retracts all its elements.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt32Array};
use arrow::datatypes::{DataType, SchemaRef};
use weir_core::StreamRecord;
use weir_runtime::{BoxError, Emitter, Operator};

use super::batch::Changes;

/// Unnests list columns of each batch.
pub struct UnnestOperator {
    /// Input indices of the list columns to unnest.
    lists: Vec<usize>,
    /// For each output column, the input column it comes from.
    sources: Vec<usize>,
    /// A row whose lists are all NULL or empty gives one row of NULL elements (`LEFT JOIN
    /// UNNEST … ON TRUE`) rather than none.
    keep_empty: bool,
    schema: SchemaRef,
}

impl UnnestOperator {
    /// Unnests the input columns `lists`; output column `j` is input column `sources[j]`
    /// (its elements when it is one of `lists`).
    pub fn new(lists: Vec<usize>, sources: Vec<usize>, keep_empty: bool, schema: SchemaRef) -> Self {
        UnnestOperator { lists, sources, keep_empty, schema }
    }

    /// The unnested rows of one batch.
    pub fn apply(&self, changes: &Changes) -> Result<Option<Changes>, BoxError> {
        let rows = &changes.rows;
        let lists: Vec<_> = self
            .lists
            .iter()
            .map(|&c| match rows.column(c).data_type() {
                DataType::List(_) => Ok(rows.column(c).as_list::<i32>().clone()),
                other => Err(format!("UNNEST of a {other} column is not supported")),
            })
            .collect::<Result<_, _>>()?;
        // Output row k repeats input row `row[k]`, with element `element[l][k]` of list l
        // (an index into its values, or NULL past its end).
        let mut row = Vec::new();
        let mut element: Vec<Vec<Option<u32>>> = vec![Vec::new(); lists.len()];
        for i in 0..rows.num_rows() {
            let len = |l: &arrow::array::ListArray| if l.is_valid(i) { l.value_length(i) as usize } else { 0 };
            let n = lists.iter().map(len).max().unwrap_or(0);
            let n = if n == 0 && self.keep_empty { 1 } else { n };
            for k in 0..n {
                row.push(i as u32);
                for (l, out) in lists.iter().zip(element.iter_mut()) {
                    out.push((k < len(l)).then(|| l.value_offsets()[i] as u32 + k as u32));
                }
            }
        }
        if row.is_empty() {
            return Ok(None);
        }
        let row = UInt32Array::from(row);
        let columns = self
            .sources
            .iter()
            .zip(self.schema.fields())
            .map(|(&source, field)| {
                let column: ArrayRef = match self.lists.iter().position(|&c| c == source) {
                    Some(l) => arrow::compute::take(lists[l].values(), &UInt32Array::from(element[l].clone()), None)?,
                    None => arrow::compute::take(rows.column(source), &row, None)?,
                };
                super::batch::cast_to(column, field.data_type())
            })
            .collect::<Result<Vec<_>, BoxError>>()?;
        let kinds = match &changes.kinds {
            Some(k) => Some(
                arrow::compute::take(k, &row, None)?
                    .as_any()
                    .downcast_ref::<arrow::array::Int8Array>()
                    .cloned()
                    .ok_or("kinds")?,
            ),
            None => None,
        };
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(row.len()));
        let rows = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)?;
        Ok(Some(Changes { rows, kinds, route: changes.route }))
    }
}

impl Operator for UnnestOperator {
    type In = Changes;
    type Out = Changes;

    fn process(&mut self, batch: &mut Vec<StreamRecord<Changes>>, out: &mut Emitter<Changes>) -> Result<(), BoxError> {
        for record in batch.drain(..) {
            if let Some(changes) = self.apply(&record.value)? {
                out.emit(StreamRecord { value: changes, timestamp: record.timestamp });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use arrow::array::{Int32Array, ListArray};
    use arrow::datatypes::{Field, Int32Type, Schema};

    #[test]
    fn rows_repeat_per_element_and_empty_lists_follow_the_join() {
        let ids = Int32Array::from(vec![1, 2, 3, 4]);
        let lists = ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(10), Some(11)]),
            Some(vec![]),
            None,
            Some(vec![None]),
        ]);
        let input = Schema::new(vec![
            Field::new("id", DataType::Int32, false),
            Field::new("l", lists.data_type().clone(), true),
        ]);
        let batch = RecordBatch::try_new(Arc::new(input), vec![Arc::new(ids), Arc::new(lists)]).unwrap();
        let output = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int32, false),
            Field::new("x", DataType::Int32, true),
        ]));
        let rows = |keep_empty| {
            let op = UnnestOperator::new(vec![1], vec![0, 1], keep_empty, output.clone());
            let out = op.apply(&Changes::inserts(batch.clone())).unwrap().unwrap().rows;
            let id = out.column(0).as_primitive::<Int32Type>().iter().collect::<Vec<_>>();
            let x = out.column(1).as_primitive::<Int32Type>().iter().collect::<Vec<_>>();
            id.into_iter().zip(x).collect::<Vec<_>>()
        };
        assert_eq!(rows(false), vec![(Some(1), Some(10)), (Some(1), Some(11)), (Some(4), None)]);
        assert_eq!(
            rows(true),
            vec![(Some(1), Some(10)), (Some(1), Some(11)), (Some(2), None), (Some(3), None), (Some(4), None)]
        );
    }
}
