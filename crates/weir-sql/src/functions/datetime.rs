//! Flink temporal functions, with a formatter/parser for Java date patterns.
//!
//! Flink uses two pattern engines: `java.time.DateTimeFormatter` (DATE_FORMAT of a TIMESTAMP,
//! TO_TIMESTAMP with a format) and `java.text.SimpleDateFormat` (DATE_FORMAT of a string,
//! FROM_UNIXTIME, UNIX_TIMESTAMP, TO_DATE with a format). They share the common letters; they
//! differ in `S` (fraction digits vs. milliseconds), `u` (year vs. ISO day of week) and in
//! strictness (SimpleDateFormat ignores trailing text). Both are modelled by [`Mode`].
//! Supported letters: G y Y u M L Q q d D w W F E e c a H k K h m s S n z Z X x; others are an error when
//! formatting and a parse failure when parsing. How parsed fields become a date-time (ranges,
//! roll-over, two-digit years, the Julian calendar) is in [`super::resolver`].

use std::sync::{Arc, OnceLock};

use arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int32Array, Int64Array, TimestampMillisecondArray};
use arrow::datatypes::{DataType, Int64Type, TimeUnit};
use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, TimeDelta, Timelike};
use datafusion_common::{exec_err, Result};
use datafusion_expr::ScalarUDF;

use super::common::{
    func, get, i64_rows, ints, ret_i64, ret_utf8, str_rows, str_rows_buf, strs, FlinkScalar, FunctionConfig, Kind,
};
use super::resolver::{as_calendar_shows, sql_value_of, Fields};
use super::time_zone::LocalTimeZone;

/// Which Java formatter a pattern is interpreted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `java.text.SimpleDateFormat`.
    Sdf,
    /// `java.time.format.DateTimeFormatter`.
    Dtf,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Field(char, usize),
    Lit(String),
}

fn tokenize(p: &str) -> Vec<Tok> {
    let c: Vec<char> = p.chars().collect();
    let mut out: Vec<Tok> = Vec::new();
    let lit = |out: &mut Vec<Tok>, s: &str| match out.last_mut() {
        Some(Tok::Lit(l)) => l.push_str(s),
        _ => out.push(Tok::Lit(s.to_string())),
    };
    let mut i = 0;
    while i < c.len() {
        if c[i] == '\'' {
            if c.get(i + 1) == Some(&'\'') {
                lit(&mut out, "'");
                i += 2;
                continue;
            }
            let mut j = i + 1;
            let mut s = String::new();
            while j < c.len() {
                if c[j] == '\'' {
                    if c.get(j + 1) == Some(&'\'') {
                        s.push('\'');
                        j += 2;
                        continue;
                    }
                    break;
                }
                s.push(c[j]);
                j += 1;
            }
            lit(&mut out, &s);
            i = j + 1;
        } else if c[i].is_ascii_alphabetic() {
            let mut j = i;
            while j < c.len() && c[j] == c[i] {
                j += 1;
            }
            out.push(Tok::Field(c[i], j - i));
            i = j;
        } else {
            lit(&mut out, &c[i].to_string());
            i += 1;
        }
    }
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

fn offset_text(secs: i32, colon: bool, z_for_zero: bool, minutes: bool) -> String {
    if secs == 0 && z_for_zero {
        return "Z".to_string();
    }
    let sign = if secs < 0 { '-' } else { '+' };
    let (h, m) = (secs.abs() / 3600, secs.abs() % 3600 / 60);
    match (minutes, colon) {
        (false, _) => format!("{sign}{h:02}"),
        (true, true) => format!("{sign}{h:02}:{m:02}"),
        (true, false) => format!("{sign}{h:02}{m:02}"),
    }
}

/// Formats a local date-time with a Java pattern; `offset` is the zone shown by z/Z/X.
pub fn format_java(dt: &NaiveDateTime, pattern: &str, mode: Mode, offset: i32) -> Result<String> {
    let mut out = String::new();
    format_tokens(dt, &tokenize(pattern), pattern, mode, offset, &mut out)?;
    Ok(out)
}

/// `v` in decimal, left-padded with zeros to `width` digits (Java's number fields).
fn push_num(out: &mut String, v: i64, width: usize) {
    if v < 0 {
        use std::fmt::Write;
        let _ = write!(out, "{v:0width$}");
        return;
    }
    let mut buffer = itoa::Buffer::new();
    let digits = buffer.format(v);
    for _ in digits.len()..width {
        out.push('0');
    }
    out.push_str(digits);
}

/// [`format_java`] with the pattern already split into `toks` (`pattern` only names it in an
/// error), appending to `out`.
fn format_tokens(
    dt: &NaiveDateTime,
    toks: &[Tok],
    pattern: &str,
    mode: Mode,
    offset: i32,
    out: &mut String,
) -> Result<()> {
    let shown;
    let dt = if mode == Mode::Sdf {
        shown = as_calendar_shows(*dt);
        &shown
    } else {
        dt
    };
    for tok in toks {
        let (ch, n) = match tok {
            Tok::Lit(l) => {
                out.push_str(l);
                continue;
            }
            Tok::Field(c, n) => (*c, *n),
        };
        match ch {
            'G' => out.push_str(if dt.year() > 0 { "AD" } else { "BC" }),
            'y' | 'Y' | 'u' if ch != 'u' || mode == Mode::Dtf => {
                let year = if ch == 'Y' { us_week_of_year(dt.date()).0 } else { dt.year() };
                if n == 2 {
                    push_num(out, year.rem_euclid(100) as i64, 2)
                } else {
                    push_num(out, year as i64, n)
                }
            }
            'w' => push_num(out, us_week_of_year(dt.date()).1 as i64, n),
            // Day of the week in the month: the aligned day (1-7 from day 1) for
            // DateTimeFormatter, the occurrence of this weekday (days 1-7 are 1) for SimpleDateFormat.
            'F' if mode == Mode::Dtf => push_num(out, (dt.day0() % 7 + 1) as i64, n),
            'F' => push_num(out, (dt.day0() / 7 + 1) as i64, n),
            // Localized day of the week (DateTimeFormatter only): 1 = Sunday in the US locale, or its name.
            'e' | 'c' if mode == Mode::Dtf => match n {
                1 | 2 => push_num(out, dt.weekday().number_from_sunday() as i64, n),
                _ => day_name(out, dt, n),
            },
            'u' => push_num(out, dt.weekday().number_from_monday() as i64, n),
            'M' | 'L' => match n {
                1 | 2 => push_num(out, dt.month() as i64, n),
                3 => out.push_str(&MONTHS[dt.month0() as usize][..3]),
                _ => out.push_str(MONTHS[dt.month0() as usize]),
            },
            'd' => push_num(out, dt.day() as i64, n),
            // Quarter (DateTimeFormatter): 2, 02, Q2, 2nd quarter.
            'Q' | 'q' if mode == Mode::Dtf => {
                let q = dt.month0() / 3 + 1;
                match n {
                    1 | 2 => push_num(out, q as i64, n),
                    3 => {
                        out.push('Q');
                        push_num(out, q as i64, 1)
                    }
                    _ => out.push_str(["1st quarter", "2nd quarter", "3rd quarter", "4th quarter"][q as usize - 1]),
                }
            }
            // Week of month in Flink's (US) locale: weeks start on Sunday, the first week is
            // the one holding day 1.
            'W' => {
                let first = dt.with_day(1).map_or(0, |f| f.weekday().num_days_from_sunday());
                push_num(out, ((dt.day0() + first) / 7 + 1) as i64, n)
            }
            'D' => push_num(out, dt.ordinal() as i64, n),
            'E' if mode == Mode::Sdf => day_name(out, dt, n.min(4)),
            'E' => day_name(out, dt, n.max(3)),
            'a' => out.push_str(if dt.hour() < 12 { "AM" } else { "PM" }),
            'H' => push_num(out, dt.hour() as i64, n),
            'k' => push_num(out, if dt.hour() == 0 { 24 } else { dt.hour() as i64 }, n),
            'K' => push_num(out, (dt.hour() % 12) as i64, n),
            'h' => push_num(out, dt.hour12().1 as i64, n),
            'm' => push_num(out, dt.minute() as i64, n),
            's' => push_num(out, dt.second() as i64, n),
            'S' if mode == Mode::Sdf => push_num(out, (dt.nanosecond() / 1_000_000) as i64, n),
            'S' => {
                // The first n of the nine fraction digits, then zeros.
                let mut nine = String::with_capacity(9);
                push_num(&mut nine, dt.nanosecond() as i64, 9);
                out.push_str(&nine[..n.min(9)]);
                for _ in 9..n {
                    out.push('0');
                }
            }
            'n' => push_num(out, dt.nanosecond() as i64, n),
            'z' => {
                if offset == 0 {
                    out.push_str("UTC")
                } else {
                    out.push_str("GMT");
                    out.push_str(&offset_text(offset, true, false, true))
                }
            }
            'Z' => out.push_str(&offset_text(offset, false, false, true)),
            'X' | 'x' => out.push_str(&offset_text(offset, n >= 3, ch == 'X', n >= 2 || offset % 3600 != 0)),
            _ => return exec_err!("unsupported date pattern letter '{ch}' in '{pattern}'"),
        }
    }
    Ok(())
}

/// The day's name: short (`n` = 3: `Thu`), full (4: `Thursday`) or narrow (5: `T`).
fn day_name(out: &mut String, dt: &NaiveDateTime, n: usize) {
    let d = DAYS[dt.weekday().num_days_from_monday() as usize];
    out.push_str(match n {
        ..=3 => &d[..3],
        4 => d,
        _ => &d[..1],
    })
}

/// The week-based year and week of the year in Flink's (US) locale: weeks start on Sunday and
/// week 1 is the one holding January 1, so 2020-12-31 is in week 1 of 2021.
fn us_week_of_year(d: NaiveDate) -> (i32, u32) {
    let saturday = d + TimeDelta::days(6 - i64::from(d.weekday().num_days_from_sunday()));
    if saturday.year() > d.year() {
        return (saturday.year(), 1);
    }
    let jan1 = d.with_ordinal(1).map_or(0, |j| j.weekday().num_days_from_sunday());
    (d.year(), (d.ordinal0() + jan1) / 7 + 1)
}

/// The last pattern of a column of patterns and its tokens (patterns are nearly always
/// one literal, so a batch splits it once).
#[derive(Default)]
struct PatternCache {
    last: Option<(String, Vec<Tok>)>,
}

impl PatternCache {
    fn tokens(&mut self, pattern: &str) -> &[Tok] {
        if !matches!(&self.last, Some((p, _)) if p == pattern) {
            self.last = Some((pattern.to_string(), tokenize(pattern)));
        }
        self.last.as_ref().map_or(&[], |(_, t)| t.as_slice())
    }
}

fn is_numeric_field(t: Option<&Tok>) -> bool {
    matches!(t, Some(Tok::Field(c, n)) if "yuMdDHkKhmsSn".contains(*c) && !(*c == 'M' && *n >= 3))
}

/// Parses `s` with a Java pattern. Returns the local date-time and the zone offset if the text
/// carried one. Missing fields default to 1970-01-01 00:00:00 (as Flink completes them).
pub fn parse_java(s: &str, pattern: &str, mode: Mode) -> Option<(NaiveDateTime, Option<i32>)> {
    let toks = tokenize(pattern);
    let b = s.as_bytes();
    let mut pos = 0usize;
    let mut f = Fields::default();
    let (mut h24, mut h12, mut pm) = (None, None, None);
    let mut offset = None;
    for (k, tok) in toks.iter().enumerate() {
        match tok {
            Tok::Lit(l) => {
                if !s[pos..].starts_with(l.as_str()) {
                    return None;
                }
                pos += l.len();
            }
            Tok::Field(c, n)
                if "yuMdDHkKhmsSn".contains(*c) && !(*c == 'M' && *n >= 3) && !(*c == 'u' && mode == Mode::Sdf) =>
            {
                let n = *n;
                let digits = b[pos..].iter().take_while(|c| c.is_ascii_digit()).count();
                let year_like = matches!(c, 'y' | 'u');
                let take = if is_numeric_field(toks.get(k + 1)) {
                    // Adjacent numeric fields (`yyyyMMdd`): each takes its pattern width.
                    n
                } else if mode == Mode::Dtf {
                    if *c == 'S' || (n >= 2 && !year_like) || (year_like && n == 2) {
                        n
                    } else if digits < n {
                        return None;
                    } else {
                        digits.min(19)
                    }
                } else {
                    digits
                };
                if take == 0 || digits < take {
                    return None;
                }
                let text = &s[pos..pos + take];
                let v: i64 = text.parse().ok()?;
                pos += take;
                match c {
                    // A two-digit year: 20xx for DateTimeFormatter, a window around today for
                    // SimpleDateFormat (`y` or `yy` with exactly two digits).
                    'y' | 'u' if mode == Mode::Dtf && n == 2 && take == 2 => f.year = 2000 + v,
                    'y' | 'u' => {
                        f.year = v;
                        f.two_digit_year = n <= 2 && take == 2;
                    }
                    'M' => f.month = v,
                    'd' => f.day = v,
                    'D' => f.day_of_year = Some(v),
                    'H' => h24 = Some(v),
                    'k' => h24 = Some(if v == 24 { 0 } else { v }),
                    'K' | 'h' => h12 = Some(v % 12),
                    'm' => f.minute = v,
                    's' => f.second = v,
                    'S' if mode == Mode::Sdf => f.nanos = v * 1_000_000,
                    'S' => f.nanos = v * 10i64.pow(9 - take.min(9) as u32),
                    _ => f.nanos = v,
                }
            }
            Tok::Field(c, n) => {
                let rest = &s[pos..];
                let starts = |w: &str| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w);
                match c {
                    'M' | 'L' => {
                        let (i, w) = MONTHS.iter().enumerate().find_map(|(i, m)| {
                            if *n >= 4 && starts(m) {
                                Some((i, m.len()))
                            } else if starts(&m[..3]) {
                                Some((i, 3))
                            } else {
                                None
                            }
                        })?;
                        f.month = i as i64 + 1;
                        pos += w;
                    }
                    'E' => {
                        let w = DAYS.iter().find_map(|d| {
                            if starts(d) {
                                Some(d.len())
                            } else if starts(&d[..3]) {
                                Some(3)
                            } else {
                                None
                            }
                        })?;
                        pos += w;
                    }
                    'a' => {
                        pm = Some(if starts("AM") {
                            false
                        } else if starts("PM") {
                            true
                        } else {
                            return None;
                        });
                        pos += 2;
                    }
                    'G' => pos += if starts("AD") { 2 } else { return None },
                    'z' | 'Z' | 'X' | 'x' => {
                        let (off, used) = parse_offset(rest)?;
                        offset = Some(off);
                        pos += used;
                    }
                    _ => return None,
                }
            }
        }
    }
    if mode == Mode::Dtf && pos != s.len() {
        return None;
    }
    f.hour = match (h24, h12, pm) {
        (Some(h), _, _) => h,
        (None, Some(h), Some(true)) => h + 12,
        (None, Some(h), _) => h,
        _ => 0,
    };
    let dt = match mode {
        Mode::Dtf => f.resolve_smart()?,
        Mode::Sdf => f.resolve_lenient(chrono::Utc::now().naive_utc())?,
    };
    Some((dt, offset))
}

/// Parses a zone offset: `Z`, `UTC`, `GMT`, `UT`, optionally followed by `+hh[:mm]`, or `+hh[:]mm`.
/// Returns the offset in seconds and the bytes consumed.
pub fn parse_offset(s: &str) -> Option<(i32, usize)> {
    let mut pos = 0;
    for prefix in ["UTC", "GMT", "UT", "Z"] {
        if s.starts_with(prefix) {
            pos = prefix.len();
            break;
        }
    }
    let rest = &s[pos..];
    let sign = match rest.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return if pos > 0 { Some((0, pos)) } else { None },
    };
    let b = rest.as_bytes();
    let d = |i: usize| b.get(i).filter(|c| c.is_ascii_digit()).map(|c| (c - b'0') as i32);
    let mut used = 1;
    let (h, hl) = match (d(1), d(2)) {
        (Some(a), Some(b2)) => (a * 10 + b2, 2),
        (Some(a), None) => (a, 1),
        _ => return None,
    };
    used += hl;
    let mut m = 0;
    if b.get(used) == Some(&b':') {
        if let (Some(x), Some(y)) = (d(used + 1), d(used + 2)) {
            m = x * 10 + y;
            used += 3;
        }
    } else if let (Some(x), Some(y)) = (d(used), d(used + 1)) {
        m = x * 10 + y;
        used += 2;
    }
    if h > 18 || m > 59 {
        return None;
    }
    Some((sign * (h * 3600 + m * 60), pos + used))
}

/// Flink's default TO_TIMESTAMP parser: `yyyy-[M]M-[d]d[ [H]H:[m]m:[s]s[.fffffffff]]`.
pub fn parse_default_timestamp(s: &str) -> Option<NaiveDateTime> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^(\d{4,9})-(\d{1,2})-(\d{1,2})(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{0,9}))?)?$")
            .expect("valid regex")
    });
    let c = re.captures(s)?;
    let n = |i: usize| c.get(i).map_or(Some(0), |m| m.as_str().parse::<i64>().ok());
    let nanos = c.get(7).map_or(0, |m| {
        let t = m.as_str();
        if t.is_empty() {
            0
        } else {
            t.parse::<i64>().unwrap_or(0) * 10i64.pow(9 - t.len() as u32)
        }
    });
    let (year, month, day, hour, minute, second) = (n(1)?, n(2)?, n(3)?, n(4)?, n(5)?, n(6)?);
    Fields { year, month, day, hour, minute, second, nanos, ..Fields::default() }.resolve_smart()
}

/// Flink `DateTimeUtils.parseDate(String)`: lenient `y[-m[-d]]`, anything after the first space ignored.
pub fn parse_date_lenient(s: &str) -> Option<NaiveDate> {
    let s = s.split(' ').next().unwrap_or(s);
    let num = |t: &str| {
        let t = t.trim();
        if !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit()) {
            t.parse::<i32>().ok()
        } else {
            None
        }
    };
    let mut parts = s.splitn(3, '-');
    let y = num(parts.next()?)?;
    let m = parts.next().map_or(Some(1), num)?;
    let d = parts.next().map_or(Some(1), num)?;
    if !(0..=9999).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m as u32, d as u32)
}

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("epoch"),
};

fn epoch_days(d: NaiveDate) -> i32 {
    (d - EPOCH).num_days() as i32
}

fn millis_of(dt: &NaiveDateTime) -> i64 {
    dt.and_utc().timestamp_millis()
}

fn from_millis(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms).map(|d| d.naive_utc())
}

/// A temporal argument read as local date-times (TIMESTAMP as is, TIMESTAMP_LTZ in the session zone).
struct TsCol {
    raw: Int64Array,
    unit: TimeUnit,
    ltz: bool,
    date: bool,
}

impl TsCol {
    fn new(a: &ArrayRef) -> Result<TsCol> {
        let (unit, ltz, date) = match a.data_type() {
            DataType::Timestamp(u, tz) => (*u, tz.is_some(), false),
            DataType::Date32 | DataType::Date64 | DataType::Null => (TimeUnit::Millisecond, false, true),
            t => return exec_err!("expected a DATE or TIMESTAMP, got {t}"),
        };
        let a =
            if date { arrow::compute::cast(a, &DataType::Timestamp(TimeUnit::Millisecond, None))? } else { a.clone() };
        let raw = arrow::compute::cast(&a, &DataType::Int64)?.as_primitive::<Int64Type>().clone();
        Ok(TsCol { raw, unit, ltz, date })
    }

    /// Raw values per second.
    fn per_second(&self) -> i64 {
        match self.unit {
            TimeUnit::Second => 1,
            TimeUnit::Millisecond => 1_000,
            TimeUnit::Microsecond => 1_000_000,
            TimeUnit::Nanosecond => 1_000_000_000,
        }
    }

    fn local(&self, i: usize, cfg: &FunctionConfig) -> Option<NaiveDateTime> {
        let v = get(&self.raw, i)?;
        let per_sec = self.per_second();
        let nanos = (v.rem_euclid(per_sec) * (1_000_000_000 / per_sec)) as u32;
        let dt = DateTime::from_timestamp(v.div_euclid(per_sec), nanos)?.naive_utc();
        Some(if self.ltz { cfg.zone.to_local(&dt) } else { dt })
    }
}

fn ts_ms_array(v: Vec<Option<i64>>, ltz: bool) -> ArrayRef {
    let a = TimestampMillisecondArray::from(v);
    Arc::new(if ltz { a.with_timezone("UTC") } else { a })
}

fn opt_str(a: &[ArrayRef], k: usize, i: usize) -> Option<Option<&str>> {
    a.get(k).map(|x| get(strs(x), i))
}

const DEFAULT_FMT: &str = "yyyy-MM-dd HH:mm:ss";

/// DATE_FORMAT's result type, STRING; Flink has no form taking a DATE.
fn date_format_type(t: &[DataType]) -> Result<DataType> {
    match t.first() {
        Some(DataType::Date32 | DataType::Date64) => datafusion_common::plan_err!(
            "Cannot apply 'DATE_FORMAT' to arguments of type 'DATE_FORMAT(<DATE>, <CHARACTER>)'. Supported form(s): \
             'DATE_FORMAT(<TIMESTAMP>, <CHARACTER>)' 'DATE_FORMAT(<CHARACTER>, <CHARACTER>)'"
        ),
        _ => Ok(DataType::Utf8),
    }
}

/// Temporal functions bound to a session configuration.
pub(crate) fn udfs(cfg: FunctionConfig) -> Vec<Arc<ScalarUDF>> {
    use Kind::*;
    let ts3 = |_: &[DataType]| Ok(DataType::Timestamp(TimeUnit::Millisecond, None));
    let mut v = vec![
        // DATE_FORMAT(ts | str, fmt): format a TIMESTAMP (DateTimeFormatter) or a 'yyyy-MM-dd HH:mm:ss' string (SimpleDateFormat).
        func("date_format", (2, 2), &[StrOrTime, Str], date_format_type, date_format),
        // TO_TIMESTAMP(str [, fmt]): TIMESTAMP(3); default format 'yyyy-MM-dd HH:mm:ss[.fff]'; NULL when unparsable.
        func("to_timestamp", (1, 2), &[Str], ts3, to_timestamp),
        // TO_TIMESTAMP_LTZ(n [, precision]): epoch seconds (0) or millis (3, default) → TIMESTAMP_LTZ(3).
        func(
            "to_timestamp_ltz",
            (1, 2),
            &[Num, Int],
            |_| Ok(DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))),
            to_timestamp_ltz,
        ),
        // TO_DATE(str [, fmt]): DATE; without format a lenient 'yyyy-MM-dd'; NULL when unparsable.
        func("to_date", (1, 2), &[Str], |_| Ok(DataType::Date32), to_date),
        // UNIX_TIMESTAMP([str [, fmt]]): epoch seconds now, or of str parsed in the session zone (Long.MIN_VALUE on failure).
        func("unix_timestamp", (0, 2), &[Str], ret_i64, unix_timestamp).volatile(),
        // FROM_UNIXTIME(secs [, fmt]): epoch seconds formatted in the session zone (default 'yyyy-MM-dd HH:mm:ss').
        func("from_unixtime", (1, 2), &[Int, Str], ret_utf8, from_unixtime),
        // TIMESTAMPADD('unit', n, t): t plus n units (SECOND..YEAR); DATE stays DATE (day units and above).
        func(
            "timestampadd",
            (3, 3),
            &[Str, Int, Any],
            |t| Ok(if matches!(t[2], DataType::Timestamp(_, _)) { t[2].clone() } else { DataType::Date32 }),
            timestampadd,
        ),
        // TIMESTAMPDIFF('unit', t1, t2): whole units from t1 to t2 (INT, truncated toward zero).
        func("timestampdiff", (3, 3), &[Str, Time, Time], |_| Ok(DataType::Int32), timestampdiff),
        // CONVERT_TZ(str, from, to): re-zone a 'yyyy-MM-dd HH:mm:ss' string (zone ids as java.util.TimeZone reads them).
        func("convert_tz", (3, 3), &[Str], ret_utf8, convert_tz),
    ];
    // CURRENT_TIMESTAMP / NOW(): TIMESTAMP_LTZ(3); LOCALTIMESTAMP: TIMESTAMP(3) of the session zone;
    // CURRENT_DATE, CURRENT_TIME / LOCALTIME (TIME(0)): the session zone's date and time. Evaluated
    // per row, as Flink does in streaming mode.
    let ltz3 = |_: &[DataType]| Ok(DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())));
    let time0 = |_: &[DataType]| Ok(DataType::Time32(TimeUnit::Millisecond));
    for name in ["now", "current_timestamp"] {
        v.push(func(name, (0, 0), &[Any], ltz3, now).volatile());
    }
    v.push(func("localtimestamp", (0, 0), &[Any], ts3, now).volatile());
    v.push(func("current_date", (0, 0), &[Any], |_| Ok(DataType::Date32), now).volatile());
    for name in ["current_time", "localtime"] {
        v.push(func(name, (0, 0), &[Any], time0, now).volatile());
    }
    // FLOOR(t TO unit) / CEIL(t TO unit) of a TIMESTAMP or DATE (the planner turns the syntax into these).
    let same = |t: &[DataType]| Ok(t[0].clone());
    v.push(func("flink_floor", (2, 2), &[Any, Str], same, super::floor_ceil::floor_ceil));
    v.push(func("flink_ceil", (2, 2), &[Any, Str], same, super::floor_ceil::floor_ceil));
    // CURRENT_WATERMARK(rowtime): the watermark of the operator evaluating it, NULL before the first;
    // the streaming planner replaces the call by a column the operator fills (see `stream::calc`).
    v.push(
        func(
            "current_watermark",
            (1, 1),
            &[Any],
            |t| match &t[0] {
                DataType::Timestamp(_, tz) => Ok(DataType::Timestamp(TimeUnit::Millisecond, tz.clone())),
                other => datafusion_common::plan_err!(
                    "CURRENT_WATERMARK takes the rowtime attribute (a TIMESTAMP or TIMESTAMP_LTZ), not {other}"
                ),
            },
            |_, _, _| exec_err!("CURRENT_WATERMARK is only supported in a projection or a filter"),
        )
        .volatile(),
    );
    // YEAR(t) ... SECOND(t): BIGINT fields; WEEK is the ISO-8601 week, DAYOFWEEK is 1 = Sunday .. 7 = Saturday.
    for name in ["year", "quarter", "month", "week", "dayofyear", "dayofmonth", "dayofweek", "hour", "minute", "second"]
    {
        v.push(func(name, (1, 1), &[Time], ret_i64, extract));
    }
    // EXTRACT(unit FROM t), planned as flink_extract('UNIT', t): a BIGINT field of a DATE,
    // TIME, TIMESTAMP or TIMESTAMP_LTZ (see `field`).
    v.push(func(EXTRACT, (2, 2), &[Str, Any], ret_i64, extract_unit));
    v.into_iter().map(|f| f.with_cfg(cfg).udf()).collect()
}

/// The current time, as the return type of the function asks: an instant, or the session zone's
/// wall clock (timestamp, date, or time of day in whole seconds).
fn now(f: &FlinkScalar, _: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let utc = chrono::Utc::now().timestamp_millis();
    let local = f.cfg.zone.utc_millis_to_local(utc);
    let day = 86_400_000;
    let out: ArrayRef = match f_name(f) {
        "now" | "current_timestamp" => ts_ms_array(vec![Some(utc); rows], true),
        "localtimestamp" => ts_ms_array(vec![Some(local); rows], false),
        "current_date" => Arc::new(Date32Array::from(vec![local.div_euclid(day) as i32; rows])),
        _ => {
            let secs = local.rem_euclid(day) / 1000 * 1000;
            Arc::new(arrow::array::Time32MillisecondArray::from(vec![secs as i32; rows]))
        }
    };
    Ok(out)
}

fn date_format(f: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let fmt = strs(&a[1]);
    let zone = f.cfg.zone;
    // The offset z/Z/X show for a wall clock of the session zone.
    let offset_of = move |dt: &NaiveDateTime| zone.offset_at_utc(&zone.to_utc(dt));
    let mut patterns = PatternCache::default();
    if a[0].data_type() == &DataType::Utf8 {
        let s = strs(&a[0]);
        return str_rows_buf(rows, |i, out| {
            let (Some(s), Some(fmt)) = (get(s, i), get(fmt, i)) else { return Ok(false) };
            match parse_java(s, DEFAULT_FMT, Mode::Sdf) {
                Some((dt, _)) => {
                    format_tokens(&dt, patterns.tokens(fmt), fmt, Mode::Sdf, offset_of(&dt), out)?;
                    Ok(true)
                }
                None => Ok(false),
            }
        });
    }
    let col = TsCol::new(&a[0])?;
    let mode = if col.date { Mode::Sdf } else { Mode::Dtf };
    // Rows mostly come in time order, and a pattern without fractions of a second shows all
    // the rows of one second alike (Nexmark q10 formats every bid's date and minute): the
    // last text is reused while the second and the pattern stay the same.
    let mut last: Option<i64> = None;
    let (mut last_fmt, mut last_text) = (String::new(), String::new());
    str_rows_buf(rows, |i, out| {
        let (Some(raw), Some(fmt)) = (get(&col.raw, i), get(fmt, i)) else { return Ok(false) };
        let fractional = col.date || fmt.contains(['S', 'n', 'N', 'A']);
        let instant = if fractional { raw } else { raw.div_euclid(col.per_second()) };
        if last == Some(instant) && last_fmt == fmt {
            out.push_str(&last_text);
            return Ok(true);
        }
        let Some(dt) = col.local(i, &f.cfg) else { return Ok(false) };
        let shown = if col.ltz || col.date { offset_of(&dt) } else { 0 };
        format_tokens(&dt, patterns.tokens(fmt), fmt, mode, shown, out)?;
        last = Some(instant);
        last_fmt.clear();
        last_fmt.push_str(fmt);
        last_text.clear();
        last_text.push_str(out);
        Ok(true)
    })
}

fn to_timestamp(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let s = strs(&a[0]);
    let v: Vec<Option<i64>> = (0..rows)
        .map(|i| {
            let s = get(s, i)?;
            let dt = match opt_str(a, 1, i) {
                None => parse_default_timestamp(s)?,
                Some(None) => return None,
                Some(Some(fmt)) => match parse_java(s, fmt, Mode::Dtf) {
                    Some((dt, _)) => dt,
                    // Flink falls back to java.sql.Timestamp/Date.valueOf.
                    None => sql_value_of(s.trim())?,
                },
            };
            Some(millis_of(&dt).div_euclid(1))
        })
        .collect();
    Ok(ts_ms_array(v, false))
}

const MIN_MILLIS: i64 = -62_167_219_200_000;
const MAX_MILLIS: i64 = 253_402_300_799_999;

fn to_timestamp_ltz(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let p = a.get(1).map(ints);
    let t = a[0].data_type().clone();
    let f = arrow::compute::cast(&a[0], &DataType::Float64)?;
    let fv = f.as_primitive::<arrow::datatypes::Float64Type>();
    let iv = if t.is_integer() { Some(arrow::compute::cast(&a[0], &DataType::Int64)?) } else { None };
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let precision = match p {
            Some(p) => get(p, i),
            None => Some(3),
        };
        let (Some(x), Some(precision)) = (get(fv, i), precision) else {
            out.push(None);
            continue;
        };
        let ms = match (precision, &iv) {
            (0, Some(iv)) => get(ints(iv), i).and_then(|v| v.checked_mul(1000)),
            (3, Some(iv)) => get(ints(iv), i),
            (0, None) if matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..)) => Some(x.trunc() as i64 * 1000),
            (0, None) => Some((x * 1000.0) as i64),
            (3, None) => Some(x as i64),
            _ => {
                return exec_err!(
                    "The precision value '{precision}' for function TO_TIMESTAMP_LTZ(numeric, precision) is unsupported, the supported value is '0' for second or '3' for millisecond."
                )
            }
        };
        out.push(ms.filter(|ms| (MIN_MILLIS..=MAX_MILLIS).contains(ms)));
    }
    Ok(ts_ms_array(out, true))
}

fn to_date(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let s = strs(&a[0]);
    let v: Vec<Option<i32>> = (0..rows)
        .map(|i| {
            let s = get(s, i)?;
            let d = match opt_str(a, 1, i) {
                None => parse_date_lenient(s)?,
                Some(None) => return None,
                Some(Some(fmt)) => parse_java(s, fmt, Mode::Sdf)?.0.date(),
            };
            Some(epoch_days(d))
        })
        .collect();
    Ok(Arc::new(Date32Array::from(v)))
}

fn unix_timestamp(f: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    if a.is_empty() {
        let now = chrono::Utc::now().timestamp();
        return i64_rows(rows, |_| Ok(Some(now)));
    }
    let s = strs(&a[0]);
    i64_rows(rows, |i| {
        let Some(s) = get(s, i) else { return Ok(None) };
        let fmt = match opt_str(a, 1, i) {
            None => DEFAULT_FMT,
            Some(None) => return Ok(None),
            Some(Some(f)) => f,
        };
        Ok(Some(match parse_java(s, fmt, Mode::Sdf) {
            Some((dt, Some(off))) => (millis_of(&dt) - off as i64 * 1000).div_euclid(1000),
            Some((dt, None)) => millis_of(&f.cfg.zone.to_utc_standard(&dt)).div_euclid(1000),
            None => i64::MIN,
        }))
    })
}

fn from_unixtime(f: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let secs = ints(&a[0]);
    let zone = f.cfg.zone;
    str_rows(rows, |i| {
        let Some(secs) = get(secs, i) else { return Ok(None) };
        let fmt = match opt_str(a, 1, i) {
            None => DEFAULT_FMT,
            Some(None) => return Ok(None),
            Some(Some(f)) => f,
        };
        let Some(utc) = DateTime::from_timestamp(secs, 0).map(|d| d.naive_utc()) else {
            return Ok(None);
        };
        format_java(&zone.to_local(&utc), fmt, Mode::Sdf, zone.offset_at_utc(&utc)).map(Some)
    })
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Unit {
    Millis(i64),
    Months(i64),
}

fn unit(s: &str) -> Result<Unit> {
    let u = s.trim().to_ascii_uppercase();
    let u = u.strip_prefix("SQL_TSI_").unwrap_or(&u);
    Ok(match u {
        "SECOND" => Unit::Millis(1_000),
        "MINUTE" => Unit::Millis(60_000),
        "HOUR" => Unit::Millis(3_600_000),
        "DAY" => Unit::Millis(86_400_000),
        "WEEK" => Unit::Millis(7 * 86_400_000),
        "MONTH" => Unit::Months(1),
        "QUARTER" => Unit::Months(3),
        "YEAR" => Unit::Months(12),
        _ => {
            return exec_err!(
                "unsupported time unit '{s}'; expected SECOND, MINUTE, HOUR, DAY, WEEK, MONTH, QUARTER or YEAR"
            )
        }
    })
}

fn add_months(dt: NaiveDateTime, m: i64) -> Option<NaiveDateTime> {
    if m >= 0 {
        dt.checked_add_months(Months::new(u32::try_from(m).ok()?))
    } else {
        dt.checked_sub_months(Months::new(u32::try_from(-m).ok()?))
    }
}

fn timestampadd(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (u, n) = (strs(&a[0]), ints(&a[1]));
    let is_ts = matches!(a[2].data_type(), DataType::Timestamp(_, _));
    // TIMESTAMP(0) (seconds) is shifted in milliseconds; the result is cast back below.
    let input = match a[2].data_type() {
        DataType::Timestamp(TimeUnit::Second, tz) => {
            arrow::compute::cast(&a[2], &DataType::Timestamp(TimeUnit::Millisecond, tz.clone()))?
        }
        _ => a[2].clone(),
    };
    let col = TsCol::new(&input)?;
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let (Some(u), Some(n), Some(v)) = (get(u, i), get(n, i), get(&col.raw, i)) else {
            out.push(None);
            continue;
        };
        let unit = unit(u)?;
        if !is_ts && matches!(unit, Unit::Millis(ms) if ms < 86_400_000) {
            return exec_err!("TIMESTAMPADD: unit {u} cannot be added to a DATE; cast it to TIMESTAMP first");
        }
        // `raw` is in the column's unit; shift in milliseconds for ms columns, else via the factor.
        let per_ms = match col.unit {
            TimeUnit::Second | TimeUnit::Millisecond => 1,
            TimeUnit::Microsecond => 1_000,
            TimeUnit::Nanosecond => 1_000_000,
        };
        let r = match unit {
            Unit::Millis(ms) => n.checked_mul(ms).and_then(|d| d.checked_mul(per_ms)).and_then(|d| v.checked_add(d)),
            Unit::Months(k) => {
                let (ms, rem) = (v.div_euclid(per_ms), v.rem_euclid(per_ms));
                from_millis(ms).and_then(|dt| add_months(dt, n * k)).map(|dt| millis_of(&dt) * per_ms + rem)
            }
        };
        out.push(r);
    }
    if is_ts {
        let arr = Int64Array::from(out);
        let arr = arrow::compute::cast(&(Arc::new(arr) as ArrayRef), input.data_type())?;
        return Ok(arrow::compute::cast(&arr, a[2].data_type())?);
    }
    Ok(Arc::new(Date32Array::from(
        out.into_iter().map(|v| v.map(|ms| ms.div_euclid(86_400_000) as i32)).collect::<Vec<_>>(),
    )))
}

/// Flink `addMonths` on epoch days (the day clamps to the month's last day).
fn add_months_days(d: i64, m: i64) -> Option<i64> {
    let date = EPOCH.checked_add_signed(TimeDelta::days(d))?;
    let r = if m >= 0 {
        date.checked_add_months(Months::new(u32::try_from(m).ok()?))
    } else {
        date.checked_sub_months(Months::new(u32::try_from(-m).ok()?))
    };
    r.map(|x| (x - EPOCH).num_days())
}

/// Calcite/Flink `subtractMonths` on epoch days.
fn subtract_months_days(d0: i64, d1: i64) -> Option<i64> {
    if d0 < d1 {
        return subtract_months_days(d1, d0).map(|m| -m);
    }
    let mut m = (d0 - d1) / 31;
    loop {
        if add_months_days(d1, m)? >= d0 || add_months_days(d1, m + 1)? > d0 {
            return Some(m);
        }
        m += 1;
    }
}

/// Flink `subtractMonths(long, long)` on epoch millis (whole months from t1 to t0).
fn subtract_months(t0: i64, t1: i64) -> Option<i64> {
    const DAY: i64 = 86_400_000;
    let (m0, m1) = (t0.rem_euclid(DAY), t1.rem_euclid(DAY));
    let (d0, d1) = (t0.div_euclid(DAY), t1.div_euclid(DAY));
    let mut x = subtract_months_days(d0, d1)?;
    if add_months_days(d1, x)? == d0 && m0 < m1 {
        x -= 1;
    }
    Some(x)
}

fn timestampdiff(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let u = strs(&a[0]);
    let (c1, c2) = (TsCol::new(&a[1])?, TsCol::new(&a[2])?);
    // Flink subtracts TIMESTAMP_LTZ values as instants, not as wall clocks of the session zone.
    let utc = FunctionConfig::utc();
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let (Some(u), Some(t1), Some(t2)) = (get(u, i), c1.local(i, &utc), c2.local(i, &utc)) else {
            out.push(None);
            continue;
        };
        let (m1, m2) = (millis_of(&t1), millis_of(&t2));
        out.push(match unit(u)? {
            Unit::Millis(ms) => Some(((m2 - m1) / ms) as i32),
            Unit::Months(k) => subtract_months(m2, m1).map(|m| (m / k) as i32),
        });
    }
    Ok(Arc::new(Int32Array::from(out)))
}

fn convert_tz(_: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let (s, from, to) = (strs(&a[0]), strs(&a[1]), strs(&a[2]));
    str_rows(rows, |i| {
        let (Some(s), Some(from), Some(to)) = (get(s, i), get(from, i), get(to, i)) else { return Ok(None) };
        let (from, to) = (LocalTimeZone::of_java_time_zone(from), LocalTimeZone::of_java_time_zone(to));
        let Some((dt, _)) = parse_java(s, DEFAULT_FMT, Mode::Sdf) else { return Ok(None) };
        let utc = from.to_utc(&dt);
        format_java(&to.to_local(&utc), DEFAULT_FMT, Mode::Sdf, to.offset_at_utc(&utc)).map(Some)
    })
}

fn extract(f: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let col = TsCol::new(&a[0])?;
    let unit = match f_name(f) {
        "dayofyear" => "DOY",
        "dayofmonth" => "DAY",
        "dayofweek" => "DOW",
        other => other,
    }
    .to_ascii_uppercase();
    // A time-of-day field of a TIMESTAMP(3) or DATE: straight from the epoch milliseconds, as
    // `field` computes it (q14 asks HOUR of every bid several times).
    let time_of_day: Option<fn(i64) -> i64> = match unit.as_str() {
        "HOUR" => Some(|tod| tod / 3_600_000),
        "MINUTE" => Some(|tod| tod % 3_600_000 / 60_000),
        "SECOND" => Some(|tod| tod % 60_000 / 1_000),
        _ => None,
    };
    if let (Some(of), TimeUnit::Millisecond, false) = (time_of_day, col.unit, col.ltz) {
        const DAY: i64 = 86_400_000;
        let out: Int64Array = (0..rows)
            .map(|i| {
                get(&col.raw, i).filter(|ms| DateTime::from_timestamp_millis(*ms).is_some()).map(|ms| of(ms % DAY))
            })
            .collect();
        return Ok(Arc::new(out));
    }
    i64_rows(rows, |i| match col.local(i, &f.cfg) {
        Some(dt) => field(&unit, &dt),
        None => Ok(None),
    })
}

/// Name of the function `EXTRACT(unit FROM t)` is planned as.
pub const EXTRACT: &str = "flink_extract";

fn extract_unit(f: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let units = strs(&a[0]);
    if let DataType::Time32(_) | DataType::Time64(_) = a[1].data_type() {
        // A TIME: its fields as those of that time on 1970-01-01.
        let nanos = arrow::compute::cast(&a[1], &DataType::Time64(TimeUnit::Nanosecond))?;
        let nanos = arrow::compute::cast(&nanos, &DataType::Int64)?;
        let nanos = nanos.as_primitive::<Int64Type>();
        return i64_rows(rows, |i| {
            let (Some(unit), Some(n)) = (get(units, i), get(nanos, i)) else { return Ok(None) };
            let dt = DateTime::from_timestamp_nanos(n).naive_utc();
            match unit.to_ascii_uppercase().as_str() {
                u @ ("HOUR" | "MINUTE" | "SECOND" | "MILLISECOND" | "MICROSECOND" | "NANOSECOND") => field(u, &dt),
                u => exec_err!("EXTRACT({u} FROM …) of a TIME is not supported"),
            }
        });
    }
    let col = TsCol::new(&a[1])?;
    i64_rows(rows, |i| match (get(units, i), col.local(i, &f.cfg)) {
        (Some(unit), Some(dt)) => field(&unit.to_ascii_uppercase(), &dt),
        _ => Ok(None),
    })
}

/// Field `unit` of a wall clock, as Flink's `DateTimeUtils` computes it: the day and the time
/// of day come from the epoch milliseconds by truncating division, so a time before 1970 off
/// a whole day counts in the day after it with a negative time of day (Flink's answer, kept:
/// `EXTRACT(HOUR FROM TIMESTAMP '1969-12-31 23:59:59.999')` is 0, its millisecond -1).
/// DOW is 1 = Sunday … 7 = Saturday, ISODOW 1 = Monday … 7, WEEK the ISO week; MILLISECOND
/// (MICROSECOND, NANOSECOND) counts within the second.
fn field(unit: &str, dt: &NaiveDateTime) -> Result<Option<i64>> {
    const DAY: i64 = 86_400_000;
    let ms = dt.and_utc().timestamp_millis();
    let (days, tod) = (ms / DAY, ms % DAY);
    let sub_ms = i64::from(dt.nanosecond() % 1_000_000);
    let Some(date) = NaiveDate::from_ymd_opt(1970, 1, 1).and_then(|d| d.checked_add_signed(TimeDelta::days(days)))
    else {
        return Ok(None);
    };
    let year = i64::from(date.year());
    Ok(Some(match unit {
        "YEAR" => year,
        "QUARTER" => (i64::from(date.month()) + 2) / 3,
        "MONTH" => i64::from(date.month()),
        "WEEK" => i64::from(date.iso_week().week()),
        "DAY" => i64::from(date.day()),
        "DOY" => i64::from(date.ordinal()),
        "DOW" => i64::from(date.weekday().num_days_from_sunday()) + 1,
        "ISODOW" => i64::from(date.weekday().number_from_monday()),
        "ISOYEAR" => i64::from(date.iso_week().year()),
        "DECADE" => year.div_euclid(10),
        "CENTURY" => {
            if year > 0 {
                (year + 99) / 100
            } else {
                (year - 99) / 100
            }
        }
        "MILLENNIUM" => {
            if year > 0 {
                (year + 999) / 1000
            } else {
                (year - 999) / 1000
            }
        }
        "HOUR" => tod / 3_600_000,
        "MINUTE" => tod % 3_600_000 / 60_000,
        "SECOND" => tod % 60_000 / 1_000,
        "MILLISECOND" => tod % 1_000,
        "MICROSECOND" => tod % 1_000 * 1_000 + sub_ms / 1_000,
        "NANOSECOND" => tod % 1_000 * 1_000_000 + sub_ms,
        "EPOCH" => ms / 1_000,
        other => return exec_err!("EXTRACT({other} FROM …) is not supported"),
    }))
}

fn f_name(f: &FlinkScalar) -> &str {
    use datafusion_expr::ScalarUDFImpl;
    f.name()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracted_fields_follow_flink() {
        let ts = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
        for (unit, at, want) in [
            ("MILLISECOND", "2024-02-28 23:59:59.123", 123),
            ("DOW", "2024-02-28 00:00:00", 4),
            ("ISODOW", "2024-02-25 00:00:00", 7),
            ("WEEK", "2023-01-01 00:00:00", 52),
            ("EPOCH", "1970-01-02 00:00:01", 86_401),
            // Before 1970, off a whole day: Flink's truncating division counts the next day.
            ("YEAR", "1969-12-31 23:59:59.999", 1970),
            ("HOUR", "1969-12-31 23:59:59.999", 0),
            ("MILLISECOND", "1969-12-31 23:59:59.999", -1),
            ("YEAR", "1969-12-31 00:00:00", 1969),
        ] {
            assert_eq!(field(unit, &ts(at)).unwrap(), Some(want), "{unit} of {at}");
        }
    }

    #[test]
    fn time_of_day_fields_equal_the_general_path() {
        let cfg = FunctionConfig::utc();
        let millis = [0, 1, -1, 86_399_999, -86_400_001, 1_700_000_000_123, -62_135_596_800_000, i64::MAX, i64::MIN];
        let input: ArrayRef = Arc::new(TimestampMillisecondArray::from(
            millis.iter().copied().map(Some).chain([None]).collect::<Vec<_>>(),
        ));
        let col = TsCol::new(&input).unwrap();
        for name in ["hour", "minute", "second"] {
            let f = func(name, (1, 1), &[Kind::Time], ret_i64, extract).with_cfg(cfg);
            let out = extract(&f, std::slice::from_ref(&input), input.len()).unwrap();
            let out = out.as_primitive::<Int64Type>();
            for i in 0..input.len() {
                let want = col.local(i, &cfg).and_then(|dt| field(&name.to_ascii_uppercase(), &dt).unwrap());
                assert_eq!(get(out, i), want, "{name} of row {i}");
            }
        }
    }

    /// DATE_FORMAT reuses the last row's text within a second; rows of the same second with
    /// fractions shown, other patterns, other zones' offsets and NULLs still format alone.
    #[test]
    fn date_format_reuses_only_equal_texts() {
        let base = 1_700_000_000_000i64;
        let millis = [base, base + 1, base + 999, base + 1000, base + 1, base - 1, base - 1000];
        let patterns = ["HH:mm:ss", "HH:mm:ss", "HH:mm:ss.SSS", "HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "ss", "ss"];
        for (zone, ltz) in [("UTC", false), ("America/New_York", true), ("Asia/Kolkata", true)] {
            let cfg = FunctionConfig { zone: LocalTimeZone::parse(zone).unwrap() };
            let mut values: Vec<Option<i64>> = millis.iter().copied().map(Some).collect();
            values.insert(2, None);
            let mut fmts: Vec<Option<&str>> = patterns.iter().copied().map(Some).collect();
            fmts.insert(2, Some("ss"));
            let ts = TimestampMillisecondArray::from(values);
            let input: ArrayRef = Arc::new(if ltz { ts.with_timezone("UTC") } else { ts });
            let fmt: ArrayRef = Arc::new(arrow::array::StringArray::from(fmts.clone()));
            let f = func("date_format", (2, 2), &[Kind::StrOrTime, Kind::Str], ret_utf8, date_format).with_cfg(cfg);
            let out = date_format(&f, &[input.clone(), fmt], input.len()).unwrap();
            let out = out.as_string::<i32>();
            let col = TsCol::new(&input).unwrap();
            for (i, fmt) in fmts.iter().enumerate() {
                let want = col.local(i, &cfg).map(|dt| {
                    let shown = if ltz { cfg.zone.offset_at_utc(&cfg.zone.to_utc(&dt)) } else { 0 };
                    format_java(&dt, fmt.unwrap(), Mode::Dtf, shown).unwrap()
                });
                assert_eq!(get(out, i).map(str::to_owned), want, "row {i} in {zone}");
            }
        }
    }

    #[test]
    fn java_patterns_format_as_java() {
        let at = |y, mo, d, h, mi, s, nanos| {
            NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_nano_opt(h, mi, s, nanos).unwrap()
        };
        let t = at(2024, 2, 5, 7, 8, 9, 12_345_678);
        for (dt, pattern, mode, want) in [
            (t, "yyyy-MM-dd", Mode::Dtf, "2024-02-05"),
            (t, "HH:mm", Mode::Dtf, "07:08"),
            (t, "yy y", Mode::Dtf, "24 2024"),
            (t, "MMM d, yyyy", Mode::Dtf, "Feb 5, 2024"),
            (t, "MMMM EEE EEEE D", Mode::Dtf, "February Mon Monday 36"),
            (t, "h a k K s", Mode::Dtf, "7 AM 7 7 9"),
            (t, "SSS|SSSSSSSSSSS", Mode::Dtf, "012|01234567800"),
            (t, "SSS", Mode::Sdf, "012"),
            (t, "'T'HH''mm", Mode::Dtf, "T07'08"),
            (at(-5, 1, 1, 0, 0, 0, 0), "G yyyy yy", Mode::Dtf, "BC -005 95"),
            (at(2024, 5, 1, 10, 0, 0, 0), "QQ W", Mode::Dtf, "02 1"),
            (t, "'Q'Q q QQQ QQQQ", Mode::Dtf, "Q1 1 Q1 1st quarter"),
            (at(2024, 11, 30, 0, 0, 0, 0), "QQQQ W", Mode::Dtf, "4th quarter 5"),
            (at(2024, 6, 2, 0, 0, 0, 0), "W", Mode::Dtf, "2"),
        ] {
            assert_eq!(format_java(&dt, pattern, mode, 0).unwrap(), want, "{pattern}");
        }
    }

    /// Rows from Flink 2.3's DATE_FORMAT of a TIMESTAMP (DateTimeFormatter) and of a string
    /// (SimpleDateFormat) around year ends.
    #[test]
    fn week_and_day_of_week_letters_follow_flink() {
        let at = |y, mo, d, h| NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, 0, 0).unwrap();
        for (dt, pattern, mode, want) in [
            (at(2020, 12, 31, 0), "w ww Y YYYY YY W", Mode::Dtf, "1 01 2021 2021 21 5"),
            (at(2020, 12, 31, 0), "F e ee eee eeee c ccc cccc u", Mode::Dtf, "3 5 05 Thu Thursday 5 Thu Thursday 2020"),
            (at(2020, 12, 31, 0), "E EEE EEEE EEEEE a k kk K KK h", Mode::Dtf, "Thu Thu Thursday T AM 24 24 0 00 12"),
            (at(2020, 12, 31, 0), "w ww Y YYYY YY W", Mode::Sdf, "1 01 2021 2021 21 5"),
            (at(2020, 12, 31, 0), "F u uu E EEE EEEE EEEEE", Mode::Sdf, "5 4 04 Thu Thu Thursday Thursday"),
            (at(2021, 1, 3, 23), "w Y F e", Mode::Dtf, "2 2021 3 1"),
            (at(2021, 1, 3, 23), "w Y F u", Mode::Sdf, "2 2021 1 7"),
            (at(2024, 12, 29, 11), "w Y W F", Mode::Dtf, "1 2025 5 1"),
            (at(2024, 12, 29, 11), "w Y W F", Mode::Sdf, "1 2025 5 5"),
            (at(2026, 6, 15, 12), "w Y W F e", Mode::Dtf, "25 2026 3 1 2"),
            (at(2026, 5, 31, 0), "w W F", Mode::Sdf, "23 6 5"),
            (at(2022, 1, 1, 6), "w Y e a K", Mode::Dtf, "1 2022 7 AM 6"),
        ] {
            assert_eq!(format_java(&dt, pattern, mode, 0).unwrap(), want, "{pattern}");
        }
        assert!(format_java(&at(2020, 12, 31, 0), "yyyy-ee", Mode::Sdf, 0).is_err());
        assert!(format_java(&at(2020, 12, 31, 0), "c", Mode::Sdf, 0).is_err());
        let (mut a, mut b) = (String::new(), String::new());
        push_num(&mut a, 7, 3);
        push_num(&mut b, 12_345, 2);
        assert_eq!((a.as_str(), b.as_str()), ("007", "12345"));
    }
}
