//! Flink temporal functions (session time zone UTC unless stated).

use crate::functions_common;

use chrono::{FixedOffset, NaiveDate};
use datafusion_common::ScalarValue;
use functions_common::*;
use weir_sql::functions::FunctionConfig;

fn o(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// Epoch millis of a UTC wall-clock time.
fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32, sec: u32, milli: u32) -> i64 {
    NaiveDate::from_ymd_opt(y, mo, d)
        .unwrap()
        .and_hms_milli_opt(h, mi, sec, milli)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

fn ts(millis: i64) -> ScalarValue {
    ScalarValue::TimestampMillisecond(Some(millis), None)
}

fn ltz(millis: i64) -> ScalarValue {
    ScalarValue::TimestampMillisecond(Some(millis), Some("UTC".into()))
}

fn days(y: i32, m: u32, d: u32) -> i32 {
    (NaiveDate::from_ymd_opt(y, m, d).unwrap() - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days() as i32
}

fn plus8() -> FunctionConfig {
    FunctionConfig::with_offset(FixedOffset::east_opt(8 * 3600).unwrap())
}

#[test]
fn date_format_timestamp() {
    let t = ts(ms(2023, 3, 5, 7, 8, 9, 123));
    assert_eq!(cs("date_format", vec![t.clone(), s("yyyy-MM-dd HH:mm:ss")]), o("2023-03-05 07:08:09"));
    assert_eq!(cs("date_format", vec![t.clone(), s("yyyy/MM/dd HH:mm:ss.SSS")]), o("2023/03/05 07:08:09.123"));
    assert_eq!(cs("date_format", vec![t.clone(), s("EEE, MMM d yyyy")]), o("Sun, Mar 5 2023"));
    assert_eq!(cs("date_format", vec![t.clone(), s("EEEE MMMM yy")]), o("Sunday March 23"));
    assert_eq!(cs("date_format", vec![t.clone(), s("hh:mm a 'o''clock'")]), o("07:08 AM o'clock"));
    assert_eq!(cs("date_format", vec![t, s("D")]), o("64"));
    assert_eq!(cs("date_format", vec![ScalarValue::TimestampMillisecond(None, None), s("yyyy")]), None);
    // A DATE is refused, as Flink 2.3 refuses it ("Cannot apply 'DATE_FORMAT' …").
}

#[test]
fn date_format_string_and_ltz() {
    assert_eq!(cs("date_format", vec![s("2023-03-05 07:08:09"), s("yyyyMMdd HH")]), o("20230305 07"));
    assert_eq!(cs("date_format", vec![s("2023-03-05"), s("yyyy")]), None);
    assert_eq!(cs("date_format", vec![s("garbage"), s("yyyy")]), None);
    let out = call_with("date_format", plus8(), vec![ltz(0), s("yyyy-MM-dd HH:mm:ss")]).unwrap();
    assert_eq!(out, s("1970-01-01 08:00:00"));
    // TIMESTAMP (without zone) is not shifted by the session zone.
    let out = call_with("date_format", plus8(), vec![ts(0), s("yyyy-MM-dd HH:mm:ss")]).unwrap();
    assert_eq!(out, s("1970-01-01 00:00:00"));
}

#[test]
fn to_timestamp() {
    let t = |v: i64| ScalarValue::TimestampMillisecond(Some(v), None);
    assert_eq!(call("to_timestamp", vec![s("2023-03-05 07:08:09")]), t(ms(2023, 3, 5, 7, 8, 9, 0)));
    assert_eq!(call("to_timestamp", vec![s("2023-03-05")]), t(ms(2023, 3, 5, 0, 0, 0, 0)));
    assert_eq!(call("to_timestamp", vec![s("2023-3-5 7:08:09.5")]), t(ms(2023, 3, 5, 7, 8, 9, 500)));
    assert_eq!(call("to_timestamp", vec![s("2023-03-05 07:08:09.123456")]), t(ms(2023, 3, 5, 7, 8, 9, 123)));
    assert_eq!(call("to_timestamp", vec![s("2023-03-05T07:08:09")]), ScalarValue::TimestampMillisecond(None, None));
    // Flink 2.3 clamps a day past the month's end (DateTimeFormatter SMART).
    assert_eq!(call("to_timestamp", vec![s("2023-02-30 00:00:00")]), t(ms(2023, 2, 28, 0, 0, 0, 0)));
    assert_eq!(call("to_timestamp", vec![s("05/03/2023 07:08"), s("dd/MM/yyyy HH:mm")]), t(ms(2023, 3, 5, 7, 8, 0, 0)));
    assert_eq!(call("to_timestamp", vec![s("20230305"), s("yyyyMMdd")]), t(ms(2023, 3, 5, 0, 0, 0, 0)));
    assert_eq!(call("to_timestamp", vec![s("1999-9-10"), s("yyyy-MM-dd")]), t(ms(1999, 9, 10, 0, 0, 0, 0)));
    assert_eq!(call("to_timestamp", vec![s("bad"), s("yyyy")]), ScalarValue::TimestampMillisecond(None, None));
    assert_eq!(call("to_timestamp", vec![null_s()]), ScalarValue::TimestampMillisecond(None, None));
}

#[test]
fn to_timestamp_ltz() {
    assert_eq!(call("to_timestamp_ltz", vec![i(1_700_000_000), i(0)]), ltz(1_700_000_000_000));
    assert_eq!(call("to_timestamp_ltz", vec![i(1_700_000_000_123), i(3)]), ltz(1_700_000_000_123));
    assert_eq!(call("to_timestamp_ltz", vec![i(1_700_000_000_123)]), ltz(1_700_000_000_123));
    assert_eq!(call("to_timestamp_ltz", vec![f(1.5), i(0)]), ltz(1500));
    assert_eq!(
        call("to_timestamp_ltz", vec![i(253_402_300_800), i(0)]),
        ScalarValue::TimestampMillisecond(None, Some("UTC".into()))
    );
    assert!(try_call("to_timestamp_ltz", vec![i(1), i(6)]).is_err());
}

#[test]
fn to_date() {
    let d = |y, m, dd| ScalarValue::Date32(Some(days(y, m, dd)));
    assert_eq!(call("to_date", vec![s("2023-03-05")]), d(2023, 3, 5));
    assert_eq!(call("to_date", vec![s("2023-3-5 10:00:00")]), d(2023, 3, 5));
    assert_eq!(call("to_date", vec![s("2023")]), d(2023, 1, 1));
    assert_eq!(call("to_date", vec![s("2023-02-30")]), ScalarValue::Date32(None));
    assert_eq!(call("to_date", vec![s("x-1-1")]), ScalarValue::Date32(None));
    assert_eq!(call("to_date", vec![s("05/03/2023"), s("dd/MM/yyyy")]), d(2023, 3, 5));
}

#[test]
fn unix_timestamp_and_from_unixtime() {
    assert_eq!(ci("unix_timestamp", vec![s("1970-01-01 00:01:40")]), Some(100));
    assert_eq!(ci("unix_timestamp", vec![s("1970/01/02"), s("yyyy/MM/dd")]), Some(86400));
    assert_eq!(ci("unix_timestamp", vec![s("not a date")]), Some(i64::MIN));
    assert_eq!(ci("unix_timestamp", vec![null_s()]), None);
    let out = call_with("unix_timestamp", plus8(), vec![s("1970-01-01 08:00:00")]).unwrap();
    assert_eq!(out, i(0));
    let now = ci("unix_timestamp", vec![]).unwrap();
    assert!((now - chrono::Utc::now().timestamp()).abs() <= 2);

    assert_eq!(cs("from_unixtime", vec![i(100)]), o("1970-01-01 00:01:40"));
    assert_eq!(cs("from_unixtime", vec![i(86400), s("yyyy/MM/dd")]), o("1970/01/02"));
    assert_eq!(cs("from_unixtime", vec![null_i()]), None);
    assert_eq!(call_with("from_unixtime", plus8(), vec![i(0)]).unwrap(), s("1970-01-01 08:00:00"));
}

#[test]
fn extract_fields() {
    let t = ts(ms(2023, 3, 5, 7, 8, 9, 0));
    let expect = [
        ("year", 2023),
        ("quarter", 1),
        ("month", 3),
        ("week", 9),
        ("dayofyear", 64),
        ("dayofmonth", 5),
        ("dayofweek", 1),
        ("hour", 7),
        ("minute", 8),
        ("second", 9),
    ];
    for (name, v) in expect {
        assert_eq!(ci(name, vec![t.clone()]), Some(v), "{name}");
    }
    assert_eq!(ci("dayofweek", vec![ScalarValue::Date32(Some(days(2023, 3, 11)))]), Some(7));
    assert_eq!(ci("quarter", vec![ScalarValue::Date32(Some(days(2023, 12, 31)))]), Some(4));
    // ISO week: 2021-01-03 belongs to week 53 of 2020.
    assert_eq!(ci("week", vec![ScalarValue::Date32(Some(days(2021, 1, 3)))]), Some(53));
    assert_eq!(ci("year", vec![ScalarValue::TimestampMillisecond(None, None)]), None);
    // TIMESTAMP_LTZ fields are read in the session zone.
    assert_eq!(call_with("hour", plus8(), vec![ltz(ms(2023, 3, 5, 20, 0, 0, 0))]).unwrap(), i(4));
}

#[test]
fn timestampadd() {
    let t = ts(ms(2023, 1, 31, 10, 0, 0, 0));
    assert_eq!(call("timestampadd", vec![s("DAY"), i(1), t.clone()]), ts(ms(2023, 2, 1, 10, 0, 0, 0)));
    assert_eq!(call("timestampadd", vec![s("MONTH"), i(1), t.clone()]), ts(ms(2023, 2, 28, 10, 0, 0, 0)));
    assert_eq!(call("timestampadd", vec![s("year"), i(-1), t.clone()]), ts(ms(2022, 1, 31, 10, 0, 0, 0)));
    assert_eq!(call("timestampadd", vec![s("QUARTER"), i(1), t.clone()]), ts(ms(2023, 4, 30, 10, 0, 0, 0)));
    assert_eq!(call("timestampadd", vec![s("SECOND"), i(90), t.clone()]), ts(ms(2023, 1, 31, 10, 1, 30, 0)));
    assert_eq!(call("timestampadd", vec![s("WEEK"), i(1), t.clone()]), ts(ms(2023, 2, 7, 10, 0, 0, 0)));
    let d = ScalarValue::Date32(Some(days(2023, 3, 5)));
    assert_eq!(call("timestampadd", vec![s("DAY"), i(3), d.clone()]), ScalarValue::Date32(Some(days(2023, 3, 8))));
    assert!(try_call("timestampadd", vec![s("HOUR"), i(1), d]).is_err());
    assert!(try_call("timestampadd", vec![s("FORTNIGHT"), i(1), t]).is_err());
}

#[test]
fn timestampdiff() {
    let a = ts(ms(2023, 3, 5, 0, 0, 0, 0));
    let b = ts(ms(2023, 3, 7, 12, 0, 0, 0));
    assert_eq!(ci("timestampdiff", vec![s("DAY"), a.clone(), b.clone()]), Some(2));
    assert_eq!(ci("timestampdiff", vec![s("HOUR"), b.clone(), a.clone()]), Some(-60));
    assert_eq!(ci("timestampdiff", vec![s("SECOND"), a.clone(), b]), Some(216_000));
    let jan31 = ts(ms(2023, 1, 31, 0, 0, 0, 0));
    let feb28 = ts(ms(2023, 2, 28, 0, 0, 0, 0));
    assert_eq!(ci("timestampdiff", vec![s("MONTH"), jan31, feb28]), Some(1));
    let leap = ts(ms(2020, 2, 29, 0, 0, 0, 0));
    let next = ts(ms(2021, 2, 28, 0, 0, 0, 0));
    assert_eq!(ci("timestampdiff", vec![s("YEAR"), leap, next]), Some(1));
    let m1 = ts(ms(2023, 1, 15, 12, 0, 0, 0));
    let m2 = ts(ms(2023, 2, 15, 8, 0, 0, 0));
    assert_eq!(ci("timestampdiff", vec![s("MONTH"), m1, m2]), Some(0));
    let d1 = ScalarValue::Date32(Some(days(2023, 1, 1)));
    let d2 = ScalarValue::Date32(Some(days(2024, 1, 1)));
    assert_eq!(ci("timestampdiff", vec![s("DAY"), d1.clone(), d2.clone()]), Some(365));
    assert_eq!(ci("timestampdiff", vec![s("QUARTER"), d1, d2]), Some(4));
    assert_eq!(ci("timestampdiff", vec![s("DAY"), a, ScalarValue::TimestampMillisecond(None, None)]), None);
}

#[test]
fn convert_tz() {
    assert_eq!(cs("convert_tz", vec![s("1970-01-01 00:00:00"), s("UTC"), s("GMT+08:00")]), o("1970-01-01 08:00:00"));
    assert_eq!(cs("convert_tz", vec![s("2023-03-05 01:00:00"), s("GMT+8"), s("UTC")]), o("2023-03-04 17:00:00"));
    assert_eq!(
        cs("convert_tz", vec![s("2023-03-05 01:00:00"), s("Asia/Shanghai"), s("UTC")]),
        o("2023-03-04 17:00:00")
    );
    // Daylight saving time of the named zones.
    let berlin = |t: &str| cs("convert_tz", vec![s(t), s("UTC"), s("Europe/Berlin")]);
    assert_eq!(berlin("2024-03-31 00:59:59"), o("2024-03-31 01:59:59"));
    assert_eq!(berlin("2024-03-31 01:00:00"), o("2024-03-31 03:00:00"));
    assert_eq!(berlin("2024-10-27 00:30:00"), o("2024-10-27 02:30:00"));
    assert_eq!(berlin("2024-10-27 01:30:00"), o("2024-10-27 02:30:00"));
    let ny = |t: &str| cs("convert_tz", vec![s(t), s("America/New_York"), s("UTC")]);
    assert_eq!(ny("2024-03-10 02:30:00"), o("2024-03-10 07:30:00"));
    assert_eq!(ny("2024-07-01 12:00:00"), o("2024-07-01 16:00:00"));
    // java.util.TimeZone reads ids it does not know as GMT (checked against Flink 2.3).
    assert_eq!(cs("convert_tz", vec![s("1970-01-01 00:00:00"), s("UTC+8"), s("UTC")]), o("1970-01-01 00:00:00"));
    assert_eq!(
        cs("convert_tz", vec![s("1970-01-01 00:00:00"), s("Europe/Nowhere"), s("UTC")]),
        o("1970-01-01 00:00:00")
    );
}

fn zone(id: &str) -> FunctionConfig {
    FunctionConfig::with_zone(weir_sql::functions::LocalTimeZone::parse(id).unwrap())
}

#[test]
fn named_zones_follow_daylight_saving_time() {
    let berlin = zone("Europe/Berlin");
    let fmt = |cfg: FunctionConfig, t: i64| {
        call_with("date_format", cfg, vec![ltz(t), s("yyyy-MM-dd HH:mm:ss")]).unwrap().to_string()
    };
    // Clocks go forward at 2024-03-31 01:00 UTC and back at 2024-10-27 01:00 UTC.
    assert_eq!(fmt(berlin, ms(2024, 3, 31, 0, 59, 59, 0)), "2024-03-31 01:59:59");
    assert_eq!(fmt(berlin, ms(2024, 3, 31, 1, 0, 0, 0)), "2024-03-31 03:00:00");
    assert_eq!(fmt(berlin, ms(2024, 10, 27, 0, 30, 0, 0)), "2024-10-27 02:30:00");
    assert_eq!(fmt(berlin, ms(2024, 10, 27, 1, 30, 0, 0)), "2024-10-27 02:30:00");
    let ny = zone("America/New_York");
    assert_eq!(fmt(ny, ms(2024, 3, 10, 7, 0, 0, 0)), "2024-03-10 03:00:00");
    assert_eq!(fmt(ny, ms(2024, 11, 3, 6, 30, 0, 0)), "2024-11-03 01:30:00");
    // HOUR of an LTZ in the zone; of a TIMESTAMP as it is.
    assert_eq!(call_with("hour", berlin, vec![ltz(ms(2024, 3, 31, 1, 0, 0, 0))]).unwrap(), i(3));
    assert_eq!(call_with("hour", berlin, vec![ts(ms(2024, 3, 31, 1, 0, 0, 0))]).unwrap(), i(1));
    // UNIX_TIMESTAMP reads a wall clock in the zone: a gap moves later, a repeated hour is the
    // later (standard-time) instant, as SimpleDateFormat does (checked against Flink 2.3).
    let unix = |cfg: FunctionConfig, t: &str| call_with("unix_timestamp", cfg, vec![s(t)]).unwrap();
    assert_eq!(unix(berlin, "2024-03-31 02:30:00"), i(ms(2024, 3, 31, 1, 30, 0, 0) / 1000));
    assert_eq!(unix(berlin, "2024-10-27 02:30:00"), i(ms(2024, 10, 27, 1, 30, 0, 0) / 1000));
    assert_eq!(unix(ny, "2024-11-03 01:30:00"), i(ms(2024, 11, 3, 6, 30, 0, 0) / 1000));
    let from =
        |cfg: FunctionConfig, secs: i64| call_with("from_unixtime", cfg, vec![i(secs), s("yyyy-MM-dd HH:mm:ss Z")]);
    assert_eq!(from(berlin, ms(2024, 10, 27, 0, 30, 0, 0) / 1000).unwrap(), s("2024-10-27 02:30:00 +0200"));
    assert_eq!(from(berlin, ms(2024, 10, 27, 1, 30, 0, 0) / 1000).unwrap(), s("2024-10-27 02:30:00 +0100"));
}

#[test]
fn flink_cast_moves_between_wall_clocks_and_instants() {
    let ts_type = ScalarValue::TimestampMillisecond(None, None);
    let ltz_type = ScalarValue::TimestampMillisecond(None, Some("UTC".into()));
    let berlin = zone("Europe/Berlin");
    let cast = |v: ScalarValue, to: &ScalarValue| call_with("flink_cast", berlin, vec![v, to.clone()]).unwrap();
    // TIMESTAMP → LTZ: the wall clock read in Berlin (gap → later; overlap → earlier).
    assert_eq!(cast(ts(ms(2024, 3, 31, 2, 30, 0, 0)), &ltz_type), ltz(ms(2024, 3, 31, 1, 30, 0, 0)));
    assert_eq!(cast(ts(ms(2024, 10, 27, 2, 30, 0, 0)), &ltz_type), ltz(ms(2024, 10, 27, 0, 30, 0, 0)));
    assert_eq!(cast(ts(ms(2024, 7, 1, 12, 0, 0, 5)), &ltz_type), ltz(ms(2024, 7, 1, 10, 0, 0, 5)));
    // LTZ → TIMESTAMP, STRING, DATE.
    assert_eq!(cast(ltz(ms(2024, 10, 27, 1, 30, 0, 0)), &ts_type), ts(ms(2024, 10, 27, 2, 30, 0, 0)));
    assert_eq!(cast(ltz(ms(2024, 3, 30, 23, 0, 0, 0)), &s("")), s("2024-03-31 00:00:00.000"));
    assert_eq!(
        cast(ltz(ms(2024, 3, 30, 23, 0, 0, 0)), &ScalarValue::Date32(None)),
        ScalarValue::Date32(Some(days(2024, 3, 31)))
    );
    // STRING → LTZ is read in the zone; NULL stays NULL.
    assert_eq!(cast(s("2024-03-31 03:00:00"), &ltz_type), ltz(ms(2024, 3, 31, 1, 0, 0, 0)));
    assert_eq!(cast(null_s(), &ltz_type), ltz_type);
    // A bad string fails CAST and is NULL for TRY_CAST.
    assert!(call_with("flink_cast", berlin, vec![s("nope"), ts_type.clone()]).is_err());
    assert_eq!(call_with("flink_try_cast", berlin, vec![s("nope"), ts_type.clone()]).unwrap(), ts_type);
}

#[test]
fn current_time_functions_have_flinks_types() {
    use arrow::datatypes::{DataType, TimeUnit};
    let types = [
        ("now", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))),
        ("current_timestamp", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()))),
        ("localtimestamp", DataType::Timestamp(TimeUnit::Millisecond, None)),
        ("current_date", DataType::Date32),
        ("current_time", DataType::Time32(TimeUnit::Millisecond)),
        ("localtime", DataType::Time32(TimeUnit::Millisecond)),
    ];
    for (name, t) in types {
        assert_eq!(udf(name).return_type(&[]).unwrap(), t, "{name}");
        assert_eq!(udf(name).signature().volatility, datafusion_expr::Volatility::Volatile, "{name}");
    }
    // LOCALTIMESTAMP is CURRENT_TIMESTAMP moved by the zone's offset.
    let shanghai = zone("Asia/Shanghai");
    let ScalarValue::TimestampMillisecond(Some(now), _) = call_with("now", shanghai, vec![]).unwrap() else { panic!() };
    let ScalarValue::TimestampMillisecond(Some(local), None) = call_with("localtimestamp", shanghai, vec![]).unwrap()
    else {
        panic!()
    };
    let shift = local - now;
    assert!((8 * 3_600_000..8 * 3_600_000 + 1000).contains(&shift), "{shift}");
}
