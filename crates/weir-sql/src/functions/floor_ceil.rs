//! `FLOOR(t TO unit)` / `CEIL(t TO unit)` of a TIMESTAMP, TIMESTAMP_LTZ or DATE, with Flink's
//! results (checked against Flink 2.3), which are not always the exact calendar floor/ceil:
//!
//! * Calendar units (WEEK, MONTH, QUARTER, YEAR, DECADE, CENTURY, MILLENNIUM) work on a day
//!   number, and the day of a timestamp is its epoch milliseconds divided by a day **truncated
//!   toward zero**: the time of day is dropped (`CEIL(TIMESTAMP '2024-05-01 10:00' TO MONTH)` is
//!   2024-05-01), and a time before 1970 counts as the next day
//!   (`FLOOR(TIMESTAMP '1969-12-31 23:00' TO YEAR)` is 1970-01-01).
//! * CEIL moves on unless the day is the unit's first: MONTH unless day 1; YEAR unless January 1;
//!   QUARTER unless January 1 — so April 1, July 1 and October 1 go to the next quarter.
//!   DECADE always moves on (2000 → 2010); CENTURY and MILLENNIUM start in years ending in 1
//!   (2024 floors to 2001, ceils to 2101). Weeks start on Sunday; CEIL of a Sunday is itself.
//! * DAY, HOUR, MINUTE, SECOND and MILLISECOND of a timestamp are plain arithmetic on the epoch
//!   milliseconds (floored); digits below the millisecond are dropped, as Flink drops them.
//! * A TIMESTAMP_LTZ is rounded on the session zone's wall clock at the offset of the *input*
//!   instant, and that same offset converts back — across a daylight-saving change the result
//!   is an hour off the real local boundary, as in Flink. HOUR and DAY use the same offset but
//!   floor (not truncate) the wall clock.
//! * A DATE uses its day number directly; `CEIL(d TO DAY)` is the next day, `FLOOR` the day.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int64Array};
use arrow::datatypes::{DataType, Int64Type, TimeUnit};
use chrono::{Datelike, NaiveDate};
use datafusion_common::{exec_err, Result};

use super::common::{get, strs, FlinkScalar};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// A unit FLOOR/CEIL rounds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoundUnit {
    /// A fixed number of milliseconds (MILLISECOND … DAY).
    Fixed(i64),
    /// A calendar unit, rounded on a day number.
    Calendar(CalendarUnit),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CalendarUnit {
    Week,
    Month,
    Quarter,
    Year,
    Decade,
    Century,
    Millennium,
}

impl RoundUnit {
    fn parse(s: &str) -> Result<RoundUnit> {
        use CalendarUnit::*;
        Ok(match s.to_ascii_uppercase().as_str() {
            "MILLISECOND" => RoundUnit::Fixed(1),
            "SECOND" => RoundUnit::Fixed(1_000),
            "MINUTE" => RoundUnit::Fixed(60_000),
            "HOUR" => RoundUnit::Fixed(3_600_000),
            "DAY" => RoundUnit::Fixed(MILLIS_PER_DAY),
            "WEEK" => RoundUnit::Calendar(Week),
            "MONTH" => RoundUnit::Calendar(Month),
            "QUARTER" => RoundUnit::Calendar(Quarter),
            "YEAR" => RoundUnit::Calendar(Year),
            "DECADE" => RoundUnit::Calendar(Decade),
            "CENTURY" => RoundUnit::Calendar(Century),
            "MILLENNIUM" => RoundUnit::Calendar(Millennium),
            _ => return exec_err!("FLOOR/CEIL: unsupported time unit '{s}'"),
        })
    }
}

/// Days since 1970-01-01 of the first day of `month` (1-based; 13 is January of the next year).
fn first_of_month(year: i32, month: i32) -> Option<i64> {
    let (year, month) = (year + (month - 1).div_euclid(12), (month - 1).rem_euclid(12) + 1);
    let d = NaiveDate::from_ymd_opt(year, month as u32, 1)?;
    Some(i64::from(d.num_days_from_ce()) - EPOCH_DAYS_FROM_CE)
}

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// Flink's calendar floor (`ceil` false) or ceil of day number `days` (see the module docs).
fn round_days(unit: CalendarUnit, days: i64, ceil: bool) -> Option<i64> {
    let date = NaiveDate::from_num_days_from_ce_opt(i32::try_from(days + EPOCH_DAYS_FROM_CE).ok()?)?;
    let (y, m, d) = (date.year(), date.month() as i32, date.day());
    // Not January 1: CEIL to a year or a quarter moves on.
    let past_new_year = m > 1 || d > 1;
    // Java's integer division (toward zero), as Flink computes the bounds of centuries.
    // Centuries and millennia run from a year ending in 1: 2001-2100 is the 21st century.
    let first_year = |size: i32| {
        let last = size * ((y + size - 1) / size);
        first_of_month(if ceil { last + 1 } else { last - size + 1 }, 1)
    };
    match unit {
        CalendarUnit::Week => {
            // 1970-01-01 was a Thursday; 0 = Sunday.
            let dow = (days + 4).rem_euclid(7);
            Some(if ceil && dow > 0 { days - dow + 7 } else { days - dow })
        }
        CalendarUnit::Month => first_of_month(y, if ceil && d > 1 { m + 1 } else { m }),
        CalendarUnit::Quarter => {
            let q = (m + 2) / 3 + i32::from(ceil && past_new_year);
            first_of_month(y, q * 3 - 2)
        }
        CalendarUnit::Year => first_of_month(if ceil && past_new_year { y + 1 } else { y }, 1),
        CalendarUnit::Decade => first_of_month(10 * (y / 10 + i32::from(ceil)), 1),
        CalendarUnit::Century => first_year(100),
        CalendarUnit::Millennium => first_year(1000),
    }
}

/// Epoch milliseconds → day number as Flink takes it for calendar units: truncated toward zero.
fn truncated_day(ms: i64) -> i64 {
    ms / MILLIS_PER_DAY
}

/// Floor or ceil of `ms` to a multiple of `size`.
fn round_fixed(ms: i64, size: i64, ceil: bool) -> i64 {
    let down = ms.div_euclid(size) * size;
    if ceil && down != ms {
        down + size
    } else {
        down
    }
}

/// Rounds epoch milliseconds of a wall clock (TIMESTAMP) or, with `offset_ms`, of an instant
/// whose wall clock is `ms + offset_ms` (TIMESTAMP_LTZ).
fn round_millis(ms: i64, offset_ms: i64, unit: RoundUnit, ceil: bool) -> Option<i64> {
    let local = ms + offset_ms;
    match unit {
        // Below an hour the offset (whole minutes) changes nothing.
        RoundUnit::Fixed(size) => Some(round_fixed(local, size, ceil) - offset_ms),
        RoundUnit::Calendar(u) => Some(round_days(u, truncated_day(local), ceil)? * MILLIS_PER_DAY - offset_ms),
    }
}

/// `flink_floor(t, unit)` / `flink_ceil(t, unit)`: the result has t's type.
pub(crate) fn floor_ceil(f: &FlinkScalar, a: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    use datafusion_expr::ScalarUDFImpl;
    let ceil = f.name() == "flink_ceil";
    let units = strs(&a[1]);
    let unit_at = |i: usize| get(units, i).map(RoundUnit::parse).transpose();
    if let DataType::Date32 | DataType::Date64 = a[0].data_type() {
        let dates = arrow::compute::cast(&a[0], &DataType::Date32)?;
        let days = dates.as_primitive::<arrow::datatypes::Date32Type>();
        let mut out = Vec::with_capacity(rows);
        for i in 0..rows {
            let (Some(d), Some(unit)) = (get(days, i), unit_at(i)?) else {
                out.push(None);
                continue;
            };
            let d = i64::from(d);
            let r = match unit {
                RoundUnit::Calendar(u) => round_days(u, d, ceil),
                RoundUnit::Fixed(MILLIS_PER_DAY) => Some(if ceil { d + 1 } else { d }),
                // Below a day a DATE is already whole.
                RoundUnit::Fixed(_) => Some(d),
            };
            out.push(r.and_then(|r| i32::try_from(r).ok()));
        }
        return Ok(Arc::new(Date32Array::from(out)));
    }
    let (time_unit, zone) = match a[0].data_type() {
        DataType::Timestamp(u, tz) => (*u, tz.is_some()),
        DataType::Null => return Ok(a[0].clone()),
        t => return exec_err!("FLOOR/CEIL: expected a DATE, TIMESTAMP or TIMESTAMP_LTZ, got {t}"),
    };
    let per_ms: i64 = match time_unit {
        TimeUnit::Second | TimeUnit::Millisecond => 1,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1_000_000,
    };
    let raw = arrow::compute::cast(&a[0], &DataType::Int64)?;
    let raw = raw.as_primitive::<Int64Type>();
    let mut out = Vec::with_capacity(rows);
    for i in 0..rows {
        let (Some(v), Some(unit)) = (get(raw, i), unit_at(i)?) else {
            out.push(None);
            continue;
        };
        // Flink rounds whole milliseconds (`TimestampData.getMillisecond()`).
        let ms = if time_unit == TimeUnit::Second { v * 1000 } else { v.div_euclid(per_ms) };
        let offset_ms = if zone { i64::from(f.cfg.zone.offset_at_millis(ms)) * 1000 } else { 0 };
        let r = round_millis(ms, offset_ms, unit, ceil);
        out.push(r.map(|ms| if time_unit == TimeUnit::Second { ms.div_euclid(1000) } else { ms * per_ms }));
    }
    let arr = Arc::new(Int64Array::from(out)) as ArrayRef;
    Ok(arrow::compute::cast(&arr, a[0].data_type())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDateTime;

    fn ms(s: &str) -> i64 {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap().and_utc().timestamp_millis()
    }

    fn text(ms: i64) -> String {
        let t = chrono::DateTime::from_timestamp_millis(ms).unwrap().naive_utc();
        t.format("%Y-%m-%d %H:%M:%S").to_string()
    }

    fn round(ts: &str, unit: &str, ceil: bool) -> String {
        text(round_millis(ms(ts), 0, RoundUnit::parse(unit).unwrap(), ceil).unwrap())
    }

    /// Rows from Flink 2.3: (input, unit, floor, ceil).
    #[test]
    fn timestamps_round_as_flink() {
        let cases = [
            ("2024-05-01 10:00:00", "MONTH", "2024-05-01", "2024-05-01"),
            ("2024-01-01 10:00:00", "YEAR", "2024-01-01", "2024-01-01"),
            ("2024-04-01 00:00:00", "QUARTER", "2024-04-01", "2024-07-01"),
            ("2024-02-01 00:00:00", "QUARTER", "2024-01-01", "2024-04-01"),
            ("2024-01-01 10:00:00", "QUARTER", "2024-01-01", "2024-01-01"),
            ("2024-12-15 08:00:00", "QUARTER", "2024-10-01", "2025-01-01"),
            ("2024-12-15 08:00:00", "MONTH", "2024-12-01", "2025-01-01"),
            ("1969-12-31 23:00:00", "MONTH", "1970-01-01", "1970-01-01"),
            ("1969-12-31 23:00:00", "YEAR", "1970-01-01", "1970-01-01"),
            ("1969-12-31 23:00:00", "WEEK", "1969-12-28", "1970-01-04"),
            ("1969-06-01 12:00:00", "MONTH", "1969-06-01", "1969-07-01"),
            ("1969-06-15 12:00:00", "WEEK", "1969-06-15", "1969-06-22"),
            ("2024-05-01 10:00:00", "WEEK", "2024-04-28", "2024-05-05"),
            ("2024-05-05 10:00:00", "WEEK", "2024-05-05", "2024-05-05"),
            ("2000-01-01 00:00:00", "DECADE", "2000-01-01", "2010-01-01"),
            ("2000-01-01 00:00:00", "CENTURY", "1901-01-01", "2001-01-01"),
            ("2001-01-01 00:00:00", "CENTURY", "2001-01-01", "2101-01-01"),
            ("1900-03-01 06:00:00", "CENTURY", "1801-01-01", "1901-01-01"),
            ("2024-05-01 10:00:00", "MILLENNIUM", "2001-01-01", "3001-01-01"),
            ("1969-12-31 23:00:00", "MILLENNIUM", "1001-01-01", "2001-01-01"),
            ("1969-12-31 23:00:00", "DAY", "1969-12-31", "1970-01-01"),
            ("1969-01-01 00:00:00.500", "HOUR", "1969-01-01", "1969-01-01 01:00:00"),
            ("2024-05-04 23:59:59.999", "SECOND", "2024-05-04 23:59:59", "2024-05-05"),
        ];
        for (ts, unit, floor, ceil) in cases {
            let full = |s: &str| if s.len() == 10 { format!("{s} 00:00:00") } else { s.to_string() };
            assert_eq!(round(ts, unit, false), full(floor), "FLOOR({ts} TO {unit})");
            assert_eq!(round(ts, unit, true), full(ceil), "CEIL({ts} TO {unit})");
        }
    }

    /// Flink 2.3 in America/New_York: the input's offset (EDT, -4 h) converts back, so the start
    /// of March (EST) comes out an hour early.
    #[test]
    fn ltz_rounds_with_the_input_offset() {
        let edt = -4 * 3_600_000;
        let cases = [
            ("2024-03-15 12:00:00", "MONTH", "2024-03-01 04:00:00", "2024-04-01 04:00:00"),
            ("2024-03-15 12:00:00", "DAY", "2024-03-15 04:00:00", "2024-03-16 04:00:00"),
            ("2024-03-15 12:00:00", "WEEK", "2024-03-10 04:00:00", "2024-03-17 04:00:00"),
        ];
        for (ts, unit, floor, ceil) in cases {
            let u = RoundUnit::parse(unit).unwrap();
            assert_eq!(text(round_millis(ms(ts), edt, u, false).unwrap()), floor, "FLOOR({ts} TO {unit})");
            assert_eq!(text(round_millis(ms(ts), edt, u, true).unwrap()), ceil, "CEIL({ts} TO {unit})");
        }
        // Before 1970 the wall clock's day is truncated too: 1969-12-31 18:00 EST counts as 1970-01-01.
        let est = -5 * 3_600_000;
        let u = RoundUnit::parse("MONTH").unwrap();
        assert_eq!(text(round_millis(ms("1969-12-31 23:00:00"), est, u, false).unwrap()), "1970-01-01 05:00:00");
    }

    #[test]
    fn dates_round_as_flink() {
        let days = |s: &str| {
            i64::from(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap().num_days_from_ce()) - EPOCH_DAYS_FROM_CE
        };
        let cases = [
            ("1969-06-01", CalendarUnit::Month, "1969-06-01", "1969-06-01"),
            ("1969-12-31", CalendarUnit::Quarter, "1969-10-01", "1970-01-01"),
            ("2024-04-01", CalendarUnit::Quarter, "2024-04-01", "2024-07-01"),
            ("1900-03-01", CalendarUnit::Week, "1900-02-25", "1900-03-04"),
        ];
        for (d, unit, floor, ceil) in cases {
            assert_eq!(round_days(unit, days(d), false), Some(days(floor)), "FLOOR({d} TO {unit:?})");
            assert_eq!(round_days(unit, days(d), true), Some(days(ceil)), "CEIL({d} TO {unit:?})");
        }
    }
}
