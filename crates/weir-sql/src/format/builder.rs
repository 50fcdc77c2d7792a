//! Column builders that decoders append to: one typed builder per column, chosen once from the
//! Arrow type, that can be cut back to an earlier length (so a record that fails half-way leaves
//! no trace) and that finishes into an Arrow array without copying.

use std::sync::Arc;

use super::text::DayCache;
use arrow::array::{
    ArrayRef, BooleanArray, GenericBinaryArray, GenericStringArray, ListArray, MapArray, PrimitiveArray, StructArray,
};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Decimal128Type, FieldRef, Fields, Float32Type, Float64Type, Int16Type,
    Int32Type, Int64Type, Int8Type, IntervalMonthDayNano, IntervalMonthDayNanoType, Time32MillisecondType,
    Time32SecondType, Time64MicrosecondType, Time64NanosecondType, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};

/// The values of a builder, by type.
pub(crate) enum Values {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// Unscaled values, precision, scale.
    Decimal(Vec<i128>, u8, i8),
    Utf8 {
        offsets: Vec<i32>,
        data: Vec<u8>,
    },
    Binary {
        offsets: Vec<i32>,
        data: Vec<u8>,
    },
    Date32(Vec<i32>),
    /// Time of day in `unit` (seconds and milliseconds are held as i64 here, narrowed at the end).
    Time(Vec<i64>, TimeUnit),
    /// Timestamp in `unit`, with the zone of the Arrow type (`Some` for TIMESTAMP_LTZ).
    Timestamp(Vec<i64>, TimeUnit, Option<Arc<str>>),
    Interval(Vec<IntervalMonthDayNano>),
    List {
        offsets: Vec<i32>,
        field: FieldRef,
        child: Box<ColumnBuilder>,
    },
    Struct {
        fields: Fields,
        children: Vec<ColumnBuilder>,
    },
    Map {
        offsets: Vec<i32>,
        entries: FieldRef,
        sorted: bool,
        keys: Box<ColumnBuilder>,
        values: Box<ColumnBuilder>,
    },
}

/// A growable, truncatable column of one Arrow type.
pub(crate) struct ColumnBuilder {
    pub(crate) name: String,
    pub(crate) nullable: bool,
    pub(crate) data_type: DataType,
    pub(crate) values: Values,
    valid: Vec<bool>,
    nulls: usize,
    /// The last date a TIMESTAMP column read (see [`DayCache`]).
    pub(crate) day_cache: DayCache,
}

impl ColumnBuilder {
    /// A builder for `data_type`, or why the type is not supported.
    pub(crate) fn new(name: &str, data_type: &DataType, nullable: bool) -> Result<ColumnBuilder, String> {
        let values = match data_type {
            DataType::Boolean => Values::Bool(Vec::new()),
            DataType::Int8 => Values::I8(Vec::new()),
            DataType::Int16 => Values::I16(Vec::new()),
            DataType::Int32 => Values::I32(Vec::new()),
            DataType::Int64 => Values::I64(Vec::new()),
            DataType::Float32 => Values::F32(Vec::new()),
            DataType::Float64 => Values::F64(Vec::new()),
            DataType::Decimal128(p, s) => Values::Decimal(Vec::new(), *p, *s),
            DataType::Utf8 => Values::Utf8 { offsets: vec![0], data: Vec::new() },
            DataType::Binary => Values::Binary { offsets: vec![0], data: Vec::new() },
            DataType::Date32 => Values::Date32(Vec::new()),
            DataType::Time32(u) | DataType::Time64(u) => Values::Time(Vec::new(), *u),
            DataType::Timestamp(u, tz) => Values::Timestamp(Vec::new(), *u, tz.clone()),
            DataType::Interval(arrow::datatypes::IntervalUnit::MonthDayNano) => Values::Interval(Vec::new()),
            DataType::List(f) => Values::List {
                offsets: vec![0],
                field: f.clone(),
                child: Box::new(ColumnBuilder::new(f.name(), f.data_type(), f.is_nullable())?),
            },
            DataType::Struct(fields) => Values::Struct {
                fields: fields.clone(),
                children: fields
                    .iter()
                    .map(|f| ColumnBuilder::new(f.name(), f.data_type(), f.is_nullable()))
                    .collect::<Result<_, _>>()?,
            },
            DataType::Map(entries, sorted) => match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 => Values::Map {
                    offsets: vec![0],
                    entries: entries.clone(),
                    sorted: *sorted,
                    keys: Box::new(ColumnBuilder::new(kv[0].name(), kv[0].data_type(), kv[0].is_nullable())?),
                    values: Box::new(ColumnBuilder::new(kv[1].name(), kv[1].data_type(), kv[1].is_nullable())?),
                },
                other => return Err(format!("map entries of type {other} are not supported")),
            },
            other => return Err(format!("column '{name}' has type {other}, which this format cannot read")),
        };
        Ok(ColumnBuilder {
            name: name.to_string(),
            nullable,
            data_type: data_type.clone(),
            values,
            valid: Vec::new(),
            nulls: 0,
            day_cache: DayCache::default(),
        })
    }

    /// Number of values appended.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.valid.len()
    }

    /// Marks one more value valid (after its value was pushed).
    #[inline]
    pub(crate) fn mark_valid(&mut self) {
        self.valid.push(true);
    }

    /// Appends a NULL; fails for a NOT NULL column.
    pub(crate) fn push_null(&mut self) -> Result<(), String> {
        if !self.nullable {
            return Err(format!("null value for NOT NULL field '{}'", self.name));
        }
        self.push_placeholder();
        Ok(())
    }

    /// Appends an invalid slot whatever the nullability (children of a NULL row, whose nulls
    /// the parent masks).
    pub(crate) fn push_placeholder(&mut self) {
        match &mut self.values {
            Values::Bool(v) => v.push(false),
            Values::I8(v) => v.push(0),
            Values::I16(v) => v.push(0),
            Values::I32(v) => v.push(0),
            Values::I64(v) => v.push(0),
            Values::F32(v) => v.push(0.0),
            Values::F64(v) => v.push(0.0),
            Values::Decimal(v, _, _) => v.push(0),
            Values::Utf8 { offsets, .. } | Values::Binary { offsets, .. } => {
                let last = *offsets.last().unwrap_or(&0);
                offsets.push(last);
            }
            Values::Date32(v) => v.push(0),
            Values::Time(v, _) | Values::Timestamp(v, _, _) => v.push(0),
            Values::Interval(v) => v.push(IntervalMonthDayNano::new(0, 0, 0)),
            Values::List { offsets, .. } | Values::Map { offsets, .. } => {
                let last = *offsets.last().unwrap_or(&0);
                offsets.push(last);
            }
            Values::Struct { children, .. } => {
                for c in children {
                    c.push_placeholder();
                }
            }
        }
        self.valid.push(false);
        self.nulls += 1;
    }

    /// Appends a string value to a Utf8 column (caller checked the type).
    #[inline]
    pub(crate) fn push_str_value(offsets: &mut Vec<i32>, data: &mut Vec<u8>, s: &[u8]) {
        data.extend_from_slice(s);
        offsets.push(data.len() as i32);
    }

    /// Cuts the column back to `len` values.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len >= self.valid.len() {
            return;
        }
        self.nulls -= self.valid[len..].iter().filter(|v| !**v).count();
        self.valid.truncate(len);
        match &mut self.values {
            Values::Bool(v) => v.truncate(len),
            Values::I8(v) => v.truncate(len),
            Values::I16(v) => v.truncate(len),
            Values::I32(v) => v.truncate(len),
            Values::I64(v) => v.truncate(len),
            Values::F32(v) => v.truncate(len),
            Values::F64(v) => v.truncate(len),
            Values::Decimal(v, _, _) => v.truncate(len),
            Values::Utf8 { offsets, data } | Values::Binary { offsets, data } => {
                offsets.truncate(len + 1);
                data.truncate(offsets[len] as usize);
            }
            Values::Date32(v) => v.truncate(len),
            Values::Time(v, _) | Values::Timestamp(v, _, _) => v.truncate(len),
            Values::Interval(v) => v.truncate(len),
            Values::List { offsets, child, .. } => {
                offsets.truncate(len + 1);
                child.truncate(offsets[len] as usize);
            }
            Values::Map { offsets, keys, values, .. } => {
                offsets.truncate(len + 1);
                keys.truncate(offsets[len] as usize);
                values.truncate(offsets[len] as usize);
            }
            Values::Struct { children, .. } => {
                for c in children {
                    c.truncate(len);
                }
            }
        }
    }

    /// The values gathered so far as an array; the builder starts over empty.
    pub(crate) fn finish(&mut self) -> ArrayRef {
        let len = self.valid.len();
        let valid = std::mem::take(&mut self.valid);
        let nulls = if self.nulls > 0 { Some(NullBuffer::from(valid)) } else { None };
        self.nulls = 0;
        fn prim<T: ArrowPrimitiveType>(v: &mut Vec<T::Native>, nulls: Option<NullBuffer>) -> PrimitiveArray<T> {
            PrimitiveArray::<T>::new(ScalarBuffer::from(std::mem::take(v)), nulls)
        }
        fn offsets_of(o: &mut Vec<i32>) -> OffsetBuffer<i32> {
            let taken = std::mem::replace(o, vec![0]);
            OffsetBuffer::new(ScalarBuffer::from(taken))
        }
        match &mut self.values {
            Values::Bool(v) => {
                let values = std::mem::take(v);
                Arc::new(BooleanArray::new(values.into(), nulls))
            }
            Values::I8(v) => Arc::new(prim::<Int8Type>(v, nulls)),
            Values::I16(v) => Arc::new(prim::<Int16Type>(v, nulls)),
            Values::I32(v) => Arc::new(prim::<Int32Type>(v, nulls)),
            Values::I64(v) => Arc::new(prim::<Int64Type>(v, nulls)),
            Values::F32(v) => Arc::new(prim::<Float32Type>(v, nulls)),
            Values::F64(v) => Arc::new(prim::<Float64Type>(v, nulls)),
            Values::Decimal(v, p, s) => {
                Arc::new(prim::<Decimal128Type>(v, nulls).with_data_type(DataType::Decimal128(*p, *s)))
            }
            Values::Utf8 { offsets, data } => {
                let offsets = offsets_of(offsets);
                let data = Buffer::from_vec(std::mem::take(data));
                // SAFETY: only `&str` values (valid UTF-8, whole characters) were appended, and the
                // offsets are monotonic and end at the data's length.
                Arc::new(unsafe { GenericStringArray::<i32>::new_unchecked(offsets, data, nulls) })
            }
            Values::Binary { offsets, data } => {
                let offsets = offsets_of(offsets);
                let data = Buffer::from_vec(std::mem::take(data));
                Arc::new(GenericBinaryArray::<i32>::new(offsets, data, nulls))
            }
            Values::Date32(v) => Arc::new(prim::<Date32Type>(v, nulls)),
            Values::Time(v, unit) => {
                let v = std::mem::take(v);
                match unit {
                    TimeUnit::Second => Arc::new(PrimitiveArray::<Time32SecondType>::new(
                        v.into_iter().map(|x| x as i32).collect::<Vec<_>>().into(),
                        nulls,
                    )),
                    TimeUnit::Millisecond => Arc::new(PrimitiveArray::<Time32MillisecondType>::new(
                        v.into_iter().map(|x| x as i32).collect::<Vec<_>>().into(),
                        nulls,
                    )),
                    TimeUnit::Microsecond => Arc::new(PrimitiveArray::<Time64MicrosecondType>::new(v.into(), nulls)),
                    TimeUnit::Nanosecond => Arc::new(PrimitiveArray::<Time64NanosecondType>::new(v.into(), nulls)),
                }
            }
            Values::Timestamp(v, unit, tz) => {
                let v = std::mem::take(v);
                let tz = tz.clone();
                match unit {
                    TimeUnit::Second => {
                        Arc::new(PrimitiveArray::<TimestampSecondType>::new(v.into(), nulls).with_timezone_opt(tz))
                    }
                    TimeUnit::Millisecond => {
                        Arc::new(PrimitiveArray::<TimestampMillisecondType>::new(v.into(), nulls).with_timezone_opt(tz))
                    }
                    TimeUnit::Microsecond => {
                        Arc::new(PrimitiveArray::<TimestampMicrosecondType>::new(v.into(), nulls).with_timezone_opt(tz))
                    }
                    TimeUnit::Nanosecond => {
                        Arc::new(PrimitiveArray::<TimestampNanosecondType>::new(v.into(), nulls).with_timezone_opt(tz))
                    }
                }
            }
            Values::Interval(v) => Arc::new(prim::<IntervalMonthDayNanoType>(v, nulls)),
            Values::List { offsets, field, child } => {
                let offsets = offsets_of(offsets);
                let child = child.finish();
                Arc::new(ListArray::new(field.clone(), offsets, child, nulls))
            }
            Values::Struct { fields, children } => {
                if fields.is_empty() {
                    Arc::new(StructArray::new_empty_fields(len, nulls))
                } else {
                    let arrays = children.iter_mut().map(|c| c.finish()).collect();
                    Arc::new(StructArray::new(fields.clone(), arrays, nulls))
                }
            }
            Values::Map { offsets, entries, sorted, keys, values } => {
                let offsets = offsets_of(offsets);
                let kv = match entries.data_type() {
                    DataType::Struct(f) => f.clone(),
                    _ => unreachable!("checked at construction"),
                };
                let entry_array = StructArray::new(kv, vec![keys.finish(), values.finish()], None);
                Arc::new(MapArray::new(entries.clone(), offsets, entry_array, nulls, *sorted))
            }
        }
    }
}
