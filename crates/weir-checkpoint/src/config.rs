//! Checkpoint settings, named and defaulted as in Flink's `execution.checkpointing.*`.

use crate::{CheckpointError, CheckpointMode};

/// How often and how patiently the coordinator checkpoints.
///
/// ```
/// use weir_checkpoint::{CheckpointConfig, CheckpointMode};
/// let config = CheckpointConfig { mode: CheckpointMode::Unaligned, ..CheckpointConfig::every(5_000) };
/// assert_eq!(config.max_concurrent, 1);
/// config.validate()?;
/// # Ok::<(), weir_checkpoint::CheckpointError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointConfig {
    /// Time between the triggers of periodic checkpoints (`interval`).
    pub interval_ms: u64,
    /// A checkpoint not acknowledged by every task within this time after its trigger is
    /// aborted (`timeout`, Flink's default 10 minutes).
    pub timeout_ms: u64,
    /// Least time from the end (completion or abort) of one checkpoint to the trigger of
    /// the next (`min-pause`). Above zero it implies one checkpoint at a time, as in Flink.
    pub min_pause_ms: u64,
    /// Most periodic checkpoints pending at once (`max-concurrent-checkpoints`, default 1).
    /// Savepoints are not held back by it.
    pub max_concurrent: usize,
    /// Consecutive failed checkpoints tolerated before the job is failed
    /// (`tolerable-failed-checkpoints`, default 0: the first failure fails the job).
    pub tolerable_failures: u32,
    /// Completed checkpoints kept; older ones are discarded (`num-retained`, default 1).
    pub retained: usize,
    /// The alignment mode of periodic checkpoints (savepoints are always aligned).
    pub mode: CheckpointMode,
    /// Unaligned mode: above 0, checkpoints start aligned and a task switches to unaligned
    /// when this many milliseconds have passed since the checkpoint's trigger
    /// (`aligned-checkpoint-timeout`, default 0: unaligned from the start).
    pub aligned_timeout_ms: u64,
}

impl CheckpointConfig {
    /// Checkpoints every `interval_ms`, with Flink's defaults for everything else and
    /// aligned exactly-once mode.
    pub fn every(interval_ms: u64) -> Self {
        CheckpointConfig {
            interval_ms,
            timeout_ms: 10 * 60 * 1000,
            min_pause_ms: 0,
            max_concurrent: 1,
            tolerable_failures: 0,
            retained: 1,
            mode: CheckpointMode::AlignedExactlyOnce,
            aligned_timeout_ms: 0,
        }
    }

    /// The barrier of periodic checkpoint `id`, triggered at `now_ms`, in this mode.
    pub fn barrier(&self, id: crate::CheckpointId, now_ms: u64) -> crate::CheckpointBarrier {
        crate::CheckpointBarrier::new(id, now_ms, self.mode).with_aligned_timeout(self.aligned_timeout_ms)
    }

    /// Checks the settings make sense together.
    ///
    /// # Errors
    ///
    /// [`CheckpointError::InvalidConfig`] naming the first bad setting.
    pub fn validate(&self) -> Result<(), CheckpointError> {
        let bad = |why: &str| Err(CheckpointError::InvalidConfig(why.to_string()));
        if self.interval_ms == 0 {
            return bad("interval must be positive");
        }
        if self.timeout_ms == 0 {
            return bad("timeout must be positive");
        }
        if self.max_concurrent == 0 {
            return bad("max concurrent checkpoints must be at least 1");
        }
        if self.retained == 0 {
            return bad("at least one completed checkpoint must be retained");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        let ok = CheckpointConfig::every(1_000);
        let cases: Vec<(CheckpointConfig, Option<&str>)> = vec![
            (ok.clone(), None),
            (CheckpointConfig { interval_ms: 0, ..ok.clone() }, Some("interval")),
            (CheckpointConfig { timeout_ms: 0, ..ok.clone() }, Some("timeout")),
            (CheckpointConfig { max_concurrent: 0, ..ok.clone() }, Some("concurrent")),
            (CheckpointConfig { retained: 0, ..ok.clone() }, Some("retained")),
            (CheckpointConfig { min_pause_ms: 5_000, max_concurrent: 3, ..ok }, None),
        ];
        for (config, want) in cases {
            match (config.validate(), want) {
                (Ok(()), None) => {}
                (Err(e), Some(w)) => assert!(e.to_string().contains(w), "{e}"),
                (got, want) => panic!("{config:?}: got {got:?}, want {want:?}"),
            }
        }
    }
}
