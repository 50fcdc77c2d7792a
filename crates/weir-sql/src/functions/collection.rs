//! Flink's collection functions that DataFusion lacks: the rows `UNNEST` makes of an array or
//! a map (see [`crate::planner::unnest`]).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, ListArray, StructArray};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Fields};
use datafusion_common::{exec_err, Result};
use datafusion_expr::ScalarUDF;

use super::common::{func, FlinkScalar, Kind};

/// Name of the function giving `UNNEST`'s rows of an array or map.
pub const UNNEST_ROWS: &str = "flink_unnest_rows";
/// [`UNNEST_ROWS`] with a last field holding each element's 1-based position (`WITH ORDINALITY`).
pub const UNNEST_ROWS_ORDINALITY: &str = "flink_unnest_rows_ordinality";

/// Collection functions.
pub(crate) fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        func(UNNEST_ROWS, (1, 1), &[Kind::Any], |t| rows_type(&t[0], false), unnest_rows).udf(),
        func(UNNEST_ROWS_ORDINALITY, (1, 1), &[Kind::Any], |t| rows_type(&t[0], true), unnest_rows).udf(),
    ]
}

/// The columns `UNNEST` gives per element: the element itself, the fields of a ROW element,
/// or a map entry's key and value.
fn element_fields(t: &DataType) -> Result<Vec<DataType>> {
    Ok(match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => match f.data_type() {
            DataType::Struct(fields) => fields.iter().map(|f| f.data_type().clone()).collect(),
            other => vec![other.clone()],
        },
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(fields) => fields.iter().map(|f| f.data_type().clone()).collect(),
            other => return exec_err!("a map's entries of type {other}"),
        },
        other => return exec_err!("UNNEST takes an ARRAY or a MAP, not {other}"),
    })
}

/// `ARRAY<ROW<f0, f1, …>>`: one row per element, the fields named `f0`, `f1`, ….
fn rows_type(t: &DataType, ordinality: bool) -> Result<DataType> {
    let mut types = element_fields(t)?;
    if ordinality {
        types.push(DataType::Int32);
    }
    let fields: Fields = types.into_iter().enumerate().map(|(i, t)| Field::new(format!("f{i}"), t, true)).collect();
    Ok(DataType::List(Arc::new(Field::new("item", DataType::Struct(fields), true))))
}

fn unnest_rows(f: &FlinkScalar, a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let ordinality = f.static_name() == UNNEST_ROWS_ORDINALITY;
    let DataType::List(item) = rows_type(a[0].data_type(), ordinality)? else { unreachable!("a list type") };
    let DataType::Struct(fields) = item.data_type().clone() else { unreachable!("a struct type") };
    // The input as a list of its elements (a map is a list of its entries).
    let input = match a[0].data_type() {
        DataType::Map(_, _) => {
            let m = a[0].as_map();
            ListArray::new(
                Arc::new(Field::new("item", m.entries().data_type().clone(), true)),
                m.offsets().clone(),
                Arc::new(m.entries().clone()),
                m.nulls().cloned(),
            )
        }
        DataType::List(_) => a[0].as_list::<i32>().clone(),
        other => {
            let l =
                arrow::compute::cast(&a[0], &DataType::List(Arc::new(Field::new("item", element_type(other)?, true))))?;
            l.as_list::<i32>().clone()
        }
    };
    let values = input.values();
    let mut columns: Vec<ArrayRef> = match values.data_type() {
        DataType::Struct(_) => values.as_struct().columns().to_vec(),
        _ => vec![values.clone()],
    };
    if ordinality {
        let offsets = input.value_offsets();
        let mut positions = vec![0i32; values.len()];
        for w in offsets.windows(2) {
            for (k, p) in positions[w[0] as usize..w[1] as usize].iter_mut().enumerate() {
                *p = k as i32 + 1;
            }
        }
        columns.push(Arc::new(Int32Array::from(positions)));
    }
    let columns: Vec<ArrayRef> = columns
        .into_iter()
        .zip(fields.iter())
        .map(|(c, f)| if c.data_type() == f.data_type() { Ok(c) } else { arrow::compute::cast(&c, f.data_type()) })
        .collect::<std::result::Result<_, _>>()?;
    let rows = StructArray::try_new(fields, columns, None)?;
    Ok(Arc::new(ListArray::try_new(
        item,
        OffsetBuffer::new(input.offsets().inner().clone()),
        Arc::new(rows),
        input.nulls().cloned(),
    )?))
}

fn element_type(t: &DataType) -> Result<DataType> {
    match t {
        DataType::LargeList(f) | DataType::FixedSizeList(f, _) => Ok(f.data_type().clone()),
        other => exec_err!("UNNEST takes an ARRAY or a MAP, not {other}"),
    }
}
