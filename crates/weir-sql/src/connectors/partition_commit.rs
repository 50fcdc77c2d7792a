//! Flink's partition commit for filesystem sinks: when a partition directory gets its
//! success file (`sink.partition-commit.*`), and the time of a partition read from its
//! values (`partition.time-extractor.*`).
//!
//! * `process-time`: once processing time is `delay` past the checkpoint commit that first
//!   made parts of the partition visible (Flink counts from the partition's creation; the
//!   two differ by at most one checkpoint interval).
//! * `partition-time`: once the watermark — the least over the sink's writers at the
//!   completed checkpoint — is past the partition's time plus `delay`. The time comes from
//!   the partition's values through `timestamp-pattern` (`$dt $hour:00:00`; by default the
//!   first partition value) parsed by `timestamp-formatter` (by default Flink's lenient
//!   `yyyy-M-d[ H:m[:s[.f]]]`), in `sink.partition-commit.watermark-time-zone` (UTC).
//!
//! At the end of a bounded job every partition is committed, as in Flink.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use weir_connectors::sink::{CommitTrigger, PartitionCommit};

use crate::catalog::TableDef;
use crate::error::{Result, SqlError};

/// How partitions of `table` are committed: `None` without `sink.partition-commit.policy.kind`.
///
/// # Errors
/// A policy, trigger, extractor or option value Weir does not have, named with the table.
pub fn of(table: &TableDef) -> Result<Option<PartitionCommit>> {
    let Some(kind) = table.option("sink.partition-commit.policy.kind") else { return Ok(None) };
    let bad = |m: String| Err(SqlError::unsupported(format!("Table '{}': {m}", table.name)));
    if table.partitioned_by.is_empty() {
        return bad("'sink.partition-commit.policy.kind' needs a PARTITIONED BY table".into());
    }
    for policy in kind.split(',').map(str::trim) {
        match policy {
            "success-file" => {}
            "metastore" | "custom" => {
                return bad(format!("partition-commit policy '{policy}' is not supported by Weir; 'success-file' is"))
            }
            other => return bad(format!("unknown partition-commit policy '{other}'; Weir supports 'success-file'")),
        }
    }
    let delay = match table.option("sink.partition-commit.delay") {
        None => Duration::ZERO,
        Some(text) => match crate::job_options::parse_duration_ms(text) {
            Ok(ms) if ms >= 0 => Duration::from_millis(ms as u64),
            Ok(_) => return bad("'sink.partition-commit.delay' must not be negative".into()),
            Err(e) => return bad(format!("'sink.partition-commit.delay': {e}")),
        },
    };
    let trigger = match table.option("sink.partition-commit.trigger").unwrap_or("process-time") {
        "process-time" => CommitTrigger::ProcessTime { delay },
        "partition-time" => CommitTrigger::PartitionTime { delay, time_of: time_extractor(table)? },
        other => {
            return bad(format!(
                "unknown partition-commit trigger '{other}'; the triggers are 'process-time' and 'partition-time'"
            ))
        }
    };
    let success_file = table.option("sink.partition-commit.success-file.name").unwrap_or("_SUCCESS");
    if success_file.is_empty() || success_file.contains('/') {
        return bad(format!("'sink.partition-commit.success-file.name' must be a file name, not '{success_file}'"));
    }
    Ok(Some(PartitionCommit { trigger, success_file: success_file.to_string() }))
}

/// The partition time of a bucket path (`k=v/k2=v2`), as `table`'s extractor options say.
fn time_extractor(table: &TableDef) -> Result<weir_connectors::sink::PartitionTimeOf> {
    let name = table.name.clone();
    let bad = |m: String| SqlError::unsupported(format!("Table '{name}': {m}"));
    match table.option("partition.time-extractor.kind").unwrap_or("default") {
        "default" => {}
        "custom" => return Err(bad("a custom partition time extractor is a Java class; Weir has 'default'".into())),
        other => return Err(bad(format!("unknown partition time extractor '{other}'; Weir has 'default'"))),
    }
    let pattern = table.option("partition.time-extractor.timestamp-pattern").map(str::to_string);
    let formatter = match table.option("partition.time-extractor.timestamp-formatter") {
        None | Some("yyyy-MM-dd HH:mm:ss") => None,
        Some(java) => {
            Some(chrono_format(java).map_err(|e| bad(format!("'partition.time-extractor.timestamp-formatter': {e}")))?)
        }
    };
    let zone_name = table.option("sink.partition-commit.watermark-time-zone").unwrap_or("UTC");
    let zone: chrono_tz::Tz = zone_name
        .parse()
        .map_err(|_| bad(format!("'sink.partition-commit.watermark-time-zone': unknown time zone '{zone_name}'")))?;
    let keys = table.partitioned_by.clone();
    Ok(Arc::new(move |bucket: &Path| {
        let values: HashMap<String, String> = bucket
            .components()
            .filter_map(|c| {
                let c = c.as_os_str().to_string_lossy();
                c.split_once('=').map(|(k, v)| (k.to_string(), super::filesystem::unescape_path_name(v)))
            })
            .collect();
        let text = match &pattern {
            Some(p) => substitute(p, &keys, &values)?,
            None => {
                let first = keys.first().ok_or("no partition keys")?;
                values.get(first).cloned().ok_or_else(|| format!("no value of partition key '{first}'"))?
            }
        };
        let local = match &formatter {
            None => parse_lenient(&text),
            Some(f) => parse_with(&text, f),
        }
        .ok_or_else(|| format!("'{text}' is not a timestamp the extractor reads"))?;
        let at =
            zone.from_local_datetime(&local).earliest().ok_or_else(|| format!("'{text}' does not exist in {zone}"))?;
        Ok(at.timestamp_millis())
    }))
}

/// `pattern` with each `$key` replaced by the partition's value (longer keys first, so
/// `$hour` is not read as `$h` + `our`).
fn substitute(pattern: &str, keys: &[String], values: &HashMap<String, String>) -> std::result::Result<String, String> {
    let mut keys: Vec<&String> = keys.iter().collect();
    keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
    let mut text = pattern.to_string();
    for key in keys {
        let placeholder = format!("${key}");
        if text.contains(&placeholder) {
            let value = values.get(key.as_str()).ok_or_else(|| format!("no value of partition key '{key}'"))?;
            text = text.replace(&placeholder, value);
        }
    }
    Ok(text)
}

/// Flink's default: `yyyy-M-d`, optionally followed by ` H:m`, `:s` and a fraction.
fn parse_lenient(text: &str) -> Option<NaiveDateTime> {
    let text = text.trim();
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut d = date.split('-');
    let (y, m, day) = (d.next()?.parse().ok()?, d.next()?.parse().ok()?, d.next()?.parse().ok()?);
    if d.next().is_some() {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(y, m, day)?;
    let Some(time) = time else { return date.and_hms_opt(0, 0, 0) };
    let (hms, fraction) = match time.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (time, None),
    };
    let mut t = hms.split(':');
    let h = t.next()?.parse().ok()?;
    let min = t.next()?.parse().ok()?;
    let s = match t.next() {
        Some(s) => s.parse().ok()?,
        None => 0,
    };
    let nanos = match fraction {
        Some(f) if !f.is_empty() && f.len() <= 9 && f.bytes().all(|b| b.is_ascii_digit()) => {
            f.parse::<u32>().ok()? * 10u32.pow(9 - f.len() as u32)
        }
        Some(_) => return None,
        None => 0,
    };
    date.and_hms_nano_opt(h, min, s, nanos)
}

/// `text` by a chrono format; a date-only format gives midnight (as Flink does).
fn parse_with(text: &str, format: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text, format)
        .ok()
        .or_else(|| NaiveDate::parse_from_str(text, format).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
}

/// A Java `DateTimeFormatter` pattern of the fields partitions use as a chrono format.
fn chrono_format(java: &str) -> std::result::Result<String, String> {
    let mut out = String::new();
    let chars: Vec<char> = java.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        if c.is_ascii_alphabetic() {
            let field = match (c, run) {
                ('y', 4) | ('u', 4) => "%Y",
                ('M', 2) => "%m",
                ('d', 2) => "%d",
                ('H', 2) => "%H",
                ('m', 2) => "%M",
                ('s', 2) => "%S",
                ('S', 3) => "%3f",
                _ => {
                    return Err(format!(
                        "'{}' is not a field Weir reads (yyyy MM dd HH mm ss SSS)",
                        c.to_string().repeat(run)
                    ))
                }
            };
            out.push_str(field);
        } else if c == '\'' {
            return Err("quoted literals are not supported".into());
        } else {
            // A literal; chrono's own escape character doubled.
            let literal = if c == '%' { "%%".to_string() } else { c.to_string() };
            out.push_str(&literal.repeat(run));
        }
        i += run;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(options: &[(&str, &str)]) -> TableDef {
        create(options).unwrap()
    }

    /// The table `t` with `options`, or the error of its CREATE TABLE.
    fn create(options: &[(&str, &str)]) -> Result<TableDef> {
        let sql = format!(
            "CREATE TABLE t (v INT, dt STRING, `hour` STRING) PARTITIONED BY (dt, `hour`) WITH ('connector' = 'filesystem', \
             'path' = '/tmp/x', 'format' = 'csv'{})",
            options.iter().map(|(k, v)| format!(", '{k}' = '{v}'")).collect::<String>()
        );
        struct Quiet;
        impl crate::session::ResultSink for Quiet {
            fn row(&mut self, _: &str) {}
            fn message(&mut self, _: &str) {}
        }
        let mut session = crate::session::Session::new(Default::default());
        session.execute_script(&sql, &mut Quiet)?;
        Ok(session.catalog().table("t").expect("created").as_ref().clone())
    }

    fn time_of(options: &[(&str, &str)], bucket: &str) -> std::result::Result<i64, String> {
        let mut all = vec![
            ("sink.partition-commit.policy.kind", "success-file"),
            ("sink.partition-commit.trigger", "partition-time"),
        ];
        all.extend_from_slice(options);
        let commit = of(&table(&all)).unwrap().unwrap();
        match commit.trigger {
            CommitTrigger::PartitionTime { time_of, .. } => time_of(Path::new(bucket)),
            CommitTrigger::ProcessTime { .. } => panic!("partition-time asked for"),
        }
    }

    #[test]
    fn partition_times_come_from_the_values_by_pattern_formatter_and_zone() {
        // 2024-03-01 00:00:00 UTC
        let midnight = 1_709_251_200_000;
        assert_eq!(time_of(&[], "dt=2024-03-01/hour=07"), Ok(midnight), "the first value, a date");
        let with_hour = [("partition.time-extractor.timestamp-pattern", "$dt $hour:00:00")];
        assert_eq!(time_of(&with_hour, "dt=2024-03-01/hour=07"), Ok(midnight + 7 * 3_600_000));
        let compact = [
            ("partition.time-extractor.timestamp-pattern", "$dt"),
            ("partition.time-extractor.timestamp-formatter", "yyyyMMdd"),
        ];
        assert_eq!(time_of(&compact, "dt=20240301/hour=07"), Ok(midnight));
        let berlin = [("sink.partition-commit.watermark-time-zone", "Europe/Berlin")];
        assert_eq!(time_of(&berlin, "dt=2024-03-01/hour=07"), Ok(midnight - 3_600_000), "local midnight, UTC+1");
        assert!(time_of(&[], "dt=yesterday/hour=07").unwrap_err().contains("'yesterday'"));
    }

    #[test]
    fn options_weir_does_not_have_are_refused_naming_them() {
        let err = |options: &[(&str, &str)]| {
            let mut all = vec![("sink.partition-commit.policy.kind", "success-file")];
            all.extend_from_slice(options);
            create(&all).unwrap_err().to_string()
        };
        assert!(err(&[("sink.partition-commit.trigger", "event-time")]).contains("'partition-time'"));
        assert!(err(&[("sink.partition-commit.delay", "soon")]).contains("'sink.partition-commit.delay'"));
        let custom = [("sink.partition-commit.trigger", "partition-time"), ("partition.time-extractor.kind", "custom")];
        assert!(err(&custom).contains("Java class"));
        let zone = [
            ("sink.partition-commit.trigger", "partition-time"),
            ("sink.partition-commit.watermark-time-zone", "Mars/Base"),
        ];
        assert!(err(&zone).contains("'Mars/Base'"));
        let formatter = [
            ("sink.partition-commit.trigger", "partition-time"),
            ("partition.time-extractor.timestamp-formatter", "EEE"),
        ];
        assert!(err(&formatter).contains("'EEE'"));
    }
}
