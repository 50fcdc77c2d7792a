//! Avro's binary encoding, straight between Arrow columns and bytes: `int` and `long` as
//! zig-zag varints, `float` / `double` little-endian, `bytes` / `string` length-prefixed,
//! unions as the branch index then the value, arrays and maps as blocks ended by a zero
//! count, records as their fields in order, decimals as big-endian two's complement.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    Time32MillisecondType, Time32SecondType, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType,
};

use super::schema::{AvroType, Record};
use crate::format::builder::{ColumnBuilder, Values};

// ------------------------------------------------------------------------------------------ writing

/// Appends `n` as a zig-zag varint.
pub(crate) fn write_long(n: i64, out: &mut Vec<u8>) {
    let mut z = ((n << 1) ^ (n >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

/// Appends length-prefixed bytes.
pub(crate) fn write_bytes(b: &[u8], out: &mut Vec<u8>) {
    write_long(b.len() as i64, out);
    out.extend_from_slice(b);
}

/// The unscaled value as Java's `BigInteger.toByteArray`: big-endian two's complement in the
/// fewest bytes that keep the sign.
fn decimal_bytes(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 15 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        if (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
            start += 1;
        } else {
            break;
        }
    }
    bytes[start..].to_vec()
}

/// Row `i` of `columns` as one record of `record` (its fields in column order).
pub(crate) fn write_record(record: &Record, columns: &[&dyn Array], i: usize, out: &mut Vec<u8>) -> Result<(), String> {
    for (f, c) in record.fields.iter().zip(columns) {
        write_value(&f.ty, *c, i, out).map_err(|e| format!("field '{}': {e}", f.name))?;
    }
    Ok(())
}

fn write_value(t: &AvroType, a: &dyn Array, i: usize, out: &mut Vec<u8>) -> Result<(), String> {
    if let AvroType::Nullable { inner, null_index } = t {
        if a.is_null(i) {
            write_long(*null_index as i64, out);
            return Ok(());
        }
        write_long(1 - *null_index as i64, out);
        return write_value(inner, a, i, out);
    }
    if a.is_null(i) {
        return Err("null value for a NOT NULL type".into());
    }
    match (t, a.data_type()) {
        (AvroType::Boolean, _) => out.push(a.as_boolean().value(i) as u8),
        (AvroType::Int, DataType::Int8) => write_long(a.as_primitive::<Int8Type>().value(i) as i64, out),
        (AvroType::Int, DataType::Int16) => write_long(a.as_primitive::<Int16Type>().value(i) as i64, out),
        (AvroType::Int, _) => write_long(a.as_primitive::<Int32Type>().value(i) as i64, out),
        (AvroType::Long, _) => write_long(a.as_primitive::<Int64Type>().value(i), out),
        (AvroType::Float, _) => out.extend_from_slice(&a.as_primitive::<Float32Type>().value(i).to_le_bytes()),
        (AvroType::Double, _) => out.extend_from_slice(&a.as_primitive::<Float64Type>().value(i).to_le_bytes()),
        (AvroType::String, DataType::LargeUtf8) => write_bytes(a.as_string::<i64>().value(i).as_bytes(), out),
        (AvroType::String, DataType::Utf8View) => write_bytes(a.as_string_view().value(i).as_bytes(), out),
        (AvroType::String, _) => write_bytes(a.as_string::<i32>().value(i).as_bytes(), out),
        (AvroType::Bytes, DataType::LargeBinary) => write_bytes(a.as_binary::<i64>().value(i), out),
        (AvroType::Bytes, DataType::BinaryView) => write_bytes(a.as_binary_view().value(i), out),
        (AvroType::Bytes, _) => write_bytes(a.as_binary::<i32>().value(i), out),
        (AvroType::Decimal { .. }, _) => write_bytes(&decimal_bytes(a.as_primitive::<Decimal128Type>().value(i)), out),
        (AvroType::Date, _) => write_long(a.as_primitive::<Date32Type>().value(i) as i64, out),
        (AvroType::TimeMillis, DataType::Time32(TimeUnit::Second)) => {
            write_long(a.as_primitive::<Time32SecondType>().value(i) as i64 * 1000, out)
        }
        (AvroType::TimeMillis, _) => write_long(a.as_primitive::<Time32MillisecondType>().value(i) as i64, out),
        (AvroType::Timestamp(unit), DataType::Timestamp(from, _)) => {
            let v = match from {
                TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(i),
                TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(i),
                TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(i),
            };
            write_long(convert_time(v, *from, *unit), out)
        }
        (AvroType::Array(items), _) => {
            let list = a.as_list::<i32>();
            let (start, end) = (list.value_offsets()[i] as usize, list.value_offsets()[i + 1] as usize);
            if end > start {
                write_long((end - start) as i64, out);
                for j in start..end {
                    write_value(items, list.values().as_ref(), j, out)?;
                }
            }
            write_long(0, out);
        }
        (AvroType::Map(values), _) => {
            let map = a.as_map();
            let (start, end) = (map.value_offsets()[i] as usize, map.value_offsets()[i + 1] as usize);
            if end > start {
                write_long((end - start) as i64, out);
                let keys = map.keys();
                for j in start..end {
                    write_value(&AvroType::String, keys.as_ref(), j, out)?;
                    write_value(values, map.values().as_ref(), j, out)?;
                }
            }
            write_long(0, out);
        }
        (AvroType::Record(r), _) => {
            let s = a.as_struct();
            let columns: Vec<&dyn Array> = s.columns().iter().map(|c| c.as_ref()).collect();
            write_record(r, &columns, i, out)?;
        }
        (t, dt) => return Err(format!("cannot write {dt} as Avro {t:?}")),
    }
    Ok(())
}

/// `v` in unit `from` as unit `to` (truncating towards negative infinity when coarser).
fn convert_time(v: i64, from: TimeUnit, to: TimeUnit) -> i64 {
    let per_second = |u: TimeUnit| match u {
        TimeUnit::Second => 1i64,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let (f, t) = (per_second(from), per_second(to));
    if t >= f {
        v.saturating_mul(t / f)
    } else {
        v.div_euclid(f / t)
    }
}

// ------------------------------------------------------------------------------------------ reading

/// Reads Avro's binary encoding from a byte slice.
pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub(crate) fn long(&mut self) -> Result<i64, String> {
        let mut z: u64 = 0;
        let mut shift = 0;
        loop {
            let b = *self.bytes.get(self.pos).ok_or("the record ends inside a number")?;
            self.pos += 1;
            if shift > 63 {
                return Err("a varint longer than 10 bytes".into());
            }
            z |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(((z >> 1) as i64) ^ -((z & 1) as i64));
            }
            shift += 7;
        }
    }

    fn int(&mut self) -> Result<i32, String> {
        let v = self.long()?;
        i32::try_from(v).map_err(|_| format!("int value {v} out of range"))
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("the record ends inside a value of {n} bytes"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.long()?;
        let n = usize::try_from(n).map_err(|_| format!("negative length {n}"))?;
        self.take(n)
    }

    fn string(&mut self) -> Result<&'a str, String> {
        std::str::from_utf8(self.bytes()?).map_err(|e| format!("a string that is not UTF-8: {e}"))
    }

    /// The item count of the next block of an array or map (0 at the end).
    fn block_count(&mut self) -> Result<usize, String> {
        let n = self.long()?;
        if n < 0 {
            self.long()?; // the block's size in bytes, for skipping
        }
        usize::try_from(n.unsigned_abs()).map_err(|_| "a block count out of range".into())
    }

    /// Whether every byte has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

/// Reads one record into `columns` (the record's fields resolved to them); on error the
/// columns may hold part of it (the caller truncates).
pub(crate) fn read_record(r: &mut Reader<'_>, record: &Record, columns: &mut [ColumnBuilder]) -> Result<(), String> {
    for f in &record.fields {
        match f.target {
            Some(i) => read_value(r, &f.ty, &mut columns[i]).map_err(|e| format!("field '{}': {e}", f.name))?,
            None => skip(r, &f.ty)?,
        }
    }
    for i in &record.absent {
        columns[*i].push_null()?;
    }
    Ok(())
}

fn read_value(r: &mut Reader<'_>, t: &AvroType, col: &mut ColumnBuilder) -> Result<(), String> {
    if let AvroType::Nullable { inner, null_index } = t {
        let branch = r.long()?;
        return match branch {
            b if b == *null_index as i64 => col.push_null(),
            b if b == 1 - *null_index as i64 => read_value(r, inner, col),
            b => Err(format!("union branch {b} out of range")),
        };
    }
    match (t, &mut col.values) {
        (AvroType::Null, _) => return col.push_null(),
        (AvroType::Boolean, Values::Bool(v)) => v.push(*r.take(1)?.first().expect("one byte") != 0),
        (AvroType::Int, Values::I8(v)) => {
            let x = r.int()?;
            v.push(i8::try_from(x).map_err(|_| format!("{x} does not fit TINYINT"))?)
        }
        (AvroType::Int, Values::I16(v)) => {
            let x = r.int()?;
            v.push(i16::try_from(x).map_err(|_| format!("{x} does not fit SMALLINT"))?)
        }
        (AvroType::Int, Values::I32(v)) => v.push(r.int()?),
        (AvroType::Int | AvroType::Long, Values::I64(v)) => v.push(r.long()?),
        (AvroType::Int | AvroType::Long, Values::F32(v)) => v.push(r.long()? as f32),
        (AvroType::Int | AvroType::Long, Values::F64(v)) => v.push(r.long()? as f64),
        (AvroType::Float, Values::F32(v)) => v.push(f32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes"))),
        (AvroType::Float, Values::F64(v)) => v.push(f32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes")) as f64),
        (AvroType::Double, Values::F64(v)) => v.push(f64::from_le_bytes(r.take(8)?.try_into().expect("8 bytes"))),
        (AvroType::String | AvroType::Bytes, Values::Utf8 { offsets, data }) => {
            let s = r.string()?;
            ColumnBuilder::push_str_value(offsets, data, s.as_bytes());
        }
        (AvroType::Enum(symbols), Values::Utf8 { offsets, data }) => {
            let i = r.int()?;
            let s = symbols.get(i as usize).ok_or_else(|| format!("enum index {i} out of range"))?;
            ColumnBuilder::push_str_value(offsets, data, s.as_bytes());
        }
        (AvroType::String | AvroType::Bytes, Values::Binary { offsets, data }) => {
            let b = r.bytes()?;
            ColumnBuilder::push_str_value(offsets, data, b);
        }
        (AvroType::Fixed(n), Values::Binary { offsets, data }) => {
            let b = r.take(*n)?;
            ColumnBuilder::push_str_value(offsets, data, b);
        }
        (AvroType::Decimal { fixed, .. }, Values::Decimal(v, p, _)) => {
            let b = match fixed {
                Some(n) => r.take(*n)?,
                None => r.bytes()?,
            };
            let x = decimal_from_bytes(b)?;
            if x.unsigned_abs() >= 10u128.pow(*p as u32) {
                return Err(format!("decimal {x} (unscaled) exceeds precision {p}"));
            }
            v.push(x);
        }
        (AvroType::Date, Values::Date32(v)) => v.push(r.int()?),
        (AvroType::TimeMillis, Values::Time(v, unit)) => {
            v.push(convert_time(r.int()? as i64, TimeUnit::Millisecond, *unit))
        }
        (AvroType::TimeMicros, Values::Time(v, unit)) => v.push(convert_time(r.long()?, TimeUnit::Microsecond, *unit)),
        (AvroType::Timestamp(from), Values::Timestamp(v, unit, _)) => v.push(convert_time(r.long()?, *from, *unit)),
        (AvroType::Array(items), Values::List { offsets, child, .. }) => {
            loop {
                let n = r.block_count()?;
                if n == 0 {
                    break;
                }
                for _ in 0..n {
                    read_value(r, items, child)?;
                }
            }
            offsets.push(child.len() as i32);
        }
        (AvroType::Map(values), Values::Map { offsets, keys, values: vals, .. }) => {
            loop {
                let n = r.block_count()?;
                if n == 0 {
                    break;
                }
                for _ in 0..n {
                    read_value(r, &AvroType::String, keys)?;
                    read_value(r, values, vals)?;
                }
            }
            offsets.push(keys.len() as i32);
        }
        (AvroType::Record(rec), Values::Struct { children, .. }) => read_record(r, rec, children)?,
        (t, _) => return Err(format!("Avro {t:?} cannot be read as {}", col.data_type)),
    }
    col.mark_valid();
    Ok(())
}

/// Java's `new BigInteger(bytes)`: big-endian two's complement, up to 16 bytes.
fn decimal_from_bytes(b: &[u8]) -> Result<i128, String> {
    if b.is_empty() || b.len() > 16 {
        return Err(format!("a decimal of {} bytes (1 to 16 are read)", b.len()));
    }
    let fill = if b[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut full = [fill; 16];
    full[16 - b.len()..].copy_from_slice(b);
    Ok(i128::from_be_bytes(full))
}

/// Reads past a value of `t` (a field no column wants).
fn skip(r: &mut Reader<'_>, t: &AvroType) -> Result<(), String> {
    match t {
        AvroType::Null => {}
        AvroType::Boolean => {
            r.take(1)?;
        }
        AvroType::Int | AvroType::Long | AvroType::Date | AvroType::TimeMillis | AvroType::TimeMicros => {
            r.long()?;
        }
        AvroType::Timestamp(_) | AvroType::Enum(_) => {
            r.long()?;
        }
        AvroType::Float => {
            r.take(4)?;
        }
        AvroType::Double => {
            r.take(8)?;
        }
        AvroType::Bytes | AvroType::String | AvroType::Decimal { fixed: None, .. } => {
            r.bytes()?;
        }
        AvroType::Fixed(n) | AvroType::Decimal { fixed: Some(n), .. } => {
            r.take(*n)?;
        }
        AvroType::Array(items) => loop {
            let n = r.block_count()?;
            if n == 0 {
                break;
            }
            for _ in 0..n {
                skip(r, items)?;
            }
        },
        AvroType::Map(values) => loop {
            let n = r.block_count()?;
            if n == 0 {
                break;
            }
            for _ in 0..n {
                r.bytes()?;
                skip(r, values)?;
            }
        },
        AvroType::Record(rec) => {
            for f in &rec.fields {
                skip(r, &f.ty)?;
            }
        }
        AvroType::Nullable { inner, null_index } => {
            if r.long()? != *null_index as i64 {
                skip(r, inner)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longs_are_zigzag_varints() {
        // Worked from the Avro spec's table: 0 → 00, -1 → 01, 1 → 02, -64 → 7f, 64 → 80 01.
        let cases: [(i64, &[u8]); 6] =
            [(0, &[0x00]), (-1, &[0x01]), (1, &[0x02]), (-64, &[0x7f]), (64, &[0x80, 0x01]), (-65, &[0x81, 0x01])];
        for (n, bytes) in cases {
            let mut out = Vec::new();
            write_long(n, &mut out);
            assert_eq!(out, bytes, "{n}");
            assert_eq!(Reader::new(bytes).long().unwrap(), n);
        }
    }

    #[test]
    fn decimals_are_minimal_twos_complement() {
        // 12345 = 0x3039; -1 = 0xff; 128 needs a leading 0x00; -129 = 0xff7f.
        let cases: [(i128, &[u8]); 5] =
            [(12345, &[0x30, 0x39]), (-1, &[0xff]), (128, &[0x00, 0x80]), (-129, &[0xff, 0x7f]), (0, &[0x00])];
        for (v, bytes) in cases {
            assert_eq!(decimal_bytes(v), bytes, "{v}");
            assert_eq!(decimal_from_bytes(bytes).unwrap(), v);
        }
    }
}
