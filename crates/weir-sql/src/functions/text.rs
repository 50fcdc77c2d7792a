//! Flink string functions on prefixes, encodings and formatting: `STARTSWITH`, `ENDSWITH`,
//! `URL_ENCODE`, `URL_DECODE`, `PRINTF`, `UNHEX`.

use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryBuilder, StringArray};
use arrow::datatypes::{DataType, Float32Type, Float64Type, TimeUnit};
use datafusion_common::{exec_err, Result};

use super::common::{bool_rows, func, get, ret_bool, ret_utf8, str_rows_buf, strs, FlinkScalar, Kind};
use crate::format::java_double;

const S: Kind = Kind::Str;

/// The functions of this module.
pub(crate) fn functions() -> Vec<FlinkScalar> {
    vec![
        // STARTSWITH / ENDSWITH(expr, affix): whether expr (STRING or BYTES) starts / ends with
        // affix; an empty affix → TRUE, NULL argument → NULL.
        func("startswith", (2, 2), &[Kind::Bytes], ret_bool, |_, a, n| affix(a, n, <[u8]>::starts_with)),
        func("endswith", (2, 2), &[Kind::Bytes], ret_bool, |_, a, n| affix(a, n, <[u8]>::ends_with)),
        // URL_ENCODE(str): java.net.URLEncoder with UTF-8 (`application/x-www-form-urlencoded`):
        // letters, digits and `.-*_` kept, space → `+`, every other byte → `%XX`.
        func("url_encode", (1, 1), &[S], ret_utf8, url_encode),
        // URL_DECODE(str): java.net.URLDecoder with UTF-8; NULL for a malformed `%` escape
        // (Flink catches the decoder's exception).
        func("url_decode", (1, 1), &[S], ret_utf8, url_decode),
        // PRINTF(format, args...): java.util.Formatter (`%s %d %x %o %f %e %g %b %c %%`, flags,
        // width, precision, `n$`); NULL format → NULL, a NULL argument prints `null`; where
        // Java throws (a DECIMAL for `%f` or `%d`, a missing argument) NULL, as Flink.
        func("printf", (1, usize::MAX), &[S, Kind::Any], ret_utf8, printf),
        // UNHEX(str): the bytes the hexadecimal digits spell (an odd count: the first digit
        // gives a zero byte, as Flink's does); NULL when a character is not a hex digit.
        func("unhex", (1, 1), &[S], |_| Ok(DataType::Binary), unhex),
    ]
}

/// Row `i` of a [`Kind::Bytes`] argument as bytes.
fn bytes_at(a: &ArrayRef, i: usize) -> Option<&[u8]> {
    if a.is_null(i) {
        return None;
    }
    match a.data_type() {
        DataType::Binary => Some(a.as_binary::<i32>().value(i)),
        _ => Some(strs(a).value(i).as_bytes()),
    }
}

fn affix(a: &[ArrayRef], rows: usize, test: fn(&[u8], &[u8]) -> bool) -> Result<ArrayRef> {
    bool_rows(rows, |i| Ok(bytes_at(&a[0], i).zip(bytes_at(&a[1], i)).map(|(s, p)| test(s, p))))
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `s` encoded as Java's `URLEncoder.encode(s, UTF_8)`.
pub(crate) fn url_encode_into(s: &str, out: &mut String) {
    for &b in s.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX_UPPER[(b >> 4) as usize] as char);
                out.push(HEX_UPPER[(b & 15) as usize] as char);
            }
        }
    }
}

fn url_encode(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let s = strs(&a[0]);
    str_rows_buf(rows, |i, buf| {
        let Some(s) = get(s, i) else { return Ok(false) };
        url_encode_into(s, buf);
        Ok(true)
    })
}

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Appends `s` decoded as Java's `URLDecoder.decode(s, UTF_8)` to `out`; `None` where Java
/// throws (a `%` not followed by two hex digits). Bytes that are not UTF-8 become U+FFFD, as
/// Java's decoder.
pub(crate) fn url_decode_into(s: &str, out: &mut String, bytes: &mut Vec<u8>) -> Option<()> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(' ');
                i += 1;
            }
            b'%' => {
                bytes.clear();
                while i < b.len() && b[i] == b'%' {
                    let hi = b.get(i + 1).copied().and_then(hex_digit)?;
                    let lo = b.get(i + 2).copied().and_then(hex_digit)?;
                    bytes.push(hi << 4 | lo);
                    i += 3;
                }
                out.push_str(&String::from_utf8_lossy(bytes));
            }
            _ => {
                // Copy the run up to the next special byte (always a char boundary).
                let end = b[i..].iter().position(|c| matches!(c, b'+' | b'%')).map_or(b.len(), |p| i + p);
                out.push_str(&s[i..end]);
                i = end;
            }
        }
    }
    Some(())
}

fn url_decode(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let s = strs(&a[0]);
    let mut bytes = Vec::new();
    str_rows_buf(rows, |i, buf| Ok(get(s, i).and_then(|s| url_decode_into(s, buf, &mut bytes)).is_some()))
}

/// The bytes spelled by the hex digits of `s` (an odd count: the first digit, checked, makes
/// a zero byte — what Flink 2.3 answers: `UNHEX('5')` = x'00', `UNHEX('A4142')` = x'004142');
/// `None` if a character is not a hex digit.
pub(crate) fn unhex_bytes(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len().div_ceil(2));
    let mut i = 0;
    if b.len() % 2 == 1 {
        hex_digit(b[0])?;
        out.push(0);
        i = 1;
    }
    while i < b.len() {
        out.push(hex_digit(b[i])? << 4 | hex_digit(b[i + 1])?);
        i += 2;
    }
    Some(out)
}

fn unhex(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let s = strs(&a[0]);
    let mut out = BinaryBuilder::with_capacity(rows, 0);
    for i in 0..rows {
        out.append_option(get(s, i).and_then(unhex_bytes));
    }
    Ok(Arc::new(out.finish()))
}

// ------------------------------------------------------------------------------------------ PRINTF

/// One PRINTF argument value, typed as Java would see it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg<'a> {
    Null,
    /// An integer with its Java width in bits (8 Byte, 16 Short, 32 Integer, 64 Long).
    Int(i64, u32),
    Float(f64),
    /// A FLOAT (`%s` writes it as Java's Float.toString).
    Float32(f32),
    Bool(bool),
    /// Anything else, as its SQL text.
    Text(&'a str),
    /// A DECIMAL as its text: Flink passes a `DecimalData`, which only `%s` (and `%b`) format.
    Decimal(&'a str),
}

/// A PRINTF argument column, read row by row.
enum Column {
    Int(ArrayRef, u32),
    Float(ArrayRef),
    Bool(ArrayRef),
    Text(StringArray),
    Decimal(StringArray),
}

impl Column {
    fn new(a: &ArrayRef) -> Result<Column> {
        use DataType::*;
        let t = a.data_type();
        let to_text = |a: &ArrayRef| -> Result<StringArray> { Ok(strs(&arrow::compute::cast(a, &Utf8)?).clone()) };
        Ok(match t {
            Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 => {
                let bits = match t {
                    Int8 => 8,
                    Int16 => 16,
                    Int32 => 32,
                    _ => 64,
                };
                Column::Int(arrow::compute::cast(a, &Int64)?, bits)
            }
            Float32 | Float64 => Column::Float(a.clone()),
            // Flink hands the formatter its internal values: a DATE is its day number, a TIME
            // its millisecond of the day (Integers), a TIMESTAMP a TimestampData whose text is
            // Java's LocalDateTime.toString.
            Date32 | Date64 | Time32(_) | Time64(_) => {
                let as_int = match t {
                    Date64 => arrow::compute::cast(&arrow::compute::cast(a, &Date32)?, &Int32)?,
                    Time64(_) => {
                        arrow::compute::cast(&arrow::compute::cast(a, &Time32(TimeUnit::Millisecond))?, &Int32)?
                    }
                    Time32(TimeUnit::Second) => {
                        arrow::compute::cast(&arrow::compute::cast(a, &Time32(TimeUnit::Millisecond))?, &Int32)?
                    }
                    _ => arrow::compute::cast(a, &Int32)?,
                };
                Column::Int(arrow::compute::cast(&as_int, &Int64)?, 32)
            }
            Timestamp(_, _) => {
                let nanos = arrow::compute::cast(a, &Timestamp(TimeUnit::Nanosecond, None))?;
                let nanos = nanos.as_primitive::<arrow::datatypes::TimestampNanosecondType>();
                let text: StringArray = nanos
                    .iter()
                    .map(|v| v.map(|n| local_date_time_text(chrono::DateTime::from_timestamp_nanos(n).naive_utc())))
                    .collect();
                Column::Text(text)
            }
            Boolean => Column::Bool(a.clone()),
            Decimal128(_, _) | Decimal256(_, _) => Column::Decimal(to_text(a)?),
            _ => Column::Text(to_text(a)?),
        })
    }

    fn get(&self, i: usize) -> Arg<'_> {
        match self {
            Column::Int(a, bits) if a.is_valid(i) => {
                Arg::Int(a.as_primitive::<arrow::datatypes::Int64Type>().value(i), *bits)
            }
            Column::Float(a) if a.is_valid(i) => match a.data_type() {
                DataType::Float32 => Arg::Float32(a.as_primitive::<Float32Type>().value(i)),
                _ => Arg::Float(a.as_primitive::<Float64Type>().value(i)),
            },
            Column::Bool(a) if a.is_valid(i) => Arg::Bool(a.as_boolean().value(i)),
            Column::Text(a) if a.is_valid(i) => Arg::Text(a.value(i)),
            Column::Decimal(a) if a.is_valid(i) => Arg::Decimal(a.value(i)),
            _ => Arg::Null,
        }
    }
}

/// `dt` as Java's `LocalDateTime.toString`: `2024-01-02T03:04`, seconds when not zero (or a
/// fraction is), the fraction in groups of three digits.
fn local_date_time_text(dt: chrono::NaiveDateTime) -> String {
    use chrono::Timelike;
    let mut s = dt.format("%Y-%m-%dT%H:%M").to_string();
    let nanos = dt.nanosecond();
    if dt.second() != 0 || nanos != 0 {
        let _ = write!(s, ":{:02}", dt.second());
    }
    if nanos != 0 {
        if nanos.is_multiple_of(1_000_000) {
            let _ = write!(s, ".{:03}", nanos / 1_000_000);
        } else if nanos.is_multiple_of(1_000) {
            let _ = write!(s, ".{:06}", nanos / 1_000);
        } else {
            let _ = write!(s, ".{nanos:09}");
        }
    }
    s
}

fn printf(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let fmt = strs(&a[0]);
    let cols = a[1..].iter().map(Column::new).collect::<Result<Vec<_>>>()?;
    let mut args = Vec::with_capacity(cols.len());
    str_rows_buf(rows, |i, buf| {
        let Some(f) = get(fmt, i) else { return Ok(false) };
        args.clear();
        args.extend(cols.iter().map(|c| c.get(i)));
        Ok(java_format(f, &args, buf).is_ok())
    })
}

/// A parsed conversion's flags.
#[derive(Default, Clone, Copy)]
struct Flags {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    comma: bool,
    paren: bool,
    alt: bool,
}

/// Appends `fmt` formatted with `args` as `java.util.Formatter` does, for the conversions
/// `s S d o x X e E f g G b B c C h H % n`; an error where Java throws.
pub(crate) fn java_format(fmt: &str, args: &[Arg<'_>], out: &mut String) -> Result<()> {
    let b = fmt.as_bytes();
    let mut i = 0;
    let mut ordinary = 0usize;
    let mut last: Option<usize> = None;
    while i < b.len() {
        let Some(p) = fmt[i..].find('%') else {
            out.push_str(&fmt[i..]);
            break;
        };
        out.push_str(&fmt[i..i + p]);
        i += p + 1;
        // %[argument_index$][flags][width][.precision]conversion
        let start = i;
        let mut index: Option<usize> = None;
        let digits_end = |mut j: usize| {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            j
        };
        let mut relative = false;
        let j = digits_end(i);
        if j > i && j < b.len() && b[j] == b'$' {
            index = fmt[i..j].parse::<usize>().ok();
            i = j + 1;
        } else if i < b.len() && b[i] == b'<' {
            relative = true;
            i += 1;
        }
        let mut flags = Flags::default();
        while i < b.len() {
            match b[i] {
                b'-' => flags.left = true,
                b'+' => flags.plus = true,
                b' ' => flags.space = true,
                b'0' => flags.zero = true,
                b',' => flags.comma = true,
                b'(' => flags.paren = true,
                b'#' => flags.alt = true,
                _ => break,
            }
            i += 1;
        }
        let j = digits_end(i);
        let width: Option<usize> = if j > i { fmt[i..j].parse().ok() } else { None };
        i = j;
        let mut precision: Option<usize> = None;
        if i < b.len() && b[i] == b'.' {
            let j = digits_end(i + 1);
            if j == i + 1 {
                return exec_err!("PRINTF: illegal format precision in '{fmt}'");
            }
            precision = fmt[i + 1..j].parse().ok();
            i = j;
        }
        let Some(&conv) = b.get(i) else {
            return exec_err!("PRINTF: unknown format conversion '%{}'", &fmt[start..]);
        };
        i += 1;
        let arg = match conv {
            b'%' => {
                pad(out, "%", width, flags.left);
                continue;
            }
            b'n' => {
                out.push('\n');
                continue;
            }
            _ => {
                let k = if relative {
                    last
                } else if let Some(n) = index {
                    n.checked_sub(1)
                } else {
                    ordinary += 1;
                    Some(ordinary - 1)
                };
                let Some(arg) = k.and_then(|k| args.get(k)) else {
                    return exec_err!("PRINTF: missing argument for format specifier '%{}'", &fmt[start..i]);
                };
                last = k;
                arg
            }
        };
        let upper = conv.is_ascii_uppercase();
        let mut body = String::new();
        match (conv.to_ascii_lowercase(), arg) {
            (b'b', a) => {
                let v = match a {
                    Arg::Null => false,
                    Arg::Bool(v) => *v,
                    _ => true,
                };
                body.push_str(if v { "true" } else { "false" });
                truncate(&mut body, precision);
            }
            (_, Arg::Null) => {
                body.push_str("null");
                truncate(&mut body, precision);
            }
            (b's', a) => {
                match a {
                    Arg::Int(v, _) => {
                        let _ = write!(body, "{v}");
                    }
                    Arg::Float(v) => java_double(*v, &mut body),
                    Arg::Float32(v) => crate::format::java_float(*v, &mut body),
                    Arg::Bool(v) => body.push_str(if *v { "true" } else { "false" }),
                    Arg::Text(s) | Arg::Decimal(s) => body.push_str(s),
                    Arg::Null => {}
                }
                truncate(&mut body, precision);
            }
            (b'c', Arg::Int(v, _)) => match char::from_u32(*v as u32) {
                Some(c) => body.push(c),
                None => return exec_err!("PRINTF: illegal code point {v}"),
            },
            (b'c', Arg::Text(s)) if s.chars().count() == 1 => body.push_str(s),
            (b'd', Arg::Int(v, _)) => {
                integer(&mut body, &v.unsigned_abs().to_string(), *v < 0, flags, width);
            }
            (b'x' | b'o', Arg::Int(v, bits)) => {
                let u = if *bits == 64 { *v as u64 } else { (*v as u64) & ((1u64 << bits) - 1) };
                let digits = if conv.eq_ignore_ascii_case(&b'x') { format!("{u:x}") } else { format!("{u:o}") };
                if flags.alt {
                    body.push_str(if conv == b'o' { "0" } else { "0x" });
                }
                if flags.zero {
                    let w = width.unwrap_or(0).saturating_sub(body.len() + digits.len());
                    body.extend(std::iter::repeat_n('0', w));
                }
                body.push_str(&digits);
            }
            (b'f' | b'e' | b'g', Arg::Float(_) | Arg::Float32(_)) => {
                let v = match arg {
                    Arg::Float32(v) => *v as f64,
                    Arg::Float(v) => *v,
                    _ => 0.0,
                };
                if !v.is_finite() {
                    body.push_str(if v.is_nan() {
                        "NaN"
                    } else if v > 0.0 {
                        if flags.plus {
                            "+Infinity"
                        } else {
                            "Infinity"
                        }
                    } else if flags.paren {
                        "(Infinity)"
                    } else {
                        "-Infinity"
                    });
                } else {
                    let p = precision.unwrap_or(6);
                    let text = match conv.to_ascii_lowercase() {
                        b'f' => fixed(v.abs(), p),
                        b'e' => scientific(v.abs(), p),
                        _ => general(v.abs(), p),
                    };
                    let (int, frac) = match text.find(['.', 'e']) {
                        Some(k) => text.split_at(k),
                        None => (text.as_str(), ""),
                    };
                    let mut mag = group(int, flags.comma);
                    mag.push_str(frac);
                    integer(&mut body, &mag, v.is_sign_negative() && v != 0.0 || v < 0.0, flags, width);
                }
            }
            (c, a) => {
                return exec_err!("PRINTF: conversion '{}' cannot format {a:?}", c as char);
            }
        }
        if upper {
            body = body.to_uppercase();
        }
        pad(out, &body, width, flags.left);
    }
    Ok(())
}

fn truncate(s: &mut String, precision: Option<usize>) {
    if let Some(p) = precision {
        if let Some((k, _)) = s.char_indices().nth(p) {
            s.truncate(k);
        }
    }
}

fn pad(out: &mut String, body: &str, width: Option<usize>, left: bool) {
    let n = width.unwrap_or(0).saturating_sub(body.chars().count());
    if left {
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', n));
    } else {
        out.extend(std::iter::repeat_n(' ', n));
        out.push_str(body);
    }
}

/// Inserts Java's grouping separators into the integer digits `int` when `comma`.
fn group(int: &str, comma: bool) -> String {
    if !comma || int.len() <= 3 {
        return int.to_string();
    }
    let mut s = String::with_capacity(int.len() + int.len() / 3);
    for (k, c) in int.chars().enumerate() {
        if k > 0 && (int.len() - k).is_multiple_of(3) {
            s.push(',');
        }
        s.push(c);
    }
    s
}

/// Writes a signed magnitude with Java's sign flags and zero padding to `width`.
fn integer(body: &mut String, mag: &str, negative: bool, flags: Flags, width: Option<usize>) {
    let mag = if flags.comma && !mag.contains([',', '.', 'e']) { group(mag, true) } else { mag.to_string() };
    let (pre, post) = if negative {
        if flags.paren {
            ("(", ")")
        } else {
            ("-", "")
        }
    } else if flags.plus {
        ("+", "")
    } else if flags.space {
        (" ", "")
    } else {
        ("", "")
    };
    body.push_str(pre);
    if flags.zero {
        let w = width.unwrap_or(0).saturating_sub(pre.len() + post.len() + mag.chars().count());
        body.extend(std::iter::repeat_n('0', w));
    }
    body.push_str(&mag);
    body.push_str(post);
}

/// The shortest decimal digits of `v` (> 0) and the exponent of the first: `v = 0.d1d2… × 10^exp`.
fn shortest_digits(v: f64) -> (Vec<u8>, i32) {
    let sci = format!("{v:e}");
    let (m, e) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: Vec<u8> = m.bytes().filter(u8::is_ascii_digit).map(|c| c - b'0').collect();
    (digits, e.parse::<i32>().unwrap_or(0) + 1)
}

/// Rounds `digits` (value `0.d… × 10^exp`) half up to keep `keep` digits; may carry into a new
/// leading digit (the exponent then grows).
fn round_half_up(mut digits: Vec<u8>, mut exp: i32, keep: i64) -> (Vec<u8>, i32) {
    if keep < 0 {
        return (vec![0], exp);
    }
    let keep = keep as usize;
    if digits.len() > keep {
        let up = digits[keep] >= 5;
        digits.truncate(keep);
        if up {
            let mut k = digits.len();
            loop {
                if k == 0 {
                    digits.insert(0, 1);
                    exp += 1;
                    break;
                }
                k -= 1;
                if digits[k] == 9 {
                    digits[k] = 0;
                } else {
                    digits[k] += 1;
                    break;
                }
            }
        }
    }
    (digits, exp)
}

/// `%.pf` of `v` ≥ 0: Java rounds the shortest decimal digits of the double half up.
fn fixed(v: f64, p: usize) -> String {
    let (digits, exp) = if v == 0.0 { (vec![0], 1) } else { shortest_digits(v) };
    let (digits, exp) = round_half_up(digits, exp, exp as i64 + p as i64);
    let digit = |k: i64| -> char {
        if k >= 0 && (k as usize) < digits.len() {
            (b'0' + digits[k as usize]) as char
        } else {
            '0'
        }
    };
    let mut s = String::new();
    if exp <= 0 {
        s.push('0');
    } else {
        (0..exp as i64).for_each(|k| s.push(digit(k)));
    }
    if p > 0 {
        s.push('.');
        (0..p as i64).for_each(|k| s.push(digit(exp as i64 + k)));
    }
    s
}

/// `%.pe` of `v` ≥ 0: `d.ddde+xx`.
fn scientific(v: f64, p: usize) -> String {
    let (digits, exp) = if v == 0.0 { (vec![0], 1) } else { shortest_digits(v) };
    let (digits, exp) = round_half_up(digits, exp, p as i64 + 1);
    let mut s = String::new();
    s.push((b'0' + digits[0]) as char);
    if p > 0 {
        s.push('.');
        (1..=p).for_each(|k| s.push((b'0' + digits.get(k).copied().unwrap_or(0)) as char));
    }
    let e = if v == 0.0 { 0 } else { exp - 1 };
    let _ = write!(s, "e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    s
}

/// `%.pg` of `v` ≥ 0: fixed when 10^-4 ≤ rounded value < 10^p, else scientific, p significant digits.
fn general(v: f64, p: usize) -> String {
    let p = if p == 0 { 1 } else { p };
    if v == 0.0 {
        return fixed(0.0, p - 1);
    }
    let (digits, exp) = shortest_digits(v);
    let (_, exp) = round_half_up(digits, exp, p as i64);
    if (-3..=p as i32).contains(&exp) {
        fixed(v, (p as i32 - exp).max(0) as usize)
    } else {
        scientific(v, p - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: &[Arg<'_>]) -> String {
        let mut s = String::new();
        java_format(fmt, args, &mut s).unwrap();
        s
    }

    #[test]
    fn url_encoding_is_javas() {
        let mut s = String::new();
        url_encode_into("a b&c=d/é~*-._", &mut s);
        assert_eq!(s, "a+b%26c%3Dd%2F%C3%A9%7E*-._");
        let decode = |s: &str| {
            let mut out = String::new();
            url_decode_into(s, &mut out, &mut Vec::new()).map(|()| out)
        };
        assert_eq!(decode("a+b%20c%C3%A9").as_deref(), Some("a b cé"));
        assert_eq!(decode("100%25%2Bsure%7E").as_deref(), Some("100%+sure~"));
        assert_eq!(decode("%E6%97%A5%ff+x").as_deref(), Some("日\u{fffd} x"));
        assert_eq!(decode("bad%2"), None);
        assert_eq!(decode("bad%zz"), None);
    }

    #[test]
    fn unhex_reads_pairs_and_refuses_non_hex() {
        assert_eq!(unhex_bytes("41ff").as_deref(), Some(&[0x41, 0xff][..]));
        assert_eq!(unhex_bytes("A4142").as_deref(), Some(&[0x00, 0x41, 0x42][..]));
        assert_eq!(unhex_bytes("5").as_deref(), Some(&[0x00][..]));
        assert_eq!(unhex_bytes("G41"), None);
        assert_eq!(unhex_bytes("").as_deref(), Some(&[][..]));
        assert_eq!(unhex_bytes("4g"), None);
    }

    #[test]
    fn printf_formats_as_java() {
        use Arg::*;
        assert_eq!(f("%s|%d", &[Text("a"), Int(42, 32)]), "a|42");
        assert_eq!(f("%05d %.2f", &[Int(42, 32), Float(3.14659)]), "00042 3.15");
        assert_eq!(f("%05d %.2f", &[Int(-7, 32), Float(-0.5)]), "-0007 -0.50");
        assert_eq!(f("%05d %.2f", &[Null, Null]), " null nu");
        assert_eq!(f("%s|%d", &[Null, Null]), "null|null");
        assert_eq!(f("%x", &[Int(-7, 32)]), "fffffff9");
        assert_eq!(f("%X", &[Int(255, 64)]), "FF");
        assert_eq!(f("%.2f", &[Float(1e10)]), "10000000000.00");
        assert_eq!(f("%.2f", &[Float(1.005)]), "1.01");
        assert_eq!(f("%.1f", &[Float(0.95)]), "1.0");
        assert_eq!(f("%f", &[Float(0.0)]), "0.000000");
        assert_eq!(f("%.3e", &[Float(12345.678)]), "1.235e+04");
        assert_eq!(f("%,d", &[Int(1234567, 32)]), "1,234,567");
        assert_eq!(f("%-5s|%5s|%%", &[Text("ab"), Text("cd")]), "ab   |   cd|%");
        assert_eq!(f("%2$s %1$s", &[Text("a"), Text("b")]), "b a");
        assert_eq!(f("%b %S", &[Null, Text("x")]), "false X");
        assert_eq!(f("%s", &[Float(2.5)]), "2.5");
        assert!(java_format("%d", &[Float(1.0)], &mut String::new()).is_err());
        assert!(java_format("%.1f", &[Decimal("0.25")], &mut String::new()).is_err());
        assert_eq!(f("%s", &[Decimal("1.50")]), "1.50");
        assert_eq!(f("%.1f %.2f %.0f %.1f", &[Float(0.05), Float(1.005), Float(2.5), Float(0.25)]), "0.1 1.01 3 0.3");
        assert_eq!(
            f(
                "%e|%g|%,d|%+d|%-6s|%S|%b|%o|%c|%08.3f|%(d",
                &[
                    Float(12345.678),
                    Float(0.0001234),
                    Int(1234567, 32),
                    Int(5, 32),
                    Text("ab"),
                    Text("xy"),
                    Null,
                    Int(8, 32),
                    Int(65, 32),
                    Float(-2.0005),
                    Int(-42, 32)
                ]
            ),
            "1.234568e+04|0.000123400|1,234,567|+5|ab    |XY|false|10|A|-002.001|(42)"
        );
        assert_eq!(f("%x", &[Int(-1, 8)]), "ff");
        assert_eq!(f("%x|%d", &[Int(-2, 16), Int(-2, 16)]), "fffe|-2");
        assert_eq!(f("%s|%.3f", &[Float32(0.1), Float32(0.1)]), "0.1|0.100");
        assert_eq!(
            f("%g|%g|%.3g", &[Float(1234567.0), Float(100000.0), Float(0.00001234)]),
            "1.23457e+06|100000|1.23e-05"
        );
        assert_eq!(f("%s|%B", &[Bool(true), Text("x")]), "true|TRUE");
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        assert_eq!(local_date_time_text(at("2024-01-02 03:04:05.678")), "2024-01-02T03:04:05.678");
        assert_eq!(local_date_time_text(at("2024-01-02 03:04:00")), "2024-01-02T03:04");
        assert_eq!(local_date_time_text(at("2024-01-02 03:04:00.000001")), "2024-01-02T03:04:00.000001");
        assert!(java_format("%s %s", &[Text("a")], &mut String::new()).is_err());
    }
}
