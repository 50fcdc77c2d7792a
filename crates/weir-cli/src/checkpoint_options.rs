//! The checkpoint options every job-running command takes: `--checkpoint-dir`,
//! `--checkpoint-interval`, `--checkpoint-mode`, `--checkpoint-unaligned`, `--restore`,
//! `--restart-strategy`, and
//! the savepoint trigger (`SIGUSR1`, sent by `weir savepoint PID`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use weir_checkpoint::{CheckpointConfig, CheckpointId, LocalDirStorage};
use weir_runtime::restart::RestartStrategy;
use weir_runtime::{CheckpointSettings, Restore};

/// Checkpointing options, as Flink names them (`execution.checkpointing.*`).
#[derive(Args, Debug, Clone, Default)]
pub struct CheckpointArgs {
    /// Take checkpoints into this directory (one `chk-N` directory each). With it,
    /// `--output` is written exactly once.
    #[arg(long)]
    pub checkpoint_dir: Option<PathBuf>,
    /// Time between checkpoints: `500ms`, `1s`, `2min`.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    pub checkpoint_interval: Duration,
    /// `exactly-once` (barriers aligned) or `at-least-once`.
    #[arg(long, default_value = "exactly-once")]
    pub checkpoint_mode: String,
    /// Unaligned checkpoints (`execution.checkpointing.unaligned.enabled`): barriers
    /// overtake the records queued between tasks, which are stored with the checkpoint,
    /// so checkpoints complete under backpressure. Exactly-once only (ignored, with a
    /// warning, with at-least-once, as in Flink).
    #[arg(long)]
    pub checkpoint_unaligned: bool,
    /// Completed checkpoints to keep.
    #[arg(long, default_value_t = 1)]
    pub retained_checkpoints: usize,
    /// Resume from `latest` (the newest completed checkpoint in --checkpoint-dir; from
    /// the beginning when there is none) or from a checkpoint or savepoint directory
    /// (`…/chk-N`), at any --parallelism.
    #[arg(long)]
    pub restore: Option<String>,
    /// `none`, `fixed-delay:ATTEMPTS:DELAY_MS`, `failure-rate:MAX:INTERVAL_MS:DELAY_MS` or
    /// `exponential-delay:INITIAL_MS:MAX_MS` (default with checkpoints: fixed delay,
    /// unlimited, 1 s).
    #[arg(long)]
    pub restart_strategy: Option<String>,
}

impl CheckpointArgs {
    /// The settings these options describe; `None` without `--checkpoint-dir` (then
    /// `--restore` is an error).
    ///
    /// # Errors
    /// A bad mode or restart strategy, an unusable directory, a restore path that is not
    /// a checkpoint directory.
    pub fn settings(&self) -> anyhow::Result<Option<CheckpointSettings>> {
        let Some(dir) = &self.checkpoint_dir else {
            if self.restore.is_some() {
                anyhow::bail!("--restore needs --checkpoint-dir (where the resumed job writes its checkpoints)");
            }
            return Ok(None);
        };
        let exactly_once = match self.checkpoint_mode.as_str() {
            "exactly-once" | "EXACTLY_ONCE" => true,
            "at-least-once" | "AT_LEAST_ONCE" => false,
            other => anyhow::bail!("--checkpoint-mode '{other}': expected exactly-once or at-least-once"),
        };
        if self.checkpoint_unaligned && !exactly_once {
            eprintln!(
                "warning: unaligned checkpoints can only be used with exactly-once; --checkpoint-unaligned is ignored"
            );
        }
        let mode = weir_sql::job_options::checkpoint_mode(exactly_once, self.checkpoint_unaligned);
        let interval_ms = self.checkpoint_interval.as_millis() as u64;
        let config =
            CheckpointConfig { mode, retained: self.retained_checkpoints, ..CheckpointConfig::every(interval_ms) };
        config.validate().map_err(|e| anyhow::anyhow!("checkpoint options: {e}"))?;
        let storage = Arc::new(
            LocalDirStorage::new(dir).map_err(|e| anyhow::anyhow!("--checkpoint-dir {}: {e}", dir.display()))?,
        );
        let restore = match self.restore.as_deref() {
            None => None,
            Some("latest") => Some(Restore { storage: storage.clone(), checkpoint: None }),
            Some(path) => Some(restore_from_path(Path::new(path))?),
        };
        Ok(Some(CheckpointSettings { config, storage, restore }))
    }

    /// The restart strategy asked for, if any.
    ///
    /// # Errors
    /// An unknown strategy.
    pub fn restart_strategy(&self) -> anyhow::Result<Option<RestartStrategy>> {
        self.restart_strategy
            .as_deref()
            .map(RestartStrategy::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--restart-strategy: {e}"))
    }
}

/// `DIR/chk-N` → the storage at `DIR` and checkpoint `N`.
fn restore_from_path(path: &Path) -> anyhow::Result<Restore> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let id = name.strip_prefix("chk-").and_then(|n| n.parse::<u64>().ok()).ok_or_else(|| {
        anyhow::anyhow!("--restore {}: expected `latest` or a checkpoint directory named chk-N", path.display())
    })?;
    if !path.join("_metadata").is_file() {
        anyhow::bail!("--restore {}: not a completed checkpoint (no _metadata in it)", path.display());
    }
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let storage = Arc::new(LocalDirStorage::new(parent)?);
    Ok(Restore { storage, checkpoint: Some(CheckpointId(id)) })
}

/// Parses `250ms`, `10s`, `2min`, `1h` (a bare number is milliseconds).
///
/// # Errors
/// Anything else, with the accepted forms.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("'{text}' is not a duration like 500ms, 10s or 2min"))?;
    let ms = match unit.trim() {
        "" | "ms" => n,
        "s" => n * 1000,
        "min" | "m" => n * 60_000,
        "h" => n * 3_600_000,
        other => return Err(format!("unknown unit '{other}' in '{text}': use ms, s, min or h")),
    };
    Ok(Duration::from_millis(ms))
}

/// Set by `SIGUSR1`: a savepoint was asked for.
static SAVEPOINT_REQUESTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigusr1(_: libc::c_int) {
    SAVEPOINT_REQUESTED.store(true, Ordering::SeqCst);
}

/// Installs the `SIGUSR1` handler and starts a thread that turns each signal into a
/// savepoint of the running job, printing `savepoint DIR/chk-N` to stderr.
pub fn serve_savepoint_requests(control: weir_runtime::JobControl, dir: PathBuf) {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGUSR1, on_sigusr1 as *const () as libc::sighandler_t);
    }
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_millis(20));
        if SAVEPOINT_REQUESTED.swap(false, Ordering::SeqCst) {
            match control.trigger_savepoint(Duration::from_secs(600)) {
                Ok(id) => eprintln!("savepoint {}", dir.join(format!("chk-{}", id.0)).display()),
                Err(e) => eprintln!("savepoint failed: {e}"),
            }
        }
    });
}

/// Serves savepoint requests (`SIGUSR1`) for a sequence of jobs — the `INSERT` jobs of a
/// SQL script, one after another: returns the hook a SQL session calls with each job's
/// control; the request goes to the job running when it arrives. Savepoints are printed as
/// `savepoint DIR/chk-N` (`dir`: where checkpoints go, when known).
pub fn savepoint_hook(dir: Option<PathBuf>) -> weir_sql::session::JobStarted {
    let current: Arc<std::sync::Mutex<Option<weir_runtime::JobControl>>> = Arc::default();
    let slot = current.clone();
    let mut serving = false;
    Box::new(move |control| {
        *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(control);
        if serving {
            return;
        }
        serving = true;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGUSR1, on_sigusr1 as *const () as libc::sighandler_t);
        }
        let (current, dir) = (current.clone(), dir.clone());
        std::thread::spawn(move || loop {
            std::thread::sleep(Duration::from_millis(20));
            if SAVEPOINT_REQUESTED.swap(false, Ordering::SeqCst) {
                let control = current.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let Some(control) = control else { continue };
                match control.trigger_savepoint(Duration::from_secs(600)) {
                    Ok(id) => match &dir {
                        Some(d) => eprintln!("savepoint {}", d.join(format!("chk-{}", id.0)).display()),
                        None => eprintln!("savepoint chk-{} (in the job's checkpoint directory)", id.0),
                    },
                    Err(e) => eprintln!("savepoint failed: {e}"),
                }
            }
        });
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2min"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("15"), Ok(Duration::from_millis(15)));
        assert!(parse_duration("soon").unwrap_err().contains("500ms"));
        assert!(parse_duration("3d").unwrap_err().contains("unknown unit"));
    }

    #[test]
    fn restore_paths_must_be_completed_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let err = restore_from_path(&dir.path().join("nope")).unwrap_err().to_string();
        assert!(err.contains("chk-N"), "{err}");
        std::fs::create_dir(dir.path().join("chk-3")).unwrap();
        let err = restore_from_path(&dir.path().join("chk-3")).unwrap_err().to_string();
        assert!(err.contains("not a completed checkpoint"), "{err}");
        let args = CheckpointArgs { restore: Some("latest".into()), ..Default::default() };
        assert!(args.settings().unwrap_err().to_string().contains("needs --checkpoint-dir"));
    }

    #[test]
    fn unaligned_checkpoints_are_exactly_once_only() {
        let dir = tempfile::tempdir().unwrap();
        let args = |mode: &str, unaligned: bool| CheckpointArgs {
            checkpoint_dir: Some(dir.path().to_path_buf()),
            checkpoint_interval: Duration::from_secs(1),
            checkpoint_mode: mode.into(),
            checkpoint_unaligned: unaligned,
            retained_checkpoints: 1,
            ..Default::default()
        };
        let mode = |a: CheckpointArgs| a.settings().unwrap().unwrap().config.mode;
        use weir_checkpoint::CheckpointMode::*;
        assert_eq!(mode(args("exactly-once", true)), Unaligned);
        assert_eq!(mode(args("exactly-once", false)), AlignedExactlyOnce);
        assert_eq!(mode(args("at-least-once", true)), AtLeastOnce);
    }
}
