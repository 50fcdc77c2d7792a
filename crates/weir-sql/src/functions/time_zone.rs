//! The session time zone, Flink's `table.local-time-zone`.
//!
//! A [`LocalTimeZone`] is either a region of the time zone database (`Europe/Berlin`, with its
//! daylight saving time; the tables come from `chrono-tz`, which Arrow already builds, so it costs
//! nothing extra) or a fixed offset (`UTC`, `GMT+08:00`). It converts between the two views of
//! time that Flink's SQL has:
//!
//! * `TIMESTAMP_LTZ` is an instant (held as UTC epoch time); it is shown, and its fields are
//!   read, in the session zone: [`LocalTimeZone::to_local`].
//! * `TIMESTAMP` is a wall-clock reading without a zone; it becomes an instant by reading it in
//!   the session zone: [`LocalTimeZone::to_utc`], with `java.time`'s rules for the hour that does
//!   not exist when clocks go forward (the reading moves later by the gap) and the hour that
//!   happens twice when they go back (the earlier instant).
//!
//! Weir's default is `UTC`. Flink's default is the JVM's zone; Weir's results are compared with a
//! Flink that runs with `table.local-time-zone` = `UTC`, and UTC keeps results independent of the
//! machine.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Offset, TimeDelta, TimeZone};
use chrono_tz::Tz;

/// The session time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LocalTimeZone {
    /// `UTC` (the default).
    #[default]
    Utc,
    /// A fixed offset east of UTC in seconds, written `GMT+08:00`.
    Fixed(i32),
    /// A region of the time zone database, with its history of offsets.
    Region(Tz),
}

impl LocalTimeZone {
    /// Parses a zone id as Flink accepts it for `table.local-time-zone`: a time zone database id
    /// (`America/Los_Angeles`, `CET`), `UTC`, or `GMT` followed by an offset (`GMT+8`,
    /// `GMT-03:30`). Like Flink (which asks that `java.util.TimeZone` and `java.time.ZoneId` agree
    /// on the id), it refuses `UTC+8`, `+08:00`, `Z` and the old three-letter ids `EST`, `MST`,
    /// `HST`.
    ///
    /// # Errors
    /// Flink's message for an id it does not know.
    ///
    /// # Example
    /// ```
    /// use weir_sql::functions::LocalTimeZone;
    /// assert_eq!(LocalTimeZone::parse("GMT+08:00").unwrap(), LocalTimeZone::Fixed(8 * 3600));
    /// assert!(LocalTimeZone::parse("Europe/Berlin").is_ok());
    /// assert!(LocalTimeZone::parse("Europe/Nowhere").is_err());
    /// ```
    pub fn parse(id: &str) -> Result<LocalTimeZone, String> {
        let invalid = || {
            format!(
                "Invalid time zone. The value should be a Time Zone Database (TZDB) ID such as \
                 'America/Los_Angeles' to include daylight saving time. Fixed offsets are supported using \
                 'GMT-03:00' or 'GMT+03:00'. Or use 'UTC' without time zone and daylight saving time. Got: '{id}'"
            )
        };
        if id == "UTC" {
            return Ok(LocalTimeZone::Utc);
        }
        if let Some(rest) = id.strip_prefix("GMT") {
            if rest.is_empty() {
                return Ok(LocalTimeZone::Fixed(0));
            }
            return parse_gmt_offset(rest).map(LocalTimeZone::Fixed).ok_or_else(invalid);
        }
        if matches!(id, "EST" | "MST" | "HST") {
            return Err(invalid());
        }
        match Tz::from_str(id) {
            Ok(tz) => Ok(LocalTimeZone::Region(tz)),
            Err(_) => Err(invalid()),
        }
    }

    /// A zone for `CONVERT_TZ`, which reads its zone ids with `java.util.TimeZone.getTimeZone`:
    /// an id it does not know (`UTC+8`, `+08:00`, `Europe/Nowhere`) is GMT, and the old ids
    /// `EST`, `MST`, `HST` are fixed offsets.
    pub fn of_java_time_zone(id: &str) -> LocalTimeZone {
        match id {
            "EST" => LocalTimeZone::Fixed(-5 * 3600),
            "MST" => LocalTimeZone::Fixed(-7 * 3600),
            "HST" => LocalTimeZone::Fixed(-10 * 3600),
            _ => LocalTimeZone::parse(id).unwrap_or(LocalTimeZone::Fixed(0)),
        }
    }

    /// The offset from UTC, in seconds, at the instant `utc` (a UTC wall clock).
    pub fn offset_at_utc(&self, utc: &NaiveDateTime) -> i32 {
        match self {
            LocalTimeZone::Utc => 0,
            LocalTimeZone::Fixed(s) => *s,
            LocalTimeZone::Region(tz) => tz.offset_from_utc_datetime(utc).fix().local_minus_utc(),
        }
    }

    /// The offset from UTC, in seconds, at epoch milliseconds `ms`.
    pub fn offset_at_millis(&self, ms: i64) -> i32 {
        match (self, DateTime::from_timestamp_millis(ms)) {
            (LocalTimeZone::Region(_), Some(t)) => self.offset_at_utc(&t.naive_utc()),
            (LocalTimeZone::Fixed(s), _) => *s,
            _ => 0,
        }
    }

    /// The wall clock of the zone at the instant `utc`.
    pub fn to_local(&self, utc: &NaiveDateTime) -> NaiveDateTime {
        *utc + TimeDelta::seconds(self.offset_at_utc(utc) as i64)
    }

    /// The instant (as a UTC wall clock) at which the zone's clock shows `local`. A reading in a
    /// gap (clocks going forward) is moved later by the gap's length; a reading that happens
    /// twice (clocks going back) is the earlier instant — as `LocalDateTime.atZone` does.
    pub fn to_utc(&self, local: &NaiveDateTime) -> NaiveDateTime {
        match self {
            LocalTimeZone::Utc => *local,
            LocalTimeZone::Fixed(s) => *local - TimeDelta::seconds(*s as i64),
            LocalTimeZone::Region(tz) => match tz.offset_from_local_datetime(local) {
                chrono::LocalResult::Single(o) => *local - TimeDelta::seconds(o.fix().local_minus_utc() as i64),
                chrono::LocalResult::Ambiguous(a, b) => {
                    let (a, b) = (a.fix().local_minus_utc(), b.fix().local_minus_utc());
                    *local - TimeDelta::seconds(a.max(b) as i64)
                }
                chrono::LocalResult::None => {
                    // The offset in force before the transition: that of the instant a day before.
                    let before = self.offset_at_utc(&(*local - TimeDelta::days(1)));
                    *local - TimeDelta::seconds(before as i64)
                }
            },
        }
    }

    /// [`to_utc`](Self::to_utc) as `java.util.GregorianCalendar` resolves a wall clock (what
    /// `SimpleDateFormat`, and so `UNIX_TIMESTAMP(str)`, uses): the same, except that a reading
    /// that happens twice is the later instant (standard time).
    pub fn to_utc_standard(&self, local: &NaiveDateTime) -> NaiveDateTime {
        if let LocalTimeZone::Region(tz) = self {
            if let chrono::LocalResult::Ambiguous(a, b) = tz.offset_from_local_datetime(local) {
                let (a, b) = (a.fix().local_minus_utc(), b.fix().local_minus_utc());
                return *local - TimeDelta::seconds(a.min(b) as i64);
            }
        }
        self.to_utc(local)
    }

    /// [`to_utc`](Self::to_utc) on epoch milliseconds of a wall clock.
    pub fn local_millis_to_utc(&self, local_ms: i64) -> i64 {
        match (self, DateTime::from_timestamp_millis(local_ms)) {
            (LocalTimeZone::Utc, _) | (_, None) => local_ms,
            (LocalTimeZone::Fixed(s), _) => local_ms - *s as i64 * 1000,
            (_, Some(t)) => self.to_utc(&t.naive_utc()).and_utc().timestamp_millis(),
        }
    }

    /// [`to_local`](Self::to_local) on epoch milliseconds.
    pub fn utc_millis_to_local(&self, ms: i64) -> i64 {
        ms + self.offset_at_millis(ms) as i64 * 1000
    }
}

/// `+8`, `+08`, `+08:00`, `+0800`, `-3:30`: seconds east of UTC, up to 18 hours.
fn parse_gmt_offset(s: &str) -> Option<i32> {
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let s = &s[1..];
    let digits = |t: &str| !t.is_empty() && t.len() <= 2 && t.bytes().all(|c| c.is_ascii_digit());
    let (h, m) = match s.split_once(':') {
        Some((h, m)) if digits(h) && m.len() == 2 && digits(m) => (h, m),
        None if digits(s) => (s, "0"),
        None if s.len() == 4 && s.bytes().all(|c| c.is_ascii_digit()) => (&s[..2], &s[2..]),
        _ => return None,
    };
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 18 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

impl fmt::Display for LocalTimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalTimeZone::Utc => f.write_str("UTC"),
            LocalTimeZone::Fixed(0) => f.write_str("GMT"),
            LocalTimeZone::Fixed(s) => {
                let sign = if *s < 0 { '-' } else { '+' };
                write!(f, "GMT{sign}{:02}:{:02}", s.abs() / 3600, s.abs() % 3600 / 60)
            }
            LocalTimeZone::Region(tz) => f.write_str(tz.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn parses_ids_as_flink_does() {
        let ok = [
            ("UTC", LocalTimeZone::Utc),
            ("GMT", LocalTimeZone::Fixed(0)),
            ("GMT+8", LocalTimeZone::Fixed(8 * 3600)),
            ("GMT+08:00", LocalTimeZone::Fixed(8 * 3600)),
            ("GMT-03:30", LocalTimeZone::Fixed(-(3 * 3600 + 1800))),
            ("Europe/Berlin", LocalTimeZone::Region(Tz::Europe__Berlin)),
            ("CET", LocalTimeZone::Region(Tz::CET)),
        ];
        for (id, want) in ok {
            assert_eq!(LocalTimeZone::parse(id), Ok(want), "{id}");
        }
        for id in ["UTC+8", "+08:00", "Z", "EST", "Europe/Nowhere", "GMT+19", "GMT+8:0", "", "utc"] {
            assert!(LocalTimeZone::parse(id).is_err(), "{id}");
        }
        assert_eq!(LocalTimeZone::of_java_time_zone("UTC+8"), LocalTimeZone::Fixed(0));
        assert_eq!(LocalTimeZone::of_java_time_zone("Europe/Nowhere"), LocalTimeZone::Fixed(0));
        assert_eq!(LocalTimeZone::of_java_time_zone("EST"), LocalTimeZone::Fixed(-5 * 3600));
    }

    #[test]
    fn dst_gaps_and_overlaps_follow_java_time() {
        let berlin = LocalTimeZone::parse("Europe/Berlin").unwrap();
        let ny = LocalTimeZone::parse("America/New_York").unwrap();
        let cases = [
            // (zone, local, utc)
            (berlin, "2024-03-31 01:59:59", "2024-03-31 00:59:59"),
            (berlin, "2024-03-31 02:30:00", "2024-03-31 01:30:00"), // gap: shown 03:30
            (berlin, "2024-03-31 03:00:00", "2024-03-31 01:00:00"),
            (berlin, "2024-10-27 02:30:00", "2024-10-27 00:30:00"), // twice: the earlier
            (berlin, "2024-10-27 03:00:00", "2024-10-27 02:00:00"),
            (ny, "2024-03-10 02:30:00", "2024-03-10 07:30:00"),
            (ny, "2024-11-03 01:30:00", "2024-11-03 05:30:00"),
        ];
        for (z, local, utc) in cases {
            assert_eq!(z.to_utc(&dt(local)), dt(utc), "{z} {local}");
        }
        assert_eq!(berlin.to_utc_standard(&dt("2024-10-27 02:30:00")), dt("2024-10-27 01:30:00"));
        assert_eq!(ny.to_utc_standard(&dt("2024-11-03 01:30:00")), dt("2024-11-03 06:30:00"));
        assert_eq!(ny.to_utc_standard(&dt("2024-03-10 02:30:00")), dt("2024-03-10 07:30:00"));
        assert_eq!(berlin.to_local(&dt("2024-03-31 01:00:00")), dt("2024-03-31 03:00:00"));
        assert_eq!(berlin.to_local(&dt("2024-10-27 01:00:00")), dt("2024-10-27 02:00:00"));
        assert_eq!(ny.to_local(&dt("2024-11-03 06:30:00")), dt("2024-11-03 01:30:00"));
    }
}
