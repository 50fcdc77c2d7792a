//! Flink's collection functions that DataFusion lacks or defines differently: the rows
//! `UNNEST` makes of an array or a map (see [`crate::planner::unnest`]), and the `ROW(…)`
//! constructor with Flink's field names, `CARDINALITY` as an INT.

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
        // ROW(a, b, …): a ROW whose fields are named EXPR$0, EXPR$1, … (Flink's names).
        func("row", (1, usize::MAX), &[Kind::Any], row_type, row).udf(),
        // MAP[k1, v1, k2, v2, …] (read as MAP(…)): a map; a later equal key wins.
        func("map", (2, usize::MAX), &[Kind::Any], map_type, map).udf(),
        // MAP_FROM_ARRAYS(keys, values): the map pairing the arrays' elements (a later equal
        // key wins); NULL if an array is NULL; arrays of different lengths fail.
        func("map_from_arrays", (2, 2), &[Kind::Any], map_from_arrays_type, map_from_arrays).udf(),
        // MAP_UNION(map1, map2, …): the maps merged, a later map's value winning for a shared
        // key; NULL if any map is NULL.
        func("map_union", (1, usize::MAX), &[Kind::Any], map_union_type, map_union).udf(),
        // CARDINALITY(array | map | multiset): the number of elements, an INT as in Flink
        // (DataFusion's is a BIGINT UNSIGNED, which an array subscript does not take).
        func("cardinality", (1, 1), &[Kind::Any], |_| Ok(DataType::Int32), cardinality).udf(),
        // ELEMENT(array): the only element; NULL for an empty array; more than one fails.
        func("element", (1, 1), &[Kind::Any], |t| element_type(&t[0]), element).udf(),
        // ARRAY_POSITION(array, x): 1-based position of the first element equal to x; 0 if none;
        // NULL if x is NULL.
        func("array_position", (2, 2), &[Kind::Any], |_| Ok(DataType::Int32), array_position).udf(),
        // ARRAY_CONTAINS(array, x): whether an element equals x, NULL-safely (a NULL x finds a
        // NULL element); NULL for a NULL array.
        func("array_contains", (2, 2), &[Kind::Any], |_| Ok(DataType::Boolean), array_contains).udf(),
        // SPLIT(str, delimiter): the parts between delimiters (commons-lang's
        // splitByWholeSeparatorPreserveAllTokens: '' → [], an empty delimiter splits characters).
        func(
            "split",
            (2, 2),
            &[Kind::Str],
            |_| Ok(DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))),
            split,
        )
        .udf(),
        // ARRAY_REMOVE(array, x): every element equal to x removed (DataFusion's removes the first).
        Arc::new(
            datafusion_functions_nested::remove::array_remove_all_udf().as_ref().clone().with_aliases(["array_remove"]),
        ),
    ]
}

fn row_type(t: &[DataType]) -> Result<DataType> {
    let fields: Fields = t.iter().enumerate().map(|(i, t)| Field::new(format!("EXPR${i}"), t.clone(), true)).collect();
    Ok(DataType::Struct(fields))
}

fn row(_: &FlinkScalar, a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let types: Vec<DataType> = a.iter().map(|c| c.data_type().clone()).collect();
    let DataType::Struct(fields) = row_type(&types)? else { unreachable!("a struct type") };
    Ok(Arc::new(StructArray::try_new(fields, a.to_vec(), None)?))
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
    // A NULL ROW element gives no row in Flink (a NULL scalar element gives one).
    let mut offsets = OffsetBuffer::new(input.offsets().inner().clone());
    if matches!(values.data_type(), DataType::Struct(_)) && values.null_count() > 0 {
        let bounds = input.value_offsets();
        let (first, last) = (bounds[0] as usize, bounds[bounds.len() - 1] as usize);
        let kept: arrow::array::BooleanArray = (first..last).map(|i| Some(values.is_valid(i))).collect();
        offsets = OffsetBuffer::from_lengths(
            bounds.windows(2).map(|w| (w[0] as usize..w[1] as usize).filter(|&i| values.is_valid(i)).count()),
        );
        columns = columns
            .iter()
            .map(|c| arrow::compute::filter(&c.slice(first, last - first), &kept))
            .collect::<std::result::Result<_, _>>()?;
    }
    let columns: Vec<ArrayRef> = columns
        .into_iter()
        .zip(fields.iter())
        .map(|(c, f)| if c.data_type() == f.data_type() { Ok(c) } else { arrow::compute::cast(&c, f.data_type()) })
        .collect::<std::result::Result<_, _>>()?;
    let rows = StructArray::try_new(fields, columns, None)?;
    Ok(Arc::new(ListArray::try_new(item, offsets, Arc::new(rows), input.nulls().cloned())?))
}

pub(crate) fn element_type(t: &DataType) -> Result<DataType> {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => Ok(f.data_type().clone()),
        DataType::Null => Ok(DataType::Null),
        other => exec_err!("expected an ARRAY, not {other}"),
    }
}

/// The argument as a `List` array (a NULL literal is a list of NULLs).
pub(crate) fn as_list(a: &ArrayRef) -> Result<ListArray> {
    Ok(match a.data_type() {
        DataType::List(_) => a.as_list::<i32>().clone(),
        DataType::Null => {
            let t = DataType::List(Arc::new(Field::new("item", DataType::Null, true)));
            arrow::compute::cast(a, &t)?.as_list::<i32>().clone()
        }
        t => {
            let l = arrow::compute::cast(a, &DataType::List(Arc::new(Field::new("item", element_type(t)?, true))))?;
            l.as_list::<i32>().clone()
        }
    })
}

fn element(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let list = as_list(&a[0])?;
    let mut indices = Vec::with_capacity(rows);
    for i in 0..list.len() {
        indices.push(match (list.is_valid(i), list.value_length(i)) {
            (false, _) | (true, 0) => None,
            (true, 1) => Some(list.value_offsets()[i] as u32),
            (true, _) => return exec_err!("ELEMENT: the array has more than one element"),
        });
    }
    Ok(arrow::compute::take(list.values(), &arrow::array::UInt32Array::from(indices), None)?)
}

fn cardinality(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let c = &a[0];
    let lengths: Int32Array = match c.data_type() {
        DataType::List(_) => c.as_list::<i32>().iter().map(|v| v.map(|v| v.len() as i32)).collect(),
        DataType::LargeList(_) => c.as_list::<i64>().iter().map(|v| v.map(|v| v.len() as i32)).collect(),
        DataType::FixedSizeList(_, n) => {
            let list = c.as_fixed_size_list();
            (0..list.len()).map(|i| list.is_valid(i).then_some(*n)).collect()
        }
        DataType::Map(_, _) => {
            let map = c.as_map();
            let offsets = map.value_offsets();
            (0..map.len()).map(|i| map.is_valid(i).then(|| offsets[i + 1] - offsets[i])).collect()
        }
        DataType::Null => Int32Array::new_null(rows),
        other => return exec_err!("CARDINALITY takes an ARRAY, a MAP or a MULTISET, not {other}"),
    };
    Ok(Arc::new(lengths))
}

fn array_position(_: &FlinkScalar, a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let list = as_list(&a[0])?;
    let needle = arrow::compute::cast(&a[1], list.values().data_type())?;
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        // A NULL needle gives NULL (Flink), not the position of a NULL element.
        if list.is_null(i) || needle.is_null(i) {
            out.push(None);
            continue;
        }
        let values = list.value(i);
        let one = arrow::array::Scalar::new(needle.slice(i, 1));
        let equal = arrow::compute::kernels::cmp::not_distinct(&values, &one)?;
        out.push(Some(equal.iter().position(|e| e == Some(true)).map_or(0, |p| p as i32 + 1)));
    }
    Ok(Arc::new(Int32Array::from(out)))
}

fn array_contains(_: &FlinkScalar, a: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let list = as_list(&a[0])?;
    let needle = arrow::compute::cast(&a[1], list.values().data_type())?;
    let mut out = Vec::with_capacity(list.len());
    for i in 0..list.len() {
        if list.is_null(i) {
            out.push(None);
            continue;
        }
        // Null-safe: a NULL needle finds a NULL element.
        let one = arrow::array::Scalar::new(needle.slice(i, 1));
        let equal = arrow::compute::kernels::cmp::not_distinct(&list.value(i), &one)?;
        out.push(Some(equal.true_count() > 0));
    }
    Ok(Arc::new(arrow::array::BooleanArray::from(out)))
}

fn split(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use arrow::array::{ListBuilder, StringBuilder};
    let (s, d) = (a[0].as_string::<i32>(), a[1].as_string::<i32>());
    let mut builder = ListBuilder::new(StringBuilder::new());
    for i in 0..rows {
        if s.is_null(i) || d.is_null(i) {
            builder.append(false);
            continue;
        }
        let (s, d) = (s.value(i), d.value(i));
        if d.is_empty() {
            for c in s.chars() {
                builder.values().append_value(c.to_string());
            }
        } else if !s.is_empty() {
            for part in s.split(d) {
                builder.values().append_value(part);
            }
        }
        builder.append(true);
    }
    Ok(Arc::new(builder.finish()))
}

fn map_type(t: &[DataType]) -> Result<DataType> {
    if !t.len().is_multiple_of(2) {
        return exec_err!("MAP[…] needs keys and values in pairs, got {} arguments", t.len());
    }
    let common = |types: Vec<DataType>| {
        datafusion_expr::type_coercion::binary::type_union_resolution(&types).unwrap_or(DataType::Null)
    };
    let keys = common(t.iter().step_by(2).cloned().collect());
    let values = common(t.iter().skip(1).step_by(2).cloned().collect());
    let entries = Fields::from(vec![Field::new("key", keys, false), Field::new("value", values, true)]);
    Ok(DataType::Map(Arc::new(Field::new("entries", DataType::Struct(entries), false)), false))
}

fn map(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let types: Vec<DataType> = a.iter().map(|c| c.data_type().clone()).collect();
    let DataType::Map(entries_field, _) = map_type(&types)? else { unreachable!("a map type") };
    let DataType::Struct(entry_fields) = entries_field.data_type().clone() else { unreachable!("a struct type") };
    let (key_type, value_type) = (entry_fields[0].data_type().clone(), entry_fields[1].data_type().clone());
    let keys: Vec<ArrayRef> =
        a.iter().step_by(2).map(|k| arrow::compute::cast(k, &key_type)).collect::<std::result::Result<_, _>>()?;
    let values: Vec<ArrayRef> = a
        .iter()
        .skip(1)
        .step_by(2)
        .map(|v| arrow::compute::cast(v, &value_type))
        .collect::<std::result::Result<_, _>>()?;
    // Per row, the pairs in order with a repeated key keeping its last value: (array, row)
    // indices into the arguments, laid out with `interleave`.
    let mut key_at: Vec<(usize, usize)> = Vec::new();
    let mut value_at: Vec<(usize, usize)> = Vec::new();
    let mut offsets = vec![0i32];
    for i in 0..rows {
        let start = key_at.len();
        for p in 0..keys.len() {
            if keys[p].is_null(i) {
                // Flink keeps a NULL key as an entry (`{null=1}`); an Arrow map cannot hold one.
                return exec_err!(
                    "MAP[…]: a NULL key is not supported (Flink keeps it as an entry; Weir's maps, Arrow maps, cannot hold a NULL key). Filter or COALESCE the key first."
                );
            }
            let same = (start..key_at.len()).find(|&e| {
                let (q, r) = key_at[e];
                let one = arrow::array::Scalar::new(keys[q].slice(r, 1));
                arrow::compute::kernels::cmp::eq(&keys[p].slice(i, 1), &one).is_ok_and(|m| m.value(0))
            });
            match same {
                Some(e) => value_at[e] = (p, i),
                None => {
                    key_at.push((p, i));
                    value_at.push((p, i));
                }
            }
        }
        offsets.push(key_at.len() as i32);
    }
    let key_refs: Vec<&dyn Array> = keys.iter().map(|k| k.as_ref()).collect();
    let value_refs: Vec<&dyn Array> = values.iter().map(|v| v.as_ref()).collect();
    let entries = StructArray::try_new(
        entry_fields,
        vec![arrow::compute::interleave(&key_refs, &key_at)?, arrow::compute::interleave(&value_refs, &value_at)?],
        None,
    )?;
    Ok(Arc::new(arrow::array::MapArray::try_new(
        entries_field,
        OffsetBuffer::new(offsets.into()),
        entries,
        None,
        false,
    )?))
}

fn map_of(keys: DataType, values: DataType) -> DataType {
    let entries = Fields::from(vec![Field::new("key", keys, false), Field::new("value", values, true)]);
    DataType::Map(Arc::new(Field::new("entries", DataType::Struct(entries), false)), false)
}

fn map_from_arrays_type(t: &[DataType]) -> Result<DataType> {
    Ok(map_of(element_type(&t[0])?, element_type(&t[1])?))
}

/// Builds a map array: per row `None` (NULL) or its entries as (key index, value index) into
/// `keys` / `values`, a repeated key keeping its first place and its last value.
fn build_map(
    map_type: &DataType,
    keys: &ArrayRef,
    values: &ArrayRef,
    rows: impl Iterator<Item = Result<Option<Vec<(usize, usize)>>>>,
) -> Result<ArrayRef> {
    let DataType::Map(entries_field, _) = map_type else { return exec_err!("expected a MAP type, not {map_type}") };
    let DataType::Struct(entry_fields) = entries_field.data_type().clone() else {
        return exec_err!("expected map entries, not {}", entries_field.data_type());
    };
    let (mut key_at, mut value_at) = (Vec::new(), Vec::new());
    let mut offsets = vec![0i32];
    let mut valid = Vec::new();
    for row in rows {
        let start = key_at.len();
        let row = row?;
        valid.push(row.is_some());
        for (k, v) in row.unwrap_or_default() {
            if keys.is_null(k) {
                return exec_err!(
                    "a NULL map key is not supported (Flink keeps it as an entry; Weir's maps, Arrow maps, cannot hold a NULL key). Filter or COALESCE the key first."
                );
            }
            let key = keys.slice(k, 1);
            let same = (start..key_at.len()).find(|&e| {
                let one = arrow::array::Scalar::new(keys.slice(key_at[e], 1));
                arrow::compute::kernels::cmp::eq(&key, &one).is_ok_and(|m| m.value(0))
            });
            match same {
                Some(e) => value_at[e] = v,
                None => {
                    key_at.push(k);
                    value_at.push(v);
                }
            }
        }
        offsets.push(key_at.len() as i32);
    }
    let take = |a: &ArrayRef, at: Vec<usize>| {
        arrow::compute::take(
            a.as_ref(),
            &arrow::array::UInt64Array::from_iter_values(at.into_iter().map(|i| i as u64)),
            None,
        )
    };
    let key_col = arrow::compute::cast(&take(keys, key_at)?, entry_fields[0].data_type())?;
    let value_col = arrow::compute::cast(&take(values, value_at)?, entry_fields[1].data_type())?;
    let entries = StructArray::try_new(entry_fields, vec![key_col, value_col], None)?;
    Ok(Arc::new(arrow::array::MapArray::try_new(
        entries_field.clone(),
        OffsetBuffer::new(offsets.into()),
        entries,
        Some(valid.into()),
        false,
    )?))
}

fn map_from_arrays(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (ks, vs) = (as_list(&a[0])?, as_list(&a[1])?);
    let t = map_from_arrays_type(&[a[0].data_type().clone(), a[1].data_type().clone()])?;
    let per_row = (0..rows).map(|i| {
        if ks.is_null(i) || vs.is_null(i) {
            return Ok(None);
        }
        let (k, v) = (ks.value_offsets()[i] as usize, vs.value_offsets()[i] as usize);
        let (nk, nv) = (ks.value_length(i) as usize, vs.value_length(i) as usize);
        if nk != nv {
            return exec_err!(
                "Invalid function MAP_FROM_ARRAYS call: the length of the keys array {nk} is not equal to the length of the values array {nv}"
            );
        }
        Ok(Some((0..nk).map(|j| (k + j, v + j)).collect()))
    });
    build_map(&t, ks.values(), vs.values(), per_row)
}

fn map_union_type(t: &[DataType]) -> Result<DataType> {
    for x in t {
        if !matches!(x, DataType::Map(_, _) | DataType::Null) {
            return exec_err!("MAP_UNION expects MAP arguments, not {x}");
        }
    }
    match t.iter().find(|x| matches!(x, DataType::Map(_, _))) {
        Some(m) => Ok(m.clone()),
        None => Ok(DataType::Null),
    }
}

fn map_union(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let types: Vec<DataType> = a.iter().map(|c| c.data_type().clone()).collect();
    let t = map_union_type(&types)?;
    if t == DataType::Null {
        return Ok(arrow::array::new_null_array(&DataType::Null, rows));
    }
    let maps = a.iter().map(|m| arrow::compute::cast(m, &t)).collect::<std::result::Result<Vec<_>, _>>()?;
    let maps: Vec<&arrow::array::MapArray> = maps.iter().map(|m| m.as_map()).collect();
    // All maps' entries side by side: map `m`'s entry `e` is at `base[m] + e`.
    let key_refs: Vec<&dyn Array> = maps.iter().map(|m| m.keys().as_ref()).collect();
    let value_refs: Vec<&dyn Array> = maps.iter().map(|m| m.values().as_ref()).collect();
    let keys = arrow::compute::concat(&key_refs)?;
    let values = arrow::compute::concat(&value_refs)?;
    let mut base = vec![0usize];
    for m in &maps {
        base.push(base.last().copied().unwrap_or(0) + m.keys().len());
    }
    let per_row = (0..rows).map(|i| {
        if maps.iter().any(|m| m.is_null(i)) {
            return Ok(None);
        }
        let mut entries = Vec::new();
        for (m, map) in maps.iter().enumerate() {
            let (from, to) = (map.value_offsets()[i] as usize, map.value_offsets()[i + 1] as usize);
            entries.extend((from..to).map(|e| (base[m] + e, base[m] + e)));
        }
        Ok(Some(entries))
    });
    build_map(&t, &keys, &values, per_row)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Builder, ListBuilder, MapBuilder, StringBuilder};

    fn count(a: ArrayRef) -> Vec<Option<i32>> {
        let f = func("cardinality", (1, 1), &[Kind::Any], |_| Ok(DataType::Int32), cardinality);
        let rows = a.len();
        let out = cardinality(&f, &[a], rows).expect("cardinality");
        assert_eq!(out.data_type(), &DataType::Int32);
        out.as_primitive::<arrow::datatypes::Int32Type>().iter().collect()
    }

    #[test]
    fn cardinality_is_an_int_and_null_for_null() {
        let mut list = ListBuilder::new(Int32Builder::new());
        list.append_value([Some(1), None, Some(3)]);
        list.append_value([]);
        list.append_null();
        assert_eq!(count(Arc::new(list.finish())), [Some(3), Some(0), None]);

        let mut map = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
        map.keys().append_value("a");
        map.values().append_value(1);
        map.keys().append_value("b");
        map.values().append_null();
        map.append(true).expect("map");
        map.append(false).expect("null map");
        map.append(true).expect("empty map");
        assert_eq!(count(Arc::new(map.finish())), [Some(2), None, Some(0)]);

        assert_eq!(count(Arc::new(arrow::array::NullArray::new(2))), [None, None]);
    }

    /// A map array as `k=v` lists per row (None: NULL map).
    fn show_maps(a: &ArrayRef) -> Vec<Option<String>> {
        let m = a.as_map();
        let text = |c: &ArrayRef, j: usize| {
            let c = arrow::compute::cast(c, &DataType::Utf8).unwrap();
            let c = c.as_string::<i32>();
            if c.is_valid(j) {
                c.value(j).to_string()
            } else {
                "null".to_string()
            }
        };
        (0..m.len())
            .map(|i| {
                m.is_valid(i).then(|| {
                    let e = m.value(i);
                    (0..e.len())
                        .map(|j| format!("{}={}", text(e.column(0), j), text(e.column(1), j)))
                        .collect::<Vec<_>>()
                        .join(",")
                })
            })
            .collect()
    }

    #[test]
    fn map_from_arrays_pairs_elements_and_the_last_key_wins() {
        let mut ks = ListBuilder::new(StringBuilder::new());
        ks.append_value([Some("x"), Some("y")]);
        ks.append_value([Some("d"), Some("d")]);
        ks.append_null();
        ks.append_value([Some("k")]);
        let mut vs = ListBuilder::new(Int32Builder::new());
        vs.append_value([Some(1), Some(2)]);
        vs.append_value([Some(1), Some(2)]);
        vs.append_value([Some(1)]);
        vs.append_value([None]);
        let f = func("map_from_arrays", (2, 2), &[Kind::Any], map_from_arrays_type, map_from_arrays);
        let out = map_from_arrays(&f, &[Arc::new(ks.finish()), Arc::new(vs.finish())], 4).unwrap();
        let want = [Some("x=1,y=2"), Some("d=2"), None, Some("k=null")].map(|s| s.map(String::from));
        assert_eq!(show_maps(&out), want);
    }

    #[test]
    fn map_union_lets_the_later_map_win() {
        type Entries<'a> = Option<&'a [(&'a str, Option<i32>)]>;
        let build = |rows: &[Entries<'_>]| -> ArrayRef {
            let mut map = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
            for r in rows {
                if let Some(r) = r {
                    for (k, v) in *r {
                        map.keys().append_value(k);
                        map.values().append_option(*v);
                    }
                }
                map.append(r.is_some()).unwrap();
            }
            Arc::new(map.finish())
        };
        let a = build(&[Some(&[("a", Some(1)), ("b", Some(2))]), None, Some(&[("n", None)])]);
        let b = build(&[Some(&[("b", Some(20)), ("c", Some(30))]), Some(&[("q", Some(1))]), Some(&[("n", Some(5))])]);
        let f = func("map_union", (1, usize::MAX), &[Kind::Any], map_union_type, map_union);
        let out = map_union(&f, &[a, b], 3).unwrap();
        let want = [Some("a=1,b=20,c=30"), None, Some("n=5")].map(|s| s.map(String::from));
        assert_eq!(show_maps(&out), want);
    }
}
