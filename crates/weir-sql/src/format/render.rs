//! Values as text: Flink's print rendering, Java's number formatting, and typed access to the
//! columns of a batch that the encoders share.

use std::fmt::Write as _;

use arrow::array::{
    Array, AsArray, BinaryArray, BinaryViewArray, BooleanArray, LargeBinaryArray, LargeStringArray, StringArray,
    StringViewArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{
    DataType, Date32Type, Date64Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type,
    Int8Type, IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit, Time32MillisecondType, Time32SecondType,
    Time64MicrosecondType, Time64NanosecondType, TimeUnit, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow::record_batch::RecordBatch;

use super::text::{civil_from_days, unit_nanos};
use crate::changelog::RowKind;
use crate::functions::LocalTimeZone;

/// One column of a batch, downcast once.
pub(crate) struct Col<'a> {
    nulls: Option<&'a NullBuffer>,
    pub(crate) t: Typed<'a>,
}

/// The values of a column by type.
pub(crate) enum Typed<'a> {
    Null,
    Bool(&'a BooleanArray),
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
    F32(&'a [f32]),
    F64(&'a [f64]),
    /// Unscaled values and scale.
    Dec(&'a [i128], i8),
    Str(&'a StringArray),
    LStr(&'a LargeStringArray),
    VStr(&'a StringViewArray),
    Bin(&'a BinaryArray),
    LBin(&'a LargeBinaryArray),
    VBin(&'a BinaryViewArray),
    Date32(&'a [i32]),
    Date64(&'a [i64]),
    Time32(&'a [i32], TimeUnit),
    Time64(&'a [i64], TimeUnit),
    /// Values, unit, whether TIMESTAMP_LTZ (a zone on the Arrow type).
    Ts(&'a [i64], TimeUnit, bool),
    Interval(&'a [IntervalMonthDayNano]),
    List(Vec<usize>, Box<Col<'a>>),
    /// A MULTISET: a list whose element field says so (see [`super::multiset`]).
    Multiset(Vec<usize>, Box<Col<'a>>),
    Struct(Vec<(&'a str, Col<'a>)>),
    Map(Vec<usize>, Box<Col<'a>>, Box<Col<'a>>),
    /// Anything else, shown by Arrow's own formatter.
    Other(&'a dyn Array),
}

impl<'a> Col<'a> {
    /// Downcasts `array`.
    pub(crate) fn new(array: &'a dyn Array) -> Col<'a> {
        let t = match array.data_type() {
            DataType::Null => Typed::Null,
            DataType::Boolean => Typed::Bool(array.as_boolean()),
            DataType::Int8 => Typed::I8(array.as_primitive::<Int8Type>().values()),
            DataType::Int16 => Typed::I16(array.as_primitive::<Int16Type>().values()),
            DataType::Int32 => Typed::I32(array.as_primitive::<Int32Type>().values()),
            DataType::Int64 => Typed::I64(array.as_primitive::<Int64Type>().values()),
            DataType::UInt8 => Typed::U8(array.as_primitive::<UInt8Type>().values()),
            DataType::UInt16 => Typed::U16(array.as_primitive::<UInt16Type>().values()),
            DataType::UInt32 => Typed::U32(array.as_primitive::<UInt32Type>().values()),
            DataType::UInt64 => Typed::U64(array.as_primitive::<UInt64Type>().values()),
            DataType::Float32 => Typed::F32(array.as_primitive::<Float32Type>().values()),
            DataType::Float64 => Typed::F64(array.as_primitive::<Float64Type>().values()),
            DataType::Decimal128(_, s) => Typed::Dec(array.as_primitive::<Decimal128Type>().values(), *s),
            DataType::Utf8 => Typed::Str(array.as_string::<i32>()),
            DataType::LargeUtf8 => Typed::LStr(array.as_string::<i64>()),
            DataType::Utf8View => Typed::VStr(array.as_string_view()),
            DataType::Binary => Typed::Bin(array.as_binary::<i32>()),
            DataType::LargeBinary => Typed::LBin(array.as_binary::<i64>()),
            DataType::BinaryView => Typed::VBin(array.as_binary_view()),
            DataType::Date32 => Typed::Date32(array.as_primitive::<Date32Type>().values()),
            DataType::Date64 => Typed::Date64(array.as_primitive::<Date64Type>().values()),
            DataType::Time32(TimeUnit::Second) => {
                Typed::Time32(array.as_primitive::<Time32SecondType>().values(), TimeUnit::Second)
            }
            DataType::Time32(_) => {
                Typed::Time32(array.as_primitive::<Time32MillisecondType>().values(), TimeUnit::Millisecond)
            }
            DataType::Time64(TimeUnit::Microsecond) => {
                Typed::Time64(array.as_primitive::<Time64MicrosecondType>().values(), TimeUnit::Microsecond)
            }
            DataType::Time64(_) => {
                Typed::Time64(array.as_primitive::<Time64NanosecondType>().values(), TimeUnit::Nanosecond)
            }
            DataType::Timestamp(unit, tz) => {
                let v = match unit {
                    TimeUnit::Second => array.as_primitive::<TimestampSecondType>().values(),
                    TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().values(),
                    TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().values(),
                    TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().values(),
                };
                Typed::Ts(v, *unit, tz.is_some())
            }
            DataType::Interval(IntervalUnit::MonthDayNano) => {
                Typed::Interval(array.as_primitive::<IntervalMonthDayNanoType>().values())
            }
            DataType::List(element) => {
                let l = array.as_list::<i32>();
                let offsets = l.offsets().iter().map(|o| *o as usize).collect();
                let child = Box::new(Col::new(l.values().as_ref()));
                match element.name() == super::multiset::MULTISET_ELEMENT {
                    true => Typed::Multiset(offsets, child),
                    false => Typed::List(offsets, child),
                }
            }
            DataType::LargeList(_) => {
                let l = array.as_list::<i64>();
                let offsets = l.offsets().iter().map(|o| *o as usize).collect();
                Typed::List(offsets, Box::new(Col::new(l.values().as_ref())))
            }
            DataType::Struct(fields) => {
                let s = array.as_struct();
                Typed::Struct(
                    fields.iter().zip(s.columns()).map(|(f, c)| (f.name().as_str(), Col::new(c.as_ref()))).collect(),
                )
            }
            DataType::Map(_, _) => {
                let m = array.as_map();
                let offsets = m.offsets().iter().map(|o| *o as usize).collect();
                Typed::Map(offsets, Box::new(Col::new(m.keys().as_ref())), Box::new(Col::new(m.values().as_ref())))
            }
            _ => Typed::Other(array),
        };
        let nulls = if matches!(t, Typed::Null) { None } else { array.nulls() };
        Col { nulls, t }
    }

    /// Whether row `i` is NULL.
    #[inline]
    pub(crate) fn is_null(&self, i: usize) -> bool {
        matches!(self.t, Typed::Null) || self.nulls.is_some_and(|n| n.is_null(i))
    }
}

/// Text of a string-like value at `i`.
pub(crate) fn str_at<'a>(t: &Typed<'a>, i: usize) -> Option<&'a str> {
    match t {
        Typed::Str(a) => Some(a.value(i)),
        Typed::LStr(a) => Some(a.value(i)),
        Typed::VStr(a) => Some(a.value(i)),
        _ => None,
    }
}

/// Bytes of a binary value at `i`.
pub(crate) fn bytes_at<'a>(t: &Typed<'a>, i: usize) -> Option<&'a [u8]> {
    match t {
        Typed::Bin(a) => Some(a.value(i)),
        Typed::LBin(a) => Some(a.value(i)),
        Typed::VBin(a) => Some(a.value(i)),
        _ => None,
    }
}

// ------------------------------------------------------------------------------------------ Java numbers

/// Appends `x` as Java's `Double.toString` writes it: `1.0`, `0.1`, `100.0`, `1.0E7`, `1.2345E-4`,
/// `NaN`, `Infinity`, `-0.0` (shortest digits that read back as `x`; scientific notation when
/// |x| >= 10^7 or < 10^-3).
pub fn java_double(x: f64, out: &mut String) {
    if x.is_nan() {
        out.push_str("NaN");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let mut sci = String::new();
        let _ = write!(sci, "{:e}", x.abs());
        java_layout(x.is_sign_negative(), x == 0.0, (1e-3..1e7).contains(&x.abs()), &sci, out);
    }
}

/// Appends `x` as Java's `Float.toString` writes it (same layout as [`java_double`], with the
/// shortest digits that read back as the same `f32`).
pub fn java_float(x: f32, out: &mut String) {
    if x.is_nan() {
        out.push_str("NaN");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let mut sci = String::new();
        let _ = write!(sci, "{:e}", x.abs());
        java_layout(x.is_sign_negative(), x == 0.0, (1e-3..1e7).contains(&x.abs()), &sci, out);
    }
}

/// Lays out Rust's shortest scientific form (`d.ddde±x`) the way Java does.
fn java_layout(negative: bool, zero: bool, plain: bool, sci: &str, out: &mut String) {
    if negative {
        out.push('-');
    }
    if zero {
        out.push_str("0.0");
        return;
    }
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.as_bytes();
    if plain {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            for k in 0..int_len {
                out.push(*digits.get(k).unwrap_or(&b'0') as char);
            }
            out.push('.');
            if digits.len() > int_len {
                out.push_str(std::str::from_utf8(&digits[int_len..]).unwrap_or("0"));
            } else {
                out.push('0');
            }
        } else {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            out.push_str(std::str::from_utf8(digits).unwrap_or("0"));
        }
    } else {
        out.push(digits[0] as char);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(std::str::from_utf8(&digits[1..]).unwrap_or("0"));
        } else {
            out.push('0');
        }
        let _ = write!(out, "E{exp}");
    }
}

/// `BigDecimal.stripTrailingZeros()`: the same value with no trailing zeros in the unscaled
/// value (zero becomes `(0, 0)`).
pub(crate) fn strip_trailing_zeros(mut unscaled: i128, mut scale: i32) -> (i128, i32) {
    if unscaled == 0 {
        return (0, 0);
    }
    while unscaled % 10 == 0 {
        unscaled /= 10;
        scale -= 1;
    }
    (unscaled, scale)
}

/// Appends Java's `BigDecimal.toPlainString()` of `unscaled × 10^-scale`.
pub(crate) fn decimal_plain(unscaled: i128, scale: i32, out: &mut String) {
    let digits = unscaled.unsigned_abs().to_string();
    if unscaled < 0 {
        out.push('-');
    }
    if scale <= 0 {
        out.push_str(&digits);
        if unscaled != 0 {
            for _ in 0..(-scale) {
                out.push('0');
            }
        }
        return;
    }
    let scale = scale as usize;
    if digits.len() > scale {
        let (a, b) = digits.split_at(digits.len() - scale);
        out.push_str(a);
        out.push('.');
        out.push_str(b);
    } else {
        out.push_str("0.");
        for _ in 0..(scale - digits.len()) {
            out.push('0');
        }
        out.push_str(&digits);
    }
}

/// Appends Java's `BigDecimal.toString()` of `unscaled × 10^-scale`: plain unless the scale is
/// negative or the adjusted exponent is below -6 (then `1.5E-7`, `1E+3`).
pub(crate) fn decimal_java(unscaled: i128, scale: i32, out: &mut String) {
    let digits = unscaled.unsigned_abs().to_string();
    let adjusted = -(scale as i64) + (digits.len() as i64 - 1);
    if scale >= 0 && adjusted >= -6 {
        decimal_plain(unscaled, scale, out);
        return;
    }
    if unscaled < 0 {
        out.push('-');
    }
    out.push_str(&digits[..1]);
    if digits.len() > 1 {
        out.push('.');
        out.push_str(&digits[1..]);
    }
    out.push('E');
    if adjusted > 0 {
        out.push('+');
    }
    let _ = write!(out, "{adjusted}");
}

// ------------------------------------------------------------------------------------------ dates

/// Appends `yyyy-MM-dd` of a day number.
pub(crate) fn write_date(days: i64, out: &mut String) {
    let (y, m, d) = civil_from_days(days);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
}

/// How many fraction digits a time of day shows.
#[derive(Clone, Copy)]
pub(crate) enum Fraction {
    /// Java's `appendFraction(NANO_OF_SECOND, 0, 9, true)`: none when zero, else the digits
    /// without trailing zeros.
    Trim,
    /// Exactly this many digits (none for 0).
    Fixed(u32),
}

/// Appends `HH:mm:ss[.f]` of nanoseconds within a day.
pub(crate) fn write_time(nanos_of_day: i64, frac: Fraction, out: &mut String) {
    let secs = nanos_of_day / 1_000_000_000;
    let nanos = nanos_of_day % 1_000_000_000;
    let _ = write!(out, "{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    match frac {
        Fraction::Trim => {
            if nanos != 0 {
                let mut s = format!("{nanos:09}");
                while s.ends_with('0') {
                    s.pop();
                }
                out.push('.');
                out.push_str(&s);
            }
        }
        Fraction::Fixed(0) => {}
        Fraction::Fixed(p) => {
            let s = format!("{nanos:09}");
            out.push('.');
            out.push_str(&s[..p.min(9) as usize]);
        }
    }
}

/// Appends `yyyy-MM-dd{sep}HH:mm:ss[.f]` of a timestamp value in `unit`.
pub(crate) fn write_timestamp(value: i64, unit: TimeUnit, sep: char, frac: Fraction, out: &mut String) {
    let per = unit_nanos(unit);
    let per_day = 86_400_000_000_000i64 / per;
    let days = value.div_euclid(per_day);
    let rest = value.rem_euclid(per_day) * per;
    write_date(days, out);
    out.push(sep);
    write_time(rest, frac, out);
}

/// Fraction digits of a unit: 0, 3, 6, 9.
pub(crate) fn unit_digits(unit: TimeUnit) -> u32 {
    match unit {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 3,
        TimeUnit::Microsecond => 6,
        TimeUnit::Nanosecond => 9,
    }
}

/// Nanoseconds of the day of a TIME value.
pub(crate) fn time_nanos(t: &Typed<'_>, i: usize) -> (i64, TimeUnit) {
    match t {
        Typed::Time32(v, u) => (v[i] as i64 * unit_nanos(*u), *u),
        Typed::Time64(v, u) => (v[i] * unit_nanos(*u), *u),
        _ => (0, TimeUnit::Second),
    }
}

/// Flink's text of an interval held as month-day-nano: `+Y-MM` when only months are set, else
/// `+D HH:mm:ss.SSS`.
pub(crate) fn write_interval(v: IntervalMonthDayNano, out: &mut String) {
    if v.days == 0 && v.nanoseconds == 0 {
        let sign = if v.months < 0 { '-' } else { '+' };
        let m = v.months.unsigned_abs();
        let _ = write!(out, "{sign}{}-{:02}", m / 12, m % 12);
    } else {
        let total_ms = v.days as i64 * 86_400_000 + v.nanoseconds / 1_000_000;
        let sign = if total_ms < 0 { '-' } else { '+' };
        let ms = total_ms.unsigned_abs();
        let _ = write!(
            out,
            "{sign}{} {:02}:{:02}:{:02}.{:03}",
            ms / 86_400_000,
            ms / 3_600_000 % 24,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000
        );
    }
}

// ------------------------------------------------------------------------------------------ print

/// Appends one row the way Flink prints a changelog row: `+I[1001, Alice, 2024-01-01 00:00:00.190]`
/// (kind, then the values of [`render_value`] in column order separated by `", "`; no newline).
pub fn print_row(batch: &RecordBatch, row: usize, kind: RowKind, out: &mut String) {
    out.push_str(kind.short_string());
    out.push('[');
    for (k, column) in batch.columns().iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        render_value(column.as_ref(), row, out);
    }
    out.push(']');
}

/// Appends the text of `array[row]` as Flink prints it (SQL `CAST(… AS STRING)` style):
///
/// * NULL `null`; BOOLEAN `true` / `false`; integers in decimal;
/// * FLOAT / DOUBLE as Java's `Float.toString` / `Double.toString` (`1.0`, `1.0E7`, `NaN`);
/// * DECIMAL with all its scale digits (`1.50` for DECIMAL(10, 2)), never scientific;
/// * STRING as is; BYTES as `x'0a1b'` (hex, as the SQL client prints them);
/// * DATE `yyyy-MM-dd`; TIME `HH:mm:ss` (plus the fraction digits of its unit when it has any);
/// * TIMESTAMP(p) `yyyy-MM-dd HH:mm:ss.SSS` with as many fraction digits as the Arrow unit holds
///   (3 for milliseconds, 6, 9; none for seconds); TIMESTAMP_LTZ the same, in UTC (the print
///   connector's LTZ does not depend on the session zone in Flink either);
/// * ARRAY `[1, 2]`; MAP `{k1=v1, k2=v2}`; MULTISET as Flink's map of element to count
///   (`{a=1, b=2}`, in Flink's order); ROW `(1, abc)`; nested NULLs `null`.
pub fn render_value(array: &dyn Array, row: usize, out: &mut String) {
    render_value_in(array, row, LocalTimeZone::Utc, out);
}

/// [`render_value`] with TIMESTAMP_LTZ values shown in `zone`, as Flink's SQL client shows a
/// query's result in the session time zone (`table.local-time-zone`).
///
/// ```
/// use arrow::array::TimestampMillisecondArray;
/// use weir_sql::format::render_value_in;
/// use weir_sql::functions::LocalTimeZone;
/// let ltz = TimestampMillisecondArray::from(vec![1_711_846_800_123]).with_timezone("UTC");
/// let mut s = String::new();
/// render_value_in(&ltz, 0, LocalTimeZone::parse("Europe/Berlin").unwrap(), &mut s);
/// assert_eq!(s, "2024-03-31 03:00:00.123");
/// ```
pub fn render_value_in(array: &dyn Array, row: usize, zone: LocalTimeZone, out: &mut String) {
    let col = Col::new(array);
    render_col_in(&col, row, zone, out);
}

/// [`render_col_in`] in UTC.
pub(crate) fn render_col(c: &Col<'_>, i: usize, out: &mut String) {
    render_col_in(c, i, LocalTimeZone::Utc, out);
}

pub(crate) fn render_col_in(c: &Col<'_>, i: usize, zone: LocalTimeZone, out: &mut String) {
    if c.is_null(i) {
        out.push_str("null");
        return;
    }
    match &c.t {
        Typed::Null => out.push_str("null"),
        Typed::Bool(a) => out.push_str(if a.value(i) { "true" } else { "false" }),
        Typed::I8(v) => push_int(v[i] as i64, out),
        Typed::I16(v) => push_int(v[i] as i64, out),
        Typed::I32(v) => push_int(v[i] as i64, out),
        Typed::I64(v) => push_int(v[i], out),
        Typed::U8(v) => push_int(v[i] as i64, out),
        Typed::U16(v) => push_int(v[i] as i64, out),
        Typed::U32(v) => push_int(v[i] as i64, out),
        Typed::U64(v) => {
            let _ = write!(out, "{}", v[i]);
        }
        Typed::F32(v) => java_float(v[i], out),
        Typed::F64(v) => java_double(v[i], out),
        Typed::Dec(v, s) => decimal_plain(v[i], *s as i32, out),
        Typed::Str(_) | Typed::LStr(_) | Typed::VStr(_) => out.push_str(str_at(&c.t, i).unwrap_or_default()),
        Typed::Bin(_) | Typed::LBin(_) | Typed::VBin(_) => {
            out.push_str("x'");
            for b in bytes_at(&c.t, i).unwrap_or_default() {
                let _ = write!(out, "{b:02x}");
            }
            out.push('\'');
        }
        Typed::Date32(v) => write_date(v[i] as i64, out),
        Typed::Date64(v) => write_date(v[i].div_euclid(86_400_000), out),
        Typed::Time32(..) | Typed::Time64(..) => {
            let (nanos, unit) = time_nanos(&c.t, i);
            let frac = match unit {
                TimeUnit::Millisecond if nanos % 1_000_000_000 == 0 => Fraction::Fixed(0),
                u => Fraction::Fixed(unit_digits(u)),
            };
            write_time(nanos, frac, out);
        }
        Typed::Ts(v, unit, ltz) => {
            let v = if *ltz { in_zone(v[i], *unit, zone) } else { v[i] };
            write_timestamp(v, *unit, ' ', Fraction::Fixed(unit_digits(*unit)), out)
        }
        Typed::Interval(v) => write_interval(v[i], out),
        Typed::List(offsets, child) => {
            out.push('[');
            for (n, k) in (offsets[i]..offsets[i + 1]).enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                render_col_in(child, k, zone, out);
            }
            out.push(']');
        }
        Typed::Multiset(offsets, child) => {
            let text = |k: usize| {
                let mut s = String::new();
                render_col_in(child, k, zone, &mut s);
                s
            };
            out.push('{');
            for (n, (k, count)) in
                super::multiset::entries(child, offsets[i]..offsets[i + 1], text).into_iter().enumerate()
            {
                if n > 0 {
                    out.push_str(", ");
                }
                render_col_in(child, k, zone, out);
                let _ = write!(out, "={count}");
            }
            out.push('}');
        }
        Typed::Struct(fields) => {
            out.push('(');
            for (n, (_, f)) in fields.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                render_col_in(f, i, zone, out);
            }
            out.push(')');
        }
        Typed::Map(offsets, keys, values) => {
            out.push('{');
            for (n, k) in (offsets[i]..offsets[i + 1]).enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                render_col_in(keys, k, zone, out);
                out.push('=');
                render_col_in(values, k, zone, out);
            }
            out.push('}');
        }
        Typed::Other(a) => {
            let options = arrow::util::display::FormatOptions::default().with_null("null");
            match arrow::util::display::ArrayFormatter::try_new(*a, &options) {
                Ok(f) => {
                    let _ = write!(out, "{}", f.value(i));
                }
                Err(_) => out.push('?'),
            }
        }
    }
}

/// An instant in `unit` since the epoch, moved to the wall clock of `zone`.
pub(crate) fn in_zone(v: i64, unit: TimeUnit, zone: LocalTimeZone) -> i64 {
    if zone == LocalTimeZone::Utc {
        return v;
    }
    let per = unit_nanos(unit);
    let ms = if per >= 1_000_000 { v.saturating_mul(per / 1_000_000) } else { v.div_euclid(1_000_000 / per) };
    let shift_secs = zone.offset_at_millis(ms) as i64;
    v.saturating_add(shift_secs * (1_000_000_000 / per))
}

#[inline]
pub(crate) fn push_int(x: i64, out: &mut String) {
    let _ = write!(out, "{x}");
}
