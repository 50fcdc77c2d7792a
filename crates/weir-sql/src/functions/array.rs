//! Flink's array functions whose DataFusion namesakes differ: `ARRAY_SLICE` (a 2-argument
//! form), `ARRAY_CONCAT`, `ARRAY_APPEND`, `ARRAY_PREPEND` (NULL for a NULL array; the prepend
//! takes the array first) and `ARRAY_SORT` (BOOLEAN `ascending` and `nullsFirst` arguments).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, ListArray, UInt32Array};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::SortOptions;
use arrow::datatypes::{DataType, Field};
use datafusion_common::{exec_err, Result};
use datafusion_expr::type_coercion::binary::type_union_resolution;
use datafusion_expr::ScalarUDF;

use super::collection::{as_list, element_type};
use super::common::{bools, func, get, ints, FlinkScalar, Kind};

/// The functions of this module.
pub(crate) fn udfs() -> Vec<Arc<ScalarUDF>> {
    vec![
        // ARRAY_SLICE(array, start [, end]): elements start..=end (1-based, inclusive; a negative
        // bound counts from the end, start below 1 is 1, end 0 is 1, end past the end is the
        // end); [] when end < start; NULL when an argument is NULL.
        func("array_slice", (2, 3), &[Kind::Any, Kind::Int, Kind::Int], ret_first_list, array_slice).udf(),
        // ARRAY_CONCAT(array, …): the arrays one after the other; NULL if any is NULL.
        func("array_concat", (1, usize::MAX), &[Kind::Any], common_list, array_concat).udf(),
        // ARRAY_APPEND(array, x) / ARRAY_PREPEND(array, x): x added at the end / the start;
        // NULL for a NULL array (a NULL x is added).
        func("array_append", (2, 2), &[Kind::Any], list_and_element, |_, a, n| add_element(a, n, false)).udf(),
        func("array_prepend", (2, 2), &[Kind::Any], list_and_element, |_, a, n| add_element(a, n, true)).udf(),
        // ARRAY_SORT(array [, ascending [, nullsFirst]]): sorted (ascending by default; NULLs
        // first when ascending, last when descending, unless nullsFirst says); NULL if an
        // argument is NULL.
        func("array_sort", (1, 3), &[Kind::Any, Kind::Bool, Kind::Bool], ret_first_list, array_sort).udf(),
    ]
}

fn list_of(element: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("element", element, true)))
}

fn ret_first_list(t: &[DataType]) -> Result<DataType> {
    Ok(list_of(element_type(&t[0])?))
}

fn common_element(types: &[DataType]) -> Result<DataType> {
    let known: Vec<DataType> = types.iter().filter(|t| **t != DataType::Null).cloned().collect();
    if known.is_empty() {
        return Ok(DataType::Null);
    }
    match type_union_resolution(&known) {
        Some(t) => Ok(t),
        None => exec_err!("no common element type for {known:?}"),
    }
}

fn common_list(t: &[DataType]) -> Result<DataType> {
    let elements = t.iter().map(element_type).collect::<Result<Vec<_>>>()?;
    Ok(list_of(common_element(&elements)?))
}

fn list_and_element(t: &[DataType]) -> Result<DataType> {
    Ok(list_of(common_element(&[element_type(&t[0])?, t[1].clone()])?))
}

/// A list array of `element` type from `values` and, per row, `None` (NULL) or the indices
/// of its elements in `values`.
fn build_list(element: &DataType, values: &ArrayRef, rows: &[Option<Vec<u32>>]) -> Result<ArrayRef> {
    let mut offsets = Vec::with_capacity(rows.len() + 1);
    offsets.push(0i32);
    let mut at = Vec::new();
    for r in rows {
        if let Some(r) = r {
            at.extend_from_slice(r);
        }
        offsets.push(at.len() as i32);
    }
    let taken = arrow::compute::take(values.as_ref(), &UInt32Array::from(at), None)?;
    let taken = arrow::compute::cast(&taken, element)?;
    let nulls = NullBuffer::from(rows.iter().map(Option::is_some).collect::<Vec<_>>());
    Ok(Arc::new(ListArray::try_new(
        Arc::new(Field::new("element", element.clone(), true)),
        OffsetBuffer::new(offsets.into()),
        taken,
        Some(nulls),
    )?))
}

/// Row `i`'s element indices `from..to` in its list's values.
fn span(list: &ListArray, i: usize) -> std::ops::Range<u32> {
    let o = list.value_offsets();
    o[i] as u32..o[i + 1] as u32
}

/// Flink's 1-based inclusive bounds of a slice of an array of `size` (> 0) elements, as a
/// 0-based range (empty when end < start).
pub(crate) fn slice_bounds(size: i64, start: i64, end: i64) -> std::ops::Range<i64> {
    let start = (if start < 0 { start + size + 1 } else { start }).max(1);
    let end = if end < 0 { end + size + 1 } else { end };
    let end = if end == 0 { 1 } else { end.min(size) };
    if end < start {
        0..0
    } else {
        start - 1..end
    }
}

fn array_slice(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let list = as_list(&a[0])?;
    let element = element_type(a[0].data_type())?;
    let start = ints(&a[1]);
    let end = a.get(2).map(ints);
    let per_row: Vec<Option<Vec<u32>>> = (0..rows)
        .map(|i| {
            if list.is_null(i) {
                return None;
            }
            let s = span(&list, i);
            let size = s.len() as i64;
            let from = get(start, i)?;
            let to = match end {
                Some(e) => get(e, i)?,
                None => size,
            };
            if size == 0 {
                return Some(Vec::new());
            }
            let r = slice_bounds(size, from, to);
            Some((r.start as u32 + s.start..r.end as u32 + s.start).collect())
        })
        .collect();
    build_list(&element, list.values(), &per_row)
}

/// The lists' values side by side, cast to `element`, with each list's start in them.
fn stack(lists: &[ListArray], element: &DataType) -> Result<(ArrayRef, Vec<u32>)> {
    let cast = lists.iter().map(|l| arrow::compute::cast(l.values(), element)).collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<&dyn Array> = cast.iter().map(|c| c.as_ref()).collect();
    let mut base = vec![0u32];
    for c in &cast {
        base.push(base.last().copied().unwrap_or(0) + c.len() as u32);
    }
    let values = if refs.is_empty() { arrow::array::new_empty_array(element) } else { arrow::compute::concat(&refs)? };
    Ok((values, base))
}

fn array_concat(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let types: Vec<DataType> = a.iter().map(|x| x.data_type().clone()).collect();
    let DataType::List(f) = common_list(&types)? else { unreachable!("a list type") };
    let element = f.data_type().clone();
    let lists = a.iter().map(as_list).collect::<Result<Vec<_>>>()?;
    let (values, base) = stack(&lists, &element)?;
    let per_row: Vec<Option<Vec<u32>>> = (0..rows)
        .map(|i| {
            if lists.iter().any(|l| l.is_null(i)) {
                return None;
            }
            Some(
                lists
                    .iter()
                    .enumerate()
                    .flat_map(|(k, l)| {
                        let b = base[k];
                        span(l, i).map(move |e| b + e)
                    })
                    .collect(),
            )
        })
        .collect();
    build_list(&element, &values, &per_row)
}

fn add_element(a: &[ArrayRef], rows: usize, front: bool) -> Result<ArrayRef> {
    let DataType::List(f) = list_and_element(&[a[0].data_type().clone(), a[1].data_type().clone()])? else {
        unreachable!("a list type")
    };
    let element = f.data_type().clone();
    let list = as_list(&a[0])?;
    let (values, base) = stack(std::slice::from_ref(&list), &element)?;
    let x = arrow::compute::cast(&a[1], &element)?;
    let values = arrow::compute::concat(&[values.as_ref(), x.as_ref()])?;
    let per_row: Vec<Option<Vec<u32>>> = (0..rows)
        .map(|i| {
            if list.is_null(i) {
                return None;
            }
            let own = span(&list, i);
            let extra = base[1] + i as u32;
            let mut v = Vec::with_capacity(own.len() + 1);
            if front {
                v.push(extra);
            }
            v.extend(own);
            if !front {
                v.push(extra);
            }
            Some(v)
        })
        .collect();
    build_list(&element, &values, &per_row)
}

fn array_sort(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let list = as_list(&a[0])?;
    let element = element_type(a[0].data_type())?;
    let asc = a.get(1).map(bools);
    let nulls_first = a.get(2).map(bools);
    let values = list.values();
    let per_row: Vec<Option<Vec<u32>>> = (0..rows)
        .map(|i| -> Result<Option<Vec<u32>>> {
            if list.is_null(i) {
                return Ok(None);
            }
            let ascending = match asc {
                Some(b) => match get(b, i) {
                    Some(v) => v,
                    None => return Ok(None),
                },
                None => true,
            };
            let nf = match nulls_first {
                Some(b) => match get(b, i) {
                    Some(v) => v,
                    None => return Ok(None),
                },
                None => ascending,
            };
            let s = span(&list, i);
            let part = values.slice(s.start as usize, s.len());
            let order = arrow::compute::sort_to_indices(
                &part,
                Some(SortOptions { descending: !ascending, nulls_first: nf }),
                None,
            )?;
            Ok(Some(order.values().iter().map(|k| k + s.start).collect()))
        })
        .collect::<Result<_>>()?;
    build_list(&element, values, &per_row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int32Builder, ListBuilder};
    use arrow::datatypes::Int32Type;

    fn ints_list(rows: &[Option<Vec<Option<i32>>>]) -> ArrayRef {
        let mut b = ListBuilder::new(Int32Builder::new());
        for r in rows {
            match r {
                Some(v) => b.append_value(v.iter().copied()),
                None => b.append_null(),
            }
        }
        Arc::new(b.finish())
    }

    fn show(a: &ArrayRef) -> Vec<Option<Vec<Option<i32>>>> {
        let l = a.as_list::<i32>();
        (0..l.len()).map(|i| l.is_valid(i).then(|| l.value(i).as_primitive::<Int32Type>().iter().collect())).collect()
    }

    fn call(name: &str, args: &[ArrayRef]) -> Vec<Option<Vec<Option<i32>>>> {
        let fs = &func("test", (1, 3), &[Kind::Any], ret_first_list, array_sort);
        let rows = args[0].len();
        let out = match name {
            "array_slice" => array_slice(fs, args, rows),
            "array_concat" => array_concat(fs, args, rows),
            "array_append" => add_element(args, rows, false),
            "array_prepend" => add_element(args, rows, true),
            _ => array_sort(fs, args, rows),
        };
        show(&out.expect("evaluated"))
    }

    #[test]
    fn slice_bounds_are_flinks() {
        assert_eq!(slice_bounds(5, 2, 3), 1..3);
        assert_eq!(slice_bounds(5, -3, -1), 2..5);
        assert_eq!(slice_bounds(5, 3, 1), 0..0);
        assert_eq!(slice_bounds(5, 0, 100), 0..5);
        assert_eq!(slice_bounds(5, 1, 0), 0..1);
        assert_eq!(slice_bounds(3, 1, -1), 0..3);
    }

    #[test]
    fn slice_with_two_arguments_runs_to_the_end() {
        let a = ints_list(&[Some(vec![Some(1), Some(2), Some(3)]), None, Some(vec![])]);
        let two = Arc::new(arrow::array::Int64Array::from(vec![2, 2, 2])) as ArrayRef;
        assert_eq!(call("array_slice", &[a, two]), vec![Some(vec![Some(2), Some(3)]), None, Some(vec![])]);
    }

    #[test]
    fn concat_append_prepend_are_null_for_a_null_array() {
        let a = ints_list(&[Some(vec![Some(1)]), None, Some(vec![])]);
        let b = ints_list(&[Some(vec![Some(2), None]), Some(vec![Some(3)]), None]);
        assert_eq!(call("array_concat", &[a.clone(), b]), vec![Some(vec![Some(1), Some(2), None]), None, None]);
        let x = Arc::new(arrow::array::Int32Array::from(vec![Some(9), Some(8), None])) as ArrayRef;
        assert_eq!(
            call("array_append", &[a.clone(), x.clone()]),
            vec![Some(vec![Some(1), Some(9)]), None, Some(vec![None])]
        );
        assert_eq!(call("array_prepend", &[a, x]), vec![Some(vec![Some(9), Some(1)]), None, Some(vec![None])]);
    }

    #[test]
    fn sort_takes_booleans_and_places_nulls_as_flink() {
        let a = ints_list(&[Some(vec![None, Some(5), None, Some(-7)])]);
        let t = |v: bool| Arc::new(arrow::array::BooleanArray::from(vec![v])) as ArrayRef;
        assert_eq!(call("array_sort", std::slice::from_ref(&a)), vec![Some(vec![None, None, Some(-7), Some(5)])]);
        assert_eq!(call("array_sort", &[a.clone(), t(false)]), vec![Some(vec![Some(5), Some(-7), None, None])]);
        assert_eq!(call("array_sort", &[a, t(true), t(false)]), vec![Some(vec![Some(-7), Some(5), None, None])]);
    }
}
