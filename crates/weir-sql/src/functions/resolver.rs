//! Turning parsed date-time fields into a date-time the way each of Flink's Java parsers does,
//! including for fields out of range (checked against Flink 2.3):
//!
//! | parser | used by | `2024-02-30` | `2024-13-01` | `25:61:61` | two-digit `yy` | before 1582-10-15 |
//! |---|---|---|---|---|---|---|
//! | `DateTimeFormatter`, SMART ([`Fields::resolve_smart`]) | TO_TIMESTAMP | 2024-02-29 (clamped) | NULL | NULL (`24:00:00` is the next midnight) | 2000–2099 | proleptic Gregorian |
//! | lenient `SimpleDateFormat` ([`Fields::resolve_lenient`]) | TO_DATE with a format, UNIX_TIMESTAMP, CONVERT_TZ, DATE_FORMAT of a string | 2024-03-01 (rolled over) | 2025-01-01 | next day 02:02:01 | within 80 years before and 20 after today | Julian calendar |
//! | `java.sql.Timestamp.valueOf` / `Date.valueOf` ([`sql_value_of`]) | TO_TIMESTAMP's fallback when its format does not match | 2024-03-01 | NULL | next day 02:02:01 | — | proleptic Gregorian |
//!
//! The lenient parser reads a date before the Gregorian reform (1582-10-15) in the Julian
//! calendar, as `java.util.GregorianCalendar` does: `TO_DATE('01.06.24', 'dd.MM.yyyy')` is
//! 0024-05-30 in the proleptic Gregorian calendar Flink prints.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

const MILLIS_PER_DAY: i64 = 86_400_000;

/// `NaiveDate::num_days_from_ce` of 1970-01-01.
const EPOCH_DAYS_FROM_CE: i64 = 719_163;

/// Days since 1970-01-01 of 1582-10-15, the first day of the Gregorian calendar.
const GREGORIAN_CUTOVER_DAY: i64 = -141_427;

/// Date and time fields as a pattern read them, not yet checked against their ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fields {
    pub year: i64,
    pub month: i64,
    pub day: i64,
    /// Day of the year, when the pattern had `D` (it replaces month and day).
    pub day_of_year: Option<i64>,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
    pub nanos: i64,
    /// The year was exactly two digits for a `y`/`yy` field of SimpleDateFormat, to be placed
    /// in the century window around today.
    pub two_digit_year: bool,
}

impl Default for Fields {
    /// 1970-01-01 00:00:00, what Flink completes missing fields with.
    fn default() -> Self {
        Fields {
            year: 1970,
            month: 1,
            day: 1,
            day_of_year: None,
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
            two_digit_year: false,
        }
    }
}

/// Days since 1970-01-01 of day `day` (counted from 1, any value) of month `month` (any value,
/// 13 is January of the next year) of `year`, in the proleptic Gregorian calendar.
fn gregorian_days(year: i64, month: i64, day: i64) -> Option<i64> {
    let y = year.checked_add((month - 1).div_euclid(12))?;
    let m = (month - 1).rem_euclid(12) + 1;
    let first = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m as u32, 1)?;
    Some(i64::from(first.num_days_from_ce()) - EPOCH_DAYS_FROM_CE + day - 1)
}

/// [`gregorian_days`] for a date of the Julian calendar.
fn julian_days(year: i64, month: i64, day: i64) -> Option<i64> {
    let y = year.checked_add((month - 1).div_euclid(12))?;
    let m = (month - 1).rem_euclid(12) + 1;
    // Julian day number of the first of the month (the usual month-from-March formula).
    let a = (14 - m) / 12;
    let (yy, mm) = (y + 4800 - a, m + 12 * a - 3);
    let jdn = 1 + (153 * mm + 2) / 5 + 365 * yy + yy.div_euclid(4) - 32_083;
    Some(jdn - 2_440_588 + day - 1)
}

/// `java.util.GregorianCalendar`'s day: Gregorian from the reform on, Julian before it.
fn calendar_days(year: i64, month: i64, day: i64) -> Option<i64> {
    let g = gregorian_days(year, month, day)?;
    if g >= GREGORIAN_CUTOVER_DAY {
        Some(g)
    } else {
        julian_days(year, month, day)
    }
}

fn to_date_time(days: i64, time_ms: i64, nanos_of_milli: i64) -> Option<NaiveDateTime> {
    let ms = days.checked_mul(MILLIS_PER_DAY)?.checked_add(time_ms)?;
    let t = DateTime::from_timestamp_millis(ms)?.naive_utc();
    Some(t + TimeDelta::nanoseconds(nanos_of_milli))
}

impl Fields {
    /// `DateTimeFormatter` with `ResolverStyle.SMART`: each field within its range (day 1–31,
    /// month 1–12, hour 0–23, minute and second 0–59), a day past the month's end clamped to
    /// it, and `24:00:00` read as the next day's midnight.
    pub(crate) fn resolve_smart(&self) -> Option<NaiveDateTime> {
        let date = match self.day_of_year {
            Some(d) => NaiveDate::from_yo_opt(i32::try_from(self.year).ok()?, u32::try_from(d).ok()?)?,
            None => {
                if !(1..=12).contains(&self.month) || !(1..=31).contains(&self.day) {
                    return None;
                }
                let first = NaiveDate::from_ymd_opt(i32::try_from(self.year).ok()?, self.month as u32, 1)?;
                let last = first.checked_add_months(Months::new(1))?.pred_opt()?.day();
                first.with_day((self.day as u32).min(last))?
            }
        };
        if !(0..=59).contains(&self.minute) || !(0..=59).contains(&self.second) {
            return None;
        }
        if self.hour == 24 && self.minute == 0 && self.second == 0 && self.nanos == 0 {
            return Some(date.succ_opt()?.and_time(NaiveTime::MIN));
        }
        let time =
            NaiveTime::from_hms_nano_opt(self.hour as u32, self.minute as u32, self.second as u32, self.nanos as u32)?;
        (0..=23).contains(&self.hour).then(|| date.and_time(time))
    }

    /// Lenient `SimpleDateFormat` (`java.util.GregorianCalendar`): every field rolls over into
    /// the next larger one, dates before 1582-10-15 are Julian, and a two-digit year lies
    /// within 80 years before and 20 after `now`.
    pub(crate) fn resolve_lenient(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let at = |year: i64| {
            let days = match self.day_of_year {
                Some(d) => calendar_days(year, 1, d)?,
                None => calendar_days(year, self.month, self.day)?,
            };
            let time = self.hour * 3_600_000 + self.minute * 60_000 + self.second * 1_000;
            to_date_time(days, time + self.nanos / 1_000_000, self.nanos % 1_000_000)
        };
        if !self.two_digit_year {
            return at(self.year);
        }
        let start = now.checked_sub_months(Months::new(80 * 12))?;
        let year = i64::from(start.year()) / 100 * 100 + self.year;
        let t = at(year)?;
        if t < start {
            at(year + 100)
        } else {
            Some(t)
        }
    }
}

/// A date-time as `java.util.GregorianCalendar` shows it (lenient `SimpleDateFormat`
/// formatting): before the Gregorian reform with the Julian calendar's year, month and day, so
/// that a date parsed there reads back as written (0024-05-30 shows as 0024-06-01).
pub(crate) fn as_calendar_shows(t: NaiveDateTime) -> NaiveDateTime {
    let days = i64::from(t.date().num_days_from_ce()) - EPOCH_DAYS_FROM_CE;
    if days >= GREGORIAN_CUTOVER_DAY {
        return t;
    }
    // The Julian calendar date of a Julian day number (the usual month-from-March formula).
    let c = days + 2_440_588 + 32_082;
    let d = (4 * c + 3).div_euclid(1461);
    let e = c - (1461 * d).div_euclid(4);
    let m = (5 * e + 2) / 153;
    let (day, month, year) = (e - (153 * m + 2) / 5 + 1, m + 3 - 12 * (m / 10), d - 4800 + m / 10);
    // A Julian February 29 the proleptic calendar lacks (1500) stays as it is.
    NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32).map_or(t, |d| d.and_time(t.time()))
}

/// `java.sql.Timestamp.valueOf(s)` (when `s` has a space) or `java.sql.Date.valueOf(s)`: a
/// four-digit year, a month of 1–12 and a day of 1–31 in one or two digits, a time whose
/// fields roll over (`25:61:61`) and up to nine fraction digits; the day rolls over too.
pub(crate) fn sql_value_of(s: &str) -> Option<NaiveDateTime> {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?: (\d{1,9}):(\d{1,9}):(\d{1,9})(?:\.(\d{1,9}))?)?$")
            .expect("valid regex")
    });
    let c = re.captures(s)?;
    let n = |i: usize| c.get(i).map_or(Some(0), |m| m.as_str().parse::<i64>().ok());
    let (month, day) = (n(2)?, n(3)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let nanos = c.get(7).map_or(0, |m| {
        let t = m.as_str();
        t.parse::<i64>().unwrap_or(0) * 10i64.pow(9 - t.len() as u32)
    });
    let time = n(4)? * 3_600_000 + n(5)? * 60_000 + n(6)? * 1_000;
    to_date_time(gregorian_days(n(1)?, month, day)?, time + nanos / 1_000_000, nanos % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i64, m: i64, d: i64) -> Fields {
        Fields { year: y, month: m, day: d, ..Fields::default() }
    }

    fn text(t: Option<NaiveDateTime>) -> String {
        t.map_or("NULL".into(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
    }

    fn now() -> NaiveDateTime {
        NaiveDateTime::parse_from_str("2026-11-23 09:00:00", "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn the_cutover_constant_is_1582_10_15() {
        let cutover = NaiveDate::from_num_days_from_ce_opt((GREGORIAN_CUTOVER_DAY + EPOCH_DAYS_FROM_CE) as i32);
        assert_eq!(cutover, NaiveDate::from_ymd_opt(1582, 10, 15));
        assert_eq!(julian_days(1582, 10, 5), Some(GREGORIAN_CUTOVER_DAY));
        assert_eq!(julian_days(1969, 12, 19), Some(0));
    }

    /// Flink 2.3's TO_TIMESTAMP(s, 'yyyy-MM-dd HH:mm:ss').
    #[test]
    fn smart_clamps_the_day_and_refuses_other_fields_out_of_range() {
        let cases = [
            (ymd(2024, 2, 30), "2024-02-29 00:00:00"),
            (ymd(2023, 2, 29), "2023-02-28 00:00:00"),
            (ymd(2024, 4, 31), "2024-04-30 00:00:00"),
            (ymd(2024, 13, 1), "NULL"),
            (ymd(2024, 0, 10), "NULL"),
            (ymd(2024, 1, 0), "NULL"),
            (ymd(2024, 1, 32), "NULL"),
            (Fields { hour: 24, ..ymd(2024, 2, 28) }, "2024-02-29 00:00:00"),
            (Fields { hour: 24, second: 1, ..ymd(2024, 2, 28) }, "NULL"),
            (Fields { hour: 25, ..ymd(2024, 2, 28) }, "NULL"),
            (Fields { minute: 60, ..ymd(2024, 2, 28) }, "NULL"),
        ];
        for (f, want) in cases {
            assert_eq!(text(f.resolve_smart()), want, "{f:?}");
        }
    }

    /// Flink 2.3's TO_DATE(s, fmt) / UNIX_TIMESTAMP(s) / CONVERT_TZ(s, …).
    #[test]
    fn lenient_rolls_over_and_reads_old_dates_as_julian() {
        let cases = [
            (ymd(2024, 2, 30), "2024-03-01 00:00:00"),
            (ymd(2024, 13, 1), "2025-01-01 00:00:00"),
            (ymd(2024, 0, 10), "2023-12-10 00:00:00"),
            (ymd(2024, 1, 0), "2023-12-31 00:00:00"),
            (ymd(2024, 1, 32), "2024-02-01 00:00:00"),
            (Fields { hour: 25, minute: 61, second: 61, ..ymd(2024, 2, 28) }, "2024-02-29 02:02:01"),
            (ymd(24, 6, 1), "0024-05-30 00:00:00"),
            (ymd(24, 2, 30), "0024-02-28 00:00:00"),
            (ymd(5, 1, 1), "0004-12-30 00:00:00"),
            (ymd(1000, 1, 1), "1000-01-06 00:00:00"),
            (ymd(1582, 1, 1), "1582-01-11 00:00:00"),
            (ymd(1582, 10, 4), "1582-10-14 00:00:00"),
            (ymd(1582, 10, 10), "1582-10-20 00:00:00"),
            (ymd(1582, 10, 15), "1582-10-15 00:00:00"),
            (ymd(1900, 2, 29), "1900-03-01 00:00:00"),
        ];
        for (f, want) in cases {
            assert_eq!(text(f.resolve_lenient(now())), want, "{f:?}");
        }
    }

    /// Today 2026-11-23: two-digit years run from 1946-11-23 to 2046-11-22.
    #[test]
    fn lenient_two_digit_years_fall_in_the_window_around_today() {
        let two = |y, m, d| Fields { two_digit_year: true, ..ymd(y, m, d) };
        let cases = [
            (two(24, 6, 1), "2024-06-01"),
            (two(99, 6, 1), "1999-06-01"),
            (two(45, 6, 1), "2045-06-01"),
            (two(46, 6, 1), "2046-06-01"),
            (two(46, 11, 24), "1946-11-24"),
            (two(46, 11, 22), "2046-11-22"),
        ];
        for (f, want) in cases {
            assert_eq!(text(f.resolve_lenient(now()))[..10], *want, "{f:?}");
        }
    }

    #[test]
    fn old_dates_show_in_the_julian_calendar() {
        for f in [ymd(24, 6, 1), ymd(1000, 1, 1), ymd(1582, 10, 4), ymd(1582, 10, 15), ymd(2024, 2, 29)] {
            let t = f.resolve_lenient(now()).unwrap();
            let shown = as_calendar_shows(t);
            assert_eq!((shown.year() as i64, shown.month() as i64, shown.day() as i64), (f.year, f.month, f.day));
        }
    }

    #[test]
    fn sql_value_of_checks_month_and_day_and_rolls_the_rest() {
        let cases = [
            ("2024-02-28 25:61:61", "2024-02-29 02:02:01"),
            ("2024-6-31 1:2:3", "2024-07-01 01:02:03"),
            ("2024-02-30", "2024-03-01 00:00:00"),
            ("2024-13-01 00:00:00", "NULL"),
            ("2024-01-32", "NULL"),
            ("24-01-01", "NULL"),
            ("2024-01-01 00:00", "NULL"),
        ];
        for (s, want) in cases {
            assert_eq!(text(sql_value_of(s)), want, "{s}");
        }
    }
}
