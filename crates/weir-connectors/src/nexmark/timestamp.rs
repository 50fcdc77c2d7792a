//! Epoch milliseconds ↔ `yyyy-MM-dd HH:mm:ss.SSS` (UTC), the form Flink's JSON format
//! reads as `TIMESTAMP(3)` and the peers' Nexmark files carry.
//!
//! Written by hand (proleptic Gregorian calendar, Howard Hinnant's `days_from_civil` /
//! `civil_from_days`) because it sits on the hot path of reading and writing Nexmark
//! files: formatting fills a stack buffer, parsing reads bytes, neither allocates.
//!
//! Years 0000–9999 print with four digits; earlier years print with a `-` sign (year 0 is
//! 1 BC, as in ISO 8601) and later ones with a `+` sign, like Java's `DateTimeFormatter`.
//!
//! ```
//! use weir_connectors::nexmark::timestamp::{format_timestamp, parse_timestamp};
//! assert_eq!(format_timestamp(1_704_067_200_123), "2024-01-01 00:00:00.123");
//! assert_eq!(parse_timestamp("2024-01-01 00:00:00.123").unwrap(), 1_704_067_200_123);
//! assert_eq!(parse_timestamp("1969-12-31 23:59:59").unwrap(), -1_000);
//! ```

use std::fmt;

use crate::error::{shorten, ConnectorError};

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of the civil date `year-month-day` (month 1–12, day 1–31).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Whether `year` is a Gregorian leap year.
pub fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap_year(year) => 29,
        _ => 28,
    }
}

/// A formatted timestamp in a stack buffer: use it as a `&str` without allocating.
#[derive(Clone, Copy)]
pub struct FormattedTimestamp {
    bytes: [u8; 32],
    len: u8,
}

impl FormattedTimestamp {
    /// The text.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).expect("a formatted timestamp is ASCII")
    }
}

impl std::ops::Deref for FormattedTimestamp {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Display for FormattedTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for FormattedTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Formats epoch milliseconds as `yyyy-MM-dd HH:mm:ss.SSS` (UTC) into a stack buffer.
///
/// ```
/// use weir_connectors::nexmark::timestamp::encode_timestamp;
/// assert_eq!(&*encode_timestamp(-1), "1969-12-31 23:59:59.999");
/// ```
pub fn encode_timestamp(ms: i64) -> FormattedTimestamp {
    let days = ms.div_euclid(MS_PER_DAY);
    let in_day = ms.rem_euclid(MS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let mut out = FormattedTimestamp { bytes: [0; 32], len: 0 };
    let b = &mut out.bytes;
    let mut i = 0;
    if (0..=9999).contains(&year) {
        let y = year as u32;
        put2(b, 0, y / 100);
        put2(b, 2, y % 100);
        i = 4;
    } else {
        b[0] = if year < 0 { b'-' } else { b'+' };
        i += 1;
        let mut digits = [0u8; 20];
        let mut n = 0;
        let mut y = year.unsigned_abs();
        while y > 0 || n < 4 {
            digits[n] = b'0' + (y % 10) as u8;
            y /= 10;
            n += 1;
        }
        for d in digits[..n].iter().rev() {
            b[i] = *d;
            i += 1;
        }
    }
    let secs = (in_day / 1000) as u32;
    b[i] = b'-';
    put2(b, i + 1, month);
    b[i + 3] = b'-';
    put2(b, i + 4, day);
    b[i + 6] = b' ';
    put2(b, i + 7, secs / 3600);
    b[i + 9] = b':';
    put2(b, i + 10, secs / 60 % 60);
    b[i + 12] = b':';
    put2(b, i + 13, secs % 60);
    b[i + 15] = b'.';
    let millis = (in_day % 1000) as u32;
    b[i + 16] = b'0' + (millis / 100) as u8;
    put2(b, i + 17, millis % 100);
    out.len = (i + 19) as u8;
    out
}

#[inline]
fn put2(b: &mut [u8; 32], at: usize, v: u32) {
    b[at] = b'0' + (v / 10) as u8;
    b[at + 1] = b'0' + (v % 10) as u8;
}

/// Formats epoch milliseconds as `yyyy-MM-dd HH:mm:ss.SSS` (UTC).
///
/// ```
/// use weir_connectors::nexmark::timestamp::format_timestamp;
/// assert_eq!(format_timestamp(0), "1970-01-01 00:00:00.000");
/// ```
pub fn format_timestamp(ms: i64) -> String {
    encode_timestamp(ms).as_str().to_string()
}

/// Parses `yyyy-MM-dd HH:mm:ss[.fraction]` (UTC) into epoch milliseconds.
///
/// Also accepted: `T` instead of the space, a fraction of 1 to 9 digits (cut to
/// milliseconds) or none, a trailing `Z`, and a signed year of more than four digits
/// (the forms [`format_timestamp`] writes).
///
/// # Errors
/// [`ConnectorError::InvalidTimestamp`] naming the input and what is wrong with it.
pub fn parse_timestamp(text: &str) -> Result<i64, ConnectorError> {
    parse(text.as_bytes()).map_err(|reason| ConnectorError::InvalidTimestamp { input: shorten(text), reason })
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn expect(&mut self, c: u8, reason: &'static str) -> Result<(), &'static str> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(reason)
        }
    }

    fn two_digits(&mut self, reason: &'static str) -> Result<u32, &'static str> {
        match self.b.get(self.i..self.i + 2) {
            Some([a, b]) if a.is_ascii_digit() && b.is_ascii_digit() => {
                self.i += 2;
                Ok(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
            }
            _ => Err(reason),
        }
    }
}

fn parse(b: &[u8]) -> Result<i64, &'static str> {
    let mut c = Cursor { b, i: 0 };
    let negative = match c.peek() {
        Some(b'-') => {
            c.i += 1;
            true
        }
        Some(b'+') => {
            c.i += 1;
            false
        }
        _ => false,
    };
    let start = c.i;
    let mut year: i64 = 0;
    while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
        if c.i - start == 9 {
            return Err("year out of range");
        }
        year = year * 10 + i64::from(d - b'0');
        c.i += 1;
    }
    if c.i - start < 4 {
        return Err("expected a year of four digits");
    }
    if negative {
        year = -year;
    }
    c.expect(b'-', "expected '-' after the year")?;
    let month = c.two_digits("expected a two-digit month")?;
    c.expect(b'-', "expected '-' after the month")?;
    let day = c.two_digits("expected a two-digit day")?;
    match c.peek() {
        Some(b' ' | b'T') => c.i += 1,
        _ => return Err("expected ' ' or 'T' after the date"),
    }
    let hour = c.two_digits("expected a two-digit hour")?;
    c.expect(b':', "expected ':' after the hour")?;
    let minute = c.two_digits("expected two-digit minutes")?;
    c.expect(b':', "expected ':' after the minutes")?;
    let second = c.two_digits("expected two-digit seconds")?;
    let mut millis = 0u32;
    if c.peek() == Some(b'.') {
        c.i += 1;
        let frac_start = c.i;
        while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
            let n = c.i - frac_start;
            if n >= 9 {
                return Err("more than nine fraction digits");
            }
            if n < 3 {
                millis += u32::from(d - b'0') * [100, 10, 1][n];
            }
            c.i += 1;
        }
        if c.i == frac_start {
            return Err("expected digits after '.'");
        }
    }
    if c.peek() == Some(b'Z') {
        c.i += 1;
    }
    if c.i != b.len() {
        return Err("unexpected text after the time");
    }
    if !(1..=12).contains(&month) {
        return Err("month out of range");
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err("day out of range for the month");
    }
    if hour > 23 || minute > 59 || second > 59 {
        return Err("time of day out of range");
    }
    let in_day = i64::from(((hour * 60 + minute) * 60 + second) * 1000 + millis);
    // In i128: near i64::MIN the day's start alone may not fit though the instant does.
    let ms = i128::from(days_from_civil(year, month, day)) * i128::from(MS_PER_DAY) + i128::from(in_day);
    i64::try_from(ms).map_err(|_| "out of the range of epoch milliseconds")
}

/// Serde adapter: an `i64` of epoch milliseconds as a `yyyy-MM-dd HH:mm:ss.SSS` string.
/// Reading also accepts a JSON integer of epoch milliseconds.
///
/// ```
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Row {
///     #[serde(with = "weir_connectors::nexmark::timestamp::serde_timestamp")]
///     at: i64,
/// }
/// let json = serde_json::to_string(&Row { at: 0 }).unwrap();
/// assert_eq!(json, r#"{"at":"1970-01-01 00:00:00.000"}"#);
/// ```
pub mod serde_timestamp {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    /// Writes the timestamp as a string in human-readable formats (JSON), as epoch
    /// milliseconds in binary ones (state in checkpoints).
    ///
    /// # Errors
    /// Whatever the serializer reports.
    pub fn serialize<S: Serializer>(ms: &i64, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(super::encode_timestamp(*ms).as_str())
        } else {
            serializer.serialize_i64(*ms)
        }
    }

    /// Reads a timestamp string (or integer epoch milliseconds); binary formats hold
    /// epoch milliseconds (they cannot tell a string from a number by themselves).
    ///
    /// # Errors
    /// A string that is not a timestamp, or a value of another type.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(TimestampVisitor)
        } else {
            deserializer.deserialize_i64(TimestampVisitor)
        }
    }

    struct TimestampVisitor;

    impl Visitor<'_> for TimestampVisitor {
        type Value = i64;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a timestamp 'yyyy-MM-dd HH:mm:ss.SSS' or epoch milliseconds")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            super::parse_timestamp(v).map_err(E::custom)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom("epoch milliseconds out of range"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_strings_in_json_and_numbers_in_bincode() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Row {
            #[serde(with = "serde_timestamp")]
            t: i64,
        }
        let row = Row { t: 1_500 };
        assert_eq!(serde_json::to_string(&row).unwrap(), r#"{"t":"1970-01-01 00:00:01.500"}"#);
        let bytes = bincode::serialize(&row).unwrap();
        assert_eq!(bytes.len(), 8);
        assert_eq!(bincode::deserialize::<Row>(&bytes).unwrap(), row);
    }

    /// The slow, obviously right way: count days year by year, month by month.
    fn naive_days(year: i64, month: u32, day: u32) -> i64 {
        let mut days = 0i64;
        if year >= 1970 {
            for y in 1970..year {
                days += if is_leap_year(y) { 366 } else { 365 };
            }
        } else {
            for y in year..1970 {
                days -= if is_leap_year(y) { 366 } else { 365 };
            }
        }
        for m in 1..month {
            days += i64::from(days_in_month(year, m));
        }
        days + i64::from(day) - 1
    }

    #[test]
    fn format_and_parse_table() {
        let cases: &[(i64, &str)] = &[
            (0, "1970-01-01 00:00:00.000"),
            (1, "1970-01-01 00:00:00.001"),
            (-1, "1969-12-31 23:59:59.999"),
            (-86_400_000, "1969-12-31 00:00:00.000"),
            (1_704_067_200_000, "2024-01-01 00:00:00.000"),
            (1_709_164_800_000, "2024-02-29 00:00:00.000"),
            (951_782_400_000, "2000-02-29 00:00:00.000"),
            (951_868_800_000, "2000-03-01 00:00:00.000"),
            (-2_203_977_600_000, "1900-02-28 00:00:00.000"),
            (-2_203_891_200_000, "1900-03-01 00:00:00.000"),
            (-2_208_988_800_001, "1899-12-31 23:59:59.999"),
            (-62_135_596_800_000, "0001-01-01 00:00:00.000"),
            (-62_167_219_200_000, "0000-01-01 00:00:00.000"),
            (-62_167_219_200_001, "-0001-12-31 23:59:59.999"),
            (253_402_300_799_999, "9999-12-31 23:59:59.999"),
            (253_402_300_800_000, "+10000-01-01 00:00:00.000"),
            (1_234_567_890_123, "2009-02-13 23:31:30.123"),
        ];
        for &(ms, text) in cases {
            assert_eq!(format_timestamp(ms), text, "format {ms}");
            assert_eq!(parse_timestamp(text).unwrap(), ms, "parse {text}");
        }
    }

    #[test]
    fn days_agree_with_naive_counting() {
        for year in [1600, 1699, 1700, 1899, 1900, 1960, 1969, 1970, 1971, 1999, 2000, 2023, 2024, 2100, 2400] {
            for month in 1..=12 {
                for day in [1, days_in_month(year, month)] {
                    let days = days_from_civil(year, month, day);
                    assert_eq!(days, naive_days(year, month, day), "{year}-{month}-{day}");
                    assert_eq!(civil_from_days(days), (year, month, day));
                }
            }
        }
    }

    #[test]
    fn round_trips_across_a_wide_range() {
        let mut ms = -9_000_000_000_000_000i64;
        while ms < 9_000_000_000_000_000 {
            assert_eq!(parse_timestamp(&format_timestamp(ms)).unwrap(), ms, "{ms}");
            ms += 7_777_777_777_777_777 / 1000 + 13;
        }
        for ms in [i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1] {
            assert_eq!(parse_timestamp(&format_timestamp(ms)).unwrap(), ms, "{ms}");
        }
    }

    #[test]
    fn parse_accepts_variants() {
        let cases: &[(&str, i64)] = &[
            ("2024-01-01 00:00:00", 1_704_067_200_000),
            ("2024-01-01T00:00:00", 1_704_067_200_000),
            ("2024-01-01 00:00:00.5", 1_704_067_200_500),
            ("2024-01-01 00:00:00.12", 1_704_067_200_120),
            ("2024-01-01 00:00:00.123456", 1_704_067_200_123),
            ("2024-01-01 00:00:00.123456789", 1_704_067_200_123),
            ("2024-01-01T00:00:00.001Z", 1_704_067_200_001),
            ("1969-12-31 23:59:59", -1_000),
        ];
        for &(text, ms) in cases {
            assert_eq!(parse_timestamp(text).unwrap(), ms, "{text}");
        }
    }

    #[test]
    fn parse_rejects_garbage() {
        let cases: &[(&str, &str)] = &[
            ("", "expected a year of four digits"),
            ("24-01-01 00:00:00", "expected a year of four digits"),
            ("2024-01-01", "expected ' ' or 'T' after the date"),
            ("2024-1-01 00:00:00", "expected a two-digit month"),
            ("2024-13-01 00:00:00", "month out of range"),
            ("2024-00-01 00:00:00", "month out of range"),
            ("2023-02-29 00:00:00", "day out of range for the month"),
            ("1900-02-29 00:00:00", "day out of range for the month"),
            ("2024-04-31 00:00:00", "day out of range for the month"),
            ("2024-01-01 24:00:00", "time of day out of range"),
            ("2024-01-01 00:60:00", "time of day out of range"),
            ("2024-01-01 00:00:60", "time of day out of range"),
            ("2024-01-01 00:00:00.", "expected digits after '.'"),
            ("2024-01-01 00:00:00.0000000000", "more than nine fraction digits"),
            ("2024-01-01 00:00:00.000 ", "unexpected text after the time"),
            ("2024-01-01 00:00", "expected ':' after the minutes"),
            ("1234567890-01-01 00:00:00", "year out of range"),
        ];
        for &(text, reason) in cases {
            match parse_timestamp(text) {
                Err(ConnectorError::InvalidTimestamp { reason: r, .. }) => assert_eq!(r, reason, "{text}"),
                other => panic!("{text}: expected an error, got {other:?}"),
            }
        }
        // Valid form, but beyond i64 milliseconds.
        assert!(parse_timestamp("+300000000-01-01 00:00:00").is_err());
    }
}
