//! Job-wide execution settings (Flink's `ExecutionConfig` and pipeline options).

use std::time::Duration;

use weir_core::key_group::{DEFAULT_MAX_PARALLELISM, UPPER_BOUND_MAX_PARALLELISM};

/// How a job runs. Every value is checked by [`ExecutionConfig::validate`] before any
/// task starts.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionConfig {
    /// Default parallelism of every vertex that does not set its own.
    pub parallelism: usize,
    /// Default maximum parallelism (number of key groups); `None` derives it from the
    /// parallelism as Flink does: `max(128, next_power_of_two(1.5 * p))`, capped at 2^15.
    pub max_parallelism: Option<usize>,
    /// Records per batch sent between tasks.
    pub batch_size: usize,
    /// How long a partly filled batch may wait before it is sent (Flink's
    /// `execution.buffer-timeout`): `Some(0)` sends after every processed batch (lowest
    /// latency), `None` only when full (highest throughput). Default 100 ms.
    pub buffer_timeout: Option<Duration>,
    /// Batches each channel between two subtasks can hold before the producer blocks.
    pub channel_capacity: usize,
    /// Whether operators may be chained at all (`pipeline.operator-chaining`).
    pub chaining: bool,
    /// How often periodic watermarks are generated (`pipeline.auto-watermark-interval`,
    /// default 200 ms); zero turns periodic watermarks off.
    pub auto_watermark_interval: Duration,
    /// What happens when the job fails (`restart-strategy`); `None` is Flink's default:
    /// fixed delay, unlimited, with checkpointing; no restart without.
    pub restart_strategy: Option<crate::restart::RestartStrategy>,
}

impl Default for ExecutionConfig {
    fn default() -> Self {
        ExecutionConfig {
            parallelism: 1,
            max_parallelism: None,
            batch_size: 1024,
            buffer_timeout: Some(Duration::from_millis(100)),
            channel_capacity: 2,
            chaining: true,
            auto_watermark_interval: Duration::from_millis(200),
            restart_strategy: None,
        }
    }
}

impl ExecutionConfig {
    /// Checks every setting.
    ///
    /// # Errors
    /// A message naming the bad setting and its value.
    pub fn validate(&self) -> Result<(), String> {
        if self.parallelism == 0 {
            return Err("parallelism must be at least 1, got 0".into());
        }
        if let Some(m) = self.max_parallelism {
            if m == 0 || m > UPPER_BOUND_MAX_PARALLELISM {
                return Err(format!("max parallelism must be within 1..={UPPER_BOUND_MAX_PARALLELISM}, got {m}"));
            }
        }
        if self.batch_size == 0 {
            return Err("batch size must be at least 1, got 0".into());
        }
        if self.channel_capacity == 0 {
            return Err("channel capacity must be at least 1 batch, got 0".into());
        }
        Ok(())
    }

    /// The maximum parallelism Flink derives for an operator of `parallelism` when none
    /// is set.
    pub fn default_max_parallelism(parallelism: usize) -> usize {
        let scaled = (parallelism + parallelism / 2).next_power_of_two();
        scaled.clamp(DEFAULT_MAX_PARALLELISM, UPPER_BOUND_MAX_PARALLELISM)
    }
}
