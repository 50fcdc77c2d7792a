//! Scalars from text, as Flink's formats read them, and the calendar arithmetic they need.

use arrow::datatypes::TimeUnit;

use super::builder::{ColumnBuilder, Values};

/// A scalar as a format hands it over, before conversion to the column's type.
#[derive(Debug, Clone, Copy)]
pub(crate) enum In<'a> {
    /// JSON `true` / `false`.
    Bool(bool),
    /// A JSON number, as written.
    Num(&'a str),
    /// A JSON string (unescaped) or a CSV field.
    Str(&'a str),
}

impl<'a> In<'a> {
    /// The text of the value (Jackson's `asText()`).
    pub(crate) fn text(&self) -> &'a str {
        match self {
            In::Bool(true) => "true",
            In::Bool(false) => "false",
            In::Num(s) | In::Str(s) => s,
        }
    }
}

/// How timestamps are written in the text being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Flink's json format, `json.timestamp-format.standard` = 'SQL': `yyyy-MM-dd HH:mm:ss[.f]`
    /// (TIMESTAMP_LTZ with a trailing `Z`).
    JsonSql,
    /// `json.timestamp-format.standard` = 'ISO-8601': `yyyy-MM-ddTHH:mm[:ss[.f]]` (`Z` for LTZ).
    JsonIso,
    /// Flink's csv format: `java.sql.Timestamp.valueOf` (`yyyy-[m]m-[d]d hh:mm:ss[.f]`),
    /// `java.sql.Date.valueOf`, `LocalTime.parse`.
    Csv,
}

fn bad(v: In<'_>, ty: &str) -> String {
    match v {
        In::Str(s) => format!("cannot read {} as {ty}", quote_short(s)),
        other => format!("cannot read {} as {ty}", other.text()),
    }
}

/// `"text"` cut to 60 characters, for messages.
pub(crate) fn quote_short(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(64) + 2);
    out.push('"');
    for (i, c) in s.chars().enumerate() {
        if i == 60 {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Appends `v` to a scalar column, converted as Flink's format would.
pub(crate) fn push_scalar(col: &mut ColumnBuilder, v: In<'_>, dialect: Dialect) -> Result<(), String> {
    match &mut col.values {
        Values::Bool(out) => {
            let b = match v {
                In::Bool(b) => b,
                // Boolean.parseBoolean(text.trim()): anything but "true" is false
                other => other.text().trim().eq_ignore_ascii_case("true"),
            };
            out.push(b);
        }
        Values::I8(out) => {
            let x = parse_java_long(v.text().trim())
                .filter(|x| i8::try_from(*x).is_ok())
                .ok_or_else(|| bad(v, "TINYINT"))?;
            out.push(x as i8);
        }
        Values::I16(out) => {
            let x = parse_java_long(v.text().trim())
                .filter(|x| i16::try_from(*x).is_ok())
                .ok_or_else(|| bad(v, "SMALLINT"))?;
            out.push(x as i16);
        }
        Values::I32(out) => {
            let x = integral(v, i32::MIN as i64, i32::MAX as i64).ok_or_else(|| bad(v, "INT"))?;
            out.push(x as i32);
        }
        Values::I64(out) => {
            let x = integral(v, i64::MIN, i64::MAX).ok_or_else(|| bad(v, "BIGINT"))?;
            out.push(x);
        }
        Values::F32(out) => {
            let x = parse_java_double(v.text().trim()).ok_or_else(|| bad(v, "FLOAT"))?;
            out.push(x as f32);
        }
        Values::F64(out) => {
            let x = parse_java_double(v.text().trim()).ok_or_else(|| bad(v, "DOUBLE"))?;
            out.push(x);
        }
        Values::Decimal(out, p, s) => {
            let (p, s) = (*p, *s);
            match parse_decimal(v.text(), p, s) {
                Ok(Some(x)) => out.push(x),
                // DecimalData.fromBigDecimal gives null when the value needs more than p digits
                Ok(None) => return col.push_null(),
                Err(()) => return Err(bad(v, &format!("DECIMAL({p}, {s})"))),
            }
        }
        Values::Utf8 { offsets, data } => {
            ColumnBuilder::push_str_value(offsets, data, v.text().as_bytes());
        }
        Values::Binary { offsets, data } => {
            let In::Str(s) = v else { return Err(bad(v, "BYTES (base64 text)")) };
            if !base64_decode(s.trim_end(), data) {
                data.truncate(*offsets.last().unwrap_or(&0) as usize);
                return Err(bad(v, "BYTES (base64 text)"));
            }
            offsets.push(data.len() as i32);
        }
        Values::Date32(out) => {
            let s = v.text();
            let d = match dialect {
                Dialect::Csv => parse_date(s, true),
                _ => parse_date(s, false),
            }
            .ok_or_else(|| bad(v, "DATE ('yyyy-MM-dd')"))?;
            out.push(d);
        }
        Values::Time(out, unit) => {
            let unit = *unit;
            let s = v.text();
            let nanos = match dialect {
                // LocalTime.parse: HH:mm[:ss[.f]]
                Dialect::Csv => parse_time(s.as_bytes(), false),
                _ => parse_time(s.as_bytes(), true),
            }
            .ok_or_else(|| bad(v, "TIME ('HH:mm:ss[.fff]')"))?;
            out.push(nanos / unit_nanos(unit));
        }
        Values::Timestamp(out, unit, tz) => {
            let ltz = tz.is_some();
            let unit = *unit;
            let s = v.text();
            let (days, nanos) = parse_timestamp_cached(s, dialect, ltz, &mut col.day_cache).ok_or_else(|| {
                let expect = match (dialect, ltz) {
                    (Dialect::JsonSql, false) => "TIMESTAMP ('yyyy-MM-dd HH:mm:ss[.fff]')",
                    (Dialect::JsonSql, true) => "TIMESTAMP_LTZ ('yyyy-MM-dd HH:mm:ss[.fff]Z')",
                    (Dialect::JsonIso, false) => "TIMESTAMP ('yyyy-MM-ddTHH:mm:ss[.fff]')",
                    (Dialect::JsonIso, true) => "TIMESTAMP_LTZ ('yyyy-MM-ddTHH:mm:ss[.fff]Z')",
                    (Dialect::Csv, _) => "TIMESTAMP ('yyyy-MM-dd HH:mm:ss[.fff]')",
                };
                bad(v, expect)
            })?;
            let per_day = 86_400_000_000_000i64 / unit_nanos(unit);
            out.push(days as i64 * per_day + nanos / unit_nanos(unit));
        }
        Values::Interval(_) | Values::List { .. } | Values::Struct { .. } | Values::Map { .. } => {
            return Err(format!("cannot read {} as {}", quote_short(v.text()), col.data_type));
        }
    }
    col.mark_valid();
    Ok(())
}

/// INT / BIGINT as Jackson's `canConvertToInt()`/`asInt()` then `Integer.parseInt(text.trim())`:
/// a JSON number with a fraction or exponent is truncated when in range.
fn integral(v: In<'_>, min: i64, max: i64) -> Option<i64> {
    // A JSON number has no white space around it: only the other inputs are trimmed.
    let t = match v {
        In::Num(n) => n,
        other => other.text().trim(),
    };
    if let Some(x) = parse_java_long(t) {
        return (min..=max).contains(&x).then_some(x);
    }
    // Only a number with a fraction or exponent is a double to Jackson: an integer too large
    // for a long is a BigInteger, which converts to no long (Long.parseLong then fails).
    match v {
        In::Num(n) if n.contains(['.', 'e', 'E']) => {
            let f: f64 = n.parse().ok()?;
            let t = f.trunc();
            (t >= min as f64 && t <= max as f64).then_some(t as i64)
        }
        _ => None,
    }
}

/// `Long.parseLong`: optional sign, decimal digits only.
pub(crate) fn parse_java_long(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    if digits.len() <= 18 {
        // 18 digits cannot overflow an i64: no checked arithmetic per digit
        let mut acc: i64 = 0;
        for &c in digits {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return None;
            }
            acc = acc * 10 + d as i64;
        }
        return Some(if neg { -acc } else { acc });
    }
    let mut acc: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        acc = acc.checked_mul(10)?.checked_sub((c - b'0') as i64)?;
    }
    if neg {
        Some(acc)
    } else {
        acc.checked_neg()
    }
}

/// `Double.parseDouble` (near enough): decimal or scientific notation, `NaN`, `Infinity`, and
/// Java's optional `d`/`f` suffix.
pub(crate) fn parse_java_double(s: &str) -> Option<f64> {
    let t = s.strip_suffix(['d', 'D', 'f', 'F']).filter(|t| !t.is_empty() && !t.ends_with(['e', 'E'])).unwrap_or(s);
    match t {
        "NaN" | "+NaN" | "-NaN" => return Some(f64::NAN),
        "Infinity" | "+Infinity" => return Some(f64::INFINITY),
        "-Infinity" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    // Rust also takes "inf"/"nan" spellings that Java does not; refuse those
    if t.bytes().any(|c| c.is_ascii_alphabetic() && c != b'e' && c != b'E') {
        return None;
    }
    t.parse().ok()
}

const POW10: [i128; 39] = {
    let mut t = [1i128; 39];
    let mut i = 1;
    while i < 39 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `new BigDecimal(text)` rounded HALF_UP to `scale`: `Ok(None)` when more than `precision`
/// digits are needed (Flink reads that as NULL), `Err` when the text is not a number.
pub(crate) fn parse_decimal(text: &str, precision: u8, scale: i8) -> Result<Option<i128>, ()> {
    let b = text.as_bytes();
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    // significant digits (leading zeros dropped), and the power of ten of the last one
    let mut digits: Vec<u8> = Vec::new();
    let mut frac_digits: i64 = 0;
    let mut seen_digit = false;
    let mut seen_point = false;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            seen_digit = true;
            if !(digits.is_empty() && c == b'0') {
                digits.push(c - b'0');
            }
            if seen_point {
                frac_digits += 1;
            }
        } else if c == b'.' && !seen_point {
            seen_point = true;
        } else {
            break;
        }
        i += 1;
    }
    if !seen_digit {
        return Err(());
    }
    let mut exp: i64 = 0;
    if i < b.len() {
        if b[i] != b'e' && b[i] != b'E' {
            return Err(());
        }
        let rest = std::str::from_utf8(&b[i + 1..]).map_err(|_| ())?;
        exp = parse_java_long(rest).ok_or(())?;
        if exp.abs() > 1_000_000_000 {
            return Err(());
        }
    }
    // value = digits * 10^(exp - frac_digits); unscaled = value * 10^scale
    let shift = exp - frac_digits + scale as i64;
    let mut unscaled: i128 = 0;
    if shift >= 0 {
        if digits.is_empty() {
            return Ok(Some(0));
        }
        if digits.len() as i64 + shift > precision as i64 {
            return Ok(None);
        }
        for d in &digits {
            unscaled = unscaled * 10 + *d as i128;
        }
        unscaled *= POW10[shift as usize];
    } else {
        let drop = (-shift) as usize;
        let keep = digits.len().saturating_sub(drop);
        if keep > precision as usize {
            return Ok(None);
        }
        for d in &digits[..keep] {
            unscaled = unscaled * 10 + *d as i128;
        }
        // HALF_UP on the first dropped digit
        let first_dropped = if drop <= digits.len() { digits.get(keep).copied() } else { None };
        if matches!(first_dropped, Some(d) if d >= 5) {
            unscaled += 1;
            if unscaled >= POW10[precision as usize] {
                return Ok(None);
            }
        }
    }
    Ok(Some(if neg { -unscaled } else { unscaled }))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits_at(b: &[u8], from: usize, n: usize) -> Option<u32> {
    let s = b.get(from..from + n)?;
    let mut v = 0u32;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u32;
    }
    Some(v)
}

/// Reads a date at the start of `b`: `yyyy-MM-dd` (or `yyyy-M-d` when `lenient`); returns the
/// day number and the bytes used.
fn date_prefix(b: &[u8], lenient: bool) -> Option<(i32, usize)> {
    let y = digits_at(b, 0, 4)?;
    if b.get(4) != Some(&b'-') {
        return None;
    }
    let mut i = 5;
    let part = |i: &mut usize| -> Option<u32> {
        if let Some(v) = digits_at(b, *i, 2) {
            *i += 2;
            Some(v)
        } else if lenient {
            let v = digits_at(b, *i, 1)?;
            *i += 1;
            Some(v)
        } else {
            None
        }
    };
    let m = part(&mut i)?;
    if b.get(i) != Some(&b'-') {
        return None;
    }
    i += 1;
    let d = part(&mut i)?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y as i64, m) {
        return None;
    }
    Some((days_from_civil(y as i64, m, d) as i32, i))
}

/// `yyyy-MM-dd` as a day number.
pub(crate) fn parse_date(s: &str, lenient: bool) -> Option<i32> {
    let (d, used) = date_prefix(s.as_bytes(), lenient)?;
    (used == s.len()).then_some(d)
}

/// `HH:mm:ss[.f{1,9}]` (seconds optional unless `need_seconds`) as nanoseconds of the day.
pub(crate) fn parse_time(b: &[u8], need_seconds: bool) -> Option<i64> {
    let (n, used) = time_prefix(b, need_seconds)?;
    (used == b.len()).then_some(n)
}

fn time_prefix(b: &[u8], need_seconds: bool) -> Option<(i64, usize)> {
    let h = digits_at(b, 0, 2)?;
    if b.get(2) != Some(&b':') {
        return None;
    }
    let mi = digits_at(b, 3, 2)?;
    let mut i = 5;
    let mut sec = 0;
    let mut nanos: i64 = 0;
    if b.get(5) == Some(&b':') {
        sec = digits_at(b, 6, 2)?;
        i = 8;
        if b.get(8) == Some(&b'.') {
            i = 9;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() && i - start < 9 {
                nanos = nanos * 10 + (b[i] - b'0') as i64;
                i += 1;
            }
            let n = i - start;
            if n == 0 {
                return None;
            }
            nanos *= 10i64.pow(9 - n as u32);
        }
    } else if need_seconds {
        return None;
    }
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    Some((((h as i64 * 60 + mi as i64) * 60 + sec as i64) * 1_000_000_000 + nanos, i))
}

/// The last `yyyy-MM-dd` a column read and its day number: rows of a file mostly share their
/// date, and reading it costs more than comparing ten bytes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DayCache {
    /// The date's text and its day number.
    last: Option<([u8; 10], i32)>,
}

/// A timestamp as (day number, nanoseconds of the day).
#[cfg(test)]
pub(crate) fn parse_timestamp(s: &str, dialect: Dialect, ltz: bool) -> Option<(i32, i64)> {
    parse_timestamp_cached(s, dialect, ltz, &mut DayCache::default())
}

/// [`parse_timestamp`], its date taken from `cache` when it is the cached one (strict
/// `yyyy-MM-dd` only: the json dialects), and cached otherwise.
pub(crate) fn parse_timestamp_cached(s: &str, dialect: Dialect, ltz: bool, cache: &mut DayCache) -> Option<(i32, i64)> {
    let b = s.as_bytes();
    let strict = dialect != Dialect::Csv;
    let (days, used) = match (b.get(..10), &cache.last) {
        (Some(date), Some((text, day))) if strict && date == text => (*day, 10),
        _ => {
            let (days, used) = date_prefix(b, !strict)?;
            if strict {
                // a strict date is exactly ten bytes
                let mut text = [0u8; 10];
                text.copy_from_slice(&b[..10]);
                cache.last = Some((text, days));
            }
            (days, used)
        }
    };
    let sep = match dialect {
        Dialect::JsonIso => b'T',
        _ => b' ',
    };
    if b.get(used) != Some(&sep) {
        return None;
    }
    let rest = &b[used + 1..];
    let (nanos, n) = time_prefix(rest, dialect != Dialect::JsonIso)?;
    let tail = &rest[n..];
    let zulu = ltz && dialect != Dialect::Csv;
    let ok = if zulu { tail == b"Z" } else { tail.is_empty() };
    ok.then_some((days, nanos))
}

/// Nanoseconds in one `unit`.
pub(crate) fn unit_nanos(unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (Jackson's default variant).
pub(crate) fn base64_encode(bytes: &[u8], out: &mut Vec<u8>) {
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        out.push(B64[(n >> 18) as usize & 63]);
        out.push(B64[(n >> 12) as usize & 63]);
        out.push(if chunk.len() > 1 { B64[(n >> 6) as usize & 63] } else { b'=' });
        out.push(if chunk.len() > 2 { B64[n as usize & 63] } else { b'=' });
    }
}

/// Decodes standard base64 (padding optional) onto `out`; false when not base64.
pub(crate) fn base64_decode(s: &str, out: &mut Vec<u8>) -> bool {
    let s = s.trim_end_matches('=');
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return false,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_dates_give_what_parsing_gives() {
        let mut cache = DayCache::default();
        let cases = [
            "2024-01-01 00:00:00.190",
            "2024-01-01 23:59:59.999",
            "2024-01-01 24:00:00",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "2024-01-02 00:00:00.1",
            "2024-01-01 00:00",
            "2024-02-30 00:00:00",
            "2024-01-01",
            "2024-01-0",
            "\0\0\0\0\0\0\0\0\0\0 00:00:00",
            "\0\0\0\0\0\0\0\0\0\0 00:00:00.5",
            "1969-12-31 23:59:59.999999999",
            "1969-12-31 00:00:01",
            "2024-1-1 00:00:00",
        ];
        // every case after every other, so each one meets a cache holding the one before
        for dialect in [Dialect::JsonSql, Dialect::JsonIso, Dialect::Csv] {
            for ltz in [false, true] {
                for before in cases {
                    for s in cases {
                        parse_timestamp_cached(before, dialect, ltz, &mut cache);
                        let cached = parse_timestamp_cached(s, dialect, ltz, &mut cache);
                        assert_eq!(cached, parse_timestamp(s, dialect, ltz), "{s:?} after {before:?}");
                    }
                }
            }
        }
        assert_eq!(parse_timestamp("2024-01-01 00:00:00.190", Dialect::JsonSql, false), Some((19_723, 190_000_000)));
    }

    #[test]
    fn java_longs_at_the_limits() {
        let cases: &[(&str, Option<i64>)] = &[
            ("0", Some(0)),
            ("-0", Some(0)),
            ("+7", Some(7)),
            ("007", Some(7)),
            ("999999999999999999", Some(999_999_999_999_999_999)),
            ("-999999999999999999", Some(-999_999_999_999_999_999)),
            ("1000000000000000000", Some(1_000_000_000_000_000_000)),
            ("9223372036854775807", Some(i64::MAX)),
            ("-9223372036854775808", Some(i64::MIN)),
            ("9223372036854775808", None),
            ("-9223372036854775809", None),
            ("00000000000000000000009", Some(9)),
            ("", None),
            ("-", None),
            ("+", None),
            ("--1", None),
            ("1a", None),
            ("1.0", None),
            ("1e3", None),
            (" 1", None),
            ("12345678901234567/", None),
            ("12345678901234567:", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_java_long(text), *want, "{text}");
        }
    }

    #[test]
    fn integral_numbers_trim_text_only_and_truncate_fractions_in_range() {
        let int = |v: In<'_>| integral(v, i32::MIN as i64, i32::MAX as i64);
        assert_eq!(int(In::Num("2147483647")), Some(2_147_483_647));
        assert_eq!(int(In::Num("-2147483648")), Some(-2_147_483_648));
        assert_eq!(int(In::Num("2147483648")), None);
        assert_eq!(int(In::Num("1.9")), Some(1));
        assert_eq!(int(In::Num("-1.5e2")), Some(-150));
        assert_eq!(int(In::Num("3e10")), None);
        assert_eq!(int(In::Str(" 42 ")), Some(42));
        assert_eq!(int(In::Str("1.5")), None);
        assert_eq!(int(In::Bool(true)), None);
        let long = |v: In<'_>| integral(v, i64::MIN, i64::MAX);
        assert_eq!(long(In::Num("-9223372036854775808")), Some(i64::MIN));
        assert_eq!(long(In::Str("\t9223372036854775807\n")), Some(i64::MAX));
        // an integer beyond a long is refused (Jackson: a BigInteger), not cut to the limit
        assert_eq!(long(In::Num("9223372036854775808")), None);
        assert_eq!(long(In::Num("-9223372036854775809")), None);
        assert_eq!(int(In::Num("99999999999999999999")), None);
        assert_eq!(long(In::Num("1.5e3")), Some(1500));
    }
}
