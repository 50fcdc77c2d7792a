//! Flink's `CAST` where Arrow's cast kernel (which DataFusion uses) gives another answer.
//!
//! The planner rewrites such a `CAST(x AS t)` / `TRY_CAST(x AS t)` into `flink_cast(x, t)` /
//! `flink_try_cast(x, t)` (the target type travels as a typed NULL), see [`flink_cast_needed`].
//! Checked against Flink 2.3:
//!
//! | cast | Arrow | Flink (here) |
//! |---|---|---|
//! | TIMESTAMP → TIMESTAMP_LTZ | same digits, read as UTC | the wall clock read in the session zone (a DST gap moves later, an overlap takes the earlier instant) |
//! | TIMESTAMP_LTZ → TIMESTAMP, DATE, TIME | the UTC wall clock | the session zone's wall clock |
//! | DATE → TIMESTAMP_LTZ | midnight UTC | midnight in the session zone |
//! | TIMESTAMP, TIMESTAMP_LTZ → STRING | `2024-01-01T10:00:00` | `2024-01-01 10:00:00.000` (fraction digits of the type; LTZ in the session zone) |
//! | STRING → TIMESTAMP, TIMESTAMP_LTZ | many formats | `yyyy-M-d[ H:m:s[.f…]]` only (a day past the month's end clamps, `24:00:00` is the next day); anything else fails the job (NULL with TRY_CAST); LTZ read in the session zone |
//! | STRING → TINYINT…BIGINT | strict | surrounding blanks ignored, a fraction truncated (`'1.5'` → 1); anything else fails the job (NULL with TRY_CAST) |
//! | BOOLEAN → STRING | `true` | `TRUE` |
//! | INTERVAL → STRING | ISO text | `+1 00:00:00.000`, `+1-02` |
//! | ROW, MAP, ARRAY → STRING | refused (ROW, MAP) | `(a, NULL)`, `{k=v}`, `[1, NULL]`: each element cast to STRING, NULL as `NULL` |
//! | BYTES → STRING | error on invalid UTF-8 | UTF-8 decoded, malformed bytes as U+FFFD |
//! | DOUBLE, FLOAT → STRING | `10000000000` | Java's `Double.toString`: `1.0E10`, `0.1`, `1.0` |
//! | BIGINT → INT (and other narrowing integer casts) | error on overflow | the low bits (`3000000000` → `-1294967296`) |
//! | FLOAT/DOUBLE → INT, BIGINT | error on overflow | toward zero, saturating (`1e10` → `2147483647`), NaN → 0 |
//! | STRING → DATE | ISO dates | `y[-m[-d]]`, text after a blank ignored (`'42'` → 0042-01-01) |
//! | STRING → TIME | ISO times, also numbers | `h[:m[:s[.f]]]` within one day, else NULL |
//! | STRING → DECIMAL | no exponent | Java's `BigDecimal` text (`'1e2'` → 100), rounded half-up |
//! | DOUBLE, DECIMAL, integers → DECIMAL | error on overflow; a double's binary value | NULL on overflow; a double's shortest decimal text (`2.675` → 2.68), rounded half-up |
//!
//! Casts Flink refuses at validation (numbers to and from TIMESTAMP / TIMESTAMP_LTZ) are
//! refused by the planner with Flink's message ([`refused_cast`]).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray};
use arrow::datatypes::{DataType, Int64Type, TimeUnit};
use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use datafusion_common::{exec_err, Result};
use datafusion_expr::ScalarUDF;

use super::common::{func, get, strs, FlinkScalar, FunctionConfig, Kind};

/// Name of the function a Flink `CAST` is rewritten into.
pub const CAST: &str = "flink_cast";
/// Name of the function a Flink `TRY_CAST` is rewritten into.
pub const TRY_CAST: &str = "flink_try_cast";

/// Name of the function that fits the bytes of a `CAST(x AS BINARY(n))` (`pad` TRUE) or
/// `CAST(x AS VARBINARY(n))` (`pad` FALSE): `fit_bytes(bytes, n, pad)`.
pub const FIT_BYTES: &str = "flink_fit_bytes";

/// `flink_cast`, `flink_try_cast` and `flink_fit_bytes` for a session.
pub(crate) fn udfs(cfg: FunctionConfig) -> Vec<Arc<ScalarUDF>> {
    let ret = |t: &[DataType]| Ok(t[1].clone());
    vec![
        func(CAST, (2, 2), &[Kind::Any], ret, cast).with_cfg(cfg).udf(),
        func(TRY_CAST, (2, 2), &[Kind::Any], ret, cast).with_cfg(cfg).udf(),
        func(FIT_BYTES, (3, 3), &[Kind::Any, Kind::Int, Kind::Bool], |_| Ok(DataType::Binary), fit_bytes).udf(),
    ]
}

/// Flink's CAST to BINARY(n) / VARBINARY(n): longer values are cut to `n` bytes, and BINARY
/// pads shorter ones with zero bytes.
fn fit_bytes(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let bytes = arrow::compute::cast(&a[0], &DataType::Binary)?;
    let (lengths, pads) = (a[1].as_primitive::<Int64Type>(), a[2].as_boolean());
    let mut out = arrow::array::BinaryBuilder::with_capacity(rows, bytes.get_buffer_memory_size());
    let mut value = Vec::new();
    for i in 0..rows {
        let (Some(b), Some(n), Some(pad)) = (bytes_at(&bytes, i), get(lengths, i), get(pads, i)) else {
            out.append_null();
            continue;
        };
        let n = usize::try_from(n).unwrap_or(0);
        value.clear();
        value.extend_from_slice(&b[..b.len().min(n)]);
        if pad {
            value.resize(n, 0);
        }
        out.append_value(&value);
    }
    Ok(Arc::new(out.finish()))
}

/// A TIMESTAMP (`v` in `unit`) cast to `to` — DATE, TIME(p) or TIMESTAMP(0) — as Flink casts
/// it: through epoch milliseconds divided toward zero, so that a time before 1970 rounds up
/// (1969-12-31 10:00 is DATE 1970-01-01, 1969-12-31 23:59:59.999 is TIME(0) 00:00:00 and
/// TIMESTAMP(0) 1970-01-01 00:00:00); a TIME is then taken within its day.
fn truncated(v: i64, unit: TimeUnit, to: &DataType) -> i64 {
    const DAY_MS: i64 = 86_400_000;
    let per_second: i64 = match unit {
        TimeUnit::Second => 1,
        TimeUnit::Millisecond => 1_000,
        TimeUnit::Microsecond => 1_000_000,
        TimeUnit::Nanosecond => 1_000_000_000,
    };
    let millis = if unit == TimeUnit::Second { v * 1000 } else { v.div_euclid(per_second / 1000) };
    let within_day = |x: i64, day: i64| if x % day < 0 { x % day + day } else { x % day };
    match to {
        DataType::Date32 => millis / DAY_MS,
        DataType::Time32(TimeUnit::Second) => within_day(millis / 1000, DAY_MS / 1000),
        DataType::Time32(_) => within_day(millis, DAY_MS),
        DataType::Time64(TimeUnit::Microsecond) => within_day(millis, DAY_MS) * 1000 + sub_milli(v, unit) / 1000,
        DataType::Time64(_) => within_day(millis, DAY_MS) * 1_000_000 + sub_milli(v, unit),
        _ => millis / 1000,
    }
}

/// The nanoseconds below the millisecond of a timestamp `v` in `unit`.
fn sub_milli(v: i64, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Microsecond => v.rem_euclid(1000) * 1000,
        TimeUnit::Nanosecond => v.rem_euclid(1_000_000),
        _ => 0,
    }
}

/// A TIME as Flink's CAST to STRING prints it: `HH:mm:ss` for TIME(0) (`whole`), else with
/// the fraction's trailing zeros dropped but at least one digit (`07:08:09.5`, `07:08:09.0`).
fn time_text(nanos: i64, whole: bool) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let fraction = nanos.rem_euclid(1_000_000_000);
    let mut text = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    if !whole {
        let digits = format!("{fraction:09}");
        let digits = digits.trim_end_matches('0');
        text.push('.');
        text.push_str(if digits.is_empty() { "0" } else { digits });
    }
    text
}

/// `flink_cast` in a UTC session, for rewrites that narrow integers (Flink's casts wrap) after
/// the casts of the query were planned.
pub fn flink_cast_udf() -> Arc<ScalarUDF> {
    let ret = |t: &[DataType]| Ok(t[1].clone());
    func(CAST, (2, 2), &[Kind::Any], ret, cast).udf()
}

fn is_str(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// Whether a cast from `from` to `to` must be Flink's rather than Arrow's.
pub fn flink_cast_needed(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    match (from, to) {
        (Timestamp(_, None), Timestamp(_, Some(_))) | (Timestamp(_, Some(_)), Timestamp(_, None)) => true,
        (Timestamp(_, Some(_)), Date32 | Time32(_) | Time64(_)) | (Date32, Timestamp(_, Some(_))) => true,
        (Timestamp(u, None), Date32 | Time32(_) | Time64(_) | Timestamp(TimeUnit::Second, None)) => {
            *u != TimeUnit::Second || !matches!(to, Timestamp(_, _))
        }
        (Timestamp(_, _), t) if is_str(t) => true,
        (List(_) | LargeList(_) | FixedSizeList(_, _) | Struct(_) | Map(_, _), t) if is_str(t) => true,
        (Binary | LargeBinary | BinaryView | FixedSizeBinary(_), t) if is_str(t) => true,
        (Interval(arrow::datatypes::IntervalUnit::MonthDayNano), t) if is_str(t) => true,
        (f, Timestamp(_, _)) if is_str(f) => true,
        (f, Int8 | Int16 | Int32 | Int64 | Date32 | Time32(_) | Time64(_) | Decimal128(_, _)) if is_str(f) => true,
        (Int16 | Int32 | Int64, Int8 | Int16 | Int32) => from.primitive_width() > to.primitive_width(),
        (Float32 | Float64, Int8 | Int16 | Int32 | Int64) => true,
        (Boolean | Float32 | Float64 | Time32(_) | Time64(_), t) if is_str(t) => true,
        (Float32 | Float64 | Decimal128(_, _) | Int8 | Int16 | Int32 | Int64, Decimal128(_, _)) => true,
        _ => false,
    }
}

/// Flink's message for a cast it refuses at validation, if it refuses this one.
pub fn refused_cast(from: &DataType, to: &DataType) -> Option<&'static str> {
    let numeric = |t: &DataType| t.is_numeric();
    match (from, to) {
        (DataType::Timestamp(_, None), t) if numeric(t) => Some(
            "The cast from TIMESTAMP type to NUMERIC type is not allowed. It's recommended to use UNIX_TIMESTAMP(CAST(timestamp_col AS STRING)) instead.",
        ),
        (DataType::Timestamp(_, Some(_)), t) if numeric(t) => {
            Some("The cast from TIMESTAMP_LTZ type to NUMERIC type is not allowed.")
        }
        (f, DataType::Timestamp(_, None)) if numeric(f) => Some(
            "The cast from NUMERIC type to TIMESTAMP type is not allowed. It's recommended to use TO_TIMESTAMP(FROM_UNIXTIME(numeric_col)) instead, note the numeric is in seconds.",
        ),
        (f, DataType::Timestamp(_, Some(_))) if numeric(f) => Some(
            "The cast from NUMERIC type to TIMESTAMP_LTZ type is not allowed. It's recommended to use TO_TIMESTAMP_LTZ(numeric_col, precision) instead.",
        ),
        _ => None,
    }
}

fn per_milli(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second | TimeUnit::Millisecond => 1,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1_000_000,
    }
}

/// A timestamp array in `unit` (seconds become milliseconds), as raw values.
fn raw(a: &ArrayRef, unit: TimeUnit) -> Result<(Int64Array, TimeUnit)> {
    let unit = if unit == TimeUnit::Second { TimeUnit::Millisecond } else { unit };
    let a = arrow::compute::cast(a, &DataType::Timestamp(unit, None))?;
    Ok((arrow::compute::cast(&a, &DataType::Int64)?.as_primitive::<Int64Type>().clone(), unit))
}

/// Moves each value by `f` applied to its milliseconds, keeping the sub-millisecond digits.
fn shift(v: &Int64Array, unit: TimeUnit, f: impl Fn(i64) -> i64) -> Int64Array {
    let per = per_milli(unit);
    v.iter().map(|x| x.map(|x| f(x.div_euclid(per)) * per + x.rem_euclid(per))).collect()
}

fn cast(f: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    cast_values(f, &a[0], a[1].data_type(), rows)
}

/// `input` (`rows` long) cast to `to` as Flink casts it.
fn cast_values(f: &FlinkScalar, input: &ArrayRef, to: &DataType, rows: usize) -> Result<ArrayRef> {
    use DataType::*;
    let zone = f.cfg.zone;
    let lenient = f.static_name() == TRY_CAST;
    let a = std::slice::from_ref(input);
    let (from, to) = (input.data_type().clone(), to.clone());
    match (&from, &to) {
        (List(_) | LargeList(_) | FixedSizeList(_, _) | Struct(_) | Map(_, _), t) if is_str(t) => {
            let out = nested_text(f, input)?;
            Ok(arrow::compute::cast(&(Arc::new(out) as ArrayRef), &to)?)
        }
        (Binary | LargeBinary | BinaryView | FixedSizeBinary(_), t) if is_str(t) => {
            // Flink decodes the bytes as UTF-8, a malformed sequence becoming U+FFFD.
            let out: StringArray = (0..rows).map(|i| bytes_at(input, i).map(String::from_utf8_lossy)).collect();
            Ok(arrow::compute::cast(&(Arc::new(out) as ArrayRef), &to)?)
        }
        (Timestamp(_, None), Timestamp(u, Some(_))) => {
            let (v, unit) = raw(&a[0], *u)?;
            ltz(shift(&v, unit, |ms| zone.local_millis_to_utc(ms)), unit, &to)
        }
        (Timestamp(_, Some(_)), Timestamp(u, None)) => {
            let (v, unit) = raw(&a[0], *u)?;
            plain(shift(&v, unit, |ms| zone.utc_millis_to_local(ms)), unit, &to)
        }
        (Timestamp(u, Some(_)), Date32 | Time32(_) | Time64(_)) => {
            let (v, unit) = raw(&a[0], *u)?;
            let local = plain(shift(&v, unit, |ms| zone.utc_millis_to_local(ms)), unit, &Timestamp(unit, None))?;
            Ok(arrow::compute::cast(&local, &to)?)
        }
        (Date32, Timestamp(u, Some(_))) => {
            let (v, unit) = raw(&arrow::compute::cast(&a[0], &Timestamp(*u, None))?, *u)?;
            ltz(shift(&v, unit, |ms| zone.local_millis_to_utc(ms)), unit, &to)
        }
        (Timestamp(_, _) | Float32 | Float64 | Interval(arrow::datatypes::IntervalUnit::MonthDayNano), t)
            if is_str(t) =>
        {
            let out: StringArray = (0..rows)
                .map(|i| {
                    (!a[0].is_null(i)).then(|| {
                        let mut s = String::new();
                        crate::format::render_value_in(a[0].as_ref(), i, zone, &mut s);
                        s
                    })
                })
                .collect();
            Ok(arrow::compute::cast(&(Arc::new(out) as ArrayRef), &to)?)
        }
        (Timestamp(u, None), Date32 | Time32(_) | Time64(_) | Timestamp(TimeUnit::Second, None)) => {
            let v = arrow::compute::cast(&a[0], &Int64)?;
            let v = v.as_primitive::<Int64Type>();
            let out: Int64Array = (0..rows).map(|i| (!v.is_null(i)).then(|| truncated(v.value(i), *u, &to))).collect();
            Ok(match to {
                Date32 => Arc::new(arrow::array::Date32Array::from_iter(out.iter().map(|v| v.map(|v| v as i32)))),
                Time32(_) => arrow::compute::cast(&arrow::compute::cast(&out, &Int32)?, &to)?,
                _ => arrow::compute::cast(&out, &to)?,
            })
        }
        (Time32(_) | Time64(_), t) if is_str(t) => {
            let nanos = arrow::compute::cast(&a[0], &Time64(TimeUnit::Nanosecond))?;
            let nanos = nanos.as_primitive::<arrow::datatypes::Time64NanosecondType>();
            let whole = matches!(from, Time32(TimeUnit::Second));
            let out: StringArray =
                (0..rows).map(|i| (!nanos.is_null(i)).then(|| time_text(nanos.value(i), whole))).collect();
            Ok(arrow::compute::cast(&(Arc::new(out) as ArrayRef), &to)?)
        }
        (f, Timestamp(u, tz)) if is_str(f) => {
            let s = arrow::compute::cast(&a[0], &Utf8)?;
            let s = strs(&s);
            let unit = if *u == TimeUnit::Second { TimeUnit::Millisecond } else { *u };
            let mut out = Vec::with_capacity(rows);
            for i in 0..rows {
                let Some(text) = get(s, i) else {
                    out.push(None);
                    continue;
                };
                let Some(dt) = parse_timestamp(text) else {
                    if lenient {
                        out.push(None);
                        continue;
                    }
                    return exec_err!(
                        "Text '{text}' could not be parsed as a TIMESTAMP (yyyy-MM-dd HH:mm:ss[.fffffffff])"
                    );
                };
                let dt = if tz.is_some() { zone.to_utc(&dt) } else { dt };
                let ms = dt.and_utc().timestamp_millis();
                let sub = (dt.and_utc().timestamp_subsec_nanos() % 1_000_000) as i64 * per_milli(unit) / 1_000_000;
                out.push(Some(ms * per_milli(unit) + sub));
            }
            let v = Int64Array::from(out);
            if tz.is_some() {
                ltz(v, unit, &to)
            } else {
                plain(v, unit, &to)
            }
        }
        (f, Int8 | Int16 | Int32 | Int64) if is_str(f) => {
            let s = arrow::compute::cast(&a[0], &Utf8)?;
            let s = strs(&s);
            let (min, max) = match to {
                Int8 => (i8::MIN as i64, i8::MAX as i64),
                Int16 => (i16::MIN as i64, i16::MAX as i64),
                Int32 => (i32::MIN as i64, i32::MAX as i64),
                _ => (i64::MIN, i64::MAX),
            };
            let mut out = Vec::with_capacity(rows);
            for i in 0..rows {
                let Some(text) = get(s, i) else {
                    out.push(None);
                    continue;
                };
                match parse_integer(text).filter(|v| (min..=max).contains(v)) {
                    Some(v) => out.push(Some(v)),
                    None if lenient => out.push(None),
                    None => return exec_err!("For input string: '{text}'. Invalid character found."),
                }
            }
            Ok(arrow::compute::cast(&(Arc::new(Int64Array::from(out)) as ArrayRef), &to)?)
        }
        (f, Date32 | Time32(_) | Time64(_) | Decimal128(_, _)) if is_str(f) => {
            let s = arrow::compute::cast(&a[0], &Utf8)?;
            let s = strs(&s);
            let what = match to {
                Date32 => "DATE",
                Decimal128(_, _) => "DECIMAL",
                _ => "TIME",
            };
            let mut out = Vec::with_capacity(rows);
            for i in 0..rows {
                let Some(text) = get(s, i) else {
                    out.push(None);
                    continue;
                };
                let value = match to {
                    Date32 => parse_date(text).map(i128::from),
                    Decimal128(p, s) => parse_decimal(text, p, s),
                    _ => parse_time(text).map(|ms| i128::from(ms) * 1_000_000),
                };
                match value {
                    Some(v) => out.push(Some(v)),
                    None if lenient => out.push(None),
                    None => return exec_err!("Text '{text}' could not be parsed as a {what}"),
                }
            }
            Ok(match to {
                Date32 => Arc::new(arrow::array::Date32Array::from_iter(out.iter().map(|v| v.map(|v| v as i32)))),
                Decimal128(p, s) => Arc::new(
                    arrow::array::Decimal128Array::from_iter(out.iter().copied()).with_precision_and_scale(p, s)?,
                ),
                _ => {
                    let nanos = arrow::array::Time64NanosecondArray::from_iter(out.iter().map(|v| v.map(|v| v as i64)));
                    arrow::compute::cast(&(Arc::new(nanos) as ArrayRef), &to)?
                }
            })
        }
        (Float32 | Float64 | Decimal128(_, _) | Int8 | Int16 | Int32 | Int64, Decimal128(p, sc)) => {
            let values: Vec<Option<i128>> = match &from {
                Float32 | Float64 => {
                    // Through the shortest decimal text, as Java's BigDecimal.valueOf(double):
                    // 2.675 rounds to 2.68, not to the 2.67 its binary value would give.
                    let v = arrow::compute::cast(&a[0], &Float64)?;
                    let v = v.as_primitive::<arrow::datatypes::Float64Type>();
                    v.iter()
                        .map(|x| x.filter(|x| x.is_finite()).and_then(|x| parse_decimal(&format!("{x}"), *p, *sc)))
                        .collect()
                }
                _ => {
                    let (from_scale, raw) = match &from {
                        Decimal128(_, s) => (*s, a[0].as_primitive::<arrow::datatypes::Decimal128Type>().clone()),
                        _ => (
                            0,
                            arrow::compute::cast(&a[0], &Decimal128(38, 0))?
                                .as_primitive::<arrow::datatypes::Decimal128Type>()
                                .clone(),
                        ),
                    };
                    raw.iter().map(|x| x.and_then(|x| rescale(x, from_scale, *p, *sc))).collect()
                }
            };
            Ok(Arc::new(arrow::array::Decimal128Array::from(values).with_precision_and_scale(*p, *sc)?))
        }
        (Int16 | Int32 | Int64, Int8 | Int16 | Int32) => {
            // Java's narrowing: the low bits, as `(int) someLong`.
            let v = arrow::compute::cast(&a[0], &Int64)?;
            let v = v.as_primitive::<Int64Type>();
            let out: ArrayRef = match to {
                Int8 => Arc::new(arrow::array::Int8Array::from_iter(v.iter().map(|x| x.map(|x| x as i8)))),
                Int16 => Arc::new(arrow::array::Int16Array::from_iter(v.iter().map(|x| x.map(|x| x as i16)))),
                _ => Arc::new(arrow::array::Int32Array::from_iter(v.iter().map(|x| x.map(|x| x as i32)))),
            };
            Ok(out)
        }
        (Float32 | Float64, Int8 | Int16 | Int32 | Int64) => {
            // Java's `(int) d` / `(long) d`: toward zero, NaN is 0, saturating at the range of
            // int (long for BIGINT); TINYINT and SMALLINT then keep the low bits of the int.
            let v = arrow::compute::cast(&a[0], &Float64)?;
            let v = v.as_primitive::<arrow::datatypes::Float64Type>();
            let long = |x: f64| if x.is_nan() { 0 } else { x as i64 };
            let int = |x: f64| if x.is_nan() { 0 } else { x as i32 };
            let out: ArrayRef = match to {
                Int8 => Arc::new(arrow::array::Int8Array::from_iter(v.iter().map(|x| x.map(|x| int(x) as i8)))),
                Int16 => Arc::new(arrow::array::Int16Array::from_iter(v.iter().map(|x| x.map(|x| int(x) as i16)))),
                Int32 => Arc::new(arrow::array::Int32Array::from_iter(v.iter().map(|x| x.map(int)))),
                _ => Arc::new(Int64Array::from_iter(v.iter().map(|x| x.map(long)))),
            };
            Ok(out)
        }
        (Boolean, t) if is_str(t) => {
            let b = a[0].as_boolean();
            let out: StringArray = (0..rows).map(|i| get(b, i).map(|v| if v { "TRUE" } else { "FALSE" })).collect();
            Ok(arrow::compute::cast(&(Arc::new(out) as ArrayRef), &to)?)
        }
        _ => Ok(arrow::compute::cast(&a[0], &to)?),
    }
}

/// Row `i` of a binary array, `None` when NULL.
fn bytes_at(a: &ArrayRef, i: usize) -> Option<&[u8]> {
    if a.is_null(i) {
        return None;
    }
    Some(match a.data_type() {
        DataType::Binary => a.as_binary::<i32>().value(i),
        DataType::LargeBinary => a.as_binary::<i64>().value(i),
        DataType::BinaryView => a.as_binary_view().value(i),
        _ => a.as_fixed_size_binary().value(i),
    })
}

/// An ARRAY, MULTISET, MAP or ROW as Flink's CAST to STRING writes it: `[e1, e2]`, `{k=v}`,
/// `(f1, f2)`, each element cast to STRING as on its own and a NULL element written `NULL`.
fn nested_text(f: &FlinkScalar, input: &ArrayRef) -> Result<StringArray> {
    use DataType::*;
    let rows = input.len();
    // Each child is cast once as a whole (not element by element); the rows then only join
    // the children's texts.
    let text = |child: &ArrayRef| -> Result<StringArray> {
        let t = cast_values(f, child, &Utf8, child.len())?;
        Ok(t.as_string::<i32>().clone())
    };
    let push = |out: &mut String, t: &StringArray, k: usize| {
        out.push_str(if t.is_null(k) { "NULL" } else { t.value(k) });
    };
    let mut out = arrow::array::StringBuilder::with_capacity(rows, rows * 16);
    let mut line = String::new();
    match input.data_type() {
        Struct(_) => {
            let s = input.as_struct();
            let fields: Vec<StringArray> = s.columns().iter().map(text).collect::<Result<_>>()?;
            for i in 0..rows {
                if s.is_null(i) {
                    out.append_null();
                    continue;
                }
                line.clear();
                line.push('(');
                for (n, t) in fields.iter().enumerate() {
                    if n > 0 {
                        line.push_str(", ");
                    }
                    push(&mut line, t, i);
                }
                line.push(')');
                out.append_value(&line);
            }
        }
        Map(_, _) => {
            let m = input.as_map();
            let (keys, values) = (text(m.keys())?, text(m.values())?);
            let offsets = m.value_offsets();
            for i in 0..rows {
                if m.is_null(i) {
                    out.append_null();
                    continue;
                }
                line.clear();
                line.push('{');
                for (n, k) in (offsets[i] as usize..offsets[i + 1] as usize).enumerate() {
                    if n > 0 {
                        line.push_str(", ");
                    }
                    push(&mut line, &keys, k);
                    line.push('=');
                    push(&mut line, &values, k);
                }
                line.push('}');
                out.append_value(&line);
            }
        }
        _ => {
            let multiset = crate::format::is_multiset(input.data_type());
            let list = arrow::compute::cast(
                input,
                &LargeList(Arc::new(arrow::datatypes::Field::new_list_field(list_element(input.data_type()), true))),
            )?;
            let list = list.as_list::<i64>();
            let elements = text(list.values())?;
            let offsets = list.value_offsets();
            for i in 0..rows {
                if list.is_null(i) {
                    out.append_null();
                    continue;
                }
                line.clear();
                let range = offsets[i] as usize..offsets[i + 1] as usize;
                if multiset {
                    // Flink's MULTISET is a map of element to count: `{a=1, b=2}`, in its order.
                    let key = |k: usize| if elements.is_null(k) { "NULL" } else { elements.value(k) }.to_string();
                    line.push('{');
                    for (n, (k, count)) in
                        crate::format::multiset_entries(list.values(), range, key).into_iter().enumerate()
                    {
                        if n > 0 {
                            line.push_str(", ");
                        }
                        push(&mut line, &elements, k);
                        line.push('=');
                        line.push_str(&count.to_string());
                    }
                    line.push('}');
                    out.append_value(&line);
                    continue;
                }
                line.push('[');
                for (n, k) in range.enumerate() {
                    if n > 0 {
                        line.push_str(", ");
                    }
                    push(&mut line, &elements, k);
                }
                line.push(']');
                out.append_value(&line);
            }
        }
    }
    Ok(out.finish())
}

/// The element type of a list type.
fn list_element(t: &DataType) -> DataType {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => f.data_type().clone(),
        other => other.clone(),
    }
}

/// Raw UTC values in `unit` as a TIMESTAMP_LTZ array of type `to`.
fn ltz(v: Int64Array, unit: TimeUnit, to: &DataType) -> Result<ArrayRef> {
    let a = arrow::compute::cast(&(Arc::new(v) as ArrayRef), &DataType::Timestamp(unit, None))?;
    let a = arrow::compute::cast(&a, &DataType::Timestamp(unit, Some("UTC".into())))?;
    Ok(arrow::compute::cast(&a, to)?)
}

/// Raw wall-clock values in `unit` as a TIMESTAMP array of type `to`.
fn plain(v: Int64Array, unit: TimeUnit, to: &DataType) -> Result<ArrayRef> {
    let a = arrow::compute::cast(&(Arc::new(v) as ArrayRef), &DataType::Timestamp(unit, None))?;
    Ok(arrow::compute::cast(&a, to)?)
}

/// Flink's CAST of a string to TIMESTAMP: `yyyy-M-d` and an optional ` H:m:s[.fraction]`; no
/// blanks around; a day past the month's end is its last day, `24:00:00` the next midnight.
pub fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let (date, time) = match s.split_once(' ') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let num = |t: &str, max_len: usize| {
        (!t.is_empty() && t.len() <= max_len && t.bytes().all(|c| c.is_ascii_digit())).then(|| t.parse::<u32>().ok())?
    };
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next()?, 4)?, num(d.next()?, 2)?, num(d.next()?, 2)?);
    if d.next().is_some() || date.split('-').next()?.len() != 4 || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(y as i32, m, 1)?;
    let last = first.checked_add_months(chrono::Months::new(1))?.pred_opt()?.day();
    let date = NaiveDate::from_ymd_opt(y as i32, m, day.min(last))?;
    let Some(time) = time else { return Some(date.and_time(NaiveTime::MIN)) };
    let (hms, frac) = match time.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (time, None),
    };
    let mut t = hms.split(':');
    let (h, mi, se) = (num(t.next()?, 2)?, num(t.next()?, 2)?, num(t.next()?, 2)?);
    if t.next().is_some() || h > 24 || mi > 59 || se > 59 || (h == 24 && (mi, se) != (0, 0)) {
        return None;
    }
    let nanos = match frac {
        None => 0,
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|c| c.is_ascii_digit()) => {
            f.parse::<u32>().ok()? * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
    };
    if h == 24 {
        if nanos != 0 {
            return None;
        }
        return Some(date.and_time(NaiveTime::MIN) + TimeDelta::days(1));
    }
    Some(date.and_time(NaiveTime::from_hms_nano_opt(h, mi, se, nanos)?))
}

/// Java's `Integer.parseInt` of a trimmed part: an optional sign and digits, within `i32`.
fn java_int(s: &str) -> Option<i32> {
    let t = s.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Flink's CAST of a string to DATE (`DateTimeUtils.parseDate`): anything after the first
/// blank is ignored, then `y[-m[-d]]` with blanks around each part allowed (`'42'` is
/// 0042-01-01); an impossible date is NULL. Days since the epoch.
pub fn parse_date(s: &str) -> Option<i32> {
    let s = match s.find(' ') {
        Some(ws) if ws > 0 => &s[..ws],
        _ => s,
    };
    let mut parts = s.splitn(3, '-');
    let y = java_int(parts.next()?)?;
    let m = parts.next().map_or(Some(1), java_int)?;
    let d = parts.next().map_or(Some(1), java_int)?;
    let date = NaiveDate::from_ymd_opt(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?)?;
    Some((date - NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days() as i32)
}

/// Flink's CAST of a string to TIME (`DateTimeUtils.parseTime`): `h[:m[:s[.fraction]]]` with
/// an optional `+h[:m]` / `-h[:m]` zone that is added; a result outside one day is NULL.
/// Milliseconds of the day.
pub fn parse_time(v: &str) -> Option<i32> {
    let (clock, zone) = match v.find(['-', '+']) {
        Some(at) => (&v[..at], Some((if v[at..].starts_with('-') { -1 } else { 1 }, &v[at + 1..]))),
        None => (v, None),
    };
    let (zone_h, zone_m) = match zone {
        None => (0, 0),
        Some((sign, z)) => match z.split_once(':') {
            Some((h, m)) => (sign * java_int(h)?, sign * java_int(m)?),
            None => (sign * java_int(z)?, 0),
        },
    };
    let mut parts = clock.splitn(3, ':');
    let hour = java_int(parts.next()?)?;
    let minute = parts.next().map_or(Some(0), java_int)?;
    let (second, milli) = match parts.next() {
        None => (0, 0),
        Some(rest) => match rest.split_once('.') {
            None => (java_int(rest)?, 0),
            Some((sec, frac)) => (java_int(sec)?, fraction_millis(frac.trim())),
        },
    };
    let ms = i64::from(hour + zone_h) * 3_600_000
        + i64::from(minute + zone_m) * 60_000
        + i64::from(second) * 1000
        + i64::from(milli);
    (0..86_400_000).contains(&ms).then_some(ms as i32)
}

/// Milliseconds of a fraction's digits, rounded on the fourth (non-digits count as 0).
fn fraction_millis(f: &str) -> i32 {
    let digit = |c: u8| if c.is_ascii_digit() { i32::from(c - b'0') } else { 0 };
    let b = f.as_bytes();
    let mut r = 0;
    for (i, m) in [100, 10, 1].into_iter().enumerate() {
        let Some(&c) = b.get(i) else { return r };
        r += m * digit(c);
    }
    if b.get(3).is_some_and(|&c| c >= b'5') {
        r += 1;
    }
    r
}

/// Flink's CAST of a string to DECIMAL(p, s): Java's `BigDecimal` text (blanks around, a sign,
/// digits with an optional point, an optional exponent), rounded half-up to `s` digits; NULL
/// when the value needs more than `p` digits. The unscaled value.
pub fn parse_decimal(text: &str, precision: u8, scale: i8) -> Option<i128> {
    let t = text.trim();
    let (negative, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mantissa, exponent) = match t.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.strip_prefix('+').unwrap_or(e).parse::<i32>().ok()?),
        None => (t, 0),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && frac.is_empty() || !(whole.bytes().chain(frac.bytes()).all(|c| c.is_ascii_digit())) {
        return None;
    }
    let digits = format!("{whole}{frac}");
    let digits = digits.trim_start_matches('0');
    // value = digits × 10^(exponent − len(frac)); we want it × 10^scale.
    let shift = exponent - frac.len() as i32 + i32::from(scale);
    let mut value: i128 = if digits.is_empty() { 0 } else { digits.parse().ok()? };
    if shift >= 0 {
        for _ in 0..shift {
            value = value.checked_mul(10)?;
        }
    } else {
        let drop = (-shift) as u32;
        if drop > 38 {
            value = 0;
        } else {
            let div = 10i128.pow(drop);
            value = (value + div / 2) / div;
        }
    }
    if value >= 10i128.pow(u32::from(precision)) {
        return None;
    }
    Some(if negative { -value } else { value })
}

/// An unscaled decimal of scale `from` at scale `scale`, rounded half-up (away from zero);
/// `None` when it needs more than `precision` digits (Flink's CAST gives NULL then).
pub fn rescale(value: i128, from: i8, precision: u8, scale: i8) -> Option<i128> {
    let shift = i32::from(scale) - i32::from(from);
    let scaled = if shift >= 0 {
        value.checked_mul(10i128.checked_pow(shift as u32)?)?
    } else {
        let div = 10i128.checked_pow((-shift) as u32)?;
        let (q, r) = (value / div, value % div);
        if r.abs() * 2 >= div {
            q + value.signum()
        } else {
            q
        }
    };
    (scaled.abs() < 10i128.pow(u32::from(precision))).then_some(scaled)
}

/// Flink's CAST of a string to an integer: blanks around ignored, an optional sign, digits, and
/// an optional fraction that is dropped.
pub fn parse_integer(s: &str) -> Option<i64> {
    let t = s.trim_matches(|c: char| c <= ' ');
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, f),
        None => (t, ""),
    };
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let digits = whole.strip_prefix(['+', '-']).unwrap_or(whole);
    if digits.is_empty() && frac.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if digits.is_empty() {
        return Some(0);
    }
    whole.parse::<i64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_before_1970_truncate_toward_zero_as_in_flink() {
        let ms = TimeUnit::Millisecond;
        // 1969-12-31 23:59:59.999 and 1969-12-31 10:00:00.
        let (late, ten) = (-1, -14 * 3_600_000);
        assert_eq!(truncated(late, ms, &DataType::Date32), 0);
        assert_eq!(truncated(ten, ms, &DataType::Date32), 0);
        assert_eq!(truncated(late, ms, &DataType::Time32(TimeUnit::Second)), 0);
        assert_eq!(truncated(ten, ms, &DataType::Time32(TimeUnit::Second)), 36_000);
        assert_eq!(truncated(late, ms, &DataType::Time32(ms)), 86_399_999);
        assert_eq!(truncated(late, ms, &DataType::Timestamp(TimeUnit::Second, None)), 0);
        // After 1970 nothing changes: 2024-03-05 07:08:09.120.
        let v = 1_709_622_489_120;
        assert_eq!(truncated(v, ms, &DataType::Date32), 19_787);
        assert_eq!(truncated(v, ms, &DataType::Time32(TimeUnit::Second)), 7 * 3600 + 8 * 60 + 9);
        assert_eq!(
            truncated(v * 1000 + 5, TimeUnit::Microsecond, &DataType::Time64(TimeUnit::Microsecond)),
            25_689_120_005
        );
    }

    #[test]
    fn times_print_as_flinks_cast_to_string() {
        let at = |h: i64, m: i64, s: i64, ms: i64| ((h * 3600 + m * 60 + s) * 1000 + ms) * 1_000_000;
        assert_eq!(time_text(at(7, 8, 9, 0), true), "07:08:09");
        assert_eq!(time_text(at(7, 8, 9, 500), false), "07:08:09.5");
        assert_eq!(time_text(at(7, 8, 9, 120), false), "07:08:09.12");
        assert_eq!(time_text(at(10, 0, 0, 0), false), "10:00:00.0");
        assert_eq!(time_text(at(23, 59, 59, 999), false), "23:59:59.999");
    }

    #[test]
    fn strings_to_timestamps_as_flink() {
        let ok = [
            ("2024-01-01", "2024-01-01 00:00:00"),
            ("2024-1-1 1:2:3", "2024-01-01 01:02:03"),
            ("2024-02-30 00:00:00", "2024-02-29 00:00:00"),
            ("2024-01-01 24:00:00", "2024-01-02 00:00:00"),
            ("2024-01-01 10:00:00.123456", "2024-01-01 10:00:00.123456"),
        ];
        for (s, want) in ok {
            let got = parse_timestamp(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(got.format("%Y-%m-%d %H:%M:%S%.f").to_string().trim_end_matches(".000"), want, "{s}");
        }
        for s in ["abc", "2024-01-01T10:00:00", "2024-01-01 10:00", " 2024-01-01 10:00:00 ", "2024-01-01 10:00:00Z"] {
            assert_eq!(parse_timestamp(s), None, "{s}");
        }
    }

    #[test]
    fn strings_to_integers_as_flink() {
        for (s, want) in
            [(" 12 ", Some(12)), ("1.5", Some(1)), ("-2.7", Some(-2)), ("abc", None), ("", None), ("1e3", None)]
        {
            assert_eq!(parse_integer(s), want, "{s:?}");
        }
    }

    #[test]
    fn strings_to_dates_times_and_decimals_as_flink() {
        let day = |y, m, d| {
            (NaiveDate::from_ymd_opt(y, m, d).unwrap() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
        };
        for (s, want) in [
            ("2024-02-29", Some(day(2024, 2, 29))),
            ("42", Some(day(42, 1, 1))),
            ("2024-3", Some(day(2024, 3, 1))),
            ("2024-01-05 10:00:00", Some(day(2024, 1, 5))),
            ("2023-02-29", None),
            (" -17 ", None),
            ("3.99", None),
        ] {
            assert_eq!(parse_date(s), want, "{s:?}");
        }
        for (s, want) in [
            ("12:34:56", Some(45_296_000)),
            ("7", Some(25_200_000)),
            ("00:00:01.2345", Some(1_235)),
            ("42", None),
            ("2147483648", None),
            ("abc", None),
        ] {
            assert_eq!(parse_time(s), want, "{s:?}");
        }
        for (s, p, sc, want) in [
            ("1e2", 5, 2, Some(10_000)),
            (" -17 ", 5, 2, Some(-1_700)),
            ("0.005", 5, 2, Some(1)),
            ("-0.005", 5, 2, Some(-1)),
            ("1234", 5, 2, None),
            ("abc", 5, 2, None),
            (".5", 3, 1, Some(5)),
        ] {
            assert_eq!(parse_decimal(s, p, sc), want, "{s:?}");
        }
        // 12.345 / -12.355 / 999.995 as DECIMAL(5, 2): half-up away from zero, NULL past 5 digits.
        assert_eq!(rescale(12_345, 3, 5, 2), Some(1_235));
        assert_eq!(rescale(-12_355, 3, 5, 2), Some(-1_236));
        assert_eq!(rescale(999_995, 3, 5, 2), None);
        assert_eq!(rescale(7, 0, 5, 2), Some(700));
    }

    fn flink_cast_fn() -> FlinkScalar {
        func(CAST, (2, 2), &[Kind::Any], |t| Ok(t[1].clone()), cast)
    }

    fn texts(a: ArrayRef) -> Vec<Option<String>> {
        let out = cast_values(&flink_cast_fn(), &a, &DataType::Utf8, a.len()).unwrap();
        out.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()
    }

    #[test]
    fn rows_arrays_and_maps_cast_to_string_as_flink() {
        use arrow::array::{BooleanArray, Int32Array, ListArray, MapArray, StructArray};
        use arrow::datatypes::{Field, Fields, Int32Type};
        // ROW(a STRING, b INT, c BOOLEAN): (x, 1, TRUE), (NULL, 2, NULL), NULL.
        let fields = Fields::from(vec![
            Field::new("a", DataType::Utf8, true),
            Field::new("b", DataType::Int32, true),
            Field::new("c", DataType::Boolean, true),
        ]);
        let row = StructArray::new(
            fields,
            vec![
                Arc::new(StringArray::from(vec![Some("x"), None, Some("y")])),
                Arc::new(Int32Array::from(vec![1, 2, 3])),
                Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)])),
            ],
            Some(vec![true, true, false].into()),
        );
        assert_eq!(texts(Arc::new(row)), [Some("(x, 1, TRUE)".into()), Some("(NULL, 2, NULL)".into()), None]);
        // ARRAY<INT>: [1, NULL], [], NULL; ARRAY<ARRAY<INT>>: [[1], [2, 3]].
        let list =
            ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1), None]), Some(vec![]), None]);
        assert_eq!(texts(Arc::new(list)), [Some("[1, NULL]".into()), Some("[]".into()), None]);
        let inner =
            ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1)]), Some(vec![Some(2), Some(3)])]);
        let outer = ListArray::new(
            Arc::new(Field::new_list_field(inner.data_type().clone(), true)),
            arrow::buffer::OffsetBuffer::from_lengths([2]),
            Arc::new(inner),
            None,
        );
        assert_eq!(texts(Arc::new(outer)), [Some("[[1], [2, 3]]".into())]);
        // MAP<STRING, DOUBLE>: {a=1.5, b=NULL}, {} (doubles as Java prints them).
        let map = MapArray::new_from_strings(
            ["a", "b"].into_iter(),
            &arrow::array::Float64Array::from(vec![Some(1.5), None]),
            &[0, 2, 2],
        )
        .unwrap();
        assert_eq!(texts(Arc::new(map)), [Some("{a=1.5, b=NULL}".into()), Some("{}".into())]);
        // Intervals as Flink writes them (`[+1 00:00:00.000]` inside an ARRAY).
        let days = arrow::array::IntervalMonthDayNanoArray::from(vec![
            arrow::datatypes::IntervalMonthDayNano::new(0, 1, 0),
            arrow::datatypes::IntervalMonthDayNano::new(14, 0, 0),
        ]);
        assert_eq!(texts(Arc::new(days)), [Some("+1 00:00:00.000".into()), Some("+1-02".into())]);
    }

    #[test]
    fn bytes_cast_to_string_decode_utf8_and_fit_binary_lengths() {
        let bytes: ArrayRef =
            Arc::new(arrow::array::BinaryArray::from(vec![Some(b"hi".as_ref()), Some(&[0xc3][..]), None]));
        assert_eq!(texts(bytes.clone()), [Some("hi".into()), Some("\u{fffd}".into()), None]);
        let fit = |n: i64, pad: bool| {
            let f = func(FIT_BYTES, (3, 3), &[Kind::Any], |_| Ok(DataType::Binary), fit_bytes);
            let args = [
                bytes.clone(),
                Arc::new(Int64Array::from(vec![n; 3])) as ArrayRef,
                Arc::new(arrow::array::BooleanArray::from(vec![pad; 3])) as ArrayRef,
            ];
            let out = fit_bytes(&f, &args, 3).unwrap();
            out.as_binary::<i32>().iter().map(|v| v.map(<[u8]>::to_vec)).collect::<Vec<_>>()
        };
        // BINARY(4) pads with zero bytes, BINARY(1) and VARBINARY(1) cut.
        assert_eq!(fit(4, true), [Some(b"hi\0\0".to_vec()), Some(vec![0xc3, 0, 0, 0]), None]);
        assert_eq!(fit(1, true), [Some(b"h".to_vec()), Some(vec![0xc3]), None]);
        assert_eq!(fit(4, false), [Some(b"hi".to_vec()), Some(vec![0xc3]), None]);
    }
}
