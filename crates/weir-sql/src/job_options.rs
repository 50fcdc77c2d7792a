//! The `SET` options that shape how a session's jobs run, under Flink's keys: checkpointing
//! (`execution.checkpointing.*`, `state.checkpoints.dir`, `execution.savepoint.path`), state
//! TTL (`table.exec.state.ttl`) and mini-batching (`table.exec.mini-batch.*`).
//!
//! Values are checked when they are `SET`, so a bad one is refused at once, with the key.
//!
//! Mini-batch options are accepted and validated but change nothing: Weir's operators
//! already take their input in batches (a channel batch, bounded by the buffer timeout),
//! and group aggregation folds every row of a key in a batch into one update, which is
//! what Flink's mini-batch buys. There is no extra buffering by `allow-latency` or `size`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use weir_checkpoint::{CheckpointConfig, CheckpointId, CheckpointMode, LocalDirStorage};
use weir_runtime::{CheckpointSettings, Restore};

use crate::error::{Result, SqlError};

/// `execution.checkpointing.interval`.
pub const CHECKPOINT_INTERVAL: &str = "execution.checkpointing.interval";
/// `execution.checkpointing.mode`.
pub const CHECKPOINT_MODE: &str = "execution.checkpointing.mode";
/// `execution.checkpointing.dir` (Flink 2's name).
pub const CHECKPOINT_DIR: &str = "execution.checkpointing.dir";
/// `state.checkpoints.dir` (Flink 1's name).
pub const LEGACY_CHECKPOINT_DIR: &str = "state.checkpoints.dir";
/// `execution.checkpointing.unaligned.enabled`: barriers overtake in-flight records, which
/// are stored with the checkpoint (exactly-once only, as in Flink).
pub const CHECKPOINT_UNALIGNED: &str = "execution.checkpointing.unaligned.enabled";
/// `execution.checkpointing.unaligned` (the older name of the above).
pub const LEGACY_CHECKPOINT_UNALIGNED: &str = "execution.checkpointing.unaligned";
/// `execution.checkpointing.aligned-checkpoint-timeout`: with unaligned checkpoints, above
/// `0` a checkpoint starts aligned and switches to unaligned when alignment takes longer
/// (`0`, the default: unaligned from the start).
pub const ALIGNED_CHECKPOINT_TIMEOUT: &str = "execution.checkpointing.aligned-checkpoint-timeout";
/// `execution.checkpointing.num-retained`.
pub const CHECKPOINT_RETAINED: &str = "execution.checkpointing.num-retained";
/// `execution.savepoint.path`: the checkpoint or savepoint the next job resumes from.
pub const SAVEPOINT_PATH: &str = "execution.savepoint.path";
/// `table.exec.state.ttl`.
pub const STATE_TTL: &str = "table.exec.state.ttl";
/// How much longer than needed an interval join keeps a stored row before its cleanup timer
/// drops it (`0` by default, as Flink's).
pub const INTERVAL_JOIN_MIN_CLEANUP: &str = "table.exec.interval-join.min-cleanup-interval";
/// How long a source split may go without rows before it stops holding the watermark back
/// (`0`: never, Flink's default).
pub const SOURCE_IDLE_TIMEOUT: &str = "table.exec.source.idle-timeout";
/// How often sources send watermarks; 0 sends one whenever a row advances it.
pub const AUTO_WATERMARK_INTERVAL: &str = "pipeline.auto-watermark-interval";
/// `table.exec.mini-batch.enabled`.
pub const MINI_BATCH_ENABLED: &str = "table.exec.mini-batch.enabled";
/// `table.exec.mini-batch.allow-latency`.
pub const MINI_BATCH_LATENCY: &str = "table.exec.mini-batch.allow-latency";
/// `table.exec.mini-batch.size`.
pub const MINI_BATCH_SIZE: &str = "table.exec.mini-batch.size";

/// Parses a duration as Flink does (`TimeUtils.parseDuration`): a number and an optional
/// unit — `ms`, `s`/`sec`/`secs`/`second`/`seconds`, `min`/`m`/`minute(s)`, `h`/`hour(s)`,
/// `d`/`day(s)` — with optional blanks between; a bare number is milliseconds.
///
/// # Errors
/// Anything else, with the accepted forms.
///
/// # Example
/// ```
/// use weir_sql::job_options::parse_duration_ms;
/// assert_eq!(parse_duration_ms("1 h").unwrap(), 3_600_000);
/// assert_eq!(parse_duration_ms("3600000 ms").unwrap(), 3_600_000);
/// assert_eq!(parse_duration_ms("10s").unwrap(), 10_000);
/// assert!(parse_duration_ms("soon").is_err());
/// ```
pub fn parse_duration_ms(text: &str) -> std::result::Result<i64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().map_err(|_| format!("'{text}' is not a duration like '10 s', '500 ms' or '1 h'"))?;
    let scale = match unit.trim().to_lowercase().as_str() {
        "" | "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1,
        "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
        "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        other => return Err(format!("unknown time unit '{other}' in '{text}': use ms, s, min, h or d")),
    };
    n.checked_mul(scale).ok_or_else(|| format!("'{text}' is too long a duration"))
}

/// Checks the value of a job option when it is `SET`; other keys pass.
///
/// # Errors
/// A bad value, naming the key.
pub fn check(key: &str, value: &str) -> Result<()> {
    let bad = |why: String| Err(SqlError::option(format!("'{key}': {why}")));
    match key {
        CHECKPOINT_INTERVAL
        | STATE_TTL
        | MINI_BATCH_LATENCY
        | SOURCE_IDLE_TIMEOUT
        | INTERVAL_JOIN_MIN_CLEANUP
        | AUTO_WATERMARK_INTERVAL => {
            if let Err(e) = parse_duration_ms(value) {
                return bad(e);
            }
            if key == CHECKPOINT_INTERVAL && parse_duration_ms(value) == Ok(0) {
                return bad("the interval must be positive".into());
            }
        }
        CHECKPOINT_MODE if mode(value).is_none() => {
            return bad(format!("'{value}' is neither EXACTLY_ONCE nor AT_LEAST_ONCE"));
        }
        CHECKPOINT_RETAINED | MINI_BATCH_SIZE if !value.trim().parse::<i64>().is_ok_and(|n| n > 0) => {
            return bad(format!("'{value}' is not a positive number"));
        }
        MINI_BATCH_ENABLED | CHECKPOINT_UNALIGNED | LEGACY_CHECKPOINT_UNALIGNED if flag(value).is_none() => {
            return bad(format!("'{value}' is neither true nor false"));
        }
        ALIGNED_CHECKPOINT_TIMEOUT => {
            if let Err(e) = parse_duration_ms(value) {
                return bad(e);
            }
        }
        CHECKPOINT_DIR | LEGACY_CHECKPOINT_DIR | SAVEPOINT_PATH if value.trim().is_empty() => {
            return bad("a path is needed".into());
        }
        _ => {}
    }
    Ok(())
}

fn flag(value: &str) -> Option<bool> {
    match value.trim().to_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// The checkpoint mode of exactly-once or not, with unaligned checkpoints or not. As in
/// Flink, unaligned checkpoints are exactly-once only: with at-least-once they are ignored.
pub fn checkpoint_mode(exactly_once: bool, unaligned: bool) -> CheckpointMode {
    match (exactly_once, unaligned) {
        (true, true) => CheckpointMode::Unaligned,
        (true, false) => CheckpointMode::AlignedExactlyOnce,
        (false, _) => CheckpointMode::AtLeastOnce,
    }
}

fn mode(value: &str) -> Option<CheckpointMode> {
    match value.trim().to_uppercase().replace('-', "_").as_str() {
        "EXACTLY_ONCE" => Some(CheckpointMode::AlignedExactlyOnce),
        "AT_LEAST_ONCE" => Some(CheckpointMode::AtLeastOnce),
        _ => None,
    }
}

/// `file:///x` → `/x`; other paths as they are.
fn local_path(value: &str) -> PathBuf {
    let v = value.trim();
    PathBuf::from(v.strip_prefix("file://").unwrap_or(v))
}

/// The state TTL in milliseconds (`None`, or `0`, keeps state forever).
///
/// # Errors
/// A bad duration.
pub fn state_ttl_ms(option: impl Fn(&str) -> Option<String>) -> Result<Option<i64>> {
    match option(STATE_TTL) {
        Some(v) => Ok(Some(parse_duration_ms(&v).map_err(|e| SqlError::option(format!("'{STATE_TTL}': {e}")))?)
            .filter(|t| *t > 0)),
        None => Ok(None),
    }
}

/// How the session's next job checkpoints: `base` (the command line's settings) with the
/// `SET` options over it. Checkpointing is on when an interval is set (or `base` is given);
/// it then needs a directory.
///
/// # Errors
/// An interval without a directory, an unusable directory, a bad savepoint path.
pub fn checkpoint_settings(
    base: Option<&CheckpointSettings>,
    option: impl Fn(&str) -> Option<String>,
) -> Result<Option<CheckpointSettings>> {
    let interval = option(CHECKPOINT_INTERVAL)
        .map(|v| parse_duration_ms(&v).map_err(|e| SqlError::option(format!("'{CHECKPOINT_INTERVAL}': {e}"))))
        .transpose()?;
    let dir = option(CHECKPOINT_DIR).or_else(|| option(LEGACY_CHECKPOINT_DIR)).map(|d| local_path(&d));
    let mut settings = match (base, interval) {
        (None, None) => return Ok(None),
        (Some(base), _) if dir.is_none() => base.clone(),
        (_, _) => {
            let dir = dir.ok_or_else(|| {
                SqlError::option(format!(
                    "'{CHECKPOINT_INTERVAL}' turns checkpointing on, but there is no checkpoint directory: \
                     SET '{CHECKPOINT_DIR}' = '/path' (or run with --checkpoint-dir)"
                ))
            })?;
            let storage = LocalDirStorage::new(&dir)
                .map_err(|e| SqlError::option(format!("checkpoint directory {}: {e}", dir.display())))?;
            let config = base.map(|b| b.config.clone()).unwrap_or_else(|| CheckpointConfig::every(10_000));
            CheckpointSettings { config, storage: Arc::new(storage), restore: base.and_then(|b| b.restore.clone()) }
        }
    };
    if let Some(ms) = interval {
        settings.config.interval_ms = ms as u64;
    }
    let mut exactly_once = settings.config.mode != CheckpointMode::AtLeastOnce;
    if let Some(m) = option(CHECKPOINT_MODE) {
        let m = mode(&m).ok_or_else(|| SqlError::option(format!("'{CHECKPOINT_MODE}': bad '{m}'")))?;
        exactly_once = m != CheckpointMode::AtLeastOnce;
    }
    let unaligned = match option(CHECKPOINT_UNALIGNED).or_else(|| option(LEGACY_CHECKPOINT_UNALIGNED)) {
        Some(v) => flag(&v).ok_or_else(|| SqlError::option(format!("'{CHECKPOINT_UNALIGNED}': bad '{v}'")))?,
        None => settings.config.mode == CheckpointMode::Unaligned,
    };
    settings.config.mode = checkpoint_mode(exactly_once, unaligned);
    if let Some(v) = option(ALIGNED_CHECKPOINT_TIMEOUT) {
        settings.config.aligned_timeout_ms =
            parse_duration_ms(&v).map_err(|e| SqlError::option(format!("'{ALIGNED_CHECKPOINT_TIMEOUT}': {e}")))? as u64;
    }
    if let Some(n) = option(CHECKPOINT_RETAINED) {
        settings.config.retained =
            n.trim().parse().map_err(|_| SqlError::option(format!("'{CHECKPOINT_RETAINED}'")))?;
    }
    if let Some(path) = option(SAVEPOINT_PATH) {
        settings.restore = Some(restore_from(&local_path(&path))?);
    }
    settings.config.validate().map_err(|e| SqlError::option(format!("checkpointing: {e}")))?;
    Ok(Some(settings))
}

/// `DIR/chk-N` (a completed checkpoint or savepoint) → what to resume from.
///
/// # Errors
/// A path that is not a completed checkpoint directory.
pub fn restore_from(path: &Path) -> Result<Restore> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let id = name.strip_prefix("chk-").and_then(|n| n.parse::<u64>().ok()).ok_or_else(|| {
        SqlError::option(format!("'{SAVEPOINT_PATH}' {}: expected a checkpoint directory named chk-N", path.display()))
    })?;
    if !path.join("_metadata").is_file() {
        return Err(SqlError::option(format!(
            "'{SAVEPOINT_PATH}' {}: not a completed checkpoint (no _metadata in it)",
            path.display()
        )));
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let storage = LocalDirStorage::new(parent).map_err(|e| SqlError::option(format!("{}: {e}", parent.display())))?;
    Ok(Restore { storage: Arc::new(storage), checkpoint: Some(CheckpointId(id)) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn durations_as_flink_writes_them() {
        for (text, ms) in [("1 h", 3_600_000), ("3600000 ms", 3_600_000), ("10s", 10_000), ("2 min", 120_000)] {
            assert_eq!(parse_duration_ms(text), Ok(ms), "{text}");
        }
        assert_eq!(parse_duration_ms("250"), Ok(250));
        assert!(parse_duration_ms("3 fortnights").unwrap_err().contains("unknown time unit"));
        assert!(parse_duration_ms("").is_err());
    }

    #[test]
    fn bad_values_are_refused_when_set() {
        for (k, v) in [
            (CHECKPOINT_INTERVAL, "often"),
            (CHECKPOINT_INTERVAL, "0"),
            (CHECKPOINT_MODE, "twice"),
            (STATE_TTL, "1 parsec"),
            (MINI_BATCH_ENABLED, "yes"),
            (MINI_BATCH_SIZE, "-3"),
            (CHECKPOINT_DIR, " "),
            (CHECKPOINT_UNALIGNED, "maybe"),
            (ALIGNED_CHECKPOINT_TIMEOUT, "soon"),
        ] {
            let err = check(k, v).unwrap_err().to_string();
            assert!(err.contains(k), "{k}={v}: {err}");
        }
        check(ALIGNED_CHECKPOINT_TIMEOUT, "30 s").unwrap();
        check(ALIGNED_CHECKPOINT_TIMEOUT, "0 ms").unwrap();
        check(CHECKPOINT_MODE, "at-least-once").unwrap();
        check(MINI_BATCH_LATENCY, "5 s").unwrap();
    }

    #[test]
    fn checkpointing_follows_the_options() {
        let dir = tempfile::tempdir().unwrap();
        let mut opts: BTreeMap<String, String> = BTreeMap::new();
        let get = |o: &BTreeMap<String, String>| {
            let o = o.clone();
            move |k: &str| o.get(k).cloned()
        };
        assert!(checkpoint_settings(None, get(&opts)).unwrap().is_none());
        opts.insert(CHECKPOINT_INTERVAL.into(), "2 s".into());
        let err = checkpoint_settings(None, get(&opts)).err().unwrap().to_string();
        assert!(err.contains("no checkpoint directory"), "{err}");
        opts.insert(LEGACY_CHECKPOINT_DIR.into(), format!("file://{}", dir.path().display()));
        opts.insert(CHECKPOINT_MODE.into(), "AT_LEAST_ONCE".into());
        let s = checkpoint_settings(None, get(&opts)).unwrap().unwrap();
        assert_eq!(s.config.interval_ms, 2000);
        assert_eq!(s.config.mode, CheckpointMode::AtLeastOnce);
        assert!(s.restore.is_none());
        // Unaligned checkpoints are exactly-once only: with at-least-once, ignored (Flink's rule).
        opts.insert(CHECKPOINT_UNALIGNED.into(), "true".into());
        assert_eq!(checkpoint_settings(None, get(&opts)).unwrap().unwrap().config.mode, CheckpointMode::AtLeastOnce);
        opts.insert(CHECKPOINT_MODE.into(), "EXACTLY_ONCE".into());
        let s = checkpoint_settings(None, get(&opts)).unwrap().unwrap();
        assert_eq!((s.config.mode, s.config.aligned_timeout_ms), (CheckpointMode::Unaligned, 0));
        opts.insert(ALIGNED_CHECKPOINT_TIMEOUT.into(), "30 s".into());
        let timed = checkpoint_settings(None, get(&opts)).unwrap().unwrap();
        assert_eq!(timed.config.aligned_timeout_ms, 30_000);
        opts.remove(ALIGNED_CHECKPOINT_TIMEOUT);
        // The command line's unaligned mode holds unless a SET turns it off.
        opts.remove(CHECKPOINT_UNALIGNED);
        assert_eq!(checkpoint_settings(Some(&s), get(&opts)).unwrap().unwrap().config.mode, CheckpointMode::Unaligned);
        opts.insert(LEGACY_CHECKPOINT_UNALIGNED.into(), "false".into());
        let aligned = checkpoint_settings(Some(&s), get(&opts)).unwrap().unwrap();
        assert_eq!(aligned.config.mode, CheckpointMode::AlignedExactlyOnce);
        opts.remove(LEGACY_CHECKPOINT_UNALIGNED);
        opts.remove(CHECKPOINT_MODE);
        opts.insert(SAVEPOINT_PATH.into(), dir.path().join("chk-7").display().to_string());
        let err = checkpoint_settings(None, get(&opts)).err().unwrap().to_string();
        assert!(err.contains("not a completed checkpoint"), "{err}");
        assert_eq!(state_ttl_ms(|_| Some("0 ms".into())).unwrap(), None);
        assert_eq!(state_ttl_ms(|_| Some("1 min".into())).unwrap(), Some(60_000));
    }
}
